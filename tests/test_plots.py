"""Tests of cs231n.plots: what is drawn, and that bad input is refused clearly."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cs231n.data import make_spiral  # noqa: E402
from cs231n.plots import (plot_curves, plot_decision_boundary, plot_search,  # noqa: E402
                          show_weights)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened, even when it fails."""
    yield
    plt.close("all")


def _images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


# ---------------------------------------------------------------- plot_curves

def test_curves_loss_only_has_one_panel(rng):
    """Without accuracies, is there a single panel holding the whole loss curve?"""
    loss = rng.random(50)
    fig = plot_curves(loss)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), loss, err_msg="plotted loss")


@pytest.mark.parametrize("train, val, n_lines", [([0.1, 0.5], None, 1),
                                                 (None, [0.2, 0.4], 1),
                                                 ([0.1, 0.5], [0.2, 0.4], 2)])
def test_curves_accuracy_panel(rng, train, val, n_lines):
    """Does any accuracy add a second panel with one line per accuracy given?"""
    fig = plot_curves(rng.random(20), train, val)
    assert len(fig.axes) == 2
    assert len(fig.axes[1].get_lines()) == n_lines


def test_curves_smoothing_is_a_moving_average():
    """Does smooth=k draw the raw loss and its k-point moving average?"""
    loss = np.arange(10, dtype=float)
    fig = plot_curves(loss, smooth=3, title="run 1")
    raw, smoothed = fig.axes[0].get_lines()
    np.testing.assert_array_equal(raw.get_ydata(), loss)
    expected = [0, 0.5, 1, 2, 3, 4, 5, 6, 7, 8]
    np.testing.assert_allclose(smoothed.get_ydata(), expected, rtol=0, atol=1e-12,
                               err_msg="3-point moving average of 0..9")
    assert fig.get_suptitle() == "run 1"


@pytest.mark.parametrize("kwargs", [{"smooth": 0}, {"smooth": 2.5}, {"smooth": True}])
def test_curves_rejects_bad_smooth(kwargs):
    """Is a window that is not a positive int refused with an error naming smooth?"""
    with pytest.raises(ValueError, match="smooth"):
        plot_curves([1.0, 2.0], **kwargs)


def test_curves_rejects_empty_history():
    """Is an empty loss history refused rather than drawn as an empty plot?"""
    with pytest.raises(ValueError, match="loss_history"):
        plot_curves([])


# --------------------------------------------------------------- show_weights

@pytest.mark.parametrize("image_shape, C", [((8, 8), 10), ((32, 32, 3), 10),
                                            ((4, 5), 3), ((8, 8), 13)])
@pytest.mark.parametrize("bias", [False, True])
def test_weights_one_image_per_class(rng, image_shape, C, bias):
    """Is there one image per class, of image_shape, with or without a bias row?"""
    D = int(np.prod(image_shape)) + bias
    fig = show_weights(rng.standard_normal((D, C)), image_shape)
    assert isinstance(fig, Figure)
    images = _images(fig)
    assert len(images) == C
    assert len(fig.axes) == C, "no empty panels left over"
    for image in images:
        assert image.get_array().shape == image_shape


def test_weights_drop_the_bias_row(rng):
    """With D = prod(image_shape) + 1, is the last row (the bias) left out of the image?"""
    W = rng.standard_normal((17, 2))
    W[-1] = 1e6  # a bias this large would flatten the rescaled image if it were kept
    fig = show_weights(W, (4, 4))
    for c, image in enumerate(_images(fig)):
        w = W[:16, c]
        expected = ((w - w.min()) / (w.max() - w.min())).reshape(4, 4)
        np.testing.assert_allclose(image.get_array(), expected, rtol=0, atol=1e-12,
                                   err_msg=f"image of class {c}")


def test_weights_rescaled_to_unit_interval(rng):
    """Is each template rescaled to exactly [0, 1] on its own, whatever its scale?"""
    W = rng.standard_normal((48, 3)) * np.array([1e-4, 1.0, 1e4])
    for image in _images(show_weights(W, (4, 4, 3))):
        values = np.asarray(image.get_array())
        np.testing.assert_allclose([values.min(), values.max()], [0.0, 1.0], atol=1e-12)


def test_weights_constant_template_does_not_divide_by_zero():
    """Is a constant column (e.g. untrained zeros) drawn without a warning?"""
    # RuntimeWarnings are errors in this test suite (pyproject's filterwarnings).
    images = _images(show_weights(np.zeros((16, 2)), (4, 4)))
    np.testing.assert_array_equal(images[0].get_array(), 0.0)


def test_weights_class_names_are_titles(rng):
    """Are the class names the panel titles, in order?"""
    names = ["cat", "dog", "ship"]
    fig = show_weights(rng.standard_normal((16, 3)), (4, 4), class_names=names)
    assert [ax.get_title() for ax in fig.axes] == names


@pytest.mark.parametrize("shape", [(15, 3), (18, 3), (16,), (2, 16, 3)])
def test_weights_wrong_shape_names_W(rng, shape):
    """Does a W that fits neither D nor D + 1 raise a ValueError naming W and its shape?"""
    with pytest.raises(ValueError, match=r"W has shape") as info:
        show_weights(rng.standard_normal(shape), (4, 4))
    assert str(shape) in str(info.value)


def test_weights_wrong_number_of_names(rng):
    """Does a class_names list of the wrong length raise a ValueError?"""
    with pytest.raises(ValueError, match="class_names"):
        show_weights(rng.standard_normal((16, 3)), (4, 4), class_names=["a", "b"])


@pytest.mark.parametrize("image_shape", [(16,), (4, 4, 2), (4, 0), (4.0, 4)])
def test_weights_bad_image_shape(rng, image_shape):
    """Is an image_shape that imshow cannot draw refused with an error naming it?"""
    with pytest.raises(ValueError, match="image_shape"):
        show_weights(rng.standard_normal((16, 3)), image_shape)


# ----------------------------------------------------- plot_decision_boundary

def test_boundary_axes_contain_the_data(rng):
    """Do the axes limits contain every data point plus the padding?"""
    X, y = make_spiral(30, 3, rng=rng)
    X = X * 3 + 5
    ax = plot_decision_boundary(lambda P: (P[:, 0] > 5).astype(int), X, y, padding=0.25)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    np.testing.assert_allclose([x0, x1], [X[:, 0].min() - 0.25, X[:, 0].max() + 0.25],
                               rtol=0, atol=1e-9, err_msg="x limits")
    np.testing.assert_allclose([y0, y1], [X[:, 1].min() - 0.25, X[:, 1].max() + 0.25],
                               rtol=0, atol=1e-9, err_msg="y limits")


def test_boundary_draws_on_the_given_axes_and_calls_predict_once(rng):
    """Does it draw on ax, and ask predict once for a resolution x resolution grid?"""
    X, y = make_spiral(10, 2, rng=rng)
    calls = []

    def predict(points):
        calls.append(points.shape)
        return np.zeros(len(points), dtype=int)

    fig, ax = plt.subplots()
    assert plot_decision_boundary(predict, X, y, ax=ax, resolution=30, title="t") is ax
    assert calls == [(900, 2)]
    assert len(ax.collections) >= 2, "filled regions and the scattered points"
    assert ax.get_title() == "t"


def test_boundary_explains_scores_instead_of_labels(rng):
    """When predict returns (M, C) scores, does the error say to take the argmax?"""
    X, y = make_spiral(10, 3, rng=rng)
    W = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match="argmax"):
        plot_decision_boundary(lambda P: P @ W, X, y, resolution=10)


@pytest.mark.parametrize("X_shape, y_shape, match", [((10, 3), (10,), "X"),
                                                     ((10, 2), (9,), "y")])
def test_boundary_rejects_bad_shapes(rng, X_shape, y_shape, match):
    """Are points that are not 2-D, or labels that do not match, refused?"""
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(lambda P: np.zeros(len(P), int), rng.standard_normal(X_shape),
                               np.zeros(y_shape, int))


# ---------------------------------------------------------------- plot_search

def _grid(rng):
    return {(lr, reg): (float(rng.random()), float(rng.random()))
            for lr in [1e-7, 5e-7, 1e-6] for reg in [2.5e4, 5e4]}


def test_search_one_text_per_cell(rng):
    """Is every tried (learning_rate, reg) cell labelled with its validation accuracy?"""
    results = _grid(rng)
    ax = plot_search(results, title="SVM")
    assert len(ax.texts) == len(results)
    written = sorted(float(t.get_text()) for t in ax.texts)
    np.testing.assert_allclose(written, sorted(v for _, v in results.values()), atol=5e-4,
                               err_msg="validation accuracies written in the cells")
    assert ax.get_title() == "SVM"


def test_search_heatmap_is_val_acc_in_grid_order(rng):
    """Is the heatmap validation accuracy, rows by learning rate and columns by reg?"""
    results = _grid(rng)
    ax = plot_search(results)
    (image,) = ax.get_images()
    grid = np.asarray(image.get_array())
    assert grid.shape == (3, 2)
    for i, lr in enumerate([1e-7, 5e-7, 1e-6]):
        for j, reg in enumerate([2.5e4, 5e4]):
            np.testing.assert_allclose(grid[i, j], results[lr, reg][1], rtol=0, atol=0,
                                       err_msg=f"cell of lr={lr}, reg={reg}")
    # The text sits on its cell, so a reader can trust the number they see.
    for text in ax.texts:
        j, i = (int(round(v)) for v in text.get_position())
        assert float(text.get_text()) == pytest.approx(grid[i, j], abs=5e-4)


def test_search_missing_combinations_stay_blank():
    """Is a grid with untried combinations drawn, with text only in tried cells?"""
    results = {(1e-3, 0.0): (0.5, 0.4), (1e-2, 1e-4): (0.6, 0.55)}
    ax = plot_search(results)
    assert len(ax.texts) == 2
    (image,) = ax.get_images()
    assert np.ma.getmaskarray(image.get_array()).sum() == 2


@pytest.mark.parametrize("results", [{}, [], {1e-3: (0.5, 0.4)}, {(1e-3, 0.1): 0.4}])
def test_search_rejects_malformed_results(results):
    """Is anything but {(lr, reg): (train_acc, val_acc)} refused with a ValueError?"""
    with pytest.raises((ValueError, TypeError), match="results"):
        plot_search(results)


def test_search_draws_on_the_given_axes(rng):
    """Does plot_search draw on ax when given one?"""
    fig, ax = plt.subplots()
    assert plot_search(_grid(rng), ax=ax) is ax
