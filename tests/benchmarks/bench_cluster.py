"""What does grading on Dask cost over threads in one process?  (``make bench-cluster``)

Issue 17: on this 2-core machine, the local-cluster path costs at most 1.1x
today's ``--jobs 2`` for 20 submissions; with the loopback scheduler and 2
workers, at most 1.2x.

Grades COPIES (20 by default) copies of a correct a1_linear submission three
ways, in one run on the same machine, each in a fresh course folder of its
own (``bench_grading.make_course``), each with ``runner.grade(a1_linear,
seed=1, feedback=False, progress=False)``; only that call is timed:

- baseline, "today's ``--jobs 2``" (the grading before Dask), which the
  package no longer has: ``runner.grade(jobs=2)`` with ``cluster.connect``
  and ``cluster.run`` replaced, for this call only, by an in-process
  equivalent.  ``connect`` yields a stand-in for the client and starts
  nothing; ``run`` calls ``task.grade_task(files, submission)`` for each
  student in a ``ThreadPoolExecutor(max_workers=2)`` of this process (two
  threads, each grading one student after another with its own autograder
  process: a ``task.Slot`` of this process), every student staged
  (``task.pack_submission``) and queued at the start, and hands each outcome
  to the pipeline (``task.apply_outcome``) in the main thread as it finishes.
  Nothing is scattered, pickled or sent over a socket.  Like the Dask paths
  (and unlike the grading before Dask) each student is graded in the slot's
  private course folder and gradebook and then written back;
- local cluster: ``runner.grade(jobs=2)`` as it is: a Dask
  ``LocalCluster`` of 2 single-threaded worker processes, started (and
  stopped) inside the timed call;
- loopback: ``runner.grade(scheduler=ADDRESS)`` to a ``dask scheduler`` and
  2 ``dask worker`` processes on 127.0.0.1 (``cluster.loopback(2)``), started
  before the timed call; how long they took to start is printed apart.

Every student must get full marks (the same score) in all three runs, else
the benchmark stops with an error.  It prints the wall seconds and
submissions per minute of each, and the ratios local cluster / baseline
(target: at most 1.1) and loopback / baseline (target: at most 1.2).

Then a projection, computed from numbers measured in this run (it is not a
measurement): the time to grade N = 1,000 students on M = 1, 4 and 16
machines of this size (2 cores: 2 single-threaded workers each)::

    T(M) = ceil(N / (2 M)) * per_student + N * (overhead + serial)

- per_student: the median of the loopback run's ``StudentResult.seconds``
  (what a worker spends on one student, from its staged copy to the score);
- overhead: the scheduler's cost per task: NOOP_TASKS no-op tasks sent to the
  loopback cluster through ``cluster.run`` (as grading sends its tasks: at
  most twice the workers' threads out at once), their seconds / their number;
- serial: what the instructor's process does for each student, one student
  at a time whatever the number of machines: ``task.pack_submission``
  (staging, reading the staged files) and ``task.apply_outcome`` (writing
  the gradebook and the autograded notebooks), timed during the loopback run,
  their mean per student.

T adds the two parts, an upper bound: the instructor's process stages and
writes while the workers grade, so a run takes nearer the larger of the two
(printed too, as "overlapped").  The second term does not shrink with M:
``N * (overhead + serial)`` is the floor that scaling out cannot go under,
printed too.  One-off costs of a run
(making the gradebook, packing the course, starting workers, the report)
are left out of T.

The machine is shared and noisy: only the ratios of one run mean anything.
Exit status 0 (it reports) unless ``--check`` is given and a target is missed.

Usage::

    python tests/benchmarks/bench_cluster.py [--copies 20] [--keep DIR] [--check]
"""
import argparse
import contextlib
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from unittest import mock

import bench_grading
from cs231n.grading import cluster, runner, task

AID = bench_grading.AID
JOBS = 2                    # threads of the baseline, workers of both clusters
SEED = 1
LOCAL_TARGET = 1.1
LOOPBACK_TARGET = 1.2
TARGET_COPIES = 20          # the targets are for this many submissions
STUDENTS = 1000             # of the projection
MACHINES = (1, 4, 16)
WORKERS_PER_MACHINE = 2     # a machine of this size: 2 cores, 2 single-threaded workers
NOOP_TASKS = 200
NOOP_WARMUP = 20


# ------------------------------------------------------------ the baseline

class InProcess:
    """What ``threads_connect`` yields in place of a Dask client."""
    dashboard_link = "(threads in this process: no dashboard)"

    def __init__(self, jobs):
        self.jobs = jobs


@contextlib.contextmanager
def threads_connect(scheduler=None, *, jobs=1):
    """``cluster.connect`` of the baseline: nothing to start; on leaving, the
    autograders of this process's slots are stopped (as a Dask worker's
    teardown does)."""
    try:
        yield InProcess(jobs)
    finally:
        task.close_slots()


def threads_run(client, fn, shared, items, *, on_result, window=None):
    """``cluster.run`` of the baseline: ``fn(shared, item)`` for each ``(key,
    item)`` in ``client.jobs`` threads of this process, all queued at once
    (no window); ``on_result(key, value, error)`` in the calling thread as
    each finishes."""
    with ThreadPoolExecutor(max_workers=client.jobs) as pool:
        keys = {pool.submit(fn, shared, item): key for key, item in items}
        for future in as_completed(keys):
            error = future.exception()
            on_result(keys[future], None if error is not None else future.result(), error)


# ------------------------------------------------------------ the three runs

def grade(root, **where):
    """Seconds of ``runner.grade`` of the course at ``root``, and its results."""
    start = time.perf_counter()
    run = runner.grade(AID, root=root, seed=SEED, feedback=False, progress=False, **where)
    return time.perf_counter() - start, run.results


def baseline(root):
    with mock.patch.object(cluster, "connect", threads_connect), \
            mock.patch.object(cluster, "run", threads_run):
        return grade(root, jobs=JOBS)


def local(root):
    return grade(root, jobs=JOBS)


@contextlib.contextmanager
def timing(module, name, into):
    """``module.name`` timed while in the block: each call's seconds go to ``into``."""
    original = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - start)

    with mock.patch.object(module, name, timed):
        yield into


def noop(shared, item):
    """A task that does nothing: what remains is the scheduler's cost."""
    return item


def overhead_per_task(address, count):
    """Seconds per task of ``count`` no-op tasks sent through ``cluster.run``
    to the scheduler at ``address`` (after a few untimed ones)."""
    with cluster.connect(address) as client:
        send(client, NOOP_WARMUP)
        return send(client, count) / count


def send(client, count):
    """Seconds for ``count`` no-op tasks through ``cluster.run``; all must come back."""
    done, errors = [], []

    def on_result(key, value, error):
        done.append(key)
        if error is not None:
            errors.append(error)

    start = time.perf_counter()
    cluster.run(client, noop, b"x" * 64, ((i, i) for i in range(count)), on_result=on_result)
    seconds = time.perf_counter() - start
    if errors or len(done) != count:
        example = f", e.g. {errors[0]!r}" if errors else ""
        raise SystemExit(f"no-op tasks on the loopback cluster: {len(done)} of {count} came "
                         f"back, {len(errors)} failed{example}")
    return seconds


def check_scores(label, results, copies):
    """``{student: (score, max_score)}`` of a run where every correct copy got full marks."""
    if len(results) != copies:
        raise SystemExit(f"{label}: {len(results)} results for {copies} submissions")
    bad = [r for r in results
           if r.status != "graded" or r.max_score <= 0 or r.score != r.max_score - r.pending]
    if bad:
        r = bad[0]
        why = r.why or "; ".join(r.reasons[:2])
        raise SystemExit(f"{label}: {len(bad)} of {copies} correct copies did not get full "
                         f"marks, e.g. {r.student}: {r.status}, {r.score:g} / "
                         f"{r.max_score:g}: {why}")
    return {r.student: (r.score, r.max_score) for r in results}


def duration(seconds):
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.0f} s ({seconds / 3600:.1f} h)"


def verdict(ratio, target):
    return f"(target <= {target}) {'target met' if ratio <= target else 'ABOVE TARGET'}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=TARGET_COPIES,
                        help="submissions graded by each run (default: %(default)s, the "
                             "issue's number)")
    parser.add_argument("--keep", type=Path, help="keep the course folders here")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a ratio is above its target")
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    base = Path(args.keep or tempfile.mkdtemp(prefix="cs231n-bench-cluster-"))
    print(f"{args.copies} copies of a correct {AID} submission; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}; {JOBS} students at once in each run")
    if args.copies != TARGET_COPIES:
        print(f"(the issue's targets are for {TARGET_COPIES} submissions)")
    seconds, results, scores = {}, {}, {}
    serial = {"pack_submission": [], "apply_outcome": []}
    labels = {"baseline": f"threads in this process, {JOBS} at once",
              "local": f"local Dask cluster, {JOBS} workers",
              "loopback": f"loopback scheduler, {JOBS} workers"}

    def record(name, measured):
        seconds[name], results[name] = measured
        scores[name] = check_scores(labels[name], results[name], args.copies)
        median = statistics.median(r.seconds for r in results[name])
        print(f"{labels[name]:38s} {seconds[name]:7.1f} s  "
              f"{60 * args.copies / seconds[name]:6.1f} submissions/min  "
              f"(median {median:.1f} s per student)", flush=True)

    try:
        for name, run in [("baseline", baseline), ("local", local)]:
            root = base / name
            bench_grading.make_course(root, args.copies)
            record(name, run(root))
        root = base / "loopback"
        bench_grading.make_course(root, args.copies)
        start = time.perf_counter()
        with cluster.loopback(JOBS) as lb:
            started = time.perf_counter() - start
            print(f"(the loopback scheduler and its {JOBS} workers took {started:.1f} s to "
                  "start; not counted)", flush=True)
            with timing(task, "pack_submission", serial["pack_submission"]), \
                    timing(task, "apply_outcome", serial["apply_outcome"]):
                record("loopback", grade(root, scheduler=lb.address))
            overhead = overhead_per_task(lb.address, NOOP_TASKS)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    if len({tuple(sorted(s.items())) for s in scores.values()}) != 1:
        raise SystemExit("the three runs gave different scores: "
                         + "; ".join(f"{labels[n]}: {sorted(set(s.values()))}"
                                     for n, s in scores.items()))
    first = results["baseline"][0]
    print(f"every student got {first.score:g} / {first.max_score:g} in all three runs "
          f"(full marks: {first.pending:g} points of free-text answers are graded by hand)")

    missed = []
    for name, target in [("local", LOCAL_TARGET), ("loopback", LOOPBACK_TARGET)]:
        ratio = seconds[name] / seconds["baseline"]
        if ratio > target:
            missed.append(name)
        print(f"{labels[name] + ' / baseline:':48s} {ratio:5.2f}x {verdict(ratio, target)}")

    # The projection: from the numbers above, not a measurement.
    per_student = statistics.median(r.seconds for r in results["loopback"])
    packs, applies = serial["pack_submission"], serial["apply_outcome"]
    if not packs or not applies:
        raise SystemExit("the loopback run called task.pack_submission or task.apply_outcome "
                         "no time: the serial part cannot be measured")
    pack, apply = statistics.fmean(packs), statistics.fmean(applies)
    floor = STUDENTS * (overhead + pack + apply)
    print(f"\nprojection for {STUDENTS} students (computed from the numbers measured above, "
          "not a measurement):")
    print(f"  T(M) = ceil({STUDENTS} / ({WORKERS_PER_MACHINE} M)) * per_student "
          f"+ {STUDENTS} * (overhead + serial)")
    print(f"  M machines of this size, {WORKERS_PER_MACHINE} single-threaded workers each; "
          "one-off costs of a run\n  (gradebook, workers' start, report) left out")
    print(f"  per_student = {per_student:.2f} s   median of the loopback run's seconds per "
          f"student ({len(results['loopback'])} students)")
    print(f"  overhead    = {1000 * overhead:.2f} ms per task   {NOOP_TASKS} no-op tasks "
          "through cluster.run on the loopback cluster")
    print(f"  serial      = {1000 * (pack + apply):.1f} ms per student   pack_submission "
          f"{1000 * pack:.1f} ms + apply_outcome {1000 * apply:.1f} ms\n"
          f"                (means of {len(packs)} and {len(applies)} calls in the "
          "instructor's process, one at a time)")
    for m in MACHINES:
        rounds = math.ceil(STUDENTS / (WORKERS_PER_MACHINE * m))
        total = rounds * per_student + floor
        print(f"  M = {m:2d}: {rounds:4d} x {per_student:.2f} s + {floor:.1f} s = "
              f"{duration(total)}   (overlapped: {duration(max(rounds * per_student, floor))})")
    print("  T adds the two parts: an upper bound.  The instructor's process stages and writes\n"
          "  while the workers grade (twice their threads in tasks are out), so a run takes\n"
          "  nearer max(parallel, serial), printed as 'overlapped'")
    print(f"  the serial part, {STUDENTS} * (overhead + serial) = {duration(floor)}, is a "
          "floor\n  no number of machines goes under")
    if floor > 0:
        even = STUDENTS * per_student / (WORKERS_PER_MACHINE * floor)
        print(f"  the parallel part falls to that floor at M = {even:.0f} machines: beyond "
              "it, the serial part\n  is most of the time")
    model = math.ceil(args.copies / WORKERS_PER_MACHINE) * per_student \
        + args.copies * (overhead + pack + apply)
    print(f"  (the same formula for this run's {args.copies} students on 1 machine: "
          f"{model:.1f} s;\n   the loopback run took {seconds['loopback']:.1f} s with its "
          "one-off costs)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
