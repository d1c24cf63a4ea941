"""nbgrader configuration of the course.

Instructors write notebooks in ``solutions/<assignment>/`` and release them to
``assignments/<assignment>/`` with ``make release`` (never by hand).
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "cs231n-foundations"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")
# Checkpoints, caches and any stray grading output never reach a release.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".nbgrader.log",
]

# Per-cell limit when validating and autograding; the slowest cell of a
# solution (a small hyperparameter search) needs a few seconds.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
# nbgrader raises "Timeout waiting for IOPub output" when a cell's output
# takes longer than this to arrive after the cell finished (nbclient's default
# is 4 s): on a busy shared machine it does, and validate would fail a
# correct notebook.
c.Execute.iopub_timeout = 60

# A student who deletes a test cell gets it back from the gradebook; one who
# copies a test cell keeps the copy as an ordinary cell (see
# cs231n/grading/preprocessors.py for why nbgrader alone fails on it).
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "cs231n.grading.preprocessors.DropEmptyMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.ClearSolutions.enforce_metadata = True
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Feedback must not show the hidden tests, in the source or in a traceback
# (nbgrader's default feedback shows both).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "cs231n.grading.preprocessors.HideHiddenTests",
]
# Submissions downloaded from a learning platform: put the files (or zips of
# them) in downloaded/<assignment>/archive/, named <student>_<notebook>.ipynb;
# `cs231n-course grade` runs `nbgrader zip_collect` on them first.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.@-]+)_(?P<file_id>[^/]+\.ipynb)$")

# Collecting from an exchange (the course hub, `make hub`): only a student's
# own submission counts, at the time it really arrived (cs231n/hub/exchange.py).
c.ExchangeFactory.collect = "cs231n.hub.exchange.CheckedCollect"

c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
