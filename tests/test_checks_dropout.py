"""Soundness of Assignment 4's dropout checks: every wrong variant loses, every right
one passes, whatever mask it draws (the variants live in tests/variants/_a4_dropout.py)."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _dropout as part
from cs231n.checks import deep_nets as checks
from cs231n.checks._core import quiet
from cs231n.checks._core import reference as stored_reference
from cs231n.grading import protocol
import code_text
from variants import _a4_dropout as V

ROOT = Path(__file__).resolve().parents[1]
GRADED = {g.kind: g for g in part.GRADED}
KINDS = tuple(GRADED)


def ref():
    return stored_reference(checks.AID)


def fns_of(kind, variant):
    """The ``fns`` dict of Graded.check: a backward variant is a (forward, backward) pair."""
    graded = GRADED[kind]
    if graded.uses:
        forward, backward = variant
        return {graded.name: backward, graded.uses[0]: forward}
    return {graded.name: variant}


def grade(kind, variant, labels=("visible", "hidden"), reference=None):
    """Run the visible and the hidden checks, as a graded notebook does."""
    for label in labels:
        GRADED[kind].check(fns_of(kind, variant), cases={part.KEY: label},
                           reference=ref() if reference is None else reference)


def caught(kind, variant, **kwargs):
    try:
        with quiet():
            grade(kind, variant, **kwargs)
    except CheckFailure:
        return True
    return False


def _label(variant):
    return (variant[1] if isinstance(variant, tuple) else variant).__name__


def _params(table):
    return [pytest.param(kind, v, id=f"{kind}-{_label(v)}")
            for kind, vs in table.items() for v in vs]


@pytest.mark.parametrize("kind, variant", _params(V.CORRECT))
def test_correct_variant_passes(kind, variant, capsys):
    """Does a correct dropout, whatever mask it draws and stores, pass every check?"""
    grade(kind, variant)
    assert capsys.readouterr().out.count("checks passed") == 2


@pytest.mark.parametrize("kind, variant", _params(V.WRONG))
def test_wrong_variant_fails(kind, variant):
    """Does every bug of the catalogue lose its points?"""
    with pytest.raises(CheckFailure):
        grade(kind, variant)


def test_every_wrong_variant_fails_on_the_visible_cases(capsys):
    """Does a student see every bug of the catalogue fail before submitting?"""
    missed = [_label(v) for kind, vs in V.WRONG.items() for v in vs
              if not caught(kind, v, labels=("visible",))]
    hidden = sum(caught(kind, v, labels=("hidden",)) for kind, vs in V.WRONG.items()
                 for v in vs)
    with capsys.disabled():
        total = sum(len(vs) for vs in V.WRONG.values())
        print(f"\ndropout checks caught {total - len(missed)}/{total} wrong variants on the "
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
    ("dropout_forward", V.dropout_forward_flipped, "keep and drop are swapped"),
    ("dropout_forward", V.dropout_forward_keep_prob_as_drop, "divided by 1 - keep_prob"),
    ("dropout_forward", V.dropout_forward_not_scaled, "kept units are not scaled"),
    ("dropout_forward", V.dropout_forward_original, "kept units are not scaled"),
    ("dropout_forward", V.dropout_forward_scaled_at_test, "divided by keep_prob at test"),
    ("dropout_forward", V.dropout_forward_active_at_test, "dropped in test mode"),
    ("dropout_forward", V.dropout_forward_mode_reversed, "right way round"),
    ("dropout_forward", V.dropout_forward_np_random, r"dropout_param\['rng'\] only"),
    ("dropout_forward", V.dropout_forward_own_generator, "different seeds give the same mask"),
    ("dropout_forward", V.dropout_forward_times_keep_prob, "multiplied by keep_prob"),
    ("dropout_forward", V.dropout_forward_in_place,
     "values are right; the only problem: the input x was modified in place"),
    ("dropout_forward", V.dropout_forward_upcasts, r"mask.astype\(x.dtype\)"),
    ("dropout_forward", V.dropout_forward_p_key, "never calls it p"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_redraws_mask),
     "do not draw a new one"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_not_scaled),
     "dx is not scaled"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_times_keep_prob),
     "dx is multiplied by keep_prob"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_ignores_mask),
     "dx ignores the mask"),
    ("dropout_backward", (V.dropout_forward_mask_always, V.dropout_backward_active_at_test),
     "dx has zeros in test mode"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_scaled_at_test),
     "multiplied by keep_prob in test mode"),
    ("dropout_backward", (V.dropout_forward_random_less, V.dropout_backward_in_place),
     "the input dout was modified in place"),
])
def test_failure_names_the_bug(kind, variant, hint):
    """Does the failure explain the common bug it recognises?"""
    with pytest.raises(CheckFailure, match=hint):
        grade(kind, variant, labels=("visible",))


def test_original_dropout_in_test_mode_is_named():
    """Is the original dropout's test rule (times keep_prob) named as such?"""
    def original_test_only(x, dropout_param):
        if dropout_param["mode"] == "test":
            return x * dropout_param["keep_prob"], None
        return V.dropout_forward_random_less(x, dropout_param)
    with pytest.raises(CheckFailure, match="original .*non-inverted"):
        part.check_dropout_forward(original_test_only, reference=ref())


def test_a_wrong_forward_is_noted_in_a_backward_failure():
    """When the backward fails on the cache of a wrong forward, does the message
    say that the forward is wrong too?"""
    with pytest.raises(CheckFailure, match="your dropout_forward_not_scaled is wrong too"):
        part.check_dropout_backward(V.dropout_forward_not_scaled, V.dropout_backward_not_scaled,
                                    reference=ref())


def test_not_implemented_propagates():
    """Does an unanswered stub show NotImplementedError, not a check failure?"""
    def stub(*args):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        part.check_dropout_forward(stub, reference=ref())
    with pytest.raises(NotImplementedError):
        part.check_dropout_backward(V.dropout_forward_random_less, stub, reference=ref())


@pytest.mark.parametrize("call, argument", [
    (lambda: checks.check_dropout_forward(V.dropout_forward_random_less, cases="secret"),
     "cases"),
    (lambda: checks.check_dropout_forward(V.dropout_forward_random_less, cases=[]), "cases"),
    (lambda: checks.check_dropout_backward(V.dropout_forward_random_less,
                                           V.dropout_backward_mask_scale, cases=[(4, 5)]),
     "cases"),
    (lambda: part.check_dropout_forward(V.dropout_forward_random_less, reference=None),
     "reference"),
    (lambda: checks.check_dropout_forward(np.zeros(3)), "dropout_forward"),
    (lambda: checks.check_dropout_backward(V.dropout_forward_random_less, None),
     "dropout_backward"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.DropoutCase("bad", 0, (2, 2), 0.0), "keep_prob"),
    (lambda: part.DropoutCase("bad", 0, (2, 2), 0.5, dtype="int64"), "dtype"),
])
def test_bad_arguments_raise(call, argument):
    """Do misspelt options and wrong arguments fail loudly, naming the argument?"""
    with pytest.raises(ValueError, match=argument):
        call()


def test_the_bound_of_the_kept_fraction_is_as_documented():
    """Is a right mask's failure probability per case DELTA by Hoeffding, at most
    1e-9 over the train-mode cases of one run, and do the large cases (visible,
    hidden, and every draw of random_cases) fail swapped keep and drop with the
    same certainty (|1 - 2 keep_prob| >= 2 t)?"""
    visible, hidden = part.CASES[part.KEY]["visible"], part.CASES[part.KEY]["hidden"]
    assert part.DELTA * len(visible + hidden) <= 1e-9
    draws = [c for s in range(50)
             for c in part.random_cases(np.random.default_rng(s))[part.KEY]]
    for case in visible + hidden + draws:
        n = math.prod(case.shape)
        t = part._tolerance(n)
        assert 2 * math.exp(-2 * n * t * t) == pytest.approx(part.DELTA)
        if n >= 20000:
            assert abs(1 - 2 * case.keep_prob) >= 2 * t + 0.2, case
    assert sum(math.prod(c.shape) >= 20000 for c in visible) >= 2
    assert sum(math.prod(c.shape) >= 20000 for c in hidden) >= 2


def _solutions():
    return {"dropout_forward": V.BASE["dropout_forward"][0],
            "dropout_backward": V.BASE["dropout_backward"][0]}


@pytest.mark.parametrize("seed", range(4))
def test_make_reference_on_random_cases(seed):
    """Can the grader make a reference for fresh cases, and do the checks then
    pass every right variant and fail every wrong one on them?"""
    cases = part.random_cases(np.random.default_rng(seed))
    reference = part.make_reference(_solutions(), cases)
    for case in cases[part.KEY]:
        assert f"{part.KEY}/{case.name}/in_x" in reference
    assert all(isinstance(v, (np.ndarray, np.generic)) for v in reference.values())
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                GRADED[kind].check(fns_of(kind, v), cases=cases, reference=reference)
        for kind, vs in V.WRONG.items():
            for v in vs:
                with pytest.raises(CheckFailure):
                    GRADED[kind].check(fns_of(kind, v), cases=cases, reference=reference)


def test_right_answers_pass_many_fresh_draws():
    """Does every right variant pass 30 fresh sets of unseen cases (its masks
    differ on each)?"""
    with quiet():
        for seed in range(100, 130):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(_solutions(), cases)
            for kind, vs in V.CORRECT.items():
                for v in vs:
                    GRADED[kind].check(fns_of(kind, v), cases=cases, reference=reference)


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs, and one seed the same?"""
    a = part.random_cases(np.random.default_rng(1))
    assert a != part.random_cases(np.random.default_rng(2))
    assert part.random_cases(np.random.default_rng(1)) == a


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol (a generator arrives as a copy of its state)."""
    def wrapped(*args):
        args = protocol.decode(*protocol.encode(args))
        result = fn(*args)
        header, payload = protocol.encode(result)
        out = protocol.decode(header, payload)
        # A cache the protocol cannot carry stays with the worker: pass ours back.
        return (out[0], result[1]) if isinstance(result, tuple) else out
    wrapped.__name__ = fn.__name__
    return wrapped


def test_checks_work_through_the_graders_protocol():
    """Do the checks give the same verdicts when the student's functions run in
    the integrity worker, where the rng arrives as a copy of its state?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            for v in vs:
                w = (tuple(through_protocol(f) for f in v) if isinstance(v, tuple)
                     else through_protocol(v))
                grade(kind, w)
        for kind, v in [("dropout_forward", V.dropout_forward_np_random),
                        ("dropout_forward", V.dropout_forward_flipped),
                        ("dropout_backward", (V.dropout_forward_random_less,
                                              V.dropout_backward_redraws_mask))]:
            w = (tuple(through_protocol(f) for f in v) if isinstance(v, tuple)
                 else through_protocol(v))
            with pytest.raises(CheckFailure):
                grade(kind, w)


# ------------------------------------------------- the package holds no answer

# Key parts of a right dropout, as they read in code without spaces, comments
# or strings: a mask drawn by comparing a uniform draw with keep_prob (or a
# Bernoulli draw), and a division by keep_prob.
RIGHT_PARTS = {
    "a uniform draw compared with keep_prob":
        r"(random|uniform)\([^()]*\)(<|>=?)\(?(1(\.0*)?-)?(keep_prob|p|q)\b",
    "a Bernoulli draw": r"binomial\(1,",
    "a division by keep_prob": r"/(keep_prob|p|q)\b",
}


def code_of(path):
    return code_text.code_of(path)


def test_right_parts_are_recognised():
    """Does every key part of the tripwire fire on the right variants (so that
    it is not vacuous)?"""
    code = code_of(Path(V.__file__))
    assert {what: bool(re.search(p, code)) for what, p in RIGHT_PARTS.items()} == \
        dict.fromkeys(RIGHT_PARTS, True)


@pytest.mark.parametrize("module", ["_dropout.py", "_core.py"])
def test_package_computes_no_dropout(module):
    """Does the check library draw no mask and divide by no keep_prob, so that
    no student can import an answer from it?"""
    code = code_of(ROOT / "cs231n" / "checks" / module)
    found = {what: [line for line in code.splitlines() if re.search(p, line)]
             for what, p in RIGHT_PARTS.items()}
    assert {what: lines for what, lines in found.items() if lines} == {}
