"""Soundness of Assignment 5's validation checks (k-fold indices, cross-validation,
bootstrap, bias-variance): every wrong variant loses, every right one passes,
whatever folds or indices it draws (the variants live in tests/variants/_a5_validation.py)."""
import math
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _validation as part
from cs231n.checks import practice as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a5_practice  # noqa: F401  (loads the parts by their paths)
from variants import _a5_validation as V

ROOT = Path(__file__).resolve().parents[1]
SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


HINTS = [
    ("kfold_indices", V.kfold_drops_remainder, r"N % k = 1 left over"),
    ("kfold_indices", V.kfold_overlapping, "validation folds overlap"),
    ("kfold_indices", V.kfold_no_shuffle, "block of consecutive indices"),
    ("kfold_indices", V.kfold_np_random, "same seed give different folds"),
    ("kfold_indices", V.kfold_own_generator, "two different seeds give the same folds"),
    ("kfold_indices", V.kfold_ignores_y, "not stratified"),
    ("kfold_indices", V.kfold_stratified_first_folds, "balanced classes are not enough"),
    ("kfold_indices", V.kfold_train_has_val, "contains .* of its own validation fold"),
    ("kfold_indices", V.kfold_train_off_by_one, "contains .* of its own validation fold"),
    ("kfold_indices", V.kfold_no_value_error, "raise a ValueError"),
    ("kfold_indices", V.kfold_masks, "boolean mask"),
    ("cross_validate", V.cross_validate_global_mean, "mean of ALL of X: the validation fold "
                                                     "leaks"),
    ("cross_validate", V.cross_validate_no_centring, "not centred"),
    ("cross_validate", V.cross_validate_own_val_mean, "X_val is centred with its own mean"),
    ("cross_validate", V.cross_validate_trains_on_val, "trained on the validation fold"),
    ("cross_validate", V.cross_validate_trains_on_all, "trained on all of X"),
    ("cross_validate", V.cross_validate_complement, "use the train_idx you are given"),
    ("cross_validate", V.cross_validate_in_place, "the input X was modified in place"),
    ("cross_validate", V.cross_validate_mean_score, r"shape \(3,\)"),
    ("cross_validate", V.cross_validate_unaligned_labels, "does not match the rows"),
    ("bootstrap_indices", V.bootstrap_permutation, "without replacement"),
    ("bootstrap_indices", V.bootstrap_no_replace, "without replacement"),
    ("bootstrap_indices", V.bootstrap_np_random, "same seed give different indices"),
    ("bootstrap_indices", V.bootstrap_off_by_one, "N - 1 is never drawn"),
    ("bootstrap_indices", V.bootstrap_one_based, "run from 1 to N"),
    ("bootstrap_indices", V.bootstrap_floats, "expected integers"),
    ("bootstrap_indices", V.bootstrap_own_generator, "do not depend on rng"),
    ("bias_variance", V.bias_variance_not_squared, "not squared"),
    ("bias_variance", V.bias_variance_swapped_order, "square of the mean difference"),
    ("bias_variance", V.bias_variance_mse_as_bias, r"mean squared error .*bias\^2 \+ variance"),
    ("bias_variance", V.bias_variance_ddof1, r"ddof=1.*exact with the mean over\s+the B"),
    ("bias_variance", V.bias_variance_over_points, "variance over the points of each refit"),
    ("bias_variance", V.bias_variance_pooled, "all predictions pooled"),
    ("bias_variance", V.bias_variance_std, "variance is wrong"),
    ("bias_variance", V.bias_variance_swapped_outputs, r"swapped, return \(bias2, variance\)"),
    ("bias_variance", V.bias_variance_in_place, "predictions was modified in place"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_kfold_indices(V.kfold_deal, cases="secret"), "cases"),
    (lambda: checks.check_kfold_indices(V.kfold_deal, cases=[]), "cases"),
    (lambda: checks.check_cross_validate(V.cross_validate_loop,
                                         cases=part.CASES["kfold_indices"]["visible"]),
     "cases"),
    (lambda: checks.check_bias_variance(np.zeros(3)), "bias_variance"),
    (lambda: checks.check_bootstrap_indices(None), "bootstrap_indices"),
    (lambda: part.check_kfold_indices(V.kfold_deal, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.KFoldCase("bad", 0, N=5, k=6), "k <= N"),
    (lambda: part.KFoldCase("bad", 0, N=5, k=2, counts=(2, 2)), "counts"),
    (lambda: part.CVCase("bad", 0, N=5, D=2, k=2, holdout=True), "holdout"),
    (lambda: part.BootstrapCase("bad", 0, N=0), "N >= 1"),
    (lambda: part.BiasVarianceCase("bad", 0, B=1, M=3), "B >= 2"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS,
                                        bad_arguments=BAD_ARGUMENTS))


def test_a_failure_reports_index_and_values(ref):
    """Does a wrong cross_validate say which fold, row and feature, with both values?"""
    with pytest.raises(CheckFailure, match=r"fold 0 .*\n.*row \d+, feature \d+ .*yours "
                                           r"-?\d.*expected -?\d"):
        part.check_cross_validate(V.cross_validate_no_centring, reference=ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (practice binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_bias_variance(V.bias_variance_axis)


def test_right_random_answers_pass_many_fresh_draws():
    """Do the right fold and bootstrap functions, whose draws differ on every
    case, pass 10 fresh sets of unseen cases?"""
    with quiet():
        for seed in range(100, 110):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(solutions(), cases)
            for kind in ("kfold_indices", "bootstrap_indices"):
                for v in V.CORRECT[kind]:
                    GRADED[kind].check({kind: v}, cases=cases, reference=reference)


def test_the_bounds_are_as_documented():
    """Are the statistical checks as sure as the module says: a right answer
    fails a run with probability below 1e-8, and the wrong draws they target
    (a permutation, a missing last index, folds ignoring y) fail with
    certainty on the visible and hidden cases and on every random draw?"""
    draws = [part.random_cases(np.random.default_rng(s)) for s in range(30)]
    boot = [c for d in draws for c in d["bootstrap_indices"]]
    tables = part.CASES["bootstrap_indices"]
    n_stats = 0
    for case in tables["visible"] + tables["hidden"] + boot:
        N = case.N
        if case.repeats:
            n = case.repeats * N
            t = math.sqrt(math.log(2 * N / part.DELTA) / (2 * n))
            n_stats += 1
            if N > 1:
                assert t < 0.5 / N, case            # a never-drawn index fails
        if N >= 31:
            assert math.lgamma(N + 1) - N * math.log(N) < math.log(part.DELTA), case
        if N >= 1000:
            n_stats += 1
            assert math.sqrt(N * math.log(2 / part.DELTA) / 2) < 0.1 * N
    assert sum(c.N >= 1000 for c in tables["visible"]) >= 1
    assert part.DELTA * 10 <= 1e-8
    # The stratified cases: ignoring y fails them (checked on every draw by
    # test_random_cases_catch_every_bug_whatever_the_draw); the different-seed
    # check applies where the coincidence of right draws is below SAME.
    for d in draws:
        c = d["kfold_indices"][1]
        assert c.N >= 800 and len(c.counts) >= 5
        assert sum(n % c.k != 0 for n in c.counts) >= 2


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from practice, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_bias_variance(V.bias_variance_axis)


def test_the_recorder_is_a_trusted_helper_of_the_assignment():
    """Does the assignment's contract list the recorder that check_cross_validate
    hands to student code, so that the integrity worker can build it?"""
    assert part.HELPERS == {"CVRecorder": part._Recorder}
    assert checks.ASSIGNMENT.helpers.get("CVRecorder") is part._Recorder


# ------------------------------------------------ through the grader's protocol

def _wire(x):
    return protocol.decode(*protocol.encode(x))


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol (a generator as a copy of its state); the recorder, a
    trusted helper, is built anew in the worker and its calls come back."""
    def wrapped(*args, **kwargs):
        local = [a for a in args if isinstance(a, part._Recorder)]
        args = [part._Recorder() if isinstance(a, part._Recorder) else _wire(a) for a in args]
        result = fn(*args, **_wire(kwargs))
        for mine, theirs in zip(local, [a for a in args if isinstance(a, part._Recorder)]):
            mine.calls = _wire(theirs.calls)
        return _wire(result)
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol(ref):
    """Do the checks give the same verdicts when the student's functions run in
    the integrity worker?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                grade(kind, through_protocol(v), ref)
    for kind, v in [("kfold_indices", V.kfold_np_random),
                    ("cross_validate", V.cross_validate_global_mean),
                    ("bootstrap_indices", V.bootstrap_permutation),
                    ("bias_variance", V.bias_variance_ddof1)]:
        with pytest.raises(CheckFailure):
            grade(kind, through_protocol(v), ref)


def test_a_value_error_raised_in_the_worker_counts(ref):
    """Is the ValueError for a bad k recognised when it comes back from the
    integrity worker (as an exception class named ValueError)?"""
    from cs231n.grading.integrity import _remote_exception

    def remote(*args, **kwargs):
        try:
            return V.kfold_deal(*args, **kwargs)
        except ValueError as e:
            raise _remote_exception({"type": "ValueError", "message": str(e)}) from None
    remote.__name__ = "kfold_indices"
    with quiet():
        grade("kfold_indices", remote, ref)


# ------------------------------------------------- the package holds no answer


# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "folds dealt or split from a shuffle": r"\[i::k\]|array_split\(rng\.permutation",
    "a training fold's mean": r"X\[(train_idx|tr|t)\]\.mean\(axis=0\)",
    "uniform indices with replacement": r"integers\(0,N,size=N\)|choice\(N,size=N,replace=True",
    "a mean over the refits": r"predictions\.mean\(axis=0\)",
    "a variance over the refits": r"\.var\(axis=0\)",
}
globals().update(part_suite.tripwire(V, ["_validation.py", "_core.py"], RIGHT_PARTS,
                                     strings="drop"))


def _moved(ref, keys, by):
    return {k: (v * (1 + by) if k in keys else v) for k, v in ref.items()}


@pytest.mark.parametrize("kind, suffix, message", [
    ("cross_validate", "/0/X_train", "X_train passed to fit_and_score for fold 0 is wrong"),
    ("cross_validate", "/scores", "the scores are wrong"),
    ("bias_variance", "/bias2", "bias2 is wrong"),
    ("bias_variance", "/variance", "variance is wrong"),
])
def test_expected_values_come_from_the_reference(kind, suffix, message, ref):
    """Does a right function fail against a reference whose output is moved?"""
    keys = {k for k in ref if k.startswith(kind + "/") and k.endswith(suffix)
            and "/cf_" not in k}
    assert keys
    with pytest.raises(CheckFailure, match=message):
        grade(kind, V.CORRECT[kind][0], _moved(ref, keys, 1e-3), labels=("visible",))


def test_fold_sizes_come_from_the_reference(ref):
    """Does a right kfold_indices fail against a reference with other fold sizes?"""
    moved = dict(ref)
    key = "kfold_indices/small/val_sizes"
    moved[key] = ref[key] + np.array([-1] + [0] * (len(ref[key]) - 2) + [1])
    with pytest.raises(CheckFailure, match="sizes"):
        part.check_kfold_indices(V.kfold_deal, reference=moved)
