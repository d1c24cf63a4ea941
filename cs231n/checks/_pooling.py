"""Part of Assignment 6's checks: max and average pooling, and spatial batch
normalisation (``pooling.ipynb``).

Graded functions, with CS231n's signatures (x of shape (N, C, H, W)):

- ``max_pool_forward_naive(x, pool_param) -> (out, cache)`` and
  ``avg_pool_forward_naive`` alike, ``pool_param`` with the keys
  ``pool_height``, ``pool_width`` and ``stride``; out has shape
  (N, C, Ho, Wo), ``Ho = (H - pool_height) / stride + 1`` and ``Wo`` alike.
  Windows that do not fit (a window larger than the input, or a remainder
  in the division) raise a ValueError.
- ``max_pool_backward_naive(dout, cache) -> dx`` and ``avg_pool_backward_naive``:
  the gradient of every window goes to ONE of its maxima, the first in
  row-major order (the one ``np.argmax`` of the flattened window picks), or
  is spread evenly over the window (average); where windows overlap
  (``stride`` smaller than the window) the contributions add up.
- ``spatial_batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)``
  (gamma and beta of shape (C,), ``bn_param`` as in Assignment 4: ``mode``,
  ``eps``, ``momentum``, ``running_mean`` and ``running_var`` of shape (C,),
  updated in the dict by a train-mode call) and
  ``spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``: batch
  norm per channel, over the N * H * W values of that channel.

A pooling case holds x and dout; the tie cases draw x from three integers,
so that most windows have several maxima (and the first window of the first
example and channel surely has two, at its first and last position).  dout is positive, so that the
sum of dx says where gradient was lost (windows overwritten) or counted
twice (every maximum of a tie).  The backward checks call the student's own
forward and pass its cache.  A spatial batch-norm case is a sequence of
calls with one ``bn_param`` dict (train-mode calls, then optionally a test
call), as in Assignment 4's checks; after every call the output and the
running averages in the dict are compared with the solution's.

Expected values come from the reference (the solution's outputs); the hints
work from the student's output and its properties.  Nothing here computes
an answer.
"""
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import call, case_inputs, close, fail, inputs_kept, passed

__all__ = ["check_max_pool_forward_naive", "check_max_pool_backward_naive",
           "check_avg_pool_forward_naive", "check_avg_pool_backward_naive",
           "check_spatial_batchnorm_forward", "check_spatial_batchnorm_backward"]

NOTEBOOK = "pooling.ipynb"
KINDS = ("max_pool_forward_naive", "max_pool_backward_naive", "avg_pool_forward_naive",
         "avg_pool_backward_naive", "spatial_batchnorm_forward",
         "spatial_batchnorm_backward")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
TABLE = {kind: ("sbn" if kind.startswith("spatial") else "pool") for kind in KINDS}
POOL_TOL = dict(rtol=1e-10, atol=1e-12)
OUT_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class PoolCase:
    """Pooling of x (N, C, H, W) with windows ``ph`` x ``pw`` and ``stride``;
    ``ties``: x drawn from {0, 1, 2}, so that windows have several maxima."""
    name: str
    seed: int
    N: int
    C: int
    H: int
    W: int
    ph: int
    pw: int
    stride: int
    ties: bool = False

    def __post_init__(self):
        sizes = (self.N, self.C, self.H, self.W, self.ph, self.pw, self.stride)
        if min(sizes) < 1 or self.ph > self.H or self.pw > self.W \
                or (self.ties and self.ph * self.pw < 2) \
                or (self.H - self.ph) % self.stride or (self.W - self.pw) % self.stride:
            raise ValueError(f"PoolCase {self.name!r}: need positive sizes and windows that "
                             f"fit (of two pixels or more with ties), got x ({self.N}, "
                             f"{self.C}, {self.H}, {self.W}), window {self.ph}x{self.pw}, "
                             f"stride {self.stride}")

    @property
    def out_shape(self):
        return (self.N, self.C, (self.H - self.ph) // self.stride + 1,
                (self.W - self.pw) // self.stride + 1)

    @property
    def overlap(self):
        return self.stride < max(self.ph, self.pw)


@dataclass(frozen=True)
class SBNCase:
    """Spatial batch norm on x (N, C, H, W): ``train_calls`` train-mode calls
    on fresh batches, then optionally a test call, with one bn_param dict
    (``eps``, ``momentum`` None: the key is left out; ``running``: the dict
    starts with running averages)."""
    name: str
    seed: int
    N: int
    C: int
    H: int
    W: int
    train_calls: int = 1
    test_call: bool = False
    eps: float = None
    momentum: float = None
    running: bool = False

    def __post_init__(self):
        if min(self.N, self.C, self.H, self.W) < 1 or self.train_calls < 0 \
                or self.train_calls + self.test_call < 1 \
                or (self.test_call and not self.train_calls and not self.running):
            raise ValueError(f"SBNCase {self.name!r}: need positive sizes and at least one "
                             f"call (a test call alone needs running=True), got "
                             f"x ({self.N}, {self.C}, {self.H}, {self.W}), "
                             f"train_calls={self.train_calls}, test_call={self.test_call}")

    @property
    def calls(self):
        return self.train_calls + int(self.test_call)


CASES = {
    "pool": {
        "visible": [PoolCase("basic", 3000, 2, 3, 4, 4, 2, 2, 2),
                    PoolCase("overlap", 3001, 2, 2, 5, 7, 3, 3, 2),
                    PoolCase("ties", 3002, 2, 2, 6, 6, 2, 2, 2, ties=True),
                    PoolCase("rectangular", 3003, 1, 2, 11, 9, 2, 3, 3),
                    PoolCase("overlap_ties", 3004, 2, 3, 5, 6, 3, 2, 1, ties=True)],
        "hidden": [PoolCase("single", 3010, 1, 1, 2, 2, 2, 2, 2),
                   PoolCase("global", 3011, 3, 2, 4, 5, 4, 5, 1),
                   PoolCase("many_ties", 3012, 4, 5, 8, 8, 2, 2, 2, ties=True),
                   PoolCase("tall", 3013, 2, 1, 9, 4, 3, 2, 2, ties=True),
                   PoolCase("stride_one", 3014, 1, 3, 6, 7, 2, 2, 1)],
    },
    "sbn": {
        "visible": [SBNCase("one_batch", 3100, 4, 3, 5, 6),
                    SBNCase("train_then_test", 3101, 3, 4, 3, 5, train_calls=3,
                            test_call=True, eps=1e-3, momentum=0.7)],
        "hidden": [SBNCase("given_running", 3110, 2, 5, 4, 3, train_calls=2, test_call=True,
                           running=True, momentum=0.8),
                   SBNCase("one_channel", 3111, 5, 1, 3, 4, train_calls=2, test_call=True),
                   SBNCase("test_only", 3112, 3, 2, 4, 4, train_calls=0, test_call=True,
                           running=True),
                   SBNCase("one_pixel", 3113, 6, 4, 1, 1, train_calls=1, test_call=True)],
    },
}
CASE_TYPES = {"pool": PoolCase, "sbn": SBNCase}


def _cases(kind, cases, reference):
    _core.reference_dict(reference)
    table = TABLE[kind]
    return _core.typed_cases(CASES[table], cases, CASE_TYPES[table], kind)


def _pool_param(case):
    return {"pool_height": case.ph, "pool_width": case.pw, "stride": case.stride}


def _pool_inputs(case):
    rng = np.random.default_rng(case.seed)
    shape = (case.N, case.C, case.H, case.W)
    if case.ties:
        x = rng.integers(0, 3, size=shape).astype(np.float64)
        # At least one sure tie: two maxima, at the first and the last position of
        # the first window (most other windows have ties of their own).
        x[0, 0, 0, 0] = x[0, 0, case.ph - 1, case.pw - 1] = 3.0
    else:
        x = rng.standard_normal(shape)
    return {"in_x": x, "in_dout": rng.uniform(0.5, 1.5, size=case.out_shape)}


def _sbn_inputs(case):
    """x and dout (calls, N, C, H, W), each channel with a mean and scale of its
    own; gamma, beta (C,); given running averages and hyperparameters."""
    rng = np.random.default_rng(case.seed)
    C, T = case.C, case.calls
    shape = (T, case.N, C, case.H, case.W)
    mean = rng.standard_normal(C)[:, None, None]
    std = rng.uniform(0.5, 2.0, C)[:, None, None]
    inputs = {"in_x": mean + std * rng.standard_normal(shape),
              "in_gamma": rng.choice([-1.0, 1.0], C) * rng.uniform(0.5, 2.0, C),
              "in_beta": rng.standard_normal(C),
              "in_dout": rng.standard_normal(shape)}
    if case.running:
        inputs["in_running_mean"] = mean.ravel() + 0.3 * rng.standard_normal(C)
        inputs["in_running_var"] = std.ravel() ** 2 * rng.uniform(0.5, 1.5, C)
    if case.eps is not None:
        inputs["in_eps"] = np.float64(case.eps)
    if case.momentum is not None:
        inputs["in_momentum"] = np.float64(case.momentum)
    return inputs


def _bn_param(inputs, mode):
    """A fresh bn_param from a case's inputs (copies of the running averages)."""
    param = {"mode": mode}
    for key in ("eps", "momentum"):
        if "in_" + key in inputs:
            param[key] = float(inputs["in_" + key])
    for key in ("running_mean", "running_var"):
        if "in_" + key in inputs:
            param[key] = np.array(inputs["in_" + key])
    return param


def _unique(cases, kinds):
    """The cases of ``kinds`` in ``cases``, each name once."""
    seen = {}
    for kind in kinds:
        for case in cases.get(kind, ()):
            seen.setdefault(case.name, case)
    return list(seen.values())


# ------------------------------------------------------------------ reference

def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped; a backward needs its forward).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray: per pooling case ``pool/<case>/in_x``, ``in_dout``
    and the solution's ``max/out``, ``max/dx``, ``avg/out``, ``avg/dx``; per
    spatial batch-norm case its inputs and, per call ``k``,
    ``sbn/<case>/<k>/out``, ``running_mean``, ``running_var`` and (train
    mode) ``dx``, ``dgamma``, ``dbeta``.
    """
    cases = _core.reference_cases(CASES, cases, tables=TABLE)
    ref = {}
    pool_kinds = [k for k in KINDS if TABLE[k] == "pool"]
    for case in _unique(cases, pool_kinds):
        inputs = _pool_inputs(case)
        p = f"pool/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        for how in ("max", "avg"):
            fwd = solutions.get(f"{how}_pool_forward_naive")
            bwd = solutions.get(f"{how}_pool_backward_naive")
            if fwd is None:
                continue
            out, cache = fwd(inputs["in_x"].copy(), _pool_param(case))
            ref[f"{p}{how}/out"] = np.asarray(out)
            if bwd is not None:
                ref[f"{p}{how}/dx"] = np.asarray(bwd(inputs["in_dout"].copy(), cache))
    fwd = solutions.get("spatial_batchnorm_forward")
    bwd = solutions.get("spatial_batchnorm_backward")
    for case in _unique(cases, ("spatial_batchnorm_forward", "spatial_batchnorm_backward")) \
            if fwd else ():
        inputs = _sbn_inputs(case)
        p = f"sbn/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        x, gamma, beta, dout = (inputs[k] for k in ("in_x", "in_gamma", "in_beta", "in_dout"))
        param = _bn_param(inputs, "train")
        for k in range(case.calls):
            q = f"{p}{k}/"
            param["mode"] = "train" if k < case.train_calls else "test"
            out, cache = fwd(x[k].copy(), gamma.copy(), beta.copy(), param)
            ref[q + "out"] = np.asarray(out)
            for key in ("running_mean", "running_var"):
                ref[q + key] = np.array(param[key])
            if bwd is not None and k < case.train_calls:
                for what, g in zip(("dx", "dgamma", "dbeta"), bwd(dout[k].copy(), cache)):
                    ref[q + what] = np.asarray(g)
    return ref


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases
    (the four pooling kinds share theirs, and so do the two batch-norm kinds).

    Every draw has a tie case, an overlapping case and a case with
    rectangular windows of different height and width.
    """
    def seed():
        return int(rng.integers(2**31 - 100))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def fitted(name, ph, pw, stride, *, ties, N=None, C=None):
        H = ph + stride * n(1, 3)
        W = pw + stride * n(1, 3)
        return PoolCase(name, seed(), N or n(1, 3), C or n(1, 4), H, W, ph, pw, stride,
                        ties=ties)

    s = n(2, 3)
    ph = n(1, 3)
    pool = [fitted("unseen_ties", s, s, s, ties=True),
            fitted("unseen_overlap", n(2, 3) + 1, n(2, 3), n(1, 2), ties=bool(n(0, 1))),
            fitted("unseen_rectangular", ph, ph + n(1, 2), n(1, 3), ties=False, N=1, C=2),
            fitted("unseen_overlap_ties", 3, 3, n(1, 2), ties=True)]
    sbn = [SBNCase("unseen_sequence", seed(), n(2, 5), n(2, 5), n(2, 5), n(2, 5),
                   train_calls=n(1, 3), test_call=True,
                   eps=float(10 ** rng.uniform(-4, -2)), momentum=float(rng.uniform(0.5, 0.95)),
                   running=bool(n(0, 1))),
           SBNCase("unseen_defaults", seed(), n(2, 6), n(1, 4), n(1, 4), n(2, 5))]
    return {kind: list(pool if TABLE[kind] == "pool" else sbn) for kind in KINDS}


# ------------------------------------------------------------------- helpers

_name = _core.named


def _grade(g, fns, *, cases, reference):
    args = [fns[name] for name in g.uses] + [fns[g.name]]
    CHECKS[g.kind](*args, cases=cases[g.kind], reference=reference)


def _pool_label(case):
    return (f"test case '{case.name}' (x ({case.N}, {case.C}, {case.H}, {case.W}), "
            f"pool_height={case.ph}, pool_width={case.pw}, stride={case.stride}"
            + (", with ties" if case.ties else "") + ")")


def _pair(result, name, what):
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple ({what}, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    return result


_worst = _core.largest_difference


def _pool_shape_hint(shape, case):
    N, C, Ho, Wo = case.out_shape
    if len(shape) != 4 or shape[:2] != (N, C):
        return "pool every example and channel separately: out is (N, C, Ho, Wo)"
    h, w = shape[2:]
    if (h, w) == ((case.H - case.pw) // case.stride + 1, (case.W - case.ph) // case.stride + 1):
        return ("pool_height runs along H (axis 2) and pool_width along W (axis 3): are "
                "they swapped?")
    ignored = (h, w) == (case.H - case.ph + 1, case.W - case.pw + 1) and case.stride > 1
    off = abs(h - Ho) <= 1 and abs(w - Wo) <= 1
    size = ("the output size is off by one: Ho = (H - pool_height) / stride + 1 "
            "(range(Ho) visits the windows)")
    stride = "the stride is ignored: windows start every `stride` pixels"
    if ignored and off:
        return f"either {stride}, or {size}"
    if ignored or off:
        return stride if ignored else size
    return ""


def _check_pool_sizes(forward, name):
    """Windows that do not fit raise a ValueError."""
    attempts = []
    for shape, param in (((1, 1, 5, 5), (2, 2, 2)), ((1, 1, 4, 8), (2, 3, 2)),
                         ((1, 1, 3, 3), (4, 4, 1))):
        ph, pw, s = param
        attempts.append((f"{name}(x of shape {shape}, pool_height={ph}, pool_width={pw}, "
                         f"stride={s})",
                         lambda shape=shape, p=param: forward(
                             np.ones(shape), {"pool_height": p[0], "pool_width": p[1],
                                              "stride": p[2]})))
    _core.expect_value_error(name, attempts, "the windows must fit: (H - pool_height) must "
                             "be a multiple of stride and pool_height <= H (W alike)")


# ---------------------------------------------------------------- pool forward

def _check_pool_forward(how, forward, *, reference, cases):
    kind = f"{how}_pool_forward_naive"
    name = _name(forward, kind)
    cases, label_set = _cases(kind, cases, reference)
    count = 0
    for case in cases:
        inputs = case_inputs(reference, "pool", case.name)
        label = _pool_label(case)
        want = reference[f"pool/{case.name}/{how}/out"]
        given = {"x": inputs["in_x"].copy()}
        with inputs_kept(name, given, who="a layer", where=label):
            out, _ = _pair(call(forward, name, given["x"], _pool_param(case)), name, "out")
            if not isinstance(out, np.ndarray):
                fail(name, f"out should be a numpy array, got {type(out).__name__} on {label}")
            if out.shape != want.shape:
                hint = _pool_shape_hint(out.shape, case)
                fail(name, f"out has shape {out.shape}, expected {want.shape} on {label}",
                     "hint: " + hint if hint else "")
            count += 1
            if not close(out, want, **POOL_TOL):
                other = "avg" if how == "max" else "max"
                hints = []
                if f"pool/{case.name}/{other}/out" in reference:
                    hints.append((reference[f"pool/{case.name}/{other}/out"],
                                  f"this is {other} pooling: {how} pooling takes the "
                                  + ("maximum" if how == "max" else "mean") + " of a window"))
                if how == "avg":
                    hints.append((want * (case.ph * case.pw),
                                  "this is the sum of each window: divide by its "
                                  "pool_height * pool_width values"))
                hint = _core.first_hint(out, [(v, m) for v, m in hints
                                              if not close(v, want, **POOL_TOL)], **POOL_TOL)
                if not hint and case.H != case.W:
                    hint = ("window (i, j) covers rows i*stride ... i*stride + pool_height - 1 "
                            "and columns j*stride ... j*stride + pool_width - 1")
                fail(name, f"out is wrong on {label}", _worst(out, want, "out"),
                     "hint: " + hint if hint else "")
    _check_pool_sizes(forward, name)
    passed(name, count + 1, f" ({label_set} cases)")


def check_max_pool_forward_naive(max_pool_forward_naive, *, reference, cases="visible"):
    """Check ``max_pool_forward_naive(x, pool_param) -> (out, cache)``.

    Parameters
    ----------
    max_pool_forward_naive : callable
    reference : dict
    cases : {"visible", "hidden"} or list of PoolCase
    """
    _check_pool_forward("max", max_pool_forward_naive, reference=reference, cases=cases)


def check_avg_pool_forward_naive(avg_pool_forward_naive, *, reference, cases="visible"):
    """Check ``avg_pool_forward_naive(x, pool_param) -> (out, cache)``.

    Parameters
    ----------
    avg_pool_forward_naive : callable
    reference : dict
    cases : {"visible", "hidden"} or list of PoolCase
    """
    _check_pool_forward("avg", avg_pool_forward_naive, reference=reference, cases=cases)


# --------------------------------------------------------------- pool backward

def _pool_backward_hint(how, dx, want, dout, case):
    """What a wrong dx says about the bug (dout is positive)."""
    total, right = float(dx.sum()), float(dout.sum())
    if how == "avg":
        size = case.ph * case.pw
        if close(dx, want * size, **POOL_TOL):
            return ("dx is pool_height * pool_width times too large: each of the window's "
                    "values gets dout / (pool_height * pool_width)")
        if case.overlap and total < right * (1 - 1e-9):
            return ("gradient is lost where windows overlap: a value in several windows "
                    "gets the sum of their shares (accumulate with +=, never assign)")
        return "each window spreads dout / (pool_height * pool_width) over its values"
    if total > right * (1 + 1e-9) and case.ties:
        return ("a window with several maxima sends its gradient to all of them: the "
                "spec routes it to ONE, the first maximum in row-major order (what "
                "np.argmax of the flattened window picks)")
    if total < right * (1 - 1e-9) and case.overlap:
        return ("gradient is lost where windows overlap: a value that is the maximum of "
                "several windows gets the sum of their gradients (accumulate with +=, "
                "never assign)")
    if abs(total - right) <= 1e-9 * right:
        if case.ties:
            return ("the gradient of a window goes to the wrong position: to its maximum, "
                    "and in a tie to the first maximum in row-major order; np.argmax of "
                    "the flattened window gives a flat index into (pool_height, pool_width)")
        return ("the gradient of a window goes to the wrong position: to the maximum of "
                "that window; np.argmax of the flattened window gives a flat index into "
                "(pool_height, pool_width), not into the whole input")
    return ""


def _check_pool_backward(how, forward, backward, *, reference, cases):
    kind = f"{how}_pool_backward_naive"
    fkind = f"{how}_pool_forward_naive"
    fname, name = _name(forward, fkind), _name(backward, kind)
    cases, label_set = _cases(kind, cases, reference)
    count = 0
    for case in cases:
        inputs = case_inputs(reference, "pool", case.name)
        x, dout = inputs["in_x"], inputs["in_dout"]
        label = _pool_label(case)
        out, cache = _pair(call(forward, fname, x.copy(), _pool_param(case)), fname, "out")
        forward_ok = close(out, reference[f"pool/{case.name}/{how}/out"], **POOL_TOL)
        want = reference[f"pool/{case.name}/{how}/dx"]
        given = {"dout": dout.copy()}
        with inputs_kept(name, given, who="a backward pass", where=label):
            dx = _core.array(call(backward, name, given["dout"], cache), x.shape, name, "dx")
            count += 1
            if not close(dx, want, **POOL_TOL):
                hint = _pool_backward_hint(how, np.asarray(dx, dtype=np.float64), want,
                                           dout, case)
                fail(name, f"dx is wrong on {label}", _worst(dx, want, "dx"),
                     f"sum of dx {float(dx.sum()):.8g}, sum of dout {float(dout.sum()):.8g} "
                     "(they must be equal: every window passes on exactly its dout)",
                     "" if forward_ok else f"note: your {fname} is wrong on this case too: "
                                           "fix it first, the backward works from its cache",
                     "hint: " + hint if hint else "")
    passed(name, count, f" ({label_set} cases)")


def check_max_pool_backward_naive(max_pool_forward_naive, max_pool_backward_naive, *,
                                  reference, cases="visible"):
    """Check ``max_pool_backward_naive(dout, cache) -> dx`` on the cache of the
    student's own ``max_pool_forward_naive``.

    Parameters
    ----------
    max_pool_forward_naive, max_pool_backward_naive : callable
    reference : dict
    cases : {"visible", "hidden"} or list of PoolCase
    """
    _check_pool_backward("max", max_pool_forward_naive, max_pool_backward_naive,
                         reference=reference, cases=cases)


def check_avg_pool_backward_naive(avg_pool_forward_naive, avg_pool_backward_naive, *,
                                  reference, cases="visible"):
    """Check ``avg_pool_backward_naive(dout, cache) -> dx`` on the cache of the
    student's own ``avg_pool_forward_naive``.

    Parameters
    ----------
    avg_pool_forward_naive, avg_pool_backward_naive : callable
    reference : dict
    cases : {"visible", "hidden"} or list of PoolCase
    """
    _check_pool_backward("avg", avg_pool_forward_naive, avg_pool_backward_naive,
                         reference=reference, cases=cases)


# ------------------------------------------------------------ spatial batch norm

def _sbn_label(case, k):
    mode = "train" if k < case.train_calls else "test"
    return (f"test case '{case.name}' (x ({case.N}, {case.C}, {case.H}, {case.W}), call "
            f"{k + 1} of {case.calls}, mode='{mode}')")


def _sbn_hint(out, gamma, beta, want):
    """Which axes the student's output was standardised over (from its own
    numbers: (out - beta) / gamma per channel)."""
    z = (out - beta[:, None, None]) / gamma[:, None, None]
    N, C, H, W = z.shape

    def standard(a, axis):
        """Mean 0 and variance 1 (up to eps) over ``axis``, for every other index."""
        return bool(np.allclose(a.mean(axis=axis), 0, atol=1e-6)
                    and np.allclose(a.var(axis=axis), 1, atol=1e-2))
    if N > 1 and H * W > 1 and standard(z, 0):
        return ("every pixel (c, h, w) is normalised over the batch alone: spatial batch "
                "norm has one mean and variance per CHANNEL, over N, H and W")
    if C > 1 and H * W > 1 and standard(z, (0, 1)):
        return ("the statistics are over (N, C), per pixel: spatial batch norm has one "
                "mean and variance per channel, over N, H and W")
    rows = (out.reshape(-1, C) - beta) / gamma    # the layout of a plain reshape
    if C > 1 and H * W > 1 and standard(rows, 0):
        return ("x of shape (N, C, H, W) reshaped straight to (-1, C) mixes the channels: "
                "each row must hold the C channels of ONE pixel, so move the channel axis "
                "last before the reshape (and back after it)")
    if C > 1 and H * W > 1:
        return ("each channel is standardised over N, H and W; after batchnorm_forward, "
                "bring the rows back to (N, C, H, W) by undoing the forward's reshape and "
                "transpose in reverse order")
    return ""


def check_spatial_batchnorm_forward(spatial_batchnorm_forward, *, reference,
                                    cases="visible"):
    """Check ``spatial_batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)``
    on a sequence of calls with one bn_param, its running averages included.

    Parameters
    ----------
    spatial_batchnorm_forward : callable
    reference : dict
    cases : {"visible", "hidden"} or list of SBNCase
    """
    kind = "spatial_batchnorm_forward"
    name = _name(spatial_batchnorm_forward, kind)
    cases, label_set = _cases(kind, cases, reference)
    count = 0
    for case in cases:
        inputs = case_inputs(reference, "sbn", case.name)
        x, gamma, beta = inputs["in_x"], inputs["in_gamma"], inputs["in_beta"]
        param = _bn_param(inputs, "train")
        for k in range(case.calls):
            q = f"sbn/{case.name}/{k}/"
            label = _sbn_label(case, k)
            param["mode"] = "train" if k < case.train_calls else "test"
            given = {"x": x[k].copy(), "gamma": gamma.copy(), "beta": beta.copy()}
            with inputs_kept(name, given, who="a layer", where=label):
                out, _ = _pair(call(spatial_batchnorm_forward, name, given["x"],
                                    given["gamma"], given["beta"], param), name, "out")
                out = _core.array(out, x[k].shape, name, "out")
                want = reference[q + "out"]
                count += 1
                if not close(out, want, **OUT_TOL):
                    hint = _sbn_hint(out, gamma, beta, want) if k < case.train_calls else (
                        "test mode normalises with bn_param's running averages")
                    fail(name, f"out is wrong on {label}", _worst(out, want, "out"),
                         "hint: " + hint if hint else "")
            for key in ("running_mean", "running_var"):
                count += 1
                got = param.get(key)
                exp = reference[q + key]
                if got is None or np.shape(got) != exp.shape \
                        or not close(np.asarray(got, dtype=np.float64), exp, **OUT_TOL):
                    shape = np.shape(got) if got is not None else None
                    hint = ("bn_param has no running averages after a train-mode call: pass "
                            "bn_param itself to batchnorm_forward, which stores them there"
                            if got is None else
                            f"bn_param['{key}'] has shape {shape}, expected ({case.C},): one "
                            "per channel" if shape != exp.shape else
                            "pass bn_param itself (not a copy) to batchnorm_forward: it "
                            "updates the running averages in the dict")
                    fail(name, f"bn_param['{key}'] is wrong after {label}",
                         "" if got is None or shape != exp.shape else
                         _worst(np.asarray(got, dtype=np.float64), exp, key),
                         "hint: " + hint)
    passed(name, count, f" ({label_set} cases)")


def check_spatial_batchnorm_backward(spatial_batchnorm_forward, spatial_batchnorm_backward,
                                     *, reference, cases="visible"):
    """Check ``spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``
    on the cache of the student's own ``spatial_batchnorm_forward`` in train mode.

    Parameters
    ----------
    spatial_batchnorm_forward, spatial_batchnorm_backward : callable
    reference : dict
    cases : {"visible", "hidden"} or list of SBNCase
    """
    kind = "spatial_batchnorm_backward"
    fname = _name(spatial_batchnorm_forward, "spatial_batchnorm_forward")
    name = _name(spatial_batchnorm_backward, kind)
    cases, label_set = _cases(kind, cases, reference)
    count = 0
    for case in cases:
        inputs = case_inputs(reference, "sbn", case.name)
        x, gamma, beta, dout = (inputs[k] for k in ("in_x", "in_gamma", "in_beta", "in_dout"))
        C = case.C
        for k in range(case.train_calls):
            q = f"sbn/{case.name}/{k}/"
            label = _sbn_label(case, k)
            # bn_param as the solution's was before this call: a train-mode output
            # does not depend on the running averages, but keep them in step.
            param = _bn_param(inputs, "train")
            if k:
                for key in ("running_mean", "running_var"):
                    param[key] = np.array(reference[f"sbn/{case.name}/{k - 1}/{key}"])
            out, cache = _pair(call(spatial_batchnorm_forward, fname, x[k].copy(),
                                    gamma.copy(), beta.copy(), param), fname, "out")
            forward_ok = close(out, reference[q + "out"], **OUT_TOL)
            given = {"dout": dout[k].copy()}
            with inputs_kept(name, given, who="a backward pass", where=label):
                result = call(spatial_batchnorm_backward, name, given["dout"], cache)
                if not isinstance(result, tuple) or len(result) != 3:
                    fail(name, "should return a tuple (dx, dgamma, dbeta), got "
                               f"{type(result).__name__}")
                for what, got, shape in zip(("dx", "dgamma", "dbeta"), result,
                                            (x[k].shape, (C,), (C,))):
                    got = _core.array(got, shape, name, what)
                    want = reference[q + what]
                    count += 1
                    if not close(got, want, **GRAD_TOL):
                        hint = ""
                        if close(got, -want, **GRAD_TOL):
                            hint = f"{what} has the wrong sign"
                        elif what != "dx" and close(got, want / (case.N * case.H * case.W),
                                                    **GRAD_TOL):
                            hint = (f"{what} is averaged over the N * H * W rows: sum them, "
                                    f"as batch norm sums {what} over its batch")
                        elif what == "dx" and not forward_ok:
                            hint = ""
                        elif what == "dx":
                            hint = ("undo the forward's reshape exactly: the gradient of row "
                                    "r, channel c belongs to the pixel and channel that row "
                                    "r, channel c came from")
                        fail(name, f"the gradient {what} is wrong on {label}",
                             _worst(got, want, what),
                             "" if forward_ok else f"note: your {fname} is wrong on this "
                                                   "case too: fix it first, the backward "
                                                   "works from its cache",
                             "hint: " + hint if hint else "")
    passed(name, count, f" ({label_set} cases)")


CHECKS = {"max_pool_forward_naive": check_max_pool_forward_naive,
          "max_pool_backward_naive": check_max_pool_backward_naive,
          "avg_pool_forward_naive": check_avg_pool_forward_naive,
          "avg_pool_backward_naive": check_avg_pool_backward_naive,
          "spatial_batchnorm_forward": check_spatial_batchnorm_forward,
          "spatial_batchnorm_backward": check_spatial_batchnorm_backward}

_USES = {"max_pool_backward_naive": ("max_pool_forward_naive",),
         "avg_pool_backward_naive": ("avg_pool_forward_naive",),
         "spatial_batchnorm_backward": ("spatial_batchnorm_forward",)}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, uses=_USES.get(kind, ()),
                       run=_grade) for kind in KINDS]
