"""Soundness of Assignment 5's search checks: every wrong variant loses, every right
one passes, whatever values it draws (the variants live in tests/variants/_a5_search.py)."""
import math
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _search as part
from cs231n.checks import practice as checks
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
from cs231n.grading import protocol
import part_suite
from variants import _a5_search as V

ROOT = Path(__file__).resolve().parents[1]
GRADED = {g.kind: g for g in part.GRADED}
KINDS = tuple(GRADED)


def ref():
    return stored_reference(checks.AID)


def grade(kind, variant, labels=("visible", "hidden"), reference=None):
    """Run the visible and the hidden checks, as a graded notebook does."""
    for label in labels:
        GRADED[kind].check({kind: variant}, cases={kind: label},
                           reference=ref() if reference is None else reference)


def caught(kind, variant, **kwargs):
    try:
        with quiet():
            grade(kind, variant, **kwargs)
    except CheckFailure:
        return True
    return False


def _params(table):
    return [pytest.param(kind, v, id=v.__name__) for kind, vs in table.items() for v in vs]


@pytest.mark.parametrize("kind, variant", _params(V.CORRECT))
def test_correct_variant_passes(kind, variant, capsys):
    """Does a right answer, whatever values it draws, pass every check?"""
    grade(kind, variant)
    assert capsys.readouterr().out.count("checks passed") == 2


@pytest.mark.parametrize("kind, variant", _params(V.WRONG))
def test_wrong_variant_fails(kind, variant):
    """Does every bug of the catalogue lose its points?"""
    with pytest.raises(CheckFailure):
        grade(kind, variant)


def test_every_wrong_variant_fails_on_the_visible_cases(capsys):
    """Does a student see every bug of the catalogue fail before submitting?"""
    missed = [v.__name__ for kind, vs in V.WRONG.items() for v in vs
              if not caught(kind, v, labels=("visible",))]
    hidden = sum(caught(kind, v, labels=("hidden",)) for kind, vs in V.WRONG.items()
                 for v in vs)
    with capsys.disabled():
        total = sum(len(vs) for vs in V.WRONG.values())
        print(f"\nsearch checks caught {total - len(missed)}/{total} wrong variants on the "
              f"visible cases, {hidden}/{total} on the hidden ones")
    assert missed == []


def test_every_graded_kind_has_right_and_wrong_variants():
    """Is every graded function exercised, with several right ways of writing it,
    and do BASE and DIFFERENT fill every answer cell of the part?"""
    assert set(V.CORRECT) == set(V.WRONG) == set(KINDS) == set(part.SOLUTIONS)
    assert all(len(vs) >= 3 for vs in V.CORRECT.values())
    assert set(V.BASE) == set(V.DIFFERENT) == {g.name for g in part.GRADED}
    assert sum(s.in_tests for s in V.SAMPLES) <= 1


@pytest.mark.parametrize("kind, variant, hint", [
    ("log_uniform", V.log_uniform_linear, "uniform on the LINEAR scale"),
    ("log_uniform", V.log_uniform_exponents, "these are the exponents"),
    ("log_uniform", V.log_uniform_mixed_bases, "same base both ways"),
    ("log_uniform", V.log_uniform_np_random, "rng you are given only"),
    ("log_uniform", V.log_uniform_own_generator, "different seeds give the same sample"),
    ("log_uniform", V.log_uniform_no_checks, "expected a ValueError naming 'low'"),
    ("log_uniform", V.log_uniform_vague_error, "does not name the argument 'low'"),
    ("random_configs", V.random_configs_shared, "every trial has the same"),
    ("random_configs", V.random_configs_log_linearly, "'log' parameter is drawn uniformly "
                                                      "on the LINEAR scale"),
    ("random_configs", V.random_configs_linear_on_log, "'linear' parameter is drawn on the "
                                                       "log scale"),
    ("random_configs", V.random_configs_one_u, "not drawn independently"),
    ("random_configs", V.random_configs_np_random, "rng you are given only"),
    ("random_configs", V.random_configs_first_option, "every option should be equally"),
    ("grid_configs", V.grid_configs_linear_log, "spaced evenly on the LINEAR scale"),
    ("grid_configs", V.grid_configs_no_ends, "misses an end of its range"),
    ("grid_configs", V.grid_configs_int_root, "k is one too small"),
    ("grid_configs", V.grid_configs_ceil_root, "over the budget"),
    ("grid_configs", V.grid_configs_options_ignored, "over the budget"),
    ("grid_configs", V.grid_configs_reversed_order, "another order"),
    ("narrow_space", V.narrow_space_worst, "ranges of the WORST trials"),
    ("narrow_space", V.narrow_space_ignores_keep, "use the keep argument"),
    ("narrow_space", V.narrow_space_floor, r"int\(keep \* n\)"),
    ("narrow_space", V.narrow_space_factor, "goes beyond the old"),
    ("narrow_space", V.narrow_space_all, "ranges of ALL the trials"),
    ("narrow_space", V.narrow_space_in_place, "results was modified in place"),
])
def test_failure_names_the_bug(kind, variant, hint):
    """Does the failure explain the common bug it recognises?"""
    with pytest.raises(CheckFailure, match=hint):
        grade(kind, variant, labels=("visible",))


def test_range_starting_at_one_is_named():
    """Is an exponent drawn from [0, log high) named on a range above 1?"""
    case = part.LogCase("above", 5, 2.0, 200.0, 50)
    reference = part.make_reference(_solutions(), {"log_uniform": [case]})
    with pytest.raises(CheckFailure, match=r"starts at 0 \(log 1\)"):
        part.check_log_uniform(V.log_uniform_from_zero, cases=[case], reference=reference)


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()
    for kind in KINDS:
        with pytest.raises(NotImplementedError):
            grade(kind, stub, labels=("visible",))


@pytest.mark.parametrize("call, argument", [
    (lambda: checks.check_log_uniform(V.log_uniform_exp, cases="secret"), "cases"),
    (lambda: checks.check_grid_configs(V.grid_configs_geomspace, cases=[]), "cases"),
    (lambda: checks.check_narrow_space(V.narrow_space_sorted, cases=[(4, 5)]), "cases"),
    (lambda: checks.check_random_configs(V.random_configs_per_trial,
                                         cases=part.CASES["grid_configs"]["visible"]),
     "cases"),
    (lambda: part.check_log_uniform(V.log_uniform_exp, reference=None), "reference"),
    (lambda: checks.check_log_uniform(np.zeros(3)), "log_uniform"),
    (lambda: checks.check_narrow_space(None), "narrow_space"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.LogCase("bad", 0, 0.0, 1.0, 5), "low"),
    (lambda: part.LogCase("bad", 0, 1.0, 2.0, 0), "size"),
    (lambda: part.ConfigCase("bad", 0, (("a", ("log", 0.0, 1.0)),), 5), "range"),
    (lambda: part.GridCase("bad", (("a", ("cubic", 0.0, 1.0)),), 5), "kind"),
    (lambda: part.NarrowCase("bad", 0, (("a", ("linear", 0.0, 1.0)),), 5, 0.0), "keep"),
])
def test_bad_arguments_raise(call, argument):
    """Do misspelt options and wrong arguments fail loudly, naming the argument?"""
    with pytest.raises(ValueError, match=argument):
        call()


def test_the_statistical_bounds_are_as_documented():
    """Is a right answer's failure probability DELTA per test by DKW (Massart) and
    the triangle inequality, at most 1e-8 over one run, and do the large cases
    accept a gap of at most 0.1, which linear sampling of a range of ratio >= 20
    exceeds by far?"""
    for n in (1000, 5000, 20000):
        e = part._dkw(n)
        assert 2 * math.exp(-2 * n * e * e) == pytest.approx(part.DELTA / 2)
    tests = 0
    draws = [part.random_cases(np.random.default_rng(s)) for s in range(30)]
    for kind in ("log_uniform", "random_configs"):
        for label in ("visible", "hidden"):
            for case in part.CASES[kind][label]:
                size = case.size if kind == "log_uniform" else case.num_trials
                if size >= part.KS_MIN:
                    assert 2 * part._dkw(size) <= 0.1
                    tests += 1 if kind == "log_uniform" else len(case.space) + 1
    assert tests * part.DELTA <= 1e-8
    for cases in draws:
        for case in cases["log_uniform"] + cases["random_configs"]:
            size = case.size if isinstance(case, part.LogCase) else case.num_trials
            assert size >= part.KS_MIN or size < 10
    # Linear sampling of [1, 20] against log-uniform: the CDFs differ by more than 0.3.
    v = np.linspace(1, 20, 2001)
    assert np.max(np.abs((v - 1) / 19 - np.log(v) / np.log(20))) > 0.3


def _solutions():
    return {kind: vs[0] for kind, vs in V.BASE.items()}


@pytest.mark.parametrize("seed", range(3))
def test_make_reference_on_random_cases(seed):
    """Can the grader make a reference for fresh cases, and do the checks then
    pass every right variant and fail every wrong one on them?"""
    cases = part.random_cases(np.random.default_rng(seed))
    reference = part.make_reference(_solutions(), cases)
    assert all(isinstance(v, (np.ndarray, np.generic)) for v in reference.values())
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                GRADED[kind].check({kind: v}, cases=cases, reference=reference)
        missed = []
        for kind, vs in V.WRONG.items():
            for v in vs:
                try:
                    GRADED[kind].check({kind: v}, cases=cases, reference=reference)
                    missed.append(v.__name__)
                except CheckFailure:
                    pass
    # A random space may miss a bug's trigger (no 'choice', no wide linear range, keep *
    # n an integer): every wrong variant must fail on most draws (test below).
    assert len(missed) <= 4, missed


def test_wrong_variants_fail_most_fresh_draws():
    """Does every wrong variant fail on most sets of unseen cases?"""
    misses = {v.__name__: 0 for vs in V.WRONG.values() for v in vs}
    with quiet():
        for seed in range(10, 18):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(_solutions(), cases)
            for kind, vs in V.WRONG.items():
                for v in vs:
                    try:
                        GRADED[kind].check({kind: v}, cases=cases, reference=reference)
                        misses[v.__name__] += 1
                    except CheckFailure:
                        pass
    assert {k: m for k, m in misses.items() if m > 2} == {}


def test_right_answers_pass_many_fresh_draws():
    """Does every right variant pass 8 fresh sets of unseen cases?"""
    with quiet():
        for seed in range(100, 108):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(_solutions(), cases)
            for kind, vs in V.CORRECT.items():
                for v in vs:
                    GRADED[kind].check({kind: v}, cases=cases, reference=reference)


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs, and one seed the same?"""
    a = part.random_cases(np.random.default_rng(1))
    assert a != part.random_cases(np.random.default_rng(2))
    assert part.random_cases(np.random.default_rng(1)) == a


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol (a generator arrives as a copy of its state)."""
    def wrapped(*args, **kwargs):
        args, kwargs = protocol.decode(*protocol.encode((args, kwargs)))
        result = fn(*args, **kwargs)
        return protocol.decode(*protocol.encode(result))
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol():
    """Do the checks give the same verdicts when the student's functions run in
    the integrity worker?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                grade(kind, through_protocol(v))
        for kind, v in [("log_uniform", V.log_uniform_np_random),
                        ("log_uniform", V.log_uniform_linear),
                        ("random_configs", V.random_configs_shared),
                        ("grid_configs", V.grid_configs_int_root),
                        ("narrow_space", V.narrow_space_worst)]:
            with pytest.raises(CheckFailure):
                grade(kind, through_protocol(v))


# ------------------------------------------------- the package holds no answer

# Key parts of right answers, as they read in code without spaces, comments or
# strings: an exponential of a uniform draw, a log-spaced grid, the ceil of
# keep * n.
RIGHT_PARTS = {
    "an exponential of a uniform draw":
        r"(exp2?|\*\*)\(?(rng|own|np\.random)?\.?(uniform|random)\(",
    "a log-spaced grid": r"(geomspace|logspace)\(",
    "the number of trials kept": r"ceil\(keep\*",
}
globals().update(part_suite.tripwire(V, ["_search.py", "_core.py"], RIGHT_PARTS))


