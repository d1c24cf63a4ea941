"""Checks of Assignment 1 (``a1_linear``): SVM and softmax losses, penalties,
soft-thresholding (the proximal step of L1), the minibatch linear classifier.

Losses are compared with reference values computed by the instructor's
solution (``reference/a1_linear.npz``) on fixed inputs; a mismatch is matched
against the common bugs of the catalogue to give a hint, and a wrong gradient
is also compared with a centred-difference gradient of the student's own loss.

Tolerances: float64 inputs must match to ``rtol=1e-7`` (loss) and ``1e-6``
(gradient); float32 inputs to ``rtol=1e-4, atol=1e-5``.
"""
from dataclasses import dataclass

import numpy as np

from ..gradient_check import numeric_grad
from ..contract import Assignment
from . import _core, _training
from ._core import (CheckFailure, array, call, case_inputs, check_kind, close, expect_value,
                    fail, finite_loss, first_hint, float32_tolerance, inputs_kept, passed,
                    scalar, select_cases, worst_index)
from ._core import reference as stored_reference

__all__ = ["check_svm_loss", "check_softmax_loss", "check_penalty", "check_soft_threshold",
           "check_linear_classifier", "check_at_least", "GRADED", "RECOMPUTED",
           "random_cases", "ASSIGNMENT"]

AID = "a1_linear"
LOSS_TOL = dict(rtol=1e-7, atol=1e-10)
GRAD_TOL = dict(rtol=1e-6, atol=1e-9)


@dataclass(frozen=True)
class LossCase:
    name: str
    seed: int
    N: int
    D: int
    C: int
    reg: float
    offset: float = 0.0         # added to every score (through a bias column)
    rows_apart: bool = False    # rows at 0, offset, 2 * offset: a global max-shift fails
    y_dtype: str = "int64"
    float32: bool = False       # also check float32 inputs on this case


@dataclass(frozen=True)
class PenaltyCase:
    name: str
    seed: int
    shape: tuple
    reg: float
    l1_ratio: float
    zeros: bool = False         # put exact zeros in W (the L1 kink)


@dataclass(frozen=True)
class ThresholdCase:
    name: str
    seed: int
    shape: tuple
    threshold: float
    ties: bool = False          # 0, +-threshold and points on both sides of them in W


LOSS_CASES = {
    "visible": [
        LossCase("small", 0, N=5, D=4, C=3, reg=0.0),
        LossCase("regularised", 1, N=8, D=6, C=4, reg=0.5, float32=True),
        LossCase("large_scores", 2, N=6, D=5, C=4, reg=0.0, offset=1000.0),
        LossCase("rows_apart", 3, N=6, D=4, C=3, reg=0.0, offset=1000.0, rows_apart=True),
    ],
    "hidden": [
        LossCase("single_example", 10, N=1, D=3, C=2, reg=0.1),
        LossCase("wide", 11, N=40, D=30, C=10, reg=2.0, y_dtype="int32"),
        LossCase("strong_reg", 12, N=20, D=7, C=5, reg=50.0),
        LossCase("huge_scores", 13, N=9, D=4, C=6, reg=0.0, offset=3e4),
        LossCase("rows_far_apart", 14, N=12, D=5, C=4, reg=0.0, offset=5000.0,
                 rows_apart=True),
    ],
}

PENALTY_CASES = {
    "visible": [PenaltyCase("small", 20, (4, 3), reg=0.7, l1_ratio=0.3)],
    "hidden": [
        PenaltyCase("with_zeros", 21, (6, 5), reg=3.0, l1_ratio=0.8, zeros=True),
        PenaltyCase("single", 22, (1, 1), reg=0.01, l1_ratio=0.5),
    ],
}

THRESHOLD_CASES = {
    "visible": [ThresholdCase("small", 30, (4, 5), threshold=0.5)],
    "hidden": [
        ThresholdCase("ties", 31, (6, 4), threshold=0.3, ties=True),
        ThresholdCase("zero_threshold", 32, (3, 3), threshold=0.0),
        ThresholdCase("large_threshold", 33, (2, 7), threshold=10.0),
        ThresholdCase("single", 34, (1, 1), threshold=0.2),
    ],
}

PENALTY_KINDS = ("l2", "l1", "elastic_net")

# The solution functions that produce the reference values: kind -> (notebook, name).
SOLUTIONS = {
    "svm": ("svm.ipynb", "svm_loss_vectorized"),
    "softmax": ("softmax.ipynb", "softmax_loss_vectorized"),
    "l2": ("svm.ipynb", "l2_penalty"),
    "l1": ("svm.ipynb", "l1_penalty"),
    "elastic_net": ("svm.ipynb", "elastic_net_penalty"),
    "soft_threshold": ("svm.ipynb", "soft_threshold"),
}


def _cases(table, cases):
    kind = type(table["visible"][0])
    return select_cases(table, cases, lambda c: isinstance(c, kind), kind.__name__)


def _loss_inputs(case):
    rng = np.random.default_rng(case.seed)
    W = 0.5 * rng.standard_normal((case.D, case.C))
    X = rng.standard_normal((case.N, case.D))
    y = rng.integers(case.C, size=case.N).astype(case.y_dtype)
    if case.offset:
        # Scores near `offset` with moderate differences: exp overflows
        # unless the scores are shifted first.  Rows apart: the rows' scores
        # sit near 0, offset and 2 * offset, so one global maximum leaves
        # every exp of the lower rows at 0.
        X[:, -1] = np.arange(case.N) % 3 if case.rows_apart else 1.0
        W[-1] += case.offset
    return W, X, y


def _penalty_inputs(case):
    rng = np.random.default_rng(case.seed)
    W = rng.standard_normal(case.shape)
    if case.zeros:
        W[rng.random(case.shape) < 0.3] = 0.0
    return W


def _threshold_inputs(case):
    rng = np.random.default_rng(case.seed)
    W = rng.standard_normal(case.shape)
    if case.ties:
        # The kink of |w|, both ends of the dead zone [-t, t], a point inside
        # it and one beyond it on each side: every common bug differs here.
        t = case.threshold
        flat, ties = W.reshape(-1), (0.0, t, -t, t / 2, -t / 2, t + 1, -(t + 1))
        flat[:len(ties)] = ties[:flat.size]
    return W


def _penalty_args(kind, W, reg, l1_ratio):
    return (W, reg, l1_ratio) if kind == "elastic_net" else (W, reg)


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable, for the kinds in ``SOLUTIONS`` that the cases need.
    cases : dict, optional
        The cases to compute (``random_cases``); by default the visible and
        hidden ones.

    Returns
    -------
    dict of str -> ndarray, to be saved with ``np.savez``.
    """
    if cases is None:
        cases = {key: table["visible"] + table["hidden"] for key, table in
                 (("loss", LOSS_CASES), ("penalty", PENALTY_CASES),
                  ("threshold", THRESHOLD_CASES))}
    loss_cases, penalty_cases = cases["loss"], cases["penalty"]
    ref = {}
    for kind in ("svm", "softmax"):
        fn = solutions.get(kind)
        for case in loss_cases if fn else ():
            W, X, y = _loss_inputs(case)
            loss, dW = fn(W.copy(), X.copy(), y.copy(), case.reg)
            loss0, dW0 = fn(W.copy(), X.copy(), y.copy(), 0.0)
            p = f"{kind}/{case.name}/"
            ref.update({p + "in_W": W, p + "in_X": X, p + "in_y": y,
                        p + "in_reg": np.float64(case.reg),
                        p + "loss": np.float64(loss), p + "dW": np.asarray(dW),
                        p + "data_loss": np.float64(loss0), p + "data_dW": np.asarray(dW0)})
    for kind in PENALTY_KINDS:
        fn = solutions.get(kind)
        for case in penalty_cases if fn else ():
            W = _penalty_inputs(case)
            value, dW = fn(*_penalty_args(kind, W.copy(), case.reg, case.l1_ratio))
            p = f"{kind}/{case.name}/"
            ref.update({p + "in_W": W, p + "in_reg": np.float64(case.reg),
                        p + "in_l1_ratio": np.float64(case.l1_ratio),
                        p + "penalty": np.float64(value), p + "dW": np.asarray(dW)})
    fn = solutions.get("soft_threshold")
    for case in cases.get("threshold", ()) if fn else ():
        W = _threshold_inputs(case)
        p = f"soft_threshold/{case.name}/"
        ref.update({p + "in_W": W, p + "in_threshold": np.float64(case.threshold),
                    p + "out": np.asarray(fn(W.copy(), case.threshold))})
    return ref


# --------------------------------------------------------------------- losses

def check_svm_loss(fn, *, cases="visible", reference=None):
    """Check ``fn(W, X, y, reg) -> (loss, dW)``, the multiclass SVM loss.

    Parameters
    ----------
    fn : callable
        ``svm_loss_naive`` or ``svm_loss_vectorized``.
    cases : {"visible", "hidden"} or list of LossCase
    reference : dict, optional
        Reference arrays for a list of cases (``make_reference``); the stored
        ones by default.
    """
    _check_loss(fn, "svm", cases, reference)


def check_softmax_loss(fn, *, cases="visible", reference=None):
    """Check ``fn(W, X, y, reg) -> (loss, dW)``, the softmax (cross-entropy) loss.

    Parameters
    ----------
    fn : callable
        ``softmax_loss_naive`` or ``softmax_loss_vectorized``.
    cases : {"visible", "hidden"} or list of LossCase
    reference : dict, optional
        As for ``check_svm_loss``.
    """
    _check_loss(fn, "softmax", cases, reference)


def _loss_hints(kind, case, W, L0, G0):
    """(value, message) pairs of the common bugs, for the loss and for dW."""
    N, reg = case.N, case.reg
    R = 0.5 * reg * float(np.sum(W * W))
    RW = reg * W
    loss = [
        (L0 + N * R, "the regularisation is added once per example (inside the loop "
                     "over i): add 0.5 * reg * np.sum(W * W) once, after averaging"),
        (L0 + 2 * R, "the course's regularisation is 0.5 * reg * np.sum(W * W); "
                     "you have reg * np.sum(W * W)"),
        (L0, "the regularisation term 0.5 * reg * np.sum(W * W) is missing from the loss"),
        (N * L0 + R, "the data loss is summed over the examples: divide it by N "
                     "(the loss is the mean over examples)"),
        (N * (L0 + R), "the loss is summed over the examples: divide the data loss by N "
                       "and add the regularisation once"),
    ]
    if kind == "svm":
        loss += [(L0 + 1 + R, "the margin sum includes the correct class j = y_i, which "
                              "adds max(0, 1) = 1 per example: skip j == y[i]"),
                 (L0 + 1, "the margin sum includes the correct class j = y_i, and the "
                          "regularisation term is missing")]
    else:
        loss += [(L0 / np.log(10) + R, "the loss uses log10: the course uses the natural "
                                       "logarithm np.log")]
    grad = [
        (G0 + N * RW, "the regularisation gradient is added once per example: add "
                      "reg * W once, after averaging"),
        (G0 + 2 * RW, "the gradient of 0.5 * reg * sum(W**2) is reg * W, not 2 * reg * W"),
        (G0 + 0.5 * RW, "the gradient of 0.5 * reg * sum(W**2) is reg * W, not 0.5 * reg * W"),
        (G0, "the regularisation gradient reg * W is missing from dW"),
        (N * G0 + RW, "dW is summed over the examples: divide the data gradient by N"),
        (N * (G0 + RW), "dW is summed over the examples: divide the data gradient by N"),
        (-(G0 + RW), "dW has the wrong sign: it is the gradient, not the step"),
        (-G0 + RW, "the data gradient has the wrong sign"),
    ]
    # A hint that coincides with the right answer (reg = 0, N = 1) would mislead.
    expected_loss, expected_grad = L0 + R, G0 + RW
    loss = [(v, m) for v, m in loss if not close(v, expected_loss, **LOSS_TOL)]
    grad = [(v, m) for v, m in grad if not close(v, expected_grad, **GRAD_TOL)]
    return loss, grad


NO_SHIFT_HINT = ("the scores here are near {offset:g} and exp overflows: subtract each row's "
                 "maximum score before np.exp (the max-shift)")
PER_ROW_HINT = ("your loss is right on each row alone but not on the batch, whose rows' scores "
                "sit about {offset:g} apart: one global maximum (scores - scores.max()) leaves "
                "exp = 0 for every class of the rows far below it (0 / 0 = nan, log 0 = -inf); "
                "subtract each row's own maximum, scores.max(axis=1, keepdims=True)")


def _shift_hint(fn, name, case, inputs, *, expected_loss, finite):
    """The hint for a softmax loss that is wrong on a case with large scores.

    On rows that sit far apart, a loss that is right on each row alone but
    not on the batch shifts by one global maximum; otherwise a loss that is
    not finite there does not shift at all.  Empty when neither applies.
    """
    if not case.offset:
        return ""
    if case.rows_apart and case.reg == 0:
        W, X, y = inputs["in_W"], inputs["in_X"], inputs["in_y"]
        try:
            # The mean of the rows' own losses is the batch's (reg = 0).
            rows = [_call_loss(fn, name, W.copy(), X[i:i + 1].copy(), y=y[i:i + 1].copy(),
                               reg=0.0)[0] for i in range(len(y))]
        except CheckFailure:
            rows = None
        if rows is not None and close(np.mean(rows), expected_loss, **LOSS_TOL):
            return PER_ROW_HINT.format(offset=case.offset)
    return "" if finite else NO_SHIFT_HINT.format(offset=case.offset)


def _check_loss(fn, kind, cases, ref):
    name = getattr(fn, "__name__", kind + " loss")
    cases, label_set = _cases(LOSS_CASES, cases)
    ref = stored_reference(AID) if ref is None else ref
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        inputs = case_inputs(ref, kind, case.name)
        W, X, y = inputs["in_W"], inputs["in_X"], inputs["in_y"]
        reg = float(inputs["in_reg"])
        label = f"test case '{case.name}' (N={case.N}, D={case.D}, C={case.C}, reg={reg:g})"
        expected_loss, expected_dW = float(ref[p + "loss"]), ref[p + "dW"]
        loss_hints, grad_hints = _loss_hints(kind, case, W, float(ref[p + "data_loss"]),
                                             ref[p + "data_dW"])
        with inputs_kept(name, {"W": W, "X": X, "y": y}, where=label):
            loss, dW = _call_loss(fn, name, W, X, y=y, reg=reg)
            count += 3
            shift = ""
            finite = bool(np.isfinite(loss) and np.all(np.isfinite(dW)))
            if kind == "softmax" and not (finite and close(loss, expected_loss, **LOSS_TOL)):
                shift = _shift_hint(fn, name, case, case_inputs(ref, kind, case.name),
                                    expected_loss=expected_loss, finite=finite)
            finite_loss(name, label, loss, dW, grad_name="dW", hint=shift)
            if shift:
                # The diagnosis holds for this value, whatever it is.
                loss_hints = [(loss, shift)]
            expect_value(name, "the loss", loss, expected_loss, label=label,
                         hints=loss_hints, tol=LOSS_TOL)
            if not close(dW, expected_dW, **GRAD_TOL):
                i, got, want = worst_index(dW, expected_dW)
                hint = first_hint(dW, grad_hints, **GRAD_TOL)
                lines = [f"largest difference at dW[{i[0]}, {i[1]}]: "
                         f"analytic (yours) {got:.8g}, expected {want:.8g}"]
                if case.N * case.D * case.C <= 400:
                    num = numeric_grad(
                        lambda w: _call_loss(fn, name, w, X.copy(), y=y.copy(), reg=reg)[0],
                        inputs["in_W"].copy())
                    lines.append(f"numeric gradient of your loss there: {float(num[i]):.8g}")
                fail(name, f"the gradient dW is wrong on {label}", *lines,
                     "hint: " + hint if hint else "")
            count += 2

        if case.float32:
            # float32 inputs: the same answers, at a looser tolerance.
            fresh = case_inputs(ref, kind, case.name)
            W32, X32, y = (fresh["in_W"].astype(np.float32), fresh["in_X"].astype(np.float32),
                           fresh["in_y"])
            with inputs_kept(name, {"W": W32, "X": X32, "y": y}, where=label + " (float32)"):
                loss, dW = _call_loss(fn, name, W32, X32, y=y, reg=reg)
                tol = float32_tolerance()
                if not close(loss, expected_loss, **tol) or not close(dW, expected_dW, **tol):
                    fail(name, f"with float32 inputs (W, X) the result is off by more than "
                               f"rtol={tol['rtol']}, atol={tol['atol']} on {label}",
                         f"loss {loss:.6g}, expected {expected_loss:.6g}",
                         "do not round to integers or cast to a lower precision")
            count += 1
    passed(name, count, f" ({label_set} cases)")


def _call_loss(fn, name, W, X, *, y, reg):
    """The student's (loss, dW), checked for type and shape (the caller
    checks that the inputs were kept, ``inputs_kept``)."""
    out = call(fn, name, W, X, y, reg)
    if not isinstance(out, tuple) or len(out) != 2:
        fail(name, f"should return a tuple (loss, dW), got {type(out).__name__}"
                   + (f" of length {len(out)}" if isinstance(out, tuple) else ""))
    loss = scalar(out[0], name, "loss")
    dW = array(out[1], W.shape, name, "dW")
    return loss, dW


# ------------------------------------------------------------------ penalties

def check_penalty(fn, kind, *, cases="visible", reference=None):
    """Check a weight penalty ``fn(W, reg[, l1_ratio]) -> (penalty, dW)``.

    Parameters
    ----------
    fn : callable
    kind : {"l2", "l1", "elastic_net"}
    cases : {"visible", "hidden"} or list of PenaltyCase
    reference : dict, optional
        As for ``check_svm_loss``.
    """
    check_kind(kind, PENALTY_KINDS)
    name = getattr(fn, "__name__", kind + " penalty")
    cases, label_set = _cases(PENALTY_CASES, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"{kind}/{case.name}/"
        W0 = ref[p + "in_W"]           # the input as given (W may be changed)
        W = np.array(W0)
        label = f"test case '{case.name}' (W {W.shape}, reg={case.reg:g}" + (
            f", l1_ratio={case.l1_ratio:g})" if kind == "elastic_net" else ")")
        with inputs_kept(name, {"W": W}, who="a penalty function", where=label):
            out = call(fn, name, *_penalty_args(kind, W, case.reg, case.l1_ratio))
            if not isinstance(out, tuple) or len(out) != 2:
                fail(name, f"should return a tuple (penalty, dW), got {type(out).__name__}")
            value = scalar(out[0], name, "the penalty")
            dW = array(out[1], W.shape, name, "dW")
            want, want_dW = float(ref[p + "penalty"]), ref[p + "dW"]
            hints = [(2 * want, "you have twice the expected value: the L2 part is "
                                "0.5 * reg * sum(W**2)"),
                     (0.5 * want, "you have half the expected value: the L1 part is "
                                  "reg * sum(|W|), without a factor 0.5"),
                     (want / case.reg, "the penalty is not multiplied by reg")]
            expect_value(name, "the penalty", value, want, label=label, hints=hints,
                         tol=LOSS_TOL)
            grad_hints = [(2 * want_dW, "dW is twice the expected gradient: d/dW of "
                                        "0.5 * reg * W**2 is reg * W"),
                          (want_dW / case.reg, "dW is not multiplied by reg"),
                          (-want_dW, "dW has the wrong sign")]
            if kind != "l2":
                grad_hints.append((case.reg * W0, "the gradient of reg * |W| is "
                                                  "reg * sign(W), not reg * W"))
            if not close(dW, want_dW, **GRAD_TOL):
                i, got, exp = worst_index(dW, want_dW)
                at_zero = kind != "l2" and W0[i] == 0
                fail(name, f"the gradient dW is wrong on {label}",
                     f"largest difference at dW{list(i)} (W there = {float(W0[i]):g}): "
                     f"yours {got:.8g}, expected {exp:.8g}",
                     "hint: at W == 0 use the subgradient sign(0) = 0" if at_zero else
                     ("hint: " + h if (h := first_hint(dW, grad_hints, **GRAD_TOL)) else ""))
        count += 2
    passed(name, count, f" ({label_set} cases)")


# ----------------------------------------------------------- soft-thresholding

def check_soft_threshold(fn, *, cases="visible", reference=None):
    """Check ``fn(W, threshold) -> W_new``, soft-thresholding (the proximal
    step of the L1 penalty): ``sign(W) * max(|W| - threshold, 0)``, a new array.

    Parameters
    ----------
    fn : callable
    cases : {"visible", "hidden"} or list of ThresholdCase
    reference : dict, optional
        As for ``check_svm_loss``.
    """
    name = getattr(fn, "__name__", "soft_threshold")
    cases, label_set = _cases(THRESHOLD_CASES, cases)
    ref = stored_reference(AID) if reference is None else reference
    count = 0
    for case in cases:
        p = f"soft_threshold/{case.name}/"
        W0, t, want = ref[p + "in_W"], float(ref[p + "in_threshold"]), ref[p + "out"]
        W = np.array(W0)
        label = f"test case '{case.name}' (W {W.shape}, threshold={t:g})"
        with inputs_kept(name, {"W": W}, who="soft_threshold", where=label):
            out = array(call(fn, name, W, t), W.shape, name, "the output")
            if not close(out, want, **GRAD_TOL):
                i, got, exp = worst_index(out, want)
                hint = first_hint(out, _threshold_hints(W0, t, want), **GRAD_TOL)
                fail(name, f"the output is wrong on {label}",
                     f"largest difference at {list(i)} (W there = {float(W0[i]):g}): "
                     f"yours {got + 0.0:.8g}, expected {exp + 0.0:.8g}",  # no -0
                     "hint: " + hint if hint else "")
            count += 1
            # The point of the proximal step: entries in the dead zone are 0, not ~1e-17.
            stray = (want == 0) & (out != 0)
            if np.any(stray):
                i = tuple(int(k) for k in np.argwhere(stray)[0])
                fail(name, f"an entry with |W| <= threshold is not exactly 0 on {label}",
                     f"at {list(i)} (W there = {float(W0[i]):g}) you return "
                     f"{float(out[i]):.3g}",
                     "hint: write it so that the dead zone gives exactly 0.0, e.g. "
                     "np.maximum(np.abs(W) - threshold, 0): these exact zeros are the "
                     "sparsity the proximal step is for")
            count += 1
    passed(name, count, f" ({label_set} cases)")


def _threshold_hints(W, t, want):
    """(value, message) pairs of the common soft-thresholding bugs."""
    hints = [
        (np.where(np.abs(W) > t, W, 0.0),
         "you set the small weights to 0 but leave the others as they were (hard "
         "thresholding): soft-thresholding also shrinks every other weight by threshold "
         "towards 0"),
        (W - t * np.sign(W),
         "you subtract threshold * sign(W) from every weight: that is the subgradient step "
         "of the L1 penalty, which pushes small weights across 0; clamp instead: weights "
         "with |W| <= threshold become exactly 0"),
        (np.maximum(W - t, 0.0),
         "every negative weight became 0: np.maximum(W - threshold, 0) is one-sided (a "
         "ReLU); shrink |W| and keep the sign, np.sign(W) * np.maximum(np.abs(W) - "
         "threshold, 0)"),
        (np.maximum(np.abs(W) - t, 0.0),
         "the signs are lost: multiply np.maximum(np.abs(W) - threshold, 0) by np.sign(W)"),
        (np.clip(W, -t, t),
         "you clip W into [-threshold, threshold]; soft-thresholding is what lies outside "
         "that band: W - np.clip(W, -threshold, threshold)"),
    ]
    # A hint that coincides with the right answer (threshold 0, say) would mislead.
    return [(v, m) for v, m in hints if not close(v, want, **GRAD_TOL)]


# ----------------------------------------------------------------- classifier

@dataclass(frozen=True)
class TrainCase:
    name: str
    seed: int
    n_per_class: int
    C: int
    dim: int
    batch_size: int
    num_iters: int
    learning_rate: float = 0.01     # stable: the Hessian of the blobs' loss is ~60
    reg: float = 1e-3


TRAIN_CASES = {
    "visible": [TrainCase("blobs", 3, n_per_class=20, C=3, dim=2, batch_size=16,
                          num_iters=60)],
    "hidden": [TrainCase("batch_of_one", 4, n_per_class=8, C=4, dim=5, batch_size=1,
                         num_iters=5),
               TrainCase("one_step", 5, n_per_class=30, C=2, dim=3, batch_size=50,
                         num_iters=1, learning_rate=0.02, reg=0.1)],
}


def _blobs(case):
    """Gaussian blobs with a bias column."""
    rng = np.random.default_rng(case.seed)
    centres = 4.0 * rng.standard_normal((case.C, case.dim))
    X = np.concatenate([c + 0.5 * rng.standard_normal((case.n_per_class, case.dim))
                        for c in centres])
    y = np.repeat(np.arange(case.C), case.n_per_class)
    return np.hstack([X, np.ones((len(X), 1))]), y


class _RecordingLoss:
    """A least-squares loss that records every call (a given function, so the
    check of the training loop does not depend on the student's losses)."""

    def __init__(self):
        self.calls = []

    def __call__(self, W, X, y, reg):
        N, C = X.shape[0], W.shape[1]
        diff = X @ W - np.eye(C)[y]
        loss = 0.5 * np.sum(diff * diff) / N + 0.5 * reg * np.sum(W * W)
        dW = X.T @ diff / N + reg * W
        self.calls.append(dict(W=W.copy(), X=X.copy(), y=y.copy(), reg=reg,
                               loss=float(loss), dW=dW.copy()))
        return float(loss), dW


def _train(cls, name, case, X, y, seed):
    rec = _RecordingLoss()
    clf = call(cls, name, rec)
    if getattr(clf, "W", "missing") is not None:
        fail(name, "a new classifier should have W = None (train initialises it)")
    hist = call(clf.train, name + ".train", X, y, learning_rate=case.learning_rate,
                reg=case.reg, num_iters=case.num_iters, batch_size=case.batch_size,
                rng=np.random.default_rng(seed))
    return clf, rec, hist


@dataclass
class _Run:
    """One training run of a case, as the sub-checks of
    ``check_linear_classifier`` read it."""
    name: str
    case: TrainCase
    X: np.ndarray
    y: np.ndarray
    clf: object
    rec: _RecordingLoss
    hist: object

    @property
    def label(self):
        (N, D), C = self.X.shape, self.case.C
        return (f"on test case '{self.case.name}' (N={N}, D={D}, C={C}, "
                f"batch_size={self.case.batch_size})")


def check_linear_classifier(cls, *, cases="visible", reference=None):
    """Check the minibatch SGD training loop and predict of ``LinearClassifier``.

    Parameters
    ----------
    cls : type
        ``cls(loss_fn)`` with ``train(X, y, *, learning_rate, reg, num_iters,
        batch_size, rng, verbose)`` and ``predict(X)``.
    cases : {"visible", "hidden"} or list of TrainCase
    reference : None
        Unused: the training loop is checked against its own recorded steps.
    """
    name = getattr(cls, "__name__", "LinearClassifier")
    cases, label_set = _cases(TRAIN_CASES, cases)
    count = 0
    for case in cases:
        X, y = _blobs(case)
        where = f"test case '{case.name}'"
        with inputs_kept(name + ".train", {"X": X, "y": y}, who="train", where=where):
            clf, rec, hist = _train(cls, name, case, X, y, seed=0)
            run = _Run(name, case, X, y, clf, rec, hist)
            count += _check_history(run) + _check_init(run) + _check_batches(run) + \
                _check_steps(run) + _check_predict(run) + _check_sampling(cls, run) + \
                _check_continues(run)
    passed(name, count, f" ({label_set} cases)")


def _check_history(run):
    """One loss call per iteration, and the list of their losses returned."""
    calls, hist, n = run.rec.calls, run.hist, run.case.num_iters
    if len(calls) != n:
        fail(run.name, f"train called the loss {len(calls)} times for num_iters={n} "
                       f"{run.label}", "call it once per iteration")
    if not isinstance(hist, (list, np.ndarray)) or len(hist) != n:
        fail(run.name, f"train should return the list of {n} losses, one per "
                       f"iteration, got {type(hist).__name__}"
                       + (f" of length {len(hist)}" if hasattr(hist, '__len__') else ""))
    return 1


def _check_init(run):
    """The first W: shape (D, C), small random values."""
    (_, D), C = run.X.shape, run.case.C
    W0 = run.rec.calls[0]["W"]
    if W0.shape != (D, C):
        fail(run.name, f"W has shape {W0.shape} {run.label}, expected (D, C) = {(D, C)}",
             "C is the number of classes, y.max() + 1")
    if not 1e-5 < np.std(W0) < 1e-2:
        fail(run.name, f"the initial W has standard deviation {np.std(W0):.3g}",
             "initialise W = 0.001 * rng.standard_normal((D, C))")
    return 1


def _check_batches(run):
    """Each minibatch: its shape, rows of X with their own labels, the reg
    given, and its loss in the history."""
    D, bs = run.X.shape[1], run.case.batch_size
    rows = {(tuple(x), int(t)) for x, t in zip(run.X, run.y)}
    for k, c in enumerate(run.rec.calls):
        if c["X"].shape != (bs, D) or c["y"].shape != (bs,):
            fail(run.name, f"iteration {k} passed X_batch {c['X'].shape} and y_batch "
                           f"{c['y'].shape} to the loss {run.label}",
                 f"expected ({bs}, {D}) and ({bs},)")
        if any((tuple(x), int(t)) not in rows for x, t in zip(c["X"], c["y"])):
            fail(run.name, f"iteration {k}: the minibatch is not made of rows of X with "
                           "their own labels",
                 "index X and y with the same sampled indices: X[idx], y[idx]")
        if c["reg"] != run.case.reg:
            fail(run.name, f"the loss got reg={c['reg']!r}, expected reg={run.case.reg!r}")
        if not np.isclose(float(run.hist[k]), c["loss"], rtol=1e-12, atol=0):
            fail(run.name, f"loss_history[{k}] = {float(run.hist[k]):.6g} but the loss "
                           f"returned {c['loss']:.6g} at that iteration")
    return 2


def _check_steps(run):
    """Every iteration: W -= learning_rate * dW."""
    calls, lr = run.rec.calls, run.case.learning_rate
    steps = [c["W"] for c in calls[1:]] + [run.clf.W]
    for k, (c, W_next) in enumerate(zip(calls, steps)):
        want = c["W"] - lr * c["dW"]
        if not isinstance(W_next, np.ndarray) or not np.allclose(W_next, want,
                                                               rtol=1e-12, atol=1e-15):
            hint = ""
            if isinstance(W_next, np.ndarray) and np.allclose(W_next, c["W"] + lr * c["dW"]):
                hint = "you step uphill: W -= learning_rate * dW"
            fail(run.name, f"after iteration {k} W is not W - learning_rate * dW {run.label}",
                 hint or "each iteration should do W -= learning_rate * dW")
    return 1


def _check_predict(run):
    """predict: integer labels, the argmax of the scores."""
    name = run.name + ".predict"
    pred = array(call(run.clf.predict, name, run.X), (run.X.shape[0],), name,
                 "predict's output")
    if pred.dtype.kind not in "iu":
        fail(name, f"labels should be integers, got dtype {pred.dtype}")
    if not np.array_equal(pred, np.argmax(run.X @ run.clf.W, axis=1)):
        fail(name, "the labels are not the argmax of the scores X @ W",
             "use np.argmax(X @ self.W, axis=1)")
    return 1


def _check_sampling(cls, run):
    """Reproducible with the given Generator, and really random batches."""
    _, rec_same, _ = _train(cls, run.name, run.case, run.X, run.y, seed=0)
    _, rec_other, _ = _train(cls, run.name, run.case, run.X, run.y, seed=1)
    calls = run.rec.calls
    if not all(np.array_equal(a["X"], b["X"]) for a, b in zip(calls, rec_same.calls)):
        fail(run.name, "two runs with the same rng seed sampled different minibatches",
             "sample with the Generator you are given, rng.choice(N, batch_size), "
             "not np.random")
    if run.case.batch_size < run.X.shape[0] and all(
            np.array_equal(a["X"], b["X"]) for a, b in zip(calls, rec_other.calls)):
        fail(run.name, "two runs with different rng seeds used the same minibatches",
             "sample the minibatch at random with rng.choice(N, batch_size)")
    return 2


def _check_continues(run):
    """A second call to train continues from the current W."""
    W_end = run.clf.W.copy()
    seen = len(run.rec.calls)
    call(run.clf.train, run.name + ".train", run.X, run.y,
         learning_rate=run.case.learning_rate, reg=run.case.reg, num_iters=1,
         batch_size=run.case.batch_size, rng=np.random.default_rng(2))
    if len(run.rec.calls) <= seen or not np.allclose(run.rec.calls[seen]["W"], W_end):
        fail(run.name, "calling train again restarted from a new W",
             "initialise W only when self.W is None")
    return 1


def check_at_least(value, minimum, what):
    """Check a measured result such as an accuracy reaches a minimum."""
    v = scalar(value, what, what)
    if not v >= minimum:
        fail(what, f"{v:.4f} is below the required {minimum:.4f}")
    passed(what, 1, _core.at_least_note(v, minimum))


# ------------------------------------------------------------ for the grader

# Each graded function's check on the grader's cases (``_core.Graded.run``).

def _grade_svm(g, fns, *, cases, reference):
    check_svm_loss(fns[g.name], cases=cases["loss"], reference=reference)


def _grade_softmax(g, fns, *, cases, reference):
    check_softmax_loss(fns[g.name], cases=cases["loss"], reference=reference)


def _grade_penalty(g, fns, *, cases, reference):
    check_penalty(fns[g.name], g.kind, cases=cases["penalty"], reference=reference)


def _grade_soft_threshold(g, fns, *, cases, reference):
    check_soft_threshold(fns[g.name], cases=cases["threshold"], reference=reference)


def _grade_classifier(g, fns, *, cases, reference):
    check_linear_classifier(fns[g.name], cases=cases["train"])

GRADED = [
    _core.Graded("svm_loss_naive", "svm.ipynb", "test_svm_loss_naive", "svm", run=_grade_svm),
    _core.Graded("svm_loss_vectorized", "svm.ipynb", "test_svm_loss_vectorized", "svm",
                 run=_grade_svm),
    _core.Graded("l2_penalty", "svm.ipynb", "test_l2_penalty", "l2", run=_grade_penalty),
    _core.Graded("l1_penalty", "svm.ipynb", "test_l1_penalty", "l1", run=_grade_penalty),
    _core.Graded("elastic_net_penalty", "svm.ipynb", "test_elastic_net_penalty",
                 "elastic_net", run=_grade_penalty),
    _core.Graded("soft_threshold", "svm.ipynb", "test_soft_threshold", "soft_threshold",
                 run=_grade_soft_threshold),
    _core.Graded("LinearClassifier", "svm.ipynb", "test_linear_classifier", "classifier",
                 watch=("W",), run=_grade_classifier),
    _core.Graded("softmax_loss_naive", "softmax.ipynb", "test_softmax_loss_naive", "softmax",
                 run=_grade_softmax),
    _core.Graded("softmax_loss_vectorized", "softmax.ipynb", "test_softmax_loss_vectorized",
                 "softmax", run=_grade_softmax),
]


# ------------------------------------------------- values the grader measures

# The search of svm.ipynb, section 7: LinearClassifier(svm_loss_vectorized)
# trained 300 steps for each (learning rate, reg), every run with the
# Generator of seed 231.  The solution's best settings come first: the grader
# stops at the first that reaches the threshold.
SVM_SEARCH = {"settings": [(1e-1, 1e-3), (1e-1, 1e-1), (1e-2, 1e-3), (1e-2, 1e-1), (1e-1, 1.0),
                           (1e-2, 1.0), (1e-3, 1e-3), (1e-3, 1e-1), (1e-3, 1.0)],
              "num_iters": 300, "batch_size": 200, "seed": 231}

# The search of softmax.ipynb, section 6: full-batch gradient descent from
# W = 0.001 * N(0, 1), 300 steps.  Its two learning rates at reg 1e-4 that
# bracket the others (a gradient 16 times too small or too large still
# trains at one of them); the accuracy is measured every `every` steps and the
# grader stops once it reaches the threshold.  Each step sends the training
# set to the worker (~5 ms): a loss that never trains costs 600 of them.
SOFTMAX_SEARCH = {"settings": [(16.0, 1e-4), (1.0, 1e-4)], "num_iters": 300, "every": 25,
                  "seed": 231}


def _svm_search(cls, loss_fn, minimum):
    """The best validation accuracy of svm.ipynb's search, run with the
    student's LinearClassifier and loss; (value, detail)."""
    data = _training.digits()
    # One copy of the training set for the whole search, as in the notebook; the
    # validation set never leaves the grader.
    X, y, X_val, y_val = data["X_train"], data["y_train"], data["X_val"], data["y_val"]
    best, where = float("-inf"), None
    settings = SVM_SEARCH["settings"]
    for k, (lr, reg) in enumerate(settings):
        clf = call(cls, "LinearClassifier", loss_fn)
        call(clf.train, "LinearClassifier.train", X, y, learning_rate=lr, reg=reg,
             num_iters=SVM_SEARCH["num_iters"], batch_size=SVM_SEARCH["batch_size"],
             rng=np.random.default_rng(SVM_SEARCH["seed"]))
        # The accuracy of the weights it learnt, computed here: predict is
        # argmax(X @ W) (test_linear_classifier checks it).
        acc = _training.linear_accuracy(getattr(clf, "W", None), X_val, y_val)
        if acc is None:
            fail("LinearClassifier", "after train, W is not an array of shape (D, C)",
                 "the search of section 7 cannot measure a classifier")
        if acc > best:
            best, where = acc, (lr, reg)
        if best >= minimum:
            break
    detail = (f"the search of section 7 with your LinearClassifier and svm_loss_vectorized: "
              f"best validation accuracy {best:.4f} (learning rate {where[0]:g}, reg "
              f"{where[1]:g}), {k + 1} of its settings tried")
    return best, detail


def _softmax_search(loss_fn, minimum):
    """The best validation accuracy of softmax.ipynb's search, run with the
    student's loss and the notebook's train_softmax loop; (value, detail)."""
    data = _training.digits()
    X, y, X_val, y_val = data["X_train"], data["y_train"], data["X_val"], data["y_val"]
    name = "softmax_loss_vectorized"
    best, where = float("-inf"), None
    for lr, reg in SOFTMAX_SEARCH["settings"]:
        rng = np.random.default_rng(SOFTMAX_SEARCH["seed"])
        W = 0.001 * rng.standard_normal((X.shape[1], int(y.max()) + 1))
        for step in range(1, SOFTMAX_SEARCH["num_iters"] + 1):
            out = call(loss_fn, name, W, X, y, reg)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                fail(name, f"should return (loss, dW), got {type(out).__name__}",
                     "train_softmax cannot use it")
            scalar(out[0], name, "the loss")
            W = W - lr * array(out[1], W.shape, name, "dW")
            if step % SOFTMAX_SEARCH["every"] and step != SOFTMAX_SEARCH["num_iters"]:
                continue
            acc = _training.linear_accuracy(W, X_val, y_val)
            if acc is None:
                fail(name, f"dW has dtype {W.dtype}, not a real number type")
            if acc > best:
                best, where = acc, (lr, reg, step)
            if best >= minimum or not np.all(np.isfinite(W)):
                break      # reached, or W is lost for good
        if best >= minimum:
            break
    detail = (f"the search of section 6 with your softmax_loss_vectorized: best validation "
              f"accuracy {best:.4f} (learning rate {where[0]:g}, reg {where[1]:g}, after "
              f"{where[2]} steps)")
    return best, detail


def _grade_svm_search(r, fns, *, cases, reference):
    """svm.ipynb's search, run with the student's functions."""
    return _svm_search(fns["LinearClassifier"], fns["svm_loss_vectorized"], r.minimum)


def _grade_softmax_search(r, fns, *, cases, reference):
    """softmax.ipynb's search, run with the student's loss."""
    return _softmax_search(fns["softmax_loss_vectorized"], r.minimum)


RECOMPUTED = [
    _core.Recomputed("best_val", "svm.ipynb", "test_best_val", "svm_search", 0.90,
                     uses=("LinearClassifier", "svm_loss_vectorized"),
                     watch=(("LinearClassifier", ("W",)),), run=_grade_svm_search),
    _core.Recomputed("best_val", "softmax.ipynb", "test_best_val_accuracy", "softmax_search",
                     0.90, uses=("softmax_loss_vectorized",), run=_grade_softmax_search),
]


def random_cases(rng):
    """Fresh cases for the grader: shapes, seeds and regularisation drawn from
    ``rng``, so no student has seen their inputs.

    Returns
    -------
    dict with "loss", "penalty", "threshold" and "train" lists of cases.
    """
    def seed():
        return int(rng.integers(2**31))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    loss = [LossCase("unseen_small", seed(), N=n(1, 4), D=n(1, 5), C=n(2, 4),
                     reg=float(rng.uniform(0.05, 1.0))),
            LossCase("unseen_medium", seed(), N=n(10, 30), D=n(5, 20), C=n(3, 10),
                     reg=float(rng.uniform(1.0, 20.0)), float32=True),
            LossCase("unseen_no_reg", seed(), N=n(5, 15), D=n(2, 8), C=n(2, 6), reg=0.0,
                     y_dtype="int32"),
            LossCase("unseen_large_scores", seed(), N=n(3, 10), D=n(3, 6), C=n(3, 6),
                     reg=0.0, offset=float(rng.uniform(800, 5000))),
            LossCase("unseen_rows_apart", seed(), N=n(3, 12), D=n(2, 6), C=n(2, 6),
                     reg=0.0, offset=float(rng.uniform(800, 5000)), rows_apart=True)]
    penalty = [PenaltyCase("unseen", seed(), (n(2, 8), n(2, 6)),
                           reg=float(rng.uniform(0.1, 5.0)),
                           l1_ratio=float(rng.uniform(0.1, 0.9)), zeros=True)]
    threshold = [ThresholdCase("unseen", seed(), (n(3, 8), n(3, 6)),
                               threshold=float(rng.uniform(0.1, 1.0)), ties=True)]
    train = [TrainCase("unseen", seed(), n_per_class=n(5, 15), C=n(2, 5), dim=n(2, 4),
                       batch_size=n(2, 10), num_iters=n(3, 8))]
    return {"loss": loss, "penalty": penalty, "threshold": threshold, "train": train}


ASSIGNMENT = Assignment(
    id=AID, notebooks=("svm.ipynb", "softmax.ipynb"), graded=tuple(GRADED),
    recomputed=tuple(RECOMPUTED), solutions=SOLUTIONS, make_reference=make_reference,
    random_cases=random_cases, helpers={"RecordingLoss": _RecordingLoss})
