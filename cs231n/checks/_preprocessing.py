"""Part of Assignment 4's checks: data preprocessing (``preprocessing.ipynb``).

Graded functions and their conventions:

- ``standardize(X_train, X_other, eps=1e-8) -> (train_out, other_out)``:
  each feature centred and scaled with the mean and the (biased, ddof=0)
  standard deviation of ``X_train`` only, applied to both arrays.  A feature
  that is constant in ``X_train`` must not give NaN or inf: dividing by
  ``std + eps`` (the notebook's form), by ``sqrt(var + eps)`` or by a std
  replaced with 1 where it is 0 all pass.
- ``pca(X, num_components) -> (mean, components, variances)``: the mean
  ``(D,)``, the top principal directions as orthonormal ROWS ``(k, D)``
  sorted by decreasing variance, and their variances ``(k,)``, the
  eigenvalues of the covariance ``X_c.T @ X_c / N``.  The sign of each
  component is arbitrary: a row is compared with the reference after
  flipping it to the reference's side.  Eigh of the covariance, an SVD of
  the centred data and ``np.cov(..., bias=True)`` all pass.
- ``pca_transform(X, mean, components) -> (N, k)``: the coordinates of the
  centred data along the components.
- ``whiten(X, mean, components, variances, eps=1e-5) -> (N, k)``: each
  coordinate divided by ``sqrt(variance + eps)``.

Expected values come from the assignment's stored reference (``deep_nets``),
made by the solution notebook on inputs generated from each case's seed.
A hint compares a wrong answer with counterfactuals stored there (the
solution run on changed inputs: the statistics of the other set, of both
sets, of each example; uncentred data; the full spectrum; a changed eps) or
with a wrong formula applied to the solution's numbers (N - 1 instead of N,
singular values instead of variances).  Every check also fails a function
that changes its input arrays (``_core.inputs_kept``).

Tolerances (float64), and why:

- ``standardize``: ``rtol=1e-6, atol=1e-8``.  The non-constant features of
  the cases have a standard deviation of at least about 0.3 and eps is at
  most 1e-8, so the accepted ways to guard against a zero std move a value
  by at most ``eps / std < 1e-7`` relative; a std with ``ddof=1`` is off by
  ``1 - sqrt((N-1)/N) > 1e-3`` for the N <= 300 of the cases.  Constant
  features are exactly representable (0, 3, -1), so their centred values
  are exactly 0 in every accepted form.
- ``pca``: the mean ``rtol=1e-9, atol=1e-12``; the variances ``rtol=1e-7``
  and ``atol=1e-12`` times the largest one; the components (unit rows)
  ``atol=1e-7``.  The cases' data have a sample covariance with exactly the
  chosen spectrum, whose eigenvalues are at least 30% apart and at least
  about 1e-5 times the largest when all are compared (D <= 8), so eigh and
  the SVD agree to about 1e-9 and the eigenvectors are well determined;
  ``ddof=1`` changes the variances by ``1/(N-1) > 1e-3``.
- ``pca_transform`` and ``whiten``: ``rtol=1e-7, atol=1e-9`` (a product and
  a division, in any order of operations).
"""
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (CheckFailure, array, call, case_inputs, close, fail, first_hint,
                    inputs_kept, passed, select_cases, worst_index)

__all__ = ["check_standardize", "check_pca", "check_pca_transform", "check_whiten"]

NOTEBOOK = "preprocessing.ipynb"
KINDS = ("standardize", "pca", "pca_transform", "whiten")
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}

STANDARDIZE_TOL = dict(rtol=1e-6, atol=1e-8)
MEAN_TOL = dict(rtol=1e-9, atol=1e-12)
VAR_RTOL = 1e-7
COMPONENT_TOL = dict(rtol=0.0, atol=1e-7)
OUT_TOL = dict(rtol=1e-7, atol=1e-9)
WHITEN_EPS = 1e-5      # whiten's documented default
CONSTANTS = (0.0, 3.0, -1.0)   # values of the constant features: exact means


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class StandardizeCase:
    name: str
    seed: int
    N_train: int
    N_other: int
    D: int
    constant: int = 0       # how many features are constant (in both sets)
    eps: float = None       # None: called without eps (its default)

    def __post_init__(self):
        if not 2 <= self.N_train <= 300 or not 1 <= self.N_other <= 300:
            raise ValueError(f"StandardizeCase {self.name!r}: N_train must be in [2, 300] "
                             f"and N_other in [1, 300], got {self.N_train}, {self.N_other}")
        if not 0 <= self.constant < self.D:
            raise ValueError(f"StandardizeCase {self.name!r}: constant must be in "
                             f"[0, D), got {self.constant}")


@dataclass(frozen=True)
class PCACase:
    name: str
    seed: int
    N: int
    D: int
    k: int
    offset: float = 3.0     # scale of the data's mean (uncentred data is then far off)

    def __post_init__(self):
        if not (1 <= self.k <= self.D and self.N > self.D + 1):
            raise ValueError(f"PCACase {self.name!r}: need 1 <= k <= D and N > D + 1 "
                             f"(N={self.N}, D={self.D}, k={self.k})")


@dataclass(frozen=True)
class ProjectionCase:
    """A case of ``pca_transform`` and ``whiten``: given mean, components and
    variances (``tiny``: the last variance is 1e-7, or the last two 1e-7 and 0)."""
    name: str
    seed: int
    N: int
    D: int
    k: int
    tiny: int = 0
    eps: float = None       # whiten's eps; None: called without it

    def __post_init__(self):
        if not (1 <= self.k <= self.D and 0 <= self.tiny <= min(2, self.k)):
            raise ValueError(f"ProjectionCase {self.name!r}: need 1 <= k <= D and "
                             f"0 <= tiny <= min(2, k) (D={self.D}, k={self.k}, "
                             f"tiny={self.tiny})")


CASES = {
    "standardize": {
        "visible": [StandardizeCase("small", 1000, N_train=8, N_other=5, D=4),
                    StandardizeCase("constant_features", 1001, N_train=20, N_other=12, D=6,
                                    constant=2)],
        "hidden": [StandardizeCase("tall", 1010, N_train=200, N_other=60, D=3, constant=1),
                   StandardizeCase("one_other", 1011, N_train=15, N_other=1, D=7,
                                   constant=3, eps=1e-9),
                   StandardizeCase("wide", 1012, N_train=30, N_other=40, D=25, constant=5)],
    },
    "pca": {
        "visible": [PCACase("small", 2000, N=30, D=5, k=2),
                    PCACase("all_components", 2001, N=20, D=4, k=4)],
        "hidden": [PCACase("one_component", 2010, N=40, D=6, k=1),
                   PCACase("wide", 2011, N=80, D=12, k=5, offset=20.0),
                   PCACase("all_square", 2012, N=9, D=3, k=3, offset=0.5)],
    },
    "pca_transform": {
        "visible": [ProjectionCase("small", 3000, N=6, D=5, k=2),
                    ProjectionCase("all_components", 3001, N=4, D=3, k=3)],
        "hidden": [ProjectionCase("one_component", 3010, N=10, D=8, k=1),
                   ProjectionCase("single", 3011, N=1, D=6, k=4)],
    },
    "whiten": {
        "visible": [ProjectionCase("small", 4000, N=6, D=5, k=3, eps=1e-2),
                    ProjectionCase("tiny_variances", 4001, N=5, D=4, k=4, tiny=2)],
        "hidden": [ProjectionCase("explicit_eps", 4010, N=8, D=6, k=4, eps=0.1),
                   ProjectionCase("single", 4011, N=1, D=7, k=2),
                   ProjectionCase("tiny_and_eps", 4012, N=12, D=5, k=3, tiny=1, eps=1e-3)],
    },
}
CASE_TYPES = {"standardize": StandardizeCase, "pca": PCACase,
              "pca_transform": ProjectionCase, "whiten": ProjectionCase}


def _cases(kind, cases):
    t = CASE_TYPES[kind]
    return select_cases(CASES[kind], cases, lambda c: isinstance(c, t),
                        f"{t.__name__} (random_cases(rng)[{kind!r}])")


# ----------------------------------------------------------- inputs from seeds

def _orthonormal(rng, D, k):
    """k random orthonormal rows of length D."""
    q, r = np.linalg.qr(rng.standard_normal((D, k)))
    return (q * np.sign(np.diag(r))).T


def _standardize_inputs(case):
    rng = np.random.default_rng(case.seed)
    D = case.D
    scale = 10 ** rng.uniform(0.0, 1.0, D)         # per-feature std 1 .. 10
    loc = rng.uniform(-5.0, 5.0, D)
    X_train = loc + scale * rng.standard_normal((case.N_train, D))
    # The other set comes from another distribution (shifted, three times as
    # wide): statistics taken from it, or from both sets, are far off.
    X_other = loc + 2 * scale + 3 * scale * rng.standard_normal((case.N_other, D))
    for j, col in enumerate(rng.permutation(D)[:case.constant]):
        X_train[:, col] = X_other[:, col] = CONSTANTS[j % len(CONSTANTS)]
    inputs = {"in_X_train": X_train, "in_X_other": X_other}
    if case.eps is not None:
        inputs["in_eps"] = np.float64(case.eps)
    return inputs


def _spectrum(rng, D):
    """D variances, decreasing, each at most 0.7 times the one before."""
    ratios = rng.uniform(0.3, 0.7, D - 1)
    return 10 ** rng.uniform(-0.5, 1.0) * np.concatenate([[1.0], np.cumprod(ratios)])


def _pca_inputs(case):
    """Data whose covariance ``X_c.T @ X_c / N`` is exactly ``Q diag(s) Q.T``."""
    rng = np.random.default_rng(case.seed)
    N, D = case.N, case.D
    # Columns orthonormal to each other and to the column of ones (so of mean
    # 0): scaled by sqrt(N), their covariance is exactly the identity.
    Q_z, _ = np.linalg.qr(np.hstack([np.ones((N, 1)), rng.standard_normal((N, D))]))
    Z = np.sqrt(N) * Q_z[:, 1:]
    basis = _orthonormal(rng, D, D)
    X = case.offset * rng.standard_normal(D) + (Z * np.sqrt(_spectrum(rng, D))) @ basis
    return {"in_X": X, "in_k": np.int64(case.k)}


def _projection_inputs(case):
    rng = np.random.default_rng(case.seed)
    mean = 2.0 * rng.standard_normal(case.D)
    components = _orthonormal(rng, case.D, case.k)
    variances = np.sort(10 ** rng.uniform(-1.0, 1.0, case.k))[::-1]
    if case.tiny:
        variances[-case.tiny:] = (1e-7, 0.0)[:case.tiny]
    X = mean + (rng.standard_normal((case.N, case.k)) * np.sqrt(variances)) @ components \
        + 0.1 * rng.standard_normal((case.N, case.D))
    inputs = {"in_X": X, "in_mean": mean, "in_components": components,
              "in_variances": variances}
    if case.eps is not None:
        inputs["in_eps"] = np.float64(case.eps)
    return inputs


INPUTS = {"standardize": _standardize_inputs, "pca": _pca_inputs,
          "pca_transform": _projection_inputs, "whiten": _projection_inputs}


def _eps_kw(inputs):
    return {"eps": float(inputs["in_eps"])} if "in_eps" in inputs else {}


# ------------------------------------------------------------------ reference

def _c(*arrays):
    return [np.array(a) for a in arrays]


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is
        skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<kind>/<case>/in_*``),
    the solution's outputs, and counterfactuals (``cf_*``: the solution's
    outputs on changed inputs, for the hints).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    fn = solutions.get("standardize")
    for case in cases.get("standardize", ()) if fn else ():
        inputs = _standardize_inputs(case)
        Xt, Xo, kw = inputs["in_X_train"], inputs["in_X_other"], _eps_kw(inputs)
        p = f"standardize/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        ref[p + "train_out"], ref[p + "other_out"] = map(np.asarray, fn(*_c(Xt, Xo), **kw))
        # The other set's statistics, both sets' together, each set's own,
        # each example's own (the transposed problem), one for the whole array.
        ref[p + "cf_other_stats/other_out"], ref[p + "cf_other_stats/train_out"] = \
            map(np.asarray, fn(*_c(Xo, Xt), **kw))
        pooled = np.vstack([Xt, Xo])
        ref[p + "cf_pooled/train_out"] = np.asarray(fn(*_c(pooled, Xt), **kw)[1])
        ref[p + "cf_pooled/other_out"] = np.asarray(fn(*_c(pooled, Xo), **kw)[1])
        ref[p + "cf_own_stats/other_out"] = np.asarray(fn(*_c(Xo, Xo), **kw)[0])
        ref[p + "cf_per_example/train_out"] = np.asarray(fn(*_c(Xt.T, Xt.T), **kw)[0]).T
        ref[p + "cf_per_example/other_out"] = np.asarray(fn(*_c(Xo.T, Xo.T), **kw)[0]).T
        flat = fn(*_c(Xt.reshape(-1, 1), Xo.reshape(-1, 1)), **kw)
        ref[p + "cf_global/train_out"] = np.asarray(flat[0]).reshape(Xt.shape)
        ref[p + "cf_global/other_out"] = np.asarray(flat[1]).reshape(Xo.shape)
    fn = solutions.get("pca")
    for case in cases.get("pca", ()) if fn else ():
        inputs = _pca_inputs(case)
        X, k = inputs["in_X"], int(inputs["in_k"])
        p = f"pca/{case.name}/"
        ref.update({p + k_: v for k_, v in inputs.items()})
        for prefix, data, num in (("", X, k), ("cf_all/", X, X.shape[1]),
                                  # [X; -X] has mean 0 and covariance X.T @ X / N:
                                  # the spectrum of the uncentred data.
                                  ("cf_uncentred/", np.vstack([X, -X]), k)):
            mean, components, variances = fn(np.array(data), num)
            ref[p + prefix + "mean"] = np.asarray(mean)
            ref[p + prefix + "components"] = np.asarray(components)
            ref[p + prefix + "variances"] = np.asarray(variances)
    fn = solutions.get("pca_transform")
    for case in cases.get("pca_transform", ()) if fn else ():
        inputs = _projection_inputs(case)
        p = f"pca_transform/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        X, mean, C = inputs["in_X"], inputs["in_mean"], inputs["in_components"]
        ref[p + "out"] = np.asarray(fn(*_c(X, mean, C)))
        ref[p + "cf_no_centring/out"] = np.asarray(fn(*_c(X, np.zeros_like(mean), C)))
        ref[p + "cf_mean_added/out"] = np.asarray(fn(*_c(X, -mean, C)))
    fn = solutions.get("whiten")
    for case in cases.get("whiten", ()) if fn else ():
        inputs = _projection_inputs(case)
        p = f"whiten/{case.name}/"
        ref.update({p + k: v for k, v in inputs.items()})
        X, mean, C = inputs["in_X"], inputs["in_mean"], inputs["in_components"]
        v, kw = inputs["in_variances"], _eps_kw(inputs)
        eps = kw.get("eps", WHITEN_EPS)
        ref[p + "out"] = np.asarray(fn(*_c(X, mean, C, v), **kw))
        # Variances v' chosen so that the right formula with v' is a bug's
        # formula with v: sqrt(v' + eps) = v + eps, resp. sqrt(v) + eps.
        changed = {"cf_variance/out": ((X, mean, C, (v + eps) ** 2 - eps), kw),
                   "cf_eps_outside/out": ((X, mean, C, (np.sqrt(v) + eps) ** 2 - eps), kw),
                   "cf_no_eps/out": ((X, mean, C, v), {"eps": 0.0}),
                   "cf_default_eps/out": ((X, mean, C, v), {}),
                   "cf_no_centring/out": ((X, np.zeros_like(mean), C, v), kw)}
        with np.errstate(all="ignore"):
            for key, (args, kwargs) in changed.items():
                ref[p + key] = np.asarray(fn(*_c(*args), **kwargs), dtype=np.float64)
    return ref


# ------------------------------------------------------------------- helpers

def _name(fn, default):
    return getattr(fn, "__name__", default)


def _array(value, shape, name, what):
    value = array(value, shape, name, what)
    if value.dtype.kind not in "biuf":
        fail(name, f"{what} should hold numbers, got an array of dtype {value.dtype}")
    return value


def _tuple(result, n, name, what):
    if not isinstance(result, tuple) or len(result) != n:
        fail(name, f"should return a tuple {what}, got {type(result).__name__}"
             + (f" of length {len(result)}" if isinstance(result, tuple) else ""))
    return result


def _finite(out, name, what, label, hint):
    if not np.all(np.isfinite(out)):
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(out))[0])
        fail(name, f"{what} is not finite on {label}", f"{what}{list(i)} = {float(out[i])}",
             "hint: " + hint)


def _compare(name, what, out, want, *, label, hints, tol):
    if not close(out, want, **tol):
        i, got, exp = worst_index(out, want)
        hint = first_hint(out, [(v, m) for v, m in hints
                                if np.shape(v) == want.shape and not close(v, want, **tol)],
                          **tol)
        fail(name, f"{what} is wrong on {label}",
             f"largest difference at {what}{list(i)}: yours {got:.8g}, expected {exp:.8g}",
             "hint: " + hint if hint else "")


def _grade(g, fns, *, cases, reference):
    CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


# ---------------------------------------------------------------- standardize

def _standardize_hints(ref, p, part, N):
    hints = [
        (ref[p + f"cf_other_stats/{part}"],
         "the statistics come from X_other: take the mean and std of X_train only, and "
         "apply them to both sets"),
        (ref[p + f"cf_pooled/{part}"],
         "the statistics come from X_train and X_other together: the other set's data "
         "leaks into the preprocessing; use X_train's statistics only"),
        (ref[p + f"cf_per_example/{part}"],
         "each example (row) is centred and scaled by its own mean and std: the "
         "statistics are per feature, over the examples (axis 0)"),
        (ref[p + f"cf_global/{part}"],
         "one mean and one std for the whole array: each feature (column) has its own, "
         "taken over the examples (axis 0)"),
        (ref[p + part] * np.sqrt((N - 1) / N),
         "the std is the unbiased one (ddof=1): the course uses the biased std (ddof=0, "
         "np.std's default), like batch normalisation"),
    ]
    if p + f"cf_own_stats/{part}" in ref:
        hints.insert(0, (ref[p + f"cf_own_stats/{part}"],
                         "X_other is standardised with its own mean and std: apply the "
                         "training set's statistics to it"))
    return hints


def _constant_hint(X_train):
    const = np.flatnonzero(np.ptp(X_train, axis=0) == 0)
    where = (f" (here feature{'s' if len(const) > 1 else ''} "
             f"{', '.join(map(str, const[:5]))} of X_train "
             f"{'are' if len(const) > 1 else 'is'} constant)" if len(const) else "")
    return (f"a feature with zero variance gives 0 / 0{where}: divide by std + eps "
            f"(the documented eps), so that a constant feature comes out as 0")


def check_standardize(standardize, *, cases="visible", reference):
    """Check ``standardize(X_train, X_other, eps=1e-8) -> (train_out, other_out)``.

    Parameters
    ----------
    standardize : callable
    cases : {"visible", "hidden"} or list of StandardizeCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(standardize, "standardize")
    cases, label_set = _cases("standardize", cases)
    count = 0
    for case in cases:
        p = f"standardize/{case.name}/"
        inputs = case_inputs(reference, "standardize", case.name)
        Xt, Xo = inputs["in_X_train"], inputs["in_X_other"]
        given = {"X_train": Xt.copy(), "X_other": Xo.copy()}
        label = (f"test case '{case.name}' (X_train {Xt.shape}, X_other {Xo.shape}"
                 + (f", eps={float(inputs['in_eps']):g}" if "in_eps" in inputs else "") + ")")
        with inputs_kept(name, given, who="a preprocessing function", where=label):
            result = _tuple(call(standardize, name, given["X_train"], given["X_other"],
                                 **_eps_kw(inputs)), 2, name, "(train_out, other_out)")
            for part, X, out in (("train_out", Xt, result[0]), ("other_out", Xo, result[1])):
                out = _array(out, X.shape, name, part)
                _finite(out, name, part, label, _constant_hint(Xt))
                _compare(name, part, out, reference[p + part], label=label,
                         hints=_standardize_hints(reference, p, part, Xt.shape[0]),
                         tol=STANDARDIZE_TOL)
                count += 2
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------------------ pca

def _signs(got, want):
    """+1 or -1 per row: the sign that turns each row of ``got`` towards ``want``'s."""
    dots = np.sum(got * want, axis=1)
    return np.where(dots < 0, -1.0, 1.0)[:, None]


def _same_up_to_sign(got, want):
    return got.shape == want.shape and close(got * _signs(got, want), want, **COMPONENT_TOL)


def check_pca(pca, *, cases="visible", reference):
    """Check ``pca(X, num_components) -> (mean, components, variances)``.

    Each component may come with either sign.

    Parameters
    ----------
    pca : callable
    cases : {"visible", "hidden"} or list of PCACase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(pca, "pca")
    cases, label_set = _cases("pca", cases)
    count = 0
    for case in cases:
        p = f"pca/{case.name}/"
        inputs = case_inputs(reference, "pca", case.name)
        X, k = inputs["in_X"], int(inputs["in_k"])
        N, D = X.shape
        label = f"test case '{case.name}' (X {X.shape}, num_components={k})"
        given = {"X": X.copy()}
        with inputs_kept(name, given, who="a preprocessing function", where=label):
            result = _tuple(call(pca, name, given["X"], k), 3, name,
                            "(mean, components, variances)")
            mean = _array(result[0], (D,), name, "mean")
            comps = result[1]
            if isinstance(comps, np.ndarray) and comps.shape == (k, N) and N != D:
                fail(name, f"components has shape {comps.shape}, expected (k, D) = {(k, D)} "
                           f"on {label}",
                     "hint: each component has one entry per feature: the covariance is "
                     "X_c.T @ X_c / N, a (D, D) matrix, not X_c @ X_c.T (N, N)")
            comps = _array(comps, (k, D), name, "components")
            var = _array(result[2], (k,), name, "variances")
            for what, out in (("mean", mean), ("components", comps), ("variances", var)):
                _finite(out, name, what, label, "look for a division by zero")
            count += 4
            _compare(name, "mean", mean, reference[p + "mean"], label=label, hints=[],
                     tol=MEAN_TOL)
            count += 1
            _check_orthonormal(comps, name, label)
            count += 1
            _check_variances(var, reference, p, N, name, label=label)
            count += 1
            _check_components(comps, reference, p, name, label)
            count += 1
    passed(name, count, f" ({label_set} cases)")


def _check_orthonormal(comps, name, label):
    norms = np.linalg.norm(comps, axis=1)
    if not np.allclose(norms, 1.0, rtol=0, atol=1e-7):
        i = int(np.argmax(np.abs(norms - 1.0)))
        fail(name, f"the components are not unit vectors on {label}",
             f"row {i} of components has length {norms[i]:.8g}, expected 1",
             "hint: each principal direction is a unit vector (the eigenvectors of "
             "np.linalg.eigh and the rows of Vt of np.linalg.svd already are); the length "
             "of the data along it is its variance, returned separately")
    gram = comps @ comps.T
    off = np.abs(gram - np.eye(len(comps)))
    if off.max() > 1e-7:
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        fail(name, f"the components are not orthogonal on {label}",
             f"rows {i} and {j} of components have dot product {gram[i, j]:.3g}",
             "hint: the eigenvectors of a symmetric matrix are orthogonal: take them from "
             "np.linalg.eigh (not np.linalg.eig) of the covariance, or from the SVD")


def _check_variances(var, ref, p, N, name, *, label):
    want = ref[p + "variances"]
    tol = dict(rtol=VAR_RTOL, atol=1e-12 * float(want.max()))
    if close(var, want, **tol):
        return
    full = ref[p + "cf_all/variances"]      # every variance, largest first
    k = len(want)
    ascending = ("the variances are in ascending order: np.linalg.eigh returns the "
                 "eigenvalues from the smallest up; sort them (and the eigenvectors with "
                 "them) in decreasing order and keep the first num_components")
    hints = [(full[::-1][:k], ascending), (full[:k][::-1], ascending),
             (want * N / (N - 1), "the covariance is divided by N - 1 (np.cov's default): "
                                  "the notes divide by N (np.cov(..., bias=True))"),
             (np.sqrt(N * want), "these are the singular values s of the centred data: "
                                 "the variances are s**2 / N"),
             (N * want, "these are the squared singular values s**2 of the centred data: "
                        "the variances are s**2 / N"),
             (ref[p + "cf_uncentred/variances"],
              "these are the eigenvalues of X.T @ X / N: centre the data (subtract the "
              "mean of each feature) before computing the covariance")]
    _compare(name, "variances", var, want, label=label, hints=hints, tol=tol)


def _check_components(comps, ref, p, name, label):
    want = ref[p + "components"]
    if _same_up_to_sign(comps, want):
        return
    full = ref[p + "cf_all/components"]
    k = len(want)
    hints = [(full[::-1][:k], "these are the directions of the smallest variances: "
                              "np.linalg.eigh sorts the eigenvalues in ascending order"),
             (full[:k][::-1], "the components are in ascending order of variance: the "
                              "first row must be the direction of the largest variance"),
             (ref[p + "cf_uncentred/components"],
              "these are the eigenvectors of X.T @ X / N: centre the data (subtract the mean "
              "of each feature) before computing the covariance")]
    if comps.shape[0] == comps.shape[1]:
        hints.insert(0, (full.T[:k], "the eigenvectors are the COLUMNS of np.linalg.eigh's "
                                     "matrix: the components are its columns, returned as "
                                     "rows (transpose)"))
        hints.insert(1, (full[::-1].T[:k], "the eigenvectors are the COLUMNS of "
                                           "np.linalg.eigh's matrix (transpose it), and its "
                                           "eigenvalues are in ascending order"))
    hint = next((m for v, m in hints if v.shape == comps.shape
                 and not _same_up_to_sign(v, want) and _same_up_to_sign(comps, v)), "")
    aligned = comps * _signs(comps, want)
    i, got, exp = worst_index(aligned, want)
    fail(name, f"components is wrong on {label}",
         f"largest difference at components{list(i)} (each row's sign is free and was "
         f"matched to the expected one): yours {got:.8g}, expected {exp:.8g}",
         "hint: " + hint if hint else "")


# ----------------------------------------------------- projection and whitening

def _projection_label(case, inputs):
    eps = f", eps={float(inputs['in_eps']):g}" if "in_eps" in inputs else ""
    return (f"test case '{case.name}' (X {inputs['in_X'].shape}, components "
            f"{inputs['in_components'].shape}{eps})")


def check_pca_transform(pca_transform, *, cases="visible", reference):
    """Check ``pca_transform(X, mean, components) -> (N, k)``.

    Parameters
    ----------
    pca_transform : callable
    cases : {"visible", "hidden"} or list of ProjectionCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(pca_transform, "pca_transform")
    cases, label_set = _cases("pca_transform", cases)
    count = 0
    for case in cases:
        p = f"pca_transform/{case.name}/"
        inputs = case_inputs(reference, "pca_transform", case.name)
        given = {k: inputs["in_" + k].copy() for k in ("X", "mean", "components")}
        label = _projection_label(case, inputs)
        N, k = inputs["in_X"].shape[0], inputs["in_components"].shape[0]
        with inputs_kept(name, given, who="a preprocessing function", where=label):
            out = _array(call(pca_transform, name, given["X"], given["mean"],
                              given["components"]), (N, k), name, "the output")
            hints = [(reference[p + "cf_no_centring/out"],
                      "the data is not centred: subtract the mean before projecting"),
                     (reference[p + "cf_mean_added/out"],
                      "the mean is added: subtract it")]
            _compare(name, "out", out, reference[p + "out"], label=label, hints=hints,
                     tol=OUT_TOL)
            count += 2
    passed(name, count, f" ({label_set} cases)")


def check_whiten(whiten, *, cases="visible", reference):
    """Check ``whiten(X, mean, components, variances, eps=1e-5) -> (N, k)``.

    A failure of a ``whiten`` that calls the student's ``pca_transform`` says
    so when that ``pca_transform`` fails its own check.

    Parameters
    ----------
    whiten : callable
    cases : {"visible", "hidden"} or list of ProjectionCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    try:
        _check_whiten(whiten, cases=cases, reference=reference)
    except CheckFailure as e:
        note = _core.broken_functions(whiten, {"pca_transform": lambda g: check_pca_transform(
            g["pca_transform"], reference=reference)})
        if not note:
            raise
        raise CheckFailure(f"{e}\n  {note}") from None


def _check_whiten(whiten, *, cases, reference):
    name = _name(whiten, "whiten")
    cases, label_set = _cases("whiten", cases)
    count = 0
    for case in cases:
        p = f"whiten/{case.name}/"
        inputs = case_inputs(reference, "whiten", case.name)
        given = {k: inputs["in_" + k].copy() for k in ("X", "mean", "components", "variances")}
        label = _projection_label(case, inputs)
        N, k = inputs["in_X"].shape[0], inputs["in_components"].shape[0]
        eps = float(inputs["in_eps"]) if "in_eps" in inputs else WHITEN_EPS
        with inputs_kept(name, given, who="a preprocessing function", where=label):
            out = _array(call(whiten, name, given["X"], given["mean"], given["components"],
                              given["variances"], **_eps_kw(inputs)),
                         (N, k), name, "the output")
            zero = np.flatnonzero(inputs["in_variances"] == 0)
            _finite(out, name, "out", label,
                    f"variance {int(zero[0])} is 0: add eps to the variances before the "
                    f"square root, sqrt(variances + eps)" if len(zero)
                    else "look for a division by zero")
            ref = reference
            hints = [(ref[p + "cf_variance/out"],
                      "the coordinates are divided by the variance + eps: whitening divides "
                      "by its square root, the standard deviation"),
                     (ref[p + "cf_eps_outside/out"],
                      "eps is added to the standard deviation: add it to the variances, "
                      "inside the square root"),
                     (ref[p + "cf_no_eps/out"],
                      "eps is missing: divide by sqrt(variances + eps)"),
                     (ref[p + "cf_default_eps/out"],
                      f"your output is the one for the default eps {WHITEN_EPS:g}: use the "
                      f"eps you are given ({eps:g})"),
                     (ref[p + "cf_no_centring/out"],
                      "the data is not centred: subtract the mean before projecting")]
            _compare(name, "out", out, ref[p + "out"], label=label, hints=hints, tol=OUT_TOL)
            count += 2
    passed(name, count, f" ({label_set} cases)")


CHECKS = {"standardize": check_standardize, "pca": check_pca,
          "pca_transform": check_pca_transform, "whiten": check_whiten}

GRADED = [_core.Graded(kind, NOTEBOOK, "test_" + kind, kind, run=_grade) for kind in KINDS]


# ------------------------------------------------------------ for the grader

def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases."""
    def seed():
        return int(rng.integers(2**31))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    D = n(3, 12)
    cases = {"standardize": [
        StandardizeCase("unseen", seed(), N_train=n(5, 60), N_other=n(1, 40), D=D,
                        constant=n(1, D - 1)),
        StandardizeCase("unseen_eps", seed(), N_train=n(20, 200), N_other=n(2, 30),
                        D=n(2, 20), constant=1, eps=float(10 ** rng.uniform(-10, -8)))]}
    D, D2 = n(2, 10), n(3, 8)
    cases["pca"] = [PCACase("unseen", seed(), N=n(D + 5, 80), D=D, k=n(1, D)),
                    PCACase("unseen_all", seed(), N=n(D2 + 5, 60), D=D2, k=D2,
                            offset=float(rng.uniform(1, 20)))]
    D = n(2, 10)
    cases["pca_transform"] = [ProjectionCase("unseen", seed(), N=n(1, 15), D=D, k=n(1, D))]
    D, D2 = n(3, 10), n(2, 10)
    cases["whiten"] = [ProjectionCase("unseen_tiny", seed(), N=n(2, 15), D=D, k=n(2, D),
                                      tiny=2),
                       ProjectionCase("unseen_eps", seed(), N=n(1, 15), D=D2, k=n(1, D2),
                                      eps=float(10 ** rng.uniform(-3, -1)))]
    return cases
