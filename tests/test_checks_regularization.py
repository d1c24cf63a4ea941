"""Soundness of Assignment 5's regularisation checks (early stopping, AdamW, random
flips, random crops, Gaussian noise): every wrong variant loses, every right one
passes, whatever it draws (the variants live in tests/variants/_a5_regularization.py)."""
import math
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _regularization as part
from cs231n.checks import practice as checks
from cs231n.checks._core import quiet
from cs231n.grading import protocol
import part_suite
from variants import a5_practice  # noqa: F401  (loads the parts by their paths)
from variants import _a5_regularization as V

ROOT = Path(__file__).resolve().parents[1]
SUITE = part_suite.soundness(part, V, checks.AID, random_seeds=4)
GRADED, ref, grade, caught, solutions = (SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught,
                                         SUITE.solutions)
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


HINTS = [
    ("EarlyStopping", V.EarlyStoppingLastWeights, "parameters of the LAST call"),
    ("EarlyStopping", V.EarlyStoppingReference, "the caller's dict itself"),
    ("EarlyStopping", V.EarlyStoppingShallowCopy, "the caller's arrays, not copies"),
    ("EarlyStopping", V.EarlyStoppingEarly, "stops one call early"),
    ("EarlyStopping", V.EarlyStoppingLate, "stops one call late"),
    ("EarlyStopping", V.EarlyStoppingTieImproves, "a tie is not an improvement"),
    ("EarlyStopping", V.EarlyStoppingOneBased, "counted from 1"),
    ("EarlyStopping", V.EarlyStoppingNoReset, "starts again at every improvement"),
    ("EarlyStopping", V.EarlyStoppingPrevious, r"returned False, expected True"),
    ("EarlyStopping", V.EarlyStoppingNoValueError, "must raise a ValueError"),
    ("adamw", V.adamw_coupled, "Adam with L2"),
    ("adamw", V.adamw_no_lr, "not multiplied by the learning rate"),
    ("adamw", V.adamw_decay_after, "computed from the updated weights"),
    ("adamw", V.adamw_no_bias_correction, "not bias-corrected"),
    ("adamw", V.adamw_no_decay, "no weight decay"),
    ("adamw", V.adamw_in_place, "w was modified in place"),
    ("random_flips", V.random_flips_batch, "not one for the whole batch"),
    ("random_flips", V.random_flips_upside_down, "upside down"),
    ("random_flips", V.random_flips_always, "every image is flipped"),
    ("random_flips", V.random_flips_np_random, "same seed give different images"),
    ("random_flips", V.random_flips_in_place, "X was modified in place"),
    ("random_crops", V.random_crops_one_offset, "every image has the same offset"),
    ("random_crops", V.random_crops_off_by_one, "offset 2 pad is never drawn"),
    ("random_crops", V.random_crops_edge, "the padding is not\\s+zero"),
    ("random_crops", V.random_crops_one_side, "shifts one way"),
    ("random_crops", V.random_crops_same_offset_both_axes, "independently"),
    ("add_noise", V.add_noise_variance, r"std\*\*2"),
    ("add_noise", V.add_noise_uniform, "not Gaussian"),
    ("add_noise", V.add_noise_in_place, "X was modified in place"),
    ("add_noise", V.add_noise_same_for_all, "the same noise"),
    ("add_noise", V.add_noise_np_random, "same seed give different noise"),
]

BAD_ARGUMENTS = [
    (lambda: checks.check_random_flips(V.random_flips, cases="secret"), "cases"),
    (lambda: checks.check_random_crops(V.random_crops, cases=[]), "cases"),
    (lambda: checks.check_adamw(V.adamw, cases=part.CASES["random_flips"]["visible"]),
     "cases"),
    (lambda: checks.check_add_noise(np.zeros(3)), "add_noise"),
    (lambda: checks.check_early_stopping(None), "EarlyStopping"),
    (lambda: part.check_adamw(V.adamw, reference=None), "reference"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.StoppingCase("bad", 0, 0, (0.1, 0.2)), "patience"),
    (lambda: part.StoppingCase("bad", 0, 2, ()), "patience"),
    (lambda: part.AdamWCase("bad", 0, (3,), 0), "steps"),
    (lambda: part.AdamWCase("bad", 0, (3,), 2, resume=True), "resume"),
    (lambda: part.ImageCase("bad", 0, 5, 4, 4, pad=4), "pad"),
    (lambda: part.ImageCase("bad", 0, 5, 4, 4, std=0.0), "std"),
]
globals().update(part_suite.table_tests(SUITE, hints=HINTS,
                                        bad_arguments=BAD_ARGUMENTS))


def test_a_failure_reports_the_call_and_values(ref):
    """Does a wrong EarlyStopping say which call, the scores so far, and both values?"""
    with pytest.raises(CheckFailure, match=r"best_epoch is 3, expected 1 after call 3 "
                                           r"\(0-based\).*scores so far \[0.5, 0.6"):
        part.check_early_stopping(V.EarlyStoppingTieImproves, reference=ref)
    with pytest.raises(CheckFailure, match=r"next_w\[\d+, \d+\]: yours -?\d.*expected -?\d"):
        part.check_adamw(V.adamw_coupled, reference=ref)


def test_not_implemented_propagates(ref):
    """Does a stub's NotImplementedError reach the notebook unchanged?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()

    class Stub:
        def __init__(self, patience):
            raise NotImplementedError()

    for kind in part.KINDS:
        with pytest.raises(NotImplementedError):
            part.CHECKS[kind](Stub if kind == "EarlyStopping" else stub, reference=ref)


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (practice binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_add_noise(V.add_noise)


def test_right_random_answers_pass_many_fresh_draws():
    """Do the right flips, crops and noise, whose draws differ from the
    solution's, pass 10 fresh sets of unseen cases?"""
    with quiet():
        for seed in range(100, 110):
            cases = part.random_cases(np.random.default_rng(seed))
            reference = part.make_reference(solutions(), cases)
            for kind in ("random_flips", "random_crops", "add_noise"):
                for v in V.CORRECT[kind]:
                    GRADED[kind].check({kind: v}, cases=cases, reference=reference)


def test_the_bounds_are_as_documented():
    """Are the statistical checks as sure as the module says: a right answer
    fails a run with probability below 1e-9, and the draws they target (a
    never-drawn offset, one coin for the batch, uniform or mis-scaled noise)
    fail with certainty on every large case, fixed or random?"""
    draws = [part.random_cases(np.random.default_rng(s)) for s in range(30)]
    tables = {kind: part.CASES[kind]["visible"] + part.CASES[kind]["hidden"]
              for kind in ("random_flips", "random_crops", "add_noise")}
    for kind in tables:
        tables[kind] += [c for d in draws for c in d[kind]]
        large = [c for c in tables[kind] if c.N * (c.H * c.W if kind == "add_noise" else 1)
                 >= part.MIN_STAT[kind]]
        assert any(c in large for c in part.CASES[kind]["visible"]), kind
        assert all(any(c in large for c in d[kind]) for d in draws), kind
        for c in large:
            if kind == "random_flips":
                assert part._hoeffding(c.N) < 0.5
            elif kind == "random_crops":
                K = 2 * c.pad + 1
                assert part._hoeffding(c.N, 2 * K + 1) < 1 / K, c
            else:
                n = c.N * c.H * c.W
                t = part._hoeffding(n, 4)
                # Uniform noise of the same spread: P(|U| < 0.5 std) = 0.5 / sqrt(3).
                assert abs(0.5 / math.sqrt(3) - part._normal_bins()[0]) > 2 * t
                # Noise scaled by std**2 has spread std**2 / std = std in units of std.
                ratio = c.std
                assert abs(math.erf(0.5 / ratio / math.sqrt(2))
                           - part._normal_bins()[0]) > 2 * t, c
    # At most 10 statistics per run (3 per crop case, 1 flip, 2 noise ...).
    assert part.DELTA * 10 <= 1e-9
    assert math.erfc(part.Z / math.sqrt(2)) < part.DELTA


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from practice, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_add_noise(V.add_noise)
    assert GRADED["EarlyStopping"].watched("EarlyStopping") == (
        "best_score", "best_epoch", "best_params")


# ------------------------------------------------ through the grader's protocol

def _wire(x):
    return protocol.decode(*protocol.encode(x))


def through_protocol(fn):
    """``fn`` as the integrity worker runs it: arguments and results cross the
    grader's protocol (a generator as a copy of its state)."""
    def wrapped(*args, **kwargs):
        return _wire(fn(*[_wire(a) for a in args], **_wire(kwargs)))
    wrapped.__name__ = fn.__name__
    return wrapped


def class_through_protocol(cls):
    """``cls`` as the integrity worker runs it: arguments cross the protocol,
    and the watched attributes come back as copies after every call."""
    watch = GRADED["EarlyStopping"].watched("EarlyStopping")

    class Remote:
        def __init__(self, *args):
            self._inst = cls(*[_wire(a) for a in args])
            self._pull()

        def _pull(self):
            for attr in watch:
                setattr(self, attr, _wire(getattr(self._inst, attr)))

        def update(self, *args):
            result = _wire(self._inst.update(*[_wire(a) for a in args]))
            self._pull()
            return result

    Remote.__name__ = cls.__name__
    return Remote


def test_early_stopping_check_works_through_the_graders_protocol(ref):
    """Does the EarlyStopping check pass the right classes and catch the bugs it
    can see through arguments and attributes that cross the protocol?  (A kept
    reference to the caller's dict or arrays shows only where the caller's
    changes reach the object: the real worker mirrors a method's dict of
    arrays, and test_grading's soundness test runs these two through it.)"""
    with quiet():
        for v in V.CORRECT["EarlyStopping"]:
            grade("EarlyStopping", class_through_protocol(v), ref)
    kept = {V.EarlyStoppingReference, V.EarlyStoppingShallowCopy}
    for v in V.WRONG["EarlyStopping"]:
        if v not in kept:
            with pytest.raises(CheckFailure):
                grade("EarlyStopping", class_through_protocol(v), ref)


def test_checks_work_through_the_graders_protocol(ref):
    """Do the function checks give the same verdicts when the student's
    functions run in the integrity worker?"""
    with quiet():
        for kind, vs in V.CORRECT.items():
            if kind != "EarlyStopping":
                for v in vs:
                    grade(kind, through_protocol(v), ref)
    for kind, v in [("adamw", V.adamw_coupled), ("random_flips", V.random_flips_batch),
                    ("random_crops", V.random_crops_off_by_one),
                    ("add_noise", V.add_noise_variance)]:
        with pytest.raises(CheckFailure):
            grade(kind, through_protocol(v), ref)


# ------------------------------------------------- the package holds no answer


# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "a copy of every array": r"\b\w+\.copy\(\)for\w+,\w+inparams\.items\(\)",
    "the decoupled decay": r"(lr|learning_rate\])\*(config\[weight_decay\]|wd)\*w\b",
    "columns reversed": r"X\[:,:,::-1\]|flip\(X\[\w+\],axis=2\)",
    "zero padding": r"np\.pad\(X,",
    "Gaussian noise of X's shape": r"std\*rng\.standard_normal\(X\.shape\)"
                                   r"|rng\.normal\(0\.0,std,size=X\.shape\)",
}
globals().update(part_suite.tripwire(V, ["_regularization.py", "_core.py"], RIGHT_PARTS))


def _moved(ref, keys, by):
    return {k: (v * (1 + by) if k in keys else v) for k, v in ref.items()}


@pytest.mark.parametrize("kind, suffix, message", [
    ("adamw", "/next_w", "next_w is wrong"),
    ("adamw", "/m", r"config\['m'\] is wrong"),
    ("EarlyStopping", "/best_score", "best_score is"),
])
def test_expected_values_come_from_the_reference(kind, suffix, message, ref):
    """Does a right answer fail against a reference whose output is moved?"""
    keys = {k for k in ref if k.startswith(kind + "/") and k.endswith(suffix)
            and "/cf_" not in k}
    assert keys
    with pytest.raises(CheckFailure, match=message):
        grade(kind, V.CORRECT[kind][0], _moved(ref, keys, 1e-3), labels=("visible",))


def test_stops_and_transforms_come_from_the_reference(ref):
    """Does a right answer fail against a reference with other stops, or a
    catalogue of transforms without the flip?"""
    moved = dict(ref)
    key = "EarlyStopping/plateau/stops"
    moved[key] = ~ref[key]
    with pytest.raises(CheckFailure, match="update returned"):
        part.check_early_stopping(V.EarlyStopping, reference=moved)
    moved = dict(ref)
    for name in ("small", "large"):
        p = f"random_flips/{name}/"
        keep = ~ref[p + "flipped"]
        moved[p + "maps"], moved[p + "flipped"] = ref[p + "maps"][keep], ref[p + "flipped"][keep]
    with pytest.raises(CheckFailure, match="is not X"):
        part.check_random_flips(V.random_flips, reference=moved)
