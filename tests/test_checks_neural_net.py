"""Soundness of Assignment 2's checks: every wrong variant loses, every right
one passes (the variants live in tests/variants/a2_neural_net.py)."""
import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _core, _training
from cs231n.checks import neural_net as checks
from cs231n.checks._core import quiet
from cs231n.notebook import nbgrader_meta, read_notebook
from variants import a2_neural_net as variants

ROOT = Path(__file__).resolve().parents[1]
GRADED = {g.kind: g for g in checks.GRADED}


def fns_of(kind, variant):
    """The ``fns`` dict of Graded.check: a backward variant is a (forward, backward) pair."""
    graded = GRADED[kind]
    if graded.uses:
        forward, backward = variant
        return {graded.name: backward, graded.uses[0]: forward}
    return {graded.name: variant}


def grade(kind, variant):
    """Run the visible and the hidden checks, as a graded notebook does."""
    graded = GRADED[kind]
    for label in ("visible", "hidden"):
        graded.check(fns_of(kind, variant), cases=dict.fromkeys(checks.CASES, label),
                     reference=None)


def _label(variant):
    return (variant[1] if isinstance(variant, tuple) else variant).__name__


def _params(table):
    return [pytest.param(kind, v, id=f"{kind}-{_label(v)}")
            for kind, vs in table.items() for v in vs]


@pytest.mark.parametrize("kind, variant", _params(variants.CORRECT))
def test_correct_variant_passes(kind, variant, capsys):
    """Does a correct implementation, however written, pass every check?"""
    grade(kind, variant)
    assert capsys.readouterr().out.count("checks passed") == 2


@pytest.mark.parametrize("kind, variant", _params(variants.WRONG))
def test_wrong_variant_fails(kind, variant):
    """Does every bug of the catalogue lose its points?"""
    with pytest.raises(CheckFailure):
        grade(kind, variant)


def test_share_of_wrong_variants_caught(capsys):
    """What share of the wrong variants do the checks catch? (all of them)"""
    caught = total = 0
    with quiet():
        for kind, vs in variants.WRONG.items():
            for v in vs:
                total += 1
                try:
                    grade(kind, v)
                except CheckFailure:
                    caught += 1
    with capsys.disabled():
        print(f"\na2_neural_net checks caught {caught}/{total} wrong variants")
    assert caught == total


def test_every_graded_kind_has_right_and_wrong_variants():
    """Is every graded function exercised by the soundness suite, and does
    BASE fill every answer cell?"""
    assert set(variants.CORRECT) == set(GRADED) == set(variants.WRONG)
    assert set(variants.BASE) == {g.name for g in checks.GRADED}


V = variants


@pytest.mark.parametrize("kind, variant, hint", [
    ("affine_forward", V.affine_forward_no_reshape, r"x\.reshape\(x\.shape\[0\], -1\)"),
    ("affine_backward", (V.affine_forward_reshape, V.affine_backward_dx_not_reshaped),
     r"dx\.reshape\(x\.shape\)"),
    ("affine_backward", (V.affine_forward_reshape, V.affine_backward_db_not_summed),
     "sums dout over the batch axis"),
    ("affine_backward", (V.affine_forward_reshape, V.affine_backward_db_mean),
     "sum over the rows"),
    ("affine_backward", (V.affine_forward_reshape, V.affine_backward_dw_transposed),
     "transpose"),
    ("affine_backward", (V.affine_forward_reshape, V.affine_backward_dx_missing_transpose),
     r"dout @ w\.T"),
    ("relu_forward", V.relu_forward_in_place, "x was modified in place"),
    ("relu_backward", (V.relu_forward_maximum, V.relu_backward_no_mask), "where x < 0"),
    ("relu_backward", (V.relu_forward_maximum, V.relu_backward_in_place),
     "dout was modified in place"),
    ("relu_backward", (V.relu_forward_maximum, V.relu_backward_alias),
     "dout was modified in place"),
    ("sigmoid_forward", V.sigmoid_forward_overflow, "exp overflows"),
    ("sigmoid_backward", (V.sigmoid_forward_caches_x, V.sigmoid_backward_uses_x),
     r"s \* \(1 - s\)"),
    ("tanh_backward", (V.tanh_forward_caches_x, V.tanh_backward_uses_x), r"not 1 - x\*\*2"),
    ("leaky_relu_forward", V.leaky_relu_forward_ignores_alpha, "default alpha"),
    ("leaky_relu_backward", (V.leaky_relu_forward_where, V.leaky_relu_backward_ignores_alpha),
     "default alpha"),
    ("elu_forward", V.elu_forward_mask_overflow, "inf \\* 0 is nan"),
    ("elu_backward", (V.elu_forward_expm1, V.elu_backward_uses_x), r"not x \+ alpha"),
    ("svm_loss", V.svm_loss_counts_correct_class, "includes the correct class"),
    ("svm_loss", V.svm_loss_dscores_not_divided, "not divided by N"),
    ("softmax_loss", V.softmax_loss_no_shift, "max-shift"),
    ("softmax_loss", V.softmax_loss_global_shift, "one maximum for all rows"),
    ("softmax_loss", V.softmax_loss_shift_in_place, "scores was modified in place"),
    ("two_layer_net", V.NetRegOnBiases, "biases are regularised"),
    ("two_layer_net", V.NetNoRegOnW2, "regularisation of W2"),
    ("two_layer_net", V.NetNoRegGradW1, r"reg \* W1 is missing"),
    ("two_layer_net", V.NetTransposedDW2, "transpose"),
    ("two_layer_net", V.NetDbNotSummed, "sums over the batch axis"),
    ("two_layer_net", V.NetDscoresNotDivided, "divide dscores by N"),
    ("two_layer_net", V.NetNoReluMask, "through the ReLU"),
    ("two_layer_net", V.NetNoShift, "max-shift"),
    ("two_layer_net", V.NetGlobalShift, "one maximum for all rows"),
    ("two_layer_net", V.NetIgnoresRng, "same rng seed"),
    ("two_layer_net", V.NetUpdatesInLoss, "Solver's job"),
])
def test_failure_names_the_bug(kind, variant, hint):
    """Does the message name the common bug, so a student can fix it,
    without a RuntimeWarning reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailure, match=hint):
            grade(kind, variant)


@pytest.mark.parametrize("kind, variant, label", [
    ("relu_forward", V.relu_forward_in_place, "x"),
    ("leaky_relu_forward", V.leaky_relu_forward_in_place, "x"),
    ("relu_backward", (V.relu_forward_maximum, V.relu_backward_alias), "dout"),
    ("relu_backward", (V.relu_forward_maximum, V.relu_backward_in_place), "dout"),
    ("svm_loss", V.svm_loss_modifies_scores, "scores"),
    ("softmax_loss", V.softmax_loss_shift_in_place, "scores"),
    ("two_layer_net", V.NetModifiesX, "X"),
])
def test_a_mutation_with_right_values_says_so_first(kind, variant, label):
    """Is a function whose values are right but which changes an input in
    place told first that the values are right and the mutation is the only
    problem, and how to avoid it?"""
    with pytest.raises(CheckFailure) as info:
        grade(kind, variant)
    first, *rest = str(info.value).splitlines()
    assert (f": the values are right; the only problem: the input {label} was modified in "
            f"place on test case '") in first
    assert len(rest) == 1 and f"{label}.copy()" in rest[0]


def test_a_mutation_with_wrong_values_is_one_more_cause():
    """When the values are wrong and an input changed too, does the message
    give the wrong value first and the mutation as one more cause?"""
    def svm_loss_summed_in_place(scores, y):
        loss, dscores = V.svm_loss_summed(scores, y)
        scores += 1.0
        return loss, dscores
    with pytest.raises(CheckFailure) as info:
        checks.check_scores_loss("svm", svm_loss_summed_in_place)
    msg = str(info.value)
    assert msg.startswith("svm_loss_summed_in_place: the loss is wrong on test case 'small'")
    assert "values are right" not in msg
    assert "\n  also: the input scores was modified in place on test case 'small'" in msg


def test_two_bugs_at_once_are_both_named():
    """Does a network with regularised biases and no factor 0.5 get both causes
    named for its loss, and each wrong gradient listed with its own?"""
    with pytest.raises(CheckFailure) as info:
        grade("two_layer_net", V.NetRegOnBiasesWithoutHalf)
    msg = str(info.value)
    assert "the loss is wrong" in msg
    assert "2 bugs give together: (1) the biases are regularised" in msg
    assert "(2) the course's regularisation is 0.5 * reg" in msg
    for k in ("W1", "W2"):
        assert f"also wrong: grads['{k}'] (hint: the gradient of 0.5 * reg * sum({k}**2) " \
               f"is reg * {k}, not 2 * reg * {k})" in msg
    for k in ("b1", "b2"):
        assert f"also wrong: grads['{k}'] (hint: the biases are not regularised: d{k} gets " \
               f"no 2 * reg * {k})" in msg


def test_a_gradient_with_two_bugs_names_both():
    """Is a gradient that two bugs made wrong together explained by both, in
    the line that lists it among the other wrong outputs?"""
    class NetNotAveragedNoRegW1(V.NetRight):
        def backward(self, X, h, dscores):
            grads = super().backward(X, h, X.shape[0] * dscores)
            grads["W1"] = grads["W1"] - self.reg * self.params["W1"]
            return grads
    (regularised,) = [c for c in checks.CASES["two_layer_net"]["visible"] if c.reg]
    with pytest.raises(CheckFailure) as info:
        checks.check_two_layer_net(NetNotAveragedNoRegW1, cases=[regularised])
    lines = str(info.value).splitlines()
    assert "grads['W2'] is wrong on test case 'regularised'" in lines[0]
    assert lines[-3:] == [
        "  hint: the gradient is not averaged over the examples: divide dscores by N",
        "  also wrong, for the same reason: grads['b2'], grads['b1']",
        "  also wrong: grads['W1'] (hint: your value is what 2 bugs give together: (1) the "
        "regularisation gradient reg * W1 is missing from dW1; (2) the gradient is not "
        "averaged over the examples: divide dscores by N)"]


@pytest.mark.parametrize("variant, cause", [
    (V.NetRegOnBiases, "the biases are regularised"),
    (V.NetRegWithoutHalf, "you have no factor 0.5"),
    (V.NetNoRegOnW2, "lacks the regularisation of W2"),
], ids=lambda x: getattr(x, "__name__", ""))
def test_one_bug_gets_one_cause(variant, cause):
    """Is a network with one bug given that one cause, not a combination that
    happens to give the same value?"""
    with pytest.raises(CheckFailure) as info:
        grade("two_layer_net", variant)
    hint = next(line for line in str(info.value).splitlines() if "hint:" in line)
    assert cause in hint and "together" not in hint


def test_other_wrong_outputs_are_listed_too():
    """Does a failure list the other wrong outputs of the same call, once
    per shared cause?"""
    with pytest.raises(CheckFailure) as info:
        grade("two_layer_net", V.NetDscoresNotDivided)
    msg = str(info.value)
    assert "grads['W2'] is wrong" in msg
    assert msg.endswith("also wrong, for the same reason: grads['b2'], grads['W1'], "
                        "grads['b1']")
    with pytest.raises(CheckFailure) as info:
        grade("svm_loss", V.svm_loss_summed)
    assert str(info.value).splitlines()[-1] == (
        "  also wrong: dscores (hint: dscores is not divided by N: the loss is a mean over "
        "the N examples, so each row's gradient gets a factor 1/N)")


@pytest.mark.parametrize("kind, variant", [
    ("softmax_loss", V.softmax_loss_vectorised), ("softmax_loss", V.softmax_loss_loops),
    ("softmax_loss", V.softmax_loss_log_eps),
    ("two_layer_net", V.NetLayers), ("two_layer_net", V.NetRight),
    ("two_layer_net", V.NetLogEps),
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_scores_far_apart_pass_the_usual_right_writings(kind, variant):
    """Do the cases whose rows lie ~1000 apart (which reject a global
    max-shift) pass log-softmax, -log(p[y]) and log(p + 1e-18)?"""
    graded = GRADED[kind]
    key = "softmax" if kind == "softmax_loss" else kind
    far = [c for label in ("visible", "hidden") for c in checks.CASES[key][label]
           if c.row_spread]
    assert len(far) == 2
    graded.check(fns_of(kind, variant), cases={key: far}, reference=None)


def test_wrong_gradient_reports_index_and_numeric_value():
    """Does a wrong backward report the index, the analytic, expected and
    numeric values of the student's own forward?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_backward("relu", V.relu_forward_maximum, V.relu_backward_no_mask)
    msg = str(info.value)
    assert "dx[" in msg and "analytic (yours)" in msg
    assert "numeric gradient of your relu_forward_maximum there: 0" in msg


def test_wrong_forward_is_named_in_a_backward_failure():
    """When the forward is wrong too, is the student told to fix it first?"""
    def relu_forward_mirrored(x):
        out = np.maximum(-x, 0)
        return out, out
    with pytest.raises(CheckFailure, match="relu_forward_mirrored is wrong on this case too"):
        checks.check_backward("relu", relu_forward_mirrored, V.relu_backward_where_out)


def test_either_one_sided_derivative_is_accepted_at_the_kink():
    """Are `x > 0` and `x >= 0` masks both right at x == 0 (hidden cases
    contain exact zeros)?"""
    for cases in ("visible", "hidden"):
        checks.check_backward("relu", V.relu_forward_maximum, V.relu_backward_geq, cases=cases)


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(x):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        checks.check_forward("relu", stub)
    with pytest.raises(NotImplementedError):
        checks.check_backward("relu", V.relu_forward_maximum, lambda dout, cache: stub(dout))


@pytest.mark.parametrize("call, argument", [
    (lambda: checks.check_forward("softplus", V.relu_forward_maximum), "kind"),
    (lambda: checks.check_backward("svm", V.relu_forward_maximum, V.relu_backward_mask),
     "kind"),
    (lambda: checks.check_scores_loss("hinge", V.svm_loss_vectorised), "kind"),
    (lambda: checks.check_forward("relu", V.relu_forward_maximum, cases="secret"), "cases"),
    (lambda: checks.check_forward("relu", V.relu_forward_maximum, cases=[]), "cases"),
    (lambda: checks.check_scores_loss("svm", V.svm_loss_vectorised,
                                      cases=checks.CASES["affine"]["visible"]), "cases"),
    (lambda: checks.check_two_layer_net(V.NetRight, cases=None), "cases"),
    (lambda: checks.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: checks.NetCase("bad", 0, N=2, D=2, H=2, C=2, reg=1.0), "reg"),
])
def test_bad_arguments_raise(call, argument):
    """Do misspelt options fail loudly, naming the argument?"""
    with pytest.raises(ValueError, match=argument):
        call()


def _solutions():
    """kind -> the first CORRECT variant, as make_reference wants them."""
    out = {}
    for kind, vs in variants.CORRECT.items():
        if GRADED[kind].uses:
            out[GRADED[kind].uses[0]], out[kind] = vs[0]
        else:
            out.setdefault(kind, vs[0])
    return out


def test_make_reference_on_random_cases(rng):
    """Can the grader make a reference for fresh cases, and do the checks
    then pass every right variant and fail every wrong one on them?"""
    cases = checks.random_cases(rng)
    assert set(cases) == set(checks.CASES)
    ref = checks.make_reference(_solutions(), cases)
    for key, case_list in cases.items():
        for case in case_list:
            assert any(k.startswith(f"{key}/{case.name}/in_") for k in ref), (key, case)
    assert all(isinstance(v, (np.ndarray, np.generic)) for v in ref.values())
    with quiet():
        for kind, vs in variants.CORRECT.items():
            for v in vs:
                GRADED[kind].check(fns_of(kind, v), cases=cases, reference=ref)
        for kind, vs in variants.WRONG.items():
            for v in vs:
                with pytest.raises(CheckFailure):
                    GRADED[kind].check(fns_of(kind, v), cases=cases, reference=ref)


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs?"""
    a = checks.random_cases(np.random.default_rng(1))
    b = checks.random_cases(np.random.default_rng(2))
    assert a != b
    assert checks.random_cases(np.random.default_rng(1)) == a


def test_check_at_least_is_reexported():
    """Is check_at_least available to the notebooks of this assignment?"""
    checks.check_at_least(0.95, 0.9, "validation accuracy")
    with pytest.raises(CheckFailure, match="below"):
        checks.check_at_least(0.85, 0.9, "validation accuracy")


# ------------------------------------------------- values the grader measures

(NET_TRAINING,) = checks.RECOMPUTED


def test_recomputed_entry_matches_the_solution_notebook():
    """Does the value the grader measures name the variable and the threshold
    of its test cell's check_at_least, and a graded class of its notebook?"""
    nb = read_notebook(ROOT / "solutions" / checks.AID / NET_TRAINING.notebook)
    cells = {nbgrader_meta(c).get("grade_id"): "".join(c["source"]) for c in nb["cells"]}
    call = ast.parse(cells[NET_TRAINING.test_cell]).body[0].value
    assert ast.unparse(call.func) == "checks.check_at_least"
    assert call.args[0].id == NET_TRAINING.name
    assert call.args[1].value == NET_TRAINING.minimum
    graded = {g.name: g for g in checks.GRADED}
    assert all(graded[u].notebook == NET_TRAINING.notebook for u in NET_TRAINING.uses)
    assert NET_TRAINING.watched("TwoLayerNet") == graded["TwoLayerNet"].watch


@pytest.mark.parametrize("net, reaches", [
    (variants.NetRight, True),
    (variants.NetLayers, True),
    (variants.NetRegOnBiases, True),        # the samples say these still train
    (variants.NetNoRegOnW2, True),
    (variants.NetRegOnBiasesWithoutHalf, True),
    (variants.NetNoShift, True),            # the digits never give large scores
    (variants.NetGlobalShift, True),
    (variants.NetTransposedDW2, False),     # the Solver cannot apply dW2
    (variants.NetDscoresNotDivided, False),  # diverges at both learning rates
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_net_training_follows_the_notebook(net, reaches):
    """Does the grader's run of the notebook's training reach 0.90 with a
    network that trains there, and stay below with one that cannot?"""
    try:
        with quiet():
            value = NET_TRAINING.check({"TwoLayerNet": net}, cases=None, reference=None)
        ok = True
    except _core.BelowThreshold as e:
        ok, value = False, e.value
    assert ok == reaches, value


def test_a_failed_training_says_why():
    """Does a network the Solver cannot train fail with the Solver's reason?"""
    with pytest.raises(_core.BelowThreshold, match=r"grads\['W2'\] of shape \(10, 100\)"):
        NET_TRAINING.check({"TwoLayerNet": variants.NetTransposedDW2}, cases=None,
                           reference=None)


def test_the_graders_solver_trains_as_the_notebooks():
    """Until it stops at the goal, does train_until take the very steps of a
    plain Solver with the same options (same minibatches, same losses)?"""
    from cs231n import Solver
    from cs231n.optim import sgd
    data = _training.digits(bias_trick=False)
    options = dict(update_rule=sgd, optim_config={"learning_rate": 1.0}, lr_decay=0.95,
                   batch_size=100, num_epochs=3, rng=np.random.default_rng(0))

    def net():
        return variants.NetRight(64, 100, 10, weight_scale=1e-2, reg=1e-3,
                                 rng=np.random.default_rng(0))
    plain = Solver(net(), data, verbose=False, progress=False, **options)
    plain.train()
    options["rng"] = np.random.default_rng(0)
    stopped, error = _training.train_until(net(), data, plain.val_acc_history[2], **options)
    assert error == "" and stopped.epoch == 2
    steps = len(stopped.loss_history)
    np.testing.assert_allclose(stopped.loss_history, plain.loss_history[:steps], rtol=1e-12,
                               err_msg="the grader's Solver took other steps")


# ------------------------------------------- a network built from the layers

def _net_of_parts(**layers):
    """NetFromParts with the layer functions ``layers`` (default: right ones)
    in its globals, as the notebook's first cell gives them."""
    ns = {**vars(variants), **layers}    # the corpus's right layers, but ``layers``
    import inspect
    exec(inspect.getsource(variants.NetFromParts), ns)
    return ns["NetFromParts"]


def test_a_network_of_right_layers_passes(capsys):
    checks.check_two_layer_net(_net_of_parts())
    checks.check_two_layer_net(_net_of_parts(), cases="hidden")
    assert "all" in capsys.readouterr().out


@pytest.mark.parametrize("layer, bug", [
    ("affine_backward", variants.affine_backward_db_not_summed),
    ("relu_backward", variants.relu_backward_no_mask),
    ("softmax_loss", variants.softmax_loss_global_shift),
])
def test_a_network_of_a_wrong_layer_names_the_layer(layer, bug, capsys):
    with pytest.raises(CheckFailure) as e:
        checks.check_two_layer_net(_net_of_parts(**{layer: bug}))
    assert f"this network calls your {layer}, which fails its own check" in str(e.value)
    # The layers' checks ran quietly: no success line of theirs is printed.
    assert "checks passed" not in capsys.readouterr().out


def test_a_wrong_network_of_right_layers_gets_no_layer_note():
    class Net(_net_of_parts()):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            loss, grads = out
            grads["W1"] = grads["W1"] * 2
            return loss, grads
    with pytest.raises(CheckFailure) as e:
        checks.check_two_layer_net(Net)
    assert "fails its own check" not in str(e.value)
