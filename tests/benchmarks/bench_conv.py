"""How fast is the solution's im2col convolution?  (``make bench``)

Runs ``conv_forward_im2col`` and ``conv_backward_im2col`` of
``solutions/a6_convolution/fast_conv.ipynb`` outside Jupyter on a
CIFAR-10-sized batch, N x C x H x W = 50 x 3 x 32 x 32 float64, with 32
filters of 3x3, stride 1 and pad 1, and prints three ratios:

- the fast forward + backward against the naive loops of ``conv_naive.ipynb``
  (``conv_forward_naive`` + ``conv_backward_naive``).  The loops take seconds
  on the whole batch, so they are timed on ``NAIVE_N`` = 2 images and their
  time is scaled by N / NAIVE_N (the loops' cost is linear in N: every
  example runs the same iterations); the line says so; the target is at
  least 50x;
- the fast forward against its one matmul, ``w.reshape(F, -1) @ cols`` on
  the (C*HH*WW, N*H'*W') column matrix built beforehand (the least any
  im2col forward must do):
  the target is at most 2x (the rest is the padding and the copy of the
  windows into the column matrix);
- the fast forward against ``scipy.signal.correlate`` doing the same work,
  one call per example and filter over the C x 3 x 3 window (``mode="valid"``
  on the padded input, channels summed by the correlation itself).

The fast functions are first compared with a plain numpy einsum of the same
convolution (and the naive ones on their smaller batch).  With ``--notebooks``
(the default) it also runs each notebook of ``solutions/a6_convolution/`` top
to bottom and prints its time.

The machine is shared and noisy, so only ratios of one run mean anything:
every timing is the best of several, and the candidates take turns.

Usage::

    python tests/benchmarks/bench_conv.py [--check] [--repeats R] [--threads T]
                                          [--solutions DIR] [--no-notebooks]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and the fast forward or the speed-up over the loops misses its target, a
result disagrees with the plain numpy pass, or a notebook fails to run.
"""
import sys
import time
from pathlib import Path

import numpy as np

from _common import (add_notebooks_option, best_times, keep_freed_memory, load_functions,
                     make_parser, parse_and_run, print_machine, time_notebooks, warm_up)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "a6_convolution"
WANTED = {"fast_conv.ipynb": ["conv_forward_im2col", "conv_backward_im2col"],
          "conv_naive.ipynb": ["conv_forward_naive", "conv_backward_naive"]}
N, C, H, W, F, K = 50, 3, 32, 32, 32, 3
PARAM = {"stride": 1, "pad": 1}
NAIVE_N = 2
TARGET = 2.0          # fast forward / its one matmul, at most
NAIVE_TARGET = 50.0   # naive loops / fast forward + backward, at least


def plain_conv(x, w, b, dout):
    """The convolution (stride 1, pad 1) and its gradients by einsum, the plain way."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    out = np.einsum("ncijab,fcab->nfij", win, w) + b[:, None, None]
    dw = np.einsum("nfij,ncijab->fcab", dout, win)
    dwin = np.einsum("nfij,fcab->ncijab", dout, w)
    dxp = np.zeros_like(xp)
    Ho, Wo = out.shape[2:]
    for a in range(w.shape[2]):
        for c in range(w.shape[3]):
            dxp[:, :, a:a + Ho, c:c + Wo] += dwin[:, :, :, :, a, c]
    return out, dxp[:, :, 1:-1, 1:-1], dw, dout.sum(axis=(0, 2, 3))


def compare(name, got, want):
    """Messages for each output of ``got`` that differs from ``want``."""
    problems = []
    for label, g, v in zip(("out", "dx", "dw", "db"), got, want):
        if np.shape(g) != v.shape or not np.allclose(g, v, rtol=1e-7, atol=1e-9):
            problems.append(f"{name}: {label} differs from a plain numpy pass")
    return problems


def columns(x, w):
    """The column matrix (C*HH*WW, N*H'*W') of x for w at stride 1, pad 1, contiguous."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3).reshape(w[0].size, -1))


def scipy_conv(x, w, b):
    """The forward by scipy.signal.correlate, or None when scipy is missing."""
    try:
        from scipy.signal import correlate
    except ImportError:
        return None
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))

    def run():
        out = np.empty((x.shape[0], w.shape[0], x.shape[2], x.shape[3]))
        for n in range(x.shape[0]):
            for f in range(w.shape[0]):
                out[n, f] = correlate(xp[n], w[f], mode="valid")[0] + b[f]
        return out
    return run


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help="exit 1 when the fast forward is over its target, a "
                                    "result disagrees with the plain numpy pass, or a "
                                    "notebook fails",
                         repeats_help="measurements of each candidate (best one counts; the "
                                      "naive loops get at most 2)")
    add_notebooks_option(parser)
    return parse_and_run(parser, run, argv)


def run(args):
    """Measure, print, and return the exit status (see the module docstring)."""
    print(f"bench_conv: x {N}x{C}x{H}x{W}, w {F}x{C}x{K}x{K}, stride 1, pad 1, float64")
    print_machine()
    fns = load_functions(args.solutions, WANTED, "bench_conv")
    fwd, bwd = fns["conv_forward_im2col"], fns["conv_backward_im2col"]
    nfwd, nbwd = fns["conv_forward_naive"], fns["conv_backward_naive"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, K, K)) / np.sqrt(C * K * K)
    b = rng.standard_normal(F)
    dout = rng.standard_normal((N, F, H, W))
    try:
        out, cache = fwd(x, w, b, dict(PARAM))
        fast_result = (out, *bwd(dout, cache))
    except NotImplementedError:
        raise SystemExit("bench_conv: conv_forward_im2col raises NotImplementedError: is this "
                         "an unanswered release?") from None
    problems = compare("conv_forward_im2col + conv_backward_im2col", fast_result,
                       plain_conv(x, w, b, dout))
    xs, ds = x[:NAIVE_N], dout[:NAIVE_N]
    out, cache = nfwd(xs, w, b, dict(PARAM))
    problems += compare("conv_forward_naive + conv_backward_naive",
                        (out, *nbwd(ds, cache)), plain_conv(xs, w, b, ds))
    correlate = scipy_conv(x, w, b)
    if correlate is not None and not np.allclose(correlate(), fast_result[0], rtol=1e-7,
                                                 atol=1e-9):
        problems.append("scipy.signal.correlate differs from conv_forward_im2col")

    keep_freed_memory()
    cols, wrow = columns(x, w), w.reshape(F, -1)

    def fast():
        o, c = fwd(x, w, b, dict(PARAM))
        bwd(dout, c)

    def naive():
        o, c = nfwd(xs, w, b, dict(PARAM))
        nbwd(ds, c)

    candidates = {"matmul": lambda: wrow @ cols, "forward": lambda: fwd(x, w, b, dict(PARAM)),
                  "fast": fast}
    if correlate is not None:
        candidates["scipy"] = correlate
    warm_up(candidates)
    repeats = dict.fromkeys(candidates, args.repeats)
    repeats["scipy"] = min(args.repeats, 3)
    t = best_times(candidates, repeats=repeats,
                   number=dict(dict.fromkeys(candidates, 3), scipy=1, fast=2))
    start = time.perf_counter()
    t_naive = best_times({"naive": naive}, repeats={"naive": min(args.repeats, 2)},
                         number={"naive": 1})["naive"]
    naive_wall = time.perf_counter() - start
    scaled = t_naive * N / NAIVE_N

    print(f"one matmul w.reshape(F, -1) @ cols ({F}x{C * K * K} @ {C * K * K}x{N * H * W}) "
          f"{t['matmul'] * 1e3:9.3f} ms")
    ratio = t["forward"] / t["matmul"]
    print(f"conv_forward_im2col {t['forward'] * 1e3:30.3f} ms {ratio:6.2f}x matmul "
          f"(target <= {TARGET:g})  {'ABOVE TARGET' if ratio > TARGET else 'PASS'}")
    print(f"conv_forward_im2col + conv_backward_im2col {t['fast'] * 1e3:9.3f} ms")
    speedup = scaled / t["fast"]
    print(f"naive forward + backward, N={NAIVE_N} scaled by {N}/{NAIVE_N} "
          f"{scaled * 1e3:13.1f} ms  speedup of im2col {speedup:8.1f}x "
          f"(target >= {NAIVE_TARGET:g})  {'BELOW TARGET' if speedup < NAIVE_TARGET else 'PASS'}"
          f"  (naive timed {naive_wall:.1f} s)")
    if correlate is not None:
        print(f"scipy.signal.correlate, {N * F} calls {t['scipy'] * 1e3:19.3f} ms  "
              f"im2col forward is {t['scipy'] / t['forward']:6.1f}x faster")
    else:
        print("scipy.signal.correlate: scipy not installed, skipped")
    for p in problems:
        print(f"WARNING {p}")
    failed = time_notebooks(args.solutions) if args.notebooks else []
    for p in failed:
        print(f"WARNING notebook did not run: {p}")
    if args.check and (ratio > TARGET or speedup < NAIVE_TARGET or problems or failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
