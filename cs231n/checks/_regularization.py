"""Part of Assignment 5's checks: the regularisation toolbox
(``regularization.ipynb``).

Graded functions and their contract:

- ``class EarlyStopping(patience)``: ``update(score, params) -> bool`` is
  called once per epoch with the validation score (higher is better) and
  the model's parameter dict; a score strictly above the best so far makes
  it the best (a tie is not an improvement): ``best_score``, ``best_epoch``
  (the 0-based index of that call) and ``best_params`` (a copy of every
  array of ``params``: the caller goes on changing them, in place or not)
  are updated.  It returns True when the last ``patience`` calls brought no
  improvement (training should stop), else False; after an improvement it
  returns False again.  Before any call ``best_score`` is -inf,
  ``best_epoch`` None and ``best_params`` None.  ``patience < 1`` raises a
  ValueError.
- ``adamw(w, dw, config=None) -> (next_w, config)``: Adam with decoupled
  weight decay (Loshchilov and Hutter, 2019): the step of a3's ``adam``
  (same keys, defaults and bias correction) on ``dw`` alone, and besides it
  ``learning_rate * weight_decay * w`` subtracted, with the ``w`` before the
  step (as PyTorch's AdamW); ``config["weight_decay"]`` defaults to 1e-2.
- ``random_flips(X, rng) -> ndarray``: X (N, H, W) images; each image is
  mirrored left to right (its columns reversed) with probability 1/2, one
  independent draw per image.  A new array; X is not modified.
- ``random_crops(X, pad, rng) -> ndarray``: X (N, H, W); each image is
  padded with ``pad`` zeros on every side and an H x W window is cut out at
  an offset drawn uniformly from {0, ..., 2 pad} in each direction,
  independently per image.  ``pad = 0`` returns a copy.  A new array; X is
  not modified.
- ``add_noise(X, std, rng) -> ndarray``: X plus independent Gaussian noise
  of standard deviation ``std`` on every entry.  A new array; X is not
  modified.

How they are checked:

- ``EarlyStopping`` gets scripted score sequences (ties with the best,
  drops, recoveries below the best, negative scores) and a parameter dict
  whose arrays the check changes in place after every call and replaces by
  new arrays before some calls.  After every call the return value,
  ``best_score``, ``best_epoch`` and ``best_params`` must be the solution's
  (the stored sequences; ``best_params`` must equal the parameters the
  check passed at the solution's best call, also right after the check
  changed them in place).  The hints compare with the solution run with
  ``patience - 1`` and ``patience + 1``, and name ties, 1-based epochs,
  the last weights and kept references.
  In the grader's integrity pass the student's class runs in a worker,
  which keeps one dict and one array per dict and array of the check's
  (``integrity.Worker.encode_mirrored``): the check's changes reach
  a kept reference there too.
- ``adamw`` runs a few steps, feeding back the returned config: every
  ``next_w`` and the config's ``m``, ``v`` and ``t`` must be the solution's
  (``rtol=1e-10``); ``w``, ``dw`` are not modified.  Hints on the first step
  compare with the solution on changed inputs: ``dw + weight_decay * w`` and
  no decay (Adam with L2), ``weight_decay / learning_rate`` (the decay not
  multiplied by the learning rate), no decay (forgotten), the learning rate
  and epsilon of an Adam without bias correction (at t = 1 that is
  ``lr (1 - beta1) / sqrt(1 - beta2)`` and ``eps / sqrt(1 - beta2)``), and
  the decay applied to the updated weights.
- Flips and crops draw differently in right answers (``rng.random(N) <
  0.5``, ``rng.integers(2, size=N)``, a loop, ...), so they are checked by
  structure and statistics.  The allowed transforms of an H x W image are
  stored in the reference as index maps (the solution's outputs on many
  copies of an image of the numbers 1..H W: each output pixel names its
  source pixel, 0 a zero), with the offset of each crop.  The inputs are
  positive with distinct values in every image, so each output image is
  one of the allowed transforms of its input, identified exactly.  On the
  large cases, the fraction of flipped images is within Hoeffding's
  ``t = sqrt(ln(2 / DELTA) / (2 N))`` of 1/2; each crop offset value in each
  direction, and the fraction of crops whose two offsets are equal, are
  within ``t = sqrt(ln(2 m / DELTA) / (2 N))`` of ``1 / (2 pad + 1)`` (a
  union bound over the ``m = 2 (2 pad + 1) + 1`` frequencies), and every
  large case has ``t < 1 / (2 pad + 1)``, so an offset that is never drawn
  fails with certainty.  With ``DELTA = 1e-10`` and at most 10 statistics
  per run, a right answer fails with probability below 1e-9.
- Noise: ``noise = out - X`` must have a mean within ``Z std / sqrt(n)``
  (``Z = 6.5``: probability below 1e-10 for right noise) and the fractions
  of ``|noise| / std`` in [0, 0.5), [0.5, 1), [1, 2) and [2, inf) within
  Hoeffding's ``sqrt(ln(8 / DELTA) / (2 n))`` of a standard normal's (computed
  with ``math.erf``); on the large cases this separates uniform noise of the
  same spread and noise scaled by ``std**2``.  Two images (and two entries
  of one image) must not get the same noise.
- Every random function: a generator of the same seed gives the same
  output, one of another seed a different one (checked where a right
  answer's two draws coincide with probability below ``SAME = 1e-12``).
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _core
from ._core import (CheckFailure, call, case_inputs, close, fail, inputs_kept, passed,
                    reference_dict, typed_cases)

__all__ = ["check_early_stopping", "check_adamw", "check_random_flips", "check_random_crops",
           "check_add_noise"]

NOTEBOOK = "regularization.ipynb"
KINDS = ('EarlyStopping', 'adamw', 'random_flips', 'random_crops', 'add_noise')
SOLUTIONS = {kind: (NOTEBOOK, kind) for kind in KINDS}

DELTA = 1e-10        # a right answer's failure probability, per statistic
SAME = 1e-12         # two seeds are compared only where equal draws are this unlikely
Z = 6.5              # P(|N(0, 1)| > Z) < 1e-10
CATALOGUE = 4000     # copies of the index image from which the solution's transforms come
ADAM_TOL = dict(rtol=1e-10, atol=1e-14)
NOISE_BINS = (0.0, 0.5, 1.0, 2.0, math.inf)


# ---------------------------------------------------------------------- cases

@dataclass(frozen=True)
class StoppingCase:
    """``EarlyStopping(patience)`` fed ``scores`` with a dict of two arrays,
    new values from ``seed`` before every call."""
    name: str
    seed: int
    patience: int
    scores: tuple

    def __post_init__(self):
        if self.patience < 1 or not self.scores or not all(
                math.isfinite(s) for s in self.scores):
            raise ValueError(f"StoppingCase {self.name!r}: need patience >= 1 and finite "
                             f"scores, got patience={self.patience}, scores={self.scores}")


@dataclass(frozen=True)
class AdamWCase:
    """``steps`` calls of adamw on w of ``shape``; ``config`` the first call's
    keys (None: the defaults); ``resume``: m, v and t given as well."""
    name: str
    seed: int
    shape: tuple
    steps: int
    config: tuple = None
    resume: bool = False

    def __post_init__(self):
        if self.steps < 1 or (self.resume and self.config is None):
            raise ValueError(f"AdamWCase {self.name!r}: need steps >= 1 and a config to "
                             f"resume, got steps={self.steps}, config={self.config}")


@dataclass(frozen=True)
class ImageCase:
    """N random images H x W (positive, distinct values in each), ``pad`` for
    crops, ``std`` for noise."""
    name: str
    seed: int
    N: int
    H: int
    W: int
    pad: int = 0
    std: float = 1.0

    def __post_init__(self):
        if min(self.N, self.H, self.W) < 1 or not 0 <= self.pad < min(self.H, self.W) \
                or not self.std > 0:
            raise ValueError(f"ImageCase {self.name!r}: need N, H, W >= 1, "
                             f"0 <= pad < min(H, W) and std > 0, got N={self.N}, H={self.H}, "
                             f"W={self.W}, pad={self.pad}, std={self.std}")


CASES = {
    "EarlyStopping": {
        "visible": [
            StoppingCase("plateau", 1000, 3, (0.5, 0.6, 0.55, 0.6, 0.58, 0.7, 0.69, 0.69,
                                              0.65, 0.71, 0.6, 0.6, 0.6, 0.6)),
            StoppingCase("patience_one", 1001, 1, (0.1, 0.2, 0.2, 0.3, 0.25, 0.4, 0.35)),
            StoppingCase("rising", 1002, 2, (0.1, 0.2, 0.3, 0.4, 0.5))],
        "hidden": [
            StoppingCase("first_is_best", 1010, 2, (0.9, 0.5, 0.6, 0.7, 0.95, 0.8)),
            StoppingCase("negative", 1011, 2, (-2.0, -1.5, -1.5, -1.7, -1.2, -1.3, -1.25,
                                               -1.2)),
            StoppingCase("long_patience", 1012, 5, (0.3, 0.4, 0.4, 0.35, 0.41, 0.41, 0.4,
                                                    0.39, 0.38, 0.41, 0.42, 0.3, 0.3, 0.3,
                                                    0.3, 0.3, 0.3))]},
    "adamw": {
        "visible": [AdamWCase("defaults", 2000, (4, 5), 3),
                    AdamWCase("strong_decay", 2001, (30,), 4,
                              (("learning_rate", 1e-2), ("weight_decay", 0.5))),
                    AdamWCase("betas", 2002, (3, 2, 4), 3,
                              (("learning_rate", 3e-2), ("beta1", 0.5), ("beta2", 0.9),
                               ("weight_decay", 0.1)))],
        "hidden": [AdamWCase("one_step", 2010, (7,), 1, (("weight_decay", 2.0),)),
                   AdamWCase("resume", 2011, (5, 6), 3,
                             (("learning_rate", 5e-3), ("weight_decay", 0.05)), resume=True),
                   AdamWCase("no_decay", 2012, (10,), 2, (("weight_decay", 0.0),))]},
    "random_flips": {
        "visible": [ImageCase("small", 3000, 6, 4, 5),
                    ImageCase("large", 3001, 1000, 6, 6)],
        "hidden": [ImageCase("one_image", 3010, 1, 3, 4),
                   ImageCase("wide", 3011, 1500, 3, 9),
                   ImageCase("digits", 3012, 50, 8, 8)]},
    "random_crops": {
        "visible": [ImageCase("small", 4000, 5, 6, 7, pad=2),
                    ImageCase("large", 4001, 1000, 8, 8, pad=2),
                    ImageCase("no_pad", 4002, 4, 5, 5, pad=0)],
        "hidden": [ImageCase("pad_one", 4010, 600, 5, 6, pad=1),
                   ImageCase("wide_pad", 4011, 1500, 9, 8, pad=3),
                   ImageCase("one_image", 4012, 1, 4, 4, pad=1)]},
    "add_noise": {
        "visible": [ImageCase("small", 5000, 3, 4, 5, std=0.3),
                    ImageCase("large", 5001, 200, 10, 10, std=0.5),
                    ImageCase("wide_noise", 5002, 100, 12, 10, std=2.0)],
        "hidden": [ImageCase("one_image", 5010, 1, 5, 5, std=0.1),
                   ImageCase("large_small_std", 5011, 300, 8, 9, std=0.2),
                   ImageCase("large_std", 5012, 150, 10, 14, std=3.0)]},
}
CASE_TYPES = {"EarlyStopping": StoppingCase, "adamw": AdamWCase, "random_flips": ImageCase,
              "random_crops": ImageCase, "add_noise": ImageCase}
MIN_STAT = {"random_flips": 400, "random_crops": 300, "add_noise": 10000}  # large cases


def _cases(kind, cases, reference):
    reference_dict(reference)
    return typed_cases(CASES[kind], cases, CASE_TYPES[kind], kind)


# ----------------------------------------------------------- inputs from seeds

PARAM_SHAPES = {"W1": (3, 4), "b1": (4,)}


def _stopping_params(case):
    """The parameter values of every call: name -> (T, *shape)."""
    rng = np.random.default_rng(case.seed)
    T = len(case.scores)
    return {k: rng.standard_normal((T, *s)) for k, s in PARAM_SHAPES.items()}


def _adamw_inputs(case):
    rng = np.random.default_rng(case.seed)
    inputs = {"in_w": rng.standard_normal(case.shape),
              "in_dw": rng.standard_normal((case.steps, *case.shape))}
    if case.resume:
        inputs["in_m"] = 0.1 * rng.standard_normal(case.shape)
        inputs["in_v"] = 0.01 * rng.random(case.shape) + 1e-3
        inputs["in_t"] = np.int64(7)
    return inputs


def _adamw_config(case, inputs):
    if case.config is None:
        return None
    config = dict(case.config)
    if case.resume:
        config.update(m=inputs["in_m"].copy(), v=inputs["in_v"].copy(), t=int(inputs["in_t"]))
    return config


def _images(case):
    """Positive images with distinct values in each: a permutation of 1..HW
    plus a fraction, scaled."""
    rng = np.random.default_rng(case.seed)
    n = case.H * case.W
    X = np.argsort(rng.random((case.N, n)), axis=1) + 1.0 + 0.5 * rng.random((case.N, n))
    return X.reshape(case.N, case.H, case.W) / n


def _index_image(H, W, copies):
    return np.broadcast_to(np.arange(1.0, H * W + 1).reshape(H, W), (copies, H, W)).copy()


def _catalogue(fn, H, W, seed):
    """The distinct outputs of ``fn`` on copies of the index image, as int maps."""
    out = np.asarray(fn(_index_image(H, W, CATALOGUE), np.random.default_rng(seed)))
    maps = np.unique(np.rint(out).astype(np.int64).reshape(CATALOGUE, H * W), axis=0)
    return maps


def _offsets(maps, H, W, pad):
    """(oy, ox) of every crop map: out[r, c] = X[r + oy - pad, c + ox - pad]."""
    offsets = []
    for m in maps:
        j = int(np.flatnonzero(m)[0])
        src = int(m[j]) - 1
        offsets.append((src // W - j // W + pad, src % W - j % W + pad))
    return np.array(offsets, dtype=np.int64)


# ------------------------------------------------------------------ reference

def _run_stopping(cls, case, patience):
    """stops, best_epoch (-1: None), best_score after every call of the solution."""
    params = _stopping_params(case)
    stopper = cls(patience)
    stops, epochs, scores = [], [], []
    for t, score in enumerate(case.scores):
        stops.append(bool(stopper.update(score, {k: v[t].copy() for k, v in params.items()})))
        epochs.append(-1 if stopper.best_epoch is None else int(stopper.best_epoch))
        scores.append(float(stopper.best_score))
    return np.array(stops), np.array(epochs, dtype=np.int64), np.array(scores)


def _adamw_run(adamw, w, dws, config):
    ws, ms, vs, ts = [], [], [], []
    for dw in dws:
        w, config = adamw(w.copy(), dw.copy(), config)
        ws.append(np.array(w))
        ms.append(np.array(config["m"]))
        vs.append(np.array(config["v"]))
        ts.append(int(config["t"]))
    return np.array(ws), np.array(ms), np.array(vs), np.array(ts, dtype=np.int64)


def make_reference(solutions, cases=None):
    """Reference arrays from the solution's functions.

    Parameters
    ----------
    solutions : dict
        kind -> callable for the kinds of ``SOLUTIONS`` (a missing kind is skipped).
    cases : dict, optional
        As returned by ``random_cases`` (other parts' kinds are ignored); by
        default the visible and hidden cases of every kind.

    Returns
    -------
    dict of str -> ndarray: the inputs of every case (``<kind>/<case>/in_*``),
    the solution's outputs (early stopping's sequences, adamw's weights and
    moments), the catalogues of allowed flips and crops (index maps and
    offsets), and counterfactuals (``cf_*``: the solution on changed inputs).
    """
    cases = _core.reference_cases(CASES, cases)
    ref = {}
    cls = solutions.get("EarlyStopping")
    for case in cases.get("EarlyStopping", ()) if cls else ():
        p = f"EarlyStopping/{case.name}/"
        ref[p + "in_scores"] = np.array(case.scores)
        ref[p + "in_patience"] = np.int64(case.patience)
        ref[p + "stops"], ref[p + "best_epoch"], ref[p + "best_score"] = _run_stopping(
            cls, case, case.patience)
        ref[p + "cf_late/stops"] = _run_stopping(cls, case, case.patience + 1)[0]
        if case.patience > 1:
            ref[p + "cf_early/stops"] = _run_stopping(cls, case, case.patience - 1)[0]
    adamw = solutions.get("adamw")
    for case in cases.get("adamw", ()) if adamw else ():
        p = f"adamw/{case.name}/"
        inputs = _adamw_inputs(case)
        ref.update({p + k: v for k, v in inputs.items()})
        w, dws = inputs["in_w"], inputs["in_dw"]
        out = _adamw_run(adamw, w, dws, _adamw_config(case, inputs))
        ref[p + "next_w"], ref[p + "m"], ref[p + "v"], ref[p + "t"] = out
        if case.resume:
            continue
        # Counterfactuals of the first step: the solution on changed inputs.
        cfg = dict(case.config or ())
        full = _adamw_run(adamw, w, dws[:1], dict(cfg))[0][0]
        lr = cfg.get("learning_rate", _adam_default(adamw, w, "learning_rate"))
        wd = cfg.get("weight_decay", _adam_default(adamw, w, "weight_decay"))
        b1 = cfg.get("beta1", _adam_default(adamw, w, "beta1"))
        b2 = cfg.get("beta2", _adam_default(adamw, w, "beta2"))
        eps = cfg.get("epsilon", _adam_default(adamw, w, "epsilon"))
        plain = _adamw_run(adamw, w, dws[:1], dict(cfg, weight_decay=0.0))[0][0]
        ref[p + "cf_coupled"] = _adamw_run(adamw, w, dws[:1] + wd * w,
                                           dict(cfg, weight_decay=0.0))[0][0]
        ref[p + "cf_no_lr"] = _adamw_run(adamw, w, dws[:1],
                                         dict(cfg, weight_decay=wd / lr))[0][0]
        ref[p + "cf_no_decay"] = plain
        lr_u = lr * (1 - b1) / math.sqrt(1 - b2)
        ref[p + "cf_uncorrected"] = _adamw_run(
            adamw, w, dws[:1], dict(cfg, learning_rate=lr_u, epsilon=eps / math.sqrt(1 - b2),
                                    weight_decay=wd * lr / lr_u))[0][0]
        # The decay applied to the updated weights (a wrong formula).
        ref[p + "cf_after"] = plain * (1 - lr * wd)
        ref[p + "decay_matters"] = np.bool_(not close(full, plain, **ADAM_TOL))
    for kind in ("random_flips", "random_crops"):
        fn = solutions.get(kind)
        for case in cases.get(kind, ()) if fn else ():
            p = f"{kind}/{case.name}/"
            # The images are drawn again from the case's seed by the check
            # (``_images``): no megabytes of pixels in the stored reference.
            if kind == "random_flips":
                maps = _catalogue(fn, case.H, case.W, case.seed + 7)
                ident = np.arange(1, case.H * case.W + 1)
                ref[p + "flipped"] = np.array([not np.array_equal(m, ident) for m in maps])
            else:
                ref[p + "in_pad"] = np.int64(case.pad)
                maps = _catalogue(lambda X, rng: fn(X, case.pad, rng), case.H, case.W,
                                  case.seed + 7)
                ref[p + "offsets"] = _offsets(maps, case.H, case.W, case.pad)
            want = 2 if kind == "random_flips" else (2 * case.pad + 1) ** 2
            if len(maps) != want:
                raise ValueError(f"{kind} case {case.name!r}: the solution gave {len(maps)} "
                                 f"distinct transforms of the index image, expected {want}")
            ref[p + "maps"] = maps
    fn = solutions.get("add_noise")
    for case in cases.get("add_noise", ()) if fn else ():
        p = f"add_noise/{case.name}/"
        ref[p + "in_std"] = np.float64(case.std)
    return ref


def _adam_default(adamw, w, key):
    """The solution's default of ``key`` (read from a config it filled in)."""
    config = adamw(w.copy(), np.zeros_like(w), {})[1]
    return float(config[key])


# ------------------------------------------------------------------- helpers

_name = _core.named


def _grade(g, fns, *, cases, reference):
    CHECKS[g.kind](fns[g.name], cases=cases[g.kind], reference=reference)


def _seed_note(name, label, what):
    fail(name, f"two calls with generators of the same seed give different {what} on {label}",
         "hint: draw from the rng you are given only: np.random's global functions or a "
         "generator of your own are not reproducible from it")


def _other_seed(name, label, what):
    fail(name, f"generators of two different seeds give the same {what} on {label}",
         "hint: the draw does not depend on rng: use the rng you are given (not a generator "
         "of your own with a fixed seed, nor np.random after np.random.seed)")


def _image_output(out, X, name, label):
    out = _core.array(out, X.shape, name, "the output")
    if out.dtype != X.dtype:
        fail(name, f"the output has dtype {out.dtype}, expected {X.dtype} on {label}")
    if np.shares_memory(out, X):
        fail(name, f"the output shares memory with X on {label}",
             "hint: return a new array (X.copy(), np.where, np.stack, ...): the caller may "
             "change it, and X must stay as it was")
    return out


# ------------------------------------------------------------- early stopping

def _fmt(a):
    return "[" + ", ".join(f"{x:g}" if not isinstance(x, (bool, np.bool_)) else str(bool(x))
                           for x in np.asarray(a).tolist()) + "]"


def _check_initial(stopper, name, label):
    for attr, want in (("best_score", -math.inf), ("best_epoch", None),
                       ("best_params", None)):
        got = getattr(stopper, attr, "<missing>")
        ok = (got is None) if want is None else (
            isinstance(got, (float, int, np.floating)) and float(got) == want)
        if not ok:
            fail(name, f"before any call, {attr} should be {want}, got {got!r:.80} on {label}",
                 "hint: set best_score = -np.inf (any first score improves on it), "
                 "best_epoch = None and best_params = None in __init__")


def _check_bad_patience(cls, name):
    for patience in (0, -1):
        try:
            call(cls, name, patience)
        except CheckFailure as e:
            cause = e.__cause__
            if type(cause).__name__ == "ValueError":
                continue
            raise
        fail(name, f"EarlyStopping({patience}) must raise a ValueError",
             "hint: patience is the number of calls without improvement before stopping: it "
             "must be at least 1; raise ValueError otherwise")
    return 2


def _stop_hint(full, ref, p):
    """A hint when the returns of a whole run (``full``, None: unknown) are
    those of the solution with patience off by one."""
    if full is None:
        return ""
    seq = np.array(full)
    for key, msg in (("cf_early/stops", "it stops one call early: patience is off by one "
                                        "(stop when the last `patience` calls, not "
                                        "`patience - 1`, brought no improvement)"),
                     ("cf_late/stops", "it stops one call late: patience is off by one (stop "
                                       "as soon as `patience` calls in a row brought no "
                                       "improvement)")):
        if p + key in ref and np.array_equal(seq, ref[p + key]):
            return msg
    return ""


def _check_best_params(stopper, name, want_epoch, t, *, snapshots, params, where,
                       after=""):
    got = getattr(stopper, "best_params", "<missing>")
    if not isinstance(got, dict) or set(got) != set(PARAM_SHAPES):
        fail(name, f"best_params should be a dict with the keys {sorted(PARAM_SHAPES)}, got "
                   f"{type(got).__name__}"
             + (f" with keys {sorted(got)}" if isinstance(got, dict) else "")
             + f" after {where}")
    want = {k: v[want_epoch] for k, v in snapshots.items()}
    bad = [k for k in PARAM_SHAPES
           if not (isinstance(got[k], np.ndarray) and np.array_equal(got[k], want[k]))]
    if not bad:
        return
    k = bad[0]
    hint = ""
    if got is params:
        hint = ("best_params is the caller's dict itself: store a copy of every array "
                "({k: v.copy() for k, v in params.items()})")
    elif any(got[j] is params[j] or (isinstance(got[j], np.ndarray)
                                     and np.shares_memory(got[j], params[j]))
             for j in PARAM_SHAPES):
        hint = ("best_params holds the caller's arrays, not copies: the optimizer changes "
                "them in place after update returns; copy every array")
    elif all(isinstance(got[j], np.ndarray) and np.array_equal(got[j], snapshots[j][t])
             for j in PARAM_SHAPES) and want_epoch != t:
        hint = ("best_params holds the parameters of the LAST call, not of the best one: "
                "copy them only when the score improves")
    elif all(isinstance(got[j], np.ndarray) and np.array_equal(got[j], params[j])
             for j in PARAM_SHAPES):
        hint = ("best_params follows the caller's current parameters: keep copies of the "
                "arrays (a new dict holding the same arrays is not a copy of them)")
    fail(name, f"best_params[{k!r}] is not the parameters of the best call ({want_epoch}) "
               f"{after}after {where}",
         "hint: " + hint if hint else "")


def _dry_run(cls, name, case):
    """The returns of a fresh instance over the whole script (None if it fails)."""
    try:
        with _core.quiet():
            stopper = call(cls, name, case.patience)
            params = _stopping_params(case)
            return [bool(call(stopper.update, name, float(score),
                              {k: v[t].copy() for k, v in params.items()}))
                    for t, score in enumerate(case.scores)]
    except CheckFailure:
        return None


def _run_case(cls, name, case, ref, p):
    label = f"test case '{case.name}'"
    full = _dry_run(cls, name, case)
    stopper = call(cls, name, case.patience)
    _check_initial(stopper, name, label)
    snapshots = {k: v for k, v in _stopping_params(case).items()}
    params = {k: v[0].copy() for k, v in snapshots.items()}
    count = 3
    returns = []
    for t, score in enumerate(case.scores):
        if t:
            # Alternately new arrays and the same arrays changed in place.
            for k in params:
                if t % 2:
                    params[k] = snapshots[k][t].copy()
                else:
                    params[k][...] = snapshots[k][t]
        result = call(stopper.update, name + ".update", float(score), params)
        returns.append(result)
        _check_call_seq(stopper, name, t, case=case, ref=ref, p=p, snapshots=snapshots,
                        params=params, returns=returns, full=full, label=label)
        # The optimizer's next step changes the arrays in place.
        for k in params:
            params[k] *= -3.0
            params[k] += 1.0
        _check_best_params(stopper, name, int(ref[p + "best_epoch"][t]), t,
                           snapshots=snapshots, params=params,
                           where=f"call {t} of {label}",
                           after="once the caller changed its arrays in place ")
        count += 4
    return count


def _check_call_seq(stopper, name, t, *, case, ref, p, snapshots, params, returns, full,
                    label):
    scores = np.asarray(ref[p + "in_scores"])
    where = (f"call {t} (0-based) of {label}; scores so far {_fmt(scores[:t + 1])}, "
             f"patience={case.patience}")
    want_epoch = int(ref[p + "best_epoch"][t])
    want_score = float(ref[p + "best_score"][t])
    tie = bool(scores[t] == want_score and want_epoch != t)
    got_epoch = getattr(stopper, "best_epoch", "<missing>")
    if not (isinstance(got_epoch, (int, np.integer)) and int(got_epoch) == want_epoch):
        hint = ""
        if isinstance(got_epoch, (int, np.integer)) and got_epoch == want_epoch + 1:
            hint = ("best_epoch is counted from 1: it is the 0-based index of the call "
                    "(the first call is epoch 0)")
        elif tie and got_epoch == t:
            hint = (f"the score {scores[t]:g} ties the best so far: a tie is not an "
                    "improvement (compare with >, not >=)")
        fail(name, f"best_epoch is {got_epoch!r:.40}, expected {want_epoch} after {where}",
             "hint: " + hint if hint else "")
    got_score = getattr(stopper, "best_score", None)
    if not (isinstance(got_score, (float, int, np.floating, np.integer))
            and float(got_score) == want_score):
        fail(name, f"best_score is {got_score!r:.40}, expected {want_score:g} after {where}")
    _check_best_params(stopper, name, want_epoch, t, snapshots=snapshots, params=params,
                       where=where)
    result = returns[-1]
    if not isinstance(result, (bool, np.bool_)):
        fail(name, f"update should return True or False, got {type(result).__name__} "
                   f"after {where}")
    want = bool(ref[p + "stops"][t])
    if bool(result) != want:
        hint = _stop_hint(full, ref, p)
        if not hint and tie and not result:
            hint = (f"the score {scores[t]:g} ties the best so far: a tie is not an "
                    "improvement, so it counts as a call without improvement")
        if not hint and t and scores[t] > scores[t - 1] and want_epoch != t:
            hint = (f"the score {scores[t]:g} is above the previous one but not above the "
                    f"best ({want_score:g}): an improvement is a score above the BEST so far")
        fail(name, f"update returned {bool(result)}, expected {want} at {where}",
             f"expected returns so far {_fmt(ref[p + 'stops'][:t + 1])}, yours "
             f"{_fmt([bool(r) for r in returns])}",
             "hint: " + (hint or "return True exactly when none of the last `patience` calls "
                                 "improved on the best score (the count starts again at "
                                 "every improvement)"))


def check_early_stopping(EarlyStopping, *, cases="visible", reference):
    """Check ``EarlyStopping(patience)`` and its ``update(score, params) -> bool``.

    Parameters
    ----------
    EarlyStopping : class
    cases : {"visible", "hidden"} or list of StoppingCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(EarlyStopping, "EarlyStopping")
    cases, label_set = _cases("EarlyStopping", cases, reference)
    count = _check_bad_patience(EarlyStopping, name)
    for case in cases:
        count += _run_case(EarlyStopping, name, case, reference, f"EarlyStopping/{case.name}/")
    passed(name, count, f" ({label_set} cases)")


# ---------------------------------------------------------------------- adamw

def _adamw_label(case):
    cfg = "config=None (the defaults)" if case.config is None else \
        "config " + ", ".join(f"{k}={v:g}" for k, v in case.config)
    return (f"test case '{case.name}' (w {case.shape}, {case.steps} step"
            f"{'s' if case.steps > 1 else ''}, {cfg}"
            + (", resuming with m, v and t = 7 given" if case.resume else "") + ")")


def _adamw_hint(next_w, ref, p):
    if p + "cf_coupled" not in ref:
        return ""
    want = ref[p + "next_w"][0]
    candidates = [
        ("cf_coupled", "this is Adam with L2: weight_decay * w is added to the gradient "
                       "before the moments, so the decay is divided by sqrt(v) like the "
                       "gradient; AdamW leaves dw alone and subtracts "
                       "learning_rate * weight_decay * w separately"),
        ("cf_no_lr", "the decay is not multiplied by the learning rate: AdamW subtracts "
                     "learning_rate * weight_decay * w"),
        ("cf_no_decay", "there is no weight decay: this is plain Adam (read "
                        "config['weight_decay'], default 1e-2)"),
        ("cf_uncorrected", "the moments are not bias-corrected: divide m by 1 - beta1**t "
                           "and v by 1 - beta2**t (t counted from 1), as a3's adam does"),
        ("cf_after", "the decay is computed from the updated weights: use the w you were "
                     "given (before the Adam step), as PyTorch's AdamW does")]
    for key, msg in candidates:
        if key == "cf_no_decay" and not bool(ref[p + "decay_matters"]):
            continue
        cf = ref[p + key]
        if not close(cf, want, **ADAM_TOL) and close(next_w, cf, **ADAM_TOL):
            return msg
    return ""


def check_adamw(adamw, *, cases="visible", reference):
    """Check ``adamw(w, dw, config=None) -> (next_w, config)`` over a few steps.

    Parameters
    ----------
    adamw : callable
    cases : {"visible", "hidden"} or list of AdamWCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(adamw, "adamw")
    cases, label_set = _cases("adamw", cases, reference)
    count = 0
    for case in cases:
        p = f"adamw/{case.name}/"
        inputs = case_inputs(reference, "adamw", case.name)
        label = _adamw_label(case)
        w = inputs["in_w"]
        config = _adamw_config(case, inputs)
        for s in range(case.steps):
            dw = inputs["in_dw"][s]
            given = {"w": w.copy(), "dw": dw.copy()}
            where = f"step {s + 1} of {label}"
            with inputs_kept(name, given, who="an update rule", where=where):
                result = call(adamw, name, given["w"], given["dw"], config)
                if not isinstance(result, tuple) or len(result) != 2:
                    fail(name, f"should return a tuple (next_w, config), got "
                               f"{type(result).__name__} on {where}")
                next_w, config = result
                next_w = _core.array(next_w, w.shape, name, "next_w")
                want = reference[p + "next_w"][s]
                if not close(next_w, want, **ADAM_TOL):
                    hint = _adamw_hint(next_w, reference, p) if s == 0 else ""
                    i, got, exp = _core.worst_index(next_w, want)
                    fail(name, f"next_w is wrong on {where}",
                         f"largest difference at next_w{list(i)}: yours {got:.12g}, expected "
                         f"{exp:.12g}",
                         "hint: " + hint if hint else
                         ("hint: the first step was right: pass the returned config to the "
                          "next call and keep m, v and t in it" if s else ""))
                if not isinstance(config, dict):
                    fail(name, f"the returned config should be a dict, got "
                               f"{type(config).__name__} on {where}")
                for key in ("m", "v"):
                    got = config.get(key)
                    if not (isinstance(got, np.ndarray) and got.shape == w.shape
                            and close(got, reference[p + key][s], **ADAM_TOL)):
                        fail(name, f"config[{key!r}] is wrong after {where}",
                             "hint: the moments are those of a3's adam on dw alone (the "
                             "decay does not enter them); store the new ones in config")
                t_got = config.get("t")
                if not (isinstance(t_got, (int, np.integer))
                        and int(t_got) == int(reference[p + "t"][s])):
                    fail(name, f"config['t'] is {t_got!r}, expected "
                               f"{int(reference[p + 't'][s])} after {where}",
                         "hint: t counts the steps taken: increment it once per call")
            w = next_w
            count += 4
    passed(name, count, f" ({label_set} cases)")


# ----------------------------------------------------------- flips and crops

def _identify(out, X, maps):
    """For each image the index of the map that gives out[i] from X[i] (-1: none)."""
    N = len(X)
    Xz = np.concatenate([np.zeros((N, 1)), X.reshape(N, -1)], axis=1)
    flat = out.reshape(N, -1)
    which = np.full(N, -1)
    for k, m in enumerate(maps):
        hit = np.all(flat == Xz[:, m], axis=1)
        which[hit & (which < 0)] = k
    return which


def _hoeffding(n, m=1):
    return math.sqrt(math.log(2 * m / DELTA) / (2 * n))


def _coincide(case, kind):
    """log of the probability that two right draws of the case coincide."""
    k = 2 if kind == "random_flips" else (2 * case.pad + 1) ** 2
    return -case.N * math.log(k) if k > 1 else 0.0


def _draw(fn, name, X, args, *, seed, label):
    given = {"X": X.copy()}
    with inputs_kept(name, given, who=name, where=label):
        out = call(fn, name, given["X"], *args, np.random.default_rng(seed))
        out = _image_output(out, given["X"], name, label)
    return out


def _no_match(name, kind, out, X, *, i, maps, label):
    N, H, W = X.shape
    Xi = X[i]
    hint = ""
    if kind == "random_flips":
        if np.array_equal(out[i], Xi[::-1, :]):
            hint = ("this image is flipped upside down (its rows reversed): a horizontal "
                    "flip mirrors left to right, reversing the columns")
        elif np.array_equal(out[i], Xi[::-1, ::-1]):
            hint = "this image is turned by 180 degrees: reverse its columns only"
        what = "X[i] or X[i] mirrored left to right"
    else:
        interior = maps > 0
        Xz = np.concatenate([[0.0], Xi.ravel()])
        inside = [k for k, m in enumerate(maps)
                  if np.array_equal(out[i].ravel()[interior[k]], Xz[m[interior[k]]])]
        if inside:
            hint = ("the pixels that come from the image are right, but the padding is not "
                    "zero: pad with zeros (np.pad's default mode 'constant'), not with the "
                    "image's edge")
        what = "a crop of X[i] padded with zeros, at an offset in 0..2 pad"
    fail(name, f"output image {i} is not {what} on {label}",
         f"first row of X[{i}]: {_fmt(np.round(Xi[0], 4))}; yours: "
         f"{_fmt(np.round(out[i][0], 4))}",
         "hint: " + hint if hint else "")


def _check_transforms(fn, name, kind, case, *, ref, args):
    p = f"{kind}/{case.name}/"
    X = _images(case)
    maps = ref[p + "maps"]
    label = (f"test case '{case.name}' (X {X.shape}"
             + (f", pad={case.pad}" if kind == "random_crops" else "") + ")")
    out = _draw(fn, name, X, args, seed=case.seed + 1, label=label)
    which = _identify(out, X, maps)
    if np.any(which < 0):
        _no_match(name, kind, out, X, i=int(np.argmax(which < 0)), maps=maps, label=label)
    count = 4
    # The statistics first: a batch-wide or constant draw gets their hint.
    if case.N >= MIN_STAT[kind]:
        if kind == "random_flips":
            _flip_stats(name, ref[p + "flipped"][which], label)
        else:
            _crop_stats(name, ref[p + "offsets"][which], case.pad, label)
        count += 1
    again = _draw(fn, name, X, args, seed=case.seed + 1, label=label)
    if not np.array_equal(out, again):
        _seed_note(name, label, "images")
    if _coincide(case, kind) < math.log(SAME):
        if np.array_equal(out, _draw(fn, name, X, args, seed=case.seed + 2, label=label)):
            _other_seed(name, label, "images")
        count += 1
    return count


def _flip_stats(name, flipped, label):
    n = len(flipped)
    frac = float(np.mean(flipped))
    t = _hoeffding(n)
    if abs(frac - 0.5) >= t:
        hint = ("every image is flipped" if frac == 1 else "no image is flipped"
                if frac == 0 else "")
        fail(name, f"{frac:.4f} of the {n} images are flipped on {label}, expected 1/2 "
                   f"within {t:.4f}",
             f"a right draw is this far off with probability below {DELTA:g}",
             "hint: " + (hint + ": " if hint else "") + "draw one coin per image (e.g. "
             "rng.random(N) < 0.5), not one for the whole batch")


def _crop_stats(name, offsets, pad, label):
    n, K = len(offsets), 2 * pad + 1
    if K == 1:
        return
    t = _hoeffding(n, 2 * K + 1)
    for axis, direction in ((0, "vertical"), (1, "horizontal")):
        freq = np.bincount(offsets[:, axis], minlength=K) / n
        j = int(np.argmax(np.abs(freq - 1 / K)))
        if abs(freq[j] - 1 / K) >= t:
            if np.count_nonzero(freq) == 1:
                hint = "every image has the same offset: draw one offset per image"
            elif freq[K - 1] == 0 and np.count_nonzero(freq) == K - 1:
                hint = ("the offset 2 pad is never drawn: rng.integers excludes its upper "
                        "bound, so draw from rng.integers(0, 2 * pad + 1)")
            elif np.all(freq[pad + 1:] == 0):
                hint = ("no offset above pad: the image only shifts one way; pad on EVERY "
                        "side and draw offsets in 0..2 pad")
            else:
                hint = "each offset in 0..2 pad must be equally likely"
            fail(name, f"the {direction} offset {j} has frequency {freq[j]:.4f} over {n} "
                       f"images on {label}, expected 1/(2 pad + 1) = {1 / K:.4f} within "
                       f"{t:.4f}",
                 f"frequencies of the offsets 0..{K - 1}: {_fmt(np.round(freq, 4))}; a right "
                 f"draw is this far off with probability below {DELTA:g}",
                 "hint: " + hint)
    same = float(np.mean(offsets[:, 0] == offsets[:, 1]))
    if abs(same - 1 / K) >= t:
        fail(name, f"{same:.4f} of the {n} crops have equal vertical and horizontal offsets "
                   f"on {label}, expected 1/(2 pad + 1) = {1 / K:.4f} within {t:.4f}",
             "hint: draw the two offsets of an image independently (two draws)")


def check_random_flips(random_flips, *, cases="visible", reference):
    """Check ``random_flips(X, rng) -> ndarray (N, H, W)``.

    Parameters
    ----------
    random_flips : callable
    cases : {"visible", "hidden"} or list of ImageCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(random_flips, "random_flips")
    cases, label_set = _cases("random_flips", cases, reference)
    count = sum(_check_transforms(random_flips, name, "random_flips", case, ref=reference, args=())
                for case in cases)
    passed(name, count, f" ({label_set} cases)")


def check_random_crops(random_crops, *, cases="visible", reference):
    """Check ``random_crops(X, pad, rng) -> ndarray (N, H, W)``.

    Parameters
    ----------
    random_crops : callable
    cases : {"visible", "hidden"} or list of ImageCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(random_crops, "random_crops")
    cases, label_set = _cases("random_crops", cases, reference)
    count = 0
    for case in cases:
        pad = int(reference[f"random_crops/{case.name}/in_pad"])
        count += _check_transforms(random_crops, name, "random_crops", case, ref=reference,
                                   args=(pad,))
    passed(name, count, f" ({label_set} cases)")


# ---------------------------------------------------------------------- noise

def _normal_bins():
    """P(|Z| in bin) for a standard normal Z, for the bins of NOISE_BINS."""
    cdf = [math.erf(b / math.sqrt(2)) if math.isfinite(b) else 1.0 for b in NOISE_BINS]
    return np.diff(cdf)


def check_add_noise(add_noise, *, cases="visible", reference):
    """Check ``add_noise(X, std, rng) -> ndarray`` (X plus Gaussian noise).

    Parameters
    ----------
    add_noise : callable
    cases : {"visible", "hidden"} or list of ImageCase
    reference : dict
        Reference arrays (``make_reference``).
    """
    name = _name(add_noise, "add_noise")
    cases, label_set = _cases("add_noise", cases, reference)
    count = 0
    for case in cases:
        p = f"add_noise/{case.name}/"
        X = _images(case)
        std = float(reference[p + "in_std"])
        label = f"test case '{case.name}' (X {X.shape}, std={std:g})"
        out = _draw(add_noise, name, X, (std,), seed=case.seed + 1, label=label)
        noise = out - X
        n = noise.size
        if not np.all(np.isfinite(noise)):
            fail(name, f"the output is not finite on {label}")
        if not np.array_equal(out, _draw(add_noise, name, X, (std,), seed=case.seed + 1,
                                         label=label)):
            _seed_note(name, label, "noise")
        if np.array_equal(out, _draw(add_noise, name, X, (std,), seed=case.seed + 2,
                                     label=label)):
            _other_seed(name, label, "noise")
        same = dict(rtol=1e-9, atol=1e-12)   # out - X rounds the noise
        if case.N > 1 and close(noise[0], noise[1], **same):
            fail(name, f"images 0 and 1 get the same noise on {label}",
                 "hint: draw noise of X's whole shape (N, H, W), not of one image's shape: "
                 "every image needs its own noise")
        if case.H * case.W > 1 and close(noise[0], np.full_like(noise[0], noise[0].flat[0]),
                                                    **same):
            fail(name, f"every entry of image 0 gets the same noise on {label}",
                 "hint: draw independent noise for every entry (of X's shape)")
        count += 5
        if n < MIN_STAT["add_noise"]:
            continue
        mean, bound = float(noise.mean()), Z * std / math.sqrt(n)
        if abs(mean) >= bound:
            fail(name, f"the mean of the noise is {mean:.5g} on {label}, expected 0 within "
                       f"{bound:.3g}",
                 "hint: Gaussian noise is centred: rng.standard_normal or rng.normal(0, std)")
        freq = np.histogram(np.abs(noise) / std, bins=NOISE_BINS)[0] / n
        want = _normal_bins()
        t = _hoeffding(n, len(want))
        j = int(np.argmax(np.abs(freq - want)))
        if abs(freq[j] - want[j]) >= t:
            spread = float(np.sqrt(np.mean(noise ** 2)))
            if close(spread, std ** 2, rtol=0.05, atol=0):
                hint = (f"the noise has standard deviation about {spread:.4g} = std**2: std "
                        "is the standard deviation, multiply standard normal noise by std "
                        "(not std**2, and scale= of rng.normal is the standard deviation)")
            elif freq[-1] == 0:
                hint = ("no noise beyond 2 std: the noise is not Gaussian (uniform noise?); "
                        "draw it with rng.standard_normal or rng.normal")
            else:
                hint = (f"the noise has standard deviation about {spread:.4g}, expected "
                        f"{std:g}: multiply standard normal noise by std")
            fail(name, f"the noise is not Gaussian with standard deviation {std:g} on {label}",
                 f"fractions of |noise| / std in [0, 0.5), [0.5, 1), [1, 2), [2, inf): "
                 f"{_fmt(np.round(freq, 4))}, expected {_fmt(np.round(want, 4))} within "
                 f"{t:.4f} (a right draw is this far off with probability below {DELTA:g})",
                 "hint: " + hint)
        count += 2
    passed(name, count, f" ({label_set} cases)")


# ------------------------------------------------------------ for the grader

CHECKS = {"EarlyStopping": check_early_stopping, "adamw": check_adamw,
          "random_flips": check_random_flips, "random_crops": check_random_crops,
          "add_noise": check_add_noise}

TEST_CELLS = {"EarlyStopping": "test_early_stopping", "adamw": "test_adamw",
              "random_flips": "test_random_flips", "random_crops": "test_random_crops",
              "add_noise": "test_add_noise"}

GRADED = [_core.Graded(kind, NOTEBOOK, TEST_CELLS[kind], kind, run=_grade,
                       watch=("best_score", "best_epoch", "best_params")
                       if kind == "EarlyStopping" else ())
          for kind in KINDS]


def random_cases(rng):
    """Fresh cases for the grader, drawn from ``rng``: kind -> list of cases.

    The statistical cases are large enough that a never-drawn offset, a
    batch-wide draw and noise of the wrong law fail with certainty.
    """
    def seed():
        return int(rng.integers(2**31 - 20))

    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def script(T):
        # Scores on a grid of 0.05, so that ties happen.
        return tuple(float(x) for x in np.round(np.cumsum(rng.normal(0.02, 0.1, T)) / 0.05)
                     * 0.05 + 0.5)

    cases = {"EarlyStopping": [StoppingCase("unseen", seed(), n(1, 4), script(n(8, 20))),
                               StoppingCase("unseen_long", seed(), n(2, 6), script(n(15, 30)))]}
    cfg = (("learning_rate", float(10 ** rng.uniform(-3, -1.5))),
           ("weight_decay", float(10 ** rng.uniform(-2, 0))))
    cases["adamw"] = [AdamWCase("unseen", seed(), (n(1, 6), n(1, 6)), n(1, 4), cfg),
                      AdamWCase("unseen_defaults", seed(), (n(2, 20),), n(2, 3))]
    cases["random_flips"] = [ImageCase("unseen_large", seed(), n(1000, 1500), n(3, 8), n(3, 8)),
                             ImageCase("unseen_small", seed(), n(2, 8), n(2, 6), n(2, 6))]
    H, W = n(5, 9), n(5, 9)
    cases["random_crops"] = [
        ImageCase("unseen_large", seed(), n(1200, 1600), H, W, pad=n(1, 3)),
        ImageCase("unseen_small", seed(), n(2, 8), n(3, 6), n(3, 6), pad=n(0, 2))]
    cases["add_noise"] = [
        ImageCase("unseen_large", seed(), n(180, 250), n(8, 12), n(8, 12),
                  std=float(rng.choice([rng.uniform(0.1, 0.7), rng.uniform(1.5, 4.0)]))),
        ImageCase("unseen_small", seed(), n(2, 5), n(2, 6), n(2, 6),
                  std=float(rng.uniform(0.1, 3.0)))]
    return cases
