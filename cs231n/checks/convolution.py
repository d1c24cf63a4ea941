"""Checks of Assignment 6 (``a6_convolution``): convolution in one, two and
three dimensions, pooling, a fast convolution in numpy alone and a small
convnet.

The assignment's checks live in private parts, one per notebook, each with
the same small interface as Assignment 4's (``NOTEBOOK``, ``SOLUTIONS``,
``GRADED``, ``KINDS``, ``CHECKS``, ``make_reference(solutions, cases)``,
``random_cases(rng)`` and check functions that take the reference as the
keyword ``reference``):

- ``_conv_naive``: the output-size formula and the naive convolution
  forward and backward in 1-D, 2-D and 3-D (``conv_naive.ipynb``);
- ``_pooling``: max and average pooling forward and backward, and spatial
  batch normalisation on Assignment 4's batch norm (``pooling.ipynb``);
- ``_fast_conv``: the convolution as im2col and one matmul, and its
  backward with the col2im scatter (``fast_conv.ipynb``);
- ``_convnet``: ``ThreeLayerConvNet``, conv - relu - pool - affine - relu -
  affine - softmax (``convnet.ipynb``).

The layers and rules the notebooks build on come as given code, generated
from the earlier solutions: ``a2_layers.py`` (a2's affine, ReLU and softmax
loss), ``a4_layers.py`` (a4's batch norm) and ``a3_rules.py`` (a3's
``sgd_momentum`` and ``adam``).

This module binds every part's check functions to the stored reference
(``reference/a6_convolution.npz``) and declares the assignment's contract,
with grading limits of its own: the naive loops are slow.
"""
from ..contract import Assignment, Given, GradingLimits
from . import (_conv_naive, _convnet, _core, _fast_conv, _pooling, deep_nets, neural_net,
               optimization)

AID = "a6_convolution"
PARTS = (_conv_naive, _pooling, _fast_conv, _convnet)
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
                           "relu_backward", "softmax_loss")}),
           Given("a4_layers.py", deep_nets.AID, {
               "batch_norm.ipynb": ("batchnorm_forward", "batchnorm_backward_alt")}),
           Given("a3_rules.py", optimization.AID, {
               "optimizers.ipynb": ("sgd_momentum", "adam")})),
    # fast_conv.ipynb compares the naive loops with the fast ones; the convnet
    # is built from the student's pool and im2col convolution.
    uses={"fast_conv.ipynb": ("conv_naive.ipynb",),
          "convnet.ipynb": ("pooling.ipynb", "fast_conv.ipynb")},
    # Measured (2 cores, quiet): each solution notebook runs in at most 15 CPU s
    # (convnet.ipynb's training cell 5 s, 25 s beside four busy processes); the
    # demo graded a student in 32-49 s with 2 jobs, the endless loop in 98 s.
    # A student's naive loops may be several times slower than the solution's:
    # twice the default time per cell and per notebook, as much per worker.
    limits=GradingLimits(cell_timeout=60, kernel_cpu_seconds=180, worker_cpu_seconds=240,
                         student_budget=600))
