"""Part of Assignment 5's checks: soft targets, label smoothing, mixup and
cutmix (``mixing.ipynb``).

Graded functions and their contract:

- ``smooth_labels(y, num_classes, epsilon) -> ndarray (N, C)``: the
  smoothed targets of Szegedy et al. (2016): ``1 - epsilon`` on the true
  class plus ``epsilon / C`` on every class (the true one included), so
  each row sums to one.  ``epsilon`` outside [0, 1] raises a ValueError.
- ``softmax_cross_entropy(scores, targets) -> (loss, dscores)``: scores and
  targets (N, C), each target row a distribution; the loss is the mean over
  the N examples of the cross-entropy between the target row and the
  softmax of the scores; dscores its gradient (N, C).  Stable for large
  scores.
- ``mixup(X, Y, alpha, rng) -> (X_mix, Y_mix)``: X (N, ...) inputs, Y (N,
  C) targets; one ``lam`` per example drawn from Beta(alpha, alpha), the
  partners a permutation ``perm`` of the batch drawn from ``rng``;
  ``X_mix[i] = lam[i] X[i] + (1 - lam[i]) X[perm[i]]`` and Y_mix the same
  mixture (the same ``lam[i]``) of the targets.  X and Y are not modified.
- ``cutmix(X, Y, alpha, rng) -> (X_mix, Y_mix)``: X (N, H, W); per example
  a ``lam`` drawn from Beta(alpha, alpha) and a partner ``perm[i]``; a box
  of height ``round(H sqrt(1 - lam))`` and width ``round(W sqrt(1 - lam))``
  centred at a uniformly drawn pixel, clipped to the image, is pasted from
  the partner; the target is ``(1 - a) Y[i] + a Y[perm[i]]`` with ``a`` the
  pasted area's share of the image (after clipping).

The two deterministic functions are compared with the solution's outputs
(stored in the reference, ``rtol = 1e-9``), with hints from wrong formulas'
results and from the solution run on changed inputs (counterfactuals
``cf_*``: the targets reduced to their argmax, the labels shifted by one,
epsilon = 0, the transposed scores).  One case of ``softmax_cross_entropy``
has scores near 1000, where ``exp`` overflows without the max shift.

Right mixup and cutmix functions draw differently from the same generator
(``rng.beta`` or a ratio of gammas, the partners before or after the
lambdas, loops or vectorised), so they are checked by structure and
statistics.  The inputs have continuous random values, so that every row
(every pixel) is distinct and the structure can be recovered:

- mixup: for every output row, the partner ``j != i`` and the ``lam`` that
  fit ``X_mix[i] = lam X[i] + (1 - lam) X[j]`` best (least squares); the
  residual must be at rounding level.  A row equal to its own input
  (``lam`` within 1e-9 of 1, or ``perm[i] = i``) has no recoverable partner
  and counts as ``lam = 1``.  The targets must be the same mixture
  (``atol = 1e-9``); the identified partners must be distinct (a
  permutation); ``lam`` must differ between examples (on cases of N >= 20).
  On the cases of N >= 1000 the recovered lambdas' mean and the mean of
  ``(lam - 1/2)^2`` must be within Hoeffding's ``t = sqrt(ln(2 / DELTA) /
  (2 n))`` (for values in [0, 1]; a quarter of it for values in [0, 1/4])
  plus ``FIXED / n`` of their expectations under Beta(alpha, alpha), 1/2
  and ``1 / (4 (2 alpha + 1))``: the FIXED = 20 term covers the rows with
  ``perm[i] = i``, whose lam is unknown (a uniform permutation has 20 or
  more fixed points with probability below 1e-18).  At alpha = 0.2 and n =
  2000, lambdas drawn uniformly (second moment 1/12 against 0.179) fail
  with certainty.
- cutmix: for every output row, the changed pixels must all come from one
  other image of the batch (the partner) and form a rectangle (a box that
  wraps around the border does not); the target must be ``(1 - a) Y[i] +
  a Y[j]`` with ``a`` the number of changed pixels over ``H W``
  (``atol = 1e-9``).  Partners distinct, reproducibility as for mixup.  The
  box size is checked on cases with alpha = 1000, where Beta(alpha,
  alpha) is concentrated: it is sub-Gaussian with variance proxy
  ``1 / (4 (2 alpha + 1))`` (Marchal and Arbel, 2017), so ``1 - lam`` is
  outside [0.45, 0.55] with probability below ``2 exp(-10) < 1e-4`` per
  example.  A box that touches neither the left nor the right border was
  not clipped in width, so its width over W estimates ``sqrt(1 - lam)``
  to within 1.5 / W (rounding, and centring conventions that make the box
  one pixel narrower); the median of these estimates must lie in
  ``[sqrt(0.45) - 1.5 / W, sqrt(0.55) + 1.5 / W]``, which fails for a right
  answer only if 10 or more of the N = 400 examples are outside the band
  (probability below 1e-20).  A box size from ``1 - lam`` instead of its
  square root (area share ``(1 - lam)^2``) gives widths near W / 2 and
  fails with certainty.

Same seed, same outputs; another seed, other partners (compared on the rows
whose partner both draws show, where two right permutations coincide there
with probability ``(N - k)! / N! < SAME``, k rows).  With
``DELTA = 1e-10`` per statistic, a right answer fails a run of the checks
with probability below 1e-8.
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (array, call, case_inputs, close, fail, first_hint, inputs_kept, passed,
                    reference_dict, scalar, typed_cases, worst_index)

__all__ = ["check_smooth_labels", "check_softmax_cross_entropy", "check_mixup",
           "check_cutmix"]

NOTEBOOK = "mixing.ipynb"
KINDS = ('smooth_labels', 'softmax_cross_entropy', 'mixup', 'cutmix')
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}

DELTA = 1e-10        # a right answer's failure probability, per statistic
SAME = 1e-12         # two seeds are compared only where equal draws are this unlikely
FIXED = 20           # fixed points of a permutation allowed for in the lambda statistics
TOL = dict(rtol=1e-9, atol=1e-12)
MIX_ATOL = 1e-9      # targets against the mixture recovered from the inputs
STATS_N = 1000       # lambda statistics on cases of at least this many examples
BAND = (0.45, 0.55)  # 1 - lam at alpha >= SIZE_ALPHA, per example, but rarely
SIZE_ALPHA = 1000.0


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class SmoothCase:
    """``smooth_labels(y, C, epsilon)`` on N labels drawn from ``seed``
    (classes 0 and C - 1 included when N >= 2)."""
    name: str
    seed: int
    N: int
    C: int
    epsilon: float

    def __post_init__(self):
        if self.N < 1 or self.C < 2 or not 0 <= self.epsilon <= 1 or self.N == self.C:
            raise ValueError(f"SmoothCase {self.name!r}: need N >= 1, C >= 2, N != C and "
                             f"0 <= epsilon <= 1, got N={self.N}, C={self.C}, "
                             f"epsilon={self.epsilon}")


@dataclass(frozen=True)
class XentCase:
    """``softmax_cross_entropy`` on scores ``offset + spread * normal`` (N, C)
    and targets of kind ``soft`` (random distributions), ``onehot`` or
    ``smooth`` (one-hot mixed with the uniform distribution)."""
    name: str
    seed: int
    N: int
    C: int
    targets: str = "soft"
    offset: float = 0.0
    spread: float = 1.0

    def __post_init__(self):
        if (self.N < 1 or self.C < 2 or self.N == self.C
                or self.targets not in ("soft", "onehot", "smooth")):
            raise ValueError(f"XentCase {self.name!r}: need N >= 1, C >= 2, N != C and "
                             f"targets in ('soft', 'onehot', 'smooth'), got N={self.N}, "
                             f"C={self.C}, targets={self.targets!r}")


@dataclass(frozen=True)
class MixupCase:
    """``mixup(X, Y, alpha, rng)`` on X of ``shape`` (N first) and Y (N, C)
    drawn from ``seed``; the generators are seeded ``seed + 1`` and ``seed + 2``."""
    name: str
    seed: int
    shape: tuple
    C: int
    alpha: float

    def __post_init__(self):
        if len(self.shape) < 2 or min(self.shape) < 1 or self.C < 2 or self.alpha <= 0:
            raise ValueError(f"MixupCase {self.name!r}: need a shape (N, ...) of at least "
                             f"two positive sizes, C >= 2 and alpha > 0, got "
                             f"shape={self.shape}, C={self.C}, alpha={self.alpha}")


@dataclass(frozen=True)
class CutmixCase:
    """``cutmix(X, Y, alpha, rng)`` on X (N, H, W) and Y (N, C) drawn from
    ``seed``; the generators are seeded ``seed + 1`` and ``seed + 2``."""
    name: str
    seed: int
    N: int
    H: int
    W: int
    C: int
    alpha: float

    def __post_init__(self):
        if min(self.N, self.H, self.W) < 1 or self.C < 2 or self.alpha <= 0:
            raise ValueError(f"CutmixCase {self.name!r}: need N, H, W >= 1, C >= 2 and "
                             f"alpha > 0, got N={self.N}, H={self.H}, W={self.W}, "
                             f"C={self.C}, alpha={self.alpha}")


CASES = {
    "smooth_labels": {
        "visible": [SmoothCase("small", 1000, N=5, C=4, epsilon=0.1),
                    SmoothCase("no_smoothing", 1001, N=4, C=3, epsilon=0.0),
                    SmoothCase("ten_classes", 1002, N=12, C=10, epsilon=0.3)],
        "hidden": [SmoothCase("uniform", 1010, N=3, C=5, epsilon=1.0),
                   SmoothCase("two_classes", 1011, N=7, C=2, epsilon=0.2),
                   SmoothCase("single", 1012, N=1, C=6, epsilon=0.05),
                   SmoothCase("many", 1013, N=50, C=10, epsilon=0.1)],
    },
    "softmax_cross_entropy": {
        "visible": [XentCase("small", 2000, N=4, C=3),
                    XentCase("one_hot", 2001, N=6, C=5, targets="onehot"),
                    XentCase("large_scores", 2002, N=5, C=4, offset=1000.0, spread=5.0)],
        "hidden": [XentCase("single", 2010, N=1, C=7),
                   XentCase("two_classes", 2011, N=8, C=2, targets="smooth"),
                   XentCase("spread", 2012, N=10, C=6, targets="smooth", spread=30.0),
                   XentCase("large_negative", 2013, N=3, C=4, offset=-1000.0)],
    },
    "mixup": {
        "visible": [MixupCase("small", 3000, (6, 5), C=3, alpha=1.0),
                    MixupCase("images", 3001, (40, 4, 5), C=4, alpha=0.4),
                    MixupCase("many", 3002, (2000, 8), C=5, alpha=0.2)],
        "hidden": [MixupCase("pair", 3010, (2, 7), C=2, alpha=1.0),
                   MixupCase("wide", 3011, (30, 60), C=10, alpha=2.0),
                   MixupCase("many_images", 3012, (2500, 3, 3), C=3, alpha=0.2)],
    },
    "cutmix": {
        "visible": [CutmixCase("small", 4000, N=6, H=8, W=8, C=3, alpha=1.0),
                    CutmixCase("rectangles", 4001, N=200, H=12, W=20, C=4, alpha=1.0),
                    CutmixCase("box_sizes", 4002, N=400, H=32, W=32, C=3, alpha=SIZE_ALPHA)],
        "hidden": [CutmixCase("single", 4010, N=1, H=5, W=6, C=2, alpha=1.0),
                   CutmixCase("many", 4011, N=300, H=16, W=16, C=10, alpha=0.5),
                   CutmixCase("box_sizes_wide", 4012, N=400, H=24, W=40, C=3,
                              alpha=SIZE_ALPHA)],
    },
}
CASE_TYPES = {"smooth_labels": SmoothCase, "softmax_cross_entropy": XentCase,
              "mixup": MixupCase, "cutmix": CutmixCase}


def _cases(kind, cases, reference):
    reference_dict(reference)
    return typed_cases(CASES[kind], cases, CASE_TYPES[kind], kind)


# ----------------------------------------------------------- inputs from seeds

def _labels(case):
    rng = np.random.default_rng(case.seed)
    y = rng.integers(0, case.C, size=case.N)
    if case.N >= 2:
        # The first and the last class, where a shifted label wraps around.
        y[rng.choice(case.N, 2, replace=False)] = (0, case.C - 1)
    return y


def _distributions(rng, N, C):
    return rng.dirichlet(np.ones(C), size=N)


def _xent_inputs(case):
    rng = np.random.default_rng(case.seed)
    scores = case.offset + case.spread * rng.standard_normal((case.N, case.C))
    if case.targets == "soft":
        targets = _distributions(rng, case.N, case.C)
    else:
        onehot = np.eye(case.C)[rng.integers(0, case.C, size=case.N)]
        targets = onehot if case.targets == "onehot" else 0.85 * onehot + 0.15 / case.C
    return {"in_scores": scores, "in_targets": targets}


def _mix_inputs(shape, C, seed):
    """X of continuous values (every row and pixel distinct) and Y of random
    distributions."""
    rng = np.random.default_rng(seed)
    return {"in_X": rng.standard_normal(shape), "in_Y": _distributions(rng, shape[0], C)}


def _mix_case_inputs(kind, case):
    """The inputs of a mixup or cutmix case, drawn from its seed."""
    shape = case.shape if kind == "mixup" else (case.N, case.H, case.W)
    return _mix_inputs(shape, case.C, case.seed)


# ------------------------------------------------------------------ reference

def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<kind>/<case>/in_*``),
    the solution's outputs of the deterministic functions and
    counterfactuals (``cf_*``: the solution on changed inputs, for the hints).
    mixup and cutmix store only alpha: their checks are structural, on inputs
    drawn from the case's seed.
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    smooth = solutions.get("smooth_labels")
    for case in cases.get("smooth_labels", ()) if smooth else ():
        p = f"smooth_labels/{case.name}/"
        y = _labels(case)
        ref[p + "in_y"] = y
        ref[p + "in_C"], ref[p + "in_epsilon"] = np.int64(case.C), np.float64(case.epsilon)
        ref[p + "out"] = np.asarray(smooth(y.copy(), case.C, case.epsilon), dtype=np.float64)
        ref[p + "cf_shifted"] = np.asarray(smooth((y - 1) % case.C, case.C, case.epsilon),
                                           dtype=np.float64)
        ref[p + "cf_no_epsilon"] = np.asarray(smooth(y.copy(), case.C, 0.0), dtype=np.float64)
    xent = solutions.get("softmax_cross_entropy")
    for case in cases.get("softmax_cross_entropy", ()) if xent else ():
        p = f"softmax_cross_entropy/{case.name}/"
        inputs = _xent_inputs(case)
        S, T = inputs["in_scores"], inputs["in_targets"]
        ref.update({p + k: v for k, v in inputs.items()})
        loss, ds = xent(S.copy(), T.copy())
        ref[p + "loss"], ref[p + "dscores"] = np.float64(loss), np.asarray(ds)
        hard = np.eye(case.C)[np.argmax(T, axis=1)]
        loss, ds = xent(S.copy(), hard)
        ref[p + "cf_argmax/loss"], ref[p + "cf_argmax/dscores"] = np.float64(loss), ds
        # The softmax over the examples: the solution on the transposed arrays
        # averages over the C columns instead of the N rows.
        loss, _ = xent(S.T.copy(), T.T.copy())
        ref[p + "cf_axis0/loss"] = np.float64(loss * case.C / case.N)
    for kind in ("mixup", "cutmix"):
        for case in cases.get(kind, ()) if solutions.get(kind) else ():
            # The inputs are drawn again from the case's seed by the check
            # (``_mix_case_inputs``): megabytes of random pixels stay out of
            # the stored reference.
            ref[f"{kind}/{case.name}/in_alpha"] = np.float64(case.alpha)
    return ref


# ------------------------------------------------------------------- helpers

_name = _core.named


def _grade(g, fns, *, cases, reference):
    CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


def _worst(actual, expected, what):
    i, got, exp = worst_index(actual, expected)
    return f"largest difference at {what}{list(i)}: yours {got:.10g}, expected {exp:.10g}"


# -------------------------------------------------------------- smooth labels

def _check_bad_epsilon(smooth, name):
    y = np.array([0, 2, 1])
    _core.expect_value_error(
        name, [(f"smooth_labels(y, 3, {eps})", lambda eps=eps: smooth(y.copy(), 3, eps))
               for eps in (-0.1, 1.5)],
        "epsilon must be in [0, 1] (it is a probability mass)")


def check_smooth_labels(smooth_labels, *, cases="visible", reference):
    """Check ``smooth_labels(y, num_classes, epsilon) -> ndarray (N, C)``.

    Parameters
    ----------
    smooth_labels : callable
    cases : {"visible", "hidden"} or list of SmoothCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(smooth_labels, "smooth_labels")
    cases, label_set = _cases("smooth_labels", cases, reference)
    count = 0
    for case in cases:
        p = f"smooth_labels/{case.name}/"
        y = case_inputs(reference, "smooth_labels", case.name)["in_y"]
        C, eps = int(reference[p + "in_C"]), float(reference[p + "in_epsilon"])
        N = len(y)
        label = f"test case '{case.name}' (N={N}, C={C}, epsilon={eps:g})"
        given = {"y": y.copy()}
        with inputs_kept(name, given, who="smooth_labels", where=label):
            out = call(smooth_labels, name, given["y"], C, eps)
            out = array(out, (N, C), name, "the targets")
            want = reference[p + "out"]
            if not close(out, want, **TOL):
                onehot = np.eye(C)[y]
                sums = out.sum(axis=1)
                hints = [
                    (reference[p + "cf_no_epsilon"],
                     "these are the one-hot labels: epsilon is ignored"),
                    (reference[p + "cf_shifted"],
                     "the mass is on the class y - 1: the true class of example i is y[i] "
                     "(numpy counts classes from 0)"),
                    ((1 - eps) * onehot + eps / (C - 1) * (1 - onehot),
                     "epsilon / (C - 1) on the other classes and 1 - epsilon on the true "
                     "one: the contract (Szegedy et al.) spreads epsilon / C over EVERY "
                     "class, the true one included, so the true class gets "
                     "1 - epsilon + epsilon / C"),
                    (eps / (C - 1) * np.ones((N, C)),
                     "epsilon / (C - 1) everywhere: the true class must keep 1 - epsilon, "
                     "and epsilon is spread as epsilon / C over every class")]
                hint = first_hint(out, [(v, m) for v, m in hints
                                        if not close(v, want, **TOL)], **TOL)
                if not hint and not close(sums, np.ones(N), **TOL):
                    hint = (f"a row sums to {sums[np.argmax(np.abs(sums - 1))]:.6g}, not 1: "
                            "the smoothed targets are a distribution (1 - epsilon on the "
                            "true class plus epsilon / C on every class)")
                fail(name, f"the smoothed targets are wrong on {label}",
                     _worst(out, want, "targets"), "hint: " + hint if hint else "")
        count += 3
    _check_bad_epsilon(smooth_labels, name)
    passed(name, count + 2, f" ({label_set} cases)")


# ------------------------------------------------------ softmax cross-entropy

def check_softmax_cross_entropy(softmax_cross_entropy, *, cases="visible", reference):
    """Check ``softmax_cross_entropy(scores, targets) -> (loss, dscores)``.

    Parameters
    ----------
    softmax_cross_entropy : callable
    cases : {"visible", "hidden"} or list of XentCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(softmax_cross_entropy, "softmax_cross_entropy")
    cases, label_set = _cases("softmax_cross_entropy", cases, reference)
    count = 0
    for case in cases:
        p = f"softmax_cross_entropy/{case.name}/"
        inputs = case_inputs(reference, "softmax_cross_entropy", case.name)
        S, T = inputs["in_scores"], inputs["in_targets"]
        N, C = S.shape
        label = (f"test case '{case.name}' (N={N}, C={C}, {case.targets} targets"
                 + (f", scores near {case.offset:g}" if case.offset else "") + ")")
        given = {"scores": S.copy(), "targets": T.copy()}
        with inputs_kept(name, given, who="softmax_cross_entropy", where=label):
            result = call(softmax_cross_entropy, name, given["scores"], given["targets"])
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                fail(name, f"should return a tuple (loss, dscores), got "
                           f"{type(result).__name__} on {label}")
            loss = scalar(result[0], name, "the loss")
            ds = array(result[1], (N, C), name, "dscores")
            unstable = ("hint: exp of scores near 1000 overflows: subtract each row's "
                        "maximum score before exponentiating (it does not change the "
                        "softmax), and compute log softmax as (s - max) - log sum exp(s - max)")
            _core.finite_loss(name, label, loss, ds, grad_name="dscores",
                              hint=unstable if abs(case.offset) >= 100 else "")
            want = float(reference[p + "loss"])
            wrong_hard = (
                "the targets are reduced to their largest entry (hard labels): the loss "
                "must use the whole target distribution, -sum_c t_c log p_c per example")
            _core.expect_value(name, "the loss", loss, want, label=label, tol=TOL, hints=[
                (want * N, f"this is the sum over the N = {N} examples: the loss is their "
                           f"mean") if N > 1 else (math.nan, ""),
                (float(reference[p + "cf_argmax/loss"]), wrong_hard)
                if case.targets != "onehot" else (math.nan, ""),
                (float(reference[p + "cf_axis0/loss"]),
                 "the softmax runs over the examples (axis 0): each ROW of scores is "
                 "one example's C class scores, normalise over axis=1")])
            want_ds = reference[p + "dscores"]
            if not close(ds, want_ds, **TOL):
                hints = [(want_ds * N, f"dscores is not divided by N = {N}: the loss is "
                                       f"the mean over the examples, so is its gradient"),
                         (-want_ds, "dscores has the wrong sign: the gradient is softmax "
                                    "minus the targets (divided by N)"),
                         (want_ds / N, "dscores is divided by N twice")]
                if case.targets != "onehot":
                    hints.append((reference[p + "cf_argmax/dscores"], wrong_hard))
                hint = first_hint(ds, [(v, m) for v, m in hints
                                       if not close(v, want_ds, **TOL)], **TOL)
                fail(name, f"dscores is wrong on {label}", _worst(ds, want_ds, "dscores"),
                     "hint: " + hint if hint else "")
        count += 4
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------------ mixing

def _mixed(fn, name, X, Y, *, alpha, seed, label):
    """The student's (X_mix, Y_mix) for a generator of ``seed``, checked for
    type and shape; X and Y must be kept."""
    given = {"X": X.copy(), "Y": Y.copy()}
    with inputs_kept(name, given, who=name, where=label):
        result = call(fn, name, given["X"], given["Y"], alpha, np.random.default_rng(seed))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(name, f"should return a tuple (X_mix, Y_mix), got {type(result).__name__} on "
                   f"{label}")
    Xm = array(result[0], X.shape, name, "X_mix")
    Ym = array(result[1], Y.shape, name, "Y_mix")
    for what, a in (("X_mix", Xm), ("Y_mix", Ym)):
        if a.dtype.kind != "f" or not np.all(np.isfinite(a)):
            fail(name, f"{what} should hold finite floats, got dtype {a.dtype} on {label}")
    return np.array(Xm, dtype=np.float64), np.array(Ym, dtype=np.float64)


def _check_randomness(fn, name, outputs, X, *, Y, alpha, seed, label):
    """Same seed, same outputs; the outputs of another seed where two right
    permutations coincide with probability 1 / N! < SAME (None elsewhere)."""
    again = _mixed(fn, name, X, Y, alpha=alpha, seed=seed + 1, label=label)
    if not (np.array_equal(again[0], outputs[0]) and np.array_equal(again[1], outputs[1])):
        fail(name, f"two calls with generators of the same seed give different outputs on "
                   f"{label}",
             "hint: draw lam and the partners from the rng you are given only: np.random's "
             "global functions or a generator of your own are not reproducible from it")
    if math.lgamma(len(X) + 1) < -math.log(SAME):
        return None
    return _mixed(fn, name, X, Y, alpha=alpha, seed=seed + 2, label=label)


def _same_partners(a, b):
    """Do two draws give the same partners on every row where both are known,
    on enough rows that two right permutations agree there with probability
    below SAME (1 / (N (N - 1) ... (N - k + 1)) for k rows)?"""
    both = (a >= 0) & (b >= 0)
    k, N = int(both.sum()), len(a)
    if k == 0 or math.lgamma(N + 1) - math.lgamma(N - k + 1) < -math.log(SAME):
        return False
    return bool(np.array_equal(a[both], b[both]))


def _partners_distinct(name, partners, label):
    known = partners[partners >= 0]
    values, counts = np.unique(known, return_counts=True)
    if np.any(counts > 1):
        j = int(values[np.argmax(counts)])
        rows = np.flatnonzero(partners == j)[:4].tolist()
        fail(name, f"the partners are not a permutation on {label}",
             f"rows {rows} are all mixed with row {j} "
             f"({int(np.sum(counts > 1))} rows are the partner of several rows)",
             "hint: draw the partners with rng.permutation(N), so that every example is "
             "used as a partner exactly once (rng.integers draws with replacement)")


def _recover_mixup(X, Xm, label, name):
    """For every row i, the partner j != i and lam that fit Xm[i] = lam X[i] +
    (1 - lam) X[j] best (least squares); j = -1 and lam = 1 where Xm[i] is
    X[i] up to rounding."""
    N = len(X)
    A, B = X.reshape(N, -1), Xm.reshape(N, -1)
    scale = 1.0 + np.max(np.abs(A))
    partners, lams = np.full(N, -1), np.ones(N)
    todo = np.flatnonzero(np.max(np.abs(B - A), axis=1) > 1e-12 * scale)
    step = max(1, 2_000_000 // A.size)
    for start in range(0, todo.size, step):
        rows = todo[start:start + step]
        d = A[rows, None, :] - A[None, :, :]      # X[i] - X[j]
        r = B[rows, None, :] - A[None, :, :]      # Xm[i] - X[j] = lam (X[i] - X[j])
        dd = np.einsum("ijd,ijd->ij", d, d)
        dd[np.arange(rows.size), rows] = np.inf
        lam = np.einsum("ijd,ijd->ij", r, d) / dd
        res = np.max(np.abs(r - lam[:, :, None] * d), axis=2)
        res[np.arange(rows.size), rows] = np.inf
        best = np.argmin(res, axis=1)
        for k, i in enumerate(rows):
            j, lj, rj = int(best[k]), float(lam[k, best[k]]), float(res[k, best[k]])
            if rj > 1e-9 * scale:
                fail(name, f"X_mix[{i}] is not a mixture of X[{i}] and one other row of X "
                           f"on {label}",
                     f"the best fit, lam X[{i}] + (1 - lam) X[{j}] with lam = {lj:.6g}, is "
                     f"off by {rj:.3g}",
                     "hint: X_mix[i] = lam[i] X[i] + (1 - lam[i]) X[perm[i]], the two "
                     "weights summing to one, one partner per row (broadcast lam over the "
                     "other axes: lam.reshape(-1, 1, ...))")
            if not -1e-9 <= lj <= 1 + 1e-9:
                fail(name, f"X_mix[{i}] mixes X[{i}] and X[{j}] with lam = {lj:.6g}, "
                           f"outside [0, 1] on {label}",
                     "hint: lam is drawn from Beta(alpha, alpha)")
            partners[i], lams[i] = j, min(max(lj, 0.0), 1.0)
    return partners, lams


def _check_targets(name, Y, Ym, partners, *, weights, label, what, hints, weight_hint):
    """Y_mix[i] must be weights[i] Y[i] + (1 - weights[i]) Y[partners[i]]."""
    j = np.where(partners >= 0, partners, np.arange(len(Y)))
    want = weights[:, None] * Y + (1 - weights[:, None]) * Y[j]
    if close(Ym, want, rtol=0, atol=MIX_ATOL):
        return
    bad = int(np.argmax(np.max(np.abs(Ym - want), axis=1)))
    hint = first_hint(Ym[bad], [(h[bad], m) for h, m in hints], rtol=0, atol=MIX_ATOL)
    if not hint:
        # The weight of the own target in Y_mix[bad], if it mixes the right two rows.
        d = Y[bad] - Y[j[bad]]
        if partners[bad] >= 0 and d @ d > 0:
            w = float((Ym[bad] - Y[j[bad]]) @ d / (d @ d))
            if close(Ym[bad], w * Y[bad] + (1 - w) * Y[j[bad]], rtol=0, atol=MIX_ATOL):
                hint = (f"Y_mix[{bad}] mixes the right two targets, with weight {w:.6g} on "
                        f"its own instead of {weights[bad]:.6g}: {weight_hint}")
            else:
                hint = (f"Y_mix[{bad}] is not a mixture of Y[{bad}] and the target of the "
                        f"row whose input was mixed in (row {int(j[bad])}): use the same "
                        f"partners for the inputs and the targets")
    fail(name, f"the mixed targets do not match the mixed inputs on {label}",
         f"row {bad}: yours {np.round(Ym[bad], 6).tolist()}, expected "
         f"{np.round(want[bad], 6).tolist()} ({what})",
         "hint: " + hint if hint else "")


def _lambda_statistics(name, lams, alpha, label):
    n = len(lams)
    t = math.sqrt(math.log(2 / DELTA) / (2 * n))
    mean, second = float(np.mean(lams)), float(np.mean((lams - 0.5) ** 2))
    want2 = 1 / (4 * (2 * alpha + 1))
    checks = [("mean of lam", mean, 0.5, t + FIXED / n),
              ("mean of (lam - 1/2)^2", second, want2, t / 4 + FIXED / (4 * n))]
    for what, got, want, tol in checks:
        if abs(got - want) >= tol:
            hint = ("lam looks uniform on [0, 1] (second moment 1/12): draw it from "
                    "Beta(alpha, alpha) with rng.beta(alpha, alpha, size=N); at small "
                    "alpha most lambdas are near 0 or 1, so a mixed example stays close to "
                    "one of its two sources" if abs(second - 1 / 12) < t / 4 + FIXED / n
                    else "draw lam from Beta(alpha, alpha): rng.beta(alpha, alpha, size=N)")
            fail(name, f"the {what} over the {n} examples is {got:.4f} on {label}, "
                       f"expected {want:.4f} within {tol:.4f} for Beta({alpha:g}, {alpha:g})",
                 f"a right draw is this far off with probability below {DELTA:g}",
                 "hint: " + hint)


def check_mixup(mixup, *, cases="visible", reference):
    """Check ``mixup(X, Y, alpha, rng) -> (X_mix, Y_mix)``.

    Parameters
    ----------
    mixup : callable
    cases : {"visible", "hidden"} or list of MixupCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(mixup, "mixup")
    cases, label_set = _cases("mixup", cases, reference)
    count = 0
    for case in cases:
        inputs = _mix_case_inputs("mixup", case)
        X, Y = inputs["in_X"], inputs["in_Y"]
        alpha = float(reference[f"mixup/{case.name}/in_alpha"])
        N = len(X)
        label = f"test case '{case.name}' (X {X.shape}, Y {Y.shape}, alpha={alpha:g})"
        Xm, Ym = _mixed(mixup, name, X, Y, alpha=alpha, seed=case.seed + 1, label=label)
        partners, lams = _recover_mixup(X, Xm, label, name)
        j = np.where(partners >= 0, partners, np.arange(N))
        _check_targets(name, Y, Ym, partners, weights=lams, label=label,
                       what="the same lam[i] and partner perm[i] as X_mix[i]",
                       hints=[((1 - lams[:, None]) * Y + lams[:, None] * Y[j],
                         "the targets are mixed with 1 - lam on their own row: "
                         "Y_mix[i] = lam[i] Y[i] + (1 - lam[i]) Y[perm[i]], the same "
                         "weights as X_mix[i]")],
                       weight_hint="the targets must use the same lam[i] as the inputs "
                       "(not a second draw, not 1 - lam)")
        _partners_distinct(name, partners, label)
        known = lams[partners >= 0]
        if N >= 20 and known.size >= 3 and np.ptp(known) < 1e-12:
            fail(name, f"every example is mixed with the same lam = {known[0]:.6g} on "
                       f"{label}",
                 "hint: draw one lam per example (rng.beta(alpha, alpha, size=N)), not one "
                 "for the whole batch")
        if N >= STATS_N:
            _lambda_statistics(name, lams, alpha, label)
            count += 2
        other = _check_randomness(mixup, name, (Xm, Ym), X, Y=Y, alpha=alpha, seed=case.seed,
                                  label=label)
        if other is not None:
            if _same_partners(_recover_mixup(X, other[0], label, name)[0], partners):
                fail(name, f"generators of two different seeds give the same partners on "
                           f"{label}",
                     "hint: the partners do not depend on rng: draw them with "
                     "rng.permutation(N) (not a fixed order such as the reversed batch)")
        count += 5 + (other is not None)
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------------ cutmix

def _cyclic_interval(flags):
    """Are the True entries one interval of a cycle (possibly across the end)?"""
    if flags.all() or not flags.any():
        return True
    starts = np.sum(flags & ~np.roll(flags, 1))
    return starts == 1


def _recover_cutmix(X, Xm, label, name):
    """Partners and pasted-area shares: j = -1 and share 0 where nothing changed."""
    N, H, W = X.shape
    partners, shares, widths = np.full(N, -1), np.zeros(N), np.full(N, -1)
    for i in range(N):
        changed = Xm[i] != X[i]
        if not changed.any():
            continue
        r, c = np.argwhere(changed)[0]
        cand = np.flatnonzero(X[:, r, c] == Xm[i, r, c])
        cand = cand[cand != i]
        if cand.size == 0:
            fail(name, f"X_mix[{i}] has pixel ({r}, {c}) = {Xm[i, r, c]:.6g}, a value of no "
                       f"image of the batch at that pixel on {label}",
                 "hint: cutmix copies the partner's pixels of the box unchanged, at the "
                 "same place (X_mix[i, box] = X[perm[i], box]); it does not blend them")
        j = int(cand[0])
        if not np.array_equal(Xm[i][changed], X[j][changed]):
            fail(name, f"the changed pixels of X_mix[{i}] come from several images on "
                       f"{label}", "hint: each example gets one box from one partner")
        rows, cols = changed.any(axis=1), changed.any(axis=0)
        box = np.outer(rows, cols)
        r_idx, c_idx = np.flatnonzero(rows), np.flatnonzero(cols)
        contiguous = (r_idx[-1] - r_idx[0] + 1 == r_idx.size
                      and c_idx[-1] - c_idx[0] + 1 == c_idx.size)
        if not (np.array_equal(box, changed) and contiguous):
            if np.array_equal(box, changed) and _cyclic_interval(rows) \
                    and _cyclic_interval(cols):
                hint = ("the box wraps around the border of the image (negative or too "
                        "large indices taken modulo the size): clip the box to the image "
                        "instead, top = max(cy - h // 2, 0), ..., so that it is cut at the "
                        "border")
            else:
                hint = "paste one rectangle, rows top:bottom and columns left:right"
            fail(name, f"the pasted pixels of X_mix[{i}] are not one rectangle on {label}",
                 f"{int(changed.sum())} pixels changed in rows {r_idx.tolist()} and "
                 f"columns {c_idx.tolist()}", "hint: " + hint)
        partners[i], shares[i] = j, changed.sum() / (H * W)
        if c_idx[0] > 0 and c_idx[-1] < W - 1:
            widths[i] = c_idx.size
    return partners, shares, widths


def _box_sizes(name, widths, W, label):
    seen = widths[widths > 0] / W
    if seen.size < 20:
        return 0
    lo, hi = math.sqrt(BAND[0]) - 1.5 / W, math.sqrt(BAND[1]) + 1.5 / W
    med = float(np.median(seen))
    if lo <= med <= hi:
        return 1
    hint = ("the boxes are about half as wide as the image, so their area is about a "
            "quarter: the side of the box is W sqrt(1 - lam) (its AREA is the share "
            "1 - lam), not W (1 - lam)" if med < lo else
            "the side of the box is W sqrt(1 - lam)")
    fail(name, f"the boxes have the wrong size on {label}",
         f"the median width of the {seen.size} boxes that touch neither side is "
         f"{med:.3f} W; with alpha = {SIZE_ALPHA:g}, 1 - lam is near 1/2 and the box "
         f"width W sqrt(1 - lam) is within [{lo:.3f} W, {hi:.3f} W] except with "
         f"probability below 1e-20", "hint: " + hint)


def check_cutmix(cutmix, *, cases="visible", reference):
    """Check ``cutmix(X, Y, alpha, rng) -> (X_mix, Y_mix)``.

    Parameters
    ----------
    cutmix : callable
    cases : {"visible", "hidden"} or list of CutmixCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(cutmix, "cutmix")
    cases, label_set = _cases("cutmix", cases, reference)
    count = 0
    for case in cases:
        inputs = _mix_case_inputs("cutmix", case)
        X, Y = inputs["in_X"], inputs["in_Y"]
        alpha = float(reference[f"cutmix/{case.name}/in_alpha"])
        N, H, W = X.shape
        label = f"test case '{case.name}' (X {X.shape}, Y {Y.shape}, alpha={alpha:g})"
        Xm, Ym = _mixed(cutmix, name, X, Y, alpha=alpha, seed=case.seed + 1, label=label)
        partners, shares, widths = _recover_cutmix(X, Xm, label, name)
        _check_targets(name, Y, Ym, partners, weights=1 - shares, label=label,
                       what="(1 - a) Y[i] + a Y[perm[i]], a the share of the image that the "
                       "pasted box covers after clipping",
                       hints=[(shares[:, None] * Y + (1 - shares[:, None]) * Y[
                           np.where(partners >= 0, partners, np.arange(N))],
                         "the weights are swapped: the pasted share a goes to the "
                         "PARTNER's target, 1 - a to the own one")],
                       weight_hint="the weight of the partner's target is the share of the "
                       "image the pasted box really covers, counted after clipping and rounding "
                       "(not the drawn 1 - lam, which is the share only before)")
        _partners_distinct(name, partners, label)
        if alpha >= SIZE_ALPHA:
            count += _box_sizes(name, widths, W, label)
        other = _check_randomness(cutmix, name, (Xm, Ym), X, Y=Y, alpha=alpha, seed=case.seed,
                                  label=label)
        if other is not None:
            if _same_partners(_recover_cutmix(X, other[0], label, name)[0], partners):
                fail(name, f"generators of two different seeds give the same partners on "
                           f"{label}",
                     "hint: the partners do not depend on rng: draw them with "
                     "rng.permutation(N)")
        count += 5 + (other is not None)
    passed(name, count, f" ({label_set} cases)")


CHECKS = {"smooth_labels": check_smooth_labels,
          "softmax_cross_entropy": check_softmax_cross_entropy,
          "mixup": check_mixup, "cutmix": check_cutmix}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, run=_grade) for kind in KINDS]


# ------------------------------------------------------------ for the grader

def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases.

    The mixup case of N >= 2000 at alpha = 0.2 catches uniform lambdas, the
    cutmix case at alpha = SIZE_ALPHA on at least 24 x 24 images the box
    sizes, as the fixed cases do.
    """
    def seed():
        return int(rng.integers(2**31 - 200))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    N, C = n(3, 40), n(2, 12)
    N += N == C
    N2, C2 = n(3, 20), n(2, 12)
    N2 += N2 == C2
    side = n(24, 40)
    return {
        "smooth_labels": [SmoothCase("unseen", seed(), N=N, C=C,
                                     epsilon=float(rng.uniform(0.01, 0.5)))],
        "softmax_cross_entropy": [
            XentCase("unseen", seed(), N=N2, C=C2, spread=float(rng.uniform(0.5, 5))),
            XentCase("unseen_large", seed(), N=n(2, 6), C=n(7, 12), targets="smooth",
                     offset=float(rng.choice([-1, 1]) * rng.uniform(800, 2000)))],
        "mixup": [MixupCase("unseen", seed(), (n(5, 60), n(2, 4), n(2, 4)), C=n(2, 10),
                            alpha=float(rng.uniform(0.2, 2))),
                  MixupCase("unseen_many", seed(), (n(2000, 2600), n(3, 10)), C=n(2, 10),
                            alpha=0.2)],
        "cutmix": [CutmixCase("unseen", seed(), N=n(50, 200), H=n(6, 20), W=n(6, 20),
                              C=n(2, 10), alpha=float(rng.uniform(0.3, 2))),
                   CutmixCase("unseen_box_sizes", seed(), N=400, H=side, W=n(24, 40),
                              C=n(2, 5), alpha=SIZE_ALPHA)],
    }
