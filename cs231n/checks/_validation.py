"""Part of Assignment 5's checks: cross-validation, the bootstrap and the
bias-variance decomposition (``cross_validation.ipynb``).

Graded functions and their contract:

- ``kfold_indices(N, k, rng, y=None) -> list of (train_idx, val_idx)``: ``k``
  pairs of int arrays; the examples are shuffled by ``rng``; every example is
  in exactly one validation fold and in the training folds of the k - 1
  others; fold sizes differ by at most 1.  With labels ``y`` (N,), the
  folds are stratified: each class's count in the validation folds differs
  by at most 1 between folds.  ``k < 2`` or ``k > N`` raise a ValueError.
- ``cross_validate(fit_and_score, X, y, folds) -> ndarray (k,)``: for each
  fold, the training fold's mean example is subtracted from the training and
  the validation inputs (the preprocessing is fitted on the training fold
  only), then ``fit_and_score(X_train, y_train, X_val, y_val)`` gives the
  fold's score.
- ``bootstrap_indices(N, rng) -> int ndarray (N,)``: N indices drawn
  uniformly with replacement.
- ``bias_variance(predictions, f_true) -> (bias2, variance)``: predictions
  (B, M) of B refits at M points, and the true function's values (M,):
  the squared bias, the mean over points of (mean over refits - f_true)**2,
  and the variance, the mean over points of the variance over refits
  (dividing by B).

Right fold and bootstrap functions draw different indices from the same
generator (``rng.permutation`` and ``np.array_split``, slices of a shuffled
range, a stable sort by label and every k-th example, ``rng.integers``,
``rng.choice(N, N)``, ...), so they are checked by structure and
statistics, not against the solution's draw:

- folds: the validation folds cover ``range(N)`` exactly once (no overlap,
  nothing dropped), their sizes are the solution's (stored: they differ by
  at most 1), each training index is exactly the rest of the examples, and
  with ``y`` every class's count differs by at most 1 between folds;
  generators of the same seed give the same folds, generators of two seeds
  different ones, checked where a right answer's two draws coincide with
  probability below ``SAME = 1e-12`` (a right answer draws the ordered
  partition at least as randomly as a uniform shuffle of each class, so
  two draws coincide with probability at most ``1 / prod multinomial``);
  folds that are all consecutive blocks of ``0..N-1`` (a right answer's
  with probability below ``SAME``) are not shuffled.  ``k = 1`` and
  ``k = N + 1`` must raise a ValueError.
- bootstrap: N integers in ``[0, N)``; the same seed repeats them, another
  seed changes them (where ``N ** -N < SAME``); N distinct indices (a
  permutation: without replacement) fail where a right draw is a
  permutation with probability ``N! / N ** N < DELTA``; on large cases the
  number of distinct indices is within McDiarmid's
  ``t = sqrt(N ln(2 / DELTA) / 2)`` of its expectation
  ``N (1 - (1 - 1 / N) ** N)``; on small cases, pooled over ``repeats``
  calls with fresh seeds, every index's frequency is within Hoeffding's
  ``sqrt(ln(2 N / DELTA) / (2 n))`` of ``1 / N`` (union bound over the N
  indices), so ``rng.integers(0, N - 1)`` fails with certainty.  With
  ``DELTA = 1e-10`` per statistic, a right answer fails a run of the checks
  with probability below 1e-8.

``cross_validate`` gets a recording ``fit_and_score``: it keeps a copy of
the four arrays of every call and returns a score that depends on them
(the same whatever the order of the rows).  Each call's arrays are
compared with those the solution gave the same recorder (stored in the
reference), rows matched by their first feature (the cases' first feature
has distinct values, so a right answer may pass the training rows in any
order, ``X[train_idx]`` or ``X[mask]``); the scores must be the recorder's,
one per fold, in the order of the folds.  The folds of the cases are the
solution's ``kfold_indices`` (the ``holdout`` cases drop one fold from
each training index, so that the training and validation rows do not
cover X: a training index made as "everything but the validation fold" is
wrong).  Hints compare with counterfactuals of the solution run on changed
folds: centred with the mean of all of X (the validation fold leaks into
the preprocessing), each split with its own mean, and with the raw rows (no
centring).  Training on the validation fold, on all of X, swapped
arguments and a modified X are named.

``bias_variance`` is compared with the solution's values (``rtol=1e-9``),
with hints from counterfactuals: the solution on the predictions averaged
over the points (the averaging order swapped: the square of the mean
difference; its square root is the bias not squared), on the transposed
predictions (the variance over the points) and on all predictions pooled;
and from the solution's numbers: ``B / (B - 1)`` times the variance
(``ddof=1``) and ``bias2 + variance`` (the mean squared error).
"""
import math
import warnings
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (array, call, case_inputs, close, fail, first_hint, inputs_kept, passed,
                    reference_dict, scalar, typed_cases, worst_index)

__all__ = ["check_kfold_indices", "check_cross_validate", "check_bootstrap_indices",
           "check_bias_variance"]

NOTEBOOK = "cross_validation.ipynb"
KINDS = ("kfold_indices", "cross_validate", "bootstrap_indices", "bias_variance")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
CV_ARGS = ("X_train", "y_train", "X_val", "y_val")

DELTA = 1e-10        # a right answer's failure probability, per statistic
SAME = 1e-12         # two seeds are compared only where equal draws are this unlikely
CV_TOL = dict(rtol=1e-10, atol=1e-12)
BV_RTOL = 1e-9


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class KFoldCase:
    """``kfold_indices(N, k, rng)``, with labels of class ``counts`` when given
    (shuffled by ``seed``); the generators are seeded ``seed + 1`` and ``seed + 2``."""
    name: str
    seed: int
    N: int
    k: int
    counts: tuple = None

    def __post_init__(self):
        if not 2 <= self.k <= self.N:
            raise ValueError(f"KFoldCase {self.name!r}: need 2 <= k <= N, got N={self.N}, "
                             f"k={self.k}")
        if self.counts is not None and (sum(self.counts) != self.N
                                        or min(self.counts) < 1):
            raise ValueError(f"KFoldCase {self.name!r}: counts must be positive and sum to "
                             f"N={self.N}, got {self.counts}")


@dataclass(frozen=True)
class CVCase:
    """``cross_validate`` on X (N, D) and labels of ``C`` classes, with the
    solution's k folds (``holdout``: each training index without one fold)."""
    name: str
    seed: int
    N: int
    D: int
    k: int
    C: int = 3
    holdout: bool = False

    def __post_init__(self):
        if not (2 <= self.k <= self.N and self.D >= 1 and self.C >= 2
                and (not self.holdout or self.k >= 3)):
            raise ValueError(f"CVCase {self.name!r}: need 2 <= k <= N, D >= 1, C >= 2 and "
                             f"k >= 3 for a holdout case (N={self.N}, D={self.D}, "
                             f"k={self.k}, C={self.C})")


@dataclass(frozen=True)
class BootstrapCase:
    """``bootstrap_indices(N, rng)``; ``repeats`` > 0 pools that many calls with
    fresh seeds for the frequency of every index."""
    name: str
    seed: int
    N: int
    repeats: int = 0

    def __post_init__(self):
        if self.N < 1 or self.repeats < 0:
            raise ValueError(f"BootstrapCase {self.name!r}: need N >= 1 and repeats >= 0, "
                             f"got N={self.N}, repeats={self.repeats}")


@dataclass(frozen=True)
class BiasVarianceCase:
    """``bias_variance`` on predictions (B, M) drawn around a function of M points."""
    name: str
    seed: int
    B: int
    M: int

    def __post_init__(self):
        if self.B < 2 or self.M < 1:
            raise ValueError(f"BiasVarianceCase {self.name!r}: need B >= 2 and M >= 1, got "
                             f"B={self.B}, M={self.M}")


CASES = {
    "kfold_indices": {
        "visible": [KFoldCase("small", 1000, N=10, k=3),
                    KFoldCase("large", 1001, N=1000, k=7),
                    KFoldCase("stratified", 1002, N=600, k=5, counts=(301, 152, 97, 50)),
                    KFoldCase("stratified_ten", 1003, N=1000, k=10,
                              counts=(95, 105, 99, 101, 103, 97, 100, 102, 96, 102))],
        "hidden": [KFoldCase("two_folds", 1010, N=101, k=2),
                   KFoldCase("leave_one_out", 1011, N=12, k=12),
                   KFoldCase("many_folds", 1012, N=503, k=20),
                   KFoldCase("rare_class", 1013, N=203, k=4, counts=(120, 80, 3)),
                   KFoldCase("stratified_large", 1014, N=1201, k=6,
                             counts=(211, 150, 149, 148, 146, 145, 131, 121))],
    },
    "cross_validate": {
        "visible": [CVCase("small", 2000, N=12, D=3, k=3),
                    CVCase("uneven", 2001, N=23, D=4, k=5),
                    CVCase("holdout", 2002, N=30, D=2, k=4, holdout=True)],
        "hidden": [CVCase("two_folds", 2010, N=40, D=6, k=2),
                   CVCase("leave_one_out", 2011, N=6, D=2, k=6),
                   CVCase("wide", 2012, N=15, D=30, k=3, C=2),
                   CVCase("holdout_many", 2013, N=50, D=3, k=6, C=5, holdout=True)],
    },
    "bootstrap_indices": {
        "visible": [BootstrapCase("small", 3000, N=7, repeats=600),
                    BootstrapCase("large", 3001, N=20000)],
        "hidden": [BootstrapCase("one", 3010, N=1, repeats=10),
                   BootstrapCase("two", 3011, N=2, repeats=600),
                   BootstrapCase("medium", 3012, N=50),
                   BootstrapCase("larger", 3013, N=50000)],
    },
    "bias_variance": {
        "visible": [BiasVarianceCase("small", 4000, B=5, M=4),
                    BiasVarianceCase("many_refits", 4001, B=200, M=30)],
        "hidden": [BiasVarianceCase("one_point", 4010, B=7, M=1),
                   BiasVarianceCase("two_refits", 4011, B=2, M=9),
                   BiasVarianceCase("wide", 4012, B=40, M=150)],
    },
}
CASE_TYPES = {"kfold_indices": KFoldCase, "cross_validate": CVCase,
              "bootstrap_indices": BootstrapCase, "bias_variance": BiasVarianceCase}


def _cases(kind, cases, reference):
    reference_dict(reference)
    return typed_cases(CASES[kind], cases, CASE_TYPES[kind], kind)


# ----------------------------------------------------------- inputs from seeds

def _labels(case):
    """Labels with the case's class counts, in an order drawn from its seed."""
    rng = np.random.default_rng(case.seed)
    return rng.permutation(np.repeat(np.arange(len(case.counts)), case.counts))


def _kfold_inputs(case):
    inputs = {"in_N": np.int64(case.N), "in_k": np.int64(case.k)}
    if case.counts is not None:
        inputs["in_y"] = _labels(case)
    return inputs


def _cv_data(case):
    """X (N, D) far from centred, whose first feature has distinct values
    (the checks match rows by it), and labels of C classes."""
    rng = np.random.default_rng(case.seed)
    first = rng.permutation(case.N) + 0.25 * rng.random(case.N)
    X = 3.0 + 2.0 * rng.standard_normal((case.N, case.D)) + 5.0 * rng.standard_normal(case.D)
    X[:, 0] = first
    y = rng.integers(0, case.C, size=case.N)
    return X, y


def _bv_inputs(case):
    rng = np.random.default_rng(case.seed)
    f_true = rng.standard_normal(case.M)
    # Each point gets its own bias and spread, so that no averaging order or
    # axis gives the right numbers by accident.
    bias = 0.5 * rng.standard_normal(case.M)
    spread = rng.uniform(0.2, 1.5, case.M)
    predictions = f_true + bias + spread * rng.standard_normal((case.B, case.M))
    return {"in_predictions": predictions, "in_f_true": f_true}


# ------------------------------------------------------------------ reference

class _Recorder:
    """A ``fit_and_score`` that keeps a copy of what every call receives and
    returns a score depending on it (order-free over the rows).

    A trusted helper (``HELPERS``): in the grader's integrity pass it runs
    beside the student's code, and its ``calls`` come back to the check.
    """

    def __init__(self):
        self.calls = []

    def __call__(self, X_train, y_train, X_val, y_val):
        got = tuple(np.array(a, copy=True) for a in (X_train, y_train, X_val, y_val))
        self.calls.append(got)
        return _score(*got)


def _score(X_train, y_train, X_val, y_val):
    try:
        with np.errstate(all="ignore"):
            return float(np.sum(X_val[:, 0] * (y_val + 1.0))
                         + 0.5 * np.sum(X_train[:, -1] * (y_train + 2.0))
                         + len(y_train) / 7.0)
    except Exception:  # arrays of the wrong shape: the check names them
        return float("nan")


def _folds_of(inputs):
    k = sum(1 for key in inputs if key.startswith("in_train_"))
    return [(inputs[f"in_train_{i}"], inputs[f"in_val_{i}"]) for i in range(k)]


def _cv_folds(case, kfold):
    """The solution's folds of the case; a holdout case leaves one fold out of
    every training index."""
    folds = kfold(case.N, case.k, np.random.default_rng(case.seed + 1))
    if not case.holdout:
        return [(np.asarray(t), np.asarray(v)) for t, v in folds]
    vals = [np.asarray(v) for _, v in folds]
    k = len(vals)
    return [(np.concatenate([vals[(i + j) % k] for j in range(1, k - 1)]), vals[i])
            for i in range(k)]


def _record(cross_validate, X, y, folds):
    rec = _Recorder()
    scores = cross_validate(rec, np.array(X), np.array(y),
                            [(np.array(t), np.array(v)) for t, v in folds])
    return rec.calls, np.asarray(scores, dtype=np.float64)


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped; ``cross_validate`` needs ``kfold_indices`` for its folds).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<kind>/<case>/in_*``),
    the solution's outputs (the validation fold sizes, what ``cross_validate``
    passed to ``fit_and_score`` and returned, ``bias2`` and ``variance``) and
    counterfactuals (``cf_*``: the solution on changed inputs, for the hints).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    kfold = solutions.get("kfold_indices")
    for case in cases.get("kfold_indices", ()) if kfold else ():
        inputs = _kfold_inputs(case)
        p = f"kfold_indices/{case.name}/"
        ref.update({p + key: v for key, v in inputs.items()})
        y = {"y": inputs["in_y"].copy()} if "in_y" in inputs else {}
        folds = kfold(case.N, case.k, np.random.default_rng(case.seed + 1), **y)
        ref[p + "val_sizes"] = np.sort([len(v) for _, v in folds])
    cv = solutions.get("cross_validate")
    for case in cases.get("cross_validate", ()) if cv and kfold else ():
        X, y = _cv_data(case)
        folds = _cv_folds(case, kfold)
        p = f"cross_validate/{case.name}/"
        ref[p + "in_X"], ref[p + "in_y"] = X, y
        for i, (t, v) in enumerate(folds):
            ref[p + f"in_train_{i}"], ref[p + f"in_val_{i}"] = t, v
        calls, ref[p + "scores"] = _record(cv, X, y, folds)
        for i, arrays in enumerate(calls):
            for key, a in zip(CV_ARGS, arrays):
                ref[p + f"{i}/{key}"] = a
        everything = np.arange(case.N)
        # Centred with the mean of all of X: the solution with a training
        # index of every example, validated on the fold's rows.
        calls, _ = _record(cv, X, y, [(everything, r) for t, v in folds for r in (t, v)])
        for i in range(len(folds)):
            ref[p + f"cf_all/{i}/X_train"] = calls[2 * i][2]
            ref[p + f"cf_all/{i}/X_val"] = calls[2 * i + 1][2]
        # The validation fold centred with its own mean.
        calls, _ = _record(cv, X, y, [(v, v) for t, v in folds])
        for i in range(len(folds)):
            ref[p + f"cf_own/{i}/X_val"] = calls[i][2]
    for case in cases.get("bootstrap_indices", ()) if solutions.get("bootstrap_indices") \
            else ():
        ref[f"bootstrap_indices/{case.name}/in_N"] = np.int64(case.N)
    bv = solutions.get("bias_variance")
    for case in cases.get("bias_variance", ()) if bv else ():
        inputs = _bv_inputs(case)
        P, f = inputs["in_predictions"], inputs["in_f_true"]
        p = f"bias_variance/{case.name}/"
        ref.update({p + key: v for key, v in inputs.items()})
        ref[p + "bias2"], ref[p + "variance"] = map(np.float64, bv(P.copy(), f.copy()))
        # The predictions averaged over the points first: one "point", whose
        # squared bias is the square of the mean difference.
        swapped = bv(np.sum(P, axis=1, keepdims=True) / case.M, np.array([np.sum(f) / case.M]))
        ref[p + "cf_swapped/bias2"] = np.float64(swapped[0])
        # The refits as points: the variance over the points of each refit.
        ref[p + "cf_points/variance"] = np.float64(bv(P.T.copy(), np.zeros(case.B))[1])
        # Every prediction pooled as refits of one point.
        ref[p + "cf_pooled/variance"] = np.float64(bv(P.reshape(-1, 1), np.zeros(1))[1])
    return ref


# ------------------------------------------------------------------- helpers

_name = _core.named


def _grade(g, fns, *, cases, reference):
    CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


def _quiet_call(fn, *args, **kwargs):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def _log_multinomial(n, parts):
    return math.lgamma(n + 1) - sum(math.lgamma(m + 1) for m in parts)


# ----------------------------------------------------------------- k-fold

def _kfold_label(case):
    strat = (f", stratified by y with class counts {tuple(case.counts)}"
             if case.counts is not None else "")
    return f"test case '{case.name}' (N={case.N}, k={case.k}{strat})"


def _index_array(a, name, what, N, label):
    if isinstance(a, np.ndarray) and a.dtype == bool:
        fail(name, f"{what} is a boolean mask on {label}",
             "hint: return integer indices (np.flatnonzero(mask) turns a mask into them)")
    if not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype.kind not in "iu":
        got = (f"an array of shape {a.shape} and dtype {a.dtype}" if isinstance(a, np.ndarray)
               else type(a).__name__)
        fail(name, f"{what} should be a 1-D numpy array of integer indices, got {got} on "
                   f"{label}")
    if a.size and (a.min() < 0 or a.max() >= N):
        bad = int(a[(a < 0) | (a >= N)][0])
        fail(name, f"{what} holds the index {bad}, outside 0..{N - 1} on {label}")
    return a


def _folds(result, name, k, N, label):
    """The student's folds as a list of (train, val) integer arrays."""
    if not isinstance(result, (list, tuple)):
        try:
            result = list(result)
        except TypeError:
            fail(name, f"should return a list of k = {k} pairs (train_idx, val_idx), got "
                       f"{type(result).__name__} on {label}")
    if len(result) != k:
        fail(name, f"returned {len(result)} folds, expected k = {k} on {label}")
    folds = []
    for i, pair in enumerate(result):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            fail(name, f"fold {i} should be a pair (train_idx, val_idx), got "
                       f"{type(pair).__name__} on {label}")
        folds.append((_index_array(pair[0], name, f"train_idx of fold {i}", N, label),
                      _index_array(pair[1], name, f"val_idx of fold {i}", N, label)))
    return folds


def _check_cover(name, folds, N, k, label):
    """Every example in exactly one validation fold."""
    times = np.bincount(np.concatenate([v for _, v in folds]), minlength=N)
    if np.any(times > 1):
        j = int(np.flatnonzero(times > 1)[0])
        where = [i for i, (_, v) in enumerate(folds) if np.any(v == j)]
        dup = [i for i, (_, v) in enumerate(folds) if len(np.unique(v)) < len(v)]
        fail(name, f"the validation folds overlap on {label}",
             f"example {j} is in the validation folds {where}" if len(where) > 1 else
             f"example {j} appears twice in validation fold {where[0]}",
             f"{int(np.sum(times > 1))} of {N} examples are validated more than once"
             + (f"; fold {dup[0]} repeats indices" if dup else ""),
             "hint: split ONE shuffled order of the N indices into k disjoint pieces; folds "
             "drawn one by one, or slices that step by less than their length, overlap")
    if np.any(times == 0):
        missing = np.flatnonzero(times == 0)
        sizes = [len(v) for _, v in folds]
        hint = ("hint: every fold has N // k examples, so the N % k = "
                f"{N % k} left over are in no validation fold; give the first N % k folds "
                "one example more (np.array_split does)" if N % k and set(sizes) == {N // k}
                else "hint: the validation folds together must hold every example once")
        fail(name, f"{len(missing)} of {N} examples are in no validation fold on {label}",
             f"e.g. example {int(missing[0])}", hint)


def _check_sizes(name, folds, want, label, stratified):
    sizes = np.array([len(v) for _, v in folds])
    if np.array_equal(np.sort(sizes), want):
        return
    hint = ("hint: balanced classes are not enough: when each class's left-over examples "
            "go to the first folds, the first folds grow; continue with the next fold where "
            "the previous class stopped" if stratified else
            "hint: fold sizes must differ by at most 1")
    fail(name, f"the validation folds have sizes {sizes.tolist()} on {label}",
         f"expected sizes differing by at most 1: {sorted(want.tolist())} in some order", hint)


def _check_train(name, folds, N, label):
    for i, (train, val) in enumerate(folds):
        inside = np.intersect1d(train, val)
        if inside.size:
            fail(name, f"the training index of fold {i} contains {inside.size} example(s) of "
                       f"its own validation fold on {label}",
                 f"e.g. example {int(inside[0])}",
                 "hint: a model must never be trained on the examples it is scored on: "
                 "the training index of fold i is every example outside validation fold i")
        if len(np.unique(train)) != len(train):
            fail(name, f"the training index of fold {i} repeats examples on {label}")
        if len(train) + len(val) != N:
            fail(name, f"the training index of fold {i} has {len(train)} examples, expected "
                       f"N - {len(val)} = {N - len(val)} on {label}",
                 "hint: the training index of fold i is every example outside validation "
                 "fold i (the other k - 1 folds together)")


def _check_strata(name, folds, y, label):
    classes = np.unique(y)
    counts = np.array([[np.sum(y[v] == c) for v in (v for _, v in folds)] for c in classes])
    spread = counts.max(axis=1) - counts.min(axis=1)
    if np.all(spread <= 1):
        return
    c = int(np.argmax(spread))
    fail(name, f"the folds are not stratified on {label}",
         f"class {classes[c]} ({int(counts[c].sum())} examples) has between "
         f"{int(counts[c].min())} and {int(counts[c].max())} examples in the validation "
         f"folds (per fold: {counts[c].tolist()}); stratified folds differ by at most 1",
         "hint: with y given, spread every class's examples over the folds as evenly as "
         "possible (shuffle, group the shuffled indices by class, then hand them to the "
         "folds in turn); y is an argument, not to be ignored")


def _same_folds(a, b):
    return all(np.array_equal(ta, tb) and np.array_equal(va, vb)
               for (ta, va), (tb, vb) in zip(a, b))


def _log_coincidence(folds, y, N):
    """log of the largest probability that two shuffled draws give these folds."""
    if y is None:
        return -_log_multinomial(N, [len(v) for _, v in folds])
    return -sum(_log_multinomial(int(np.sum(y == c)), [int(np.sum(y[v] == c))
                                                       for _, v in folds])
                for c in np.unique(y))


def _contiguous(v):
    return v.size and int(v.max()) - int(v.min()) + 1 == v.size == len(np.unique(v))


def _check_shuffled(kfold, name, folds, *, case, y, label):
    """Same seed, same folds; another seed, other folds; not consecutive blocks."""
    kw = {"y": y.copy()} if y is not None else {}
    again = _folds(call(kfold, name, case.N, case.k, np.random.default_rng(case.seed + 1),
                        **kw), name, case.k, case.N, label)
    if not _same_folds(again, folds):
        fail(name, f"two calls with generators of the same seed give different folds on "
                   f"{label}",
             "hint: shuffle with the rng you are given only (rng.permutation(N), ...): "
             "np.random's global functions or a generator of your own are not "
             "reproducible from it")
    m = min(len(v) for _, v in folds)
    if ((case.N - m + 1) / math.comb(case.N, m) < SAME
            and all(_contiguous(v) for _, v in folds)):
        fail(name, f"every validation fold is a block of consecutive indices on {label}",
             "hint: the examples are not shuffled: a data set is often sorted (by class, by "
             "date, ...), so shuffle the indices with rng before splitting them")
    if _log_coincidence(folds, y, case.N) > math.log(SAME):
        return 1
    other = _folds(call(kfold, name, case.N, case.k, np.random.default_rng(case.seed + 2),
                        **kw), name, case.k, case.N, label)
    if _same_folds(other, folds):
        fail(name, f"generators of two different seeds give the same folds on {label}",
             "hint: the folds do not depend on rng: shuffle the indices with the rng you "
             "are given (not with np.random.default_rng(0) of your own, not at all)")
    return 2


def _check_bad_k(kfold, name):
    _core.expect_value_error(
        name, [(f"kfold_indices({N}, {k}, rng)",
                lambda N=N, k=k: _quiet_call(kfold, N, k, np.random.default_rng(0)))
               for N, k in ((6, 1), (6, 7))],
        "k-fold needs 2 <= k <= N (k = 1 leaves nothing to train on, k > N gives empty "
        "folds)")


def check_kfold_indices(kfold_indices, *, cases="visible", reference):
    """Check ``kfold_indices(N, k, rng, y=None) -> list of (train_idx, val_idx)``.

    Parameters
    ----------
    kfold_indices : callable
    cases : {"visible", "hidden"} or list of KFoldCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(kfold_indices, "kfold_indices")
    cases, label_set = _cases("kfold_indices", cases, reference)
    count = 0
    for case in cases:
        p = f"kfold_indices/{case.name}/"
        inputs = case_inputs(reference, "kfold_indices", case.name)
        y = inputs.get("in_y")
        label = _kfold_label(case)
        given = {"y": y.copy()} if y is not None else {}
        with inputs_kept(name, given, who="kfold_indices", where=label):
            folds = _folds(call(kfold_indices, name, case.N, case.k,
                                np.random.default_rng(case.seed + 1), **given),
                           name, case.k, case.N, label)
        _check_cover(name, folds, case.N, case.k, label)
        _check_train(name, folds, case.N, label)
        if y is not None:
            _check_strata(name, folds, y, label)
        _check_sizes(name, folds, reference[p + "val_sizes"], label, y is not None)
        count += 5 + _check_shuffled(kfold_indices, name, folds, case=case, y=y, label=label)
    _check_bad_k(kfold_indices, name)
    passed(name, count + 2, f" ({label_set} cases)")


# ----------------------------------------------------------- cross-validation

def _by_first_feature(X, y):
    order = np.argsort(X[:, 0], kind="stable")
    return X[order], y[order]


def _cv_label(case, N, D, k):
    what = "splits that leave some examples out" if case.holdout else "folds"
    return f"test case '{case.name}' (X ({N}, {D}), {k} {what})"


def _recorded(name, got, i, label):
    """The four arrays of one recorded call, each a numeric array."""
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        fail(name, f"call {i} of fit_and_score was not recorded on {label}")
    for key, a in zip(CV_ARGS, got):
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
            fail(name, f"call {i} of fit_and_score received {key} that is not an array of "
                       f"numbers ({getattr(a, 'dtype', type(a).__name__)}) on {label}",
                 "hint: pass the rows of X and y, e.g. X[train_idx] - mean")
    return tuple(got)


def _gaps(X):
    """The gaps between the sorted first features of some rows: the same
    whatever mean was subtracted from them."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 1:
        return None
    return np.diff(np.sort(X[:, 0]))


def _fold_of_calls(name, calls, folds, X, label):
    """The fold each call of fit_and_score is for: the one whose validation
    rows (or, for folds of one example, training rows) it received, as a
    loop may visit the folds in any order; else the fold of its position."""
    found = []
    for i, got in enumerate(calls):
        match = []
        for which in (2, 0):
            sig = _gaps(got[which])
            match = [j for j, (t, v) in enumerate(folds)
                     if sig is not None and sig.size
                     and sig.shape == (len((t, v)[which // 2]) - 1,)
                     and np.allclose(sig, np.diff(np.sort(X[(t, v)[which // 2], 0])),
                                     rtol=1e-9, atol=1e-9)]
            if len(match) == 1:
                break
        found.append(match[0] if len(match) == 1 else i)
    if len(set(found)) < len(found):
        j = next(j for j in found if found.count(j) > 1)
        fail(name, f"fit_and_score received the rows of fold {j} in two calls on {label}",
             "hint: call it once per (train_idx, val_idx) pair")
    return found


def _check_call_shapes(name, got, want, *, i, N, holdout, label):
    for j, key in enumerate(CV_ARGS):
        a, w = got[j], want[j]
        if a.shape == w.shape:
            continue
        rows = a.shape[0] if a.ndim else None
        hint = ""
        if key.endswith("train") and rows == want[2].shape[0] != w.shape[0]:
            hint = ("fit_and_score is trained on the validation fold: X_train and y_train "
                    "are the rows of train_idx")
        elif key.endswith("train") and rows == N:
            hint = ("fit_and_score is trained on all of X, the validation fold included: "
                    "X_train and y_train are the rows of train_idx only")
        elif key.endswith("train") and holdout and rows == N - want[2].shape[0]:
            hint = ("the training rows are every example outside the validation fold: use "
                    "the train_idx you are given (these splits leave some examples out)")
        elif a.shape in (want[(j + 1) % 4].shape, want[(j + 2) % 4].shape):
            hint = ("the arguments are in the wrong order: call "
                    "fit_and_score(X_train, y_train, X_val, y_val)")
        fail(name, f"in the call of fit_and_score for fold {i}, {key} has shape {a.shape}, "
                   f"expected {w.shape} on {label}", "hint: " + hint if hint else "")


def _check_call_values(name, got, ref, p, *, X, y, folds, i, label):
    train, val = folds[i]
    parts = {"train": (got[0], got[1], X[train], y[train]),
             "val": (got[2], got[3], X[val], y[val])}
    for split, (Xg, yg, X_raw, y_raw) in parts.items():
        want_X, want_y = _by_first_feature(ref[p + f"{i}/X_{split}"], ref[p + f"{i}/y_{split}"])
        Xs, ys = _by_first_feature(np.asarray(Xg, dtype=np.float64), yg)
        if not close(Xs, want_X, **CV_TOL):
            raw = _by_first_feature(X_raw, y_raw)[0]
            hints = [(raw, f"X_{split} is not centred: subtract the TRAINING fold's mean "
                           "example (the mean over its rows) from X_train and from X_val"),
                     (_by_first_feature(ref[p + f"cf_all/{i}/X_{split}"], y_raw)[0],
                      f"X_{split} is centred with the mean of ALL of X: the validation fold "
                      "leaks into the preprocessing; take the mean over the training fold's "
                      "rows only and subtract it from both")]
            if split == "val":
                hints.append((_by_first_feature(ref[p + f"cf_own/{i}/X_val"], y_raw)[0],
                              "X_val is centred with its own mean: subtract the training "
                              "fold's mean (the validation fold plays unseen data, whose "
                              "statistics are not known when the model is fitted)"))
            hint = first_hint(Xs, [(v, m) for v, m in hints if not close(v, want_X, **CV_TOL)],
                              **CV_TOL)
            j, g, e = worst_index(Xs, want_X)
            fail(name, f"X_{split} passed to fit_and_score for fold {i} is wrong on {label}",
                 f"largest difference at row {j[0]}, feature {j[1]} (rows sorted by their "
                 f"first feature): yours {g:.8g}, expected {e:.8g}",
                 "hint: " + hint if hint else "")
        if not np.array_equal(ys, want_y):
            fail(name, f"y_{split} passed to fit_and_score for fold {i} does not match the "
                       f"rows of X_{split} on {label}",
                 f"hint: take y_{split} from y with the same index as X_{split}")


def check_cross_validate(cross_validate, *, cases="visible", reference):
    """Check ``cross_validate(fit_and_score, X, y, folds) -> ndarray (k,)``.

    The check passes a ``fit_and_score`` of its own that records the arrays
    of every call.

    Parameters
    ----------
    cross_validate : callable
    cases : {"visible", "hidden"} or list of CVCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(cross_validate, "cross_validate")
    cases, label_set = _cases("cross_validate", cases, reference)
    count = 0
    for case in cases:
        p = f"cross_validate/{case.name}/"
        inputs = case_inputs(reference, "cross_validate", case.name)
        X, y = inputs["in_X"], inputs["in_y"]
        folds = _folds_of(inputs)
        k = len(folds)
        label = _cv_label(case, *X.shape, k)
        given = {"X": X.copy(), "y": y.copy()}
        for i, (t, v) in enumerate(folds):
            given[f"folds[{i}][0]"], given[f"folds[{i}][1]"] = t.copy(), v.copy()
        rec = _Recorder()
        with inputs_kept(name, given, who="cross_validate", where=label):
            result = call(cross_validate, name, rec, given["X"], given["y"],
                          [(given[f"folds[{i}][0]"], given[f"folds[{i}][1]"])
                           for i in range(k)])
            if len(rec.calls) != k:
                fail(name, f"fit_and_score was called {len(rec.calls)} time(s) for {k} folds "
                           f"on {label}", "hint: call it once per fold, in the loop over "
                                          "the (train_idx, val_idx) pairs")
            calls = [_recorded(name, got, i, label) for i, got in enumerate(rec.calls)]
            for i, got in zip(_fold_of_calls(name, calls, folds, X, label), calls):
                want = [reference[p + f"{i}/{key}"] for key in CV_ARGS]
                _check_call_shapes(name, got, want, i=i, N=X.shape[0], holdout=case.holdout,
                                   label=label)
                _check_call_values(name, got, reference, p, X=X, y=y, folds=folds, i=i,
                                   label=label)
                count += 6
            if isinstance(result, list):
                fail(name, f"should return a numpy array of the {k} scores, got a list on "
                           f"{label}", "hint: np.array(scores)")
            scores = array(result, (k,), name, "the scores")
            want = reference[p + "scores"]
            if not close(scores, want, rtol=1e-9, atol=1e-12):
                hint = ("the scores are in reverse order" if close(scores[::-1], want, 1e-9,
                                                                   1e-12) else
                        "return what fit_and_score returned for each fold, in the order "
                        "of the folds")
                j, g, e = worst_index(scores, want)
                fail(name, f"the scores are wrong on {label}",
                     f"score of fold {j[0]}: yours {g:.8g}, fit_and_score returned {e:.8g}",
                     "hint: " + hint)
            count += 2
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------------ bootstrap

def _bootstrap_draw(fn, name, N, seed, label):
    out = call(fn, name, N, np.random.default_rng(seed))
    out = array(out, (N,), name, "the indices")
    if out.dtype.kind not in "iu":
        fail(name, f"the indices have dtype {out.dtype}, expected integers on {label}",
             "hint: indices are integers: rng.integers draws them" if out.dtype.kind == "f"
             else "")
    if out.min() < 0 or out.max() >= N:
        hint = ("the indices run from 1 to N: numpy counts from 0 (the upper bound of "
                "rng.integers is excluded)" if out.min() >= 1 and out.max() == N else "")
        fail(name, f"an index is outside 0..{N - 1} on {label}",
             f"smallest {int(out.min())}, largest {int(out.max())}",
             "hint: " + hint if hint else "")
    return out


def _without_replacement(name, label):
    fail(name, f"the N indices are all different: a permutation, drawn without replacement "
               f"on {label}",
         "hint: a bootstrap sample draws N times WITH replacement, so that some examples "
         "come several times and about 37% not at all (rng.permutation and "
         "rng.choice(..., replace=False) draw without)")


def _check_bootstrap_case(fn, name, case, label):
    N = case.N
    out = _bootstrap_draw(fn, name, N, case.seed + 1, label)
    again = _bootstrap_draw(fn, name, N, case.seed + 1, label)
    if not np.array_equal(out, again):
        fail(name, f"two calls with generators of the same seed give different indices on "
                   f"{label}",
             "hint: draw from the rng you are given only: np.random's global functions or a "
             "generator of your own are not reproducible from it")
    count = 4
    if N * math.log(N) > -math.log(SAME):
        other = _bootstrap_draw(fn, name, N, case.seed + 2, label)
        if np.array_equal(out, other):
            fail(name, f"generators of two different seeds give the same indices on {label}",
                 "hint: the indices do not depend on rng: draw them from the rng you are "
                 "given")
        count += 1
    distinct = len(np.unique(out))
    # P(a right draw is a permutation) = N! / N ** N.
    if distinct == N and math.lgamma(N + 1) - N * math.log(N) < math.log(DELTA):
        _without_replacement(name, label)
    expected = N * (1 - (1 - 1 / N) ** N)
    t = math.sqrt(N * math.log(2 / DELTA) / 2)
    if t < 0.1 * N:
        if abs(distinct - expected) >= t:
            if distinct == N:
                _without_replacement(name, label)
            fail(name, f"{distinct} of the N = {N} indices are distinct on {label}, expected "
                       f"{expected:.0f} within {t:.0f}",
                 f"a uniform draw with replacement is this far off with probability below "
                 f"{DELTA:g}",
                 "hint: draw each of the N indices uniformly from 0..N-1, independently")
        count += 1
    if case.repeats:
        pooled = np.concatenate([_bootstrap_draw(fn, name, N, case.seed + 100 + r, label)
                                 for r in range(case.repeats)])
        if N > 1 and np.all(pooled.reshape(case.repeats, N) == out):
            fail(name, f"{case.repeats} generators of different seeds give the same "
                       f"indices on {label}",
                 "hint: the indices do not depend on rng: draw them from the rng you are "
                 "given")
        freq = np.bincount(pooled, minlength=N) / pooled.size
        t = math.sqrt(math.log(2 * N / DELTA) / (2 * pooled.size))
        j = int(np.argmax(np.abs(freq - 1 / N)))
        if abs(freq[j] - 1 / N) >= t:
            hint = ("the last index N - 1 is never drawn: the upper bound of rng.integers "
                    "is excluded, so rng.integers(0, N) draws 0..N-1"
                    if freq[N - 1] == 0 else "every index must be equally likely")
            fail(name, f"index {j} has frequency {freq[j]:.4f} over {case.repeats} calls on "
                       f"{label}, expected 1/N = {1 / N:.4f} within {t:.4f}",
                 f"a uniform draw is this far off with probability below {DELTA:g}",
                 "hint: " + hint)
        count += 1
    return count


def check_bootstrap_indices(bootstrap_indices, *, cases="visible", reference):
    """Check ``bootstrap_indices(N, rng) -> int ndarray (N,)``.

    Parameters
    ----------
    bootstrap_indices : callable
    cases : {"visible", "hidden"} or list of BootstrapCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(bootstrap_indices, "bootstrap_indices")
    cases, label_set = _cases("bootstrap_indices", cases, reference)
    count = 0
    for case in cases:
        N = int(reference[f"bootstrap_indices/{case.name}/in_N"])
        label = (f"test case '{case.name}' (N={N}"
                 + (f", {case.repeats} calls pooled" if case.repeats else "") + ")")
        count += _check_bootstrap_case(bootstrap_indices, name, case, label)
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------- bias-variance

def check_bias_variance(bias_variance, *, cases="visible", reference):
    """Check ``bias_variance(predictions, f_true) -> (bias2, variance)``.

    Parameters
    ----------
    bias_variance : callable
    cases : {"visible", "hidden"} or list of BiasVarianceCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(bias_variance, "bias_variance")
    cases, label_set = _cases("bias_variance", cases, reference)
    count = 0
    for case in cases:
        p = f"bias_variance/{case.name}/"
        inputs = case_inputs(reference, "bias_variance", case.name)
        P, f = inputs["in_predictions"], inputs["in_f_true"]
        B, M = P.shape
        label = f"test case '{case.name}' (predictions ({B}, {M}): {B} refits, {M} points)"
        given = {"predictions": P.copy(), "f_true": f.copy()}
        with inputs_kept(name, given, who="bias_variance", where=label):
            result = call(bias_variance, name, given["predictions"], given["f_true"])
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                fail(name, f"should return a tuple (bias2, variance), got "
                           f"{type(result).__name__} on {label}")
            bias2 = scalar(result[0], name, "bias2")
            variance = scalar(result[1], name, "variance")
            want_b, want_v = float(reference[p + "bias2"]), float(reference[p + "variance"])
            swapped = float(reference[p + "cf_swapped/bias2"])
            _expect(name, "bias2", bias2, want_b, label=label, hints=[
                (abs(bias2), math.sqrt(swapped),
                 "the bias is not squared: square the difference between the mean "
                 "prediction and f_true at each point, then average over the points"),
                (bias2, swapped,
                 "this is the square of the mean difference: average over the refits, "
                 "square the difference at each point, THEN average the squares over the "
                 "points (the mean of squares is not the square of the mean)"),
                (bias2, want_v,
                 "this is the variance: the two values are swapped, return (bias2, "
                 "variance)" if close(variance, want_b, rtol=BV_RTOL, atol=1e-14) else ""),
                (bias2, want_b + want_v,
                 "this is the mean squared error of the refits (bias^2 + variance): average "
                 "the predictions over the refits first, then compare that mean with f_true")])
            _expect(name, "variance", variance, want_v, label=label, hints=[
                (variance, want_v * B / (B - 1),
                 f"the variance divides by B - 1 = {B - 1} (ddof=1): the decomposition "
                 "E[(y - f_D)^2] = sigma^2 + bias^2 + variance is exact with the mean over "
                 "the B refits (1/B, np.var's default ddof=0)"),
                (variance, float(reference[p + "cf_points/variance"]),
                 "this is the variance over the points of each refit: the variance is the "
                 "spread of the predictions at one point over the refits (axis 0), then "
                 "averaged over the points"),
                (variance, float(reference[p + "cf_pooled/variance"]),
                 "this is the variance of all predictions pooled: it mixes in how the "
                 "function varies over x; take the variance over the refits at each point "
                 "(axis 0), then average over the points")])
            count += 4
    passed(name, count, f" ({label_set} cases)")


def _expect(name, what, value, expected, *, label, hints):
    tol = dict(rtol=BV_RTOL, atol=1e-14)
    if close(value, expected, **tol):
        return
    hint = next((m for v, c, m in hints if m and math.isfinite(c)
                 and not close(c, expected, **tol) and close(v, c, **tol)), "")
    fail(name, f"{what} is wrong on {label}", f"expected {expected:.10g}, got {value:.10g}",
         "hint: " + hint if hint else "")


CHECKS = {"kfold_indices": check_kfold_indices, "cross_validate": check_cross_validate,
          "bootstrap_indices": check_bootstrap_indices, "bias_variance": check_bias_variance}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, run=_grade) for kind in KINDS]

# Trusted helpers the checks hand to student code (the assignment's contract
# lists them, so that the integrity worker builds them in its own process).
HELPERS = {"CVRecorder": _Recorder}


# ------------------------------------------------------------ for the grader

def _counts(rng, N, C, k):
    """C positive class counts summing to N, at least two of them not
    divisible by k (so that unbalanced fold sizes show)."""
    while True:
        cut = np.sort(rng.choice(np.arange(1, N), size=C - 1, replace=False))
        counts = np.diff(np.concatenate([[0], cut, [N]]))
        if np.sum(counts % k != 0) >= 2:
            return tuple(int(c) for c in counts)


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases.

    The stratified case has at least 800 examples in at least 5 classes, so
    that folds that ignore y fail it with certainty.
    """
    def seed():
        return int(rng.integers(2**31 - 200))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    N, k, C = n(800, 1200), n(5, 10), n(5, 9)
    small = n(3, 9)
    cases = {"kfold_indices": [
        KFoldCase("unseen", seed(), N=n(50, 400), k=n(2, 10)),
        KFoldCase("unseen_stratified", seed(), N=N, k=k, counts=_counts(rng, N, C, k)),
        KFoldCase("unseen_leave_one_out", seed(), N=small, k=small)]}
    cases["cross_validate"] = [
        CVCase("unseen", seed(), N=n(10, 60), D=n(1, 8), k=n(2, 6), C=n(2, 5)),
        CVCase("unseen_holdout", seed(), N=n(12, 60), D=n(2, 8), k=n(3, 6), holdout=True)]
    cases["bootstrap_indices"] = [
        BootstrapCase("unseen_large", seed(), N=n(20000, 40000)),
        BootstrapCase("unseen_small", seed(), N=n(3, 9), repeats=600),
        BootstrapCase("unseen_medium", seed(), N=n(40, 300))]
    cases["bias_variance"] = [
        BiasVarianceCase("unseen", seed(), B=n(2, 60), M=n(2, 40)),
        BiasVarianceCase("unseen_wide", seed(), B=n(20, 100), M=n(50, 200))]
    return cases
