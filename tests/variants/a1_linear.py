"""Implementations of Assignment 1's graded functions, right and wrong.

The soundness suite (tests/test_checks_linear.py) runs every check on every
variant: each CORRECT variant must pass, each WRONG variant must fail.  The
wrong ones are the common bugs of the catalogue; their names say the bug.
"""
import numpy as np


# ---------------------------------------------------------------- SVM: right

def svm_loops(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W, dtype=np.float64)
    for i in range(N):
        s = X[i] @ W
        for j in range(C):
            if j == y[i]:
                continue
            m = s[j] - s[y[i]] + 1
            if m > 0:
                loss += m
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + reg * W


def svm_vectorised(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    m[np.arange(N), y] = 0
    g = (m > 0).astype(X.dtype)
    g[np.arange(N), y] = -g.sum(axis=1)
    return m.sum() / N + 0.5 * reg * np.sum(W * W), X.T @ g / N + reg * W


def svm_masked_mean(W, X, y, reg):
    """Another formulation: a boolean mask for the correct class, np.mean."""
    s = X @ W
    correct = np.eye(W.shape[1], dtype=bool)[y]
    m = np.where(correct, 0.0, np.maximum(0, s - s[correct][:, None] + 1))
    g = (m > 0) * 1.0 - correct * (m > 0).sum(axis=1, keepdims=True)
    return float(np.mean(m.sum(axis=1))) + 0.5 * reg * (W ** 2).sum(), \
        X.T.dot(g) / len(y) + reg * W


def svm_subtract_one(W, X, y, reg):
    """Counts the correct class and subtracts the 1 it adds: equivalent."""
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    loss = (m.sum() - N) / N
    g = (m > 0).astype(float)
    g[np.arange(N), y] = 0
    g[np.arange(N), y] = -g.sum(axis=1)
    return loss + 0.5 * reg * np.sum(W * W), X.T @ g / N + reg * W


# ---------------------------------------------------------------- SVM: wrong

def svm_no_reg_in_loss(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, reg)
    return loss - 0.5 * reg * np.sum(W * W), dW


def svm_no_reg_in_grad(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, reg)
    return loss, dW - reg * W


def svm_reg_per_example(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, 0.0)
    N = X.shape[0]
    return loss + N * 0.5 * reg * np.sum(W * W), dW + N * reg * W


def svm_reg_without_half(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, reg)
    return loss + 0.5 * reg * np.sum(W * W), dW


def svm_counts_correct_class(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    g = (m > 0).astype(float)
    g[np.arange(N), y] -= g.sum(axis=1)
    return m.sum() / N + 0.5 * reg * np.sum(W * W), X.T @ g / N + reg * W


def svm_sum_not_mean(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, 0.0)
    N = X.shape[0]
    return N * loss + 0.5 * reg * np.sum(W * W), N * dW + reg * W


def svm_grad_not_averaged(W, X, y, reg):
    loss, dW = svm_vectorised(W, X, y, 0.0)
    return loss + 0.5 * reg * np.sum(W * W), X.shape[0] * dW + reg * W


def svm_margin_zero(W, X, y, reg):
    """Delta 0 instead of 1."""
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None])
    g = (m > 0).astype(float)
    g[np.arange(N), y] = -g.sum(axis=1)
    return m.sum() / N + 0.5 * reg * np.sum(W * W), X.T @ g / N + reg * W


def svm_grad_missing_correct_class(W, X, y, reg):
    N = X.shape[0]
    loss, _ = svm_vectorised(W, X, y, reg)
    s = X @ W
    m = np.maximum(0, s - s[np.arange(N), y][:, None] + 1)
    m[np.arange(N), y] = 0
    return loss, X.T @ (m > 0).astype(float) / N + reg * W


def svm_modifies_X(W, X, y, reg):
    X -= 0.0 * X + 1e-3  # "centres" X in place
    return svm_vectorised(W, X + 1e-3, y, reg)


def svm_modifies_W(W, X, y, reg):
    out = svm_vectorised(W, X, y, reg)
    W *= 1.0000001
    return out


def svm_returns_list(W, X, y, reg):
    return list(svm_vectorised(W, X, y, reg))


def svm_float32_rounding(W, X, y, reg):
    loss, dW = svm_vectorised(W.astype(np.float16), X.astype(np.float16), y, reg)
    return float(loss), dW.astype(W.dtype)


# ------------------------------------------------------------ softmax: right

def softmax_loops(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W, dtype=np.float64)
    for i in range(N):
        s = X[i] @ W
        s = s - np.max(s)
        p = np.exp(s) / np.sum(np.exp(s))
        loss += -np.log(p[y[i]])
        for j in range(C):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + reg * W


def softmax_vectorised(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    p[np.arange(N), y] -= 1
    return -logp[np.arange(N), y].mean() + 0.5 * reg * np.sum(W * W), X.T @ p / N + reg * W


def softmax_logsumexp(W, X, y, reg):
    """log-sum-exp written with the max added back, one-hot targets."""
    s = X @ W
    mx = s.max(axis=1)
    lse = mx + np.log(np.sum(np.exp(s - mx[:, None]), axis=1))
    onehot = np.eye(W.shape[1])[y]
    loss = np.mean(lse - np.sum(s * onehot, axis=1))
    p = np.exp(s - lse[:, None])
    return loss + 0.5 * reg * np.sum(np.square(W)), X.T @ (p - onehot) / len(y) + reg * W


# ------------------------------------------------------------ softmax: wrong

def softmax_no_shift(W, X, y, reg):
    N = X.shape[0]
    e = np.exp(X @ W)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss + 0.5 * reg * np.sum(W * W), X.T @ p / N + reg * W


def softmax_no_reg_in_loss(W, X, y, reg):
    loss, dW = softmax_vectorised(W, X, y, reg)
    return loss - 0.5 * reg * np.sum(W * W), dW


def softmax_no_reg_in_grad(W, X, y, reg):
    loss, dW = softmax_vectorised(W, X, y, reg)
    return loss, dW - reg * W


def softmax_reg_per_example(W, X, y, reg):
    loss, dW = softmax_vectorised(W, X, y, 0.0)
    N = X.shape[0]
    return loss + N * 0.5 * reg * np.sum(W * W), dW + N * reg * W


def softmax_sum_not_mean(W, X, y, reg):
    loss, dW = softmax_vectorised(W, X, y, 0.0)
    N = X.shape[0]
    return N * loss + 0.5 * reg * np.sum(W * W), N * dW + reg * W


def softmax_log10(W, X, y, reg):
    loss, dW = softmax_vectorised(W, X, y, 0.0)
    return loss / np.log(10) + 0.5 * reg * np.sum(W * W), dW + reg * W


def softmax_grad_missing_minus_one(W, X, y, reg):
    loss, _ = softmax_vectorised(W, X, y, reg)
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return loss, X.T @ p / X.shape[0] + reg * W


def softmax_shift_in_place(W, X, y, reg):
    """Shifts X (the caller's array) instead of the scores."""
    X -= X.max()
    return softmax_vectorised(W, X, y, reg)


def softmax_global_shift(W, X, y, reg):
    """Subtracts one global max instead of each row's: also stable when the
    scores of different rows are close."""
    N = X.shape[0]
    s = X @ W
    s = s - s.max()
    e = np.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss + 0.5 * reg * np.sum(W * W), X.T @ p / N + reg * W


# ------------------------------------------------------------ penalties

def l2_right(W, reg):
    return 0.5 * reg * np.sum(W * W), reg * W


def l1_right(W, reg):
    return reg * np.sum(np.abs(W)), reg * np.sign(W)


def elastic_right(W, reg, l1_ratio=0.5):
    return (reg * (l1_ratio * np.sum(np.abs(W)) + (1 - l1_ratio) * 0.5 * np.sum(W * W)),
            reg * (l1_ratio * np.sign(W) + (1 - l1_ratio) * W))


def elastic_loops(W, reg, l1_ratio=0.5):
    p, g = 0.0, np.zeros_like(W)
    for i in np.ndindex(W.shape):
        w = W[i]
        p += l1_ratio * abs(w) + (1 - l1_ratio) * 0.5 * w * w
        g[i] = l1_ratio * (1.0 if w > 0 else -1.0 if w < 0 else 0.0) + (1 - l1_ratio) * w
    return reg * p, reg * g


def l2_no_half(W, reg):
    return reg * np.sum(W * W), 2 * reg * W


def l2_grad_2x(W, reg):
    return 0.5 * reg * np.sum(W * W), 2 * reg * W


def l1_grad_is_w(W, reg):
    return reg * np.sum(np.abs(W)), reg * W


def l1_grad_kink_one(W, reg):
    return reg * np.sum(np.abs(W)), reg * np.where(W >= 0, 1.0, -1.0)


def l1_half(W, reg):
    return 0.5 * reg * np.sum(np.abs(W)), 0.5 * reg * np.sign(W)


def elastic_ratio_swapped(W, reg, l1_ratio=0.5):
    return elastic_right(W, reg, 1 - l1_ratio)


def elastic_no_half(W, reg, l1_ratio=0.5):
    return (reg * (l1_ratio * np.sum(np.abs(W)) + (1 - l1_ratio) * np.sum(W * W)),
            reg * (l1_ratio * np.sign(W) + 2 * (1 - l1_ratio) * W))


def l2_in_place(W, reg):
    W *= reg
    return 0.5 * np.sum(W * W) / reg, W.copy()


# ----------------------------------------------------------- classifier

class ClassifierRight:
    def __init__(self, loss_fn):
        self.loss_fn = loss_fn
        self.W = None

    def train(self, X, y, *, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, rng=None, verbose=False):
        rng = np.random.default_rng() if rng is None else rng
        N, D = X.shape
        if self.W is None:
            self.W = 0.001 * rng.standard_normal((D, int(y.max()) + 1))
        history = []
        for _ in range(num_iters):
            idx = rng.choice(N, batch_size, replace=True)
            loss, dW = self.loss_fn(self.W, X[idx], y[idx], reg)
            self.W = self.W - learning_rate * dW
            history.append(loss)
        return history

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)


class ClassifierNoReplacement(ClassifierRight):
    """Samples without replacement, updates in place: also right."""

    def train(self, X, y, *, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, rng=None, verbose=False):
        rng = np.random.default_rng() if rng is None else rng
        if self.W is None:
            self.W = 0.001 * rng.standard_normal((X.shape[1], int(np.max(y)) + 1))
        losses = []
        for it in range(num_iters):
            idx = rng.permutation(X.shape[0])[:batch_size]
            loss, dW = self.loss_fn(self.W, X[idx], y[idx], reg=reg)
            self.W -= learning_rate * dW
            losses.append(float(loss))
            if verbose and it % 100 == 0:
                print(it, loss)
        return losses


class ClassifierGlobalRandom(ClassifierRight):
    """Ignores the Generator and samples with np.random."""

    def train(self, X, y, *, rng=None, **kw):
        return super().train(X, y, rng=np.random.default_rng(), **kw)


class ClassifierUphill(ClassifierRight):
    def train(self, X, y, *, learning_rate=1e-3, **kw):
        return super().train(X, y, learning_rate=-learning_rate, **kw)


class ClassifierFirstRows(ClassifierRight):
    """Always takes the first batch_size rows."""

    def train(self, X, y, *, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, rng=None, verbose=False):
        rng = np.random.default_rng() if rng is None else rng
        if self.W is None:
            self.W = 0.001 * rng.standard_normal((X.shape[1], int(y.max()) + 1))
        out = []
        for _ in range(num_iters):
            loss, dW = self.loss_fn(self.W, X[:batch_size], y[:batch_size], reg)
            self.W = self.W - learning_rate * dW
            out.append(loss)
        return out


class ClassifierShuffledLabels(ClassifierRight):
    """Indexes X and y with different samples."""

    def train(self, X, y, *, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, rng=None, verbose=False):
        rng = np.random.default_rng() if rng is None else rng
        if self.W is None:
            self.W = 0.001 * rng.standard_normal((X.shape[1], int(y.max()) + 1))
        out = []
        for _ in range(num_iters):
            loss, dW = self.loss_fn(self.W, X[rng.choice(len(X), batch_size)],
                                    y[rng.choice(len(X), batch_size)], reg)
            self.W = self.W - learning_rate * dW
            out.append(loss)
        return out


class ClassifierReinitialises(ClassifierRight):
    def train(self, X, y, **kw):
        self.W = None
        return super().train(X, y, **kw)


class ClassifierNoReg(ClassifierRight):
    def train(self, X, y, *, reg=1e-5, **kw):
        return super().train(X, y, reg=0.0, **kw)


class ClassifierPredictsScores(ClassifierRight):
    def predict(self, X):
        return np.max(X @ self.W, axis=1)


class ClassifierPredictArgmin(ClassifierRight):
    def predict(self, X):
        return np.argmin(X @ self.W, axis=1)


class ClassifierBigInit(ClassifierRight):
    def train(self, X, y, *, rng=None, **kw):
        rng = np.random.default_rng() if rng is None else rng
        if self.W is None:
            self.W = rng.standard_normal((X.shape[1], int(y.max()) + 1))
        return super().train(X, y, rng=rng, **kw)


CORRECT = {
    "svm": [svm_loops, svm_vectorised, svm_masked_mean, svm_subtract_one],
    "softmax": [softmax_loops, softmax_vectorised, softmax_logsumexp, softmax_global_shift],
    "l2": [l2_right],
    "l1": [l1_right],
    "elastic_net": [elastic_right, elastic_loops],
    "classifier": [ClassifierRight, ClassifierNoReplacement],
}

WRONG = {
    "svm": [svm_no_reg_in_loss, svm_no_reg_in_grad, svm_reg_per_example,
            svm_reg_without_half, svm_counts_correct_class, svm_sum_not_mean,
            svm_grad_not_averaged, svm_margin_zero, svm_grad_missing_correct_class,
            svm_modifies_X, svm_modifies_W, svm_returns_list, svm_float32_rounding],
    "softmax": [softmax_no_shift, softmax_no_reg_in_loss, softmax_no_reg_in_grad,
                softmax_reg_per_example, softmax_sum_not_mean, softmax_log10,
                softmax_grad_missing_minus_one, softmax_shift_in_place],
    "l2": [l2_no_half, l2_grad_2x, l2_in_place],
    "l1": [l1_grad_is_w, l1_grad_kink_one, l1_half],
    "elastic_net": [elastic_ratio_swapped, elastic_no_half],
    "classifier": [ClassifierGlobalRandom, ClassifierUphill, ClassifierFirstRows,
                   ClassifierShuffledLabels, ClassifierReinitialises, ClassifierNoReg,
                   ClassifierPredictsScores, ClassifierPredictArgmin, ClassifierBigInit],
}
