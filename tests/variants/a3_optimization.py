"""Implementations of Assignment 3's update rules, right and wrong.

The soundness suite (tests/test_checks_optimization.py) runs every check on
every variant: each CORRECT variant must pass, each WRONG variant must fail.
The wrong ones are the common bugs of the catalogue; their names say the bug.

CORRECT and WRONG are keyed by the kinds of ``cs231n.checks.optimization.GRADED``
("sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam"),
each a list of functions ``rule(w, dw, config=None) -> (next_w, config)``.
The right ones are written in different ways: new arrays or in-place updates
of the config's arrays, the notes' arrangements of the same formula,
``np.sqrt`` or ``** 0.5``, ``setdefault`` or ``get``.

Every variant is a self-contained top-level function that uses only ``np``,
so its source can be put into an answer cell as it is.
"""
import numpy as np


# ======================================================== SGD with momentum

def sgd_momentum_new_arrays(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def sgd_momentum_in_place(w, dw, config=None):
    """Updates the velocity array of the config in place."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.setdefault("velocity", np.zeros_like(w))
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    next_w = w.copy()
    next_w += v
    return next_w, config


def sgd_momentum_get(w, dw, config=None):
    """Reads with get and writes every value back."""
    config = dict(config or {})
    lr = config["learning_rate"] = config.get("learning_rate", 0.01)
    mu = config["momentum"] = config.get("momentum", 0.9)
    v = np.multiply(mu, config.get("velocity", np.zeros(w.shape))) - np.multiply(lr, dw)
    config["velocity"] = v
    return np.add(w, v), config


def sgd_momentum_wrong_sign(w, dw, config=None):
    """v = momentum * v + learning_rate * dw and next_w = w - v: the velocity
    has the opposite sign of the course's."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def sgd_momentum_uphill(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def sgd_momentum_mutates_w(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    w += v
    return w, config


def sgd_momentum_returns_step(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return v, config


def sgd_momentum_ignores_config(w, dw, config=None):
    """Fills in the defaults but then uses constants, not the config's values."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = 0.9 * v - 1e-2 * dw
    config["velocity"] = v
    return w + v, config


def sgd_momentum_wrong_default(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.5)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def sgd_momentum_velocity_not_stored(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config


def sgd_momentum_old_velocity(w, dw, config=None):
    """Takes the step with the velocity from before the update."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = w + v
    config["velocity"] = config["momentum"] * v - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum_none_config(w, dw, config=None):
    """Does not handle config=None."""
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


# ======================================================== Nesterov momentum

def nesterov_momentum_lecture(w, dw, config=None):
    """The lecture's form: next_w = w + v_new + momentum * (v_new - v)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v_new = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v_new + config["momentum"] * (v_new - v)
    config["velocity"] = v_new
    return next_w, config


def nesterov_momentum_notes(w, dw, config=None):
    """The notes' form with v_prev, the velocity updated in place."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v = config.setdefault("velocity", np.zeros_like(w))
    v_prev = v.copy()
    v *= mu
    v -= config["learning_rate"] * dw
    return w - mu * v_prev + (1 + mu) * v, config


def nesterov_momentum_sutskever(w, dw, config=None):
    """next_w = w + momentum * v_new - learning_rate * dw: the same sum."""
    config = dict(config or {})
    lr = config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v_new = mu * config.get("velocity", np.zeros_like(w)) - lr * dw
    config["velocity"] = v_new
    return w + mu * v_new - lr * dw, config


def nesterov_momentum_plain(w, dw, config=None):
    """No look-ahead: plain momentum."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def nesterov_momentum_aliased_v_prev(w, dw, config=None):
    """The notes' form, but v_prev is the same array as v (no copy)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v = config.setdefault("velocity", np.zeros_like(w))
    v_prev = v
    v *= mu
    v -= config["learning_rate"] * dw
    return w - mu * v_prev + (1 + mu) * v, config


def nesterov_momentum_stores_step(w, dw, config=None):
    """Stores the whole step as the velocity."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v_new = config["momentum"] * v - config["learning_rate"] * dw
    step = v_new + config["momentum"] * (v_new - v)
    config["velocity"] = step
    return w + step, config


def nesterov_momentum_mutates_w(w, dw, config=None):
    """The right step, added to w in place (the notes' x += ...)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity", np.zeros_like(w))
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    w += -mu * v_prev + (1 + mu) * v
    return w, config


def nesterov_momentum_correction_sign(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v_new = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v_new
    return w + v_new - config["momentum"] * (v_new - v), config


# ================================================================= AdaGrad

def adagrad_new_arrays(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adagrad_in_place(w, dw, config=None):
    """Accumulates in place; np.divide and ** 0.5."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache += dw * dw
    step = np.divide(config["learning_rate"] * dw, cache ** 0.5 + config["epsilon"])
    return w - step, config


def adagrad_get(w, dw, config=None):
    """A new dict, np.square and np.add."""
    config = dict(config or {})
    lr = config["learning_rate"] = config.get("learning_rate", 0.01)
    eps = config["epsilon"] = config.get("epsilon", 1e-8)
    config["cache"] = np.add(config.get("cache", np.zeros(w.shape)), np.square(dw))
    return w - lr * dw / (np.sqrt(config["cache"]) + eps), config


def adagrad_cache_replaced(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adagrad_epsilon_inside_sqrt(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])
    return next_w, config


def adagrad_mutates_dw(w, dw, config=None):
    """Scales dw in place."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    dw /= np.sqrt(cache) + config["epsilon"]
    return w - config["learning_rate"] * dw, config


def adagrad_missing_default(w, dw, config=None):
    """No default for epsilon."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adagrad_old_cache(w, dw, config=None):
    """Takes the step with the cache from before the update."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache + dw**2
    return next_w, config


# ================================================================ AdaDelta

def adadelta_new_arrays(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = rho * delta + (1 - rho) * step**2
    return w + step, config


def adadelta_in_place(w, dw, config=None):
    """In-place accumulators, an RMS helper, np.divide."""
    config = {} if config is None else config
    rho = config.setdefault("rho", 0.95)
    eps = config.setdefault("epsilon", 1e-6)
    cache = config.setdefault("cache", np.zeros_like(w))
    delta = config.setdefault("delta", np.zeros_like(w))

    def rms(x):
        return (x + eps) ** 0.5

    cache *= rho
    cache += (1 - rho) * dw * dw
    step = -np.divide(rms(delta), rms(cache)) * dw
    delta *= rho
    delta += (1 - rho) * step * step
    return w + step, config


def adadelta_epsilon_outside_sqrt(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = -(np.sqrt(delta) + eps) / (np.sqrt(cache) + eps) * dw
    config["cache"] = cache
    config["delta"] = rho * delta + (1 - rho) * step**2
    return w + step, config


def adadelta_rho_swapped(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = (1 - rho) * config.get("cache", np.zeros_like(w)) + rho * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = (1 - rho) * delta + rho * step**2
    return w + step, config


def adadelta_delta_of_gradients(w, dw, config=None):
    """delta accumulates dw**2 instead of the squared steps."""
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = rho * delta + (1 - rho) * dw**2
    return w + step, config


def adadelta_new_delta_in_step(w, dw, config=None):
    """Updates delta with dw**2 first and uses it in the step."""
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = rho * config.get("delta", np.zeros_like(w)) + (1 - rho) * dw**2
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = delta
    return w + step, config


def adadelta_wrong_sign(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = rho * delta + (1 - rho) * step**2
    return w + step, config


def adadelta_mutates_w(w, dw, config=None):
    """The right step, added to w in place."""
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    delta = config.get("delta", np.zeros_like(w))
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta"] = rho * delta + (1 - rho) * step**2
    w += step
    return w, config


# ================================================================= RMSProp

def rmsprop_new_arrays(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    cache = dr * config.get("cache", np.zeros_like(w)) + (1 - dr) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop_in_place(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    dr = config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache *= dr
    cache += (1 - dr) * dw * dw
    return w - np.divide(config["learning_rate"] * dw, cache ** 0.5 + config["epsilon"]), config


def rmsprop_moving_average_form(w, dw, config=None):
    """cache += (1 - decay_rate) * (dw**2 - cache): the same average."""
    config = dict(config or {})
    lr = config.setdefault("learning_rate", 1e-2)
    dr = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros(w.shape))
    cache = cache + (1 - dr) * (np.square(dw) - cache)
    config["cache"] = cache
    return w + (-lr) * dw / (np.sqrt(cache) + eps), config


def rmsprop_decay_swapped(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    cache = (1 - dr) * config.get("cache", np.zeros_like(w)) + dr * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop_epsilon_inside_sqrt(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    cache = dr * config.get("cache", np.zeros_like(w)) + (1 - dr) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"])
    return next_w, config


def rmsprop_wrong_default(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    cache = dr * config.get("cache", np.zeros_like(w)) + (1 - dr) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop_none_config(w, dw, config=None):
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    cache = dr * config.get("cache", np.zeros_like(w)) + (1 - dr) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop_adagrad_cache(w, dw, config=None):
    """Accumulates like AdaGrad: the cache never decays."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop_mutates_w(w, dw, config=None):
    """The right step, subtracted from w in place: w -= ..."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    config["cache"] = dr * config.get("cache", np.zeros_like(w)) + (1 - dr) * dw**2
    w -= config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return w, config


def rmsprop_mutates_w_decay_swapped(w, dw, config=None):
    """Two bugs: decay_rate and 1 - decay_rate swapped, and w changed in place."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    dr = config["decay_rate"]
    config["cache"] = (1 - dr) * config.get("cache", np.zeros_like(w)) + dr * dw**2
    w -= config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return w, config


# ==================================================================== Adam

def adam_new_arrays(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def adam_in_place(w, dw, config=None):
    """In-place moments (no temporaries for m and v), ** 0.5."""
    config = {} if config is None else config
    lr = config.setdefault("learning_rate", 1e-3)
    b1 = config.setdefault("beta1", 0.9)
    b2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    m = config.setdefault("m", np.zeros_like(w))
    v = config.setdefault("v", np.zeros_like(w))
    t = config["t"] = config.get("t", 0) + 1
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * dw * dw
    denom = (v / (1 - b2**t)) ** 0.5
    denom += eps
    return w - lr * np.divide(m / (1 - b1**t), denom), config


def adam_moving_average_form(w, dw, config=None):
    """m += (1 - beta1) * (dw - m), the notes' names mt and vt."""
    config = dict(config or {})
    lr = config.setdefault("learning_rate", 1e-3)
    beta1 = config.setdefault("beta1", 0.9)
    beta2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    m = config.get("m", np.zeros(w.shape))
    v = config.get("v", np.zeros(w.shape))
    t = config.get("t", 0) + 1
    m = m + (1 - beta1) * (dw - m)
    v = v + (1 - beta2) * (np.square(dw) - v)
    mt = m / (1 - beta1**t)
    vt = v / (1 - beta2**t)
    config.update(m=m, v=v, t=t)
    return w + -lr * mt / (np.sqrt(vt) + eps), config


def adam_no_bias_correction(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"])
                                                          + config["epsilon"])
    return next_w, config


def adam_t_after_correction(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["t"] = t + 1
    return next_w, config


def adam_t_starts_at_1(w, dw, config=None):
    """CS231n's starter code of 2017: t defaults to 1, then is incremented
    before the correction, so the first step uses t = 2."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 1)
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * (dw**2)
    mt = config["m"] / (1 - config["beta1"] ** config["t"])
    vt = config["v"] / (1 - config["beta2"] ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adam_t_starts_at_1_counted_after(w, dw, config=None):
    """t defaults to 1 and is incremented after the correction: from scratch
    the same steps as the course's Adam, but t is one ahead of the steps
    taken, so a run resumed with a given t corrects with one step too few."""
    if config is None:
        config = {}
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("t", 1)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    beta1, beta2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw ** 2)
    m_hat = config["m"] / (1 - beta1 ** t)
    v_hat = config["v"] / (1 - beta2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["t"] += 1
    return next_w, config


def adam_t_never_updated(w, dw, config=None):
    """Uses t + 1 in the correction but never stores it."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def adam_epsilon_inside_sqrt(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"])
    return next_w, config


def adam_correction_on_v_only(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def adam_stores_corrected_moments(w, dw, config=None):
    """Writes m_hat and v_hat back into the config."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = (b1 * config["m"] + (1 - b1) * dw) / (1 - b1**t)
    config["v"] = (b2 * config["v"] + (1 - b2) * dw**2) / (1 - b2**t)
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"])
                                                          + config["epsilon"])
    return next_w, config


def adam_paper_efficient_form(w, dw, config=None):
    """Kingma & Ba's reordering, whose epsilon is not bias-corrected."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    lr_t = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    next_w = w - lr_t * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config


def adam_missing_default(w, dw, config=None):
    """No default for epsilon."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def adam_mutates_w(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1**t)
    v_hat = config["v"] / (1 - b2**t)
    w -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return w, config


CORRECT = {
    "sgd_momentum": [sgd_momentum_new_arrays, sgd_momentum_in_place, sgd_momentum_get],
    "nesterov_momentum": [nesterov_momentum_lecture, nesterov_momentum_notes,
                          nesterov_momentum_sutskever],
    "adagrad": [adagrad_new_arrays, adagrad_in_place, adagrad_get],
    "adadelta": [adadelta_new_arrays, adadelta_in_place],
    "rmsprop": [rmsprop_new_arrays, rmsprop_in_place, rmsprop_moving_average_form],
    "adam": [adam_new_arrays, adam_in_place, adam_moving_average_form],
}

WRONG = {
    "sgd_momentum": [sgd_momentum_wrong_sign, sgd_momentum_uphill, sgd_momentum_mutates_w,
                     sgd_momentum_returns_step, sgd_momentum_ignores_config,
                     sgd_momentum_wrong_default, sgd_momentum_velocity_not_stored,
                     sgd_momentum_old_velocity, sgd_momentum_none_config],
    "nesterov_momentum": [nesterov_momentum_plain, nesterov_momentum_aliased_v_prev,
                          nesterov_momentum_stores_step, nesterov_momentum_correction_sign,
                          nesterov_momentum_mutates_w],
    "adagrad": [adagrad_cache_replaced, adagrad_epsilon_inside_sqrt, adagrad_mutates_dw,
                adagrad_missing_default, adagrad_old_cache],
    "adadelta": [adadelta_epsilon_outside_sqrt, adadelta_rho_swapped,
                 adadelta_delta_of_gradients, adadelta_new_delta_in_step, adadelta_wrong_sign,
                 adadelta_mutates_w],
    "rmsprop": [rmsprop_decay_swapped, rmsprop_epsilon_inside_sqrt, rmsprop_wrong_default,
                rmsprop_none_config, rmsprop_adagrad_cache, rmsprop_mutates_w,
                rmsprop_mutates_w_decay_swapped],
    "adam": [adam_no_bias_correction, adam_t_after_correction, adam_t_never_updated,
             adam_epsilon_inside_sqrt, adam_correction_on_v_only,
             adam_stores_corrected_moments, adam_paper_efficient_form, adam_missing_default,
             adam_mutates_w, adam_t_starts_at_1, adam_t_starts_at_1_counted_after],
}

# The correct default of every answer cell (grade_id = the rule's name): the
# sample submissions of the grading pipeline start from these.
BASE = {
    "sgd_momentum": [sgd_momentum_new_arrays],
    "nesterov_momentum": [nesterov_momentum_lecture],
    "adagrad": [adagrad_new_arrays],
    "adadelta": [adadelta_new_arrays],
    "rmsprop": [rmsprop_new_arrays],
    "adam": [adam_new_arrays],
}


# ======================================================= sample submissions
# The grading pipeline's end-to-end test grades these (cs231n.grading.samples).

from cs231n.grading.samples import Sample, delete_cell  # noqa: E402

OS_EXIT = """
import os

os._exit(1)
"""

PATCH_CHECKS = "checks.check_update_rule = lambda *a, **k: None\n"

SAMPLES = [
    Sample(
        "correct",
        note="Every rule right: every autograded test cell gets full points and nothing "
             "is flagged."),
    Sample(
        "different",
        fills={"sgd_momentum": [sgd_momentum_in_place],
               "nesterov_momentum": [nesterov_momentum_notes],
               "adagrad": [adagrad_get],
               "adadelta": [adadelta_in_place],
               "rmsprop": [rmsprop_moving_average_form],
               "adam": [adam_moving_average_form]},
        note="Right rules written differently (state updated in place, the notes' form of "
             "Nesterov with v_prev, moving-average forms) get full points."),

    # ------------------------------------------------------------ bugs
    Sample(
        "bug-adam-no-bias-correction",
        fills={"adam": [adam_no_bias_correction]},
        lose={"test_adam"},
        note="adam leaves out the bias correction: only its test cell loses (Adam "
             "without it still trains the network)."),
    Sample(
        "bug-adam-t-after-correction",
        in_tests=False,  # an Adam bug: make test grades bug-adam-no-bias-correction
        fills={"adam": [adam_t_after_correction]},
        lose={"test_adam", "test_best_val_accuracy"},
        note="adam increments t after the bias correction, so its first step divides by "
             "1 - beta1**0 = 0: its test cell loses, and the training of section 5 stops "
             "on the NaN loss (the Solver raises), so test_best_val_accuracy loses too."),
    Sample(
        "bug-rmsprop-epsilon-inside-sqrt",
        in_tests=False,  # a rule bug alone: make test grades bug-momentum-wrong-sign
        fills={"rmsprop": [rmsprop_epsilon_inside_sqrt]},
        lose={"test_rmsprop"},
        note="rmsprop puts epsilon inside the square root: the cases with tiny gradients "
             "tell the difference, so only its test cell loses."),
    Sample(
        "bug-momentum-wrong-sign",
        fills={"sgd_momentum": [sgd_momentum_wrong_sign]},
        lose={"test_sgd_momentum"},
        note="sgd_momentum adds the gradient to the velocity instead of subtracting it: "
             "only its test cell loses."),
    Sample(
        "bug-nesterov-without-look-ahead",
        in_tests=False,  # a rule bug alone: make test grades bug-momentum-wrong-sign
        fills={"nesterov_momentum": [nesterov_momentum_plain]},
        lose={"test_nesterov_momentum"},
        note="nesterov_momentum is plain momentum (no look-ahead correction): only its "
             "test cell loses."),
    Sample(
        "bug-adam-mutates-w",
        fills={"adam": [adam_mutates_w]},
        lose={"test_adam"},
        note="adam updates w in place: its test cell loses (an update rule must leave w "
             "alone)."),

    Sample(
        "bug-adam-t-starts-at-1",
        fills={"adam": [adam_t_starts_at_1]},
        lose={"test_adam"},
        in_tests=False,
        note="adam with CS231n's 2017 default t = 1, incremented before the correction: "
             "its first step uses t = 2, so only its test cell loses (the training still "
             "works)."),
    Sample(
        "bug-adam-t-counted-from-1",
        fills={"adam": [adam_t_starts_at_1_counted_after]},
        lose={"test_adam"},
        in_tests=False,
        note="adam with t defaulting to 1 and incremented after the correction: from "
             "scratch its steps are right, but its t is one ahead of the steps taken and a "
             "run resumed mid-way corrects with the wrong t, so only its test cell loses."),
    Sample(
        "bug-rmsprop-mutates-w",
        fills={"rmsprop": [rmsprop_mutates_w]},
        lose={"test_rmsprop"},
        in_tests=False,
        note="rmsprop computes the right step but subtracts it from w in place (w -= ...): "
             "its test cell loses (an update rule must leave w alone); the training, which "
             "uses only the returned value, is not affected."),
    Sample(
        "bug-nesterov-mutates-w",
        fills={"nesterov_momentum": [nesterov_momentum_mutates_w]},
        lose={"test_nesterov_momentum"},
        in_tests=False,
        note="nesterov_momentum adds the right step to w in place, in the notes' form "
             "x += ...: its test cell loses, nothing else."),

    # ------------------------------------------------------- structure
    Sample(
        "test-cell-deleted",
        in_tests=False,  # make test grades this kind in a1
        transform=delete_cell("optimizers.ipynb", "test_adam"),
        flags={"test-cell-deleted"},
        note="A deleted test cell is put back by nbgrader (add_missing_cells) and the "
             "code is right, so nothing is lost; the deletion is reported."),

    # --------------------------------------------------------- hostile
    Sample(
        "monkeypatch-checks",
        in_tests=False,  # make test grades this kind in a1
        fills={"rmsprop": [rmsprop_decay_swapped, PATCH_CHECKS]},
        lose={"test_rmsprop", "test_adadelta", "test_adam"},
        flags={"monkeypatch", "tampered", "check-bypassed"},
        note="A wrong rmsprop whose cell replaces checks.check_update_rule by a no-op: "
             "the kernel's test cells pass, the integrity pass fails rmsprop, so "
             "test_rmsprop loses and the patch and the disagreement are reported; the "
             "test cells of rmsprop, adadelta and adam (after it) printed no success "
             "line, so all three are zeroed as bypassed, the right adadelta and adam "
             "included."),
]
