"""Assignment 5's corpus, part mixing: right and wrong label smoothing, soft-target
cross-entropy, mixup and cutmix, and the part's sample submissions (joined by
a5_practice.py)."""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------------ smooth_labels: right

def smooth_labels_eye(y, num_classes, epsilon):
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    return (1 - epsilon) * np.eye(num_classes)[y] + epsilon / num_classes


def smooth_labels_fill(y, num_classes, epsilon):
    if epsilon < 0 or epsilon > 1:
        raise ValueError("epsilon outside [0, 1]")
    out = np.full((len(y), num_classes), epsilon / num_classes)
    out[np.arange(len(y)), y] += 1 - epsilon
    return out


def smooth_labels_loop(y, num_classes, epsilon):
    if not (0.0 <= epsilon <= 1.0):
        raise ValueError("bad epsilon")
    out = np.zeros((len(y), num_classes))
    for i, label in enumerate(y):
        for c in range(num_classes):
            out[i, c] = epsilon / num_classes + (1 - epsilon if c == label else 0.0)
    return out


# ------------------------------------------------------------ smooth_labels: wrong

def smooth_labels_not_normalised(y, num_classes, epsilon):
    """1 - epsilon on the true class, epsilon / C on the others only."""
    if not 0 <= epsilon <= 1:
        raise ValueError("epsilon")
    onehot = np.eye(num_classes)[y]
    return (1 - epsilon) * onehot + epsilon / num_classes * (1 - onehot)


def smooth_labels_c_minus_one(y, num_classes, epsilon):
    """epsilon / (C - 1) on the other classes (sums to one, not the contract)."""
    if not 0 <= epsilon <= 1:
        raise ValueError("epsilon")
    onehot = np.eye(num_classes)[y]
    return (1 - epsilon) * onehot + epsilon / (num_classes - 1) * (1 - onehot)


def smooth_labels_shifted(y, num_classes, epsilon):
    """Labels counted from 1: the mass lands on class y - 1."""
    if not 0 <= epsilon <= 1:
        raise ValueError("epsilon")
    return (1 - epsilon) * np.eye(num_classes)[y - 1] + epsilon / num_classes


def smooth_labels_transposed(y, num_classes, epsilon):
    if not 0 <= epsilon <= 1:
        raise ValueError("epsilon")
    return ((1 - epsilon) * np.eye(num_classes)[y] + epsilon / num_classes).T


def smooth_labels_ignores_epsilon(y, num_classes, epsilon):
    if not 0 <= epsilon <= 1:
        raise ValueError("epsilon")
    return np.eye(num_classes)[y]


def smooth_labels_no_value_error(y, num_classes, epsilon):
    return (1 - epsilon) * np.eye(num_classes)[y] + epsilon / num_classes


# ---------------------------------------------------- softmax_cross_entropy: right

def softmax_cross_entropy_log_softmax(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = scores.shape[0]
    loss = -np.sum(targets * log_p) / N
    return loss, (np.exp(log_p) - targets) / N


def softmax_cross_entropy_logsumexp(scores, targets):
    # With rows of targets summing to one: -sum t log p = logsumexp(s) - sum t s.
    m = np.max(scores, axis=1)
    lse = m + np.log(np.sum(np.exp(scores - m[:, None]), axis=1))
    loss = np.mean(lse - np.sum(targets * scores, axis=1))
    p = np.exp(scores - lse[:, None])
    return loss, (p - targets) / len(scores)


def softmax_cross_entropy_loop(scores, targets):
    N, C = scores.shape
    loss, dscores = 0.0, np.zeros((N, C))
    for i in range(N):
        s = scores[i] - np.max(scores[i])
        e = np.exp(s)
        p = e / e.sum()
        loss -= np.dot(targets[i], s - np.log(e.sum()))
        dscores[i] = (p - targets[i]) / N
    return loss / N, dscores


def softmax_cross_entropy_softmax_then_log(scores, targets):
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    N = len(scores)
    return -np.sum(targets * np.log(p)) / N, (p - targets) / N


# ---------------------------------------------------- softmax_cross_entropy: wrong

def softmax_cross_entropy_not_averaged_grad(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.sum(targets * log_p) / len(scores), np.exp(log_p) - targets


def softmax_cross_entropy_sum(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.sum(targets * log_p), np.exp(log_p) - targets


def softmax_cross_entropy_unstable(scores, targets):
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    N = len(scores)
    return -np.sum(targets * np.log(p)) / N, (p - targets) / N


def softmax_cross_entropy_hard_labels(scores, targets):
    """Reduces the targets to their argmax: the loss of the hard labels."""
    N = len(scores)
    y = np.argmax(targets, axis=1)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return -np.mean(log_p[np.arange(N), y]), dscores / N


def softmax_cross_entropy_wrong_axis(scores, targets):
    shifted = scores - scores.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    N = len(scores)
    return -np.sum(targets * log_p) / N, (np.exp(log_p) - targets) / N


# ------------------------------------------------------------------ mixup: right

def mixup_beta_perm(X, Y, alpha, rng):
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


def mixup_gamma_ratio(X, Y, alpha, rng):
    N = len(X)
    perm = rng.permutation(N)
    a, b = rng.gamma(alpha, size=N), rng.gamma(alpha, size=N)
    lam = a / (a + b)
    X_mix = np.empty_like(X)
    Y_mix = np.empty_like(Y)
    for i in range(N):
        X_mix[i] = lam[i] * X[i] + (1 - lam[i]) * X[perm[i]]
        Y_mix[i] = lam[i] * Y[i] + (1 - lam[i]) * Y[perm[i]]
    return X_mix, Y_mix


def mixup_difference_form(X, Y, alpha, rng):
    N = X.shape[0]
    idx = rng.permutation(np.arange(N))
    lam = rng.beta(alpha, alpha, N)
    flat = X.reshape(N, -1)
    X_mix = (flat[idx] + lam[:, None] * (flat - flat[idx])).reshape(X.shape)
    return X_mix, Y[idx] + lam[:, None] * (Y - Y[idx])


# ------------------------------------------------------------------ mixup: wrong

def mixup_targets_other_weight(X, Y, alpha, rng):
    """The inputs mixed with lam, the targets with 1 - lam."""
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], (1 - lam[:, None]) * Y + lam[:, None] * Y[perm]


def mixup_second_draw(X, Y, alpha, rng):
    """A second lam drawn for the targets."""
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    lam_y = rng.beta(alpha, alpha, size=N)
    return lx * X + (1 - lx) * X[perm], lam_y[:, None] * Y + (1 - lam_y[:, None]) * Y[perm]


def mixup_uniform(X, Y, alpha, rng):
    N = X.shape[0]
    lam = rng.random(N)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


def mixup_reversed(X, Y, alpha, rng):
    """The partners are always the reversed batch."""
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = np.arange(N)[::-1]
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


def mixup_with_replacement(X, Y, alpha, rng):
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.integers(0, N, size=N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


def mixup_one_lambda(X, Y, alpha, rng):
    N = X.shape[0]
    lam = rng.beta(alpha, alpha)
    perm = rng.permutation(N)
    return lam * X + (1 - lam) * X[perm], lam * Y + (1 - lam) * Y[perm]


def mixup_in_place(X, Y, alpha, rng):
    N = X.shape[0]
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    partner, partner_y = X[perm], Y[perm]
    X *= lx
    X += (1 - lx) * partner
    return X, lam[:, None] * Y + (1 - lam[:, None]) * partner_y


def mixup_np_random(X, Y, alpha, rng):
    N = X.shape[0]
    lam = np.random.beta(alpha, alpha, size=N)
    perm = np.random.permutation(N)
    lx = lam.reshape((N,) + (1,) * (X.ndim - 1))
    return lx * X + (1 - lx) * X[perm], lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


# ------------------------------------------------------------------ cutmix: right

def cutmix_slices(X, Y, alpha, rng):
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    X_mix = X.copy()
    share = np.zeros(N)
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X_mix[i, top:bottom, left:right] = X[perm[i], top:bottom, left:right]
        share[i] = (bottom - top) * (right - left) / (H * W)
    return X_mix, (1 - share)[:, None] * Y + share[:, None] * Y[perm]


def cutmix_mask_clip(X, Y, alpha, rng):
    """Vectorised: the boxes as masks, np.clip for the borders, Yun et al.'s
    centring (from c - size // 2 to c + size // 2)."""
    N, H, W = X.shape
    perm = rng.permutation(N)
    lam = rng.beta(alpha, alpha, size=N)
    s = np.sqrt(1.0 - lam)
    h, w = np.round(H * s).astype(int), np.round(W * s).astype(int)
    cy, cx = rng.integers(0, H, size=N), rng.integers(0, W, size=N)
    y1, y2 = np.clip(cy - h // 2, 0, H), np.clip(cy + h // 2, 0, H)
    x1, x2 = np.clip(cx - w // 2, 0, W), np.clip(cx + w // 2, 0, W)
    rows, cols = np.arange(H), np.arange(W)
    in_rows = (rows >= y1[:, None]) & (rows < y2[:, None])
    in_cols = (cols >= x1[:, None]) & (cols < x2[:, None])
    mask = in_rows[:, :, None] & in_cols[:, None, :]
    X_mix = np.where(mask, X[perm], X)
    a = mask.reshape(N, -1).mean(axis=1)
    return X_mix, (1 - a)[:, None] * Y + a[:, None] * Y[perm]


def cutmix_gamma_loop(X, Y, alpha, rng):
    N, H, W = X.shape
    X_mix, Y_mix = np.array(X), np.array(Y)
    perm = rng.permutation(N)
    for i in range(N):
        g1, g2 = rng.gamma(alpha), rng.gamma(alpha)
        lam = g1 / (g1 + g2)
        cy, cx = rng.integers(H), rng.integers(W)
        h, w = round(H * (1 - lam) ** 0.5), round(W * (1 - lam) ** 0.5)
        r0, r1 = np.clip([cy - h // 2, cy - h // 2 + h], 0, H)
        c0, c1 = np.clip([cx - w // 2, cx - w // 2 + w], 0, W)
        X_mix[i, r0:r1, c0:c1] = X[perm[i], r0:r1, c0:c1]
        a = (r1 - r0) * (c1 - c0) / (H * W)
        Y_mix[i] = (1 - a) * Y[i] + a * Y[perm[i]]
    return X_mix, Y_mix


# ------------------------------------------------------------------ cutmix: wrong

def cutmix_lam_as_weight(X, Y, alpha, rng):
    """The target weight is the drawn lam, not the pasted share after clipping."""
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    X_mix = X.copy()
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X_mix[i, top:bottom, left:right] = X[perm[i], top:bottom, left:right]
    return X_mix, lam[:, None] * Y + (1 - lam[:, None]) * Y[perm]


def cutmix_wraps(X, Y, alpha, rng):
    """The box is not clipped: its rows and columns wrap around the border."""
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    X_mix = X.copy()
    share = np.zeros(N)
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        rows = (cy - h // 2 + np.arange(h)) % H
        cols = (cx - w // 2 + np.arange(w)) % W
        X_mix[i][np.ix_(rows, cols)] = X[perm[i]][np.ix_(rows, cols)]
        share[i] = h * w / (H * W)
    return X_mix, (1 - share)[:, None] * Y + share[:, None] * Y[perm]


def cutmix_other_partner(X, Y, alpha, rng):
    """The box comes from a second permutation, the target from the first."""
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm, perm_box = rng.permutation(N), rng.permutation(N)
    X_mix = X.copy()
    share = np.zeros(N)
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X_mix[i, top:bottom, left:right] = X[perm_box[i], top:bottom, left:right]
        share[i] = (bottom - top) * (right - left) / (H * W)
    return X_mix, (1 - share)[:, None] * Y + share[:, None] * Y[perm]


def cutmix_side_from_lam(X, Y, alpha, rng):
    """The side of the box is (1 - lam) H: its area share is (1 - lam)^2."""
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    X_mix = X.copy()
    share = np.zeros(N)
    for i in range(N):
        h, w = int(round(H * (1 - lam[i]))), int(round(W * (1 - lam[i])))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X_mix[i, top:bottom, left:right] = X[perm[i], top:bottom, left:right]
        share[i] = (bottom - top) * (right - left) / (H * W)
    return X_mix, (1 - share)[:, None] * Y + share[:, None] * Y[perm]


def cutmix_swapped_weights(X, Y, alpha, rng):
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    X_mix = X.copy()
    share = np.zeros(N)
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X_mix[i, top:bottom, left:right] = X[perm[i], top:bottom, left:right]
        share[i] = (bottom - top) * (right - left) / (H * W)
    return X_mix, share[:, None] * Y + (1 - share)[:, None] * Y[perm]


def cutmix_in_place(X, Y, alpha, rng):
    N, H, W = X.shape
    lam = rng.beta(alpha, alpha, size=N)
    perm = rng.permutation(N)
    source = X.copy()
    share = np.zeros(N)
    for i in range(N):
        s = np.sqrt(1 - lam[i])
        h, w = int(round(H * s)), int(round(W * s))
        cy, cx = rng.integers(H), rng.integers(W)
        top, left = max(cy - h // 2, 0), max(cx - w // 2, 0)
        bottom, right = min(cy - h // 2 + h, H), min(cx - w // 2 + w, W)
        X[i, top:bottom, left:right] = source[perm[i], top:bottom, left:right]
        share[i] = (bottom - top) * (right - left) / (H * W)
    return X, (1 - share)[:, None] * Y + share[:, None] * Y[perm]


CORRECT = {
    "smooth_labels": [smooth_labels_eye, smooth_labels_fill, smooth_labels_loop],
    "softmax_cross_entropy": [softmax_cross_entropy_log_softmax,
                              softmax_cross_entropy_logsumexp, softmax_cross_entropy_loop,
                              softmax_cross_entropy_softmax_then_log],
    "mixup": [mixup_beta_perm, mixup_gamma_ratio, mixup_difference_form],
    "cutmix": [cutmix_slices, cutmix_mask_clip, cutmix_gamma_loop],
}

WRONG = {
    "smooth_labels": [smooth_labels_not_normalised, smooth_labels_c_minus_one,
                      smooth_labels_shifted, smooth_labels_transposed,
                      smooth_labels_ignores_epsilon, smooth_labels_no_value_error],
    "softmax_cross_entropy": [softmax_cross_entropy_not_averaged_grad,
                              softmax_cross_entropy_sum, softmax_cross_entropy_unstable,
                              softmax_cross_entropy_hard_labels,
                              softmax_cross_entropy_wrong_axis],
    "mixup": [mixup_targets_other_weight, mixup_second_draw, mixup_uniform, mixup_reversed,
              mixup_with_replacement, mixup_one_lambda, mixup_in_place, mixup_np_random],
    "cutmix": [cutmix_lam_as_weight, cutmix_wraps, cutmix_other_partner,
               cutmix_side_from_lam, cutmix_swapped_weights, cutmix_in_place],
}

BASE = {"smooth_labels": [smooth_labels_eye],
        "softmax_cross_entropy": [softmax_cross_entropy_log_softmax],
        "mixup": [mixup_beta_perm], "cutmix": [cutmix_slices]}

DIFFERENT = {"smooth_labels": [smooth_labels_fill],
             "softmax_cross_entropy": [softmax_cross_entropy_logsumexp],
             "mixup": [mixup_gamma_ratio], "cutmix": [cutmix_mask_clip]}

SAMPLES = [
    Sample(
        "bug-cutmix-lam-as-weight",
        fills={"cutmix": [cutmix_lam_as_weight]},
        lose={"test_cutmix"},
        in_tests=False,
        note="cutmix weighs the targets with the drawn lam instead of the share of the "
             "image the clipped, rounded box really covers: the check recovers every box "
             "from the pixels, so the targets disagree with the pasted area and only its "
             "test cell loses."),
    Sample(
        "bug-mixup-uniform-lambda",
        fills={"mixup": [mixup_uniform]},
        lose={"test_mixup"},
        in_tests=False,
        note="mixup draws lam uniformly instead of from Beta(alpha, alpha): the structure "
             "is right, but at alpha = 0.2 the second moment of the 2000 recovered "
             "lambdas is 1/12 instead of 0.179, far outside Hoeffding's bound, so its test "
             "cell loses."),
    Sample(
        "bug-xent-unstable",
        fills={"softmax_cross_entropy": [softmax_cross_entropy_unstable]},
        lose={"test_softmax_cross_entropy"},
        in_tests=False,
        note="softmax_cross_entropy exponentiates the raw scores: on scores near 1000 exp "
             "overflows and the loss is nan, so its test cell loses."),
    Sample(
        "bug-smooth-labels-not-normalised",
        fills={"smooth_labels": [smooth_labels_not_normalised]},
        lose={"test_smooth_labels"},
        in_tests=False,
        note="smooth_labels puts epsilon / C on the wrong classes only, so the rows sum to "
             "1 - epsilon / C: its test cell loses."),
]
