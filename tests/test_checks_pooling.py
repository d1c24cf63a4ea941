"""Soundness of Assignment 6's pooling checks (max and average pooling, spatial batch
norm): every wrong variant loses, every right one passes, however it is written (the
variants live in tests/variants/_a6_pooling.py)."""
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _pooling as part
from cs231n.checks import convolution as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
from cs231n.notebook import load_answers
import part_suite
from variants import a6_convolution  # noqa: F401  (loads the parts by their paths)
from variants import _a6_pooling as V

ROOT = Path(__file__).resolve().parents[1]

# The namespace a spatial batch-norm variant finds in the notebook: Assignment 4's
# batch norm from the given a4_layers.py.
_SOLVED = load_answers(ROOT / "solutions" / checks.AID / part.NOTEBOOK,
                       given=checks.ASSIGNMENT.given_files)
for _name in ("batchnorm_forward", "batchnorm_backward_alt"):
    setattr(V, _name, _SOLVED[_name])

SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


def test_not_implemented_propagates(ref):
    """Does a stub's NotImplementedError reach the notebook unchanged (a backward's
    check calls the forward first, so a stub in either place)?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()
    right = solutions()
    for g in part.GRADED:
        fns = [right[name] for name in g.uses]
        for k in range(len(fns) + 1):
            args = (fns[:k] + [stub] + fns[k + 1:] + [right[g.name]] if k < len(fns)
                    else fns + [stub])
            with pytest.raises(NotImplementedError):
                part.CHECKS[g.kind](*args, reference=ref)


HINTS = [
    ("max_pool_forward_naive", V.max_pool_forward_stride_ignored, "stride is ignored"),
    ("max_pool_forward_naive", V.max_pool_forward_off_by_one, "off by one"),
    ("max_pool_forward_naive", V.max_pool_forward_no_size_check, "raise a ValueError"),
    ("max_pool_forward_naive", V.max_pool_forward_mean, "this is avg pooling"),
    ("max_pool_backward_naive", V.max_pool_backward_every_max, "ONE, the first maximum"),
    ("max_pool_backward_naive", V.max_pool_backward_overwrites, r"accumulate with \+="),
    ("max_pool_backward_naive", V.max_pool_backward_unravel_transposed, "flat index"),
    ("max_pool_backward_naive", V.max_pool_backward_last_max, "in a tie to the first"),
    ("avg_pool_forward_naive", V.avg_pool_forward_sum, "sum of each window"),
    ("avg_pool_forward_naive", V.avg_pool_forward_off_by_one, "off by one"),
    ("avg_pool_backward_naive", V.avg_pool_backward_not_divided, "times too large"),
    ("avg_pool_backward_naive", V.avg_pool_backward_overwrites, "accumulate with"),
    ("spatial_batchnorm_forward", V.spatial_batchnorm_forward_per_pixel,
     "normalised over the batch alone"),
    ("spatial_batchnorm_forward", V.spatial_batchnorm_forward_over_n_c, r"over \(N, C\)"),
    ("spatial_batchnorm_forward", V.spatial_batchnorm_forward_plain_reshape,
     r"reshaped straight to \(-1, C\)"),
    ("spatial_batchnorm_forward", V.spatial_batchnorm_forward_param_copy,
     "pass bn_param itself"),
    ("spatial_batchnorm_backward", V.spatial_batchnorm_backward_plain_reshape,
     "undo the forward's reshape"),
    ("spatial_batchnorm_backward", V.spatial_batchnorm_backward_mean_dgamma,
     r"averaged over the N \* H \* W rows"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_max_pool_forward_naive(V.max_pool_forward_loops, cases="secret"),
     "cases"),
    (lambda: checks.check_avg_pool_forward_naive(V.avg_pool_forward_loops, cases=[]), "cases"),
    (lambda: checks.check_spatial_batchnorm_forward(
        V.spatial_batchnorm_forward_transpose, cases=part.CASES["pool"]["visible"]), "cases"),
    (lambda: checks.check_avg_pool_forward_naive(np.zeros(3)), "avg_pool_forward_naive"),
    (lambda: checks.check_max_pool_backward_naive(V.max_pool_forward_loops, None),
     "max_pool_backward_naive"),
    (lambda: part.check_max_pool_forward_naive(V.max_pool_forward_loops, reference=None),
     "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.PoolCase("bad", 0, 1, 1, 5, 5, 2, 2, 2), "windows that fit"),
    (lambda: part.PoolCase("bad", 0, 1, 1, 3, 3, 4, 4, 1), "windows that fit"),
    (lambda: part.SBNCase("bad", 0, 0, 1, 2, 2), "positive sizes"),
    (lambda: part.SBNCase("bad", 0, 2, 1, 2, 2, train_calls=0, test_call=True),
     "running=True"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS, bad_arguments=BAD_ARGUMENTS))


def test_the_cases_exercise_ties_overlap_and_rectangles():
    """Do the visible cases and every draw of random_cases hold the situations the
    wrong variants need: windows with several maxima, overlapping windows, and
    windows of different height and width?"""
    tables = [part.CASES["pool"]["visible"]] + [
        part.random_cases(np.random.default_rng(s))["max_pool_backward_naive"]
        for s in range(20)]
    for cases in tables:
        tied = [c for c in cases if c.ties]
        assert any(c.overlap for c in tied) and any(c.ph != c.pw for c in cases)
        for c in tied:
            x = part._pool_inputs(c)["in_x"]
            # the first window of the case has two maxima or more
            win = x[0, 0, :c.ph, :c.pw]
            assert np.sum(win == win.max()) >= 2
        assert all(np.all(part._pool_inputs(c)["in_dout"] > 0) for c in cases)


def test_the_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from convolution, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_max_pool_backward_naive(V.max_pool_forward_loops,
                                             V.max_pool_backward_argmax)
        checks.check_spatial_batchnorm_forward(V.spatial_batchnorm_forward_transpose)


def test_a_wrong_forward_is_named_in_the_backward_failure(ref):
    """Does a backward checked on a wrong forward's cache say that the forward is
    wrong too?"""
    def forward(x, pool_param):
        out, cache = V.max_pool_forward_loops(x, pool_param)
        return out + 1.0, cache
    with pytest.raises(CheckFailure, match="max_pool_backward_every_max.*\n.*\n.*\n.*"
                                           "your forward is wrong"):
        part.check_max_pool_backward_naive(forward, V.max_pool_backward_every_max,
                                           reference=ref, cases="visible")


def behind_proxy(fn):
    """The function as the grader sees it in another process: arguments and
    results go through the wire protocol, and the array and dict arguments come
    back as they are after the call."""
    def proxy(*args):
        sent = protocol.decode(*protocol.encode(list(args)))
        result = fn(*sent)
        back = protocol.decode(*protocol.encode({"result": result, "args": sent}))
        for a, r in zip(args, back["args"]):
            if isinstance(a, np.ndarray):
                np.copyto(a, r)
            elif isinstance(a, dict):
                a.clear()
                a.update(r)
        return back["result"]
    proxy.__name__ = fn.__name__
    return proxy


def test_checks_work_behind_the_graders_proxy(ref):
    """Do right layers (whose bn_param and caches cross the wire) still pass, and
    wrong ones still fail, when they run in another process?"""
    with quiet():
        for kind in ("max_pool_forward_naive", "spatial_batchnorm_forward"):
            grade(kind, behind_proxy(V.CORRECT[kind][0]), ref)
        grade("max_pool_backward_naive", (behind_proxy(V.max_pool_forward_loops),
                                          behind_proxy(V.max_pool_backward_argmax)), ref)
    for kind, v in [("spatial_batchnorm_forward", V.spatial_batchnorm_forward_param_copy),
                    ("max_pool_backward_naive", V.max_pool_backward_every_max)]:
        assert caught(kind, behind_proxy(v), cases=dict.fromkeys(part.KINDS, "visible"),
                      reference=ref)


@pytest.mark.parametrize("kind, key", [
    ("max_pool_forward_naive", "max/out"), ("max_pool_backward_naive", "max/dx"),
    ("avg_pool_forward_naive", "avg/out"), ("avg_pool_backward_naive", "avg/dx"),
    ("spatial_batchnorm_forward", "running_var"), ("spatial_batchnorm_backward", "dgamma")])
def test_expected_values_come_from_the_reference(kind, key, ref):
    """Does a right variant fail against a reference whose values are moved?"""
    moved = {k: (v * (1 + 1e-4) if k.endswith("/" + key) and "/in_" not in k else v)
             for k, v in ref.items()}
    with pytest.raises(CheckFailure, match="wrong"):
        grade(kind, V.CORRECT[kind][0], moved, labels=("visible",))


# ------------------------------------------------- the package holds no answer

# Key parts of the right answers, as they read in code without spaces or strings.
RIGHT_PARTS = {
    "a window of every example and channel": r"x\[:,:,i\*s:i\*s\+ph,j\*s:j\*s\+pw\]",
    "the first maximum, unravelled in its window": r"unravel_index\(np\.argmax\(",
    "the average's share of a window's gradient": r"/\(ph\*pw\)",
    "pixels as rows, channels as columns": r"transpose\(0,2,3,1\)\.reshape\(-1,C\)",
}
globals().update(part_suite.tripwire(V, ["_pooling.py", "_core.py"], RIGHT_PARTS,
                                     strings="drop"))
