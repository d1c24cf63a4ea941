"""How fast is the solution's two-layer network?  (``make bench``)

Runs ``TwoLayerNet`` of the solution notebook
``solutions/a2_neural_net/two_layer_net.ipynb`` outside Jupyter and prints,
for one batch of CIFAR-10-sized inputs (N=200, D=3072, H=100, C=10, float64,
reg > 0):

- the time of ``loss(X, y)`` (forward and backward pass) over the time of the
  five matmuls any forward+backward must do (``X @ W1``, ``h @ W2``,
  ``h.T @ dscores``, ``dscores @ W2.T``, ``X.T @ dh``) on the same arrays:
  a good solution costs at most 1.6x them.  It is measured twice in the same
  run.  First with glibc's malloc as it comes: it hands the (D, H) arrays of
  ``grads["W1"]`` back to the system after each call, and the next call gets
  fresh pages that the kernel must zero, which costs as much as half the
  matmuls.  Then with freed memory kept (``keep_freed_memory``), the steady
  state of a training loop, as ``bench_optim`` measures; the target applies
  to this one, which shows the cost of the code rather than of the allocator;
- the execution time of each notebook of ``solutions/a2_neural_net/``, run
  top to bottom with nbclient (kernel ``python3``) in a temporary copy of the
  folder; ``--no-notebooks`` skips this part.

The machine is shared and noisy, so only ratios measured in the same run mean
anything: every timing is the best of several, and the candidates take turns
(interleaved) so that a burst of load hits all of them alike.

Usage::

    python tests/benchmarks/bench_neural_net.py [--check] [--repeats R] [--threads T]
                                                [--solutions DIR] [--no-notebooks]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and the ratio is over its target, the network's loss or gradients differ from
a plain numpy forward/backward pass, or a notebook fails to run.
"""
import sys
from pathlib import Path

import numpy as np

from _common import (add_notebooks_option, best_times, keep_freed_memory, load_functions,
                     make_parser, parse_and_run, print_machine, time_notebooks, warm_up)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "a2_neural_net"

# Notebook of each name; a name not found there is looked for in the other
# notebooks of the folder, so moving a class does not break this.
WANTED = {"two_layer_net.ipynb": ["TwoLayerNet"]}
N, D, H, C, REG = 200, 3072, 100, 10, 1e-3
TARGET = 1.6


def make_problem(rng):
    """A fixed batch and fixed parameters of the benchmark's size.

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (N, D)
    y : ndarray of int, shape (N,)
    params : dict of ndarray
        ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,); the biases are
        not zero, so that a solution that mishandles them is caught.
    """
    # Mean-subtracted CIFAR pixels have about this spread; with W1 at 1e-3 the
    # hidden pre-activations are O(1), so about half the ReLUs are active.
    X = 60.0 * rng.standard_normal((N, D))
    y = rng.integers(C, size=N)
    params = {
        "W1": 1e-3 * rng.standard_normal((D, H)),
        "b1": 1e-2 * rng.standard_normal(H),
        "W2": 1e-2 * rng.standard_normal((H, C)),
        "b2": 1e-2 * rng.standard_normal(C),
    }
    return X, y, params


def reference_pass(params, X, y, reg):
    """Plain numpy forward and backward pass of the two-layer network.

    Parameters
    ----------
    params : dict of ndarray
        As returned by ``make_problem``.
    X : ndarray, shape (N, D)
    y : ndarray of int, shape (N,)
    reg : float

    Returns
    -------
    loss : float
    grads : dict of ndarray
        Same keys and shapes as ``params``.
    arrays : dict of ndarray
        ``h`` (N, H) the hidden layer after the ReLU, ``dscores`` (N, C) and
        ``dh`` (N, H) the upstream gradients: the operands of the matmuls the
        solution is measured against.
    """
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    rows = np.arange(len(y))
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[rows, y].mean() + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1.0
    dscores /= len(y)
    dh = (dscores @ W2.T) * (a > 0)
    grads = {"W1": X.T @ dh + reg * W1, "b1": dh.sum(axis=0),
             "W2": h.T @ dscores + reg * W2, "b2": dscores.sum(axis=0)}
    return float(loss), grads, {"h": h, "dscores": dscores, "dh": dh}


def build_net(TwoLayerNet, params):
    """A ``TwoLayerNet`` of the benchmark's size whose params are copies of ``params``."""
    try:
        net = TwoLayerNet(D, H, C, reg=REG, rng=np.random.default_rng(0))
    except NotImplementedError:
        raise SystemExit("bench_neural_net: TwoLayerNet.__init__ raises "
                         "NotImplementedError: is this an unanswered release?") from None
    except TypeError as e:
        raise SystemExit("bench_neural_net: TwoLayerNet(input_dim, hidden_dim, num_classes, "
                         f"reg=..., rng=...) failed: {e}") from None
    if not isinstance(getattr(net, "params", None), dict):
        raise SystemExit("bench_neural_net: TwoLayerNet has no params dict")
    net.params.update({k: v.copy() for k, v in params.items()})
    return net


def compare(net, X, y, params):
    """Messages for each way ``net.loss(X, y)`` differs from ``reference_pass``."""
    try:
        out = net.loss(X, y)
    except NotImplementedError:
        raise SystemExit("bench_neural_net: TwoLayerNet.loss raises NotImplementedError: "
                         "is this an unanswered release?") from None
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        raise SystemExit("bench_neural_net: TwoLayerNet.loss(X, y) must return "
                         f"(loss, grads), got {type(out).__name__}")
    loss, grads = out
    ref_loss, ref_grads, _ = reference_pass(params, X, y, REG)
    problems = []
    if not np.isclose(loss, ref_loss, rtol=1e-8, atol=1e-10):
        problems.append(f"loss {float(loss)} != reference {ref_loss}")
    for name, ref in ref_grads.items():
        grad = grads.get(name)
        if grad is None:
            problems.append(f"grads has no key {name!r}")
        elif np.shape(grad) != ref.shape:
            problems.append(f"grads[{name!r}] has shape {np.shape(grad)}, expected {ref.shape}")
        elif not np.allclose(grad, ref, rtol=1e-6, atol=1e-10):
            err = float(np.max(np.abs(grad - ref)))
            problems.append(f"grads[{name!r}] differs (max abs difference {err:.3g})")
    return problems


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help="exit 1 when the ratio is over its target, the network is "
                                    "wrong, or a notebook fails",
                         repeats_help="measurements of each candidate (best one counts)")
    add_notebooks_option(parser)
    return parse_and_run(parser, run, argv)


def run(args):
    """Measure, print, and return the exit status (see the module docstring)."""
    print(f"bench_neural_net: N={N} D={D} H={H} C={C} float64 reg={REG}")
    print_machine()

    TwoLayerNet = load_functions(args.solutions, WANTED, "bench_neural_net")["TwoLayerNet"]
    X, y, params = make_problem(np.random.default_rng(0))
    net = build_net(TwoLayerNet, params)
    problems = compare(net, X, y, params)

    W1, W2 = params["W1"], params["W2"]
    _, _, arrays = reference_pass(params, X, y, REG)
    h, dscores, dh = arrays["h"], arrays["dscores"], arrays["dh"]

    def matmuls():
        X @ W1
        h @ W2
        h.T @ dscores
        dscores @ W2.T
        X.T @ dh

    candidates = {"matmuls": matmuls, "two_layer_net": lambda: net.loss(X, y)}

    def measure():
        warm_up(candidates)
        t = best_times(candidates, repeats=dict.fromkeys(candidates, args.repeats),
                       number=dict.fromkeys(candidates, 5))
        return t, t["two_layer_net"] / t["matmuls"]

    # First with glibc's defaults, then in the steady state (see the docstring).
    _, fresh_pages = measure()
    kept = keep_freed_memory()
    t, ratio = measure()
    over = ratio > TARGET
    print(f"five matmuls (X @ W1, h @ W2, h.T @ dscores, dscores @ W2.T, X.T @ dh): "
          f"{t['matmuls'] * 1e3:8.3f} ms")
    print(f"{'TwoLayerNet.loss(X, y)':24s} {t['two_layer_net'] * 1e3:8.3f} ms  "
          f"{ratio:5.2f}x matmuls (target <= {TARGET})  "
          f"{'ABOVE TARGET' if over else 'PASS'}")
    if kept:
        print(f"  with malloc's defaults, fresh pages for every (D, H) array: "
              f"{fresh_pages:5.2f}x matmuls")
    for p in problems:
        print(f"WARNING TwoLayerNet disagrees with a plain numpy pass: {p}")

    failed = time_notebooks(args.solutions) if args.notebooks else []
    for p in failed:
        print(f"WARNING notebook did not run: {p}")

    if args.check and (over or problems or failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
