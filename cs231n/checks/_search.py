"""Part of Assignment 5's checks: hyperparameter search (``search.ipynb``).

The graded functions and their contract:

- ``log_uniform(low, high, size, rng) -> ndarray (size,)``: floats whose
  logarithm is uniform on ``[log low, log high)``; ``rng`` a
  ``numpy.random.Generator``, the only source of randomness; ``low <= 0`` or
  ``high <= low`` raise a ValueError naming the argument.
- ``random_configs(space, num_trials, rng) -> list of dict``: ``space`` maps
  each hyperparameter's name to ``("log", low, high)``, ``("linear", low,
  high)`` or ``("choice", options)``; each trial draws every parameter
  independently (log-uniform, uniform, or one of the options, uniformly).
- ``grid_configs(space, num_trials) -> list of dict``: the grid with the same
  budget: ``k`` values per parameter, the largest ``k`` with ``k ** d`` times
  the number of options of every "choice" parameter at most ``num_trials``
  (``d`` the number of "log" and "linear" parameters), log-spaced for "log"
  and evenly spaced for "linear" parameters, both ends included; a "choice"
  parameter takes each of its options; configurations in ``itertools.product``
  order of the space's keys (the last key varies fastest).
- ``narrow_space(space, results, keep=0.25) -> dict``: coarse-to-fine: from
  ``results``, a list of ``(config, score)`` (higher is better), the best
  ``ceil(keep * len(results))`` trials; each "log"/"linear" parameter's new
  range is the smallest interval that holds their values (never outside
  the old range), each "choice" parameter keeps the options they used (in
  any order, each once).

Random functions draw different values from the same generator when they are
written differently (``10 ** rng.uniform(log10 ...)``, ``np.exp(rng.uniform(
log ...))``, a loop of scalar draws, ...), so their output cannot be compared
with the solution's.  The checks test structure and statistics instead:

- every value lies in its range (or is one of the options), the output has
  the promised type and shape, and no input is modified;
- the distribution: the largest gap ``D`` between the empirical CDF of the
  student's ``n`` values and that of a sample of ``m`` values that the
  solution drew (stored in the reference).  By the Dvoretzky-Kiefer-Wolfowitz
  inequality with Massart's constant, a sample of ``n`` values is further
  than ``e(n) = sqrt(ln(4 / DELTA) / (2 n))`` from its true CDF with
  probability at most ``DELTA / 2``, for any distribution (options are
  compared by their index); by the triangle inequality a right answer has
  ``D > e(n) + e(m)`` with probability at most ``DELTA = 1e-10``.  With at
  most 40 such tests per run of the checks, a right answer fails with
  probability below 1e-8.  The large cases (``n, m >= 5000``) accept a gap
  of at most 0.1; a range of ratio ``high / low >= 20`` sampled uniformly on
  the linear scale is more than 0.3 away from log-uniform;
- independence between the parameters of a trial: the fraction of trials in
  which two parameters both exceed a fixed threshold is compared with the
  solution's fraction, within Hoeffding's ``sqrt(ln(4 / DELTA) / (2 n))``
  for each (failure of a right answer below ``DELTA``); one uniform draw
  shared by both parameters moves it from 1/4 to 1/2;
- a generator with the same seed gives the same output, one with another
  seed a different one: np.random's global state or a generator of the
  student's own fails.

``grid_configs`` and ``narrow_space`` are deterministic: their output is
compared with the solution's (stored), values with ``rtol=1e-9`` (geomspace,
logspace and ``10 ** linspace`` differ by a few ulps).  Hints compare a
wrong answer with counterfactuals: a wrong formula (linear spacing of a "log"
parameter, the CDF of the linear scale, the range of a logarithm taken in one
base and undone in another) or the solution run on changed inputs (scores
negated, the default ``keep``, ``floor`` instead of ``ceil``, every trial kept),
stored in the reference.  The package never draws a log-uniform value nor
spaces a grid.
"""
import copy
import math
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import call, fail, passed

__all__ = ["check_log_uniform", "check_random_configs", "check_grid_configs",
           "check_narrow_space"]

NOTEBOOK = "search.ipynb"
KINDS = ("log_uniform", "random_configs", "grid_configs", "narrow_space")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}
DELTA = 1e-10       # failure probability of a right answer, per statistical test
KS_MIN = 1000       # the distribution is tested on samples at least this large
RTOL = 1e-9         # grid values and narrowed ranges (a few ulps between right forms)
BOUND = 1e-12       # relative slack of a range's ends (exp(log(high)) may round up)


def _space(pairs):
    return {name: tuple(spec) for name, spec in pairs}


def _check_space(label, pairs):
    for name, spec in pairs:
        kind = spec[0]
        if kind in ("log", "linear"):
            low, high = spec[1], spec[2]
            if not low < high or (kind == "log" and low <= 0):
                raise ValueError(f"{label}: the range of {name!r} is not valid: {spec!r}")
        elif kind == "choice":
            if len(spec) != 2 or not spec[1]:
                raise ValueError(f"{label}: {name!r} needs options: {spec!r}")
        else:
            raise ValueError(f"{label}: {name!r} has the unknown kind {kind!r}")


@dataclass(frozen=True)
class LogCase:
    """``log_uniform(low, high, size, rng)`` with generators seeded ``seed + 1``
    (and ``seed + 2`` for another seed); the solution's sample uses ``seed + 3``."""
    name: str
    seed: int
    low: float
    high: float
    size: int

    def __post_init__(self):
        if not 0 < self.low < self.high:
            raise ValueError(f"LogCase {self.name!r}: need 0 < low < high, got "
                             f"low={self.low!r}, high={self.high!r}")
        if self.size < 1:
            raise ValueError(f"LogCase {self.name!r}: size must be >= 1, got {self.size!r}")


@dataclass(frozen=True)
class ConfigCase:
    """``random_configs(space, num_trials, rng)``, seeds as in ``LogCase``;
    ``space`` is a tuple of ``(name, spec)`` pairs."""
    name: str
    seed: int
    space: tuple
    num_trials: int

    def __post_init__(self):
        _check_space(f"ConfigCase {self.name!r}", self.space)
        if self.num_trials < 1:
            raise ValueError(f"ConfigCase {self.name!r}: num_trials must be >= 1, got "
                             f"{self.num_trials!r}")


@dataclass(frozen=True)
class GridCase:
    """``grid_configs(space, num_trials)``."""
    name: str
    space: tuple
    num_trials: int

    def __post_init__(self):
        _check_space(f"GridCase {self.name!r}", self.space)


@dataclass(frozen=True)
class NarrowCase:
    """``narrow_space(space, results, keep)`` on ``num_results`` results drawn
    from ``seed``; ``keep=None`` calls it without ``keep`` (the default).
    ``monotone``: the first numeric parameter grows as the score falls, so
    that keeping one trial more or less, or the worst ones, changes its range."""
    name: str
    seed: int
    space: tuple
    num_results: int
    keep: float = None
    monotone: bool = False

    def __post_init__(self):
        _check_space(f"NarrowCase {self.name!r}", self.space)
        if self.keep is not None and not 0 < self.keep <= 1:
            raise ValueError(f"NarrowCase {self.name!r}: keep must be in (0, 1], got "
                             f"{self.keep!r}")
        if self.num_results < 1:
            raise ValueError(f"NarrowCase {self.name!r}: num_results must be >= 1")


LR, REG = ("log", 1e-5, 1e-1), ("log", 1e-6, 1e-1)
SPACE3 = (("learning_rate", LR), ("reg", REG), ("keep_prob", ("linear", 0.1, 1.0)))
MIXED = (("learning_rate", ("log", 1e-4, 1e-2)), ("hidden", ("choice", (50, 100, 200))),
         ("momentum", ("linear", 0.8, 0.99)), ("activation", ("choice", ("relu", "tanh"))))

CASES = {
    "log_uniform": {
        "visible": [LogCase("small", 2000, 1e-3, 1e-1, 5),
                    LogCase("learning_rates", 2001, 1e-6, 1e-1, 20000),
                    LogCase("above_one", 2002, 2.0, 200.0, 20000)],
        "hidden": [LogCase("single", 2010, 0.5, 8.0, 1),
                   LogCase("regs", 2011, 1e-7, 1e-3, 20000),
                   LogCase("narrow", 2012, 0.3, 6.0, 20000)]},
    "random_configs": {
        "visible": [ConfigCase("one", 2100, (("learning_rate", LR),), 3),
                    ConfigCase("three", 2101, SPACE3, 5000),
                    ConfigCase("mixed", 2102, MIXED, 5000)],
        "hidden": [ConfigCase("few", 2110, SPACE3, 4),
                   ConfigCase("lr_reg", 2111, SPACE3[:2], 5000),
                   ConfigCase("reg_first", 2112, (("reg", REG), ("learning_rate", LR),
                                                  ("act", ("choice", ("relu", "elu")))),
                              5000)]},
    "grid_configs": {
        "visible": [GridCase("lr_reg_9", SPACE3[:2], 9),
                    GridCase("lr_reg_15", SPACE3[:2], 15),
                    GridCase("three_64", SPACE3, 64),
                    GridCase("mixed_40", MIXED, 40)],
        "hidden": [GridCase("one_5", (("learning_rate", LR),), 5),
                   GridCase("three_30", SPACE3, 30),
                   GridCase("two_125", (("reg", REG), ("keep_prob", ("linear", 0.5, 1.0))),
                            125),
                   GridCase("choice_first", (("act", ("choice", ("relu", "tanh", "elu"))),
                                             ("learning_rate", LR)), 12)]},
    "narrow_space": {
        "visible": [NarrowCase("default_keep", 2300, SPACE3[:2], 18),
                    NarrowCase("keep_third", 2301, SPACE3, 20, 1 / 3),
                    NarrowCase("mixed", 2302, MIXED, 30, 0.3)],
        "hidden": [NarrowCase("keep_one", 2310, SPACE3[:2], 7, 0.1),
                   NarrowCase("keep_half", 2311, MIXED, 25, 0.5),
                   NarrowCase("keep_all", 2312, SPACE3, 9, 1.0)]},
}
_CASE_TYPES = {"log_uniform": LogCase, "random_configs": ConfigCase,
               "grid_configs": GridCase, "narrow_space": NarrowCase}


def _cases(kind, cases, reference):
    _core.reference_dict(reference)
    return _core.typed_cases(CASES[kind], cases, _CASE_TYPES[kind], kind)


# ------------------------------------------------------------------ statistics

def _dkw(n):
    """Half the failure budget: a sample of n is this far from its CDF w.p. DELTA / 2."""
    return math.sqrt(math.log(4 / DELTA) / (2 * n))


def _ks(a, b):
    """The largest gap between the empirical CDFs of a and b, and where."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    gap = np.abs(np.searchsorted(a, grid, side="right") / a.size
                 - np.searchsorted(b, grid, side="right") / b.size)
    i = int(np.argmax(gap))
    return float(gap[i]), float(grid[i]), (np.searchsorted(a, grid[i], side="right") / a.size,
                                           np.searchsorted(b, grid[i], side="right") / b.size)


def _ks_to_linear(a, low, high):
    """The gap between the empirical CDF of a and the uniform CDF on [low, high]
    (the distribution of a wrong, linear-scale draw)."""
    a = np.sort(a)
    cdf = np.clip((a - low) / (high - low), 0, 1)
    n = a.size
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def _ks_to_log(a, low, high):
    """The gap between the empirical CDF of a and a uniform CDF of log(a) (to
    recognise a 'linear' parameter drawn on the log scale)."""
    return _ks_to_linear(np.log(a), math.log(low), math.log(high))


# ----------------------------------------------------------------- the results

def _encode(space, configs, name):
    """A parameter's values in configs as floats (a choice: the option's index)."""
    spec = space[name]
    if spec[0] == "choice":
        return np.array([_option_index(c[name], spec[1]) for c in configs], dtype=np.int64)
    return np.array([float(c[name]) for c in configs], dtype=np.float64)


def _option_index(value, options):
    for i, option in enumerate(options):
        if type(option) is str and value == option or (
                type(option) is not str and not isinstance(value, str) and value == option):
            return i
    return -1


def _narrow_inputs(case):
    """Results inside the space: values uniform on each range (the scale does
    not matter here), options uniform, distinct scores."""
    rng = np.random.default_rng(case.seed)
    out = {}
    for name, spec in case.space:
        if spec[0] == "choice":
            out["in_" + name] = rng.integers(len(spec[1]), size=case.num_results)
        else:
            out["in_" + name] = rng.uniform(spec[1], spec[2], size=case.num_results)
    out["in_scores"] = np.round(rng.permutation(case.num_results) / case.num_results
                                + 0.5 * rng.random() / case.num_results, 6)
    numeric = [name for name, spec in case.space if spec[0] != "choice"]
    if case.monotone and numeric:
        values = np.sort(out["in_" + numeric[0]])
        out["in_" + numeric[0]] = values[np.argsort(np.argsort(-out["in_scores"]))]
    return out


def _results_of(case, inputs):
    """The list of (config, score) of a narrow case, built from its inputs."""
    results = []
    for i in range(case.num_results):
        config = {}
        for name, spec in case.space:
            v = inputs["in_" + name][i]
            config[name] = spec[1][int(v)] if spec[0] == "choice" else float(v)
        results.append((config, float(inputs["in_scores"][i])))
    return results


def _encode_space(space, new):
    """A narrowed space as arrays: [low, high], or the sorted option indices."""
    out = {}
    for name, spec in space.items():
        if spec[0] == "choice":
            out[name] = np.array(sorted(_option_index(o, spec[1]) for o in new[name][1]),
                                 dtype=np.int64)
        else:
            out[name] = np.array([float(new[name][1]), float(new[name][2])])
    return out


def make_reference(solutions, cases=None):
    """Reference arrays of the search cases from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (missing: skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' keys are ignored); by
        default the visible and hidden cases.

    Returns
    -------
    dict of str -> ndarray, keys ``<kind>/<case>/...``: the solution's sample
    of every large ``log_uniform`` and ``random_configs`` case (per parameter),
    the solution's grid per parameter, and for ``narrow_space`` the inputs,
    the solution's narrowed space and its counterfactuals (``cf_worst``: the
    scores negated; ``cf_default``: without ``keep``; ``cf_floor``: the
    ``int(keep * n)`` trials of a truncated count, when that differs from the
    solution's count ``kept``, measured on a probe; ``cf_all``: every trial).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    fn = solutions.get("log_uniform")
    for case in cases.get("log_uniform", ()) if fn else ():
        if case.size >= KS_MIN:
            ref[f"log_uniform/{case.name}/sample"] = np.asarray(
                fn(case.low, case.high, case.size, np.random.default_rng(case.seed + 3)),
                dtype=np.float64)
    fn = solutions.get("random_configs")
    for case in cases.get("random_configs", ()) if fn else ():
        if case.num_trials >= KS_MIN:
            space = _space(case.space)
            configs = fn(space, case.num_trials, np.random.default_rng(case.seed + 3))
            for name in space:
                ref[f"random_configs/{case.name}/{name}"] = _encode(space, configs, name)
    fn = solutions.get("grid_configs")
    for case in cases.get("grid_configs", ()) if fn else ():
        space = _space(case.space)
        configs = fn(space, case.num_trials)
        for name in space:
            ref[f"grid_configs/{case.name}/{name}"] = _encode(space, configs, name)
    fn = solutions.get("narrow_space")
    for case in cases.get("narrow_space", ()) if fn else ():
        p = f"narrow_space/{case.name}/"
        inputs = _narrow_inputs(case)
        ref.update({p + k: v for k, v in inputs.items()})
        space, results = _space(case.space), _results_of(case, inputs)
        n, keep = case.num_results, 0.25 if case.keep is None else case.keep
        runs = {"out": fn(space, results) if case.keep is None else
                fn(space, results, keep=keep),
                "cf_worst": fn(space, [(c, -s) for c, s in results], keep=keep),
                "cf_all": fn(space, results, keep=1.0)}
        if case.keep is not None:
            runs["cf_default"] = fn(space, results)
        kept = _kept_by(fn, n, keep)
        ref[p + "kept"] = np.int64(kept)
        truncated = int(keep * n)   # the wrong count of int() (or math.floor)
        if 1 <= truncated != kept:
            # The solution on a keep that makes it keep that many trials.
            runs["cf_floor"] = fn(space, results, keep=(truncated - 0.5) / n)
        for run, new in runs.items():
            for name, v in _encode_space(space, new).items():
                ref[f"{p}{run}/{name}"] = v
    return ref


def _kept_by(fn, n, keep):
    """How many of n trials the solution keeps: measured on a probe whose
    parameter is the trial's rank and whose score is that rank too."""
    probe = fn({"rank": ("linear", 0.0, float(n - 1))},
               [({"rank": float(i)}, float(i)) for i in range(n)], keep=keep)
    return n - int(round(probe["rank"][1]))


def random_cases(rng):
    """Fresh cases for the grader: ranges, budgets and seeds from ``rng``."""
    def seed():
        return int(rng.integers(2**31 - 4))

    def log_range(lo, hi):
        # A round lower end (1, 2 or 5 times a power of ten) and a ratio of
        # 50 to 10 000: wide enough that a linear draw is far from log-uniform.
        a = float(rng.choice([1.0, 2.0, 5.0])) * 10.0 ** int(rng.integers(lo, hi))
        return a, a * float(rng.choice([50.0, 100.0, 1000.0, 10000.0]))

    def space(numeric, with_choice):
        pairs = []
        for i in range(numeric):
            if i == 1 and numeric > 2:
                # high / low between 21 and 201: a log-uniform draw on this range
                # is far from a uniform one (a linear parameter sampled on the log
                # scale fails), and low > 0 keeps the log defined.
                width = float(rng.uniform(0.2, 1))
                low = width * float(rng.uniform(0.005, 0.05))
                pairs.append((f"p{i}", ("linear", low, low + width)))
            else:
                pairs.append((f"p{i}", ("log", *log_range(-7, 0))))
        if with_choice:
            pairs.insert(int(rng.integers(len(pairs) + 1)),
                         ("c", ("choice", ("a", "b", "c")[:int(rng.integers(2, 4))])))
        return tuple(pairs)

    # keep * n is never a whole number (a floor instead of the ceiling shows),
    # and above 0.5 it keeps more trials than the default 0.25 on n >= 5.
    keep = float(rng.uniform(0.5, 0.9))
    n_default = int(rng.integers(9, 30))
    n_default += n_default % 4 == 0
    return {
        "log_uniform": [LogCase("unseen_large", seed(), *log_range(-6, 1), 20000),
                        LogCase("unseen_small", seed(), *log_range(-3, 2),
                                int(rng.integers(1, 8)))],
        "random_configs": [ConfigCase("unseen_large", seed(), space(3, True), 5000),
                           ConfigCase("unseen_small", seed(), space(2, False),
                                      int(rng.integers(2, 10)))],
        "grid_configs": [GridCase("unseen_two", space(2, False), int(rng.integers(4, 50))),
                         # cubes whose root falls just below an integer in floating point
                         GridCase("unseen_cube", space(3, False),
                                  int(rng.choice([64, 125, 216]))),
                         GridCase("unseen_choice", space(2, True), int(rng.integers(12, 60)))],
        "narrow_space": [NarrowCase("unseen", seed(), space(3, True), int(rng.integers(12, 40)),
                                    keep, monotone=True),
                         NarrowCase("unseen_default", seed(), space(2, False), n_default,
                                    monotone=True)]}


# --------------------------------------------------------------------- helpers

_name = _core.named


def _show(v):
    """A value for a message: numbers as plain numbers (numpy 2 repr is np.float64(...))."""
    if isinstance(v, (str, bool)) or not np.isscalar(v):
        return repr(v)
    return f"{float(v):.8g}" if np.isreal(v) else repr(v)


def _inputs_unchanged(name, before, after, what, label):
    if before != after:
        fail(name, f"{what} was modified in place on {label}",
             f"hint: {name} must leave its arguments alone: build new dicts and lists "
             f"instead of changing the ones it is given")


def _configs(result, n, space, name, label, *, exact_length=True):
    """The student's list of configurations, checked for type and keys."""
    if not isinstance(result, list):
        fail(name, f"should return a list of dicts, got {type(result).__name__} on {label}")
    if exact_length and len(result) != n:
        fail(name, f"returned {len(result)} configurations, expected num_trials = {n} on "
                   f"{label}")
    for i, config in enumerate(result):
        if not isinstance(config, dict):
            fail(name, f"configuration {i} is a {type(config).__name__}, expected a dict "
                       f"on {label}")
        if set(config) != set(space):
            fail(name, f"configuration {i} has the keys {sorted(config)}, expected the "
                       f"space's keys {sorted(space)} on {label}",
                 "hint: every configuration names every hyperparameter of the space")
    return result


def _values_valid(name, space, configs, label):
    """Every value is a finite number in its range, or one of its options."""
    for key, spec in space.items():
        for i, config in enumerate(configs):
            v = config[key]
            if spec[0] == "choice":
                if _option_index(v, spec[1]) < 0:
                    fail(name, f"configuration {i}: {key} = {v!r} is not one of the options "
                               f"{spec[1]!r} on {label}")
                continue
            if isinstance(v, (bool, str)) or not np.isscalar(v) or not np.isreal(v):
                hint = ("hint: an array of one value is not a number: take its element "
                        "(values[0]) or float(...) of it" if np.size(v) == 1 else "")
                fail(name, f"configuration {i}: {key} = {v!r} should be a number on {label}",
                     hint)
            low, high = spec[1], spec[2]
            if not (np.isfinite(v) and low - BOUND * abs(low) <= v <= high + BOUND * abs(high)):
                hint = ""
                if spec[0] == "log" and v < low:
                    hint = ("hint: a 'log' parameter's VALUE lies in [low, high]; did you "
                            "return its logarithm, or take the log in one base and undo it "
                            "in another?")
                fail(name, f"configuration {i}: {key} = {v!r} is outside its range "
                           f"[{low:g}, {high:g}] on {label}", hint)


# ------------------------------------------------------------------ log_uniform

def _log_label(case):
    return (f"test case '{case.name}' (low={case.low:g}, high={case.high:g}, "
            f"size={case.size})")


def _range_hint(out, low, high):
    """Which wrong range the values fall in (a logarithm in one base undone in
    another, the range starting at log 1 = 0, no exponential at all)."""
    lo, hi = float(np.min(out)), float(np.max(out))
    l10, h10, ln_l, ln_h = math.log10(low), math.log10(high), math.log(low), math.log(high)
    wrong = [((l10, h10), "these are the exponents: raise 10 to them"),
             ((ln_l, ln_h), "these are natural logarithms: apply np.exp to them"),
             ((10.0 ** ln_l, 10.0 ** ln_h), "natural logarithms undone with 10 **: use the "
                                            "same base both ways"),
             ((math.exp(l10), math.exp(h10)), "base-10 logarithms undone with np.exp: use "
                                              "the same base both ways"),
             ((min(1.0, high), max(1.0, high)), "the exponent starts at 0 (log 1) instead of "
                                                "log(low)")]
    for (a, b), message in wrong:
        a, b = min(a, b), max(a, b)
        if a - 1e-9 * abs(a) <= lo and hi <= b + 1e-9 * abs(b) and (lo < low or hi > high):
            return "hint: " + message
    return ""


def _check_log_case(fn, name, case, reference):
    label = _log_label(case)
    out = call(fn, name, case.low, case.high, case.size, np.random.default_rng(case.seed + 1))
    out = _core.array(out, (case.size,), name, "the sample")
    if out.dtype.kind != "f":
        fail(name, f"the sample has dtype {out.dtype}, expected floats on {label}",
             "hint: an integer dtype rounds the values away")
    if not np.all(np.isfinite(out)):
        fail(name, f"the sample is not finite on {label}")
    low, high = case.low, case.high
    if np.any(out < low * (1 - BOUND)) or np.any(out > high * (1 + BOUND)):
        i = int(np.argmax((out < low * (1 - BOUND)) | (out > high * (1 + BOUND))))
        fail(name, f"value [{i}] = {out[i]:.6g} is outside [low, high) = [{low:g}, {high:g}) "
                   f"on {label}", f"your values range from {out.min():.6g} to {out.max():.6g}",
             _range_hint(out, low, high))
    count = 3
    p = f"log_uniform/{case.name}/sample"
    if p in reference:
        ref = reference[p]
        gap, at, (mine, theirs) = _ks(out, ref)
        tol = _dkw(out.size) + _dkw(ref.size)
        if gap > tol:
            hint = ""
            if _ks_to_linear(out, low, high) < _dkw(out.size):
                hint = ("hint: your values are uniform on the LINEAR scale: most of them land "
                        "in the top decade; draw the exponent uniformly and exponentiate")
            fail(name, f"the values are not log-uniform on {label}",
                 f"at value {at:.6g} the fraction of your values below it is {mine:.4f}, of "
                 f"the solution's {theirs:.4f} (gap {gap:.4f}, allowed {tol:.4f}: a right "
                 f"sampler exceeds it with probability below {DELTA:g})", hint)
        count += 1
    again = call(fn, name, low, high, case.size, np.random.default_rng(case.seed + 1))
    if not np.array_equal(np.asarray(again), out):
        fail(name, f"two calls with generators of the same seed give different samples on "
                   f"{label}",
             "hint: draw from the rng you are given only: np.random's global functions (or "
             "a generator of your own) cannot be reproduced from it")
    other = call(fn, name, low, high, case.size, np.random.default_rng(case.seed + 2))
    if np.array_equal(np.asarray(other), out):
        fail(name, f"generators of different seeds give the same sample on {label}",
             "hint: the values must come from the rng argument, not from a generator of "
             "your own with a fixed seed or from np.random after np.random.seed")
    return count + 2


def _check_log_errors(fn, name):
    """low <= 0 and high <= low raise a ValueError naming the argument."""
    rng = np.random.default_rng(0)
    for low, high, arg in ((0.0, 1.0, "low"), (-1e-3, 1e-1, "low"), (1e-2, 1e-2, "high"),
                           (1e-1, 1e-3, "high")):
        try:
            with np.errstate(all="ignore"):
                fn(low, high, 3, rng)
        except ValueError as e:
            if arg not in str(e):
                fail(name, f"log_uniform({low:g}, {high:g}, ...) raised ValueError({str(e)!r}), "
                           f"whose message does not name the argument {arg!r}")
            continue
        except NotImplementedError:
            raise
        except Exception as e:
            fail(name, f"log_uniform({low:g}, {high:g}, ...) raised {type(e).__name__}: {e}",
                 f"expected a ValueError naming {arg!r}: `raise ValueError(f\"{arg} must ...\")`")
        fail(name, f"log_uniform({low:g}, {high:g}, ...) did not raise",
             f"expected a ValueError naming {arg!r}: " + (
                 "the logarithm of a value <= 0 does not exist" if arg == "low" else
                 "the range [low, high) is empty"))
    return 4


def check_log_uniform(log_uniform, *, cases="visible", reference):
    """Check ``log_uniform(low, high, size, rng) -> ndarray (size,)``.

    Parameters
    ----------
    log_uniform : callable
    cases : {"visible", "hidden"} or list of LogCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(log_uniform, "log_uniform")
    cases, label_set = _cases("log_uniform", cases, reference)
    count = 0
    for case in cases:
        count += _check_log_case(log_uniform, name, case, reference)
    count += _check_log_errors(log_uniform, name)
    passed(name, count, f" ({label_set} cases)")


# --------------------------------------------------------------- random_configs

def _config_label(case):
    return f"test case '{case.name}' (num_trials={case.num_trials}, space {_space(case.space)})"


def _same_draws(a, b):
    return len(a) == len(b) and all(
        isinstance(x, dict) and isinstance(y, dict) and x.keys() == y.keys()
        and all(x[k] == y[k] for k in x) for x, y in zip(a, b))


def _check_config_case(fn, name, case, reference):
    label = _config_label(case)
    space, n = _space(case.space), case.num_trials
    given = copy.deepcopy(space)
    result = call(fn, name, given, n, np.random.default_rng(case.seed + 1))
    _inputs_unchanged(name, space, given, "the space", label)
    configs = _configs(result, n, space, name, label)
    _values_valid(name, space, configs, label)
    count = 3
    if n >= 2:
        for key, spec in space.items():
            if spec[0] != "choice" and len({float(c[key]) for c in configs}) == 1:
                fail(name, f"every trial has the same {key} = {configs[0][key]!r} on {label}",
                     "hint: draw a new value of every parameter for EVERY trial (one draw "
                     "per trial, or `size=num_trials` and one value per configuration)")
        count += 1
    p = f"random_configs/{case.name}/"
    for key, spec in space.items():
        if p + key not in reference:
            continue
        mine, ref = _encode(space, configs, key), reference[p + key]
        gap, at, (f_mine, f_ref) = _ks(mine, ref)
        tol = _dkw(mine.size) + _dkw(ref.size)
        count += 1
        if gap <= tol:
            continue
        hint, where = "", f"at {key} = {at:.6g}"
        if spec[0] == "log" and _ks_to_linear(mine, spec[1], spec[2]) < _dkw(mine.size):
            hint = ("hint: this 'log' parameter is drawn uniformly on the LINEAR scale: draw "
                    "it log-uniformly (your log_uniform)")
        elif spec[0] == "linear" and spec[1] > 0 and \
                _ks_to_log(mine, spec[1], spec[2]) < _dkw(mine.size):
            hint = ("hint: this 'linear' parameter is drawn on the log scale: draw it "
                    "uniformly on [low, high)")
        elif spec[0] == "choice":
            where = f"at option {spec[1][int(at)]!r}"
            hint = "hint: every option should be equally likely (rng.choice, rng.integers)"
        fail(name, f"the values of {key} do not follow its distribution on {label}",
             f"{where} the fraction of your trials at or below it is {f_mine:.4f}, of the "
             f"solution's {f_ref:.4f} (gap {gap:.4f}, allowed {tol:.4f}: a right answer "
             f"exceeds it with probability below {DELTA:g})", hint)
    count += _check_independent(name, space, configs, reference, p=p, label=label)
    again = call(fn, name, copy.deepcopy(space), n, np.random.default_rng(case.seed + 1))
    if not _same_draws(again, configs):
        fail(name, f"two calls with generators of the same seed give different configurations "
                   f"on {label}",
             "hint: draw from the rng you are given only: np.random's global functions (or "
             "a generator of your own) cannot be reproduced from it")
    other = call(fn, name, copy.deepcopy(space), n, np.random.default_rng(case.seed + 2))
    if _same_draws(other, configs):
        fail(name, f"generators of different seeds give the same configurations on {label}",
             "hint: the values must come from the rng argument, not from a generator of "
             "your own with a fixed seed")
    return count + 2


def _threshold(spec):
    """A fixed number inside a range, near its middle on the parameter's scale."""
    return math.sqrt(spec[1] * spec[2]) if spec[0] == "log" else (spec[1] + spec[2]) / 2


def _check_independent(name, space, configs, reference, *, p, label):
    """Two numeric parameters of a trial are drawn independently."""
    keys = [k for k, s in space.items() if s[0] != "choice" and p + k in reference]
    if len(keys) < 2:
        return 0
    a, b = keys[:2]
    ta, tb = _threshold(space[a]), _threshold(space[b])
    mine = float(np.mean((_encode(space, configs, a) > ta) & (_encode(space, configs, b) > tb)))
    ref_a, ref_b = reference[p + a], reference[p + b]
    theirs = float(np.mean((ref_a > ta) & (ref_b > tb)))
    tol = _dkw(len(configs)) + _dkw(ref_a.size)
    if abs(mine - theirs) > tol:
        fail(name, f"{a} and {b} are not drawn independently on {label}",
             f"{a} > {ta:.4g} and {b} > {tb:.4g} together in a fraction {mine:.4f} of your "
             f"trials, {theirs:.4f} of the solution's (allowed gap {tol:.4f})",
             "hint: draw every parameter with its own draw from rng; one uniform number "
             "shared by all parameters of a trial ties them together")
    return 1


def check_random_configs(random_configs, *, cases="visible", reference):
    """Check ``random_configs(space, num_trials, rng) -> list of dict``.

    Parameters
    ----------
    random_configs : callable
    cases : {"visible", "hidden"} or list of ConfigCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(random_configs, "random_configs")
    cases, label_set = _cases("random_configs", cases, reference)
    count = 0
    for case in cases:
        count += _check_config_case(random_configs, name, case, reference)
    passed(name, count, f" ({label_set} cases)")


# ----------------------------------------------------------------- grid_configs

def _grid_label(case):
    return f"test case '{case.name}' (num_trials={case.num_trials}, space {_space(case.space)})"


def _grid_hint(space, configs, want):
    """Why a grid of the right size differs from the solution's."""
    keys = list(space)
    mine = {k: _encode(space, configs, k) for k in keys}
    rows_mine = sorted(zip(*(mine[k].tolist() for k in keys)))
    rows_want = sorted(zip(*(want[k].tolist() for k in keys)))
    if all(np.allclose(a, b, rtol=RTOL, atol=0) for a, b in zip(rows_mine, rows_want)):
        return ("the right configurations in another order: itertools.product over the "
                "space's keys in their order (the last key varies fastest)")
    for key, spec in space.items():
        if spec[0] == "choice" or _close_values(mine[key], want[key]):
            continue
        values = np.unique(want[key])
        k = len(values)
        if spec[0] == "log" and np.allclose(np.unique(mine[key]),
                                            np.linspace(spec[1], spec[2], k), rtol=RTOL):
            return (f"{key} is a 'log' parameter spaced evenly on the LINEAR scale: space "
                    f"it evenly on the log scale")
        got = np.unique(mine[key])
        if got.min() > spec[1] * (1 + RTOL) or got.max() < spec[2] * (1 - RTOL):
            return (f"{key} misses an end of its range ({got.min():.6g} .. {got.max():.6g} "
                    f"instead of {spec[1]:g} .. {spec[2]:g}): both ends are part of the grid")
    return ""


def _close_values(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=0)


def _check_grid_case(fn, name, case, reference):
    label = _grid_label(case)
    space, n = _space(case.space), case.num_trials
    given = copy.deepcopy(space)
    result = call(fn, name, given, n)
    _inputs_unchanged(name, space, given, "the space", label)
    configs = _configs(result, n, space, name, label, exact_length=False)
    _values_valid(name, space, configs, label)
    p = f"grid_configs/{case.name}/"
    want = {k: reference[p + k] for k in space}
    expected = len(want[next(iter(space))])
    numeric = sum(s[0] != "choice" for s in space.values())
    options = math.prod(len(s[1]) for s in space.values() if s[0] == "choice")
    k_want = round((expected / options) ** (1 / numeric)) if numeric else 0
    if len(configs) > n:
        fail(name, f"{len(configs)} configurations: over the budget of num_trials = {n} on "
                   f"{label}",
             f"expected k = {k_want} values per numeric parameter: {expected} configurations",
             "hint: k is the LARGEST number with k ** d * (options of the choices) <= "
             "num_trials")
    if len(configs) != expected:
        k_mine = (len(configs) / options) ** (1 / numeric) if numeric and options else 0
        hint = ""
        if numeric and abs(k_mine - (k_want - 1)) < 1e-9:
            hint = (f"hint: k is one too small: in floating point num_trials ** (1 / d) can "
                    f"fall just below an integer (64 ** (1 / 3) = {64 ** (1 / 3)!r}), and "
                    f"int() rounds it down; check k + 1 with integers")
        fail(name, f"{len(configs)} configurations, expected {expected} (k = {k_want} values "
                   f"per numeric parameter) on {label}", hint)
    for key in space:
        mine = _encode(space, configs, key)
        if not _close_values(mine, want[key]):
            i, got, exp = _core.worst_index(mine, want[key])
            hint = _grid_hint(space, configs, want)
            fail(name, f"the grid is wrong on {label}",
                 f"configuration {i[0]}: {key} = {_show(configs[i[0]][key])}, expected "
                 f"{_show(exp if space[key][0] != 'choice' else space[key][1][int(exp)])}",
                 "hint: " + hint if hint else "")
    return 4


def check_grid_configs(grid_configs, *, cases="visible", reference):
    """Check ``grid_configs(space, num_trials) -> list of dict``.

    Parameters
    ----------
    grid_configs : callable
    cases : {"visible", "hidden"} or list of GridCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(grid_configs, "grid_configs")
    cases, label_set = _cases("grid_configs", cases, reference)
    count = 0
    for case in cases:
        count += _check_grid_case(grid_configs, name, case, reference)
    passed(name, count, f" ({label_set} cases)")


# ----------------------------------------------------------------- narrow_space

def _narrow_label(case):
    keep = "default keep" if case.keep is None else f"keep={case.keep:.4g}"
    return f"test case '{case.name}' ({case.num_results} results, {keep})"


def _narrowed(name, space, new, label):
    """The student's new space as arrays (as _encode_space), checked for form."""
    if not isinstance(new, dict):
        fail(name, f"should return a dict like the space, got {type(new).__name__} on {label}")
    if set(new) != set(space):
        fail(name, f"the new space has the keys {sorted(new)}, expected {sorted(space)} on "
                   f"{label}")
    out = {}
    for key, spec in space.items():
        v = new[key]
        if not isinstance(v, (tuple, list)) or not v or v[0] != spec[0]:
            fail(name, f"{key}: {v!r} should be a spec of the same kind as the old one, "
                       f"({spec[0]!r}, ...), on {label}")
        if spec[0] == "choice":
            opts = v[1] if len(v) == 2 and isinstance(v[1], (tuple, list)) else None
            if opts is None:
                fail(name, f"{key}: {v!r} should be ('choice', options) on {label}")
            idx = [_option_index(o, spec[1]) for o in opts]
            if -1 in idx or len(set(idx)) != len(idx):
                fail(name, f"{key}: the options {opts!r} should be distinct options of the "
                           f"old {spec[1]!r} on {label}")
            out[key] = np.array(sorted(idx), dtype=np.int64)
        else:
            if len(v) != 3 or not all(np.isscalar(x) and np.isreal(x) and not
                                      isinstance(x, (bool, str)) for x in v[1:]):
                fail(name, f"{key}: {v!r} should be ({spec[0]!r}, low, high) on {label}")
            out[key] = np.array([float(v[1]), float(v[2])])
    return out


def _same_space(a, b, keys):
    return all(a[k].shape == b[k].shape and np.allclose(a[k], b[k], rtol=RTOL, atol=0)
               for k in keys)


def _check_narrow_case(fn, name, case, reference):
    label = _narrow_label(case)
    p = f"narrow_space/{case.name}/"
    inputs = _core.case_inputs(reference, "narrow_space", case.name)
    space, results = _space(case.space), _results_of(case, inputs)
    given_space, given_results = copy.deepcopy(space), copy.deepcopy(results)
    if case.keep is None:
        new = call(fn, name, given_space, given_results)
    else:
        new = call(fn, name, given_space, given_results, keep=case.keep)
    _inputs_unchanged(name, space, given_space, "the space", label)
    _inputs_unchanged(name, results, given_results, "results", label)
    mine = _narrowed(name, space, new, label)
    want = {k: reference[f"{p}out/{k}"] for k in space}
    if _same_space(mine, want, space):
        return 3
    keep = 0.25 if case.keep is None else case.keep
    hints = [("cf_worst", "these are the ranges of the WORST trials: a higher score is "
                          "better, so sort the scores in decreasing order"),
             ("cf_default", "these are the ranges for keep = 0.25: use the keep argument"),
             ("cf_floor", f"you keep int(keep * n) = {int(keep * case.num_results)} trials, "
                          f"rounded down: round keep * n UP (to {int(reference[p + 'kept'])} "
                          f"here), so that a small keep still keeps a trial"),
             ("cf_all", "these are the ranges of ALL the trials: keep only the best "
                        "ceil(keep * n) of them")]
    hint = ""
    for run, message in hints:
        cf = {k: reference.get(f"{p}{run}/{k}") for k in space}
        if all(v is not None for v in cf.values()) and not _same_space(cf, want, space) \
                and _same_space(mine, cf, space):
            hint = message
            break
    for key, spec in space.items():
        if spec[0] == "choice" or hint:
            continue
        lo, hi = mine[key]
        if lo < spec[1] * (1 - RTOL) - 1e-300 or hi > spec[2] * (1 + RTOL) + 1e-300:
            hint = (f"the new range of {key}, [{lo:.6g}, {hi:.6g}], goes beyond the old "
                    f"[{spec[1]:g}, {spec[2]:g}]: coarse-to-fine narrows, it never widens "
                    f"(no factor around the best value)")
        elif lo <= want[key][0] and hi >= want[key][1]:
            hint = (f"the new range of {key} is wider than the smallest interval that holds "
                    f"the kept trials' values")
    for key, spec in space.items():
        if _same_space(mine, want, [key]):
            continue
        if spec[0] == "choice":
            detail = (f"{key}: options {[spec[1][i] for i in mine[key]]!r}, expected "
                      f"{[spec[1][i] for i in want[key]]!r}")
        else:
            detail = (f"{key}: ({mine[key][0]:.8g}, {mine[key][1]:.8g}), expected "
                      f"({want[key][0]:.8g}, {want[key][1]:.8g})")
        fail(name, f"the narrowed space is wrong on {label}", detail,
             "hint: " + hint if hint else "")


def check_narrow_space(narrow_space, *, cases="visible", reference):
    """Check ``narrow_space(space, results, keep=0.25) -> dict``.

    Parameters
    ----------
    narrow_space : callable
    cases : {"visible", "hidden"} or list of NarrowCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(narrow_space, "narrow_space")
    cases, label_set = _cases("narrow_space", cases, reference)
    count = 0
    for case in cases:
        count += _check_narrow_case(narrow_space, name, case, reference)
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------ for the grader

_CHECKS = {"log_uniform": check_log_uniform, "random_configs": check_random_configs,
           "grid_configs": check_grid_configs, "narrow_space": check_narrow_space}


def _grade(g, fns, *, cases, reference):
    _CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, run=_grade) for kind in KINDS]
