"""How fast are the solution's normalisation layers?  (``make bench``)

Runs ``batchnorm_forward`` (training mode), ``batchnorm_backward``,
``batchnorm_backward_alt``, ``layernorm_forward`` and ``layernorm_backward``
of ``solutions/a4_deep_nets/batch_norm.ipynb`` outside Jupyter on one float64
batch of N x D = 3000 x 1000 (24 MB, larger than the caches), and prints each
forward+backward pair's time in units of one elementwise pass ``x + x`` over
the same array: a pass reads and writes the whole input once, the least any
layer must do.  The target for batch norm's forward and backward together is
at most 10 such passes (the forward needs the mean, the variance, the
normalised x and the output; the backward about as many).  The results are
compared with a plain numpy pass first.

It also runs each notebook of ``solutions/a4_deep_nets/`` top to bottom and
prints its time (``--no-notebooks`` skips that).

The machine is shared and noisy, so only ratios of one run mean anything:
every timing is the best of several, and the candidates take turns.

Usage::

    python tests/benchmarks/bench_deep_nets.py [--check] [--repeats R] [--threads T]
                                               [--solutions DIR] [--no-notebooks]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and batch norm is over its target, a layer disagrees with the plain numpy
pass, or a notebook fails to run.
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
                               "layernorm_backward"]}
N, D, EPS = 3000, 1000, 1e-5
TARGET = 10.0


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


def compare(name, got, want):
    """Messages for each output of ``got`` that differs from ``want``."""
    problems = []
    for label, g, w in zip(("out", "dx", "dgamma", "dbeta"), got, want):
        if np.shape(g) != w.shape or not np.allclose(g, w, rtol=1e-7, atol=1e-9):
            problems.append(f"{name}: {label} differs from a plain numpy pass")
    return problems


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help="exit 1 when batch norm is over its target, a layer is "
                                    "wrong, or a notebook fails",
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
        if key.startswith("bn"):
            over |= passes > TARGET
            line += f"  (target <= {TARGET:g})  {'ABOVE TARGET' if passes > TARGET else 'PASS'}"
        print(line)
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
