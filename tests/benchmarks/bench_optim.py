"""How fast are the solution's update rules?  (``make bench``)

Runs the update rules of ``solutions/a3_optimization/optimizers.ipynb`` outside
Jupyter on 1e6 float64 parameters, in the middle of a run (the state arrays
already filled, as after a few steps), and prints each rule's time per step in
units of one elementwise pass ``w + dw`` over the same arrays: the least any
rule must do.  Adam's target is at most 6 such passes.  Writing it in place,
without needless temporaries, takes it a long way (a naive version costs
about 1.5 times the solution's), but not all the way where the float64
square root is slow: see Adam's floor below.
It also runs ``optimizers.ipynb`` top to bottom and prints its time
(``--no-notebooks`` skips that).

Adam's floor, measured in the same run: the operations that no Adam written
with numpy ufuncs avoids, each timed alone on the same arrays.  Every such
Adam takes a float64 square root and a division over all parameters, and at
least ten more elementwise operations (three for ``m``, four for ``v``, three
around the root: ``+ epsilon``, the scale, ``w +``), of which ``m +=``,
``v +=`` and ``w +`` read two arrays.  The sum of their costs is the least
such an Adam can cost when each operation passes over the whole arrays; on a
CPU with a slow float64 square root it is above the target.  (Working in
cache-sized blocks makes the cheap operations cheaper, not the root.)

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

from cs231n.grading.samples import load_corpus

from _common import (add_notebooks_option, best_times, keep_freed_memory, load_functions,
                     make_parser, parse_and_run, print_machine, time_notebooks, warm_up)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "variants" / "a3_optimization.py"
SOLUTIONS = ROOT / "solutions" / "a3_optimization"
RULES = ("sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam")
SIZE = 1_000_000
TARGET = 6.0
NAIVE = "adam, new arrays"


def mid_run_config(rule, w, dw):
    """A config as after five steps: every state array filled."""
    config = None
    for _ in range(5):
        _, config = rule(w, dw, config)
    return config


def floor_candidates(w, dw, config):
    """The operations every numpy Adam makes, each alone on arrays of w's size."""
    m, v = config["m"].copy(), config["v"].copy()
    scratch, root = np.empty_like(w), np.sqrt(v) + 1e-8
    return {
        "np.sqrt(v, out=s)": lambda: np.sqrt(v, out=scratch),
        "np.divide(m, s, out=s)": lambda: np.divide(m, root, out=scratch),
        "s *= c  (in place, scalar)": lambda: np.multiply(scratch, 0.5, out=scratch),
        "s += dw (in place, array)": lambda: np.add(scratch, dw, out=scratch),
    }


def print_floor(times, unit, names):
    """Print the costs, in passes, of the operations of ``floor_candidates``
    (``names``, in its order: root, division, scalar op, array op)."""
    passes = {name: times[name] / unit for name in names}
    sqrt, divide, scalar, binary = passes.values()
    floor = sqrt + divide + 3 * binary + 7 * scalar
    print("Adam's floor: what every Adam made of numpy ufuncs computes, each timed alone")
    for name, p in passes.items():
        print(f"  {name:28s} {1000 * times[name]:8.3f} ms  {p:5.2f} passes")
    print(f"  root + division + 3 array ops + 7 scalar ops: {floor:5.2f} passes "
          f"(target {TARGET:g}); the root alone is {sqrt:.2f}")


def run(args):
    print(f"bench_optim: {SIZE:.0e} float64 parameters, one step of each rule")
    print_machine()
    keep_freed_memory()
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
    # For comparison: the corpus's plain Adam, a new array for every subexpression.
    naive = load_corpus(CORPUS).adam_new_arrays
    candidates[NAIVE] = lambda: naive(w, dw, dict(configs["adam"]))
    # The floor's operations take turns with the rest, the unit included.
    floor = floor_candidates(w, dw, configs["adam"])
    candidates.update(floor)
    warm_up(candidates)
    repeats = {name: args.repeats for name in candidates}
    number = {name: 3 for name in candidates}
    times = best_times(candidates, repeats=repeats, number=number)
    unit = times["w + dw"]
    print(f"one elementwise pass w + dw: {1000 * unit:8.3f} ms")
    for name in RULES + (NAIVE,):
        ratio = times[name] / unit
        note = ""
        if name == "adam":
            note = f"  (target <= {TARGET:g})  " + ("PASS" if ratio <= TARGET else "ABOVE TARGET")
        print(f"{name:18s} {1000 * times[name]:8.3f} ms  {ratio:5.2f} passes{note}")
    print_floor(times, unit, list(floor))
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
