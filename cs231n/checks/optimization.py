"""Checks of Assignment 3 (``a3_optimization``): the update rules.

Every rule has the signature ``rule(w, dw, config=None) -> (next_w, config)``
and is pure in ``w``.  A test case calls the student's rule 1 to 5 times in a
row, as the Solver does, feeding back the config it returned, with a fresh
gradient each time.  After every call the check looks at:

- the config: every documented key present, the hyperparameters as given or
  at their documented defaults, the state arrays of ``w``'s shape, Adam's
  ``t`` an integer;
- the values, in the order the rule computes them (each state entry, then
  ``next_w``; AdaDelta's ``delta`` after ``next_w``, as it needs the step),
  against the instructor's solution run on the same inputs
  (``reference/a3_optimization.npz``).  ``next_w`` is compared through the
  step ``next_w - w``, so that a wrong step cannot hide behind a large ``w``.
  The first mismatch names the call and the part, with the worst index and
  both values; a wrong ``next_w`` after a right state says that the state is
  right and the step computed from it is wrong;
- ``w`` and ``dw``: they must be intact (the rule may update the arrays of
  its config in place, as CS231n's rules do).  A rule that changes one is
  told first whether its values are right (``_core.inputs_kept``): then the
  change is the only problem; if not, it is one more cause.

The visible cases start from the documented zeros or from a given state; the
hidden cases and the grader's unseen cases start mid-run (a given state,
Adam's ``t`` > 0) and follow the rule for up to five calls: its defining
recurrence, on inputs the student has never seen.

The package holds no answer: this module computes no update of any rule.
Every expected value is the solution's, and so is every value of a common
bug that is the right formula applied to the wrong numbers: ``make_reference``
also runs the solution on changed inputs and stores what it returns next to
the reference, as *counterfactuals* (``<kind>/<case>/cf_<change>/<part>``),
e.g. momentum with ``learning_rate`` negated (a velocity of the wrong sign),
Adam with ``t = 10**9`` (no bias correction) or ``t + 1`` (a step count that
starts at 1), Nesterov's inputs given to the sgd_momentum solution (no
look-ahead).  The other hints are wrong formulas
on the solution's numbers (Adam with only ``v`` bias-corrected takes the
solution's step times ``1 - beta1**t``).

Inputs are float64.  Cases with tiny gradients (``scale``) or a large given
epsilon make the place of epsilon visible.  Only plain arguments go to the
rule (arrays, numbers, dicts of them, None) and only what it returns is read,
so the rule may run in another process; whether ``next_w`` is a view of ``w``
cannot be seen there and is not checked (a rule that changes ``w`` is).

Tolerance: ``rtol=1e-7`` element-wise, plus ``atol`` of ``1e-9`` times the
largest magnitude of the expected array (of the expected step, for next_w).
"""
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..contract import Assignment, Given
from . import _core, _training, neural_net
from ._core import (CheckFailure, array, call, case_inputs, check_kind, close, fail,
                    first_hint, inputs_kept, passed, scalar, select_cases, worst_index)
from ._core import reference as stored_reference
from .linear import check_at_least

__all__ = ["check_update_rule", "check_at_least", "RuleCase", "GRADED", "RECOMPUTED",
           "SOLUTIONS", "DEFAULTS", "make_reference", "random_cases", "ASSIGNMENT"]

AID = "a3_optimization"
TOL = dict(rtol=1e-7, atol=1e-9)   # atol relative to the expected array's largest entry
KINDS = ("sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam")

# The documented hyperparameters and their defaults (CS231n's; AdaDelta: Zeiler 2012).
DEFAULTS = {
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "adadelta": {"rho": 0.95, "epsilon": 1e-6},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
# The state a rule carries from one call to the next: arrays of w's shape that
# start at zero, and Adam's step count t (an int, starting at 0).
STATE = {"sgd_momentum": ("velocity",), "nesterov_momentum": ("velocity",),
         "adagrad": ("cache",), "adadelta": ("cache", "delta"), "rmsprop": ("cache",),
         "adam": ("m", "v")}
COUNTER = {"adam": "t"}

# The documented formulas, quoted in the messages (text only: the expected
# values are the solution's).
FORMULA = {
    "velocity": "v = momentum * v - learning_rate * dw",
    "sgd_momentum": "next_w = w + v",
    "nesterov_momentum": "next_w = w + v + momentum * (v - v_prev), with v the new velocity "
                         "and v_prev the one before this step",
    "adagrad/cache": "cache = cache + dw**2",
    "rmsprop/cache": "cache = decay_rate * cache + (1 - decay_rate) * dw**2",
    "adagrad": "next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)",
    "rmsprop": "next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)",
    "adadelta/cache": "cache = rho * cache + (1 - rho) * dw**2",
    "adadelta": "next_w = w + step, step = -sqrt(delta + epsilon) / sqrt(cache + epsilon) * dw "
                "with the new cache and the delta from before this step",
    "delta": "delta = rho * delta + (1 - rho) * step**2, with step = next_w - w",
    "m": "m = beta1 * m + (1 - beta1) * dw",
    "v": "v = beta2 * v + (1 - beta2) * dw**2",
    "adam": "next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon), with "
            "m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t) from the new m, v, t",
}
T_HUGE = 10**9   # Adam at this t: beta**t underflows to 0, the bias correction to 1


def _state_keys(kind):
    """The config keys a rule carries from call to call: its arrays, and t."""
    return STATE[kind] + ((COUNTER[kind],) if kind in COUNTER else ())


def _keys(kind):
    """Every documented config key of a rule."""
    return tuple(DEFAULTS[kind]) + _state_keys(kind)


def _parts(kind):
    """What the reference stores after every call: next_w and the state."""
    return ("next_w",) + _state_keys(kind)


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class RuleCase:
    name: str
    seed: int
    shape: tuple
    steps: int                  # calls in a row, each fed the config the last one returned
    given: tuple = ()           # config keys given at the first call; the rest take defaults
    config_none: bool = False   # the first call gets config=None (given must be empty)
    scale: float = 1.0          # of dw and the given state: tiny gradients expose epsilon

    def __post_init__(self):
        if not (isinstance(self.steps, int) and 1 <= self.steps <= 5):
            raise ValueError(f"RuleCase {self.name!r}: steps must be an int from 1 to 5, "
                             f"got {self.steps!r}")
        if self.config_none and self.given:
            raise ValueError(f"RuleCase {self.name!r}: a case with config_none has no given "
                             f"keys, got given={self.given!r}")


def _case_table(kind, seed):
    """The visible and hidden cases of one rule: defaults (config None or {}),
    some or all keys given (mid-run state), tiny gradients."""
    hyper, state = tuple(DEFAULTS[kind]), _state_keys(kind)
    first = hyper[:1]                              # learning_rate, or rho for AdaDelta
    return {
        "visible": [
            RuleCase("defaults", seed, (4,), steps=3, config_none=True),
            RuleCase(f"given_{first[0]}", seed + 1, (3, 4), steps=2, given=first),
            RuleCase("mid_run", seed + 2, (2, 3, 4), steps=3, given=hyper + state),
            RuleCase("tiny_gradients", seed + 3, (6,), steps=2, given=state, scale=1e-4),
        ],
        "hidden": [
            RuleCase("empty_config", seed + 10, (1,), steps=1),
            RuleCase("given_hyperparameters", seed + 11, (4, 1), steps=4, given=hyper),
            RuleCase("long_mid_run", seed + 12, (3, 1, 2), steps=5, given=hyper + state),
            RuleCase("tiny_mid_run", seed + 13, (5, 3), steps=4, given=hyper[1:] + state,
                     scale=1e-5),
        ],
    }


CASES = {kind: _case_table(kind, 1000 * (i + 1)) for i, kind in enumerate(KINDS)}

# The solution functions that produce the reference values: kind -> (notebook, name).
SOLUTIONS = {kind: ("optimizers.ipynb", kind) for kind in KINDS}


def _valid(kind, case):
    return isinstance(case, RuleCase) and set(case.given) <= set(_keys(kind))


def _cases(kind, cases):
    return select_cases(CASES[kind], cases, lambda c: _valid(kind, c),
                        f"RuleCase with keys of {kind} (random_cases(rng)[{kind!r}])")


# ----------------------------------------------------------- inputs from seeds

def _inputs(kind, case):
    """The arrays of one case: w, one dw per step, the given config entries."""
    if not _valid(kind, case):
        raise ValueError(f"case {case!r} gives keys that {kind} does not have: "
                         f"{sorted(set(case.given) - set(_keys(kind)))}")
    rng = np.random.default_rng(case.seed)
    s, shape = case.scale, tuple(case.shape)
    w = rng.standard_normal(shape)
    dws = s * rng.standard_normal((case.steps,) + shape)
    # Every value is drawn, given or not, so that a case's numbers depend only
    # on its seed.  A given epsilon is large enough for its place to matter.
    values = {
        "learning_rate": 10 ** rng.uniform(-3, -1), "momentum": rng.uniform(0.5, 0.95),
        "epsilon": 10 ** rng.uniform(-4, -2), "decay_rate": rng.uniform(0.5, 0.95),
        "rho": rng.uniform(0.5, 0.95), "beta1": rng.uniform(0.5, 0.95),
        "beta2": rng.uniform(0.9, 0.999),
        "velocity": 0.1 * s * rng.standard_normal(shape),
        "cache": s * s * rng.chisquare(3, shape),
        "delta": 1e-4 * rng.chisquare(3, shape),
        "m": 0.5 * s * rng.standard_normal(shape),
        "v": s * s * rng.chisquare(2, shape),
        "t": rng.integers(1, 51),
    }
    inputs = {"in_w": w, "in_dw": dws}
    if case.config_none:
        inputs["in_config_none"] = np.bool_(True)
    for key in case.given:
        v = values[key]
        inputs["in_config_" + key] = (np.int64(v) if key in COUNTER.values()
                                      else np.asarray(v, dtype=np.float64))
    return inputs


def _first_config(inputs):
    """The config of the first call: None, or a dict of Python numbers and arrays."""
    if "in_config_none" in inputs:
        return None
    config = {}
    for k, v in inputs.items():
        if k.startswith("in_config_"):
            key = k[len("in_config_"):]
            config[key] = (int(v) if key in COUNTER.values()
                           else float(v) if np.ndim(v) == 0 else np.array(v))
    return config


def _copy_config(config):
    """A copy whose arrays the rule may update in place (the other values are
    numbers, or whatever the student stored: passed on as they are)."""
    if config is None:
        return None
    return {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in config.items()}


def _default_cases():
    return {kind: table["visible"] + table["hidden"] for kind, table in CASES.items()}


# ------------------------------------------------------------------ reference

def _full_config(kind, config, w):
    """The config of a call with the documented defaults and zeros filled in
    (a copy: its arrays are fresh)."""
    full = dict(DEFAULTS[kind])
    full.update({key: np.zeros_like(w) for key in STATE[kind]})
    if kind in COUNTER:
        full[COUNTER[kind]] = 0
    full.update(_copy_config(config) or {})
    return full


def _counterfactuals(kind, config, dw, solutions, hyper_given):
    """The solution's rules on changed inputs: the values of the common bugs
    that apply the right formula to the wrong numbers.

    Parameters
    ----------
    kind : str
    config : dict
        The full config of the call (``_full_config``).
    dw : ndarray
    solutions : dict
        kind -> the solution's rule; another kind's rule serves where a bug
        is that rule (Nesterov without its look-ahead is sgd_momentum).
    hyper_given : bool
        Whether the case gives hyperparameters (else ignoring them is no bug).

    Returns
    -------
    dict of name -> (parts, call)
        ``parts`` the outputs to store, ``call`` a tuple (rule, dw, config),
        or None where the change means nothing on this call (stored as NaN).
    """
    own = solutions[kind]

    def changed(*parts, **values):
        return parts, (own, dw, {**config, **values})

    out = {}
    if hyper_given:
        # The hyperparameters ignored: only the state given, the rest defaults.
        out["default_hyperparameters"] = (("next_w",) + STATE[kind],
                                          (own, dw, {k: config[k] for k in _state_keys(kind)}))
    if kind in ("sgd_momentum", "nesterov_momentum"):
        out["negated_learning_rate"] = changed("velocity", learning_rate=-config["learning_rate"])
        out["zero_velocity"] = changed("velocity", velocity=np.zeros_like(dw))
        out["momentum_1"] = changed("velocity", momentum=1.0)
        out["learning_rate_1"] = changed("velocity", learning_rate=1.0)
        out["momentum_0"] = changed("next_w", momentum=0.0)            # plain SGD
        if kind == "sgd_momentum":
            # The velocity kept as it was: the step taken with the old one.
            out["velocity_kept"] = changed("next_w", momentum=1.0, learning_rate=0.0)
        elif "sgd_momentum" in solutions:
            out["sgd_momentum_rule"] = (("next_w",), (solutions["sgd_momentum"], dw, config))
    elif kind == "adagrad":
        out["zero_cache"] = changed("cache", cache=np.zeros_like(dw))
    elif kind == "rmsprop":
        out["swapped_decay_rate"] = changed("cache", decay_rate=1 - config["decay_rate"])
        if "adagrad" in solutions:
            out["adagrad_rule"] = (("cache",), (solutions["adagrad"], dw, config))
    elif kind == "adadelta":
        out["swapped_rho"] = changed("cache", rho=1 - config["rho"])
        # The cache's average taken of delta: delta averaged with dw**2.
        out["cache_from_delta"] = changed("cache", cache=config["delta"])
    elif kind == "adam":
        out["swapped_beta1"] = changed("m", beta1=1 - config["beta1"])
        out["swapped_beta2"] = changed("v", beta2=1 - config["beta2"])
        out["t_huge"] = changed("next_w", t=T_HUGE)
        # Given t - 1, the solution corrects with the t it was given: t
        # incremented after the bias correction.  From t = 0 that divides by 0.
        t = int(config["t"])
        out["t_minus_1"] = changed("next_w", t=t - 1) if t > 0 else (("next_w",), None)
        # Given t + 1: a count that starts at 1 (config.setdefault("t", 1)),
        # incremented before the correction, so the first step uses t = 2.
        out["t_plus_1"] = changed("next_w", t=1 + t)
    return out


def _run_counterfactual(kind, call_args, w, parts):
    """The parts a changed call of the solution returns; NaN where it has no
    value (or the solution refuses the changed inputs: then no hint)."""
    nothing = {part: np.full(w.shape, np.nan) for part in parts}
    if call_args is None:
        return nothing
    rule, dw, config = call_args
    try:
        next_w, out = call(rule, f"the solution's {kind}", w.copy(), dw.copy(),
                           _copy_config(config))
        values = {"next_w": next_w, **out}
        return {part: np.asarray(values[part], dtype=np.float64) for part in parts}
    except CheckFailure:
        return nothing


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's rules.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped).
    cases : dict, optional
        As returned by ``random_cases``: kind -> list of RuleCase.  By default
        the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray, to be saved with ``np.savez``: the inputs of every
    case (``<kind>/<case>/in_*``); ``next_w`` and each state entry after every
    call (``<kind>/<case>/<part>``), stacked along a first axis of length
    ``steps``; and the counterfactuals, the solution's outputs on the same
    calls with one input changed (``<kind>/<case>/cf_<change>/<part>``, NaN
    where the change means nothing on a call), which give the hints.

    Raises
    ------
    ValueError
        When a solution fills a hyperparameter with another default than the
        documented one (``DEFAULTS``): the checks and the notebook disagree.
    """
    if cases is None:
        cases = _default_cases()
    if not isinstance(cases, dict) or set(cases) - set(KINDS):
        raise ValueError(f"cases must be a dict with keys among {KINDS}, got {cases!r:.200}")
    ref = {}
    for kind, fn in ((k, solutions.get(k)) for k in KINDS):
        for case in cases.get(kind, ()) if fn else ():
            inputs = _inputs(kind, case)
            p = f"{kind}/{case.name}/"
            ref.update({p + k: v for k, v in inputs.items()})
            hyper_given = any(key in case.given for key in DEFAULTS[kind])
            config = _first_config(inputs)
            w = inputs["in_w"]
            out = {part: [] for part in _parts(kind)}
            changes = {}
            for dw in inputs["in_dw"]:
                full = _full_config(kind, config, w)
                for change, (parts, args) in _counterfactuals(kind, full, dw, solutions,
                                                               hyper_given).items():
                    values = _run_counterfactual(kind, args, w, parts)
                    for part, value in values.items():
                        changes.setdefault(f"cf_{change}/{part}", []).append(value)
                w, config = fn(w.copy(), dw.copy(), _copy_config(config))
                w = np.asarray(w, dtype=np.float64)
                out["next_w"].append(w)
                for key in _state_keys(kind):
                    out[key].append(np.asarray(config[key]))
            for key, default in DEFAULTS[kind].items():
                if key not in case.given and not np.isclose(float(config[key]), default,
                                                             rtol=1e-12, atol=0):
                    raise ValueError(f"the solution's {kind} fills {key} = {config[key]!r}, "
                                     f"the checks document {default!r} (DEFAULTS)")
            ref.update({p + k: np.stack(v) for k, v in out.items()})
            ref.update({p + k: np.stack(v) for k, v in changes.items()})
    return ref


def _stored_counterfactuals(ref, prefix):
    """change -> part -> the stacked values, for one case of the reference."""
    out = {}
    start = prefix + "cf_"
    for key, value in ref.items():
        if key.startswith(start):
            change, part = key[len(start):].split("/")
            out.setdefault(change, {})[part] = value
    return out


# ------------------------------------------------------------------ the hints

def _over(step, right, wrong):
    """The solution's ``step`` divided by ``wrong`` where it divides by ``right``."""
    return step * right / wrong


def _times(step, right, wrong):
    """The solution's ``step`` multiplied by ``wrong`` where it multiplies by ``right``."""
    return step / right * wrong


@dataclass(frozen=True)
class _Call:
    """One call of a rule, as its hints see it: every value is the solution's.

    ``right`` is its new state and next_w on this call, ``cf`` its
    counterfactuals (change -> part -> value: the solution on changed
    inputs), ``prev`` the state the rule was given and ``h`` the
    hyperparameters in force.
    """
    kind: str
    h: dict
    prev: dict
    right: dict
    cf: dict
    w: np.ndarray
    dw: np.ndarray

    def c(self, change, part):
        """The solution's ``part`` under the counterfactual ``change`` (None
        when it was not computed)."""
        return self.cf.get(change, {}).get(part)

    @property
    def step(self):
        return self.right["next_w"] - self.w


def _hints(call):
    """(value, message) candidates of the common bugs, per part ("next_w" or a
    state key), for one call (a ``_Call``).

    The mistakes every rule can make come first, then the rule's own
    (``_RULE_HINTS``).  A candidate equal to the right value is skipped when
    matching (``_first_hint``), so a bug is named only where it shows.
    """
    out = {key: [] for key in STATE[call.kind]}
    rule = _RULE_HINTS[call.kind](call)
    # "next_w_first": a rule's candidates that go before the common ones.
    out["next_w"] = rule.pop("next_w_first", []) + _common_hints(call, out) + \
        rule.pop("next_w", [])
    for part, candidates in rule.items():
        out[part] += candidates
    return {part: [(v, m) for v, m in candidates if v is not None]
            for part, candidates in out.items()}


def _common_hints(call, out):
    """next_w's candidates of any rule (a doubled step, the wrong sign, the step
    returned); the state's candidates for ignored hyperparameters go to ``out``."""
    w, step = call.w, call.step
    uphill = "next_w moves uphill: the step has the wrong sign"
    if call.kind in ("sgd_momentum", "nesterov_momentum"):
        uphill += " (the course's velocity is the step itself, next_w = w + v, not w - v)"
    nxt = [(w + 2 * step, "the step is taken twice (next_w = w + 2 * step?)"),
           (w - step, uphill),
           (step, "next_w equals the step: return the new value of w, w + step, not the "
                  "step itself")]
    if "default_hyperparameters" in call.cf:
        message = (" the one for the default hyperparameters ("
                   + ", ".join(f"{k}={v:g}" for k, v in DEFAULTS[call.kind].items())
                   + "): use the values in config, which the caller may have set")
        nxt.append((call.c("default_hyperparameters", "next_w"), "your step is" + message))
        for key in STATE[call.kind]:
            out[key].append((call.c("default_hyperparameters", key), f"your {key} is" + message))
    return nxt


def _momentum_hints(call):
    """What SGD with momentum and Nesterov momentum share: the velocity."""
    c = call.c
    return {"velocity": [
        (c("negated_learning_rate", "velocity"),
         "the velocity has the wrong sign: the course stores the step, "
         "v = momentum * v - learning_rate * dw, and next_w = w + v"),
        (c("zero_velocity", "velocity"),
         "the velocity before this step is not used: read it from config['velocity'] "
         "(it starts at zeros) and decay it by momentum"),
        (c("momentum_1", "velocity"), "the old velocity is not multiplied by momentum"),
        (c("learning_rate_1", "velocity"),
         "learning_rate is missing: v = momentum * v - learning_rate * dw")],
        "next_w": [(c("momentum_0", "next_w"), "next_w is a plain SGD step: momentum is ignored")]}


def _sgd_momentum_hints(call):
    out = _momentum_hints(call)
    out["next_w"].append((call.c("velocity_kept", "next_w"),
                          "next_w uses the velocity from before the update: update v first, "
                          "then next_w = w + v"))
    return out


def _nesterov_hints(call):
    """Nesterov's look-ahead (plain momentum's next_w is named before the common
    mistakes: from a zero velocity plain momentum is also a plain SGD step)."""
    out = _momentum_hints(call)
    out["velocity"].append(
        (call.step, "config['velocity'] holds the whole step next_w - w: store the new "
                    "velocity v = momentum * v - learning_rate * dw; the look-ahead is only "
                    "part of next_w"))
    plain = call.c("sgd_momentum_rule", "next_w")
    if plain is not None:
        out["next_w_first"] = [
            (plain, "this is plain momentum: the look-ahead correction momentum * (v - v_prev) "
                    "is missing (in the notes' form x += -mu * v_prev + (1 + mu) * v, v_prev "
                    "must be a copy: v_prev = v.copy() before updating v in place)"),
            # The correction subtracted: as far below plain momentum as the
            # solution is above it.
            (2 * plain - call.right["next_w"], "the look-ahead correction has the wrong sign: "
                                               "+ momentum * (v - v_prev)")]
    return out


def _cache_step_hints(call):
    """next_w's candidates of AdaGrad and RMSProp, whose step divides by
    np.sqrt(cache) + epsilon."""
    w, step = call.w, call.step
    c0, c1, eps = call.prev["cache"], call.right["cache"], call.h["epsilon"]
    root = np.sqrt(c1) + eps
    return [(w + _over(step, root, np.sqrt(c1 + eps)),
             "epsilon is inside the square root: divide by (np.sqrt(cache) + epsilon)"),
            (w + _over(step, root, np.sqrt(c1)),
             "epsilon is missing from the denominator: np.sqrt(cache) + epsilon"),
            (w + _over(step, root, np.sqrt(c0) + eps),
             "the step uses the cache from before this step: update cache first"),
            (w + _over(step, root, c1 + eps),
             "the square root is missing: divide by (np.sqrt(cache) + epsilon)")]


def _adagrad_hints(call):
    return {"cache": [(call.c("zero_cache", "cache"), "cache is replaced by dw**2: AdaGrad "
                                                      "accumulates, cache = cache + dw**2"),
                      (call.prev["cache"] + call.dw,
                       "cache adds dw: it accumulates the squares, dw**2")],
            "next_w": _cache_step_hints(call)}


def _rmsprop_hints(call):
    c0, c1, rate = call.prev["cache"], call.right["cache"], call.h["decay_rate"]
    squares = (c1 - rate * c0) / (1 - rate)   # dw**2, read off the solution's cache
    return {"cache": [(call.c("swapped_decay_rate", "cache"),
                       "decay_rate and 1 - decay_rate are swapped: cache = decay_rate * "
                       "cache + (1 - decay_rate) * dw**2"),
                      (call.c("adagrad_rule", "cache"),
                       "this is AdaGrad's cache: RMSProp decays it, cache = decay_rate "
                       "* cache + (1 - decay_rate) * dw**2"),
                      (rate * c0 + squares, "the factor (1 - decay_rate) of dw**2 is missing")],
            "next_w": _cache_step_hints(call)}


def _adadelta_hints(call):
    """AdaDelta's step: sqrt(delta + epsilon) from before the call over
    sqrt(cache + epsilon) from after it, times -dw."""
    w, step, rho, eps = call.w, call.step, call.h["rho"], call.h["epsilon"]
    c0, d0 = call.prev["cache"], call.prev["delta"]
    c1, d1 = call.right["cache"], call.right["delta"]
    grads = call.c("cache_from_delta", "cache")   # delta averaged with dw**2
    return {
        "cache": [(call.c("swapped_rho", "cache"),
                   "rho and 1 - rho are swapped: cache = rho * cache + (1 - rho) * dw**2")],
        "delta": [(grads, "delta averages the squared gradients: it averages the squared "
                          "steps, step**2"),
                  ((1 - rho) * d0 + rho * step * step,
                   "rho and 1 - rho are swapped in delta's update")],
        "next_w": [
            (w + _times(_over(step, np.sqrt(c1 + eps), np.sqrt(c1) + eps),
                        np.sqrt(d0 + eps), np.sqrt(d0) + eps),
             "epsilon is outside the square roots: AdaDelta uses sqrt(delta + epsilon) "
             "/ sqrt(cache + epsilon)"),
            (None if grads is None else w + _times(step, np.sqrt(d0 + eps),
                                                   np.sqrt(grads + eps)),
             "the step uses a delta updated with dw**2: the step needs delta from before "
             "this step, and delta then averages the squared steps, step**2"),
            (w + _over(step, np.sqrt(c1 + eps), np.sqrt(c0 + eps)),
             "the step uses the cache from before this step: update cache first, delta "
             "after the step"),
            (w + _times(step, np.sqrt(d0 + eps), np.sqrt(d1 + eps)),
             "the step uses the updated delta: the step needs delta from before this "
             "step, and delta is updated after it")]}


def _adam_hints(call):
    w, step, dw, h = call.w, call.step, call.dw, call.h
    b1, b2, t = h["beta1"], h["beta2"], int(call.right["t"])
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t        # the bias corrections of this call
    m1, v1, eps = call.right["m"], call.right["v"], h["epsilon"]
    plain = call.c("t_huge", "next_w")   # the solution's next_w without bias correction
    uncorrected = None if plain is None else plain - w
    return {
        "m": [(m1 / c1, "config['m'] holds the bias-corrected m: store the moving "
                        "average itself and correct a copy, m_hat = m / (1 - beta1**t)"),
              (call.c("swapped_beta1", "m"), "beta1 and 1 - beta1 are swapped"),
              (m1 + b1 * dw, "the factor (1 - beta1) of dw is missing")],
        "v": [(v1 / c2, "config['v'] holds the bias-corrected v: store the moving "
                        "average itself and correct a copy, v_hat = v / (1 - beta2**t)"),
              (call.c("swapped_beta2", "v"), "beta2 and 1 - beta2 are swapped")],
        "next_w": [
            (plain, "the bias correction is missing: use m_hat = m / (1 - beta1**t) and "
                    "v_hat = v / (1 - beta2**t)"),
            (w + step * c1, "only v is bias-corrected: m_hat = m / (1 - beta1**t) too"),
            (None if plain is None else w + uncorrected / c1,
             "only m is bias-corrected: v_hat = v / (1 - beta2**t) too"),
            (w + _over(step, np.sqrt(v1 / c2) + eps, np.sqrt(v1 / c2 + eps)),
             "epsilon is inside the square root: divide by (np.sqrt(v_hat) + epsilon)"),
            (None if plain is None else w + uncorrected * np.sqrt(c2) / c1,
             "this is the paper's 'efficient' form, whose epsilon is not bias-corrected: "
             "the course's rule divides m_hat by (np.sqrt(v_hat) + epsilon)"),
            (call.c("t_minus_1", "next_w"),
             "the bias correction uses t before the increment: increment t first "
             "(t = t + 1), then m_hat = m / (1 - beta1**t)")]}


# Each rule's own hints (``_hints`` adds the mistakes every rule can make).
_RULE_HINTS = {"sgd_momentum": _sgd_momentum_hints, "nesterov_momentum": _nesterov_hints,
               "adagrad": _adagrad_hints, "rmsprop": _rmsprop_hints,
               "adadelta": _adadelta_hints, "adam": _adam_hints}


# ---------------------------------------------------------------- comparing

def _near(actual, want, tol=TOL):
    """Element-wise rtol, atol relative to the largest expected magnitude."""
    want = np.asarray(want, dtype=np.float64)
    if want.size == 0 or not np.all(np.isfinite(want)):
        return False
    return close(actual, want, tol["rtol"], _atol(want, tol))


def _atol(want, tol=TOL):
    return tol["atol"] * float(np.max(np.abs(want))) + 1e-300


def _first_hint(actual, candidates, want, w=None):
    """``_core.first_hint`` on the candidates that differ from the right value
    ``want`` (next_w: all as steps from ``w``)."""
    shift = 0.0 if w is None else w
    want = np.asarray(want, dtype=np.float64) - shift
    with np.errstate(all="ignore"):
        wrong = [(np.asarray(value, dtype=np.float64) - shift, message)
                 for value, message in candidates]
        wrong = [(value, message) for value, message in wrong
                 if value.shape == want.shape and not _near(value, want)]
        return first_hint(np.asarray(actual, dtype=np.float64) - shift, wrong,
                          TOL["rtol"], _atol(want))


def _array(value, shape, name, what, label):
    """``_core.array`` (a numpy array of w's shape), holding numbers."""
    try:
        value = array(value, shape, name, what)
    except CheckFailure as e:
        raise CheckFailure(f"{e}\n  on {label}") from None
    if value.dtype.kind not in "biuf":
        fail(name, f"{what} should hold numbers, got an array of dtype {value.dtype}")
    return value


def _label(case, config, step):
    given = ("config=None" if config is None
             else "config {}" if not config else "config given " + ", ".join(config))
    return (f"test case '{case.name}' (w {tuple(case.shape)}, {given}), "
            f"call {step + 1} of {case.steps}")


def _and(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------- check

def _call_rule(rule, name, kind, *, w, dw, config, label):
    """Call the rule once: a tuple (next_w, config) back (``check_update_rule``
    checks that w and dw are intact)."""
    try:
        result = call(rule, name, w, dw, _copy_config(config))
    except CheckFailure as e:
        cause = e.__cause__
        message = str(cause) if cause is not None else ""
        hint = ""
        missing = [k for k in _keys(kind) if repr(k) in message or f'"{k}"' in message]
        if type(cause).__name__ == "KeyError" and missing:
            key = missing[0]
            default = (DEFAULTS[kind].get(key, 0) if key not in STATE[kind]
                       else "np.zeros_like(w)")
            hint = (f"config has no '{key}' when the caller does not give it: fill in every "
                    f"missing key first, config.setdefault('{key}', {default})")
        elif config is None and "NoneType" in message:
            hint = ("config may be None (its default): start with `if config is None: "
                    "config = {}`")
        if not hint:
            raise
        raise CheckFailure(f"{e}\n  on {label}\n  hint: {hint}") from cause
    if not isinstance(result, tuple) or len(result) != 2:
        fail(name, f"should return a tuple (next_w, config), got {type(result).__name__}"
                   + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    next_w, out = result
    if isinstance(next_w, Mapping) and isinstance(out, np.ndarray):
        fail(name, "returned (config, next_w): the order is (next_w, config)")
    next_w = _array(next_w, w.shape, name, "next_w", label)
    if not isinstance(out, Mapping):
        fail(name, f"should return (next_w, config) with config a dict, got "
                   f"{type(out).__name__} on {label}")
    return next_w, out


def _check_config(kind, name, out, *, h, given, prev, right, shape, label, t_hint=None):
    """Every documented key: hyperparameters as given or at their defaults,
    state arrays of w's shape, t the solution's.  Returns the new state.

    ``t_hint`` is called on a wrong step count only: (t) -> the hint of a
    count that starts at 1 (``_t_start_hint``), or "".
    """
    missing = [k for k in _keys(kind) if k not in out]
    if missing:
        key = missing[0]
        fail(name, f"the returned config has no {', '.join(repr(k) for k in missing)} on "
                   f"{label}",
             "the returned config holds the hyperparameters and the state for the next call",
             f"hint: config.setdefault('{key}', {DEFAULTS[kind][key]:g}) fills in a missing "
             "hyperparameter" if key in DEFAULTS[kind] else
             f"hint: store the new state in the config, config['{key}'] = ...")
    for key, default in DEFAULTS[kind].items():
        value = scalar(out[key], name, f"config['{key}']")
        if not np.isclose(value, h[key], rtol=1e-12, atol=0):
            if key in given:
                fail(name, f"config['{key}'] is {value:g} after the call on {label}",
                     f"{h[key]:g} was given: a rule keeps the caller's hyperparameters")
            fail(name, f"config['{key}'] is {value:g} after the call on {label}",
                 f"it was not given, so it holds its documented default {default:g}",
                 f"hint: config.setdefault('{key}', {default:g})")
    new = {}
    for key in STATE[kind]:
        new[key] = np.asarray(_array(out[key], shape, name, f"config['{key}']", label),
                              dtype=np.float64)
    if kind in COUNTER:
        key = COUNTER[kind]
        t, want = out[key], int(right[key])
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            fail(name, f"config['{key}'] should be an int (the number of steps taken), got "
                       f"{type(t).__name__} {t!r} on {label}",
                 f"hint: it starts at the int 0, config.setdefault('{key}', 0)")
        if int(t) != want:
            hint = ("t is never incremented: add 1 to config['t'] on every call, before the "
                    "bias correction" if int(t) == prev[key]
                    else (t_hint and t_hint(int(t)))
                    or "t counts the calls: it goes up by exactly one per call")
            fail(name, f"config['{key}'] is {int(t)} after the call, expected {want} "
                       f"(it was {prev[key]} before) on {label}", "hint: " + hint)
        new[key] = int(t)
    return new


def _t_start_hint(rule, name, *, t, want, config, w, dw, first_step):
    """The hint of an Adam whose step count starts at 1 when the caller gives
    none (``config.setdefault("t", 1)``, CS231n's starter code of 2017), or "".

    Such a rule returns ``t`` one too large on a call without ``t`` only; it is
    told apart from one that counts two per call by calling it once more with
    ``t = 0`` given.  ``first_step`` : () -> "t = 2" when the rule's step is
    the solution's given ``t + 1``, "right" when it is the solution's, else "".
    """
    if (config is not None and "t" in config) or t != want + 1:
        return ""
    probe = {**(_copy_config(config) or {}), "t": want - 1}
    try:
        result = call(rule, name, w.copy(), dw.copy(), probe)
        counted = result[1]["t"]
    except (CheckFailure, LookupError, TypeError):
        return ""
    if isinstance(counted, (bool, np.bool_)) or not isinstance(counted, (int, np.integer)) \
            or int(counted) != want:
        return ""
    used = {"t = 2": "so your first step uses t = 2 in the bias correction",
            "right": "so your first step is right (it corrects with t = 1 before the "
                     "increment), but the t you store is one ahead of the steps taken and a "
                     "run that goes on from a given t corrects with the wrong one"
            }.get(first_step(), "so your t is one ahead of the steps taken")
    return (f"t starts at 1 when the config has no 't' (config.setdefault('t', 1)?), {used}: "
            f"t counts the steps taken so far, so it starts at 0, config.setdefault('t', 0), "
            f"and is incremented before the bias correction, so that the first step uses "
            f"t = 1")


def _state_before(kind, config, w):
    """The state the rule was given, with the documented zeros filled in."""
    full = _full_config(kind, config, w)
    prev = {key: np.asarray(full[key], dtype=np.float64) for key in STATE[kind]}
    if kind in COUNTER:
        prev[COUNTER[kind]] = int(full[COUNTER[kind]])
    return prev


def _order(kind):
    """The parts in the order they are computed: AdaDelta's delta after the step."""
    return sorted(STATE[kind] + ("next_w",), key=lambda k: k == "delta")


def _nonfinite_hint(kind, prev):
    if kind in COUNTER and prev[COUNTER[kind]] == 0:
        return ("at the first step 1 - beta1**t is 0 if t is still 0: increment t before "
                "the bias correction")
    return "look for a division by zero or the square root of a negative number"


def _check_values(kind, name, next_w, *, new, right, hints, w, label):
    """The student's new state and next_w against the solution's, in the order
    the rule computes them; the first mismatch fails, naming the part.

    ``hints`` is called on a mismatch only: () -> the candidates of ``_hints``.
    """
    done = []
    for part in _order(kind):
        got, want = (next_w, right["next_w"]) if part == "next_w" else (new[part], right[part])
        if part == "next_w" and _near(got - w, want - w) or part != "next_w" and _near(got, want):
            done.append(part)
            continue
        what = "next_w" if part == "next_w" else f"config['{part}']"
        if not np.all(np.isfinite(got)):
            j = tuple(int(k) for k in np.argwhere(~np.isfinite(got))[0])
            fail(name, f"{what} is not finite on {label}", f"{part}{list(j)} = {float(got[j])}",
                 "hint: " + hints["nonfinite"])
        if part == "next_w":
            state = done + ([COUNTER[kind]] if kind in COUNTER else [])
            one = len(state) == 1
            i, yours, expected = worst_index(got - w, want - w)
            lines = [f"your new {_and(state)} {'is' if one else 'are'} right (the solution's), "
                     f"so the step computed from {'it' if one else 'them'} is wrong",
                     f"largest difference at next_w{list(i)}, as a step from w there "
                     f"({float(w[i]):.6g}): yours {yours:.10g}, expected {expected:.10g}",
                     f"expected {FORMULA[kind]}"]
        else:
            i, yours, expected = worst_index(got, want)
            lines = [f"largest difference at {part}{list(i)}: yours {yours:.10g}, expected "
                     f"{expected:.10g}",
                     f"expected {FORMULA.get(f'{kind}/{part}', FORMULA.get(part))}, from the "
                     f"state given to this call"]
        hint = _first_hint(got, hints["candidates"]()[part], want,
                           w if part == "next_w" else None)
        fail(name, f"{what} is wrong on {label}", *lines, "hint: " + hint if hint else "")


def check_update_rule(kind, rule, *, cases="visible", reference=None):
    """Check an update rule ``rule(w, dw, config=None) -> (next_w, config)``.

    Each case calls ``rule`` ``case.steps`` times in a row, each time with a
    fresh ``dw`` and the config the previous call returned (a copy), and
    compares its state and ``next_w`` with the solution's after every call.

    Parameters
    ----------
    kind : {"sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam"}
    rule : callable
    cases : {"visible", "hidden"} or list of RuleCase
        The hidden cases and a list (the grader's unseen cases) start mid-run
        and follow the rule's recurrence for up to five calls.
    reference : dict, optional
        Reference arrays for a list of cases (``make_reference``); the stored
        ones by default.
    """
    check_kind(kind, KINDS)
    name = getattr(rule, "__name__", kind)
    cases, label_set = _cases(kind, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        inputs = case_inputs(ref, kind, case.name)
        first = _first_config(inputs)
        given = set(first or ())
        h = {k: float(first[k]) if k in given else d for k, d in DEFAULTS[kind].items()}
        want = {part: ref[p + part] for part in _parts(kind)}
        changes = _stored_counterfactuals(ref, p)
        config = first
        for step in range(case.steps):
            label = _label(case, first, step)
            w = inputs["in_w"].copy() if step == 0 else np.array(want["next_w"][step - 1])
            dw = inputs["in_dw"][step].copy()
            prev = _state_before(kind, config, w)
            right = {part: values[step] for part, values in want.items()}
            # The rule gets copies: the checks compare with w and dw as they were.
            given_w, given_dw = w.copy(), dw.copy()
            with inputs_kept(name, {"w": given_w, "dw": given_dw}, who="an update rule",
                             where=label):
                next_w, out = _call_rule(rule, name, kind, w=given_w, dw=given_dw,
                                         config=config, label=label)

                def t_hint(t, *, config=config, w=w, dw=dw, next_w=np.array(next_w), step=step,
                           right=right):
                    plus_1 = changes.get("t_plus_1", {}).get("next_w")

                    def first_step():
                        if plus_1 is not None and _near(next_w - w, plus_1[step] - w):
                            return "t = 2"
                        return "right" if _near(next_w - w, right["next_w"] - w) else ""
                    return _t_start_hint(rule, name, t=t, want=int(right["t"]), config=config,
                                         w=w, dw=dw, first_step=first_step)

                new = _check_config(kind, name, out, h=h, given=given, prev=prev, right=right,
                                    shape=w.shape, label=label,
                                    t_hint=t_hint if kind in COUNTER else None)
                count += 2 + len(_keys(kind))

                def candidates(prev=prev, right=right, w=w, dw=dw, step=step):
                    cf = {change: {part: v[step] for part, v in parts.items()}
                          for change, parts in changes.items()}
                    with np.errstate(all="ignore"):
                        return _hints(_Call(kind, h, prev, right, cf, w, dw))

                _check_values(kind, name, next_w, new=new, right=right,
                              hints={"candidates": candidates,
                                     "nonfinite": _nonfinite_hint(kind, prev)},
                              w=w, label=label)
                count += len(STATE[kind]) + 1
            config = dict(out)
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------ for the grader

def _grade_rule(g, fns, *, cases, reference):
    """An update rule's check on the grader's cases (``_core.Graded.run``)."""
    check_update_rule(g.kind, fns[g.name], cases=cases[g.kind], reference=reference)


GRADED = [_core.Graded(kind, "optimizers.ipynb", f"test_{kind}", kind, run=_grade_rule)
          for kind in KINDS]


# The search of optimizers.ipynb, section 9: the given TwoLayerNet(64, 100, 10,
# weight_scale=1e-2, reg=1e-3, rng=default_rng(0)) trained on the digits by the
# Solver (batches of 100, rng default_rng(0), 20 epochs) with each rule at
# each of its learning rates; best_val_acc is the best run's.  One run that
# fails (the Solver raises on a step that is not finite, or the rule raises)
# stops the whole search, so test_best_val_accuracy fails.
RULE_SEARCH = {"sgd_momentum": (0.03, 0.1, 0.3), "nesterov_momentum": (0.03, 0.1, 0.3),
               "adagrad": (0.03, 0.1, 0.3), "rmsprop": (3e-3, 1e-2, 3e-2),
               "adadelta": (None,), "adam": (3e-3, 1e-2, 3e-2)}
SGD_RATES = (3.0, 1.0, 0.3)     # the package's sgd, the search's first candidate
NET = {"hidden_dim": 100, "weight_scale": 1e-2, "reg": 1e-3, "batch_size": 100,
       "num_epochs": 20, "seed": 0}
# The grader runs each of the student's 16 runs for one epoch (11 steps): a
# rule that breaks the training does so at once (Adam with t counted after
# the correction divides by zero at the first step), and with one call of
# the rule per step (``_Flat``) an epoch costs about 11 calls of the worker.
# The package's sgd, trained here, reaches 0.90 in two epochs at 3.0.
STUDENT_EPOCHS = 1


class _Flat:
    """The given network with its parameters as one flat vector ``theta``.

    Every rule of the course is elementwise, so one call on the concatenated
    parameters is the same update as one call per parameter with its own
    config (the hyperparameters are the same and Adam's ``t`` advances alike
    in each): a step costs one call of the worker instead of four.
    """

    def __init__(self, net):
        self.net = net
        self.keys = list(net.params)
        self.shapes = [np.shape(net.params[k]) for k in self.keys]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.params = {"theta": np.concatenate([np.ravel(net.params[k]) for k in self.keys])}

    def loss(self, X, y=None):
        parts = np.split(self.params["theta"], np.cumsum(self.sizes)[:-1])
        for k, part, shape in zip(self.keys, parts, self.shapes):
            self.net.params[k] = part.reshape(shape)
        out = self.net.loss(X, y)
        if y is None:
            return out
        loss, grads = out
        return loss, {"theta": np.concatenate([np.ravel(grads[k]) for k in self.keys])}


def _rule_run(net_cls, data, rule, *, learning_rate, goal, num_epochs):
    """One run of the search; ``(solver, error)`` as ``_training.train_until``."""
    D, C = data["X_train"].shape[1], int(data["y_train"].max()) + 1
    net = net_cls(D, NET["hidden_dim"], C, weight_scale=NET["weight_scale"], reg=NET["reg"],
                  rng=np.random.default_rng(NET["seed"]))
    config = {} if learning_rate is None else {"learning_rate": learning_rate}
    return _training.train_until(_Flat(net), data, goal, update_rule=rule,
                                 optim_config=config, batch_size=NET["batch_size"],
                                 num_epochs=num_epochs, rng=np.random.default_rng(NET["seed"]))


def _rule_search(fns, minimum):
    """The best validation accuracy of optimizers.ipynb's search, with the
    student's rules; (value, detail).

    Raises BelowThreshold when one of the student's runs fails, as the
    notebook's search does.
    """
    from ..optim import sgd
    net_cls = fns["TwoLayerNet"]           # the given network: instructor code
    data = _training.digits(bias_trick=False)
    best, where = float("-inf"), None
    for kind, rates in RULE_SEARCH.items():
        for lr in rates:
            solver, error = _rule_run(net_cls, data, fns[kind], learning_rate=lr, goal=2.0,
                                      num_epochs=STUDENT_EPOCHS)
            at = "" if lr is None else f" at learning rate {lr:g}"
            if error:
                raise _core.BelowThreshold(
                    f"best_val_acc: the search of section 9 stops: {kind}{at} broke the "
                    f"training of the given network: {error}")
            if solver.best_val_acc > best:
                best, where = solver.best_val_acc, f"{kind}{at}, after {solver.epoch} epoch"
    if best < minimum:
        for lr in SGD_RATES:
            solver, error = _rule_run(net_cls, data, sgd, learning_rate=lr, goal=minimum,
                                      num_epochs=NET["num_epochs"])
            if solver is not None and solver.best_val_acc > best:
                best = solver.best_val_acc
                where = f"the package's sgd at learning rate {lr:g}, {solver.epoch} epochs"
            if best >= minimum:
                break
    detail = (f"the search of section 9 with your update rules, each run for "
              f"{STUDENT_EPOCHS} epoch, and the package's sgd: best validation accuracy "
              f"{best:.4f} ({where})")
    return best, detail


def _grade_rule_search(r, fns, *, cases, reference):
    """optimizers.ipynb's search, run with the student's rules and the given
    network (a2_layers.py, the solution of Assignment 2)."""
    return _rule_search(fns, r.minimum)


RECOMPUTED = [_core.Recomputed("best_val_acc", "optimizers.ipynb", "test_best_val_accuracy",
                               "rule_search", 0.90, uses=KINDS,
                               trusted=(("a2_layers.py", "TwoLayerNet"),),
                               run=_grade_rule_search)]


def random_cases(rng):
    """Fresh cases for the grader: shapes, seeds, step counts and the values of
    the given config drawn from ``rng``, so no student has seen their inputs.

    Every rule gets the same four kinds of case, so every bug of the catalogue
    shows whatever the draw: config=None, the hyperparameters given, a mid-run
    state with everything given, and tiny gradients.

    Returns
    -------
    dict of kind -> list of RuleCase, with the keys of ``CASES``.
    """
    def seed():
        return int(rng.integers(2**31))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def shape():
        return [(n(1, 8),), (n(1, 5), n(1, 6)), (n(1, 3), n(2, 3), n(1, 4))][n(0, 2)]

    cases = {}
    for kind in KINDS:
        hyper, state = tuple(DEFAULTS[kind]), _state_keys(kind)
        cases[kind] = [
            RuleCase("unseen_defaults", seed(), shape(), steps=n(2, 4), config_none=True),
            RuleCase("unseen_hyperparameters", seed(), shape(), steps=n(1, 3), given=hyper),
            RuleCase("unseen_mid_run", seed(), shape(), steps=n(2, 5), given=hyper + state),
            RuleCase("unseen_tiny_gradients", seed(), shape(), steps=n(2, 4), given=state,
                     scale=float(10 ** rng.uniform(-5, -4)))]
    return cases


ASSIGNMENT = Assignment(
    id=AID, notebooks=("optimizers.ipynb",), graded=tuple(GRADED),
    recomputed=tuple(RECOMPUTED), solutions=SOLUTIONS, make_reference=make_reference,
    random_cases=random_cases,
    given=(Given("a2_layers.py", neural_net.AID, {
        "backprop.ipynb": ("affine_forward", "affine_backward", "relu_forward",
                           "relu_backward", "softmax_loss"),
        "two_layer_net.ipynb": ("TwoLayerNet",)}),))
