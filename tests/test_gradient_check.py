"""Tests of cs231n.gradient_check against functions whose gradients are known."""
import numpy as np
import pytest

from cs231n.gradient_check import grad_check_sparse, numeric_grad, numeric_grad_array, rel_error

SHAPES = [(3,), (2, 3), (2, 3, 4)]


# --------------------------------------------------------------- numeric_grad

@pytest.mark.parametrize("shape", SHAPES)
def test_numeric_grad_of_a_cubic(rng, shape):
    """Is the numeric gradient of sum(x**3) equal to 3 x**2?"""
    x = rng.standard_normal(shape)
    grad = numeric_grad(lambda z: np.sum(z ** 3), x)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-7, atol=1e-9,
                               err_msg="d/dx sum(x**3)")


@pytest.mark.parametrize("shape", SHAPES)
def test_numeric_grad_of_a_weighted_sine(rng, shape):
    """Does each entry get its own partial derivative, A * cos(x), not a shared one?"""
    x, A = rng.standard_normal(shape), rng.standard_normal(shape)
    grad = numeric_grad(lambda z: np.sum(A * np.sin(z)), x)
    np.testing.assert_allclose(grad, A * np.cos(x), rtol=1e-7, atol=1e-9,
                               err_msg="d/dx sum(A * sin(x))")


def test_numeric_grad_of_a_softmax_loss(rng):
    """Does it reproduce the textbook softmax-loss gradient X.T (p - onehot) / N?"""
    X, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    W = rng.standard_normal((4, 3))

    def loss(W):
        s = X @ W
        s = s - s.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(5), y])

    p = np.exp(X @ W)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(5), y] -= 1
    np.testing.assert_allclose(numeric_grad(loss, W), X.T @ p / 5, rtol=1e-6, atol=1e-9,
                               err_msg="softmax loss gradient")


def test_numeric_grad_restores_x(rng):
    """Is x exactly as before after the in-place perturbations?"""
    x = rng.standard_normal((2, 3, 4))
    before = x.copy()
    numeric_grad(lambda z: np.sum(z ** 2), x)
    np.testing.assert_array_equal(x, before)


def test_numeric_grad_on_a_transposed_view(rng):
    """Does a non-contiguous view get the gradient of its own entries?"""
    base = rng.standard_normal((3, 2))
    x = base.T
    np.testing.assert_allclose(numeric_grad(lambda z: np.sum(z ** 2), x), 2 * x,
                               rtol=1e-7, atol=1e-9, err_msg="gradient of sum(x**2)")


def test_numeric_grad_accepts_a_scalar_array():
    """Does a 0-d array (a single parameter) work?"""
    x = np.array(1.5)
    np.testing.assert_allclose(numeric_grad(lambda z: z ** 2, x), 3.0, rtol=1e-8)


@pytest.mark.parametrize("fn", [numeric_grad,
                                lambda f, x: numeric_grad_array(f, x, np.ones(3)),
                                lambda f, x: grad_check_sparse(f, x, np.zeros(3),
                                                               verbose=False)])
def test_float32_is_refused_and_the_argument_named(fn):
    """Does float32 input raise a TypeError that names x and says float64?"""
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match=r"x must be float64.*float32"):
        fn(lambda z: np.sum(z), x)


def test_list_is_refused():
    """Is a plain list refused (it could not be perturbed in place)?"""
    with pytest.raises(TypeError, match="x must be a numpy array"):
        numeric_grad(lambda z: sum(z), [1.0, 2.0])


# --------------------------------------------------------- numeric_grad_array

@pytest.mark.parametrize("shape", SHAPES)
def test_numeric_grad_array_of_a_matmul(rng, shape):
    """For f(x) = x @ M, is the vector-Jacobian product dout @ M.T?"""
    x = rng.standard_normal(shape)
    M = rng.standard_normal((shape[-1], 5))
    dout = rng.standard_normal(shape[:-1] + (5,))
    grad = numeric_grad_array(lambda z: z @ M, x, dout)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, dout @ M.T, rtol=1e-7, atol=1e-9,
                               err_msg="backward of x @ M")


@pytest.mark.parametrize("shape", SHAPES)
def test_numeric_grad_array_of_tanh(rng, shape):
    """For an elementwise tanh, is the product dout * (1 - tanh(x)**2)?"""
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    grad = numeric_grad_array(np.tanh, x, dout)
    np.testing.assert_allclose(grad, dout * (1 - np.tanh(x) ** 2), rtol=1e-7, atol=1e-9,
                               err_msg="backward of tanh")


def test_numeric_grad_array_of_a_reduction(rng):
    """When f changes the shape (a row sum), is the product dout broadcast back?"""
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal(4)
    grad = numeric_grad_array(lambda z: z.sum(axis=1), x, dout)
    np.testing.assert_allclose(grad, np.repeat(dout[:, None], 3, axis=1), rtol=1e-7,
                               atol=1e-9, err_msg="backward of a row sum")


def test_numeric_grad_array_shape_mismatch(rng):
    """Does a dout of the wrong shape raise a ValueError giving both shapes?"""
    x = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        numeric_grad_array(lambda z: z, x, np.ones((3, 2)))


# ---------------------------------------------------------- grad_check_sparse

def _quadratic(rng):
    """f(W) = 0.5 * sum((X W)**2) with gradient X.T X W: the shape of a regression loss."""
    X = rng.standard_normal((6, 5))
    W = rng.standard_normal((5, 4))
    return (lambda W: 0.5 * np.sum((X @ W) ** 2)), W, X.T @ X @ W


def test_sparse_check_passes_a_correct_gradient(rng):
    """Are the errors of a correct gradient tiny, one per check?"""
    f, W, grad = _quadratic(rng)
    errors = grad_check_sparse(f, W, grad, num_checks=15, verbose=False)
    assert errors.shape == (15,)
    assert errors.max() < 1e-7, errors


@pytest.mark.parametrize("wrong", ["scaled", "reversed", "zero"])
def test_sparse_check_catches_a_wrong_gradient(rng, wrong):
    """Are the errors of a wrong gradient large, at every checked entry?"""
    f, W, grad = _quadratic(rng)
    bad = {"scaled": 1.5 * grad,                       # e.g. missing 1/N
           "reversed": grad[::-1, ::-1],               # e.g. mixed-up indices
           "zero": np.zeros_like(grad)}[wrong]
    errors = grad_check_sparse(f, W, bad, num_checks=10, verbose=False)
    assert errors.min() > 1e-2, errors


def test_sparse_check_restores_x_and_is_repeatable(rng):
    """Is x unchanged afterwards, and does the same rng choose the same entries?"""
    f, W, grad = _quadratic(rng)
    before = W.copy()
    wrong = grad + rng.standard_normal(grad.shape)
    a = grad_check_sparse(f, W, wrong, rng=np.random.default_rng(1), verbose=False)
    b = grad_check_sparse(f, W, wrong, rng=np.random.default_rng(1), verbose=False)
    np.testing.assert_array_equal(W, before)
    np.testing.assert_array_equal(a, b)


def test_sparse_check_prints_one_line_per_check(rng, capsys):
    """Does verbose print one line per checked entry, and verbose=False nothing?"""
    f, W, grad = _quadratic(rng)
    grad_check_sparse(f, W, grad, num_checks=4)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all("relative error" in line for line in lines)
    grad_check_sparse(f, W, grad, num_checks=4, verbose=False)
    assert capsys.readouterr().out == ""


def test_sparse_check_shape_mismatch(rng):
    """Does an analytic gradient of the wrong shape raise a ValueError?"""
    f, W, grad = _quadratic(rng)
    with pytest.raises(ValueError, match="analytic_grad has shape"):
        grad_check_sparse(f, W, grad.T, verbose=False)


# ------------------------------------------------------------------ rel_error

def test_rel_error_of_zeros_is_zero():
    """Is 0 vs 0 an error of exactly 0.0, without a division by zero?"""
    # A RuntimeWarning (0/0) would fail here: pyproject turns them into errors.
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert isinstance(rel_error(0.0, 0.0), float)


def test_rel_error_known_values():
    """Is rel_error |x - y| / (|x| + |y|), the largest over entries?"""
    assert rel_error(1.0, 2.0) == pytest.approx(1 / 3, rel=1e-12)
    assert rel_error(1.0, -1.0) == pytest.approx(1.0, rel=1e-12)
    assert rel_error([1.0, 1.0], [1.0, 3.0]) == pytest.approx(0.5, rel=1e-12)


def test_rel_error_floor_keeps_tiny_numbers_equal():
    """Are two numbers far below 1e-8 counted as (nearly) equal, thanks to the floor?"""
    assert rel_error(1e-15, -1e-15) < 1e-6


def test_rel_error_is_symmetric(rng):
    """Is rel_error(a, b) == rel_error(b, a)?"""
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert rel_error(a, b) == rel_error(b, a)


def test_rel_error_flags_nan():
    """Does a NaN gradient give NaN, which never passes an `error < tol` check?"""
    assert np.isnan(rel_error(np.array([1.0, np.nan]), np.array([1.0, 1.0])))
