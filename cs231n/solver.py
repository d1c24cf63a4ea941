"""The training loop: minibatch gradient descent on any model, any update rule.

A model is any object with

``model.params``
    dict mapping a parameter name to an ndarray; the Solver writes the updated
    arrays back into this dict.
``model.loss(X, y=None)``
    With ``y is None``: the class scores, ndarray of shape ``(N, C)``.
    With labels: ``(loss, grads)``, a float and a dict with one gradient per
    key of ``params``, each the shape of its parameter.

An update rule is a function ``rule(w, dw, config) -> (next_w, config)`` (see
``cs231n.optim``); the package gives only ``"sgd"``, the other rules are written
in Assignment 3 and passed as functions.

Example::

    solver = Solver(model, data, update_rule="sgd",
                    optim_config={"learning_rate": 1e-1}, lr_decay=0.95,
                    batch_size=100, num_epochs=10, rng=np.random.default_rng(0))
    solver.train()
    plot_curves(solver.loss_history, solver.train_acc_history,
                solver.val_acc_history)

Training is reproducible: minibatches and accuracy subsamples are drawn from
one explicit ``numpy.random.Generator``.  Progress bar and messages go to
standard output (nbgrader scores 0 a test cell that writes to standard error).
"""
import copy
import sys
from collections.abc import Mapping, MutableMapping
from numbers import Real

import numpy as np
from tqdm import tqdm

from . import optim
from ._args import check_int as _check_int

__all__ = ["Solver", "TrainingDiverged"]

_DIVERGED_HINT = ("the learning rate is probably too high: try dividing it by 10; "
                  "also check the gradient of your loss with a numeric gradient check "
                  "(cs231n.gradient_check.grad_check_sparse)")
_RULE_HINT = ("the loss and the gradient were finite, so the update rule made it: look "
              "in it for a division by zero (a bias correction 1 - beta**t with t = 0?) "
              "or a square root of a negative number; if the rule is right, the "
              "learning rate is probably too high: try dividing it by 10")
_DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")


class TrainingDiverged(FloatingPointError):
    """The loss, a gradient or an updated parameter stopped being finite.

    Attributes
    ----------
    iteration : int
        The failed step, counted from 1.
    epoch : int
        The epoch that step belongs to, counted from 1.
    last_loss : float or None
        The last finite loss, None if the first step failed.
    learning_rates : dict
        Parameter name -> ``learning_rate`` of its config (None if unset).
    """

    def __init__(self, message, iteration=None, epoch=None, last_loss=None,
                 learning_rates=None):
        super().__init__(message)
        self.iteration = iteration
        self.epoch = epoch
        self.last_loss = last_loss
        self.learning_rates = learning_rates if learning_rates is not None else {}


def _check_optional_int(value, name, minimum):
    return None if value is None else _check_int(value, name, minimum)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_labels(X, y, x_name, y_name):
    """Arrays ``X (N, ...)`` and integer ``y (N,)`` of matching, non-zero length."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 1:
        raise ValueError(f"{x_name} must be an array of samples, shape (N, ...), "
                         f"got a scalar")
    if y.ndim != 1:
        raise ValueError(f"{y_name} must have shape (N,), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{y_name} must hold integer class labels, got dtype {y.dtype}: "
                        f"use {y_name}.astype(np.int64) if the values are whole numbers")
    if len(X) != len(y):
        raise ValueError(f"{x_name} and {y_name} must have the same number of samples, "
                         f"got {x_name}.shape={X.shape} and {y_name}.shape={y.shape}")
    if len(X) == 0:
        raise ValueError(f"{x_name} and {y_name} are empty")
    return X, y


def _format_learning_rates(rates):
    values = set(rates.values())
    if values == {None}:
        return "no learning_rate in the optimizer configs"
    if len(values) == 1:
        return f"learning_rate = {values.pop():.3g}"
    return "learning rates: " + ", ".join(
        f"{name}={'unset' if lr is None else format(lr, '.3g')}"
        for name, lr in rates.items())


class Solver:
    """Trains a classification model by minibatch gradient descent.

    Parameters
    ----------
    model : object
        Has ``params`` (dict name -> ndarray) and ``loss(X, y=None)``; see the
        module docstring.
    data : dict
        ``X_train`` : ndarray, shape (N_train, ...);
        ``y_train`` : ndarray, shape (N_train,), int;
        ``X_val`` : ndarray, shape (N_val, ...);
        ``y_val`` : ndarray, shape (N_val,), int.
        Other keys (``X_test``, ``mean``, ...; what the loaders of
        ``cs231n.data`` return) are ignored.
    update_rule : callable or "sgd"
        ``rule(w, dw, config) -> (next_w, config)``.  The string ``"sgd"``
        selects ``cs231n.optim.sgd``, the only rule the package gives.
    optim_config : dict, optional
        Hyperparameters of the rule, e.g. ``{"learning_rate": 1e-2}``.  Every
        parameter gets its own deep copy, so state such as a momentum buffer
        is kept per parameter; the dict passed in is not modified.
    lr_decay : float
        After each epoch every config's ``learning_rate`` is multiplied by it.
    batch_size : int
        Samples per step.
    num_epochs : int
        Passes over the training set.
    num_train_samples : int or None
        Size of the random subsample of the training set on which the train
        accuracy is measured; None uses all of it.
    num_val_samples : int or None
        The same for the validation set; None (the default) uses all of it.
    print_every : int
        With ``verbose``, print the loss every ``print_every`` steps.
    verbose : bool
        Print losses and a summary after each epoch.
    progress : bool
        Show a progress bar over the steps.
    rng : numpy.random.Generator, optional
        Draws the minibatches and the accuracy subsamples; default
        ``np.random.default_rng(0)``.  The same seed gives the same training.

    Attributes
    ----------
    loss_history : list of float, length epoch * iterations_per_epoch
        The minibatch loss of every step.
    train_acc_history, val_acc_history : list of float, length epoch + 1
        Accuracies before training (entry 0) and after each epoch.  After one
        call of ``train``: ``num_epochs * iterations_per_epoch`` losses and
        ``num_epochs + 1`` accuracies.
    best_val_acc : float
        The highest validation accuracy seen (-inf before ``train``).
    best_params : dict
        A copy of the parameters at ``best_val_acc``.
    optim_configs : dict
        Parameter name -> the config dict of its update rule.
    epoch : int
        Epochs completed.
    iterations_per_epoch : int
        ``max(N_train // batch_size, 1)``.
    """

    def __init__(self, model, data, *, update_rule, optim_config=None, lr_decay=1.0,
                 batch_size=100, num_epochs=10, num_train_samples=1000,
                 num_val_samples=None, print_every=100, verbose=True, progress=True,
                 rng=None):
        self.model = model
        self._check_model()
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a dict with keys {', '.join(_DATA_KEYS)}, "
                            f"got {type(data).__name__}")
        missing = [key for key in _DATA_KEYS if key not in data]
        if missing:
            raise KeyError(f"data has no {', '.join(map(repr, missing))}: it needs "
                           f"{', '.join(_DATA_KEYS)}, got keys {sorted(map(str, data))}")
        self.X_train, self.y_train = _check_labels(
            data["X_train"], data["y_train"], "X_train", "y_train")
        self.X_val, self.y_val = _check_labels(
            data["X_val"], data["y_val"], "X_val", "y_val")

        self.update_rule = self._resolve_rule(update_rule)
        if optim_config is None:
            optim_config = {}
        if not isinstance(optim_config, Mapping):
            raise TypeError(f"optim_config must be a dict such as {{'learning_rate': "
                            f"1e-2}}, got {type(optim_config).__name__}")
        self.optim_config = copy.deepcopy(dict(optim_config))
        if (isinstance(lr_decay, bool) or not isinstance(lr_decay, Real)
                or not np.isfinite(lr_decay) or lr_decay <= 0):
            raise ValueError(f"lr_decay must be a finite number > 0, got {lr_decay!r}")
        self.lr_decay = float(lr_decay)
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        self.num_epochs = _check_int(num_epochs, "num_epochs", 0)
        self.num_train_samples = _check_optional_int(num_train_samples,
                                                     "num_train_samples", 1)
        self.num_val_samples = _check_optional_int(num_val_samples, "num_val_samples", 1)
        self.print_every = _check_int(print_every, "print_every", 1)
        self.verbose = _check_bool(verbose, "verbose")
        self.progress = _check_bool(progress, "progress")
        if rng is None:
            rng = np.random.default_rng(0)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, e.g. "
                            f"np.random.default_rng(0), got {type(rng).__name__}")
        self.rng = rng
        self.iterations_per_epoch = max(len(self.X_train) // self.batch_size, 1)

        self.epoch = 0
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.best_val_acc = float("-inf")
        self.best_params = {}
        self.optim_configs = {name: copy.deepcopy(self.optim_config)
                              for name in self.model.params}
        self._final_epoch = self.num_epochs

    # ------------------------------------------------------------------ checks

    @property
    def _model_name(self):
        return type(self.model).__name__

    def _check_model(self):
        name = self._model_name
        if not hasattr(self.model, "params") or not hasattr(self.model, "loss"):
            lacking = [a for a in ("params", "loss") if not hasattr(self.model, a)]
            raise TypeError(
                f"model {name} has no {' and no '.join(lacking)}: the Solver needs "
                f"model.params (dict name -> ndarray) and model.loss(X, y=None)")
        if not isinstance(self.model.params, MutableMapping):
            raise TypeError(f"{name}.params must be a dict name -> ndarray, "
                            f"got {type(self.model.params).__name__}")
        if not self.model.params:
            raise ValueError(f"{name}.params is empty: there is nothing to train")
        for key, value in self.model.params.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"{name}.params[{key!r}] must be an ndarray, "
                                f"got {type(value).__name__}")
        if not callable(self.model.loss):
            raise TypeError(f"{name}.loss must be a method loss(X, y=None)")

    @staticmethod
    def _resolve_rule(update_rule):
        if isinstance(update_rule, str):
            if update_rule == "sgd":
                return optim.sgd
            raise ValueError(
                f"unknown update_rule {update_rule!r}: cs231n.optim gives only 'sgd'. "
                f"The other rules (sgd_momentum, rmsprop, adam) are yours to implement "
                f"in Assignment 3: write the function rule(w, dw, config) -> "
                f"(next_w, config) and pass the function itself, e.g. update_rule=adam")
        if not callable(update_rule):
            raise TypeError(f"update_rule must be 'sgd' or a function "
                            f"rule(w, dw, config) -> (next_w, config), "
                            f"got {type(update_rule).__name__}")
        return update_rule

    def _unpack_loss(self, out):
        """``(loss, grads)`` from ``model.loss(X, y)``, with keys and shapes checked."""
        name = self._model_name
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{name}.loss(X, y) must return (loss, grads) when y is "
                            f"given, got {type(out).__name__}")
        loss, grads = out
        if np.ndim(loss) != 0:
            raise ValueError(f"{name}.loss(X, y) must return a scalar loss, got shape "
                             f"{np.shape(loss)}: average the per-sample losses over N")
        if not isinstance(grads, Mapping):
            raise TypeError(f"{name}.loss(X, y) must return grads as a dict "
                            f"name -> ndarray, got {type(grads).__name__}")
        params = self.model.params
        for key in params:
            if key not in grads:
                raise KeyError(f"{name}.loss returned no gradient for parameter {key!r}: "
                               f"grads has keys {sorted(grads)}, params has keys "
                               f"{sorted(params)}")
            if np.shape(grads[key]) != params[key].shape:
                raise ValueError(f"{name}.loss returned grads[{key!r}] of shape "
                                 f"{np.shape(grads[key])}, but params[{key!r}] has shape "
                                 f"{params[key].shape}")
        extra = [key for key in grads if key not in params]
        if extra:
            raise KeyError(f"{name}.loss returned gradients for {sorted(extra)}, which "
                           f"are not in {name}.params (keys {sorted(params)})")
        return float(loss), grads

    # ---------------------------------------------------------------- training

    def _learning_rates(self):
        return {name: config.get("learning_rate")
                for name, config in self.optim_configs.items()}

    def _diverged(self, what, t, hint=_DIVERGED_HINT):
        last = self.loss_history[-1] if self.loss_history else None
        num_iterations = self._final_epoch * self.iterations_per_epoch
        rates = self._learning_rates()
        last_text = (f"last finite loss {last:.6g} at iteration {t}" if last is not None
                     else "no finite loss yet: the very first step failed")
        message = (f"training diverged at iteration {t + 1} of {num_iterations} "
                   f"(epoch {self.epoch + 1} of {self._final_epoch}): {what}; "
                   f"{last_text}; {_format_learning_rates(rates)}. "
                   f"Hint: {hint}. model.params are left as they were "
                   f"before iteration {t + 1}.")
        return TrainingDiverged(message, iteration=t + 1, epoch=self.epoch + 1,
                                last_loss=last, learning_rates=rates)

    def _step(self, batch, t):
        """One update on the samples ``batch``; ``t`` counts steps from 0.

        Nothing is written to ``model.params`` unless the loss, every gradient
        and every updated parameter are finite.
        """
        out = self.model.loss(self.X_train[batch], self.y_train[batch])
        loss, grads = self._unpack_loss(out)
        if not np.isfinite(loss):
            raise self._diverged(f"the loss is {loss}", t)
        for name, dw in grads.items():
            bad = np.size(dw) - np.count_nonzero(np.isfinite(dw))
            if bad:
                raise self._diverged(f"grads[{name!r}] has {bad} non-finite entries", t)

        rule = getattr(self.update_rule, "__name__", repr(self.update_rule))
        updated, configs = {}, {}
        # Overflow or a division by zero here is reported as TrainingDiverged
        # below, with a hint, instead of as a bare RuntimeWarning.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for name, w in self.model.params.items():
                # A copy, so a rule that updates w in place cannot touch the
                # model before every parameter is known to be finite.
                result = self.update_rule(w.copy(), grads[name], self.optim_configs[name])
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise TypeError(f"update rule {rule} must return (next_w, config), "
                                    f"got {type(result).__name__} for parameter {name!r}")
                next_w, config = result
                if np.shape(next_w) != w.shape:
                    raise ValueError(f"update rule {rule} returned next_w of shape "
                                     f"{np.shape(next_w)} for parameter {name!r} of "
                                     f"shape {w.shape}")
                if not isinstance(config, MutableMapping):
                    raise TypeError(f"update rule {rule} must return (next_w, config) "
                                    f"with config a dict, got {type(config).__name__} "
                                    f"for parameter {name!r}")
                if not np.all(np.isfinite(next_w)):
                    raise self._diverged(f"the update of {name!r} by {rule} is not "
                                         f"finite", t, hint=_RULE_HINT)
                updated[name] = np.asarray(next_w)
                configs[name] = config
        self.model.params.update(updated)
        self.optim_configs.update(configs)
        self.loss_history.append(loss)
        return loss

    def _decay_learning_rates(self):
        if self.lr_decay == 1.0:
            return
        for name, config in self.optim_configs.items():
            if "learning_rate" not in config:
                raise KeyError(f"lr_decay={self.lr_decay} needs a 'learning_rate' in "
                               f"the config of parameter {name!r}, which has keys "
                               f"{sorted(config)}: put it in optim_config")
            config["learning_rate"] *= self.lr_decay

    def _record_accuracies(self):
        train_acc = self.check_accuracy(self.X_train, self.y_train,
                                        num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val,
                                      num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {name: w.copy() for name, w in self.model.params.items()}
        if self.verbose:
            loss = f", loss {self.loss_history[-1]:.4f}" if self.loss_history else ""
            tqdm.write(f"(Epoch {self.epoch} / {self._final_epoch}) "
                       f"train acc {train_acc:.3f}, val acc {val_acc:.3f}{loss}",
                       file=sys.stdout)

    def train(self):
        """Run ``num_epochs * iterations_per_epoch`` steps of the update rule.

        Each epoch visits the training set in a fresh random order, one
        minibatch of ``batch_size`` samples per step (the ``N_train %
        batch_size`` samples left over change from epoch to epoch).  The
        accuracies are measured before the first step and after every epoch,
        then the learning rates decay.  At the end, ``model.params`` receives a
        copy of ``best_params``.  Calling ``train`` again trains
        ``num_epochs`` more epochs from there: histories, optimizer configs,
        the epoch count and the best parameters carry on.

        Raises
        ------
        TrainingDiverged
            When the loss, a gradient or an updated parameter is not finite.
            ``model.params`` then holds the parameters of the last good step.
        """
        self._check_model()
        for name in self.model.params:
            self.optim_configs.setdefault(name, copy.deepcopy(self.optim_config))
        self._final_epoch = self.epoch + self.num_epochs
        num_iterations = self._final_epoch * self.iterations_per_epoch
        if not self.val_acc_history:
            self._record_accuracies()
        with tqdm(total=self.num_epochs * self.iterations_per_epoch,
                  disable=not self.progress, leave=False, desc="training",
                  unit="step", file=sys.stdout) as bar:
            for _ in range(self.num_epochs):
                order = self.rng.permutation(len(self.X_train))
                for i in range(self.iterations_per_epoch):
                    t = self.epoch * self.iterations_per_epoch + i
                    batch = order[i * self.batch_size:(i + 1) * self.batch_size]
                    loss = self._step(batch, t)
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                    if self.verbose and t % self.print_every == 0:
                        tqdm.write(f"(Iteration {t + 1} / {num_iterations}) "
                                   f"loss {loss:.6f}", file=sys.stdout)
                self.epoch += 1
                self._decay_learning_rates()
                self._record_accuracies()
        for name, w in self.best_params.items():
            self.model.params[name] = w.copy()

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of samples whose highest score is the true class.

        Parameters
        ----------
        X : ndarray, shape (N, ...)
        y : ndarray, shape (N,), int
        num_samples : int, optional
            Measure on this many samples drawn without replacement with the
            Solver's rng (all of them when None or >= N).
        batch_size : int
            Samples per call of ``model.loss``, to bound memory.

        Returns
        -------
        acc : float
            In [0, 1].
        """
        X, y = _check_labels(X, y, "X", "y")
        num_samples = _check_optional_int(num_samples, "num_samples", 1)
        batch_size = _check_int(batch_size, "batch_size", 1)
        if num_samples is not None and num_samples < len(X):
            keep = self.rng.choice(len(X), num_samples, replace=False)
            X, y = X[keep], y[keep]
        correct = 0
        for start in range(0, len(X), batch_size):
            X_batch = X[start:start + batch_size]
            scores = self.model.loss(X_batch)
            if isinstance(scores, tuple):
                raise TypeError(f"{self._model_name}.loss(X) returned a tuple: with "
                                f"y=None it must return only the scores, shape (N, C)")
            if np.ndim(scores) != 2 or len(scores) != len(X_batch):
                raise ValueError(f"{self._model_name}.loss(X) must return scores of "
                                 f"shape (N, C) = ({len(X_batch)}, C), got shape "
                                 f"{np.shape(scores)}")
            correct += int(np.count_nonzero(np.argmax(scores, axis=1)
                                            == y[start:start + batch_size]))
        return correct / len(X)
