"""The course hub (``cs231n.hub``): accounts, roles, the nbgrader exchange, and
what one student can do to another or to the grader.

Each person is a system user here, as on the hub: the test makes the
accounts ``t231c-instructor``, ``t231c-student1`` and ``t231c-student2``
(root only; under CI it must run), runs nbgrader's commands as them, the
way their JupyterLab's buttons run them, and removes the accounts at the
end.  The whole cycle through a browser is ``test_hub_browser.py``.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cs231n import hub
from cs231n.course import samples_command

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
AID = "a1_linear"
PREFIX = "t231c-"
BIN = Path(sys.executable).parent
TIME = "%Y-%m-%d %H:%M:%S.%f UTC"

if os.geteuid() != 0:
    if os.environ.get("CI"):
        raise RuntimeError("the hub tests make system accounts: CI must run them as root")
    pytest.skip("the hub tests make system accounts: run them as root", allow_module_level=True)


def as_user(name, *cmd, cwd=None, check=True, **kwargs):
    """Run ``cmd`` as ``name``, with a clean environment (that person's own
    home and Jupyter configuration), as their JupyterLab would."""
    home = f"/home/{name}"
    env = ["env", "-i", f"HOME={home}", f"USER={name}", f"LOGNAME={name}",
           f"PATH={BIN}:/usr/bin:/bin", "LANG=C.UTF-8"]
    run = subprocess.run(["runuser", "-u", name, "--", *env, *map(str, cmd)],
                         cwd=cwd or home, capture_output=True, text=True, **kwargs)
    if check and run.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} as {name} failed:\n"
                             f"{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    return run


@pytest.fixture(scope="module")
def course():
    """The accounts, the exchange and the course of a hub, set up by
    ``hub.prepare``; a released a1 fetched by both students."""
    base = Path(tempfile.mkdtemp(prefix="cs231n-hubc-"))
    os.chmod(base, 0o755)
    settings = hub.Settings(hub_dir=str(base / "state"), prefix=PREFIX, students=2,
                            port=hub.free_port(), exchange=str(base / "exchange"), repo=str(ROOT))
    hub.remove_accounts(PREFIX)   # a crashed run's leftovers
    try:
        hub.prepare(settings)
        settings.extra = {"base": str(base)}
        yield settings
    finally:
        hub.stop(settings)
        hub.remove_accounts(PREFIX)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def names(course):
    teacher = course.instructor
    one, two = course.student_names
    return teacher, one, two


@pytest.fixture(scope="module")
def released(course, names):
    teacher = names[0]
    folder = course.course_dir()
    as_user(teacher, "nbgrader", "generate_assignment", AID, cwd=folder)
    as_user(teacher, "nbgrader", "release_assignment", AID, cwd=folder)
    for student in names[1:]:
        as_user(student, "nbgrader", "fetch_assignment", AID)
    return folder


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    dest = tmp_path_factory.mktemp("samples")
    samples_command(AID, dest=dest, root=ROOT, every=False)
    return dest


def fill(student, sample, samples):
    """``student``'s copy of a1 gets the notebooks of a sample submission."""
    folder = Path(f"/home/{student}/{AID}")
    for nb in (samples / sample / AID).glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
        shutil.chown(folder / nb.name, student, student)


def inbound(course):
    return Path(course.exchange) / course.course_id / "inbound"


def submissions_of(course, student):
    return sorted(p for p in inbound(course).iterdir() if p.name.startswith(student + "+"))


def test_accounts_are_private_and_marked(course, names):
    """Is every account the course's own (marked), with a private home and a
    password that logs in through PAM?"""
    import pamela
    accounts = hub.accounts_of(course)
    assert sorted(accounts) == sorted(names)
    for name in names:
        assert hub.is_course_account(name), name
        assert oct(os.stat(f"/home/{name}").st_mode & 0o777) == "0o700", name
        pamela.authenticate(name, accounts[name], service="login")
        with pytest.raises(pamela.PAMError):
            pamela.authenticate(name, accounts[name] + "x", service="login")


def test_existing_user_is_never_taken_over(course):
    """A user the course did not make is refused, not reused."""
    taken = hub.Settings(hub_dir=course.hub_dir, prefix="t231x-", students=0)
    assert subprocess.run(["id", taken.instructor], capture_output=True).returncode != 0
    subprocess.run(["useradd", "--no-create-home", taken.instructor], check=True)
    try:
        with pytest.raises(hub.HubError, match="not made by the course hub"):
            hub.ensure_accounts(taken)
        assert not hub.is_course_account(taken.instructor)
    finally:
        subprocess.run(["userdel", taken.instructor], check=True)


def test_students_cannot_read_what_is_not_theirs(course, names, released):
    """A student reads neither the solutions (course folder, repository,
    sample corpus), nor the gradebook, nor another student's home."""
    _, one, two = names
    secrets_ = [released / "gradebook.db", released / "solutions" / AID / "svm.ipynb",
                ROOT / "solutions" / AID / "svm.ipynb", ROOT / "tests" / "variants" / f"{AID}.py",
                Path(f"/home/{one}/{AID}/svm.ipynb")]
    for path in secrets_:
        assert path.exists(), path
        run = as_user(two, "cat", path, check=False)
        assert run.returncode != 0 and "Permission denied" in run.stderr, path
    # What the students' servers need stays readable.
    as_user(two, sys.executable, "-c", "import cs231n.checks, nbgrader")
    for folder in (inbound(course), inbound(course).parent / "feedback"):
        run = as_user(two, "ls", folder, check=False)
        assert run.returncode != 0 and "Permission denied" in run.stderr, folder


def test_a_student_cannot_submit_for_another(course, names, released, samples):
    """Ways to submit under another's name, all refused at collect; the
    real submission is the one graded."""
    teacher, one, two = names
    fill(one, "correct", samples)
    as_user(one, "nbgrader", "submit", AID)
    real = submissions_of(course, one)
    assert len(real) == 1
    fill(two, "bug-svm-no-reg-in-loss", samples)
    # nbgrader's own option...
    as_user(two, "nbgrader", "submit", AID, f"--student={one}")
    # ...and a folder made by hand, newer than anything else.
    later = (datetime.now(timezone.utc) + timedelta(days=1)).strftime(TIME)
    forged = inbound(course) / f"{one}+{AID}+{later}+forged"
    as_user(two, "cp", "-r", f"/home/{two}/{AID}", forged)
    # A name with no time in it stopped nbgrader's own collect for everyone.
    as_user(two, "mkdir", inbound(course) / f"{one}+{AID}+not-a-time+x")
    assert len(submissions_of(course, one)) == 4
    run = as_user(teacher, "nbgrader", "collect", AID, cwd=released)
    assert run.stderr.count("Refused") == 3, run.stderr
    got = released / "submitted" / one / AID
    assert (got / "timestamp.txt").read_text() == (real[0] / "timestamp.txt").read_text()
    assert (got / "svm.ipynb").read_bytes() == (real[0] / "svm.ipynb").read_bytes()


def test_links_in_a_submission_are_not_followed(course, names, released):
    """A submission holding links (to the gradebook, to /dev/zero) is
    collected without them, and collect ends."""
    teacher, _, two = names
    as_user(two, "nbgrader", "submit", AID)
    mine = submissions_of(course, two)[-1]
    as_user(two, "ln", "-s", released / "gradebook.db", mine / "gradebook.db")
    as_user(two, "ln", "-s", "/dev/zero", mine / "zero.ipynb")
    run = as_user(teacher, "nbgrader", "collect", "--update", AID, cwd=released, timeout=120)
    got = released / "submitted" / two / AID
    assert (got / "svm.ipynb").is_file()
    assert not (got / "gradebook.db").exists() and not (got / "zero.ipynb").exists()
    assert run.stderr.count("Skipped") == 2, run.stderr


def test_late_is_late_whatever_the_student_writes(course, names, released, samples):
    """After the due date a submission is graded and flagged late, even when
    the student rewrites its timestamp.txt to a time before the due date."""
    teacher, one, two = names
    # Due now: every submission so far was on time.
    due = datetime.now(timezone.utc) - timedelta(seconds=1)
    as_user(teacher, "nbgrader", "db", "assignment", "add", AID,
            f"--duedate={due.strftime(TIME)}", cwd=released)
    fill(two, "bug-svm-no-reg-in-loss", samples)
    as_user(two, "nbgrader", "submit", AID)
    mine = submissions_of(course, two)[-1]
    early = (due - timedelta(hours=1)).strftime(TIME)
    as_user(two, "sh", "-c", f"echo '{early}' > '{mine}/timestamp.txt'")
    as_user(teacher, "nbgrader", "collect", "--update", AID, cwd=released)
    stamp = (released / "submitted" / two / AID / "timestamp.txt").read_text()
    assert stamp.strip() != early and stamp > due.strftime(TIME), stamp


BUSY_SANDBOX = """
import os, resource, subprocess, threading
from cs231n.grading import sandbox, supervise
# The instructor is busy: more tasks than a sandbox may have (its Jupyter
# server, the grader's threads, other students' sandboxes).
stop = threading.Event()
threads = [threading.Thread(target=stop.wait) for _ in range(2 * sandbox.Limits().processes)]
for t in threads:
    t.start()
policy = sandbox.Policy(limits=sandbox.Limits(processes=16))
run = supervise.run(["-c", "print(6 * 7)"], policy, timeout=60)
stop.set()
print("busy:", run.returncode, run.stdout.decode().strip(), run.stderr.decode()[-300:])

# The machine refuses the sandbox any new process: bubblewrap fails, and says so.
def no_more_tasks():
    n = sandbox.user_tasks()
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))

# (numpy, imported by the launcher, starts no BLAS threads then.)
proc = subprocess.run(sandbox.launcher_argv(policy, ["-c", "print(6 * 7)"]),
                      capture_output=True, preexec_fn=no_more_tasks, timeout=60,
                      env=dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"))
run = supervise.RunResult(proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
print("refused:", run.returncode, run.sandbox_failed(), run.stderr.decode()[-300:])
"""


def test_sandbox_for_a_busy_instructor(names):
    """As the instructor (not root), a sandbox starts although the
    instructor runs more tasks than it may (RLIMIT_NPROC counts them all);
    when the machine refuses bubblewrap a process, the failure is told apart
    from the student's code."""
    # In the instructor's home: a sandbox's working folder gets a tmpfs of its
    # own, which in /tmp would hide a virtualenv that lives there (a CI clone).
    run = as_user(names[0], sys.executable, "-c", BUSY_SANDBOX)
    lines = dict(line.split(": ", 1) for line in run.stdout.splitlines() if ": " in line)
    assert lines["busy"].startswith("0 42"), run.stdout
    assert lines["refused"].startswith("1 True"), run.stdout


@pytest.fixture(scope="module")
def graded(course, names, released):
    """``cs231n-course grade`` as the instructor (not root), on what was
    collected: the sandbox, the integrity pass, the report."""
    teacher = names[0]
    run = as_user(teacher, BIN / "cs231n-course", "grade", AID, "--no-progress", "--jobs", "2",
                  cwd=released, timeout=1200)
    return run.stdout


def test_grading_as_the_instructor(names, graded, released):
    """Full marks for the right submission, the bug's cell lost for the
    other, which is flagged late; no grader error, nothing flagged tampered."""
    _, one, two = names
    rows = {line.split()[0]: line for line in graded.splitlines()
            if line.startswith(PREFIX)}
    assert re.search(r"\b23 / 23\b.*\bgraded\b", rows[one]), graded
    assert re.search(r"\b20 / 23\b.*\bgraded\b.*\blate\b", rows[two]), graded
    assert "late" not in rows[one] and "tampered" not in graded and "grader error" not in graded
    report = json.loads((released / "reports" / AID / "report.json").read_text())
    assert {r["student"] for r in report} == {one, two}


def test_feedback_reaches_its_student_only(course, names, released, graded):
    """Feedback released by the instructor is fetched by each student, shows
    their own score, no hidden test, and is unreadable to the other."""
    from types import SimpleNamespace

    from cs231n.grading.report import hidden_test_leaks
    teacher, one, two = names
    as_user(teacher, "nbgrader", "generate_feedback", AID, "--force", cwd=released,
            timeout=600)
    as_user(teacher, "nbgrader", "release_feedback", AID, cwd=released)
    report = {r["student"]: r for r in
              json.loads((released / "reports" / AID / "report.json").read_text())}
    pages = {}
    for student in (one, two):
        as_user(student, "nbgrader", "fetch_feedback", AID)
        found = sorted(Path(f"/home/{student}/{AID}/feedback").glob("*/svm.html"))
        assert len(found) == 1, found
        pages[student] = found[0]
        cells = [c for c in report[student]["cells"] if c["notebook"] == "svm.ipynb"]
        score = sum(c["points"] or 0 for c in cells)
        top = sum(c["max"] for c in cells)
        assert f"svm (Score: {score:.1f} / {top:.1f})" in found[0].read_text(), student
        assert hidden_test_leaks(SimpleNamespace(root=released), AID, found[0].parent) == []
    assert pages[one].read_text() != pages[two].read_text()
    run = as_user(two, "cat", pages[one], check=False)
    assert run.returncode != 0 and "Permission denied" in run.stderr


def test_hub_roles_and_clean_stop(course, names):
    """Through the hub: a student's JupyterLab has no formgrader (server
    extension gone, lab extensions disabled), the instructor's has it; a
    student cannot open another's server; stopping leaves no process."""
    import requests
    try:
        hub.find_proxy()
    except hub.HubError as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(e))
    seconds = hub.start(course)
    accounts = hub.accounts_of(course)
    base = course.url.rstrip("/")

    def login(name):
        s = requests.Session()
        s.get(f"{base}/hub/login", timeout=30)
        xsrf = [c.value for c in s.cookies if c.name == "_xsrf"][-1]
        s.post(f"{base}/hub/login", data={"username": name, "password": accounts[name],
                                          "_xsrf": xsrf}, timeout=180)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            r = s.get(f"{base}/user/{name}/lab", timeout=30)
            if r.status_code == 200 and "jupyter-config-data" in r.text:
                return s, r.text
            time.sleep(1)
        raise AssertionError(f"{name}'s server did not start: {r.status_code}")

    try:
        teacher, one, two = names
        s_one, lab = login(one)
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>',
                                      lab, re.S).group(1))
        assert set(hub.INSTRUCTOR_ONLY_LAB) <= set(config["disabledExtensions"])
        assert s_one.get(f"{base}/user/{one}/formgrader", timeout=30).status_code == 404
        assert s_one.get(f"{base}/user/{one}/assignments?course_id={course.course_id}",
                         timeout=30).json()["success"]
        login(two)
        for path in ("api/contents", "lab", f"files/{AID}/svm.ipynb"):
            other = s_one.get(f"{base}/user/{two}/{path}", timeout=30)
            assert other.status_code == 403, (path, other.status_code, other.url)
        s_teacher, lab = login(teacher)
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>',
                                      lab, re.S).group(1))
        assert not set(hub.INSTRUCTOR_ONLY_LAB) & set(config.get("disabledExtensions", []))
        page = s_teacher.get(f"{base}/user/{teacher}/formgrader", timeout=60)
        assert page.status_code == 200 and "nbgrader" in page.text
        running = hub.leftover_processes(course)
        assert len(running) >= 3, running   # hub, proxy, two servers at least
    finally:
        hub.stop(course)
    assert hub.leftover_processes(course) == []
    assert seconds < hub.START_TIMEOUT


def test_a_link_in_a_home_leads_no_write_elsewhere(course, names, capsys):
    """A student who turns ~/.jupyter into a link to a folder of root's gets
    nothing written there when the hub is set up again (root writes in a
    home as its owner), and the hub still starts for the others."""
    two = names[2]
    target = Path(course.extra["base"]) / "roots-folder"
    target.mkdir(mode=0o755)
    home = Path(f"/home/{two}")
    saved = home / "jupyter-saved"
    as_user(two, "mv", home / ".jupyter", saved)
    as_user(two, "ln", "-s", target, home / ".jupyter")
    try:
        hub.prepare(course)
        assert list(target.iterdir()) == []
        assert f"the Jupyter configuration of {two} was not written" in capsys.readouterr().out
        assert (Path(f"/home/{names[1]}") / ".jupyter" / "nbgrader_config.py").is_file()
    finally:
        (home / ".jupyter").unlink()
        as_user(two, "mv", saved, home / ".jupyter")
