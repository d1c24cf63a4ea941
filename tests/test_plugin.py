"""Adding an assignment is writing three files: its solution notebook, its
check module and its sample corpus.

A toy fourth assignment is added to a temporary copy of the course, and the
instructor's commands (release, reference, validate, samples, grade, demo)
run on it there, from the copy's folder, with nothing else changed: no list
of assignments to extend, no limit to raise, nothing of the package edited.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
AID = "a9_toy"

CHECK_MODULE = '''
"""Checks of a toy assignment: ``double(x)`` returns ``2 * x``."""
import numpy as np

from ..contract import Assignment, GradingLimits
from . import _core
from ._core import call, fail, passed

AID = "a9_toy"
CASES = {"visible": [{"name": "vector", "seed": 0, "shape": (4,)}],
         "hidden": [{"name": "matrix", "seed": 1, "shape": (2, 3)}]}
SOLUTIONS = {"double": ("toy.ipynb", "double")}


def _input(case):
    return np.random.default_rng(case["seed"]).standard_normal(case["shape"])


def make_reference(solutions, cases=None):
    cases = cases["double"] if cases else CASES["visible"] + CASES["hidden"]
    return {f"double/{c['name']}": np.asarray(solutions["double"](_input(c)))
            for c in cases}


def check_double(fn, *, cases="visible", reference=None):
    cases, label = _core.select_cases(CASES, cases, lambda c: isinstance(c, dict),
                                      "toy cases")
    ref = _core.reference(AID) if reference is None else reference
    for case in cases:
        got = np.asarray(call(fn, "double", _input(case)))
        want = ref[f"double/{case['name']}"]
        if got.shape != want.shape or not np.allclose(got, want):
            fail("double", f"wrong on case '{case['name']}'", f"expected {want}, got {got}")
    passed("double", len(cases), f" ({label} cases)")


def random_cases(rng):
    return {"double": [{"name": "unseen", "seed": int(rng.integers(2**31)),
                        "shape": (int(rng.integers(1, 6)),)}]}


def _grade_double(g, fns, *, cases, reference):
    check_double(fns[g.name], cases=cases["double"], reference=reference)


ASSIGNMENT = Assignment(
    id=AID, notebooks=("toy.ipynb",),
    graded=(_core.Graded("double", "toy.ipynb", "test_double", "double", run=_grade_double),),
    solutions=SOLUTIONS, make_reference=make_reference, random_cases=random_cases,
    limits=GradingLimits(cell_timeout=20, kernel_cpu_seconds=40, student_budget=100))
'''

CORPUS = '''
"""Right and wrong answers of the toy assignment."""
from cs231n.grading.samples import Sample


def double_right(x):
    return 2 * x


def double_added(x):
    return x + x


def double_triple(x):
    return 3 * x


BASE = {"double": [double_right]}

SAMPLES = [
    Sample("correct", note="The right answer gets full points."),
    Sample("different", fills={"double": [double_added]},
           note="x + x is right too: full points."),
    Sample("bug-triple", fills={"double": [double_triple]}, lose={"test_double"},
           note="3 * x is wrong: the test cell loses its points."),
]
'''


def _meta(**kw):
    return {"nbgrader": dict(dict(grade=False, locked=False, solution=False,
                                  schema_version=3, task=False), **kw)}


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A toy assignment\n\nWrite `double(x)`."),
        nbformat.v4.new_code_cell("import numpy as np\nfrom cs231n.checks import toy as checks",
                                  metadata=_meta(locked=True, grade_id="imports")),
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                  "    ### END SOLUTION",
                                  metadata=_meta(solution=True, grade_id="double")),
        nbformat.v4.new_code_cell("checks.check_double(double)\n### BEGIN HIDDEN TESTS\n"
                                  "checks.check_double(double, cases=\"hidden\")\n"
                                  "### END HIDDEN TESTS",
                                  metadata=_meta(grade=True, locked=True, points=2,
                                                 grade_id="test_double"))]
    return nb


def _digest(folder):
    """path -> sha256 of every file under ``folder`` (caches left out)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def toy_course(tmp_path_factory):
    """A copy of the course plus the toy assignment's three files."""
    copy = tmp_path_factory.mktemp("plugin") / "course"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("cs231n", "solutions", "assignments"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    (copy / "tests").mkdir()
    shutil.copytree(ROOT / "tests" / "variants", copy / "tests" / "variants", ignore=ignore)
    shutil.copy(ROOT / "nbgrader_config.py", copy)
    (copy / "solutions" / AID).mkdir()
    nbformat.write(_notebook(), str(copy / "solutions" / AID / "toy.ipynb"))
    (copy / "cs231n" / "checks" / "toy.py").write_text(textwrap.dedent(CHECK_MODULE))
    (copy / "tests" / "variants" / f"{AID}.py").write_text(textwrap.dedent(CORPUS))
    return copy


def _course(copy, *args):
    """``python -m cs231n.course ARGS`` run in the copy: its own package."""
    env = dict(os.environ, PYTHONPATH=str(copy))
    return subprocess.run([sys.executable, "-m", "cs231n.course", *args], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_a_new_assignment_needs_only_its_three_files(toy_course):
    copy = toy_course
    package_before = _digest(copy / "cs231n")

    run = _course(copy, "release", AID)
    assert run.returncode == 0, run.stderr
    released = (copy / "assignments" / AID / "toy.ipynb").read_text()
    assert "raise NotImplementedError" in released and "HIDDEN" not in released

    run = _course(copy, "reference", AID)
    assert run.returncode == 0, run.stderr
    assert (copy / "cs231n" / "checks" / "reference" / f"{AID}.npz").exists()

    run = _course(copy, "validate", AID)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"ok   solutions/{AID}/toy.ipynb" in run.stdout

    run = _course(copy, "samples", AID)
    assert run.returncode == 0, run.stderr
    run = _course(copy, "grade", AID, "--no-progress")
    assert run.returncode == 0, run.stdout + run.stderr
    report = (copy / "reports" / AID / "report.md").read_text()
    assert "20 s per cell, 40 CPU s per notebook" in report and "100 s per student" in report
    for line in ("| correct | graded | 2 / 2 |", "| different | graded | 2 / 2 |",
                 "| bug-triple | graded | 0 / 2 |"):
        assert line in report, report

    # (`demo` is release + samples + grade + this comparison, for every
    # assignment in test_pipeline: running it here too would grade the toy twice.)

    # Nothing of the package changed but the new check module's reference.
    after = _digest(copy / "cs231n")
    assert set(after) - set(package_before) == {f"checks/reference/{AID}.npz"}
    assert {k: v for k, v in after.items() if k in package_before} == package_before
