"""Soundness of Assignment 5's ensemble checks (bagging, ensemble probabilities):
every wrong variant loses, every right one passes, whatever bootstrap samples it
draws (the variants live in tests/variants/_a5_ensembles.py)."""
import math
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _ensembles as part
from cs231n.checks import practice as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a5_practice  # noqa: F401  (loads the parts by their paths)
from variants import _a5_ensembles as V

ROOT = Path(__file__).resolve().parents[1]
SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


HINTS = [
    ("bagging", V.bagging_permutation, "without replacement"),
    ("bagging", V.bagging_half_subsample, "a subsample of distinct rows is not one"),
    ("bagging", V.bagging_one_sample, "every model is trained on the same bootstrap sample"),
    ("bagging", V.bagging_separate_draws, "index X and y with the SAME indices"),
    ("bagging", V.bagging_np_random, "same seed give different bootstrap samples"),
    ("bagging", V.bagging_one_short, "one model short"),
    ("bagging", V.bagging_in_place, "X and y were modified in place"),
    ("bagging", V.bagging_off_by_one, "N - 1 is never drawn"),
    ("bagging", V.bagging_no_value_error, "raise a ValueError"),
    ("ensemble_proba", V.ensemble_proba_votes, "fractions of votes.*a different ensemble"),
    ("ensemble_proba", V.ensemble_proba_wrong_axis, "the mean is over the examples"),
    ("ensemble_proba", V.ensemble_proba_product, "product .*a different ensemble"),
    ("ensemble_proba", V.ensemble_proba_geometric, "geometric mean.*a different ensemble"),
    ("ensemble_proba", V.ensemble_proba_last, "last model's probabilities only"),
    ("ensemble_proba", V.ensemble_proba_sum, "sum over the models"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_bagging(V.bagging_loop, cases="secret"), "cases"),
    (lambda: checks.check_bagging(V.bagging_loop, cases=[]), "cases"),
    (lambda: checks.check_ensemble_proba(V.ensemble_proba_stack,
                                         cases=part.CASES["bagging"]["visible"]), "cases"),
    (lambda: checks.check_ensemble_proba(np.zeros(3)), "ensemble_proba"),
    (lambda: checks.check_bagging(None), "bagging"),
    (lambda: part.check_bagging(V.bagging_loop, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.BagCase("bad", 0, N=0, n_models=2), "N >= 1"),
    (lambda: part.BagCase("bad", 0, N=5, n_models=0), "n_models >= 1"),
    (lambda: part.ProbaCase("bad", 0, B=4, N=4), "B != N"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS,
                                        bad_arguments=BAD_ARGUMENTS))


def test_a_failure_reports_index_and_values(ref):
    """Does a wrong ensemble_proba say which example and class, with both values?"""
    with pytest.raises(CheckFailure, match=r"example \d+, class \d+: yours -?\d.*expected "
                                           r"-?\d"):
        part.check_ensemble_proba(V.ensemble_proba_last, reference=ref)


def test_other_generators_pass_the_bagging_check(ref):
    """Is a right bagging that draws other samples (a generator of another bit
    generator would too) accepted: nothing is compared with the solution's draw?"""
    def reversed_draws(fit, X, y, n_models, rng):
        if n_models < 1:
            raise ValueError("n_models")
        idx = rng.integers(0, len(y), size=(n_models, len(y)))[::-1]
        return [fit(X[i], y[i]) for i in idx]
    with quiet():
        grade("bagging", reversed_draws, ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (practice binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_ensemble_proba(V.ensemble_proba_stack)


def test_right_answers_pass_many_fresh_draws():
    """Do the right bagging functions, whose samples differ on every case, pass
    10 fresh sets of unseen cases?"""
    with quiet():
        for seed in range(100, 110):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(solutions(), cases)
            for v in V.CORRECT["bagging"]:
                GRADED["bagging"].check({"bagging": v}, cases=cases, reference=reference)


def test_the_bounds_are_as_documented():
    """Are the statistical checks as sure as the module says: a right answer
    fails a run with probability below 1e-8, and the wrong draws they target
    (a permutation, a row never drawn, one sample for all models) fail with
    certainty on the visible and hidden cases and on every random draw?"""
    draws = [part.random_cases(np.random.default_rng(s)) for s in range(30)]
    tables = part.CASES["bagging"]
    every = tables["visible"] + tables["hidden"] + [c for d in draws for c in d["bagging"]]
    n_stats = 0
    for case in every:
        N, B = case.N, case.n_models
        n_stats += 1 + (N >= 31) + (math.sqrt(B * N * math.log(2 / part.DELTA) / 2)
                                     < 0.1 * B * N)
    for label in ("visible", "hidden"):
        cs = tables[label]
        # a never-drawn row fails, and one sample for all models fails
        assert any(1 < c.N and math.sqrt(math.log(2 * c.N / part.DELTA) / (2 * c.N * c.n_models))
                   < 0.5 / c.N for c in cs)
        assert any(c.N > 1 and -(c.n_models - 1) * c.N * math.log(c.N)
                   < math.log(part.SAME) for c in cs)
        # a permutation fails
        assert any(part._log_all_distinct(c.N) < math.log(part.DELTA) for c in cs)
    for d in draws:
        small, large = d["bagging"][1], d["bagging"][0]
        assert small.N <= 9 and small.n_models >= 600 and large.N >= 1000
        n = small.N * small.n_models
        assert math.sqrt(math.log(2 * small.N / part.DELTA) / (2 * n)) < 0.5 / small.N
    # At most 4 statistics per case and 7 cases per run, each below DELTA.
    assert part.DELTA * 4 * 7 <= 1e-8
    assert n_stats > 0


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from practice, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_ensemble_proba(V.ensemble_proba_stack)
        checks.check_bagging(V.bagging_loop)


def test_the_helpers_are_trusted_helpers_of_the_assignment():
    """Does the assignment's contract list the recorder and predict_proba that the
    checks hand to student code, so that the integrity worker can build them?"""
    assert part.HELPERS == {"BagRecorder": part._BagRecorder,
                            "PredictProba": part._PredictProba}
    for name, cls in part.HELPERS.items():
        assert checks.ASSIGNMENT.helpers.get(name) is cls


# ------------------------------------------------ through the grader's protocol

def _wire(x):
    return protocol.decode(*protocol.encode(x))


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol; the trusted helpers are built anew in the worker and
    the recorder's calls come back."""
    helpers = tuple(part.HELPERS.values())

    def wrapped(*args, **kwargs):
        local = [a for a in args if isinstance(a, part._BagRecorder)]
        args = [type(a)() if isinstance(a, helpers) else _wire(a) for a in args]
        result = fn(*args, **_wire(kwargs))
        for mine, theirs in zip(local, [a for a in args if isinstance(a, part._BagRecorder)]):
            mine.calls = _wire(theirs.calls)
        return _wire(result)
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol(ref):
    """Do the checks give the same verdicts when the student's functions run in
    the integrity worker?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                grade(kind, through_protocol(v), ref)
    for kind, v in [("bagging", V.bagging_one_sample), ("bagging", V.bagging_np_random),
                    ("ensemble_proba", V.ensemble_proba_votes)]:
        with pytest.raises(CheckFailure):
            grade(kind, through_protocol(v), ref)


# ------------------------------------------------- the package holds no answer


# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "a bootstrap sample per model": r"integers\(0,len\(y\),size=len\(y\)\)|choice\(N,N\)",
    "rows and labels of one draw": r"fit\(X\[idx\],y\[idx\]\)",
    "a mean over the models": r"mean\(np\.stack\(\[predict_proba",
}
globals().update(part_suite.tripwire(V, ["_ensembles.py", "_core.py"], RIGHT_PARTS,
                                     strings="drop"))


def test_expected_probabilities_come_from_the_reference(ref):
    """Does a right ensemble_proba fail against a reference whose output is moved?"""
    moved = {k: (v * (1 + 1e-3) if k.endswith("/proba") else v) for k, v in ref.items()}
    with pytest.raises(CheckFailure, match="probabilities are wrong"):
        part.check_ensemble_proba(V.ensemble_proba_stack, reference=moved)


def test_the_number_of_models_comes_from_the_reference(ref):
    """Does a right bagging fail against a reference with another number of calls?"""
    moved = dict(ref)
    moved["bagging/small/calls"] = ref["bagging/small/calls"] + 1
    with pytest.raises(CheckFailure, match="fit was called 3 time"):
        part.check_bagging(V.bagging_loop, reference=moved)
