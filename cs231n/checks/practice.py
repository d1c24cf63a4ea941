"""Checks of Assignment 5 (``a5_practice``): the practice of training.

The assignment's checks live in private parts, one per notebook, each with
the same small interface as Assignment 4's (``NOTEBOOK``, ``SOLUTIONS``,
``GRADED``, ``make_reference(solutions, cases)``, ``random_cases(rng)`` and
check functions that take the reference as the keyword ``reference``):

- ``_search``: log-uniform sampling, random and grid search on one budget,
  coarse-to-fine narrowing (``search.ipynb``);
- ``_validation``: k-fold indices (stratified or not), cross-validated scores
  with the preprocessing fitted on each training fold, bootstrap samples and
  the bias-variance decomposition measured from refits
  (``cross_validation.ipynb``);
- ``_ensembles``: bagging on bootstrap samples and the ensemble's averaged
  probabilities (``ensembles.ipynb``);
- ``_regularization``: early stopping with the best weights, Adam with
  decoupled weight decay, flips, random crops and noise
  (``regularization.ipynb``);
- ``_mixing``: label smoothing, the cross-entropy with soft targets, mixup
  and cutmix (``mixing.ipynb``).

The networks the notebooks train come as given code: ``a4_net.py`` (a2's
layers, a4's batch norm, layer norm, dropout, initialisations and
``FullyConnectedNet``) and ``a3_rules.py`` (a3's ``sgd_momentum`` and
``adam``), generated from the earlier solutions.

This module binds every part's check functions to the stored reference
(``reference/a5_practice.npz``) and declares the assignment's contract.
"""
from ..contract import Assignment, Given
from . import (_core, _ensembles, _mixing, _regularization, _search, _validation, deep_nets,
               neural_net, optimization)

AID = "a5_practice"
PARTS = (_search, _validation, _ensembles, _regularization, _mixing)
_JOINED = _core.Parts(AID, PARTS)

# Every part's checks, bound to the stored reference: checks.check_xxx(fn).
globals().update(_JOINED.checks)
__all__ = ["GRADED", "SOLUTIONS", "make_reference", "random_cases", "ASSIGNMENT",
           *_JOINED.checks]
GRADED, SOLUTIONS = _JOINED.graded, _JOINED.solutions
make_reference, random_cases = _JOINED.make_reference, _JOINED.random_cases


ASSIGNMENT = Assignment(
    id=AID, notebooks=tuple(part.NOTEBOOK for part in PARTS), graded=tuple(GRADED),
    solutions=SOLUTIONS, make_reference=make_reference, random_cases=random_cases,
    helpers=_JOINED.helpers,
    given=(Given("a4_net.py", deep_nets.AID, {
        f"{neural_net.AID}/backprop.ipynb": ("affine_forward", "affine_backward",
                                             "relu_forward", "relu_backward",
                                             "softmax_loss"),
        "batch_norm.ipynb": ("batchnorm_forward", "batchnorm_backward_alt",
                             "layernorm_forward", "layernorm_backward"),
        "dropout.ipynb": ("dropout_forward", "dropout_backward"),
        "deep_net.ipynb": ("xavier_init", "he_init", "FullyConnectedNet")}),
           Given("a3_rules.py", optimization.AID, {
               "optimizers.ipynb": ("sgd_momentum", "adam")})))
