"""Part of Assignment 4's checks: batch and layer normalisation
(``batch_norm.ipynb``).

Graded functions, with CS231n's signatures:

- ``batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)``, ``bn_param``
  with ``mode`` ('train' or 'test') and optionally ``eps`` (1e-5),
  ``momentum`` (0.9), ``running_mean`` and ``running_var`` (zeros of shape
  (D,) when missing).  A train-mode call must store the updated running
  averages back into ``bn_param``; a test-mode call must leave them alone.
- ``batchnorm_backward(dout, cache)`` and ``batchnorm_backward_alt(dout,
  cache) -> (dx, dgamma, dbeta)``: the same gradients, through the graph or by
  the simplified formula (either passes either check).
- ``layernorm_forward(x, gamma, beta, ln_param) -> (out, cache)`` (``ln_param``
  may hold ``eps``) and ``layernorm_backward(dout, cache)``.

A batch-norm case is a sequence of calls with one ``bn_param`` dict, as a
network makes them: ``train_calls`` train-mode calls on fresh batches of one
distribution, then optionally a test-mode call.  After every call the output
and the running averages in ``bn_param`` are compared with the solution's.
The backward checks call the student's own forward on each train-mode call of
a case and compare ``dx``, ``dgamma``, ``dbeta`` with the solution's, and at
the worst index with a centred difference of the student's forward.

A batch of one example (N = 1) is degenerate for batch norm and is checked as
the formulas make it: every feature equals its batch mean, the batch variance
is 0, so the train-mode output is ``beta`` and ``dx`` is 0 (and the running
variance decays by ``momentum``).  Layer norm has no such problem with N = 1.

Expected values come from the reference (the solution's outputs, and the
solution's outputs on changed inputs for some hints).  The hints work from
those numbers and from properties of the student's output; nothing here
computes a right answer.  Tolerances (float64): outputs and running averages
``rtol=1e-7, atol=1e-10``, gradients ``rtol=1e-6, atol=1e-9``; the cases keep
means at most a few standard deviations from 0, so a one-pass variance
(``mean(x**2) - mean**2``) is as accurate as the two-pass one.
"""
from dataclasses import dataclass

import numpy as np

from ..gradient_check import numeric_grad_array
from . import _core
from ._core import (CheckFailure, call, close, fail, first_hint, inputs_kept, passed,
                    select_cases, worst_index)

__all__ = ["check_batchnorm_forward", "check_batchnorm_backward",
           "check_batchnorm_backward_alt", "check_layernorm_forward",
           "check_layernorm_backward"]

NOTEBOOK = "batch_norm.ipynb"
KINDS = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
         "layernorm_forward", "layernorm_backward")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
OUT_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)
DEFAULT_EPS, DEFAULT_MOMENTUM = 1e-5, 0.9
LOOSE = dict(rtol=0.0, atol=1e-3)   # properties of a student's output, for hints only


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class NormCase:
    """A test case of batch or layer norm.

    Parameters
    ----------
    name : str
    seed : int
        Seed of the inputs.
    N, D : int
        Batch size and number of features.
    train_calls : int
        Batch norm: train-mode calls, each on a fresh batch (layer norm: 1).
    test_call : bool
        Batch norm: one test-mode call after them.
    eps, momentum : float or None
        Put into the param dict; None leaves the key out (the default).
    running : bool
        Batch norm: the param dict starts with running averages.
    scale, offset : float
        The features' standard deviations are ``scale`` times 0.5 to 2, their
        means ``offset`` plus a standard normal number.
    """
    name: str
    seed: int
    N: int
    D: int
    train_calls: int = 1
    test_call: bool = False
    eps: float = None
    momentum: float = None
    running: bool = False
    scale: float = 1.0
    offset: float = 0.0

    def __post_init__(self):
        for field in ("N", "D"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 1:
                raise ValueError(f"NormCase {self.name!r}: {field} must be a positive int, "
                                 f"got {getattr(self, field)!r}")
        if self.train_calls < 0 or self.train_calls + self.test_call < 1:
            raise ValueError(f"NormCase {self.name!r}: train_calls must be >= 0 with at "
                             f"least one call in all, got {self.train_calls!r}")
        if self.test_call and not self.train_calls and not self.running:
            raise ValueError(f"NormCase {self.name!r}: a test call without train calls "
                             "needs running=True (given running averages)")
        if self.momentum is not None and not 0 < self.momentum < 1:
            raise ValueError(f"NormCase {self.name!r}: momentum must lie in (0, 1), "
                             f"got {self.momentum!r}")
        if self.eps is not None and not self.eps > 0:
            raise ValueError(f"NormCase {self.name!r}: eps must be > 0, got {self.eps!r}")

    @property
    def calls(self):
        return self.train_calls + int(self.test_call)


CASES = {
    "batchnorm": {
        "visible": [NormCase("one_batch", 1000, N=8, D=5),
                    NormCase("train_then_test", 1001, N=6, D=4, train_calls=3, test_call=True,
                             eps=1e-3, momentum=0.7, scale=1.5, offset=2.0),
                    NormCase("test_given_running", 1002, N=5, D=3, train_calls=0,
                             test_call=True, running=True)],
        "hidden": [NormCase("single_example", 1010, N=1, D=4, train_calls=2, test_call=True),
                   NormCase("two_examples", 1011, N=2, D=3, train_calls=2, test_call=True,
                            running=True),
                   NormCase("square", 1012, N=5, D=5, train_calls=2, test_call=True,
                            running=True, momentum=0.8),
                   NormCase("small_scale", 1013, N=10, D=6, train_calls=1, test_call=True,
                            scale=0.01, offset=1.0),
                   NormCase("large_eps", 1014, N=7, D=3, train_calls=4, test_call=True,
                            eps=0.5, momentum=0.5, running=True),
                   NormCase("wide", 1015, N=32, D=20, train_calls=2)],
    },
    "layernorm": {
        "visible": [NormCase("basic", 2000, N=4, D=6),
                    NormCase("given_eps", 2001, N=3, D=5, eps=1e-2, scale=0.1)],
        "hidden": [NormCase("single_example", 2010, N=1, D=8),
                   NormCase("square", 2011, N=5, D=5, offset=3.0, scale=0.5),
                   NormCase("two_features", 2012, N=6, D=2),
                   NormCase("wide", 2013, N=16, D=32, eps=1e-4)],
    },
}
LAYER = {"batchnorm_forward": "batchnorm", "batchnorm_backward": "batchnorm",
         "batchnorm_backward_alt": "batchnorm", "layernorm_forward": "layernorm",
         "layernorm_backward": "layernorm"}


def _cases(layer, cases):
    return select_cases(CASES[layer], cases, lambda c: isinstance(c, NormCase),
                        f"NormCase (random_cases(rng)[{layer!r}])")


def _inputs(case):
    """The case's arrays: x and dout of shape (calls, N, D), gamma, beta (D,),
    the given running averages and hyperparameters."""
    rng = np.random.default_rng(case.seed)
    N, D, T = case.N, case.D, case.calls
    mean = case.offset + rng.standard_normal(D)
    std = case.scale * rng.uniform(0.5, 2.0, D)
    inputs = {"in_x": mean + std * rng.standard_normal((T, N, D)),
              "in_gamma": rng.choice([-1.0, 1.0], D) * rng.uniform(0.5, 2.0, D),
              "in_beta": rng.standard_normal(D),
              "in_dout": rng.standard_normal((T, N, D))}
    if case.running:
        inputs["in_running_mean"] = mean + 0.3 * std * rng.standard_normal(D)
        inputs["in_running_var"] = std ** 2 * rng.uniform(0.5, 1.5, D)
    if case.eps is not None:
        inputs["in_eps"] = np.float64(case.eps)
    if case.momentum is not None:
        inputs["in_momentum"] = np.float64(case.momentum)
    return inputs


def _param(inputs, mode=None):
    """A fresh param dict from the case's inputs (copies of the running averages)."""
    param = {} if mode is None else {"mode": mode}
    for key in ("eps", "momentum"):
        if "in_" + key in inputs:
            param[key] = float(inputs["in_" + key])
    for key in ("running_mean", "running_var"):
        if "in_" + key in inputs:
            param[key] = np.array(inputs["in_" + key])
    return param


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped; a backward needs its forward).
    cases : dict, optional
        As returned by ``random_cases`` (keys of other parts are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<layer>/<case>/in_*``),
    the solution's outputs per call (``<layer>/<case>/<k>/out``, ...) and its
    outputs on changed inputs for the hints (``.../cf_*``).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    fwd = solutions.get("batchnorm_forward")
    for case in cases.get("batchnorm", ()) if fwd else ():
        ref.update(_bn_reference(solutions, case))
    fwd = solutions.get("layernorm_forward")
    for case in cases.get("layernorm", ()) if fwd else ():
        ref.update(_ln_reference(solutions, case))
    return ref


def _bn_reference(solutions, case):
    fwd = solutions["batchnorm_forward"]
    inputs = _inputs(case)
    p = f"batchnorm/{case.name}/"
    ref = {p + k: v for k, v in inputs.items()}
    x, gamma, beta, dout = (inputs[k] for k in ("in_x", "in_gamma", "in_beta", "in_dout"))
    D = case.D
    param = _param(inputs, "train")
    for k in range(case.calls):
        q = f"{p}{k}/"
        before = {key: np.array(param.get(key, np.zeros(D)))
                  for key in ("running_mean", "running_var")}
        if k < case.train_calls:
            out, cache = fwd(x[k].copy(), gamma.copy(), beta.copy(), param)
            ref[q + "out"] = np.asarray(out)
            for key in ("running_mean", "running_var"):
                ref[q + key] = np.array(param[key])
            for kind in ("batchnorm_backward", "batchnorm_backward_alt"):
                if solutions.get(kind):
                    grads = solutions[kind](dout[k].copy(), cache)
                    for name, g in zip(("dx", "dgamma", "dbeta"), grads):
                        ref[f"{q}{kind}/{name}"] = np.asarray(g)
            # Normalising with the running averages, before or after this call's update.
            for tag, state in (("old", before), ("new", param)):
                changed = dict(_param(inputs, "test"), running_mean=np.array(
                    state["running_mean"]), running_var=np.array(state["running_var"]))
                ref[q + f"cf_running_{tag}"] = np.asarray(
                    fwd(x[k].copy(), gamma.copy(), beta.copy(), changed)[0])
            if "in_eps" in inputs:
                changed = dict(_param(inputs, "train"), **before)
                del changed["eps"]
                ref[q + "cf_default_eps"] = np.asarray(
                    fwd(x[k].copy(), gamma.copy(), beta.copy(), changed)[0])
        else:
            param["mode"] = "test"
            ref[q + "out"] = np.asarray(fwd(x[k].copy(), gamma.copy(), beta.copy(), param)[0])
            state = {key: np.array(param[key]) for key in ("running_mean", "running_var")}
            ref[q + "cf_plain"] = np.asarray(
                fwd(x[k].copy(), np.ones(D), np.zeros(D), dict(_param(inputs, "test"),
                                                               **state))[0])
            ref[q + "cf_batch"] = np.asarray(
                fwd(x[k].copy(), gamma.copy(), beta.copy(), dict(_param(inputs, "train"),
                                                                 **state))[0])
    return ref


def _ln_reference(solutions, case):
    fwd, bwd = solutions["layernorm_forward"], solutions.get("layernorm_backward")
    inputs = _inputs(case)
    p = f"layernorm/{case.name}/"
    ref = {p + k: v for k, v in inputs.items()}
    x, gamma, beta, dout = (inputs[k][0] if k in ("in_x", "in_dout") else inputs[k]
                            for k in ("in_x", "in_gamma", "in_beta", "in_dout"))
    out, cache = fwd(x.copy(), gamma.copy(), beta.copy(), _param(inputs))
    ref[p + "0/out"] = np.asarray(out)
    if bwd:
        for name, g in zip(("dx", "dgamma", "dbeta"), bwd(dout.copy(), cache)):
            ref[f"{p}0/layernorm_backward/{name}"] = np.asarray(g)
    if "in_eps" in inputs:
        ref[p + "0/cf_default_eps"] = np.asarray(fwd(x.copy(), gamma.copy(), beta.copy(),
                                                     {})[0])
    return ref


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: {"batchnorm": [...],
    "layernorm": [...]}."""
    def seed():
        return int(rng.integers(2**31))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    bn = [NormCase("unseen_sequence", seed(), N=n(2, 12), D=n(1, 8), train_calls=n(1, 4),
                   test_call=True, momentum=float(rng.uniform(0.5, 0.95)),
                   eps=float(10 ** rng.uniform(-4, -1)), running=bool(rng.random() < 0.5),
                   scale=float(10 ** rng.uniform(-1, 0.5)), offset=float(rng.uniform(-3, 3))),
          NormCase("unseen_defaults", seed(), N=n(3, 20), D=n(2, 10), train_calls=n(1, 3),
                   test_call=True),
          NormCase("unseen_test_only", seed(), N=n(1, 6), D=n(1, 6), train_calls=0,
                   test_call=True, running=True, eps=float(10 ** rng.uniform(-3, -0.5)))]
    ln = [NormCase("unseen_defaults", seed(), N=n(1, 8), D=n(3, 12),
                   offset=float(rng.uniform(-3, 3))),
          NormCase("unseen_eps", seed(), N=n(2, 10), D=n(2, 10),
                   eps=float(10 ** rng.uniform(-3, -1)), scale=float(10 ** rng.uniform(-1.5, 0)))]
    return {"batchnorm": bn, "layernorm": ln}


# ------------------------------------------------------------------- helpers

def _name(fn, default, argument):
    if not callable(fn):
        raise TypeError(f"{argument} must be a function, got {type(fn).__name__}")
    return getattr(fn, "__name__", default)


def _case_ref(ref, layer, case):
    """The stored inputs of a case (fresh copies) and its prefix."""
    if not isinstance(ref, dict):
        raise TypeError(f"reference must be a dict of arrays, got {type(ref).__name__}")
    p = f"{layer}/{case.name}/"
    inputs = {k[len(p):]: np.array(v) for k, v in ref.items() if k.startswith(p + "in_")}
    if "in_x" not in inputs:
        raise ValueError(f"reference has no values for {layer} case {case.name!r}: make it "
                         f"with make_reference(solutions, cases)")
    return inputs, p


def _label(layer, case, inputs, k=None):
    N, D = inputs["in_x"].shape[1:]
    opts = "".join(f", {key}={float(inputs['in_' + key]):g}" for key in ("eps", "momentum")
                   if "in_" + key in inputs)
    if layer == "layernorm":
        return f"test case '{case.name}' (x {N}x{D}{opts})"
    mode = "train" if k < case.train_calls else "test"
    return (f"test case '{case.name}' (x {N}x{D}{opts}; call {k + 1} of {case.calls}, "
            f"{mode} mode)")


def _out(result, name, shape, label):
    """The student's ``out`` from ``(out, cache)``, checked for type, shape, finiteness."""
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple (out, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else "")
                   + f" on {label}")
    out = _array(result[0], shape, name, "out", label)
    return out, result[1]


def _array(value, shape, name, what, label, *, hint=""):
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array of shape {shape}, got "
                   f"{type(value).__name__} on {label}")
    if value.shape != tuple(shape):
        fail(name, f"{what} has shape {value.shape}, expected {tuple(shape)} on {label}", hint)
    if value.dtype.kind not in "biuf":
        fail(name, f"{what} should hold numbers, got an array of dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        i = tuple(int(j) for j in np.argwhere(~np.isfinite(value))[0])
        fail(name, f"{what} is not finite on {label}: {what}{list(i)} = {float(value[i])}",
             "hint: look for a division by zero: the variance of a feature can be 0 (a "
             "batch of one example), which is why eps is added under the square root")
    return value


def _standardised(out, gamma, beta):
    """The student's output with gamma and beta undone: what it normalised x to."""
    return (out - beta) / gamma


def _mismatch(name, what, got, want, label, *, hints, tol, extra=()):
    i, yours, exp = worst_index(got, want)
    hint = first_hint(got, [(v, m) for v, m in hints if np.shape(v) == np.shape(want)
                            and not close(v, want, **tol)], **tol)
    fail(name, f"{what} is wrong on {label}",
         f"largest difference at {what}{list(i)}: yours {yours:.8g}, expected {exp:.8g}",
         *extra, "hint: " + hint if hint else "")


def _std_from(x, z):
    """Each standardisation's divisor, read off the solution's numbers: x and
    its standardised z differ by a shift and a factor 1/std along axis 0.
    None where the batch has one row (or all rows alike)."""
    hi, lo = np.argmax(x, axis=0), np.argmin(x, axis=0)
    cols = np.arange(x.shape[1])
    dz = z[hi, cols] - z[lo, cols]
    if x.shape[0] < 2 or np.any(dz == 0):
        return None
    return (x[hi, cols] - x[lo, cols]) / dz


def _eps_outside(z, eps):
    """z as it is with eps outside the square root, from the right z (axis 0):
    the mean square of z is var / (var + eps)."""
    r = np.mean(z * z, axis=0)
    if np.any(r <= 0) or np.any(r >= 1):
        return None
    return z * np.sqrt(eps / (1 - r)) / (np.sqrt(eps * r / (1 - r)) + eps)


# ------------------------------------------------------------- batch norm

def _bn_out_hints(out, want, inputs, ref, q, *, case, k, eps):
    """(value, message) candidates for a wrong output of a train-mode call,
    and property hints (the student's output normalised on the wrong axis,
    with N - 1, or squashed into [0, 1])."""
    gamma, beta = inputs["in_gamma"], inputs["in_beta"]
    z = _standardised(out, gamma, beta)
    zref = _standardised(want, gamma, beta)
    N, D = out.shape
    hints = [(ref[q + "cf_running_new"], "in training mode normalise with the batch's own "
                                         "mean and variance, not the running averages (those "
                                         "are for test mode)"),
             (ref[q + "cf_running_old"], "in training mode normalise with the batch's own "
                                         "mean and variance, not the running averages (those "
                                         "are for test mode)")]
    if q + "cf_default_eps" in ref:
        hints.append((ref[q + "cf_default_eps"], "your output is the one for eps=1e-5: use "
                                                 "bn_param's eps when it is given"))
    wrong_eps = _eps_outside(zref, eps)
    if wrong_eps is not None:
        hints.append((wrong_eps * gamma + beta, "eps belongs inside the square root: divide "
                                                "by sqrt(var + eps), not sqrt(var) + eps"))
    hints.append((zref, "gamma and beta are missing: scale by gamma, then shift by beta"))
    if N > 1 and np.allclose(z.min(axis=0), 0, **LOOSE) \
            and np.allclose(z.max(axis=0), 1, **LOOSE):
        hints.insert(0, (out, "your features lie between 0 and 1 (min-max scaling): batch "
                              "norm does not squash values into [0, 1], it standardises each "
                              "feature to mean 0 and variance 1 over the batch"))
    elif D > 1 and np.allclose(z.mean(axis=1), 0, **LOOSE) \
            and np.allclose(np.sqrt(np.mean((z - z.mean(axis=1, keepdims=True)) ** 2, axis=1)),
                            1, **LOOSE):
        hints.insert(0, (out, "each example (row) is normalised over its features: batch "
                              "norm takes each feature's statistics over the batch (axis 0); "
                              "per example is layer norm"))
    elif N > 1 and np.allclose(z.mean(axis=0), 0, **LOOSE):
        spread = np.sqrt(np.mean((z - z.mean(axis=0)) ** 2, axis=0))
        target = np.sqrt(np.mean(zref ** 2, axis=0) * (N - 1) / N)
        if np.allclose(spread, target, rtol=1e-3, atol=1e-9):
            hints.insert(0, (out, "you normalised with the unbiased variance (divided by "
                                  "N - 1): batch norm uses the biased one, dividing by N"))
    return hints


def _running_hints(got, want, before, *, key, N, momentum):
    """Candidates for a wrong running average, from the solution's numbers."""
    m = momentum
    batch = (want - m * before) / (1 - m)   # the batch statistic the right update used
    stat = "mean" if key == "running_mean" else "variance"
    hints = [(before, f"bn_param['{key}'] is unchanged by a train-mode call: update it, "
                      f"{key} = momentum * {key} + (1 - momentum) * the batch's {stat}, and "
                      f"store it back into bn_param"),
             (batch, f"bn_param['{key}'] is the batch's {stat} itself: it must be a running "
                     "average, momentum * old + (1 - momentum) * new"),
             ((1 - m) * before + m * batch, f"momentum is applied the wrong way round: keep "
                                            f"momentum * the old {key} and add (1 - momentum) "
                                            "* the batch's value")]
    if key == "running_var" and N > 1:
        hints.insert(0, (m * before + (want - m * before) * N / (N - 1),
                         "running_var averages the unbiased variance (divided by N - 1): "
                         "the course's batch norm uses the biased variance (divided by N) "
                         "everywhere"))
    if m != DEFAULT_MOMENTUM:
        d = DEFAULT_MOMENTUM
        hints.append((d * before + (1 - d) * batch, "this is the update with momentum 0.9: "
                                                    "use bn_param's momentum when it is given"))
    return hints


def _running(param, key, name, label, D):
    if not isinstance(param, dict) or key not in param:
        fail(name, f"bn_param has no '{key}' after a train-mode call on {label}",
             "hint: store the updated running averages back into bn_param "
             f"(bn_param['{key}'] = ...): the next call, and test mode, read them there")
    return _array(np.asarray(param[key]) if np.isscalar(param[key]) else param[key], (D,),
                  name, f"bn_param['{key}']", label,
                  hint="hint: keep the running averages of shape (D,), one per feature")


def check_batchnorm_forward(batchnorm_forward, *, reference, cases="visible"):
    """Check ``batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)``.

    Each case is a sequence of calls with one bn_param dict: train-mode calls
    (out and the running averages stored in bn_param are checked after each),
    then possibly a test-mode call (out checked, running averages unchanged).

    Parameters
    ----------
    batchnorm_forward : callable
    reference : dict
        Reference arrays (``make_reference``).
    cases : {"visible", "hidden"} or list of NormCase
    """
    name = _name(batchnorm_forward, "batchnorm_forward", "batchnorm_forward")
    cases, label_set = _cases("batchnorm", cases)
    count = 0
    for case in cases:
        inputs, p = _case_ref(reference, "batchnorm", case)
        x, gamma, beta = inputs["in_x"], inputs["in_gamma"], inputs["in_beta"]
        N, D = x.shape[1:]
        eps = float(inputs.get("in_eps", DEFAULT_EPS))
        momentum = float(inputs.get("in_momentum", DEFAULT_MOMENTUM))
        param = _param(inputs, "train")
        for k in range(case.calls):
            q = f"{p}{k}/"
            label = _label("batchnorm", case, inputs, k)
            train = k < case.train_calls
            before = {key: np.array(reference[f"{p}{k - 1}/{key}"]) if k else
                      np.array(inputs.get("in_" + key, np.zeros(D)))
                      for key in ("running_mean", "running_var")}
            if not train:
                param["mode"] = "test"
            given = {"x": x[k].copy(), "gamma": gamma.copy(), "beta": beta.copy()}
            with inputs_kept(name, given, who="a layer", where=label):
                out, _ = _out(call(batchnorm_forward, name, given["x"], given["gamma"],
                                   given["beta"], param), name, (N, D), label)
                want = reference[q + "out"]
                count += 1
                if not close(out, want, **OUT_TOL):
                    if train:
                        hints = _bn_out_hints(out, want, inputs, reference, q, case=case,
                                              k=k, eps=eps)
                    else:
                        hints = [(reference[q + "cf_plain"], "test mode must still scale by "
                                                             "gamma and shift by beta"),
                                 (reference[q + "cf_batch"], "test mode must normalise with "
                                                             "the running averages, not the "
                                                             "test batch's own statistics")]
                    _mismatch(name, "out", out, want, label, hints=hints, tol=OUT_TOL)
                for key in ("running_mean", "running_var"):
                    if train:
                        got = _running(param, key, name, label, D)
                        exp = reference[q + key]
                        count += 1
                        if not close(got, exp, **OUT_TOL):
                            _mismatch(name, f"bn_param['{key}']", got, exp, label,
                                      hints=_running_hints(got, exp, before[key], key=key,
                                                           N=N, momentum=momentum),
                                      tol=OUT_TOL)
                    else:
                        got = param.get(key) if isinstance(param, dict) else None
                        if not (isinstance(got, np.ndarray) and close(got, before[key],
                                                                      **OUT_TOL)):
                            fail(name, f"bn_param['{key}'] changed in a test-mode call on "
                                       f"{label}",
                                 "hint: test mode only reads the running averages; only "
                                 "training updates them")
                        count += 1
    passed(name, count, f" ({label_set} cases)")


# ----------------------------------------------------------------- backward

def _grads(result, name, shapes, label, layer):
    if not isinstance(result, tuple) or len(result) != 3:
        fail(name, f"should return a tuple (dx, dgamma, dbeta), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    (N, D) = shapes
    out = []
    for what, value, shape in zip(("dx", "dgamma", "dbeta"), result, ((N, D), (D,), (D,))):
        hint = ""
        if what != "dx" and isinstance(value, np.ndarray):
            if value.shape == (N, D):
                hint = (f"hint: {what[1:]} is applied to every row, so {what} sums over the "
                        "batch axis (axis 0)")
            elif value.shape == (N,) and N != D:
                hint = (f"hint: {what} is summed over the features; {what[1:]} has one entry "
                        "per feature, so sum over the batch axis (axis 0)")
        out.append(_array(value, shape, name, what, label, hint=hint))
    return out


def _numeric_at(forward, fname, args, make_param, *, pos, index, dout):
    """Centred difference of ``sum(forward(*args, param)[0] * dout)`` with
    respect to ``args[pos][index]``, by the student's own forward; None if it fails."""
    def f(v):
        a = [np.array(t) for t in args]
        a[pos][index] = v[0]
        return call(forward, fname, *a, make_param())[0]
    try:
        return float(numeric_grad_array(f, np.array([args[pos][index]], dtype=np.float64),
                                        dout)[0])
    except (CheckFailure, ValueError, TypeError, IndexError, KeyError):
        return None


def _grad_hints(what, got, *, x, z, gamma, dout, want, axis):
    """Candidates for a wrong gradient, built from the solution's numbers
    (``want`` holds the right dx, dgamma and dbeta; z the right x_hat)."""
    n = x.shape[axis]
    hints = [(-want[what], f"{what} has the wrong sign")]
    if what in ("dgamma", "dbeta"):
        hints.append((want[what] / x.shape[0], f"{what} is divided by N: sum over the batch, "
                                               "do not average"))
        if what == "dgamma":
            hints.append((np.sum(dout * x, axis=0), "dgamma multiplies dout by x: use the "
                                                    "normalised x_hat (out = gamma * x_hat "
                                                    "+ beta)"))
        return hints
    # dx: corrections from the solution's dx, per standardised group
    zz, xx = (z, x) if axis == 0 else (z.T, x.T)
    std = _std_from(xx, zz)
    g = (dout * gamma) if axis == 0 else (dout * gamma).T
    if std is not None:
        mean_term = g.mean(axis=0) / std
        var_term = zz * np.mean(g * zz, axis=0) / std
        if axis == 1:
            mean_term, var_term = mean_term[:, None], var_term.T
        where = "over the batch" if axis == 0 else "over the example's features"
        hints += [(want["dx"] + mean_term + var_term,
                   f"dx is gamma * dout / std alone: the mean and the variance {where} "
                   "depend on x too; add both paths (through the mean and the variance)"),
                  (want["dx"] + mean_term, "the path through the mean is missing: the mean "
                                           f"{where} depends on every x, so dx gets a term "
                                           "from d mean / dx"),
                  (want["dx"] + var_term, "the path through the variance is missing: the "
                                          f"variance {where} depends on every x, so dx gets a "
                                          "term from d var / dx")]
    if np.any(gamma != 1):
        hints.append((want["dx"] / gamma, "gamma is missing from dx: d out / d x_hat = gamma"))
    hints.append((want["dx"] * n, f"dx is {n} times too large: a 1 / {'N' if axis == 0 else 'D'}"
                                  " of the mean's (or the simplified formula's) is missing"))
    if axis == 1 and std is not None and _affine_per_column(got * std[:, None] - dout * gamma,
                                                            z):
        hints.insert(0, (got, "your dx is batch norm's backward: its sums run over the batch "
                              "(axis 0), but layer norm's mean and variance are each "
                              "example's own, over its features, so the sums of its backward "
                              "run over each row (axis 1)"))
    other = 1 - axis
    if got.shape[other] > 1 and np.allclose(got.sum(axis=other), 0, atol=1e-8) \
            and not np.allclose(got.sum(axis=axis), 0, atol=1e-8):
        hints.insert(0, (got, "your dx sums to zero along the wrong axis: "
                              + ("batch norm's statistics are per feature over the batch: "
                                 "the sums of its backward run over axis 0" if axis == 0 else
                                 "layer norm's statistics are per example: the sums of its "
                                 "backward run over each row's features (axis 1)")))
    return hints


def _affine_per_column(r, z):
    """Whether every column of ``r`` is ``a + b * z`` of the same column (N >= 4):
    what ``dx * std - gamma * dout`` is when a backward's sums run over the batch."""
    if r.shape[0] < 4:
        return False
    rc, zc = r - r.mean(axis=0), z - z.mean(axis=0)
    zz = (zc * zc).sum(axis=0)
    if np.any(zz == 0):
        return False
    rest = rc - zc * ((rc * zc).sum(axis=0) / zz)
    return bool(np.all(np.abs(rest) <= 1e-8 * (np.abs(r).max() + 1e-300)))


def _check_backward(layer, kind, forward, backward, *, reference, cases):
    fdefault = "batchnorm_forward" if layer == "batchnorm" else "layernorm_forward"
    fname = _name(forward, fdefault, fdefault)
    name = _name(backward, kind, kind)
    axis = 0 if layer == "batchnorm" else 1
    cases, label_set = _cases(layer, cases)
    count = 0
    for case in cases:
        inputs, p = _case_ref(reference, layer, case)
        x, gamma, beta, dout = (inputs[k] for k in ("in_x", "in_gamma", "in_beta", "in_dout"))
        N, D = x.shape[1:]
        param = _param(inputs, "train" if layer == "batchnorm" else None)
        for k in range(case.train_calls if layer == "batchnorm" else 1):
            q = f"{p}{k}/"
            label = _label(layer, case, inputs, k)
            state = {key: np.array(v) for key, v in param.items() if isinstance(v, np.ndarray)}

            def fresh(state=state):
                # A train-mode bn_param as it was before this call: the output
                # of train mode does not depend on the running averages.
                new = dict(param, **{key: np.array(v) for key, v in state.items()})
                if layer == "batchnorm":
                    new["mode"] = "train"
                return new
            args = (x[k], gamma, beta)
            out, cache = _out(call(forward, fname, *(a.copy() for a in args), fresh()),
                              fname, (N, D), label)
            forward_ok = close(out, reference[q + "out"], **OUT_TOL)
            if layer == "batchnorm":   # the next call starts from the solution's state
                for key in ("running_mean", "running_var"):
                    param[key] = np.array(reference[q + key])
            given = dout[k].copy()
            want = {w: reference[f"{q}{kind}/{w}"] for w in ("dx", "dgamma", "dbeta")}
            with inputs_kept(name, {"dout": given}, who="a backward pass", where=label):
                grads = _grads(call(backward, name, given, cache), name, (N, D), label, layer)
                z = _standardised(reference[q + "out"], gamma, beta)
                for pos, (what, got) in enumerate(zip(("dx", "dgamma", "dbeta"), grads)):
                    count += 1
                    if close(got, want[what], **GRAD_TOL):
                        continue
                    i, yours, exp = worst_index(got, want[what])
                    arg = ("x", "gamma", "beta")[pos]
                    lines = [f"largest difference at {what}{list(i)}: analytic (yours) "
                             f"{yours:.8g}, expected {exp:.8g}"]
                    num = _numeric_at(forward, fname, args, fresh, pos=pos, index=i,
                                      dout=dout[k])
                    if num is not None:
                        lines.append(f"numeric gradient of your {fname} there (d/d {arg}"
                                     f"{list(i)}): {num:.8g}")
                    if not forward_ok:
                        lines.append(f"note: your {fname} is wrong on this case too: fix it "
                                     "first, the backward works from its cache")
                    hints = _grad_hints(what, got, x=x[k], z=z, gamma=gamma, dout=dout[k],
                                        want=want, axis=axis)
                    hint = first_hint(got, [(v, m) for v, m in hints
                                            if np.shape(v) == got.shape
                                            and (v is got or not close(v, want[what],
                                                                       **GRAD_TOL))],
                                      **GRAD_TOL)
                    fail(name, f"the gradient {what} is wrong on {label}", *lines,
                         "hint: " + hint if hint else "")
    passed(name, count, f" ({label_set} cases)")


def check_batchnorm_backward(batchnorm_forward, batchnorm_backward, *, reference,
                             cases="visible"):
    """Check ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` on the
    cache of the student's own ``batchnorm_forward`` in train mode.

    Parameters
    ----------
    batchnorm_forward, batchnorm_backward : callable
    reference : dict
    cases : {"visible", "hidden"} or list of NormCase
    """
    _check_backward("batchnorm", "batchnorm_backward", batchnorm_forward, batchnorm_backward,
                    reference=reference, cases=cases)


def check_batchnorm_backward_alt(batchnorm_forward, batchnorm_backward_alt, *, reference,
                                 cases="visible"):
    """Check ``batchnorm_backward_alt(dout, cache)``: the same gradients as
    ``check_batchnorm_backward`` (the simplified formula, or any right one)."""
    _check_backward("batchnorm", "batchnorm_backward_alt", batchnorm_forward,
                    batchnorm_backward_alt, reference=reference, cases=cases)


# --------------------------------------------------------------- layer norm

def check_layernorm_forward(layernorm_forward, *, reference, cases="visible"):
    """Check ``layernorm_forward(x, gamma, beta, ln_param) -> (out, cache)``.

    Parameters
    ----------
    layernorm_forward : callable
    reference : dict
    cases : {"visible", "hidden"} or list of NormCase
    """
    name = _name(layernorm_forward, "layernorm_forward", "layernorm_forward")
    cases, label_set = _cases("layernorm", cases)
    count = 0
    for case in cases:
        inputs, p = _case_ref(reference, "layernorm", case)
        x, gamma, beta = inputs["in_x"][0], inputs["in_gamma"], inputs["in_beta"]
        N, D = x.shape
        eps = float(inputs.get("in_eps", DEFAULT_EPS))
        label = _label("layernorm", case, inputs)
        given = {"x": x.copy(), "gamma": gamma.copy(), "beta": beta.copy()}
        with inputs_kept(name, given, who="a layer", where=label):
            out, _ = _out(call(layernorm_forward, name, given["x"], given["gamma"],
                               given["beta"], _param(inputs)), name, (N, D), label)
            want = reference[p + "0/out"]
            count += 1
            if not close(out, want, **OUT_TOL):
                zref = _standardised(want, gamma, beta)
                z = _standardised(out, gamma, beta)
                hints = [(zref, "gamma and beta are missing: scale by gamma, then shift "
                                "by beta")]
                if p + "0/cf_default_eps" in reference:
                    hints.append((reference[p + "0/cf_default_eps"],
                                  "your output is the one for eps=1e-5: use ln_param's eps "
                                  "when it is given"))
                wrong = _eps_outside(zref.T, eps)
                if wrong is not None:
                    hints.append((wrong.T * gamma + beta, "eps belongs inside the square "
                                                          "root: divide by sqrt(var + eps), "
                                                          "not sqrt(var) + eps"))
                if N > 1 and np.allclose(z.mean(axis=0), 0, **LOOSE) \
                        and not np.allclose(z.mean(axis=1), 0, **LOOSE):
                    hints.insert(0, (out, "each feature is normalised over the batch (axis "
                                          "0): that is batch norm; layer norm takes each "
                                          "example's statistics over its own features "
                                          "(axis 1)"))
                _mismatch(name, "out", out, want, label, hints=hints, tol=OUT_TOL)
    passed(name, count, f" ({label_set} cases)")


def check_layernorm_backward(layernorm_forward, layernorm_backward, *, reference,
                             cases="visible"):
    """Check ``layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` on the
    cache of the student's own ``layernorm_forward``.

    Parameters
    ----------
    layernorm_forward, layernorm_backward : callable
    reference : dict
    cases : {"visible", "hidden"} or list of NormCase
    """
    _check_backward("layernorm", "layernorm_backward", layernorm_forward, layernorm_backward,
                    reference=reference, cases=cases)


# ------------------------------------------------------------ for the grader

def _grade_forward(g, fns, *, cases, reference):
    check = {"batchnorm_forward": check_batchnorm_forward,
             "layernorm_forward": check_layernorm_forward}[g.kind]
    check(fns[g.name], cases=cases[LAYER[g.kind]], reference=reference)


def _grade_backward(g, fns, *, cases, reference):
    check = {"batchnorm_backward": check_batchnorm_backward,
             "batchnorm_backward_alt": check_batchnorm_backward_alt,
             "layernorm_backward": check_layernorm_backward}[g.kind]
    check(fns[g.uses[0]], fns[g.name], cases=cases[LAYER[g.kind]], reference=reference)


GRADED = [
    _core.Graded("batchnorm_forward", NOTEBOOK, "test_batchnorm_forward", "batchnorm_forward",
                 run=_grade_forward),
    _core.Graded("batchnorm_backward", NOTEBOOK, "test_batchnorm_backward",
                 "batchnorm_backward", uses=("batchnorm_forward",), run=_grade_backward),
    _core.Graded("batchnorm_backward_alt", NOTEBOOK, "test_batchnorm_backward_alt",
                 "batchnorm_backward_alt", uses=("batchnorm_forward",), run=_grade_backward),
    _core.Graded("layernorm_forward", NOTEBOOK, "test_layernorm_forward", "layernorm_forward",
                 run=_grade_forward),
    _core.Graded("layernorm_backward", NOTEBOOK, "test_layernorm_backward",
                 "layernorm_backward", uses=("layernorm_forward",), run=_grade_backward),
]
