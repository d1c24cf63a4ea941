"""Assignment 4's corpus, part dropout: right and wrong inverted dropout, and the
part's sample submissions (joined by a4_deep_nets.py).

A backward variant is a (forward, backward) pair: the check calls the
backward on the caches of its forward.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ---------------------------------------------------------- forward: right

def dropout_forward_random_less(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask / keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_binomial(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    if mode == "test":
        return x.copy(), (mode, None, keep_prob)
    mask = dropout_param["rng"].binomial(1, keep_prob, size=x.shape)
    out = (x * mask / keep_prob).astype(x.dtype)
    return out, (mode, mask, keep_prob)


def dropout_forward_uniform_geq(x, dropout_param):
    keep_prob = dropout_param["keep_prob"]
    if dropout_param["mode"] != "train":
        return x, {"mode": "test"}
    rng = dropout_param["rng"]
    keep = rng.uniform(size=x.shape) >= 1.0 - keep_prob
    return np.where(keep, x / keep_prob, 0), {"mode": "train", "keep": keep, "p": keep_prob}


def dropout_forward_prescaled(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    if mode == "train":
        rng = dropout_param["rng"]
        mask = ((rng.random(x.shape) < keep_prob) / keep_prob).astype(x.dtype)
        return x * mask, (mode, mask)
    return x, (mode, None)


def dropout_forward_mask_always(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = dropout_param["rng"].random(x.shape) < keep_prob
    out = x * mask / keep_prob if mode == "train" else x
    return out, (dropout_param, mask)


# ---------------------------------------------------------- forward: wrong

def dropout_forward_flipped(x, dropout_param):
    """Drops with probability keep_prob (keeps with 1 - keep_prob)."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) > keep_prob
        out = x * mask / keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_keep_prob_as_drop(x, dropout_param):
    """CS231n's old p, the probability of dropping: keeps and scales by 1 - keep_prob."""
    mode, p = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = (dropout_param["rng"].random(x.shape) > p) / (1 - p)
        out = (x * mask).astype(x.dtype)
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_not_scaled(x, dropout_param):
    """Non-inverted dropout without its test-time scaling: scaled nowhere."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_original(x, dropout_param):
    """The original dropout: not scaled at train time, times keep_prob at test time."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask
    else:
        out = x * keep_prob
    return out, (dropout_param, mask)


def dropout_forward_scaled_at_test(x, dropout_param):
    """Inverted at train time and scaled by 1 / keep_prob at test time as well."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask / keep_prob
    else:
        out = x / keep_prob
    return out, (dropout_param, mask)


def dropout_forward_active_at_test(x, dropout_param):
    """Ignores the mode: drops units at test time too."""
    keep_prob = dropout_param["keep_prob"]
    mask = dropout_param["rng"].random(x.shape) < keep_prob
    return x * mask / keep_prob, (dropout_param, mask)


def dropout_forward_mode_reversed(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "test":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask / keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_np_random(x, dropout_param):
    """np.random's global state instead of the rng it is given."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < keep_prob
        out = x * mask / keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_own_generator(x, dropout_param):
    """A generator of its own with a fixed seed: the same mask whatever the rng."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = np.random.default_rng(0).random(x.shape) < keep_prob
        out = x * mask / keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_times_keep_prob(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        out = x * mask * keep_prob
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_in_place(x, dropout_param):
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < keep_prob
        x *= mask
        x /= keep_prob
    return x, (dropout_param, mask)


def dropout_forward_upcasts(x, dropout_param):
    """A pre-scaled float64 mask: float32 inputs give float64 outputs."""
    mode, keep_prob = dropout_param["mode"], dropout_param["keep_prob"]
    if mode == "train":
        mask = (dropout_param["rng"].random(x.shape) < keep_prob) / keep_prob
        return x * mask, (mode, mask)
    return x, (mode, None)


def dropout_forward_p_key(x, dropout_param):
    """CS231n's key name: dropout_param['p']."""
    mode, p = dropout_param["mode"], dropout_param["p"]
    mask = None
    if mode == "train":
        mask = dropout_param["rng"].random(x.shape) < p
        out = x * mask / p
    else:
        out = x
    return out, (dropout_param, mask)


# --------------------------------------------------------- backward: right

def dropout_backward_mask_scale(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["keep_prob"]
    return dout


def dropout_backward_binomial(dout, cache):
    mode, mask, keep_prob = cache
    if mode == "test":
        return dout
    return (dout * mask / keep_prob).astype(dout.dtype)


def dropout_backward_where(dout, cache):
    if cache["mode"] == "test":
        return dout.copy()
    return np.where(cache["keep"], dout / cache["p"], 0)


def dropout_backward_prescaled(dout, cache):
    mode, mask = cache
    return dout * mask if mode == "train" else dout


# --------------------------------------------------------- backward: wrong

def dropout_backward_redraws_mask(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        keep_prob = dropout_param["keep_prob"]
        mask = dropout_param["rng"].random(dout.shape) < keep_prob
        return dout * mask / keep_prob
    return dout


def dropout_backward_not_scaled(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def dropout_backward_times_keep_prob(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask * dropout_param["keep_prob"]
    return dout


def dropout_backward_ignores_mask(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout / dropout_param["keep_prob"]
    return dout


def dropout_backward_active_at_test(dout, cache):
    """Applies the mask whatever the mode (with a forward that always draws one)."""
    dropout_param, mask = cache
    return dout * mask / dropout_param["keep_prob"]


def dropout_backward_scaled_at_test(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["keep_prob"]
    return dout * dropout_param["keep_prob"]


def dropout_backward_in_place(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dout *= mask
        dout /= dropout_param["keep_prob"]
    return dout


CORRECT = {
    "dropout_forward": [dropout_forward_random_less, dropout_forward_binomial,
                        dropout_forward_uniform_geq, dropout_forward_prescaled,
                        dropout_forward_mask_always],
    "dropout_backward": [(dropout_forward_random_less, dropout_backward_mask_scale),
                         (dropout_forward_binomial, dropout_backward_binomial),
                         (dropout_forward_uniform_geq, dropout_backward_where),
                         (dropout_forward_prescaled, dropout_backward_prescaled),
                         (dropout_forward_mask_always, dropout_backward_mask_scale)],
}

WRONG = {
    "dropout_forward": [dropout_forward_flipped, dropout_forward_keep_prob_as_drop,
                        dropout_forward_not_scaled, dropout_forward_original,
                        dropout_forward_scaled_at_test, dropout_forward_active_at_test,
                        dropout_forward_mode_reversed, dropout_forward_np_random,
                        dropout_forward_own_generator, dropout_forward_times_keep_prob,
                        dropout_forward_in_place, dropout_forward_upcasts,
                        dropout_forward_p_key],
    "dropout_backward": [(dropout_forward_random_less, dropout_backward_redraws_mask),
                         (dropout_forward_random_less, dropout_backward_not_scaled),
                         (dropout_forward_random_less, dropout_backward_times_keep_prob),
                         (dropout_forward_random_less, dropout_backward_ignores_mask),
                         (dropout_forward_mask_always, dropout_backward_active_at_test),
                         (dropout_forward_random_less, dropout_backward_scaled_at_test),
                         (dropout_forward_random_less, dropout_backward_in_place)],
}

BASE = {"dropout_forward": [dropout_forward_random_less],
        "dropout_backward": [dropout_backward_mask_scale]}

DIFFERENT = {"dropout_forward": [dropout_forward_prescaled],
             "dropout_backward": [dropout_backward_prescaled]}

SAMPLES = [
    Sample(
        "bug-dropout-keep-drop-flipped",
        fills={"dropout_forward": [dropout_forward_flipped]},
        lose={"test_dropout_forward"},
        in_tests=False,  # make test grades one bug of a layer part and one of the net
        note="dropout_forward keeps a unit with probability 1 - keep_prob: its test cell "
             "loses on the kept fraction of the large cases; the backward, checked on the "
             "mask this forward applied, keeps its points."),
    Sample(
        "bug-dropout-original-test-scaling",
        fills={"dropout_forward": [dropout_forward_original]},
        lose={"test_dropout_forward", "test_fully_connected_net"},
        in_tests=False,
        note="dropout_forward is the original dropout (unscaled at train time, times "
             "keep_prob at test time): its test cell loses; the backward, right for inverted "
             "dropout on the mask this forward applied, keeps its points. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
    Sample(
        "bug-dropout-mask-redrawn-in-backward",
        fills={"dropout_backward": [dropout_backward_redraws_mask]},
        lose={"test_dropout_backward", "test_fully_connected_net"},
        in_tests=False,
        note="dropout_backward draws a new mask from the rng in the cache instead of reusing "
             "the forward's: only its test cell loses. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
    Sample(
        "bug-dropout-np-random",
        fills={"dropout_forward": [dropout_forward_np_random]},
        lose={"test_dropout_forward", "test_fully_connected_net"},
        in_tests=False,
        note="dropout_forward draws its mask from np.random's global state: two generators "
             "of the same seed give different outputs, so its test cell loses; the backward "
             "reuses the mask it was given and keeps its points. "
             "deep_net.ipynb's network, built from this layer, fails its test too (its "
             "check names the broken layer)."),
]
