"""How fast are the solution's normalisation layers?  (``make bench``)

Runs ``batchnorm_forward`` (training mode), ``batchnorm_backward``,
``batchnorm_backward_alt``, ``layernorm_forward`` and ``layernorm_backward``
of ``solutions/a4_deep_nets/batch_norm.ipynb`` outside Jupyter on one float64
batch of N x D = 3000 x 1000 (24 MB, larger than the caches), and prints each
forward+backward pair's time in units of one elementwise pass ``x + x`` over
the same array: a pass reads and writes the whole input once, the least any
layer must do.  The target, at most 10 such passes, applies to batch norm's
forward pass with the simplified backward pass (``batchnorm_backward_alt``):
the forward must read x at least twice (its statistics, then the output), and
the backward x and dout twice (the parameter gradients, then dx).  The
backward through the graph (``batchnorm_backward``) is the notebook's
step-by-step teaching version: its cost is printed, with no target.  The
results are compared with a plain numpy pass first.

Then it runs ``FullyConnectedNet`` of ``deep_net.ipynb`` with batch norm and
dropout (keep ratio 0.5) on one CIFAR-10-sized batch (N=200, D=3072, hidden
[100, 100], C=10, float64, reg > 0) and prints the time of ``loss(X, y)``
(forward and backward) over the time of the nine matmuls of its forward and
backward pass: three forward, and the weight and input gradients of each
affine layer (the layer API's ``affine_backward`` returns ``dx`` for every
layer, the first one included, so the network built from the layers does that
matmul too; it is one of the three largest): the target is at most 1.5x.
With dropout off (keep ratio 1) its loss and gradients are first compared
with a plain numpy pass.

It also runs each notebook of ``solutions/a4_deep_nets/`` top to bottom and
prints its time (``--no-notebooks`` skips that).

The machine is shared and noisy, so only ratios of one run mean anything:
every timing is the best of several, and the candidates take turns.

Usage::

    python tests/benchmarks/bench_deep_nets.py [--check] [--repeats R] [--threads T]
                                               [--solutions DIR] [--no-notebooks]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and batch norm with the simplified backward or the network is over its
target, a layer or the network disagrees with the plain numpy pass, or a
notebook fails to run.
"""
import sys
from pathlib import Path

import numpy as np

from _common import (add_notebooks_option, best_times, keep_freed_memory, load_functions,
                     make_parser, parse_and_run, print_machine, time_notebooks, warm_up)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "a4_deep_nets"
WANTED = {"batch_norm.ipynb": ["batchnorm_forward", "batchnorm_backward",
                               "batchnorm_backward_alt", "layernorm_forward",
                               "layernorm_backward"],
          "deep_net.ipynb": ["FullyConnectedNet"]}
N, D, EPS = 3000, 1000, 1e-5
TARGET = 10.0
NET = {"N": 200, "D": 3072, "hidden": [100, 100], "C": 10, "reg": 1e-3}
NET_TARGET = 1.5


def plain_norm(x, gamma, beta, dout, axis):
    """Normalisation over ``axis`` and its gradients, the textbook way."""
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + EPS)
    dxhat = dout * gamma
    n = x.shape[axis]
    dx = (n * dxhat - dxhat.sum(axis=axis, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True)) / (n * np.sqrt(var + EPS))
    return xhat * gamma + beta, dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def plain_net(params, X, y, reg):
    """Loss and gradients of affine - batchnorm - relu, twice, then affine -
    softmax (train mode, no dropout), the textbook way, and the operands of
    the matmuls the benchmark measures the network against."""
    L = sum(k.startswith("W") for k in params)
    h, caches, mm = X, [], {"X": X}
    for i in range(1, L):
        a = h @ params[f"W{i}"] + params[f"b{i}"]
        mu, var = a.mean(axis=0), a.var(axis=0)
        xhat = (a - mu) / np.sqrt(var + EPS)
        z = xhat * params[f"gamma{i}"] + params[f"beta{i}"]
        caches.append((h, xhat, var, z))
        h = np.maximum(z, 0)
        mm[f"h{i}"] = h
    scores = h @ params[f"W{L}"] + params[f"b{L}"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = -log_p[rows, y].mean() + 0.5 * reg * sum(np.sum(params[f"W{i}"] ** 2)
                                                     for i in range(1, L + 1))
    d = np.exp(log_p)
    d[rows, y] -= 1
    d /= len(y)
    grads = {f"W{L}": h.T @ d + reg * params[f"W{L}"], f"b{L}": d.sum(axis=0)}
    mm[f"d{L}"] = d
    dh = d @ params[f"W{L}"].T
    for i in range(L - 1, 0, -1):
        h_in, xhat, var, z = caches[i - 1]
        dz = dh * (z > 0)
        grads[f"gamma{i}"], grads[f"beta{i}"] = (dz * xhat).sum(axis=0), dz.sum(axis=0)
        dx = dz * params[f"gamma{i}"]
        da = (dx - dx.mean(axis=0) - xhat * (dx * xhat).mean(axis=0)) / np.sqrt(var + EPS)
        grads[f"W{i}"] = h_in.T @ da + reg * params[f"W{i}"]
        grads[f"b{i}"] = da.sum(axis=0)
        mm[f"d{i}"] = da
        if i > 1:
            dh = da @ params[f"W{i}"].T
    return float(loss), grads, mm


def build_net(cls, keep, rng):
    """A FullyConnectedNet of the benchmark's size with batch norm."""
    try:
        return cls(NET["hidden"], input_dim=NET["D"], num_classes=NET["C"],
                   dropout_keep_ratio=keep, normalization="batchnorm", reg=NET["reg"],
                   weight_scale=1e-2, rng=rng)
    except NotImplementedError:
        raise SystemExit("bench_deep_nets: FullyConnectedNet raises NotImplementedError: "
                         "is this an unanswered release?") from None


def compare_net(cls, X, y):
    """Messages for each way the network (dropout off) differs from ``plain_net``."""
    net = build_net(cls, 1, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    for k in net.params:   # gamma and beta away from 1 and 0, so that a slip shows
        if k.startswith(("gamma", "beta", "b")):
            net.params[k] = net.params[k] + 0.1 * rng.standard_normal(net.params[k].shape)
    loss, grads = net.loss(X, y)
    ref_loss, ref_grads, _ = plain_net(net.params, X, y, NET["reg"])
    problems = []
    if not np.isclose(loss, ref_loss, rtol=1e-8):
        problems.append(f"FullyConnectedNet: loss {loss} != plain numpy {ref_loss}")
    for k, ref in ref_grads.items():
        if np.shape(grads.get(k)) != ref.shape or not np.allclose(grads[k], ref, rtol=1e-6,
                                                                   atol=1e-10):
            problems.append(f"FullyConnectedNet: grads[{k!r}] differs from a plain numpy pass")
    return problems


def measure_net(cls, repeats, problems):
    """Time FullyConnectedNet.loss against its nine matmuls; print; True if over."""
    rng = np.random.default_rng(0)
    X = 60.0 * rng.standard_normal((NET["N"], NET["D"]))
    y = rng.integers(NET["C"], size=NET["N"])
    problems += compare_net(cls, X, y)
    net = build_net(cls, 0.5, np.random.default_rng(3))
    _, _, mm = plain_net(net.params, X, y, NET["reg"])
    W = [net.params[f"W{i}"] for i in (1, 2, 3)]

    def matmuls():
        X @ W[0]
        mm["h1"] @ W[1]
        mm["h2"] @ W[2]
        mm["h2"].T @ mm["d3"]
        mm["d3"] @ W[2].T
        mm["h1"].T @ mm["d2"]
        mm["d2"] @ W[1].T
        X.T @ mm["d1"]
        mm["d1"] @ W[0].T

    candidates = {"matmuls": matmuls, "net": lambda: net.loss(X, y)}
    warm_up(candidates)
    t = best_times(candidates, repeats=dict.fromkeys(candidates, repeats),
                   number=dict.fromkeys(candidates, 5))
    ratio = t["net"] / t["matmuls"]
    print(f"FullyConnectedNet N={NET['N']} D={NET['D']} hidden {NET['hidden']} batchnorm, "
          f"keep ratio 0.5:")
    print(f"  nine matmuls (three forward, dW and dx of each layer) "
          f"{t['matmuls'] * 1e3:8.3f} ms")
    print(f"  FullyConnectedNet.loss(X, y) {t['net'] * 1e3:8.3f} ms  {ratio:5.2f}x matmuls "
          f"(target <= {NET_TARGET})  {'ABOVE TARGET' if ratio > NET_TARGET else 'PASS'}")
    return ratio > NET_TARGET


def compare(name, got, want):
    """Messages for each output of ``got`` that differs from ``want``."""
    problems = []
    for label, g, w in zip(("out", "dx", "dgamma", "dbeta"), got, want):
        if np.shape(g) != w.shape or not np.allclose(g, w, rtol=1e-7, atol=1e-9):
            problems.append(f"{name}: {label} differs from a plain numpy pass")
    return problems


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help="exit 1 when batch norm's forward + backward_alt or the "
                                    "network is over its target, a layer or the network "
                                    "is wrong, or a notebook fails",
                         repeats_help="measurements of each candidate (best one counts)")
    add_notebooks_option(parser)
    return parse_and_run(parser, run, argv)


def run(args):
    """Measure, print, and return the exit status (see the module docstring)."""
    print(f"bench_deep_nets: N={N} D={D} float64")
    print_machine()
    fns = load_functions(args.solutions, WANTED, "bench_deep_nets")
    rng = np.random.default_rng(0)
    x = 3.0 + 2.0 * rng.standard_normal((N, D))
    gamma, beta = 1.0 + 0.1 * rng.standard_normal(D), 0.1 * rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    def bn(backward):
        def step():
            out, cache = fns["batchnorm_forward"](x, gamma, beta, {"mode": "train"})
            return (out, *fns[backward](dout, cache))
        return step

    def ln():
        out, cache = fns["layernorm_forward"](x, gamma, beta, {})
        return (out, *fns["layernorm_backward"](dout, cache))

    problems = (compare("batchnorm_backward", bn("batchnorm_backward")(),
                        plain_norm(x, gamma, beta, dout, 0))
                + compare("batchnorm_backward_alt", bn("batchnorm_backward_alt")(),
                          plain_norm(x, gamma, beta, dout, 0))
                + compare("layernorm", ln(), plain_norm(x, gamma, beta, dout, 1)))

    keep_freed_memory()
    candidates = {"pass": lambda: x + x, "bn graph": bn("batchnorm_backward"),
                  "bn alt": bn("batchnorm_backward_alt"), "ln": ln}
    warm_up(candidates)
    t = best_times(candidates, repeats=dict.fromkeys(candidates, args.repeats),
                   number=dict(dict.fromkeys(candidates, 3), **{"pass": 20}))
    print(f"one elementwise pass x + x over the input: {t['pass'] * 1e3:8.3f} ms")
    labels = {"bn graph": "batchnorm_forward + batchnorm_backward",
              "bn alt": "batchnorm_forward + batchnorm_backward_alt",
              "ln": "layernorm_forward + layernorm_backward"}
    over = False
    for key, label in labels.items():
        passes = t[key] / t["pass"]
        line = f"{label:44s} {t[key] * 1e3:8.3f} ms {passes:6.1f} passes"
        if key == "bn alt":   # the graph version teaches, it is not tuned: no target
            over |= passes > TARGET
            line += f"  (target <= {TARGET:g})  {'ABOVE TARGET' if passes > TARGET else 'PASS'}"
        elif key == "bn graph":
            line += "  (teaching version, no target)"
        print(line)
    over |= measure_net(fns["FullyConnectedNet"], args.repeats, problems)
    for p in problems:
        print(f"WARNING {p}")

    failed = time_notebooks(args.solutions) if args.notebooks else []
    for p in failed:
        print(f"WARNING notebook did not run: {p}")
    if args.check and (over or problems or failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
