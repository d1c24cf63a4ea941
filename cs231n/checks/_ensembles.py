"""Part of Assignment 5's checks: ensembles (``ensembles.ipynb``).

Graded functions and their contract:

- ``bagging(fit, X, y, n_models, rng) -> list``: ``n_models`` models, the
  i-th ``fit(X[idx], y[idx])`` on its own bootstrap sample ``idx``: N
  indices drawn uniformly with replacement from ``rng`` (the rows of X and
  their labels stay together).  X (N, ...) and y (N,) are not modified.
  ``n_models < 1`` raises a ValueError.
- ``ensemble_proba(models, predict_proba, X) -> ndarray (N, C)``: the
  ensemble's class probabilities, the mean over the models of
  ``predict_proba(model, X)`` (each (N, C)).

``bagging`` gets a recording ``fit`` (a trusted helper, ``HELPERS``): it
keeps a copy of the rows and labels of every call and returns the number
of the call as the "model".  Right answers draw different samples from the
same generator (``rng.integers``, ``rng.choice(N, N)``, ...), so the
samples are checked by structure and statistics, not against the
solution's draw:

- ``fit`` is called the solution's number of times (stored) and the list
  holds what it returned, in the order of the calls;
- every call gets N rows of X with their own labels: the rows are matched
  with X by their first feature (the cases' first feature has distinct
  values), and each row must equal that row of X and its label that row's
  label (X and y indexed by two separate draws pass a case only when every
  label agrees by chance: on the large cases never in practice);
- the same seed repeats every sample, another seed changes them (where two
  right draws coincide with probability ``(N! / N ** N) ** n_models``
  below ``SAME``: two samples coincide as multisets with probability at
  most ``N! / N ** N``); all samples identical, row for row (one bootstrap
  sample drawn before the loop), fail where a right answer's coincide with
  probability ``N ** (-N (n_models - 1))`` below ``SAME``;
- a sample of N distinct rows (a permutation: without replacement) fails
  where a right sample is one with probability ``N! / N ** N < DELTA``;
  pooled over the ``n_models`` samples (``n_models * N`` independent
  draws, each moving the count by at most 1) the number of distinct rows
  per sample is within McDiarmid's ``t = sqrt(n_models N ln(2 / DELTA) / 2)``
  of its expectation ``n_models N (1 - (1 - 1 / N) ** N)`` (where
  ``t < 0.1 n_models N``); on cases of many models, every row's frequency
  is within Hoeffding's ``sqrt(ln(2 N / DELTA) / (2 n))`` of ``1 / N``
  (``n`` draws, union bound over the N rows), so a row never drawn fails.
  With ``DELTA = 1e-10`` per statistic, a right answer fails a run of the
  checks with probability below 1e-8.
- ``n_models = 0`` must raise a ValueError; X and y must be kept.

``ensemble_proba`` gets models (weight arrays) and a trusted
``predict_proba`` (a softmax of an affine map, ``HELPERS``); its output is
compared with the solution's (``rtol=1e-10``).  Hints: the last model only
(the solution on the last model, stored), the mean over the examples or the
classes (the shape), the sum, the product or the geometric mean of the
models' probabilities and the fraction of votes of their predicted labels
(wrong formulas: a different ensemble).
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (call, case_inputs, close, fail, inputs_kept, passed, reference_dict,
                    typed_cases, worst_index)

__all__ = ["check_bagging", "check_ensemble_proba"]

NOTEBOOK = "ensembles.ipynb"
KINDS = ("bagging", "ensemble_proba")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}

DELTA = 1e-10        # a right answer's failure probability, per statistic
SAME = 1e-12         # seeds and samples are compared only where coincidence is this unlikely
PROBA_TOL = dict(rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class BagCase:
    """``bagging(fit, X, y, n_models, rng)`` on X of shape ``(N, *shape)``
    and labels of ``C`` classes; the generators are seeded ``seed + 1``
    (twice) and ``seed + 2``."""
    name: str
    seed: int
    N: int
    n_models: int
    shape: tuple = (3,)
    C: int = 4

    def __post_init__(self):
        if self.N < 1 or self.n_models < 1 or self.C < 2 or not self.shape \
                or min(self.shape) < 1:
            raise ValueError(f"BagCase {self.name!r}: need N >= 1, n_models >= 1, C >= 2 and "
                             f"a non-empty shape of positive sizes (N={self.N}, "
                             f"n_models={self.n_models}, C={self.C}, shape={self.shape})")


@dataclass(frozen=True)
class ProbaCase:
    """``ensemble_proba`` of ``B`` models of C classes on X (N, D)."""
    name: str
    seed: int
    B: int
    N: int
    C: int = 3
    D: int = 4

    def __post_init__(self):
        if self.B < 1 or self.N < 1 or self.C < 2 or self.D < 1 or self.B == self.N:
            raise ValueError(f"ProbaCase {self.name!r}: need B >= 1, N >= 1, C >= 2, D >= 1 "
                             f"and B != N (so that the axes differ), got B={self.B}, "
                             f"N={self.N}, C={self.C}, D={self.D}")


CASES = {
    "bagging": {
        "visible": [BagCase("small", 5000, N=8, n_models=3),
                    BagCase("many_models", 5001, N=6, n_models=400, C=3),
                    BagCase("large", 5002, N=1000, n_models=5, shape=(5,), C=10)],
        "hidden": [BagCase("one_model", 5010, N=40, n_models=1),
                   BagCase("images", 5011, N=50, n_models=4, shape=(2, 3)),
                   BagCase("two_rows", 5012, N=2, n_models=300, C=2),
                   BagCase("larger", 5013, N=3000, n_models=3, shape=(2,), C=7)],
    },
    "ensemble_proba": {
        "visible": [ProbaCase("small", 6000, B=3, N=5),
                    ProbaCase("many_models", 6001, B=12, N=20, C=5, D=6)],
        "hidden": [ProbaCase("one_model", 6010, B=1, N=4, C=2),
                   ProbaCase("two_models", 6011, B=2, N=30, C=10),
                   ProbaCase("one_example", 6012, B=5, N=1, C=4, D=2)],
    },
}
CASE_TYPES = {"bagging": BagCase, "ensemble_proba": ProbaCase}


def _cases(kind, cases, reference):
    reference_dict(reference)
    return typed_cases(CASES[kind], cases, CASE_TYPES[kind], kind)


# ----------------------------------------------------------- inputs from seeds

def _bag_data(case):
    """X (N, *shape) whose first feature has distinct values (the checks
    match rows by it), and labels of C classes."""
    rng = np.random.default_rng(case.seed)
    X = rng.standard_normal((case.N, *case.shape))
    flat = X.reshape(case.N, -1)
    flat[:, 0] = rng.permutation(case.N) + 0.25 * rng.random(case.N)
    y = rng.integers(0, case.C, size=case.N)
    return X, y


def _proba_inputs(case):
    """The models (each a weight array (D + 1, C), the last row the biases,
    at its own temperature) and X (N, D)."""
    rng = np.random.default_rng(case.seed)
    X = rng.standard_normal((case.N, case.D))
    scale = rng.uniform(0.3, 2.0, size=(case.B, 1, 1))
    W = scale * rng.standard_normal((case.B, case.D + 1, case.C))
    return {"in_X": X, "in_W": W}


# ----------------------------------------------------------- trusted helpers

class _BagRecorder:
    """A ``fit(X, y)`` that keeps a copy of the rows and labels of every call
    and returns the number of the call (the "model").

    A trusted helper (``HELPERS``): in the grader's integrity pass it runs
    beside the student's code, and its ``calls`` come back to the check.
    """

    def __init__(self):
        self.calls = []

    def __call__(self, X, y):
        self.calls.append((np.array(X, copy=True), np.array(y, copy=True)))
        return len(self.calls) - 1


class _PredictProba:
    """``predict_proba(model, X) -> (N, C)``: the softmax of ``X @ W[:-1] +
    W[-1]`` for a model ``W`` of shape (D + 1, C).  A trusted helper."""

    def __call__(self, model, X):
        W = np.asarray(model, dtype=np.float64)
        scores = np.asarray(X, dtype=np.float64) @ W[:-1] + W[-1]
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ reference

def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<kind>/<case>/in_*``),
    the solution's outputs (the number of calls of ``fit`` and the rows each
    call received; the ensemble's probabilities) and a counterfactual
    (``cf_last``: the solution on the last model only, for a hint).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    bag = solutions.get("bagging")
    for case in cases.get("bagging", ()) if bag else ():
        X, y = _bag_data(case)
        p = f"bagging/{case.name}/"
        ref[p + "in_X"], ref[p + "in_y"] = X, y
        ref[p + "in_n_models"] = np.int64(case.n_models)
        rec = _BagRecorder()
        bag(rec, X.copy(), y.copy(), case.n_models, np.random.default_rng(case.seed + 1))
        ref[p + "calls"] = np.int64(len(rec.calls))
        ref[p + "rows"] = np.array([len(c[1]) for c in rec.calls], dtype=np.int64)
    ens = solutions.get("ensemble_proba")
    for case in cases.get("ensemble_proba", ()) if ens else ():
        inputs = _proba_inputs(case)
        p = f"ensemble_proba/{case.name}/"
        ref.update({p + key: v for key, v in inputs.items()})
        X, W = inputs["in_X"], inputs["in_W"]
        ref[p + "proba"] = np.asarray(ens(list(W.copy()), _PredictProba(), X.copy()),
                                      dtype=np.float64)
        ref[p + "cf_last"] = np.asarray(ens([W[-1].copy()], _PredictProba(), X.copy()),
                                        dtype=np.float64)
    return ref


# ------------------------------------------------------------------- helpers

_name = _core.named


def _grade(g, fns, *, cases, reference):
    CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


def _log_all_distinct(N):
    """log of N! / N ** N: the largest probability of one multiset of a
    bootstrap sample (all rows distinct, in any order)."""
    return math.lgamma(N + 1) - N * math.log(N)


# ------------------------------------------------------------------- bagging

def _bag_label(case, X):
    return (f"test case '{case.name}' (X {X.shape}, n_models={case.n_models})")


def _run_bagging(fn, name, X, y, *, n_models, seed):
    rec = _BagRecorder()
    result = call(fn, name, rec, X, y, n_models, np.random.default_rng(seed))
    return result, rec.calls


def _check_models(name, result, calls, n_models, *, want_calls, label):
    if len(calls) != want_calls:
        hint = ("" if len(calls) != n_models - 1 else
                "one model short: range(n_models) gives n_models models "
                "(range(n_models - 1) or range(1, n_models) one fewer)")
        if len(calls) == 1 and n_models > 1:
            hint = "train one model per bootstrap sample, in a loop of n_models"
        fail(name, f"fit was called {len(calls)} time(s), expected n_models = {want_calls} "
                   f"on {label}", "hint: " + hint if hint else "")
    if not isinstance(result, (list, tuple)):
        fail(name, f"should return a list of the {n_models} models, got "
                   f"{type(result).__name__} on {label}",
             "hint: collect what fit returns in a list, and return the list")
    if len(result) != n_models:
        fail(name, f"returned {len(result)} models, expected n_models = {n_models} on {label}")
    got = [r if isinstance(r, (int, np.integer)) else None for r in result]
    want = list(range(len(calls)))
    if got != want:
        j = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        hint = ("every entry is the model of the same call: append fit's result inside the "
                "loop" if len(set(map(str, got))) == 1 and n_models > 1 else
                "the i-th entry is what the i-th call of fit returned")
        fail(name, f"model {j} of the list is not what fit returned in call {j} on {label}",
             "hint: " + hint)


def _rows_of(name, Xb, yb, X, *, y, i, label):
    """The row of X each row of call i's X is (an int array (N,))."""
    N = X.shape[0]
    if not isinstance(Xb, np.ndarray) or Xb.dtype.kind not in "biuf":
        fail(name, f"call {i} of fit received X that is not an array of numbers on {label}",
             "hint: pass the rows of the bootstrap sample, X[idx]")
    if not isinstance(yb, np.ndarray) or yb.dtype.kind not in "biu":
        fail(name, f"call {i} of fit received y that is not an array of integer labels "
                   f"({getattr(yb, 'dtype', type(yb).__name__)}) on {label}",
             "hint: pass the labels of the same rows, y[idx]")
    if Xb.shape[1:] != X.shape[1:] or yb.shape[1:] != ():
        fail(name, f"call {i} of fit received X of shape {Xb.shape} and y of shape "
                   f"{yb.shape}, expected {X.shape} and {y.shape} on {label}")
    if Xb.shape[0] != N or yb.shape[0] != N:
        hint = ("a bootstrap sample has as many rows as the data, N, drawn WITH "
                "replacement (a subsample of distinct rows is not one)"
                if Xb.shape[0] < N else "draw N indices, one sample of N rows per model")
        fail(name, f"call {i} of fit received {Xb.shape[0]} rows of X and {yb.shape[0]} "
                   f"labels, expected N = {N} of each on {label}", "hint: " + hint)
    key = X.reshape(N, -1)[:, 0]
    order = np.argsort(key)
    flat = Xb.reshape(N, -1)
    pos = np.clip(np.searchsorted(key[order], flat[:, 0]), 0, N - 1)
    idx = order[pos]
    bad = np.flatnonzero(np.any(flat != X.reshape(N, -1)[idx], axis=1))
    if bad.size:
        fail(name, f"row {int(bad[0])} of the X given to fit in call {i} is not a row of X "
                   f"on {label}",
             "hint: pass the rows of X themselves (X[idx]), unchanged")
    wrong = np.flatnonzero(yb != y[idx])
    if wrong.size:
        r = int(wrong[0])
        fail(name, f"the labels given to fit in call {i} do not belong to its rows on "
                   f"{label}",
             f"row {r} is row {int(idx[r])} of X, whose label is {int(y[idx[r]])}; fit got "
             f"{int(yb[r])} ({wrong.size} of {N} labels are not their rows')",
             "hint: index X and y with the SAME indices (one draw per model): rows and their "
             "labels must stay together")
    return idx


def _check_samples(name, samples, N, label):
    """Statistics of the bootstrap samples (each an int array (N,) of rows)."""
    B = len(samples)
    count = 0
    if N > 1 and -(B - 1) * N * math.log(N) < math.log(SAME):
        if all(np.array_equal(s, samples[0]) for s in samples[1:]):
            fail(name, f"every model is trained on the same bootstrap sample on {label}",
                 "hint: draw a new sample for every model, inside the loop: one sample "
                 "drawn before the loop gives n_models copies of one model, and averaging "
                 "them removes no variance")
        count += 1
    distinct = [len(np.unique(s)) for s in samples]
    if N > 1 and any(d == N for d in distinct) and _log_all_distinct(N) < math.log(DELTA):
        _without_replacement(name, label)
    expected = B * N * (1 - (1 - 1 / N) ** N)
    t = math.sqrt(B * N * math.log(2 / DELTA) / 2)
    if t < 0.1 * B * N:
        total = sum(distinct)
        if abs(total - expected) >= t:
            if all(d == N for d in distinct):
                _without_replacement(name, label)
            fail(name, f"the {B} bootstrap samples hold {total / B:.1f} distinct rows on "
                       f"average on {label}, expected {expected / B:.1f} within {t / B:.1f}",
                 f"a uniform draw with replacement is this far off with probability below "
                 f"{DELTA:g}",
                 "hint: draw each of the N indices uniformly from 0..N-1, independently")
        count += 1
    pooled = np.concatenate(samples)
    n = pooled.size
    t = math.sqrt(math.log(2 * N / DELTA) / (2 * n))
    if N > 1 and t < 0.5 / N:
        freq = np.bincount(pooled, minlength=N) / n
        j = int(np.argmax(np.abs(freq - 1 / N)))
        if abs(freq[j] - 1 / N) >= t:
            hint = ("row N - 1 is never drawn: the upper bound of rng.integers is excluded, "
                    "so rng.integers(0, N) draws 0..N-1" if freq[N - 1] == 0 else
                    "every row must be equally likely")
            fail(name, f"row {j} is drawn with frequency {freq[j]:.4f} over the {B} samples "
                       f"on {label}, expected 1/N = {1 / N:.4f} within {t:.4f}",
                 f"a uniform draw is this far off with probability below {DELTA:g}",
                 "hint: " + hint)
        count += 1
    return count


def _without_replacement(name, label):
    fail(name, f"a bootstrap sample holds N distinct rows: a permutation, drawn without "
               f"replacement on {label}",
         "hint: a bootstrap sample draws N times WITH replacement, so that some rows come "
         "several times and about 37% not at all (rng.permutation and "
         "rng.choice(..., replace=False) draw without)")


def _check_bad_n_models(fn, name, X, y):
    _core.expect_value_error(
        name, [(f"bagging(fit, X, y, {n}, rng)",
                lambda n=n: fn(_BagRecorder(), X.copy(), y.copy(), n,
                               np.random.default_rng(0)))
               for n in (0, -1)],
        "an ensemble needs at least one model (n_models >= 1)")


def _check_bagging_case(fn, name, case, reference):
    p = f"bagging/{case.name}/"
    inputs = case_inputs(reference, "bagging", case.name)
    X, y, n_models = inputs["in_X"], inputs["in_y"], int(inputs["in_n_models"])
    N = X.shape[0]
    label = _bag_label(case, X)
    given = {"X": X.copy(), "y": y.copy()}
    with inputs_kept(name, given, who="bagging", where=label):
        result, calls = _run_bagging(fn, name, given["X"], given["y"], n_models=n_models,
                                     seed=case.seed + 1)
        _check_models(name, result, calls, n_models, want_calls=int(reference[p + "calls"]),
                      label=label)
        samples = [_rows_of(name, Xb, yb, X, y=y, i=i, label=label)
                   for i, (Xb, yb) in enumerate(calls)]
        rows = reference[p + "rows"]
        if not np.array_equal([len(s) for s in samples], rows):
            fail(name, f"the samples have {[len(s) for s in samples]} rows, expected "
                       f"{rows.tolist()} on {label}")
        count = 4 + _check_samples(name, samples, N, label)
    _, again = _run_bagging(fn, name, X.copy(), y.copy(), n_models=n_models, seed=case.seed + 1)
    same = (len(again) == len(calls)
            and all(np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1])
                    for a, c in zip(again, calls)))
    if not same:
        fail(name, f"two calls with generators of the same seed give different bootstrap "
                   f"samples on {label}",
             "hint: draw from the rng you are given only: np.random's global functions or a "
             "generator of your own are not reproducible from it")
    count += 1
    if N > 1 and n_models * _log_all_distinct(N) < math.log(SAME):
        _, other = _run_bagging(fn, name, X.copy(), y.copy(), n_models=n_models,
                                seed=case.seed + 2)
        if len(other) == len(calls) and all(
                np.array_equal(np.sort(a[0].reshape(N, -1)[:, 0]),
                               np.sort(c[0].reshape(N, -1)[:, 0]))
                for a, c in zip(other, calls)):
            fail(name, f"generators of two different seeds give the same bootstrap samples "
                       f"on {label}",
                 "hint: the samples do not depend on rng: draw them from the rng you are "
                 "given")
        count += 1
    return count


def check_bagging(bagging, *, cases="visible", reference):
    """Check ``bagging(fit, X, y, n_models, rng) -> list of models``.

    The check passes a ``fit`` of its own that records the rows and labels
    of every call and returns the number of the call.

    Parameters
    ----------
    bagging : callable
    cases : {"visible", "hidden"} or list of BagCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(bagging, "bagging")
    cases, label_set = _cases("bagging", cases, reference)
    count = 0
    for case in cases:
        count += _check_bagging_case(bagging, name, case, reference)
    X, y = _bag_data(BagCase("bad", 5099, N=5, n_models=1))
    _check_bad_n_models(bagging, name, X, y)
    passed(name, count + 2, f" ({label_set} cases)")


# ------------------------------------------------------------- ensemble_proba

def _proba_hints(W, X, want, last):
    """(value, message) of the wrong ensembles a result may match."""
    P = np.array([_PredictProba()(w, X) for w in W])
    B, N, C = P.shape
    votes = np.zeros((N, C))
    for p in P:
        votes[np.arange(N), np.argmax(p, axis=1)] += 1 / B
    majority = np.eye(C)[np.argmax(votes, axis=1)]
    different = ("a different ensemble: this ensemble averages the models' probabilities "
                 "(soft voting), the mean over the models of predict_proba(model, X)")
    with np.errstate(all="ignore"):
        geometric = np.exp(np.mean(np.log(P), axis=0))
        hints = [
            (last, "these are the last model's probabilities only: average over ALL models "
                   "(a variable overwritten in the loop keeps only the last one)"),
            (np.sum(P, axis=0), "this is the sum over the models: divide by the number of "
                                "models to get a mean (each row must sum to 1)"),
            (votes, "these are the fractions of votes for each class (hard voting: the "
                    "models' predicted labels counted), " + different),
            (majority, "this is the one-hot majority vote of the models' labels, " + different),
            (np.prod(P, axis=0), "this is the product of the models' probabilities, "
                                 + different),
            (geometric, "this is the geometric mean of the models' probabilities, "
                        + different),
            (geometric / geometric.sum(axis=1, keepdims=True),
             "this is the normalised geometric mean (a product of experts), " + different),
        ]
    return [(v, m) for v, m in hints if not close(v, want, **PROBA_TOL)]


def check_ensemble_proba(ensemble_proba, *, cases="visible", reference):
    """Check ``ensemble_proba(models, predict_proba, X) -> ndarray (N, C)``.

    The check passes a ``predict_proba`` of its own (a softmax classifier
    whose models are weight arrays).

    Parameters
    ----------
    ensemble_proba : callable
    cases : {"visible", "hidden"} or list of ProbaCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(ensemble_proba, "ensemble_proba")
    cases, label_set = _cases("ensemble_proba", cases, reference)
    count = 0
    for case in cases:
        p = f"ensemble_proba/{case.name}/"
        inputs = case_inputs(reference, "ensemble_proba", case.name)
        X, W = inputs["in_X"], inputs["in_W"]
        B, N, C = W.shape[0], X.shape[0], W.shape[2]
        label = f"test case '{case.name}' ({B} models, X ({N}, {X.shape[1]}), {C} classes)"
        want = reference[p + "proba"]
        given = {"X": X.copy(), **{f"models[{b}]": W[b].copy() for b in range(B)}}
        models = [given[f"models[{b}]"] for b in range(B)]
        with inputs_kept(name, given, who="ensemble_proba", where=label):
            result = call(ensemble_proba, name, models, _PredictProba(), given["X"])
            _check_proba_shape(name, result, B, N, C=C, label=label)
            got = np.asarray(result, dtype=np.float64)
            if not close(got, want, **PROBA_TOL):
                hint = _core.first_hint(got, _proba_hints(W, X, want, reference[p + "cf_last"]),
                                        **PROBA_TOL)
                j, g, e = worst_index(got, want)
                fail(name, f"the ensemble's probabilities are wrong on {label}",
                     f"largest difference at example {j[0]}, class {j[1]}: yours {g:.8g}, "
                     f"expected {e:.8g}", "hint: " + hint if hint else "")
        count += 3
    passed(name, count, f" ({label_set} cases)")


def _check_proba_shape(name, result, B, N, *, C, label):
    if not isinstance(result, np.ndarray):
        fail(name, f"should return a numpy array of shape ({N}, {C}), got "
                   f"{type(result).__name__} on {label}")
    if result.shape == (N, C):
        return
    hint = ""
    if result.shape == (B, C):
        hint = ("the mean is over the examples: stack the models' probabilities into "
                "(n_models, N, C) and average over the models (axis 0)")
    elif result.shape == (B, N):
        hint = ("the mean is over the classes: average over the models (axis 0 of the "
                "stacked (n_models, N, C) probabilities)")
    elif result.shape == (B, N, C):
        hint = "these are the models' probabilities stacked: average them over the models"
    elif result.shape == (N,):
        hint = ("these look like labels: return the ensemble's probabilities of every class "
                "(the labels are their argmax)")
    fail(name, f"the probabilities have shape {result.shape}, expected ({N}, {C}) on {label}",
         "hint: " + hint if hint else "")


CHECKS = {"bagging": check_bagging, "ensemble_proba": check_ensemble_proba}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, run=_grade) for kind in KINDS]

# Trusted helpers the checks hand to student code (the assignment's contract
# lists them, so that the integrity worker builds them in its own process).
HELPERS = {"BagRecorder": _BagRecorder, "PredictProba": _PredictProba}


# ------------------------------------------------------------ for the grader

def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases.

    One bagging case has at least 1000 rows (the count of distinct rows),
    one has at most 9 rows and 600 models or more (every row's frequency).
    """
    def seed():
        return int(rng.integers(2**31 - 200))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    cases = {"bagging": [
        BagCase("unseen_large", seed(), N=n(1000, 3000), n_models=n(3, 6),
                shape=(n(1, 5),), C=n(2, 10)),
        BagCase("unseen_small", seed(), N=n(3, 9), n_models=n(600, 700), C=n(2, 5)),
        BagCase("unseen_images", seed(), N=n(31, 200), n_models=n(2, 8),
                shape=(n(1, 3), n(2, 4)), C=n(2, 10))]}
    B = n(2, 15)
    cases["ensemble_proba"] = [
        ProbaCase("unseen", seed(), B=B, N=B + n(1, 40), C=n(2, 10), D=n(1, 8)),
        ProbaCase("unseen_many", seed(), B=n(20, 40), N=n(1, 15), C=n(2, 6), D=n(1, 5))]
    return cases
