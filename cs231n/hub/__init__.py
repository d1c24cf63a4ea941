"""The course on a JupyterHub on one machine: ``cs231n-course hub`` (``make hub``).

    cs231n-course hub start [--students N] [--port P]   accounts, exchange, hub
    cs231n-course hub stop                              the hub and every process of its users
    cs231n-course hub status
    cs231n-course hub remove                            stop, then delete the accounts

Who is who:

- Every person is a real system user (``useradd``), logging in with the
  system password through PAM (JupyterHub's default authenticator).  The
  nbgrader exchange keeps students apart by Unix file ownership only: who
  owns a submission is who submitted it (``cs231n.hub.exchange``), and a
  home folder of mode 0700 is private.  An authenticator without system
  users (a shared account for everyone) would give that up.
- The instructor owns the course folder ``~/<course>/`` (a copy of
  ``solutions/`` and ``nbgrader_config.py``, with the gradebook): formgrader
  and ``cs231n-course grade`` run there, as the instructor.
- Students get nbgrader's assignment list and validate extensions only;
  formgrader, create-assignment and the course list are disabled in their
  own Jupyter configuration, as nbgrader's documentation does for a hub.

The hub's own state (its database, cookie secret, log, the accounts file
with the passwords, the settings ``jupyterhub_config.py`` reads) is in
``.hub/`` (git-ignored, readable by root only).  The exchange is nbgrader's
default ``/srv/nbgrader/exchange`` unless ``--exchange`` says otherwise.
"""
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..install import PACKAGE_ROOT

__all__ = ["HubError", "Settings", "prepare", "start", "stop", "status", "remove",
           "accounts_of", "leftover_processes", "remove_accounts"]

HERE = Path(__file__).resolve().parent
CONFIG_FILE = HERE / "jupyterhub_config.py"
# Accounts this course made carry this comment (GECOS): an existing user
# without it is never touched.
MARK = "cs231n hub account"
COURSE_ID = "cs231n-foundations"
# nbgrader's own default: its commands agree without configuration.
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"
START_TIMEOUT = 120
# What students of the course may read in the repository: the package and
# the environment their kernels run in.  Everything else there (solutions/,
# the sample corpus in tests/, demos, the hub's state) is closed to them.
OPEN_TO_STUDENTS = {".venv", "cs231n"}
# nbgrader's extensions: students keep the assignment list and validate.
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader",
                          "nbgrader.server_extensions.course_list"]
INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"]


class HubError(Exception):
    """The hub could not be set up, started or stopped; the message says why."""


@dataclass
class Settings:
    """Everything ``jupyterhub_config.py`` needs, written to
    ``<hub_dir>/settings.json`` by ``start``.

    Attributes
    ----------
    hub_dir : str
        The hub's state folder.
    prefix : str
        Prefix of the account names: ``<prefix>instructor``,
        ``<prefix>student1`` ... ``<prefix>student<N>``.
    students : int
        Number of student accounts.
    port : int
        The public port on 127.0.0.1 (the proxy); the hub and the proxy's
        API take the next two.
    exchange : str
        The nbgrader exchange folder.
    """
    hub_dir: str
    prefix: str = "cs231n-"
    students: int = 3
    port: int = 8000
    exchange: str = ""
    repo: str = str(PACKAGE_ROOT)
    python: str = sys.executable
    proxy: str = ""
    course_id: str = COURSE_ID
    extra: dict = field(default_factory=dict)

    @property
    def instructor(self):
        return f"{self.prefix}instructor"

    @property
    def student_names(self):
        return [f"{self.prefix}student{i}" for i in range(1, self.students + 1)]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def course_dir(self, home=None):
        """The instructor's course folder."""
        home = home or pwd.getpwnam(self.instructor).pw_dir
        return Path(home) / "cs231n"

    @classmethod
    def load(cls, hub_dir):
        path = Path(hub_dir) / "settings.json"
        if not path.is_file():
            raise HubError(f"no hub in {hub_dir}: {path} is missing (run `cs231n-course hub "
                           "start` first)")
        return cls(**json.loads(path.read_text()))


# ------------------------------------------------------------------ accounts

def accounts_of(settings):
    """``{name: password}`` of the hub's accounts, from its accounts file."""
    path = Path(settings.hub_dir) / "accounts.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _run(cmd, what, **kwargs):
    run = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if run.returncode != 0:
        raise HubError(f"{what} failed: {' '.join(map(str, cmd))}: "
                       f"{(run.stderr or run.stdout).strip()[-500:]}")
    return run


def ensure_accounts(settings):
    """Create the instructor and student accounts (or keep them), each with a
    private home (mode 0700) and a password kept in the accounts file.

    Raises
    ------
    HubError
        When not run as root, or a name is taken by a user this course did
        not make.
    """
    if os.geteuid() != 0:
        raise HubError("the hub makes system accounts and runs each person's server as that "
                       "person: run it as root (sudo make hub)")
    Path(settings.hub_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    path = Path(settings.hub_dir) / "accounts.json"
    known = accounts_of(settings)
    for name in [settings.instructor, *settings.student_names]:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            _run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
                  "--comment", MARK, name], f"creating the account {name}")
            entry = pwd.getpwnam(name)
            known.pop(name, None)
        if entry.pw_gecos != MARK:
            raise HubError(f"the user {name} exists and was not made by the course hub "
                           f"(its comment is {entry.pw_gecos!r}): choose another --prefix")
        os.chmod(entry.pw_dir, 0o700)
        if name not in known:
            known[name] = secrets.token_urlsafe(9)
            _run(["chpasswd"], f"setting the password of {name}",
                 input=f"{name}:{known[name]}\n")
    path.write_text(json.dumps(known, indent=1))
    os.chmod(path, 0o600)
    return known


def is_course_account(name):
    """Is ``name`` a system user this course made?"""
    try:
        return pwd.getpwnam(name).pw_gecos == MARK
    except KeyError:
        return False


def course_accounts(prefix):
    """Names of the system users this course made with ``prefix``."""
    return sorted(u.pw_name for u in pwd.getpwall()
                  if u.pw_gecos == MARK and u.pw_name.startswith(prefix))


def remove_accounts(prefix):
    """Delete the course's accounts with ``prefix``, their homes included."""
    for name in course_accounts(prefix):
        _kill_user(name)
        _run(["userdel", "--remove", name], f"removing the account {name}")


# ------------------------------------------------------------------ course files

# Run as the user whose home it writes in (see _write_as).
_WRITE_FILES = """
import json, os, sys
for path, text in json.load(sys.stdin).items():
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
"""


def _write_as(owner, files):
    """Write ``files`` (``{path: text}``) as the user ``owner``: a person
    controls their own home, and a link they made there must never lead a
    write of root's elsewhere (``~/.jupyter`` pointing at ``/etc``)."""
    run = subprocess.run([sys.executable, "-I", "-c", _WRITE_FILES], input=json.dumps(files),
                         text=True, capture_output=True, user=owner.pw_uid,
                         group=owner.pw_gid, extra_groups=[], cwd=owner.pw_dir,
                         env={"HOME": owner.pw_dir, "PATH": "/usr/bin:/bin"})
    if run.returncode != 0:
        # Their own doing (a link to where they may not write, a full disk):
        # said, and the hub starts for everyone else.
        tail = (run.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"warning: the Jupyter configuration of {owner.pw_name} was not written "
              f"({tail[:300]}): their server starts without it")


def _own_folder(path, owner, mode):
    """Make ``path`` a folder of ``owner`` with ``mode``, or check that it is
    one: a link, or a folder someone else made (in the world-writable
    exchange), is refused, never followed."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (owner.pw_uid, 0):
        raise HubError(f"{path} is not a folder of {owner.pw_name} (a link, or made by uid "
                       f"{info.st_uid}): remove it and start again")
    os.chown(path, owner.pw_uid, owner.pw_gid)
    os.chmod(path, mode)


def _chown_tree(top, owner):
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, owner.pw_uid, owner.pw_gid)


def _jupyter_config(home, owner, *, instructor, nbgrader_lines):
    """A person's own Jupyter configuration: nbgrader's exchange, and for a
    student the instructor's extensions disabled (what ``jupyter
    labextension disable --level=user`` and ``jupyter server extension
    disable --user`` write)."""
    jupyter = Path(home) / ".jupyter"
    server = {name: instructor for name in INSTRUCTOR_ONLY_SERVER}
    lab = {name: not instructor for name in INSTRUCTOR_ONLY_LAB}
    # No "get notified about Jupyter news?" popup: the servers do not fetch
    # news (jupyterhub_config.py), and a class has no use for the question.
    lab["@jupyterlab/apputils-extension:announcements"] = True
    _write_as(owner, {
        str(jupyter / "jupyter_server_config.json"):
            json.dumps({"ServerApp": {"jpserver_extensions": server}}, indent=1),
        str(jupyter / "labconfig" / "page_config.json"):
            json.dumps({"disabledExtensions": lab}, indent=1),
        str(jupyter / "nbgrader_config.py"):
            "c = get_config()  # noqa: F821\n" + "".join(f"{line}\n" for line in nbgrader_lines),
    })


def setup_course(settings):
    """The exchange, the instructor's course folder and everyone's Jupyter
    configuration.

    The exchange root is world-writable as nbgrader requires, with the
    sticky bit so that nobody renames what another made; the course's inbound
    folder is write-only for students (0733, sticky too), so that nobody
    lists or replaces another's submission.  The course folder is filled
    from ``solutions/`` once: the instructor's later changes stay.
    """
    exchange = Path(settings.exchange)
    exchange.parent.mkdir(parents=True, exist_ok=True)
    _own_folder(exchange, pwd.getpwuid(0), 0o1777)
    teacher = pwd.getpwnam(settings.instructor)
    course = exchange / settings.course_id
    for folder, mode in [(course, 0o755), (course / "outbound", 0o755),
                         (course / "inbound", 0o3733), (course / "feedback", 0o711)]:
        _own_folder(folder, teacher, mode)
    course_dir = settings.course_dir(teacher.pw_dir)
    try:
        # Made by root, so nobody writes in it while it is filled.
        os.mkdir(course_dir, 0o700)
    except FileExistsError:
        pass
    else:
        repo = Path(settings.repo)
        shutil.copytree(repo / "solutions", course_dir / "solutions",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        shutil.copy(repo / "nbgrader_config.py", course_dir / "nbgrader_config.py")
        _chown_tree(course_dir, teacher)
    common = [f"c.Exchange.root = {str(exchange)!r}",
              f"c.CourseDirectory.course_id = {settings.course_id!r}"]
    _jupyter_config(teacher.pw_dir, teacher, instructor=True,
                    nbgrader_lines=common + [f"c.CourseDirectory.root = {str(course_dir)!r}"])
    for name in settings.student_names:
        entry = pwd.getpwnam(name)
        _jupyter_config(entry.pw_dir, entry, instructor=False, nbgrader_lines=common)


def close_repository(repo):
    """Close the repository to other users but for what students' servers
    need (``OPEN_TO_STUDENTS``): the folder itself becomes traversable only,
    every other entry loses its permissions for group and others.  Git keeps
    no folder modes, so nothing shows in ``git status``.  Returns the entries
    closed."""
    repo = Path(repo)
    closed = []
    os.chmod(repo, stat.S_IMODE(repo.stat().st_mode) & ~0o066 | 0o011)
    for entry in repo.iterdir():
        if entry.name in OPEN_TO_STUDENTS or entry.is_symlink():
            continue
        mode = stat.S_IMODE(entry.stat().st_mode)
        if mode & 0o077:
            os.chmod(entry, mode & ~0o077)
            closed.append(entry.name)
    return closed


def open_path_to(path):
    """Make every folder above ``path`` traversable by others (o+x, never
    o+r: nobody can list them), so that students' servers can run the
    course's Python.  Needed when Python lives in a closed home, as pyenv's
    in ``/root`` does; a server with Python in ``/usr`` or ``/opt`` changes
    nothing.  Returns the folders opened."""
    opened = []
    for folder in reversed(Path(path).resolve().parents):
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not mode & 0o001:
            os.chmod(folder, mode | 0o001)
            opened.append(str(folder))
    return opened


def prepare(settings):
    """Everything but the hub process: the accounts, the exchange and the
    course, the repository closed to students, the course's Python open to
    them.  Prints what it changed outside the hub's own folders."""
    ensure_accounts(settings)
    # First: setup_course writes in each home as its owner, with this Python.
    for folder in open_path_to(os.path.realpath(settings.python)):
        print(f"opened {folder} for traversal by others (o+x, no listing): the students' "
              "servers run the course's Python below it")
    setup_course(settings)
    close_repository(settings.repo)


# ------------------------------------------------------------------ processes

def _free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _running(pid):
    """True while ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def free_port(span=3):
    """A port P on 127.0.0.1 with P .. P+span-1 free (the hub takes three):
    for a hub beside others, as the tests start theirs."""
    for _ in range(200):
        port = 20000 + secrets.randbelow(30000)
        if all(_free(p) for p in range(port, port + span)):
            return port
    raise HubError(f"no {span} free ports in a row on 127.0.0.1")


def _pid(hub_dir):
    try:
        pid = int((Path(hub_dir) / "jupyterhub.pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if _running(pid) else None


def find_proxy():
    """``configurable-http-proxy`` installed by ``make hub`` (npm, from
    ``cs231n/hub/package.json``) into ``.hub/proxy``, else one on PATH."""
    local = PACKAGE_ROOT / ".hub" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    found = local if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise HubError("configurable-http-proxy is not installed: run `make hub` (it installs "
                       "it with npm from cs231n/hub/package.json)")
    return str(found)


def start(settings, *, wait=START_TIMEOUT):
    """Set up accounts, exchange and course, start JupyterHub in the background
    and wait until it answers.

    Returns
    -------
    seconds : float
        From starting the hub process until its API answered.

    Raises
    ------
    HubError
        When a port is taken, the hub is running already, or it does not
        answer within ``wait`` seconds (the end of its log is in the message).
    """
    hub_dir = Path(settings.hub_dir)
    hub_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(hub_dir, 0o700)
    if _pid(hub_dir):
        raise HubError(f"a hub is running already from {hub_dir} (pid {_pid(hub_dir)}): "
                       "`cs231n-course hub stop` first")
    settings.exchange = settings.exchange or DEFAULT_EXCHANGE
    settings.proxy = settings.proxy or find_proxy()
    for port in (settings.port, settings.port + 1, settings.port + 2):
        if not _free(port):
            raise HubError(f"port {port} on 127.0.0.1 is taken: choose another --port "
                           "(the hub uses it and the next two)")
    prepare(settings)
    (hub_dir / "settings.json").write_text(json.dumps(asdict(settings), indent=1))
    log = open(hub_dir / "jupyterhub.log", "ab")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(CS231N_HUB_DIR=str(hub_dir),
               PATH=os.pathsep.join([str(Path(settings.python).parent), env.get("PATH", "")]))
    began = time.monotonic()
    proc = subprocess.Popen([str(Path(settings.python).parent / "jupyterhub"),
                             "-f", str(CONFIG_FILE)],
                            cwd=hub_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    api = f"{settings.url}hub/api/"
    while time.monotonic() - began < wait:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(api, timeout=5) as answer:
                if answer.status == 200:
                    return time.monotonic() - began
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    tail = (hub_dir / "jupyterhub.log").read_text(errors="replace").splitlines()[-15:]
    stop(settings)
    raise HubError("the hub did not answer at {} within {} s:\n{}".format(
        api, wait, "\n".join(tail)))


def _processes_of(uids):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids and _running(entry.name):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _kill_user(name):
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for pid in _processes_of({uid}):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def leftover_processes(settings):
    """Pids still running of the hub, its proxy and its users."""
    uids = set()
    for name in [settings.instructor, *settings.student_names]:
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    pids = _processes_of(uids)
    hub_dir = str(Path(settings.hub_dir).resolve())
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cwd").resolve() == Path(hub_dir) and _running(entry.name):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return sorted(set(pids) - {os.getpid()})


def stop(settings, *, wait=30):
    """Stop the hub (it stops the single-user servers and the proxy), then
    end whatever of its own is still running: the users' processes and the
    proxy.  Returns the pids that had to be killed."""
    pid = _pid(settings.hub_dir)
    if pid:
        os.killpg(pid, signal.SIGTERM)
        # The hub deletes its pid file before it has quite ended: wait for
        # the process itself.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.2)
    killed = leftover_processes(settings)
    for left in killed:
        try:
            os.kill(left, signal.SIGKILL)
        except OSError:
            pass
    for name in ("jupyterhub.pid", "proxy.pid"):
        with_pid = Path(settings.hub_dir) / name
        if with_pid.exists():
            with_pid.unlink()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and leftover_processes(settings):
        time.sleep(0.1)
    return killed


def status(settings):
    """One line: running or not, and where."""
    pid = _pid(settings.hub_dir)
    if pid:
        return f"hub running (pid {pid}) at {settings.url}"
    return "hub not running"


def remove(settings):
    """Stop the hub and delete its accounts (homes included) and state."""
    stop(settings)
    remove_accounts(settings.prefix)
    for folder in (settings.exchange, settings.hub_dir):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
