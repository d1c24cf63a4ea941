"""Part of Assignment 4's checks: weight initialisation and a fully connected
network of any depth (``deep_net.ipynb``).

``xavier_init(fan_in, fan_out, rng)`` and ``he_init(fan_in, fan_out, rng)``
return a weight matrix of shape ``(fan_in, fan_out)``: zero-mean Gaussian
numbers drawn from ``rng`` only.  Right implementations draw differently
(``rng.standard_normal``, ``rng.normal(0, std, ...)``, a transpose, ...), so
the checks are statistical.  The target standard deviation ``sigma`` is the
solution's, measured on a probe of at least ``PROBE`` numbers (its relative
error, about ``1 / sqrt(2 PROBE)`` = 3.5e-4, is added to the bounds).  On a
case of ``n`` numbers, ``S = sum(W**2) / sigma**2`` is chi-square with ``n``
degrees of freedom for a right answer, and Laurent and Massart's bounds give
``P(S / n >= 1 + 2 sqrt(x / n) + 2 x / n) <= e^-x`` and
``P(S / n <= 1 - 2 sqrt(x / n)) <= e^-x``; the mean is normal with standard
deviation ``sigma / sqrt(n)``.  With ``x = ln(4 / DELTA)`` and the mean
within ``Z`` of its standard deviations, a right answer fails one case with
probability below ``DELTA = 1e-9``.  The statistical cases have
``n >= 20000``: the second moment is then within 4% of ``sigma**2``, so a
factor 2 in the variance (He for Xavier and back, or fan_out for fan_in on
cases with fan_in / fan_out >= 2 or <= 1 / 2) fails with certainty.  Besides:
shape, float64, finite, the same seed gives the same W and another seed
another, and ``np.random``'s global state is left alone.

``FullyConnectedNet(hidden_dims, input_dim, num_classes, dropout_keep_ratio,
normalization, reg, weight_scale, dtype, rng)`` with ``loss(X, y=None)``.
The exact values are checked with dropout off, on parameters the check sets
(``net.params[k] = array`` after construction): one train call (loss and
gradients), a test call (scores with the running averages of batch norm)
and a second train call (the loss again: the mode is set on every call).
With dropout on, right networks draw different masks, so the checks test
the structure: the test-mode scores are the solution's (dropout is off at
test time), the train-mode loss changes with the generator's seed and is
repeated by the same seed, the gradient of the last bias sums to 0 over the
classes (the scores are not dropped), and the gradients agree with a
centred difference of the student's own loss, ``dropout_param["rng"]``
reset to the same seed before every call.  The construction is checked for
the parameters' names, shapes, dtype and initial values (gamma ones, beta
and the biases zeros), and on a large network for the standard deviation of
every weight matrix: ``weight_scale`` a number, "xavier" and "he" (within
``INIT_BAND`` of the solution's measured value, relative: a right network
fails with probability far below 1e-9, each matrix has 3000 numbers or more).

The reference holds the inputs and, from the solution: scores, loss and
gradients, the loss without regularisation and the scores of a test call in
train mode (counterfactuals for the hints), and the standard deviations.
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _core, _dropout, _normalization
from ._core import (CheckFailure, call, case_inputs, close, fail, first_hint, inputs_kept,
                    passed, scalar, worst_index)
from ..gradient_check import numeric_grad

__all__ = ["check_xavier_init", "check_he_init", "check_fully_connected_net"]

NOTEBOOK = "deep_net.ipynb"
SOLUTIONS = {"xavier_init": (NOTEBOOK, "xavier_init"), "he_init": (NOTEBOOK, "he_init"),
             "fc_net": (NOTEBOOK, "FullyConnectedNet")}
INIT_KINDS = ("xavier_init", "he_init")
DELTA = 1e-9         # a right init fails a case with probability below this
Z = 6.4              # P(|N(0, 1)| > Z) < DELTA / 2
PROBE = 4_000_000    # numbers of the probe that measures the solution's sigma
MIN_N = 20000        # statistical init cases have at least this many numbers
INIT_BAND = 0.15     # relative band of a network's weight standard deviations
MIN_NET_W = 3000     # ... checked on weight matrices of at least this many numbers
OUT_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)
NUM_TOL = dict(rtol=1e-5, atol=1e-7)


@dataclass(frozen=True)
class InitCase:
    """``fan_in`` x ``fan_out`` drawn from ``default_rng(seed)``."""
    name: str
    seed: int
    fan_in: int
    fan_out: int

    @property
    def statistical(self):
        return self.fan_in * self.fan_out >= MIN_N


@dataclass(frozen=True)
class NetCase:
    """A network of ``dims`` = (D, *hidden, C) on N examples, parameters drawn from
    ``seed``; the net is built with ``default_rng(seed + 1)``."""
    name: str
    seed: int
    N: int
    dims: tuple
    reg: float = 0.0
    normalization: str = None
    keep_prob: float = 1.0

    def __post_init__(self):
        if self.normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f"NetCase {self.name!r}: normalization must be None, "
                             f"'batchnorm' or 'layernorm', got {self.normalization!r}")
        if len(self.dims) < 2 or not 0 < self.keep_prob <= 1:
            raise ValueError(f"NetCase {self.name!r}: dims needs (D, ..., C) and keep_prob "
                             f"must be in (0, 1], got {self.dims!r}, {self.keep_prob!r}")


@dataclass(frozen=True)
class BuildCase:
    """Construction only: a network of ``dims``, ``weight_scale`` a number or
    "xavier" / "he", ``dtype``; big enough for the statistics of its weights."""
    name: str
    seed: int
    dims: tuple
    weight_scale: object = 1e-2
    normalization: str = None
    dtype: str = "float64"


CASES = {
    "xavier_init": {
        "visible": [InitCase("tall", 1100, 400, 100), InitCase("wide", 1101, 100, 300),
                    InitCase("small", 1102, 3, 5)],
        "hidden": [InitCase("tall_hidden", 1110, 500, 60), InitCase("wide_hidden", 1111, 80, 400),
                   InitCase("single", 1112, 1, 1)]},
    "fc_net": {
        "visible": [NetCase("plain", 1200, 6, (5, 7, 6, 4), reg=0.3),
                    NetCase("no_hidden", 1201, 5, (4, 3), reg=0.5),
                    NetCase("batchnorm", 1202, 8, (5, 6, 7, 5, 3), reg=0.2,
                            normalization="batchnorm"),
                    NetCase("layernorm", 1203, 5, (4, 6, 5, 3), reg=0.1,
                            normalization="layernorm"),
                    NetCase("dropout", 1204, 7, (5, 8, 6, 3), reg=0.1, keep_prob=0.6),
                    NetCase("dropout_batchnorm", 1205, 9, (4, 7, 6, 3), reg=0.05,
                            normalization="batchnorm", keep_prob=0.5),
                    BuildCase("scale", 1206, (600, 150, 400, 10), weight_scale=0.05),
                    BuildCase("xavier", 1207, (600, 150, 400, 10), weight_scale="xavier"),
                    BuildCase("he", 1208, (600, 150, 400, 10), weight_scale="he"),
                    BuildCase("float32", 1209, (5, 4, 3), normalization="batchnorm",
                              dtype="float32")],
        "hidden": [NetCase("plain_hidden", 1210, 9, (6, 5, 5, 5, 4), reg=1.1),
                   NetCase("one_example", 1211, 1, (3, 4, 2), reg=0.0),
                   NetCase("batchnorm_hidden", 1212, 12, (6, 8, 4), reg=0.7,
                           normalization="batchnorm"),
                   NetCase("layernorm_hidden", 1213, 6, (5, 5, 6, 7, 4), reg=0.4,
                           normalization="layernorm"),
                   NetCase("dropout_layernorm", 1214, 8, (5, 9, 4), reg=0.2,
                           normalization="layernorm", keep_prob=0.7),
                   BuildCase("he_hidden", 1215, (500, 300, 120, 30), weight_scale="he"),
                   BuildCase("float32_hidden", 1216, (4, 6, 5, 3), normalization="layernorm",
                             dtype="float32")]},
}
CASES["he_init"] = CASES["xavier_init"]


def _init_cases(kind, cases):
    return _core.typed_cases(CASES[kind], cases, InitCase, kind)


def _net_cases(cases):
    return _core.typed_cases(CASES["fc_net"], cases, (NetCase, BuildCase), "fc_net")


_reference = _core.reference_dict


def param_keys(dims, normalization):
    """The names of a network's parameters, in the order of the forward pass."""
    L = len(dims) - 1
    keys = []
    for l in range(1, L + 1):
        keys += [f"W{l}", f"b{l}"]
        if normalization and l < L:
            keys += [f"gamma{l}", f"beta{l}"]
    return keys


def param_shapes(dims, normalization):
    shapes = {}
    for k in param_keys(dims, normalization):
        l = int(k.lstrip("Wbgammabeta"))
        shapes[k] = (dims[l - 1], dims[l]) if k[0] == "W" else (dims[l],)
    return shapes


def _net_inputs(case):
    """X, y and the parameters of a NetCase: random biases, gamma and beta, so that
    a regularised bias or gamma changes the loss, and no ReLU input is 0."""
    rng = np.random.default_rng(case.seed)
    D, C = case.dims[0], case.dims[-1]
    out = {"in_X": rng.standard_normal((case.N, D)),
           "in_y": rng.integers(C, size=case.N), "in_reg": np.float64(case.reg)}
    for k, shape in param_shapes(case.dims, case.normalization).items():
        if k[0] == "W":
            v = rng.standard_normal(shape) * (1.5 / math.sqrt(shape[0]))
        elif k.startswith("gamma"):
            v = 1 + 0.3 * rng.standard_normal(shape)
        else:
            v = 0.3 * rng.standard_normal(shape)
        out["in_" + k] = v
    return out


def _new(cls, name, case, *, keep_prob=None, reg=None, weight_scale=1e-2, dtype=None,
         seed=None, call_fn=None):
    """A network of the case's shape; ``dtype`` (a name: a type does not cross to the
    grader's worker) is passed only when given, float64 being the default."""
    kwargs = dict(input_dim=case.dims[0], num_classes=case.dims[-1],
                  dropout_keep_ratio=case.keep_prob if keep_prob is None else keep_prob,
                  normalization=case.normalization,
                  reg=case.reg if reg is None else reg, weight_scale=weight_scale,
                  rng=np.random.default_rng(case.seed + 1 if seed is None else seed))
    if dtype is not None:
        kwargs["dtype"] = dtype
    hidden = list(case.dims[1:-1])
    if call_fn is None:
        return cls(hidden, **kwargs)
    return call_fn(cls, name, hidden, **kwargs)


def _build(cls, name, case, seed=None, call_fn=None):
    return _new(cls, name, NetCase(case.name, case.seed, 1, case.dims,
                                   normalization=case.normalization),
                weight_scale=case.weight_scale,
                dtype=None if case.dtype == "float64" else case.dtype, seed=seed,
                call_fn=call_fn)


def _sigma(init, fan_in):
    """The solution's standard deviation for fan_in, measured on a probe."""
    fan_out = max(1, -(-PROBE // fan_in))
    W = np.asarray(init(fan_in, fan_out, np.random.default_rng(12345)))
    return np.float64(np.sqrt(np.mean(W.astype(np.float64) ** 2)))


def make_reference(solutions, cases=None):
    """Reference arrays of the init and network cases from the solution.

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
    ref = {}
    for kind in INIT_KINDS:
        init = solutions.get(kind)
        for case in cases.get(kind, ()) if init else ():
            p = f"{kind}/{case.name}/"
            ref[p + "sigma"] = _sigma(init, case.fan_in)
    cls = solutions.get("fc_net")
    for case in cases.get("fc_net", ()) if cls else ():
        p = f"fc_net/{case.name}/"
        if isinstance(case, BuildCase):
            net = _build(cls, "FullyConnectedNet", case)
            for k, v in net.params.items():
                if k[0] == "W":
                    ref[p + "std_" + k] = np.float64(np.std(v.astype(np.float64)))
            continue
        inputs = _net_inputs(case)
        ref.update({p + k: v for k, v in inputs.items()})
        X, y = inputs["in_X"], inputs["in_y"]
        params = {k[3:]: v for k, v in inputs.items()
                  if k[3:] in param_shapes(case.dims, case.normalization)}

        def fresh(**kw):
            net = _new(cls, "FullyConnectedNet", case, **kw)
            for k, v in params.items():
                net.params[k] = v.copy()
            return net
        net = fresh(keep_prob=1.0)
        loss, grads = net.loss(X.copy(), y.copy())
        ref[p + "loss"] = np.float64(loss)
        for k, g in grads.items():
            ref[p + "d" + k] = np.asarray(g)
        ref[p + "scores"] = np.asarray(net.loss(X.copy()))
        ref[p + "loss_noreg"] = np.float64(fresh(keep_prob=1.0, reg=0.0).loss(X, y)[0])
        if case.normalization == "batchnorm":
            # Test-mode scores with running averages equal to the batch's statistics:
            # the scores of a network left in train mode at test time.
            net = fresh(keep_prob=1.0)
            for bn in net.bn_params:
                bn["momentum"] = 0.0
            net.loss(X.copy(), y.copy())
            ref[p + "scores_train_mode"] = np.asarray(net.loss(X.copy()))
        if case.keep_prob < 1:
            # Test mode before any training call: batch norm's running averages are
            # still their initial values, which no dropout mask has touched.
            ref[p + "scores_dropout"] = np.asarray(fresh().loss(X.copy()))
    return ref


def random_cases(rng):
    """Fresh init and network cases for the grader, drawn from ``rng``."""
    def seed():
        return int(rng.integers(2**31 - 3))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    fan, k = n(250, 500), n(60, 150)
    init = [InitCase("unseen_tall", seed(), fan, n(max(40, -(-MIN_N // fan)), fan // 2)),
            InitCase("unseen_wide", seed(), k, n(max(2 * k, -(-MIN_N // k)), 400)),
            InitCase("unseen_small", seed(), n(1, 6), n(1, 6))]

    def dims(depth):
        return (n(2, 8), *[n(3, 9) for _ in range(depth)], n(2, 6))
    return {"xavier_init": init, "he_init": init, "fc_net": [
        NetCase("unseen_plain", seed(), n(2, 10), dims(n(1, 3)),
                reg=float(rng.uniform(0.05, 2))),
        NetCase("unseen_batchnorm", seed(), n(4, 12), dims(n(1, 3)),
                reg=float(rng.uniform(0.05, 1)), normalization="batchnorm"),
        NetCase("unseen_layernorm", seed(), n(2, 10), dims(n(1, 3)),
                reg=float(rng.uniform(0.05, 1)), normalization="layernorm"),
        NetCase("unseen_dropout", seed(), n(5, 10), dims(n(1, 2)),
                reg=float(rng.uniform(0.0, 0.5)), keep_prob=float(rng.uniform(0.4, 0.8)),
                normalization=[None, "batchnorm", "layernorm"][n(0, 2)]),
        *[BuildCase(f"unseen_init_{scale}", seed(),
                    (n(500, 700), n(100, 200), n(350, 450), n(8, 12)), weight_scale=scale)
          for scale in ("xavier", "he")],
        BuildCase("unseen_float32", seed(), dims(n(1, 2)), normalization="batchnorm",
                  dtype="float32")]}


# --------------------------------------------------------------------- helpers

def _name(fn, default):
    if not callable(fn):
        raise ValueError(f"{default}: the argument should be your {default}, got "
                         f"{type(fn).__name__}")
    return getattr(fn, "__name__", default)


def _bounds(n):
    """Bounds of sum(W**2) / (n sigma**2) that a right answer leaves with
    probability below DELTA / 2, widened by the probe's error."""
    x = math.log(4 / DELTA)
    probe = 4 / math.sqrt(2 * PROBE)
    return 1 - 2 * math.sqrt(x / n) - probe, 1 + 2 * math.sqrt(x / n) + 2 * x / n + probe


# ------------------------------------------------------------------------ init

_OTHER = {"xavier_init": "he_init", "he_init": "xavier_init"}


def _init_hints(kind, ratio, case):
    """What the ratio of the measured std to the solution's points at."""
    fi, fo = case.fan_in, case.fan_out
    cands = [(math.sqrt(2) if kind == "xavier_init" else 1 / math.sqrt(2),
              f"the standard deviation is {_OTHER[kind]}'s: Xavier (for tanh) uses "
              "sqrt(1 / fan_in), He (for ReLU) sqrt(2 / fan_in)"),
             (math.sqrt(fi / fo), "the standard deviation uses fan_out where it needs fan_in "
                                  "(the number of inputs of each unit, W.shape[0])"),
             (math.sqrt(2 * fi / (fi + fo)) * (1 if kind == "xavier_init" else 1 / math.sqrt(2)),
              "that is Glorot's averaged form sqrt(2 / (fan_in + fan_out)); this course "
              "uses the lecture's form with fan_in only")]
    for value, msg in cands:
        if abs(ratio / value - 1) < 0.06 and abs(value - 1) > 0.1:
            return msg
    return ""


def _check_init_case(init, name, kind, case, ref):
    label = f"test case '{case.name}' (fan_in={case.fan_in}, fan_out={case.fan_out})"
    state = np.random.get_state()[1].copy()
    W = call(init, name, case.fan_in, case.fan_out, np.random.default_rng(case.seed))
    shape = (case.fan_in, case.fan_out)
    W = _core.array(W, shape, name, "W")
    if W.dtype != np.float64:
        fail(name, f"W has dtype {W.dtype}, expected float64 on {label}")
    if not np.all(np.isfinite(W)):
        fail(name, f"W is not finite on {label}")
    if not np.array_equal(state, np.random.get_state()[1]):
        fail(name, f"np.random's global state changed on {label}",
             "hint: draw from the rng argument only (rng.standard_normal(...)), never from "
             "np.random's global functions")
    again = call(init, name, case.fan_in, case.fan_out, np.random.default_rng(case.seed))
    if not np.array_equal(np.asarray(again), W):
        fail(name, f"two calls with generators of the same seed give different W on {label}",
             "hint: draw from the rng argument only")
    if W.size >= 4:
        other = call(init, name, case.fan_in, case.fan_out,
                     np.random.default_rng(case.seed + 1))
        if np.array_equal(np.asarray(other), W):
            fail(name, f"generators of different seeds give the same W on {label}",
                 "hint: draw from the rng argument, not from a generator of your own")
    if not case.statistical:
        return 5
    sigma = float(ref[f"{kind}/{case.name}/sigma"])
    n = W.size
    mean = float(np.mean(W))
    if abs(mean) > Z * sigma / math.sqrt(n):
        fail(name, f"the mean of W is {mean:.4g} on {label}, expected 0 within "
                   f"{Z * sigma / math.sqrt(n):.3g}",
             "a zero-mean Gaussian this far from 0 has a probability below 1e-9",
             "hint: rng.standard_normal draws mean 0 (rng.random is uniform in [0, 1))")
    m2 = float(np.mean(W ** 2)) / sigma ** 2
    lo, hi = _bounds(n)
    if not lo <= m2 <= hi:
        std = math.sqrt(float(np.mean(W ** 2)))
        fail(name, f"the standard deviation of W is {std:.5g} on {label}, expected "
                   f"{sigma:.5g} (mean square within [{lo:.3f}, {hi:.3f}] of its square)",
             f"{n} numbers: a right W is this far off with probability below {DELTA:g}",
             "hint: " + (_init_hints(kind, math.sqrt(m2), case)
                         or "W is a standard normal matrix times the standard deviation of "
                            "the lecture's formula"))
    return 7


def _check_init(kind, init, *, cases, reference):
    name = _name(init, kind)
    ref = _reference(reference)
    cases, label_set = _init_cases(kind, cases)
    count = sum(_check_init_case(init, name, kind, case, ref) for case in cases)
    passed(name, count, f" ({label_set} cases)")


def check_xavier_init(xavier_init, *, cases="visible", reference):
    """Check ``xavier_init(fan_in, fan_out, rng) -> W`` (shape, seed, statistics).

    Parameters
    ----------
    xavier_init : callable
    cases : {"visible", "hidden"} or list of InitCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    _check_init("xavier_init", xavier_init, cases=cases, reference=reference)


def check_he_init(he_init, *, cases="visible", reference):
    """Check ``he_init(fan_in, fan_out, rng) -> W``: as ``check_xavier_init``."""
    _check_init("he_init", he_init, cases=cases, reference=reference)


# --------------------------------------------------------------------- network

def _read_params(net, name, shapes, when, dtype=None):
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        fail(name, f"net.params should be a dict {when}, got {type(params).__name__}")
    if set(params) != set(shapes):
        missing, extra = sorted(set(shapes) - set(params)), sorted(set(params) - set(shapes))
        fail(name, f"net.params has the wrong keys {when}",
             f"expected {list(shapes)}" + (f"; missing {missing}" if missing else "")
             + (f"; unexpected {extra}" if extra else ""),
             "hint: W1..WL and b1..bL for L layers, and gamma1..gamma(L-1), beta1..beta(L-1) "
             "for the normalised hidden layers (none for the output layer)")
    for k, shape in shapes.items():
        v = params[k]
        if not isinstance(v, np.ndarray) or v.shape != shape:
            got = v.shape if isinstance(v, np.ndarray) else type(v).__name__
            fail(name, f"params['{k}'] has shape {got} {when}, expected {shape}",
                 "hint: W_l has shape (dims[l-1], dims[l]) with dims = [input_dim, "
                 "*hidden_dims, num_classes]; b_l, gamma_l, beta_l have shape (dims[l],)")
        if dtype is not None and v.dtype != dtype:
            fail(name, f"params['{k}'] has dtype {v.dtype} {when}, expected {np.dtype(dtype)}",
                 "hint: cast every parameter to the dtype argument at the end of __init__ "
                 "(v.astype(dtype))")
    return params


def _check_build(cls, name, case, ref):
    label = (f"test case '{case.name}' (dims {case.dims}, weight_scale={case.weight_scale!r}, "
             f"normalization={case.normalization!r}, dtype={case.dtype})")
    net = _build(cls, name, case, call_fn=call)
    shapes = param_shapes(case.dims, case.normalization)
    params = _read_params(net, name, shapes, f"after construction on {label}", case.dtype)
    count = 2
    for k, v in params.items():
        if k[0] == "b" or k.startswith("beta") or k.startswith("gamma"):
            want = 1.0 if k.startswith("gamma") else 0.0
            if not np.all(v == want):
                fail(name, f"the initial params['{k}'] should be all {want:g} on {label}",
                     "hint: biases and beta start at 0, gamma at 1 (the normalised output "
                     "passes unchanged)")
            count += 1
    p = f"fc_net/{case.name}/"
    for k, v in params.items():
        if k[0] != "W" or p + "std_" + k not in ref or v.size < MIN_NET_W:
            continue
        want, got = float(ref[p + "std_" + k]), float(np.std(v.astype(np.float64)))
        mean = float(np.mean(v.astype(np.float64)))
        if abs(got / want - 1) > INIT_BAND or abs(mean) > INIT_BAND * want:
            d_in = v.shape[0]
            how = {"xavier": "xavier_init(fan_in, fan_out, rng), std sqrt(1 / fan_in)",
                   "he": "he_init(fan_in, fan_out, rng), std sqrt(2 / fan_in)"}.get(
                case.weight_scale, "weight_scale * rng.standard_normal((fan_in, fan_out))")
            fail(name, f"the initial {k} has mean {mean:.3g} and standard deviation "
                       f"{got:.4g} on {label}, expected mean 0 and std {want:.4g}",
                 f"{k} (fan_in = {d_in}) comes from {how}",
                 "hint: every weight matrix, the last one too, uses the same rule"
                 if isinstance(case.weight_scale, str) else "")
        count += 1
    again = _build(cls, name, case, call_fn=call)
    for k in shapes:
        if not np.array_equal(np.asarray(again.params[k]), params[k]):
            fail(name, f"two networks built with generators of the same seed have different "
                       f"params['{k}'] on {label}",
                 "hint: draw the weights from the rng argument only (layer by layer, W1 "
                 "first); np.random's global functions are not reproducible")
    return count + 1


def _label(case):
    return (f"test case '{case.name}' (N={case.N}, dims {case.dims}, reg={case.reg:g}, "
            f"normalization={case.normalization!r}, dropout_keep_ratio={case.keep_prob:g})")


def _loss_call(net, name, X, y, label):
    out = call(net.loss, name, X, y)
    if not isinstance(out, tuple) or len(out) != 2:
        fail(name, f"loss(X, y) should return a tuple (loss, grads), got {type(out).__name__}"
                   f" on {label}")
    return scalar(out[0], name, "the loss"), out[1]


def _grads(grads, shapes, name, label):
    if not isinstance(grads, dict) or set(grads) != set(shapes):
        fail(name, f"grads should be a dict with the keys of params, {list(shapes)}, got "
                   + (f"keys {sorted(grads)}" if isinstance(grads, dict)
                      else type(grads).__name__) + f" on {label}",
             "hint: one gradient per parameter, gamma and beta included")
    return {k: _core.array(grads[k], shape, name, f"grads['{k}']")
            for k, shape in shapes.items()}


def _scores(net, name, X, shape, label):
    return _core.array(call(net.loss, name, X), shape, name,
                       f"loss(X) (the scores, when y is None) on {label}")


def _set_params(net, W):
    for k, v in W.items():
        net.params[k] = v.copy()


def _loss_hints(inputs, W, ref, p, *, reg, L):
    base = float(ref[p + "loss_noreg"])
    half = 0.5 * reg
    sq = {k: float(np.sum(v * v)) for k, v in W.items()}
    ws = sum(sq[f"W{l}"] for l in range(1, L + 1))
    bs = sum(v for k, v in sq.items() if k[0] == "b" and not k.startswith("beta"))
    gb = sum(v for k, v in sq.items() if k.startswith("gamma") or k.startswith("beta"))
    cands = [(base, "the loss has no regularisation term: add 0.5 * reg * sum(W_l**2) over "
                    "all L weight matrices"),
             (base + half * (ws + sq[f"W{L}"]), "the last layer's weights are regularised "
                                                "twice: add each W_l's term once"),
             (base + half * (ws - sq[f"W{L}"]), "the last layer's weights are not regularised:"
                                                f" the sum runs over W1..W{L}, W{L} included"),
             (base + half * (ws + bs), "the biases are regularised: only the weights are"),
             (base + half * (ws + gb), "gamma and beta are regularised: only the weights W "
                                       "are"),
             (base + half * (ws + bs + gb), "biases, gamma and beta are regularised: only the "
                                            "weights are"),
             (base + reg * ws, "the regularisation is reg * sum(W**2): the course's term is "
                               "0.5 * reg * sum(W**2) (gradient reg * W)")]
    if reg == 0:
        return []
    return cands


def _grad_hints(k, g, W, reg, L):
    if reg == 0:
        return ""
    cands = []
    if k == f"W{L}":
        cands += [(g + reg * W[k], "dW of the last layer has its regularisation gradient "
                                   "twice: reg * W_L is added once"),
                  (g - reg * W[k], f"d{k} has no regularisation gradient (reg * {k})")]
    elif k[0] == "W":
        cands += [(g - reg * W[k], f"d{k} has no regularisation gradient (reg * {k})")]
    else:
        cands += [(g + reg * W[k], f"d{k} includes reg * {k}: biases, gamma and beta are not "
                                   "regularised")]
    for value, msg in cands:
        if close(value, g, **GRAD_TOL):
            continue
        yield value, msg


def _check_exact(cls, name, case, ref):
    """One train call, a test call, a train call again, with dropout off."""
    lname = name + ".loss"
    p = f"fc_net/{case.name}/"
    inputs = case_inputs(ref, "fc_net", case.name)
    X, y, reg = inputs["in_X"], inputs["in_y"], case.reg
    shapes = param_shapes(case.dims, case.normalization)
    W = {k: inputs["in_" + k] for k in shapes}
    L = len(case.dims) - 1
    label = _label(case)
    net = _new(cls, name, case, call_fn=call)
    _read_params(net, name, shapes, f"after construction on {label}")
    _set_params(net, W)
    given = {"X": X.copy(), "y": y.copy()}
    with inputs_kept(lname, given, who="the network's loss", where=label):
        loss, grads = _loss_call(net, lname, given["X"], given["y"], label)
        grads = _grads(grads, shapes, lname, label)
        if not np.isfinite(loss):
            fail(lname, f"the loss is not finite ({loss}) on {label}")
        want = float(ref[p + "loss"])
        if not close(loss, want, **OUT_TOL):
            hint = first_hint(loss, _loss_hints(inputs, W, ref, p, reg=reg, L=L), **OUT_TOL)
            fail(lname, f"the loss is wrong on {label}", f"expected {want:.8g}, got {loss:.8g}",
                 "hint: " + hint if hint else _order_hint(case))
        order = [k for k in reversed(param_keys(case.dims, case.normalization))]
        wrong = [k for k in order if not close(grads[k], ref[p + "d" + k], **GRAD_TOL)]
        if wrong:
            k = wrong[0]
            i, got, exp = worst_index(grads[k], ref[p + "d" + k])
            hint = first_hint(grads[k], list(_grad_hints(k, ref[p + "d" + k], W, reg, L)),
                              **GRAD_TOL)
            right = [q for q in order[:order.index(k)]]
            if not hint and right:
                hint = (f"the gradients of the layers above ({', '.join(right)}) are right: "
                        f"the error is in the backward pass at or below {k}'s layer. Go "
                        f"through the layers in the reverse order of the forward, each "
                        f"backward with its own layer's cache, the ReLU's backward before the "
                        f"norm's (the forward is affine - norm - relu)")
            fail(lname, f"the gradient grads['{k}'] is wrong on {label}",
                 f"largest difference at grads['{k}']{list(i)}: yours {got:.8g}, expected "
                 f"{exp:.8g}",
                 f"also wrong: {', '.join(wrong[1:])}" if len(wrong) > 1 else "",
                 "hint: " + hint if hint else "")
        _check_kept(net, name, W, "loss(X, y)")
        scores = _scores(net, lname, given["X"], (case.N, case.dims[-1]), label)
        want = ref[p + "scores"]
        if not close(scores, want, **OUT_TOL):
            i, got, exp = worst_index(scores, want)
            hint = ""
            if p + "scores_train_mode" in ref and close(scores, ref[p + "scores_train_mode"],
                                                        **OUT_TOL):
                hint = ("batch norm normalises with the batch's statistics at test time: "
                        "loss(X) (y is None) must set bn_param['mode'] = 'test' in every "
                        "bn_param, so that the running averages are used")
            fail(lname, f"the scores loss(X) after one training call are wrong on {label}",
                 f"largest difference at scores{list(i)}: yours {got:.8g}, expected {exp:.8g}",
                 "(batch norm's running averages after one training call, from zeros with "
                 "momentum 0.9, are a tenth of the batch's statistics: large test-mode "
                 "scores are expected)" if case.normalization == "batchnorm" else "",
                 "hint: " + hint if hint else _order_hint(case))
        try:
            again, _ = _loss_call(net, lname, given["X"], given["y"], label)
        except CheckFailure as e:
            raise CheckFailure(
                f"{e}\n  on the second loss(X, y), after loss(X), on {label} (the first "
                f"one passed)\n  hint: set the mode of every bn_param (and of dropout_param) "
                f"on every call: 'train' when y is given, 'test' when y is None") from None
        if not close(again, float(ref[p + "loss"]), **OUT_TOL):
            fail(lname, f"a second loss(X, y), after loss(X), gives another loss on {label}",
                 f"expected {float(ref[p + 'loss']):.8g} again, got {again:.8g}",
                 "hint: set the mode of every bn_param (and of dropout_param) on every call: "
                 "'train' when y is given, 'test' when y is None")
        _check_kept(net, name, W, "loss(X)")
    return 4 + len(order)


def _order_hint(case):
    if case.normalization:
        return ("hint: if the same network without normalisation passes, look at the order "
                "of each hidden layer: affine - norm - relu (the norm comes before the ReLU), "
                "with gamma_l and beta_l of hidden layer l; the output layer is not normalised")
    return ""


def _check_kept(net, name, W, what):
    for k, v in W.items():
        if not np.array_equal(np.asarray(net.params[k]), v):
            fail(name + ".loss", f"{what} changed params['{k}']",
                 "loss only computes the loss and the gradients; the update of the "
                 "parameters is the Solver's job")


def _seeded_loss(net, name, X, y, seed):
    dp = getattr(net, "dropout_param", None)
    if not isinstance(dp, dict):
        fail(name, "the network has no dict net.dropout_param with dropout on",
             "hint: keep {'mode': ..., 'keep_prob': dropout_keep_ratio, 'rng': rng} in "
             "self.dropout_param and pass it to every dropout_forward")
    dp["rng"] = np.random.default_rng(seed)
    return _loss_call(net, name + ".loss", X.copy(), y.copy(), "")


def _check_dropout(cls, name, case, ref):
    """Structure of a network with dropout on (masks differ between right answers)."""
    lname = name + ".loss"
    p = f"fc_net/{case.name}/"
    inputs = case_inputs(ref, "fc_net", case.name)
    X, y = inputs["in_X"], inputs["in_y"]
    shapes = param_shapes(case.dims, case.normalization)
    W = {k: inputs["in_" + k] for k in shapes}
    L = len(case.dims) - 1
    label = _label(case)
    net = _new(cls, name, case, call_fn=call)
    _set_params(net, W)
    dp = getattr(net, "dropout_param", None)
    # (Through the grader's worker the generator arrives as its state: only its key is
    # checked; the losses below show whether the masks come from it.)
    if (not isinstance(dp, dict) or "rng" not in dp
            or not np.isclose(float(dp.get("keep_prob", -1)), case.keep_prob, rtol=1e-12)):
        fail(name, f"net.dropout_param should be a dict with 'keep_prob' = "
                   f"{case.keep_prob:g} and 'rng' the network's generator on {label}, got "
                   f"{dp!r:.200}")
    scores = _scores(net, lname, X.copy(), (case.N, case.dims[-1]), label)
    want = ref[p + "scores_dropout"]
    if not close(scores, want, **OUT_TOL):
        i, got, exp = worst_index(scores, want)
        fail(lname, f"the test-mode scores loss(X) are wrong with dropout on {label}",
             f"largest difference at scores{list(i)}: yours {got:.8g}, expected {exp:.8g}",
             "(the first call of a new network, before any training call)",
             "hint: at test time (y is None) dropout_param['mode'] is 'test': nothing is "
             "dropped and nothing scaled")
    seed = case.seed + 7
    loss, grads = _seeded_loss(net, name, X, y, seed)
    grads = _grads(grads, shapes, lname, label)
    loss2, _ = _seeded_loss(net, name, X, y, seed)
    if not close(loss2, loss, rtol=1e-12, atol=0):
        fail(lname, f"two train calls with dropout_param['rng'] of the same seed give "
                    f"different losses on {label}",
             "hint: the masks must come from dropout_param['rng'] (your dropout_forward "
             "draws from it)")
    others = [_seeded_loss(net, name, X, y, seed + j)[0] for j in (1, 2, 3)]
    if all(close(v, loss, rtol=1e-12, atol=0) for v in others):
        fail(lname, f"the train-mode loss does not depend on the dropout mask on {label}",
             "hint: with dropout_keep_ratio < 1 every hidden layer ends with dropout in train "
             "mode (dropout_param['mode'] = 'train' when y is given)")
    db = grads[f"b{L}"]
    if abs(float(np.sum(db))) > 1e-9 * max(1.0, float(np.max(np.abs(db)))):
        fail(lname, f"grads['b{L}'] does not sum to 0 over the classes on {label}",
             "the gradient of the softmax loss with respect to each example's scores sums "
             "to 0, so the last bias's gradient does too",
             "hint: dropout is applied to the scores: dropout belongs to the hidden layers "
             "only, after each ReLU; the output layer is affine - softmax")
    # The gradient against a centred difference of the student's own loss.
    check_rng = np.random.default_rng(case.seed + 11)
    for k in reversed(param_keys(case.dims, case.normalization)):
        for _ in range(2):
            idx = tuple(int(check_rng.integers(s)) for s in shapes[k])

            def f(v, k=k, idx=idx):
                P = W[k].copy()
                P[idx] = v[0]
                net.params[k] = P
                return _seeded_loss(net, name, X, y, seed)[0]
            num = float(numeric_grad(f, np.array([W[k][idx]]))[0])
            net.params[k] = W[k].copy()
            if not close(grads[k][idx], num, **NUM_TOL):
                fail(lname, f"grads['{k}'] disagrees with a numeric gradient of your own loss "
                            f"(the dropout mask fixed by the generator's seed) on {label}",
                     f"at grads['{k}']{list(idx)}: analytic {float(grads[k][idx]):.8g}, "
                     f"numeric {num:.8g}",
                     "hint: the backward must pass through each dropout with the cache of its "
                     "own forward (the same mask), in the reverse order of the forward")
    return 6 + 2 * len(shapes)


def check_fully_connected_net(cls, *, cases="visible", reference):
    """Check ``FullyConnectedNet``: construction, scores, loss, gradients,
    batch and layer norm, dropout.

    A failure also names the functions of the earlier notebooks (batch norm,
    layer norm, dropout) and the init helpers that the class calls and that
    fail their own checks.

    Only these are used, so the class may live in another process: the
    constructor, ``net.params`` (read, and ``net.params[key] = array``),
    ``net.dropout_param`` (read, and its "rng" set) and ``net.loss``.

    Parameters
    ----------
    cls : type
    cases : {"visible", "hidden"} or list of NetCase and BuildCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    try:
        _check_fully_connected_net(cls, cases=cases, reference=reference)
    except CheckFailure as e:
        note = _broken_layers(cls, reference)
        if not note:
            raise
        raise CheckFailure(f"{e}\n  {note}") from None


def _check_fully_connected_net(cls, *, cases, reference):
    name = _name(cls, "FullyConnectedNet")
    ref = _reference(reference)
    cases, label_set = _net_cases(cases)
    count = 0
    for case in cases:
        if isinstance(case, BuildCase):
            count += _check_build(cls, name, case, ref)
        elif case.keep_prob < 1:
            count += _check_dropout(cls, name, case, ref)
        else:
            count += _check_exact(cls, name, case, ref)
    passed(name, count, f" ({label_set} cases)")


# The student's functions of the earlier notebooks and of this one that the
# network may call, each with its own check.
_LAYER_CHECKS = {
    "batchnorm_forward": lambda g, r: _normalization.check_batchnorm_forward(
        g["batchnorm_forward"], reference=r),
    "batchnorm_backward": lambda g, r: _normalization.check_batchnorm_backward(
        g["batchnorm_forward"], g["batchnorm_backward"], reference=r),
    "batchnorm_backward_alt": lambda g, r: _normalization.check_batchnorm_backward_alt(
        g["batchnorm_forward"], g["batchnorm_backward_alt"], reference=r),
    "layernorm_forward": lambda g, r: _normalization.check_layernorm_forward(
        g["layernorm_forward"], reference=r),
    "layernorm_backward": lambda g, r: _normalization.check_layernorm_backward(
        g["layernorm_forward"], g["layernorm_backward"], reference=r),
    "dropout_forward": lambda g, r: _dropout.check_dropout_forward(
        g["dropout_forward"], reference=r),
    "dropout_backward": lambda g, r: _dropout.check_dropout_backward(
        g["dropout_forward"], g["dropout_backward"], reference=r),
    "xavier_init": lambda g, r: check_xavier_init(g["xavier_init"], reference=r),
    "he_init": lambda g, r: check_he_init(g["he_init"], reference=r),
}


def _broken_layers(cls, reference):
    """A line naming the functions ``cls``'s methods call that fail their own
    visible checks, or ""."""
    return _core.broken_functions(
        cls, {name: (lambda g, check=check: check(g, reference))
              for name, check in _LAYER_CHECKS.items()})


# ------------------------------------------------------------ for the grader

def _grade_init(g, fns, *, cases, reference):
    _check_init(g.kind, fns[g.name], cases=cases[g.kind], reference=reference)


def _grade_net(g, fns, *, cases, reference):
    check_fully_connected_net(fns[g.name], cases=cases["fc_net"], reference=reference)


GRADED = [
    _core.Graded("xavier_init", NOTEBOOK, "test_xavier_init", "xavier_init", run=_grade_init),
    _core.Graded("he_init", NOTEBOOK, "test_he_init", "he_init", run=_grade_init),
    _core.Graded("FullyConnectedNet", NOTEBOOK, "test_fully_connected_net", "fc_net",
                 watch=("params", "dropout_param"), run=_grade_net)]
