"""Test cells that did not run their checks, and cells that hook the kernel
(cs231n/grading/bypass.py)."""
import contextlib
import importlib
import io
import json
from pathlib import Path

import pytest

from cs231n import registry
from cs231n.grading import bypass
from cs231n.notebook import cell_source, load_answers, nbgrader_meta, read_notebook
from variants import a1_linear as variants

ROOT = Path(__file__).resolve().parents[1]


def _test_cell(source, printed, grade_id="test_x"):
    """An executed test cell: its source and what it printed."""
    return {"cell_type": "code", "source": source,
            "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": grade_id,
                                      "locked": True, "points": 1}},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]}


TWO_CHECKS = ("checks.check_svm_loss(svm_loss_naive)\n### BEGIN HIDDEN TESTS\n"
              "checks.check_svm_loss(svm_loss_naive, cases=\"hidden\")\n"
              "### END HIDDEN TESTS\n")
LINE = "\u2713 svm_loss_naive: all 9 checks passed (visible cases)\n"


@pytest.mark.parametrize("source, calls", [
    (TWO_CHECKS, 2),
    ("checks.check_at_least(best_val, 0.90, 'accuracy')", 1),
    ("# checks.check_svm_loss(f)\nprint('checks.check_svm_loss(f)')", 0),
    ("checks . check_forward ('affine', affine_forward)", 1),
    ("pass", 0),
])
def test_check_calls_are_counted(source, calls):
    """Are check calls counted in code only, not in comments or strings?"""
    assert bypass.check_calls(source) == calls


@pytest.mark.parametrize("printed, bypassed", [
    (LINE + LINE.replace("visible", "hidden"), False),
    ("some output of the student's function\n" + LINE + LINE, False),
    (LINE, True),                                          # the hidden check did not run
    ("", True),                                            # rewritten into `pass`
    ("  " + LINE + LINE, True),                            # not at the start of a line
])
def test_a_cell_without_its_success_lines_is_bypassed(printed, bypassed):
    """Is a test cell short of one success line per check call reported, and
    one with them (among other output) left alone?"""
    why = bypass.bypassed_check(_test_cell(TWO_CHECKS, printed))
    assert bool(why) == bypassed, why
    if bypassed:
        assert "did not run" in why


def test_bypassed_checks_reads_a_whole_notebook():
    """Does bypassed_checks name exactly the test cells of an executed notebook
    that did not print their lines, skipping answer and ordinary cells?"""
    nb = {"cells": [
        {"cell_type": "code", "source": "def f(): pass", "outputs": [],
         "metadata": {"nbgrader": {"solution": True, "grade_id": "f"}}},
        _test_cell(TWO_CHECKS, LINE + LINE, "test_ran"),
        {"cell_type": "code", "source": "checks.check_svm_loss(f)", "outputs": [],
         "metadata": {}},
        _test_cell(TWO_CHECKS, "", "test_skipped"),
        {"cell_type": "markdown", "source": "text", "metadata": []},
    ]}
    assert set(bypass.bypassed_checks(nb)) == {"test_skipped"}


def test_hostile_notebook_json_is_read_without_crashing():
    """Do cells with broken metadata, sources and outputs (a hostile
    submission) give no hooks and no bypass instead of an exception?"""
    nb = {"cells": [{"cell_type": "code", "metadata": [], "source": {"a": 1}, "outputs": 3},
                    {"cell_type": "code", "metadata": {"nbgrader": "x"}, "source": None},
                    "not a cell"]}
    assert bypass.bypassed_checks(nb) == {}
    assert bypass.notebook_hooks(nb) == []
    assert bypass.notebook_hooks({"cells": None}) == []


@pytest.mark.parametrize("source, hook", [
    ("get_ipython().input_transformers_post.append(f)", "input_transformers_post"),
    ("ip = get_ipython()\nip.input_transformer_manager.cleanup_transforms.insert(0, f)",
     "input_transformer_manager"),
    ("get_ipython().ast_transformers.append(Rewriter())", "ast_transformers"),
    ("get_ipython().events.register('pre_run_cell', f)", "events.register"),
    ("get_ipython().register_magic_function(f, 'cell')", "register_magic_function"),
    ("from IPython.core.magic import register_cell_magic", "register_cell_magic"),
    ("get_ipython().set_custom_exc((Exception,), handler)", "set_custom_exc"),
    ("get_ipython().showtraceback = lambda *a, **k: None", "showtraceback"),
    ("shell = get_ipython()\nshell.run_cell = quiet_run", "run_cell"),
    ("import sys\nsys.settrace(tracer)", "settrace"),
    ("import threading\nthreading.setprofile(p)", "setprofile"),
    ("import sys\nsys.addaudithook(hook)", "addaudithook"),
    ("setattr(get_ipython(), 'ast_transformers', [])", "ast_transformers"),
    ("%config InteractiveShell.ast_transformers = []", "ast_transformers"),
])
def test_kernel_hooks_are_found(source, hook):
    """Is each way of hooking the kernel named?"""
    assert any(what.startswith(hook) for what in bypass.kernel_hooks(source)), \
        bypass.kernel_hooks(source)


@pytest.mark.parametrize("source", [
    "import numpy as np\nx = np.zeros(3)  # run_cell, settrace in a comment\n",
    "results = run_all(rules)\nevents = [1, 2]\nevents.append(3)\n",
    "%matplotlib inline\nprint('transform the cells')\n",
    "def f(\n",                           # does not tokenize
])
def test_ordinary_code_hooks_nothing(source):
    """Is ordinary code, a magic or a broken cell free of kernel hooks?"""
    assert bypass.kernel_hooks(source) == []


@pytest.mark.parametrize("aid", sorted(registry.assignments()))
def test_the_release_hooks_nothing(aid):
    """Is every cell of the released notebooks that a student can change
    free of kernel hooks (no false flag on an untouched submission)?"""
    for path in sorted((ROOT / "assignments" / aid).glob("*.ipynb")):
        assert bypass.notebook_hooks(read_notebook(path)) == [], path.name


def test_the_transformer_sample_is_flagged():
    """Is the input transformer of the a1 sample corpus named?"""
    assert bypass.kernel_hooks(variants.SKIP_CHECKS) == [
        "input_transformers_post (an input transformer)"]


def test_locked_and_test_cells_are_not_scanned():
    """Are test and locked cells, which nbgrader restores before it runs a
    notebook, left out of the scan?"""
    hook = "get_ipython().ast_transformers.append(t)"
    nb = {"cells": [_test_cell(hook, ""),
                    {"cell_type": "code", "source": hook,
                     "metadata": {"nbgrader": {"locked": True, "grade_id": "given"}}},
                    {"cell_type": "code", "source": hook, "id": "cell-7", "metadata": {}}]}
    assert bypass.notebook_hooks(nb) == [("cell-7", "ast_transformers (an AST transformer)")]


def test_an_input_transformer_really_skips_checks_and_is_detected(capsys):
    """In a real IPython shell, does the sample's transformer turn a failing
    check cell into one that raises nothing (what nbgrader scores as passed),
    and does bypassed_check then see that its check did not run?"""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell()
    try:
        shell.run_cell("from cs231n.checks import linear as checks\n"
                       "def wrong(W, X, y, reg):\n    return 0.0, W\n")
        cell = _test_cell("checks.check_svm_loss(wrong)", "")
        failing = shell.run_cell(cell_source(cell))
        assert not failing.success                # the check runs and fails
        shell.run_cell(variants.SKIP_CHECKS)
        capsys.readouterr()
        skipped = shell.run_cell(cell_source(cell))
        assert skipped.success                    # nbgrader would give full marks
        cell["outputs"][0]["text"] = capsys.readouterr().out
        assert "did not run" in bypass.bypassed_check(cell)
    finally:
        shell.clear_instance()


@pytest.mark.parametrize("aid", sorted(registry.assignments()))
def test_every_check_call_of_the_solutions_prints_one_success_line(aid):
    """Does each test cell of the solution notebooks, run with the solution's
    answers, print exactly one success line per check call (visible and
    hidden), so that no honest cell is taken for a bypassed one?"""
    for path in sorted((ROOT / "solutions" / aid).glob("*.ipynb")):
        nb = read_notebook(path)
        ns = load_answers(path, uses=registry.get(aid).uses.get(path.name, ()),
                          given=registry.get(aid).given_files)
        ns["checks"] = importlib.import_module(registry.get(aid).module)
        for cell in nb["cells"]:
            meta = nbgrader_meta(cell)
            if cell["cell_type"] != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            source = cell_source(cell)
            if "check_at_least" in source:
                ns.update(best_val=0.95, best_val_acc=0.95)   # set by the search cells
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"{path.name}[{meta['grade_id']}]", "exec"), ns)
            executed = dict(cell, outputs=[{"output_type": "stream", "name": "stdout",
                                            "text": out.getvalue()}])
            assert bypass.check_calls(source) >= 1, meta["grade_id"]
            assert bypass.bypassed_check(executed) == "", (meta["grade_id"], out.getvalue())
            assert out.getvalue().count("\u2713") == bypass.check_calls(source), \
                meta["grade_id"]


def test_success_line_survives_a_silenced_print(capsys):
    """Does a check still print its success line when an answer cell has
    replaced builtins.print (the monkeypatch-builtins sample)?"""
    import builtins

    from cs231n.checks import linear
    real = builtins.print
    builtins.print = lambda *args, **kwargs: None
    try:
        linear.check_at_least(0.95, 0.9, "accuracy")
    finally:
        builtins.print = real
    printed = capsys.readouterr().out
    assert bypass.bypassed_check(_test_cell("checks.check_at_least(a, 0.9, 'x')",
                                            printed)) == ""


def test_executed_notebook_json_round_trip(tmp_path):
    """Does the scan read a notebook as nbformat writes it (source and text
    as lists of lines)?"""
    cell = _test_cell(TWO_CHECKS.splitlines(keepends=True), [LINE, LINE])
    path = tmp_path / "svm.ipynb"
    path.write_text(json.dumps({"cells": [cell]}))
    assert bypass.bypassed_checks(json.loads(path.read_text())) == {}
