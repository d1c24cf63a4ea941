"""The course's checks: one place for the test logic of every graded function.

Notebook test cells, pytest and the grader all call these.  A check takes the
student's callable, runs it on fixed and random inputs, and raises
:class:`CheckFailure` with an explanation a student can act on: which output,
which index, the expected (or numeric) value, and a hint when the mistake looks
like a common bug.  On success it prints one line and returns None.

Expected values come from ``reference/<assignment>.npz``, computed from the
instructor's solution notebooks by ``cs231n-course reference``; the package
itself holds no answer.
"""
from ._core import CheckFailure

__all__ = ["CheckFailure"]
