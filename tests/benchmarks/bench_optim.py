"""How fast are the solution's update rules?  (``make bench``)

Runs the update rules of ``solutions/a3_optimization/optimizers.ipynb`` outside
Jupyter on 1e6 float64 parameters, in the middle of a run (the state arrays
already filled, as after a few steps), and prints each rule's time per step in
units of one elementwise pass ``w + dw`` over the same arrays: the least any
rule must do.  Adam's target is at most 6 such passes, which a version
without needless temporaries meets (a naive one makes about 14 of them).
It also runs ``optimizers.ipynb`` top to bottom and prints its time
(``--no-notebooks`` skips that).

The machine is shared and noisy, so only ratios of one run mean anything:
every timing is the best of several, and the candidates take turns.

Usage::

    python tests/benchmarks/bench_optim.py [--check] [--repeats R] [--solutions DIR]
                                           [--no-notebooks]

Exit status is 0 (it reports, it does not judge) unless ``--check`` is given
and Adam is over its target or the notebook fails, or when a rule mutates
``w``.
"""
import os
import sys
from pathlib import Path

import numpy as np

from _common import (add_notebooks_option, best_times, load_functions, make_parser,
                     parse_and_run, print_machine, time_notebooks, warm_up)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions" / "a3_optimization"
RULES = ("sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam")
SIZE = 1_000_000
TARGET = 6.0


def mid_run_config(rule, w, dw):
    """A config as after five steps: every state array filled."""
    config = None
    for _ in range(5):
        _, config = rule(w, dw, config)
    return config


def run(args):
    print(f"bench_optim: {SIZE:.0e} float64 parameters, one step of each rule")
    print_machine()
    rules = load_functions(args.solutions, {"optimizers.ipynb": list(RULES)}, "bench_optim")
    rng = np.random.default_rng(0)
    w, dw = rng.standard_normal(SIZE), rng.standard_normal(SIZE)
    configs = {}
    for name in RULES:
        w_before = w.copy()
        configs[name] = mid_run_config(rules[name], w, dw)
        if not np.array_equal(w, w_before):
            print(f"WARNING: {name} mutated w in place")
            return 1
    # Each call gets its own config dict (the rule may store new arrays in
    # it); the arrays are the same, as in a real run where they are reused.
    candidates = {"w + dw": lambda: w + dw}
    for name in RULES:
        candidates[name] = (lambda r, c: lambda: r(w, dw, dict(c)))(rules[name], configs[name])
    warm_up(candidates)
    repeats = {name: args.repeats for name in candidates}
    number = {name: 3 for name in candidates}
    times = best_times(candidates, repeats=repeats, number=number)
    unit = times["w + dw"]
    print(f"one elementwise pass w + dw: {1000 * unit:8.3f} ms")
    for name in RULES:
        ratio = times[name] / unit
        note = ""
        if name == "adam":
            note = f"  (target <= {TARGET:g})  " + ("ok" if ratio <= TARGET else "ABOVE TARGET")
        print(f"{name:18s} {1000 * times[name]:8.3f} ms  {ratio:5.2f} passes{note}")
    failed = time_notebooks(args.solutions) if args.notebooks else []
    for p in failed:
        print(f"WARNING notebook did not run: {p}")
    if args.check and (times["adam"] / unit > TARGET or failed):
        return 1
    return 0


def main(argv=None):
    parser = make_parser(__doc__, SOLUTIONS,
                         check_help=f"exit 1 when Adam costs more than {TARGET:g} passes",
                         repeats_help="measurements per rule (best is kept)")
    add_notebooks_option(parser)
    return parse_and_run(parser, run, argv)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
