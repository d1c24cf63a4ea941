"""Do the course's notebooks keep their fair share of a busy server?  (``make bench-busy``)

A shared JupyterHub server runs many students' kernels doing numpy at once.
This runs solution notebooks (``two_layer_net.ipynb``, ``optimizers.ipynb``
by default) to the end with nbclient, each alone and then beside HOGS
processes that loop over numpy matmuls with numpy's default threads (what
other students' kernels do), in one run, and prints for each:

- its slowdown beside the hogs over its fair share: (time beside the hogs /
  time alone) / ((HOGS + 1) / cores): target at most 1.5;

for the course's kernel (the ``python3`` kernel the Makefile installs, with
one BLAS thread) and, for comparison, the same kernel with numpy's default
threads (``--no-compare`` leaves it out).

The machine is shared and noisy: only ratios of one run mean anything, and
the hogs make it busier still.  Exit status 0 (it reports) unless
``--check`` is given and the course kernel's slowdown is over the target.

Usage::

    python tests/benchmarks/bench_busy.py [--hogs 4] [--check] [--no-compare]
                                          [--notebook NAME ...]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from cs231n import registry

ROOT = Path(__file__).resolve().parents[2]
TARGET = 1.5
COURSE_KERNEL = "python3"
DEFAULT_THREADS_KERNEL = "cs231n-default-threads"
HOG = ("import numpy as np\n"
       "a = np.random.default_rng(0).standard_normal((400, 400))\n"
       "while True:\n"
       "    a = a @ a\n"
       "    a /= abs(a).max()\n")


def notebook_path(name):
    """The solution notebook ``name`` of whichever assignment has it."""
    for contract in registry.assignments().values():
        if name in contract.notebooks:
            return ROOT / "solutions" / contract.id / name
    raise SystemExit(f"no assignment has a notebook {name}")


def default_threads_kernel(folder):
    """A copy of the course kernel's spec without its thread settings, in
    ``folder/kernels`` (for JUPYTER_PATH)."""
    spec = KernelSpecManager().get_kernel_spec(COURSE_KERNEL)
    data = spec.to_dict()
    data["env"] = {k: v for k, v in (data.get("env") or {}).items()
                   if not k.endswith("_NUM_THREADS")}
    data["display_name"] = "Python 3 (numpy's default threads)"
    dest = Path(folder) / "kernels" / DEFAULT_THREADS_KERNEL
    dest.mkdir(parents=True)
    (dest / "kernel.json").write_text(json.dumps(data))


def run_notebook(path, kernel):
    """Seconds to run the notebook at ``path`` to the end with ``kernel``."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=1800,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def start_hogs(n):
    """``n`` processes looping over matmuls with numpy's default threads."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    return [subprocess.Popen([sys.executable, "-c", HOG], env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(n)]


def stop_hogs(hogs):
    for proc in hogs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hogs", type=int, default=4)
    parser.add_argument("--notebook", action="append", default=None,
                        help="a solution notebook's name (default: two_layer_net.ipynb and "
                             "optimizers.ipynb)")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--no-compare", action="store_true")
    args = parser.parse_args(argv)
    if args.hogs < 1:
        parser.error("--hogs must be at least 1")
    names = args.notebook or ["two_layer_net.ipynb", "optimizers.ipynb"]
    paths = [notebook_path(n) for n in names]
    cores = os.cpu_count() or 1
    fair = (args.hogs + 1) / cores
    spec = KernelSpecManager().get_kernel_spec(COURSE_KERNEL)
    threads = {k: v for k, v in (spec.env or {}).items() if k.endswith("_NUM_THREADS")}
    print(f"{cores} cores; load average {os.getloadavg()[0]:.1f}; {args.hogs} hogs; fair "
          f"share {fair:.2f}x; course kernel {spec.argv[0]} with {threads or 'no thread limit'}")
    kernels = [("course kernel (1 BLAS thread)", COURSE_KERNEL)]
    over = []
    with tempfile.TemporaryDirectory(prefix="cs231n-busy-") as tmp:
        if not args.no_compare:
            default_threads_kernel(tmp)
            os.environ["JUPYTER_PATH"] = os.pathsep.join(
                [tmp, *filter(None, [os.environ.get("JUPYTER_PATH")])])
            kernels.append(("numpy's default threads", DEFAULT_THREADS_KERNEL))
        for path in paths:
            for label, kernel in kernels:
                alone = run_notebook(path, kernel)
                hogs = start_hogs(args.hogs)
                try:
                    time.sleep(1.0)   # the hogs are running
                    busy = run_notebook(path, kernel)
                finally:
                    stop_hogs(hogs)
                slowdown = busy / alone / fair
                verdict = ""
                if kernel == COURSE_KERNEL:
                    verdict = "target met" if slowdown <= TARGET else "ABOVE TARGET"
                    if slowdown > TARGET:
                        over.append(path.name)
                print(f"{path.name:22s} {label:30s} alone {alone:6.1f} s, beside the hogs "
                      f"{busy:6.1f} s: {busy / alone:5.2f}x, {slowdown:4.2f}x its fair share "
                      f"(target <= {TARGET}) {verdict}", flush=True)
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
