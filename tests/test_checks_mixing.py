"""Soundness of Assignment 5's mixing checks (label smoothing, soft-target
cross-entropy, mixup, cutmix): every wrong variant loses, every right one passes,
whatever lambdas, partners and boxes it draws (the variants live in
tests/variants/_a5_mixing.py)."""
import math
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _mixing as part
from cs231n.checks import practice as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a5_practice  # noqa: F401  (loads the parts by their paths)
from variants import _a5_mixing as V

ROOT = Path(__file__).resolve().parents[1]
SUITE = part_suite.soundness(part, V, checks.AID, random_seeds=3)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


HINTS = [
    ("smooth_labels", V.smooth_labels_not_normalised, "sums to 0.975, not 1"),
    ("smooth_labels", V.smooth_labels_c_minus_one, r"epsilon / \(C - 1\) on the other"),
    ("smooth_labels", V.smooth_labels_shifted, "class y - 1"),
    ("smooth_labels", V.smooth_labels_transposed, "transpose"),
    ("smooth_labels", V.smooth_labels_ignores_epsilon, "epsilon is ignored"),
    ("smooth_labels", V.smooth_labels_no_value_error, "raise a ValueError"),
    ("softmax_cross_entropy", V.softmax_cross_entropy_not_averaged_grad,
     "not divided by N = 4"),
    ("softmax_cross_entropy", V.softmax_cross_entropy_sum, "sum over the N = 4 examples"),
    ("softmax_cross_entropy", V.softmax_cross_entropy_unstable,
     "not finite .*scores near 1000(.|\n)*subtract each row's maximum"),
    ("softmax_cross_entropy", V.softmax_cross_entropy_hard_labels, "hard labels"),
    ("softmax_cross_entropy", V.softmax_cross_entropy_wrong_axis, r"over the examples \(axis"),
    ("mixup", V.mixup_targets_other_weight, "mixed with 1 - lam on their own row"),
    ("mixup", V.mixup_second_draw, "same lam.* as the inputs"),
    ("mixup", V.mixup_uniform, "looks uniform"),
    ("mixup", V.mixup_reversed, "partners do not depend on rng"),
    ("mixup", V.mixup_with_replacement, "not a permutation"),
    ("mixup", V.mixup_one_lambda, "same lam = "),
    ("mixup", V.mixup_in_place, "the input X was modified in place"),
    ("mixup", V.mixup_np_random, "same seed give different outputs"),
    ("cutmix", V.cutmix_lam_as_weight, "after clipping and rounding"),
    ("cutmix", V.cutmix_wraps, "wraps around the border"),
    ("cutmix", V.cutmix_other_partner, "same partners for the inputs and the targets"),
    ("cutmix", V.cutmix_side_from_lam, r"not W \(1 - lam\)"),
    ("cutmix", V.cutmix_swapped_weights, "weights are swapped"),
    ("cutmix", V.cutmix_in_place, "the input X was modified in place"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_smooth_labels(V.smooth_labels_eye, cases="secret"), "cases"),
    (lambda: checks.check_mixup(V.mixup_beta_perm, cases=[]), "cases"),
    (lambda: checks.check_cutmix(V.cutmix_slices, cases=part.CASES["mixup"]["visible"]),
     "cases"),
    (lambda: checks.check_softmax_cross_entropy(np.zeros(3)), "softmax_cross_entropy"),
    (lambda: checks.check_cutmix(None), "cutmix"),
    (lambda: part.check_mixup(V.mixup_beta_perm, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.SmoothCase("bad", 0, N=3, C=3, epsilon=0.1), "N != C"),
    (lambda: part.SmoothCase("bad", 0, N=3, C=4, epsilon=1.5), "epsilon"),
    (lambda: part.XentCase("bad", 0, N=3, C=4, targets="hard"), "targets"),
    (lambda: part.MixupCase("bad", 0, (5,), C=3, alpha=1.0), "shape"),
    (lambda: part.CutmixCase("bad", 0, N=5, H=4, W=4, C=3, alpha=0.0), "alpha > 0"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS,
                                        bad_arguments=BAD_ARGUMENTS))


def test_a_failure_reports_index_and_values(ref):
    """Does a wrong smooth_labels say which entry, with both values?"""
    with pytest.raises(CheckFailure, match=r"targets\[\d+, \d+\]: yours 0.9, expected 0.925"):
        part.check_smooth_labels(V.smooth_labels_not_normalised, reference=ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (practice binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_cutmix(V.cutmix_slices)


def test_the_statistics_are_as_documented():
    """Do the statistical cases have the sizes the docstring's bounds need: a mixup
    case of N >= 2000 at alpha = 0.2 (visible, hidden, every random draw), where
    uniform lambdas are caught with certainty, and cutmix box-size cases at
    alpha = SIZE_ALPHA with 1 - lam outside the band with probability below 1e-4?"""
    def mixup_stats(cases):
        return [c for c in cases if c.shape[0] >= 2000 and c.alpha == 0.2]

    def box_cases(cases):
        return [c for c in cases if c.alpha >= part.SIZE_ALPHA and c.N >= 400
                and min(c.H, c.W) >= 24]
    for label in ("visible", "hidden"):
        assert mixup_stats(part.CASES["mixup"][label])
        assert box_cases(part.CASES["cutmix"][label])
    for s in range(20):
        cases = part.random_cases(np.random.default_rng(s))
        assert mixup_stats(cases["mixup"]) and box_cases(cases["cutmix"])
    n = 2000
    t = math.sqrt(math.log(2 / part.DELTA) / (2 * n))
    second = 1 / (4 * (2 * 0.2 + 1))
    assert abs(second - 1 / 12) > 2 * (t / 4 + part.FIXED / (4 * n))
    # Sub-Gaussian tail of Beta(a, a) (variance proxy 1 / (4 (2a + 1))) at 0.05.
    sigma2 = 1 / (4 * (2 * part.SIZE_ALPHA + 1))
    p = 2 * math.exp(-0.05 ** 2 / (2 * sigma2))
    assert p < 1e-4
    # 10 or more of 400 examples outside the band: below 1e-20.
    assert math.comb(400, 10) * p ** 10 < 1e-20
    # 20 or more fixed points of a uniform permutation: below 1e-18.
    assert sum(1 / math.factorial(k) for k in range(20, 40)) < 1e-18


def test_right_random_answers_pass_many_fresh_draws():
    """Do the right mixup and cutmix functions, whose draws differ on every case,
    pass 4 fresh sets of unseen cases?"""
    with quiet():
        for seed in range(100, 104):
            cases = part.random_cases(np.random.default_rng(seed))
            cases = {k: cases[k] for k in ("mixup", "cutmix")}
            reference = part.make_reference(solutions(), cases)
            for kind in cases:
                for v in V.CORRECT[kind]:
                    GRADED[kind].check({kind: v}, cases=cases, reference=reference)


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol (a generator arrives as a copy of its state)."""
    def wrapped(*args):
        args = protocol.decode(*protocol.encode(args))
        return protocol.decode(*protocol.encode(fn(*args)))
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol(ref):
    """Do the checks give the same verdicts when the student's functions run in
    the integrity worker, where the rng arrives as a copy of its state?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            grade(kind, through_protocol(vs[0]), ref)
        for kind, v in [("mixup", V.mixup_np_random), ("cutmix", V.cutmix_lam_as_weight),
                        ("smooth_labels", V.smooth_labels_no_value_error)]:
            with pytest.raises(CheckFailure):
                grade(kind, through_protocol(v), ref)


# ------------------------------------------------- the package holds no answer

# Key parts of right answers, as they read in code without spaces, comments or
# strings: a Beta draw, a random permutation, a max shift before exp, the box
# side from a square root of 1 - lam, epsilon spread over the classes.
RIGHT_PARTS = {
    "a Beta draw": r"\.beta\(|\.gamma\(",
    "a random permutation": r"\.permutation\(",
    "an exponential": r"np\.exp\(",
    "the square root of 1 - lam": r"sqrt\(1(\.0*)?-",
    "epsilon over the classes": r"epsilon/(num_classes|C)\b",
}
globals().update(part_suite.tripwire(V, ["_mixing.py", "_core.py"], RIGHT_PARTS))


