"""``cs231n-course grade ASSIGNMENT``: grade every submission of an assignment.

1. Collect: ``nbgrader zip_collect`` when ``downloaded/<assignment>/`` holds
   archives, then every ``submitted/<student>/<assignment>/``.
2. Prepare the gradebook (``pipeline.prepare_gradebook``): the assignment's
   cells and hidden tests from ``solutions/``, every student, and the
   template gradebook the workers start from (the release's, when its
   solutions are still those of ``solutions/``).  A student's earlier results
   stay until this run's result replaces them; a student this run fails on
   gets 0, never the old score.
3. One Dask task per student (``cluster``, ``task``), on a local cluster of
   ``--jobs`` worker processes or on the workers of ``--scheduler``: this
   process stages the submission (``collect``: no links, no special files,
   notebooks that parse, limits of number and size) and sends it; a worker
   runs nbgrader's autograde with the kernel in a sandbox and the integrity
   pass (``integrity``), within the limits of the assignment's contract
   (``registry.GradingLimits``: a time budget per student, a time per cell,
   CPU and memory of kernels and workers), and sends the result back.  Only
   this process writes the gradebook (``task.apply_outcome``).  A grader
   error on a student sets that student's autograded scores to 0
   (``pipeline.grader_error``).
4. Feedback for every student (one nbgrader run, then each student still
   missing a page alone), sanitised; the grades exported to CSV; the report
   and a histogram of the scores (``report``: everything people read).
"""

import contextlib
import os
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import registry
from . import cluster, pipeline, sandbox, task
from .report import write_histogram, write_report


def grade(aid, *, root, jobs=None, progress=True, seed=None, feedback=True, scheduler=None):
    """Grade every submission of ``aid``; the run's results and outputs.

    Parameters
    ----------
    aid : str
        Assignment id.
    root : Path
        The course root (nbgrader_config.py, solutions/, submitted/, ...).
    jobs : int, optional
        Students graded at once on this machine: the worker processes of the
        local Dask cluster (the number of cores by default).  Not used with
        ``scheduler``, whose workers decide.
    progress : bool
        Show a progress bar and the Dask dashboard's address.
    seed : int, optional
        Seed of the integrity pass's unseen inputs; a secret one by default.
    feedback : bool
        Generate feedback (the benchmark leaves it out).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``) whose
        workers grade (``cluster``); a local cluster by default.

    Raises
    ------
    Interrupted
        On Ctrl-C: the students whose results came back are in the
        gradebook; every other student's entries are as they were.
    """
    start = time.perf_counter()
    sandbox.require()          # never grade student code unprotected
    limits = registry.get(aid).limits
    course = pipeline.Course(root)
    students = pipeline.collect(course, aid)
    if not students:
        raise RuntimeError(f"no submissions in {course.root / 'submitted'}/*/{aid}")
    jobs = jobs or os.cpu_count() or 1
    seed = secrets.randbits(63) if seed is None else seed
    results = {}
    with tempfile.TemporaryDirectory(prefix="cs231n-grade-") as kernel_dir, \
            contextlib.ExitStack() as stack:
        # The feedback pages are made here, by an autograder that imports
        # nbgrader while the cluster starts.
        connections = Path(kernel_dir) / "connections"
        connections.mkdir()
        pages = pipeline.Autograder(course, connections)
        stack.callback(pages.close)
        if feedback:
            pages.start()
        # The local cluster's workers start while the gradebook is made.
        with ThreadPoolExecutor(max_workers=1) as beside:
            starting = beside.submit(stack.enter_context,
                                     cluster.connect(scheduler, jobs=jobs))
            try:
                pipeline.prepare_gradebook(course, aid, students)
                files = task.pack_course(course, aid, seed=seed, limits=limits, threads=1)
            finally:
                client = starting.result()
        bar = pipeline.progress_bar(len(students), progress)
        stack.callback(bar.close)
        if progress:
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)

        def submissions():
            for sid in students:
                try:
                    submission = task.pack_submission(course, aid, sid)
                except Exception as e:     # staging failed: this student only
                    done(sid, None, e)     # (read inside cluster.run: Ctrl-C is held)
                    continue
                yield sid, submission

        def done(sid, outcome, error):
            if sid in results:                 # a result is taken once
                return
            if error is None:
                try:
                    task.apply_outcome(course, aid, outcome)
                    results[sid] = outcome.result
                except Exception as e:
                    error = e
            if error is not None:
                results[sid] = pipeline.grader_error(course, aid, sid, _why(error))
            bar.update(1)

        try:
            cluster.run(client, task.grade_task, files, submissions(), on_result=done)
        except KeyboardInterrupt:
            raise Interrupted(aid, sorted(results), len(students)) from None
        bar.close()
        results = [results[sid] for sid in students]
        out = course.reports(aid)
        out.mkdir(parents=True, exist_ok=True)
        csv_path = pipeline.export_csv(course, aid, out / "grades.csv")
        if feedback:
            pipeline.write_feedback(course, aid, results, pages)
    sandbox.cleanup_stale_cgroups()
    report = write_report(aid, results, out, limits=limits)
    histogram = write_histogram(aid, results, out / "scores.png")
    return pipeline.GradeRun(aid, results, csv_path, report, histogram,
                             time.perf_counter() - start)


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C: which students were graded, of how many."""

    def __init__(self, aid, graded, total):
        self.assignment, self.graded, self.total = aid, graded, total
        super().__init__(
            f"grading of {aid} interrupted: {len(graded)} of {total} students graded and in "
            "the gradebook; every other student's gradebook entries are as they were before "
            "this run. No report or feedback was written: grade again to finish.")


def _why(error):
    """A grader error's reason, in words."""
    return f"grader error: {type(error).__name__}: {error}"
