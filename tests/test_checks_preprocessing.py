"""Soundness of Assignment 4's preprocessing checks: every wrong variant loses,
every right one passes (the variants live in tests/variants/_a4_preprocessing.py)."""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import CheckFailure
from cs231n.checks import _preprocessing as part
from cs231n.checks import deep_nets as checks
from cs231n.checks._core import quiet
import code_text
import part_suite
from variants import a4_deep_nets  # noqa: F401  (loads the parts by their paths)
from variants import _a4_preprocessing as variants

ROOT = Path(__file__).resolve().parents[1]
V = variants
SUITE = part_suite.soundness(part, V, checks.AID)
GRADED, ref, grade, caught = SUITE.GRADED, SUITE.ref, SUITE.grade, SUITE.caught
globals().update(SUITE.tests)   # the shared soundness tests (tests/part_suite.py)


def test_every_graded_kind_has_right_and_wrong_variants():
    """Is every graded function exercised, with at least two right ways of
    writing it, and do BASE and DIFFERENT fill every answer cell?"""
    assert set(variants.CORRECT) == set(GRADED) == set(variants.WRONG) == set(part.KINDS)
    assert all(len(vs) >= 2 for vs in variants.CORRECT.values())
    assert set(variants.BASE) == set(variants.DIFFERENT) == {g.name for g in part.GRADED}
    assert sum(s.in_tests for s in variants.SAMPLES) <= 1


@pytest.mark.parametrize("kind, fn, hint", [
    ("standardize", V.standardize_no_eps, r"train_out is not finite.*\n.*\n  hint: a feature "
                                          r"with zero variance gives 0 / 0 \(here features"),
    ("standardize", V.standardize_other_stats, "the statistics come from X_other"),
    ("standardize", V.standardize_pooled_stats, "X_train and X_other together"),
    ("standardize", V.standardize_each_set_own_stats, "X_other is standardised with its own"),
    ("standardize", V.standardize_axis_1, r"each example \(row\) is centred"),
    ("standardize", V.standardize_global, "one mean and one std for the whole array"),
    ("standardize", V.standardize_ddof_1, r"unbiased one \(ddof=1\)"),
    ("standardize", V.standardize_in_place, "the only problem: the inputs X_train and X_other"),
    ("pca", V.pca_ascending, "ascending order"),
    ("pca", V.pca_columns, r"components has shape \(5, 2\), expected \(2, 5\)\n.*transpose"),
    ("pca", V.pca_not_centred, "centre the data"),
    ("pca", V.pca_gram_matrix, r"not X_c @ X_c.T \(N, N\)"),
    ("pca", V.pca_cov_n_minus_1, r"divided by N - 1"),
    ("pca", V.pca_singular_values, r"singular values s of the centred data"),
    ("pca", V.pca_not_normalised, "not unit vectors"),
    ("pca", V.pca_in_place, "the only problem: the input X was"),
    ("pca_transform", V.pca_transform_not_centred, "not centred"),
    ("pca_transform", V.pca_transform_mean_added, "the mean is added"),
    ("pca_transform", V.pca_transform_in_place, "the only problem: the input X was"),
    ("whiten", V.whiten_by_variance, "divided by the variance"),
    ("whiten", V.whiten_no_eps, "eps is missing"),
    ("whiten", V.whiten_eps_outside, "eps is added to the standard deviation"),
    ("whiten", V.whiten_default_eps, r"default eps 1e-05: use the eps you are given \(0.01\)"),
    ("whiten", V.whiten_not_centred, "not centred"),
    ("whiten", V.whiten_in_place, "the only problem: the input variances was"),
])
def test_failure_names_the_bug(kind, fn, hint, ref):
    """Does the message name the common bug (on the visible cases already),
    without a RuntimeWarning reaching stderr?"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailure, match=hint):
            part.CHECKS[kind](fn, reference=ref)


def test_zero_variance_without_eps_names_the_variance(ref):
    """Does a whitening without eps that divides by a zero variance hear which
    variance is 0 and where eps goes?"""
    with pytest.raises(CheckFailure, match=r"not finite.*\n.*\n  hint: variance 3 is 0: add "
                                           r"eps to the variances before the square root"):
        checks.check_whiten(V.whiten_no_eps, cases=[part.CASES["whiten"]["visible"][1]])


def test_ascending_components_named_when_variances_are_right(ref):
    """When only the components are in ascending order (the variances sorted
    right), is the components' order named, whatever the rows' signs?"""
    def pca_vectors_ascending(X, num_components):
        mean, _, variances = V.pca_eigh(X, num_components)
        _, vectors = np.linalg.eigh(np.cov(X.T, bias=True))
        return mean, -vectors[:, :num_components].T, variances
    with pytest.raises(CheckFailure, match="directions of the smallest variances"):
        checks.check_pca(pca_vectors_ascending)


def test_columns_of_a_square_result_are_named(ref):
    """With k = D the shape cannot tell rows from columns: is the transposed
    eigenvector matrix recognised?"""
    def pca_square_columns(X, num_components):
        mean, components, variances = V.pca_eigh(X, num_components)
        return mean, components.T, variances
    case = [c for c in part.CASES["pca"]["visible"] if c.k == c.D]
    with pytest.raises(CheckFailure, match="COLUMNS"):
        checks.check_pca(pca_square_columns, cases=case)


def test_every_sign_pattern_passes(ref):
    """Is any choice of signs of the components accepted?"""
    for signs in ([1, -1], [-1, -1], [-1, 1]):
        def pca_signs(X, num_components, signs=np.array(signs)):
            mean, components, variances = V.pca_svd(X, num_components)
            s = np.resize(signs, len(components))[:, None]
            return mean, s * components, variances
        with quiet():
            checks.check_pca(pca_signs)
            checks.check_pca(pca_signs, cases="hidden")


def test_wrong_value_reports_index_and_values(ref):
    """Does a wrong output name the output, the case, the worst index and both values?"""
    with pytest.raises(CheckFailure) as info:
        checks.check_standardize(V.standardize_centre_only)
    msg = str(info.value)
    assert re.search(r"train_out is wrong on test case 'small' \(X_train \(8, 4\), X_other "
                     r"\(5, 4\)\)\n  largest difference at train_out\[\d+, \d+\]: yours "
                     r"-?[\d.]+, expected -?[\d.]+", msg), msg


def test_wrong_return_types_are_named(ref):
    """Is a function that returns one array instead of a tuple told what to return?"""
    with pytest.raises(CheckFailure, match=r"should return a tuple \(train_out, other_out\)"):
        checks.check_standardize(lambda X_train, X_other, eps=1e-8: X_train)
    with pytest.raises(CheckFailure, match=r"should return a tuple \(mean, components, "
                                           r"variances\)"):
        checks.check_pca(lambda X, k: V.pca_eigh(X, k)[1])


def test_not_implemented_propagates(ref):
    """Does a stub's NotImplementedError reach the notebook unchanged?"""
    def stub(*args, **kwargs):
        raise NotImplementedError()
    for kind in part.KINDS:
        with pytest.raises(NotImplementedError):
            part.CHECKS[kind](stub, reference=ref)


@pytest.mark.parametrize("call, argument", [
    (lambda: checks.check_pca(V.pca_eigh, cases="secret"), "cases"),
    (lambda: checks.check_pca(V.pca_eigh, cases=[]), "cases"),
    (lambda: checks.check_pca(V.pca_eigh, cases=None), "cases"),
    (lambda: checks.check_whiten(V.whiten_divide, cases=part.CASES["pca"]["visible"]), "cases"),
    (lambda: part.make_reference({}, ["not", "a", "dict"]), "cases"),
    (lambda: part.PCACase("bad", 0, N=5, D=5, k=2), "N > D"),
    (lambda: part.PCACase("bad", 0, N=20, D=5, k=6), "k <= D"),
    (lambda: part.StandardizeCase("bad", 0, N_train=1, N_other=3, D=2), "N_train"),
    (lambda: part.StandardizeCase("bad", 0, N_train=5, N_other=3, D=2, constant=2),
     "constant"),
    (lambda: part.ProjectionCase("bad", 0, N=3, D=4, k=1, tiny=2), "tiny"),
])
def test_bad_arguments_raise(call, argument):
    """Do misspelt options fail loudly, naming the argument?"""
    with pytest.raises(ValueError, match=argument):
        call()


def test_the_reference_is_a_required_keyword():
    """Does the part's check refuse to run without a reference (deep_nets binds it)?"""
    with pytest.raises(TypeError, match="reference"):
        part.check_pca(V.pca_eigh)


def test_random_cases_catch_every_bug_whatever_the_draw():
    """On fresh cases of several draws, does every right variant pass and
    every wrong one fail?"""
    solutions = {kind: vs[0] for kind, vs in variants.CORRECT.items()}
    for seed in range(6):
        cases = part.random_cases(np.random.default_rng(seed))
        assert set(cases) == set(part.KINDS)
        ref = part.make_reference(solutions, cases)
        assert all(isinstance(v, (np.ndarray, np.generic)) for v in ref.values())
        with quiet():
            for kind, vs in variants.CORRECT.items():
                for v in vs:
                    GRADED[kind].check({kind: v}, cases=cases, reference=ref)
        missed = [v.__name__ for kind, vs in variants.WRONG.items() for v in vs
                  if not caught(kind, v, cases=cases, reference=ref)]
        assert missed == [], f"seed {seed}"


def test_random_cases_differ_between_seeds():
    """Do two grading runs draw different inputs, and one seed the same?"""
    a = part.random_cases(np.random.default_rng(1))
    assert a != part.random_cases(np.random.default_rng(2))
    assert part.random_cases(np.random.default_rng(1)) == a


def test_pca_cases_have_the_chosen_spectrum():
    """Is the covariance of a PCA case's data exactly its chosen spectrum, with
    well separated eigenvalues (so that eigenvectors are well determined)?"""
    for table in part.CASES["pca"].values():
        for case in table:
            X = part._pca_inputs(case)["in_X"]
            values = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]
            assert np.all(values[1:] <= 0.7 * values[:-1] * (1 + 1e-9))


def test_stored_reference_covers_every_case(ref):
    """Was the stored reference made for the current cases?"""
    for kind, table in part.CASES.items():
        for case in table["visible"] + table["hidden"]:
            inputs = part.INPUTS[kind](case)
            for key, value in inputs.items():
                np.testing.assert_array_equal(ref[f"{kind}/{case.name}/{key}"], value)


def test_checks_are_bound_in_the_assignment_module():
    """Are the part's checks reachable from deep_nets, with the stored reference?"""
    for name in part.__all__:
        assert name in checks.__all__
    with quiet():
        checks.check_whiten(V.whiten_divide)


# ------------------------------------------------- the package holds no answer

def code_of(path):
    return code_text.code_of(path, strings="drop", spaced=False)


# Key parts of the right answers, as they read in code without spaces.
RIGHT_PARTS = {
    "a mean over the examples": r"mean\((X\w*,)?axis=0",
    "a std over the examples": r"std\((X\w*,)?axis=0",
    "a covariance": r"\.T@\w+/|cov\(",
    "an eigendecomposition or SVD": r"eigh\(|svd\(",
    "a projection onto the components": r"@components\.T",
    "a division by sqrt(variance + eps)": r"sqrt\(variances\+eps\)",
}


def test_right_parts_are_recognised():
    """Does every key part of the tripwire fire on the right variants (so that
    it is not vacuous)?"""
    code = code_of(Path(variants.__file__))
    assert {what: bool(re.search(p, code)) for what, p in RIGHT_PARTS.items()} == \
        dict.fromkeys(RIGHT_PARTS, True)


def test_package_computes_no_answer():
    """Does the check part compute none of the answers (no key part of one in
    its code), so that no student can import an answer from it?"""
    code = code_of(ROOT / "cs231n" / "checks" / "_preprocessing.py")
    found = {what: [line for line in code.splitlines() if re.search(p, line)]
             for what, p in RIGHT_PARTS.items()}
    assert {what: lines for what, lines in found.items() if lines} == {}


def shifted(ref, kind, part_name, by):
    """The reference with one output of the solution (not the inputs, not the
    counterfactuals) moved by a relative amount."""
    return {k: v * (1 + by) if k.startswith(kind + "/") and k.endswith("/" + part_name)
            and "/cf_" not in k else v for k, v in ref.items()}


@pytest.mark.parametrize("kind, output, message", [
    ("standardize", "train_out", "train_out is wrong"),
    ("standardize", "other_out", "other_out is wrong"),
    ("pca", "mean", "mean is wrong"),
    ("pca", "variances", "variances is wrong"),
    ("pca_transform", "out", "out is wrong"),
    ("whiten", "out", "out is wrong"),
])
def test_expected_values_come_from_the_reference(kind, output, message, ref):
    """Does a right function fail against a reference whose output is moved?"""
    fn = variants.CORRECT[kind][0]
    for label in ("visible", "hidden"):
        with pytest.raises(CheckFailure, match=message):
            part.CHECKS[kind](fn, cases=label, reference=shifted(ref, kind, output, 1e-3))


def test_components_come_from_the_reference(ref):
    """Does a right pca fail against a reference with rotated components?"""
    moved = dict(ref)
    for key in [k for k in ref if k.startswith("pca/") and k.endswith("/components")
                and "/cf_" not in k]:
        c = ref[key].copy()
        if len(c) >= 2:
            a = 1e-3
            c[[0, 1]] = np.cos(a) * c[[0, 1]] + np.sin(a) * c[[1, 0]] * [[1], [-1]]
        else:
            c = -np.roll(c, 1, axis=1)
        moved[key] = c
    with pytest.raises(CheckFailure, match="components is wrong"):
        part.check_pca(V.pca_eigh, cases="visible", reference=moved)


WHITEN_FROM_PCA = ("def whiten(X, mean, components, variances, eps=1e-5):\n"
                   "    return pca_transform(X, mean, components) / np.sqrt(variances + eps)\n")


@pytest.mark.parametrize("pca_transform, named", [(V.pca_transform_matmul, False),
                                                  (V.pca_transform_not_centred, True)])
def test_a_whiten_built_on_a_broken_pca_transform_names_it(pca_transform, named, ref):
    """Does a whiten that calls the student's pca_transform pass on a right one,
    and fail with a note naming it on a wrong one?"""
    ns = {"np": np, "pca_transform": pca_transform}
    exec(WHITEN_FROM_PCA, ns)
    if not named:
        checks.check_whiten(ns["whiten"], cases="hidden")
        return
    with pytest.raises(CheckFailure, match=r"note: your whiten calls your pca_transform, "
                                           r"which fails its own check: fix it first"):
        checks.check_whiten(ns["whiten"])
