"""Assignment 5's corpus, part regularization: right and wrong early stopping,
Adam with decoupled weight decay, random flips, random crops and Gaussian noise,
and the part's sample submissions (joined by a5_practice.py)."""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------- early stopping: right

class EarlyStopping:
    def __init__(self, patience):
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        self.patience = patience
        self.best_score = -np.inf
        self.best_epoch = None
        self.best_params = None
        self.calls = 0
        self.bad = 0

    def update(self, score, params):
        if score > self.best_score:
            self.best_score = score
            self.best_epoch = self.calls
            self.best_params = {k: v.copy() for k, v in params.items()}
            self.bad = 0
        else:
            self.bad += 1
        self.calls += 1
        return self.bad >= self.patience


class EarlyStoppingHistory:
    """Keeps every score and looks back (a right answer written differently)."""

    def __init__(self, patience):
        if not patience >= 1:
            raise ValueError("patience < 1")
        self.patience = patience
        self.scores = []
        self.best_score = -np.inf
        self.best_epoch = None
        self.best_params = None

    def update(self, score, params):
        self.scores.append(score)
        if score > self.best_score:
            self.best_score = score
            self.best_epoch = len(self.scores) - 1
            self.best_params = {name: np.array(w, copy=True) for name, w in params.items()}
        return len(self.scores) - 1 - self.best_epoch >= self.patience


class EarlyStoppingDeepcopy:
    def __init__(self, patience):
        import copy
        self._copy = copy.deepcopy
        if patience < 1:
            raise ValueError("patience must be positive")
        self.patience, self.wait, self.epoch = patience, 0, -1
        self.best_score, self.best_epoch, self.best_params = -np.inf, None, None

    def update(self, score, params):
        self.epoch += 1
        if not score <= self.best_score:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = self._copy(dict(params))
            self.wait = 0
            return False
        self.wait += 1
        return self.wait >= self.patience


# ------------------------------------------------------- early stopping: wrong

class EarlyStoppingLastWeights(EarlyStopping):
    """Keeps the weights of the last call, not of the best one."""

    def update(self, score, params):
        stop = super().update(score, params)
        self.best_params = {k: v.copy() for k, v in params.items()}
        return stop


class EarlyStoppingReference(EarlyStopping):
    """Keeps the caller's dict itself: later changes show through."""

    def update(self, score, params):
        if score > self.best_score:
            self.best_score, self.best_epoch, self.best_params = score, self.calls, params
            self.bad = 0
        else:
            self.bad += 1
        self.calls += 1
        return self.bad >= self.patience


class EarlyStoppingShallowCopy(EarlyStopping):
    """A new dict holding the same arrays: in-place changes show through."""

    def update(self, score, params):
        if score > self.best_score:
            self.best_score, self.best_epoch, self.best_params = score, self.calls, dict(params)
            self.bad = 0
        else:
            self.bad += 1
        self.calls += 1
        return self.bad >= self.patience


class EarlyStoppingEarly(EarlyStopping):
    """Patience off by one: stops one call early."""

    def update(self, score, params):
        super().update(score, params)
        return self.bad >= self.patience - 1 and self.bad > 0


class EarlyStoppingLate(EarlyStopping):
    """Patience off by one: stops one call late."""

    def update(self, score, params):
        super().update(score, params)
        return self.bad > self.patience


class EarlyStoppingTieImproves(EarlyStopping):
    """>= instead of >: a tie counts as an improvement."""

    def update(self, score, params):
        if score >= self.best_score:
            self.best_score, self.best_epoch = score, self.calls
            self.best_params = {k: v.copy() for k, v in params.items()}
            self.bad = 0
        else:
            self.bad += 1
        self.calls += 1
        return self.bad >= self.patience


class EarlyStoppingOneBased(EarlyStopping):
    """best_epoch counts calls from 1."""

    def update(self, score, params):
        stop = super().update(score, params)
        if self.best_epoch is not None and self.bad == 0:
            self.best_epoch += 1
        return stop


class EarlyStoppingNoReset(EarlyStopping):
    """Counts every call without improvement, never resets the count."""

    def update(self, score, params):
        bad = self.bad
        super().update(score, params)
        if self.bad == 0:
            self.bad = bad
        return self.bad >= self.patience


class EarlyStoppingPrevious(EarlyStopping):
    """Compares with the previous score instead of the best one."""

    def update(self, score, params):
        previous = getattr(self, "previous", -np.inf)
        self.previous = score
        if score > self.best_score:
            self.best_score, self.best_epoch = score, self.calls
            self.best_params = {k: v.copy() for k, v in params.items()}
        self.bad = 0 if score > previous else self.bad + 1
        self.calls += 1
        return self.bad >= self.patience


class EarlyStoppingNoValueError(EarlyStopping):
    def __init__(self, patience):
        self.patience = patience
        self.best_score, self.best_epoch, self.best_params = -np.inf, None, None
        self.calls = self.bad = 0


# ------------------------------------------------------------- adamw: right

def adamw(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    lr, b1, b2 = config["learning_rate"], config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    next_w = w - lr * m_hat / (np.sqrt(v_hat) + config["epsilon"]) \
        - lr * config["weight_decay"] * w
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


def adamw_decay_first(w, dw, config=None):
    config = {} if config is None else config
    defaults = dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                    weight_decay=1e-2, t=0)
    for key, value in defaults.items():
        config.setdefault(key, value)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    lr = config["learning_rate"]
    decayed = w * (1 - lr * config["weight_decay"])
    config["t"] += 1
    t = config["t"]
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw * dw
    step = lr * (config["m"] / (1 - config["beta1"] ** t)) / (
        np.sqrt(config["v"] / (1 - config["beta2"] ** t)) + config["epsilon"])
    return decayed - step, config


def adamw_folded(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("weight_decay", 1e-2), ("t", 0)):
        config.setdefault(key, value)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    t = config["t"] + 1
    m = m + (1 - b1) * (dw - m)
    v = v + (1 - b2) * (dw * dw - v)
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    alpha = config["learning_rate"] * np.sqrt(c2) / c1
    next_w = w - alpha * m / (np.sqrt(v) + eps * np.sqrt(c2))
    next_w = next_w - config["learning_rate"] * config["weight_decay"] * w
    config.update(m=m, v=v, t=t)
    return next_w, config


# ------------------------------------------------------------- adamw: wrong

def adamw_coupled(w, dw, config=None):
    """Adam with L2: the decay is added to the gradient before the moments."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    lr, b1, b2 = config["learning_rate"], config["beta1"], config["beta2"]
    g = dw + config["weight_decay"] * w
    t = config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * g
    v = b2 * config["v"] + (1 - b2) * g ** 2
    next_w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


def adamw_no_lr(w, dw, config=None):
    """The decay is not multiplied by the learning rate."""
    config = {} if config is None else config
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("learning_rate", 1e-3)
    next_w, config = adamw(w, dw, config)
    return next_w + config["learning_rate"] * config["weight_decay"] * w \
        - config["weight_decay"] * w, config


def adamw_decay_after(w, dw, config=None):
    """The decay is computed from the updated weights."""
    config = {} if config is None else config
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("learning_rate", 1e-3)
    wd = config["weight_decay"]
    config["weight_decay"] = 0.0
    next_w, config = adamw(w, dw, config)
    config["weight_decay"] = wd
    return next_w * (1 - config["learning_rate"] * wd), config


def adamw_no_bias_correction(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    lr, b1, b2 = config["learning_rate"], config["beta1"], config["beta2"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    next_w = w - lr * m / (np.sqrt(v) + config["epsilon"]) - lr * config["weight_decay"] * w
    config["m"], config["v"], config["t"] = m, v, config["t"] + 1
    return next_w, config


def adamw_no_decay(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("weight_decay", 1e-2)
    wd = config["weight_decay"]
    config["weight_decay"] = 0.0
    next_w, config = adamw(w, dw, config)
    config["weight_decay"] = wd
    return next_w, config


def adamw_in_place(w, dw, config=None):
    next_w, config = adamw(w, dw, config)
    w -= w - next_w
    return w, config


# --------------------------------------------------------------- flips: right

def random_flips(X, rng):
    flip = rng.random(X.shape[0]) < 0.5
    return np.where(flip[:, None, None], X[:, :, ::-1], X)


def random_flips_np_flip(X, rng):
    out = X.copy()
    flip = rng.integers(2, size=len(X)).astype(bool)
    out[flip] = np.flip(X[flip], axis=2)
    return out


def random_flips_loop(X, rng):
    out = np.empty_like(X)
    for i in range(len(X)):
        out[i] = np.fliplr(X[i]) if rng.random() < 0.5 else X[i]
    return out


# --------------------------------------------------------------- flips: wrong

def random_flips_batch(X, rng):
    """One draw for the whole batch."""
    return X[:, :, ::-1].copy() if rng.random() < 0.5 else X.copy()


def random_flips_upside_down(X, rng):
    flip = rng.random(X.shape[0]) < 0.5
    return np.where(flip[:, None, None], X[:, ::-1, :], X)


def random_flips_always(X, rng):
    return X[:, :, ::-1].copy()


def random_flips_np_random(X, rng):
    flip = np.random.random(X.shape[0]) < 0.5
    return np.where(flip[:, None, None], X[:, :, ::-1], X)


def random_flips_in_place(X, rng):
    flip = rng.random(X.shape[0]) < 0.5
    X[flip] = X[flip][:, :, ::-1]
    return X


# --------------------------------------------------------------- crops: right

def random_crops(X, pad, rng):
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, pad), (pad, pad)))
    dy = rng.integers(0, 2 * pad + 1, size=N)
    dx = rng.integers(0, 2 * pad + 1, size=N)
    out = np.empty_like(X)
    for i in range(N):
        out[i] = padded[i, dy[i]:dy[i] + H, dx[i]:dx[i] + W]
    return out


def random_crops_canvas(X, pad, rng):
    N, H, W = X.shape
    canvas = np.zeros((N, H + 2 * pad, W + 2 * pad), dtype=X.dtype)
    canvas[:, pad:pad + H, pad:pad + W] = X
    offsets = rng.integers(0, 2 * pad + 1, size=(N, 2))
    return np.stack([canvas[i, a:a + H, b:b + W] for i, (a, b) in enumerate(offsets)])


def random_crops_gather(X, pad, rng):
    N, H, W = X.shape
    off = rng.choice(2 * pad + 1, size=(2, N))
    rows = np.arange(H)[None, :] + off[0][:, None] - pad      # (N, H) source rows
    cols = np.arange(W)[None, :] + off[1][:, None] - pad      # (N, W) source columns
    ok = ((rows >= 0) & (rows < H))[:, :, None] & ((cols >= 0) & (cols < W))[:, None, :]
    r = np.clip(rows, 0, H - 1)[:, :, None]
    c = np.clip(cols, 0, W - 1)[:, None, :]
    return np.where(ok, X[np.arange(N)[:, None, None], r, c], 0.0)


# --------------------------------------------------------------- crops: wrong

def random_crops_one_offset(X, pad, rng):
    """One offset for the whole batch."""
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, pad), (pad, pad)))
    dy, dx = rng.integers(0, 2 * pad + 1, size=2)
    return padded[:, dy:dy + H, dx:dx + W].copy()


def random_crops_off_by_one(X, pad, rng):
    """Offsets in 0..2 pad - 1: the last one is never drawn."""
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, pad), (pad, pad)))
    dy = rng.integers(0, max(2 * pad, 1), size=N)
    dx = rng.integers(0, max(2 * pad, 1), size=N)
    return np.stack([padded[i, dy[i]:dy[i] + H, dx[i]:dx[i] + W] for i in range(N)])


def random_crops_edge(X, pad, rng):
    """Pads with the image's edge instead of zeros."""
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    dy = rng.integers(0, 2 * pad + 1, size=N)
    dx = rng.integers(0, 2 * pad + 1, size=N)
    return np.stack([padded[i, dy[i]:dy[i] + H, dx[i]:dx[i] + W] for i in range(N)])


def random_crops_one_side(X, pad, rng):
    """Pads at the top and left only: shifts go one way."""
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, 0), (pad, 0)))
    dy = rng.integers(0, pad + 1, size=N)
    dx = rng.integers(0, pad + 1, size=N)
    return np.stack([padded[i, dy[i]:dy[i] + H, dx[i]:dx[i] + W] for i in range(N)])


def random_crops_same_offset_both_axes(X, pad, rng):
    """One draw used for the rows and the columns."""
    N, H, W = X.shape
    padded = np.pad(X, ((0, 0), (pad, pad), (pad, pad)))
    d = rng.integers(0, 2 * pad + 1, size=N)
    return np.stack([padded[i, d[i]:d[i] + H, d[i]:d[i] + W] for i in range(N)])


# ---------------------------------------------------------------- noise: right

def add_noise(X, std, rng):
    return X + std * rng.standard_normal(X.shape)


def add_noise_normal(X, std, rng):
    return X + rng.normal(0.0, std, size=X.shape)


def add_noise_copy(X, std, rng):
    out = X.copy()
    out += rng.normal(scale=std, size=out.shape)
    return out


# ---------------------------------------------------------------- noise: wrong

def add_noise_variance(X, std, rng):
    return X + std ** 2 * rng.standard_normal(X.shape)


def add_noise_uniform(X, std, rng):
    # Uniform on [-a, a] with the right standard deviation a / sqrt(3).
    a = std * np.sqrt(3.0)
    return X + rng.uniform(-a, a, size=X.shape)


def add_noise_in_place(X, std, rng):
    X += std * rng.standard_normal(X.shape)
    return X


def add_noise_same_for_all(X, std, rng):
    return X + std * rng.standard_normal(X.shape[1:])


def add_noise_np_random(X, std, rng):
    return X + std * np.random.standard_normal(X.shape)


# ------------------------------------------------------------------- tables

CORRECT = {
    "EarlyStopping": [EarlyStopping, EarlyStoppingHistory, EarlyStoppingDeepcopy],
    "adamw": [adamw, adamw_decay_first, adamw_folded],
    "random_flips": [random_flips, random_flips_np_flip, random_flips_loop],
    "random_crops": [random_crops, random_crops_canvas, random_crops_gather],
    "add_noise": [add_noise, add_noise_normal, add_noise_copy],
}

WRONG = {
    "EarlyStopping": [EarlyStoppingLastWeights, EarlyStoppingReference,
                      EarlyStoppingShallowCopy, EarlyStoppingEarly, EarlyStoppingLate,
                      EarlyStoppingTieImproves, EarlyStoppingOneBased, EarlyStoppingNoReset,
                      EarlyStoppingPrevious, EarlyStoppingNoValueError],
    "adamw": [adamw_coupled, adamw_no_lr, adamw_decay_after, adamw_no_bias_correction,
              adamw_no_decay, adamw_in_place],
    "random_flips": [random_flips_batch, random_flips_upside_down, random_flips_always,
                     random_flips_np_random, random_flips_in_place],
    "random_crops": [random_crops_one_offset, random_crops_off_by_one, random_crops_edge,
                     random_crops_one_side, random_crops_same_offset_both_axes],
    "add_noise": [add_noise_variance, add_noise_uniform, add_noise_in_place,
                  add_noise_same_for_all, add_noise_np_random],
}

BASE = {"EarlyStopping": [EarlyStopping], "adamw": [adamw], "random_flips": [random_flips],
        "random_crops": [random_crops], "add_noise": [add_noise]}

DIFFERENT = {"EarlyStopping": [EarlyStoppingHistory], "adamw": [adamw_decay_first],
             "random_flips": [random_flips_np_flip], "random_crops": [random_crops_canvas],
             "add_noise": [add_noise_normal]}

SAMPLES = [
    Sample(
        "bug-adamw-coupled",
        fills={"adamw": [adamw_coupled]},
        lose={"test_adamw"},
        # make test grades a5's correct sample, bug-cv-mean-of-all-x and
        # bug-cutmix-lam-as-weight end to end; test_grading's soundness test
        # runs this variant through the integrity pass.
        in_tests=False,
        note="adamw adds weight_decay * w to the gradient before the moments (Adam with "
             "L2, not decoupled): the decay is then divided by sqrt(v) like the gradient; "
             "its check names the bug and only its test cell loses."),
    Sample(
        "bug-early-stopping-last-weights",
        fills={"EarlyStopping": [EarlyStopping, EarlyStoppingLastWeights]},
        lose={"test_early_stopping"},
        in_tests=False,
        note="EarlyStopping copies the parameters on every call, so best_params holds the "
             "last epoch's weights, not the best one's: only its test cell loses."),
    Sample(
        "bug-crops-off-by-one",
        fills={"random_crops": [random_crops_off_by_one]},
        lose={"test_random_crops"},
        in_tests=False,
        note="random_crops draws offsets from 0..2 pad - 1 (rng.integers' upper bound is "
             "excluded): every crop is a valid shift, only the statistics over many images "
             "show that the last offset never comes; only its test cell loses."),
    Sample(
        "bug-noise-variance",
        fills={"add_noise": [add_noise_variance]},
        lose={"test_add_noise"},
        in_tests=False,
        note="add_noise scales standard normal noise by std**2 (the variance): the spread "
             "of the noise is measured and only its test cell loses."),
]
