"""How fast are the solution's linear-classifier losses?  (``make bench``)

Runs the SVM and softmax losses of the solution notebooks in
``solutions/a1_linear/`` outside Jupyter and prints, for one problem the size
of the CIFAR-10 assignment (N=500, D=3073, C=10, float64):

- vectorised loss+gradient time over the time of its two unavoidable matmuls
  (``X @ W`` and ``X.T @ dscores``): a good solution costs at most 1.5x them;
- the speedup of the vectorised version over the naive loops.

The machine is shared and noisy, so only ratios measured in the same run mean
anything: every timing is the best of several, and the candidates take turns
(interleaved) so that a burst of load hits all of them alike.  Freed memory is
kept for reuse (``keep_freed_memory``), as in the other benchmarks: every
candidate is timed in a training loop's steady state, not in fresh pages.

Usage::

    python tests/benchmarks/bench_linear.py [--check] [--repeats R] [--threads T]
                                            [--solutions DIR]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and a ratio is over its target, or the naive and vectorised versions disagree.
"""
import sys
from pathlib import Path

import numpy as np

from _common import (best_times, keep_freed_memory, load_functions, make_parser, parse_and_run,
                     print_machine, warm_up)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "a1_linear"

# Notebook of each function; a name not found there is looked for in the
# other notebooks of the folder, so moving a function does not break this.
WANTED = {
    "svm.ipynb": ["svm_loss_naive", "svm_loss_vectorized"],
    "softmax.ipynb": ["softmax_loss_naive", "softmax_loss_vectorized"],
}
N, D, C, REG = 500, 3073, 10, 1e-3
TARGET = 1.5


def compare(fns, W, X, y):
    """Messages for each naive/vectorised pair whose loss or gradient differ."""
    problems = []
    for kind in ("svm", "softmax"):
        loss_n, dW_n = fns[f"{kind}_loss_naive"](W, X, y, REG)
        loss_v, dW_v = fns[f"{kind}_loss_vectorized"](W, X, y, REG)
        if not np.isclose(loss_n, loss_v, rtol=1e-8, atol=1e-10):
            problems.append(f"{kind}: loss naive {float(loss_n)} != vectorised {float(loss_v)}")
        if not np.allclose(dW_n, dW_v, rtol=1e-6, atol=1e-10):
            err = float(np.max(np.abs(dW_n - dW_v)))
            problems.append(f"{kind}: gradients differ (max abs difference {err:.3g})")
    return problems


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help="exit 1 when a ratio is over its target",
                         repeats_help="measurements of each fast candidate (best one counts)")
    return parse_and_run(parser, run, argv)


def run(args):
    """Measure, print, and return the exit status (see the module docstring)."""
    print(f"bench_linear: N={N} D={D} C={C} float64 reg={REG}")
    print_machine()
    keep_freed_memory()

    fns = load_functions(args.solutions, WANTED, "bench_linear")
    rng = np.random.default_rng(0)
    # Mean-subtracted CIFAR pixels have about this spread; the last column is the bias.
    X = 60.0 * rng.standard_normal((N, D))
    X[:, -1] = 1.0
    W = 1e-4 * rng.standard_normal((D, C))
    y = rng.integers(C, size=N)
    dscores = rng.standard_normal((N, C))

    problems = compare(fns, W, X, y)

    def matmuls():
        X @ W
        X.T @ dscores

    candidates = {"matmuls": matmuls}
    for kind in ("svm", "softmax"):
        for variant in ("vectorized", "naive"):
            fn = fns[f"{kind}_loss_{variant}"]
            candidates[f"{kind}_{variant}"] = lambda fn=fn: fn(W, X, y, REG)

    warm_up(candidates)
    slow = {name: name.endswith("naive") for name in candidates}
    t = best_times(
        candidates,
        repeats={n: max(1, args.repeats // 5) if slow[n] else args.repeats for n in candidates},
        number={n: 1 if slow[n] else 5 for n in candidates},
    )

    print(f"two matmuls (X @ W, X.T @ dscores): {t['matmuls'] * 1e3:8.3f} ms")
    over = []
    for kind in ("svm", "softmax"):
        vec, naive = t[f"{kind}_vectorized"], t[f"{kind}_naive"]
        ratio = vec / t["matmuls"]
        verdict = "PASS" if ratio <= TARGET else "ABOVE TARGET"
        if ratio > TARGET:
            over.append(kind)
        print(f"{kind + '_loss_vectorized':24s} {vec * 1e3:8.3f} ms  "
              f"{ratio:5.2f}x matmuls (target <= {TARGET})  {verdict}")
        print(f"{kind + '_loss_naive':24s} {naive * 1e3:8.3f} ms  "
              f"speedup of vectorised {naive / vec:6.1f}x")
    for p in problems:
        print(f"WARNING naive and vectorised disagree: {p}")

    if args.check and (over or problems):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
