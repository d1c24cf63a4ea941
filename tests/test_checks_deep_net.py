"""Soundness of Assignment 4's deep-net checks: every wrong initialisation and
network loses, every right one passes, whatever it draws (the variants live in
tests/variants/_a4_deep_net.py)."""
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _deep_net as part
from cs231n.checks import deep_nets as checks
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
from cs231n.notebook import load_answers
import code_text
from variants import _a4_deep_net as V

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / checks.AID
GRADED = {g.kind: g for g in part.GRADED}

# The namespace a network variant finds in the notebook: the given layers of
# Assignment 2, the solutions of batch_norm.ipynb and dropout.ipynb, and init helpers.
_CONTRACT = checks.ASSIGNMENT
_SOLVED = load_answers(SOLUTIONS / "deep_net.ipynb", uses=_CONTRACT.uses["deep_net.ipynb"],
                       given=_CONTRACT.given_files)
NAMESPACE = {n: f for n, f in _SOLVED.items()
             if n.endswith(("_forward", "_backward", "_backward_alt", "_loss"))}
NAMESPACE.update(xavier_init=V.xavier_standard_normal, he_init=V.he_standard_normal)
for _n, _f in NAMESPACE.items():
    setattr(V, _n, _f)


def ref():
    return stored_reference(checks.AID)


def grade(kind, variant, labels=("visible", "hidden"), reference=None):
    graded = GRADED[kind]
    for label in labels:
        graded.check({graded.name: variant}, cases={kind: label},
                     reference=ref() if reference is None else reference)


def failure(kind, variant, **kwargs):
    try:
        with quiet():
            grade(kind, variant, **kwargs)
    except CheckFailure as e:
        return str(e)
    return None


def _params(table):
    return [pytest.param(kind, v, id=f"{kind}-{v.__name__}")
            for kind, vs in table.items() for v in vs]


@pytest.fixture(scope="module")
def unseen():
    """Fresh cases and their reference, as the grader draws them."""
    cases = part.random_cases(np.random.default_rng(2024))
    sol = {kind: _SOLVED[name] for kind, (_, name) in part.SOLUTIONS.items()}
    return cases, {**ref(), **part.make_reference(sol, cases)}


@pytest.mark.parametrize("kind, variant", _params(V.CORRECT))
def test_right_answers_pass_visible_hidden_and_unseen(kind, variant, unseen):
    """Does every right variant pass the visible, hidden and fresh cases?"""
    with quiet():
        grade(kind, variant)
        cases, reference = unseen
        GRADED[kind].check({GRADED[kind].name: variant}, cases=cases, reference=reference)


@pytest.mark.parametrize("kind, variant", _params(V.WRONG))
def test_wrong_answers_fail(kind, variant):
    """Does every wrong variant fail the visible or the hidden cases?"""
    assert failure(kind, variant) is not None, f"{variant.__name__} passed"


HINTS = {
    ("xavier_init", "xavier_fan_out"): "fan_out where it needs fan_in",
    ("xavier_init", "xavier_with_he_factor"): "he_init's",
    ("xavier_init", "xavier_glorot_average"): "Glorot's averaged form",
    ("xavier_init", "xavier_np_random"): "draw from the rng argument only",
    ("xavier_init", "xavier_uniform"): "rng.standard_normal draws mean 0",
    ("xavier_init", "xavier_float32"): "expected float64",
    ("he_init", "he_without_factor"): "xavier_init's",
    ("he_init", "he_own_generator"): "not from a generator of your own",
    ("fc_net", "FCLastRegTwice"): "regularised twice",
    ("fc_net", "FCLastNotReg"): "last layer's weights are not regularised",
    ("fc_net", "FCBiasesReg"): "the biases are regularised",
    ("fc_net", "FCGammaBetaReg"): "gamma and beta are regularised",
    ("fc_net", "FCRegWithoutHalf"): "0.5 * reg",
    ("fc_net", "FCNormAfterRelu"): "the norm comes before the ReLU",
    ("fc_net", "FCBackwardNormBeforeRelu"): "the ReLU's backward before the norm's",
    ("fc_net", "FCDropoutOnScores"): "dropout is applied to the scores",
    ("fc_net", "FCBatchnormTrainAtTest"): "bn_param['mode'] = 'test'",
    ("fc_net", "FCModeStuckAtTest"): "on every call",
    ("fc_net", "FCDtypeIgnored"): "cast every parameter to the dtype",
    ("fc_net", "FCGammaOnOutput"): "none for the output layer",
    ("fc_net", "FCXavierForHe"): "he_init(fan_in, fan_out, rng)",
    ("fc_net", "FCNoDropoutInTrain"): "does not depend on the dropout mask",
}


@pytest.mark.parametrize("kind, name", sorted(HINTS))
def test_failures_name_the_bug(kind, name):
    """Does the failure of a known bug carry the hint that names it?"""
    message = failure(kind, getattr(V, name))
    assert message is not None and HINTS[kind, name] in message, message


def test_dropout_before_relu_is_the_same_function():
    """Dropout and the ReLU commute (inverted dropout scales by a positive factor):
    the two orders give the same loss and gradients with the same generator."""
    X = np.random.default_rng(0).standard_normal((6, 5))
    y = np.arange(6) % 3
    out = []
    for cls in (V.FCRight, V.FCDropoutBeforeRelu):
        net = cls([7, 6], 5, 3, dropout_keep_ratio=0.5, normalization="batchnorm", reg=0.1,
                  weight_scale=0.5, rng=np.random.default_rng(1))
        out.append(net.loss(X, y))
    assert out[0][0] == out[1][0]
    for k in out[0][1]:
        np.testing.assert_allclose(out[0][1][k], out[1][1][k], rtol=1e-12, atol=0)


def test_a_broken_earlier_layer_is_named():
    """Does a network built on a broken batchnorm_forward say so?"""
    def broken_batchnorm_forward(x, gamma, beta, bn_param):
        out, cache = NAMESPACE["batchnorm_forward"](x, gamma, beta, bn_param)
        return out + 1.0, cache
    ns = {**vars(V), "batchnorm_forward": broken_batchnorm_forward}
    source = "\n".join(code_text_of(V.FCRight))
    exec(compile(source, "deep_net.ipynb[FullyConnectedNet]", "exec"), ns)
    with pytest.raises(CheckFailure, match="note: this network calls your batchnorm_forward"):
        checks.check_fully_connected_net(ns["FCRight"])


def code_text_of(cls):
    import inspect
    return [inspect.getsource(cls)]


def test_the_init_bound_is_what_the_docstring_says():
    """A right answer's second moment lies inside the bounds (chi-square, n >= MIN_N),
    and a variance twice or half as large lies outside them."""
    lo, hi = part._bounds(part.MIN_N)
    # A variance off by a factor 2 has its own estimate in [2 lo, 2 hi] (or [lo/2, hi/2])
    # as surely as a right one is in [lo, hi]: the intervals do not meet.
    assert 2 * lo > hi and hi / 2 < lo
    rng = np.random.default_rng(5)
    m2 = [np.mean(rng.standard_normal(part.MIN_N) ** 2) for _ in range(200)]
    assert lo < min(m2) and max(m2) < hi


@pytest.mark.parametrize("check, arg", [
    (checks.check_xavier_init, "xavier_init"), (checks.check_he_init, "he_init"),
    (checks.check_fully_connected_net, "FullyConnectedNet")])
def test_bad_arguments_get_clear_errors(check, arg):
    """Does a check say which argument is wrong?"""
    with pytest.raises(ValueError, match=arg):
        check(None)
    with pytest.raises(ValueError, match="cases"):
        check(V.xavier_standard_normal if arg != "FullyConnectedNet" else V.FCRight,
              cases="everything")
    with pytest.raises(ValueError, match="reference"):
        getattr(part, check.__name__)(V.FCRight, reference=[1, 2])


def test_the_checks_hold_no_answer():
    """Does the part compute none of the right formulas itself?"""
    code = code_text.code_of(Path(part.__file__), strings="drop", spaced=False)
    for formula in ("sqrt(1/fan_in)", "sqrt(2/fan_in)", "np.sqrt(2.0/fan_in)",
                    "standard_normal((fan_in,fan_out))*", "affine_forward(", "softmax_loss("):
        assert formula not in code, formula
    assert "a4_deep_nets" not in Path(part.__file__).read_text()


def test_one_sample_of_the_part_is_graded_by_the_tests():
    """At most one of this part's samples runs in ``make test`` (the rest in the demo)."""
    assert sum(s.in_tests for s in V.SAMPLES) <= 1
    assert {s.student for s in V.SAMPLES} >= {"bug-deep-net-biases-regularised",
                                               "bug-deep-net-last-layer-reg-twice",
                                               "bug-deep-net-norm-after-relu"}
