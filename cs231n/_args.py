"""Argument checks shared by the package: errors that name the argument."""
from numbers import Integral, Real

import numpy as np


def check_int(value, name, minimum):
    """``value`` as an int >= ``minimum``; TypeError or ValueError naming ``name``."""
    # bool is an Integral, but batch_size=True is a bug, not a request.
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(value, name, minimum=0.0):
    """``value`` as a finite float >= ``minimum``; errors naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {value}")
    return float(value)
