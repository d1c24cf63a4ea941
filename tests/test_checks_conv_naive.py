"""Soundness of Assignment 6's naive convolution checks (output size, 1-D, 2-D and
3-D forward and backward): every wrong variant loses, every right one passes,
however it is written (the variants live in tests/variants/_a6_conv_naive.py)."""
import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _conv_naive as part
from cs231n.checks import convolution as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a6_convolution  # noqa: F401  (loads the parts by their paths)
from variants import _a6_conv_naive as V

SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)

FWD, BWD = "conv_forward_naive", "conv_backward_naive"
RIGHT_FWD = V.conv_forward_loops

HINTS = [
    ("conv_output_size", V.conv_output_size_no_plus_one, r"the \+ 1"),
    ("conv_output_size", V.conv_output_size_pad_once, "padding counted once"),
    ("conv_output_size", V.conv_output_size_floor, "raise a ValueError that names the sizes"),
    ("conv_output_size", V.conv_output_size_float_result, "a size is an int"),
    ("conv_output_size", V.conv_output_size_silent_error, "does not name the sizes"),
    (FWD, V.conv_forward_flipped, "filter flipped.*cross-correlation"),
    (FWD, V.conv_forward_pad_all_axes, "batch \\(and channel\\) axes were padded"),
    (FWD, V.conv_forward_one_side, "padded on one side only"),
    (FWD, V.conv_forward_pad_before_only, "one side only"),
    (FWD, V.conv_forward_no_plus_one, "one short"),
    (FWD, V.conv_forward_bias_broadcast, "could not be broadcast"),
    (FWD, V.conv_forward_bias_per_channel, "once per input channel"),
    (FWD, V.conv_forward_no_error, "do not fit"),
    (FWD, V.conv_forward_mutates_x, "modified in place"),
    (BWD, (RIGHT_FWD, V.conv_backward_stride_ignored), "right at stride 1 but not at stride"),
    (BWD, (RIGHT_FWD, V.conv_backward_dw_last_example), "last example's gradient alone"),
    (BWD, (RIGHT_FWD, V.conv_backward_db_per_example), "db has one entry per filter"),
    (BWD, (RIGHT_FWD, V.conv_backward_no_crop), "crop the padding"),
    (BWD, (RIGHT_FWD, V.conv_backward_dw_mean), "divided by N"),
    (BWD, (RIGHT_FWD, V.conv_backward_flipped), "numeric gradient of your"),
    ("conv1d_forward_naive", V.conv1d_forward_bias_per_position, "one number per filter"),
    ("conv1d_forward_naive", V.conv1d_forward_pad_channels, "spatial axes"),
    ("conv1d_backward_naive", (V.conv1d_forward_loops, V.conv1d_backward_stride_ignored),
     "i \\* stride"),
    ("conv3d_forward_naive", V.conv3d_forward_one_side, "one side only"),
    ("conv3d_forward_naive", V.conv3d_forward_flipped, "without flipping w"),
    ("conv3d_backward_naive", (V.conv3d_forward_loops, V.conv3d_backward_dw_last_example),
     r"\+=, not ="),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_conv_forward_naive(RIGHT_FWD, cases="secret"), "cases"),
    (lambda: checks.check_conv_forward_naive(RIGHT_FWD, cases=[]), "cases"),
    (lambda: checks.check_conv_forward_naive(RIGHT_FWD,
                                             cases=part.SIZE_CASES["visible"]), "cases"),
    (lambda: checks.check_conv_output_size(np.zeros(3)), "conv_output_size"),
    (lambda: checks.check_conv_backward_naive(RIGHT_FWD, None), "conv_backward_naive"),
    (lambda: part.check_conv_forward_naive(RIGHT_FWD, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.SizeCase("bad", 0, 3, 0, 1), "size"),
    (lambda: part.SizeCase("bad", 5, 3, -1, 1), "pad"),
    (lambda: part.ConvCase("bad", 0, N=1, C=1, F=1, size=(6,), filt=(3,), stride=2),
     "does not fit"),
    (lambda: part.ConvCase("bad", 0, N=1, C=1, F=1, size=(6, 6), filt=(3,)), "same length"),
    (lambda: part.ConvCase("bad", 0, N=1, C=1, F=1, size=(6,), filt=(3,),
                                dtype="int8"), "dtype"),
    (lambda: part.check_conv3d_forward_naive(
        V.conv3d_forward_loops, reference={},
        cases=[part.ConvCase("absent", 0, N=1, C=1, F=1, size=(3, 3, 3), filt=(2, 2, 2))]),
     "make_reference"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS, bad_arguments=BAD_ARGUMENTS))


def test_a_failure_reports_index_and_values(ref):
    """Does a wrong forward say where, with both values?"""
    with pytest.raises(CheckFailure, match=r"largest difference at out\[\d+, \d+, \d+, \d+\]: "
                                           r"yours -?\d.*expected -?\d"):
        part.check_conv_forward_naive(V.conv_forward_flipped, reference=ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (convolution binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_conv_forward_naive(RIGHT_FWD)


def test_expected_outputs_come_from_the_reference(ref):
    """Does a right forward fail against a reference whose output is moved?"""
    moved = {k: (v * (1 + 1e-3) if k.endswith("/out") and k.startswith("conv2d/") else v)
             for k, v in ref.items()}
    with pytest.raises(CheckFailure, match="out is wrong"):
        part.check_conv_forward_naive(RIGHT_FWD, reference=moved)


def test_float32_inputs_pass_with_float32_outputs(ref):
    """Is a right answer that keeps float32 (out of x's dtype) within the documented
    float32 tolerance?"""
    with quiet():
        for label in ("visible", "hidden"):
            part.check_conv_forward_naive(V.conv_forward_einsum, reference=ref, cases=label)


def test_the_visible_cases_cover_what_the_bugs_need():
    """Do the visible cases of every dimension have stride 1 before a strided case,
    padding on both sides, several examples, a float32 case, and rectangular filters?"""
    for d in (1, 2, 3):
        cases = part.CONV_CASES[d]["visible"]
        assert cases[0].stride == 1 and cases[0].pad == 0
        assert any(c.stride == 2 for c in cases) and any(c.stride == 3 for c in cases)
        assert any(c.pad >= 1 for c in cases) and all(c.N >= 1 for c in cases)
        assert any(c.dtype == "float32" for c in cases)
        if d > 1:
            assert any(len(set(c.filt)) > 1 for c in cases)


def test_right_answers_pass_many_fresh_draws():
    """Do the right answers pass 10 further sets of unseen cases?"""
    with quiet():
        for seed in range(100, 110):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(solutions(), cases)
            for kind, vs in V.CORRECT.items():
                for v in vs:
                    GRADED[kind].check(SUITE.fns(kind, v), cases=cases, reference=reference)


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from convolution, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_conv_output_size(V.conv_output_size_divmod)
        checks.check_conv1d_backward_naive(V.conv1d_forward_loops, V.conv1d_backward_loops)


def test_the_backward_is_checked_on_the_students_own_cache(ref):
    """Does a backward that reads a cache layout of its own pass with its own
    forward (the cache is the student's)?"""
    with quiet():
        grade(BWD, (V.conv_forward_einsum, V.conv_backward_einsum), ref)


# ------------------------------------------------ through the grader's protocol

def _wire(x):
    return protocol.decode(*protocol.encode(x))


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results (caches
    included) cross the grader's protocol."""
    def wrapped(*args):
        return _wire(fn(*[_wire(a) for a in args]))
    wrapped.__name__ = fn.__name__
    return wrapped


def _wired(v):
    return tuple(map(through_protocol, v)) if isinstance(v, tuple) else through_protocol(v)


def test_checks_work_through_the_graders_protocol(ref):
    """Do the checks give the same verdicts when the student's functions (and the
    caches they hand each other) run in the integrity worker?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                grade(kind, _wired(v), ref)
    for kind, v in [(FWD, V.conv_forward_flipped), (FWD, V.conv_forward_no_error),
                    (BWD, (RIGHT_FWD, V.conv_backward_stride_ignored)),
                    ("conv_output_size", V.conv_output_size_floor)]:
        with pytest.raises(CheckFailure):
            grade(kind, _wired(v), ref)


# ------------------------------------------------- the package holds no answer

# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "the output-size formula": r"//stride\+1|/stride\+1|//s\+1",
    "a window times the filter": r"\*w\[f\]\)\+b\[f\]",
    "the gradient scattered into the padded input": r"\+=w\[f\]\*dout\[n,f",
}
globals().update(part_suite.tripwire(V, ["_conv_naive.py", "_core.py"], RIGHT_PARTS))
