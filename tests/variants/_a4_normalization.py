"""Assignment 4's corpus, part normalization (batch_norm.ipynb): batch and
layer normalisation, right and wrong; see a4_deep_nets.py.

CORRECT and WRONG are keyed by the kinds of ``cs231n.checks._normalization``
("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
"layernorm_forward", "layernorm_backward").  A forward variant is a function;
a backward variant is a ``(forward, backward)`` pair, the backward working
from that forward's cache.  Every forward of this file caches
``(x, x_hat, mu, var, gamma, eps)`` (mu and var of shape (D,) for batch norm,
(N, 1) for layer norm), so any forward combines with any backward of its layer
in a sample submission.  The right ones are written in different ways: two-
or one-pass variance, ``np.var`` / ``np.std``, keepdims or not, running
averages updated in place or replaced, the graph or the simplified backward.

Every variant is a self-contained top-level function that uses only ``np``,
so its source can be put into an answer cell as it is.
"""
import numpy as np


# ================================================== batch norm, forward

def bn_forward_two_pass(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        cache = (x, x_hat, mu, var, gamma, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = None
    else:
        raise ValueError(f"invalid mode {mode!r}")
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def bn_forward_one_pass(x, gamma, beta, bn_param):
    """Variance as mean(x**2) - mean**2, keepdims, running stats from zeros_like."""
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    if "running_mean" not in bn_param:
        bn_param["running_mean"] = np.zeros_like(x[0])
        bn_param["running_var"] = np.zeros_like(x[0])
    if bn_param["mode"] == "train":
        mu = np.mean(x, axis=0, keepdims=True)
        var = np.mean(x * x, axis=0, keepdims=True) - mu ** 2
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mu[0]
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var[0]
        out = x_hat * gamma + beta
        return out, (x, x_hat, mu[0], var[0], gamma, eps)
    x_hat = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
    return x_hat * gamma + beta, None


def bn_forward_np_std(x, gamma, beta, bn_param):
    """np.var and np.std, running averages updated in place with setdefault."""
    eps = bn_param.setdefault("eps", 1e-5)
    momentum = bn_param.setdefault("momentum", 0.9)
    running_mean = bn_param.setdefault("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.setdefault("running_var", np.zeros(x.shape[1]))
    if bn_param["mode"] == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, None
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    x_hat = (x - mu) / np.sqrt(np.std(x, axis=0) ** 2 + eps)
    running_mean *= momentum
    running_mean += (1 - momentum) * mu
    running_var *= momentum
    running_var += (1 - momentum) * var
    return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)


def bn_forward_inv_std(x, gamma, beta, bn_param):
    """Multiplies by 1 / sqrt(var + eps); the running averages by np.add."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    if bn_param["mode"] == "train":
        mu = x.sum(axis=0) / x.shape[0]
        xc = x - mu
        var = np.einsum("nd,nd->d", xc, xc) / x.shape[0]
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = xc * inv_std
        for key, stat in (("running_mean", mu), ("running_var", var)):
            old = bn_param.get(key, np.zeros(x.shape[1]))
            bn_param[key] = np.add(m * old, (1 - m) * stat)
        return x_hat * gamma + beta, (x, x_hat, mu, var, gamma, eps)
    inv_std = 1.0 / np.sqrt(bn_param["running_var"] + eps)
    return (x - bn_param["running_mean"]) * inv_std * gamma + beta, None


# ------------------------------------------------------ wrong forwards

def bn_forward_test_no_affine(x, gamma, beta, bn_param):
    """Test mode returns the normalised input without gamma and beta."""
    out, cache = bn_forward_two_pass(x, gamma, beta, bn_param)
    if bn_param["mode"] == "test":
        eps = bn_param.get("eps", 1e-5)
        out = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
    return out, cache


def bn_forward_running_var_unbiased(x, gamma, beta, bn_param):
    """The running variance averages the unbiased (N - 1) estimate."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * mu
        bn_param["running_var"] = m * rv + (1 - m) * x.var(axis=0, ddof=1)
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_running_not_updated(x, gamma, beta, bn_param):
    """Creates the running averages but never updates them."""
    eps = bn_param.get("eps", 1e-5)
    D = x.shape[1]
    rm = bn_param.setdefault("running_mean", np.zeros(D))
    rv = bn_param.setdefault("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_running_not_stored(x, gamma, beta, bn_param):
    """Updates local running averages and never writes them back to bn_param."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        rm = m * rm + (1 - m) * mu
        rv = m * rv + (1 - m) * var
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_momentum_swapped(x, gamma, beta, bn_param):
    """running = (1 - momentum) * running + momentum * batch statistic."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = (1 - m) * rm + m * mu
        bn_param["running_var"] = (1 - m) * rv + m * var
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_train_uses_running(x, gamma, beta, bn_param):
    """Training mode updates the running averages, then normalises with them."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        rm = m * rm + (1 - m) * mu
        rv = m * rv + (1 - m) * var
        bn_param["running_mean"], bn_param["running_var"] = rm, rv
        x_hat = (x - rm) / np.sqrt(rv + eps)
        return gamma * x_hat + beta, (x, x_hat, rm, rv, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_test_uses_batch(x, gamma, beta, bn_param):
    """Test mode normalises with the test batch's own statistics."""
    eps = bn_param.get("eps", 1e-5)
    if bn_param["mode"] == "test":
        mu, var = x.mean(axis=0), x.var(axis=0)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta, None
    return bn_forward_two_pass(x, gamma, beta, bn_param)


def bn_forward_test_updates_running(x, gamma, beta, bn_param):
    """Test mode updates the running averages with the test batch too."""
    if bn_param["mode"] == "test":
        out, _ = bn_forward_two_pass(x, gamma, beta, bn_param)
        bn_param["mode"] = "train"
        bn_forward_two_pass(x, gamma, beta, bn_param)
        bn_param["mode"] = "test"
        return out, None
    return bn_forward_two_pass(x, gamma, beta, bn_param)


def bn_forward_eps_outside_sqrt(x, gamma, beta, bn_param):
    """Divides by sqrt(var) + eps."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / (np.sqrt(var) + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * mu
        bn_param["running_var"] = m * rv + (1 - m) * var
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / (np.sqrt(rv) + eps) + beta, None


def bn_forward_ignores_eps(x, gamma, beta, bn_param):
    """Always uses eps = 1e-5, whatever bn_param says."""
    param = dict(bn_param, eps=1e-5)
    out, cache = bn_forward_two_pass(x, gamma, beta, param)
    bn_param["running_mean"] = param["running_mean"]
    bn_param["running_var"] = param["running_var"]
    return out, cache


def bn_forward_over_features(x, gamma, beta, bn_param):
    """Statistics of each example over its features (axis=1): layer norm."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * x.mean(axis=0)
        bn_param["running_var"] = m * rv + (1 - m) * x.var(axis=0)
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_unbiased_normalisation(x, gamma, beta, bn_param):
    """Normalises with the unbiased variance (ddof=1)."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0, ddof=1) if x.shape[0] > 1 else x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * mu
        bn_param["running_var"] = m * rv + (1 - m) * x.var(axis=0)
        return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_min_max(x, gamma, beta, bn_param):
    """Squashes each feature into [0, 1] with its batch minimum and maximum."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        lo, hi = x.min(axis=0), x.max(axis=0)
        x_hat = (x - lo) / (hi - lo + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * x.mean(axis=0)
        bn_param["running_var"] = m * rv + (1 - m) * x.var(axis=0)
        return gamma * x_hat + beta, (x, x_hat, lo, hi, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def bn_forward_in_place(x, gamma, beta, bn_param):
    """Centres x in place (x -= mu): the right output, the caller's x destroyed."""
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        x0 = x.copy()
        mu = x.mean(axis=0)
        x -= mu
        var = (x ** 2).mean(axis=0)
        x_hat = x / np.sqrt(var + eps)
        bn_param["running_mean"] = m * rm + (1 - m) * mu
        bn_param["running_var"] = m * rv + (1 - m) * var
        return gamma * x_hat + beta, (x0, x_hat, mu, var, gamma, eps)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


# ================================================== batch norm, backward

def bn_backward_graph(dout, cache):
    """Stage by stage through the computational graph."""
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    xc = x - mu
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    dinv_std = (dx_hat * xc).sum(axis=0)
    dxc = dx_hat * inv_std
    dstd = -dinv_std / std ** 2
    dvar = 0.5 * dstd / std
    dsq = np.ones_like(x) * dvar / N
    dxc += 2 * xc * dsq
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / N
    return dx, dgamma, dbeta


def bn_backward_graph_mu_var(dout, cache):
    """The graph, with d var / d mu kept (it is zero) and x's three paths summed."""
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = (np.sum(-dx_hat / np.sqrt(var + eps), axis=0)
           + dvar * np.mean(-2.0 * (x - mu), axis=0))
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * (x - mu) / N + dmu / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def bn_backward_simplified(dout, cache):
    """The formula derived on paper."""
    x, x_hat, mu, var, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * np.sqrt(var + eps)) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def bn_backward_simplified_means(dout, cache):
    """The same formula with means instead of sums."""
    _, x_hat, _, var, gamma, eps = cache
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=0)
          - x_hat * (dx_hat * x_hat).mean(axis=0)) / np.sqrt(var + eps)
    return dx, np.sum(x_hat * dout, 0), np.sum(dout, 0)


# ------------------------------------------------------ wrong backwards

def bn_backward_no_mean_path(dout, cache):
    """Treats the batch mean as a constant: no gradient through mu."""
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * (x - mu) / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def bn_backward_no_var_path(dout, cache):
    """Treats the batch variance as a constant: no gradient through var."""
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dxc = dx_hat / np.sqrt(var + eps)
    dx = dxc - dxc.sum(axis=0) / N
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def bn_backward_no_mean_no_var(dout, cache):
    """Differentiates only the direct path: dx = gamma * dout / std."""
    x, x_hat, mu, var, gamma, eps = cache
    dx = dout * gamma / np.sqrt(var + eps)
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def bn_backward_dgamma_not_summed(dout, cache):
    dx, _, dbeta = bn_backward_simplified(dout, cache)
    return dx, dout * cache[1], dbeta


def bn_backward_dbeta_not_summed(dout, cache):
    dx, dgamma, _ = bn_backward_simplified(dout, cache)
    return dx, dgamma, dout


def bn_backward_dgamma_dbeta_mean(dout, cache):
    dx, dgamma, dbeta = bn_backward_simplified(dout, cache)
    N = dout.shape[0]
    return dx, dgamma / N, dbeta / N


def bn_backward_dgamma_from_x(dout, cache):
    """dgamma = sum(dout * x) instead of sum(dout * x_hat)."""
    dx, _, dbeta = bn_backward_simplified(dout, cache)
    return dx, np.sum(dout * cache[0], axis=0), dbeta


def bn_backward_dout_in_place(dout, cache):
    """Scales dout in place by gamma (dout *= gamma) after using it."""
    x, x_hat, mu, var, gamma, eps = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dout *= gamma
    dx = (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0)) / np.sqrt(var + eps)
    return dx, dgamma, dbeta


def bn_backward_alt_no_xhat_term(dout, cache):
    """The paper formula without its x_hat * sum(dout * x_hat) term."""
    x, x_hat, mu, var, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * np.sqrt(var + eps)) * (N * dout - dbeta)
    return dx, dgamma, dbeta


def bn_backward_alt_no_sum_term(dout, cache):
    """The paper formula without its - sum(dout) term."""
    x, x_hat, mu, var, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (N * np.sqrt(var + eps)) * (N * dout - x_hat * dgamma)
    return dx, dgamma, dbeta


def bn_backward_alt_not_divided(dout, cache):
    """The paper formula without its 1 / N."""
    x, x_hat, mu, var, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / np.sqrt(var + eps) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def bn_backward_alt_no_gamma(dout, cache):
    """The paper formula without gamma (d out / d x_hat = gamma)."""
    x, x_hat, mu, var, gamma, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = 1.0 / (N * np.sqrt(var + eps)) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


# ================================================== layer norm

def ln_forward_rows(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)


def ln_forward_transpose(x, gamma, beta, ln_param):
    """Batch norm's statistics on x.T (CS231n's suggestion)."""
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    mu = xt.mean(axis=0)
    var = np.mean(xt ** 2, axis=0) - mu ** 2
    x_hat = ((xt - mu) / np.sqrt(var + eps)).T
    return x_hat * gamma + beta, (x, x_hat, mu[:, None], var[:, None], gamma, eps)


def ln_forward_np_std(x, gamma, beta, ln_param):
    eps = ln_param["eps"] if "eps" in ln_param else 1e-5
    mu = np.mean(x, axis=-1)[:, None]
    var = np.var(x, axis=-1)[:, None]
    x_hat = (x - mu) / np.sqrt(np.std(x, axis=-1)[:, None] ** 2 + eps)
    return np.multiply(gamma, x_hat) + beta, (x, x_hat, mu, var, gamma, eps)


def ln_forward_over_batch(x, gamma, beta, ln_param):
    """Statistics of each feature over the batch (axis=0): batch norm."""
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)


def ln_forward_eps_outside_sqrt(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    x_hat = (x - mu) / (np.sqrt(var) + eps)
    return gamma * x_hat + beta, (x, x_hat, mu, var, gamma, eps)


def ln_forward_ignores_eps(x, gamma, beta, ln_param):
    return ln_forward_rows(x, gamma, beta, {})


def ln_forward_no_affine(x, gamma, beta, ln_param):
    """Forgets gamma and beta."""
    _, cache = ln_forward_rows(x, gamma, beta, ln_param)
    return cache[1], cache


def ln_forward_in_place(x, gamma, beta, ln_param):
    """Centres x in place: the right output, the caller's x destroyed."""
    eps = ln_param.get("eps", 1e-5)
    x0 = x.copy()
    mu = x.mean(axis=1, keepdims=True)
    x -= mu
    var = (x ** 2).mean(axis=1, keepdims=True)
    x_hat = x / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x0, x_hat, mu, var, gamma, eps)


def ln_backward_simplified(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    D = x.shape[1]
    dx_hat = dout * gamma
    dx = (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def ln_backward_graph(dout, cache):
    """Stage by stage, on the transposed arrays (batch norm's graph on x.T)."""
    x, x_hat, mu, var, gamma, eps = cache
    D = x.shape[1]
    dx_hat = (dout * gamma).T
    xc = (x - mu).T
    std = np.sqrt(var + eps).T
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 / std[0] ** 3
    dmu = -np.sum(dx_hat / std, axis=0) - 2.0 * dvar * xc.mean(axis=0)
    dxt = dx_hat / std + dvar * 2.0 * xc / D + dmu / D
    return dxt.T, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def ln_backward_no_mean_path(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    D = x.shape[1]
    dx_hat = dout * gamma
    dx = (D * dx_hat - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)) \
        / (D * np.sqrt(var + eps))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def ln_backward_no_var_path(dout, cache):
    x, x_hat, mu, var, gamma, eps = cache
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def ln_backward_over_batch(dout, cache):
    """Batch norm's backward (sums over axis 0) behind a layer-norm forward."""
    x, x_hat, mu, var, gamma, eps = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) \
        / (N * np.sqrt(var + eps))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def ln_backward_dgamma_over_features(dout, cache):
    """dgamma and dbeta summed over the features (axis 1) instead of the batch."""
    dx, _, _ = ln_backward_simplified(dout, cache)
    return dx, (dout * cache[1]).sum(axis=1), dout.sum(axis=1)


def ln_backward_dgamma_not_summed(dout, cache):
    dx, _, dbeta = ln_backward_simplified(dout, cache)
    return dx, dout * cache[1], dbeta


# ============================================================ the tables

CORRECT = {
    "batchnorm_forward": [bn_forward_two_pass, bn_forward_one_pass, bn_forward_np_std,
                          bn_forward_inv_std],
    "batchnorm_backward": [(bn_forward_two_pass, bn_backward_graph),
                           (bn_forward_one_pass, bn_backward_graph_mu_var),
                           (bn_forward_np_std, bn_backward_simplified),
                           (bn_forward_inv_std, bn_backward_simplified_means)],
    "batchnorm_backward_alt": [(bn_forward_two_pass, bn_backward_simplified),
                               (bn_forward_one_pass, bn_backward_simplified_means),
                               (bn_forward_inv_std, bn_backward_graph)],
    "layernorm_forward": [ln_forward_rows, ln_forward_transpose, ln_forward_np_std],
    "layernorm_backward": [(ln_forward_rows, ln_backward_simplified),
                           (ln_forward_transpose, ln_backward_graph),
                           (ln_forward_np_std, ln_backward_simplified)],
}

WRONG = {
    "batchnorm_forward": [bn_forward_test_no_affine, bn_forward_running_var_unbiased,
                          bn_forward_running_not_updated, bn_forward_running_not_stored,
                          bn_forward_momentum_swapped, bn_forward_train_uses_running,
                          bn_forward_test_uses_batch, bn_forward_test_updates_running,
                          bn_forward_eps_outside_sqrt, bn_forward_ignores_eps,
                          bn_forward_over_features, bn_forward_unbiased_normalisation,
                          bn_forward_min_max, bn_forward_in_place],
    "batchnorm_backward": [(bn_forward_two_pass, bn_backward_no_mean_path),
                           (bn_forward_two_pass, bn_backward_no_var_path),
                           (bn_forward_two_pass, bn_backward_no_mean_no_var),
                           (bn_forward_two_pass, bn_backward_dgamma_not_summed),
                           (bn_forward_two_pass, bn_backward_dbeta_not_summed),
                           (bn_forward_two_pass, bn_backward_dgamma_dbeta_mean),
                           (bn_forward_two_pass, bn_backward_dgamma_from_x),
                           (bn_forward_two_pass, bn_backward_dout_in_place),
                           (bn_forward_eps_outside_sqrt, bn_backward_graph),
                           (bn_forward_over_features, bn_backward_graph)],
    "batchnorm_backward_alt": [(bn_forward_two_pass, bn_backward_alt_no_xhat_term),
                               (bn_forward_two_pass, bn_backward_alt_no_sum_term),
                               (bn_forward_two_pass, bn_backward_alt_not_divided),
                               (bn_forward_two_pass, bn_backward_alt_no_gamma),
                               (bn_forward_two_pass, bn_backward_dout_in_place)],
    "layernorm_forward": [ln_forward_over_batch, ln_forward_eps_outside_sqrt,
                          ln_forward_ignores_eps, ln_forward_no_affine, ln_forward_in_place],
    "layernorm_backward": [(ln_forward_rows, ln_backward_no_mean_path),
                           (ln_forward_rows, ln_backward_no_var_path),
                           (ln_forward_rows, ln_backward_over_batch),
                           (ln_forward_rows, ln_backward_dgamma_over_features),
                           (ln_forward_rows, ln_backward_dgamma_not_summed)],
}

# The correct default of every answer cell (grade_id = the graded name).
BASE = {
    "batchnorm_forward": [bn_forward_two_pass],
    "batchnorm_backward": [bn_backward_graph],
    "batchnorm_backward_alt": [bn_backward_simplified],
    "layernorm_forward": [ln_forward_rows],
    "layernorm_backward": [ln_backward_simplified],
}

# Right answers written differently (the "different" sample).
DIFFERENT = {
    "batchnorm_forward": [bn_forward_one_pass],
    "batchnorm_backward": [bn_backward_graph_mu_var],
    "batchnorm_backward_alt": [bn_backward_graph],
    "layernorm_forward": [ln_forward_transpose],
    "layernorm_backward": [ln_backward_graph],
}


# ======================================================= sample submissions

from cs231n.grading.samples import Sample  # noqa: E402

SAMPLES = [
    Sample(
        "bug-batchnorm-backward-no-mean-path",
        fills={"batchnorm_backward": [bn_backward_no_mean_path]},
        lose={"test_batchnorm_backward"},
        note="batchnorm_backward treats the batch mean as a constant: only its test cell "
             "loses (the simplified backward of the next cell is right)."),
    Sample(
        "bug-batchnorm-running-var-unbiased",
        fills={"batchnorm_forward": [bn_forward_running_var_unbiased]},
        lose={"test_batchnorm_forward", "test_fully_connected_net"},
        in_tests=False,
        note="batchnorm_forward averages the unbiased (N - 1) variance into running_var: "
             "its test cell loses; the backward checks run in training mode, where the "
             "output is right, so they keep their points. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
    Sample(
        "bug-batchnorm-test-mode-no-gamma-beta",
        fills={"batchnorm_forward": [bn_forward_two_pass, bn_forward_test_no_affine]},
        lose={"test_batchnorm_forward", "test_fully_connected_net"},
        in_tests=False,
        note="batchnorm_forward forgets gamma and beta in test mode: its test cell loses, "
             "the backward cells (training mode) keep their points. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
    Sample(
        "bug-layernorm-over-batch",
        fills={"layernorm_forward": [ln_forward_over_batch],
               "layernorm_backward": [ln_backward_over_batch]},
        lose={"test_layernorm_forward", "test_layernorm_backward", "test_fully_connected_net"},
        in_tests=False,
        note="layer norm computed over the batch axis (that is batch norm) in both passes: "
             "both layer-norm test cells lose. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
]
