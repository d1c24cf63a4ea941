"""Helpers shared by the speed benchmarks of this folder (``bench_*.py``).

Loading the graded functions from the solution notebooks, timing callables
that take turns (interleaved best-of-several, the only ratios that mean
anything on a shared, noisy machine) in the steady state of malloc (freed
memory kept for reuse), describing the machine, the command-line options
every benchmark has, and timing the solution notebooks.

The benchmarks are run as scripts, ``python tests/benchmarks/bench_x.py``:
Python puts the script's folder first on ``sys.path``, so ``from _common
import ...`` finds this module.
"""
import argparse
import contextlib
import ctypes
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from cs231n import registry
from cs231n.notebook import load_answers


def _uses(folder, notebook):
    """The notebooks ``notebook`` builds on, when ``folder`` is an assignment's."""
    if folder.name not in registry.assignments():
        return ()
    return registry.get(folder.name).uses.get(notebook, ())


def _given(folder):
    """The given modules of the assignment whose folder this is."""
    if folder.name not in registry.assignments():
        return ()
    return registry.get(folder.name).given_files


def load_functions(folder, wanted, prog):
    """``{name: object}`` for every name in ``wanted``, from the folder's notebooks.

    Parameters
    ----------
    folder : Path
    wanted : dict of str -> list of str
        Notebook file name -> the names defined there.  A name not found
        there is looked for in the other notebooks of the folder, so moving a
        function does not break the benchmark.
    prog : str
        The benchmark's name, for the error messages.

    Raises
    ------
    SystemExit
        When the folder is missing or a name is defined in none of its notebooks.
    """
    if not folder.is_dir():
        raise SystemExit(f"{prog}: no folder {folder} (see --solutions)")
    names = [n for ns in wanted.values() for n in ns]
    first = [folder / nb for nb in wanted]
    rest = sorted(p for p in folder.glob("*.ipynb") if p not in first)
    found = {}
    for path in first + rest:
        if not path.exists() or all(n in found for n in names):
            continue
        ns = load_answers(path, uses=_uses(folder, path.name), given=_given(folder))
        found.update({n: ns[n] for n in names if n in ns and n not in found})
    missing = [n for n in names if n not in found]
    if missing:
        where = ", ".join(p.name for p in first + rest if p.exists()) or "no notebook"
        raise SystemExit(f"{prog}: no answer cell of {folder}/*.ipynb defines "
                         f"{', '.join(missing)} (looked in {where})")
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


def print_machine():
    """Print the Python and numpy versions, the BLAS libraries and the load."""
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}")
    for line in blas_info():
        print(f"  {line}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs (a busy machine skews the ratios)")


def keep_freed_memory():
    """Make glibc's malloc serve big arrays from memory freed earlier.

    By default glibc gives an array of a few MB back to the kernel when it is
    freed (or trims the heap), and the next one of that size arrives in fresh
    pages that the kernel must zero on first touch.  Whether a timed call gets
    fresh pages then depends on what ran before it, which moves a
    one-pass baseline such as ``w + dw`` by half of its time.  With freed
    memory kept, every candidate is timed in the steady state of a training
    loop, where each step's new arrays reuse the last step's.

    Prints one line that says whether it worked.

    Returns
    -------
    bool
        False when the C library is not glibc (nothing changed).
    """
    m_trim_threshold, m_mmap_threshold = -1, -3
    try:
        mallopt = ctypes.CDLL(None).mallopt
        # mallopt returns 1 on success; glibc caps the mmap threshold at 32 MB.
        kept = bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):
        kept = False
    if kept:
        print("malloc keeps freed memory: arrays up to 32 MB reuse it, as in a training loop")
    else:
        print("WARNING: not glibc's malloc; fresh pages may swing the ratios")
    return kept


def best_times(candidates, *, repeats, number):
    """Best-of-``repeats`` seconds per call of each candidate, interleaved.

    Parameters
    ----------
    candidates : dict of str -> callable
        Called with no argument.
    repeats : dict of str -> int
        How many measurements of each candidate (slow ones may get fewer).
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


def warm_up(candidates):
    """Call each candidate once, so that caches and thread pools are ready
    before ``best_times`` measures."""
    best_times(candidates, repeats=dict.fromkeys(candidates, 1),
               number=dict.fromkeys(candidates, 1))


def make_parser(doc, solutions, *, check_help, repeats_help):
    """The options of every benchmark: --check, --repeats, --threads, --solutions.

    Parameters
    ----------
    doc : str
        The benchmark's module docstring; its first line describes the parser.
    solutions : Path
        Default folder of the solution notebooks.
    check_help, repeats_help : str
        What --check and --repeats mean for this benchmark.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--check", action="store_true", help=check_help)
    parser.add_argument("--repeats", type=int, default=15, help=repeats_help)
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS to this many threads (needs threadpoolctl); "
                             "1 gives steadier ratios on a busy machine")
    parser.add_argument("--solutions", type=Path, default=solutions,
                        help="folder of the solution notebooks (default: %(default)s)")
    return parser


def parse_and_run(parser, run, argv=None):
    """Parse the options, limit the BLAS threads if asked, and return ``run(args)``."""
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


KERNEL, NOTEBOOK_TIMEOUT = "python3", 300


def add_notebooks_option(parser):
    """``--notebooks`` / ``--no-notebooks``: time each notebook of the folder."""
    parser.add_argument("--notebooks", action=argparse.BooleanOptionalAction, default=True,
                        help="also time each notebook of the folder run top to bottom "
                             "(default: on)")


def time_notebooks(folder):
    """Run each notebook of ``folder`` in a temporary copy of it; print its time.

    Parameters
    ----------
    folder : Path
        Its notebooks run with the kernel ``KERNEL``, working directory the
        copy, at most ``NOTEBOOK_TIMEOUT`` seconds per cell.

    Returns
    -------
    list of str
        One message per notebook that failed to run.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    paths = sorted(folder.glob("*.ipynb"))
    if not paths:
        return [f"no notebook in {folder}"]
    problems = []
    print(f"notebooks of {folder.name}/ (nbclient, kernel {KERNEL}, "
          f"timeout {NOTEBOOK_TIMEOUT} s per cell):")
    with tempfile.TemporaryDirectory(prefix="bench_notebooks_") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work)
        for path in paths:
            nb = nbformat.read(work / path.name, as_version=4)
            client = NotebookClient(nb, timeout=NOTEBOOK_TIMEOUT, kernel_name=KERNEL,
                                    resources={"metadata": {"path": str(work)}})
            start = time.perf_counter()
            try:
                client.execute()
                status = "ok"
            except CellExecutionError as e:
                status = f"FAILED: {e.ename}: {e.evalue}"
                problems.append(f"{path.name}: {status}")
            except Exception as e:  # a timeout, a dead or missing kernel
                status = f"FAILED: {type(e).__name__}: {str(e).strip()[:200]}"
                problems.append(f"{path.name}: {status}")
            seconds = time.perf_counter() - start
            print(f"  {path.name:28s} {seconds:7.1f} s  {status}")
    return problems
