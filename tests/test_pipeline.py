"""The whole grading pipeline, end to end, on the sample submissions."""
import csv
import json
import os
import shutil
import zipfile

import pytest

from cs231n import course, registry
from cs231n.grading import pipeline, runner
from cs231n.notebook import cell_source, nbgrader_meta, read_notebook

ROOT = course.ROOT
AID = "a1_linear"
TOKEN_NAME, TOKEN = "CS231N_INSTRUCTOR_TOKEN", "ghp_instructor_secret_5f1c2e"


def visible_test(aid):
    """The feedback page of the first graded function's notebook, and the first
    line of its released test cell: a visible test the feedback must show."""
    graded = registry.get(aid).graded[0]
    nb = read_notebook(ROOT / "assignments" / aid / graded.notebook)
    cell = next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == graded.test_cell)
    line = next(x for x in cell_source(cell).splitlines() if x.strip() and x[0] != "#")
    return graded.notebook.replace(".ipynb", ".html"), line


@pytest.fixture(scope="module", params=sorted(registry.assignments()))
def demo(request, tmp_path_factory):
    """`make demo` in a temporary folder: release, the representative samples
    (``in_tests``; `make demo` grades them all), grade with 2 jobs."""
    aid = request.param
    dest = tmp_path_factory.mktemp("demo") / "course"
    # A secret in the instructor's environment, which no student may see.
    os.environ[TOKEN_NAME] = TOKEN
    try:
        run = course.demo_command(aid, jobs=2, dest=dest, progress=False, every=False)
    finally:
        del os.environ[TOKEN_NAME]
    return aid, dest, run


@pytest.mark.slow
def test_no_secret_of_the_instructor_reaches_a_student(demo):
    """Does the instructor's token stay out of every notebook, feedback page and
    report, while a sample prints its whole environment?"""
    aid, dest, run = demo
    assert TOKEN_NAME not in os.environ
    for folder in ("autograded", "feedback", "reports"):
        for path in (dest / folder).rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_what_students_wrote_cannot_forge_the_report(demo):
    """Do exception messages with newlines, markdown, HTML and spreadsheet formulas
    stay inside their own student's entry: one heading per student, no raw tag in
    report.md, no formula in the CSVs?"""
    aid, dest, run = demo
    text = run.report.read_text()
    for r in run.results:
        assert sum(line.startswith(f"## {r.student}") for line in text.splitlines()) == 1
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "\r" not in text
    for name in ("grades.csv", "details.csv"):
        with open(run.csv.parent / name, newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not (
                        cell.startswith("-") and not _is_number(cell)), (name, cell)


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.slow
def test_each_student_stays_within_the_time_budget(demo):
    """Does every student, hostile ones included, take at most the per-student
    budget (plus the start of their workers), so that no stall delays the class?"""
    _, _, run = demo
    for r in run.results:
        budget = registry.get(run.assignment).limits.student_budget
        assert r.seconds <= budget + 30, (r.student, r.seconds)


@pytest.mark.slow
def test_every_sample_gets_its_expected_grade(demo):
    """Does each sample (right, wrong, hostile) get its expected points,
    status and flags? (demo_command raises otherwise; checked again here)"""
    aid, dest, run = demo
    expected = json.loads((dest / f"expected-{aid}.json").read_text())
    assert sorted(r.student for r in run.results) == sorted(expected)
    assert course.compare_expected(run, expected) == []


@pytest.mark.slow
def test_report_explains_every_lost_point(demo):
    """Does the report give a reason for each lost point of each student?"""
    _, _, run = demo
    for r in run.results:
        for c in r.cells:
            if not c["manual"] and c["points"] < c["max"]:
                assert any(c["cell"] in reason or (c["integrity"] is not None
                                                   and reason.startswith(c["notebook"]))
                           for reason in r.reasons), (r.student, c)
    text = run.report.read_text()
    assert all(f"## {r.student}:" in text for r in run.results)
    assert run.histogram.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_gradebook_csv_agrees_with_the_report(demo):
    """Does nbgrader's own export hold this run's scores, student by student?"""
    _, _, run = demo
    with open(run.csv, newline="") as f:
        rows = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    for r in run.results:
        assert rows[r.student] == pytest.approx(r.score), r.student


@pytest.mark.slow
def test_feedback_hides_the_hidden_tests(demo):
    """Does every student's feedback exist and leave out the hidden tests?"""
    aid, dest, run = demo
    course_dirs = pipeline.Course(dest)
    without = [r for r in run.results if not (dest / "feedback" / r.student / aid).exists()]
    assert len(without) <= len(run.results) // 4, "most students should have feedback"
    for r in run.results:
        folder = course_dirs.feedback(r.student, aid)
        if folder.exists():
            assert pipeline.hidden_test_leaks(course_dirs, aid, folder) == []
    page_name, visible = visible_test(aid)
    page = pipeline.html_text(course_dirs.feedback("correct", aid) / page_name)
    assert visible in page
    assert 'cases="hidden"' not in page and "BEGIN HIDDEN" not in page


@pytest.mark.slow
def test_regrade_never_keeps_a_stale_score(tmp_path):
    """Is a submission that fails on a second run shown as failed with its new
    (lower) score, in the report and in the gradebook, never its old one?
    The second submission arrives as an LMS download (nbgrader zip_collect)."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copytree(ROOT / "assignments", root / "assignments")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    folder = root / "submitted" / "sam" / AID
    folder.mkdir(parents=True)
    for name in ("svm.ipynb", "softmax.ipynb"):
        shutil.copy(ROOT / "solutions" / AID / name, folder / name)

    first = runner.grade(AID, root=root, jobs=1, progress=False, seed=1, feedback=False)
    (sam,) = first.results
    assert sam.status == "graded" and sam.score == sam.max_score - sam.pending

    # Sam submits again through the LMS: svm.ipynb is now broken JSON.
    archive = root / "downloaded" / AID / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "sam.zip", "w") as z:
        z.writestr("sam_svm.ipynb", '{"cells": [')
        z.write(folder / "softmax.ipynb", "sam_softmax.ipynb")
    second = runner.grade(AID, root=root, jobs=1, progress=False, seed=2, feedback=False)
    (sam2,) = second.results
    assert sam2.status == "failed" and "svm.ipynb" in sam2.why
    assert "invalid-notebook" in sam2.flags
    svm_points = [c["points"] for c in sam2.cells if c["notebook"] == "svm.ipynb"
                  and not c["manual"]]
    assert svm_points and all(p == 0 for p in svm_points)
    assert sam2.score < sam.score
    with open(second.csv, newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert float(row["raw_score"]) == pytest.approx(sam2.score)
