"""Pictures the notebooks draw again and again.

Every function draws with matplotlib's pyplot, returns the Figure or Axes it
drew on, and never calls ``plt.show()``: the notebook shows the figure at the
end of the cell, a test inspects it and closes it.  End the notebook line with
``;`` so the returned object is not shown a second time.
"""
from numbers import Integral

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Rectangle

__all__ = ["plot_curves", "show_weights", "plot_decision_boundary", "plot_search"]


def _moving_average(values, window):
    # Mean of the last `window` values; the first window-1 points average fewer.
    csum = np.cumsum(np.insert(values, 0, 0.0))
    stop = np.arange(1, len(values) + 1)
    start = np.maximum(stop - window, 0)
    return (csum[stop] - csum[start]) / (stop - start)


def plot_curves(loss_history, train_acc=None, val_acc=None, *, smooth=None, title=None):
    """Training loss per iteration and, when given, accuracies per epoch.

    Parameters
    ----------
    loss_history : array_like, shape (T,)
        One loss per iteration.
    train_acc, val_acc : array_like, shape (E,), optional
        Accuracy per epoch, entry k after k epochs (entry 0 before training,
        as the CS231n Solver records it); either one adds a second panel.
    smooth : int, optional
        Window of a moving average drawn over the raw loss, which is noisy
        with small minibatches.
    title : str, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
        One panel (loss), or two (loss, accuracy).
    """
    loss = np.asarray(loss_history, dtype=np.float64).ravel()
    if loss.size == 0:
        raise ValueError("loss_history is empty: nothing to plot")
    if smooth is not None and (isinstance(smooth, bool) or not isinstance(smooth, Integral)
                               or smooth < 1):
        raise ValueError(f"smooth must be a positive int window or None, got {smooth!r}")
    accuracies = {name: np.asarray(acc, dtype=np.float64).ravel()
                  for name, acc in [("train", train_acc), ("val", val_acc)]
                  if acc is not None}

    ncols = 2 if accuracies else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6 * ncols, 4), squeeze=False)
    ax = axes[0, 0]
    iterations = np.arange(len(loss))
    if smooth:
        ax.plot(iterations, loss, alpha=0.3, label="loss")
        ax.plot(iterations, _moving_average(loss, smooth),
                label=f"moving average ({smooth})")
        ax.legend()
    else:
        ax.plot(iterations, loss)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title("training loss")

    if accuracies:
        ax = axes[0, 1]
        for name, acc in accuracies.items():
            ax.plot(np.arange(len(acc)), acc, "o-", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy")
        ax.legend()
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_image_shape(image_shape):
    shape = tuple(image_shape)
    if (len(shape) not in (2, 3)
            or not all(isinstance(n, Integral) and n > 0 for n in shape)
            or (len(shape) == 3 and shape[2] not in (1, 3))):
        raise ValueError(
            f"image_shape must be (H, W) or (H, W, 1 or 3) of positive ints, got {image_shape!r}")
    return tuple(int(n) for n in shape)


def show_weights(W, image_shape, *, class_names=None, title=None):
    """Each class's weights as an image: the template a linear classifier learnt.

    Parameters
    ----------
    W : ndarray, shape (D, C) or (D + 1, C)
        ``D = prod(image_shape)``; with the bias trick the last row is the
        bias, which is not part of the image and is dropped.
    image_shape : tuple
        ``(H, W)`` for grey images or ``(H, W, 3)`` for colour.
    class_names : list of C str, optional
        Panel titles; class indices when None.
    title : str, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
        C panels (rows of at most 10), each rescaled to [0, 1] on its own,
        since only the pattern of a template matters, not its scale.
    """
    image_shape = _check_image_shape(image_shape)
    W = np.asarray(W, dtype=np.float64)
    pixels = int(np.prod(image_shape))
    if W.ndim != 2 or W.shape[0] not in (pixels, pixels + 1):
        raise ValueError(
            f"W has shape {W.shape}; for image_shape {image_shape} expected "
            f"({pixels}, C), or ({pixels + 1}, C) with the bias as the last row")
    C = W.shape[1]
    if class_names is None:
        class_names = [str(c) for c in range(C)]
    elif len(class_names) != C:
        raise ValueError(f"class_names has {len(class_names)} names but W has {C} classes")

    ncols = min(C, 10)
    nrows = -(-C // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.7 * nrows + 0.3),
                             squeeze=False)
    for c, ax in enumerate(axes.flat):
        if c >= C:
            ax.remove()
            continue
        w = W[:pixels, c]
        low, high = w.min(), w.max()
        # A constant template carries no pattern: show it as uniform black.
        img = (w - low) / (high - low) if high > low else np.zeros_like(w)
        img = img.reshape(image_shape)
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[:, :, 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0.0, vmax=1.0,
                  interpolation="nearest")
        ax.set_title(str(class_names[c]))
        ax.axis("off")
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict, X, y, *, ax=None, resolution=200, padding=0.5,
                           title=None):
    """Regions of the plane a 2-D classifier assigns to each class, with the data.

    Parameters
    ----------
    predict : callable
        ``predict(points) -> labels`` with points of shape (M, 2) and integer
        labels of shape (M,).
    X : ndarray, shape (N, 2)
    y : ndarray, shape (N,), int
    ax : matplotlib.axes.Axes, optional
        Drawn on a new figure when None.
    resolution : int
        Grid points along each axis.
    padding : float
        Margin around the data, in data units.
    title : str, optional

    Returns
    -------
    ax : matplotlib.axes.Axes
        Its limits contain the data plus ``padding``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, Integral) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    if not padding >= 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")

    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution),
                         np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    labels = np.asarray(predict(grid))
    if labels.shape != (len(grid),):
        hint = (" (scores? take argmax over axis 1)"
                if labels.ndim == 2 and labels.shape[0] == len(grid) else "")
        raise ValueError(
            f"predict returned shape {labels.shape} for {len(grid)} points; "
            f"expected labels of shape ({len(grid)},){hint}")

    n_classes = int(max(labels.max(), y.max())) + 1
    colours = plt.get_cmap("tab10" if n_classes <= 10 else "tab20")
    cmap = ListedColormap([colours(k % colours.N) for k in range(n_classes)])
    # Boundaries at k - 0.5 give class k exactly colour k in both layers.
    norm = BoundaryNorm(np.arange(n_classes + 1) - 0.5, n_classes)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(xx, yy, labels.reshape(xx.shape), levels=norm.boundaries, cmap=cmap,
                norm=norm, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, norm=norm, s=15, edgecolors="k",
               linewidths=0.3)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_search(results, *, ax=None, title=None):
    """Validation accuracy of a hyperparameter grid search as a heatmap.

    Parameters
    ----------
    results : dict
        ``{(learning_rate, reg): (train_acc, val_acc)}``. Combinations that
        were not tried stay blank.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    ax : matplotlib.axes.Axes
        Rows are learning rates, columns regularisation strengths, each tried
        cell holds its validation accuracy as text; the best one is outlined.
    """
    if not isinstance(results, dict) or not results:
        raise ValueError("results must be a non-empty dict {(learning_rate, reg): "
                         "(train_acc, val_acc)}")
    for key, value in results.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"results key {key!r} is not a (learning_rate, reg) pair")
        if np.ndim(value) != 1 or len(value) != 2:
            raise ValueError(f"results[{key!r}] = {value!r} is not a (train_acc, val_acc) pair")

    rates = sorted({lr for lr, _ in results})
    regs = sorted({reg for _, reg in results})
    val = np.full((len(rates), len(regs)), np.nan)
    tried = np.zeros(val.shape, dtype=bool)
    for (lr, reg), (_, val_acc) in results.items():
        val[rates.index(lr), regs.index(reg)] = val_acc
        tried[rates.index(lr), regs.index(reg)] = True

    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(regs) + 2.5, 0.6 * len(rates) + 1.8))
    image = ax.imshow(np.ma.masked_invalid(val), cmap="viridis", origin="lower",
                      aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="validation accuracy")
    low, high = image.get_clim()
    middle = (low + high) / 2
    for i, j in zip(*np.nonzero(tried)):
        # Light text on the dark end of viridis, dark text on the light end.
        ax.text(j, i, f"{val[i, j]:.3f}", ha="center", va="center", fontsize=8,
                color="white" if not val[i, j] >= middle else "black")
    if not np.isnan(val).all():
        best = np.unravel_index(np.nanargmax(val), val.shape)
        ax.add_patch(Rectangle((best[1] - 0.5, best[0] - 0.5), 1, 1, fill=False,
                               edgecolor="red", linewidth=2))
    ax.set_xticks(range(len(regs)), [f"{r:g}" for r in regs])
    ax.set_yticks(range(len(rates)), [f"{r:g}" for r in rates])
    ax.set_xlabel("regularisation strength")
    ax.set_ylabel("learning rate")
    ax.set_title("validation accuracy" if title is None else title)
    return ax
