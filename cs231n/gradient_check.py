"""Numeric gradients by centred differences, and the relative error.

A centred difference ``(f(x + h) - f(x - h)) / 2h`` has an error of order
``h**2``; with float64 and ``h = 1e-5`` analytic and numeric gradients of a
smooth function agree to a relative error of about 1e-8.  Run gradient checks
in float64: in float32 the rounding error of ``f`` swamps the difference.
"""
import numpy as np

__all__ = ["numeric_grad", "numeric_grad_array", "grad_check_sparse", "rel_error"]


def _as_float64(x, name):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"{name} must be float64 for a gradient check, got {x.dtype}: "
            f"pass {name}.astype(np.float64)")
    return x


def numeric_grad(f, x, h=1e-5):
    """Gradient of a scalar function at ``x`` by centred differences.

    ``x`` is perturbed in place, one entry at a time, and restored.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; it may read ``x`` but should not keep it.
    x : ndarray, any shape, float64
    h : float
        Step of the difference.

    Returns
    -------
    grad : ndarray, same shape as x
    """
    _as_float64(x, "x")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def numeric_grad_array(f, x, dout, h=1e-5):
    """Vector-Jacobian product ``sum(dout * df/dx)`` by centred differences.

    This is what a layer's backward pass computes: the gradient of the scalar
    ``sum(f(x) * dout)`` with respect to ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray`` of the shape of ``dout``.
    x : ndarray, any shape, float64
    dout : ndarray, shape of f(x)
        Upstream gradient.
    h : float

    Returns
    -------
    grad : ndarray, same shape as x
    """
    dout = np.asarray(dout, dtype=np.float64)

    def scalar(z):
        out = np.asarray(f(z), dtype=np.float64)
        if out.shape != dout.shape:
            raise ValueError(
                f"f(x) has shape {out.shape} but dout has shape {dout.shape}")
        return np.sum(out * dout)

    return numeric_grad(scalar, x, h)


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, *, rng=None,
                      verbose=True):
    """Compare ``analytic_grad`` with centred differences at random entries.

    Cheaper than a full numeric gradient when ``x`` is large.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray, any shape, float64
    analytic_grad : ndarray, same shape as x
    num_checks : int
        How many random entries to check.
    h : float
    rng : numpy.random.Generator, optional
        Chooses the entries; a fixed default seed keeps the check repeatable.
    verbose : bool
        Print one line per entry.

    Returns
    -------
    errors : ndarray, shape (num_checks,)
        Relative error at each checked entry.
    """
    _as_float64(x, "x")
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad has shape {analytic_grad.shape}, expected x's shape {x.shape}")
    rng = np.random.default_rng(0) if rng is None else rng
    errors = np.empty(num_checks)
    for k in range(num_checks):
        i = tuple(int(rng.integers(n)) for n in x.shape)
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        numeric = (fp - fm) / (2 * h)
        analytic = float(analytic_grad[i])
        errors[k] = rel_error(numeric, analytic)
        if verbose:
            print(f"index {i}: numeric {numeric:+.6e}  analytic {analytic:+.6e}"
                  f"  relative error {errors[k]:.2e}")
    return errors


def rel_error(x, y):
    """Largest elementwise relative error ``|x - y| / max(1e-8, |x| + |y|)``.

    The floor in the denominator keeps two zeros (or two tiny numbers) from
    dividing by zero: they count as equal.

    Parameters
    ----------
    x, y : array_like, broadcastable shapes

    Returns
    -------
    float
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0 and y.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
