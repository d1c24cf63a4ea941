"""The isolation layer of the grading pipeline: student code in a bubblewrap sandbox.

Every piece of student code the grader executes (the Jupyter kernel of an
``nbgrader autograde`` run, an integrity worker calling graded functions)
runs in a process started through this module::

    python -I -m cs231n.grading.sandbox --policy POLICY -- -m ipykernel_launcher -f FILE
    python -I -m cs231n.grading.sandbox --policy POLICY -- -m cs231n.grading.worker ...

(the grader starts it as ``python -I -c ...`` with this package's folder
first on the path: the launcher, and the guest after it, run the grader's
own copy of the package).  That *launcher* runs outside the sandbox: it sets
the resource limits, joins a cgroup and replaces itself with ``bwrap``
(Debian's ``bubblewrap``, the sandbox of Flatpak), which starts the target
in a *guest* Python.  What the
guest sees is decided by bubblewrap, not by anything that runs in it:

- its own mount, PID, IPC, UTS, network, cgroup and user namespaces, no
  capabilities, no new user namespaces; it dies with the grader
  (``--die-with-parent``: the guest's PID 1 gets SIGKILL, and with it every
  process of the namespace);
- an allow-list view of the filesystem: the system's ``/usr`` (and its
  ``/lib`` and ``/bin`` links), the interpreter and the virtualenv, the
  ``cs231n`` package, all read-only; a private ``/tmp`` and a private working
  folder, both size-limited tmpfs that vanish with the process, holding
  read-only copies (bind mounts) of the files the policy gives it; for a
  kernel, the private folder of its own IPC sockets.  Nothing else exists
  there: no other student, no other assignment, no ``solutions/``, no
  gradebook, no other copy of the course, no ``/sys``, no host ``/proc``;
- no network but its own loopback: a kernel talks to the grader over IPC
  (Unix sockets in a folder only it and the grader see);
- an empty environment but for :data:`PASSED_ENV` and what the sandbox sets.

Around it stay the rlimits (CPU seconds, address space, file size, open
files, no core dumps) and, where the machine lets the grader make them,
cgroups for processes and memory (as root, ``RLIMIT_NPROC`` is not enforced:
the pids cgroup is what stops a fork bomb).

Inside, the guest arms a small audit hook (``cs231n.grading.guest.tell``)
before the target runs.  It is not a defence: it refuses to start processes
(a clear ``PermissionError`` instead of a fork bomb against the pids limit)
and writes one JSON line per attempt to reach the course's folders or the
network to the violations log, so that the report can say what a student
tried.  Code that gets around it (ctypes, C extensions) meets bubblewrap all
the same.  ``cs231n.grading.supervise`` starts a sandboxed process and
reports how it ended.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..install import PACKAGE_ROOT

__all__ = [
    "Limits", "Policy", "SandboxUnavailable", "KERNEL_NAME", "POLICY_ENV", "PASSED_ENV",
    "require", "bwrap_argv", "launcher_argv", "kernel_spec", "kernel_env", "read_violations",
    "describe_violations", "kernel_violations_log", "cleanup_stale_cgroups", "main",
]

KERNEL_NAME = "cs231n-sandbox"
KERNEL_DISPLAY_NAME = "Python 3 (cs231n grading sandbox)"
POLICY_ENV = "CS231N_SANDBOX_POLICY"     # kernel_env: the policy file of the next kernel
GUEST = Path(__file__).with_name("guest")   # the guest's package: it runs as a folder
BWRAP = "bwrap"
_CGROUP_PREFIX = "cs231n-"
PARENT_ENV = "CS231N_SANDBOX_PARENT"    # the launcher's parent (jupyter_client: JPY_PARENT_PID)

# Variables of the grader's environment that reach student code (nothing
# secret: thread counts, OpenBLAS's CPU workaround, nbgrader's marker).
PASSED_ENV = ("NBGRADER_EXECUTION", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MPLBACKEND",
              "LANG", "LC_ALL")
# Read-only system files a Python process needs (the dynamic loader's cache,
# the time zone); every other file of /etc stays out.
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot make namespaces here: no student code may run."""


# ------------------------------------------------------------------ policy

@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process (and everything it starts).

    Parameters
    ----------
    cpu_seconds : int
        RLIMIT_CPU: SIGXCPU after this many CPU seconds, SIGKILL one later.
        For a kernel that is the CPU time of the whole notebook.
    memory_bytes : int
        RLIMIT_AS, and the memory cgroup's limit when there is one.
    file_bytes : int
        RLIMIT_FSIZE: largest file the process may write.
    processes : int
        Tasks (processes and threads) of the pids cgroup; RLIMIT_NPROC.
    open_files : int
        RLIMIT_NOFILE.
    output_bytes : int
        Captured stdout and stderr kept per stream; the rest is drained and
        dropped (``RunResult.output_truncated``).
    scratch_bytes : int
        Size of each private tmpfs (``/tmp`` and the working folder).
    threads : int or None
        BLAS and OpenMP threads of the guest (None: as the grader's
        environment says); one when several sandboxes share the cores.
    """
    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024 ** 3
    file_bytes: int = 16 * 1024 ** 2
    processes: int = 32
    open_files: int = 256
    output_bytes: int = 1024 ** 2
    scratch_bytes: int = 64 * 1024 ** 2
    threads: int | None = None

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.name == "threads":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class Policy:
    """What one sandboxed process sees.

    Parameters
    ----------
    workdir : Path or None
        Its working folder.  Inside, the path holds a fresh tmpfs; the regular
        files directly in the real folder (not notebooks: during autograde they
        hold the hidden tests) appear there read-only.  None means the folder
        the launcher was started in (a kernel started by Jupyter in the
        notebook's folder).
    watch : tuple of Path
        Folders whose paths the audit hook reports when student code tries
        them (the course root): they do not exist in the sandbox, but the
        report says who looked.
    limits : Limits
    violations_log : Path or None
        Where the guest appends its JSON lines.  ``start`` makes one per run;
        a kernel whose policy came from a file logs to
        ``<policy file>.violations.jsonl`` when this is None.
    tell : bool
        Arm the audit hook in the guest (tests switch it off to show that
        bubblewrap holds on its own).
    shown : tuple of Path
        Notebooks shown read-only in the working folder under their own
        names: the student's submitted notebooks that a later one builds on
        (``Assignment.uses``; their files as staged, without hidden tests).
    """
    workdir: Path | None = None
    watch: tuple = ()
    limits: Limits = field(default_factory=Limits)
    violations_log: Path | None = None
    tell: bool = True
    shown: tuple = ()

    def __post_init__(self):
        def absolute(p):
            return Path(os.path.abspath(os.fspath(p)))
        if self.workdir is not None:
            object.__setattr__(self, "workdir", absolute(self.workdir))
        if isinstance(self.watch, (str, os.PathLike)):
            raise TypeError("Policy.watch must be a sequence of paths, not one path")
        object.__setattr__(self, "watch", tuple(absolute(p) for p in self.watch))
        if not isinstance(self.limits, Limits):
            raise TypeError(f"Policy.limits must be a Limits, got {type(self.limits).__name__}")
        if self.violations_log is not None:
            object.__setattr__(self, "violations_log", absolute(self.violations_log))
        if not isinstance(self.tell, bool):
            raise TypeError(f"Policy.tell must be a bool, got {self.tell!r}")
        if isinstance(self.shown, (str, os.PathLike)):
            raise TypeError("Policy.shown must be a sequence of paths, not one path")
        object.__setattr__(self, "shown", tuple(absolute(p) for p in self.shown))

    def to_json(self):
        """The policy as a JSON string (``Policy.from_json`` reads it back)."""
        return json.dumps({
            "workdir": None if self.workdir is None else str(self.workdir),
            "watch": [str(p) for p in self.watch],
            "limits": dataclasses.asdict(self.limits),
            "violations_log": None if self.violations_log is None else str(self.violations_log),
            "tell": self.tell, "shown": [str(p) for p in self.shown]}, indent=1)

    @classmethod
    def from_json(cls, text):
        """Inverse of ``to_json``; unknown keys raise ``ValueError``."""
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("a sandbox policy is a JSON object")
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in sandbox policy")
        limits = d.get("limits") or {}
        unknown = set(limits) - {f.name for f in dataclasses.fields(Limits)}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in sandbox limits")
        d["limits"] = Limits(**limits)
        d["watch"] = tuple(d.get("watch") or ())
        d["shown"] = tuple(d.get("shown") or ())
        return cls(**d)


# ------------------------------------------------------------------ limits

# Tasks a non-root grader's other sandboxes may start after this one: see
# apply_limits.
PARALLEL_TASKS = 256


def apply_limits(limits):
    """Set the rlimits of ``limits`` on this process (inherited by the sandbox).

    The hard CPU limit is one second above the soft one, so a process that
    ignores SIGXCPU is killed.
    """
    import resource
    # RLIMIT_NPROC counts every task of the user, not of this process: as an
    # instructor (not root), the grader's own processes, other students'
    # sandboxes and the instructor's Jupyter server count too, and a limit of
    # ``processes`` would stop bubblewrap from forking at all.  The limit is
    # then ``processes`` beyond what the user runs now, with room for the
    # sandboxes started in parallel after this one (a looser bound than
    # root's pids cgroup, which counts this sandbox alone).
    tasks = limits.processes
    if os.geteuid() != 0:
        tasks += user_tasks() + PARALLEL_TASKS
    for which, soft, hard in [
            (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1),
            (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
            (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
            (resource.RLIMIT_NPROC, tasks, tasks),
            (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
            (resource.RLIMIT_CORE, 0, 0)]:
        _, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY and os.geteuid() != 0:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))


def user_tasks(uid=None):
    """Tasks (processes and threads) of ``uid`` (this process's real user)
    on the machine: what ``RLIMIT_NPROC`` counts."""
    uid = os.getuid() if uid is None else uid
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as f:
                status = f.read().split(b"\n")
        except OSError:
            continue
        fields = dict(line.split(b":", 1) for line in status if b":" in line)
        with contextlib.suppress(KeyError, ValueError, IndexError):
            if int(fields[b"Uid"].split()[0]) == uid:
                count += int(fields[b"Threads"])
    return count


# ------------------------------------------------------------------ cgroups

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def _proc_start_time(pid):
    """Start time of a process in clock ticks (None when it does not exist)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(data[data.rindex(b")") + 2:].split()[19])


def _cgroup_bases():
    """``{controller: (folder, is_v2)}`` where this process may make child cgroups
    (the v1 hierarchy of the controller, else the unified one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    own = {ctrls: path.lstrip("/") for _, ctrls, path in (l.split(":", 2) for l in lines)}
    bases = {}
    for ctrl in ("pids", "memory"):
        candidates = [(_CGROUP_ROOT / ctrl / p, False) for c, p in own.items()
                      if ctrl in c.split(",")]
        if "" in own:
            candidates += [(_CGROUP_ROOT / own[""], True), (_CGROUP_ROOT / "unified" / own[""],
                                                            True)]
        for base, v2 in candidates:
            with contextlib.suppress(OSError):
                if os.access(base / "cgroup.procs", os.W_OK) and os.access(base, os.W_OK) and \
                        (not v2 or ctrl in (base / "cgroup.subtree_control").read_text().split()):
                    bases[ctrl] = (base, v2)
                    break
    return bases


class _Cgroup:
    """One sandbox's cgroups (a folder per controller), named
    ``cs231n-<owner pid>-<owner start>-m<member pid>``: removed once the
    owner (the grader) or the member (the sandbox's launcher) is gone."""

    def __init__(self, name, paths):
        self.name, self.paths = name, paths      # {controller: (Path, is_v2)}

    @classmethod
    def named(cls, owner, member, *, limits=None):
        """The cgroups of a launcher; made (with ``limits``) when ``limits`` is given."""
        name = f"{_CGROUP_PREFIX}{owner}-{_proc_start_time(owner)}-m{member}"
        paths = {}
        for ctrl, (base, v2) in _cgroup_bases().items():
            path = base / name
            if limits is not None:
                knob = {"pids": "pids.max"}.get(ctrl, "memory.max" if v2
                                                else "memory.limit_in_bytes")
                value = limits.processes if ctrl == "pids" else limits.memory_bytes
                try:
                    path.mkdir()
                    (path / knob).write_text(str(value))
                except OSError:
                    with contextlib.suppress(OSError):
                        path.rmdir()
            if path.is_dir():
                paths[ctrl] = (path, v2)
        return cls(name, paths) if paths else None

    def pids(self):
        out = set()
        for path, _ in self.paths.values():
            with contextlib.suppress(OSError):
                out |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
        return out

    def oom_killed(self):
        path, v2 = self.paths.get("memory", (None, None))
        with contextlib.suppress(OSError, TypeError):
            text = (path / ("memory.events" if v2 else "memory.oom_control")).read_text()
            return any(line.split()[:1] == ["oom_kill"] and line.split()[1:] != ["0"]
                       for line in text.splitlines())
        return False

    def remove(self, deadline=3.0):
        """SIGKILL what is left in the cgroups, then delete them."""
        end = time.monotonic() + deadline
        for path, _ in self.paths.values():
            while path.exists() and time.monotonic() < end:
                for pid in self.pids():
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    path.rmdir()
        return not any(path.exists() for path, _ in self.paths.values())


def cleanup_stale_cgroups():
    """Remove sandbox cgroups whose owner or member process is gone; their names."""
    removed = []
    for ctrl, (base, v2) in _cgroup_bases().items():
        with contextlib.suppress(OSError):
            for name in os.listdir(base):
                parts = name[len(_CGROUP_PREFIX):].split("-")
                if not name.startswith(_CGROUP_PREFIX) or len(parts) != 3 or \
                        not all(p.lstrip("m").isdigit() for p in parts):
                    continue
                if _proc_start_time(int(parts[0])) == int(parts[1]) and \
                        _proc_start_time(int(parts[2][1:])) is not None:
                    continue
                if _Cgroup(name, {ctrl: (base / name, v2)}).remove() and name not in removed:
                    removed.append(name)
    return removed


# ------------------------------------------------------------------ bubblewrap

def require():
    """Raise :class:`SandboxUnavailable` unless bubblewrap can sandbox here."""
    path = shutil.which(BWRAP)
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed: grading refuses to run student code without its "
            "sandbox. Install Debian's bubblewrap package (apt-get install bubblewrap).")
    probe = subprocess.run(
        [path, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
         "--cap-drop", "ALL", *_system_binds(), "--proc", "/proc", "--", "/bin/true"],
        capture_output=True, timeout=30)
    if probe.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap cannot make its namespaces on this machine (" +
            probe.stderr.decode(errors="replace").strip()[:300] + "): grading refuses to run "
            "student code without its sandbox.")


def _system_binds():
    """The system folders, read-only; merged-/usr links stay links."""
    out = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            out += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            out += ["--ro-bind", top, top]
    for f in _SYSTEM_FILES:
        out += ["--ro-bind-try", f, f]
    return out


def _python_roots():
    """What the interpreter, the virtualenv and the cs231n package need, read-only."""
    import cs231n
    roots = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             os.path.dirname(os.path.abspath(cs231n.__file__))}
    roots = sorted(os.path.realpath(r) for r in roots) + sorted(roots)
    # The venv's bin/python is a link to the interpreter: both paths are kept.
    out = []
    for r in dict.fromkeys(roots):
        if not any(r != o and (r + "/").startswith(o + "/") for o in roots):
            out.append(r)
    return out


def _font_cache():
    """matplotlib's font list of the grader (it would be rebuilt in every kernel,
    with a warning on stderr that costs a test cell)."""
    folder = os.environ.get("MPLCONFIGDIR") or os.path.expanduser("~/.cache/matplotlib")
    with contextlib.suppress(OSError):
        return [os.path.join(folder, n) for n in sorted(os.listdir(folder))
                if n.startswith("fontlist-") and n.endswith(".json")][-1:]
    return []


def guest_env(limits=None):
    """The guest's whole environment: allow-listed names and private folders."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    if limits is not None and limits.threads is not None:
        env.update(dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"),
                                 str(limits.threads)))
    env.update({
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
        "HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter/config",
        "JUPYTER_DATA_DIR": "/tmp/jupyter/data", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return env


def bwrap_argv(policy, argv, *, workdir, log_fd=None, sockets=None):
    """The bubblewrap command line that runs ``argv`` (Python arguments) in the guest.

    Parameters
    ----------
    policy : Policy
    argv : list of str
        ``["-m", "module", ...]`` or ``["-c", "code", ...]``.
    workdir : str
        The working folder (see ``Policy.workdir``).
    log_fd : int, optional
        An inherited descriptor of the violations log.
    sockets : str, optional
        A folder bound read-write at its own path: a kernel's IPC sockets.
    """
    cmd = [shutil.which(BWRAP) or BWRAP, "--unshare-all", "--unshare-user",
           "--disable-userns", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--hostname", "sandbox", "--clearenv"]
    for name, value in sorted(guest_env(policy.limits).items()):
        cmd += ["--setenv", name, value]
    # The private /tmp first: what is bound later may lie under /tmp (a
    # virtualenv in a clone there, the grader's temporary folders).
    size = str(policy.limits.scratch_bytes)
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/tmp"]
    cmd += _system_binds()
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    for cache in _font_cache():
        cmd += ["--ro-bind", cache, "/tmp/matplotlib/" + os.path.basename(cache)]
    cmd += ["--ro-bind", str(GUEST / "startup.py"),
            "/tmp/ipython/profile_default/startup/00-cs231n-tell.py"]
    cmd += ["--size", size, "--tmpfs", workdir]
    for entry in _given_files(workdir):
        cmd += ["--ro-bind", entry, entry]
    for entry in policy.shown:
        cmd += ["--ro-bind", str(entry), os.path.join(workdir, entry.name)]
    if sockets is not None:
        cmd += ["--bind", sockets, sockets]
    cmd += ["--remount-ro", "/", "--chdir", workdir, "--",
            sys.executable, "-E", "-s", str(GUEST)]
    if log_fd is not None:
        cmd += ["--log-fd", str(log_fd)]
    for root in policy.watch:
        cmd += ["--watch", str(root)]
    for root in [*_python_roots(), *([sockets] if sockets else [])]:
        cmd += ["--allow", root]
    if not policy.tell:
        cmd += ["--no-tell"]
    return cmd + ["--", *argv]


def _given_files(workdir, limit=200):
    """Regular files directly in ``workdir``, but notebooks (they hold the
    hidden tests while autograde runs them); never a link."""
    out = []
    with contextlib.suppress(OSError), os.scandir(workdir) as entries:
        for e in entries:
            if e.is_file(follow_symlinks=False) and not e.name.endswith(".ipynb"):
                out.append(e.path)
    return sorted(out)[:limit]


def _die_with_parent():
    """SIGKILL this process when its parent dies (kept across exec, so bubblewrap
    inherits it), and exit now if the parent is already gone: bubblewrap's own
    --die-with-parent comes too late for a grader that died while this started."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    expected = os.environ.get(PARENT_ENV) or os.environ.get("JPY_PARENT_PID")
    if expected and expected.isdigit() and os.getppid() != int(expected):
        os._exit(71)


def _launch(policy, argv):
    """The launcher: limits, a cgroup, then ``exec bwrap`` (never returns)."""
    _die_with_parent()
    require_path = shutil.which(BWRAP)
    if require_path is None:
        os.write(2, b"cs231n sandbox: bubblewrap (bwrap) is not installed; refusing to run\n")
        os._exit(70)
    workdir = os.path.realpath(policy.workdir or os.getcwd())
    log_fd = None
    log = policy.violations_log
    if log is None and os.environ.get(POLICY_ENV):
        log = Path(os.environ[POLICY_ENV] + ".violations.jsonl")
    if log is not None:
        log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.set_inheritable(log_fd, True)
    sockets = None
    if argv[:2] == ["-m", "ipykernel_launcher"] and "-f" in argv:
        # The kernel's own folder of IPC sockets and connection file.
        sockets = os.path.dirname(os.path.realpath(argv[argv.index("-f") + 1]))
    with contextlib.suppress(OSError):
        cleanup_stale_cgroups()
    group = _Cgroup.named(os.getppid(), os.getpid(), limits=policy.limits)
    for path, _ in (group.paths.values() if group is not None else ()):
        (path / "cgroup.procs").write_text(str(os.getpid()))
    apply_limits(policy.limits)
    cmd = bwrap_argv(policy, argv, workdir=workdir, log_fd=log_fd, sockets=sockets)
    # bubblewrap's own environment is empty too: its process in the sandbox
    # (PID 1) shows it in /proc/1/environ.
    os.execve(cmd[0], cmd, {})


# ------------------------------------------------------------------ the grader's side

def launcher_argv(policy, argv):
    """The command line that runs ``argv`` (Python arguments) under ``policy``.

    ``policy`` is a Policy (passed inline as JSON) or the path of a policy file.
    """
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("argv is empty: nothing to run")
    spec = policy.to_json() if isinstance(policy, Policy) else str(Path(policy).absolute())
    return [*_launcher(), "--policy", spec, "--", *argv]


def _launcher():
    """``python -I`` running this very package's launcher: the package the
    grader runs from (a copy of the course, say), not whichever one the
    interpreter would find (``-I`` leaves the working folder and PYTHONPATH
    out)."""
    code = (f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); "
            "from cs231n.grading.sandbox import main; sys.exit(main(sys.argv[1:]))")
    return [sys.executable, "-I", "-c", code]


def describe_violations(violations):
    """One line naming what the audit hook reported ("" when nothing was)."""
    if not violations:
        return ""
    counts = {}
    for v in violations:
        key = f"{v.get('event')} {v.get('path')} ({v.get('rule')})"
        counts[key] = counts.get(key, 0) + 1
    parts = [k if n == 1 else f"{k} x{n}" for k, n in counts.items()]
    shown = "; ".join(parts[:5]) + ("; ..." if len(parts) > 5 else "")
    return f"sandbox: {shown}"


def read_violations(path, offset=0):
    """The audit hook's records in a violations log, from ``offset`` on."""
    out = []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(64 * 1024 * 1024)
    except OSError:
        return out
    for line in data.splitlines():
        with contextlib.suppress(ValueError):
            rec = json.loads(line)
            if isinstance(rec, dict) and rec.get("kind") == "violation":
                out.append({k: str(rec.get(k))[:300] for k in ("event", "rule", "path")})
    return out


# ------------------------------------------------------------------ Jupyter

def kernel_spec(dest_dir, *, name=KERNEL_NAME):
    """Write a Jupyter kernelspec that runs ipykernel in the sandbox.

    The kernel reads the policy file named by ``$CS231N_SANDBOX_POLICY`` when
    it starts (one kernelspec for all students, see :func:`kernel_env`).  The
    folder is ``dest_dir/kernels/<name>``; use it with ``JUPYTER_PATH=dest_dir``
    and ``Execute.kernel_name``, and the ``KernelManager`` settings of
    :func:`kernel_connection` (IPC: the sandbox has no network the grader
    could reach).  Interrupts go as messages on the control channel: a signal
    to bubblewrap would not reach the kernel in its PID namespace.

    Returns
    -------
    Path
        The kernelspec folder.
    """
    argv = [*_launcher(), "--policy-from-env", POLICY_ENV, "--", "-m", "ipykernel_launcher",
            "-f", "{connection_file}"]
    folder = Path(dest_dir) / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": argv, "display_name": KERNEL_DISPLAY_NAME, "language": "python",
            "interrupt_mode": "message", "metadata": {"debugger": False}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def kernel_connection(folder):
    """``KernelManager`` settings for a sandboxed kernel whose connection file
    and IPC sockets live in ``folder`` (a fresh, private one per student)."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {"transport": "ipc", "ip": str(folder / "k"),
            "connection_file": str(folder / "kernel.json")}


def kernel_env(kernel_dir, policy_file):
    """Environment additions that make nbgrader start the sandboxed kernel.

    ``JUPYTER_PATH`` (prepended) finds the kernelspec in ``kernel_dir``, and
    ``CS231N_SANDBOX_POLICY`` names the policy file of this run.  The guest's
    reports go to :func:`kernel_violations_log` of that file.
    """
    paths = [str(Path(kernel_dir).absolute())]
    if os.environ.get("JUPYTER_PATH"):
        paths.append(os.environ["JUPYTER_PATH"])
    return {"JUPYTER_PATH": os.pathsep.join(paths),
            POLICY_ENV: str(Path(policy_file).absolute())}


def kernel_violations_log(policy_file):
    """Where a kernel started with ``policy_file`` logs."""
    policy = Policy.from_json(Path(policy_file).read_text())
    if policy.violations_log is not None:
        return policy.violations_log
    return Path(str(Path(policy_file).absolute()) + ".violations.jsonl")


def main(argv=None):
    """The launcher's command line (see the module docstring)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m cs231n.grading.sandbox")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--policy", help="a policy as JSON, or the path of a policy file")
    source.add_argument("--policy-from-env", metavar="VAR",
                        help="an environment variable naming the policy file")
    parser.add_argument("target", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    target = args.target[1:] if args.target[:1] == ["--"] else args.target
    if args.policy_from_env:
        text = Path(os.environ[args.policy_from_env]).read_text()
    elif args.policy.lstrip().startswith("{"):
        text = args.policy
    else:
        text = Path(args.policy).read_text()
    _launch(Policy.from_json(text), target)


if __name__ == "__main__":
    # Run the canonical module (not this __main__ copy).
    from cs231n.grading import sandbox as _canonical
    sys.exit(_canonical.main())
