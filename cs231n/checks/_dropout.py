"""Part of Assignment 4's checks: inverted dropout (``dropout.ipynb``).

``dropout_forward(x, dropout_param) -> (out, cache)`` with the keys ``mode``
("train" or "test"), ``keep_prob`` (the probability of keeping a unit) and
``rng`` (a ``numpy.random.Generator``, the only source of randomness), and
``dropout_backward(dout, cache) -> dx``.

Right implementations draw different masks from the same generator
(``rng.random(shape) < keep_prob``, ``rng.binomial(1, keep_prob, shape)``,
``rng.uniform(size=shape) >= 1 - keep_prob``, ...), so a train-mode output
cannot be compared with the solution's.  The checks test its structure and
its statistics instead, on inputs without zeros:

- every output is 0 (dropped) or its input times the solution's scale of a
  kept unit (kept), and ``out`` has x's shape and dtype;
- the kept fraction is within ``t = sqrt(ln(2 / DELTA) / (2 n))`` of
  ``keep_prob``, ``n`` the number of units.  By Hoeffding's inequality,
  ``P(|K / n - keep_prob| >= t) <= 2 exp(-2 n t^2) = DELTA = 1e-10`` for a
  right implementation, whatever ``keep_prob``; with at most ten train-mode
  cases per run of the checks, a right answer fails with probability below
  1e-9.  The large cases have ``n >= 20000`` (``t <= 0.025``) and
  ``|1 - 2 keep_prob| >= 0.3``, so keep and drop swapped (kept fraction
  ``1 - keep_prob``, ``2 t`` or more away) fails on them with the same
  certainty;
- a generator with the same seed gives the same output, one with another
  seed a different mask (checked where two right masks coincide with
  probability below 1e-12): np.random's global state or a generator of the
  student's own fails;
- ``keep_prob = 1`` keeps every unit; test mode returns x exactly (the
  solution's test-mode output); the input is not modified.

The backward reuses the student's own forward: ``dx`` must be ``dout``
times the solution's gradient scale where the forward's output is non-zero
(the same mask) and 0 elsewhere; in test mode it must be ``dout``.

The reference holds the inputs and, from the solution, the test-mode
output and gradient, the whole output at ``keep_prob = 1``, and the scales
of a kept unit's value and gradient (measured on the solution's output and
gradient for a probe of ones: the checks never compute them).
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import CheckFailure, call, case_inputs, close, fail, inputs_kept, passed

__all__ = ["check_dropout_forward", "check_dropout_backward"]

NOTEBOOK = "dropout.ipynb"
SOLUTIONS = {"dropout_forward": (NOTEBOOK, "dropout_forward"),
             "dropout_backward": (NOTEBOOK, "dropout_backward")}
KEY = "dropout"
DELTA = 1e-10        # Hoeffding's bound on a right answer's failure, per case
SAME_MASK = 1e-12    # another seed is checked only where equal masks are this unlikely
PROBE = 4096        # units of the probe that measures the solution's scales
TOL = {"float64": dict(rtol=1e-12, atol=0.0), "float32": dict(rtol=2e-6, atol=0.0)}


@dataclass(frozen=True)
class DropoutCase:
    """A test case: x of ``shape`` and ``dtype`` drawn from ``seed``; the
    train-mode masks come from generators seeded ``seed + 1`` and ``seed + 2``."""
    name: str
    seed: int
    shape: tuple
    keep_prob: float
    dtype: str = "float64"

    def __post_init__(self):
        if not 0 < self.keep_prob <= 1:
            raise ValueError(f"DropoutCase {self.name!r}: keep_prob must be in (0, 1], got "
                             f"{self.keep_prob!r}")
        if self.dtype not in TOL:
            raise ValueError(f"DropoutCase {self.name!r}: dtype must be one of {tuple(TOL)}, "
                             f"got {self.dtype!r}")


CASES = {KEY: {
    "visible": [DropoutCase("small", 1000, (4, 5), 0.8),
                DropoutCase("large_low_keep", 1001, (200, 250), 0.2),
                DropoutCase("large_high_keep", 1002, (100, 500), 0.8),
                DropoutCase("float32", 1003, (40, 50), 0.6, dtype="float32"),
                DropoutCase("keep_all", 1004, (6, 7), 1.0)],
    "hidden": [DropoutCase("single", 1010, (1, 1), 0.5),
               DropoutCase("volume", 1011, (3, 4, 5), 0.5),
               DropoutCase("large_volume", 1012, (30, 40, 50), 0.3),
               DropoutCase("large_float32", 1013, (250, 100), 0.9, dtype="float32"),
               DropoutCase("keep_all_volume", 1014, (2, 3, 4), 1.0)],
}}


def _cases(cases, reference):
    _core.reference_dict(reference)
    return _core.typed_cases(CASES[KEY], cases, DropoutCase, KEY)


def _away_from_zero(z):
    """Standard normal values moved 0.1 away from 0: a zero output means dropped."""
    return np.where(z >= 0, z + 0.1, z - 0.1)


def _inputs(case):
    rng = np.random.default_rng(case.seed)
    return {"in_x": _away_from_zero(rng.standard_normal(case.shape)).astype(case.dtype),
            "in_dout": _away_from_zero(rng.standard_normal(case.shape)).astype(case.dtype),
            "in_keep_prob": np.float64(case.keep_prob)}


def _param(mode, keep_prob, seed):
    return {"mode": mode, "keep_prob": float(keep_prob), "rng": np.random.default_rng(seed)}


def _kept_scale(num, den):
    """The ratio num / den on the units where num is non-zero."""
    kept = num != 0
    if not kept.any():
        raise ValueError(f"the solution dropped all {num.size} units of the probe")
    return np.float64(np.median(num[kept] / den[kept]))


def make_reference(solutions, cases=None):
    """Reference arrays of the dropout cases from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (missing: skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' keys are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray: per case ``dropout/<case>/in_*`` and the
    solution's ``out_test``, ``dx_test``, ``train_scale``, ``grad_scale``
    and, at keep_prob 1, ``out_train``.
    """
    cases = _core.reference_cases(CASES, cases)
    fwd, bwd = solutions.get("dropout_forward"), solutions.get("dropout_backward")
    ref = {}
    for case in cases.get(KEY, ()) if fwd else ():
        inputs = _inputs(case)
        x, dout, q = inputs["in_x"], inputs["in_dout"], case.keep_prob
        p = f"{KEY}/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        if q == 1:
            out, _ = fwd(x.copy(), _param("train", q, case.seed + 1))
            ref[p + "out_train"] = np.asarray(out)
        # The scales of a kept unit, measured on a probe of PROBE units of ones (a
        # small case's own mask may drop every unit).
        probe = np.ones(PROBE, dtype=case.dtype)
        out, cache = fwd(probe.copy(), _param("train", q, case.seed + 1))
        ref[p + "train_scale"] = _kept_scale(np.asarray(out), probe)
        if bwd:
            ref[p + "grad_scale"] = _kept_scale(np.asarray(bwd(probe.copy(), cache)), probe)
        out, cache = fwd(x.copy(), _param("test", q, case.seed + 1))
        ref[p + "out_test"] = np.array(out)
        if bwd:
            ref[p + "dx_test"] = np.asarray(bwd(dout.copy(), cache))
    return ref


def random_cases(rng):
    """Fresh dropout cases for the grader: shapes, keep_prob and seeds from ``rng``.

    The large case keeps ``keep_prob`` in [0.1, 0.35] or [0.65, 0.9] and has
    at least 20000 units, so that swapped keep and drop fail with certainty.
    """
    def seed():
        return int(rng.integers(2**31 - 3))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    low = float(rng.uniform(0.1, 0.35))
    return {KEY: [
        DropoutCase("unseen_large", seed(), (n(100, 200), n(200, 300)),
                    low if rng.random() < 0.5 else 1.0 - low),
        DropoutCase("unseen_small", seed(), (n(1, 4), n(1, 6)), float(rng.uniform(0.2, 0.95))),
        DropoutCase("unseen_volume_float32", seed(), (n(5, 10), n(5, 10), n(5, 10)),
                    float(rng.uniform(0.3, 0.9)), dtype="float32"),
        DropoutCase("unseen_keep_all", seed(), (n(2, 6), n(2, 6)), 1.0)]}


# --------------------------------------------------------------------- helpers

_name = _core.named


def _label(case, mode):
    return (f"test case '{case.name}' (x {case.shape} {case.dtype}, "
            f"keep_prob={case.keep_prob:g}, mode='{mode}')")


def _call_forward(forward, name, x, param, label):
    """``forward(x, param)`` -> (out, cache), out checked for type, shape and dtype."""
    try:
        result = call(forward, name, x, param)
    except CheckFailure as e:
        cause = e.__cause__
        if isinstance(cause, KeyError) and cause.args and cause.args[0] != "keep_prob":
            raise CheckFailure(
                f"{e}\n  on {label}\n  hint: dropout_param has the keys 'mode', 'keep_prob' "
                "(the probability of KEEPING a unit; the course never calls it p) and "
                "'rng'") from cause
        raise
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple (out, cache), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    out = _core.array(result[0], x.shape, name, "out")
    if out.dtype != x.dtype:
        hint = ("" if out.dtype.kind != "f" else
                "hint: a float64 mask (rng.random gives float64) or a numpy float64 scalar "
                "upcasts the product; make the mask of x's dtype (mask.astype(x.dtype)) or "
                "keep it boolean")
        fail(name, f"out has dtype {out.dtype}, expected x's dtype {x.dtype} on {label}", hint)
    return out, result[1]


def _hint(actual, candidates, tol):
    return _core.first_hint(actual, candidates, **tol)


_worst = _core.largest_difference


def _tolerance(n):
    """Hoeffding's half-width for the kept fraction of n units at DELTA."""
    return math.sqrt(math.log(2 / DELTA) / (2 * n))


# ---------------------------------------------------------------------- forward

def _check_train_values(name, out, x, *, q, scale, label, ref, p):
    """Dropped units are 0, kept units x * scale; keep_prob 1 keeps all."""
    tol = TOL[x.dtype.name]
    if not np.all(np.isfinite(out)):
        fail(name, f"the output is not finite on {label}",
             "hint: look for a division by zero (keep_prob is never 0)")
    if p + "out_train" in ref and not close(out, ref[p + "out_train"], **tol):
        dropped = int(np.sum(out == 0))
        hint = ("every unit is dropped: are keep and drop swapped? a unit is KEPT with "
                "probability keep_prob" if dropped == out.size else
                "with keep_prob = 1 the mask keeps every unit (compare a uniform draw in "
                "[0, 1) with keep_prob by <)" if dropped else "")
        fail(name, f"keep_prob = 1 must keep every unit unchanged, wrong on {label}",
             _worst(out, ref[p + "out_train"], "out"),
             f"{dropped} of {out.size} units are dropped" if dropped else "",
             "hint: " + hint if hint else "")
    kept = out != 0
    want = np.where(kept, x * scale, 0)
    if not close(out, want, **tol):
        xs = x[kept]
        hints = [(xs, "the kept units are not scaled: inverted dropout divides them by "
                      "keep_prob at train time, so that the expected output equals x"),
                 (xs * q, "the kept units are multiplied by keep_prob: inverted dropout "
                          "divides them by keep_prob"),
                 (xs / (1 - q) if q < 1 else xs, "the kept units are divided by 1 - keep_prob: "
                                                 "keep_prob is the probability of keeping a "
                                                 "unit (not of dropping it)")]
        hint = _hint(out[kept], [(v, m) for v, m in hints if not close(v, want[kept], **tol)],
                     tol)
        if q < 1 and not np.any(out == 0) and np.array_equal(out, x):
            hint = ("nothing is dropped and nothing scaled: train mode returns x unchanged "
                    "(is the test of dropout_param['mode'] the right way round?)")
        fail(name, f"a kept unit has the wrong value on {label}",
             _worst(out, want, "out") + " (a kept unit is the input times the scale of "
                                        "inverted dropout, a dropped one is 0)",
             "hint: " + hint if hint else "")


def _check_fraction(name, out, q, label):
    n = out.size
    frac = float(np.count_nonzero(out)) / n
    t = _tolerance(n)
    if abs(frac - q) < t:
        return
    if q < 1 and abs(frac - (1 - q)) < t:
        hint = ("keep and drop are swapped: a unit must be KEPT with probability keep_prob, "
                "e.g. where rng.random(x.shape) < keep_prob")
    elif frac == 0:
        hint = "every unit is dropped"
    else:
        hint = ""
    fail(name, f"the fraction of kept (non-zero) units is {frac:.4f} on {label}, expected "
               f"keep_prob = {q:g} within {t:.4f}",
         f"{n} units; a right mask is this far off with probability below {DELTA:g}",
         "hint: " + hint if hint else "")


def _check_randomness(forward, name, out, x, *, case, label):
    """The same seed repeats the output; another seed changes the mask."""
    again, _ = _call_forward(forward, name, x.copy(), _param("train", case.keep_prob,
                                                             case.seed + 1), label)
    if not np.array_equal(again, out):
        fail(name, f"two calls with generators of the same seed give different outputs on "
                   f"{label}",
             f"{int(np.sum((again != 0) != (out != 0)))} of {out.size} units differ",
             "hint: draw the mask from dropout_param['rng'] only (rng.random(x.shape), ...): "
             "np.random's global functions or a generator of your own are not reproducible "
             "from the rng you are given")
    q = case.keep_prob
    if (q * q + (1 - q) ** 2) ** out.size >= SAME_MASK:
        return 1
    other, _ = _call_forward(forward, name, x.copy(), _param("train", q, case.seed + 2), label)
    if np.array_equal(other != 0, out != 0):
        fail(name, f"generators of different seeds give the same mask on {label}",
             "hint: the mask must come from dropout_param['rng'], not from a generator of "
             "your own with a fixed seed or from np.random after np.random.seed")
    return 2


def _check_test_mode(forward, name, x, *, case, ref, p):
    label = _label(case, "test")
    given = {"x": x.copy()}
    with inputs_kept(name, given, who="dropout_forward", where=label):
        out, _ = _call_forward(forward, name, given["x"], _param("test", case.keep_prob,
                                                                 case.seed + 1), label)
        want = ref[p + "out_test"]
        if not np.array_equal(out, want):
            q, tol = case.keep_prob, TOL[x.dtype.name]
            scale = float(ref[p + "train_scale"])   # the solution's, of a kept unit
            hints = [(x * q, "the output is multiplied by keep_prob at test time: that is the "
                             "test rule of the original (non-inverted) dropout; inverted "
                             "dropout scales at train time and returns x unchanged at test "
                             "time"),
                     (x * scale, "the output is divided by keep_prob at test time: inverted "
                             "dropout scales at train time only, test mode returns x "
                             "unchanged")]
            hint = _hint(out, [(v, m) for v, m in hints if not close(v, want, **tol)], tol)
            if np.any((out == 0) & (x != 0)):
                hint = ("units are dropped in test mode: dropout is active at training time "
                        "only; test mode returns x unchanged")
            fail(name, f"test mode must return x unchanged, wrong on {label}",
                 _worst(out, want, "out"), "hint: " + hint if hint else "")
    return 2


def check_dropout_forward(dropout_forward, *, cases="visible", reference):
    """Check ``dropout_forward(x, dropout_param) -> (out, cache)`` in both modes.

    Parameters
    ----------
    dropout_forward : callable
    cases : {"visible", "hidden"} or list of DropoutCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(dropout_forward, "dropout_forward")
    cases, label_set = _cases(cases, reference)
    count = 0
    for case in cases:
        p = f"{KEY}/{case.name}/"
        inputs = case_inputs(reference, KEY, case.name)
        x = inputs["in_x"]
        label = _label(case, "train")
        given = {"x": x.copy()}
        with inputs_kept(name, given, who="dropout_forward", where=label):
            out, _ = _call_forward(dropout_forward, name, given["x"],
                                   _param("train", case.keep_prob, case.seed + 1), label)
            _check_train_values(name, out, x, q=case.keep_prob,
                                scale=float(reference[p + "train_scale"]), label=label,
                                ref=reference, p=p)
            _check_fraction(name, out, case.keep_prob, label)
        count += 4 + _check_randomness(dropout_forward, name, out, x, case=case, label=label)
        count += _check_test_mode(dropout_forward, name, x, case=case, ref=reference, p=p)
    passed(name, count, f" ({label_set} cases)")


# --------------------------------------------------------------------- backward

def _check_backward_train(forward, backward, names, *, case, inputs, reference, p):
    fname, name = names
    x, dout, q = inputs["in_x"], inputs["in_dout"], case.keep_prob
    label = _label(case, "train")
    tol = TOL[x.dtype.name]
    out, cache = _call_forward(forward, fname, x.copy(), _param("train", q, case.seed + 1),
                               label)
    kept = out != 0
    scale = float(reference[p + "grad_scale"])
    want = np.where(kept, dout * scale, 0)
    given = {"dout": dout.copy()}
    with inputs_kept(name, given, who="dropout_backward", where=label):
        dx = _core.array(call(backward, name, given["dout"], cache), x.shape, name, "dx")
        if close(dx, want, **tol):
            return 2
        hints = [(dout * kept, "dx is not scaled: the forward multiplies a kept unit by "
                               "1 / keep_prob, so its gradient gets the same factor"),
                 (dout * kept * q, "dx is multiplied by keep_prob: the forward divides a kept "
                                   "unit by keep_prob, so its gradient is divided too"),
                 (dout * scale, "dx ignores the mask: a unit the forward dropped gets no "
                                "gradient"),
                 (dout, "dx = dout in train mode: apply the forward's mask and scale")]
        hint = _hint(dx, [(v, m) for v, m in hints if not close(v, want, **tol)], tol)
        mask2 = dx != 0
        if (not hint and np.any(mask2 != kept)
                and close(dx, np.where(mask2, dout * scale, 0), **tol)):
            hint = (f"dx uses another mask than your forward ({int(np.sum(mask2 != kept))} "
                    f"of {dx.size} units differ): keep the forward's mask in the cache and "
                    f"reuse it, do not draw a new one in the backward")
        note = ""
        fscale = float(reference[p + "train_scale"])
        if not close(out, np.where(kept, x * fscale, 0), **tol):
            note = (f"note: your {fname} is wrong too (see its own check); dx is checked "
                    f"against the mask of its output")
        fail(name, f"dx is wrong on {label}",
             _worst(dx, want, "dx") + " (dx is dout times the forward's scale where your "
                                      "forward kept the unit, 0 where it dropped it)",
             "hint: " + hint if hint else "", note)


def _check_backward_test(forward, backward, names, *, case, inputs, reference, p):
    fname, name = names
    x, dout, q = inputs["in_x"], inputs["in_dout"], case.keep_prob
    label = _label(case, "test")
    tol = TOL[x.dtype.name]
    _, cache = _call_forward(forward, fname, x.copy(), _param("test", q, case.seed + 1),
                             label)
    want = reference[p + "dx_test"]
    scale = float(reference[p + "grad_scale"])   # the solution's, of a kept unit
    given = {"dout": dout.copy()}
    with inputs_kept(name, given, who="dropout_backward", where=label):
        dx = _core.array(call(backward, name, given["dout"], cache), x.shape, name, "dx")
        if close(dx, want, **tol):
            return 2
        hints = [(dout * q, "dx is multiplied by keep_prob in test mode: the test-mode "
                            "forward is the identity, so dx = dout"),
                 (dout * scale, "dx is divided by keep_prob in test mode: the test-mode forward "
                            "is the identity, so dx = dout")]
        hint = _hint(dx, [(v, m) for v, m in hints if not close(v, want, **tol)], tol)
        if np.any(dx == 0):
            hint = ("dx has zeros in test mode: no unit is dropped at test time, so the "
                    "gradient passes unchanged (the mode is in the cache)")
        fail(name, f"test mode: dx must equal dout, wrong on {label}", _worst(dx, want, "dx"),
             "hint: " + hint if hint else "")


def check_dropout_backward(dropout_forward, dropout_backward, *, cases="visible", reference):
    """Check ``dropout_backward(dout, cache) -> dx`` on the caches of the
    student's ``dropout_forward``, in train and test mode.

    Parameters
    ----------
    dropout_forward, dropout_backward : callable
    cases : {"visible", "hidden"} or list of DropoutCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    fname = _name(dropout_forward, "dropout_forward")
    name = _name(dropout_backward, "dropout_backward")
    cases, label_set = _cases(cases, reference)
    count = 0
    for case in cases:
        p = f"{KEY}/{case.name}/"
        inputs = case_inputs(reference, KEY, case.name)
        for check in (_check_backward_train, _check_backward_test):
            count += check(dropout_forward, dropout_backward, (fname, name), case=case,
                           inputs=inputs, reference=reference, p=p)
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------ for the grader

def _grade_forward(g, fns, *, cases, reference):
    check_dropout_forward(fns[g.name], cases=cases[KEY], reference=reference)


def _grade_backward(g, fns, *, cases, reference):
    check_dropout_backward(fns[g.uses[0]], fns[g.name], cases=cases[KEY], reference=reference)


GRADED = [
    _core.Graded("dropout_forward", NOTEBOOK, "test_dropout_forward", "dropout_forward",
                 run=_grade_forward),
    _core.Graded("dropout_backward", NOTEBOOK, "test_dropout_backward", "dropout_backward",
                 uses=("dropout_forward",), run=_grade_backward)]
