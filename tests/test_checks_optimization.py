"""Soundness of Assignment 3's checks: every wrong update rule loses, every right
one passes (the variants live in tests/variants/a3_optimization.py)."""
import ast
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _core, _training
from cs231n.checks import optimization as checks
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
from cs231n.grading import protocol
from cs231n.notebook import nbgrader_meta, read_notebook
import code_text
from variants import a3_optimization as variants

ROOT = Path(__file__).resolve().parents[1]
GRADED = {g.kind: g for g in checks.GRADED}
V = variants


def grade(kind, rule):
    """Run the visible and the hidden checks, as a graded notebook does."""
    for label in ("visible", "hidden"):
        GRADED[kind].check({GRADED[kind].name: rule}, cases=dict.fromkeys(checks.KINDS, label),
                           reference=None)


def caught(kind, rule, **kwargs):
    try:
        with quiet():
            GRADED[kind].check({GRADED[kind].name: rule}, **kwargs)
    except CheckFailure:
        return True
    return False


def _params(table):
    return [pytest.param(kind, v, id=v.__name__) for kind, vs in table.items() for v in vs]


@pytest.mark.parametrize("kind, rule", _params(variants.CORRECT))
def test_correct_variant_passes(kind, rule, capsys):
    """Does a correct rule, however written, pass every check?"""
    grade(kind, rule)
    assert capsys.readouterr().out.count("checks passed") == 2


@pytest.mark.parametrize("kind, rule", _params(variants.WRONG))
def test_wrong_variant_fails(kind, rule):
    """Does every bug of the catalogue lose its points?"""
    with pytest.raises(CheckFailure):
        grade(kind, rule)


def test_share_of_wrong_variants_caught(capsys):
    """What share of the wrong variants do the checks catch, and on which case
    set? (all of them, each already on the visible cases)"""
    total = sum(len(vs) for vs in variants.WRONG.values())
    both = {label: sum(caught(kind, v, cases=dict.fromkeys(checks.KINDS, label), reference=None)
                       for kind, vs in variants.WRONG.items() for v in vs)
            for label in ("visible", "hidden")}
    with capsys.disabled():
        print(f"\na3_optimization checks caught {both['visible']}/{total} wrong variants on the "
              f"visible cases, {both['hidden']}/{total} on the hidden ones")
    assert both["visible"] == total


def test_every_graded_kind_has_right_and_wrong_variants():
    """Is every graded rule exercised by the soundness suite, with at least two
    right ways of writing it, and does BASE fill every answer cell?"""
    assert set(variants.CORRECT) == set(GRADED) == set(variants.WRONG) == set(checks.KINDS)
    assert all(len(vs) >= 2 for vs in variants.CORRECT.values())
    assert set(variants.BASE) == {g.name for g in checks.GRADED}


@pytest.mark.parametrize("kind, rule, hint", [
    ("adam", V.adam_no_bias_correction, "bias correction is missing"),
    ("adam", V.adam_t_after_correction, "increment t before the bias correction"),
    ("adam", V.adam_t_never_updated, "t is never incremented"),
    ("adam", V.adam_t_starts_at_1, r"t starts at 1 when the config has no 't' "
                                   r"\(config.setdefault\('t', 1\)\?\), so your first step "
                                   r"uses t = 2"),
    ("adam", V.adam_t_starts_at_1_counted_after, r"t starts at 1 .*, so your first step is "
                                                 r"right .*, but the t you store is one ahead"),
    ("adam", V.adam_epsilon_inside_sqrt, "epsilon is inside the square root"),
    ("adam", V.adam_correction_on_v_only, "only v is bias-corrected"),
    ("adam", V.adam_stores_corrected_moments, "holds the bias-corrected m"),
    ("adam", V.adam_paper_efficient_form, "epsilon is not bias-corrected"),
    ("adam", V.adam_missing_default, r"config.setdefault\('epsilon', 1e-08\)"),
    ("adam", V.adam_mutates_w, "input w was modified in place"),
    ("rmsprop", V.rmsprop_epsilon_inside_sqrt, "epsilon is inside the square root"),
    ("rmsprop", V.rmsprop_decay_swapped, "decay_rate and 1 - decay_rate are swapped"),
    ("rmsprop", V.rmsprop_none_config, "config may be None"),
    ("rmsprop", V.rmsprop_wrong_default, "documented default 0.01"),
    ("rmsprop", V.rmsprop_mutates_w, "input w was modified in place"),
    ("adagrad", V.adagrad_epsilon_inside_sqrt, "epsilon is inside the square root"),
    ("adagrad", V.adagrad_cache_replaced, "AdaGrad accumulates"),
    ("adagrad", V.adagrad_mutates_dw, "input dw was modified in place"),
    ("adadelta", V.adadelta_epsilon_outside_sqrt, "epsilon is outside the square roots"),
    ("adadelta", V.adadelta_rho_swapped, "rho and 1 - rho are swapped"),
    ("adadelta", V.adadelta_delta_of_gradients, "squared steps"),
    ("adadelta", V.adadelta_mutates_w, "input w was modified in place"),
    ("sgd_momentum", V.sgd_momentum_wrong_sign, "velocity has the wrong sign"),
    ("sgd_momentum", V.sgd_momentum_uphill, "velocity has the wrong sign"),
    ("sgd_momentum", V.sgd_momentum_mutates_w, "input w was modified in place"),
    ("sgd_momentum", V.sgd_momentum_returns_step, "next_w equals the step"),
    ("sgd_momentum", V.sgd_momentum_ignores_config, "default hyperparameters"),
    ("sgd_momentum", V.sgd_momentum_wrong_default, "documented default 0.9"),
    ("sgd_momentum", V.sgd_momentum_velocity_not_stored, "has no 'velocity'"),
    ("nesterov_momentum", V.nesterov_momentum_plain, "look-ahead correction"),
    ("nesterov_momentum", V.nesterov_momentum_aliased_v_prev, r"v_prev = v\.copy\(\)"),
    ("nesterov_momentum", V.nesterov_momentum_stores_step, "holds the whole step"),
    ("nesterov_momentum", V.nesterov_momentum_mutates_w, "input w was modified in place"),
])
def test_failure_names_the_bug(kind, rule, hint):
    """Does the message name the common bug (on the visible cases already),
    without a RuntimeWarning reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailure, match=hint):
            checks.check_update_rule(kind, rule)


@pytest.mark.parametrize("kind, rule, part", [
    ("adam", V.adam_no_bias_correction, r"next_w is wrong on .*\n  your new m, v and t are "
                                        r"right \(the solution's\), so the step computed"),
    ("adam", V.adam_stores_corrected_moments, r"config\['m'\] is wrong on"),
    ("rmsprop", V.rmsprop_decay_swapped, r"config\['cache'\] is wrong on"),
    ("adadelta", V.adadelta_delta_of_gradients, r"config\['delta'\] is wrong on"),
    ("adadelta", V.adadelta_new_delta_in_step, r"next_w is wrong on .*\n  your new cache is "
                                               r"right"),
    ("nesterov_momentum", V.nesterov_momentum_plain, r"next_w is wrong on .*\n  your new "
                                                     r"velocity is right"),
])
def test_mid_run_cases_name_the_wrong_part(kind, rule, part):
    """On a hidden case that starts mid-run, does a mismatch name the call and
    the part that is wrong (a state entry, or the step computed from a right
    state), with the worst index, both values and the formula it expected?"""
    case = "long_mid_run"
    mid_run = [c for c in checks.CASES[kind]["hidden"] if c.name == case]
    with pytest.raises(CheckFailure, match=part) as info:
        checks.check_update_rule(kind, rule, cases=mid_run)
    msg = str(info.value)
    assert f"test case '{case}'" in msg and re.search(r"call \d of \d", msg)
    assert re.search(r"largest difference at \w+\[[\d, ]*\].*yours -?[\d.e-]+, expected", msg)
    assert "expected " in msg and " = " in msg and "hint: " in msg


@pytest.mark.parametrize("kind, rule, label", [
    ("sgd_momentum", V.sgd_momentum_mutates_w, "w"),
    ("nesterov_momentum", V.nesterov_momentum_mutates_w, "w"),
    ("adagrad", V.adagrad_mutates_dw, "dw"),
    ("rmsprop", V.rmsprop_mutates_w, "w"),
    ("adadelta", V.adadelta_mutates_w, "w"),
    ("adam", V.adam_mutates_w, "w"),
])
def test_right_values_changed_in_place_say_so_first(kind, rule, label):
    """Does a rule whose values are right but that changes an input in place
    hear first that its values are right and the change is the only problem,
    with the fix (a new array, not -=)?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_update_rule(kind, rule)
    msg = str(info.value)
    assert re.search(rf"the values are right; the only problem: the input {label} was "
                     rf"modified in place on test case 'defaults' .*call 1 of 3", msg), msg
    assert f"`{label} = {label} - ...` (a new array) instead of `{label} -= ...`" in msg
    assert "is wrong on" not in msg and "also:" not in msg


def test_wrong_values_changed_in_place_name_both():
    """Does a rule with a wrong value that also changes w in place get the
    value's message and hint first, and the change as one more cause?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_update_rule("rmsprop", V.rmsprop_mutates_w_decay_swapped)
    msg = str(info.value)
    assert "config['cache'] is wrong on" in msg and "values are right" not in msg
    assert re.search(r"decay_rate and 1 - decay_rate are swapped.*\n  also: the input w was "
                     r"modified in place on test case", msg, re.S), msg
    assert msg.index("is wrong on") < msg.index("also:")


def adam_t_counted_twice(w, dw, config=None):
    """t goes up by two per call (a second increment left in the code)."""
    next_w, config = V.adam_new_arrays(w, dw, config)
    config["t"] += 1
    return next_w, config


def test_a_count_that_goes_up_by_two_is_not_taken_for_a_start_at_1():
    """Is an Adam whose t goes up by two per call told that t counts the calls,
    not that t starts at 1 (both are 2 after the first call)?"""
    with pytest.raises(CheckFailure, match="t counts the calls") as info:
        checks.check_update_rule("adam", adam_t_counted_twice)
    assert "starts at 1" not in str(info.value)


def test_the_t_plus_1_counterfactual_is_a_count_from_1():
    """Is the stored counterfactual cf_t_plus_1 what an Adam whose t starts at
    1 computes on the first call of a case without t (its hint says so)?"""
    case = next(c for c in checks.CASES["adam"]["visible"] if c.name == "defaults")
    inputs = checks._inputs("adam", case)
    next_w, _ = V.adam_t_starts_at_1(inputs["in_w"].copy(), inputs["in_dw"][0].copy(),
                                     checks._first_config(inputs))
    stored = stored_reference(checks.AID)[f"adam/{case.name}/cf_t_plus_1/next_w"]
    np.testing.assert_allclose(next_w, stored[0], rtol=1e-12, atol=0)


def test_failure_names_the_call():
    """Does a bug that shows only on a later call name that call?"""
    with pytest.raises(CheckFailure, match=r"config\['cache'\] is wrong on test case "
                                           r"'defaults' .*call 2 of 3"):
        checks.check_update_rule("adagrad", V.adagrad_cache_replaced)


def test_wrong_step_reports_index_and_values():
    """Does a wrong next_w report the index, w there and both steps?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_update_rule("adam", V.adam_no_bias_correction)
    msg = str(info.value)
    assert "next_w[" in msg and "as a step from w there" in msg
    assert "yours" in msg and "expected" in msg and "call 1 of 3" in msg


def adam_float_t(w, dw, config=None):
    config = {} if config is None else config
    for key, value in checks.DEFAULTS["adam"].items():
        config.setdefault(key, value)
    m, v = config.get("m", np.zeros_like(w)), config.get("v", np.zeros_like(w))
    t = config.get("t", 0.0) + 1.0
    b1, b2 = config["beta1"], config["beta2"]
    m, v = b1 * m + (1 - b1) * dw, b2 * v + (1 - b2) * dw * dw
    config.update(m=m, v=v, t=t)
    step = config["learning_rate"] * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t))
                                                          + config["epsilon"])
    return w - step, config


def test_adam_step_count_must_be_an_int():
    """Is t checked to be an integer that goes up by one per call?"""
    with pytest.raises(CheckFailure, match=r"config\['t'\] should be an int"):
        checks.check_update_rule("adam", adam_float_t)


def test_swapped_return_values_are_named():
    """Is (config, next_w) recognised as the wrong order?"""
    def swapped(w, dw, config=None):
        next_w, config = V.sgd_momentum_new_arrays(w, dw, config)
        return config, next_w
    with pytest.raises(CheckFailure, match=r"the order is \(next_w, config\)"):
        checks.check_update_rule("sgd_momentum", swapped)


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(w, dw, config=None):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        checks.check_update_rule("adam", stub)


def behind_proxy(rule):
    """The rule as the grader sees it in another process: arguments and
    results go through the wire protocol (numpy scalars become Python
    numbers, every array is a copy), and the array arguments come back as
    they are after the call."""
    def proxy(*args):
        sent = protocol.decode(*protocol.encode(list(args)))
        result = rule(*sent)
        back = protocol.decode(*protocol.encode({"result": result, "args": sent}))
        for a, r in zip(args, back["args"]):
            if isinstance(a, np.ndarray):
                np.copyto(a, r)
        return back["result"]
    proxy.__name__ = rule.__name__
    return proxy


def test_checks_work_behind_the_graders_proxy():
    """Do right rules still pass and wrong ones (in-place changes of w
    included) still fail when the rule runs in another process?"""
    visible = dict.fromkeys(checks.KINDS, "visible")
    with quiet():
        for kind, vs in variants.CORRECT.items():
            for v in vs:
                GRADED[kind].check({kind: behind_proxy(v)}, cases=visible, reference=None)
    missed = [v.__name__ for kind, vs in variants.WRONG.items() for v in vs
              if not caught(kind, behind_proxy(v), cases=visible, reference=None)]
    assert missed == []


@pytest.mark.parametrize("call, argument", [
    (lambda: checks.check_update_rule("sgd", V.sgd_momentum_new_arrays), "kind"),
    (lambda: checks.check_update_rule("adam", V.adam_new_arrays, cases="secret"), "cases"),
    (lambda: checks.check_update_rule("adam", V.adam_new_arrays, cases=[]), "cases"),
    (lambda: checks.check_update_rule("adam", V.adam_new_arrays, cases=None), "cases"),
    (lambda: checks.check_update_rule("sgd_momentum", V.sgd_momentum_new_arrays,
                                      cases=checks.CASES["adam"]["visible"]), "cases"),
    (lambda: checks.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: checks.RuleCase("bad", 0, (3,), steps=0), "steps"),
    (lambda: checks.RuleCase("bad", 0, (3,), steps=6), "steps"),
    (lambda: checks.RuleCase("bad", 0, (3,), steps=2, given=("momentum",), config_none=True),
     "given"),
])
def test_bad_arguments_raise(call, argument):
    """Do misspelt options fail loudly, naming the argument?"""
    with pytest.raises(ValueError, match=argument):
        call()


def test_make_reference_refuses_an_undocumented_default():
    """Does a solution whose default differs from DEFAULTS stop the reference?"""
    with pytest.raises(ValueError, match="DEFAULTS"):
        checks.make_reference({"sgd_momentum": V.sgd_momentum_wrong_default})


def test_make_reference_on_random_cases(rng):
    """Can the grader make a reference for fresh cases, and do the checks
    then pass every right variant and fail every wrong one on them?"""
    cases = checks.random_cases(rng)
    assert set(cases) == set(checks.KINDS)
    ref = checks.make_reference({kind: vs[0] for kind, vs in variants.CORRECT.items()}, cases)
    for kind, case_list in cases.items():
        for case in case_list:
            assert ref[f"{kind}/{case.name}/next_w"].shape == (case.steps, *case.shape)
    assert all(isinstance(v, (np.ndarray, np.generic)) for v in ref.values())
    with quiet():
        for kind, vs in variants.CORRECT.items():
            for v in vs:
                GRADED[kind].check({kind: v}, cases=cases, reference=ref)
    missed = [v.__name__ for kind, vs in variants.WRONG.items() for v in vs
              if not caught(kind, v, cases=cases, reference=ref)]
    assert missed == []


def test_random_cases_catch_every_bug_whatever_the_draw():
    """Does every draw of random_cases catch every wrong variant?"""
    solutions = {kind: vs[0] for kind, vs in variants.CORRECT.items()}
    for seed in range(5):
        cases = checks.random_cases(np.random.default_rng(seed))
        ref = checks.make_reference(solutions, cases)
        missed = [v.__name__ for kind, vs in variants.WRONG.items() for v in vs
                  if not caught(kind, v, cases=cases, reference=ref)]
        assert missed == [], f"seed {seed}"


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs, and one seed the same?"""
    a = checks.random_cases(np.random.default_rng(1))
    b = checks.random_cases(np.random.default_rng(2))
    assert a != b
    assert checks.random_cases(np.random.default_rng(1)) == a


def test_stored_reference_covers_every_case():
    """Was the stored reference made for the current cases (every visible and
    hidden case present, with its number of calls)?"""
    ref = stored_reference(checks.AID)
    for kind, table in checks.CASES.items():
        for case in table["visible"] + table["hidden"]:
            assert ref[f"{kind}/{case.name}/next_w"].shape == (case.steps, *case.shape)


def test_check_at_least_is_reexported():
    """Is check_at_least available to the notebooks of this assignment?"""
    checks.check_at_least(0.95, 0.9, "validation accuracy")
    with pytest.raises(CheckFailure, match="below"):
        checks.check_at_least(0.85, 0.9, "validation accuracy")


# ------------------------------------------------- the package holds no answer

# Key parts of the right updates (DESIGN: cs231n/ never contains the answer to
# a graded question), as they read in code without spaces, comments or strings.
RIGHT_UPDATE_PARTS = {
    "learning_rate times dw (momentum's velocity, AdaGrad's and RMSProp's step)":
        r"(\blr|learning_rate)\]?\)?\*-?\(?dw\b|\bdw\*\w*(\blr|learning_rate)",
    "the squared gradient (every cache, Adam's v)":
        r"\bdw\*dw\b|\bdw\*\*2|square\(dw\)|power\(dw",
    "a moving average of dw (Adam's m)": r"\(1(\.0*)?-[^()]+\)\*dw\b",
    "a division by a root plus epsilon (AdaGrad, RMSProp, Adam)": r"/\((np\.)?sqrt\(",
    "AdaDelta's ratio of roots": r"sqrt\([^()]*\+[^()]*\)/(np\.)?sqrt\(",
    "Nesterov's look-ahead, momentum * (v - v_prev)": r"\b(mu|momentum)\]?\*\(",
    "momentum's step, w + v": r"\bw\+(\w*\[)?(v|velocity|v_new)\b",
    "Adam's t + 1": r"(\bt|\[t\])\+=?1\b",
}


def code_of(path):
    return code_text.code_of(path)


def test_right_update_parts_are_recognised():
    """Does every key part of the tripwire below fire on the right rules of
    the variants (so that it is not vacuous)?"""
    code = code_of(Path(variants.__file__))
    assert {what: bool(re.search(pattern, code)) for what, pattern in
            RIGHT_UPDATE_PARTS.items()} == dict.fromkeys(RIGHT_UPDATE_PARTS, True)


@pytest.mark.parametrize("module", ["optimization.py", "_core.py"])
def test_package_computes_no_update(module):
    """Does the check library compute no right update of any rule (no key part
    of one in its code), so that no student can import an answer from it?"""
    code = code_of(ROOT / "cs231n" / "checks" / module)
    found = {what: [line for line in code.splitlines() if re.search(pattern, line)]
             for what, pattern in RIGHT_UPDATE_PARTS.items()}
    assert {what: lines for what, lines in found.items() if lines} == {}


def shifted(ref, part, by):
    """The reference with one part of the solution's values (not the inputs,
    not the counterfactuals) moved by a relative amount."""
    return {k: v * (1 + by) if k.endswith("/" + part) and "/cf_" not in k else v
            for k, v in ref.items()}


@pytest.mark.parametrize("kind", checks.KINDS)
def test_expected_values_come_from_the_reference(kind):
    """Do the expected values come from the reference alone: does a right rule
    fail against a reference whose next_w (or state) is moved, and say that
    its state is right when only next_w moved?"""
    ref = stored_reference(checks.AID)
    rule = variants.CORRECT[kind][0]
    for label in ("visible", "hidden"):
        with pytest.raises(CheckFailure, match=r"next_w is wrong on .*\n  your new .* right "
                                               r"\(the solution's\), so the step computed"):
            checks.check_update_rule(kind, rule, cases=label, reference=shifted(
                ref, "next_w", 1e-3))
        for key in checks.STATE[kind]:
            with pytest.raises(CheckFailure, match=rf"config\['{key}'\] is wrong on"):
                checks.check_update_rule(kind, rule, cases=label,
                                         reference=shifted(ref, key, 1e-3))


@pytest.mark.parametrize("kind, change, bug, part", [
    ("sgd_momentum", "cf_negated_learning_rate/velocity", V.sgd_momentum_wrong_sign, "velocity"),
    ("sgd_momentum", "cf_default_hyperparameters/velocity", V.sgd_momentum_ignores_config,
     "velocity"),
    ("sgd_momentum", "cf_velocity_kept/next_w", V.sgd_momentum_old_velocity, "next_w"),
    ("nesterov_momentum", "cf_sgd_momentum_rule/next_w", V.nesterov_momentum_plain, "next_w"),
    ("adagrad", "cf_zero_cache/cache", V.adagrad_cache_replaced, "cache"),
    ("rmsprop", "cf_swapped_decay_rate/cache", V.rmsprop_decay_swapped, "cache"),
    ("rmsprop", "cf_adagrad_rule/cache", V.rmsprop_adagrad_cache, "cache"),
    ("adadelta", "cf_swapped_rho/cache", V.adadelta_rho_swapped, "cache"),
    ("adadelta", "cf_cache_from_delta/cache", V.adadelta_delta_of_gradients, "delta"),
    ("adam", "cf_t_huge/next_w", V.adam_no_bias_correction, "next_w"),
    ("adam", "cf_t_minus_1/next_w", V.adam_t_after_correction, "next_w"),
])
def test_counterfactuals_are_the_bugs_they_stand_for(kind, change, bug, part):
    """Is each counterfactual of the stored reference (the solution's output
    on changed inputs, <kind>/<case>/cf_<change>/<part>) the value of the bug
    it gives the hint for, on the first call of a mid-run case?"""
    case = next(c for c in checks.CASES[kind]["visible"] if c.name == "mid_run")
    inputs = checks._inputs(kind, case)
    next_w, config = bug(inputs["in_w"].copy(), inputs["in_dw"][0].copy(),
                         checks._first_config(inputs))
    got = next_w if part == "next_w" else config[part]
    stored = stored_reference(checks.AID)[f"{kind}/{case.name}/{change}"]
    np.testing.assert_allclose(got, stored[0], rtol=1e-12, atol=0,
                               err_msg=f"{kind} {change} is not what {bug.__name__} computes")


# ------------------------------------------------- values the grader measures

(RULE_SEARCH,) = checks.RECOMPUTED


@pytest.fixture(scope="module")
def given_net():
    """The given network of the assignment (a2_layers.py), as the grader loads it."""
    import runpy
    path = ROOT / "solutions" / checks.AID / RULE_SEARCH.trusted[0][0]
    return runpy.run_path(str(path))[RULE_SEARCH.trusted[0][1]]


def search(given_net, **rules):
    """``(passed, value, message)`` of the grader's search with BASE's rules,
    some replaced by ``rules``."""
    fns = {kind: rules.get(kind, variants.BASE[kind][-1]) for kind in checks.KINDS}
    fns["TwoLayerNet"] = given_net
    try:
        with quiet():
            return True, RULE_SEARCH.check(fns, cases=None, reference=None), ""
    except _core.BelowThreshold as e:
        return False, e.value, str(e)


def test_recomputed_entry_matches_the_solution_notebook():
    """Does the value the grader measures name the variable and the threshold
    of its test cell's check_at_least, every graded rule, and a given file of
    the assignment that defines the network?"""
    folder = ROOT / "solutions" / checks.AID
    nb = read_notebook(folder / RULE_SEARCH.notebook)
    cells = {nbgrader_meta(c).get("grade_id"): "".join(c["source"]) for c in nb["cells"]}
    call = ast.parse(cells[RULE_SEARCH.test_cell]).body[0].value
    assert ast.unparse(call.func) == "checks.check_at_least"
    assert call.args[0].id == RULE_SEARCH.name
    assert call.args[1].value == RULE_SEARCH.minimum
    assert set(RULE_SEARCH.uses) == {g.name for g in checks.GRADED} == set(checks.RULE_SEARCH)
    for file, name in RULE_SEARCH.trusted:
        assert f"class {name}" in (folder / file).read_text()


def test_rule_search_confirms_right_rules(given_net):
    """Does the grader's search reach 0.90 with right rules, however written?"""
    ok, value, message = search(given_net)
    assert ok and value >= 0.9, message
    different = {k: v[-1] for k, v in variants.CORRECT.items()}
    ok, value, message = search(given_net, **different)
    assert ok and value >= 0.9, message


def test_a_rule_that_breaks_the_training_fails_the_search(given_net):
    """Does Adam with t counted after the correction (a first step divided by
    zero) stop the search, as it stops the notebook's, and is it named?"""
    ok, value, message = search(given_net, adam=V.adam_t_after_correction)
    assert not ok
    assert "adam at learning rate 0.003 broke the training" in message
    assert "TrainingDiverged" in message


def test_finite_wrong_rules_do_not_stop_the_search(given_net):
    """Are wrong rules that keep the training finite no reason to fail the
    search (its package sgd still reaches 0.90 in the notebook)?"""
    ok, value, message = search(given_net, sgd_momentum=V.sgd_momentum_wrong_sign,
                                adam=V.adam_no_bias_correction)
    assert ok and value >= 0.9, message


def test_flat_parameters_give_the_per_parameter_steps(given_net):
    """Is one call of a rule on the concatenated parameters (``_Flat``) the
    same training as the Solver's one call per parameter?"""
    from cs231n import Solver
    data = _training.digits(bias_trick=False)

    def run(model, net):
        solver = Solver(model, data, update_rule=variants.adam_new_arrays,
                        optim_config={"learning_rate": 1e-2}, batch_size=100, num_epochs=1,
                        verbose=False, progress=False, rng=np.random.default_rng(0))
        solver.train()
        return solver.loss_history, net.params

    def net():
        return given_net(64, 100, 10, weight_scale=1e-2, reg=1e-3,
                         rng=np.random.default_rng(0))
    plain_net, flat_net = net(), net()
    losses, params = run(plain_net, plain_net)
    flat_losses, _ = run(checks._Flat(flat_net), flat_net)
    np.testing.assert_allclose(flat_losses, losses, rtol=1e-10,
                               err_msg="the flat run took other steps")
