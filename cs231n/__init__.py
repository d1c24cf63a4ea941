"""Shared package of the course: data, numeric gradients, checks, plots, tools.

Infrastructure only: the answers to graded questions live in the notebooks.
"""
__version__ = "0.1.0"
from .solver import Solver  # noqa: F401  (cs231n.Solver)
