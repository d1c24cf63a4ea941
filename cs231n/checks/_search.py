"""Part of Assignment 5's checks: hyperparameter search (``search.ipynb``).

STUB written by the coordinator: the helper of this part replaces this
docstring with the checks' design (as ``_dropout.py`` does) and fills the
module.  The graded functions and their contract:

- ``log_uniform(low, high, size, rng) -> ndarray (size,)``: floats whose
  logarithm is uniform on ``[log low, log high)``; ``rng`` a
  ``numpy.random.Generator``, the only source of randomness; ``low <= 0`` or
  ``high <= low`` raise a ValueError naming the argument.
- ``random_configs(space, num_trials, rng) -> list of dict``: ``space`` maps
  each hyperparameter's name to ``("log", low, high)``, ``("linear", low,
  high)`` or ``("choice", options)``; each trial draws every parameter
  independently (log-uniform, uniform, or one of the options).
- ``grid_configs(space, num_trials) -> list of dict``: the grid with the same
  budget: ``k`` values per parameter, the largest ``k`` with ``k ** d <=
  num_trials`` (``d`` the number of "log" and "linear" parameters, times
  the number of options of every "choice" parameter), log-spaced for "log"
  and evenly spaced for "linear" parameters, both ends included; a "choice"
  parameter takes each of its options; configurations in ``itertools.product``
  order of the space's keys.
- ``narrow_space(space, results, keep=0.25) -> dict``: coarse-to-fine: from
  ``results``, a list of ``(config, score)`` (higher is better), the best
  ``ceil(keep * len(results))`` trials; each "log"/"linear" parameter's new
  range is the smallest interval that holds their values (never outside
  the old range), each "choice" parameter keeps the options they used.
"""
NOTEBOOK = "search.ipynb"
SOLUTIONS = {}
GRADED = []
__all__ = []


def make_reference(solutions, cases=None):
    return {}


def random_cases(rng):
    return {}
