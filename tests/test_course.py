"""The instructor command line: release, validate, reference values."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cs231n import course, given, registry
from cs231n.notebook import cell_source, nbgrader_meta, read_notebook

ROOT = course.ROOT
SOLUTION_NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
ALL_NOTEBOOKS = SOLUTION_NOTEBOOKS + sorted((ROOT / "assignments").glob("*/*.ipynb"))


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


# ------------------------------------------------------- a course in miniature

def _meta(**kw):
    base = dict(grade=False, locked=False, solution=False, schema_version=3, task=False)
    base.update(kw)
    return {"nbgrader": base}


def make_notebook(path, body, test, hidden="assert double(4) == 8"):
    """One answer cell defining ``double`` and one graded test cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Doubling"),
        nbformat.v4.new_code_cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    " + body + "\n    ### END SOLUTION",
            metadata=_meta(solution=True, grade_id="double")),
        nbformat.v4.new_code_cell(
            test + "\n### BEGIN HIDDEN TESTS\n" + hidden + "\n### END HIDDEN TESTS",
            metadata=_meta(grade=True, locked=True, points=1, grade_id="test_double")),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.fixture
def mini_course(tmp_path):
    root = tmp_path / "course"
    make_notebook(root / "solutions" / "demo" / "demo.ipynb", "return 2 * x",
                  "assert double(3) == 6")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return root



def _cli(*args, cwd):
    """``.venv/bin/cs231n-course ARGS`` run in ``cwd`` as an instructor would,
    without activating the virtualenv (its bin folder is not on PATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"
    return subprocess.run([str(Path(sys.executable).parent / "cs231n-course"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_command_line_acts_on_the_course_it_is_run_in(mini_course):
    """Do release and validate, run in a course folder (or a folder below it)
    with no --root and without the virtualenv on PATH, act on that course,
    and does --root override the working directory?"""
    (mini_course / "notes").mkdir()
    run = _cli("release", cwd=mini_course / "notes")
    assert run.returncode == 0, run.stderr
    assert (mini_course / "assignments" / "demo" / "demo.ipynb").exists()
    assert not (ROOT / "assignments" / "demo").exists()
    run = _cli("validate", cwd=mini_course)
    assert run.returncode == 0, run.stderr
    assert "ok   solutions/demo/demo.ipynb" in run.stdout
    run = _cli("validate", "--root", str(ROOT), "demo", cwd=mini_course)
    assert run.returncode == 1 and "unknown assignment 'demo'" in run.stderr


@pytest.mark.slow
def test_grade_acts_on_the_course_it_is_run_in(tmp_path):
    """Does grade, run in a copy of the course, grade the copy's submissions
    (here: say that the copy has none), and does a folder outside any course
    get a clear error?"""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "solutions", copy / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", copy)
    aid = next(iter(registry.assignments()))
    run = _cli("grade", aid, "--no-progress", cwd=copy)
    assert run.returncode == 1
    assert f"no submissions in {copy.resolve() / 'submitted'}/*/{aid}" in run.stderr
    run = _cli("grade", aid, cwd=tmp_path)
    assert run.returncode == 1
    assert f"no nbgrader_config.py in {tmp_path.resolve()} or a folder above it" in run.stderr


def test_find_root_walks_up_to_the_configuration(tmp_path):
    (tmp_path / "course" / "a" / "b").mkdir(parents=True)
    (tmp_path / "course" / "nbgrader_config.py").write_text("")
    assert course.find_root(tmp_path / "course" / "a" / "b") == (tmp_path / "course").resolve()
    with pytest.raises(course.CourseError, match="no nbgrader_config.py"):
        course.find_root(tmp_path)

@pytest.mark.slow
def test_release_strips_solutions_and_hidden_tests(mini_course):
    """Does release turn the answer into a stub and drop the hidden tests?"""
    course.release(root=mini_course)
    nb = read_notebook(mini_course / "assignments" / "demo" / "demo.ipynb")
    text = json.dumps(nb)
    assert "NotImplementedError" in text
    assert "2 * x" not in text and "double(4)" not in text
    assert "assert double(3) == 6" in text


@pytest.mark.slow
def test_release_refuses_a_leaking_file(mini_course):
    """Is a solution file copied verbatim into the release caught and refused?"""
    (mini_course / "solutions" / "demo" / "helper.py").write_text(
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n")
    with pytest.raises(course.CourseError, match="helper.py: contains 'BEGIN SOLUTION'"):
        course.release(root=mini_course)
    assert not (mini_course / "assignments" / "demo").exists()


def test_find_leaks_spots_a_solution_line(tmp_path):
    """Does the leak check find a solution line that survived in a released cell?"""
    make_notebook(tmp_path / "src" / "demo.ipynb", "return 2 * x", "assert double(3) == 6")
    make_notebook(tmp_path / "rel" / "demo.ipynb", "return 2 * x", "assert double(3) == 6")
    # The "release" still has its solution, markers stripped.
    nb = read_notebook(tmp_path / "rel" / "demo.ipynb")
    for cell in nb["cells"]:
        cell["source"] = "\n".join(line for line in cell_source(cell).splitlines()
                                   if "BEGIN" not in line and "END" not in line)
    (tmp_path / "rel" / "demo.ipynb").write_text(json.dumps(nb))
    problems = course.find_leaks(tmp_path / "src", tmp_path / "rel")
    assert any("solution line of cell 'double'" in p and "return 2 * x" in p
               for p in problems), problems
    assert any("hidden test line of cell 'test_double'" in p for p in problems), problems


@pytest.mark.slow
def test_validate_passes_a_right_course_and_names_each_problem(mini_course, capsys):
    """Does validate accept a right solution with a failing stub, and report
    a wrong solution with one line, exiting non-zero?"""
    course.release(root=mini_course)
    course.validate(root=mini_course)
    assert "ok   solutions/demo/demo.ipynb" in capsys.readouterr().out

    make_notebook(mini_course / "solutions" / "demo" / "demo.ipynb", "return 3 * x",
                  "assert double(3) == 6")
    with pytest.raises(course.CourseError) as info:
        course.validate(root=mini_course)
    assert len(info.value.problems) == 1
    assert "solutions/demo/demo.ipynb: cell fails" in info.value.problems[0]
    assert "AssertionError" in info.value.problems[0]


@pytest.mark.slow
def test_validate_flags_a_test_that_passes_on_the_stub(mini_course):
    """Is a graded test that cannot fail (it passes on the stub) reported?"""
    make_notebook(mini_course / "solutions" / "demo" / "demo.ipynb", "return 2 * x",
                  "assert True", hidden="pass")
    course.release(root=mini_course)
    with pytest.raises(course.CourseError, match="passes on the unanswered stub"):
        course.validate(root=mini_course)


def test_cli_exit_codes(capsys):
    """Does the command line exit non-zero with a line naming the problem?"""
    assert course.main(["release", "no_such_assignment"]) == 1
    assert "unknown assignment 'no_such_assignment'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        course.main(["frobnicate"])


def test_demo_wipes_only_its_own_assignment(mini_course, monkeypatch):
    """Does `make demo ASSIGNMENT=x` work in .demo/x/, wiping that folder only
    and keeping the other assignments' demos?"""
    (mini_course / ".demo" / "other" / "reports").mkdir(parents=True)
    (mini_course / ".demo" / "other" / "reports" / "report.md").write_text("kept")
    (mini_course / ".demo" / "demo").mkdir()
    (mini_course / ".demo" / "demo" / "stale.txt").write_text("wiped")

    class Stop(Exception):
        pass

    def release(names, *, root):
        raise Stop(root)

    monkeypatch.setattr(course, "release", release)
    with pytest.raises(Stop) as stop:
        course.demo_command("demo", root=mini_course, progress=False)
    assert stop.value.args[0] == mini_course / ".demo" / "demo"
    assert (mini_course / ".demo" / "demo" / "solutions" / "demo" / "demo.ipynb").exists()
    assert not (mini_course / ".demo" / "demo" / "stale.txt").exists()
    assert (mini_course / ".demo" / "other" / "reports" / "report.md").read_text() == "kept"


# ---------------------------------------------------------- the real course

def test_every_solution_has_a_release():
    """Is every solution notebook released, and nothing released without one?"""
    released = sorted(p.relative_to(ROOT / "assignments")
                      for p in (ROOT / "assignments").glob("*/*.ipynb"))
    sources = sorted(p.relative_to(ROOT / "solutions") for p in SOLUTION_NOTEBOOKS)
    assert SOLUTION_NOTEBOOKS, "no solution notebooks found"
    assert released == sources


@pytest.mark.slow
def test_release_is_in_step_with_solutions(tmp_path):
    """Does regenerating the release from solutions/ give exactly assignments/?"""
    course.release(root=ROOT, dest=tmp_path)
    for aid in course.assignments(ROOT):
        fresh = sorted(p.relative_to(tmp_path / aid) for p in (tmp_path / aid).rglob("*")
                       if p.is_file())
        kept = sorted(p.relative_to(ROOT / "assignments" / aid)
                      for p in (ROOT / "assignments" / aid).rglob("*") if p.is_file())
        assert fresh == kept, f"{aid}: files differ: run `make release`"
        for rel in fresh:
            a = (tmp_path / aid / rel).read_bytes()
            b = (ROOT / "assignments" / aid / rel).read_bytes()
            assert a == b, f"assignments/{aid}/{rel} is out of date: run `make release`"


@pytest.mark.parametrize("aid", [a.id for a in registry.assignments().values() if a.given])
def test_given_code_is_in_step_with_solutions(aid):
    """Is each module given to a later assignment what the solutions generate now?"""
    assert given.stale(aid, root=ROOT) == []


def test_given_code_takes_answer_cells_without_markers(mini_course):
    """Does a given module hold the answer cell's code, markers dropped, and
    does a missing name or a stale file say so?"""
    entry = registry.Given("earlier.py", "demo", {"demo.ipynb": ("double",)})
    (mini_course / "solutions" / "later").mkdir()
    text = given.render(entry, root=mini_course)
    assert "SOLUTION" not in text and "return 2 * x" in text
    ns = {}
    exec(compile(text, "earlier.py", "exec"), ns)
    assert ns["double"](4) == 8
    assert given.stale("later", root=mini_course, entries=[entry]) == [
        "solutions/later/earlier.py: missing: run `make release`"]
    given.write("later", root=mini_course, entries=[entry])
    assert given.stale("later", root=mini_course, entries=[entry]) == []
    make_notebook(mini_course / "solutions" / "demo" / "demo.ipynb", "return x + x",
                  "assert double(3) == 6")
    assert "out of step" in given.stale("later", root=mini_course, entries=[entry])[0]
    with pytest.raises(ValueError, match="triple"):
        given.render(registry.Given("earlier.py", "demo", {"demo.ipynb": ("triple",)}),
                     root=mini_course)


def test_given_code_may_take_another_assignments_notebook(mini_course):
    """Does a key ``<aid>/<notebook>`` take its cells from that assignment's
    solutions (code the source's own answers call), named in the header?"""
    (mini_course / "solutions" / "later").mkdir()
    entry = registry.Given("both.py", "later", {"demo/demo.ipynb": ("double",)})
    text = given.render(entry, root=mini_course)
    assert "return 2 * x" in text and "solutions/demo/" in text
    ns = {}
    exec(compile(text, "both.py", "exec"), ns)
    assert ns["double"](5) == 10
    with pytest.raises(FileNotFoundError):
        given.render(registry.Given("x.py", "later", {"nowhere/demo.ipynb": ("double",)}),
                     root=mini_course)


def _answers_notebook(path, *sources):
    path.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": src, "metadata": {"nbgrader": {
            "solution": True, "grade_id": f"cell{i}"}}} for i, src in enumerate(sources)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_answers_of_loads_the_earlier_notebook_and_names_what_is_missing(tmp_path,
                                                                        monkeypatch, capsys):
    """A notebook that builds on an earlier one gets its functions as saved;
    a broken cell is skipped and named, a missing file or name said plainly."""
    from cs231n.notebook import answers_of, load_answers
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="part1.ipynb is not in this folder"):
        answers_of("part1.ipynb", "double")
    _answers_notebook(tmp_path / "part1.ipynb", "def double(x):\n    return 2 * x",
                      "class Half:\n    raise ValueError('oops')",
                      "def triple(x) return 3 * x")
    (double,) = answers_of("part1.ipynb", "double")
    assert double(np.arange(3)).tolist() == [0, 2, 4]
    with pytest.raises(NameError) as e:
        answers_of("part1.ipynb", "double", "triple")
    message = str(e.value)
    assert "defines no triple" in message and "cell2 raised SyntaxError" in message
    assert "cell1 raised ValueError: oops" in message and "save it" in message
    # Only the definitions of the earlier cells run, not the work they did.
    _answers_notebook(tmp_path / "part1.ipynb",
                      "EPS = 0.5\ndef double(x):\n    return 2 * x + EPS\n"
                      "print('the cell ran')\nwhile True:\n    pass")
    (double,) = answers_of("part1.ipynb", "double")
    assert double(1) == 2.5 and "the cell ran" not in capsys.readouterr().out
    # The imports of the earlier notebook's other cells (its setup cell) run first:
    # an answer may use what they bind.
    nb = json.loads((tmp_path / "part1.ipynb").read_text())
    nb["cells"].insert(0, {"cell_type": "code", "metadata": {},
                           "source": "%matplotlib inline\nfrom math import fsum as total\n"
                                     "print('the setup cell ran')"})
    nb["cells"].append({"cell_type": "code", "source": "def add(xs):\n    return total(xs)",
                        "metadata": {"nbgrader": {"solution": True, "grade_id": "add"}}})
    (tmp_path / "part1.ipynb").write_text(json.dumps(nb))
    (add,) = answers_of("part1.ipynb", "add")
    assert add([0.1] * 10) == 1.0 and "the setup cell ran" not in capsys.readouterr().out
    # The instructor's loader runs an earlier notebook first when told to.
    _answers_notebook(tmp_path / "part1.ipynb", "def double(x):\n    return 2 * x")
    _answers_notebook(tmp_path / "part2.ipynb", "def quadruple(x):\n    return double(double(x))")
    assert load_answers(tmp_path / "part2.ipynb", uses=["part1.ipynb"])["quadruple"](1) == 4
    # ... and the given modules of the assignment before everything (they bind the
    # names the notebook imports from them).
    (tmp_path / "given.py").write_text("def double(x):\n    return 20 * x\n"
                                       "def halve(x):\n    return x / 2\n")
    _answers_notebook(tmp_path / "part3.ipynb", "def tenth(x):\n    return halve(x) / 5")
    ns = load_answers(tmp_path / "part3.ipynb", given=["given.py"])
    assert ns["tenth"](10) == 1 and ns["double"](1) == 20
    assert load_answers(tmp_path / "part2.ipynb", uses=["part1.ipynb"],
                        given=["given.py"])["quadruple"](1) == 4   # the answers win
    with pytest.raises(NameError, match="halve"):
        load_answers(tmp_path / "part3.ipynb")["tenth"](10)


def test_release_has_no_leaks():
    """Does any solution or hidden-test text reach the committed release?"""
    problems = []
    for aid in course.assignments(ROOT):
        problems += course.find_leaks(ROOT / "solutions" / aid, ROOT / "assignments" / aid)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_notebook_is_clean(path):
    """Is the notebook committed without outputs and execution counts?"""
    for i, cell in enumerate(read_notebook(path)["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has a count"


def _graded_table(nb):
    """The rows of a notebook's "| cell | points |" table, as (row text, its
    backticked names, its points: a list, or an int for "k each")."""
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
        if "| cell | points |" not in text:
            continue
        rows = []
        for line in text.splitlines():
            parts = [p.strip() for p in line.strip().strip("|").split("|")]
            if len(parts) != 2 or parts[1] in ("points", "---"):
                continue
            each = re.fullmatch(r"(\d+) each", parts[1])
            rows.append((parts[0], re.findall(r"`(\w+)`", parts[0]),
                         int(each.group(1)) if each else
                         [int(n) for n in parts[1].split("+")]))
        return rows
    return []


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=_ids(SOLUTION_NOTEBOOKS))
def test_the_graded_table_states_the_points_of_the_cells(path):
    """Does the "What is graded" table at the top of a notebook give each
    graded function, value and written answer the points of its cell?"""
    nb = read_notebook(path)
    rows = _graded_table(nb)
    assert rows, f"{path.name} has no '| cell | points |' table"
    cells = [nbgrader_meta(c) | {"markdown": c["cell_type"] == "markdown"}
             for c in nb["cells"] if nbgrader_meta(c).get("grade")]
    tests = {g.name: g.test_cell for g in registry.get(path.parent.name).graded
             if g.notebook == path.name}
    points = {c["grade_id"]: c["points"] for c in cells}
    functions, written, values = {}, [], []
    for text, names, stated in rows:
        if names:
            stated = [stated] * len(names) if isinstance(stated, int) else stated
            assert len(names) == len(stated), f"{path.name}: the row {text!r}"
            functions.update(zip(names, stated))
        elif "written" in text:
            written.append(stated)
        else:
            values += stated
    assert functions == {name: points[cell] for name, cell in tests.items()}
    manual = [c["points"] for c in cells if c["markdown"]]
    assert len(written) == 1, f"{path.name}: one row for the written answers"
    assert (manual == [written[0]] * len(manual) if isinstance(written[0], int)
            else manual == written[0])
    others = [c["points"] for c in cells
              if not c["markdown"] and c["grade_id"] not in tests.values()]
    assert sorted(others) == sorted(values)


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=_ids(SOLUTION_NOTEBOOKS))
def test_nbgrader_metadata_is_valid(path):
    """Is every nbgrader cell well formed: unique ids, points on graded cells,
    markers in answer cells, and a test cell for every answer cell?"""
    from nbgrader.preprocessors import CheckCellMetadata

    nb = nbformat.read(str(path), as_version=4)
    CheckCellMetadata().preprocess(nb, {})  # raises on malformed metadata
    ids, answers, tests = [], [], []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert meta.get("schema_version") == 3, f"{meta.get('grade_id')}: schema_version"
        ids.append(meta["grade_id"])
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} has no points"
        if meta.get("solution"):
            assert "BEGIN SOLUTION" in cell.source and "END SOLUTION" in cell.source, \
                f"answer cell {meta['grade_id']} has no BEGIN/END SOLUTION region"
            if cell.cell_type == "code":
                answers.append(meta["grade_id"])
        if meta.get("grade") and cell.cell_type == "code":
            tests.append(cell.source)
    assert len(ids) == len(set(ids)), f"duplicate grade_id in {path.name}"
    for gid in answers:
        name = gid.replace("_", "").lower()
        assert any(name in t.replace("_", "").lower() for t in tests), \
            f"answer cell {gid} of {path.name} has no graded test cell calling it"


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=_ids(SOLUTION_NOTEBOOKS))
def test_solution_runs_and_passes_all_tests(path, capsys):
    """Does the solution run top to bottom with every graded test passing and
    nothing on stderr?"""
    start = time.perf_counter()
    problems = course.validate_notebook(path)
    with capsys.disabled():
        print(f"\n{path.relative_to(ROOT)} executed in {time.perf_counter() - start:.1f} s")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=_ids(SOLUTION_NOTEBOOKS))
def test_released_stub_fails_every_graded_test(path):
    """Does every graded test fail on the unanswered release?"""
    stub = ROOT / "assignments" / path.relative_to(ROOT / "solutions")
    problems = course.validate_notebook(stub, release=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("aid", sorted(registry.assignments()))
def test_reference_values_are_in_step_with_solutions(aid):
    """Were the checks' reference values computed from today's solutions?"""
    fresh = course.compute_reference(aid)
    with np.load(course.reference_path(aid)) as stored:
        assert sorted(stored.files) == sorted(fresh), \
            "reference keys differ: run `make reference`"
        for key in fresh:
            np.testing.assert_allclose(
                stored[key], fresh[key], rtol=1e-10, atol=1e-12,
                err_msg=f"{key} is out of date: run `make reference` and commit it")


def test_validation_and_grading_wait_for_iopub_output_on_a_busy_machine():
    """Do validate (the Validate button) and autograde wait a minute for a
    cell's last output instead of nbclient's 4 s, which a busy shared machine
    exceeds ("Timeout waiting for IOPub output")?"""
    from nbgrader.preprocessors import Execute

    from cs231n.grading.preprocessors import CappedExecute
    from cs231n.install import nbgrader_config
    validator = course._validator(ROOT)
    assert Execute in validator.preprocessors
    # The validator makes its steps with itself as parent, as here.
    for step in (Execute(parent=validator), CappedExecute(config=nbgrader_config(ROOT))):
        assert step.iopub_timeout >= 60 and step.raise_on_iopub_timeout, step


def test_the_course_kernel_runs_numpy_with_one_blas_thread():
    """Is the kernel the notebooks run in (the Makefile's `python3` spec) set to
    one BLAS thread, so that it keeps its share of a busy shared server?"""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail("no python3 kernel spec: run `make` (it installs the course kernel)")
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve(), spec.argv
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert (spec.env or {}).get(name) == "1", (name, spec.env)


@pytest.mark.parametrize("why, fails", [("grader error: SandboxFailed: bwrap", True),
                                        ("svm.ipynb: the kernel died", False)])
def test_grade_exits_nonzero_on_a_grader_error(monkeypatch, capsys, why, fails):
    """Does `cs231n-course grade` end with an error naming the students the
    grader could not grade (their scores are 0 until graded again), and
    succeed when every failure was the submission's own?"""
    from types import SimpleNamespace

    from cs231n.course import CourseError, grade_command
    from cs231n.grading import pipeline, report, runner
    run = SimpleNamespace(results=[pipeline.StudentResult("ann"),
                                   pipeline.StudentResult("bob", status="failed", why=why)],
                          csv="g.csv", report="r.md", histogram="h.png", seconds=1.0)
    monkeypatch.setattr(runner, "grade", lambda *a, **k: run)
    monkeypatch.setattr(report, "grade_table", lambda r: "the table")
    aid = course.assignments(ROOT)[0]
    if fails:
        with pytest.raises(CourseError, match=r"grader error on 1 submissions \(bob\)"):
            grade_command(aid, root=ROOT)
    else:
        assert grade_command(aid, root=ROOT) is run
    assert "the table" in capsys.readouterr().out
