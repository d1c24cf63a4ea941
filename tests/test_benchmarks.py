"""The speed benchmarks still run: each loads the current solutions and prints
every ratio it promises.

These tests time nothing and judge no speed (``--check`` is not given): the
machines are shared and noisy, so the ratios are read from ``make bench``.
They catch a benchmark that no longer finds a solution's function, crashes
on a changed signature, or stops printing a line its docstring promises.
``bench_grading.py`` grades a class three times (minutes even for one
copy); it is left to ``make bench-grading``.
"""
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from cs231n import course
from cs231n.notebook import cell_source

BENCHMARKS = course.ROOT / "tests" / "benchmarks"
NUMBER = r"\d+\.\d+"


def launch(name, *args):
    """Run ``tests/benchmarks/<name>`` once, with the fewest repeats."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BENCHMARKS / name), "--repeats", "1", *args],
                          cwd=course.ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def run_benchmark(name, *args, expect=0):
    """``launch`` it; its stdout, once its exit status is ``expect`` and it
    did not crash with a traceback."""
    run = launch(name, *args)
    assert run.returncode == expect, \
        f"{name} exited {run.returncode}, not {expect}:\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr, run.stderr
    return run.stdout


def assert_lines(out, patterns):
    """Every pattern matches a line of ``out``, and freed memory was kept for reuse."""
    if sys.platform == "linux":  # glibc: every benchmark times the steady state
        patterns = ["^malloc keeps freed memory: ", *patterns]
    for pattern in patterns:
        assert re.search(pattern, out, re.MULTILINE), f"no line matches {pattern!r} in:\n{out}"


def test_bench_linear_prints_both_losses_against_their_matmuls():
    out = run_benchmark("bench_linear.py")
    assert_lines(out, [rf"^two matmuls .*{NUMBER} ms$"]
                 + [rf"^{loss}_loss_vectorized +{NUMBER} ms +{NUMBER}x matmuls "
                    rf"\(target <= 1\.5\) +(PASS|ABOVE)" for loss in ("svm", "softmax")]
                 + [rf"^{loss}_loss_naive .* speedup of vectorised +{NUMBER}x$"
                    for loss in ("svm", "softmax")])


def test_bench_neural_net_prints_the_loss_against_its_matmuls():
    out = run_benchmark("bench_neural_net.py", "--no-notebooks")
    assert_lines(out, [rf"^five matmuls .*{NUMBER} ms$",
                       rf"^TwoLayerNet\.loss\(X, y\) +{NUMBER} ms +{NUMBER}x matmuls",
                       rf"^  with malloc's defaults, .*: +{NUMBER}x matmuls$"])


def test_bench_optim_prints_every_rule_and_adams_floor():
    out = run_benchmark("bench_optim.py", "--no-notebooks")
    rules = ("sgd_momentum", "nesterov_momentum", "adagrad", "adadelta", "rmsprop", "adam",
             "adam, new arrays")
    assert_lines(out, [rf"^one elementwise pass w \+ dw: +{NUMBER} ms$"]
                 + [rf"^{re.escape(rule)} +{NUMBER} ms +{NUMBER} passes" for rule in rules]
                 + [rf"^adam .*\(target <= 6\) +(PASS|ABOVE TARGET)$",
                    rf"^  np\.sqrt\(v, out=s\) +{NUMBER} ms +{NUMBER} passes$",
                    rf"^  root \+ division .*: +{NUMBER} passes"])


def test_bench_deep_nets_prints_the_normalisation_layers_against_one_pass():
    out = run_benchmark("bench_deep_nets.py", "--no-notebooks", "--repeats", "3")
    assert_lines(out, [rf"^one elementwise pass x \+ x over the input: +{NUMBER} ms$",
                       rf"^batchnorm_forward \+ batchnorm_backward +{NUMBER} ms +{NUMBER} "
                       rf"passes  \(teaching version, no target\)$",
                       rf"^batchnorm_forward \+ batchnorm_backward_alt +{NUMBER} ms +{NUMBER} "
                       rf"passes  \(target <= 10\)  (PASS|ABOVE TARGET)$",
                       rf"^layernorm_forward \+ layernorm_backward +{NUMBER} ms "
                       rf"+{NUMBER} passes$",
                       r"^FullyConnectedNet N=200 D=3072 hidden \[100, 100\] batchnorm, "
                       r"keep ratio 0\.5:$",
                       rf"^  nine matmuls .* +{NUMBER} ms$",
                       rf"^  FullyConnectedNet\.loss\(X, y\) +{NUMBER} ms +{NUMBER}x matmuls "
                       rf"\(target <= 1\.5\)  (PASS|ABOVE TARGET)$"])
    assert "WARNING" not in out.replace("WARNING: not glibc", "")


def test_bench_conv_prints_the_fast_convolution_against_its_matmul_and_the_loops():
    out = run_benchmark("bench_conv.py", "--no-notebooks")
    assert_lines(out, [rf"^one matmul w\.reshape\(F, -1\) @ cols \(32x27 @ 27x51200\) +{NUMBER} "
                       rf"ms$",
                       rf"^conv_forward_im2col +{NUMBER} ms +{NUMBER}x matmul \(target <= 2\)  "
                       rf"(PASS|ABOVE TARGET)$",
                       rf"^conv_forward_im2col \+ conv_backward_im2col +{NUMBER} ms$",
                       rf"^naive forward \+ backward, N=2 scaled by 50/2 +{NUMBER} ms  speedup "
                       rf"of im2col +{NUMBER}x \(target >= 50\)  (PASS|BELOW TARGET)  "
                       rf"\(naive timed {NUMBER} s\)$",
                       rf"^scipy\.signal\.correlate, 1600 calls +{NUMBER} ms  im2col forward is "
                       rf"+{NUMBER}x faster$"])
    assert "WARNING" not in out.replace("WARNING: not glibc", "")


def test_bench_deep_nets_check_fails_when_batch_norm_is_wrong(tmp_path):
    """A batch norm that forgets beta is reported and fails --check."""
    folder = tmp_path / "a4_deep_nets"
    shutil.copytree(course.ROOT / "solutions" / "a4_deep_nets", folder)
    nb = nbformat.read(folder / "batch_norm.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if "def batchnorm_forward(" in cell_source(c)]
    cell.source = cell_source(cell).replace("    return out, cache",
                                            "    out = out - beta\n    return out, cache", 1)
    assert "out = out - beta" in cell.source
    nbformat.write(nb, folder / "batch_norm.ipynb")
    out = run_benchmark("bench_deep_nets.py", "--no-notebooks", "--repeats", "1",
                        "--solutions", str(folder), "--check", expect=1)
    assert "WARNING batchnorm_backward: out differs from a plain numpy pass" in out


def test_bench_optim_check_fails_when_a_rule_mutates_w(tmp_path):
    """The benchmark refuses to time a rule that changes ``w`` in place."""
    folder = tmp_path / "a3_optimization"
    shutil.copytree(course.ROOT / "solutions" / "a3_optimization", folder)
    nb = nbformat.read(folder / "optimizers.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if "def sgd_momentum(" in cell_source(c)]
    cell.source = cell_source(cell).replace("    return next_w, config",
                                            "    w[...] = next_w\n    return next_w, config", 1)
    assert "w[...] = next_w" in cell.source
    nbformat.write(nb, folder / "optimizers.ipynb")
    out = run_benchmark("bench_optim.py", "--no-notebooks", "--solutions", str(folder), expect=1)
    assert "WARNING: sgd_momentum mutated w in place" in out


@pytest.mark.parametrize("bench", ["bench_linear.py", "bench_neural_net.py", "bench_optim.py",
                                   "bench_deep_nets.py", "bench_conv.py"])
def test_a_benchmark_without_solutions_says_so(tmp_path, bench):
    notebooks = [] if bench == "bench_linear.py" else ["--no-notebooks"]
    run = launch(bench, "--solutions", str(tmp_path), *notebooks)
    assert run.returncode == 1
    assert "no answer cell of" in run.stderr and "looked in no notebook" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
