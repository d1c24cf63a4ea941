"""Tests of cs231n.landscapes: exact gradients, faithful runs, the behaviours claimed."""
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from cs231n import landscapes  # noqa: E402
from cs231n.gradient_check import numeric_grad  # noqa: E402
from cs231n.landscapes import (Landscape, local_minimum, noisy, plot_trajectories,  # noqa: E402
                               run, saddle, taco_shell)

FACTORIES = {"taco_shell": taco_shell, "saddle": saddle, "local_minimum": local_minimum}


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened, even when it fails."""
    yield
    plt.close("all")


@pytest.fixture(params=list(FACTORIES))
def landscape(request):
    return FACTORIES[request.param]()


def _points(rng, L, n):
    """n random points of L's window, float64, shape (n, 2)."""
    xmin, xmax, ymin, ymax = L.extent
    return np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])


# The update rules, written out here so that the tests do not depend on the
# students' answers (CS231n's formulas and config keys).

def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) \
        - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config["decay_rate"] * config.get("cache", np.zeros_like(w)) \
        + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    beta1, beta2, eps = config.setdefault("beta1", 0.9), config.setdefault("beta2", 0.999), \
        config.setdefault("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw**2
    config.update(t=t, m=m, v=v)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + eps), config


# ------------------------------------------------------------- the functions

def test_gradients_match_centred_differences(rng, landscape):
    """Does grad agree with a centred-difference gradient of f at several points?"""
    points = np.vstack([landscape.start[None], _points(rng, landscape, 6)])
    for p in points:
        analytic = landscape.grad(p)
        numeric = numeric_grad(landscape.f, p.copy())
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{landscape.name}: gradient at {p.tolist()}")


def test_f_and_grad_accept_many_points(rng, landscape):
    """Given points of shape (..., 2), do f and grad return what one call per point would?"""
    P = _points(rng, landscape, 12).reshape(3, 4, 2)
    values, grads = landscape.f(P), landscape.grad(P)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    for idx in np.ndindex(3, 4):
        one = landscape.f(P[idx])
        assert isinstance(one, float), "f of one point is a float"
        np.testing.assert_allclose(values[idx], one, rtol=1e-12, atol=1e-12,
                                   err_msg=f"f at {P[idx].tolist()}")
        np.testing.assert_allclose(grads[idx], landscape.grad(P[idx]), rtol=1e-12,
                                   atol=1e-12, err_msg=f"grad at {P[idx].tolist()}")


def test_minimum_is_the_lowest_stationary_point(landscape):
    """Is the gradient zero at the minimum, and f there no higher than anywhere in the window?"""
    if landscape.minimum is None:
        # The saddle has no minimum, but its stationary point is the origin.
        np.testing.assert_allclose(landscape.grad(np.zeros(2)), 0.0, atol=1e-15)
        return
    np.testing.assert_allclose(landscape.grad(landscape.minimum), 0.0, rtol=0, atol=1e-12,
                               err_msg=f"{landscape.name}: gradient at the minimum")
    xmin, xmax, ymin, ymax = landscape.extent
    grid = np.stack(np.meshgrid(np.linspace(xmin, xmax, 101), np.linspace(ymin, ymax, 101)),
                    axis=-1)
    assert landscape.f(landscape.minimum) <= landscape.f(grid).min() + 1e-12


def test_start_and_minimum_are_read_only_points(landscape):
    """Are start and minimum float64 points of shape (2,) that cannot be changed in place?"""
    for point in (landscape.start, landscape.minimum):
        if point is None:
            continue
        assert point.shape == (2,) and point.dtype == np.float64
        with pytest.raises(ValueError):
            point[0] = 1.0
    xmin, xmax, ymin, ymax = landscape.extent
    assert xmin < landscape.start[0] < xmax and ymin < landscape.start[1] < ymax


def test_local_minimum_has_a_second_minimum_in_the_window():
    """Is there a stationary point other than the minimum, higher, between start and minimum?"""
    L = local_minimum()
    x = np.linspace(L.start[0], L.minimum[0], 2001)
    gx = L.grad(np.column_stack([x, np.zeros_like(x)]))[:, 0]
    # Along y = 0 the slope changes sign -, +, -, + : local min, ridge, global min.
    crossings = x[1:][np.diff(np.sign(gx)) != 0]
    assert len(crossings) == 2, f"sign changes of df/dx at {crossings}"
    assert L.f((crossings[0], 0.0)) > L.f(L.minimum) + 0.3


# ---------------------------------------------------------------------- run

def test_run_calls_the_rule_num_steps_times_with_copies(landscape):
    """Does run call the rule num_steps times with w, grad(w) and copies it may scribble on?"""
    calls = []
    start_before = landscape.start.copy()

    def scribbling_sgd(w, dw, config):
        calls.append((w.copy(), dw.copy()))
        next_w = w - config["learning_rate"] * dw
        w += 1000.0  # a rule that mutates its input must not corrupt the run
        return next_w, config

    path = run(scribbling_sgd, landscape, {"learning_rate": 1e-3}, num_steps=7)
    assert path.shape == (8, 2) and path.dtype == np.float64
    assert len(calls) == 7
    np.testing.assert_array_equal(landscape.start, start_before, err_msg="L.start changed")
    np.testing.assert_array_equal(path[0], start_before, err_msg="path[0] is the start")
    for k, (w, dw) in enumerate(calls):
        np.testing.assert_array_equal(w, path[k], err_msg=f"w given at step {k + 1}")
        np.testing.assert_array_equal(dw, landscape.grad(path[k]),
                                      err_msg=f"dw given at step {k + 1}")
        np.testing.assert_allclose(path[k + 1], path[k] - 1e-3 * dw, rtol=0, atol=1e-15,
                                   err_msg=f"path[{k + 1}]")


def test_run_threads_config_and_leaves_the_callers_dict_alone():
    """Does each call see the config the previous one returned, without touching the caller's?"""
    seen = []

    def counting(w, dw, config):
        seen.append(config["count"])
        config["count"] += 1
        config["state"] += 1.0  # in place, on an array the caller passed
        return w, config

    config = {"count": 0, "state": np.zeros(2)}
    run(counting, taco_shell(), config, num_steps=4)
    assert seen == [0, 1, 2, 3]
    assert config["count"] == 0
    np.testing.assert_array_equal(config["state"], 0.0, err_msg="caller's array in config")


def test_run_default_config_and_zero_steps():
    """With config=None does the rule use its defaults, and does num_steps=0 give the start?"""
    L = taco_shell()
    path = run(sgd, L, num_steps=3)
    np.testing.assert_allclose(path[1], L.start - 1e-2 * L.grad(L.start), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(run(sgd, L, num_steps=0), L.start[None])


def test_run_from_another_start():
    """Does start= replace landscape.start for this run only?"""
    L = saddle()
    path = run(sgd, L, num_steps=2, start=[0.5, -0.5])
    np.testing.assert_array_equal(path[0], [0.5, -0.5])
    np.testing.assert_array_equal(L.start, [1.0, 1e-3])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_run_stops_before_a_non_finite_point(bad):
    """Does the path end at the last finite point when the rule returns nan or inf?"""
    def breaking(w, dw, config):
        config["step"] = config.get("step", 0) + 1
        return (w + 0.1 if config["step"] < 3 else np.array([bad, 0.0])), config

    path = run(breaking, taco_shell(), num_steps=10)
    assert path.shape == (3, 2), "start and two finite steps"
    assert np.all(np.isfinite(path))


def test_run_stops_when_the_path_diverges():
    """Does a path that leaves 100 times the window stop there, keeping that point?"""
    L = saddle()  # unbounded below: SGD slides down along y
    path = run(sgd, L, {"learning_rate": 0.5}, num_steps=1000)
    assert len(path) < 1000
    assert np.abs(path[-1, 1]) > 100 * 1.5 and np.all(np.abs(path[:-1, 1]) <= 100 * 1.5)


# ------------------------------------------------------- claimed behaviours

def test_sgd_zigzags_on_the_taco_shell_but_converges():
    """At lr 0.18, does SGD's steep coordinate flip sign every step while f still falls?"""
    L = taco_shell()
    path = run(sgd, L, {"learning_rate": 0.18}, num_steps=100)
    signs = np.sign(path[:20, 1])
    assert np.all(signs[1:] == -signs[:-1]), f"signs of y: {signs}"
    assert np.all(np.abs(path[1:20, 1]) < np.abs(path[:19, 1])), "the zig-zag shrinks"
    assert L.f(path[-1]) < 1e-2 * L.f(path[0])
    # ... but it crawls along the valley, where momentum and Adam get there.
    dist = {name: float(np.linalg.norm(run(rule, L, {"learning_rate": lr}, 100)[-1]))
            for name, rule, lr in [("sgd", sgd, 0.18), ("momentum", sgd_momentum, 0.18),
                                   ("momentum, lr/2", sgd_momentum, 0.09),
                                   ("adam", adam, 0.3)]}
    assert dist["sgd"] > 1.0, dist
    assert max(dist["momentum"], dist["momentum, lr/2"], dist["adam"]) < 0.1, dist


def test_sgd_lingers_at_the_saddle_while_adaptive_rules_escape():
    """After 30 steps at lr 0.05, is SGD still near the ridge while RMSProp and Adam left?"""
    L = saddle()
    y_after_30 = {name: abs(run(rule, L, {"learning_rate": 0.05}, 30)[-1, 1])
                  for name, rule in [("sgd", sgd), ("rmsprop", rmsprop), ("adam", adam)]}
    assert y_after_30["sgd"] < 0.05, y_after_30
    assert min(y_after_30["rmsprop"], y_after_30["adam"]) > 1.0, y_after_30


@pytest.mark.parametrize("lr", [0.05, 0.1])
def test_sgd_stops_in_the_local_minimum_and_momentum_rolls_through(lr):
    """At one lr, does SGD settle in the shallow dip and momentum 0.9 in the global minimum?"""
    L = local_minimum()
    stuck = run(sgd, L, {"learning_rate": lr}, num_steps=200)[-1]
    assert np.linalg.norm(L.grad(stuck)) < 1e-3, "SGD has stopped"
    assert stuck[0] < -1.0 and L.f(stuck) > L.f(L.minimum) + 0.3, f"SGD ended at {stuck}"
    through = run(sgd_momentum, L, {"learning_rate": lr, "momentum": 0.9}, num_steps=200)
    np.testing.assert_allclose(through[-1], L.minimum, rtol=0, atol=0.05,
                               err_msg="where momentum ended")
    xmin, xmax, ymin, ymax = L.extent
    assert np.all((through[:, 0] > xmin) & (through[:, 0] < xmax)), "stays in the window"


def test_noisy_gradients_are_reproducible_and_noisy(rng):
    """Same seed, same noise; different from the exact gradient by about sigma; f exact?"""
    L = taco_shell()
    P = _points(rng, L, 2000)
    g1 = noisy(L, 0.5, rng=np.random.default_rng(3)).grad(P)
    g2 = noisy(L, 0.5, rng=np.random.default_rng(3)).grad(P)
    np.testing.assert_array_equal(g1, g2, err_msg="same seed")
    noise = g1 - L.grad(P)
    assert np.all(noise != 0.0)
    np.testing.assert_allclose(noise.std(axis=0), 0.5, rtol=0.1, err_msg="noise std")
    np.testing.assert_allclose(noise.mean(axis=0), 0.0, atol=0.05, err_msg="noise mean")
    N = noisy(L, 0.5, rng=rng)
    np.testing.assert_array_equal(N.f(P), L.f(P), err_msg="f stays exact")
    assert not np.array_equal(N.grad(L.start), N.grad(L.start)), "a fresh draw per call"
    np.testing.assert_array_equal(N.start, L.start)
    np.testing.assert_array_equal(N.minimum, L.minimum)
    assert N.extent == L.extent and "sigma=0.5" in N.name


def test_noisy_runs_are_reproducible():
    """Do two runs on noisy landscapes with the same seed give the same path?"""
    paths = [run(sgd, noisy(taco_shell(), rng=np.random.default_rng(0)),
                 {"learning_rate": 0.18}, 50) for _ in range(2)]
    np.testing.assert_array_equal(paths[0], paths[1])
    assert not np.array_equal(paths[0], run(sgd, taco_shell(), {"learning_rate": 0.18}, 50))


def test_noisy_with_sigma_zero_is_exact(rng):
    """Does sigma=0 give back the exact gradient?"""
    L = local_minimum()
    P = _points(rng, L, 5)
    np.testing.assert_array_equal(noisy(L, 0.0, rng=rng).grad(P), L.grad(P))


# ------------------------------------------------------------ bad arguments

@pytest.mark.parametrize("call, exc, name", [
    (lambda: taco_shell(a=0.0), ValueError, "^a"),
    (lambda: taco_shell(b=-1.0), ValueError, "^b"),
    (lambda: taco_shell(a="1"), TypeError, "^a"),
    (lambda: noisy(taco_shell(), -0.1, rng=np.random.default_rng(0)), ValueError, "sigma"),
    (lambda: noisy(taco_shell(), rng=0), TypeError, "rng"),
    (lambda: noisy(taco_shell(), rng=np.random.RandomState(0)), TypeError, "rng"),
    (lambda: noisy("taco", rng=np.random.default_rng(0)), TypeError, "landscape"),
    (lambda: run("sgd", taco_shell()), TypeError, "rule"),
    (lambda: run(sgd, "taco"), TypeError, "landscape"),
    (lambda: run(sgd, taco_shell(), [("learning_rate", 0.1)]), TypeError, "config"),
    (lambda: run(sgd, taco_shell(), num_steps=-1), ValueError, "num_steps"),
    (lambda: run(sgd, taco_shell(), num_steps=2.5), TypeError, "num_steps"),
    (lambda: run(sgd, taco_shell(), num_steps=True), TypeError, "num_steps"),
    (lambda: run(sgd, taco_shell(), start=[1.0, 2.0, 3.0]), ValueError, "start"),
    (lambda: run(sgd, taco_shell(), start=[np.nan, 0.0]), ValueError, "start"),
    (lambda: run(sgd, taco_shell(), start=["x", 0.0]), ValueError, "start"),
    (lambda: run(lambda w, dw, c: w, taco_shell()), TypeError, "rule"),
    (lambda: run(lambda w, dw, c: (w[:1], c), taco_shell()), ValueError, "next_w"),
    (lambda: taco_shell().f(np.zeros(3)), ValueError, "p"),
    (lambda: saddle().grad(np.zeros((4, 3))), ValueError, "p"),
    (lambda: Landscape(abs, abs, (0, 0), None, (1, -1, 0, 1), "x"), ValueError, "extent"),
    (lambda: Landscape(abs, abs, (0, 0), None, (0, 1), "x"), ValueError, "extent"),
    (lambda: Landscape(abs, abs, (0, 0, 0), None, (0, 1, 0, 1), "x"), ValueError, "start"),
    (lambda: Landscape(abs, 3, (0, 0), None, (0, 1, 0, 1), "x"), TypeError, "grad"),
    (lambda: plot_trajectories(taco_shell(), [np.zeros((3, 2))]), TypeError, "paths"),
    (lambda: plot_trajectories(taco_shell(), {"sgd": np.zeros((3, 3))}), ValueError, "sgd"),
    (lambda: plot_trajectories(taco_shell(), {"sgd": np.zeros((0, 2))}), ValueError, "paths"),
    (lambda: plot_trajectories(taco_shell(), {}, resolution=1), ValueError, "resolution"),
    (lambda: plot_trajectories(None, {}), TypeError, "landscape"),
])
def test_bad_arguments_raise_naming_them(call, exc, name):
    """Does a bad argument raise an error that names it?"""
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------- plot_trajectories

@pytest.mark.parametrize("factory", [taco_shell, saddle, local_minimum])
def test_plot_has_one_line_per_path_and_no_warnings(factory):
    """Is there one line per path, with the path's points and its label, drawn silently?"""
    L = factory()
    paths = {"sgd": run(sgd, L, {"learning_rate": 0.05}, 20),
             "momentum": run(sgd_momentum, L, {"learning_rate": 0.05}, 30)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_trajectories(L, paths, resolution=60)
        ax.figure.canvas.draw()
    assert isinstance(ax, Axes)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(paths)
    for line, path in zip(lines, paths.values()):
        np.testing.assert_array_equal(np.column_stack(line.get_data()), path)
        assert line.get_marker() not in (None, "None", ""), "points visited are marked"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    expected = list(paths) + ["start"] + ([] if L.minimum is None else ["minimum"])
    assert legend == expected
    assert ax.get_title() == L.name
    np.testing.assert_allclose(ax.get_xlim() + ax.get_ylim(), L.extent, rtol=0, atol=1e-12)


def test_plot_draws_on_the_given_axes_with_a_title():
    """Does it draw on ax when given one, with the given title and a noisy landscape?"""
    L = noisy(taco_shell(), rng=np.random.default_rng(0))
    fig, ax = plt.subplots()
    out = plot_trajectories(L, {"sgd": run(sgd, L, {"learning_rate": 0.18}, 10)}, ax=ax,
                            title="noisy taco")
    assert out is ax and ax.get_title() == "noisy taco"
    assert len(ax.get_lines()) == 1 and len(fig.axes) == 1


def test_plot_without_paths_marks_the_start():
    """With no paths, is the landscape still drawn and its start marked?"""
    L = local_minimum()
    ax = plot_trajectories(L, {}, resolution=40)
    assert ax.get_lines() == []
    offsets = [c.get_offsets() for c in ax.collections if c.get_label() == "start"]
    np.testing.assert_array_equal(np.asarray(offsets[0]), L.start[None])


def test_module_exports():
    """Does the module export exactly the documented API?"""
    assert sorted(landscapes.__all__) == sorted(
        ["Landscape", "taco_shell", "saddle", "local_minimum", "noisy", "run",
         "plot_trajectories"])
