"""Part of Assignment 6's checks: the output-size formula and the naive
convolution, forward and backward, in 1-D, 2-D and 3-D (``conv_naive.ipynb``).

Graded functions, with CS231n's signatures:

- ``conv_output_size(size, filter_size, pad, stride) -> int``, and a
  ValueError naming the sizes when a filter does not fit;
- ``conv_forward_naive(x, w, b, conv_param) -> (out, cache)`` on x (N, C, H, W)
  and w (F, C, HH, WW), ``conv_param`` with ``stride`` and ``pad``, and
  ``conv_backward_naive(dout, cache) -> (dx, dw, db)``;
- ``conv1d_forward_naive`` / ``conv1d_backward_naive`` on x (N, C, W) and
  ``conv3d_forward_naive`` / ``conv3d_backward_naive`` on x (N, C, D, H, W),
  with the same ``conv_param``.

The convolution is CS231n's, as every framework's: a cross-correlation (the
filter is not flipped), zero padding on the spatial axes only and on both
sides, one bias per filter.  A forward must raise a ValueError for sizes
that do not fit.

A backward is checked on the cache of the student's own forward; its
gradients are compared with the solution's and, at the worst index, with a
centred difference of the student's forward.  Expected values come from the
reference (the solution's outputs, and the solution's outputs on changed
inputs for the hints: the filter flipped, the input padded on one side, the
bias set to zero, one example alone); nothing here computes a right answer.

Tolerances: float64 outputs ``rtol=1e-7, atol=1e-9`` and gradients
``rtol=1e-6, atol=1e-8``; float32 inputs ``rtol=1e-4, atol=1e-4`` (a sum of
up to a hundred float32 products, in any order).
"""
from dataclasses import KW_ONLY, dataclass

import numpy as np

from . import _core
from ._core import (call, close, expect_value_error, fail, first_hint,
                    inputs_kept, passed, worst_index)

__all__ = ["check_conv_output_size", "check_conv_forward_naive", "check_conv_backward_naive",
           "check_conv1d_forward_naive", "check_conv1d_backward_naive",
           "check_conv3d_forward_naive", "check_conv3d_backward_naive"]

NOTEBOOK = "conv_naive.ipynb"
KINDS = ("conv_output_size", "conv1d_forward_naive", "conv1d_backward_naive",
         "conv_forward_naive", "conv_backward_naive", "conv3d_forward_naive",
         "conv3d_backward_naive")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
DIMS = {"conv1d_forward_naive": 1, "conv1d_backward_naive": 1, "conv_forward_naive": 2,
        "conv_backward_naive": 2, "conv3d_forward_naive": 3, "conv3d_backward_naive": 3}
FORWARD = {1: "conv1d_forward_naive", 2: "conv_forward_naive", 3: "conv3d_forward_naive"}
BACKWARD = {1: "conv1d_backward_naive", 2: "conv_backward_naive", 3: "conv3d_backward_naive"}
AXES = {1: "W", 2: "H, W", 3: "D, H, W"}
OUT_TOL = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=1e-4, atol=1e-4)}
GRAD_TOL = {"float64": dict(rtol=1e-6, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-4)}


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class SizeCase:
    """A row of the output-size table: ``conv_output_size(size, filter_size,
    pad, stride)``; the solution says whether it fits (the reference)."""
    name: str
    size: int
    filter_size: int
    pad: int
    stride: int

    def __post_init__(self):
        for field in ("size", "filter_size", "stride"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                raise ValueError(f"SizeCase {self.name!r}: {field} must be an int >= 1, got "
                                 f"{getattr(self, field)!r}")
        if not isinstance(self.pad, int) or self.pad < 0:
            raise ValueError(f"SizeCase {self.name!r}: pad must be an int >= 0, got "
                             f"{self.pad!r}")


@dataclass(frozen=True)
class ConvCase:
    """A convolution case: x (N, C, *size), w (F, C, *filt), b (F,) and dout
    drawn from ``seed`` in ``dtype``; ``stride`` and ``pad`` as conv_param."""
    name: str
    seed: int
    _: KW_ONLY
    N: int
    C: int
    F: int
    size: tuple
    filt: tuple
    stride: int = 1
    pad: int = 0
    dtype: str = "float64"

    def __post_init__(self):
        if len(self.size) not in (1, 2, 3) or len(self.filt) != len(self.size):
            raise ValueError(f"ConvCase {self.name!r}: size and filt must be tuples of the "
                             f"same length 1, 2 or 3, got {self.size!r} and {self.filt!r}")
        for s, f in zip(self.size, self.filt):
            if (s + 2 * self.pad < f) or (s + 2 * self.pad - f) % self.stride:
                raise ValueError(f"ConvCase {self.name!r}: a filter of {f} does not fit a "
                                 f"size of {s} with pad {self.pad}, stride {self.stride}")
        if self.dtype not in OUT_TOL:
            raise ValueError(f"ConvCase {self.name!r}: dtype must be one of {tuple(OUT_TOL)}, "
                             f"got {self.dtype!r}")

    @property
    def dims(self):
        return len(self.size)


SIZE_CASES = {
    "visible": [SizeCase("same_3x3", 32, 3, 1, 1), SizeCase("valid_5", 32, 5, 0, 1),
                SizeCase("stride_2", 7, 3, 0, 2), SizeCase("alexnet_conv1", 227, 11, 0, 4),
                SizeCase("pad_2_stride_2", 9, 5, 2, 2), SizeCase("whole_input", 5, 5, 0, 1),
                SizeCase("stride_3", 10, 4, 0, 3),
                SizeCase("not_divisible", 8, 3, 0, 2), SizeCase("too_large", 3, 5, 0, 1),
                SizeCase("stride_3_no_fit", 10, 3, 1, 3)],
    "hidden": [SizeCase("one", 1, 1, 0, 1), SizeCase("padded_only", 1, 3, 1, 1),
               SizeCase("vgg_same", 224, 3, 1, 1), SizeCase("big_pad", 4, 3, 3, 1),
               SizeCase("stride_5", 26, 6, 0, 5), SizeCase("odd", 11, 2, 1, 2),
               SizeCase("no_fit_pad", 6, 3, 1, 4), SizeCase("filter_beyond_pad", 2, 7, 2, 1)],
}


def _conv_cases(dims, seed):
    """The visible and hidden cases of one dimension: stride 1 and no padding
    first (a backward that ignores the stride passes them), then padding,
    strides 2 and 3, rectangular inputs and filters, and float32."""
    def case(name, k, shape, size, filt, **kw):
        N, C, F = shape
        return ConvCase(name, seed + k, N=N, C=C, F=F, size=size, filt=filt, **kw)

    f32 = {"dtype": "float32"}
    if dims == 1:
        return {"visible": [
            case("basic", 0, (2, 3, 2), (7,), (3,)),
            case("pad_1", 1, (2, 2, 3), (6,), (3,), pad=1),
            case("stride_2_pad_2", 2, (3, 2, 2), (9,), (3,), stride=2, pad=2),
            case("float32_stride_3", 3, (2, 3, 2), (10,), (4,), stride=3, **f32)],
            "hidden": [
            case("one_channel", 10, (1, 1, 1), (5,), (2,)),
            case("whole_input", 11, (2, 2, 3), (4,), (4,), pad=1),
            case("stride_3_pad_2", 12, (2, 3, 4), (13,), (5,), stride=3, pad=2)]}
    if dims == 2:
        return {"visible": [
            case("basic", 0, (2, 3, 3), (5, 6), (3, 3)),
            case("pad_1", 1, (2, 2, 3), (5, 5), (3, 3), pad=1),
            case("rect_stride_2", 2, (2, 3, 4), (7, 9), (3, 5), stride=2, pad=1),
            case("float32_stride_3", 3, (2, 2, 2), (7, 13), (2, 5), stride=3, pad=2, **f32)],
            "hidden": [
            case("one_filter", 10, (1, 1, 1), (4, 4), (2, 2)),
            case("1x1", 11, (2, 4, 3), (3, 5), (1, 1)),
            case("pad_2_stride_2", 12, (2, 2, 3), (6, 8), (4, 2), stride=2, pad=2),
            case("float32_tall", 13, (2, 3, 2), (11, 4), (4, 3), stride=3, pad=1, **f32)]}
    return {"visible": [
        case("basic", 0, (2, 2, 2), (4, 4, 5), (2, 3, 3)),
        case("pad_1", 1, (1, 2, 3), (3, 4, 4), (3, 3, 3), pad=1),
        case("stride_2_pad_1", 2, (2, 2, 2), (5, 5, 7), (3, 3, 3), stride=2, pad=1),
        case("float32_stride_3", 3, (1, 2, 2), (5, 8, 6), (1, 4, 2), stride=3, pad=1, **f32)],
        "hidden": [
        case("one_channel", 10, (1, 1, 1), (3, 3, 3), (2, 2, 2)),
        case("pad_2_stride_2", 11, (1, 2, 2), (3, 4, 3), (3, 2, 3), stride=2, pad=2),
        case("flat", 12, (2, 3, 2), (1, 5, 6), (1, 3, 3))]}


CONV_CASES = {d: _conv_cases(d, 1000 * d) for d in (1, 2, 3)}
CASES = {"conv_output_size": SIZE_CASES,
         **{kind: CONV_CASES[d] for kind, d in DIMS.items()}}

# Sizes that do not fit, for the forwards' ValueError: x's spatial size, the
# filter's, stride and pad.
MISFITS = {1: [((6,), (3,), 2, 0), ((2,), (5,), 1, 1)],
           2: [((6, 5), (3, 3), 2, 0), ((4, 4), (3, 6), 1, 0)],
           3: [((3, 5, 5), (2, 3, 3), 2, 0), ((2, 2, 2), (3, 3, 3), 1, 0)]}


def _inputs(case):
    rng = np.random.default_rng(case.seed)
    x = rng.standard_normal((case.N, case.C, *case.size))
    w = rng.standard_normal((case.F, case.C, *case.filt))
    b = rng.standard_normal(case.F)
    out = {"in_x": x.astype(case.dtype), "in_w": w.astype(case.dtype),
           "in_b": b.astype(case.dtype), "in_stride": np.int64(case.stride),
           "in_pad": np.int64(case.pad)}
    return out


def _conv_param(inputs):
    return {"stride": int(inputs["in_stride"]), "pad": int(inputs["in_pad"])}


def _prefix(case):
    return f"conv{case.dims}d/{case.name}/"


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (missing: skipped; a
        backward needs its forward).
    cases : dict, optional
        As returned by ``random_cases`` (keys of other parts are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray: ``size/<case>/out`` (-1 when the solution raises
    a ValueError); per convolution case ``conv<d>d/<case>/in_*`` and the
    solution's ``out``, ``dx``, ``dw``, ``db`` and, for hints, ``cf_flipped``
    (the filter flipped), ``cf_one_side`` (all padding before the input),
    ``cf_nobias`` (b = 0) and ``cf_dw_last`` (the last example alone).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    size = solutions.get("conv_output_size")
    for case in cases.get("conv_output_size", ()) if size else ():
        try:
            value = size(case.size, case.filter_size, case.pad, case.stride)
        except ValueError:
            value = -1
        ref[f"size/{case.name}/out"] = np.int64(value)
    done = set()
    for kind, d in DIMS.items():
        fwd, bwd = solutions.get(FORWARD[d]), solutions.get(BACKWARD[d])
        for case in cases.get(kind, ()) if fwd else ():
            if (d, case.name) in done:
                continue
            done.add((d, case.name))
            ref.update(_conv_reference(fwd, bwd, case))
    return ref


def _conv_reference(fwd, bwd, case):
    d, p = case.dims, _prefix(case)
    inputs = _inputs(case)
    ref = {p + k: v for k, v in inputs.items()}
    x, w, b = inputs["in_x"], inputs["in_w"], inputs["in_b"]
    param = _conv_param(inputs)
    out, cache = fwd(x.copy(), w.copy(), b.copy(), dict(param))
    out = np.asarray(out)
    ref[p + "out"] = out
    spatial = tuple(range(2, 2 + d))
    ref[p + "cf_flipped"] = np.asarray(fwd(x.copy(), np.flip(w, spatial).copy(), b.copy(),
                                           dict(param))[0])
    ref[p + "cf_nobias"] = np.asarray(fwd(x.copy(), w.copy(), np.zeros_like(b),
                                          dict(param))[0])
    if case.pad:
        one_side = np.pad(x, [(0, 0), (0, 0)] + [(2 * case.pad, 0)] * d)
        ref[p + "cf_one_side"] = np.asarray(fwd(one_side, w.copy(), b.copy(),
                                                {"stride": case.stride, "pad": 0})[0])
    if bwd:
        rng = np.random.default_rng(case.seed + 7)
        dout = rng.standard_normal(out.shape).astype(case.dtype)
        ref[p + "in_dout"] = dout
        for name, g in zip(("dx", "dw", "db"), bwd(dout.copy(), cache)):
            ref[p + name] = np.asarray(g)
        _, last = fwd(x[-1:].copy(), w.copy(), b.copy(), dict(param))
        ref[p + "cf_dw_last"] = np.asarray(bwd(dout[-1:].copy(), last)[1])
    return ref


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases.

    Every dimension gets one case of stride 1 and pad 1 or 2, and one of
    stride 2 or 3 and pad 0 to 2, each with 2 or 3 examples, channels and
    filters, filters of 2 to 4 (3-D: 3) per axis and at least 2 outputs per
    axis; the strided 2-D case is float32.
    """
    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def seed():
        return int(rng.integers(2**31 - 100))

    def conv(name, dims, stride, pad, *, dtype="float64", small=False):
        hi = 3 if small else 4
        filt = tuple(n(2, hi) for _ in range(dims))
        # An input that the filter fits exactly: (o - 1) strides plus one filter,
        # at least 2 outputs per axis (a stride that is ignored shows).
        size = [(n(2, hi) - 1) * stride + f - 2 * pad for f in filt]
        size = tuple(s_ + stride * max(0, -(-(1 - s_) // stride)) for s_ in size)
        return ConvCase(name, seed(), N=n(2, 3), C=n(2, 3), F=n(2, 3), size=size, filt=filt,
                        stride=stride, pad=pad, dtype=dtype)

    sizes = []
    for k in range(6):
        stride, f, pad = n(1, 4), n(1, 7), n(1 if k == 0 else 0, 3)
        size = n(max(1, f - 2 * pad), 40)
        if k < 4:   # a size that fits: round up to the next multiple of the stride
            size += -(size + 2 * pad - f) % stride
        sizes.append(SizeCase(f"unseen_{k}", size, f, pad, stride))
    sizes.append(SizeCase("unseen_too_large", n(1, 4), n(6, 9), 0, 1))
    cases = {"conv_output_size": sizes}
    for d in (1, 2, 3):
        small = d == 3
        drawn = [conv("unseen_stride_1", d, 1, n(1, 2), small=small),
                 conv("unseen_strided", d, n(2, 3), n(0, 2), small=small,
                      dtype="float32" if d == 2 else "float64")]
        cases[FORWARD[d]] = cases[BACKWARD[d]] = drawn
    return cases


# ------------------------------------------------------------------- helpers

_name = _core.named


def _select(kind, cases, reference):
    _core.reference_dict(reference)
    types = SizeCase if kind == "conv_output_size" else ConvCase
    return _core.typed_cases(CASES[kind], cases, types, kind)


def _label(case):
    return (f"test case '{case.name}' (x {(case.N, case.C, *case.size)} {case.dtype}, "
            f"w {(case.F, case.C, *case.filt)}, stride={case.stride}, pad={case.pad})")


def _case_inputs(reference, case):
    p = _prefix(case)
    if p + "in_x" not in reference:
        raise ValueError(f"reference has no case {p!r}: make it with make_reference on "
                         "these cases")
    return {k[len(p):]: np.array(v) for k, v in reference.items()
            if k.startswith(p + "in_")}, p


_worst = _core.largest_difference


# ----------------------------------------------------------- output size

def check_conv_output_size(conv_output_size, *, cases="visible", reference):
    """Check ``conv_output_size(size, filter_size, pad, stride) -> int`` on a
    table of cases, and its ValueError where a filter does not fit.

    Parameters
    ----------
    conv_output_size : callable
    cases : {"visible", "hidden"} or list of SizeCase
    reference : dict
    """
    name = _name(conv_output_size, "conv_output_size")
    table, label_set = _select("conv_output_size", cases, reference)
    count = 0
    for case in table:
        key = f"size/{case.name}/out"
        if key not in reference:
            raise ValueError(f"reference has no size case {case.name!r}")
        want = int(reference[key])
        args = (case.size, case.filter_size, case.pad, case.stride)
        shown = f"{name}{args}"
        count += 1
        if want < 0:
            _expect_size_error(conv_output_size, name, args, shown)
            continue
        got = call(conv_output_size, name, *args)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            hint = ("use integer division // once you know the division is exact (or "
                    "int(...)): a size is an int" if isinstance(got, (float, np.floating))
                    else "")
            fail(name, f"{shown} returned {type(got).__name__} {got!r}, expected the int "
                       f"{want}", "hint: " + hint if hint else "")
        if int(got) != want:
            size, f, pad, stride = args
            hints = [(want - 1, "one too few: the first window is at position 0 and there "
                                "is one more after every stride (the + 1)"),
                     (want + 1, "one too many: count the windows, the first one included, "
                                "only once"),
                     (1 + (size + pad - f) // stride,   # pad counted once
                      "the padding is counted once: zero padding adds pad on both sides, "
                      "2 * pad in all")]
            matched = [m for v, m in hints if v == int(got)]
            hint = matched[0] if len(matched) == 1 else (
                "one too few: is the + 1 missing (the first window), or the padding counted "
                "once (zero padding adds pad on both sides, 2 * pad in all)?" if matched
                else "")
            fail(name, f"{shown} returned {int(got)}, expected {want}",
                 "hint: " + hint if hint else "")
    passed(name, count, f" ({label_set} cases)")


def _expect_size_error(fn, name, args, shown):
    size, f, pad, stride = args
    try:
        with np.errstate(all="ignore"):
            got = fn(*args)
    except NotImplementedError:
        raise
    except ValueError as e:
        if str(size) not in str(e) or str(f) not in str(e):
            fail(name, f"{shown} raised a ValueError whose message does not name the sizes: "
                       f"{str(e)!r:.200}",
                 f"hint: say which input size ({size}) and filter size ({f}) do not fit, "
                 f"with pad and stride")
        return
    except Exception as e:
        fail(name, f"{shown} raised {type(e).__name__}: {e}",
             "hint: a filter that does not fit is a ValueError that names the sizes")
    why = ("the filter is larger than the padded input" if size + 2 * pad < f else
           f"the stride {stride} does not divide size - filter_size + 2 * pad")
    fail(name, f"{shown} returned {got!r} without an error",
         f"hint: {why}: raise a ValueError that names the sizes (a floor would silently "
         "drop the last input positions)")


# ----------------------------------------------------------------- forward

def _call_forward(forward, name, args, param, label, *, shape=None):
    """``forward(x, w, b, param)`` -> (out, cache); out checked against ``shape``."""
    pad = param["pad"]
    result = call(forward, name, *args, param)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(name, f"should return a tuple (out, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, (tuple, list))
                      else ""))
    out = result[0]
    if shape is not None:
        if not isinstance(out, np.ndarray):
            fail(name, f"out should be a numpy array of shape {shape}, got "
                       f"{type(out).__name__} on {label}")
        if out.shape != tuple(shape):
            fail(name, f"out has shape {out.shape}, expected {tuple(shape)} on {label}",
                 _shape_hint(out.shape, shape, args, pad))
    return out, result[1]


def _shape_hint(got, want, args, pad):
    x, w = args[0], args[1]
    if len(got) != len(want):
        return ""
    if got[:2] != tuple(want[:2]):
        return ("hint: out is (N, F, ...): one map per example and per filter"
                if got[:2] == (w.shape[0], x.shape[0]) else "")
    diff = [g - s for g, s in zip(got[2:], want[2:])]
    if all(v == -1 for v in diff):
        return ("hint: every spatial size is one short: the output-size formula ends in "
                "+ 1 (the first window), and range(...) must run over all of them"
                + ("; or is the padding counted on one side only (W - F + P instead of "
                   "W - F + 2P)?" if pad else ""))
    if all(v == 1 for v in diff):
        return "hint: every spatial size is one too many: count the first window once"
    if all(v < 0 for v in diff):
        return ("hint: the spatial sizes are too small: is the padding counted on one "
                "side only (W - F + P instead of W - F + 2P)?")
    return "hint: the spatial sizes follow (W - F + 2P) / S + 1 on every spatial axis"


def _forward_hints(out, want, *, case, inputs, reference, p):
    hints = [(reference[p + "cf_flipped"],
              "your output is the convolution with the filter flipped: frameworks (and "
              "this course) compute the cross-correlation, out = sum of w * x over the "
              "window, without flipping w")]
    if p + "cf_one_side" in reference:
        hints.append((reference[p + "cf_one_side"],
                      "the input is padded on one side only: zero padding puts pad zeros "
                      "before AND after the input on every spatial axis"))
    nobias, b = reference[p + "cf_nobias"], inputs["in_b"]
    hints.append((nobias, "the bias is missing: add b[f] to every output of filter f"))
    extra = out.astype(np.float64) - nobias
    if extra.shape == want.shape and close(extra, extra[:1] + 0 * extra, **OUT_TOL[case.dtype]):
        per_filter = extra.reshape(*extra.shape[:2], -1)
        if not close(per_filter, per_filter[..., :1] + 0 * per_filter, **OUT_TOL[case.dtype]):
            hints.append((out, "the bias varies over the positions of a map: it is one "
                               "number per filter, b[f], added at every position of "
                               "filter f's map (broadcast b over (N, F, ...) as "
                               "b[None, :, None, ...])"))
    spread = b.reshape(1, -1, *[1] * case.dims).astype(np.float64)
    if case.C > 1:
        hints.append((nobias + case.C * spread,
                      f"the bias is added once per input channel ({case.C} times b[f]): "
                      "add it once per output value, after the sum over the channels"))
    if case.pad and case.N > 1:
        bias_only = np.broadcast_to(b.reshape(1, -1, *[1] * case.dims), out[:1].shape)
        if close(out[:1], bias_only, **OUT_TOL[case.dtype]):
            hints.append((out, "out[0] is the bias alone, as if example 0 were all zeros: "
                               "the batch (and channel) axes were padded too. Pad only the "
                               "spatial axes: np.pad(x, ((0, 0), (0, 0), (pad, pad), ...))"))
    return hints


def _check_forward(d, forward, *, cases, reference):
    kind = FORWARD[d]
    name = _name(forward, kind)
    table, label_set = _select(kind, cases, reference)
    count = 0
    for case in table:
        inputs, p = _case_inputs(reference, case)
        label = _label(case)
        want = reference[p + "out"]
        given = {k: inputs["in_" + k].copy() for k in ("x", "w", "b")}
        with inputs_kept(name, given, who="a layer", where=label):
            out, _ = _call_forward(forward, name, (given["x"], given["w"], given["b"]),
                                   _conv_param(inputs), label, shape=want.shape)
            count += 1
            tol = OUT_TOL[case.dtype]
            if not close(out, want, **tol):
                hints = _forward_hints(out, want, case=case, inputs=inputs,
                                       reference=reference, p=p)
                hint = first_hint(out, [(v, m) for v, m in hints
                                        if v is out or not close(v, want, **tol)], **tol)
                fail(name, f"out is wrong on {label}", _worst(out, want, "out"),
                     "hint: " + hint if hint else "")
    count += _check_misfits(d, forward, name)
    passed(name, count, f" ({label_set} cases)")


def _check_misfits(d, forward, name):
    attempts = []
    for size, filt, stride, pad in MISFITS[d]:
        x, w, b = np.ones((1, 1, *size)), np.ones((1, 1, *filt)), np.zeros(1)
        param = {"stride": stride, "pad": pad}
        attempts.append((f"{name}(x {x.shape}, w {w.shape}, b, {param})",
                         lambda x=x, w=w, b=b, param=param: forward(x, w, b, param)))
    expect_value_error(name, attempts, "these sizes do not fit (the output-size formula "
                                       "is not a whole number >= 1)")
    return len(attempts)


def check_conv_forward_naive(conv_forward_naive, *, cases="visible", reference):
    """Check ``conv_forward_naive(x, w, b, conv_param) -> (out, cache)`` (2-D).

    Parameters
    ----------
    conv_forward_naive : callable
    cases : {"visible", "hidden"} or list of ConvCase
    reference : dict
    """
    _check_forward(2, conv_forward_naive, cases=cases, reference=reference)


def check_conv1d_forward_naive(conv1d_forward_naive, *, cases="visible", reference):
    """Check ``conv1d_forward_naive(x, w, b, conv_param)`` on x (N, C, W)."""
    _check_forward(1, conv1d_forward_naive, cases=cases, reference=reference)


def check_conv3d_forward_naive(conv3d_forward_naive, *, cases="visible", reference):
    """Check ``conv3d_forward_naive(x, w, b, conv_param)`` on x (N, C, D, H, W)."""
    _check_forward(3, conv3d_forward_naive, cases=cases, reference=reference)


# ---------------------------------------------------------------- backward

def _grads(result, name, shapes, label):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(name, f"should return a tuple (dx, dw, db), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, (tuple, list))
                      else ""))
    out = []
    for what, value, shape in zip(("dx", "dw", "db"), result, shapes):
        if not isinstance(value, np.ndarray):
            fail(name, f"{what} should be a numpy array of shape {shape}, got "
                       f"{type(value).__name__} on {label}")
        if value.shape != tuple(shape):
            hint = ""
            if what == "dx" and len(value.shape) == len(shape) and all(
                    g > s for g, s in zip(value.shape[2:], shape[2:])):
                hint = ("dx has the shape of the padded input: crop the padding off "
                        "(dx_pad[..., pad:-pad, ...]) before returning it")
            elif what == "db":
                hint = ("db has one entry per filter: sum dout over the batch and every "
                        "spatial axis (all but axis 1)")
            elif what == "dw" and value.shape[1:] == tuple(shape):
                hint = "dw has a gradient per example: sum them over the batch"
            fail(name, f"{what} has shape {value.shape}, expected {tuple(shape)} on {label}",
                 "hint: " + hint if hint else "")
        out.append(value)
    return out


_numeric_at = _core.numeric_at


def _check_backward(d, forward, backward, *, cases, reference):
    fname, name = _name(forward, FORWARD[d]), _name(backward, BACKWARD[d])
    table, label_set = _select(BACKWARD[d], cases, reference)
    count, strided_ok, unit_ok = 0, False, False
    for case in table:
        inputs, p = _case_inputs(reference, case)
        label = _label(case)
        x, w, b, dout = (inputs["in_" + k] for k in ("x", "w", "b", "dout"))
        param = _conv_param(inputs)
        out, cache = _call_forward(forward, fname, (x.copy(), w.copy(), b.copy()),
                                   dict(param), label, shape=dout.shape)
        tol = GRAD_TOL[case.dtype]
        forward_ok = close(out, reference[p + "out"], **OUT_TOL[case.dtype])
        given = {"dout": dout.copy()}
        with inputs_kept(name, given, who="a backward pass", where=label):
            grads = _grads(call(backward, name, given["dout"], cache), name,
                           (x.shape, w.shape, b.shape), label)
            for pos, (what, got) in enumerate(zip(("dx", "dw", "db"), grads)):
                count += 1
                want = reference[p + what]
                if close(got, want, **tol):
                    continue
                lines = [_worst(got, want, what)]
                i = worst_index(got, want)[0]
                if case.dtype == "float64":
                    num = _numeric_at(forward, fname, (x, w, b), param, pos=pos, index=i,
                                      dout=dout)
                    if num is not None:
                        lines.append(f"numeric gradient of your {fname} there (d/d "
                                     f"{'xwb'[pos]}{list(i)}): {num:.8g}")
                if not forward_ok:
                    lines.append(f"note: your {fname} is wrong on this case too: fix it "
                                 "first, the backward works from its cache")
                hints = [(-want, f"{what} has the wrong sign")]
                if what == "dw" and case.N > 1:
                    hints.append((reference[p + "cf_dw_last"],
                                  "dw is the last example's gradient alone: dw sums the "
                                  "gradients of every example (+=, not =)"))
                    hints.append((want / case.N, "dw is divided by N: sum over the batch, "
                                                 "do not average"))
                if what == "db" and case.N > 1:
                    hints.append((want / case.N, "db is divided by N: sum over the batch"))
                hint = first_hint(got, [(v, m) for v, m in hints if not close(v, want, **tol)],
                                  **tol)
                if not hint and case.stride > 1 and unit_ok and not strided_ok:
                    hint = (f"your gradients are right at stride 1 but not at stride "
                            f"{case.stride}: the window of output position i starts at "
                            f"i * stride in the (padded) input, in the backward too")
                if not hint and what == "dx" and case.pad and not any(
                        c.pad for c in table[:table.index(case)]):
                    hint = ("dx is wrong on the first padded case: the gradient of the "
                            "padded input is cropped, dx = dx_pad[..., pad:-pad, ...] on "
                            "every spatial axis (and both sides)")
                fail(name, f"the gradient {what} is wrong on {label}", *lines,
                     "hint: " + hint if hint else "")
        if case.stride == 1:
            unit_ok = True
        else:
            strided_ok = True
    passed(name, count, f" ({label_set} cases)")


def check_conv_backward_naive(conv_forward_naive, conv_backward_naive, *, cases="visible",
                              reference):
    """Check ``conv_backward_naive(dout, cache) -> (dx, dw, db)`` (2-D) on the
    cache of the student's own ``conv_forward_naive``.

    Parameters
    ----------
    conv_forward_naive, conv_backward_naive : callable
    cases : {"visible", "hidden"} or list of ConvCase
    reference : dict
    """
    _check_backward(2, conv_forward_naive, conv_backward_naive, cases=cases,
                    reference=reference)


def check_conv1d_backward_naive(conv1d_forward_naive, conv1d_backward_naive, *,
                                cases="visible", reference):
    """Check ``conv1d_backward_naive(dout, cache)`` on the student's 1-D forward's cache."""
    _check_backward(1, conv1d_forward_naive, conv1d_backward_naive, cases=cases,
                    reference=reference)


def check_conv3d_backward_naive(conv3d_forward_naive, conv3d_backward_naive, *,
                                cases="visible", reference):
    """Check ``conv3d_backward_naive(dout, cache)`` on the student's 3-D forward's cache."""
    _check_backward(3, conv3d_forward_naive, conv3d_backward_naive, cases=cases,
                    reference=reference)


# ------------------------------------------------------------ for the grader

def _grade(g, fns, *, cases, reference):
    if g.kind == "conv_output_size":
        check_conv_output_size(fns[g.name], cases=cases[g.kind], reference=reference)
    elif g.uses:
        _check_backward(DIMS[g.kind], fns[g.uses[0]], fns[g.name], cases=cases[g.kind],
                        reference=reference)
    else:
        _check_forward(DIMS[g.kind], fns[g.name], cases=cases[g.kind], reference=reference)


def _backward_alone(check):
    """A backward check called with one function (a stub): as forward and backward."""
    def run(fn, **kwargs):
        return check(fn, fn, **kwargs)
    return run


CHECKS = {"conv_output_size": check_conv_output_size,
          "conv1d_forward_naive": check_conv1d_forward_naive,
          "conv1d_backward_naive": _backward_alone(check_conv1d_backward_naive),
          "conv_forward_naive": check_conv_forward_naive,
          "conv_backward_naive": _backward_alone(check_conv_backward_naive),
          "conv3d_forward_naive": check_conv3d_forward_naive,
          "conv3d_backward_naive": _backward_alone(check_conv3d_backward_naive)}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind,
                       uses=(FORWARD[DIMS[kind]],) if kind in BACKWARD.values() else (),
                       run=_grade) for kind in KINDS]
