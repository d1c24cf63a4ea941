"""Grading on Dask distributed (``cs231n.grading.cluster`` and ``task``).

A scheduler and two workers of the ``dask`` command line, each a process on
loopback, grade sample submissions as the local cluster does; a worker
killed in the middle of a run loses no student; a student whose grading
stops two workers fails with the reason; Ctrl-C leaves the gradebook of the
students not yet done as it was; a worker without the sandbox, or with
another cs231n package, never grades.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import psutil
import pytest

from cs231n import course
from cs231n.grading import cluster, pipeline, runner, samples, task

AID = "a1_linear"
SEED = 7
# Samples whose outcomes differ in every way the comparison looks at: full
# marks, a forged value (tampered), a refused link (failed), a look at the
# network (sandbox-violation).
SUBSET = ["correct", "hostile-fake-best-val", "attack-symlink-solution", "attack-network"]

cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the tasks defined here


def make_course(dest, students):
    """A course of ``AID`` whose students submit the named samples:
    ``{student: sample}``."""
    dest.mkdir(parents=True)
    shutil.copytree(course.ROOT / "solutions", dest / "solutions")
    shutil.copy(course.ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    course.release([AID], root=dest)
    written = dest / ".samples"
    samples.write_samples(dest / "assignments" / AID,
                          samples.load_corpus(course.corpus_path(AID)), written,
                          assignment=AID, every=False)
    for student, sample in students.items():
        shutil.copytree(written / sample / AID, dest / "submitted" / student / AID,
                        symlinks=True)
    shutil.rmtree(written)
    return pipeline.Course(dest)


def grade_cli(root, *args, **popen):
    """``cs231n-course grade AID`` of the course at ``root``, a process."""
    return subprocess.Popen(
        [sys.executable, "-m", "cs231n.course", "grade", AID, "--root", str(root),
         "--seed", str(SEED), "--no-progress", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def outcomes(root):
    """student -> (status, flags, points per cell) from a run's report.json."""
    records = json.loads((Path(root) / "reports" / AID / "report.json").read_text())
    return {r["student"]: (r["status"], sorted(r["flags"]),
                           {(c["notebook"], c["cell"]): c["points"] for c in r["cells"]})
            for r in records}


def gradebook_rows(root, students):
    """student -> the student's rows of the course's gradebook (``task._rows``)."""
    c = pipeline.Course(root)
    return {sid: task._rows(c, AID, sid) for sid in students}


@pytest.fixture(scope="module")
def loopback():
    """A scheduler and two workers of the dask command line on loopback."""
    with cluster.loopback(2) as lb:
        yield lb


@pytest.fixture(scope="module")
def graded(tmp_path_factory, loopback):
    """The samples of ``SUBSET`` graded twice: by the local cluster (in
    ``local/``) and through ``cs231n-course grade --scheduler`` on the
    loopback cluster (in ``remote/``); ``spare/`` is a copy of the local
    course after its run, for a test that changes it."""
    base = tmp_path_factory.mktemp("graded")
    local = make_course(base / "local", {s: s for s in SUBSET})
    shutil.copytree(local.root, base / "remote", symlinks=True)
    before = dict(os.environ)
    runner.grade(AID, root=local.root, jobs=2, progress=False, seed=SEED)
    changed = {k: os.environ.get(k) for k in set(before) | set(os.environ)
               if before.get(k) != os.environ.get(k)}
    shutil.copytree(local.root, base / "spare", symlinks=True)
    proc = grade_cli(base / "remote", "--scheduler", loopback.address)
    out, err = proc.communicate(timeout=1800)
    return base, proc.returncode, err, changed


@pytest.mark.slow
def test_the_loopback_cluster_grades_as_the_local_one(graded):
    """Are the points, statuses and flags of samples graded through
    ``--scheduler`` (separate scheduler and worker processes) the same as
    those of the local cluster, and so are the gradebooks?"""
    base, code, err, _ = graded
    assert code == 0, err[-3000:]
    here, there = outcomes(base / "local"), outcomes(base / "remote")
    assert here == there
    assert here["correct"][0] == "graded" and here["attack-symlink-solution"][0] == "failed"
    assert "tampered" in here["hostile-fake-best-val"][1]
    assert "sandbox-violation" in here["attack-network"][1]
    assert gradebook_rows(base / "local", SUBSET) == gradebook_rows(base / "remote", SUBSET)
    for sid in SUBSET:
        # The workers' notebooks reached the instructor's course, and feedback was made.
        names = [sorted(p.name for p in (base / side / "autograded" / sid / AID).glob("*"))
                 for side in ("local", "remote")]
        assert names[0] == names[1] and names[0]
        assert any((base / "remote" / "feedback" / sid / AID).glob("*.html")), sid


def test_a_local_run_leaves_the_environment_as_it_was(graded):
    """Is the instructor's environment the same after a run on the local
    cluster?  (A Dask nanny sets its workers' variables, one BLAS thread
    among them, in the process that made it: every notebook run after it
    would have been slower.)"""
    assert graded[3] == {}


def _slot_of(pid):
    """The private course folder of worker ``pid``, once it grades a student."""
    for folder in Path("/tmp").glob(f"cs231n-worker-{pid}-*"):
        if any((folder / "course" / ".grading" / "submitted").glob("*")):
            return folder
    return None


def _alive(pids):
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.slow
def test_a_killed_worker_loses_no_student(tmp_path):
    """When a worker is killed while it grades a student, is that student
    graded again on the other worker, is every student in the results, the
    CSV and the gradebook exactly once with full marks, and does nothing the
    dead worker started (its autograder, a kernel) keep running?"""
    students = {f"student{i}": "correct" for i in range(2)}
    c = make_course(tmp_path / "course", students)
    with cluster.loopback(2) as lb:
        proc = grade_cli(c.root, "--scheduler", lb.address)
        deadline = time.monotonic() + 600
        victim = slot = None
        while slot is None and time.monotonic() < deadline and proc.poll() is None:
            for pid in lb.worker_pids():
                slot = _slot_of(pid)
                if slot is not None:
                    victim = psutil.Process(pid)
                    break
            time.sleep(0.2)
        assert slot is not None, "no worker started grading"
        time.sleep(3)                      # in the middle of the student
        started = [p.pid for p in victim.children(recursive=True)]
        assert started, "the worker runs no autograder"
        victim.kill()
        out, err = proc.communicate(timeout=1800)
        assert proc.returncode == 0, err[-3000:]
        assert len(lb.worker_pids()) == 1
    records = outcomes(c.root)
    assert sorted(records) == sorted(students)
    assert all(status == "graded" for status, _, _ in records.values()), records
    lines = (c.reports(AID) / "grades.csv").read_text().splitlines()
    assert sorted(line.split(",")[lines[0].split(",").index("student_id")]
                  for line in lines[1:]) == sorted(students)
    for sid, rows in gradebook_rows(c.root, students).items():
        points = [g[0] for nb in rows["notebooks"].values() for g in nb["grades"].values()]
        assert points and sum(p or 0 for p in points) == 23, (sid, rows)
    deadline = time.monotonic() + 20
    while _alive(started) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(started), [psutil.Process(p).cmdline() for p in _alive(started)]


def _dies(shared, item):
    """A task that kills its worker for ``shared["always"]`` each time, and for
    ``shared["once"]`` the first time (a marker file remembers)."""
    marker = Path(shared["marker"])
    if item == shared["always"] or (item == shared["once"] and not marker.exists()):
        marker.touch()
        os._exit(1)
    return item.upper()


@pytest.mark.slow
def test_a_student_whose_grading_stops_two_workers_fails_with_the_reason(tmp_path):
    """Is a student whose worker died once graded again (and only once), and
    does one whose grading stops two workers come back as an error that
    ``grade`` turns into a failed student with that reason, while the others
    come back as usual?"""
    shared = {"always": "bomb", "once": "unlucky", "marker": str(tmp_path / "died")}
    got = {}
    with cluster.connect(jobs=2) as client:
        cluster.run(client, _dies, shared, [(s, s) for s in ["ann", "bomb", "unlucky", "bo"]],
                    on_result=lambda key, value, error: got.setdefault(key, (value, error)))
    assert {k: v for k, (v, e) in got.items() if e is None} == {
        "ann": "ANN", "unlucky": "UNLUCKY", "bo": "BO"}
    error = got["bomb"][1]
    assert isinstance(error, cluster.WorkersLost) and (error.deaths, error.tries) == (2, 2)
    assert runner._why(error).startswith(
        "grader error: WorkersLost: the grading of this student stopped 2 workers in 2 tries")


@pytest.mark.slow
def test_ctrl_c_leaves_the_students_not_done_as_they_were(graded):
    """After Ctrl-C (SIGINT to the whole process group, as a terminal sends
    it) in the middle of a regrade, does grade exit 130 naming the students
    graded, are exactly those students' gradebook rows new, every other
    student's rows and autograded notebooks as before the run, and is no
    process of the run left?"""
    c = pipeline.Course(graded[0] / "spare")
    students = SUBSET
    before = gradebook_rows(c.root, students)
    notebooks = {sid: {p.name: p.read_bytes() for p in c.autograded(sid, AID).iterdir()}
                 for sid in students}
    # Each student submits again, later: a regrade changes every student's rows.
    for sid in students:
        (c.submitted(sid, AID) / "timestamp.txt").write_text("2026-12-07 10:00:00.000000 UTC")
    proc = grade_cli(c.root, "--jobs", "1", start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None and \
            gradebook_rows(c.root, students) == before:
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    children = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    after = gradebook_rows(c.root, students)
    changed = sorted(sid for sid in students if after[sid] != before[sid])
    assert 1 <= len(changed) < len(students)
    assert f"{len(changed)} of {len(students)} students graded" in err
    for sid in students:
        now = {p.name: p.read_bytes() for p in c.autograded(sid, AID).iterdir()}
        assert (now == notebooks[sid]) is (sid not in changed)
    deadline = time.monotonic() + 30
    while _alive(children) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(children)


def test_a_worker_without_the_sandbox_never_starts(tmp_path, loopback):
    """Does ``dask worker --preload cs231n.grading.cluster`` on a machine
    without bubblewrap exit, saying why, before it joins the scheduler?"""
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=venv_bin)            # no /usr/bin: no bwrap
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dask")), "worker", loopback.address,
         "--no-nanny", "--nthreads", "1", "--preload", cluster.PRELOAD],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == cluster.NO_SANDBOX_EXIT
    assert "refuses to start: bubblewrap is not installed" in proc.stderr
    assert "Registered to" not in proc.stderr


class _Client:
    def __init__(self, facts):
        self.facts = facts

    def run(self, fn):
        return self.facts


def test_an_unfit_worker_is_refused_before_the_run():
    """Does check_workers refuse a cluster with a worker that has another
    cs231n package or no sandbox, naming it, and accept fit workers?"""
    fit = dict(task.worker_facts(), host="fit")
    assert cluster.check_workers(_Client({"tcp://a:1": fit})) == {"tcp://a:1": fit}
    other = dict(fit, package="0" * 64, host="stale")
    bare = dict(fit, sandbox="bubblewrap is not installed", host="bare")
    with pytest.raises(cluster.ClusterError) as e:
        cluster.check_workers(_Client({"tcp://a:1": fit, "tcp://b:2": other,
                                       "tcp://c:3": bare}))
    assert "tcp://b:2 (stale) has another cs231n package" in str(e.value)
    assert "tcp://c:3 (bare) has no sandbox" in str(e.value)
    assert "tcp://a:1" not in str(e.value)


def test_a_task_for_another_package_is_refused(tmp_path):
    """Does a worker refuse to grade course files packed by another cs231n
    package (a worker that joined after the check)?"""
    files = task.CourseFiles(AID, b"", "0" * 64, 1, None, 1)
    slot = task.Slot()
    try:
        with pytest.raises(task.WorkerUnfit, match="differs from the instructor's"):
            slot.grade(files, task.Submission("sam", None))
    finally:
        slot.close()
    assert not slot.dir.exists()


def test_no_scheduler_is_a_clear_error(monkeypatch):
    """Does a --scheduler nobody answers at give a ClusterError naming it?"""
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3)
    port = _free_port()
    with pytest.raises(cluster.ClusterError, match=f"no Dask scheduler answers at "
                                                   f"tcp://127.0.0.1:{port}"):
        with cluster.connect(f"tcp://127.0.0.1:{port}"):
            pass


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_new_slot_removes_the_folders_of_dead_workers(tmp_path, monkeypatch):
    """Does a worker's first slot remove the slot folder a killed worker of
    the same user left, and keep those of workers still alive?"""
    monkeypatch.setattr(task.tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"cs231n-worker-{gone.pid}-abc"
    alive = tmp_path / f"cs231n-worker-{os.getpid()}-def"
    for folder in (dead, alive):
        (folder / "course").mkdir(parents=True)
    slot = task.Slot()
    try:
        assert not dead.exists() and alive.exists()
    finally:
        slot.close()


def _not_graded_here(files, submission):
    raise RuntimeError(f"{submission.student} not graded here")


@pytest.mark.slow
def test_a_submission_that_cannot_be_staged_costs_only_its_student(tmp_path, monkeypatch):
    """When staging one student's submission fails in the grader, is that
    student a grader error with the reason, and are the others still sent
    to the workers and reported?"""
    c = make_course(tmp_path / "course", {"ann": "correct", "bob": "correct"})
    real = task.pack_submission

    def pack(course_, aid, sid):
        if sid == "bob":
            raise OSError("the disk says no")
        return real(course_, aid, sid)
    monkeypatch.setattr(task, "pack_submission", pack)
    monkeypatch.setattr(task, "grade_task", _not_graded_here)
    run = runner.grade(AID, root=c.root, jobs=1, progress=False, seed=SEED, feedback=False)
    why = {r.student: r.why for r in run.results}
    assert why == {"bob": "grader error: OSError: the disk says no",
                   "ann": "grader error: RuntimeError: ann not graded here"}
