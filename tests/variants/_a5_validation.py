"""Assignment 5's corpus, part validation: right and wrong k-fold indices,
cross-validation, bootstrap samples and bias-variance decompositions, and the
part's sample submissions (joined by a5_practice.py)."""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------------ k-fold: right

def kfold_deal(N, k, rng, y=None):
    if k < 2 or k > N:
        raise ValueError(f"k must be in [2, N={N}], got {k}")
    order = rng.permutation(N)
    if y is not None:
        order = order[np.argsort(np.asarray(y)[order], kind="stable")]
    folds = [order[i::k] for i in range(k)]
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def kfold_array_split(N, k, rng, y=None):
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    if y is None:
        val = np.array_split(rng.permutation(N), k)
    else:
        y = np.asarray(y)
        buckets = [[] for _ in range(k)]
        start = 0
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            for j, idx in enumerate(members):
                buckets[(start + j) % k].append(idx)
            start = (start + len(members)) % k
        val = [np.array(b, dtype=int) for b in buckets]
    return [(np.setdiff1d(np.arange(N), v), v) for v in val]


def kfold_slices(N, k, rng, y=None):
    if k < 2:
        raise ValueError("k must be at least 2")
    if k > N:
        raise ValueError("k must be at most N")
    if y is None:
        perm = rng.choice(N, size=N, replace=False)
        sizes = np.full(k, N // k)
        sizes[:N % k] += 1
        ends = np.cumsum(sizes)
        val = [perm[e - s:e] for s, e in zip(sizes, ends)]
    else:
        fold_of = np.empty(N, dtype=int)
        offset = 0
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            idx = idx[rng.permutation(len(idx))]
            fold_of[idx] = (offset + np.arange(len(idx))) % k
            offset += len(idx)
        val = [np.flatnonzero(fold_of == i) for i in range(k)]
    everything = np.arange(N)
    return [(everything[~np.isin(everything, v)], v) for v in val]


def kfold_fold_ids(N, k, rng, y=None):
    if not (2 <= k <= N):
        raise ValueError(f"need 2 <= k <= N, got k={k}, N={N}")
    perm = rng.permutation(N)
    if y is not None:
        perm = perm[np.argsort(y[perm], kind="mergesort")]
    fold = np.empty(N, dtype=np.int64)
    fold[perm] = np.arange(N) % k
    return [(np.flatnonzero(fold != i), np.flatnonzero(fold == i)) for i in range(k)]


# ------------------------------------------------------------ k-fold: wrong

def kfold_drops_remainder(N, k, rng, y=None):
    """N // k per fold: the N % k examples left over are never validated."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    perm = rng.permutation(N)
    size = N // k
    out = []
    for i in range(k):
        val = perm[i * size:(i + 1) * size]
        out.append((np.concatenate([perm[:i * size], perm[(i + 1) * size:]]), val))
    return out


def kfold_overlapping(N, k, rng, y=None):
    """Each validation fold drawn on its own: folds overlap."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    sizes = [len(a) for a in np.array_split(np.arange(N), k)]
    out = []
    for s in sizes:
        val = rng.choice(N, size=s, replace=False)
        out.append((np.setdiff1d(np.arange(N), val), val))
    return out


def kfold_no_shuffle(N, k, rng, y=None):
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    val = np.array_split(np.arange(N), k)
    return [(np.setdiff1d(np.arange(N), v), v) for v in val]


def kfold_np_random(N, k, rng, y=None):
    """np.random's global state instead of rng."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    order = np.random.permutation(N)
    if y is not None:
        order = order[np.argsort(np.asarray(y)[order], kind="stable")]
    folds = [order[i::k] for i in range(k)]
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def kfold_own_generator(N, k, rng, y=None):
    """A generator of its own: the same folds whatever rng."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    order = np.random.default_rng(0).permutation(N)
    if y is not None:
        order = order[np.argsort(np.asarray(y)[order], kind="stable")]
    folds = [order[i::k] for i in range(k)]
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def kfold_ignores_y(N, k, rng, y=None):
    """Shuffled folds, not stratified."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    val = np.array_split(rng.permutation(N), k)
    return [(np.setdiff1d(np.arange(N), v), v) for v in val]


def kfold_stratified_first_folds(N, k, rng, y=None):
    """Per class np.array_split: every class's remainder goes to the first
    folds, so the first folds are larger by more than 1."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    if y is None:
        val = np.array_split(rng.permutation(N), k)
    else:
        parts = [np.array_split(rng.permutation(np.flatnonzero(y == c)), k)
                 for c in np.unique(y)]
        val = [np.concatenate([p[i] for p in parts]) for i in range(k)]
    return [(np.setdiff1d(np.arange(N), v), v) for v in val]


def kfold_train_has_val(N, k, rng, y=None):
    """The training index is every example: the validation fold included."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    val = np.array_split(rng.permutation(N), k)
    return [(np.arange(N), v) for v in val]


def kfold_train_off_by_one(N, k, rng, y=None):
    """folds[:i] + folds[i:]: the validation fold is in its training index."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    folds = np.array_split(rng.permutation(N), k)
    return [(np.concatenate(folds[:i] + folds[i:]), folds[i]) for i in range(k)]


def kfold_no_value_error(N, k, rng, y=None):
    order = rng.permutation(N)
    if y is not None:
        order = order[np.argsort(np.asarray(y)[order], kind="stable")]
    folds = [order[i::k] for i in range(k)]
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def kfold_masks(N, k, rng, y=None):
    """Boolean masks instead of indices."""
    if not 2 <= k <= N:
        raise ValueError("k out of range")
    fold = np.empty(N, dtype=int)
    fold[rng.permutation(N)] = np.arange(N) % k
    return [(fold != i, fold == i) for i in range(k)]


# ------------------------------------------------------- cross-validate: right

def cross_validate_loop(fit_and_score, X, y, folds):
    scores = []
    for train_idx, val_idx in folds:
        mu = X[train_idx].mean(axis=0)
        scores.append(fit_and_score(X[train_idx] - mu, y[train_idx], X[val_idx] - mu,
                                    y[val_idx]))
    return np.array(scores)


def cross_validate_masks(fit_and_score, X, y, folds):
    """Rows chosen by boolean masks (sorted order) and a mean via sum / count."""
    out = np.zeros(len(folds))
    for i, (tr, va) in enumerate(folds):
        m = np.zeros(len(X), dtype=bool)
        m[tr] = True
        Xt = X[m]
        mean = Xt.sum(axis=0) / Xt.shape[0]
        out[i] = fit_and_score(Xt - mean, y[m], X[va] - mean, y[va])
    return out


def cross_validate_keepdims(fit_and_score, X, y, folds):
    results = []
    for fold in folds:
        train_idx, val_idx = fold
        X_tr = X[train_idx]
        X_tr = X_tr - np.mean(X_tr, axis=0, keepdims=True)
        X_va = X[val_idx] - np.mean(X[train_idx], axis=0, keepdims=True)
        results.append(fit_and_score(X_tr, y[train_idx], X_va, y[val_idx]))
    return np.asarray(results, dtype=float)


def cross_validate_reversed_loop(fit_and_score, X, y, folds):
    """Folds visited backwards, scores put back in order."""
    scores = np.empty(len(folds))
    for i in reversed(range(len(folds))):
        tr, va = folds[i]
        mu = np.average(X[tr], axis=0)
        scores[i] = fit_and_score(X[tr] - mu, y[tr], X[va] - mu, y[va])
    return scores


# ------------------------------------------------------- cross-validate: wrong

def cross_validate_global_mean(fit_and_score, X, y, folds):
    """The mean of ALL of X: the validation fold leaks into the preprocessing."""
    mu = X.mean(axis=0)
    scores = []
    for train_idx, val_idx in folds:
        scores.append(fit_and_score(X[train_idx] - mu, y[train_idx], X[val_idx] - mu,
                                    y[val_idx]))
    return np.array(scores)


def cross_validate_no_centring(fit_and_score, X, y, folds):
    return np.array([fit_and_score(X[t], y[t], X[v], y[v]) for t, v in folds])


def cross_validate_own_val_mean(fit_and_score, X, y, folds):
    """Each split centred with its own mean."""
    scores = []
    for t, v in folds:
        Xt, Xv = X[t], X[v]
        scores.append(fit_and_score(Xt - Xt.mean(axis=0), y[t], Xv - Xv.mean(axis=0), y[v]))
    return np.array(scores)


def cross_validate_trains_on_val(fit_and_score, X, y, folds):
    """Fits and scores on the validation fold."""
    scores = []
    for t, v in folds:
        mu = X[t].mean(axis=0)
        scores.append(fit_and_score(X[v] - mu, y[v], X[v] - mu, y[v]))
    return np.array(scores)


def cross_validate_trains_on_all(fit_and_score, X, y, folds):
    scores = []
    for t, v in folds:
        mu = X[t].mean(axis=0)
        scores.append(fit_and_score(X - mu, y, X[v] - mu, y[v]))
    return np.array(scores)


def cross_validate_complement(fit_and_score, X, y, folds):
    """Ignores train_idx: trains on every example outside the validation fold."""
    scores = []
    for _, v in folds:
        t = np.setdiff1d(np.arange(len(X)), v)
        mu = X[t].mean(axis=0)
        scores.append(fit_and_score(X[t] - mu, y[t], X[v] - mu, y[v]))
    return np.array(scores)


def cross_validate_in_place(fit_and_score, X, y, folds):
    """Centres X itself: every later fold sees data centred again."""
    scores = []
    for t, v in folds:
        X -= X[t].mean(axis=0)
        scores.append(fit_and_score(X[t], y[t], X[v], y[v]))
    return np.array(scores)


def cross_validate_mean_score(fit_and_score, X, y, folds):
    """Returns the mean of the scores instead of the scores."""
    scores = []
    for t, v in folds:
        mu = X[t].mean(axis=0)
        scores.append(fit_and_score(X[t] - mu, y[t], X[v] - mu, y[v]))
    return np.mean(scores)


def cross_validate_unaligned_labels(fit_and_score, X, y, folds):
    """Labels taken with the other fold's index."""
    scores = []
    for t, v in folds:
        mu = X[t].mean(axis=0)
        scores.append(fit_and_score(X[t] - mu, y[np.sort(t)], X[v] - mu, y[v]))
    return np.array(scores)


# ------------------------------------------------------------ bootstrap: right

def bootstrap_integers(N, rng):
    return rng.integers(0, N, size=N)


def bootstrap_choice(N, rng):
    return rng.choice(N, size=N, replace=True)


def bootstrap_floor(N, rng):
    return np.floor(rng.random(N) * N).astype(np.int64)


def bootstrap_choice_arange(N, rng):
    return rng.choice(np.arange(N), N)


# ------------------------------------------------------------ bootstrap: wrong

def bootstrap_permutation(N, rng):
    """Without replacement: a permutation."""
    return rng.permutation(N)


def bootstrap_no_replace(N, rng):
    return rng.choice(N, size=N, replace=False)


def bootstrap_np_random(N, rng):
    return np.random.randint(0, N, size=N)


def bootstrap_off_by_one(N, rng):
    """The last index is never drawn (the upper bound taken as inclusive)."""
    return rng.integers(0, max(N - 1, 1), size=N)


def bootstrap_one_based(N, rng):
    return rng.integers(1, N + 1, size=N)


def bootstrap_floats(N, rng):
    return rng.random(N) * N


def bootstrap_own_generator(N, rng):
    return np.random.default_rng(0).integers(0, N, size=N)


# -------------------------------------------------------- bias-variance: right

def bias_variance_axis(predictions, f_true):
    mean_pred = predictions.mean(axis=0)
    bias2 = np.mean((mean_pred - f_true) ** 2)
    variance = np.mean(predictions.var(axis=0))
    return float(bias2), float(variance)


def bias_variance_centred(predictions, f_true):
    B = predictions.shape[0]
    mean_pred = np.sum(predictions, axis=0) / B
    dev = predictions - mean_pred
    return np.mean(np.square(mean_pred - f_true)), np.sum(dev * dev) / dev.size


def bias_variance_loops(predictions, f_true):
    B, M = predictions.shape
    bias2, variance = 0.0, 0.0
    for m in range(M):
        col = predictions[:, m]
        mean = sum(col) / B
        bias2 += (mean - f_true[m]) ** 2
        variance += sum((col - mean) ** 2) / B
    return bias2 / M, variance / M


def bias_variance_second_moment(predictions, f_true):
    """Variance as E[p^2] - E[p]^2 (fine for these magnitudes)."""
    m1 = np.mean(predictions, axis=0)
    m2 = np.mean(predictions ** 2, axis=0)
    return np.mean((m1 - f_true) ** 2), np.mean(m2 - m1 ** 2)


# -------------------------------------------------------- bias-variance: wrong

def bias_variance_not_squared(predictions, f_true):
    return (np.mean(predictions.mean(axis=0) - f_true),
            np.mean(predictions.var(axis=0)))


def bias_variance_swapped_order(predictions, f_true):
    """The square of the mean difference."""
    return (np.mean(predictions.mean(axis=0) - f_true) ** 2,
            np.mean(predictions.var(axis=0)))


def bias_variance_mse_as_bias(predictions, f_true):
    return (np.mean((predictions - f_true) ** 2), np.mean(predictions.var(axis=0)))


def bias_variance_ddof1(predictions, f_true):
    return (np.mean((predictions.mean(axis=0) - f_true) ** 2),
            np.mean(predictions.var(axis=0, ddof=1)))


def bias_variance_over_points(predictions, f_true):
    """The variance over the points of each refit."""
    return (np.mean((predictions.mean(axis=0) - f_true) ** 2),
            np.mean(predictions.var(axis=1)))


def bias_variance_pooled(predictions, f_true):
    return (np.mean((predictions.mean(axis=0) - f_true) ** 2), np.var(predictions))


def bias_variance_std(predictions, f_true):
    """The standard deviation instead of the variance."""
    return (np.mean((predictions.mean(axis=0) - f_true) ** 2),
            np.mean(predictions.std(axis=0)))


def bias_variance_swapped_outputs(predictions, f_true):
    return (np.mean(predictions.var(axis=0)),
            np.mean((predictions.mean(axis=0) - f_true) ** 2))


def bias_variance_in_place(predictions, f_true):
    predictions -= f_true
    return (np.mean(predictions.mean(axis=0) ** 2), np.mean(predictions.var(axis=0)))


CORRECT = {
    "kfold_indices": [kfold_deal, kfold_array_split, kfold_slices, kfold_fold_ids],
    "cross_validate": [cross_validate_loop, cross_validate_masks, cross_validate_keepdims,
                       cross_validate_reversed_loop],
    "bootstrap_indices": [bootstrap_integers, bootstrap_choice, bootstrap_floor,
                          bootstrap_choice_arange],
    "bias_variance": [bias_variance_axis, bias_variance_centred, bias_variance_loops,
                      bias_variance_second_moment],
}

WRONG = {
    "kfold_indices": [kfold_drops_remainder, kfold_overlapping, kfold_no_shuffle,
                      kfold_np_random, kfold_own_generator, kfold_ignores_y,
                      kfold_stratified_first_folds, kfold_train_has_val,
                      kfold_train_off_by_one, kfold_no_value_error, kfold_masks],
    "cross_validate": [cross_validate_global_mean, cross_validate_no_centring,
                       cross_validate_own_val_mean, cross_validate_trains_on_val,
                       cross_validate_trains_on_all, cross_validate_complement,
                       cross_validate_in_place, cross_validate_mean_score,
                       cross_validate_unaligned_labels],
    "bootstrap_indices": [bootstrap_permutation, bootstrap_no_replace, bootstrap_np_random,
                          bootstrap_off_by_one, bootstrap_one_based, bootstrap_floats,
                          bootstrap_own_generator],
    "bias_variance": [bias_variance_not_squared, bias_variance_swapped_order,
                      bias_variance_mse_as_bias, bias_variance_ddof1,
                      bias_variance_over_points, bias_variance_pooled, bias_variance_std,
                      bias_variance_swapped_outputs, bias_variance_in_place],
}

BASE = {"kfold_indices": [kfold_deal], "cross_validate": [cross_validate_loop],
        "bootstrap_indices": [bootstrap_integers], "bias_variance": [bias_variance_axis]}

DIFFERENT = {"kfold_indices": [kfold_slices], "cross_validate": [cross_validate_masks],
             "bootstrap_indices": [bootstrap_choice], "bias_variance": [bias_variance_loops]}

SAMPLES = [
    Sample(
        "bug-cv-mean-of-all-x",
        fills={"cross_validate": [cross_validate_global_mean]},
        lose={"test_cross_validate"},
        note="cross_validate centres every fold with the mean of ALL of X, so the "
             "validation fold leaks into the preprocessing: the recording fit_and_score of "
             "its check sees X_train and X_val off by the difference of the means, and only "
             "its test cell loses."),
    Sample(
        "bug-kfold-drops-remainder",
        fills={"kfold_indices": [kfold_drops_remainder]},
        lose={"test_kfold_indices"},
        in_tests=False,
        note="kfold_indices gives every fold N // k examples, so N % k examples are never "
             "validated: its test cell loses; cross_validate, checked on the reference's "
             "folds, keeps its points."),
    Sample(
        "bug-bootstrap-permutation",
        fills={"bootstrap_indices": [bootstrap_permutation]},
        lose={"test_bootstrap_indices"},
        in_tests=False,
        note="bootstrap_indices draws without replacement (a permutation), which resamples "
             "nothing: its test cell loses on the cases where a right draw is a "
             "permutation with probability below 1e-10."),
    Sample(
        "bug-bias-variance-ddof1",
        fills={"bias_variance": [bias_variance_ddof1]},
        lose={"test_bias_variance"},
        in_tests=False,
        note="bias_variance divides the variance by B - 1: the decomposition is exact with "
             "1/B, so its test cell loses."),
]
