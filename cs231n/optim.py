"""Update rules for first-order optimisation: only plain SGD is given.

Every update rule of the course shares one signature::

    next_w, config = rule(w, dw, config)

``w`` is a parameter array, ``dw`` the gradient of the loss with respect to it
(same shape), and ``config`` a dict holding the hyperparameters
(``learning_rate``, ...) and any state the rule carries from one step to the
next (a velocity, moving averages, a step count).  A rule is pure in ``w``: it
returns a new array and leaves ``w`` as it was.  ``cs231n.solver.Solver`` keeps
one config dict per parameter and passes back what the rule returned.

The other rules (SGD with momentum, RMSProp, Adam) are implemented by students
in Assignment 3 and handed to the Solver as functions, for example
``Solver(model, data, update_rule=adam, optim_config={"learning_rate": 1e-3})``.
"""

__all__ = ["sgd"]


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``next_w = w - learning_rate * dw``.

    Parameters
    ----------
    w : ndarray, any shape
        Current value of the parameter; not modified.
    dw : ndarray, same shape as w
        Gradient of the loss with respect to ``w``.
    config : dict, optional
        ``learning_rate`` : float, default 1e-2.  The default is written into
        ``config`` so that the caller sees the value that was used.

    Returns
    -------
    next_w : ndarray, same shape as w
    config : dict
        The same dict, with ``learning_rate`` filled in.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config
