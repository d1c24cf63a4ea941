"""Implementations of Assignment 2's graded functions, right and wrong.

The soundness suite (tests/test_checks_neural_net.py) runs every check on
every variant: each CORRECT variant must pass, each WRONG variant must fail.
The wrong ones are the common bugs of the catalogue; their names say the bug.

CORRECT and WRONG are keyed by the kinds of ``cs231n.checks.neural_net.GRADED``:

- a forward kind ("affine_forward", ...), "svm_loss", "softmax_loss": a list
  of functions;
- a backward kind ("affine_backward", ...): a list of ``(forward, backward)``
  pairs, the forward that makes the cache the backward reads (a backward is
  only meaningful with its own forward's cache);
- "two_layer_net": a list of classes.

Every variant is a top-level function or class that uses only ``np``, so its
source can be put into an answer cell as it is.  The exception is the wrong
networks: each subclasses ``NetRight`` and overrides only the step it gets
wrong, so a cell that holds one holds ``NetRight`` first
(``fills={"TwoLayerNet": [NetRight, NetRegOnBiases]}``: the cell's last class
is the one renamed to ``TwoLayerNet``).  ``NetFromParts``, the notebook's way
(and ``BASE``), calls the layers of part 1 by the names the notebook's first
cell gives them: in the samples, the student's own layers of backprop.ipynb.
"""
import numpy as np


# ============================================================== affine

def affine_forward_reshape(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_forward_dot(x, w, b):
    N = x.shape[0]
    x2 = np.reshape(x, (N, int(np.prod(x.shape[1:]))))
    return np.dot(x2, w) + b, (x, w, b)


def affine_forward_einsum(x, w, b):
    """Caches the flattened x and x's shape instead of x."""
    x2 = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", x2, w) + b[None, :], (x2, x.shape, w)


def affine_forward_loops(x, w, b):
    N, M = x.shape[0], w.shape[1]
    out = np.zeros((N, M))
    for n in range(N):
        row = x[n].ravel()
        for m in range(M):
            out[n, m] = np.sum(row * w[:, m]) + b[m]
    return out, (x, w)


def affine_backward_reshape(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def affine_backward_dot(dout, cache):
    x, w, _ = cache
    N = x.shape[0]
    dx = np.reshape(np.dot(dout, w.T), x.shape)
    dw = np.dot(np.reshape(x, (N, -1)).T, dout)
    return dx, dw, np.sum(dout, axis=0)


def affine_backward_einsum(dout, cache):
    x2, shape, w = cache
    dx = np.einsum("nm,dm->nd", dout, w).reshape(shape)
    dw = np.einsum("nd,nm->dm", x2, dout)
    return dx, dw, np.einsum("nm->m", dout)


def affine_backward_loops(dout, cache):
    x, w = cache
    N, M = dout.shape
    x2 = x.reshape(N, -1)
    dx2, dw, db = np.zeros_like(x2), np.zeros_like(w), np.zeros(M)
    for n in range(N):
        dx2[n] = w @ dout[n]
        dw += np.outer(x2[n], dout[n])
        db += dout[n]
    return dx2.reshape(x.shape), dw, db


# ---------------------------------------------------------- affine: wrong

def affine_forward_no_reshape(x, w, b):
    """Fails on (N, d1, d2) inputs."""
    return x @ w + b, (x, w, b)


def affine_forward_no_bias(x, w, b):
    return x.reshape(x.shape[0], -1) @ w, (x, w, b)


def affine_forward_fortran_order(x, w, b):
    return x.reshape(x.shape[0], -1, order="F") @ w + b, (x, w, b)


def affine_forward_flattens_all(x, w, b):
    """Reshapes to (-1, D) with D taken from x.shape[1] only."""
    x2 = x.reshape(-1, x.shape[1])
    return x2 @ w[:x.shape[1]] + b, (x, w, b)


def affine_backward_db_not_summed(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout


def affine_backward_db_mean(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.mean(axis=0)


def affine_backward_dx_not_reshaped(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def affine_backward_dw_transposed(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), dout.T @ x.reshape(x.shape[0], -1), dout.sum(axis=0)


def affine_backward_dx_missing_transpose(dout, cache):
    x, w, b = cache
    return (dout @ w).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def affine_backward_dw_averaged(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    return ((dout @ w.T).reshape(x.shape), x.reshape(N, -1).T @ dout / N,
            dout.sum(axis=0))


def affine_backward_wrong_sign(dout, cache):
    x, w, b = cache
    return (-(dout @ w.T)).reshape(x.shape), -x.reshape(x.shape[0], -1).T @ dout, \
        -dout.sum(axis=0)


def affine_backward_dw_from_w(dout, cache):
    """dw = w.T-shaped nonsense that has the right shape: dw = w * dout.sum(0)."""
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), w * dout.sum(axis=0), dout.sum(axis=0)


# ================================================================ relu

def relu_forward_maximum(x):
    return np.maximum(x, 0), x


def relu_forward_mask(x):
    return x * (x > 0), (x,)


def relu_forward_where_out(x):
    """Caches the output: (out > 0) is the same mask as (x > 0)."""
    out = np.where(x > 0, x, 0.0)
    return out, out


def relu_backward_mask(dout, cache):
    return dout * (cache > 0)


def relu_backward_copy(dout, cache):
    (x,) = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def relu_backward_where_out(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def relu_backward_geq(dout, cache):
    """Lets the gradient through at x == 0: the right derivative, also accepted."""
    return dout * (cache >= 0)


# ------------------------------------------------------------ relu: wrong

def relu_forward_in_place(x):
    x[x < 0] = 0
    return x, x


def relu_forward_min(x):
    return np.minimum(x, 0), x


def relu_forward_identity_negatives(x):
    return np.where(x > 0, x, 0.01 * x), x


def relu_backward_no_mask(dout, cache):
    """Passes the gradient where x < 0."""
    return dout.copy()


def relu_backward_in_place(dout, cache):
    dout[cache <= 0] = 0
    return dout


def relu_backward_alias(dout, cache):
    """dx = dout names the same array: zeroing dx zeroes the caller's dout.
    Right values."""
    dx = dout
    dx[cache <= 0] = 0
    return dx


def relu_backward_mask_from_dout(dout, cache):
    return dout * (dout > 0)


def relu_backward_inverted_mask(dout, cache):
    return dout * (cache < 0)


def relu_backward_times_relu(dout, cache):
    return dout * np.maximum(cache, 0)


# ============================================================= sigmoid

def sigmoid_forward_stable(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return out, out


def sigmoid_forward_naive(x):
    """1 / (1 + exp(-x)): exp overflows to inf for x = -800, and 1 / inf = 0
    is the right answer (numpy warns; the checks silence it)."""
    out = 1 / (1 + np.exp(-x))
    return out, (out,)


def sigmoid_forward_tanh(x):
    out = 0.5 * (1 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward_out(dout, cache):
    s = cache
    return dout * s * (1 - s)


def sigmoid_backward_tuple_cache(dout, cache):
    (s,) = cache
    return dout * (s - s * s)


# --------------------------------------------------------- sigmoid: wrong

def sigmoid_forward_overflow(x):
    """exp(x) / (1 + exp(x)) is inf / inf = nan at x = 800."""
    e = np.exp(x)
    out = e / (1 + e)
    return out, out


def sigmoid_forward_wrong_sign(x):
    out = 1 / (1 + np.exp(x))
    return out, out


def sigmoid_forward_caches_x(x):
    """Right output; caches x for a backward that then uses it."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)), x


def sigmoid_backward_uses_x(dout, cache):
    """Uses x instead of sigmoid(x) in s * (1 - s)."""
    x = cache
    return dout * x * (1 - x)


def sigmoid_backward_missing_factor(dout, cache):
    return dout * cache


def sigmoid_backward_overflow(dout, cache):
    """exp(-x) / (1 + exp(-x))**2 from x: inf / inf = nan at x = -800."""
    x = cache
    e = np.exp(-x)
    return dout * e / (1 + e) ** 2


# ================================================================ tanh

def tanh_forward_np(x):
    out = np.tanh(x)
    return out, out


def tanh_forward_from_sigmoid(x):
    """tanh(x) = 2 sigmoid(2x) - 1, with a stable sigmoid."""
    z = np.exp(-2 * np.abs(x))
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    out = 2 * s - 1
    return out, (x, out)


def tanh_backward_square(dout, cache):
    return dout * (1 - cache ** 2)


def tanh_backward_factored(dout, cache):
    _, t = cache
    return dout * (1 - t) * (1 + t)


# ------------------------------------------------------------ tanh: wrong

def tanh_forward_exp(x):
    """(e^x - e^-x) / (e^x + e^-x) is inf / inf = nan at x = +-800."""
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


def tanh_forward_caches_x(x):
    return np.tanh(x), x


def tanh_backward_uses_x(dout, cache):
    """The derivative written as 1 - x**2."""
    x = cache
    return dout * (1 - x ** 2)


def tanh_backward_no_square(dout, cache):
    return dout * (1 - cache)


# ========================================================== leaky ReLU

def leaky_relu_forward_where(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_forward_maximum(x, alpha=0.01):
    """max(x, alpha * x): right for 0 < alpha < 1."""
    return np.maximum(x, alpha * x), (x, alpha)


def leaky_relu_forward_loops(x, alpha=0.01):
    out = np.empty_like(x)
    flat_x, flat_out = x.ravel(), out.reshape(-1)
    for i in range(flat_x.size):
        flat_out[i] = flat_x[i] if flat_x[i] > 0 else alpha * flat_x[i]
    return out, (x, alpha)


def leaky_relu_backward_where(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def leaky_relu_backward_masks(dout, cache):
    x, alpha = cache
    pos = x > 0
    return dout * pos + alpha * dout * ~pos


# ------------------------------------------------------ leaky ReLU: wrong

def leaky_relu_forward_ignores_alpha(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x), (x, alpha)


def leaky_relu_forward_in_place(x, alpha=0.01):
    x[x < 0] *= alpha
    return x, (x, alpha)


def leaky_relu_forward_swapped(x, alpha=0.01):
    return np.where(x > 0, alpha * x, x), (x, alpha)


def leaky_relu_backward_ignores_alpha(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, 0.01 * dout)


def leaky_relu_backward_zero_slope(dout, cache):
    x, alpha = cache
    return dout * (x > 0)


def leaky_relu_backward_alpha_times_x(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * x)


# ================================================================= ELU

def elu_forward_expm1(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return out, (x, out, alpha)


def elu_forward_naive(x, alpha=1.0):
    """np.where evaluates exp(800) = inf in the branch it discards: right
    values (numpy warns; the checks silence it)."""
    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))
    return out, (x, alpha)


def elu_forward_masks(x, alpha=1.0):
    neg = x <= 0
    out = x.copy()
    out[neg] = alpha * (np.exp(x[neg]) - 1)
    return out, (x, out, alpha)


def elu_backward_out(dout, cache):
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, out + alpha)


def elu_backward_exp(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


# ------------------------------------------------------------- ELU: wrong

def elu_forward_ignores_alpha(x, alpha=1.0):
    out = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    return out, (x, out, alpha)


def elu_forward_no_minus_one(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))
    return out, (x, out - alpha, alpha)


def elu_forward_mask_overflow(x, alpha=1.0):
    """x * (x > 0) + alpha * (exp(x) - 1) * (x <= 0): inf * 0 = nan at x = 800."""
    out = x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)
    return out, (x, out, alpha)


def elu_backward_uses_x(dout, cache):
    """The derivative for x <= 0 written as x + alpha instead of out + alpha."""
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, x + alpha)


def elu_backward_ignores_alpha(dout, cache):
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, out + 1.0)


def elu_backward_no_alpha_factor(dout, cache):
    """exp(x) instead of alpha * exp(x)."""
    x, out, alpha = cache
    return dout * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))


def elu_backward_relu_like(dout, cache):
    x, out, alpha = cache
    return dout * (x > 0)


# ================================================================= SVM

def svm_loss_vectorised(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / N, dscores / N


def svm_loss_loops(scores, y):
    N, C = scores.shape
    loss, dscores = 0.0, np.zeros((N, C))
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[i, j] - scores[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dscores[i, j] += 1
                dscores[i, y[i]] -= 1
    return loss / N, dscores / N


def svm_loss_onehot(scores, y):
    """A boolean one-hot mask, subtract the 1 the correct class adds."""
    N, C = scores.shape
    correct = np.eye(C, dtype=bool)[y]
    margins = np.maximum(0, scores - scores[correct][:, None] + 1)
    positive = (margins > 0) & ~correct
    loss = (margins.sum() - N) / N
    dscores = positive - correct * positive.sum(axis=1, keepdims=True)
    return float(loss), dscores / N


# ------------------------------------------------------------- SVM: wrong

def svm_loss_counts_correct_class(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    dscores = (margins > 0).astype(float)
    dscores[rows, y] -= dscores.sum(axis=1)
    return margins.sum() / N, dscores / N


def svm_loss_summed(scores, y):
    """Neither the loss nor dscores divided by N."""
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum(), dscores


def svm_loss_dscores_not_divided(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / N, dscores


def svm_loss_margin_zero(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None])
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / N, dscores / N


def svm_loss_grad_missing_correct_class(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    return margins.sum() / N, (margins > 0) / N


def svm_loss_modifies_scores(scores, y):
    """Subtracts the correct-class score from the caller's scores."""
    N = scores.shape[0]
    rows = np.arange(N)
    scores -= scores[rows, y][:, None].copy()
    margins = np.maximum(0, scores + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / N, dscores / N


def svm_loss_grad_sign(scores, y):
    N = scores.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / N, -dscores / N


# ============================================================= softmax

def softmax_loss_vectorised(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return -log_p[np.arange(N), y].mean(), dscores / N


def softmax_loss_logsumexp(scores, y):
    m = scores.max(axis=1)
    lse = m + np.log(np.sum(np.exp(scores - m[:, None]), axis=1))
    onehot = np.eye(scores.shape[1])[y]
    loss = np.mean(lse - np.einsum("nc,nc->n", scores, onehot))
    return loss, (np.exp(scores - lse[:, None]) - onehot) / len(y)


def softmax_loss_log_eps(scores, y):
    """-log(p + 1e-18): the epsilon guards against log(0) and changes nothing
    measurable while p is not tiny."""
    N = scores.shape[0]
    e = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    loss = np.sum(-np.log(p[np.arange(N), y] + 1e-18)) / N
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N


def softmax_loss_loops(scores, y):
    N, C = scores.shape
    loss, dscores = 0.0, np.zeros((N, C))
    for i in range(N):
        s = scores[i] - np.max(scores[i])
        p = np.exp(s) / np.sum(np.exp(s))
        loss -= np.log(p[y[i]])
        for j in range(C):
            dscores[i, j] = (p[j] - (j == y[i])) / N
    return loss / N, dscores


# --------------------------------------------------------- softmax: wrong

def softmax_loss_no_shift(scores, y):
    N = scores.shape[0]
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def softmax_loss_global_shift(scores, y):
    """One maximum for the whole array: rows far below it underflow to 0 / 0."""
    N = scores.shape[0]
    shifted = scores - np.max(scores)
    p = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    p[np.arange(N), y] -= 1
    return loss, p / N


def softmax_loss_shift_in_place(scores, y):
    """The max-shift done on the caller's array."""
    N = scores.shape[0]
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def softmax_loss_missing_minus_one(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(N), y]).mean(), p / N


def softmax_loss_log10(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log10(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def softmax_loss_dscores_not_divided(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p


def softmax_loss_summed(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).sum()
    p[np.arange(N), y] -= 1
    return loss, p


def softmax_loss_returns_list(scores, y):
    N = scores.shape[0]
    s = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return [loss, p / N]


# ====================================================== two-layer net

class NetRight:
    """One method per step (forward, data loss, regularisation, backward), so
    that a wrong variant below overrides only the step it gets wrong."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.reg = reg
        self.params = {
            "W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        h, scores = self.forward(X)
        if y is None:
            return scores
        data_loss, dscores = self.data_loss(scores, y)
        return data_loss + self.reg_loss(), self.backward(X, h, dscores)

    def forward(self, X):
        """The hidden layer h (after the ReLU) and the scores."""
        h = np.maximum(0, X @ self.params["W1"] + self.params["b1"])
        return h, h @ self.params["W2"] + self.params["b2"]

    @staticmethod
    def data_loss(scores, y):
        """The softmax loss averaged over N, and its gradient on the scores."""
        N = scores.shape[0]
        s = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).mean(), dscores / N

    def reg_loss(self):
        W1, W2 = self.params["W1"], self.params["W2"]
        return 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    def backward(self, X, h, dscores):
        """The gradients of the whole loss, regularisation included."""
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}


class NetLayers:
    """The same with layer methods, np.dot, a logsumexp and keyword arguments."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        if rng is None:
            rng = np.random.default_rng()
        self.reg = reg
        self.params = {}
        self.params["W1"] = rng.normal(0.0, weight_scale, size=(input_dim, hidden_dim))
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = rng.normal(0.0, weight_scale, size=(hidden_dim, num_classes))
        self.params["b2"] = np.zeros(num_classes)

    @staticmethod
    def _affine(x, w, b):
        return np.dot(x, w) + b

    def loss(self, X, y=None):
        p = self.params
        a = self._affine(X, p["W1"], p["b1"])
        h = np.where(a > 0, a, 0.0)
        scores = self._affine(h, p["W2"], p["b2"])
        if y is None:
            return scores
        N = len(y)
        m = scores.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(scores - m).sum(axis=1, keepdims=True))
        onehot = np.eye(scores.shape[1])[y]
        data_loss = np.mean(lse[:, 0] - np.sum(scores * onehot, axis=1))
        reg_loss = 0.5 * self.reg * sum(np.sum(p[k] ** 2) for k in ("W1", "W2"))
        dscores = (np.exp(scores - lse) - onehot) / N
        da = np.dot(dscores, p["W2"].T)
        da[a <= 0] = 0
        grads = {
            "W2": np.dot(h.T, dscores) + self.reg * p["W2"],
            "b2": np.sum(dscores, axis=0),
            "W1": np.dot(X.T, da) + self.reg * p["W1"],
            "b1": np.sum(da, axis=0),
        }
        return data_loss + reg_loss, grads


class NetLogEps(NetRight):
    """-log(p + 1e-18), p from a per-row max-shift."""

    @staticmethod
    def data_loss(scores, y):
        N = scores.shape[0]
        e = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        p = e / np.sum(e, axis=1, keepdims=True)
        loss = np.mean(-np.log(p[np.arange(N), y] + 1e-18))
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1
        return loss, dscores / N


class NetFromParts:
    """The notebook's way: the layers of part 1, which the notebook's first cell
    loads from backprop.ipynb (here: the module-level names below)."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.reg = reg
        self.params = {"W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),
                       "b1": np.zeros(hidden_dim)}
        self.params["W2"] = weight_scale * rng.standard_normal((hidden_dim, num_classes))
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        p = self.params
        a, cache1 = affine_forward(X, p["W1"], p["b1"])
        h, cache_relu = relu_forward(a)
        scores, cache2 = affine_forward(h, p["W2"], p["b2"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        dh, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        da = relu_backward(dh, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(da, cache1)
        grads["W2"] += self.reg * p["W2"]
        grads["W1"] += self.reg * p["W1"]
        return loss, grads


class NetEinsum:
    """einsum, a boolean mask cached from the forward pass, int labels as float ops."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        W1 = rng.standard_normal((input_dim, hidden_dim)) * weight_scale
        W2 = rng.standard_normal((hidden_dim, num_classes)) * weight_scale
        self.params = dict(W1=W1, b1=np.zeros(hidden_dim), W2=W2, b2=np.zeros(num_classes))
        self.reg = float(reg)

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        pre = np.einsum("nd,dh->nh", X, W1) + b1
        active = pre > 0
        h = pre * active
        scores = np.einsum("nh,hc->nc", h, W2) + b2
        if y is None:
            return scores
        N = X.shape[0]
        z = scores - scores.max(axis=1)[:, None]
        probs = np.exp(z)
        probs /= probs.sum(axis=1)[:, None]
        loss = float(-np.mean(np.log(probs[np.arange(N), y])))
        loss += 0.5 * self.reg * (np.einsum("ij,ij->", W1, W1) + np.einsum("ij,ij->", W2, W2))
        d = probs
        d[np.arange(N), y] -= 1.0
        d /= N
        dh = np.einsum("nc,hc->nh", d, W2) * active
        return loss, {"W1": np.einsum("nd,nh->dh", X, dh) + self.reg * W1,
                      "b1": dh.sum(0),
                      "W2": np.einsum("nh,nc->hc", h, d) + self.reg * W2,
                      "b2": d.sum(0)}


# ------------------------------------------------------- two-layer net: wrong
# Each subclasses NetRight and overrides the step with the bug; a sample that
# puts one in the TwoLayerNet cell lists NetRight first.

class NetRegOnBiases(NetRight):
    """Regularises b1 and b2 too, in the loss and in their gradients."""

    def reg_loss(self):
        return 0.5 * self.reg * sum(np.sum(v * v) for v in self.params.values())

    def backward(self, X, h, dscores):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0) + self.reg * b1,
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0) + self.reg * b2}


class NetRegOnBiasesWithoutHalf(NetRight):
    """Two bugs at once: regularises b1 and b2 too, with reg * sum(p**2) (no 0.5)
    and gradients 2 * reg * p to match."""

    def reg_loss(self):
        return self.reg * sum(np.sum(v * v) for v in self.params.values())

    def backward(self, X, h, dscores):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + 2 * self.reg * W1, "b1": dh.sum(axis=0) + 2 * self.reg * b1,
                "W2": h.T @ dscores + 2 * self.reg * W2,
                "b2": dscores.sum(axis=0) + 2 * self.reg * b2}


class NetNoRegOnW2(NetRight):
    """Leaves W2 out of the regularisation, in the loss and in dW2."""

    def reg_loss(self):
        W1 = self.params["W1"]
        return 0.5 * self.reg * np.sum(W1 * W1)

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}


class NetNoRegGradW1(NetRight):
    """Regularises both in the loss, forgets reg * W1 in the gradient."""

    def backward(self, X, h, dscores):
        W2 = self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}


class NetRegWithoutHalf(NetRight):
    """reg * sum(W**2) without the 0.5, and gradients 2 * reg * W to match."""

    def reg_loss(self):
        W1, W2 = self.params["W1"], self.params["W2"]
        return self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + 2 * self.reg * W1, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores + 2 * self.reg * W2, "b2": dscores.sum(axis=0)}


class NetTransposedDW2(NetRight):
    """dW2 = dscores.T @ h (+ reg * W2.T): the transpose of W2's shape (H, C)."""

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                "W2": dscores.T @ h + self.reg * W2.T, "b2": dscores.sum(axis=0)}


class NetDbNotSummed(NetRight):
    """db1 and db2 are the per-example gradients (N, H) and (N, C), not summed."""

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh,
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores}


class NetDbMean(NetRight):
    """db2 = mean of dscores over the batch: divided by N twice."""

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T * (h > 0)
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores.mean(axis=0)}


class NetNoReluMask(NetRight):
    """Backward passes the gradient through the ReLU where the input was < 0."""

    def backward(self, X, h, dscores):
        W1, W2 = self.params["W1"], self.params["W2"]
        dh = dscores @ W2.T
        return {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}


class NetDscoresNotDivided(NetRight):
    """Averages the loss over N but not dscores."""

    @staticmethod
    def data_loss(scores, y):
        N = scores.shape[0]
        s = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).mean(), dscores


class NetNoShift(NetRight):
    """exp of the raw scores: overflows (inf / inf) once scores pass ~710."""

    @staticmethod
    def data_loss(scores, y):
        N = scores.shape[0]
        e = np.exp(scores)
        p = e / e.sum(axis=1, keepdims=True)
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).mean(), dscores / N


class NetGlobalShift(NetRight):
    """scores - scores.max(): one maximum for the whole batch, so the rows far
    below it underflow to 0 / 0."""

    @staticmethod
    def data_loss(scores, y):
        N = scores.shape[0]
        e = np.exp(scores - scores.max())
        p = e / e.sum(axis=1, keepdims=True)
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).mean(), dscores / N


class NetNoRelu(NetRight):
    """Forgets the ReLU in the forward pass (the backward keeps the mask)."""

    def forward(self, X):
        h = X @ self.params["W1"] + self.params["b1"]
        return h, h @ self.params["W2"] + self.params["b2"]


class NetReturnsProbabilities(NetRight):
    """loss(X) returns softmax probabilities instead of the scores."""

    def loss(self, X, y=None):
        if y is None:
            scores = self.forward(X)[1]
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return super().loss(X, y)


class NetIgnoresRng(NetRight):
    """Draws the weights from np.random's global state."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }


class NetFixedSeed(NetRight):
    """Makes its own Generator with a fixed seed: same weights whatever rng is."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        super().__init__(input_dim, hidden_dim, num_classes, weight_scale, reg,
                         rng=np.random.default_rng(0))


class NetIgnoresWeightScale(NetRight):
    """Scales the weights by 1 / sqrt(fan-in) whatever weight_scale is."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.reg = reg
        self.params = {
            "W1": rng.standard_normal((input_dim, hidden_dim)) / np.sqrt(input_dim),
            "b1": np.zeros(hidden_dim),
            "W2": rng.standard_normal((hidden_dim, num_classes)) / np.sqrt(hidden_dim),
            "b2": np.zeros(num_classes),
        }


class NetUniformInit(NetRight):
    """weight_scale * rng.random: positive weights with mean weight_scale / 2."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.reg = reg
        self.params = {
            "W1": weight_scale * rng.random((input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * rng.random((hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }


class NetRandomBiases(NetRight):
    """Draws the biases like the weights instead of starting them at zero."""

    def __init__(self, input_dim, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0,
                 rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.reg = reg
        self.params = {
            "W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),
            "b1": weight_scale * rng.standard_normal(hidden_dim),
            "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b2": weight_scale * rng.standard_normal(num_classes),
        }


class NetUpdatesInLoss(NetRight):
    """Takes an SGD step inside loss: the Solver's job, and it changes params."""

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        loss, grads = super().loss(X, y)
        for k in grads:
            self.params[k] -= 1e-3 * grads[k]
        return loss, grads


class NetModifiesX(NetRight):
    """Centres X in place before the forward pass."""

    def loss(self, X, y=None):
        shift = X.mean(axis=0)
        X -= shift
        return super().loss(X + shift, y)


# ================================================================ tables

CORRECT = {
    "affine_forward": [affine_forward_reshape, affine_forward_dot, affine_forward_einsum,
                       affine_forward_loops],
    "affine_backward": [(affine_forward_reshape, affine_backward_reshape),
                        (affine_forward_dot, affine_backward_dot),
                        (affine_forward_einsum, affine_backward_einsum),
                        (affine_forward_loops, affine_backward_loops)],
    "relu_forward": [relu_forward_maximum, relu_forward_mask, relu_forward_where_out],
    "relu_backward": [(relu_forward_maximum, relu_backward_mask),
                      (relu_forward_mask, relu_backward_copy),
                      (relu_forward_where_out, relu_backward_where_out),
                      (relu_forward_maximum, relu_backward_geq)],
    "sigmoid_forward": [sigmoid_forward_stable, sigmoid_forward_naive, sigmoid_forward_tanh],
    "sigmoid_backward": [(sigmoid_forward_stable, sigmoid_backward_out),
                         (sigmoid_forward_naive, sigmoid_backward_tuple_cache),
                         (sigmoid_forward_tanh, sigmoid_backward_out)],
    "tanh_forward": [tanh_forward_np, tanh_forward_from_sigmoid],
    "tanh_backward": [(tanh_forward_np, tanh_backward_square),
                      (tanh_forward_from_sigmoid, tanh_backward_factored)],
    "leaky_relu_forward": [leaky_relu_forward_where, leaky_relu_forward_maximum,
                           leaky_relu_forward_loops],
    "leaky_relu_backward": [(leaky_relu_forward_where, leaky_relu_backward_where),
                            (leaky_relu_forward_maximum, leaky_relu_backward_masks),
                            (leaky_relu_forward_loops, leaky_relu_backward_where)],
    "elu_forward": [elu_forward_expm1, elu_forward_naive, elu_forward_masks],
    "elu_backward": [(elu_forward_expm1, elu_backward_out),
                     (elu_forward_naive, elu_backward_exp),
                     (elu_forward_masks, elu_backward_out)],
    "svm_loss": [svm_loss_vectorised, svm_loss_loops, svm_loss_onehot],
    "softmax_loss": [softmax_loss_vectorised, softmax_loss_logsumexp, softmax_loss_loops,
                     softmax_loss_log_eps],
    "two_layer_net": [NetRight, NetFromParts, NetLayers, NetEinsum, NetLogEps],
}

WRONG = {
    "affine_forward": [affine_forward_no_reshape, affine_forward_no_bias,
                       affine_forward_fortran_order, affine_forward_flattens_all],
    "affine_backward": [(affine_forward_reshape, affine_backward_db_not_summed),
                        (affine_forward_reshape, affine_backward_db_mean),
                        (affine_forward_reshape, affine_backward_dx_not_reshaped),
                        (affine_forward_reshape, affine_backward_dw_transposed),
                        (affine_forward_reshape, affine_backward_dx_missing_transpose),
                        (affine_forward_reshape, affine_backward_dw_averaged),
                        (affine_forward_reshape, affine_backward_wrong_sign),
                        (affine_forward_reshape, affine_backward_dw_from_w)],
    "relu_forward": [relu_forward_in_place, relu_forward_min, relu_forward_identity_negatives],
    "relu_backward": [(relu_forward_maximum, relu_backward_no_mask),
                      (relu_forward_maximum, relu_backward_in_place),
                      (relu_forward_maximum, relu_backward_alias),
                      (relu_forward_maximum, relu_backward_mask_from_dout),
                      (relu_forward_maximum, relu_backward_inverted_mask),
                      (relu_forward_maximum, relu_backward_times_relu)],
    "sigmoid_forward": [sigmoid_forward_overflow, sigmoid_forward_wrong_sign],
    "sigmoid_backward": [(sigmoid_forward_caches_x, sigmoid_backward_uses_x),
                         (sigmoid_forward_stable, sigmoid_backward_missing_factor),
                         (sigmoid_forward_caches_x, sigmoid_backward_overflow)],
    "tanh_forward": [tanh_forward_exp],
    "tanh_backward": [(tanh_forward_caches_x, tanh_backward_uses_x),
                      (tanh_forward_np, tanh_backward_no_square)],
    "leaky_relu_forward": [leaky_relu_forward_ignores_alpha, leaky_relu_forward_in_place,
                           leaky_relu_forward_swapped],
    "leaky_relu_backward": [(leaky_relu_forward_where, leaky_relu_backward_ignores_alpha),
                            (leaky_relu_forward_where, leaky_relu_backward_zero_slope),
                            (leaky_relu_forward_where, leaky_relu_backward_alpha_times_x)],
    "elu_forward": [elu_forward_ignores_alpha, elu_forward_no_minus_one,
                    elu_forward_mask_overflow],
    "elu_backward": [(elu_forward_expm1, elu_backward_uses_x),
                     (elu_forward_expm1, elu_backward_ignores_alpha),
                     (elu_forward_expm1, elu_backward_no_alpha_factor),
                     (elu_forward_expm1, elu_backward_relu_like)],
    "svm_loss": [svm_loss_counts_correct_class, svm_loss_summed, svm_loss_dscores_not_divided,
                 svm_loss_margin_zero, svm_loss_grad_missing_correct_class,
                 svm_loss_modifies_scores, svm_loss_grad_sign],
    "softmax_loss": [softmax_loss_no_shift, softmax_loss_global_shift,
                     softmax_loss_shift_in_place,
                     softmax_loss_missing_minus_one, softmax_loss_log10,
                     softmax_loss_dscores_not_divided, softmax_loss_summed,
                     softmax_loss_returns_list],
    "two_layer_net": [NetRegOnBiases, NetNoRegOnW2, NetNoRegGradW1, NetRegWithoutHalf,
                      NetRegOnBiasesWithoutHalf, NetTransposedDW2, NetDbNotSummed, NetDbMean,
                      NetNoReluMask, NetDscoresNotDivided, NetNoShift, NetGlobalShift,
                      NetNoRelu, NetReturnsProbabilities, NetIgnoresRng,
                      NetFixedSeed, NetIgnoresWeightScale, NetUniformInit, NetRandomBiases,
                      NetUpdatesInLoss, NetModifiesX],
}

# The correct default of every answer cell (grade_id = the graded name), as in
# a1_linear: the sample submissions of the grading pipeline start from these.
BASE = {
    "affine_forward": [affine_forward_reshape],
    "affine_backward": [affine_backward_reshape],
    "relu_forward": [relu_forward_maximum],
    "relu_backward": [relu_backward_mask],
    "sigmoid_forward": [sigmoid_forward_stable],
    "sigmoid_backward": [sigmoid_backward_out],
    "tanh_forward": [tanh_forward_np],
    "tanh_backward": [tanh_backward_square],
    "leaky_relu_forward": [leaky_relu_forward_where],
    "leaky_relu_backward": [leaky_relu_backward_where],
    "elu_forward": [elu_forward_expm1],
    "elu_backward": [elu_backward_out],
    "svm_loss": [svm_loss_vectorised],
    "softmax_loss": [softmax_loss_vectorised],
    "TwoLayerNet": [NetFromParts],
}

# The layers NetFromParts calls: in a notebook, the first cell of
# two_layer_net.ipynb loads them from the student's backprop.ipynb.
affine_forward, affine_backward = affine_forward_reshape, affine_backward_reshape
relu_forward, relu_backward = relu_forward_maximum, relu_backward_mask
softmax_loss = softmax_loss_vectorised


# ======================================================= sample submissions
# The grading pipeline's end-to-end test grades these (cs231n.grading.samples).

from cs231n.grading.samples import Sample, delete_cell, delete_notebook  # noqa: E402

BACKPROP_TESTS = {f"test_{k}" for k in BASE if k != "TwoLayerNet"}
NET_TESTS = {"test_two_layer_net", "test_best_val_accuracy"}

LOOP_FOREVER = """
while True:  # at module level: runs when the cell runs
    pass
"""

PATCH_CHECKS = "checks.check_backward = lambda *a, **k: None\n"


def hostile_reads_solution(dout, cache):
    """Runs the instructor's solution, read from the course folder."""
    from cs231n.notebook import load_answers
    ns = load_answers("../../../solutions/a2_neural_net/backprop.ipynb")
    return ns["affine_backward"](dout, cache)


def attack_reads_later_assignment(x, w, b):
    """Takes a2's answers from a3's release, where they are given code
    (a2_layers.py): in this course's folder, then in the repository of the
    cs231n package."""
    import os

    import cs231n
    ns = {}
    for path in ("../../../assignments/a3_optimization/a2_layers.py",
                 os.path.join(os.path.dirname(cs231n.__file__), os.pardir, "assignments",
                              "a3_optimization", "a2_layers.py")):
        try:
            with open(path, encoding="utf-8") as f:
                exec(f.read(), ns)
            break
        except OSError:
            continue
    return ns["affine_forward"](x, w, b)


SAMPLES = [
    Sample(
        "correct",
        note="Every answer right: every autograded test cell gets full points and "
             "nothing is flagged."),
    Sample(
        "different",
        fills={"affine_forward": [affine_forward_einsum],
               "affine_backward": [affine_backward_einsum],
               "relu_forward": [relu_forward_where_out],
               "relu_backward": [relu_backward_where_out],
               "sigmoid_forward": [sigmoid_forward_naive],
               "sigmoid_backward": [sigmoid_backward_tuple_cache],
               "tanh_forward": [tanh_forward_from_sigmoid],
               "tanh_backward": [tanh_backward_factored],
               "elu_forward": [elu_forward_naive],
               "elu_backward": [elu_backward_exp],
               "svm_loss": [svm_loss_loops],
               "softmax_loss": [softmax_loss_logsumexp],
               "TwoLayerNet": [NetLayers]},
        note="Right answers written differently (einsum and a cache of the flattened x, "
             "np.where, tuple caches, loops, log-sum-exp, a network with layer methods) "
             "get full points."),

    # ------------------------------------------------------------ bugs
    Sample(
        "bug-affine-db-not-summed",
        fills={"affine_backward": [affine_backward_db_not_summed]},
        lose={"test_affine_backward"} | NET_TESTS,
        note="affine_backward returns db of shape (N, M), not summed over the batch: its "
             "test cell loses, and so does part 2, whose network is built from the "
             "student's layers (grads['b2'] has the wrong shape, and the Solver cannot "
             "train with it)."),
    Sample(
        "bug-affine-no-reshape",
        in_tests=False,  # a layer bug alone: make test grades bug-affine-db-not-summed
        fills={"affine_forward": [affine_forward_no_reshape]},
        lose={"test_affine_forward", "test_affine_backward"},
        note="affine_forward does not flatten x of shape (N, d1, d2): its test cell "
             "loses, and so does affine_backward's, whose check builds the cache with "
             "the student's own forward on such inputs."),
    Sample(
        "bug-relu-backward-no-mask",
        fills={"relu_backward": [relu_backward_no_mask]},
        lose={"test_relu_backward", "test_two_layer_net"},
        note="relu_backward passes the gradient where x < 0: its test cell loses, and "
             "so does the network of part 2, built from it (a wrong dW1); training with "
             "that gradient still reaches 0.90 on the digits, so test_best_val_accuracy "
             "keeps its point."),
    Sample(
        "bug-sigmoid-backward-uses-x",
        fills={"sigmoid_forward": [sigmoid_forward_caches_x],
               "sigmoid_backward": [sigmoid_backward_uses_x]},
        lose={"test_sigmoid_backward"},
        in_tests=False,  # a wrong backward alone: bug-relu-backward-no-mask in make test
        note="sigmoid_backward computes x * (1 - x) from the cached input instead of "
             "the output: only its test cell loses (the forward is right)."),
    Sample(
        "bug-softmax-dscores-not-divided",
        fills={"softmax_loss": [softmax_loss_dscores_not_divided]},
        lose={"test_softmax_loss"} | NET_TESTS,
        note="softmax_loss averages the loss but not dscores over N: its test cell "
             "loses, and so does part 2, whose network uses it: its gradients are N "
             "times too large, and the Solver's training at the notebook's learning "
             "rate diverges."),
    Sample(
        "bug-svm-modifies-scores",
        fills={"svm_loss": [svm_loss_modifies_scores]},
        lose={"test_svm_loss"},
        in_tests=False,  # a1's bug-svm-modifies-x is graded in make test
        note="svm_loss writes into the caller's scores array: only its test cell loses."),
    Sample(
        "bug-net-reg-on-biases",
        fills={"TwoLayerNet": [NetRight, NetRegOnBiases]},
        lose={"test_two_layer_net"},
        note="TwoLayerNet regularises b1 and b2 too: test_two_layer_net loses, but with "
             "reg 1e-3 the network still trains to 0.90 on the digits, so "
             "test_best_val_accuracy passes."),
    Sample(
        "bug-net-no-reg-on-w2",
        in_tests=False,  # make test grades its kind in another sample
        fills={"TwoLayerNet": [NetRight, NetNoRegOnW2]},
        lose={"test_two_layer_net"},
        note="TwoLayerNet leaves W2 out of the regularisation: test_two_layer_net loses, "
             "and training still reaches 0.90, so test_best_val_accuracy passes."),
    Sample(
        "bug-net-transposed-dw2",
        in_tests=False,  # a network bug alone: make test grades bug-net-reg-on-biases
        fills={"TwoLayerNet": [NetRight, NetTransposedDW2]},
        lose=NET_TESTS,
        note="TwoLayerNet returns dW2 transposed (C, H): test_two_layer_net loses, and "
             "the Solver's update cannot add it to W2, so training fails and "
             "test_best_val_accuracy loses too."),
    Sample(
        "bug-relu-backward-aliases-dout",
        fills={"relu_backward": [relu_backward_alias]},
        lose={"test_relu_backward"},
        in_tests=False,
        note="relu_backward writes dx = dout and then zeroes entries of dx, which are "
             "the caller's dout: the values are right, the mutation alone costs "
             "test_relu_backward."),
    Sample(
        "bug-softmax-global-shift",
        fills={"softmax_loss": [softmax_loss_global_shift]},
        lose={"test_softmax_loss", "test_two_layer_net"},
        in_tests=False,
        note="softmax_loss subtracts one maximum for the whole array instead of each "
             "row's: the case whose rows lie about 1000 apart gives nan, so "
             "test_softmax_loss loses, and so does the network of part 2, built from "
             "it, on its large-score case; the digits never give such scores, so "
             "test_best_val_accuracy keeps its point."),
    Sample(
        "bug-net-no-max-shift",
        fills={"TwoLayerNet": [NetRight, NetNoShift]},
        lose={"test_two_layer_net"},
        in_tests=False,
        note="TwoLayerNet exponentiates the raw scores: its check's large-score case "
             "gives nan, so test_two_layer_net loses; the digits never give such scores, "
             "so the network trains and test_best_val_accuracy passes."),
    Sample(
        "bug-net-global-shift",
        fills={"TwoLayerNet": [NetRight, NetGlobalShift]},
        lose={"test_two_layer_net"},
        in_tests=False,
        note="TwoLayerNet subtracts scores.max() of the whole batch: the large-score "
             "case, whose rows lie up to 2000 apart, gives nan and test_two_layer_net "
             "loses; training on the digits is unaffected, so test_best_val_accuracy "
             "passes."),
    Sample(
        "bug-net-reg-on-biases-without-half",
        fills={"TwoLayerNet": [NetRight, NetRegOnBiasesWithoutHalf]},
        lose={"test_two_layer_net"},
        in_tests=False,
        note="TwoLayerNet regularises the biases and drops the factor 0.5, two bugs at "
             "once: test_two_layer_net loses (its hint names both); the given spiral "
             "cell's own assert fails (0.96 training accuracy, below its 0.97), which "
             "costs no points, and with reg 1e-3 the network still trains to 0.90 on "
             "the digits, so test_best_val_accuracy passes."),
    Sample(
        "different-log-eps",
        fills={"softmax_loss": [softmax_loss_log_eps],
               "TwoLayerNet": [NetRight, NetLogEps]},
        in_tests=False,
        note="Right answers with -log(p + 1e-18) in softmax_loss and in the network "
             "pass every check, the large-score cases included: full points."),

    # ------------------------------------------------------- structure
    Sample(
        "test-cell-deleted",
        in_tests=False,  # make test grades this kind in a1
        transform=delete_cell("backprop.ipynb", "test_relu_backward"),
        flags={"test-cell-deleted"},
        note="A deleted test cell is put back by nbgrader (add_missing_cells) and the "
             "code is right, so nothing is lost; the deletion is reported."),
    Sample(
        "missing-notebook",
        transform=delete_notebook("two_layer_net.ipynb"),
        lose=NET_TESTS,
        flags={"missing-notebook"},
        note="two_layer_net.ipynb is not submitted: its test cells lose and "
             "backprop.ipynb is graded normally."),

    # --------------------------------------------------------- hostile
    Sample(
        "hostile-infinite-loop",
        fills={"elu_backward": [elu_backward_out, LOOP_FOREVER]},
        lose={"test_elu_backward"},
        flags={"timed-out", "tampered"},
        in_tests=False,  # a1's hostile-infinite-loop is graded in make test
        note="An endless loop after the def in the elu_backward cell: nbgrader "
             "interrupts the cell at its timeout with elu_backward defined, so its test "
             "passes there, but the integrity worker never finishes loading the cell "
             "and is killed: test_elu_backward loses and the disagreement is flagged; "
             "the other functions of backprop.ipynb get a fresh worker and keep their "
             "points."),
    Sample(
        "hostile-read-solutions",
        fills={"affine_backward": [hostile_reads_solution]},
        lose={"test_affine_backward"} | NET_TESTS,
        flags={"sandbox-violation"},
        in_tests=False,  # a1's hostile-read-solutions is graded in make test
        note="affine_backward runs the solution notebook read from ../../../solutions: "
             "the kernel's sandbox refuses the read (reported) and the integrity "
             "worker's folder has no such path, so test_affine_backward loses in both, "
             "and so does part 2, whose network calls it."),
    Sample(
        "attack-other-assignment",
        fills={"affine_forward": [attack_reads_later_assignment]},
        lose={"test_affine_forward", "test_affine_backward"} | NET_TESTS,
        flags={"sandbox-violation"},
        note="affine_forward runs a3's given a2_layers.py (a2's answers), read from "
             "the course folder or from the repository the cs231n package comes from: "
             "neither is in the sandbox (other assignments' files are not), so "
             "affine_forward and affine_backward (whose check uses the student's "
             "forward) lose, so does part 2, whose network calls it, and the look at "
             "the course is reported."),
    Sample(
        "monkeypatch-checks",
        in_tests=False,  # make test grades this kind in a1
        fills={"relu_backward": [relu_backward_no_mask, PATCH_CHECKS]},
        lose={"test_relu_backward", "test_sigmoid_backward", "test_tanh_backward",
              "test_leaky_relu_backward", "test_elu_backward", "test_two_layer_net"},
        flags={"monkeypatch", "tampered", "check-bypassed"},
        note="A wrong relu_backward whose cell replaces checks.check_backward by a "
             "no-op: every backward test in the kernel after it passes, the integrity "
             "pass (its own checks) fails relu_backward, so test_relu_backward loses "
             "and the patch and the disagreement are reported; none of those backward "
             "tests printed a success line, so all of them are zeroed as bypassed, the "
             "right sigmoid, tanh, leaky ReLU and ELU backwards included. Part 2 takes "
             "only the definitions of backprop.ipynb (not the patch): its network, "
             "built from the wrong relu_backward, fails its own test."),
]
