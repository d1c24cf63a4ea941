"""Assignment 5's corpus, part ensembles: right and wrong bagging and ensemble
probabilities, and the part's sample submissions (joined by a5_practice.py)."""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------------- bagging: right

def bagging_loop(fit, X, y, n_models, rng):
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}")
    models = []
    for _ in range(n_models):
        idx = rng.integers(0, len(y), size=len(y))
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_choice(fit, X, y, n_models, rng):
    if n_models < 1:
        raise ValueError("need at least one model")
    N = X.shape[0]
    return [fit(X[idx], y[idx]) for idx in (rng.choice(N, N) for _ in range(n_models))]


def bagging_take(fit, X, y, n_models, rng):
    """np.take with indices drawn from floats."""
    if not n_models >= 1:
        raise ValueError("n_models < 1")
    out = []
    for _ in range(n_models):
        idx = np.floor(rng.random(len(X)) * len(X)).astype(int)
        out.append(fit(np.take(X, idx, axis=0), np.take(y, idx)))
    return out


def bagging_all_indices_first(fit, X, y, n_models, rng):
    """Every sample drawn at once, as rows of an (n_models, N) array."""
    if n_models < 1:
        raise ValueError("n_models must be positive")
    idx = rng.integers(0, len(X), size=(n_models, len(X)))
    return [fit(X[i], y[i]) for i in idx]


# ------------------------------------------------------------- bagging: wrong

def bagging_permutation(fit, X, y, n_models, rng):
    """Without replacement: every model sees the data set reshuffled."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    models = []
    for _ in range(n_models):
        idx = rng.permutation(len(y))
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_half_subsample(fit, X, y, n_models, rng):
    """N/2 distinct rows per model."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    models = []
    for _ in range(n_models):
        idx = rng.choice(len(y), size=max(len(y) // 2, 1), replace=False)
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_one_sample(fit, X, y, n_models, rng):
    """One bootstrap sample drawn before the loop, for every model."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    idx = rng.integers(0, len(y), size=len(y))
    return [fit(X[idx], y[idx]) for _ in range(n_models)]


def bagging_separate_draws(fit, X, y, n_models, rng):
    """Rows and labels indexed by two different draws."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    N = len(y)
    return [fit(X[rng.integers(0, N, size=N)], y[rng.integers(0, N, size=N)])
            for _ in range(n_models)]


def bagging_np_random(fit, X, y, n_models, rng):
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    models = []
    for _ in range(n_models):
        idx = np.random.randint(0, len(y), size=len(y))
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_one_short(fit, X, y, n_models, rng):
    """range(1, n_models): n_models - 1 models."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    models = []
    for _ in range(1, n_models):
        idx = rng.integers(0, len(y), size=len(y))
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_in_place(fit, X, y, n_models, rng):
    """Shuffles X and y in place before drawing."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    order = rng.permutation(len(y))
    X[:] = X[order]
    y[:] = y[order]
    models = []
    for _ in range(n_models):
        idx = rng.integers(0, len(y), size=len(y))
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_off_by_one(fit, X, y, n_models, rng):
    """The last row is never drawn."""
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    N = len(y)
    models = []
    for _ in range(n_models):
        idx = rng.integers(0, max(N - 1, 1), size=N)
        models.append(fit(X[idx], y[idx]))
    return models


def bagging_no_value_error(fit, X, y, n_models, rng):
    models = []
    for _ in range(n_models):
        idx = rng.integers(0, len(y), size=len(y))
        models.append(fit(X[idx], y[idx]))
    return models


# ------------------------------------------------------ ensemble_proba: right

def ensemble_proba_stack(models, predict_proba, X):
    return np.mean(np.stack([predict_proba(m, X) for m in models]), axis=0)


def ensemble_proba_running_sum(models, predict_proba, X):
    total = 0.0
    for m in models:
        total = total + predict_proba(m, X)
    return total / len(models)


def ensemble_proba_array_mean(models, predict_proba, X):
    probs = np.array([predict_proba(model, X) for model in models])
    return probs.sum(axis=0) / probs.shape[0]


# ------------------------------------------------------ ensemble_proba: wrong

def ensemble_proba_votes(models, predict_proba, X):
    """Hard voting: the fraction of the models predicting each class."""
    probs = [predict_proba(m, X) for m in models]
    C = probs[0].shape[1]
    return np.mean([np.eye(C)[np.argmax(p, axis=1)] for p in probs], axis=0)


def ensemble_proba_wrong_axis(models, predict_proba, X):
    return np.mean(np.stack([predict_proba(m, X) for m in models]), axis=1)


def ensemble_proba_product(models, predict_proba, X):
    out = np.ones(1)
    for m in models:
        out = out * predict_proba(m, X)
    return out


def ensemble_proba_geometric(models, predict_proba, X):
    logp = np.mean([np.log(predict_proba(m, X)) for m in models], axis=0)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def ensemble_proba_last(models, predict_proba, X):
    """The loop overwrites instead of accumulating."""
    for m in models:
        proba = predict_proba(m, X)
    return proba


def ensemble_proba_sum(models, predict_proba, X):
    return np.sum([predict_proba(m, X) for m in models], axis=0)


CORRECT = {
    "bagging": [bagging_loop, bagging_choice, bagging_take, bagging_all_indices_first],
    "ensemble_proba": [ensemble_proba_stack, ensemble_proba_running_sum,
                       ensemble_proba_array_mean],
}

WRONG = {
    "bagging": [bagging_permutation, bagging_half_subsample, bagging_one_sample,
                bagging_separate_draws, bagging_np_random, bagging_one_short,
                bagging_in_place, bagging_off_by_one, bagging_no_value_error],
    "ensemble_proba": [ensemble_proba_votes, ensemble_proba_wrong_axis,
                       ensemble_proba_product, ensemble_proba_geometric, ensemble_proba_last,
                       ensemble_proba_sum],
}

BASE = {"bagging": [bagging_loop], "ensemble_proba": [ensemble_proba_stack]}

DIFFERENT = {"bagging": [bagging_choice], "ensemble_proba": [ensemble_proba_running_sum]}

SAMPLES = [
    Sample(
        "bug-bagging-one-sample",
        fills={"bagging": [bagging_one_sample]},
        lose={"test_bagging"},
        # make test grades a5's correct sample, bug-cv-mean-of-all-x and
        # bug-cutmix-lam-as-weight end to end; test_grading's soundness test
        # runs this variant through the integrity pass.
        in_tests=False,
        note="bagging draws one bootstrap sample before the loop and trains every model on "
             "it, so the ensemble is n_models copies of one model: the recording fit of its "
             "check sees the same rows in every call, and only its test cell loses."),
    Sample(
        "bug-ensemble-majority-vote",
        fills={"ensemble_proba": [ensemble_proba_votes]},
        lose={"test_ensemble_proba"},
        in_tests=False,
        note="ensemble_proba counts the models' votes instead of averaging their "
             "probabilities (a different ensemble): its test cell loses."),
]
