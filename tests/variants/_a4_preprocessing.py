"""Assignment 4's corpus, part preprocessing: see a4_deep_nets.py.

Kinds: "standardize", "pca", "pca_transform", "whiten"
(``cs231n.checks._preprocessing.GRADED``).  Every variant is a self-contained
top-level function that uses only ``np``; the wrong ones are named after
their bug.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ================================================================ standardize

def standardize_std_plus_eps(X_train, X_other, eps=1e-8):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_train - mean) / (std + eps), (X_other - mean) / (std + eps)


def standardize_sqrt_var_eps(X_train, X_other, eps=1e-8):
    """eps inside the square root, statistics written out."""
    N = X_train.shape[0]
    mu = np.sum(X_train, axis=0) / N
    var = np.sum((X_train - mu) ** 2, axis=0) / N
    scale = np.sqrt(var + eps)
    return (X_train - mu) / scale, (X_other - mu) / scale


def standardize_guard(X_train, X_other, eps=1e-8):
    """A zero std replaced by 1, in place on copies."""
    mu = np.mean(X_train, axis=0, keepdims=True)
    sigma = np.std(X_train, axis=0, keepdims=True)
    sigma[sigma == 0] = 1.0
    train, other = X_train.copy(), X_other.copy()
    train -= mu
    train /= sigma
    other -= mu
    other /= sigma
    return train, other


def standardize_no_eps(X_train, X_other, eps=1e-8):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_other - mean) / std


def standardize_other_stats(X_train, X_other, eps=1e-8):
    mean, std = X_other.mean(axis=0), X_other.std(axis=0) + eps
    return (X_train - mean) / std, (X_other - mean) / std


def standardize_pooled_stats(X_train, X_other, eps=1e-8):
    X = np.vstack([X_train, X_other])
    mean, std = X.mean(axis=0), X.std(axis=0) + eps
    return (X_train - mean) / std, (X_other - mean) / std


def standardize_each_set_own_stats(X_train, X_other, eps=1e-8):
    def one(X):
        return (X - X.mean(axis=0)) / (X.std(axis=0) + eps)
    return one(X_train), one(X_other)


def standardize_axis_1(X_train, X_other, eps=1e-8):
    def one(X):
        return ((X - X.mean(axis=1, keepdims=True))
                / (X.std(axis=1, keepdims=True) + eps))
    return one(X_train), one(X_other)


def standardize_std_axis_1(X_train, X_other, eps=1e-8):
    mean = X_train.mean(axis=0)
    return ((X_train - mean) / (X_train.std(axis=1, keepdims=True) + eps),
            (X_other - mean) / (X_other.std(axis=1, keepdims=True) + eps))


def standardize_global(X_train, X_other, eps=1e-8):
    mean, std = X_train.mean(), X_train.std() + eps
    return (X_train - mean) / std, (X_other - mean) / std


def standardize_ddof_1(X_train, X_other, eps=1e-8):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1) + eps
    return (X_train - mean) / std, (X_other - mean) / std


def standardize_centre_only(X_train, X_other, eps=1e-8):
    mean = X_train.mean(axis=0)
    return X_train - mean, X_other - mean


def standardize_in_place(X_train, X_other, eps=1e-8):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + eps
    X_train -= mean
    X_train /= std
    X_other -= mean
    X_other /= std
    return X_train, X_other


# ======================================================================== pca

def pca_eigh(X, num_components):
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = Xc.T @ Xc / X.shape[0]
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order].T, values[order]


def pca_svd(X, num_components):
    mean = np.mean(X, axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:num_components], s[:num_components] ** 2 / len(X)


def pca_cov_bias_flipped(X, num_components):
    """np.cov with bias=True, eigenvectors with flipped signs."""
    mean = X.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False, bias=True))
    values, vectors = values[::-1], vectors[:, ::-1]
    return mean, -vectors[:, :num_components].T, values[:num_components]


def pca_ascending(X, num_components):
    mean = X.mean(axis=0)
    Xc = X - mean
    values, vectors = np.linalg.eigh(Xc.T @ Xc / len(X))
    return mean, vectors[:, :num_components].T, values[:num_components]


def pca_columns(X, num_components):
    mean = X.mean(axis=0)
    Xc = X - mean
    values, vectors = np.linalg.eigh(Xc.T @ Xc / len(X))
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order], values[order]


def pca_not_centred(X, num_components):
    mean = X.mean(axis=0)
    values, vectors = np.linalg.eigh(X.T @ X / len(X))
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order].T, values[order]


def pca_gram_matrix(X, num_components):
    """The covariance over the wrong axis: an (N, N) matrix."""
    mean = X.mean(axis=0)
    Xc = X - mean
    values, vectors = np.linalg.eigh(Xc @ Xc.T / len(X))
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order].T, values[order]


def pca_cov_n_minus_1(X, num_components):
    mean = X.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False))
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order].T, values[order]


def pca_singular_values(X, num_components):
    mean = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:num_components], s[:num_components]


def pca_not_normalised(X, num_components):
    """Directions scaled by their standard deviation."""
    mean = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    var = s[:num_components] ** 2 / len(X)
    return mean, Vt[:num_components] * np.sqrt(var)[:, None], var


def pca_in_place(X, num_components):
    mean = X.mean(axis=0)
    X -= mean
    values, vectors = np.linalg.eigh(X.T @ X / len(X))
    order = np.argsort(values)[::-1][:num_components]
    return mean, vectors[:, order].T, values[order]


# ============================================================== pca_transform

def pca_transform_matmul(X, mean, components):
    return (X - mean) @ components.T


def pca_transform_dot(X, mean, components):
    return np.dot(components, (X - mean[None, :]).T).T


def pca_transform_not_centred(X, mean, components):
    return X @ components.T


def pca_transform_mean_added(X, mean, components):
    return (X + mean) @ components.T


def pca_transform_in_place(X, mean, components):
    X -= mean
    return X @ components.T


# ===================================================================== whiten

def whiten_divide(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / np.sqrt(variances + eps)


def whiten_scaled_components(X, mean, components, variances, eps=1e-5):
    """Scales the components first, then one product."""
    W = components.T / (variances + eps) ** 0.5
    return np.dot(X - mean, W)


def whiten_by_variance(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / (variances + eps)


def whiten_no_eps(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / np.sqrt(variances)


def whiten_eps_outside(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / (np.sqrt(variances) + eps)


def whiten_default_eps(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / np.sqrt(variances + 1e-5)


def whiten_not_centred(X, mean, components, variances, eps=1e-5):
    return X @ components.T / np.sqrt(variances + eps)


def whiten_in_place(X, mean, components, variances, eps=1e-5):
    variances += eps
    return (X - mean) @ components.T / np.sqrt(variances)


CORRECT = {
    "standardize": [standardize_std_plus_eps, standardize_sqrt_var_eps, standardize_guard],
    "pca": [pca_eigh, pca_svd, pca_cov_bias_flipped],
    "pca_transform": [pca_transform_matmul, pca_transform_dot],
    "whiten": [whiten_divide, whiten_scaled_components],
}
WRONG = {
    "standardize": [standardize_no_eps, standardize_other_stats, standardize_pooled_stats,
                    standardize_each_set_own_stats, standardize_axis_1, standardize_std_axis_1,
                    standardize_global, standardize_ddof_1, standardize_centre_only,
                    standardize_in_place],
    "pca": [pca_ascending, pca_columns, pca_not_centred, pca_gram_matrix, pca_cov_n_minus_1,
            pca_singular_values, pca_not_normalised, pca_in_place],
    "pca_transform": [pca_transform_not_centred, pca_transform_mean_added,
                      pca_transform_in_place],
    "whiten": [whiten_by_variance, whiten_no_eps, whiten_eps_outside, whiten_default_eps,
               whiten_not_centred, whiten_in_place],
}
BASE = {"standardize": [standardize_std_plus_eps], "pca": [pca_eigh],
        "pca_transform": [pca_transform_matmul], "whiten": [whiten_divide]}
DIFFERENT = {"standardize": [standardize_guard], "pca": [pca_svd],
             "pca_transform": [pca_transform_dot], "whiten": [whiten_scaled_components]}

SAMPLES = [
    Sample(
        "bug-standardize-leaks-other-set",
        fills={"standardize": [standardize_pooled_stats]},
        lose={"test_standardize"},
        in_tests=False,  # make test grades one bug of a layer part and one of the net
        note="standardize takes its mean and std from the training and the other set "
             "together (leakage): the other set of the test cases comes from another "
             "distribution, so only its test cell loses."),
    Sample(
        "bug-pca-eigh-ascending",
        fills={"pca": [pca_ascending]},
        lose={"test_pca"},
        in_tests=False,
        note="pca keeps np.linalg.eigh's ascending order, so it returns the directions of "
             "the smallest variances: only its test cell loses (the later cells of the "
             "notebook show nonsense, but they are not graded)."),
    Sample(
        "bug-whiten-divides-by-variance",
        fills={"whiten": [whiten_by_variance]},
        lose={"test_whiten"},
        in_tests=False,
        note="whiten divides by the variance instead of its square root: only its test "
             "cell loses."),
]
