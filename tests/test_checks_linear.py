"""Soundness of Assignment 1's checks: every wrong variant loses, every right
one passes (the variants live in tests/variants/a1_linear.py)."""
import ast
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure, _core
from cs231n.checks import linear as checks
from cs231n.checks._core import BelowThreshold
from cs231n.notebook import cell_source, nbgrader_meta, read_notebook
from variants import a1_linear as variants

ROOT = Path(__file__).resolve().parents[1]

RUNNERS = {
    "svm": checks.check_svm_loss,
    "softmax": checks.check_softmax_loss,
    "soft_threshold": checks.check_soft_threshold,
    "classifier": checks.check_linear_classifier,
}


def grade(kind, fn):
    """Run the visible and the hidden checks, as a graded notebook does."""
    for cases in ("visible", "hidden"):
        if kind in checks.PENALTY_KINDS:
            checks.check_penalty(fn, kind, cases=cases)
        else:
            RUNNERS[kind](fn, cases=cases)


def _params(table):
    return [pytest.param(kind, fn, id=f"{kind}-{fn.__name__}")
            for kind, fns in table.items() for fn in fns]


@pytest.mark.parametrize("kind, fn", _params(variants.CORRECT))
def test_correct_variant_passes(kind, fn, capsys):
    """Does a correct implementation, however written, pass every check?"""
    grade(kind, fn)
    assert "checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("kind, fn", _params(variants.WRONG))
def test_wrong_variant_fails(kind, fn):
    """Does every bug of the catalogue lose its points?"""
    with pytest.raises(CheckFailure):
        grade(kind, fn)


def test_share_of_wrong_variants_caught(capsys):
    """What share of the wrong variants do the checks catch? (all of them)"""
    caught = total = 0
    for kind, fns in variants.WRONG.items():
        for fn in fns:
            total += 1
            try:
                grade(kind, fn)
            except CheckFailure:
                caught += 1
    with capsys.disabled():
        print(f"\na1_linear checks caught {caught}/{total} wrong variants")
    assert caught == total


@pytest.mark.parametrize("fn, hint", [
    (variants.svm_no_reg_in_loss, "missing from the loss"),
    (variants.svm_no_reg_in_grad, "gradient reg \\* W is missing"),
    (variants.svm_reg_per_example, "once per example"),
    (variants.svm_counts_correct_class, "includes the correct class"),
    (variants.svm_sum_not_mean, "divide it by N"),
    (variants.svm_modifies_X, "X was modified in place"),
])
def test_svm_failure_names_the_bug(fn, hint):
    """Does the message name the common bug, so a student can fix it?"""
    with pytest.raises(CheckFailure, match=hint):
        grade("svm", fn)


@pytest.mark.parametrize("kind, fn, label", [
    ("svm", variants.svm_modifies_X, "X"),
    ("svm", variants.svm_modifies_W, "W"),
    ("l2", variants.l2_in_place, "W"),
    ("soft_threshold", variants.soft_threshold_in_place, "W"),
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_a_right_answer_that_mutates_is_told_only_that(kind, fn, label):
    """Is a function whose values are right but which changes an input in
    place told first that its values are right and the mutation is the only
    problem, with the input, the case and the fix?"""
    with pytest.raises(CheckFailure) as info:
        grade(kind, fn)
    msg = str(info.value)
    assert msg.startswith(f"{fn.__name__}: the values are right; the only problem: "
                          f"the input {label} was modified in place on test case '"), msg
    assert f"instead of `{label} -= ...`" in msg and "copy" in msg, msg


def test_a_wrong_answer_that_mutates_gets_the_mutation_as_one_more_cause():
    """Is a wrong value that comes with a changed input reported as the wrong
    value first, and the mutation as an extra cause?"""
    with pytest.raises(CheckFailure) as info:
        grade("softmax", variants.softmax_shift_in_place)
    msg = str(info.value)
    assert "the values are right" not in msg
    assert re.search(r"is wrong on test case|not finite", msg), msg
    assert "\n  also: the input X was modified in place on test case" in msg, msg


def test_a_training_loop_that_changes_X_is_told_so():
    """Is a LinearClassifier whose train rounds the caller's X in place told
    that its steps are right and the mutation is the problem?"""
    class RoundsX(variants.ClassifierRight):
        def train(self, X, y, **kwargs):
            np.round(X, 6, out=X)  # "cleans" the caller's X
            return super().train(X, y, **kwargs)
    with pytest.raises(CheckFailure, match=r"^RoundsX\.train: the values are right; the "
                                           r"only problem: the input X was modified"):
        checks.check_linear_classifier(RoundsX)


# ------------------------------------------------------------ soft-thresholding

@pytest.mark.parametrize("fn, hint", [
    (variants.soft_threshold_hard, "hard thresholding"),
    (variants.soft_threshold_no_clamp, "subgradient step"),
    (variants.soft_threshold_relu, "one-sided"),
    (variants.soft_threshold_no_sign, "signs are lost"),
    (variants.soft_threshold_clip_only, "clip W into"),
    (variants.soft_threshold_nearly_zero, "is not exactly 0"),
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_soft_threshold_failure_names_the_bug(fn, hint):
    """Does each common soft-thresholding bug get its own hint, with the
    index and the values?"""
    with pytest.raises(CheckFailure, match=hint) as info:
        grade("soft_threshold", fn)
    assert re.search(r"at \[\d+, \d+\] \(W there = ", str(info.value)), str(info.value)


def test_soft_threshold_hints_never_describe_the_right_answer():
    """Is a bug's hint left out where the bug gives the right answer (with a
    zero threshold, hard thresholding and the subgradient step are right)?"""
    W = np.array([[-1.0, 0.5], [2.0, -0.25]])
    hints = [m for _, m in checks._threshold_hints(W, 0.0, variants.soft_threshold_right(W, 0.0))]
    assert not any("hard thresholding" in m or "subgradient step" in m for m in hints), hints
    assert len(hints) == 3, hints


# ------------------------------------------------------------ max-shift per row

def test_global_max_shift_gets_the_per_row_hint():
    """Is a softmax that subtracts one global maximum rejected on the rows
    whose scores sit ~1000 apart, with a hint naming the per-row shift?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cases in ("visible", "hidden"):
            with pytest.raises(CheckFailure) as info:
                checks.check_softmax_loss(variants.softmax_global_shift, cases=cases)
            msg = str(info.value)
            assert "rows_" in msg and "scores.max(axis=1, keepdims=True)" in msg, msg
            assert "right on each row alone" in msg, msg


def test_no_shift_still_gets_the_max_shift_hint_on_rows_apart():
    """On a case whose rows sit far apart alone, is a softmax without any
    shift told about the max-shift, not about a global one?"""
    rows_apart = [c for c in checks.LOSS_CASES["visible"] if c.rows_apart]
    with pytest.raises(CheckFailure) as info:
        checks.check_softmax_loss(variants.softmax_no_shift, cases=rows_apart,
                                  reference=checks.make_reference(
                                      {"softmax": variants.softmax_vectorised},
                                      {"loss": rows_apart, "penalty": []}))
    msg = str(info.value)
    assert "max-shift" in msg and "right on each row alone" not in msg, msg


@pytest.mark.parametrize("fn", [variants.softmax_plain_log, variants.softmax_log_eps,
                                variants.softmax_loops], ids=lambda f: f.__name__)
def test_log_of_p_passes_without_a_warning(fn, capsys):
    """Do -log(p) and log(p + 1e-18), the common correct answers, pass every
    case (visible, hidden and unseen) with no warning on stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grade("softmax", fn)
        for seed in range(5):
            cases = checks.random_cases(np.random.default_rng(seed))
            ref = checks.make_reference({"softmax": variants.softmax_vectorised}, cases)
            checks.check_softmax_loss(fn, cases=cases["loss"], reference=ref)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("seed", range(4))
def test_unseen_cases_keep_every_verdict(seed):
    """On cases drawn for the grader (rows apart, ties of the threshold), does
    every right softmax and soft_threshold pass and every wrong one fail?"""
    cases = checks.random_cases(np.random.default_rng(seed))
    ref = checks.make_reference({"softmax": variants.softmax_vectorised,
                                 "soft_threshold": variants.soft_threshold_right}, cases)
    run = {"softmax": lambda fn: checks.check_softmax_loss(fn, cases=cases["loss"],
                                                            reference=ref),
           "soft_threshold": lambda fn: checks.check_soft_threshold(
               fn, cases=cases["threshold"], reference=ref)}
    for kind, check in run.items():
        for fn in variants.CORRECT[kind]:
            check(fn)
        for fn in variants.WRONG[kind]:
            with pytest.raises(CheckFailure):
                check(fn)


def test_softmax_without_shift_gets_max_shift_hint():
    """Is a softmax that overflows at large scores told about the max-shift,
    without a RuntimeWarning reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailure, match="max-shift"):
            checks.check_softmax_loss(variants.softmax_no_shift)


def test_gradient_failure_reports_index_and_numeric_value():
    """Does a wrong gradient report the index, the analytic, expected and
    numeric values?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_svm_loss(variants.svm_grad_missing_correct_class)
    msg = str(info.value)
    assert "dW[" in msg and "analytic (yours)" in msg and "numeric gradient" in msg


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(W, X, y, reg):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        checks.check_svm_loss(stub)


def test_crash_is_reported_with_inputs():
    """Is an exception inside student code reported with the input shapes?"""
    def broken(W, X, y, reg):
        return W @ X, None
    with pytest.raises(CheckFailure, match=r"raised ValueError.*\n.*array \(4, 3\)"):
        checks.check_svm_loss(broken)


def test_unknown_case_set_and_kind_raise():
    """Do misspelt options fail loudly?"""
    with pytest.raises(ValueError, match="cases"):
        checks.check_svm_loss(variants.svm_vectorised, cases="secret")
    with pytest.raises(ValueError, match="kind"):
        checks.check_penalty(variants.l2_right, "l3")


def test_check_at_least():
    """Does check_at_least pass at the minimum and fail just below it?"""
    checks.check_at_least(0.9, 0.9, "accuracy")
    with pytest.raises(CheckFailure, match="below"):
        checks.check_at_least(0.8999, 0.9, "accuracy")
    with pytest.raises(CheckFailure):
        checks.check_at_least(float("nan"), 0.9, "accuracy")


# ------------------------------------------------- values the grader measures

SVM_SEARCH, SOFTMAX_SEARCH = checks.RECOMPUTED


def measure(entry, fns):
    """``(passed, value)`` of a Recomputed entry, run on local functions."""
    try:
        return True, entry.check(fns, cases=None, reference=None)
    except BelowThreshold as e:
        return False, e.value


def test_recomputed_entries_match_the_solution_notebooks():
    """Does each value the grader measures name the variable and the threshold
    of its test cell's check_at_least, and graded functions of its notebook?"""
    names = {g.name: g.notebook for g in checks.GRADED}
    for entry in checks.RECOMPUTED:
        nb = read_notebook(ROOT / "solutions" / checks.AID / entry.notebook)
        cells = {nbgrader_meta(c).get("grade_id"): cell_source(c) for c in nb["cells"]}
        call = ast.parse(cells[entry.test_cell]).body[0].value
        assert ast.unparse(call.func) == "checks.check_at_least"
        assert call.args[0].id == entry.name and call.args[1].value == entry.minimum
        assert all(names[u] == entry.notebook for u in entry.uses), entry.uses


@pytest.mark.parametrize("cls", variants.CORRECT["classifier"], ids=lambda c: c.__name__)
@pytest.mark.parametrize("loss", variants.CORRECT["svm"], ids=lambda f: f.__name__)
def test_svm_search_confirms_every_right_answer(loss, cls):
    """Does the grader's run of the search of svm.ipynb reach 0.90 with every
    right LinearClassifier and SVM loss, however written?"""
    ok, value = measure(SVM_SEARCH, {"LinearClassifier": cls, "svm_loss_vectorized": loss})
    assert ok and value >= 0.9, value


@pytest.mark.parametrize("cls, loss, reaches", [
    (variants.ClassifierUphill, variants.svm_vectorised, False),
    (variants.ClassifierRight, variants.svm_grad_wrong_sign, False),
    (variants.ClassifierFirstRows, variants.svm_vectorised, True),
    (variants.ClassifierGlobalRandom, variants.svm_vectorised, True),
    (variants.ClassifierRight, variants.svm_no_reg_in_grad, True),
    (variants.ClassifierRight, variants.svm_reg_per_example, True),
    (variants.ClassifierRight, variants.svm_sum_not_mean, True),
    (variants.ClassifierRight, variants.svm_modifies_X, True),
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_svm_search_follows_the_notebook_on_bugs(cls, loss, reaches):
    """Does a bug that breaks training fail the grader's search, and one that
    still trains (as the sample notes say) pass it, as in the notebook?"""
    ok, value = measure(SVM_SEARCH, {"LinearClassifier": cls, "svm_loss_vectorized": loss})
    assert ok == reaches, value
    if not reaches:
        assert value < 0.5


def test_svm_search_names_what_it_measured():
    """Does a failed search say the value it measured, against the threshold,
    and how (the settings tried)?"""
    with pytest.raises(BelowThreshold) as info:
        SVM_SEARCH.check({"LinearClassifier": variants.ClassifierUphill,
                          "svm_loss_vectorized": variants.svm_vectorised},
                         cases=None, reference=None)
    assert re.search(r"measures 0\.\d{4}, below the required 0\.9000", str(info.value))
    assert "9 of its settings tried" in str(info.value)


def test_svm_search_fails_a_classifier_without_weights():
    """Is a classifier whose train leaves no W a failure with a reason?"""
    class NoWeights(variants.ClassifierRight):
        def train(self, X, y, **kwargs):
            return []
    with pytest.raises(CheckFailure, match="W is not an array"):
        SVM_SEARCH.check({"LinearClassifier": NoWeights,
                          "svm_loss_vectorized": variants.svm_vectorised},
                         cases=None, reference=None)


@pytest.mark.parametrize("loss", variants.CORRECT["softmax"] + [variants.softmax_sum_not_mean,
                                                              variants.softmax_no_reg_in_grad,
                                                              variants.softmax_global_shift],
                         ids=lambda f: f.__name__)
def test_softmax_search_confirms_losses_that_train(loss):
    """Does the grader's run of softmax.ipynb's search reach 0.90 with every
    right loss, and with the bugs that still train there?"""
    ok, value = measure(SOFTMAX_SEARCH, {"softmax_loss_vectorized": loss})
    assert ok and value >= 0.9, value


@pytest.mark.parametrize("loss", [variants.softmax_grad_missing_minus_one,
                                  variants.softmax_reg_per_example], ids=lambda f: f.__name__)
def test_softmax_search_fails_losses_that_do_not_train(loss):
    """Does a loss with which the notebook's search stays below 0.90 fail the
    grader's too?"""
    ok, value = measure(SOFTMAX_SEARCH, {"softmax_loss_vectorized": loss})
    assert not ok and value < 0.9, value


def test_softmax_search_refuses_malformed_output():
    """Is a loss that returns no (loss, dW) pair a failure, not a crash?"""
    with pytest.raises(CheckFailure, match="should return"):
        SOFTMAX_SEARCH.check({"softmax_loss_vectorized": lambda W, X, y, reg: 1.0},
                             cases=None, reference=None)


def test_a_measurement_of_stubs_is_a_failure():
    """Is a search with an unanswered stub a BelowThreshold (the notebook's
    search cannot run), not a NotImplementedError of the value?"""
    def stub(W, X, y, reg):
        raise NotImplementedError()
    with pytest.raises(BelowThreshold, match="not implemented"):
        SOFTMAX_SEARCH.check({"softmax_loss_vectorized": stub}, cases=None, reference=None)


def test_check_at_least_prints_the_value_the_grader_reads(capsys):
    """Does check_at_least's success line carry the notebook's value, and is
    it the line every check prints?"""
    checks.check_at_least(0.9467, 0.9, "best validation accuracy")
    out = capsys.readouterr().out
    assert _core.SUCCESS_LINE.search(out)
    assert _core.claimed_value(out) == 0.9467
    assert _core.claimed_value("Traceback ... 0.5 is below the required 0.9") is None


def _shown(shell, source):
    """What the notebook shows of a cell: its traceback's text, colours removed."""
    shown = []
    original = shell._showtraceback
    shell._showtraceback = lambda etype, evalue, stb: shown.append("\n".join(stb))
    try:
        shell.run_cell(source)
    finally:
        shell._showtraceback = original
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(shown))


@pytest.mark.parametrize("body, ends", [
    ("raise NotImplementedError('write the loss')", "NotImplementedError: write the loss"),
    ("return W.sum() + X.missing, W",
     "CheckFailure: svm_loss_naive raised AttributeError: 'numpy.ndarray' object has no "
     "attribute 'missing'"),
    ("return 1.0, 0 * W", "CheckFailure: svm_loss_naive: the loss is wrong on test case"),
])
def test_a_students_traceback_shows_no_frame_of_the_checks(body, ends):
    """In IPython (the notebook), does the traceback of a stub, a crash and a
    wrong answer show the student's cell and function and the check's
    message, but no frame of cs231n/checks/?"""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_cell("from cs231n.checks import linear as checks")
    shell.run_cell(f"def svm_loss_naive(W, X, y, reg):\n    {body}")
    text = _shown(shell, "checks.check_svm_loss(svm_loss_naive)")
    assert "----> 1 checks.check_svm_loss(svm_loss_naive)" in text, text
    assert ends in text, text
    assert "cs231n/checks" not in text and "_core.py" not in text, text
    if "raise" in body or "missing" in body:
        assert f"----> 2     {body}" in text, text
