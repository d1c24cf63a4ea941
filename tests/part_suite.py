"""The soundness tests a check part (Assignments 4-6) runs on its corpus.

A part's test file (``tests/test_checks_<part>.py``) binds what
``soundness(part, V, aid)`` returns: the fixture ``ref`` (the stored
reference), the helpers ``grade``, ``caught`` and ``solutions`` its own tests
use, ``GRADED`` (kind -> Graded) and, in ``tests`` (name -> test, for its
globals), these tests:
every right variant passes the visible and the hidden checks, every wrong one
fails, and fails on the visible cases already (the student sees it before
submitting), the same holds on fresh cases of the part's ``random_cases``,
which differ between seeds, a stub's NotImplementedError reaches the
notebook, the stored reference is the solution's, and every graded kind has
right and wrong variants.  ``tripwire`` and ``table_tests`` make the tests
that need tables of the part's own.
"""
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
import code_text

ROOT = Path(__file__).resolve().parents[1]


def variant_name(variant):
    """A variant's name: a function's, or its parts' joined by '+' for a tuple
    (forward, backward)."""
    if isinstance(variant, tuple):
        return "+".join(v.__name__ for v in variant)
    return variant.__name__


def soundness(part, corpus, aid, *, random_seeds=5):
    """The shared fixture, helpers and tests of ``part`` (a check part module)
    with ``corpus`` (its variants module); ``random_seeds`` sets of fresh
    cases (``part.random_cases``) for the test on unseen inputs."""
    graded = {g.kind: g for g in part.GRADED}

    @pytest.fixture(scope="module")
    def ref():
        """The stored reference of the assignment (this part's keys)."""
        return stored_reference(aid)

    def solutions():
        return {kind: vs[0] for kind, vs in corpus.BASE.items()}

    def fns(kind, fn):
        """The student's functions a check of ``kind`` calls: ``fn`` and, for
        a function that ``uses`` others (a backward its forward), the right
        ones, or those of ``fn`` when it is a tuple (``*uses``, the function)."""
        g = graded[kind]
        if isinstance(fn, tuple):
            return dict(zip((*g.uses, g.name), fn))
        right = solutions()
        return {**{name: right[name] for name in g.uses}, g.name: fn}

    def grade(kind, fn, ref, labels=("visible", "hidden")):
        """Run the checks of ``labels``, as a graded notebook does."""
        for label in labels:
            graded[kind].check(fns(kind, fn), cases=dict.fromkeys(part.KINDS, label),
                               reference=ref)

    def caught(kind, fn, **kwargs):
        try:
            with quiet():
                graded[kind].check(fns(kind, fn), **kwargs)
        except CheckFailure:
            return True
        return False

    def params(table):
        return [pytest.param(kind, v, id=variant_name(v)) for kind, vs in table.items()
                for v in vs]

    @pytest.mark.parametrize("kind, fn", params(corpus.CORRECT))
    def test_correct_variant_passes(kind, fn, ref, capsys):
        """Does a right answer, whatever it draws and however it is written, pass
        the visible and the hidden checks?"""
        grade(kind, fn, ref)
        assert capsys.readouterr().out.count("checks passed") == 2

    @pytest.mark.parametrize("kind, fn", params(corpus.WRONG))
    def test_wrong_variant_fails(kind, fn, ref):
        """Does every bug of the catalogue lose its points?"""
        with pytest.raises(CheckFailure):
            grade(kind, fn, ref)

    def test_every_wrong_variant_is_caught_on_the_visible_cases(ref):
        """Does a student see every bug of the catalogue fail before submitting?"""
        visible = dict.fromkeys(part.KINDS, "visible")
        missed = [variant_name(v) for kind, vs in corpus.WRONG.items() for v in vs
                  if not caught(kind, v, cases=visible, reference=ref)]
        assert missed == []

    @pytest.mark.parametrize("seed", range(random_seeds))
    def test_random_cases_catch_every_bug_whatever_the_draw(seed):
        """On fresh cases, does every right variant pass and every wrong one fail?"""
        cases = part.random_cases(np.random.default_rng(seed))
        assert set(cases) == set(part.KINDS)
        reference = part.make_reference(solutions(), cases)
        assert all(isinstance(v, (np.ndarray, np.generic)) for v in reference.values())
        with quiet():
            for kind, vs in corpus.CORRECT.items():
                for v in vs:
                    graded[kind].check(fns(kind, v), cases=cases, reference=reference)
        missed = [variant_name(v) for kind, vs in corpus.WRONG.items() for v in vs
                  if not caught(kind, v, cases=cases, reference=reference)]
        assert missed == []

    def test_random_cases_differ_between_seeds():
        """Do two grading runs draw different inputs, and one seed the same?"""
        a = part.random_cases(np.random.default_rng(1))
        assert a != part.random_cases(np.random.default_rng(2))
        assert part.random_cases(np.random.default_rng(1)) == a

    def test_not_implemented_propagates(ref):
        """Does a stub's NotImplementedError reach the notebook unchanged?"""
        def stub(*args, **kwargs):
            raise NotImplementedError()
        for kind in part.KINDS:
            with pytest.raises(NotImplementedError):
                part.CHECKS[kind](stub, reference=ref)

    def test_stored_reference_is_in_step_with_the_solution(ref):
        """Was the stored reference made for the current cases, by this solution?"""
        fresh = part.make_reference(solutions())
        assert set(fresh) <= set(ref)
        for key, value in fresh.items():
            np.testing.assert_allclose(ref[key], value, rtol=1e-12, atol=0, err_msg=key)

    def test_every_graded_kind_has_right_and_wrong_variants():
        """Is every graded function exercised, with several right ways of writing
        it, and do BASE and DIFFERENT fill every answer cell of the part?  (At
        most one of its samples is graded by make test.)"""
        assert set(corpus.CORRECT) == set(corpus.WRONG) == set(part.KINDS) \
            == set(part.SOLUTIONS)
        assert all(len(vs) >= 3 for vs in corpus.CORRECT.values())
        assert set(corpus.BASE) == set(corpus.DIFFERENT) == {g.name for g in part.GRADED}
        assert sum(s.in_tests for s in corpus.SAMPLES) <= 1

    return SimpleNamespace(
        GRADED=graded, ref=ref, solutions=solutions, grade=grade, caught=caught, fns=fns,
        tests={name: fn for name, fn in locals().items() if name.startswith("test_")})


def tripwire(corpus, modules, right_parts, *, strings="words"):
    """The two tests that a check part computes none of the answers.

    ``right_parts`` maps a key part of the right answers (e.g. "a bootstrap
    sample per model") to a regular expression of it, as it reads in code
    without spaces (``code_text.code_of(..., spaced=False)``, strings as
    ``strings`` says).  The expressions must match the corpus's right
    variants (the tripwire is not vacuous) and no line of ``modules`` (file
    names in ``cs231n/checks``).  Returns name -> test, for the test
    module's globals.
    """
    def code_of(path):
        return code_text.code_of(path, strings=strings, spaced=False)

    def test_right_parts_are_recognised():
        """Does every key part of the tripwire fire on the right variants (so that
        it is not vacuous)?"""
        code = code_of(Path(corpus.__file__))
        assert {what: bool(re.search(p, code)) for what, p in right_parts.items()} == \
            dict.fromkeys(right_parts, True)

    @pytest.mark.parametrize("module", modules)
    def test_package_computes_no_answer(module):
        """Does the check library compute none of the answers, so that no student
        can import one from it?"""
        code = code_of(ROOT / "cs231n" / "checks" / module)
        found = {what: [line for line in code.splitlines() if re.search(p, line)]
                 for what, p in right_parts.items()}
        assert {what: lines for what, lines in found.items() if lines} == {}

    return {"test_right_parts_are_recognised": test_right_parts_are_recognised,
            "test_package_computes_no_answer": test_package_computes_no_answer}


def table_tests(suite, *, hints, bad_arguments):
    """The two tests of a part that run on tables of its own: ``hints``, a
    list of (kind, wrong variant, regular expression of the hint its failure
    must give on the visible cases), and ``bad_arguments``, a list of (call of
    no arguments, regular expression of the argument its ValueError must
    name).  Returns name -> test, for the test module's globals."""
    @pytest.mark.parametrize("kind, fn, hint", hints)
    def test_failure_names_the_bug(kind, fn, hint, ref):
        """Does the failure explain the common bug it recognises, on the visible cases?"""
        with pytest.raises(CheckFailure, match=hint):
            suite.grade(kind, fn, ref, labels=("visible",))

    @pytest.mark.parametrize("call, argument", bad_arguments)
    def test_bad_arguments_raise(call, argument):
        """Do misspelt options and wrong arguments fail loudly, naming the argument?"""
        with pytest.raises(ValueError, match=argument):
            call()

    return {"test_failure_names_the_bug": test_failure_names_the_bug,
            "test_bad_arguments_raise": test_bad_arguments_raise}
