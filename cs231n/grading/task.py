"""One student's grading as a task that any grading worker can run.

The instructor's process stages each submission (``pipeline.stage``: it
reads the instructor's disk, refusing links and special files) and ships it,
with the course's files, to a worker: a Dask worker on this machine or on
another one (``cluster``).  The worker grades it from what it was sent alone,
in the sandbox, in a private course folder with a private gradebook, and
sends back an ``Outcome``: the student's result, the autograded notebooks
and the student's rows of that private gradebook.  Only the instructor's
process writes the course's gradebook, ``autograded/`` and ``feedback/``
(``apply_outcome``), and only from a whole outcome.

What a worker needs is explicit: the course's files of the assignment
travel with every task in ``CourseFiles`` (``nbgrader_config.py``,
``solutions/<aid>/``, ``assignments/<aid>/`` and a gradebook holding the
assignment's cells and due date, no student: some hundred kB compressed),
and the checks and their reference values are the
installed ``cs231n`` package's, which must be the instructor's own: a worker
whose package differs (``package_digest``) refuses the task.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import queue
import shutil
import socket
import stat
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import integrity, pipeline, sandbox

PACKAGE = Path(__file__).resolve().parents[1]     # the installed cs231n package
TEMPLATE = ".grading/template.db"                 # the template gradebook in CourseFiles
_SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


class WorkerUnfit(RuntimeError):
    """This worker cannot grade for this course (another package, no sandbox)."""


@dataclass(frozen=True)
class CourseFiles:
    """What every task of a run shares: the course's files of the assignment,
    the grading settings, and the digest of the instructor's package."""
    assignment: str
    archive: bytes          # tar.gz: nbgrader_config.py, solutions/<aid>/, assignments/<aid>/
    #                         and TEMPLATE (the assignment's cells and due date, no student)
    package: str            # package_digest() of the instructor's cs231n
    seed: int               # of the integrity pass's unseen inputs
    limits: object          # registry.GradingLimits
    threads: int            # BLAS threads per sandbox
    digest: str = ""        # of all the above: a worker unpacks each course once

    def __post_init__(self):
        if not self.digest:
            h = hashlib.sha256()
            for part in (self.assignment, self.package, str(self.seed), repr(self.limits),
                         str(self.threads)):
                h.update(part.encode() + b"\0")
            h.update(self.archive)
            object.__setattr__(self, "digest", h.hexdigest())


@dataclass
class Submission:
    """One student's staged submission, as the instructor's process staged it."""
    student: str
    found: object                               # collect's Inspection
    files: dict = field(default_factory=dict)   # staged file name -> bytes


@dataclass
class Outcome:
    """What a worker sends back of one student."""
    result: pipeline.StudentResult
    files: dict                 # autograded notebook (and timestamp.txt) name -> bytes
    gradebook: dict             # the student's gradebook rows (``_rows``)
    worker: str = ""            # host:pid of the worker that graded


# ---------------------------------------------------------------- instructor

@functools.lru_cache(maxsize=None)
def package_digest(package=PACKAGE):
    """A digest of the installed cs231n package: its code, the checks and
    their reference values (what grading reads besides the course's files)."""
    h = hashlib.sha256()
    for path in sorted(Path(package).rglob("*")):
        rel = path.relative_to(package)
        if (path.is_file() and not _SKIPPED & set(rel.parts) and path.suffix != ".pyc"
                and "node_modules" not in rel.parts):
            h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def pack_course(course, aid, *, seed, limits, threads):
    """The ``CourseFiles`` of ``aid``: its template gradebook gets the due date
    the course's gradebook holds now."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        due = gb.find_assignment(aid).duedate
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, \
            tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel in ("nbgrader_config.py", f"solutions/{aid}", f"assignments/{aid}"):
            if (course.root / rel).exists():
                tar.add(course.root / rel, arcname=rel, filter=_course_file)
        copy = Path(tmp) / "gradebook.db"
        shutil.copy(pipeline.template_path(course, aid), copy)
        with Gradebook(f"sqlite:///{copy}") as gb:
            gb.find_assignment(aid).duedate = due
            gb.db.commit()
        tar.add(copy, arcname=TEMPLATE, filter=_course_file)
    return CourseFiles(aid, buf.getvalue(), package_digest(), seed, limits, threads)


def _course_file(info):
    """Regular files and folders of the instructor's course, without caches."""
    if _SKIPPED & set(Path(info.name).parts) or not (info.isfile() or info.isdir()):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack_submission(course, aid, sid):
    """Stage a student's submission here and read the staged copy: the
    ``Submission`` to ship."""
    found = pipeline.stage(course, aid, sid)
    staged = course.staged(sid, aid)
    files = {}
    if staged.is_dir():
        for path in sorted(staged.iterdir()):
            if path.is_file() and not path.is_symlink():
                files[path.name] = path.read_bytes()
    return Submission(sid, found, files)


def apply_outcome(course, aid, outcome):
    """Write one student's outcome into the course: the autograded notebooks
    (replacing the earlier run's), the gradebook rows, and no stale feedback.

    The rows are written as nbgrader's autograde writes them (``auto_score``,
    ``needs_manual_grade``, ``auto_comment``, the time of submission and the
    late penalty): a person's manual scores stay, and a cell that has one is
    marked for review, as nbgrader does.
    """
    sid = outcome.result.student
    folder = course.autograded(sid, aid)
    fresh = folder.with_name(folder.name + ".incoming")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    for name, data in outcome.files.items():
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"an outcome's file name must be a plain name, not {name!r}")
        (fresh / name).write_bytes(data)
    _write_rows(course, aid, sid, outcome.gradebook)
    _remove(folder)
    fresh.rename(folder)
    _remove(course.feedback(sid, aid))


def _remove(folder):
    """Remove a folder nbgrader left read-only (an instructor who is not root
    could not remove its files otherwise)."""
    if folder.is_dir():
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.chmod(0o700)
        shutil.rmtree(folder, ignore_errors=True)


def _write_rows(course, aid, sid, rows):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        submission = pipeline.submission_of(gb, aid, sid)
        if rows.get("timestamp") is not None:
            submission.timestamp = rows["timestamp"]
        for notebook in submission.notebooks:
            got = rows["notebooks"].get(notebook.name)
            if got is None:
                continue
            notebook.late_submission_penalty = got["penalty"]
            for grade in notebook.grades:
                if grade.name in got["grades"]:
                    auto, needs = got["grades"][grade.name]
                    grade.auto_score = auto
                    grade.needs_manual_grade = bool(needs or grade.manual_score is not None)
            for comment in notebook.comments:
                if comment.name in got["comments"]:
                    comment.auto_comment = got["comments"][comment.name]
        gb.db.commit()


def _rows(course, aid, sid):
    """A student's rows of a (private) gradebook, as ``_write_rows`` reads them."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(course.db_url) as gb:
        try:
            submission = gb.find_submission(aid, sid)
        except MissingEntry:
            return {"timestamp": None, "notebooks": {}}
        return {"timestamp": submission.timestamp, "notebooks": {
            nb.name: {"penalty": nb.late_submission_penalty,
                      "grades": {g.name: (g.auto_score, g.needs_manual_grade)
                                 for g in nb.grades},
                      "comments": {c.name: c.auto_comment for c in nb.comments}}
            for nb in submission.notebooks}}


# -------------------------------------------------------------------- worker

_slots = queue.LifoQueue()       # idle slots of this worker process


def grade_task(files, submission):
    """The task: grade ``submission`` (a ``Submission``) of the course
    ``files`` (``CourseFiles``) in this process; its ``Outcome``."""
    try:
        slot = _slots.get_nowait()
    except queue.Empty:
        slot = Slot()
    try:
        return slot.grade(files, submission)
    finally:
        _slots.put(slot)


def close_slots():
    """Stop this process's autograders and remove their folders."""
    while True:
        try:
            _slots.get_nowait().close()
        except queue.Empty:
            return


def worker_facts():
    """What the instructor's process checks of each worker before a run."""
    try:
        sandbox.require()
        missing = None
    except sandbox.SandboxUnavailable as e:
        missing = str(e)
    return {"package": package_digest(), "sandbox": missing, "host": socket.gethostname(),
            "pid": os.getpid()}


class Slot:
    """One grading place of a worker: a private course folder, a folder of
    sandboxed kernels and an autograder process, reused from student to
    student of the same course (one student at a time)."""

    def __init__(self):
        sandbox.require()
        pipeline._warm_font_cache()
        _remove_stale_slots()
        # Short: the kernels' IPC sockets live below (at most 107 bytes a path).
        self.dir = Path(tempfile.mkdtemp(prefix=f"cs231n-worker-{os.getpid()}-"))
        self.kernel_dir = self.dir / "k"
        sandbox.kernel_spec(self.kernel_dir)
        (self.kernel_dir / "connections").mkdir()
        self.digest, self.course, self.autograder, self.judge = None, None, None, None

    def _unpack(self, files):
        if files.package != package_digest():
            raise WorkerUnfit(
                f"the cs231n package on {socket.gethostname()} differs from the instructor's "
                f"(digest {package_digest()[:12]}, not {files.package[:12]}): install the "
                "instructor's version on every worker")
        if files.digest == self.digest:
            return
        self._stop_autograder()
        root = self.dir / "course"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        with tarfile.open(fileobj=io.BytesIO(files.archive)) as tar:
            tar.extractall(root, filter="data")
        self.course = pipeline.Course(root)
        self.autograder = pipeline.Autograder(self.course, self.kernel_dir / "connections")
        self.autograder.start()
        aid = files.assignment
        self.judge = integrity.Judge.for_assignment(aid, root / "solutions" / aid,
                                                    seed=files.seed)
        self.digest = files.digest

    def grade(self, files, submission):
        self._unpack(files)
        course, aid, sid = self.course, files.assignment, submission.student
        # Nothing of the student before: a fresh gradebook and fresh folders.
        for top in ("submitted", pipeline.Course.staging_directory, "autograded"):
            _remove(course.root / top)
        shutil.copy(course.root / TEMPLATE, course.db)
        staged = course.staged(sid, aid)
        staged.mkdir(parents=True)
        for name, data in submission.files.items():
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"a staged file's name must be a plain name, not {name!r}")
            (staged / name).write_bytes(data)
        result = pipeline.grade_staged(course, aid, sid, submission.found, self.judge,
                                       kernel_dir=self.kernel_dir, autograder=self.autograder,
                                       limits=files.limits, threads=files.threads)
        return Outcome(result, _autograded_files(course, aid, sid, submission.files),
                       _rows(course, aid, sid), worker=f"{socket.gethostname()}:{os.getpid()}")

    def _stop_autograder(self):
        if self.autograder is not None:
            self.autograder.close()
            self.autograder = None

    def close(self):
        self._stop_autograder()
        _remove(self.dir)


def _remove_stale_slots():
    """Remove the slot folders of this user's workers that died (killed, they
    could not remove their own)."""
    for folder in Path(tempfile.gettempdir()).glob("cs231n-worker-*-*"):
        pid = folder.name.split("-")[2]
        try:
            info = folder.lstat()
            if pid.isdigit() and info.st_uid == os.getuid() and stat.S_ISDIR(info.st_mode):
                os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove(folder)
        except OSError:
            pass


def _autograded_files(course, aid, sid, staged):
    """What nbgrader wrote for the student of the assignment's notebooks and of
    the ``staged`` files it copied (``timestamp.txt``, the exchange's
    ``submission_secret.txt`` that feedback needs, ...); nothing else the
    kernel left there."""
    folder = course.autograded(sid, aid)
    wanted = {p.name for p in (course.root / "assignments" / aid).glob("*.ipynb")}
    wanted.update(staged)
    out = {}
    for name in sorted(wanted):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            out[name] = path.read_bytes()
    return out
