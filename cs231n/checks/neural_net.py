"""Checks of Assignment 2 (``a2_neural_net``): layers forward and backward,
the SVM and softmax losses on scores, the two-layer network.

Outputs and gradients are compared with reference values computed by the
instructor's solution notebooks (``reference/a2_neural_net.npz``) on inputs
generated from each case's seed.  A mismatch is matched against the common
bugs of the catalogue, alone and in combination, to give a hint that names
every cause; a failure also lists the other wrong outputs of the same call.
A wrong gradient is compared with a centred-difference gradient of the
student's own forward (or loss) at the worst index.  The softmax-based
checks have scores in the thousands whose rows lie far apart: a missing
max-shift and one maximum for all rows (instead of each row's) both fail
there, each with its own hint.

Conventions checked: ``name_forward(x, ...) -> (out, cache)``;
``affine_backward(dout, cache) -> (dx, dw, db)`` with ``dx`` of x's shape
``(N, d1, ..., dk)``; an activation's backward returns ``dx`` only; losses on
scores return ``(loss, dscores)`` averaged over N.  Inputs must never be
modified in place (``_core.inputs_kept``: with right values, the failure says
so first).  At an input of exactly 0 (the kink of ReLU, leaky ReLU and
ELU) either one-sided derivative is accepted.  A forward's cache is opaque:
the checks pass it unchanged to the backward and never look inside.

Tolerances (float64): outputs and losses ``rtol=1e-7, atol=1e-10``,
gradients ``rtol=1e-6, atol=1e-9``.
"""
import itertools
from dataclasses import dataclass

import numpy as np

from ..gradient_check import numeric_grad, numeric_grad_array
from ..contract import Assignment
from . import _core, _training
from ._core import (CheckFailure, array, call, case_inputs, check_kind, close, fail,
                    finite_loss, first_hint, inputs_kept, passed, scalar, select_cases,
                    worst_index)
from ._core import reference as stored_reference
from .linear import check_at_least

__all__ = ["check_forward", "check_backward", "check_scores_loss", "check_two_layer_net",
           "check_at_least", "AffineCase", "ActivationCase", "LossCase", "NetCase",
           "GRADED", "RECOMPUTED", "SOLUTIONS", "make_reference", "random_cases",
           "ASSIGNMENT"]

AID = "a2_neural_net"
OUT_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)
LAYERS = ("affine", "relu", "sigmoid", "tanh", "leaky_relu", "elu")
ACTIVATIONS = LAYERS[1:]
LOSSES = ("svm", "softmax")
DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}   # the signatures of the assignment
KINKED = ("relu", "leaky_relu", "elu")              # a kink (or a jump of slope) at x = 0
PARAM_KEYS = ("W1", "b1", "W2", "b2")
BIG_NET = (50, 40, 10)   # (D, H, C) of the net whose initial weights' std is measured


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class AffineCase:
    name: str
    seed: int
    x_shape: tuple      # (N, d1, ..., dk)
    M: int              # output width


@dataclass(frozen=True)
class ActivationCase:
    name: str
    seed: int
    shape: tuple
    alpha: float = None     # None: the forward is called without alpha (its default)
    extremes: bool = False  # plant 0, +-1e-3, +-40 and +-800 among the inputs


@dataclass(frozen=True)
class LossCase:
    name: str
    seed: int
    N: int
    C: int
    offset: float = 0.0     # added to every score: exp overflows without the max-shift
    y_dtype: str = "int64"
    row_spread: float = 0.0  # rows' offsets spread over [0, row_spread]: a global max-shift
    #                          (one maximum for the whole array) underflows to 0 / 0


@dataclass(frozen=True)
class NetCase:
    name: str
    seed: int
    N: int
    D: int
    H: int
    C: int
    reg: float
    weight_scale: float = None  # None: construct with the defaults (weight_scale, reg)
    offset: float = 0.0      # added to b2, so to every score (see _net_inputs)
    row_spread: float = 0.0  # the rows' scores lie up to this far apart (see _net_inputs)

    def __post_init__(self):
        if self.weight_scale is None and self.reg != 0:
            raise ValueError(f"NetCase {self.name!r}: a case without weight_scale uses the "
                             f"constructor's defaults, so its reg must be 0, got {self.reg!r}")


SPECIAL = (0.0, 0.0, -800.0, 800.0, -40.0, 40.0, -1e-3, 1e-3)

CASES = {
    "affine": {
        "visible": [AffineCase("matrix", 100, (4, 5), M=3),
                    AffineCase("images", 101, (3, 4, 5), M=6)],
        "hidden": [AffineCase("single", 110, (1, 7), M=2),
                   AffineCase("square", 111, (6, 4), M=4),
                   AffineCase("volumes", 112, (2, 3, 4, 5), M=4),
                   AffineCase("wide", 113, (10, 2, 6), M=12)],
    },
    "relu": {
        "visible": [ActivationCase("mixed", 200, (4, 6), extremes=True)],
        "hidden": [ActivationCase("single", 210, (1, 1)),
                   ActivationCase("volume", 211, (2, 3, 4), extremes=True)],
    },
    "sigmoid": {
        "visible": [ActivationCase("mixed", 300, (4, 6), extremes=True)],
        "hidden": [ActivationCase("single", 310, (1, 1)),
                   ActivationCase("volume", 311, (2, 3, 4), extremes=True)],
    },
    "tanh": {
        "visible": [ActivationCase("mixed", 400, (4, 6), extremes=True)],
        "hidden": [ActivationCase("single", 410, (1, 1)),
                   ActivationCase("volume", 411, (2, 3, 4), extremes=True)],
    },
    "leaky_relu": {
        "visible": [ActivationCase("mixed", 500, (4, 6), extremes=True),
                    ActivationCase("alpha", 501, (3, 5), alpha=0.2)],
        "hidden": [ActivationCase("single", 510, (1, 1)),
                   ActivationCase("alpha_extremes", 511, (2, 10), alpha=0.35, extremes=True)],
    },
    "elu": {
        "visible": [ActivationCase("mixed", 600, (4, 6), extremes=True),
                    ActivationCase("alpha", 601, (3, 5), alpha=0.5)],
        "hidden": [ActivationCase("single", 610, (1, 1)),
                   ActivationCase("alpha_extremes", 611, (2, 10), alpha=2.5, extremes=True)],
    },
    "svm": {
        "visible": [LossCase("small", 700, N=5, C=3),
                    LossCase("large_scores", 701, N=4, C=5, offset=1000.0)],
        "hidden": [LossCase("single", 710, N=1, C=4),
                   LossCase("int32_labels", 711, N=30, C=10, y_dtype="int32"),
                   LossCase("negative_scores", 712, N=6, C=3, offset=-3e4)],
    },
    "softmax": {
        "visible": [LossCase("small", 800, N=5, C=3),
                    LossCase("large_scores", 801, N=4, C=5, offset=1000.0),
                    LossCase("rows_apart", 802, N=6, C=4, row_spread=2000.0)],
        "hidden": [LossCase("single", 810, N=1, C=4),
                   LossCase("int32_labels", 811, N=30, C=10, y_dtype="int32"),
                   LossCase("negative_scores", 812, N=6, C=3, offset=-3e4),
                   LossCase("rows_apart_negative", 813, N=8, C=3, offset=-5000.0,
                            row_spread=3000.0)],
    },
    "two_layer_net": {
        "visible": [NetCase("no_reg", 900, N=5, D=4, H=6, C=3, reg=0.0),
                    NetCase("regularised", 901, N=7, D=5, H=8, C=4, reg=0.3,
                            weight_scale=1e-2),
                    NetCase("large_scores", 902, N=6, D=4, H=5, C=3, reg=0.0,
                            row_spread=2000.0)],
        "hidden": [NetCase("single", 910, N=1, D=3, H=5, C=2, reg=0.1, weight_scale=0.5),
                   NetCase("wide", 911, N=20, D=12, H=15, C=6, reg=2.0, weight_scale=1e-3),
                   NetCase("square", 912, N=6, D=5, H=4, C=4, reg=0.05, weight_scale=0.1),
                   NetCase("large_negative_scores", 913, N=9, D=6, H=7, C=5, reg=0.0,
                           offset=-3000.0, row_spread=1500.0)],
    },
}
CASE_TYPES = dict({k: ActivationCase for k in ACTIVATIONS}, affine=AffineCase,
                  svm=LossCase, softmax=LossCase, two_layer_net=NetCase)

# The solution functions that produce the reference values: kind -> (notebook, name).
SOLUTIONS = {f"{layer}_{part}": ("backprop.ipynb", f"{layer}_{part}")
             for layer in LAYERS for part in ("forward", "backward")}
SOLUTIONS.update({"svm_loss": ("backprop.ipynb", "svm_loss"),
                  "softmax_loss": ("backprop.ipynb", "softmax_loss"),
                  "two_layer_net": ("two_layer_net.ipynb", "TwoLayerNet")})


def _cases(key, cases):
    kind = CASE_TYPES[key]
    return select_cases(CASES[key], cases, lambda c: isinstance(c, kind),
                        f"{kind.__name__} (random_cases(rng)[{key!r}])")


def _array(value, shape, name, what):
    """``_core.array``, and the values must be numbers."""
    value = array(value, shape, name, what)
    if value.dtype.kind not in "biuf":
        fail(name, f"{what} should hold numbers, got an array of dtype {value.dtype}")
    return value


def _name(fn, default):
    return getattr(fn, "__name__", default)


# ----------------------------------------------------------- inputs from seeds

def _affine_inputs(case):
    rng = np.random.default_rng(case.seed)
    D = int(np.prod(case.x_shape[1:]))
    return {"in_x": rng.standard_normal(case.x_shape),
            "in_w": rng.standard_normal((D, case.M)) / np.sqrt(D),
            "in_b": rng.standard_normal(case.M),
            "in_dout": rng.standard_normal((case.x_shape[0], case.M))}


def _activation_inputs(case):
    rng = np.random.default_rng(case.seed)
    x = 2.0 * rng.standard_normal(case.shape)
    if case.extremes:
        flat = x.reshape(-1)
        flat[rng.permutation(flat.size)[:len(SPECIAL)]] = SPECIAL
    inputs = {"in_x": x, "in_dout": rng.standard_normal(case.shape)}
    if case.alpha is not None:
        inputs["in_alpha"] = np.float64(case.alpha)
    return inputs


def _row_offsets(rng, N, spread):
    """N offsets evenly spaced over [0, spread], in random order."""
    return spread * rng.permutation(np.linspace(0.0, 1.0, N))


def _loss_inputs(case):
    rng = np.random.default_rng(case.seed)
    inputs = {"in_scores": 2.0 * rng.standard_normal((case.N, case.C)) + case.offset,
              "in_y": rng.integers(case.C, size=case.N).astype(case.y_dtype)}
    if case.row_spread:
        inputs["in_scores"] += _row_offsets(rng, case.N, case.row_spread)[:, None]
    return inputs


def _net_inputs(case):
    rng = np.random.default_rng(case.seed)
    D, H, C = case.D, case.H, case.C
    # Weights large enough that the ReLU is active and inactive, non-zero biases.
    inputs = {"in_X": rng.standard_normal((case.N, D)),
              "in_y": rng.integers(C, size=case.N),
              "in_W1": rng.standard_normal((D, H)) / np.sqrt(D),
              "in_b1": 0.5 * rng.standard_normal(H),
              "in_W2": rng.standard_normal((H, C)) / np.sqrt(H),
              "in_b2": 0.5 * rng.standard_normal(C),
              "in_reg": np.float64(case.reg)}
    if case.row_spread:
        # Hidden unit 0 copies input 0 plus 0.5: h[i, 0] = 2 r_i + 0.5 with r_i
        # spread over [0, 1].  Row 0 of W2 adds row_spread / 2 to every class,
        # so row i's scores all move by row_spread * (r_i + 1/4): the rows lie
        # up to row_spread apart, while the scores within a row stay a few
        # units apart (no probability underflows with a per-row max-shift).
        inputs["in_X"][:, 0] = 2.0 * _row_offsets(rng, case.N, 1.0)
        inputs["in_W1"][:, 0] = 0.0
        inputs["in_W1"][0, 0] = 1.0
        inputs["in_b1"][0] = 0.5
        inputs["in_W2"][0] += case.row_spread / 2
    inputs["in_b2"] += case.offset
    return inputs


INPUTS = dict({k: _activation_inputs for k in ACTIVATIONS}, affine=_affine_inputs,
              svm=_loss_inputs, softmax=_loss_inputs, two_layer_net=_net_inputs)


def _layer_args(kind, inputs):
    """The forward's arguments: (x, w, b), (x,) or (x, alpha)."""
    if kind == "affine":
        return [inputs["in_x"], inputs["in_w"], inputs["in_b"]]
    if "in_alpha" in inputs:
        return [inputs["in_x"], float(inputs["in_alpha"])]
    return [inputs["in_x"]]


def _copies(args):
    return [np.array(a) if isinstance(a, np.ndarray) else a for a in args]


def _new_net(cls, name, case, dims, seed, *, call_fn=None):
    """``cls(D, H, C, [weight_scale=..., reg=...,] rng=default_rng(seed))``."""
    kwargs = {} if case.weight_scale is None else dict(weight_scale=case.weight_scale,
                                                       reg=case.reg)
    rng = np.random.default_rng(seed)
    if call_fn is None:
        return cls(*dims, rng=rng, **kwargs)
    return call_fn(cls, name, *dims, rng=rng, **kwargs)


def _default_cases():
    return {key: table["visible"] + table["hidden"] for key, table in CASES.items()}


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped; a backward needs its forward).
    cases : dict, optional
        As returned by ``random_cases``: key -> list of cases.  By default the
        visible and hidden cases of every key.

    Returns
    -------
    dict of str -> ndarray, to be saved with ``np.savez``: the inputs of
    every case (``<key>/<case>/in_*``) and the solution's outputs.
    """
    if cases is None:
        cases = _default_cases()
    if not isinstance(cases, dict) or set(cases) - set(CASES):
        raise ValueError(f"cases must be a dict with keys among {tuple(CASES)}, got "
                         f"{cases!r:.200}")
    ref = {}
    for kind in LAYERS:
        fwd, bwd = solutions.get(kind + "_forward"), solutions.get(kind + "_backward")
        for case in cases.get(kind, ()) if fwd else ():
            inputs = INPUTS[kind](case)
            p = f"{kind}/{case.name}/"
            ref.update({p + k: v for k, v in inputs.items()})
            args = _layer_args(kind, inputs)
            out, cache = fwd(*_copies(args))
            ref[p + "out"] = np.asarray(out)
            if bwd:
                grads = bwd(inputs["in_dout"].copy(), cache)
                for g, value in zip(_grad_names(kind), grads if kind == "affine" else [grads]):
                    ref[p + g] = np.asarray(value)
            if "in_alpha" in inputs:
                # The outputs at the default alpha, to recognise an ignored alpha.
                out0, cache0 = fwd(inputs["in_x"].copy())
                ref[p + "out_default"] = np.asarray(out0)
                if bwd:
                    ref[p + "dx_default"] = np.asarray(bwd(inputs["in_dout"].copy(), cache0))
    for kind in LOSSES:
        fn = solutions.get(kind + "_loss")
        for case in cases.get(kind, ()) if fn else ():
            inputs = _loss_inputs(case)
            loss, dscores = fn(inputs["in_scores"].copy(), inputs["in_y"].copy())
            p = f"{kind}/{case.name}/"
            ref.update({p + k: v for k, v in inputs.items()})
            ref.update({p + "loss": np.float64(loss), p + "dscores": np.asarray(dscores)})
    cls = solutions.get("two_layer_net")
    for case in cases.get("two_layer_net", ()) if cls else ():
        inputs = _net_inputs(case)
        p = f"two_layer_net/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        dims = (case.D, case.H, case.C)
        for prefix, reg in (("", case.reg), ("data_", 0.0)):
            # data_*: the same network without regularisation, for the hints.
            net = cls(*dims, weight_scale=1e-3, reg=reg, rng=np.random.default_rng(case.seed))
            for k in PARAM_KEYS:
                net.params[k] = inputs["in_" + k].copy()
            if not prefix:
                ref[p + "scores"] = np.asarray(net.loss(inputs["in_X"].copy()))
            loss, grads = net.loss(inputs["in_X"].copy(), inputs["in_y"].copy())
            ref[p + prefix + "loss"] = np.float64(loss)
            ref.update({p + prefix + "d" + k: np.asarray(grads[k]) for k in PARAM_KEYS})
    return ref


def _grad_names(kind):
    return ("dx", "dw", "db") if kind == "affine" else ("dx",)


# --------------------------------------------------------------------- layers

def _label(kind, case, inputs):
    x = inputs["in_x"]
    if kind == "affine":
        return f"test case '{case.name}' (x {x.shape}, w {inputs['in_w'].shape})"
    alpha = (f", alpha={float(inputs['in_alpha']):g}" if "in_alpha" in inputs
             else ", default alpha" if kind in DEFAULT_ALPHA else "")
    return f"test case '{case.name}' (x {x.shape}{alpha})"


def _array_inputs(kind, args):
    """The forward's array inputs by name, for ``inputs_kept``."""
    names = ("x", "w", "b") if kind == "affine" else ("x",)
    return dict(zip(names, args))


def _run_forward(kind, forward, name, args, label):
    """Call the student's forward: ``(out, cache)``, out checked for shape."""
    x = args[0]
    try:
        result = call(forward, name, *args)
    except CheckFailure as e:
        if kind == "affine" and x.ndim > 2:
            raise CheckFailure(
                f"{e}\n  on {label}\n  hint: x has shape (N, d1, ..., dk); flatten each example "
                "first, x.reshape(x.shape[0], -1), to get the (N, D) matrix") from e.__cause__
        raise
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple (out, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    shape = (x.shape[0], args[1].shape[1]) if kind == "affine" else x.shape
    out = result[0]
    if kind == "affine" and isinstance(out, np.ndarray) and out.ndim == 2 \
            and out.shape[0] != x.shape[0]:
        fail(name, f"out has shape {out.shape}, expected (N, M) = {shape} on {label}",
             "hint: keep one row per example: x.reshape(x.shape[0], -1) flattens each "
             "example into a row of length D = d1 * ... * dk")
    return _array(out, shape, name, "out"), result[1]


def _forward_hints(kind, args, want, inputs):
    """(value, message) candidates of the common bugs of a forward pass: an
    ignored alpha, the layer's own (``_FORWARD_HINTS``), the wrong sign."""
    x = args[0]
    alpha = float(inputs["in_alpha"]) if "in_alpha" in inputs else DEFAULT_ALPHA.get(kind)
    hints = []
    if "out_default" in inputs:
        hints.append((inputs["out_default"], f"your output is the one for the default alpha "
                                             f"{DEFAULT_ALPHA[kind]:g}: use the alpha you are "
                                             f"given ({alpha:g})"))
    if kind in _FORWARD_HINTS:
        hints += _FORWARD_HINTS[kind](x, args, want, alpha)
    hints.append((-want, "the output has the wrong sign"))
    return [(v, m) for v, m in hints if not close(v, want, **OUT_TOL)]


def _affine_forward_hints(x, args, want, alpha):
    w, b = args[1], args[2]
    hints = [(want - b, "the bias b is not added")]
    if x.ndim > 2:
        hints.append((x.reshape(x.shape[0], -1, order="F") @ w + b,
                      "x is flattened in Fortran (column) order: x.reshape(x.shape[0], -1) "
                      "keeps numpy's row order, which matches w's rows"))
    return hints


def _relu_forward_hints(x, args, want, alpha):
    return [(x, "negative inputs pass through unchanged: ReLU sets them to 0"),
            (np.minimum(x, 0), "this is min(x, 0): ReLU keeps the positive part"),
            (np.abs(x), "this is |x|: ReLU sets negative inputs to 0")]


def _sigmoid_forward_hints(x, args, want, alpha):
    return [(1 - want, "this is 1 / (1 + exp(x)): the sigmoid is 1 / (1 + exp(-x))")]


def _leaky_relu_forward_hints(x, args, want, alpha):
    return [(np.maximum(x, 0), "negative inputs give 0: leaky ReLU gives alpha * x there"),
            (np.where(x > 0, alpha * x, x), "alpha multiplies the wrong side: leaky ReLU "
                                            "is x for x > 0 and alpha * x otherwise")]


def _elu_forward_hints(x, args, want, alpha):
    return [(np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0))),
             "for x <= 0 ELU is alpha * (exp(x) - 1): the - 1 is missing")]


# Each layer's own forward hints (tanh has none but the common ones).
_FORWARD_HINTS = {"affine": _affine_forward_hints, "relu": _relu_forward_hints,
                  "sigmoid": _sigmoid_forward_hints, "leaky_relu": _leaky_relu_forward_hints,
                  "elu": _elu_forward_hints}


def _nonfinite_hint(kind, backward=False):
    if kind == "sigmoid":
        return ("exp overflows for large |x| (here x = +-800): evaluate exp only of "
                "-|x|, i.e. 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0"
                + ("; in the backward use the forward's output s (in the cache): "
                   "ds/dx = s * (1 - s)" if backward else ""))
    if kind == "tanh":
        return ("exp overflows for large |x| (here x = +-800): use np.tanh, and in the "
                "backward the forward's output")
    if kind == "elu":
        return ("exp(800) is inf and inf * 0 is nan: choose the branch with np.where "
                "instead of multiplying by a mask, or take exp of np.minimum(x, 0)")
    return "look for a division by zero or an exp of a large number"


def check_forward(kind, forward, *, cases="visible", reference=None):
    """Check a layer's forward pass ``forward(x, ...) -> (out, cache)``.

    Parameters
    ----------
    kind : {"affine", "relu", "sigmoid", "tanh", "leaky_relu", "elu"}
        ``affine_forward(x, w, b)``; the activations take ``x`` and, for
        leaky ReLU and ELU, an optional ``alpha``.
    forward : callable
    cases : {"visible", "hidden"} or list of AffineCase / ActivationCase
    reference : dict, optional
        Reference arrays for a list of cases (``make_reference``); the stored
        ones by default.
    """
    check_kind(kind, LAYERS)
    name = _name(forward, kind + "_forward")
    cases, label_set = _cases(kind, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        inputs = case_inputs(ref, kind, case.name)
        if p + "out_default" in ref:
            inputs["out_default"] = ref[p + "out_default"]
        given = _layer_args(kind, inputs)
        args = _copies(given)   # ours, for the hints: the student's may be changed
        label = _label(kind, case, inputs)
        with inputs_kept(name, _array_inputs(kind, given), who="a layer", where=label):
            out, _ = _run_forward(kind, forward, name, given, label)
            want = ref[p + "out"]
            count += 2
            x = args[0]
            if not np.all(np.isfinite(out)):
                i = tuple(int(k) for k in np.argwhere(~np.isfinite(out))[0])
                fail(name, f"the output is not finite on {label}",
                     f"out{list(i)} = {float(out[i])}" + (f" at x = {float(x[i]):g}"
                                                          if kind != "affine" else ""),
                     "hint: " + _nonfinite_hint(kind))
            if not close(out, want, **OUT_TOL):
                i, got, exp = worst_index(out, want)
                where = f" (x there = {float(x[i]):.6g})" if kind != "affine" else ""
                with np.errstate(all="ignore"):
                    hint = first_hint(out, _forward_hints(kind, args, want, inputs), **OUT_TOL)
                fail(name, f"the output is wrong on {label}",
                     f"largest difference at out{list(i)}{where}: yours {got:.8g}, "
                     f"expected {exp:.8g}", "hint: " + hint if hint else "")
            count += 1
    passed(name, count, f" ({label_set} cases)")


def _numeric_at(forward, name, args, *, pos, index, dout):
    """Centred difference of ``sum(forward(*args)[0] * dout)`` with respect to
    ``args[pos][index]``, using the student's own forward; None if it fails."""
    base = args[pos]

    def f(v):
        a = _copies(args)
        a[pos][index] = v[0]
        return call(forward, name, *a)[0]
    try:
        return float(numeric_grad_array(f, np.array([base[index]], dtype=np.float64), dout)[0])
    except (CheckFailure, ValueError, TypeError, IndexError, KeyError):
        return None


@dataclass(frozen=True)
class _Grad:
    """One gradient of a backward pass, as its hints see it: the layer's
    inputs ``args`` (``x`` first), ``dout``, the gradient's ``name`` and its
    right value ``want``, the layer's ``alpha`` and the forward's ``out``."""
    x: np.ndarray
    args: tuple
    dout: np.ndarray
    name: str
    want: np.ndarray
    alpha: float
    out: object


def _backward_hints(kind, args, dout, *, name, want, inputs):
    """(value, message) candidates of the common bugs, for gradient ``name``:
    an ignored alpha, the layer's own (``_BACKWARD_HINTS``), an activation's
    missing local gradient, the wrong sign."""
    alpha = float(inputs["in_alpha"]) if "in_alpha" in inputs else DEFAULT_ALPHA.get(kind)
    g = _Grad(args[0], tuple(args), dout, name, want, alpha, inputs.get("out"))
    hints = []
    if "dx_default" in inputs:
        hints.append((inputs["dx_default"], f"your dx is the one for the default alpha "
                                            f"{DEFAULT_ALPHA[kind]:g}: keep the alpha of the "
                                            f"forward ({alpha:g}) in the cache and use it"))
    hints += _BACKWARD_HINTS[kind](g)
    if kind in ACTIVATIONS:
        hints.append((dout, "dx equals dout: the local gradient of the activation is missing"))
    hints.append((-want, f"{name} has the wrong sign"))
    return [(v, m) for v, m in hints if np.shape(v) == want.shape
            and not close(v, want, **GRAD_TOL)]


def _affine_backward_hints(g):
    w, N, hints = g.args[1], g.x.shape[0], []
    if g.name == "dx" and w.shape[0] == w.shape[1]:
        hints.append(((g.dout @ w).reshape(g.x.shape), "dx = dout @ w.T: w needs a transpose "
                                                       "((N, M) @ (M, D) gives (N, D))"))
    if g.name == "dw":
        if w.shape[0] == w.shape[1]:
            hints.append((g.want.T, "dw is transposed: x.T @ dout has w's shape (D, M)"))
        hints.append((g.want / N, "dw is divided by N: a layer's backward does not average "
                                  "over the batch (the loss already did)"))
    if g.name == "db":
        hints.append((g.want / N, "db is the mean of dout over the batch; the bias is added "
                                  "to every row, so its gradient is the sum over the rows"))
    return hints


def _relu_backward_hints(g):
    x, dout = g.x, g.dout
    return [(dout, "the gradient passes where x < 0: ReLU's output is constant 0 there, "
                   "so dx must be 0 where x < 0"),
            (dout * (dout > 0), "the mask is taken from dout; it must come from the "
                                "forward's input x (keep it in the cache)"),
            (dout * (x < 0), "the mask is inverted: the gradient flows where x > 0"),
            (dout * np.maximum(x, 0), "dx is dout * relu(x): the local gradient is 1 where "
                                      "x > 0 and 0 elsewhere, not relu(x)")]


def _sigmoid_backward_hints(g):
    return [(g.dout * g.x * (1 - g.x), "you used x where the derivative needs s = sigmoid(x): "
                                       "ds/dx = s * (1 - s), with s the forward's output"),
            (g.dout * g.out, "the factor (1 - s) is missing: ds/dx = s * (1 - s)")]


def _tanh_backward_hints(g):
    return [(g.dout * (1 - g.x * g.x), "the derivative of tanh is 1 - tanh(x)**2, not "
                                       "1 - x**2: use the forward's output"),
            (g.dout * (1 - g.out), "the derivative of tanh is 1 - tanh(x)**2")]


def _leaky_relu_backward_hints(g):
    return [(g.dout * (g.x > 0), "for x < 0 the gradient is alpha * dout, not 0"),
            (np.where(g.x > 0, g.dout, g.alpha * g.x), "for x < 0 the gradient is alpha * "
                                                       "dout, not alpha * x")]


def _elu_backward_hints(g):
    x, dout, alpha = g.x, g.dout, g.alpha
    hints = [(dout * np.where(x > 0, 1.0, x + alpha),
              "for x <= 0 the derivative of alpha * (exp(x) - 1) is alpha * exp(x), which "
              "is out + alpha with out the forward's output, not x + alpha"),
             (dout * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
              "the factor alpha is missing: the derivative for x <= 0 is alpha * exp(x)"),
             (dout * (x > 0), "for x <= 0 the gradient is dout * alpha * exp(x), not 0")]
    if g.out is not None:
        hints.append((dout * np.where(x > 0, 1.0, g.out + 1.0),
                      "for x <= 0 the derivative is out + alpha, not out + 1"))
    return hints


# Each layer's own backward hints.
_BACKWARD_HINTS = {"affine": _affine_backward_hints, "relu": _relu_backward_hints,
                   "sigmoid": _sigmoid_backward_hints, "tanh": _tanh_backward_hints,
                   "leaky_relu": _leaky_relu_backward_hints, "elu": _elu_backward_hints}


def _accept_kinks(kind, x, *, alpha, dout, got, want):
    """At x == 0 either one-sided derivative is right: there ``got`` is
    replaced by ``want`` when it is one of them.  Returns (got, mask of x != 0)."""
    if kind not in KINKED:
        return got, np.ones(got.shape, dtype=bool)
    zero = x == 0
    left = 0.0 if kind == "relu" else alpha
    ok = zero & (np.isclose(got, dout, **GRAD_TOL) | np.isclose(got, left * dout, **GRAD_TOL))
    return np.where(ok, want, got), ~zero


def _unpack_grads(kind, result, args, *, dout, name, label):
    """The student's gradients as a list of arrays, checked for type and shape."""
    x = args[0]
    if kind != "affine":
        if isinstance(result, tuple) and len(result) == 1:
            fail(name, f"returned a tuple of length 1 on {label}",
                 "an activation's backward returns dx itself, not (dx,)")
        return [_array(result, x.shape, name, "dx")]
    if not isinstance(result, tuple) or len(result) != 3:
        fail(name, f"should return a tuple (dx, dw, db), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    dx, dw, db = result
    N, M = dout.shape
    if isinstance(dx, np.ndarray) and dx.shape != x.shape and dx.size == x.size:
        fail(name, f"dx has shape {dx.shape}, expected x's shape {x.shape} on {label}",
             "hint: reshape dx back to the shape of the input: dx.reshape(x.shape) "
             "(keep x or its shape in the cache)")
    if isinstance(db, np.ndarray) and db.shape == (N, M) and N > 1:
        fail(name, f"db has shape {db.shape}, expected {(M,)} on {label}",
             "hint: b is added to each of the N rows, so db sums dout over the batch axis")
    return [_array(dx, x.shape, name, "dx"), _array(dw, args[1].shape, name, "dw"),
            _array(db, args[2].shape, name, "db")]


def check_backward(kind, forward, backward, *, cases="visible", reference=None):
    """Check a layer's backward pass ``backward(dout, cache)``.

    The student's ``forward`` makes the cache; ``backward`` returns
    ``(dx, dw, db)`` for "affine" and ``dx`` for the activations.  The
    forward runs on copies of the inputs: whether it keeps them is
    ``check_forward``'s question, not this one's.

    Parameters
    ----------
    kind : {"affine", "relu", "sigmoid", "tanh", "leaky_relu", "elu"}
    forward, backward : callable
    cases : {"visible", "hidden"} or list of AffineCase / ActivationCase
    reference : dict, optional
        As for ``check_forward``.
    """
    check_kind(kind, LAYERS)
    name = _name(backward, kind + "_backward")
    fname = _name(forward, kind + "_forward")
    cases, label_set = _cases(kind, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        inputs = case_inputs(ref, kind, case.name)
        for extra in ("out", "dx_default"):
            if p + extra in ref:
                inputs[extra] = ref[p + extra]
        args = _layer_args(kind, inputs)
        given = inputs["in_dout"].copy()   # the student's; dout stays ours
        dout = inputs["in_dout"]
        x = args[0]
        alpha = float(inputs["in_alpha"]) if "in_alpha" in inputs else DEFAULT_ALPHA.get(kind)
        label = _label(kind, case, inputs)
        out, cache = _run_forward(kind, forward, fname, _copies(args), label)
        forward_ok = close(out, ref[p + "out"], **OUT_TOL)
        with inputs_kept(name, {"dout": given}, who="a backward pass", where=label):
            try:
                result = call(backward, name, given, cache)
            except CheckFailure as e:
                if kind != "affine":
                    raise
                raise CheckFailure(
                    f"{e}\n  on {label}\n  hint: check the shapes: dx = dout @ w.T is "
                    "(N, M) @ (M, D), dw = x2.T @ dout is (D, N) @ (N, M) with "
                    "x2 = x.reshape(N, -1)") from e.__cause__
            grads = _unpack_grads(kind, result, args, dout=dout, name=name, label=label)
            for pos, (gname, got) in enumerate(zip(_grad_names(kind), grads)):
                want = ref[p + gname]
                count += 1
                if not np.all(np.isfinite(got)):
                    i = tuple(int(k) for k in np.argwhere(~np.isfinite(got))[0])
                    fail(name, f"{gname} is not finite on {label}",
                         f"{gname}{list(i)} = {float(got[i])}"
                         + (f" at x = {float(x[i]):g}" if kind != "affine" else ""),
                         "hint: " + _nonfinite_hint(kind, backward=True))
                got, smooth = _accept_kinks(kind, x, alpha=alpha, dout=dout, got=got,
                                            want=want)
                if close(got, want, **GRAD_TOL):
                    continue
                i, yours, exp = worst_index(got, want)
                arg = ("x", "w", "b")[pos]
                lines = [f"largest difference at {gname}{list(i)} ({arg} there = "
                         f"{float(args[pos][i]):.6g}): analytic (yours) {yours:.8g}, "
                         f"expected {exp:.8g}"]
                num = _numeric_at(forward, fname, args, pos=pos, index=i, dout=dout)
                if num is not None:
                    lines.append(f"numeric gradient of your {fname} there: {num:.8g}"
                                 + (" (x = 0 is a kink: the centred difference averages "
                                    "both sides)" if kind in KINKED and abs(float(x[i])) < 1e-5
                                    else ""))
                with np.errstate(all="ignore"):
                    hints = _backward_hints(kind, args, dout, name=gname, want=want,
                                            inputs=inputs)
                hint = first_hint(got[smooth], [(v[smooth], m) for v, m in hints], **GRAD_TOL)
                if not forward_ok:
                    lines.append(f"note: your {fname} is wrong on this case too: fix it "
                                 "first, the backward works from its cache")
                fail(name, f"the gradient {gname} is wrong on {label}", *lines,
                     "hint: " + hint if hint else "")
            count += 1
    passed(name, count, f" ({label_set} cases)")


# --------------------------------------------------------------------- losses

def check_scores_loss(kind, fn, *, cases="visible", reference=None):
    """Check a loss on scores ``fn(scores, y) -> (loss, dscores)``, averaged over N.

    Parameters
    ----------
    kind : {"svm", "softmax"}
        Multiclass SVM (margin 1) or softmax cross-entropy.
    fn : callable
    cases : {"visible", "hidden"} or list of LossCase
    reference : dict, optional
        As for ``check_forward``.
    """
    check_kind(kind, LOSSES)
    name = _name(fn, kind + "_loss")
    cases, label_set = _cases(kind, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        inputs = case_inputs(ref, kind, case.name)
        scores, y = inputs["in_scores"], inputs["in_y"]
        given = {"scores": scores.copy(), "y": y.copy()}   # the student's; ours stay
        N, C = scores.shape
        label = f"test case '{case.name}' (N={N}, C={C}, y {y.dtype})"
        with inputs_kept(name, given, who="a loss function", where=label):
            loss, dscores = _call_loss(fn, name, given["scores"], given["y"])
            count += 3
            want, want_d = float(ref[p + "loss"]), ref[p + "dscores"]
            if not (np.isfinite(loss) and np.all(np.isfinite(dscores))):
                def finite_on(rows):
                    try:
                        out = _call_loss(fn, name, scores[rows], y.copy())
                    except CheckFailure:
                        return False
                    return bool(np.isfinite(out[0]) and np.all(np.isfinite(out[1])))
                hint = ("hint: " + _max_shift_hint(scores, finite_on) if kind == "softmax"
                        else "")
                finite_loss(name, label, loss, dscores, grad_name="dscores", hint=hint)
            loss_hints, grad_hints = _scores_loss_hints(kind, want, want_d, y)
            loss_ok = close(loss, want, **OUT_TOL)
            grad_ok = close(dscores, want_d, **GRAD_TOL)
            if not loss_ok:
                hint = first_hint(loss, loss_hints, **OUT_TOL)
                also = [] if grad_ok else [("dscores", first_hint(dscores, grad_hints,
                                                                   **GRAD_TOL))]
                fail(name, f"the loss is wrong on {label}",
                     f"expected {want:.8g}, got {loss:.8g}", "hint: " + hint if hint else "",
                     *_also(also))
            if not grad_ok:
                i, got, exp = worst_index(dscores, want_d)
                lines = [f"largest difference at dscores{list(i)}: analytic (yours) "
                         f"{got:.8g}, expected {exp:.8g}"]
                num = _numeric_loss_at(fn, name, scores, y, i)
                if num is not None:
                    lines.append(f"numeric gradient of your loss there: {num:.8g}")
                hint = first_hint(dscores, grad_hints, **GRAD_TOL)
                fail(name, f"the gradient dscores is wrong on {label}", *lines,
                     "hint: " + hint if hint else "")
            count += 2
    passed(name, count, f" ({label_set} cases)")


def _scores_loss_hints(kind, want, want_d, y):
    """(value, message) candidates of the common bugs of a loss on scores, alone
    and together: for the loss and for dscores."""
    N, C = want_d.shape
    onehot = np.eye(C)[y]
    loss_bugs = [("summed", "the loss is summed over the examples: divide by N (it is the "
                            "mean over examples)")]
    grad_bugs = [("not_divided", "dscores is not divided by N: the loss is a mean over the N "
                                 "examples, so each row's gradient gets a factor 1/N"),
                 ("sign", "dscores has the wrong sign")]
    if kind == "svm":
        loss_bugs.append(("correct", "the margin sum includes the correct class j = y_i, "
                                     "which adds max(0, 1) = 1 per example: skip j == y[i]"))
        grad_bugs.append(("no_correct", "the correct class's entry is missing: dscores[i, y[i]] "
                                        "is minus the number of positive margins of row i "
                                        "(over N)"))

        def loss_value(names):
            return (N if "summed" in names else 1) * (want + ("correct" in names))

        def local(names):
            return np.where(onehot > 0, 0.0, want_d) if "no_correct" in names else want_d
    else:
        loss_bugs.append(("log10", "the loss uses log10: the course uses the natural "
                                   "logarithm np.log"))
        grad_bugs.append(("no_minus_one", "1 is not subtracted at the correct class: "
                                          "dscores = (p - onehot(y)) / N"))

        def loss_value(names):
            return ((N if "summed" in names else 1) * want
                    / (np.log(10) if "log10" in names else 1))

        def local(names):
            return want_d + onehot / N if "no_minus_one" in names else want_d

    def grad_value(names):
        if "sign" in names:
            return -want_d if len(names) == 1 else None
        return (N if "not_divided" in names else 1) * local(names)
    return (_bug_candidates(loss_bugs, loss_value, want, OUT_TOL),
            _bug_candidates(grad_bugs, grad_value, want_d, GRAD_TOL))


def _call_loss(fn, name, scores, y):
    out = call(fn, name, scores, y)
    if not isinstance(out, tuple) or len(out) != 2:
        fail(name, f"should return a tuple (loss, dscores), got {type(out).__name__}"
                   + (f" of length {len(out)}" if isinstance(out, tuple) else ""))
    return scalar(out[0], name, "loss"), _array(out[1], scores.shape, name, "dscores")


def _max_shift_hint(scores, finite_on):
    """The hint for a softmax whose loss is not finite on ``scores`` (N, C).

    ``finite_on(rows)`` says whether the student's loss is finite on
    ``scores[rows]``.  When the rows lie far apart it is asked about N
    copies of the row with the largest scores: finite there means that the
    shift works when all rows are alike, so it subtracts one maximum for all
    rows (or each column's) instead of each row's own.
    """
    top = scores.max(axis=1)
    spread = float(np.ptp(top))
    i = int(np.argmax(np.abs(top)))
    largest = float(np.abs(scores).max())
    if largest < 500:
        return (f"the scores here are at most {largest:.3g} in size, too small for exp to "
                "overflow: look for a division by zero or a log of 0")
    if spread > 100 and finite_on(np.full(len(scores), i)):
        return (f"the rows' largest scores lie up to {spread:.0f} apart here, and your loss is "
                "finite when every row holds the same scores: you subtract one maximum for "
                "all rows (of the whole array, or of each column), so in the rows far below "
                "it exp underflows to 0 everywhere and 0 / 0 or log(0) follows; subtract each "
                "row's own maximum, scores.max(axis=1, keepdims=True)")
    return (f"the scores here reach {largest:.0f} in size and exp over- or "
            "underflows: subtract each row's maximum score before np.exp (the max-shift), "
            "scores.max(axis=1, keepdims=True)")


def _also(wrong, same=""):
    """The last lines of a failure: the other outputs that are wrong too.

    ``wrong`` lists (output, hint) pairs; outputs with one hint share a line,
    and ``same`` is the failure's own hint (said once, not repeated).
    """
    groups = {}
    for what, hint in wrong:
        groups.setdefault(hint, []).append(what)
    lines = []
    for hint, whats in groups.items():
        if hint and hint == same:
            lines.append("also wrong, for the same reason: " + ", ".join(whats))
        else:
            lines.append("also wrong: " + ", ".join(whats) + (f" (hint: {hint})" if hint else ""))
    return lines


def _bug_candidates(bugs, value, want, tol):
    """(value, message) candidates of the known bugs, alone and together.

    Parameters
    ----------
    bugs : list of (str, str)
        The single bugs, (name, message).
    value : callable
        ``value(names)``, names a frozenset of bug names: the output that
        those bugs together give, or None for a combination that cannot
        happen (two ways of getting one step wrong).
    want : float or ndarray
        The right output: a candidate equal to it is left out.
    tol : dict

    Returns
    -------
    list of (value, message), fewest bugs first, so that ``first_hint``
    finds the simplest explanation; a combination's message names every
    cause.  Every subset is tried: the lists are short (at most 2**6
    candidates of the size of one output).
    """
    out = []
    for k in range(1, len(bugs) + 1):
        for combo in itertools.combinations(bugs, k):
            v = value(frozenset(n for n, _ in combo))
            if v is not None and not close(v, want, **tol):
                out.append((v, _causes([m for _, m in combo])))
    return out


def _causes(messages):
    if len(messages) == 1:
        return messages[0]
    return (f"your value is what {len(messages)} bugs give together: "
            + "; ".join(f"({i}) {m}" for i, m in enumerate(messages, 1)))


def _numeric_loss_at(fn, name, scores, y, index):
    def f(v):
        s = scores.copy()
        s[index] = v[0]
        return scalar(call(fn, name, s, y.copy())[0], name)
    try:
        return float(numeric_grad(f, np.array([scores[index]], dtype=np.float64))[0])
    except (CheckFailure, ValueError, TypeError, IndexError):
        return None


# -------------------------------------------------------------- two-layer net

def _read_params(net, name, shapes, when):
    """A snapshot of ``net.params``, checked for keys, types and shapes."""
    try:
        params = dict(net.params)
    except Exception as e:  # no attribute, not a mapping: the student's bug
        fail(name, f"net.params should be a dict {{W1, b1, W2, b2}} {when}",
             f"reading it gave {type(e).__name__}: {e}")
    if set(params) != set(PARAM_KEYS):
        fail(name, f"params has the keys {sorted(params)} {when}, expected "
                   f"{list(PARAM_KEYS)}")
    return {k: _array(params[k], shapes[k], name, f"params['{k}']") for k in PARAM_KEYS}


def _net_hints(inputs, ref, p, N):
    """(value, message) candidates of the common bugs, alone and together: for
    the loss, and per gradient."""
    reg = float(inputs["in_reg"])
    W = {k: inputs["in_" + k] for k in PARAM_KEYS}
    L0 = float(ref[p + "data_loss"])
    G0 = {k: ref[p + "data_d" + k] for k in PARAM_KEYS}
    S = {k: float(np.sum(W[k] ** 2)) for k in PARAM_KEYS}
    loss_bugs = [
        ("no_W1", "the loss lacks the regularisation of W1, 0.5 * reg * sum(W1**2)"),
        ("no_W2", "the loss lacks the regularisation of W2, 0.5 * reg * sum(W2**2)"),
        ("no_reg", "the regularisation term is missing from the loss"),
        ("biases", "the biases are regularised: only W1 and W2 are"),
        ("no_half", "the course's regularisation is 0.5 * reg * (sum(W1**2) + sum(W2**2)); "
                    "you have no factor 0.5"),
        ("summed", "the data loss is summed over the examples: divide it by N")]

    def loss_value(names):
        if ("no_reg" in names and len(names - {"summed"}) > 1) or {"no_W1", "no_W2"} <= names:
            return None   # the same as "no_reg", or nothing left to get wrong
        terms = [] if "no_reg" in names else [k for k in ("W1", "W2")
                                               if "no_" + k not in names]
        terms += ["b1", "b2"] if "biases" in names else []
        half = 1.0 if "no_half" in names else 0.5
        return (N if "summed" in names else 1) * L0 + half * reg * sum(S[k] for k in terms)

    grads = {}
    for k in PARAM_KEYS:
        want = G0[k] + (reg * W[k] if k.startswith("W") else 0.0)
        if k.startswith("W"):
            bugs = [("no_reg", f"the regularisation gradient reg * {k} is missing from d{k}"),
                    ("double_reg", f"the gradient of 0.5 * reg * sum({k}**2) is reg * {k}, "
                                   f"not 2 * reg * {k}"),
                    ("not_averaged", "the gradient is not averaged over the examples: divide "
                                     "dscores by N")]
        else:
            bugs = [("reg", f"the biases are not regularised: d{k} gets no reg * {k}"),
                    ("double_reg", f"the biases are not regularised: d{k} gets no "
                                   f"2 * reg * {k}"),
                    ("not_averaged", "the gradient is not averaged over the examples: divide "
                                     "dscores by N"),
                    ("mean", f"d{k} is divided by N twice: dscores is already averaged, so "
                             f"d{k} is a plain sum over the batch")]
        bugs.append(("sign", f"d{k} has the wrong sign"))

        def grad_value(names, k=k, want=want):
            if "sign" in names:
                return -want if len(names) == 1 else None
            if {"no_reg", "double_reg"} <= names or {"reg", "double_reg"} <= names \
                    or {"not_averaged", "mean"} <= names:
                return None   # two ways of getting one step wrong
            data = N if "not_averaged" in names else 1 / N if "mean" in names else 1
            if k.startswith("W"):
                r = 0 if "no_reg" in names else 2 if "double_reg" in names else 1
            else:
                r = 1 if "reg" in names else 2 if "double_reg" in names else 0
            return data * G0[k] + r * reg * W[k]
        grads[k] = _bug_candidates(bugs, grad_value, want, GRAD_TOL)
    want = L0 + 0.5 * reg * (S["W1"] + S["W2"])
    return _bug_candidates(loss_bugs, loss_value, want, OUT_TOL), grads


def _check_net_init(cls, name, case, dims, label):
    """Keys, shapes, zero biases, weight scale, reproducibility of the constructor."""
    D, H, C = dims
    shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    net = _new_net(cls, name, case, dims, case.seed, call_fn=call)
    params = _read_params(net, name, shapes, "after the constructor")
    for k in ("b1", "b2"):
        if np.any(params[k] != 0):
            fail(name, f"the constructor's {k} is not zero on {label}",
                 "biases start at zero: np.zeros(...)")
    again = _read_params(_new_net(cls, name, case, dims, case.seed, call_fn=call), name, shapes,
                         "after the constructor")
    if not all(np.array_equal(params[k], again[k]) for k in PARAM_KEYS):
        fail(name, "two networks built with the same rng seed have different parameters",
             "draw the weights from the Generator you are given (rng.standard_normal), "
             "not from np.random")
    other = _read_params(_new_net(cls, name, case, dims, case.seed + 1, call_fn=call), name,
                         shapes, "after the constructor")
    if np.array_equal(params["W1"], other["W1"]):
        fail(name, "two networks built with different rng seeds have the same W1",
             "draw the weights from the Generator you are given, rng.standard_normal")
    # The scale, measured on a larger network (2000 and 400 weights).
    scale = 1e-3 if case.weight_scale is None else case.weight_scale
    big = dict(zip(("D", "H", "C"), BIG_NET))
    big_shapes = {"W1": (big["D"], big["H"]), "b1": (big["H"],), "W2": (big["H"], big["C"]),
                  "b2": (big["C"],)}
    params = _read_params(_new_net(cls, name, case, BIG_NET, case.seed, call_fn=call), name,
                          big_shapes, "after the constructor")
    how = ("the default weight_scale (1e-3)" if case.weight_scale is None
           else f"weight_scale={scale:g}")
    for k, tol in (("W1", 0.15), ("W2", 0.25)):
        w = np.asarray(params[k], dtype=np.float64)
        std, mean = float(np.std(w)), float(np.mean(w))
        if not (abs(std / scale - 1) < tol and abs(mean) < tol * scale):
            fail(name, f"the initial {k} has mean {mean:.3g} and standard deviation {std:.3g} "
                       f"with {how} (network {BIG_NET})",
                 f"expected mean about 0 and standard deviation about {scale:g}: "
                 f"{k} = weight_scale * rng.standard_normal(shape)")
    return 6


def check_two_layer_net(cls, *, cases="visible", reference=None):
    """Check ``TwoLayerNet``: its constructor, scores, loss and gradients.

    A failure also names the layers of part 1 that the class calls and that
    fail their own checks (in the student's kernel: the class is built from
    the layers of ``backprop.ipynb``).

    Only these are used, so the class may live in another process:
    ``cls(D, H, C[, weight_scale=..., reg=...], rng=Generator)``, reading
    ``net.params`` (a dict), ``net.params[key] = array`` and ``net.loss(X)``,
    ``net.loss(X, y)``.

    Parameters
    ----------
    cls : type
        ``TwoLayerNet(input_dim, hidden_dim, num_classes, weight_scale=1e-3,
        reg=0.0, rng=None)``.
    cases : {"visible", "hidden"} or list of NetCase
    reference : dict, optional
        As for ``check_forward``.
    """
    try:
        _check_two_layer_net(cls, cases=cases, reference=reference)
    except CheckFailure as e:
        note = _broken_layers(cls)
        if not note:
            raise
        raise CheckFailure(f"{e}\n  {note}") from None


# The layers of part 1 a network may call, each with its own check.
_LAYER_CHECKS = {
    "affine_forward": lambda g: check_forward("affine", g["affine_forward"]),
    "affine_backward": lambda g: check_backward("affine", g["affine_forward"],
                                                g["affine_backward"]),
    "relu_forward": lambda g: check_forward("relu", g["relu_forward"]),
    "relu_backward": lambda g: check_backward("relu", g["relu_forward"], g["relu_backward"]),
    "softmax_loss": lambda g: check_scores_loss("softmax", g["softmax_loss"]),
}


def _broken_layers(cls):
    """A line naming the layers of part 1 that ``cls``'s methods call and that
    fail their own visible checks, or ""."""
    return _core.broken_functions(cls, _LAYER_CHECKS, fix="fix part 1 first")


def _check_two_layer_net(cls, *, cases, reference):
    name = _name(cls, "TwoLayerNet")
    lname = name + ".loss"
    cases, label_set = _cases("two_layer_net", cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"two_layer_net/{case.name}/"
        inputs = case_inputs(ref, "two_layer_net", case.name)
        X, y, reg = inputs["in_X"], inputs["in_y"], float(inputs["in_reg"])
        W = {k: inputs["in_" + k] for k in PARAM_KEYS}
        N, D = X.shape
        H, C = W["W2"].shape
        label = f"test case '{case.name}' (N={N}, D={D}, H={H}, C={C}, reg={reg:g})"
        count += _check_net_init(cls, name, case, (D, H, C), label)

        net = _new_net(cls, name, case, (D, H, C), case.seed, call_fn=call)
        for k in PARAM_KEYS:
            net.params[k] = W[k].copy()
        shapes = {k: v.shape for k, v in W.items()}

        given = {"X": X.copy()}   # the student's; X and y stay ours
        with inputs_kept(lname, given, who="the network's loss", where=label):
            scores = call(net.loss, lname, given["X"])
            scores = _array(scores, (N, C), lname, "loss(X) (the scores, when y is None)")
            want = ref[p + "scores"]
            if not close(scores, want, **OUT_TOL):
                i, got, exp = worst_index(scores, want)
                with np.errstate(all="ignore"):
                    e = np.exp(want - want.max(axis=1, keepdims=True))
                    hints = [(np.maximum(want, 0), "a ReLU is applied to the scores: the output "
                                                   "layer is linear"),
                             ((X @ W["W1"] + W["b1"]) @ W["W2"] + W["b2"],
                              "the hidden layer has no ReLU"),
                             (e / e.sum(axis=1, keepdims=True), "loss(X) returns "
                                                                 "probabilities: it should "
                                                                 "return the raw scores")]
                hint = first_hint(scores, hints, **OUT_TOL)
                fail(lname, f"the scores loss(X) are wrong on {label}",
                     f"largest difference at scores{list(i)}: yours {got:.8g}, expected "
                     f"{exp:.8g}", "hint: " + hint if hint else "")
            _check_params_kept(net, name, shapes, W, "loss(X)")
        count += 3

        given = {"X": X.copy(), "y": y.copy()}
        with inputs_kept(lname, given, who="the network's loss", where=label):
            out = call(net.loss, lname, given["X"], given["y"])
            if not isinstance(out, tuple) or len(out) != 2:
                fail(lname, f"loss(X, y) should return a tuple (loss, grads), got "
                            f"{type(out).__name__}")
            loss = scalar(out[0], lname, "the loss")
            grads = out[1]
            if not isinstance(grads, dict) or set(grads) != set(PARAM_KEYS):
                fail(lname, "grads should be a dict with the keys of params, "
                            f"{list(PARAM_KEYS)}, got "
                            + (f"keys {sorted(grads)}" if isinstance(grads, dict)
                               else type(grads).__name__))
            _check_params_kept(net, name, shapes, W, "loss(X, y)")
            if not np.isfinite(loss):
                def finite_on(rows):
                    try:
                        return bool(np.isfinite(scalar(call(net.loss, lname, X[rows],
                                                            y.copy())[0], lname)))
                    except (CheckFailure, TypeError, IndexError):
                        return False
                fail(lname, f"the loss is not finite ({loss}) on {label}",
                     "hint: " + _max_shift_hint(ref[p + "scores"], finite_on))
            count += 3 + _check_net_values(net, name, loss, grads, X=X, y=y, W=W,
                                           inputs=inputs, ref=ref, p=p, label=label)
    passed(name, count, f" ({label_set} cases)")


def _net_grad(g, k, shape, *, N, name, label):
    """The student's grads[k], checked for type and shape."""
    if (isinstance(g, np.ndarray) and k.startswith("b") and g.ndim == 2
            and g.shape[1:] == shape and N > 1):
        fail(name, f"grads['{k}'] has shape {g.shape}, expected {shape} on {label}",
             f"hint: {k} is added to each of the N rows, so d{k} sums over the batch axis")
    return _array(g, shape, name, f"grads['{k}']")


def _check_net_values(net, name, loss, grads, *, X, y, W, inputs, ref, p, label):
    """Compare the loss and the gradients of a network with the reference.

    A failure names the first wrong output (the loss, then the gradients in
    the order of backprop: a right dW2 and db2 point at the ReLU or the first
    layer) and, on one more line each, every other wrong gradient, each with
    the causes its value shows.  Returns the number of checks passed.
    """
    lname = name + ".loss"
    N = X.shape[0]
    order = ("W2", "b2", "W1", "b1")
    grads = {k: _net_grad(grads[k], k, W[k].shape, N=N, name=lname, label=label) for k in order}
    loss_hints, grad_hints = _net_hints(inputs, ref, p, N)
    wrong = [k for k in order if not close(grads[k], ref[p + "d" + k], **GRAD_TOL)]
    hints = {k: first_hint(grads[k], grad_hints[k], **GRAD_TOL) for k in wrong}
    if not {"W2", "b2"} & set(wrong):
        for k in ("W1", "b1"):
            if k in wrong and not hints[k]:
                hints[k] = ("dW2 and db2 are right, so the error is in the backward pass "
                            "through the ReLU or the first layer: the gradient reaches the "
                            "hidden pre-activation only where it is > 0, and dW1 = X.T @ "
                            "(that gradient)")
    also = [(f"grads['{k}']", hints[k]) for k in wrong]
    want = float(ref[p + "loss"])
    if not close(loss, want, **OUT_TOL):
        hint = first_hint(loss, loss_hints, **OUT_TOL)
        fail(lname, f"the loss is wrong on {label}", f"expected {want:.8g}, got {loss:.8g}",
             "hint: " + hint if hint else "", *_also(also))
    if wrong:
        k = wrong[0]
        i, got, exp = worst_index(grads[k], ref[p + "d" + k])
        lines = [f"largest difference at grads['{k}']{list(i)}: analytic (yours) {got:.8g}, "
                 f"expected {exp:.8g}"]
        num = _numeric_net_at(net, name, W, key=k, index=i, X=X, y=y)
        if num is not None:
            lines.append(f"numeric gradient of your loss there: {num:.8g}")
        fail(lname, f"the gradient grads['{k}'] is wrong on {label}", *lines,
             "hint: " + hints[k] if hints[k] else "", *_also(also[1:], same=hints[k]))
    return len(order)


def _check_params_kept(net, name, shapes, W, what):
    params = _read_params(net, name, shapes, f"after {what}")
    for k in PARAM_KEYS:
        if not np.array_equal(params[k], W[k]):
            fail(name + ".loss", f"{what} changed params['{k}']",
                 "loss only computes the loss and the gradients; the update of the "
                 "parameters is the Solver's job")


def _numeric_net_at(net, name, W, *, key, index, X, y):
    """Centred difference of the student's own loss with respect to one parameter."""
    def f(v):
        P = W[key].copy()
        P[index] = v[0]
        net.params[key] = P
        return scalar(call(net.loss, name, X.copy(), y.copy())[0], name)
    try:
        return float(numeric_grad(f, np.array([W[key][index]], dtype=np.float64))[0])
    except (CheckFailure, ValueError, TypeError, IndexError, KeyError):
        return None
    finally:
        try:
            net.params[key] = W[key].copy()
        except Exception:  # nothing more to report than the failure itself
            pass


# ------------------------------------------------------------ for the grader

# Each graded function's check on the grader's cases (``_core.Graded.run``).

def _grade_forward(g, fns, *, cases, reference):
    layer = g.kind[:-len("_forward")]
    check_forward(layer, fns[g.name], cases=cases[layer], reference=reference)


def _grade_backward(g, fns, *, cases, reference):
    layer = g.kind[:-len("_backward")]
    check_backward(layer, fns[g.uses[0]], fns[g.name], cases=cases[layer],
                   reference=reference)


def _grade_scores_loss(g, fns, *, cases, reference):
    loss = g.kind[:-len("_loss")]
    check_scores_loss(loss, fns[g.name], cases=cases[loss], reference=reference)


def _grade_two_layer_net(g, fns, *, cases, reference):
    check_two_layer_net(fns[g.name], cases=cases["two_layer_net"], reference=reference)


def _graded():
    out = []
    for layer in LAYERS:
        fwd, bwd = layer + "_forward", layer + "_backward"
        out += [_core.Graded(fwd, "backprop.ipynb", "test_" + fwd, fwd, run=_grade_forward),
                _core.Graded(bwd, "backprop.ipynb", "test_" + bwd, bwd, uses=(fwd,),
                             run=_grade_backward)]
    return out + [
        _core.Graded(loss, "backprop.ipynb", "test_" + loss, loss, run=_grade_scores_loss)
        for loss in ("svm_loss", "softmax_loss")] + [
        _core.Graded("TwoLayerNet", "two_layer_net.ipynb", "test_two_layer_net",
                     "two_layer_net", watch=("params",), run=_grade_two_layer_net)]


GRADED = _graded()


# The training of two_layer_net.ipynb, section 5: TwoLayerNet(64, 100, 10,
# weight_scale=1e-2, reg=1e-3, rng=default_rng(0)) on the digits, the Solver
# with sgd, lr_decay 0.95, batches of 100, rng default_rng(0), 30 epochs, at
# the notebook's learning rates, the solution's best first.  The grader stops
# at the first epoch that reaches the threshold (the fifth at 1.0).  Every step
# is a call of the student's loss and one per parameter to set it, in the
# worker: about 12 ms, so a network that never learns costs `max_epochs` epochs
# of each rate.
NET_TRAINING = {"learning_rates": (1.0, 0.3), "max_epochs": 12, "hidden_dim": 100,
                "weight_scale": 1e-2, "reg": 1e-3, "lr_decay": 0.95, "batch_size": 100,
                "seed": 0}


def _net_training(cls, minimum):
    """The best validation accuracy of two_layer_net.ipynb's training with the
    student's TwoLayerNet, driven by the course's Solver; (value, detail).

    The Solver runs here and calls the network in the worker; its accuracies
    compare the network's scores with the labels here.  A run that fails (a
    gradient of the wrong shape, a diverged step) keeps the best accuracy it
    reached, as the notebook's Solver does.
    """
    from ..optim import sgd
    data = _training.digits(bias_trick=False)
    D, C = data["X_train"].shape[1], int(data["y_train"].max()) + 1
    opt = NET_TRAINING
    best, where, failures = float("-inf"), None, []
    for lr in opt["learning_rates"]:
        net = call(cls, "TwoLayerNet", D, opt["hidden_dim"], C,
                   weight_scale=opt["weight_scale"], reg=opt["reg"],
                   rng=np.random.default_rng(opt["seed"]))
        solver, error = _training.train_until(
            net, data, minimum, update_rule=sgd, optim_config={"learning_rate": lr},
            lr_decay=opt["lr_decay"], batch_size=opt["batch_size"],
            num_epochs=opt["max_epochs"], rng=np.random.default_rng(opt["seed"]))
        if error:
            failures.append(f"the training at learning rate {lr:g} stopped: {error}")
        acc = solver.best_val_acc if solver is not None else float("-inf")
        if acc > best:
            best, where = acc, (lr, solver.epoch)
        if best >= minimum:
            break
    if where is None:
        raise _core.BelowThreshold(
            "best_val_acc: the grader could not train your TwoLayerNet with the Solver "
            "(section 5): " + "; ".join(failures))
    detail = (f"your TwoLayerNet trained with the Solver as in section 5: best validation "
              f"accuracy {best:.4f} (learning rate {where[0]:g}, {where[1]} epochs)")
    if failures:
        detail += "; " + "; ".join(failures)
    return best, detail


def _grade_net_training(r, fns, *, cases, reference):
    """two_layer_net.ipynb's training, run with the student's network."""
    return _net_training(fns["TwoLayerNet"], r.minimum)


RECOMPUTED = [_core.Recomputed("best_val_acc", "two_layer_net.ipynb", "test_best_val_accuracy",
                               "net_training", 0.90, uses=("TwoLayerNet",),
                               watch=(("TwoLayerNet", ("params",)),), run=_grade_net_training)]


def random_cases(rng):
    """Fresh cases for the grader: shapes, seeds, alpha and regularisation drawn
    from ``rng``, so no student has seen their inputs.

    Returns
    -------
    dict of key -> list of cases, with the keys of ``CASES`` ("affine", the
    activations, "svm", "softmax", "two_layer_net").
    """
    def seed():
        return int(rng.integers(2**31))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    cases = {"affine": [
        AffineCase("unseen_matrix", seed(), (n(1, 8), n(1, 10)), M=n(1, 8)),
        AffineCase("unseen_images", seed(), (n(1, 6), n(2, 4), n(2, 5)), M=n(2, 8)),
        AffineCase("unseen_volumes", seed(), (n(2, 4), n(1, 3), n(2, 3), n(2, 4)), M=n(2, 6))]}
    alphas = {"leaky_relu": (0.05, 0.5), "elu": (0.2, 3.0)}
    for kind in ACTIVATIONS:
        shape = (n(2, 6), n(4, 8)) if rng.random() < 0.5 else (n(2, 3), n(2, 3), n(2, 4))
        cases[kind] = [ActivationCase("unseen_extremes", seed(), shape, extremes=True),
                       ActivationCase("unseen_small", seed(), (n(1, 3), n(1, 4)))]
        if kind in alphas:
            cases[kind].append(ActivationCase("unseen_alpha", seed(), (n(2, 5), n(4, 8)),
                                              alpha=float(rng.uniform(*alphas[kind])),
                                              extremes=True))
    for kind in LOSSES:
        cases[kind] = [
            LossCase("unseen_small", seed(), N=n(1, 3), C=n(2, 5)),
            LossCase("unseen_medium", seed(), N=n(10, 40), C=n(3, 10), y_dtype="int32"),
            LossCase("unseen_large_scores", seed(), N=n(3, 10), C=n(3, 6),
                     offset=float(rng.choice([-1, 1]) * rng.uniform(800, 5e4)))]
    cases["softmax"].append(LossCase("unseen_rows_apart", seed(), N=n(4, 10), C=n(2, 6),
                                     offset=float(rng.uniform(-3000, 0)),
                                     row_spread=float(rng.uniform(1500, 4000))))
    cases["two_layer_net"] = [
        NetCase("unseen_reg", seed(), N=n(1, 10), D=n(2, 10), H=n(3, 15), C=n(2, 6),
                reg=float(rng.uniform(0.05, 3.0)),
                weight_scale=float(10 ** rng.uniform(-3, -0.5))),
        NetCase("unseen_no_reg", seed(), N=n(5, 20), D=n(2, 8), H=n(4, 12), C=n(2, 5),
                reg=0.0),
        NetCase("unseen_large_scores", seed(), N=n(4, 10), D=n(2, 8), H=n(2, 10), C=n(2, 5),
                reg=0.0, offset=float(rng.uniform(-3000, 1000)),
                row_spread=float(rng.uniform(1500, 4000)))]
    return cases


ASSIGNMENT = Assignment(
    id=AID, notebooks=("backprop.ipynb", "two_layer_net.ipynb"), graded=tuple(GRADED),
    recomputed=tuple(RECOMPUTED), solutions=SOLUTIONS, make_reference=make_reference,
    random_cases=random_cases, uses={"two_layer_net.ipynb": ("backprop.ipynb",)})
