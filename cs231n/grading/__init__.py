"""Grading a course of hundreds: parallel nbgrader autograde, an integrity pass
that re-runs each graded function outside the student's kernel, reports.

Modules: ``sandbox`` (untrusted code isolated by bubblewrap, within limits),
``guest`` (what runs first in the sandbox), ``supervise`` (one sandboxed
process started, watched and reported on),
``worker`` and ``integrity`` (graded functions called in a sandbox, compared
in the grader's process, and the values notebooks compute measured again),
``bypass`` (test cells that did not run their checks, kernel hooks),
``pipeline`` (the steps of grading a student and the class),
``task`` and ``cluster`` (a student graded on a Dask worker), ``runner``
(the ``grade`` command), ``report``
(what people read after it: report, grade table, safe feedback).
"""
