"""``cs231n-course grade ASSIGNMENT``: grade every submission of an assignment.

1. Collect: ``nbgrader zip_collect`` when ``downloaded/<assignment>/`` holds
   archives, then every ``submitted/<student>/<assignment>/``.
2. Prepare the gradebook: the assignment from ``solutions/`` (cells and
   hidden tests), every student, and no previous result of these students
   (a submission that fails now must never show its old score).
3. For each student, in ``--jobs`` parallel workers: nbgrader's autograde with
   the kernel in a sandbox, the integrity pass (``integrity``), the final
   scores written back to the gradebook, and feedback without hidden tests.
4. Export the grades to CSV, write the report and a histogram of the scores.
"""
import contextlib
import csv
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import integrity, sandbox, structure

AUTOGRADE_TIMEOUT = 900        # seconds for one student's nbgrader autograde
CELL_TIMEOUT = 30              # seconds for one cell while grading (solutions: < 10)
# A kernel runs a whole notebook (CPU seconds of all its cells); an integrity
# worker calls a notebook's graded functions on a few small inputs each.
KERNEL_LIMITS = sandbox.Limits(cpu_seconds=90)
WORKER_LIMITS = sandbox.Limits(cpu_seconds=120)


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

    def autograded(self, sid, aid):
        return self.root / "autograded" / sid / aid

    def feedback(self, sid, aid):
        return self.root / "feedback" / sid / aid

    def reports(self, aid):
        return self.root / "reports" / aid

    def deny(self):
        """What student code may never touch: everything of the course but the
        package it imports and its interpreter, and the same of the repository
        the package is installed from when that is another folder (its
        solutions and the answer corpus of tests/)."""
        from ..course import ROOT
        keep = {"cs231n", ".venv", "assignments"}
        own = [p for p in self.root.iterdir() if p.name not in keep]
        repo = ROOT.resolve()
        if repo == self.root:
            return own
        # Never a folder that holds this course (the demo lives in .demo/).
        return own + [p for p in repo.iterdir() if p.name not in keep
                      and not self.root.is_relative_to(p.resolve())]


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


def nbgrader(course, *args, timeout=None, env=None, cwd=None):
    """Run an nbgrader command on the course; (returncode, output tail)."""
    cmd = [sys.executable, "-m", "nbgrader", *args,
           f"--CourseDirectory.root={course.root}",
           f"--CourseDirectory.db_url={course.db_url}"]
    from ..course import venv_env
    proc = subprocess.Popen(cmd, cwd=cwd or course.root, env=venv_env(**(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        sandbox.kill_session(proc)
        out, _ = proc.communicate()
        return None, f"timed out after {timeout} s"
    return proc.returncode, out.decode(errors="replace")[-20000:]


class Autograder:
    """A persistent ``cs231n.grading.autograder`` process (one per job)."""

    def __init__(self, course, connections):
        self.course = course
        self.connections = connections
        self.proc = None

    def _start(self):
        from ..course import venv_env
        # Kernels' connection files (their keys) go to a folder that holds
        # nothing else, which each sandboxed kernel hides but for its own file.
        env = venv_env(TMPDIR=str(self.connections))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cs231n.grading.autograder", str(self.course.root)],
            cwd=self.course.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def autograde(self, aid, sid, *, env, notebook=None, timeout=AUTOGRADE_TIMEOUT):
        """(returncode, log) like ``nbgrader``: 0 when nbgrader succeeded."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        request = {"assignment": aid, "student": sid, "notebook": notebook, "env": env,
                   "timeout": CELL_TIMEOUT, "kernel": sandbox.KERNEL_NAME}
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
            ready = select.select([self.proc.stdout], [], [], timeout)[0]
            line = self.proc.stdout.readline() if ready else b""
        except OSError:
            line = b""
        if not line:
            self.close()
            return None, f"timed out after {timeout} s" if not ready else "worker died"
        answer = json.loads(line)
        log = answer.get("log", "") + "\n" + answer.get("error", "")
        return (0 if answer.get("success") else 1), log

    def close(self):
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            sandbox.kill_session(self.proc)
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


def prepare_gradebook(course, aid, students):
    """The assignment's cells, every student, and no stale result files.

    Grades of earlier runs stay in the gradebook until this run overwrites
    every autograded cell of each student (``_combine``); the instructor's
    manual grades of free-text answers are kept.
    """
    with tempfile.TemporaryDirectory() as tmp:
        code, out = nbgrader(course, "generate_assignment", aid, "--force",
                             f"--CourseDirectory.release_directory={tmp}", timeout=600)
        if code != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{out[-2000:]}")
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        for sid in students:
            gb.update_or_create_student(sid)
    for sid in students:
        for folder in (course.autograded(sid, aid), course.feedback(sid, aid)):
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------ one student

def grade_student(course, aid, sid, judge, *, kernel_dir, autograder,
                  kernel_limits=KERNEL_LIMITS, worker_limits=WORKER_LIMITS, threads=None):
    start = time.perf_counter()
    result = StudentResult(sid)
    found = structure.inspect_submission(course.submitted(sid, aid),
                                         course.root / "assignments" / aid)
    for flag, reason in found.problems:
        result.flags.append(flag)
        result.reasons.append(reason)

    # nbgrader, with the kernel sandboxed: a policy per student.
    # The notebook being run holds the restored hidden tests: no .ipynb is readable.
    policy = sandbox.Policy(workdir=course.autograded(sid, aid), deny=tuple(course.deny()),
                            deny_suffixes=(".ipynb",), limits=kernel_limits)
    policy_file = Path(kernel_dir) / f"policy-{sid}.json"
    policy_file.write_text(policy.to_json())
    env = sandbox.kernel_env(kernel_dir, policy_file)
    if threads:
        env.update({v: str(threads) for v in
                    ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    ran = _autograde(course, aid, sid, env, result, autograder,
                     [n for n, nb in found.notebooks.items() if nb is not None])
    not_run = [n for n in sorted(found.notebooks)
               if (course.submitted(sid, aid) / n).exists() and n not in ran]
    if not_run and result.status != "failed":
        # Submitted but not gradable (broken JSON): failed, graded 0 for it.
        result.status = "failed"
        result.why = "nbgrader could not run " + ", ".join(not_run)
    # Only this run's scores count: a notebook that failed now keeps none.
    nb_scores = {k: v for k, v in _nbgrader_scores(course, aid, sid).items() if k[0] in ran}
    log = sandbox.kernel_violations_log(policy_file)
    violations, _ = sandbox.read_violations(log)
    if violations:
        result.flags.append("sandbox-violation")
        result.reasons.append("in the notebook: " + sandbox.RunResult(
            None, violations=violations).describe_violations())

    # The integrity pass: one worker per notebook serves its graded functions.
    verdicts = {}
    for notebook in dict.fromkeys(g.notebook for g in judge.graded):
        graded = [g for g in judge.graded if g.notebook == notebook]
        found_nb = found.notebooks.get(notebook)
        for g, verdict in zip(graded, integrity.check_notebook(
                judge, graded, found_nb, deny=course.deny(), limits=worker_limits)):
            verdicts[(g.notebook, g.test_cell)] = verdict

    _combine(result, course, aid, nb_scores, verdicts)
    result.flags = sorted(set(result.flags))
    result.seconds = time.perf_counter() - start
    return result


def _autograde(course, aid, sid, env, result, autograder, notebooks):
    """nbgrader autograde of one student; the notebooks it graded.

    nbgrader drops the whole submission when one notebook fails (a dead
    kernel, a timeout): then each notebook is graded on its own, so a broken
    notebook costs only its own cells.
    """
    def run(notebook=None):
        return autograder.autograde(aid, sid, env=env, notebook=notebook)

    folder = course.autograded(sid, aid)
    code, out = run()
    if code == 0:
        return {p.name for p in folder.glob("*.ipynb")}
    kept, why = {}, []
    # The notebook being graded when the run failed is not run again (an
    # endless loop would cost its time limit twice); the others are.
    failed = re.findall(r"(?:Sanitizing|Autograding) \S*/([^/\s]+\.ipynb)", out or "")[-1:]
    if failed and failed[0] in notebooks:
        why.append(f"{failed[0]}: {_autograde_error(out)}")
    for name in sorted(set(notebooks) - set(failed)):
        code, out_nb = run(name[:-len(".ipynb")])
        if code == 0 and (folder / name).exists():
            kept[name] = (folder / name).read_bytes()
        else:
            why.append(f"{name}: {_autograde_error(out_nb)}")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in kept.items():
        (folder / name).write_bytes(data)
    if why or not kept:
        result.status = "failed"
        result.why = "; ".join(why) or _autograde_error(out)
    return set(kept)


def _autograde_error(out):
    """The most telling line of a failed nbgrader run's log."""
    lines = [line.strip() for line in (out or "").splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\w+(Error|Exception)\b", line)
              and "Traceback" not in line and "see the the above" not in line]
    if errors:
        return errors[-1][:500]
    errors = [line for line in lines if "ERROR" in line and "see the the above" not in line]
    return (errors[-1] if errors else (lines[-1] if lines else "no output"))[:500]


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
    nbgrader flags the submission.  Other autograded cells keep nbgrader's
    score (0 when the notebook did not run).  Free-text answers are left to
    the instructor (nbgrader gives 0 to one left unanswered).
    """
    from nbgrader.api import Gradebook, MissingEntry
    final = {}
    for key, (max_score, cell_type) in sorted(graded_cells(course, aid).items()):
        notebook, cell = key
        auto = nb_scores.get(key)
        verdict = verdicts.get(key)
        row = {"notebook": notebook, "cell": cell, "max": max_score, "nbgrader": auto,
               "integrity": None, "points": 0.0, "reason": "",
               "manual": cell_type == "markdown"}
        if verdict is not None:
            row["integrity"] = verdict.passed
            row["points"] = max_score if verdict.passed else 0.0
            row["reason"] = verdict.reason
            result.flags += verdict.flags
            if auto is not None and (auto >= max_score) != verdict.passed:
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


def write_feedback(course, aid, results):
    """Feedback HTML for every student, in one nbgrader run (its start-up costs
    more than a student's pages), each page checked for hidden tests."""
    code, out = nbgrader(course, "generate_feedback", aid, "--force", timeout=1800)
    for r in results:
        folder = course.feedback(r.student, aid)
        if not any(folder.glob("*.html")):
            r.flags.append("no-feedback")
            r.reasons.append("feedback could not be generated: " + _autograde_error(out))
            continue
        leaks = hidden_test_leaks(course, aid, folder)
        if leaks:
            shutil.rmtree(folder, ignore_errors=True)
            r.flags.append("no-feedback")
            r.reasons.append("feedback withheld: it showed hidden tests: " + leaks[0])
        r.flags = sorted(set(r.flags))


def hidden_test_leaks(course, aid, folder):
    """Lines of hidden tests that appear in the feedback HTML of a folder."""
    from ..notebook import cell_source, read_notebook
    from .preprocessors import hidden_lines
    lines = set()
    for nb in (course.root / "solutions" / aid).glob("*.ipynb"):
        for cell in read_notebook(nb)["cells"]:
            lines.update(hidden_lines(cell_source(cell)))
    found = []
    for page in Path(folder).glob("*.html"):
        text = html_text(page)
        found += [f"{page.name}: {l}" for l in sorted(lines) if l in text]
        if "BEGIN HIDDEN TESTS" in text:
            found.append(f"{page.name}: BEGIN HIDDEN TESTS")
    return found


def html_text(page):
    """The text a reader sees in an HTML page (tags dropped, entities decoded)."""
    import html
    raw = Path(page).read_text(encoding="utf-8", errors="replace")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


# --------------------------------------------------------------- the run

@dataclass
class GradeRun:
    assignment: str
    results: list
    csv: Path
    report: Path
    histogram: Path
    seconds: float


def grade(aid, *, root, jobs=None, progress=True, seed=None, feedback=True):
    """Grade every submission of ``aid``; the run's results and outputs.

    Parameters
    ----------
    aid : str
        Assignment id.
    root : Path
        The course root (nbgrader_config.py, solutions/, submitted/, ...).
    jobs : int, optional
        Students graded at once; the number of cores by default.
    progress : bool
        Show a progress bar.
    seed : int, optional
        Seed of the integrity pass's unseen inputs; a secret one by default.
    feedback : bool
        Generate feedback (the benchmark leaves it out).
    """
    start = time.perf_counter()
    course = Course(root)
    students = collect(course, aid)
    if not students:
        raise RuntimeError(f"no submissions in {course.root / 'submitted'}/*/{aid}")
    prepare_gradebook(course, aid, students)
    judge = integrity.Judge.for_assignment(aid, course.root / "solutions" / aid, seed=seed)
    jobs = jobs or os.cpu_count() or 1
    # One BLAS thread per kernel when several run at once: no oversubscription.
    threads = 1 if jobs > 1 else None
    _warm_font_cache()
    results = []
    autograders = queue.Queue()
    with tempfile.TemporaryDirectory(prefix="cs231n-grade-") as kernel_dir:
        sandbox.kernel_spec(kernel_dir)
        connections = Path(kernel_dir) / "connections"
        connections.mkdir()
        for _ in range(jobs):
            autograders.put(Autograder(course, connections))
        bar = _progress(len(students), progress)
        try:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(_safe_grade, course, aid, sid, judge, kernel_dir,
                                       autograders, threads): sid for sid in students}
                for future in as_completed(futures):
                    results.append(future.result())
                    bar.update(1)
        finally:
            bar.close()
            while not autograders.empty():
                autograders.get().close()
    sandbox.cleanup_stale_cgroups()
    results.sort(key=lambda r: r.student)
    if feedback:
        write_feedback(course, aid, results)
    out = course.reports(aid)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = export_csv(course, aid, out / "grades.csv")
    report = write_report(aid, results, out)
    histogram = write_histogram(aid, results, out / "scores.png")
    return GradeRun(aid, results, csv_path, report, histogram, time.perf_counter() - start)


def _warm_font_cache():
    """Build matplotlib's font cache here: a sandboxed kernel copies it, instead
    of rebuilding it with a warning on stderr that would cost a test cell."""
    import matplotlib.font_manager  # noqa: F401  (building the cache is the point)


def _safe_grade(course, aid, sid, judge, kernel_dir, autograders, threads):
    """grade_student, but a bug of the grader on one student never stops the rest."""
    autograder = autograders.get()
    try:
        return grade_student(course, aid, sid, judge, kernel_dir=kernel_dir,
                             autograder=autograder, threads=threads)
    except Exception as e:
        return StudentResult(sid, status="failed", why=f"grader error: {type(e).__name__}: {e}")
    finally:
        autograders.put(autograder)


def _progress(total, enabled):
    from tqdm import tqdm
    return tqdm(total=total, desc="grading", unit="student", disable=not enabled)


def export_csv(course, aid, path):
    """nbgrader's own export of the gradebook, limited to this assignment."""
    code, out = nbgrader(course, "export", f"--to={path}",
                         f"--CsvExportPlugin.assignment=['{aid}']", timeout=300)
    if code != 0:
        raise RuntimeError(f"nbgrader export failed:\n{out[-2000:]}")
    return path


def write_report(aid, results, folder):
    """report.md for people, report.json for tools, details.csv per cell."""
    folder = Path(folder)
    (folder / "report.json").write_text(json.dumps([asdict(r) for r in results], indent=1,
                                                   default=str))
    with open(folder / "details.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "notebook", "cell", "max", "nbgrader",
                    "integrity", "points", "reason"])
        for r in results:
            for c in r.cells:
                w.writerow([r.student, r.status, c["notebook"], c["cell"], c["max"],
                            c["nbgrader"], c["integrity"], c["points"], c["reason"]])
    lines = [f"# Grading report: {aid}", "",
             "Scores are autograded points; free-text answers still to be graded by hand "
             "are shown as (+N by hand). Flags name what a submission did; every lost "
             "point has its reason below.", "",
             "| student | status | score | flags |", "|---|---|---|---|"]
    for r in results:
        pending = f" (+{r.pending:g} by hand)" if r.pending else ""
        lines.append(f"| {r.student} | {r.status} | {r.score:g} / {r.max_score:g}{pending} | "
                     f"{', '.join(r.flags)} |")
    for r in results:
        lines += ["", f"## {r.student}: {r.score:g} / {r.max_score:g} ({r.status})"]
        if r.why:
            lines.append(f"- autograde failed: {r.why}")
        for c in r.cells:
            verdict = {True: "pass", False: "FAIL", None: "-"}[c["integrity"]]
            pts = "by hand" if c["points"] is None else f"{c['points']:g}/{c['max']:g}"
            lines.append(f"- {c['notebook']} `{c['cell']}`: {pts} (nbgrader {c['nbgrader']}, "
                         f"integrity {verdict})")
        for reason in r.reasons:
            lines.append(f"  - {reason}".replace("\n", " "))
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_histogram(aid, results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scores = [r.score for r in results]
    top = max([r.max_score for r in results] + [1.0])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(scores, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#4C72B0",
            edgecolor="white")
    ax.set_xlabel("autograded score")
    ax.set_ylabel("students")
    ax.set_title(f"{aid}: {len(scores)} submissions")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def grade_table(run):
    """The grade table printed at the end of a run."""
    width = max([len(r.student) for r in run.results] + [7])
    lines = [f"{'student':<{width}}  {'score':>15}  status  flags   "
             "(+N: points of free-text answers to grade by hand)"]
    for r in run.results:
        pending = f" +{r.pending:g}" if r.pending else ""
        lines.append(f"{r.student:<{width}}  {r.score:>5g} / {r.max_score:<3g}{pending:<4}  "
                     f"{r.status:<6}  {', '.join(r.flags)}"
                     + (f"  ({r.why})" if r.why else ""))
    return "\n".join(lines)
