"""Training runs the grader measures for ``Recomputed`` values.

A notebook's search cell sets a value (``best_val``) in the student's kernel,
where any cell can set it to anything.  The grader measures it again in its
own process: the course's data loaded here, the student's graded functions
called through the integrity worker's proxies, and predictions compared with
labels here.  These are the pieces the check modules share.
"""
import functools

import numpy as np

from ..data import load_digits
from ..solver import Solver


@functools.lru_cache(maxsize=None)
def _digits(bias_trick):
    data = load_digits(bias_trick=bias_trick)
    for value in data.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return data


def digits(*, bias_trick=True):
    """The digits split of the notebooks (``load_digits()``), fresh copies.

    The arrays given to student code must be copies: the worker's in-place
    changes are copied back into them, and the grader's own copy, the one the
    predictions are compared with, must stay as it is.
    """
    return {k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in _digits(bias_trick).items()}


def accuracy(scores, y):
    """Share of the rows of ``scores`` (N, C) whose largest entry is ``y``.

    Non-finite scores count as they would in the notebook: ``argmax`` of a
    row of NaN is 0.
    """
    with np.errstate(all="ignore"):
        return float(np.mean(np.argmax(scores, axis=1) == y))


def linear_accuracy(W, X, y):
    """Validation accuracy of a linear classifier ``W`` (D, C), computed here.

    Returns None when ``W`` is not an array of that shape (the training left
    no classifier to measure).
    """
    if not isinstance(W, np.ndarray) or W.shape != (X.shape[1], int(y.max()) + 1) or \
            W.dtype.kind not in "fiu":
        return None
    with np.errstate(all="ignore"):
        return accuracy(X @ W, y)


class _Reached(Exception):
    """The validation accuracy reached the goal: training can stop."""


class _StopAtGoal(Solver):
    """A Solver that stops after the epoch whose validation accuracy reaches
    ``goal``: the grader needs to know that it is reached, not by how much,
    and the later epochs would only cost time."""

    def __init__(self, model, data, *, goal, **options):
        super().__init__(model, data, verbose=False, progress=False, **options)
        self._goal = goal

    def _record_accuracies(self):
        super()._record_accuracies()
        if self.best_val_acc >= self._goal:
            raise _Reached()


def train_until(model, data, goal, **options):
    """Train ``model`` with the Solver until the validation accuracy reaches ``goal``.

    Parameters
    ----------
    model : object
        ``params`` and ``loss(X, y=None)`` (see ``cs231n.solver``).
    data : dict
        ``X_train``, ``y_train``, ``X_val``, ``y_val``.
    goal : float
        Stop after the first epoch at or above it.
    **options
        The Solver's options (update_rule, optim_config, num_epochs, ...).

    Returns
    -------
    solver : Solver or None
        ``best_val_acc`` and ``epoch`` say how far it got; None when the
        Solver refused the model.
    error : str
        What stopped the training early (a diverged step, an error of the
        model or of the rule, as ``Type: message``), or "".

    Raises
    ------
    NotImplementedError
        From the student's code: there is nothing to train.
    """
    try:
        solver = _StopAtGoal(model, data, goal=goal, **options)
    except NotImplementedError:
        raise
    except Exception as e:  # the student's model, refused: a reason, not a crash
        return None, f"{type(e).__name__}: {e}"
    try:
        solver.train()
    except _Reached:
        pass
    except NotImplementedError:
        raise
    except Exception as e:  # a diverged step or the student's error ends this run
        return solver, f"{type(e).__name__}: {e}"
    return solver, ""
