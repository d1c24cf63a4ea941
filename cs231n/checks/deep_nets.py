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
from ..contract import Assignment, Given
from . import (_core, _deep_net, _dropout, _normalization, _preprocessing, neural_net,
               optimization)

AID = "a4_deep_nets"
PARTS = (_preprocessing, _normalization, _dropout, _deep_net)
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
    given=(Given("a2_layers.py", neural_net.AID, {
        "backprop.ipynb": ("affine_forward", "affine_backward", "relu_forward",
                           "relu_backward", "tanh_forward", "tanh_backward",
                           "softmax_loss")}),
           Given("a3_rules.py", optimization.AID, {
               "optimizers.ipynb": ("sgd_momentum", "adam")})),
    uses={"deep_net.ipynb": ("batch_norm.ipynb", "dropout.ipynb")})
