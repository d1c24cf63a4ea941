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
  (``cross_validation.ipynb``).

The networks the notebooks train come as given code: ``a4_net.py`` (a2's
layers, a4's batch norm, layer norm, dropout, initialisations and
``FullyConnectedNet``) and ``a3_rules.py`` (a3's ``sgd_momentum`` and
``adam``), generated from the earlier solutions.

This module binds every part's check functions to the stored reference
(``reference/a5_practice.npz``) and declares the assignment's contract.
"""
import functools

from ..contract import Assignment, Given
from . import _search, _validation, deep_nets, neural_net, optimization
from ._core import reference as stored_reference

AID = "a5_practice"
PARTS = (_search, _validation)


def _bound(check):
    """``check`` with the stored reference as its default ``reference``."""
    @functools.wraps(check)
    def bound(*args, reference=None, **kwargs):
        if reference is None:
            reference = stored_reference(AID)
        return check(*args, reference=reference, **kwargs)
    return bound


__all__ = ["GRADED", "SOLUTIONS", "make_reference", "random_cases", "ASSIGNMENT"]
for _part in PARTS:
    for _name in _part.__all__:
        globals()[_name] = _bound(getattr(_part, _name))
        __all__.append(_name)

GRADED = [g for part in PARTS for g in part.GRADED]
SOLUTIONS = {kind: where for part in PARTS for kind, where in part.SOLUTIONS.items()}


def make_reference(solutions, cases=None):
    """Every part's reference, on its fixed cases or on ``cases`` (``random_cases``)."""
    out = {}
    for part in PARTS:
        out.update(part.make_reference(solutions, cases))
    return out


def random_cases(rng):
    """Fresh cases of every part, drawn from ``rng``: kind -> list of cases."""
    cases = {}
    for part in PARTS:
        cases.update(part.random_cases(rng))
    return cases


ASSIGNMENT = Assignment(
    id=AID, notebooks=tuple(part.NOTEBOOK for part in PARTS), graded=tuple(GRADED),
    solutions=SOLUTIONS, make_reference=make_reference, random_cases=random_cases,
    helpers={name: cls for part in PARTS for name, cls in getattr(part, "HELPERS", {}).items()},
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
