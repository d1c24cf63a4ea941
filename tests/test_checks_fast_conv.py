"""Soundness of Assignment 6's fast-convolution checks (``conv_forward_im2col``,
``conv_backward_im2col``): every wrong variant loses, every right one passes,
however it builds its windows and scatters its gradients (the variants live
in tests/variants/_a6_fast_conv.py)."""
import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _fast_conv as part
from cs231n.checks import convolution as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a6_convolution  # noqa: F401  (loads the parts by their paths)
from variants import _a6_fast_conv as V

SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


def test_not_implemented_propagates(ref):
    """Does a stub's NotImplementedError reach the notebook unchanged, from the
    forward and from the backward (checked on a right forward)?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        part.check_conv_forward_im2col(stub, reference=ref)
    with pytest.raises(NotImplementedError):
        part.check_conv_backward_im2col(V.conv_forward_windows, stub, reference=ref)
    with pytest.raises(NotImplementedError):
        part.check_conv_backward_im2col(stub, V.conv_backward_offsets, reference=ref)


W, R = V.conv_forward_windows, V.conv_forward_rows   # windows as columns, as rows
HINTS = [
    ("conv_forward_im2col", V.conv_forward_flipped, "filter is flipped.*cross-correlation"),
    ("conv_forward_im2col", V.conv_forward_mixed_order, r"pairs each weight with the wrong "
                                                        r"pixel.*\(C, HH, WW\)"),
    ("conv_forward_im2col", V.conv_forward_bias_per_row, "bias is added per pixel row"),
    ("conv_forward_im2col", V.conv_forward_no_bias, "the bias is missing"),
    ("conv_forward_im2col", V.conv_forward_reshape_NF, r"\(N\*H'\*W', F\) result is "
                                                       r"reshaped straight"),
    ("conv_forward_im2col", V.conv_forward_reshape_FN, r"\(F, N\*H'\*W'\) result is "
                                                       r"reshaped straight"),
    ("conv_forward_im2col", V.conv_forward_off_by_one, "off by one"),
    ("conv_forward_im2col", V.conv_forward_pad_one_side, "zeros are after the image"),
    ("conv_forward_im2col", V.conv_forward_no_size_error, "returned without an error"),
    ("conv_forward_im2col", V.conv_forward_size_check_H_only, r"x 2x1x5x6.*returned without"),
    ("conv_forward_im2col", V.conv_forward_mutates_x, "x was modified in place"),
    ("conv_backward_im2col", (W, V.conv_backward_overwrites), "must ADD every window"),
    ("conv_backward_im2col", (R, V.conv_backward_stride_ignored), "step by the stride"),
    ("conv_backward_im2col", (R, V.conv_backward_not_cropped), "dx still has the padding"),
    ("conv_backward_im2col", (R, V.conv_backward_dw_mixed_order), "dw has the right numbers "
                                                                  "in the wrong places"),
    ("conv_backward_im2col", (R, V.conv_backward_dw_flipped), "dw is flipped"),
    ("conv_backward_im2col", (R, V.conv_backward_dw_per_example), "dw sums over the batch"),
    ("conv_backward_im2col", (R, V.conv_backward_dw_mean), "dw is averaged over the batch"),
    ("conv_backward_im2col", (R, V.conv_backward_db_per_pixel), "one bias per filter"),
    ("conv_backward_im2col", (R, V.conv_backward_db_batch_missing), "one bias per filter"),
    ("conv_backward_im2col", (R, V.conv_backward_mutates_dout), "dout was modified in place"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_conv_forward_im2col(W, cases="secret"), "cases"),
    (lambda: checks.check_conv_forward_im2col(W, cases=[]), "cases"),
    (lambda: checks.check_conv_backward_im2col(W, V.conv_backward_offsets,
                                               cases=[("not", "a", "case")]), "cases"),
    (lambda: checks.check_conv_forward_im2col(np.zeros(3)), "conv_forward_im2col"),
    (lambda: checks.check_conv_backward_im2col(W, None), "conv_backward_im2col"),
    (lambda: part.check_conv_forward_im2col(W, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.ConvCase("bad", 0, N=0, C=1, H=3, W=3, F=1, HH=2, WW=2), "N must be"),
    (lambda: part.ConvCase("bad", 0, N=1, C=1, H=3, W=3, F=1, HH=2, WW=2, pad=-1), "pad"),
    (lambda: part.ConvCase("bad", 0, N=1, C=1, H=5, W=5, F=1, HH=2, WW=2, stride=2),
     "do not fit"),
]
globals().update(part_suite.table_tests(SUITE, hints=[
    pytest.param(kind, fn, hint, id=part_suite.variant_name(fn)) for kind, fn, hint in HINTS],
    bad_arguments=BAD_ARGUMENTS))


def test_a_gradient_failure_reports_the_numeric_gradient(ref):
    """Does a wrong dx say where, with the analytic and the numeric value of the
    student's own forward?"""
    with pytest.raises(CheckFailure, match=r"largest difference at dx\[\d+, \d+, \d+, \d+\]: "
                                           r"analytic \(yours\) .*\n  numeric gradient of "
                                           r"your conv_forward_windows there"):
        part.check_conv_backward_im2col(W, V.conv_backward_overwrites, reference=ref)


def test_a_wrong_forward_is_named_in_the_backwards_failure(ref):
    """When the forward is wrong too, does the backward's failure say to fix it first?"""
    with pytest.raises(CheckFailure, match="your conv_forward_flipped is wrong on this case"):
        part.check_conv_backward_im2col(V.conv_forward_flipped, V.conv_backward_rows,
                                        reference=ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (convolution binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_conv_forward_im2col(W)


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from convolution, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_conv_forward_im2col(W)
        checks.check_conv_backward_im2col(W, V.conv_backward_offsets)


def test_the_visible_cases_show_every_bug_the_catalogue_needs():
    """Do the visible cases have overlapping windows with a stride of 1 and of 2,
    padding, non-square inputs and filters, a case of H' == F (a bias broadcast
    along the rows runs), misfitting sizes in H and in W alone; and does every
    fresh draw have overlap with a stride above 1 and padding?"""
    vis = part.CASES[part.KEY]["visible"]
    assert any(c.overlaps and c.stride == 1 for c in vis)
    assert any(c.overlaps and c.stride > 1 and c.pad > 0 for c in vis)
    assert any(c.H != c.W and c.HH != c.WW for c in vis)
    assert any(c.out_hw[0] == c.F for c in vis)
    assert all(c.C > 1 for c in vis)
    for seed in range(20):
        drawn = part.random_cases(np.random.default_rng(seed))[part.KINDS[0]]
        assert any(c.overlaps and c.stride > 1 and c.pad > 0 and c.C > 1 for c in drawn)
        assert all(c.H >= c.HH and c.W >= c.WW for c in drawn)

    def fits(n, k, s, p):
        return n + 2 * p >= k and (n + 2 * p - k) % s == 0
    for label in ("visible", "hidden"):
        misfits = part.SIZE_ERRORS[label]
        assert all(not (fits(x[2], w[2], s, p) and fits(x[3], w[3], s, p))
                   for x, w, s, p in misfits)
    assert any(fits(x[2], w[2], s, p) for x, w, s, p in part.SIZE_ERRORS["visible"])


def test_expected_outputs_come_from_the_reference(ref):
    """Does a right forward fail against a reference whose output is moved, and a
    right backward against a moved dw?"""
    key = f"{part.KEY}/overlap_pad1/"
    moved = dict(ref, **{key + "out": ref[key + "out"] * (1 + 1e-4)})
    with pytest.raises(CheckFailure, match="out is wrong"):
        part.check_conv_forward_im2col(W, reference=moved)
    moved = dict(ref, **{key + "dw": ref[key + "dw"] * (1 + 1e-4)})
    with pytest.raises(CheckFailure, match="the gradient dw is wrong"):
        part.check_conv_backward_im2col(W, V.conv_backward_offsets, reference=moved)


# ------------------------------------------------- the package holds no answer

# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "windows as a numpy view": r"sliding_window_view\(xp|as_strided\(xp",
    "the column matrix in w's order": r"transpose\((1,4,5,0,2,3|0,2,3,1,4,5)\)\.reshape\("
                                      r"(C\*HH\*WW|N\*Ho\*Wo)",
    "col2im adds every window": r"\]\+=\\?$|\]\+=dcols|np\.add\.at\(dxp",
}
globals().update(part_suite.tripwire(V, ["_fast_conv.py", "_core.py"], RIGHT_PARTS,
                                     strings="drop"))


# ------------------------------------------------ through the grader's protocol

def _wire(x):
    return protocol.decode(*protocol.encode(x))


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results (the
    cache too) cross the grader's protocol."""
    def wrapped(*args):
        return _wire(fn(*(_wire(a) for a in args)))
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol(ref):
    """Do the checks give the same verdicts when the student's functions (and the
    caches between them) cross the integrity worker's protocol?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                grade(kind, tuple(map(through_protocol, v)) if isinstance(v, tuple)
                      else through_protocol(v), ref)
    for kind, v in [("conv_forward_im2col", V.conv_forward_flipped),
                    ("conv_backward_im2col", (W, V.conv_backward_overwrites))]:
        with pytest.raises(CheckFailure):
            grade(kind, tuple(map(through_protocol, v)) if isinstance(v, tuple)
                  else through_protocol(v), ref)


def test_every_draw_has_batches_of_two_or_more():
    """A batch of one hides an output with its (N, F) axes swapped and a dw
    not summed over the batch (the grader once passed the first when all three
    fresh cases drew N = 1): do two of the fresh cases always have N >= 2?"""
    for seed in range(300):
        cases = part.random_cases(np.random.default_rng(seed))
        for kind_cases in cases.values():
            assert sum(case.N >= 2 for case in kind_cases) >= 2, seed
