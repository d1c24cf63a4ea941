"""Soundness of the checks of batch and layer normalisation (Assignment 4,
batch_norm.ipynb): every wrong variant loses, every right one passes (the
variants live in tests/variants/_a4_normalization.py)."""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _normalization as part
from cs231n.checks import deep_nets
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
from cs231n.grading import protocol
import code_text
from variants import a4_deep_nets
from variants import _a4_normalization as variants  # noqa: I100 (loaded by a4_deep_nets)

ROOT = Path(__file__).resolve().parents[1]
GRADED = {g.kind: g for g in part.GRADED}
V = variants
LAYERS = tuple(part.CASES)


def fns_of(kind, variant):
    """The ``fns`` dict of Graded.check: a backward variant is a (forward, backward) pair."""
    graded = GRADED[kind]
    if graded.uses:
        forward, backward = variant
        return {graded.name: backward, graded.uses[0]: forward}
    return {graded.name: variant}


def grade(kind, variant, reference=None):
    """Run the visible and the hidden checks, as a graded notebook does."""
    ref = stored_reference(deep_nets.AID) if reference is None else reference
    for label in ("visible", "hidden"):
        GRADED[kind].check(fns_of(kind, variant), cases=dict.fromkeys(LAYERS, label),
                           reference=ref)


def caught(kind, variant, **kwargs):
    try:
        with quiet():
            GRADED[kind].check(fns_of(kind, variant), **kwargs)
    except CheckFailure:
        return True
    return False


def _label(variant):
    return (variant[1] if isinstance(variant, tuple) else variant).__name__


def _params(table):
    return [pytest.param(kind, v, id=f"{kind}-{_label(v)}")
            for kind, vs in table.items() for v in vs]


def _solutions():
    """kind -> the first CORRECT variant, as make_reference wants them."""
    out = {}
    for kind, vs in variants.CORRECT.items():
        if GRADED[kind].uses:
            out[GRADED[kind].uses[0]], out[kind] = vs[0]
        else:
            out.setdefault(kind, vs[0])
    return out


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
    total = sum(len(vs) for vs in variants.WRONG.values())
    missed = [_label(v) for kind, vs in variants.WRONG.items() for v in vs
              if not caught(kind, v, cases=dict.fromkeys(LAYERS, "hidden"),
                            reference=stored_reference(deep_nets.AID))
              and not caught(kind, v, cases=dict.fromkeys(LAYERS, "visible"),
                             reference=stored_reference(deep_nets.AID))]
    with capsys.disabled():
        print(f"\nnormalization checks caught {total - len(missed)}/{total} wrong variants")
    assert missed == []


def test_every_graded_kind_has_right_and_wrong_variants():
    """Is every graded function exercised by the soundness suite, and do BASE
    and DIFFERENT fill every answer cell?"""
    assert set(variants.CORRECT) == set(GRADED) == set(variants.WRONG)
    assert set(variants.BASE) == set(variants.DIFFERENT) == {g.name for g in part.GRADED}
    assert set(variants.BASE) <= set(a4_deep_nets.BASE)
    assert all(len(vs) >= 3 for vs in variants.CORRECT.values())
    assert sum(s.in_tests for s in variants.SAMPLES) <= 1
    # A sample loses this part's cells, and those of the notebooks built on it.
    later = {g.test_cell for g in deep_nets.GRADED
             if part.NOTEBOOK in deep_nets.ASSIGNMENT.uses.get(g.notebook, ())}
    gids = {g.test_cell for g in part.GRADED} | later
    assert all(s.lose <= gids for s in variants.SAMPLES)


def test_the_corpus_caches_fit_together():
    """Does every forward of the corpus work with every right backward of its
    layer (the sample submissions combine cells freely)?"""
    ref = stored_reference(deep_nets.AID)
    with quiet():
        for kind in ("batchnorm_backward", "batchnorm_backward_alt"):
            for forward in variants.CORRECT["batchnorm_forward"]:
                for _, backward in variants.CORRECT[kind]:
                    grade(kind, (forward, backward), ref)
        for forward in variants.CORRECT["layernorm_forward"]:
            for _, backward in variants.CORRECT["layernorm_backward"]:
                grade("layernorm_backward", (forward, backward), ref)


@pytest.mark.parametrize("kind, variant, hint", [
    ("batchnorm_forward", V.bn_forward_test_no_affine, "still scale by gamma and shift"),
    ("batchnorm_forward", V.bn_forward_running_var_unbiased, r"unbiased variance \(divided "
                                                             r"by N - 1\)"),
    ("batchnorm_forward", V.bn_forward_running_not_updated, "unchanged by a train-mode call"),
    ("batchnorm_forward", V.bn_forward_running_not_stored, "store the updated running"),
    ("batchnorm_forward", V.bn_forward_momentum_swapped, "momentum is applied the wrong way"),
    ("batchnorm_forward", V.bn_forward_train_uses_running, "batch's own mean and variance, "
                                                           "not the running averages"),
    ("batchnorm_forward", V.bn_forward_test_uses_batch, "not the test batch's own"),
    ("batchnorm_forward", V.bn_forward_test_updates_running, "changed in a test-mode call"),
    ("batchnorm_forward", V.bn_forward_eps_outside_sqrt, "eps belongs inside the square root"),
    ("batchnorm_forward", V.bn_forward_ignores_eps, "use bn_param's eps"),
    ("batchnorm_forward", V.bn_forward_over_features, "per example is layer norm"),
    ("batchnorm_forward", V.bn_forward_unbiased_normalisation, "normalised with the unbiased"),
    ("batchnorm_forward", V.bn_forward_min_max, r"does not squash values into \[0, 1\]"),
    ("batchnorm_forward", V.bn_forward_in_place, "the values are right; the only problem: "
                                                 "the input x was modified in place"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_no_mean_path),
     "path through the mean is missing"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_no_var_path),
     "path through the variance is missing"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_no_mean_no_var),
     "add both paths"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_dgamma_not_summed),
     r"dgamma has shape \(8, 5\), expected \(5,\).*\n.*sums over the batch axis"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_dbeta_not_summed),
     "dbeta sums over the batch axis"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_dgamma_dbeta_mean),
     "divided by N"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_dgamma_from_x),
     "use the normalised x_hat"),
    ("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_dout_in_place),
     "the input dout was modified in place"),
    ("batchnorm_backward", (V.bn_forward_over_features, V.bn_backward_graph),
     "note: your bn_forward_over_features is wrong on this case too"),
    ("batchnorm_backward_alt", (V.bn_forward_two_pass, V.bn_backward_alt_no_xhat_term),
     "path through the variance is missing"),
    ("batchnorm_backward_alt", (V.bn_forward_two_pass, V.bn_backward_alt_no_sum_term),
     "path through the mean is missing"),
    ("batchnorm_backward_alt", (V.bn_forward_two_pass, V.bn_backward_alt_not_divided),
     "8 times too large"),
    ("batchnorm_backward_alt", (V.bn_forward_two_pass, V.bn_backward_alt_no_gamma),
     "gamma is missing from dx"),
    ("layernorm_forward", V.ln_forward_over_batch, "that is batch norm"),
    ("layernorm_forward", V.ln_forward_eps_outside_sqrt, "eps belongs inside"),
    ("layernorm_forward", V.ln_forward_ignores_eps, "use ln_param's eps"),
    ("layernorm_forward", V.ln_forward_no_affine, "gamma and beta are missing"),
    ("layernorm_forward", V.ln_forward_in_place, "the input x was modified in place"),
    ("layernorm_backward", (V.ln_forward_rows, V.ln_backward_no_mean_path),
     "mean over the example's features"),
    ("layernorm_backward", (V.ln_forward_rows, V.ln_backward_no_var_path),
     "variance over the example's features"),
    ("layernorm_backward", (V.ln_forward_rows, V.ln_backward_dgamma_over_features),
     "sum over the batch axis"),
    ("layernorm_backward", (V.ln_forward_rows, V.ln_backward_over_batch),
     "your dx is batch norm's backward"),
])
def test_failure_names_the_bug(kind, variant, hint):
    """Does the message name the common bug, so a student can fix it,
    without a RuntimeWarning reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailure, match=hint):
            grade(kind, variant)


def test_wrong_gradient_reports_index_and_numeric_value():
    """Does a wrong dx name its worst index, the expected value and the
    numeric gradient of the student's own forward there?"""
    with pytest.raises(CheckFailure) as info:
        grade("batchnorm_backward", (V.bn_forward_two_pass, V.bn_backward_no_var_path))
    msg = str(info.value)
    found = re.search(r"analytic \(yours\) \S+, expected (\S+)\n.*numeric gradient of your "
                      r"bn_forward_two_pass there \(d/d x\[\d+, \d+\]\): (\S+)", msg)
    assert found, msg
    assert np.isclose(float(found.group(1)), float(found.group(2)), rtol=1e-5)


def test_one_example_is_degenerate_as_documented():
    """N = 1 is degenerate for batch norm: does the solution's reference say
    out = beta, dx = 0, dbeta = dout and a decaying running variance there
    (the behaviour the module documents)?"""
    ref = stored_reference(deep_nets.AID)
    p = "batchnorm/single_example/"
    np.testing.assert_allclose(ref[p + "0/out"][0], ref[p + "in_beta"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ref[p + "0/batchnorm_backward/dx"], 0.0, atol=1e-12)
    np.testing.assert_allclose(ref[p + "0/batchnorm_backward/dbeta"], ref[p + "in_dout"][0, 0],
                               rtol=1e-12)
    # The running variance decays by momentum (the batch variance is 0).
    np.testing.assert_allclose(ref[p + "1/running_var"], 0.0, atol=1e-12)


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(*args):
        raise NotImplementedError()
    ref = stored_reference(deep_nets.AID)
    with pytest.raises(NotImplementedError):
        part.check_batchnorm_forward(stub, reference=ref)
    with pytest.raises(NotImplementedError):
        part.check_batchnorm_backward(V.bn_forward_two_pass, stub, reference=ref)
    with pytest.raises(NotImplementedError):
        deep_nets.check_layernorm_backward(stub, V.ln_backward_simplified)


def test_the_bound_checks_use_the_stored_reference(capsys):
    """Do deep_nets' bound checks (what the test cells call) run on the stored reference?"""
    deep_nets.check_batchnorm_forward(V.bn_forward_two_pass)
    deep_nets.check_batchnorm_backward_alt(V.bn_forward_one_pass, V.bn_backward_simplified,
                                           cases="hidden")
    deep_nets.check_layernorm_forward(V.ln_forward_rows)
    assert capsys.readouterr().out.count("checks passed") == 3


@pytest.mark.parametrize("call, argument, error", [
    (lambda r: part.check_batchnorm_forward(V.bn_forward_two_pass, reference=r,
                                            cases="secret"), "cases", ValueError),
    (lambda r: part.check_batchnorm_forward(V.bn_forward_two_pass, reference=r, cases=[]),
     "cases", ValueError),
    (lambda r: part.check_layernorm_forward(V.ln_forward_rows, reference=r, cases=None),
     "cases", ValueError),
    (lambda r: part.check_layernorm_forward(V.ln_forward_rows, reference=r,
                                            cases=[("basic", 1)]), "cases", ValueError),
    (lambda r: part.check_batchnorm_forward(None, reference=r), "batchnorm_forward",
     TypeError),
    (lambda r: part.check_batchnorm_backward(V.bn_forward_two_pass, "bn_backward",
                                             reference=r), "batchnorm_backward", TypeError),
    (lambda r: part.check_batchnorm_forward(V.bn_forward_two_pass, reference=[1, 2]),
     "reference", TypeError),
    (lambda r: part.check_batchnorm_forward(
        V.bn_forward_two_pass, reference=r, cases=[part.NormCase("new", 5, N=3, D=2)]),
     "reference has no values", ValueError),
    (lambda r: part.make_reference({}, ["not", "a", "dict"]), "cases", ValueError),
    (lambda r: part.NormCase("bad", 0, N=0, D=2), "N", ValueError),
    (lambda r: part.NormCase("bad", 0, N=2, D=2, train_calls=0), "train_calls", ValueError),
    (lambda r: part.NormCase("bad", 0, N=2, D=2, train_calls=0, test_call=True),
     "running=True", ValueError),
    (lambda r: part.NormCase("bad", 0, N=2, D=2, momentum=1.0), "momentum", ValueError),
    (lambda r: part.NormCase("bad", 0, N=2, D=2, eps=0.0), "eps", ValueError),
])
def test_bad_arguments_raise(call, argument, error):
    """Do misspelt options and bad arguments fail loudly, naming the argument?"""
    with pytest.raises(error, match=argument):
        call(stored_reference(deep_nets.AID))


def test_reference_is_a_required_keyword():
    """Does a part's check refuse to run without a reference (deep_nets binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_batchnorm_forward(V.bn_forward_two_pass)


def test_make_reference_on_random_cases(rng):
    """Can the grader make a reference for fresh cases, and do the checks
    then pass every right variant and fail every wrong one on them?"""
    cases = part.random_cases(rng)
    assert set(cases) == set(LAYERS)
    ref = part.make_reference(_solutions(), dict(cases, dropout=["someone else's"]))
    assert all(isinstance(v, (np.ndarray, np.generic)) for v in ref.values())
    with quiet():
        for kind, vs in variants.CORRECT.items():
            for v in vs:
                GRADED[kind].check(fns_of(kind, v), cases=cases, reference=ref)
    missed = [_label(v) for kind, vs in variants.WRONG.items() for v in vs
              if not caught(kind, v, cases=cases, reference=ref)]
    assert missed == []


def test_random_cases_catch_every_bug_whatever_the_draw():
    """Does every draw of random_cases catch every wrong variant?"""
    solutions = _solutions()
    for seed in range(5):
        cases = part.random_cases(np.random.default_rng(seed))
        ref = part.make_reference(solutions, cases)
        missed = [_label(v) for kind, vs in variants.WRONG.items() for v in vs
                  if not caught(kind, v, cases=cases, reference=ref)]
        assert missed == [], f"seed {seed}"


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs, and one seed the same?"""
    a = part.random_cases(np.random.default_rng(1))
    b = part.random_cases(np.random.default_rng(2))
    assert a != b
    assert part.random_cases(np.random.default_rng(1)) == a


def behind_proxy(fn):
    """The function as the grader sees it in another process: arguments and
    results go through the wire protocol, and the array and dict arguments
    come back as they are after the call."""
    def proxy(*args):
        sent = protocol.decode(*protocol.encode(list(args)))
        result = fn(*sent)
        back = protocol.decode(*protocol.encode({"result": result, "args": sent}))
        for a, r in zip(args, back["args"]):
            if isinstance(a, np.ndarray):
                np.copyto(a, r)
            elif isinstance(a, dict):
                a.clear()
                a.update(r)
        return back["result"]
    proxy.__name__ = fn.__name__
    return proxy


def test_checks_work_behind_the_graders_proxy():
    """Do right forwards (whose bn_param comes back through the wire) still
    pass, and wrong ones still fail, when they run in another process?"""
    visible = dict.fromkeys(LAYERS, "visible")
    ref = stored_reference(deep_nets.AID)
    with quiet():
        for forward in variants.CORRECT["batchnorm_forward"]:
            GRADED["batchnorm_forward"].check({"batchnorm_forward": behind_proxy(forward)},
                                              cases=visible, reference=ref)
    missed = [v.__name__ for v in variants.WRONG["batchnorm_forward"]
              if not caught("batchnorm_forward", behind_proxy(v), cases=visible,
                            reference=ref)]
    assert missed == []


def test_stored_reference_covers_every_case():
    """Was the stored reference made for the current cases (every call of
    every visible and hidden case present)?"""
    ref = stored_reference(deep_nets.AID)
    for layer, table in part.CASES.items():
        for case in table["visible"] + table["hidden"]:
            calls = case.calls if layer == "batchnorm" else 1
            for k in range(calls):
                out = ref[f"{layer}/{case.name}/{k}/out"]
                assert out.shape == (case.N, case.D)


# ------------------------------------------------- the package holds no answer

# Key parts of the right formulas, as they read in code without spaces,
# comments or strings.
RIGHT_PARTS = {
    "the variance plus eps under a square root": r"sqrt\([^()]*var\w*\+\w*eps",
    "x minus its mean": r"\bx\w*-\w*(\.mean\(|np\.mean\(|mu\b|mean\b)",
    "the running-average update": r"momentum\*\w*running\w*\+\(1-\w*momentum\)",
    "the paper formula's N * dout - sums": r"\b[ND]\*\w*(dout|g|dx_hat)\b-",
    "the sum of dout over the batch (dbeta)": r"\bdout\.sum\(axis=0\)|np\.sum\(dout,",
}


def code_of(path):
    return code_text.code_of(path, strings="S")


def test_right_parts_are_recognised():
    """Does every key part of the tripwire fire on the right variants (so that
    it is not vacuous)?"""
    code = code_of(Path(variants.__file__))
    assert {what: bool(re.search(pattern, code)) for what, pattern in
            RIGHT_PARTS.items()} == dict.fromkeys(RIGHT_PARTS, True)


def test_package_computes_no_normalisation():
    """Does the check module compute no right formula (no key part of one in
    its code), so that no student can import an answer from it?"""
    code = code_of(ROOT / "cs231n" / "checks" / "_normalization.py")
    found = {what: [line for line in code.splitlines() if re.search(pattern, line)]
             for what, pattern in RIGHT_PARTS.items()}
    assert {what: lines for what, lines in found.items() if lines} == {}


def shifted(ref, part_name, by):
    """The reference with one of the solution's outputs moved by a relative amount."""
    return {k: v * (1 + by) if k.endswith("/" + part_name) and "/in_" not in k else v
            for k, v in ref.items()}


@pytest.mark.parametrize("kind, key", [
    ("batchnorm_forward", "out"), ("batchnorm_forward", "running_mean"),
    ("batchnorm_forward", "running_var"), ("batchnorm_backward", "dx"),
    ("batchnorm_backward_alt", "dgamma"), ("layernorm_forward", "out"),
    ("layernorm_backward", "dbeta")])
def test_expected_values_come_from_the_reference(kind, key):
    """Does a right variant fail against a reference whose values are moved?"""
    ref = shifted(stored_reference(deep_nets.AID), key, 1e-4)
    with pytest.raises(CheckFailure, match="is wrong on"):
        grade(kind, variants.CORRECT[kind][0], ref)
