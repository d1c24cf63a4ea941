"""Two-dimensional loss landscapes, to watch update rules move.

A landscape is a function of two parameters ``w = (x, y)`` with its gradient,
a starting point, its minimum and a window to draw::

    from cs231n import landscapes
    L = landscapes.taco_shell()
    path = landscapes.run(sgd, L, {"learning_rate": 0.18}, num_steps=100)
    landscapes.plot_trajectories(L, {"sgd": path});

``run`` feeds an update rule ``rule(w, dw, config) -> (next_w, config)`` (see
``cs231n.optim``) the exact gradient of the landscape, step after step, and
returns the points it visited; ``plot_trajectories`` draws several such paths
on the contours of the landscape.

The landscapes, and what each one shows at the learning rates suggested in
its docstring:

``taco_shell``
    A quadratic a hundred times steeper across than along: SGD zig-zags across
    the valley and crawls along it; momentum, RMSProp and Adam get there.
``saddle``
    ``x**2 - y**2``, starting almost exactly on the ridge line: the gradient
    towards the way down is tiny, so SGD lingers; adaptive methods rescale it
    and escape.
``local_minimum``
    A valley with a shallow dip on the way to the global minimum: SGD stops
    in the dip, momentum rolls through it.
``noisy``
    Any landscape whose gradient carries Gaussian noise, as a minibatch
    gradient does.

Every ``f`` and ``grad`` also accepts many points at once, an array of shape
``(..., 2)``, which is how the contours are drawn.
"""
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm

from ._args import check_int as _check_int
from ._args import check_real as _check_real

__all__ = ["Landscape", "taco_shell", "saddle", "local_minimum", "noisy", "run",
           "plot_trajectories"]

# run() stops a path that goes further than this many half-widths of the
# window from its centre: it has diverged, and plotting it is pointless.
_ESCAPE = 100.0


def _point(p, name):
    """``p`` as a read-only float64 array of shape (2,), finite."""
    try:
        p = np.array(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite point of shape (2,), got {p!r}") from None
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be a finite point of shape (2,), got {p!r}")
    p.setflags(write=False)
    return p


def _split(p):
    """The coordinates ``x, y`` of a point (2,) or of points (..., 2)."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"p must have shape (2,) or (..., 2), got {p.shape}")
    return p[..., 0], p[..., 1]


def _value(v):
    """A Python float for one point, an array for many."""
    return float(v) if np.ndim(v) == 0 else v


@dataclass(frozen=True, eq=False)
class Landscape:
    """A loss function of two parameters, with what is needed to run and draw it.

    Parameters
    ----------
    f : callable
        ``f(p) -> float`` for a point ``p`` of shape (2,); for points of
        shape (..., 2) it returns an ndarray of shape (...).
    grad : callable
        ``grad(p) -> ndarray, shape (2,)``, the gradient of ``f`` at ``p``;
        for points of shape (..., 2) an ndarray of shape (..., 2).
    start : array_like, shape (2,)
        Where ``run`` starts.  Stored as a read-only float64 array, so that
        nobody moves the start of everybody's runs by accident.
    minimum : array_like, shape (2,), or None
        The global minimum, None when ``f`` is unbounded below.  Read-only.
    extent : tuple of 4 floats
        ``(xmin, xmax, ymin, ymax)``, the window that is drawn.
    name : str
        Title of the pictures.
    """

    f: Callable
    grad: Callable
    start: np.ndarray
    minimum: Optional[np.ndarray]
    extent: tuple
    name: str

    def __post_init__(self):
        for attr in ("f", "grad"):
            if not callable(getattr(self, attr)):
                raise TypeError(f"{attr} must be callable, got {getattr(self, attr)!r}")
        # The dataclass is frozen: set the cleaned-up values the way it does.
        object.__setattr__(self, "start", _point(self.start, "start"))
        if self.minimum is not None:
            object.__setattr__(self, "minimum", _point(self.minimum, "minimum"))
        try:
            extent = tuple(float(v) for v in self.extent)
        except (TypeError, ValueError):
            extent = ()
        if (len(extent) != 4 or not np.all(np.isfinite(extent))
                or not (extent[0] < extent[1] and extent[2] < extent[3])):
            raise ValueError(
                f"extent must be (xmin, xmax, ymin, ymax) with xmin < xmax and "
                f"ymin < ymax, got {self.extent!r}")
        object.__setattr__(self, "extent", extent)
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {self.name!r}")

    def __repr__(self):
        minimum = None if self.minimum is None else self.minimum.tolist()
        return (f"Landscape({self.name!r}, start={self.start.tolist()}, "
                f"minimum={minimum}, extent={self.extent})")


def _check_landscape(landscape):
    if not isinstance(landscape, Landscape):
        raise TypeError(
            f"landscape must be a cs231n.landscapes.Landscape, e.g. "
            f"landscapes.taco_shell(), got {type(landscape).__name__}")
    return landscape


# ---------------------------------------------------------------- landscapes

def taco_shell(a=0.1, b=10.0):
    """A poorly conditioned quadratic: ``f(x, y) = 0.5 * (a * x**2 + b * y**2)``.

    With the defaults the valley is 100 times steeper across (``y``) than
    along (``x``).  Gradient descent with learning rate ``lr`` multiplies
    ``y`` by ``1 - lr * b`` at every step and ``x`` by ``1 - lr * a``.  For
    ``1/b < lr < 2/b`` the first factor is negative: SGD converges but
    zig-zags across the valley, and the step it can afford is far too small
    along it.  At ``lr = 0.18`` SGD is still about 1.3 away from the minimum
    after 100 steps, while momentum 0.9 at the same rate, RMSProp at 0.1 and
    Adam at 0.3 come within about 0.05 of it.

    Parameters
    ----------
    a, b : float
        Curvatures along ``x`` and ``y``, both > 0.

    Returns
    -------
    Landscape
        Starts at ``(-8, 1.5)``, minimum ``(0, 0)``, window
        ``(-10, 10, -4, 4)``.
    """
    a = _check_real(a, "a")
    b = _check_real(b, "b")
    if a == 0.0 or b == 0.0:
        raise ValueError(f"a and b must be > 0, got a={a}, b={b}")

    def f(p):
        x, y = _split(p)
        return _value(0.5 * (a * x**2 + b * y**2))

    def grad(p):
        x, y = _split(p)
        return np.stack([a * x, b * y], axis=-1)

    return Landscape(f, grad, start=(-8.0, 1.5), minimum=(0.0, 0.0),
                     extent=(-10.0, 10.0, -4.0, 4.0), name="taco shell")


def saddle():
    """A saddle point: ``f(x, y) = x**2 - y**2``, unbounded below.

    The start ``(1, 0.001)`` lies next to the ridge line ``y = 0``: along
    ``x`` the function falls towards the saddle point ``(0, 0)``, along ``y``
    it falls away from it, but the gradient in ``y`` starts at only 0.002.
    SGD with learning rate ``lr`` multiplies ``y`` by ``1 + 2 * lr`` per step:
    at ``lr = 0.05`` it needs about 75 steps to leave the window.  RMSProp and
    Adam divide the gradient by its running size, so their steps along ``y``
    are about ``lr`` from the start: at ``lr = 0.05`` RMSProp leaves within
    5 steps, Adam within 30.

    Returns
    -------
    Landscape
        ``minimum`` is None; window ``(-1.5, 1.5, -1.5, 1.5)``.
    """
    def f(p):
        x, y = _split(p)
        return _value(x**2 - y**2)

    def grad(p):
        x, y = _split(p)
        return np.stack([2.0 * x, -2.0 * y], axis=-1)

    return Landscape(f, grad, start=(1.0, 1e-3), minimum=None,
                     extent=(-1.5, 1.5, -1.5, 1.5), name="saddle point")


# local_minimum: a wide bowl centred on the global minimum at x = 2, with a
# Gaussian dip at x = -1.5 that makes a shallow local minimum on the way there.
_BOWL, _DIP_DEPTH, _DIP_WIDTH, _DIP_AT, _BOTTOM, _VALLEY = 0.25, 1.0, 0.5, -1.5, 2.0, 1.0


def _valley_dx(x):
    """d/dx and d2/dx2 of the valley's profile along x."""
    u = (x - _DIP_AT) / _DIP_WIDTH
    dip = _DIP_DEPTH * np.exp(-0.5 * u**2)
    first = _BOWL * (x - _BOTTOM) + dip * u / _DIP_WIDTH
    second = _BOWL + dip * (1.0 - u**2) / _DIP_WIDTH**2
    return first, second


def _stationary_x(x):
    # Newton's method on the profile; the bowl alone has its minimum at
    # _BOTTOM, the tail of the dip moves it by about 1e-9; a few steps make it exact.
    for _ in range(5):
        first, second = _valley_dx(x)
        x = x - first / second
    return float(x)


def local_minimum():
    """A valley with a shallow local minimum between the start and the global one.

    ``f(x, y) = 0.125 * (x - 2)**2 - exp(-2 * (x + 1.5)**2) + 0.5 * y**2``:
    a wide bowl with its minimum at ``(2, 0)`` (``f = 0``) and a Gaussian dip
    that makes a local minimum near ``(-1.27, 0)`` (``f`` about 0.44), behind
    a ridge near ``x = -0.56`` (``f`` about 0.65).  From the start
    ``(-4.5, 1)`` gradient descent slides into the dip and stays there at any
    learning rate from 0.03 to 0.3; SGD with momentum 0.9 at the same rate
    (0.03 to 0.2) carries enough speed over the ridge and settles in the
    global minimum.  At 0.1 momentum overshoots to about ``x = 4.2`` before
    it settles, inside the window.

    Returns
    -------
    Landscape
        ``minimum`` is the exact stationary point, 1.3e-9 left of ``(2, 0)``
        (the tail of the dip pulls it); window ``(-5, 5, -2, 2)``.
    """
    def f(p):
        x, y = _split(p)
        u = (x - _DIP_AT) / _DIP_WIDTH
        return _value(0.5 * _BOWL * (x - _BOTTOM)**2 - _DIP_DEPTH * np.exp(-0.5 * u**2)
                      + 0.5 * _VALLEY * y**2)

    def grad(p):
        x, y = _split(p)
        return np.stack([_valley_dx(x)[0], _VALLEY * y], axis=-1)

    return Landscape(f, grad, start=(-4.5, 1.0), minimum=(_stationary_x(_BOTTOM), 0.0),
                     extent=(-5.0, 5.0, -2.0, 2.0), name="local minimum")


def noisy(landscape, sigma=1.0, *, rng):
    """The same landscape, with Gaussian noise added to every gradient.

    Like a minibatch gradient, ``grad`` returns the true gradient plus
    ``sigma * N(0, I)``, a fresh draw from ``rng`` at every call (one per
    point when given many points); ``f`` stays exact, so the contours are
    those of the original landscape.  The same seed gives the same run.

    Parameters
    ----------
    landscape : Landscape
    sigma : float
        Standard deviation of the noise of each gradient coordinate, >= 0.
        On ``taco_shell()`` the default 1.0 is comparable to the gradient
        along the valley (0.8 at the start).
    rng : numpy.random.Generator
        The source of the noise, required.

    Returns
    -------
    Landscape
        Same start, minimum and window; the name says how noisy it is.
    """
    landscape = _check_landscape(landscape)
    sigma = _check_real(sigma, "sigma")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0), "
            f"got {type(rng).__name__}")
    exact = landscape.grad

    def grad(p):
        g = np.asarray(exact(p), dtype=np.float64)
        return g + sigma * rng.standard_normal(g.shape)

    return Landscape(landscape.f, grad, start=landscape.start, minimum=landscape.minimum,
                     extent=landscape.extent,
                     name=f"{landscape.name}, noisy gradient (sigma={sigma:g})")


# ---------------------------------------------------------------------- run

def run(rule, landscape, config=None, num_steps=100, start=None):
    """The points an update rule visits on a landscape.

    Starting from ``w = start``, repeat ``num_steps`` times::

        w, config = rule(w, landscape.grad(w), config)

    The rule receives a copy of ``w`` (a rule that changes its argument in
    place changes neither the path nor ``landscape.start``) and a deep copy
    of ``config`` on the first call (the caller's dict is left as it was),
    then whatever config it returned.  The path stops early, and is then
    shorter, when the rule returns a point that is not finite (that point is
    dropped) or one further than 100 window half-widths from the window's
    centre (that point is kept: it shows where the path went).

    Parameters
    ----------
    rule : callable
        ``rule(w, dw, config) -> (next_w, config)`` with ``w`` and ``dw`` of
        shape (2,), e.g. ``cs231n.optim.sgd``.
    landscape : Landscape
    config : dict, optional
        Hyperparameters for the rule, e.g. ``{"learning_rate": 0.1}``; the
        rule's own defaults when None.
    num_steps : int
        Number of updates, >= 0.
    start : array_like, shape (2,), optional
        ``landscape.start`` when None.

    Returns
    -------
    path : ndarray, shape (num_steps + 1, 2), float64
        ``path[0]`` is the start, ``path[k]`` the point after k updates;
        fewer rows when the run stopped early.
    """
    if not callable(rule):
        raise TypeError(f"rule must be callable as rule(w, dw, config), got {rule!r}")
    landscape = _check_landscape(landscape)
    if config is None:
        config = {}
    elif not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict or None, got {type(config).__name__}")
    config = copy.deepcopy(dict(config))
    num_steps = _check_int(num_steps, "num_steps", 0)
    w = np.array(landscape.start if start is None else _point(start, "start"))

    (xmin, xmax, ymin, ymax) = landscape.extent
    centre = np.array([xmax + xmin, ymax + ymin]) / 2
    reach = _ESCAPE * np.array([xmax - xmin, ymax - ymin]) / 2

    path = [w.copy()]
    for step in range(num_steps):
        dw = np.asarray(landscape.grad(w.copy()), dtype=np.float64)
        out = rule(w.copy(), dw, config)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(
                f"rule must return a pair (next_w, config), got {type(out).__name__} "
                f"at step {step + 1}")
        next_w, config = out
        next_w = np.array(next_w, dtype=np.float64)
        if next_w.shape != (2,):
            raise ValueError(
                f"rule returned next_w of shape {next_w.shape} at step {step + 1}; "
                f"expected (2,), the shape of w")
        if not np.all(np.isfinite(next_w)):
            break
        path.append(next_w)
        w = next_w
        if np.any(np.abs(w - centre) > reach):
            break
    return np.array(path)


# --------------------------------------------------------------------- plot

def _levels(Z, bounded):
    """Contour levels: log-spaced above the lowest value when f has a minimum."""
    low, high = float(Z.min()), float(Z.max())
    if not high > low:
        raise ValueError(f"f is constant ({low}) on the window: no contours to draw")
    if bounded:
        # Around a minimum f grows like the squared distance: log-spaced levels
        # give rings at evenly spaced distances, dense near the minimum.
        return low + np.concatenate([[0.0], np.geomspace(1e-3, 1.0, 20) * (high - low)])
    return np.linspace(low, high, 21)


def plot_trajectories(landscape, paths, *, ax=None, title=None, resolution=200):
    """Paths of update rules on the contours of a landscape.

    Parameters
    ----------
    landscape : Landscape
    paths : dict
        ``{label: path}`` with each path an array of shape (T, 2), T >= 1, as
        returned by ``run``; drawn in order, each with markers at the points
        visited and its label in the legend.
    ax : matplotlib.axes.Axes, optional
        Drawn on a new figure when None.
    title : str, optional
        ``landscape.name`` when None.
    resolution : int
        Grid points along each axis for the contours, >= 2.

    Returns
    -------
    ax : matplotlib.axes.Axes
        Limits are the landscape's window (a path that leaves it is cut
        off).  Filled contours with log-spaced levels above the minimum when
        the landscape has one (evenly spaced levels otherwise); one line per
        path (``ax.get_lines()``), the start of the paths and the minimum
        marked as scatter points.
    """
    landscape = _check_landscape(landscape)
    if not isinstance(paths, Mapping):
        raise TypeError(f"paths must be a dict {{label: path}}, got {type(paths).__name__}")
    checked = {}
    for label, path in paths.items():
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
            raise ValueError(
                f"paths[{label!r}] must have shape (T, 2) with T >= 1, got {path.shape}")
        checked[str(label)] = path
    resolution = _check_int(resolution, "resolution", 2)

    xmin, xmax, ymin, ymax = landscape.extent
    xx, yy = np.meshgrid(np.linspace(xmin, xmax, resolution),
                         np.linspace(ymin, ymax, resolution))
    Z = np.asarray(landscape.f(np.stack([xx, yy], axis=-1)), dtype=np.float64)
    if Z.shape != xx.shape:
        raise ValueError(
            f"landscape.f returned shape {Z.shape} for points of shape {xx.shape + (2,)}; "
            f"it must accept many points at once and return shape {xx.shape}")

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    levels = _levels(Z, bounded=landscape.minimum is not None)
    cmap = plt.get_cmap("Greys_r" if landscape.minimum is not None else "RdBu_r")
    # One colour per band, so log-spaced bands are as distinct as linear ones.
    norm = BoundaryNorm(levels, cmap.N)
    ax.contourf(xx, yy, Z, levels=levels, cmap=cmap, norm=norm, alpha=0.45)
    ax.contour(xx, yy, Z, levels=levels, colors="0.4", linewidths=0.5)

    for label, path in checked.items():
        ax.plot(path[:, 0], path[:, 1], "o-", markersize=2.5, linewidth=1.2, label=label,
                zorder=3)
    starts = (np.unique(np.array([p[0] for p in checked.values()]), axis=0)
              if checked else landscape.start[None])
    ax.scatter(starts[:, 0], starts[:, 1], marker="o", s=70, facecolors="white",
               edgecolors="black", linewidths=1.5, label="start", zorder=4)
    if landscape.minimum is not None:
        ax.scatter(*landscape.minimum, marker="*", s=220, color="gold", edgecolors="black",
                   linewidths=0.8, label="minimum", zorder=4)

    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(landscape.name if title is None else title)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax
