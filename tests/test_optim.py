"""The update rule the package gives (the others are Assignment 3's)."""
import numpy as np

from cs231n.optim import sgd


def test_sgd_steps_against_the_gradient(rng):
    """Does sgd return w - learning_rate * dw, default 1e-2, leaving w alone?"""
    w, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    w_before = w.copy()
    next_w, config = sgd(w, dw)
    np.testing.assert_allclose(next_w, w_before - 1e-2 * dw, rtol=1e-12, atol=0,
                               err_msg="sgd with the default learning rate")
    np.testing.assert_array_equal(w, w_before, err_msg="sgd modified w in place")
    assert config == {"learning_rate": 1e-2}
    next_w, config = sgd(w, dw, {"learning_rate": 0.5})
    np.testing.assert_allclose(next_w, w_before - 0.5 * dw, rtol=1e-12, atol=0,
                               err_msg="sgd with learning_rate=0.5")
