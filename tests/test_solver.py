"""Tests of cs231n.solver, the training loop (sgd itself: test_optim.py)."""
import numpy as np
import pytest

from cs231n import Solver
from cs231n.data import make_blobs
from cs231n.optim import sgd
from cs231n.solver import TrainingDiverged


class SoftmaxRegression:
    """A linear softmax classifier, the smallest model the Solver can train.

    ``params``: ``W`` of shape (D, C) and ``b`` of shape (C,); the loss is the
    cross-entropy averaged over N, without regularisation.
    """

    def __init__(self, dim, num_classes, rng):
        self.params = {"W": 1e-3 * rng.standard_normal((dim, num_classes)),
                       "b": np.zeros(num_classes)}

    def loss(self, X, y=None):
        # Overflow is expected in the divergence tests, where the Solver must
        # report it; silence numpy so it does not become an error under pytest.
        with np.errstate(over="ignore", invalid="ignore"):
            scores = X @ self.params["W"] + self.params["b"]
            if y is None:
                return scores
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            rows = np.arange(len(y))
            loss = -log_probs[rows, y].mean()
            dscores = np.exp(log_probs)
            dscores[rows, y] -= 1
            dscores /= len(y)
            return loss, {"W": X.T @ dscores, "b": dscores.sum(axis=0)}


NUM_TRAIN, NUM_VAL, BATCH = 120, 60, 20
ITERS_PER_EPOCH = NUM_TRAIN // BATCH


@pytest.fixture
def data(rng):
    """Three separable blobs in 2-D, shuffled and split 120 / 60."""
    X, y = make_blobs(60, 3, rng=rng)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    return {"X_train": X[:NUM_TRAIN], "y_train": y[:NUM_TRAIN],
            "X_val": X[NUM_TRAIN:], "y_val": y[NUM_TRAIN:]}


def make_model(seed=0):
    return SoftmaxRegression(2, 3, np.random.default_rng(seed))


def make_solver(model, data, **options):
    settings = dict(update_rule="sgd", optim_config={"learning_rate": 0.5},
                    batch_size=BATCH, num_epochs=5, verbose=False, progress=False,
                    rng=np.random.default_rng(0))
    settings.update(options)
    return Solver(model, data, **settings)


def recording(rule):
    """``rule`` wrapped to record the shape of w and a copy of next_w per call."""
    calls = []

    def recorded(w, dw, config):
        next_w, config = rule(w, dw, config)
        calls.append((w.shape, next_w.copy()))
        return next_w, config

    return recorded, calls


# ------------------------------------------------------------- training


def test_training_fits_separable_blobs(data):
    """Does the loss fall and the train accuracy pass 0.9 on separable blobs?"""
    solver = make_solver(make_model(), data, num_epochs=10)
    solver.train()
    first = np.mean(solver.loss_history[:ITERS_PER_EPOCH])
    last = np.mean(solver.loss_history[-ITERS_PER_EPOCH:])
    assert last < 0.5 * first, f"loss went from {first:.3f} to only {last:.3f}"
    assert solver.train_acc_history[-1] > 0.9, solver.train_acc_history
    assert solver.best_val_acc > 0.9, solver.val_acc_history


@pytest.mark.parametrize("batch_size, num_epochs, iters", [
    (BATCH, 3, ITERS_PER_EPOCH),
    (50, 2, 2),           # 120 // 50: the 20 left over are not a step
    (500, 4, 1),          # a batch larger than the training set is one step
])
def test_history_lengths(data, batch_size, num_epochs, iters):
    """One loss per step, and num_epochs + 1 accuracies (before training too)?"""
    solver = make_solver(make_model(), data, batch_size=batch_size,
                         num_epochs=num_epochs)
    solver.train()
    assert solver.iterations_per_epoch == iters
    assert len(solver.loss_history) == num_epochs * iters
    assert len(solver.train_acc_history) == num_epochs + 1
    assert len(solver.val_acc_history) == num_epochs + 1
    assert solver.epoch == num_epochs
    assert all(isinstance(v, float) for v in solver.loss_history + solver.val_acc_history)


def test_second_train_call_continues(data):
    """Does calling train again add num_epochs more epochs to the same run?"""
    solver = make_solver(make_model(), data, num_epochs=2, lr_decay=0.5)
    solver.train()
    configs = solver.optim_configs["W"]
    solver.train()
    assert solver.epoch == 4
    assert len(solver.loss_history) == 4 * ITERS_PER_EPOCH
    assert len(solver.val_acc_history) == 5
    assert solver.optim_configs["W"] is configs
    np.testing.assert_allclose(configs["learning_rate"], 0.5 * 0.5 ** 4, rtol=1e-12,
                               atol=0, err_msg="learning rate after two calls")


def test_best_params_are_restored(data):
    """After training, are model.params the copy taken at the best val accuracy?

    The rule trains for two epochs, then zeroes the weights, so the last
    parameters are worse than the best ones.
    """
    steps = []

    def sgd_then_scramble(w, dw, config):
        steps.append(None)
        if len(steps) > 2 * 2 * ITERS_PER_EPOCH:   # 2 parameters per step
            return np.zeros_like(w), config       # every score ties: class 0
        return sgd(w, dw, config)

    model = make_model()
    solver = make_solver(model, data, update_rule=sgd_then_scramble, num_epochs=4)
    solver.train()
    assert solver.val_acc_history[-1] < solver.best_val_acc, solver.val_acc_history
    assert solver.best_val_acc == max(solver.val_acc_history)
    for name, w in model.params.items():
        np.testing.assert_array_equal(w, solver.best_params[name],
                                      err_msg=f"params[{name!r}] is not the best copy")
        assert w is not solver.best_params[name], "best_params shares the model's arrays"
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc


def test_same_rng_same_training_other_rng_other_training(data):
    """Does a seed fix the whole run, and does another seed change it?"""
    runs = []
    for seed in [7, 7, 8]:
        solver = make_solver(make_model(), data, num_train_samples=50,
                             rng=np.random.default_rng(seed))
        solver.train()
        runs.append(solver)
    a, b, c = runs
    assert a.loss_history == b.loss_history
    assert a.train_acc_history == b.train_acc_history
    assert a.val_acc_history == b.val_acc_history
    assert a.loss_history != c.loss_history


def test_default_rng_is_seeded(data):
    """Without rng, are two runs still identical?"""
    histories = []
    for _ in range(2):
        solver = make_solver(make_model(), data, rng=None)
        solver.train()
        histories.append(solver.loss_history)
    assert histories[0] == histories[1]


# -------------------------------------------------------- update rules


def test_each_parameter_has_its_own_config(data):
    """Is optim_config deep-copied per parameter, so state is per parameter?"""

    def momentum(w, dw, config):
        config.setdefault("velocity", np.zeros_like(w))
        config["velocity"] = 0.9 * config["velocity"] - config["learning_rate"] * dw
        return w + config["velocity"], config

    optim_config = {"learning_rate": 0.1, "log": []}
    solver = make_solver(make_model(), data, update_rule=momentum,
                         optim_config=optim_config)
    configs = solver.optim_configs
    assert configs["W"] is not configs["b"]
    assert configs["W"]["log"] is not configs["b"]["log"]
    assert configs["W"] is not optim_config
    solver.train()
    assert configs["W"]["velocity"].shape == (2, 3)
    assert configs["b"]["velocity"].shape == (3,)
    assert optim_config == {"learning_rate": 0.1, "log": []}, "caller's dict modified"


@pytest.mark.parametrize("lr_decay", [1.0, 0.5, 0.9])
def test_lr_decay_applied_once_per_epoch(data, lr_decay):
    """Is every learning_rate multiplied by lr_decay after each epoch?"""
    num_epochs = 4
    solver = make_solver(make_model(), data, optim_config={"learning_rate": 0.3},
                         lr_decay=lr_decay, num_epochs=num_epochs)
    solver.train()
    for name, config in solver.optim_configs.items():
        np.testing.assert_allclose(config["learning_rate"], 0.3 * lr_decay ** num_epochs,
                                   rtol=1e-12, atol=0, err_msg=f"learning rate of {name}")


def test_lr_decay_without_learning_rate_raises(data):
    """Does lr_decay with a rule that sets no learning_rate fail by name?"""

    def fixed_step(w, dw, config):
        return w - 0.1 * dw, config

    solver = make_solver(make_model(), data, update_rule=fixed_step, optim_config={},
                         lr_decay=0.5)
    with pytest.raises(KeyError, match="learning_rate"):
        solver.train()


def test_custom_rule_is_called_for_every_parameter_and_step(data):
    """Is a function given as update_rule the one that updates the params?"""
    rule, calls = recording(sgd)
    model = make_model()
    solver = make_solver(model, data, update_rule=rule, num_epochs=2)
    solver.train()
    num_steps = 2 * ITERS_PER_EPOCH
    assert len(calls) == 2 * num_steps
    assert sorted({shape for shape, _ in calls}) == [(2, 3), (3,)]


def test_rule_that_updates_in_place_trains_like_a_pure_one(data):
    """Does a rule that changes w in place give the same run as plain sgd?"""

    def sgd_in_place(w, dw, config):
        w -= config["learning_rate"] * dw
        return w, config

    pure = make_solver(make_model(), data)
    pure.train()
    in_place_model = make_model()
    in_place = make_solver(in_place_model, data, update_rule=sgd_in_place)
    in_place.train()
    np.testing.assert_allclose(in_place.loss_history, pure.loss_history, rtol=1e-12,
                               atol=0, err_msg="in-place rule diverged from sgd")
    assert in_place.val_acc_history == pure.val_acc_history


def test_rule_must_return_next_w_and_config(data):
    """Does a rule that forgets to return the config fail with a clear message?"""

    def forgot_config(w, dw, config):
        return w - 0.1 * dw

    solver = make_solver(make_model(), data, update_rule=forgot_config)
    with pytest.raises(TypeError, match=r"forgot_config must return \(next_w, config\)"):
        solver.train()


def test_student_rules_are_not_given_by_name(data):
    """Does update_rule="adam" say that the student implements it?"""
    with pytest.raises(ValueError, match="yours to implement") as info:
        make_solver(make_model(), data, update_rule="adam")
    assert "'sgd'" in str(info.value) and "update_rule=adam" in str(info.value)


# ----------------------------------------------------------- divergence


def test_divergence_names_the_iteration_and_keeps_last_good_params(data):
    """Does a huge learning rate stop training with the step, loss and rate?"""
    rule, calls = recording(sgd)
    model = make_model()
    solver = make_solver(model, data, update_rule=rule,
                         optim_config={"learning_rate": 1e308})
    with pytest.raises(TrainingDiverged) as info:
        solver.train()
    error = info.value
    assert isinstance(error, FloatingPointError)
    message = str(error)
    # Each successful step calls the rule once per parameter.
    good_steps = len(calls) // 2
    assert good_steps >= 1 and error.iteration == good_steps + 1
    assert f"iteration {error.iteration} of" in message
    assert f"epoch {error.epoch} of" in message
    assert error.last_loss == solver.loss_history[-1]
    assert f"{error.last_loss:.6g}" in message
    assert "1e+308" in message and error.learning_rates == {"W": 1e308, "b": 1e308}
    assert "try dividing it by 10" in message and "numeric gradient check" in message
    last_good = {shape: next_w for shape, next_w in calls[-2:]}
    for name, w in model.params.items():
        np.testing.assert_array_equal(w, last_good[w.shape],
                                      err_msg=f"params[{name!r}] changed by the bad step")


def test_a_non_finite_loss_points_at_the_gradient(data):
    """Is a NaN loss told apart from a NaN update (hint: check the gradient)?"""
    model = make_model()
    real_loss = model.loss
    model.loss = lambda X, y=None: (real_loss(X, y) if y is None
                                    else (float("nan"), real_loss(X, y)[1]))
    solver = make_solver(model, data)
    with pytest.raises(TrainingDiverged, match="the loss is nan") as info:
        solver.train()
    assert "numeric gradient check" in str(info.value)


def test_a_rule_that_divides_by_zero_is_named(data):
    """Does an update rule that makes NaN from finite inputs get the rule's hint?"""
    def bad_adam(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("t", 0)
        return w - dw / (1 - 0.9 ** config["t"]), config   # t never incremented
    solver = make_solver(make_model(), data, update_rule=bad_adam)
    with pytest.raises(TrainingDiverged, match="the update of .* by bad_adam") as info:
        solver.train()
    assert "division by zero" in str(info.value)


def test_non_finite_first_update_leaves_params_untouched(data):
    """If the very first update overflows, are the initial params kept?"""
    model = make_model()
    before = {name: w.copy() for name, w in model.params.items()}
    solver = make_solver(model, data, optim_config={"learning_rate": np.inf})
    with pytest.raises(TrainingDiverged, match="iteration 1 of") as info:
        solver.train()
    assert info.value.last_loss is None
    assert "first step" in str(info.value)
    for name, w in model.params.items():
        np.testing.assert_array_equal(w, before[name], err_msg=f"params[{name!r}]")


# ---------------------------------------------------------- accuracy


def test_check_accuracy_in_batches_matches_direct(data):
    """Does batching (with a ragged last batch) not change the accuracy?"""
    model = make_model(seed=3)
    solver = make_solver(model, data)
    X, y = data["X_train"], data["y_train"]
    direct = float(np.mean(np.argmax(model.loss(X), axis=1) == y))
    assert solver.check_accuracy(X, y, batch_size=7) == direct
    assert solver.check_accuracy(X, y, num_samples=10 * len(X)) == direct
    sub = solver.check_accuracy(X, y, num_samples=40)
    assert round(sub * 40) == pytest.approx(sub * 40, abs=1e-9), "not a count out of 40"


def test_check_accuracy_rejects_a_loss_that_ignores_y_none(data):
    """Does a model returning (loss, grads) for y=None fail with a hint?"""

    class NoScores(SoftmaxRegression):
        def loss(self, X, y=None):
            return 0.0, {}

    solver = make_solver(NoScores(2, 3, np.random.default_rng(0)), data)
    with pytest.raises(TypeError, match="only the scores"):
        solver.check_accuracy(data["X_val"], data["y_val"])


# --------------------------------------------------------- validation


def test_unknown_keyword_raises(data):
    """Does a misspelt option raise instead of being ignored?"""
    with pytest.raises(TypeError, match="learning_rate"):
        Solver(make_model(), data, update_rule="sgd", learning_rate=1e-3)


@pytest.mark.parametrize("missing", ["X_train", "y_train", "X_val", "y_val"])
def test_missing_data_key_is_named(data, missing):
    """Does data without one of its four arrays name the missing key?"""
    del data[missing]
    with pytest.raises(KeyError, match=missing):
        make_solver(make_model(), data)


def test_mismatched_lengths_name_keys_and_shapes(data):
    """Do X_val and y_val of different lengths fail with both shapes?"""
    data["y_val"] = data["y_val"][:-1]
    with pytest.raises(ValueError, match=r"X_val.shape=\(60, 2\).*y_val.shape=\(59,\)"):
        make_solver(make_model(), data)


def test_float_labels_are_rejected(data):
    """Are float labels refused with the key and a fix?"""
    data["y_train"] = data["y_train"].astype(float)
    with pytest.raises(TypeError, match="y_train.*astype"):
        make_solver(make_model(), data)


def test_extra_data_keys_are_ignored(data):
    """Does the full dict of a cs231n.data loader (X_test, mean, ...) work?"""
    data.update(X_test=data["X_val"], y_test=data["y_val"], mean=np.zeros(2))
    make_solver(make_model(), data, num_epochs=1).train()


def test_model_without_params_is_named(data):
    """Does a model lacking params name its class and the missing attribute?"""

    class Forgetful:
        def loss(self, X, y=None):
            return X

    with pytest.raises(TypeError, match="Forgetful has no params"):
        make_solver(Forgetful(), data)


def test_missing_gradient_is_named(data):
    """Does a loss that forgets grads['b'] fail on the first step, by name?"""

    class NoBiasGrad(SoftmaxRegression):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            return out[0], {"W": out[1]["W"]}

    solver = make_solver(NoBiasGrad(2, 3, np.random.default_rng(0)), data)
    with pytest.raises(KeyError, match="NoBiasGrad.loss returned no gradient for "
                                       "parameter 'b'"):
        solver.train()
    assert solver.loss_history == []


@pytest.mark.parametrize("option, value, error", [
    ("batch_size", 0, ValueError),
    ("num_epochs", 2.0, TypeError),
    ("lr_decay", -0.5, ValueError),
    ("rng", 0, TypeError),
    ("update_rule", 0.01, TypeError),
    ("optim_config", 0.01, TypeError),
    ("verbose", "yes", TypeError),
])
def test_bad_option_values_raise(data, option, value, error):
    """Is a nonsensical option value refused at construction, by name?"""
    with pytest.raises(error, match=option):
        make_solver(make_model(), data, **{option: value})


# -------------------------------------------------------------- output


def test_output_goes_to_stdout_only(data, capsys):
    """Do the bar and the prints stay off stderr (nbgrader scores it 0)?"""
    solver = make_solver(make_model(), data, num_epochs=2, verbose=True, progress=True,
                         print_every=3)
    solver.train()
    out, err = capsys.readouterr()
    assert err == ""
    assert "(Epoch 0 / 2)" in out and "(Epoch 2 / 2)" in out
    assert "(Iteration 1 / 12)" in out and "(Iteration 4 / 12)" in out


def test_quiet_run_prints_nothing(data, capsys):
    """With verbose=False and progress=False, is the run silent?"""
    make_solver(make_model(), data, num_epochs=1).train()
    assert capsys.readouterr() == ("", "")
