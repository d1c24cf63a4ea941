"""Part of Assignment 6's checks: a three-layer convolutional network
(``convnet.ipynb``).

``ThreeLayerConvNet(input_dim, num_filters, filter_size, hidden_dim,
num_classes, weight_scale, reg, dtype, rng)`` with ``loss(X, y=None)``, as
CS231n's: conv (stride 1, size-preserving zero padding) - relu - 2x2 max
pool (stride 2) - affine - relu - affine - softmax, built from the student's
``conv_forward_im2col`` / ``conv_backward_im2col`` (``fast_conv.ipynb``),
``max_pool_forward_naive`` / ``max_pool_backward_naive`` (``pooling.ipynb``)
and Assignment 2's affine, ReLU and softmax loss (given).

Two kinds of cases:

- ``NetCase``: exact values in float64 on parameters the check sets
  (``net.params[k] = array`` after construction): random biases, so that a
  regularised bias changes the loss.  One train call (loss and gradients,
  compared with the solution's, the gradients from the output layer down),
  then a test call (the scores).  The parameters and the inputs must be left
  as they were.  Hints come from counterfactuals: the loss without
  regularisation (stored), the sums of squares of the parameters, the
  softmax of the right scores.  Ties of the max pool do not matter: the
  pool's input comes out of a ReLU, so (with random inputs, with probability
  1) a window has several maxima only when its maximum is 0, and the ReLU's
  backward gives those positions gradient 0 whichever of them the pool's
  backward picks.
- ``BuildCase``: construction only: the names, shapes and dtype of every
  parameter, zero biases, weights of mean 0 and standard deviation
  ``weight_scale`` (relative band ``INIT_BAND``, on weight arrays of at least
  ``MIN_W`` numbers: a right network fails with probability far below 1e-9),
  the same generator seed giving the same parameters and another seed other
  weights (weights drawn from ``rng``, not ``np.random``).

Cases have even H and W and odd filter sizes (the padding ``(k - 1) / 2`` keeps
the size, and the 2x2 pool halves it exactly).  ``dtype`` is passed by its
name (a type does not cross to the grader's worker).

The reference holds the inputs and, from the solution: loss, gradients,
scores and the loss with ``reg = 0``.
"""
import math
from dataclasses import KW_ONLY, dataclass

import numpy as np

from . import _core
from ._core import (CheckFailure, call, case_inputs, close, fail, first_hint, inputs_kept,
                    passed, scalar, worst_index)

__all__ = ["check_three_layer_convnet"]

NOTEBOOK = "convnet.ipynb"
KINDS = ("ThreeLayerConvNet",)   # the kind is the graded name (tests/part_suite.py)
SOLUTIONS = {"ThreeLayerConvNet": (NOTEBOOK, "ThreeLayerConvNet")}
OUT_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)
INIT_BAND = 0.15     # relative band of the weights' standard deviation ...
MIN_W = 3000         # ... checked on weight arrays of at least this many numbers
ORDER = ("W1", "b1", "W2", "b2", "W3", "b3")   # the forward pass's order


def _positive(name, **values):
    for key, v in values.items():
        if not (isinstance(v, (int, np.integer)) and v >= 1):
            raise ValueError(f"{name}: {key} must be an int >= 1, got {v!r}")


def _check_shape(name, input_dim, filter_size):
    if not (isinstance(input_dim, tuple) and len(input_dim) == 3):
        raise ValueError(f"{name}: input_dim must be a tuple (C, H, W), got {input_dim!r}")
    _positive(name, C=input_dim[0], H=input_dim[1], W=input_dim[2], filter_size=filter_size)
    if input_dim[1] % 2 or input_dim[2] % 2 or filter_size % 2 == 0:
        raise ValueError(f"{name}: H and W must be even and filter_size odd (the padding "
                         f"keeps the size, the pool halves it), got input_dim {input_dim!r}, "
                         f"filter_size {filter_size}")


@dataclass(frozen=True)
class NetCase:
    """Exact values: a network of these sizes on N examples, inputs and
    parameters drawn from ``seed``; the net is built with ``default_rng(seed + 1)``."""
    name: str
    seed: int
    N: int
    input_dim: tuple
    _: KW_ONLY
    num_filters: int
    filter_size: int
    hidden_dim: int
    num_classes: int
    reg: float = 0.0

    def __post_init__(self):
        _check_shape(f"NetCase {self.name!r}", self.input_dim, self.filter_size)
        _positive(f"NetCase {self.name!r}", N=self.N, num_filters=self.num_filters,
                  hidden_dim=self.hidden_dim, num_classes=self.num_classes)
        if not self.reg >= 0:
            raise ValueError(f"NetCase {self.name!r}: reg must be >= 0, got {self.reg!r}")


@dataclass(frozen=True)
class BuildCase:
    """Construction only: big enough for the statistics of its weights."""
    name: str
    seed: int
    input_dim: tuple
    _: KW_ONLY
    num_filters: int
    filter_size: int
    hidden_dim: int
    num_classes: int
    weight_scale: float = 1e-3
    dtype: str = "float32"

    def __post_init__(self):
        _check_shape(f"BuildCase {self.name!r}", self.input_dim, self.filter_size)
        _positive(f"BuildCase {self.name!r}", num_filters=self.num_filters,
                  hidden_dim=self.hidden_dim, num_classes=self.num_classes)
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"BuildCase {self.name!r}: dtype must be 'float32' or "
                             f"'float64', got {self.dtype!r}")


def _sizes(F, k, hidden, classes):
    return dict(num_filters=F, filter_size=k, hidden_dim=hidden, num_classes=classes)


CASES = {"ThreeLayerConvNet": {
    "visible": [NetCase("small", 1300, 4, (3, 8, 8), **_sizes(4, 3, 6, 5), reg=0.3),
                NetCase("grey_5x5", 1301, 3, (1, 6, 10), **_sizes(3, 5, 5, 4), reg=0.5),
                NetCase("one_by_one", 1302, 5, (2, 4, 4), **_sizes(2, 1, 7, 3), reg=0.0),
                BuildCase("build", 1303, (3, 16, 16), **_sizes(40, 5, 300, 10),
                          weight_scale=1e-2),
                BuildCase("build_float64", 1304, (1, 28, 28), **_sizes(8, 7, 50, 10),
                          dtype="float64")],
    "hidden": [NetCase("one_example", 1310, 1, (1, 4, 6), **_sizes(2, 3, 3, 2), reg=1.1),
               NetCase("colour_hidden", 1311, 6, (3, 10, 8), **_sizes(5, 5, 8, 6), reg=0.2),
               BuildCase("build_hidden", 1312, (2, 12, 20), **_sizes(60, 5, 320, 12),
                         weight_scale=2e-3)]}}


def _cases(cases):
    return _core.typed_cases(CASES["ThreeLayerConvNet"], cases, (NetCase, BuildCase),
                             "ThreeLayerConvNet")


def param_shapes(case):
    """The shape of every parameter of a network of ``case``'s sizes."""
    C, H, W = case.input_dim
    F, fs = case.num_filters, case.filter_size
    return {"W1": (F, C, fs, fs), "b1": (F,), "W2": (F * (H // 2) * (W // 2), case.hidden_dim),
            "b2": (case.hidden_dim,), "W3": (case.hidden_dim, case.num_classes),
            "b3": (case.num_classes,)}


def _inputs(case):
    """X, y and the parameters of a NetCase, every pre-activation of order 1."""
    rng = np.random.default_rng(case.seed)
    out = {"in_X": rng.standard_normal((case.N, *case.input_dim)),
           "in_y": rng.integers(case.num_classes, size=case.N),
           "in_reg": np.float64(case.reg)}
    for k, shape in param_shapes(case).items():
        if k[0] == "W":
            fan_in = int(np.prod(shape[1:])) if k == "W1" else shape[0]
            out["in_" + k] = rng.standard_normal(shape) * (1.5 / math.sqrt(fan_in))
        else:
            out["in_" + k] = 0.3 * rng.standard_normal(shape)
    return out


def _new(cls, name, case, *, reg=None, weight_scale=1e-3, dtype="float64", seed=None,
         call_fn=None):
    kwargs = dict(input_dim=case.input_dim, num_filters=case.num_filters,
                  filter_size=case.filter_size, hidden_dim=case.hidden_dim,
                  num_classes=case.num_classes, weight_scale=weight_scale,
                  reg=getattr(case, "reg", 0.0) if reg is None else reg, dtype=dtype,
                  rng=np.random.default_rng(case.seed + 1 if seed is None else seed))
    if call_fn is None:
        return cls(**kwargs)
    return call_fn(cls, name, **kwargs)


def _set_params(net, params):
    for k, v in params.items():
        net.params[k] = v.copy()


def make_reference(solutions, cases=None):
    """Reference arrays of the network cases from the solution.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (missing: skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' keys are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray
    """
    cases = _core.reference_cases(CASES, cases)
    cls = solutions.get("ThreeLayerConvNet")
    ref = {}
    for case in cases.get("ThreeLayerConvNet", ()) if cls else ():
        if not isinstance(case, NetCase):
            continue
        p = f"ThreeLayerConvNet/{case.name}/"
        inputs = _inputs(case)
        ref.update({p + k: v for k, v in inputs.items()})
        params = {k: inputs["in_" + k] for k in ORDER}
        net = _new(cls, "ThreeLayerConvNet", case)
        _set_params(net, params)
        loss, grads = net.loss(inputs["in_X"].copy(), inputs["in_y"].copy())
        ref[p + "loss"] = np.float64(loss)
        for k in ORDER:
            ref[p + "d" + k] = np.asarray(grads[k], dtype=np.float64)
        ref[p + "scores"] = np.asarray(net.loss(inputs["in_X"].copy()), dtype=np.float64)
        net = _new(cls, "ThreeLayerConvNet", case, reg=0.0)
        _set_params(net, params)
        ref[p + "loss_noreg"] = np.float64(net.loss(inputs["in_X"].copy(),
                                                    inputs["in_y"].copy())[0])
    return ref


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases."""
    def seed():
        return int(rng.integers(2**31 - 3))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def net(name, reg):
        k = 5 if name == "unseen_5x5" else (1, 3, 5)[n(0, 2)]
        return NetCase(name, seed(), n(2, 6), (n(1, 3), 2 * n(2, 5), 2 * n(2, 5)),
                       **_sizes(n(2, 5), k, n(3, 8), n(2, 6)), reg=reg)
    return {"ThreeLayerConvNet": [
        net("unseen", float(rng.uniform(0.05, 1.5))),
        net("unseen_5x5", float(rng.uniform(0.05, 1.5))),
        net("unseen_no_reg", 0.0),
        BuildCase("unseen_build", seed(), (3, 2 * n(5, 9), 2 * n(5, 9)),
                  **_sizes(n(40, 60), 5, n(300, 400), n(10, 14)),
                  weight_scale=float(rng.uniform(1e-3, 1e-1)),
                  dtype="float32")]}   # the exact cases are float64


# --------------------------------------------------------------------- checks

def _label(case):
    if isinstance(case, BuildCase):
        return (f"test case '{case.name}' (input_dim={case.input_dim}, num_filters="
                f"{case.num_filters}, filter_size={case.filter_size}, hidden_dim="
                f"{case.hidden_dim}, num_classes={case.num_classes}, weight_scale="
                f"{case.weight_scale:g}, dtype={case.dtype})")
    return (f"test case '{case.name}' (N={case.N}, input_dim={case.input_dim}, num_filters="
            f"{case.num_filters}, filter_size={case.filter_size}, hidden_dim="
            f"{case.hidden_dim}, num_classes={case.num_classes}, reg={case.reg:g})")


_SHAPE_HINT = ("hint: W1 (F, C, filter_size, filter_size), W2 (F * H/2 * W/2, hidden_dim), "
               "W3 (hidden_dim, num_classes): the convolution (stride 1, zero padding "
               "(filter_size - 1) / 2 on each side) keeps H and W, and the 2x2 max pool of "
               "stride 2 halves them")
_LAYERS_HINT = ("hint: the layers are conv (stride 1, pad (filter_size - 1) // 2) - relu - "
                "2x2 max pool of stride 2 - affine - relu - affine, and the scores go into "
                "softmax_loss")


def _read_params(net, name, shapes, when, dtype):
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        fail(name, f"net.params should be a dict {when}, got {type(params).__name__}")
    if set(params) != set(shapes):
        missing, extra = sorted(set(shapes) - set(params)), sorted(set(params) - set(shapes))
        fail(name, f"net.params has the wrong keys {when}",
             f"expected {list(shapes)}" + (f"; missing {missing}" if missing else "")
             + (f"; unexpected {extra}" if extra else ""))
    for k, shape in shapes.items():
        v = params[k]
        if not isinstance(v, np.ndarray) or v.shape != shape:
            got = v.shape if isinstance(v, np.ndarray) else type(v).__name__
            fail(name, f"params['{k}'] has shape {got} {when}, expected {shape}", _SHAPE_HINT)
        if v.dtype != np.dtype(dtype):
            fail(name, f"params['{k}'] has dtype {v.dtype} {when}, expected {np.dtype(dtype)}",
                 "hint: cast every parameter, the biases too, to the dtype argument at the "
                 "end of __init__ (v.astype(dtype))")
    return params


def _check_build(cls, name, case):
    label = _label(case)
    state = np.random.get_state()[1].copy()
    net = _new(cls, name, case, weight_scale=case.weight_scale, dtype=case.dtype,
               call_fn=call)
    shapes = param_shapes(case)
    params = _read_params(net, name, shapes, f"after construction on {label}", case.dtype)
    if not np.array_equal(state, np.random.get_state()[1]):
        fail(name, f"np.random's global state changed when building the network on {label}",
             "hint: draw the weights from the rng argument only (rng.standard_normal), "
             "never from np.random's global functions")
    count = 2
    for k in ("b1", "b2", "b3"):
        if not np.all(params[k] == 0):
            fail(name, f"the initial params['{k}'] should be all 0 on {label}",
                 "hint: the biases start at 0; only the weights are random")
        count += 1
    for k in ("W1", "W2", "W3"):
        v = params[k].astype(np.float64)
        if v.size < MIN_W:
            continue
        got, mean, want = float(np.std(v)), float(np.mean(v)), case.weight_scale
        if abs(got / want - 1) > INIT_BAND or abs(mean) > INIT_BAND * want:
            fail(name, f"the initial {k} has mean {mean:.3g} and standard deviation {got:.4g} "
                       f"on {label}, expected mean 0 and standard deviation {want:.4g}",
                 f"{v.size} numbers: a right {k} is this far off with probability below 1e-9",
                 "hint: every weight array is weight_scale * rng.standard_normal(shape)")
        count += 1
    again = _new(cls, name, case, weight_scale=case.weight_scale, dtype=case.dtype,
                 call_fn=call)
    for k in shapes:
        if not np.array_equal(np.asarray(again.params[k]), params[k]):
            fail(name, f"two networks built with generators of the same seed have different "
                       f"params['{k}'] on {label}",
                 "hint: draw the weights from the rng argument only; np.random's global "
                 "functions are not reproducible")
    other = _new(cls, name, case, weight_scale=case.weight_scale, dtype=case.dtype,
                 seed=case.seed + 2, call_fn=call)
    if np.array_equal(np.asarray(other.params["W1"]), params["W1"]):
        fail(name, f"generators of different seeds give the same W1 on {label}",
             "hint: draw the weights from the rng argument, not from a generator of your own")
    return count + 2


def _loss_call(net, name, X, y, label):
    try:
        out = call(net.loss, name, X, y)
    except CheckFailure as e:
        raise CheckFailure(f"{e}\n  on {label}\n  {_SHAPE_HINT}") from None
    if not isinstance(out, tuple) or len(out) != 2:
        fail(name, f"loss(X, y) should return a tuple (loss, grads), got {type(out).__name__}"
                   f" on {label}")
    return scalar(out[0], name, "the loss"), out[1]


def _grads(grads, shapes, name, label):
    if not isinstance(grads, dict) or set(grads) != set(shapes):
        fail(name, f"grads should be a dict with the keys of params, {list(shapes)}, got "
                   + (f"keys {sorted(grads)}" if isinstance(grads, dict)
                      else type(grads).__name__) + f" on {label}")
    return {k: _core.array(grads[k], shape, name, f"grads['{k}']")
            for k, shape in shapes.items()}


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss_hints(P, base, reg):
    if reg == 0:
        return []
    sq = {k: float(np.sum(v * v)) for k, v in P.items()}
    ws = sq["W1"] + sq["W2"] + sq["W3"]
    bs = sq["b1"] + sq["b2"] + sq["b3"]
    half = 0.5 * reg
    return [(base, "the loss has no regularisation term: add 0.5 * reg * sum(W**2) for W1, "
                   "W2 and W3"),
            (base + half * (ws + bs), "the biases are regularised: only W1, W2 and W3 are"),
            (base + reg * ws, "the regularisation is reg * sum(W**2): the course's term is "
                              "0.5 * reg * sum(W**2) (gradient reg * W)"),
            (base + half * (ws - sq["W1"]), "W1 is not regularised: the term sums over W1, "
                                            "W2 and W3, the filters included"),
            (base + half * (ws - sq["W3"]), "W3 is not regularised: the term sums over W1, "
                                            "W2 and W3")]


def _grad_hints(k, g, P, reg):
    if reg == 0:
        return []
    if k[0] == "W":
        return [(g - reg * P[k], f"d{k} has no regularisation gradient (reg * {k})"),
                (g + reg * P[k], f"d{k} has the regularisation gradient twice")]
    return [(g + reg * P[k], f"d{k} includes reg * {k}: the biases are not regularised")]


def _check_kept(net, name, P, what):
    for k, v in P.items():
        if not np.array_equal(np.asarray(net.params[k]), v):
            fail(name, f"{what} changed params['{k}']",
                 "loss only computes the loss and the gradients; the update of the "
                 "parameters is the Solver's job")


def _check_exact(cls, name, case, ref):
    lname = name + ".loss"
    p = f"ThreeLayerConvNet/{case.name}/"
    inputs = case_inputs(ref, "ThreeLayerConvNet", case.name)
    X, y = inputs["in_X"], inputs["in_y"]
    P = {k: inputs["in_" + k] for k in ORDER}
    shapes = param_shapes(case)
    label = _label(case)
    net = _new(cls, name, case, call_fn=call)
    _read_params(net, name, shapes, f"after construction on {label} (dtype='float64')",
                 "float64")
    _set_params(net, P)
    given = {"X": X.copy(), "y": y.copy()}
    with inputs_kept(lname, given, who="the network's loss", where=label):
        loss, grads = _loss_call(net, lname, given["X"], given["y"], label)
        grads = _grads(grads, shapes, lname, label)
        _check_kept(net, name, P, "loss(X, y)")
        if not np.isfinite(loss):
            fail(lname, f"the loss is not finite ({loss}) on {label}")
        want = float(ref[p + "loss"])
        if not close(loss, want, **OUT_TOL):
            hint = first_hint(loss, _loss_hints(P, float(ref[p + "loss_noreg"]), case.reg),
                              **OUT_TOL)
            fail(lname, f"the loss is wrong on {label}", f"expected {want:.8g}, got {loss:.8g}",
                 "hint: " + hint if hint else _LAYERS_HINT)
        order = list(reversed(ORDER))
        wrong = [k for k in order if not close(grads[k], ref[p + "d" + k], **GRAD_TOL)]
        if wrong:
            k = wrong[0]
            i, got, exp = worst_index(grads[k], ref[p + "d" + k])
            hint = first_hint(grads[k], _grad_hints(k, ref[p + "d" + k], P, case.reg),
                              **GRAD_TOL)
            if not hint and k in ("W1", "b1"):
                hint = ("the gradients of the layers above (W3, b3, W2, b2) are right: the "
                        "error is between W2's affine and the convolution. From the affine "
                        "layer's dx, reshaped to the pool's output shape (N, F, H/2, W/2), go "
                        "back through max_pool_backward_naive with the pool's cache, then "
                        "relu_backward, then conv_backward_im2col with the conv's cache")
            elif not hint and k in ("W2", "b2"):
                hint = ("W3 and b3 are right: go back through the hidden layer's ReLU "
                        "(relu_backward with its own cache) before W2's affine_backward")
            fail(lname, f"the gradient grads['{k}'] is wrong on {label}",
                 f"largest difference at grads['{k}']{list(i)}: yours {got:.8g}, expected "
                 f"{exp:.8g}",
                 f"also wrong: {', '.join(wrong[1:])}" if len(wrong) > 1 else "",
                 "hint: " + hint if hint else "")
        scores = call(net.loss, lname, given["X"])
        scores = _core.array(scores, (case.N, case.num_classes), lname,
                             f"loss(X) (the scores, when y is None) on {label}")
        want = ref[p + "scores"]
        if not close(scores, want, **OUT_TOL):
            i, got, exp = worst_index(scores, want)
            hint = ""
            if close(scores, _softmax(want), **OUT_TOL):
                hint = ("hint: loss(X) returns the softmax probabilities: it must return the "
                        "scores, the output of the last affine layer before any softmax")
            fail(lname, f"the scores loss(X) are wrong on {label}",
                 f"largest difference at scores{list(i)}: yours {got:.8g}, expected {exp:.8g}",
                 hint or "hint: loss(X) runs the same forward pass as loss(X, y) and returns "
                         "the scores")
        _check_kept(net, name, P, "loss(X)")
    return 4 + len(order)


def check_three_layer_convnet(cls, *, cases="visible", reference):
    """Check ``ThreeLayerConvNet``: construction, loss, gradients and scores.

    A failure also names the layers of the earlier notebooks that the class
    calls and that fail their own checks (when their checks are at hand).

    Only these are used, so the class may live in another process: the
    constructor, ``net.params`` (read, and ``net.params[key] = array``) and
    ``net.loss``.

    Parameters
    ----------
    cls : type
        The student's class.
    cases : {"visible", "hidden"} or list of NetCase and BuildCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    try:
        _check_three_layer_convnet(cls, cases=cases, reference=reference)
    except CheckFailure as e:
        note = _broken_layers(cls, reference)
        if not note:
            raise
        raise CheckFailure(f"{e}\n  {note}") from None


def _check_three_layer_convnet(cls, *, cases, reference):
    name = _core.named(cls, "ThreeLayerConvNet")
    ref = _core.reference_dict(reference)
    cases, label_set = _cases(cases)
    count = 0
    for case in cases:
        if isinstance(case, BuildCase):
            count += _check_build(cls, name, case)
        else:
            count += _check_exact(cls, name, case, ref)
    passed(name, count, f" ({label_set} cases)")


# The layers of the earlier notebooks the network calls: name -> (part module,
# its check, the names the check takes).  A part not written yet is skipped.
_LAYER_CHECKS = {
    "conv_forward_im2col": ("_fast_conv", "check_conv_forward_im2col",
                            ("conv_forward_im2col",)),
    "conv_backward_im2col": ("_fast_conv", "check_conv_backward_im2col",
                             ("conv_forward_im2col", "conv_backward_im2col")),
    "max_pool_forward_naive": ("_pooling", "check_max_pool_forward_naive",
                               ("max_pool_forward_naive",)),
    "max_pool_backward_naive": ("_pooling", "check_max_pool_backward_naive",
                                ("max_pool_forward_naive", "max_pool_backward_naive")),
}


def _broken_layers(cls, reference):
    """A line naming the layers ``cls``'s methods call that fail their own
    visible checks, or ""."""
    import importlib
    checks = {}
    for name, (module, check, args) in _LAYER_CHECKS.items():
        try:
            fn = getattr(importlib.import_module(f"{__package__}.{module}"), check)
        except (ImportError, AttributeError):
            continue
        checks[name] = (lambda g, fn=fn, args=args:
                        fn(*(g[a] for a in args), reference=reference))
    return _core.broken_functions(cls, checks) if checks else ""


# ------------------------------------------------------------ for the grader

def _grade(g, fns, *, cases, reference):
    check_three_layer_convnet(fns[g.name], cases=cases["ThreeLayerConvNet"], reference=reference)


CHECKS = {"ThreeLayerConvNet": check_three_layer_convnet}

GRADED = [_core.Graded("ThreeLayerConvNet", NOTEBOOK, "test_three_layer_convnet",
                       "ThreeLayerConvNet",
                       watch=("params",), run=_grade)]
