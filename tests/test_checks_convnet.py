"""Soundness of Assignment 6's convnet checks (``ThreeLayerConvNet``): every
wrong network loses, every right one passes, however it draws its weights
(the variants live in tests/variants/_a6_convnet.py)."""
import inspect
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _convnet as part
from cs231n.checks import convolution as checks
from cs231n.checks._core import quiet
from cs231n.notebook import load_answers
import part_suite
from variants import a6_convolution  # noqa: F401  (loads the parts by their paths)
from variants import _a6_convnet as V

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / checks.AID / part.NOTEBOOK

# The layers a network variant finds in the notebook: the solutions of
# pooling.ipynb and fast_conv.ipynb and the given a2 layers, as the stored
# reference was computed with them (the corpus's own layers agree to rounding).
LAYERS = ("conv_forward_im2col", "conv_backward_im2col", "max_pool_forward_naive",
          "max_pool_backward_naive", "affine_forward", "affine_backward", "relu_forward",
          "relu_backward", "softmax_loss")
if NOTEBOOK.exists():
    _SOLVED = load_answers(NOTEBOOK, uses=checks.ASSIGNMENT.uses.get(part.NOTEBOOK, ()),
                           given=checks.ASSIGNMENT.given_files)
    for _name in LAYERS:
        setattr(V, _name, _SOLVED[_name])

SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


K = "ThreeLayerConvNet"   # the part's one kind
HINTS = [
    (K, V.ConvNetBiasesReg, "the biases are regularised"),
    (K, V.ConvNetRegWithoutHalf, r"0\.5 \* reg \* sum"),
    (K, V.ConvNetNoRegGradient, r"no regularisation gradient \(reg \* W3\)"),
    (K, V.ConvNetFiltersNotReg, "W1 is not regularised"),
    (K, V.ConvNetPoolIgnoredInW2, r"params\['W2'\] has shape (?s:.*)pool of stride 2 "
                                  "halves them"),
    (K, V.ConvNetPadZero, r"raised ValueError.*\n.*\n.*\n.*keeps H and W"),
    (K, V.ConvNetPadOne, r"filter_size=5.*\n.*keeps H and W"),
    (K, V.ConvNetNoReluAfterConv, "the loss is wrong.*\n.*\n.*conv .* - relu - 2x2"),
    (K, V.ConvNetPoolBackwardSpread, "layers above .* are right.*max_pool_backward_naive"),
    (K, V.ConvNetConvReluBackwardSkipped, r"grads\['b1'\] is wrong"),
    (K, V.ConvNetSoftmaxScores, "returns the softmax probabilities"),
    (K, V.ConvNetDtypeIgnored, "has dtype float64 .* expected float32"),
    (K, V.ConvNetBiasesFloat64, r"params\['b1'\] has dtype float64"),
    (K, V.ConvNetNpRandom, "np.random's global state changed"),
    (K, V.ConvNetOwnGenerator, "not from a generator of your own"),
    (K, V.ConvNetRandomBiases, "the biases start at 0"),
    (K, V.ConvNetHeInit, "weight_scale \\* rng.standard_normal"),
    (K, V.ConvNetUpdatesParams, r"loss\(X, y\) changed params\['W1'\]"),
]

SIZES = dict(num_filters=2, filter_size=3, hidden_dim=3, num_classes=2)
BAD_ARGUMENTS = [
    (lambda: checks.check_three_layer_convnet(V.ConvNetRight, cases="secret"), "cases"),
    (lambda: checks.check_three_layer_convnet(V.ConvNetRight, cases=[]), "cases"),
    (lambda: checks.check_three_layer_convnet(np.zeros(3)), "ThreeLayerConvNet"),
    (lambda: checks.check_three_layer_convnet(None), "ThreeLayerConvNet"),
    (lambda: part.check_three_layer_convnet(V.ConvNetRight, reference=[1, 2]), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.NetCase("bad", 0, 2, (1, 5, 4), **SIZES), "H and W must be even"),
    (lambda: part.NetCase("bad", 0, 2, (1, 4, 4), **{**SIZES, "filter_size": 2}),
     "filter_size odd"),
    (lambda: part.NetCase("bad", 0, 2, (4, 4), **SIZES), r"input_dim must be a tuple"),
    (lambda: part.NetCase("bad", 0, 0, (1, 4, 4), **SIZES), "N must be an int >= 1"),
    (lambda: part.NetCase("bad", 0, 2, (1, 4, 4), **SIZES, reg=-1.0), "reg must be"),
    (lambda: part.BuildCase("bad", 0, (1, 4, 4), **SIZES, dtype="float16"), "dtype"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS, bad_arguments=BAD_ARGUMENTS))

globals().update(part_suite.tripwire(V, ["_convnet.py"], {
    "the size-preserving padding": r"\(filter_size-1\)//2|filter_size//2",
    "the pool's parameters": r"\{:2,:2,:2\}",
    "the convolution layer": r"conv_forward_im2col\(",
    "the max pool layer": r"max_pool_forward_naive\(",
    "the softmax loss": r"softmax_loss\(",
}, strings="drop"))


def test_the_part_names_no_assignment():
    """Is the part free of its assignment's id (only the join module names it)?"""
    assert checks.AID not in Path(part.__file__).read_text()


def test_a_failure_reports_index_and_values(ref):
    """Does a wrong gradient say which entry, with both values?"""
    with pytest.raises(CheckFailure, match=r"grads\['b1'\]\[\d+\]: yours -?\d.*expected -?\d"):
        with quiet():
            part.check_three_layer_convnet(V.ConvNetPoolBackwardSpread, reference=ref)


def test_checks_are_bound_in_the_assignment_module():
    """Is the part's check reachable from the assignment's module, with the
    stored reference, and listed in its contract?"""
    assert "check_three_layer_convnet" in checks.__all__
    assert part in checks.PARTS
    assert "ThreeLayerConvNet" in {g.name for g in checks.GRADED}
    with quiet():
        checks.check_three_layer_convnet(V.ConvNetRight)


def test_max_pool_ties_do_not_matter():
    """The pool's input comes out of a ReLU: a window with several maxima holds
    only zeros, so a pool backward that routes a tie elsewhere gives the same
    gradients (the module docstring's claim)."""
    def last_of_ties(dout, cache):
        x, pool_param = cache
        N, C = x.shape[:2]
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(N, C, 4)
                last = 3 - window[:, :, ::-1].argmax(axis=2)
                dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += (
                    np.eye(4)[last] * dout[:, :, i, j, None]).reshape(N, C, 2, 2)
        return dx
    case = part.CASES["ThreeLayerConvNet"]["visible"][0]
    inputs = part._inputs(case)
    out = []
    for backward in (V.max_pool_backward_naive, last_of_ties):
        ns = {**vars(V), "max_pool_backward_naive": backward}
        cls = type("Net", (V.ConvNetRight,), {})
        cls._backward = _rebound(V.ConvNetRight._backward, ns)
        net = part._new(cls, "Net", case)
        part._set_params(net, {k: inputs["in_" + k] for k in part.ORDER})
        out.append(net.loss(inputs["in_X"], inputs["in_y"]))
    for k in part.ORDER:
        np.testing.assert_allclose(out[0][1][k], out[1][1][k], rtol=1e-12, atol=0)


def _rebound(fn, ns):
    import types
    return types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__, fn.__closure__)


def test_the_init_band_is_far_from_a_right_network():
    """Do right weight arrays of MIN_W numbers stay well inside INIT_BAND, and
    He's scale (a factor of 3 or more on the cases) far outside it?"""
    rng = np.random.default_rng(3)
    stds = [np.std(rng.standard_normal(part.MIN_W)) for _ in range(500)]
    assert max(abs(s - 1) for s in stds) < part.INIT_BAND / 3


def test_a_broken_earlier_layer_is_named(ref):
    """Does a network built on a broken max_pool_backward_naive (pooling.ipynb) say so?"""
    def broken_max_pool_backward_naive(dout, cache):
        return 2 * V.max_pool_backward_naive(dout, cache)
    ns = {**vars(V), "max_pool_backward_naive": broken_max_pool_backward_naive}
    source = inspect.getsource(V.ConvNetRight)
    exec(compile(source, "convnet.ipynb[ThreeLayerConvNet]", "exec"), ns)
    with pytest.raises(CheckFailure, match="note: this network calls your "
                                           "max_pool_backward_naive, which fails its own"):
        part.check_three_layer_convnet(ns["ConvNetRight"], reference=ref)
