"""What people read after a grading run, made safe to open and useful.

Students control much of the text that reaches these files: their ids are
folder names, and the reason for a lost point often quotes an exception
message that their code wrote.  Every such text is escaped for where it goes:

- ``report.md``: line breaks and other control characters are shown, never
  obeyed (one could start a forged heading for another student), and
  markdown and HTML specials are escaped, so that a reason never renders as a
  link, an image or a script (:func:`md_text`); long reasons are cut.
- CSV files, ours (``details.csv``) and nbgrader's (``grades.csv``, rewritten
  by :func:`neutralise_csv`): a text cell that a spreadsheet would run as a
  formula gets a leading ``'`` (:func:`csv_cell`); numbers stay numbers.
- Feedback pages: a Content-Security-Policy that lets no script run, and
  scripts, event handlers, frames and plugins removed; only the notebooks'
  pages stay in a student's feedback folder (:func:`sanitize_feedback`).
- The terminal: control characters (escape sequences) are shown, not sent
  (:func:`visible`).

The instructor's view: :func:`write_report` (``report.md``, ``report.json``,
``details.csv``), :func:`write_histogram` (``scores.png``), :func:`grade_table`
(printed at the end of a run), :func:`describe_autograde_failure` (what a
failed nbgrader run means, in words).  Autograded points and the points of
free-text answers still to grade by hand are always shown apart.
"""
import csv
import dataclasses
import html
import json
import os
import re
import shutil
import statistics
from pathlib import Path
from typing import NamedTuple

REASON_CHARS = 400     # a reason in report.md (report.json and details.csv keep it whole)
WHY_CHARS = 200        # why a notebook failed, in the terminal's grade table
FAILURE_CHARS = 300    # a described autograde failure

# ------------------------------------------------------------------ escaping

# Line breaks of any kind (a markdown reader, a terminal or an editor may
# obey each of them), then the other characters that are invisible or act at
# a distance: C0/C1 controls, bidirectional overrides, a byte-order mark.
_BREAK = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Markdown specials that could start emphasis, code, a link, a heading, a
# table cell, strikethrough or math; <, > and & become entities, so that no
# raw tag survives in the file at all.
_MD_BACKSLASH = set("\\`*_[]#|~$")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def visible(text, limit=None):
    """``text`` on one line, every invisible character shown.

    Line breaks become `` ⏎ ``; other control, bidirectional and format
    characters become escapes such as ``\\x1b`` or ``\\u202e``.

    Parameters
    ----------
    text : object
        Converted with ``str``.
    limit : int, optional
        Longer results are cut there and say how much was left out.

    Returns
    -------
    str
    """
    text = _BREAK.sub(" \u23ce ", str(text))
    text = _INVISIBLE.sub(lambda m: (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                     else f"\\u{ord(m.group()):04x}"), text)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}\u2026 ({len(text) - limit} more characters)"
    return text


def md_text(text, limit=None):
    """``text`` as inline markdown that renders as exactly that text.

    Safe in a heading, a list item and a table cell: it holds no line break,
    no raw ``<`` or ``&`` (so never an HTML tag), and no unescaped markdown
    special (see :func:`visible` for ``limit``).
    """
    return "".join(_MD_ENTITY.get(c) or ("\\" + c if c in _MD_BACKSLASH else c)
                   for c in visible(text, limit))


# A number as a spreadsheet reads it: such a cell stays as it is ("-1.5").
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula
# (OWASP's list, and a line feed for good measure).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value):
    """``value`` for a CSV cell that a spreadsheet shows and never runs.

    A string that starts like a formula (``= + - @``, tab, carriage return)
    and is not a number gets a leading ``'``, which spreadsheets read as "this
    is text" and hide.  Numbers, numeric strings and other values are kept.
    """
    if (isinstance(value, str) and value.startswith(_FORMULA_START)
            and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def write_csv(path, header, rows):
    """A CSV file whose every cell went through :func:`csv_cell`."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(h) for h in header])
        w.writerows([csv_cell(v) for v in row] for row in rows)
    return Path(path)


def neutralise_csv(path):
    """Rewrite a CSV file (nbgrader's export) with every cell made safe by
    :func:`csv_cell`; the rows, columns and numbers are unchanged."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows:
        write_csv(path, rows[0], rows[1:])
    return Path(path)


# -------------------------------------------------------------------- scores

class Totals(NamedTuple):
    """Points of one student, autograded and by hand kept apart."""
    auto: float           # autograded points
    auto_max: float       # of the autograded cells' maximum
    pending: float        # points of free-text answers still to grade by hand
    manual_max: float     # of all free-text answers' points


def totals(result):
    """The :class:`Totals` of a ``StudentResult``.

    ``result.cells`` holds one dict per graded cell (``max``, ``points``,
    ``manual``); ``points`` is None for an answer left to grade by hand.
    """
    auto = [c for c in result.cells if not c["manual"]]
    manual = [c for c in result.cells if c["manual"]]
    return Totals(auto=float(sum(c["points"] or 0.0 for c in auto)),
                  auto_max=float(sum(c["max"] for c in auto)),
                  pending=float(sum(c["max"] for c in manual if c["points"] is None)),
                  manual_max=float(sum(c["max"] for c in manual)))


def autograded_max(results):
    """The autograded maximum of an assignment: the sum of its autograded
    cells' points (every student has the same cells; a student the grader
    could not grade at all has none, hence the max)."""
    return max([totals(r).auto_max for r in results] + [0.0])


# -------------------------------------------------------------------- report

def write_report(aid, results, folder, *, limits=None):
    """report.md for people, report.json for tools, details.csv per cell.

    Parameters
    ----------
    aid : str
        Assignment id.
    results : list of StudentResult
    folder : Path
        Where the three files go (it exists).
    limits : registry.GradingLimits, optional
        The limits students were graded within, named in the header.

    Returns
    -------
    Path
        ``folder / "report.md"``.
    """
    folder = Path(folder)
    records = []
    for r in results:
        t = totals(r)
        record = dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(vars(r))
        record.update(autograded=t.auto, autograded_max=t.auto_max, to_grade_by_hand=t.pending)
        records.append(record)
    (folder / "report.json").write_text(json.dumps(records, indent=1, default=str))
    write_csv(folder / "details.csv",
              ["student", "status", "notebook", "cell", "kind", "max", "nbgrader",
               "integrity", "points", "reason"],
              ([r.student, r.status, c["notebook"], c["cell"],
                "by hand" if c["manual"] else "autograded", c["max"], c["nbgrader"],
                c["integrity"], c["points"], c["reason"]] for r in results for c in r.cells))
    path = folder / "report.md"
    path.write_text("\n".join(_report_lines(aid, results, limits)) + "\n", encoding="utf-8")
    return path


def _report_lines(aid, results, limits=None):
    top = autograded_max(results)
    autos = [totals(r).auto for r in results]
    lines = [f"# Grading report: {md_text(aid)}", ""]
    if limits is not None:
        lines += [f"Grading limits of this assignment: {md_text(limits.describe())}.", ""]
    if autos:
        lines += [f"{len(results)} submissions; autograded points: mean "
                  f"{statistics.mean(autos):.3g}, median {statistics.median(autos):.3g} "
                  f"of {top:g}.", ""]
    lines += ["*autograded* is out of the autograded cells' points; *by hand* gives the "
              "points of free-text answers still to grade (in formgrader). Each student's "
              "section lists the lost points first, with their reason; passed cells are "
              "folded.", "",
              "| student | status | autograded | by hand | flags |",
              "|---|---|---|---|---|"]
    for r in results:
        t = totals(r)
        lines.append(f"| {md_text(r.student)} | {md_text(r.status)} | {t.auto:g} / {top:g} | "
                     f"{f'{t.pending:g}' if t.pending else ''} | "
                     f"{md_text(', '.join(r.flags))} |")
    for r in results:
        lines += [""] + _student_lines(r, top)
    return lines


def _student_lines(r, top):
    """One student's section: lost points first, then notes, what is left to
    grade by hand, and the passed cells folded."""
    t = totals(r)
    by_hand = f", {t.pending:g} by hand" if t.pending else ""
    lines = [f"## {md_text(r.student)}: {t.auto:g} / {top:g} autograded{by_hand} "
             f"({md_text(r.status)})"]
    if r.why or r.flags:
        lines.append("")
    if r.why:
        lines.append(f"- **autograde failed**: {md_text(r.why, REASON_CHARS)}")
    if r.flags:
        lines.append(f"- flags: {md_text(', '.join(r.flags))}")
    lost = [c for c in r.cells if c["points"] is not None and c["points"] < c["max"]]
    pending = [c for c in r.cells if c["points"] is None]
    passed = [c for c in r.cells if c["points"] is not None and c["points"] >= c["max"]]
    if lost:
        lines += ["", "| cell | points lost | reason |", "|---|---|---|"]
        lines += [f"| {_cell_name(c)} | -{c['max'] - c['points']:g} | "
                  f"{md_text(c['reason'] or 'no reason given', REASON_CHARS)} |" for c in lost]
    # The lost cells' own lines of r.reasons are in the table already.
    told = tuple(f"{c['notebook']} {c['cell']}: " for c in lost)
    notes = [reason for reason in r.reasons if not reason.startswith(told)]
    if notes:
        lines += [""] + [f"- {md_text(reason, REASON_CHARS)}" for reason in notes]
    if pending:
        lines += ["", "To grade by hand: " + ", ".join(
            f"{_cell_name(c)} ({c['max']:g})" for c in pending)]
    if passed:
        lines += ["", f"<details><summary>passed: {len(passed)} cells</summary>", ""]
        lines += [f"- {_cell_name(c)}: {c['points']:g} / {c['max']:g} "
                  f"(nbgrader {_number(c['nbgrader'])}, integrity {_VERDICT[c['integrity']]})"
                  for c in passed]
        lines += ["", "</details>"]
    return lines


_VERDICT = {True: "pass", False: "FAIL", None: "-"}   # of the integrity pass


def _cell_name(c):
    return f"{md_text(c['notebook'])} {md_text(c['cell'])}"


def _number(x):
    return "-" if x is None else f"{x:g}"


def histogram_figure(aid, results):
    """The figure of :func:`write_histogram` (a matplotlib ``Figure``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    autos = [totals(r).auto for r in results]
    top = autograded_max(results) or 1.0
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.hist(autos, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#4C72B0",
            edgecolor="white")
    title = f"{aid}: {len(autos)} submissions"
    if autos:
        mean, median = statistics.mean(autos), statistics.median(autos)
        ax.axvline(mean, color="#C44E52", linestyle="--", label=f"mean {mean:.3g}")
        ax.axvline(median, color="#55A868", linestyle=":", linewidth=2,
                   label=f"median {median:.3g}")
        ax.legend(loc="upper left")
        title += f", mean {mean:.3g}, median {median:.3g} of {top:g}"
    ax.set_xlim(0, top)
    ax.set_xlabel(f"autograded points (of {top:g}; free-text answers not included)")
    ax.set_ylabel("students")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def write_histogram(aid, results, path):
    """scores.png: the autograded points, from 0 to the autograded maximum,
    with the mean and the median drawn."""
    import matplotlib.pyplot as plt
    fig = histogram_figure(aid, results)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def grade_table(run):
    """The grade table printed at the end of a run (``run.results``)."""
    top = autograded_max(run.results)
    names = [visible(r.student, 60) for r in run.results]
    width = max([len(n) for n in names] + [7])
    auto_width = len(f"{top:g} / {top:g}")
    lines = [f"{'student':<{width}}  {'autograded':>{max(auto_width, 10)}}  by hand  "
             "status  flags"]
    for name, r in zip(names, run.results):
        t = totals(r)
        pending = f"+{t.pending:g}" if t.pending else ""
        why = f"  ({visible(r.why, WHY_CHARS)})" if r.why else ""
        lines.append(f"{name:<{width}}  {f'{t.auto:g} / {top:g}':>{max(auto_width, 10)}}  "
                     f"{pending:<7}  {visible(r.status):<6}  "
                     f"{visible(', '.join(r.flags))}{why}")
    lines.append("(by hand: points of free-text answers still to grade, in formgrader)")
    return "\n".join(lines)


# ------------------------------------------------- why an autograde failed

# The last line of a traceback: "nbclient.exceptions.DeadKernelError: Kernel died".
_EXCEPTION = re.compile(r"(?:\[\w+\]\s*)?(?:[A-Za-z_]\w*\.)*"
                        r"([A-Za-z_]\w*(?:Error|Exception|Kernel|Exit|Interrupt))"
                        r"(?::\s*(.*))?")
_GENERIC = ("see the the above traceback", "There was an error processing assignment")


def describe_autograde_failure(log):
    """What made an nbgrader run fail, as a sentence for the report.

    Parameters
    ----------
    log : str
        nbgrader's log and error text (``Autograder.autograde``'s second
        value), or the grader's own ``"timed out after N s"`` or
        ``"worker died"``.

    Returns
    -------
    str
        One line of at most ``FAILURE_CHARS`` characters.
    """
    text = log or ""
    stripped = text.strip()
    if not stripped:
        return "nbgrader stopped without saying why (no output)"
    m = re.fullmatch(r"timed out after (\S+) s", stripped)
    if m:
        return (f"timed out after {m.group(1)} s: grading this notebook took too long "
                "(an endless loop, or far too slow code)")
    if stripped == "worker died":
        return "the grading process died while grading this notebook"
    m = re.search(r"cs231n sandbox: ([^\n]*refus[^\n]*)", text)
    if m:
        return _one_line(f"the sandbox refused to start the kernel: {m.group(1)}")
    if "became unresponsive and we could not interrupt it" in text:
        return ("the kernel stopped responding and could not be interrupted (an endless "
                "loop, or memory exhausted)")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # The exception that ended a traceback is the first exception line after
    # its header: what follows it is its message, and a CellTimeoutError's
    # message quotes the student's cell, which may print anything.
    ends, after_header = [], False
    for line in lines:
        if "Traceback (most recent call last)" in line:
            after_header = True
            continue
        m = _EXCEPTION.fullmatch(line)
        if m and after_header:
            ends.append(m)
            after_header = False
    if not ends:  # no traceback: an error line of its own ("KeyError: 'x'")
        ends = [m for m in map(_EXCEPTION.fullmatch, lines) if m]
    ends = [m for m in ends if not any(g in (m.group(2) or "") for g in _GENERIC)]
    if ends:
        return _one_line(_describe_exception(ends[-1].group(1),
                                              (ends[-1].group(2) or "").strip(), text))
    errors = [line for line in lines if "ERROR" in line and not any(g in line for g in _GENERIC)]
    return _one_line("nbgrader failed: " + (errors[-1] if errors else lines[-1]))


def _describe_exception(name, message, log):
    """A sentence for the exception that ended an nbgrader run."""
    if name == "CellTimeoutError":
        # The cell's limit is in nbclient's log line; the exception's own
        # number can be the shorter wait for output after the interrupt.
        limit = re.findall(r"Timeout waiting for execute reply \((\d+)s\)", log)
        seconds = limit[-1] if limit else (re.findall(r"after (\d+) seconds", message)
                                           or ["?"])[-1]
        # With interrupt_on_timeout (nbgrader's default) the error is raised
        # only when the cell still runs after the interrupt.
        if "Interrupting kernel" in log or "Timeout waiting for IOPub output" in log:
            return (f"a cell ran past its {seconds} s limit and kept running when "
                    "interrupted (an endless loop that catches KeyboardInterrupt?)")
        return f"a cell ran past its {seconds} s limit"
    if name == "DeadKernelError" or message.startswith("Kernel died while"):
        return ("the kernel died while running a cell: the notebook ended its own process "
                "(os._exit, a signal), crashed it, or was killed at a memory or process limit")
    if "before replying to kernel_info" in message:
        return ("the kernel exited as it started, before running any cell (the sandbox "
                "refused to start it, or it crashed at start-up)")
    m = re.search(r"Kernel didn't respond (?:to heartbeats )?in (\d+) seconds", message)
    if m:
        return f"the kernel did not answer within {m.group(1)} s of starting"
    if name == "NoSuchKernel":
        return f"the grader's kernel is not installed ({message}): a problem of the grader"
    if name == "UnresponsiveKernelError":
        return "the kernel stopped responding and could not be interrupted"
    if name in ("NotJSONError", "JSONDecodeError", "ValidationError"):
        return f"the notebook file is not a valid notebook: {message}"
    if name == "OperationalError":
        return f"the gradebook could not be read or written: {message}"
    if name == "MemoryError":
        return "the grader ran out of memory"
    if name == "NbGraderException":
        return f"nbgrader refused: {message}"
    return f"nbgrader failed: {name}: {message}" if message else f"nbgrader failed: {name}"


def _one_line(text):
    text = " ".join(str(text).split())
    return text if len(text) <= FAILURE_CHARS else text[:FAILURE_CHARS - 1] + "\u2026"


# ------------------------------------------------------------------ feedback

# What an offline feedback page needs: its inline styles, and images and
# fonts inlined as data: URLs.  No script of any origin, no plugin, no frame,
# no form target, no <base> to redirect relative links.  (MathJax, loaded
# from a CDN by nbconvert's template, is blocked too: math shows as LaTeX.)
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
       "base-uri 'none'; form-action 'none'")
# Elements that run code, embed a document or plugin, redirect, or load from
# elsewhere; SVG animation elements can set an href to javascript:.
_ACTIVE = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
           "link", "meta", "portal", "animate", "animatemotion", "animatetransform",
           "animatecolor", "set", "handler", "listener"}
_TAG = re.compile(r"[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?")
_ATTRIBUTE = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
# Browsers drop ASCII whitespace and controls inside a URL's scheme.
_URL_JUNK = re.compile(r"[\x00-\x20]+")
# (nbconvert shows an SVG output as <img src="data:image/svg+xml;...">: an image
# runs no script, and a frame or plugin that could show it is removed.)
_BAD_URL = ("javascript:", "vbscript:", "data:text/html", "data:application/xhtml")


def sanitize_page(text, *, strip=True):
    """An HTML page that can run no script, as text.

    Parameters
    ----------
    text : str
        A page written by nbconvert (nbgrader's feedback).
    strip : bool
        Also remove scripts, event handlers, frames, plugins, comments and
        ``javascript:`` URLs.  False only adds the policy (a test shows that
        the policy alone stops scripts).

    Returns
    -------
    str
        The page re-serialised from its parsed tree, with a
        Content-Security-Policy ``<meta>`` as the first element of ``<head>``.
    """
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(text, "html.parser")
    if strip:
        _strip_active(soup)
    _add_policy(soup)
    return soup.decode(formatter="minimal")


def _strip_active(soup):
    """Remove what could run code, from a parsed page, in place.

    The page is written back from the tree, so what a browser sees is that
    tree: texts and attribute values escaped, no comment (a browser and
    Python's parser disagree on where ``<!-->`` ends), and no ``<`` inside a
    ``<style>`` (inside ``<svg>`` a browser parses tags there).
    """
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction
    from bs4.element import CData
    for node in soup.find_all(string=lambda s: isinstance(
            s, (Comment, Declaration, ProcessingInstruction, CData))):
        if not (isinstance(node, Doctype) and node.strip().lower() == "html"):
            node.extract()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        if tag.name in _ACTIVE and not _is_charset(tag) or not _TAG.fullmatch(tag.name):
            tag.decompose()
            continue
        for name in list(tag.attrs):
            value = tag.attrs[name]
            value = " ".join(value) if isinstance(value, list) else str(value)
            url = _URL_JUNK.sub("", value).lower()
            if (not _ATTRIBUTE.fullmatch(name) or name.lower().startswith("on")
                    or name.lower() == "srcdoc" or url.startswith(_BAD_URL)):
                del tag.attrs[name]
        if tag.name == "style":
            css = tag.get_text()
            if "<" in css:
                tag.string = css.replace("<", "\\3c ")


def _is_charset(tag):
    return tag.name == "meta" and set(tag.attrs) == {"charset"}


def _add_policy(soup):
    """Put the policy first in ``<head>``.  A policy applies only to what
    follows it and only inside ``<head>``: when anything but the doctype,
    ``<html>`` and white space comes before the page's head, a new head goes
    first."""
    from bs4 import Doctype, Tag
    meta = soup.new_tag("meta", attrs={"http-equiv": "Content-Security-Policy",
                                       "content": CSP})
    head = soup.find("head")
    if head is not None:
        for node in soup.descendants:
            if node is head:
                head.insert(0, meta)
                return
            if isinstance(node, Tag) and node.name != "html":
                break
            if not isinstance(node, (Tag, Doctype)) and node.strip():
                break
    head = soup.new_tag("head")
    head.append(meta)
    lead = soup.contents[0] if soup.contents else None
    soup.insert(1 if isinstance(lead, Doctype) else 0, head)


def sanitize_feedback(folder, notebooks=None):
    """Make one student's feedback folder safe to hand out, in place.

    Every entry but an HTML page (a regular file, not a link, named
    ``<notebook>.html`` when ``notebooks`` is given) is removed: nbgrader copies
    a submission's other files, and a link, into the feedback.  Each page left
    is rewritten by :func:`sanitize_page`.

    Parameters
    ----------
    folder : Path
        ``feedback/<student>/<assignment>``; a missing folder is left alone.
    notebooks : iterable of str, optional
        The assignment's notebook names (``svm.ipynb``).

    Returns
    -------
    list of str
        The names of the entries removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pages = None if notebooks is None else {Path(n).stem + ".html" for n in notebooks}
    removed = []
    for entry in sorted(folder.iterdir()):
        if (entry.is_symlink() or not entry.is_file() or entry.suffix != ".html"
                or (pages is not None and entry.name not in pages)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry.name)
            continue
        text = entry.read_text(encoding="utf-8", errors="replace")
        entry.write_text(sanitize_page(text), encoding="utf-8")
    return removed


def hidden_test_leaks(course, aid, folder):
    """Lines of hidden tests found in any file of a feedback folder.

    Parameters
    ----------
    course : Course
        Its ``root`` holds ``solutions/<aid>/`` (the hidden tests).
    aid : str
    folder : Path
        Every file under it is read (through links): an HTML page as the
        text a reader sees and as its unescaped source, any other file as text.

    Returns
    -------
    list of str
        ``"<file>: <line>"`` for each hidden line found (empty: no leak).
    """
    from ..notebook import HIDDEN_TESTS, cell_source, hidden_lines, read_notebook
    lines = set()
    for nb in (Path(course.root) / "solutions" / aid).glob("*.ipynb"):
        for cell in read_notebook(nb)["cells"]:
            lines.update(hidden_lines(cell_source(cell)))
    folder = Path(folder)
    found = []
    for base, dirs, files in os.walk(folder):
        for name in sorted(files):
            path = Path(base) / name
            try:
                raw = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            text = raw
            if path.suffix == ".html":
                text = html_text(path) + "\n" + html.unescape(raw)
            rel = path.relative_to(folder)
            found += [f"{rel}: {line}" for line in sorted(lines) if line in text]
            if HIDDEN_TESTS[0] in text:
                found.append(f"{rel}: {HIDDEN_TESTS[0]}")
    return found


def html_text(page):
    """The text a reader sees in an HTML page (tags dropped, entities decoded)."""
    raw = Path(page).read_text(encoding="utf-8", errors="replace")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))
