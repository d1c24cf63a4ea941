"""The steps of grading one student, and of the class around them, that
``runner.grade`` (the ``grade`` command) puts together: the course's
folders (``Course``), the gradebook made ready (``prepare_gradebook``),
a submission staged and graded (``stage``, ``grade_staged``: nbgrader's
autograde in a sandbox, then the integrity pass), a grader error
(``grader_error``), feedback (``write_feedback``) and the CSV export.
"""
import contextlib
import glob
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional

from .. import registry
from ..install import PACKAGE_ROOT, venv_env
from ..registry import GradingLimits
from . import integrity, report, sandbox, supervise
from .collect import stage_submission
# Reporting lives in report.py; these names stay here for their callers.
from .report import grade_table, hidden_test_leaks, html_text  # noqa: F401

AUTOGRADE_TIMEOUT = 900        # seconds for one student's nbgrader autograde, at most
BUDGET_SPENT = "the student's time budget was spent"
FEEDBACK_TIMEOUT = 1800       # seconds for the generate_feedback run of the class
STUDENT_FEEDBACK_TIMEOUT = 120  # seconds for one student's feedback, retried alone
SANDBOX_RETRY_PAUSE = 5       # seconds before grading a student again whose sandbox failed


def sandbox_limits(limits, *, threads=None):
    """``(kernel, worker)`` sandbox limits of an assignment's ``GradingLimits``:
    a kernel runs a whole notebook (CPU seconds of all its cells); an
    integrity worker calls a notebook's graded functions on a few inputs each."""
    return (sandbox.Limits(cpu_seconds=limits.kernel_cpu_seconds,
                           memory_bytes=limits.memory_bytes, threads=threads),
            sandbox.Limits(cpu_seconds=limits.worker_cpu_seconds,
                           memory_bytes=limits.memory_bytes, threads=threads))


@dataclass
class Course:
    """The folders of an nbgrader course rooted at ``root``."""
    root: Path

    def __post_init__(self):
        self.root = Path(self.root).resolve()

    @property
    def db(self):
        return self.root / "gradebook.db"

    @property
    def db_url(self):
        return f"sqlite:///{self.db}"

    def submitted(self, sid, aid):
        return self.root / "submitted" / sid / aid

    # Where nbgrader reads submissions from: the staged copies (collect.py),
    # never the students' folders themselves.
    staging_directory = ".grading/submitted"

    def staged(self, sid, aid):
        return self.root / self.staging_directory / sid / aid

    def autograded(self, sid, aid):
        return self.root / "autograded" / sid / aid

    def feedback(self, sid, aid):
        return self.root / "feedback" / sid / aid

    def reports(self, aid):
        return self.root / "reports" / aid

    def watch(self):
        """Folders the sandbox reports student code for trying: the course, and
        the repository the package is installed from when that is elsewhere.
        Neither exists in the sandbox (it allows, it does not deny)."""
        return sorted({self.root, PACKAGE_ROOT})


@dataclass
class StudentResult:
    student: str
    status: str = "graded"             # graded | failed
    why: str = ""                      # why autograde failed, if it did
    score: float = 0.0
    max_score: float = 0.0
    pending: float = 0.0               # points of free-text answers to grade by hand
    cells: list = field(default_factory=list)   # per graded cell: see _cell_row
    flags: list = field(default_factory=list)
    reasons: list = field(default_factory=list)
    seconds: float = 0.0


def nbgrader(course, *args, timeout=None, env=None, cwd=None, db_url=None):
    """Run an nbgrader command on the course (on the gradebook at ``db_url``,
    the course's by default); (returncode, output tail)."""
    cmd = [sys.executable, "-m", "nbgrader", *args,
           f"--CourseDirectory.root={course.root}",
           f"--CourseDirectory.db_url={db_url or course.db_url}"]
    proc = subprocess.Popen(cmd, cwd=cwd or course.root, env=venv_env(**(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        supervise.kill_session(proc)
        out, _ = proc.communicate()
        return None, f"timed out after {timeout} s"
    return proc.returncode, out.decode(errors="replace")[-20000:]


class Answer(NamedTuple):
    """What ``Autograder.autograde`` reports of one run."""
    code: Optional[int]
    log: str
    running: Optional[str]
    truncated: dict


class Autograder:
    """A persistent ``cs231n.grading.autograder`` process (one per job)."""

    def __init__(self, course, connections):
        self.course = course
        self.connections = Path(connections)
        self.proc = None
        self._pending = b""            # bytes read from the process, not yet a line

    def start(self):
        """Start the process now (it imports nbgrader before its first request)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
            self._pending = b""

    def _start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cs231n.grading.autograder", str(self.course.root)],
            cwd=self.course.root, env=venv_env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)

    def autograde(self, aid, sid, *, env, notebook=None, timeout=AUTOGRADE_TIMEOUT,
                  cell_timeout=GradingLimits.cell_timeout):
        """One nbgrader autograde of a student (of one notebook, if given).

        Returns
        -------
        Answer
            ``code`` 0 when nbgrader succeeded, 1 when it failed, None when
            it took longer than ``timeout`` seconds or the process died (it
            is then killed); the log; the notebook being executed when the
            run ended (None between notebooks); the notebooks whose output
            was cut (name -> bytes dropped).
        """
        # Each run's kernels get a fresh private folder for their connection
        # file and IPC sockets (short: a socket path holds at most 107 bytes).
        sockets = Path(tempfile.mkdtemp(prefix="", dir=self.connections))
        request = {"assignment": aid, "student": sid, "notebook": notebook, "env": env,
                   "timeout": cell_timeout, "kernel": sandbox.KERNEL_NAME,
                   "kernel_manager": sandbox.kernel_connection(sockets),
                   "submitted_directory": self.course.staging_directory}
        try:
            return self._ask(request, timeout)
        finally:
            shutil.rmtree(sockets, ignore_errors=True)

    def feedback(self, aid, sid=None, *, timeout=FEEDBACK_TIMEOUT):
        """nbgrader generate_feedback of the class, or of the students whose
        ids match the glob pattern ``sid``; an ``Answer`` as for ``autograde``."""
        return self._ask({"feedback": aid, "student": sid}, timeout)

    def _ask(self, request, timeout):
        self.start()
        deadline = time.monotonic() + timeout
        running, truncated, answer, trouble = None, {}, None, "worker died"
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
            # The process tells which notebook it executes before the answer:
            # when it must be killed, the notebook that hung is known.
            while answer is None:
                message = self._message(deadline)
                if "running" in message:
                    running = message["running"]
                elif "finished" in message:
                    running = None
                    if message.get("dropped"):
                        truncated[message["finished"]] = message["dropped"]
                else:
                    answer = message
        except TimeoutError:
            trouble = f"timed out after {timeout:g} s"
        except (OSError, EOFError, ValueError):
            pass
        if answer is None:
            self.close()
            return Answer(None, trouble, running, truncated)
        log = answer.get("log", "") + "\n" + answer.get("error", "")
        return Answer(0 if answer.get("success") else 1, log, running, truncated)

    def _message(self, deadline):
        """The next line of the process, decoded, by ``deadline`` (monotonic).

        Read from the descriptor, not the buffered pipe: a line already in
        the pipe's buffer would not wake ``select``.
        """
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)

    def close(self):
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            supervise.kill_session(self.proc)
            self.proc = None


# ------------------------------------------------------------------ prepare

def collect(course, aid):
    """Run zip_collect if there are downloaded archives; the student ids."""
    downloaded = course.root / "downloaded" / aid / "archive"
    if downloaded.is_dir() and any(downloaded.iterdir()):
        code, out = nbgrader(course, "zip_collect", aid, "--force", timeout=600)
        if code != 0:
            raise RuntimeError(f"nbgrader zip_collect failed:\n{out[-2000:]}")
    base = course.root / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / aid).is_dir())


def template_path(course, aid):
    """The template gradebook of ``aid``: its cells and no student, made by
    ``course.release`` (``keep_template``) or by ``prepare_gradebook``; the
    grading workers start from it (``task``)."""
    return course.root / ".grading" / f"{aid}.template.db"


def _stamp_path(course, aid, gradebook):
    """Where the stamp of ``gradebook`` (the course's or the template) for
    ``aid`` is kept: the ``gradebook_stamp`` it was made from."""
    template = gradebook == template_path(course, aid)
    return course.root / ".grading" / (f"{aid}.template.stamp" if template else f"{aid}.gradebook")


def keep_template(course, aid, gradebook, stamp):
    """Keep ``gradebook``, a file that ``nbgrader generate_assignment`` of
    ``aid`` just wrote without any student (the release's), as the template
    gradebook; ``stamp`` is the ``gradebook_stamp`` taken before that run."""
    template = template_path(course, aid)
    template.parent.mkdir(parents=True, exist_ok=True)
    _stamp_path(course, aid, template).unlink(missing_ok=True)
    partial = template.with_name(template.name + ".part")
    shutil.copyfile(gradebook, partial)
    os.replace(partial, template)
    _stamp_path(course, aid, template).write_text(stamp)


def prepare_gradebook(course, aid, students):
    """The assignment's cells and every student in the gradebook, and the
    template gradebook the grading workers start from (``task``).

    ``nbgrader generate_assignment`` records the cells in the template (a
    new gradebook: the assignment's cells alone, no student's data leaves
    this machine) and, beside it, in the course's gradebook; a course
    without a gradebook yet gets a copy of the template.  A gradebook is
    kept when it holds the cells of the same solution notebooks and
    configuration already (its stamp is the current ``gradebook_stamp``):
    the release's template (``keep_template``) on a course's first grading,
    both when a late submission is graded after the class.  Grades of
    earlier runs, their autograded notebooks and feedback stay until this
    run's result of the student replaces them (``task.apply_outcome``); the
    instructor's manual grades of free-text answers are kept.
    """
    from nbgrader.api import Gradebook

    stamp = gradebook_stamp(course, aid)
    template = template_path(course, aid)
    first = not course.db.is_file()
    stale = [db for db in ([template] if first else [template, course.db])
             if not _is_current(course, aid, db, stamp)]
    if stale:
        template.parent.mkdir(parents=True, exist_ok=True)
        for db in stale:
            _stamp_path(course, aid, db).unlink(missing_ok=True)
        if template in stale:
            template.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
            runs = [pool.submit(nbgrader, course, "generate_assignment", aid, "--force",
                                f"--CourseDirectory.release_directory={tmp}/{i}",
                                db_url=f"sqlite:///{db}", timeout=600)
                    for i, db in enumerate(stale)]
            for run in runs:
                code, out = run.result()
                if code != 0:
                    raise RuntimeError(f"nbgrader generate_assignment failed:\n{out[-2000:]}")
        for db in stale:
            _stamp_path(course, aid, db).write_text(stamp)
    if first:
        shutil.copyfile(template, course.db)
        _stamp_path(course, aid, course.db).write_text(stamp)
    with Gradebook(course.db_url) as gb:
        for sid in students:
            gb.update_or_create_student(sid)


def _is_current(course, aid, gradebook, stamp):
    """Whether ``gradebook`` (a path) was made from the inputs of ``stamp``
    and holds the assignment's notebooks."""
    from nbgrader.api import Gradebook, MissingEntry

    stamp_file = _stamp_path(course, aid, gradebook)
    if not (gradebook.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp):
        return False
    notebooks = {p.stem for p in (course.root / "solutions" / aid).glob("*.ipynb")}
    with Gradebook(f"sqlite:///{gradebook}") as gb, contextlib.suppress(MissingEntry):
        return {nb.name for nb in gb.find_assignment(aid).notebooks} == notebooks
    return False


def gradebook_stamp(course, aid):
    """A digest of what generate_assignment makes the gradebook's cells from:
    the assignment's solution notebooks, the course's nbgrader configuration
    and nbgrader's version."""
    import nbgrader
    digest = hashlib.sha256(nbgrader.__version__.encode())
    for path in [course.root / "nbgrader_config.py",
                 *sorted((course.root / "solutions" / aid).glob("*.ipynb"))]:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


# ------------------------------------------------------------ one student

def stage(course, aid, sid):
    """The staged copy of a submission that nbgrader reads: regular files
    only, notebooks that parse, within limits of number and size
    (``collect.stage_submission``); what staging found."""
    return stage_submission(course.submitted(sid, aid), course.root / "assignments" / aid,
                            course.staged(sid, aid))


def grade_staged(course, aid, sid, found, judge, *, kernel_dir, autograder, limits=None,
                 threads=None):
    """Grade one staged student within ``limits`` (the assignment's
    ``registry.GradingLimits`` by default), with ``threads`` BLAS threads per
    sandbox (None: the machine's default); ``found`` is what staging found.

    A sandbox the machine refused (``integrity.SandboxFailed``: for an
    instructor who is not root, another sandbox's fork bomb counts against
    the same user) is tried once more, after a pause, before it raises.
    """
    try:
        return _grade_staged(course, aid, sid, found, judge, kernel_dir=kernel_dir,
                             autograder=autograder, limits=limits, threads=threads)
    except integrity.SandboxFailed:
        time.sleep(SANDBOX_RETRY_PAUSE)
        return _grade_staged(course, aid, sid, found, judge, kernel_dir=kernel_dir,
                             autograder=autograder, limits=limits, threads=threads)


def _grade_staged(course, aid, sid, found, judge, *, kernel_dir, autograder, limits,
                  threads):
    start = time.perf_counter()
    limits = limits or registry.get(aid).limits
    deadline = time.monotonic() + limits.student_budget
    result = StudentResult(sid)
    for flag, reason in found.problems:
        result.flags.append(flag)
        result.reasons.append(reason)
    result.reasons += found.notes

    # nbgrader, with the kernel sandboxed: a policy per student.  The kernel
    # sees a private copy of its folder without the notebooks (they hold the
    # restored hidden tests); a look at the course or at the
    # grader's folder of kernels (other students' sockets) is reported.
    watch = [*course.watch(), Path(kernel_dir)]
    kernel_limits, worker_limits = sandbox_limits(limits, threads=threads)
    # A notebook that builds on an earlier one reads the student's own copy of
    # it, as submitted (Assignment.uses).
    staged = course.staged(sid, aid)
    shown = [staged / u for u in dict.fromkeys(u for us in registry.get(aid).uses.values()
                                               for u in us) if (staged / u).is_file()]
    policy = sandbox.Policy(workdir=course.autograded(sid, aid), watch=watch,
                            limits=kernel_limits, shown=shown)
    policy_file = Path(kernel_dir) / f"policy-{sid}.json"
    policy_file.write_text(policy.to_json())
    env = sandbox.kernel_env(kernel_dir, policy_file)
    # The integrity pass reads the submission, not nbgrader's output: it runs
    # beside the autograde (a student alone is graded sooner).
    with ThreadPoolExecutor(max_workers=1) as beside:
        checked = beside.submit(_integrity_pass, judge, found, watch=watch,
                                limits=worker_limits, deadline=deadline)
        ran = _autograde(course, aid, sid, env=env, result=result, autograder=autograder,
                         notebooks=[n for n, nb in found.notebooks.items() if nb is not None],
                         deadline=deadline, cell_timeout=limits.cell_timeout)
        verdicts = checked.result()
    not_run = [n for n in sorted(found.submitted) if n not in ran]
    if not_run and result.status != "failed":
        # Submitted but not gradable (broken JSON, a link): failed, graded 0 for it.
        result.status = "failed"
        result.why = "nbgrader could not run " + ", ".join(not_run)
    # Only this run's scores count: a notebook that failed now keeps none.
    nb_scores = {k: v for k, v in _nbgrader_scores(course, aid, sid).items() if k[0] in ran}
    log = sandbox.kernel_violations_log(policy_file)
    violations = sandbox.read_violations(log)
    if violations:
        result.flags.append("sandbox-violation")
        result.reasons.append("in the notebook: " + sandbox.describe_violations(violations))

    _combine(result, course, aid, nb_scores, verdicts)
    late = lateness(course, aid, sid)
    if late:
        result.flags.append("late")
        result.reasons.append(late)
    result.flags = sorted(set(result.flags))
    result.seconds = time.perf_counter() - start
    return result


def _integrity_pass(judge, found, *, watch, limits, deadline):
    """(notebook, test cell) -> verdict of each graded function of a staged
    submission; one worker per notebook serves its graded functions."""
    verdicts = {}
    uses = registry.get(judge.assignment).uses
    for notebook in dict.fromkeys(g.notebook for g in judge.graded):
        graded = [g for g in judge.graded if g.notebook == notebook]
        before = [(u, found.notebooks.get(u)) for u in uses.get(notebook, ())]
        for g, verdict in zip(graded, integrity.check_notebook(
                judge, graded, found.notebooks.get(notebook), watch=watch, limits=limits,
                deadline=deadline, before=before)):
            verdicts[(g.notebook, g.test_cell)] = verdict
    return verdicts


def _autograde(course, aid, sid, *, env, result, autograder, notebooks, deadline=None,
               cell_timeout=GradingLimits.cell_timeout):
    """nbgrader autograde of one student; the notebooks it graded.

    nbgrader drops the whole submission when one notebook fails (a dead
    kernel, an error, the run's time limit): then each other notebook is
    graded on its own, so a broken notebook costs only its own cells.  The
    notebook that was executing when the run failed is never run again (an
    endless loop would cost its time twice), and no run goes past
    ``deadline`` (``time.monotonic()``; by default one ``AUTOGRADE_TIMEOUT``
    from now): a notebook left without time is not graded.
    """
    if deadline is None:
        deadline = time.monotonic() + AUTOGRADE_TIMEOUT
    truncated = {}

    def run(notebook=None):
        left = deadline - time.monotonic()
        if left < 1:
            return None
        answer = autograder.autograde(aid, sid, env=env, notebook=notebook,
                                      timeout=min(AUTOGRADE_TIMEOUT, left),
                                      cell_timeout=cell_timeout)
        truncated.update(answer.truncated)
        return answer

    try:
        return _autograde_runs(course.autograded(sid, aid), result, notebooks, run)
    finally:
        for name, dropped in sorted(truncated.items()):
            result.flags.append("output-truncated")
            result.reasons.append(f"{name}: its output went past the grader's limit; "
                                  f"{dropped} bytes of it were dropped")


def _timed_out(answer):
    return answer.code is None and answer.log.startswith("timed out")


def _autograde_runs(folder, result, notebooks, run):
    """The runs of ``_autograde``: the whole submission, then after a failure
    each notebook but the one that failed; the notebooks graded."""
    if not notebooks:
        result.status = "failed"
        result.why = "no notebook could be graded"
        return set()
    whole = run()
    if whole is None:
        result.status = "failed"
        result.why = f"not graded: {BUDGET_SPENT}"
        result.flags.append("timed-out")
        return set()
    if whole.code == 0:
        return {p.name for p in folder.glob("*.ipynb")}
    kept, why = {}, []
    # The notebook being executed when the run ended, as the autograder
    # process told; else the last one nbgrader's log names (it failed while
    # being read or written).
    failed = whole.running or (re.findall(r"(?:Sanitizing|Autograding) \S*/([^/\s]+\.ipynb)",
                                          whole.log or "")[-1:] or [None])[0]
    if failed in notebooks:
        why.append(f"{failed}: {report.describe_autograde_failure(whole.log)}")
    if _timed_out(whole):
        result.flags.append("timed-out")
    for name in sorted(set(notebooks) - {failed}):
        answer = run(name[:-len(".ipynb")])
        if answer is None:
            why.append(f"{name}: not graded: {BUDGET_SPENT}")
            result.flags.append("timed-out")
        elif answer.code == 0 and (folder / name).exists():
            kept[name] = (folder / name).read_bytes()
        else:
            why.append(f"{name}: {report.describe_autograde_failure(answer.log)}")
            if _timed_out(answer):
                result.flags.append("timed-out")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in kept.items():
        # nbgrader leaves its output read-only (0444): only root could write
        # over it, an instructor's grader must replace it.
        (folder / name).unlink(missing_ok=True)
        (folder / name).write_bytes(data)
    if why or not kept:
        result.status = "failed"
        result.why = "; ".join(why) or report.describe_autograde_failure(whole.log)
    return set(kept)


def _nbgrader_scores(course, aid, sid):
    """(notebook, grade_id) -> auto_score of every graded cell nbgrader scored."""
    from nbgrader.api import Gradebook, MissingEntry
    scores = {}
    with Gradebook(course.db_url) as gb:
        try:
            sub = gb.find_submission(aid, sid)
        except MissingEntry:
            return {}
        for nb in sub.notebooks:
            for grade in nb.grades:
                scores[(nb.name + ".ipynb", grade.name)] = grade.auto_score
    return scores


def lateness(course, aid, sid):
    """A sentence when the submission came after the assignment's due date
    (nbgrader's ``timestamp.txt`` against the due date set in formgrader or
    ``nbgrader db assignment add --duedate``), else "".  A late-submission
    penalty, if the course configures one, is nbgrader's (``LateSubmissionPlugin``)."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(course.db_url) as gb:
        try:
            sub = gb.find_submission(aid, sid)
        except MissingEntry:
            return ""
        seconds, stamp, due = sub.total_seconds_late, sub.timestamp, sub.duedate
    if not seconds or seconds <= 0:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return (f"late: submitted {stamp:%Y-%m-%d %H:%M} UTC, {hours} h {rest // 60} min after "
            f"the due date {due:%Y-%m-%d %H:%M} UTC")


def graded_cells(course, aid):
    """(notebook, grade_id) -> (max_score, cell_type) of the assignment's graded cells."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        assignment = gb.find_assignment(aid)
        return {(nb.name + ".ipynb", cell.name): (float(cell.max_score), cell.cell_type)
                for nb in assignment.notebooks for cell in nb.grade_cells}


def _combine(result, course, aid, nb_scores, verdicts):
    """Final points per graded cell, written to the gradebook.

    A graded function gets the integrity verdict's points; a disagreement with
    nbgrader flags the submission (``tampered``).  A value cell (best_val: a
    verdict that ``bounds_notebook``) gets its points only when nbgrader passed
    it and the grader's own measurement reaches the threshold too; a notebook
    value the measurement does not confirm is flagged ``tampered``.  Other
    autograded cells keep nbgrader's score (0 when the notebook did not run).
    Any test cell that nbgrader passed without printing its checks' success
    lines did not run them: 0, flagged ``check-bypassed`` (``bypass``); cells
    that hook the kernel are flagged ``kernel-hooks``.  Free-text answers are
    left to the instructor (nbgrader gives 0 to one left unanswered).
    """
    from nbgrader.api import Gradebook, MissingEntry

    from . import bypass
    executed = _executed_notebooks(course, aid, result.student, {nb for nb, _ in nb_scores})
    _flag_kernel_hooks(result, executed)
    tests = {name: bypass.test_cells(nb) for name, nb in executed.items()}
    final = {}
    for key, (max_score, cell_type) in sorted(graded_cells(course, aid).items()):
        notebook, cell = key
        auto = nb_scores.get(key)
        verdict = verdicts.get(key)
        ran = tests.get(notebook, {}).get(cell)    # the executed test cell
        row = {"notebook": notebook, "cell": cell, "max": max_score, "nbgrader": auto,
               "integrity": None, "points": 0.0, "reason": "",
               "manual": cell_type == "markdown"}
        if verdict is not None and verdict.bounds_notebook:
            _value_row(row, result, verdict, auto, ran)
        elif verdict is not None:
            row["integrity"] = verdict.passed
            row["points"] = max_score if verdict.passed else 0.0
            row["reason"] = verdict.reason
            result.flags += verdict.flags
            # A function left unchecked (the budget was spent) proves nothing.
            checked = verdict.reason != integrity.NOT_CHECKED
            if checked and auto is not None and (auto >= max_score) != verdict.passed:
                result.flags.append("tampered")
                side = ("passed in the notebook but fails outside it on unseen inputs"
                        if not verdict.passed else "failed in the notebook but passes outside it")
                result.reasons.append(f"{notebook}: {verdict.name} {side}; graded by the "
                                      "integrity pass")
        elif cell_type == "markdown":
            # nbgrader scores an unchanged answer 0 and leaves the rest to a person.
            row["points"] = None if auto is None else float(auto)
            row["reason"] = "to be graded by hand" if auto is None else "not answered"
        else:
            row["points"] = float(auto or 0.0)
            if auto is None:
                row["reason"] = "the notebook did not run"
            elif auto < max_score:
                row["reason"] = "the test cell failed in the notebook"
        why = bypass.bypassed_check(ran) if ran is not None and auto else ""
        if why:
            # nbgrader gave points to a cell whose checks did not run.
            row["points"] = 0.0
            row["reason"] = f"check bypassed in the notebook: {why}" + (
                f"; {row['reason']}" if row["reason"] else "")
            result.flags.append("check-bypassed")
        if row["points"] is not None and row["points"] < max_score:
            result.reasons.append(f"{notebook} {cell}: -{max_score - row['points']:g}: "
                                  f"{row['reason']}")
        final[key] = row["points"]
        result.cells.append(row)
    result.max_score = float(sum(r["max"] for r in result.cells))
    result.score = float(sum(r["points"] or 0.0 for r in result.cells))
    result.pending = float(sum(r["max"] for r in result.cells if r["points"] is None))

    with Gradebook(course.db_url) as gb:
        try:
            gb.find_submission(aid, result.student)
        except MissingEntry:  # autograde failed: the grade must still be the new one
            gb.add_submission(aid, result.student)
        for (notebook, cell), points in final.items():
            if points is None:
                continue
            grade = gb.find_grade(cell, notebook[:-len(".ipynb")], aid, result.student)
            grade.auto_score = points
        gb.db.commit()


def _value_row(row, result, verdict, auto, ran):
    """The points of a value cell: nbgrader's pass and the grader's measurement.

    The notebook computed the value in the student's kernel, where any cell
    can set it; the grader measured it again with the student's functions
    (``verdict``).  A notebook value the measurement does not confirm is
    flagged ``tampered``, with both numbers when the test cell printed one.
    """
    from ..checks._core import claimed_value
    from . import bypass
    max_score = row["max"]
    in_notebook = auto is not None and auto >= max_score
    row["integrity"] = verdict.passed
    row["points"] = max_score if verdict.passed and in_notebook else 0.0
    result.flags += verdict.flags
    if not verdict.passed:
        claim = claimed_value(bypass.stdout_of(ran)) if ran is not None else None
        row["reason"] = verdict.reason or f"{verdict.name}: not confirmed by the grader"
        if claim is not None and verdict.value is not None and claim > verdict.value:
            row["reason"] += (f"; the notebook's {verdict.name} is {claim:.4f}, the grader "
                              f"measures {verdict.value:.4f}")
        if in_notebook and verdict.reason != integrity.NOT_CHECKED:
            result.flags.append("tampered")
            result.reasons.append(
                f"{row['notebook']}: {verdict.name} passed its test in the notebook"
                + (f" ({claim:.4f})" if claim is not None else "")
                + " but the grader's own measurement does not reach it; graded by the "
                  "integrity pass")
    elif auto is None:
        row["reason"] = "the notebook did not run"
    elif not in_notebook:
        measured = f" (the grader measures {verdict.value:.4f})" if verdict.value else ""
        row["reason"] = (f"the test cell failed in the notebook{measured}: the points need "
                         "the notebook's value and the grader's measurement")


def _executed_notebooks(course, aid, sid, notebooks):
    """name -> the notebook as nbgrader executed it (autograded/), for each
    of ``notebooks`` that it ran: the restored test cells with their outputs."""
    out = {}
    for name in sorted(notebooks):
        try:
            nb = json.loads((course.autograded(sid, aid) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(nb, dict):
            out[name] = nb
    return out


def _flag_kernel_hooks(result, executed):
    """Flag ``kernel-hooks`` for cells that ran in the kernel and touch its
    hooks (input transformers, run_cell, tracing, ...; ``bypass.kernel_hooks``)."""
    from . import bypass
    for name, nb in sorted(executed.items()):
        hits = bypass.notebook_hooks(nb)
        if hits:
            result.flags.append("kernel-hooks")
            shown = "; ".join(f"cell {label}: {what}" for label, what in hits[:5])
            more = f" (and {len(hits) - 5} more)" if len(hits) > 5 else ""
            result.reasons.append(f"{name}: the kernel's hooks are used: {shown}{more}")


def write_feedback(course, aid, results, autograder, *, timeout=FEEDBACK_TIMEOUT,
                   student_timeout=STUDENT_FEEDBACK_TIMEOUT):
    """Feedback HTML for every student, safe to hand out.

    One nbgrader run in ``autograder`` (an ``Autograder`` done grading: it
    has nbgrader imported) makes the pages of the whole class.  A student
    still missing the page of a notebook that was autograded is then retried
    alone, with a short time limit: one student's problem, or a first run
    that timed out, never costs another student's feedback.  Each folder is
    then sanitised (no script runs, no file of the student travels;
    ``report.sanitize_feedback``) and checked for hidden tests.  A student
    without every page is flagged ``no-feedback``, with the reason.
    """
    notebooks = sorted(p.name for p in (course.root / "solutions" / aid).glob("*.ipynb"))
    out = autograder.feedback(aid, timeout=timeout).log
    for r in results:
        folder = course.feedback(r.student, aid)
        log = out
        if _missing_pages(course, aid, r.student, notebooks):
            # nbgrader reads the id as a glob pattern.
            log = autograder.feedback(aid, glob.escape(r.student),
                                      timeout=student_timeout).log
        report.sanitize_feedback(folder, notebooks)
        missing = _missing_pages(course, aid, r.student, notebooks)
        if not any(folder.glob("*.html")):
            r.flags.append("no-feedback")
            r.reasons.append("feedback could not be generated: " + (
                _feedback_failure(log) if missing
                else "no notebook of this submission was autograded"))
        elif missing:
            r.flags.append("no-feedback")
            r.reasons.append(f"feedback lacks {', '.join(n + '.html' for n in missing)}: "
                             + _feedback_failure(log))
        leaks = report.hidden_test_leaks(course, aid, folder) if folder.exists() else []
        if leaks:
            shutil.rmtree(folder, ignore_errors=True)
            r.flags.append("no-feedback")
            r.reasons.append("feedback withheld: it showed hidden tests: " + leaks[0])
        r.flags = sorted(set(r.flags))


def _missing_pages(course, aid, sid, notebooks):
    """Notebooks of the assignment that were autograded for ``sid`` but have
    no feedback page (names without ``.ipynb``)."""
    graded = {p.stem for p in course.autograded(sid, aid).glob("*.ipynb")}
    pages = {p.stem for p in course.feedback(sid, aid).glob("*.html")}
    return sorted(graded & {Path(n).stem for n in notebooks} - pages)


def _feedback_failure(log):
    """Why generate_feedback made no page, in words."""
    m = re.fullmatch(r"timed out after (\S+) s", (log or "").strip())
    if m:
        return f"nbgrader generate_feedback took longer than {m.group(1)} s"
    return report.describe_autograde_failure(log)


# --------------------------------------------------------------- the run

@dataclass
class GradeRun:
    assignment: str
    results: list
    csv: Path
    report: Path
    histogram: Path
    seconds: float


def _warm_font_cache():
    """Build matplotlib's font cache here: a sandboxed kernel copies it, instead
    of rebuilding it with a warning on stderr that would cost a test cell."""
    import matplotlib.font_manager  # noqa: F401  (building the cache is the point)


def grader_error(course, aid, sid, why):
    """The result of a student the grader failed on (``why``), who gets 0 for
    every autograded cell, in the result and in the gradebook alike
    (``zero_autograded``): no score of an earlier run stays, nor its
    autograded notebooks or feedback."""
    result = StudentResult(sid, status="failed", why=why)
    try:
        zero_autograded(course, aid, sid)
        result.cells = _zero_rows(course, aid, why)
    except Exception as e2:  # the gradebook itself fails: say so, go on
        result.why += f"; its scores could not be reset: {type(e2).__name__}: {e2}"
    for folder in (course.autograded(sid, aid), course.feedback(sid, aid)):
        shutil.rmtree(folder, ignore_errors=True)
    for c in result.cells:
        if not c["manual"]:
            result.reasons.append(f"{c['notebook']} {c['cell']}: -{c['max']:g}: {why}")
    result.max_score = float(sum(c["max"] for c in result.cells))
    result.pending = float(sum(c["max"] for c in result.cells if c["manual"]))
    return result


def zero_autograded(course, aid, sid):
    """Set every autograded cell of a student's submission to 0 in the gradebook.

    Used when grading the student failed in the grader itself: the report,
    nbgrader's export (grades.csv) and the gradebook then all say 0, instead
    of the gradebook keeping an earlier run's scores.  The student and the
    submission are created when missing.  Free-text answers and manual
    scores are a person's and stay as they are.
    """
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        submission = submission_of(gb, aid, sid)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell.cell_type == "code":
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        gb.db.commit()


def submission_of(gb, aid, sid):
    """The student's submission of ``aid`` in the open gradebook ``gb``; the
    student and the submission (every cell's grade) are created when missing."""
    from nbgrader.api import MissingEntry
    gb.update_or_create_student(sid)
    try:
        return gb.find_submission(aid, sid)
    except MissingEntry:
        # Without autoflush: nbgrader's add_submission otherwise makes
        # SQLAlchemy warn that the new submission is not in the session.
        with gb.db.no_autoflush:
            return gb.add_submission(aid, sid)


def _zero_rows(course, aid, reason):
    """The result rows (as ``_combine`` makes them) of a student graded 0."""
    rows = []
    for (notebook, cell), (max_score, cell_type) in sorted(graded_cells(course, aid).items()):
        manual = cell_type == "markdown"
        rows.append({"notebook": notebook, "cell": cell, "max": max_score, "nbgrader": None,
                     "integrity": None, "points": None if manual else 0.0,
                     "reason": "to be graded by hand" if manual else reason,
                     "manual": manual})
    return rows


def progress_bar(total, enabled):
    """The progress bar of a run: students as they come back."""
    from tqdm import tqdm
    return tqdm(total=total, desc="grading", unit="student", disable=not enabled)


def export_csv(course, aid, path):
    """nbgrader's own export of the gradebook (what ``nbgrader export`` writes),
    limited to this assignment, with every cell a spreadsheet could run as a
    formula neutralised (student ids are folder names)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin
    with Gradebook(course.db_url) as gb:
        CsvExportPlugin(to=str(path), assignment=[aid]).export(gb)
    return report.neutralise_csv(path)
