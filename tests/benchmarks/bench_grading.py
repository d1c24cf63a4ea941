"""How fast does the grading pipeline grade a class?  (``make bench-grading``)

Grades COPIES copies of a correct a1_linear submission three ways, in one run
on the same machine, each in a course folder of its own:

- plain sequential ``nbgrader autograde a1_linear`` (nbgrader's own way: one
  process, one student after another, default threads);
- ``cs231n-course grade`` with ``--jobs 1``;
- ``cs231n-course grade`` with ``--jobs 2``;

both of the latter with the sandboxed kernel and the integrity pass (eight
graded functions re-run outside the kernel per student), without feedback,
which nbgrader's autograde does not make either.  It prints submissions per
minute and the speedup over sequential nbgrader (target: at least 1.7x with
``--jobs 2`` on 2 cores).  Only ratios of one run mean anything here.

First, what one student waits for: a single correct submission graded cold
by ``cs231n-course grade`` (a fresh process: sandbox, integrity pass, feedback,
report) against a cold ``nbgrader autograde`` of the same submission (target:
at most 1.5x), both in a course whose gradebook is made (``nbgrader autograde``
needs ``generate_assignment`` first; ``cs231n-course grade`` keeps the
gradebook from run to run).  Then, for information, the same grading as the
first of a fresh course, which makes the gradebook.

Usage::

    python tests/benchmarks/bench_grading.py [--copies 100] [--keep DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cs231n import course
from cs231n.grading import pipeline, runner, samples

ROOT = Path(__file__).resolve().parents[2]
AID = "a1_linear"
TARGET = 1.7
COLD_TARGET = 1.5


def make_course(dest, copies):
    """A course folder with ``copies`` students who all submit the sample 'correct'."""
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "solutions", dest / "solutions")
    shutil.copytree(ROOT / "assignments", dest / "assignments")
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    with tempfile.TemporaryDirectory() as tmp:
        samples.write_samples(ROOT / "assignments" / AID,
                              samples.load_corpus(course.corpus_path(AID)), tmp,
                              assignment=AID)
        correct = Path(tmp) / "correct" / AID
        for i in range(copies):
            shutil.copytree(correct, dest / "submitted" / f"student{i:03d}" / AID)


def sequential_nbgrader(root):
    """Seconds for nbgrader's own sequential autograde of every student."""
    env = course.venv_env()
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", AID, "--force",
                    f"--CourseDirectory.root={root}",
                    f"--CourseDirectory.release_directory={root / 'release-tmp'}"],
                   cwd=root, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", AID, "--force",
                          f"--CourseDirectory.root={root}"],
                         cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-2000:])
        raise SystemExit("sequential nbgrader autograde failed")
    return seconds


def cold_ours(root):
    """Seconds for ``cs231n-course grade`` of the course, as an instructor runs it."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "cs231n.course", "grade", AID, "--root",
                          str(root), "--no-progress"], cwd=root, env=course.venv_env(),
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0 or " 0 / " in run.stdout:
        print(run.stdout[-2000:], run.stderr[-2000:])
        raise SystemExit("cs231n-course grade of one correct submission failed")
    return seconds


def ours(root, jobs):
    start = time.perf_counter()
    run = runner.grade(AID, root=root, jobs=jobs, progress=False, feedback=False)
    seconds = time.perf_counter() - start
    bad = [r.student for r in run.results if r.score != r.max_score - r.pending]
    if bad:
        raise SystemExit(f"--jobs {jobs}: {len(bad)} correct copies lost points, e.g. {bad[0]}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="keep the course folders here")
    args = parser.parse_args(argv)
    if args.copies < 0:
        parser.error("--copies must be at least 0 (0: the single cold submission only)")
    base = Path(args.keep or tempfile.mkdtemp(prefix="cs231n-bench-"))
    print(f"{args.copies} copies of a correct {AID} submission; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {}
    try:
        cold = {}
        for label, run in [("nbgrader autograde", sequential_nbgrader),
                           ("cs231n-course grade", cold_ours),
                           ("first", cold_ours)]:
            root = base / "cold" / label.split()[0].replace("-", "")
            make_course(root, 1)
            if label == "cs231n-course grade":
                # The gradebook made beforehand, as nbgrader autograde needs
                # it (sequential_nbgrader runs generate_assignment untimed).
                pipeline.prepare_gradebook(pipeline.Course(root), AID, [])
            cold[label] = run(root)
        ratio = cold["cs231n-course grade"] / cold["nbgrader autograde"]
        print(f"one submission, cold, gradebook made: nbgrader autograde "
              f"{cold['nbgrader autograde']:.1f} s, cs231n-course grade (with feedback and "
              f"report) {cold['cs231n-course grade']:.1f} s: {ratio:.2f}x "
              f"(target <= {COLD_TARGET}) {'PASS' if ratio <= COLD_TARGET else 'ABOVE TARGET'}")
        print(f"the same, the first grading of the course (it makes the gradebook): "
              f"{cold['first']:.1f} s: {cold['first'] / cold['nbgrader autograde']:.2f}x",
              flush=True)
        if args.copies == 0:
            return 0
        for label, run in [("sequential nbgrader autograde", sequential_nbgrader),
                           ("cs231n-course grade --jobs 1", lambda r: ours(r, 1)),
                           ("cs231n-course grade --jobs 2", lambda r: ours(r, 2))]:
            root = base / label.split()[0].replace("-", "") / label.split()[-1]
            make_course(root, args.copies)
            seconds = run(root)
            results[label] = seconds
            print(f"{label:32s} {seconds:8.1f} s  {60 * args.copies / seconds:6.1f} "
                  "submissions/min", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    baseline = results["sequential nbgrader autograde"]
    for label in list(results)[1:]:
        speedup = baseline / results[label]
        verdict = ("target met" if speedup >= TARGET else "BELOW TARGET") \
            if label.endswith("2") else ""
        print(f"speedup of {label} over sequential nbgrader: {speedup:.2f}x "
              f"(with the integrity pass) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
