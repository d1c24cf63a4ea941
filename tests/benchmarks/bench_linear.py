"""How fast are the solution's linear-classifier losses?  (``make bench``)

Runs the SVM and softmax losses of the solution notebooks in
``solutions/a1_linear/`` outside Jupyter and prints, for one problem the size
of the CIFAR-10 assignment (N=500, D=3073, C=10, float64):

- vectorised loss+gradient time over the time of its two unavoidable matmuls
  (``X @ W`` and ``X.T @ dscores``): a good solution costs at most 1.5x them;
- the speedup of the vectorised version over the naive loops.

The machine is shared and noisy, so only ratios measured in the same run mean
anything: every timing is the best of several, and the candidates take turns
(interleaved) so that a burst of load hits all of them alike.

Usage::

    python tests/benchmarks/bench_linear.py [--check] [--repeats R] [--threads T]
                                            [--solutions DIR]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and a ratio is over its target, or the naive and vectorised versions disagree.
"""
import argparse
import contextlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from cs231n.notebook import load_answers

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


def load_functions(folder):
    """``{name: function}`` for every name in WANTED, from the folder's notebooks."""
    wanted = [n for names in WANTED.values() for n in names]
    first = [folder / nb for nb in WANTED]
    rest = sorted(p for p in folder.glob("*.ipynb") if p not in first)
    found = {}
    for path in first + rest:
        if not path.exists() or all(n in found for n in wanted):
            continue
        ns = load_answers(path)
        found.update({n: ns[n] for n in wanted if n in ns and n not in found})
    missing = [n for n in wanted if n not in found]
    if missing:
        raise SystemExit(f"bench_linear: no answer cell of {folder}/*.ipynb defines "
                         f"{', '.join(missing)}")
    return found


def blas_info():
    """One line per BLAS/OpenMP library numpy loaded (threadpoolctl if present)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["BLAS: threadpoolctl not installed; see numpy.show_config()"]
    lines = []
    for lib in threadpool_info():
        lines.append(f"{lib.get('user_api')}: {lib.get('internal_api')} "
                     f"{lib.get('version')} threads={lib.get('num_threads')} "
                     f"arch={lib.get('architecture', '?')}")
    return lines or ["BLAS: threadpoolctl found no library"]


def best_times(candidates, *, repeats, number):
    """Best-of-``repeats`` seconds per call of each candidate, interleaved.

    Parameters
    ----------
    candidates : dict of str -> callable
        Called with no argument.
    repeats : dict of str -> int
        How many measurements of each candidate (slow ones get fewer).
    number : dict of str -> int
        Calls per measurement (fast ones get more, to rise above timer noise).

    Returns
    -------
    dict of str -> float
    """
    best = {name: float("inf") for name in candidates}
    for r in range(max(repeats.values())):
        for name, fn in candidates.items():
            if r >= repeats[name]:
                continue
            k = number[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / k)
    return best


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a ratio is over its target")
    parser.add_argument("--repeats", type=int, default=15,
                        help="measurements of each fast candidate (best one counts)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS to this many threads (needs threadpoolctl); "
                             "1 gives steadier ratios on a busy machine")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS,
                        help="folder of the solution notebooks (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    limit = contextlib.nullcontext()
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl (pip install threadpoolctl)")
        limit = threadpool_limits(limits=args.threads, user_api="blas")
    with limit:
        return run(args)


def run(args):

    print(f"bench_linear: N={N} D={D} C={C} float64 reg={REG}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}")
    for line in blas_info():
        print(f"  {line}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs (a busy machine skews the ratios)")

    fns = load_functions(args.solutions)
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

    best_times(candidates, repeats=dict.fromkeys(candidates, 1),
               number=dict.fromkeys(candidates, 1))  # warm caches and thread pools
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
