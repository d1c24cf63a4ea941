"""Part of Assignment 6's checks: the fast convolution (``fast_conv.ipynb``).

Graded functions, with CS231n's names and the naive convolution's contract:

- ``conv_forward_im2col(x, w, b, conv_param) -> (out, cache)``: x (N, C, H,
  W), w (F, C, HH, WW), b (F,), ``conv_param`` with ``stride`` and ``pad``;
  out (N, F, H', W') with ``H' = (H - HH + 2 pad) / stride + 1`` (and W'
  alike).  The convolution is CS231n's: a cross-correlation (the filter is
  not flipped), zero padding of ``pad`` on both sides of the two spatial
  axes, one bias per filter.  Sizes that do not fit (the division is not
  exact, or the filter is larger than the padded input) raise a ValueError,
  as the naive forward does.
- ``conv_backward_im2col(dout, cache) -> (dx, dw, db)``: the gradients with
  respect to x, w and b, from the cache of the student's own forward.

The notebook asks for im2col written with numpy views and one matmul, and a
col2im scatter that adds the overlapping windows; the checks judge the
numbers only, so any right way (einsum, tensordot, np.add.at, a loop over
the kernel offsets) passes.  Outputs are compared with the solution's,
stored in the reference, at ``rtol=1e-7, atol=1e-9`` (float64: sums in
another order differ by rounding only).

A failure names the worst index with both values and, for a gradient, the
centred difference of the student's own forward there.  The hints come from
the solution's outputs on changed inputs (a flipped filter; the filter as a
column matrix flattened in (offset, channel) order against
``w.reshape(F, -1)``'s (channel, offset) pairs its weights with; no bias;
the padding all on one side), from rearrangements of the right numbers (the
output reshaped in the wrong order, a bias broadcast along the pixel rows or
columns, dw in the wrong order or flipped, dw averaged) and from where the
student's dx is wrong while dw and db are right: only at the pixels that
two windows or more share, or on a case of stride 1 with overlap (col2im
assigned instead of adding), on a case of stride above 1 (the scatter
ignores the stride).  Nothing here computes a right answer.

Visible cases have overlapping windows (stride below the filter size), a
stride of 2 with overlap, padding, non-square inputs and filters, and a
case whose output has as many rows as there are filters (a bias broadcast
along the rows instead of the filters runs there, and is wrong).
"""
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (call, close, expect_value_error, fail, first_hint,
                    inputs_kept, passed, reference_dict, typed_cases, worst_index)

__all__ = ["check_conv_forward_im2col", "check_conv_backward_im2col"]

NOTEBOOK = "fast_conv.ipynb"
KINDS = ("conv_forward_im2col", "conv_backward_im2col")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
KEY = "conv_im2col"
TOL = dict(rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class ConvCase:
    """x (N, C, H, W) and w (F, C, HH, WW), b (F,) and dout drawn from
    ``seed``, with ``stride`` and ``pad``; the sizes must fit."""
    name: str
    seed: int
    N: int
    C: int
    H: int
    W: int
    F: int
    HH: int
    WW: int
    stride: int = 1
    pad: int = 0

    def __post_init__(self):
        for field in ("N", "C", "H", "W", "F", "HH", "WW", "stride"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ConvCase {self.name!r}: {field} must be a positive int, "
                                 f"got {value!r}")
        if not isinstance(self.pad, int) or self.pad < 0:
            raise ValueError(f"ConvCase {self.name!r}: pad must be an int >= 0, got "
                             f"{self.pad!r}")
        for size, k in ((self.H, self.HH), (self.W, self.WW)):
            span = size + 2 * self.pad - k
            if span < 0 or span % self.stride:
                raise ValueError(f"ConvCase {self.name!r}: the sizes do not fit: "
                                 f"(size {size} - filter {k} + 2 * pad {self.pad}) must be "
                                 f">= 0 and divisible by the stride {self.stride}")

    @property
    def out_hw(self):
        return ((self.H + 2 * self.pad - self.HH) // self.stride + 1,
                (self.W + 2 * self.pad - self.WW) // self.stride + 1)

    @property
    def overlaps(self):
        """Do neighbouring windows share pixels?"""
        return self.stride < max(self.HH, self.WW)


CASES = {KEY: {
    "visible": [
        # Ho = 5 = F: a bias broadcast along the rows runs, and is wrong.
        ConvCase("overlap_pad1", 3000, N=2, C=3, H=5, W=5, F=5, HH=3, WW=3, stride=1, pad=1),
        ConvCase("stride2_overlap", 3001, N=2, C=2, H=7, W=9, F=3, HH=3, WW=3, stride=2,
                 pad=1),
        ConvCase("rect_filter", 3002, N=3, C=2, H=6, W=5, F=2, HH=2, WW=3),
        ConvCase("no_overlap_pad2", 3003, N=1, C=3, H=4, W=4, F=4, HH=2, WW=2, stride=2,
                 pad=2)],
    "hidden": [
        ConvCase("single_pixel_filter", 3010, N=2, C=4, H=3, W=4, F=3, HH=1, WW=1),
        ConvCase("one_channel", 3011, N=4, C=1, H=6, W=6, F=2, HH=4, WW=4, stride=2, pad=1),
        ConvCase("filter_fills_input", 3012, N=2, C=2, H=3, W=5, F=3, HH=3, WW=5),
        ConvCase("stride3_rect", 3013, N=2, C=3, H=9, W=12, F=4, HH=5, WW=2, stride=3,
                 pad=1),
        ConvCase("wide_pad", 3014, N=1, C=2, H=2, W=3, F=2, HH=3, WW=2, stride=1, pad=2)],
}}

# (x shape, w shape, stride, pad) whose sizes do not fit: the forward must refuse.
SIZE_ERRORS = {
    "visible": [((1, 1, 5, 5), (1, 1, 2, 2), 2, 0),
                ((2, 1, 5, 6), (1, 1, 3, 3), 2, 0)],    # H fits, W does not
    "hidden": [((1, 2, 4, 6), (2, 2, 3, 3), 2, 1),
               ((1, 1, 6, 5), (1, 1, 3, 3), 2, 0),     # W fits, H does not
               ((1, 1, 3, 3), (1, 1, 4, 4), 1, 0)],    # the filter is larger than x
}


def _cases(cases, reference):
    reference_dict(reference)
    return typed_cases(CASES[KEY], cases, ConvCase, KEY)


def _size_errors(cases, label):
    """The misfitting sizes of a case set: the table's, or for unseen cases
    one derived from each strided case (one more column than fits)."""
    if label in SIZE_ERRORS:
        return SIZE_ERRORS[label]
    out = [((c.N, c.C, c.H, c.W + 1), (c.F, c.C, c.HH, c.WW), c.stride, c.pad)
           for c in cases if c.stride > 1]
    c = cases[0]   # a filter one row taller than the padded input
    out.append(((1, c.C, c.H, c.W), (1, c.C, c.H + 2 * c.pad + 1, c.WW), 1, c.pad))
    return out


def _inputs(case):
    rng = np.random.default_rng(case.seed)
    Ho, Wo = case.out_hw
    fan_in = case.C * case.HH * case.WW
    return {"in_x": rng.standard_normal((case.N, case.C, case.H, case.W)),
            "in_w": rng.standard_normal((case.F, case.C, case.HH, case.WW)) / np.sqrt(fan_in),
            "in_b": rng.standard_normal(case.F),
            "in_dout": rng.standard_normal((case.N, case.F, Ho, Wo)),
            "in_stride": np.int64(case.stride), "in_pad": np.int64(case.pad)}


def _param(case):
    return {"stride": case.stride, "pad": case.pad}


def _mixed_filter(w):
    """The filter a matmul applies when the column matrix's rows run over
    (offset, channel) while ``w.reshape(F, -1)`` runs over (channel, offset)."""
    F, C, HH, WW = w.shape
    return w.reshape(F, HH, WW, C).transpose(0, 3, 1, 2)


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped; the backward needs the forward).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' keys are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray: per case ``conv_im2col/<case>/in_*``, the
    solution's ``out``, ``dx``, ``dw``, ``db`` and its outputs on changed
    inputs for the hints (``cf_flipped``, ``cf_mixed``, ``cf_no_bias``,
    ``cf_pad_end``, ``cf_pad_start``).
    """
    cases = _core.reference_cases(CASES, cases, tables=dict.fromkeys(KINDS, KEY))
    fwd, bwd = solutions.get("conv_forward_im2col"), solutions.get("conv_backward_im2col")
    seen = {}
    for kind in KINDS:
        for case in cases.get(kind, ()):
            seen.setdefault(case.name, case)
    ref = {}
    for case in seen.values() if fwd else ():
        inputs = _inputs(case)
        p = f"{KEY}/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        x, w, b, dout = (inputs[k] for k in ("in_x", "in_w", "in_b", "in_dout"))
        param = _param(case)
        out, cache = fwd(x.copy(), w.copy(), b.copy(), dict(param))
        ref[p + "out"] = np.asarray(out)
        if bwd:
            for what, g in zip(("dx", "dw", "db"), bwd(dout.copy(), cache)):
                ref[p + what] = np.asarray(g)
        ref[p + "cf_flipped"] = np.asarray(fwd(x.copy(), w[:, :, ::-1, ::-1].copy(), b.copy(),
                                               dict(param))[0])
        ref[p + "cf_mixed"] = np.asarray(fwd(x.copy(), _mixed_filter(w).copy(), b.copy(),
                                             dict(param))[0])
        ref[p + "cf_no_bias"] = np.asarray(fwd(x.copy(), w.copy(), np.zeros_like(b),
                                               dict(param))[0])
        if case.pad:
            P = 2 * case.pad
            for tag, widths in (("end", (0, P)), ("start", (P, 0))):
                shifted = np.pad(x, ((0, 0), (0, 0), widths, widths))
                ref[p + f"cf_pad_{tag}"] = np.asarray(
                    fwd(shifted, w.copy(), b.copy(), {"stride": case.stride, "pad": 0})[0])
    return ref


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: the same list for both
    kinds.  The first case has overlapping windows with a stride of 2 and
    padding; the second a stride of 1, overlap and no padding, the third a
    filter of one channel or one pixel more rarely seen.  The first two have
    batches of two or more images."""
    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def seed():
        return int(rng.integers(2**31 - 1))

    def fit(out, k, stride, pad):
        # an input size with `out` windows of size k at this stride and pad
        return max(stride * (out - 1) + k - 2 * pad, 1)

    cases = []
    for name, stride, (klo, khi), pad in (("unseen_strided", 2, (3, 4), n(1, 2)),
                                          ("unseen_dense", 1, (2, 3), 0),
                                          ("unseen_any", n(1, 3), (1, 4), n(0, 2))):
        HH, WW = n(klo, khi), n(klo, khi)
        while True:   # x at least as large as the filter
            Ho, Wo = n(2, 6), n(2, 6)
            H, W = fit(Ho, HH, stride, pad), fit(Wo, WW, stride, pad)
            if (H + 2 * pad - HH) % stride == 0 and (W + 2 * pad - WW) % stride == 0 \
                    and H >= HH and W >= WW:
                break
        # N >= 2 but in the last case: a batch of one hides an output whose (N, F)
        # axes are swapped, and a dw not summed over the batch
        cases.append(ConvCase(name, seed(), N=n(1 if name == "unseen_any" else 2, 3),
                              C=n(2, 4), H=H, W=W, F=n(2, 5),
                              HH=HH, WW=WW, stride=stride, pad=pad))
    return {kind: list(cases) for kind in KINDS}


# ------------------------------------------------------------------- helpers

_name = _core.named


def _label(case):
    Ho, Wo = case.out_hw
    return (f"test case '{case.name}' (x {case.N}x{case.C}x{case.H}x{case.W}, w "
            f"{case.F}x{case.C}x{case.HH}x{case.WW}, stride={case.stride}, pad={case.pad}; "
            f"out {case.N}x{case.F}x{Ho}x{Wo})")


def _case_inputs(reference, case):
    inputs = _core.case_inputs(reference, KEY, case.name)
    if "in_x" not in inputs:
        raise ValueError(f"reference has no values for case {case.name!r}: make it with "
                         f"make_reference(solutions, cases)")
    return inputs, f"{KEY}/{case.name}/"


def _array(value, shape, name, what, label, *, hint=""):
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array of shape {tuple(shape)}, got "
                   f"{type(value).__name__} on {label}")
    if value.shape != tuple(shape):
        fail(name, f"{what} has shape {value.shape}, expected {tuple(shape)} on {label}",
             "hint: " + hint if hint else "")
    if value.dtype.kind not in "biuf":
        fail(name, f"{what} should hold numbers, got an array of dtype {value.dtype} on "
                   f"{label}")
    return value


def _out_shape_hint(shape, case):
    """Why the output has this shape, when a common bug gives it."""
    N, F, (Ho, Wo) = case.N, case.F, case.out_hw
    if len(shape) != 4:
        return ("out is (N, F, H', W'): reshape the matmul's result and move the filter "
                "axis second")
    if shape[0] != N or shape[1] != F:
        if shape[0] == N + 2 * case.pad or shape[1] == F + 2 * case.pad:
            return "only the two spatial axes are padded: np.pad's widths for N and C are (0, 0)"
        if (shape[0], shape[1]) == (F, N):
            return "the batch and filter axes are swapped: out is (N, F, H', W')"
        return ""
    if shape[2:] == (Ho - 1, Wo - 1) or shape[2:] == (Ho + 1, Wo + 1):
        return ("the output size is off by one: H' = (H - HH + 2 pad) / stride + 1 windows "
                "fit (the first window starts at 0, the last at H + 2 pad - HH)")
    no_pad = ((case.H - case.HH) // case.stride + 1, (case.W - case.WW) // case.stride + 1)
    if case.pad and shape[2:] == no_pad:
        return "the padding is missing: pad x with `pad` zeros on both sides of H and W"
    if case.stride > 1 and shape[2:] == (case.H + 2 * case.pad - case.HH + 1,
                                         case.W + 2 * case.pad - case.WW + 1):
        return "the stride is ignored: keep every stride-th window (windows[..., ::stride, "\
               "::stride, ...])"
    if shape[2:] == (Wo, Ho) and Ho != Wo:
        return "H' and W' are swapped"
    return ""


def _rearranged(want, no_bias, b, case):
    """The right output with its numbers in the places of common reshape
    bugs (the bias added before the reshape, or after it)."""
    N, F, (Ho, Wo) = case.N, case.F, case.out_hw
    bias = b.reshape(1, F, 1, 1)
    moves = [
        (lambda a: a.transpose(1, 0, 2, 3).reshape(N, F, Ho, Wo),
         "the numbers are right but in the wrong places: the matmul's (F, N*H'*W') result "
         "is reshaped straight to (N, F, H', W'); reshape it to (F, N, H', W') and move "
         "the filter axis: .transpose(1, 0, 2, 3)"),
        (lambda a: a.transpose(0, 2, 3, 1).reshape(N, F, Ho, Wo),
         "the numbers are right but in the wrong places: the matmul's (N*H'*W', F) result "
         "is reshaped straight to (N, F, H', W'); reshape it to (N, H', W', F) and move "
         "the filter axis: .transpose(0, 3, 1, 2)"),
        (lambda a: a.transpose(0, 1, 3, 2).reshape(N, F, Ho, Wo),
         "the numbers are right but in the wrong places: the rows and columns of the "
         "output (H' and W') are swapped")]
    return [(v, message) for move, message in moves
            for v in (move(want), move(no_bias) + bias)]


def _out_hints(out, want, ref, p, *, case, b):
    hints = [(ref[p + "cf_flipped"],
              "your filter is flipped: that is the convolution of signal processing; "
              "CS231n's convolution (and every framework's) is a cross-correlation, "
              "out = sum of w[f, c, a, b] * x_pad[n, c, i*stride + a, j*stride + b]"),
             (ref[p + "cf_mixed"],
              "the column matrix pairs each weight with the wrong pixel: it flattens each "
              "window as (offset, channel) but w.reshape(F, -1) runs over (channel, offset); "
              "order the window axes as (C, HH, WW) before you flatten them"),
             (ref[p + "cf_no_bias"], "the bias is missing: add b[f] to every pixel of "
                                     "filter f's output map")]
    for tag, where in (("end", "after"), ("start", "before")):
        if p + f"cf_pad_{tag}" in ref:
            hints.append((ref[p + f"cf_pad_{tag}"],
                          f"all 2 * pad zeros are {where} the image: pad `pad` zeros on "
                          "each side, np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))"))
    hints += _rearranged(want, ref[p + "cf_no_bias"], b, case)
    # A bias broadcast along the rows or the columns of the output (it runs
    # where H' or W' equals F): one bias per pixel row or column.
    no_bias, F = ref[p + "cf_no_bias"], case.F
    for axis, what in ((2, "row"), (3, "column")):
        if out.shape[axis] == F:
            shape = [1, 1, 1, 1]
            shape[axis] = F
            hints.append((no_bias + b.reshape(shape),
                          f"the bias is added per pixel {what}, not per filter: b[f] goes "
                          "to every pixel of filter f's map, out[:, f] (b.reshape(1, F, 1, "
                          "1))"))
    return hints


_numeric_at = _core.numeric_at


def _coverage(case):
    """How many windows contain each pixel of the padded input (H+2P, W+2P)."""
    Ho, Wo = case.out_hw
    S, P = case.stride, case.pad
    count = np.zeros((case.H + 2 * P, case.W + 2 * P), dtype=np.int64)
    for i in range(Ho):
        for j in range(Wo):
            count[i * S:i * S + case.HH, j * S:j * S + case.WW] += 1
    return count[P:P + case.H, P:P + case.W]


# ---------------------------------------------------------------------- forward

def _check_size_errors(forward, name, label_set, cases):
    attempts = []
    for xs, ws, stride, pad in _size_errors(cases, label_set):
        x, w, b = np.zeros(xs), np.zeros(ws), np.zeros(ws[0])
        shown = (f"{name}(x {'x'.join(map(str, xs))}, w {'x'.join(map(str, ws))}, b, "
                 f"{{'stride': {stride}, 'pad': {pad}}})")
        attempts.append((shown, lambda x=x, w=w, b=b, s=stride, q=pad:
                         forward(x, w, b, {"stride": s, "pad": q})))
    expect_value_error(name, attempts,
                       "these sizes do not fit: (H - HH + 2 pad) / stride + 1 is not a whole "
                       "number of windows (or the filter is larger than the padded input); "
                       "the naive forward refuses them too")
    return len(attempts)


def _forward(forward, name, case, inputs, label):
    """The student's (out, cache) on a copy of the case's inputs, x, w, b kept."""
    given = {k: inputs["in_" + k].copy() for k in ("x", "w", "b")}
    with inputs_kept(name, given, who="a layer", where=label):
        result = call(forward, name, given["x"], given["w"], given["b"], _param(case))
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple (out, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else "")
                   + f" on {label}")
    return result


def check_conv_forward_im2col(conv_forward_im2col, *, cases="visible", reference):
    """Check ``conv_forward_im2col(x, w, b, conv_param) -> (out, cache)``.

    Parameters
    ----------
    conv_forward_im2col : callable
    cases : {"visible", "hidden"} or list of ConvCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(conv_forward_im2col, "conv_forward_im2col")
    cases, label_set = _cases(cases, reference)
    count = 0
    for case in cases:
        inputs, p = _case_inputs(reference, case)
        label = _label(case)
        out, _ = _forward(conv_forward_im2col, name, case, inputs, label)
        want = reference[p + "out"]
        if isinstance(out, np.ndarray) and out.shape != want.shape:
            _array(out, want.shape, name, "out", label, hint=_out_shape_hint(out.shape, case))
        out = _array(out, want.shape, name, "out", label)
        count += 1
        if not close(out, want, **TOL):
            i, yours, exp = worst_index(out, want)
            hints = _out_hints(out, want, reference, p, case=case, b=inputs["in_b"])
            hint = first_hint(out, [(v, m) for v, m in hints
                                    if v is out or not close(v, want, **TOL)], **TOL)
            fail(name, f"out is wrong on {label}",
                 f"largest difference at out{list(i)}: yours {yours:.8g}, expected {exp:.8g}",
                 "hint: " + hint if hint else "")
    count += _check_size_errors(conv_forward_im2col, name, label_set, cases)
    passed(name, count, f" ({label_set} cases)")


# --------------------------------------------------------------------- backward

def _grads(result, name, case, label):
    if not isinstance(result, tuple) or len(result) != 3:
        fail(name, f"should return a tuple (dx, dw, db), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else "")
                   + f" on {label}")
    N, C, H, W, F, P = case.N, case.C, case.H, case.W, case.F, case.pad
    shapes = {"dx": (N, C, H, W), "dw": (F, C, case.HH, case.WW), "db": (F,)}
    grads = []
    for what, value in zip(shapes, result):
        shape = getattr(value, "shape", None)
        hint = ""
        if what == "dx" and shape == (N, C, H + 2 * P, W + 2 * P) and P:
            hint = ("dx still has the padding: the gradient of the padded input is cropped "
                    "back to x's size, dx_pad[:, :, pad:pad + H, pad:pad + W]")
        elif what == "dw" and shape == (N, *shapes["dw"]):
            hint = "w is shared by every example: dw sums over the batch axis"
        elif what == "db" and shape is not None and len(shape) > 1:
            hint = ("one bias per filter: db sums dout over the batch and both spatial axes, "
                    "dout.sum(axis=(0, 2, 3))")
        grads.append(_array(value, shapes[what], name, what, label, hint=hint))
    return grads


def _grad_hints(what, got, want, case, *, others_ok):
    """(value, message) candidates for a wrong gradient, from the right numbers."""
    if what == "db":
        return [(want / case.N, "db is averaged over the batch: sum it over the examples "
                                "and the pixels")]
    if what == "dw":
        F, C, HH, WW = want.shape
        mixed = ("dw has the right numbers in the wrong places: the matmul gives dw in the "
                 "order of the column matrix's rows, which must be the order of "
                 "w.reshape(F, -1), (C, HH, WW)")
        return [(want / case.N, "dw is averaged over the batch: sum it over the examples"),
                (want[:, :, ::-1, ::-1], "dw is flipped: the forward is a cross-correlation, "
                                         "dw[f, c, a, b] = sum of dout[n, f, i, j] * "
                                         "x_pad[n, c, i*stride + a, j*stride + b]"),
                (want.reshape(F, HH, WW, C).transpose(0, 3, 1, 2), mixed),
                (want.transpose(0, 2, 3, 1).reshape(F, C, HH, WW), mixed)]
    hints = []
    adds = ("col2im must ADD every window's gradient (+=, np.add.at), not assign it (=): "
            "a pixel shared by k windows gets k contributions")
    if case.overlaps:
        cov = np.broadcast_to(_coverage(case), got.shape)
        single, shared = cov <= 1, cov > 1
        if shared.any() and single.any() and close(got[single], want[single], **TOL) \
                and not close(got[shared], want[shared], **TOL):
            hints.append((got, "dx is right where a pixel lies in one window and wrong where "
                               "windows overlap: " + adds))
    if others_ok and case.stride == 1 and case.overlaps:
        hints.append((got, "dw and db are right but dx is not, on a case whose windows "
                           "overlap: " + adds + "; and dX_col unflattens in the (C, HH, WW) "
                           "order of w.reshape(F, -1)"))
    if others_ok and case.stride > 1:
        hints.append((got, "dw and db are right but dx is not: does the col2im scatter step "
                           "by the stride? window (i, j) starts at (i*stride, j*stride) of "
                           "the padded input (slices a:a + stride*H':stride)"))
    return hints


def check_conv_backward_im2col(conv_forward_im2col, conv_backward_im2col, *,
                               cases="visible", reference):
    """Check ``conv_backward_im2col(dout, cache) -> (dx, dw, db)`` on the
    cache of the student's own ``conv_forward_im2col``.

    Parameters
    ----------
    conv_forward_im2col, conv_backward_im2col : callable
    cases : {"visible", "hidden"} or list of ConvCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    fname = _name(conv_forward_im2col, "conv_forward_im2col")
    name = _name(conv_backward_im2col, "conv_backward_im2col")
    cases, label_set = _cases(cases, reference)
    count = 0
    for case in cases:
        inputs, p = _case_inputs(reference, case)
        label = _label(case)
        out, cache = _forward(conv_forward_im2col, fname, case, inputs, label)
        forward_ok = isinstance(out, np.ndarray) and close(out, reference[p + "out"], **TOL)
        dout = inputs["in_dout"]
        given = {"dout": dout.copy()}
        with inputs_kept(name, given, who="a backward pass", where=label):
            grads = _grads(call(conv_backward_im2col, name, given["dout"], cache), name,
                           case, label)
        want = {w: reference[p + w] for w in ("dx", "dw", "db")}
        ok = {w: close(g, want[w], **TOL) for w, g in zip(want, grads)}
        count += 3
        for pos, (what, got) in enumerate(zip(("dx", "dw", "db"), grads)):
            if ok[what]:
                continue
            i, yours, exp = worst_index(got, want[what])
            arg = ("x", "w", "b")[pos]
            lines = [f"largest difference at {what}{list(i)}: analytic (yours) {yours:.8g}, "
                     f"expected {exp:.8g}"]
            args = tuple(inputs["in_" + k] for k in ("x", "w", "b"))
            num = _numeric_at(conv_forward_im2col, fname, args, _param(case), pos=pos,
                              index=i, dout=dout)
            if num is not None:
                lines.append(f"numeric gradient of your {fname} there (d/d {arg}{list(i)}): "
                             f"{num:.8g}")
            if not forward_ok:
                lines.append(f"note: your {fname} is wrong on this case too: fix it first, "
                             "the backward works from its cache")
            others = all(ok[w] for w in ok if w != what)
            hints = _grad_hints(what, got, want[what], case, others_ok=others)
            hint = first_hint(got, [(v, m) for v, m in hints
                                    if v is got or not close(v, want[what], **TOL)], **TOL)
            fail(name, f"the gradient {what} is wrong on {label}", *lines,
                 "hint: " + hint if hint else "")
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------ for the grader

def _grade_forward(g, fns, *, cases, reference):
    check_conv_forward_im2col(fns[g.name], cases=cases[g.kind], reference=reference)


def _grade_backward(g, fns, *, cases, reference):
    check_conv_backward_im2col(fns[g.uses[0]], fns[g.name], cases=cases[g.kind],
                               reference=reference)


CHECKS = {"conv_forward_im2col": check_conv_forward_im2col,
          "conv_backward_im2col": check_conv_backward_im2col}

GRADED = [
    _core.Graded("conv_forward_im2col", NOTEBOOK, "test_conv_forward_im2col",
                 "conv_forward_im2col", run=_grade_forward),
    _core.Graded("conv_backward_im2col", NOTEBOOK, "test_conv_backward_im2col",
                 "conv_backward_im2col", uses=("conv_forward_im2col",), run=_grade_backward)]
