"""Soundness of Assignment 1's checks: every wrong variant loses, every right
one passes (the variants live in tests/variants/a1_linear.py)."""
import warnings

import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import linear as checks
from variants import a1_linear as variants

RUNNERS = {
    "svm": checks.check_svm_loss,
    "softmax": checks.check_softmax_loss,
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
