"""Grading a course of hundreds: parallel nbgrader autograde, an integrity pass
that re-runs each graded function outside the student's kernel, reports.

Modules: ``sandbox`` (limits and a file policy for untrusted code),
``worker`` and ``integrity`` (graded functions called in a sandbox, compared
in the grader's process), ``pipeline`` (the ``grade`` command).
"""
