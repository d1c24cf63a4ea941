"""Part of Assignment 5's checks: cross-validation, the bootstrap and the
bias-variance decomposition (``cross_validation.ipynb``).

STUB written by the coordinator: the helper of this part replaces this
docstring with the checks' design (as ``_dropout.py`` does) and fills the
module.  The graded functions and their contract:

- ``kfold_indices(N, k, rng, y=None) -> list of (train_idx, val_idx)``: ``k``
  pairs of int arrays; the examples are shuffled by ``rng``; every example is
  in exactly one validation fold and in the training folds of the k - 1
  others; fold sizes differ by at most 1.  With labels ``y`` (N,), the
  folds are stratified: each class's count in the validation folds differs
  by at most 1 between folds.  ``k < 2`` or ``k > N`` raise a ValueError.
- ``cross_validate(fit_and_score, X, y, folds) -> ndarray (k,)``: for each
  fold, the training fold's mean example is subtracted from the training and
  the validation inputs (the preprocessing is fitted on the training fold
  only), then ``fit_and_score(X_train, y_train, X_val, y_val)`` gives the
  fold's score.
- ``bootstrap_indices(N, rng) -> int ndarray (N,)``: N indices drawn
  uniformly with replacement.
- ``bias_variance(predictions, f_true) -> (bias2, variance)``: predictions
  (B, M) of B refits at M points, and the true function's values (M,):
  the squared bias, the mean over points of (mean over refits - f_true)**2,
  and the variance, the mean over points of the variance over refits
  (dividing by B).
"""
NOTEBOOK = "cross_validation.ipynb"
SOLUTIONS = {}
GRADED = []
__all__ = []


def make_reference(solutions, cases=None):
    return {}


def random_cases(rng):
    return {}
