"""Checks of Assignment 4 (``a4_deep_nets``): deep networks and the training
practice around them.

The assignment's checks live in private parts, one per notebook, each with
the same small interface (``NOTEBOOK``, ``SOLUTIONS``, ``GRADED``,
``make_reference(solutions, cases)``, ``random_cases(rng)`` and check
functions that take the reference as the keyword ``reference``):

- ``_preprocessing``: centring, per-feature normalisation, PCA and whitening
  (``preprocessing.ipynb``);
- ``_normalization``: batch and layer normalisation (``batch_norm.ipynb``);
- ``_dropout``: inverted dropout (``dropout.ipynb``);
- ``_deep_net``: weight initialisation and ``FullyConnectedNet``, a network of
  any depth built from a2's layers (given as ``a2_layers.py``; a3's update
  rules come as ``a3_rules.py``) and the
  student's own batch norm, layer norm and dropout (``deep_net.ipynb``).

This module is the assignment's check module: it binds every part's check
functions to the stored reference (``reference/a4_deep_nets.npz``), so that a
test cell calls ``checks.check_batchnorm_forward(batchnorm_forward)``, and
declares the assignment's contract.
"""
import functools

from ..contract import Assignment, Given
from . import _deep_net, _dropout, _normalization, _preprocessing, neural_net, optimization
from ._core import reference as stored_reference

AID = "a4_deep_nets"
PARTS = (_preprocessing, _normalization, _dropout, _deep_net)


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
    given=(Given("a2_layers.py", neural_net.AID, {
        "backprop.ipynb": ("affine_forward", "affine_backward", "relu_forward",
                           "relu_backward", "tanh_forward", "tanh_backward",
                           "softmax_loss")}),
           Given("a3_rules.py", optimization.AID, {
               "optimizers.ipynb": ("sgd_momentum", "adam")})),
    uses={"deep_net.ipynb": ("batch_norm.ipynb", "dropout.ipynb")})
