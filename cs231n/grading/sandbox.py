"""The isolation layer of the grading pipeline: student code under limits and a file policy.

Every piece of student code the grader executes (the Jupyter kernel of an
``nbgrader autograde`` run, an integrity worker calling one graded function)
runs in a process started through this module::

    python -I -m cs231n.grading.sandbox --policy POLICY -- -m ipykernel_launcher -f FILE
    python -I -m cs231n.grading.sandbox --policy POLICY -- -m cs231n.grading.worker ...

The entry point sets the process up, then runs the target with ``runpy`` in the
same process.  Student code is assumed hostile: endless loops (also ones that
swallow ``KeyboardInterrupt``), memory, fork and output bombs, ``sys.exit`` and
``os._exit``, crashes, reading the instructor's files, writing outside its
folder, signalling the grader, monkeypatching the sandbox itself.  The defence
is layered, and each layer degrades gracefully where the machine does not
offer it; ``RunResult.protections`` names the layers that were active:

``rlimits``, ``new-session``
    CPU seconds (SIGXCPU, then SIGKILL one second later), address space
    (``MemoryError``), file size (``OSError: File too large``), open files,
    processes, no core dumps; a session of its own so the grader can kill the
    whole process group.
``cgroup-pids``, ``cgroup-memory``
    A cgroup per sandbox (``cs231n-<owner pid>-<owner start>-<random>``) caps
    tasks and memory of everything the sandbox starts, and lets the grader
    kill processes that left the process group with ``setsid``.  Stale cgroups
    of a grader that died are removed by :func:`cleanup_stale_cgroups`.
    As root ``RLIMIT_NPROC`` is not enforced by Linux: without the pids
    cgroup, seccomp and the audit hook are what stop a fork bomb.
``mount-namespace``, ``readonly-filesystem``
    A private mount namespace: every denied folder is covered by an empty
    read-only tmpfs and every denied file by ``/dev/null`` (the workdir is
    carved back out when it lies inside a denied folder, e.g.
    ``autograded/<student>/<aid>`` inside ``autograded/``), ``/dev`` is
    replaced by a minimal one (null, zero, full, random, urandom, shm), and
    every mount but the workdir is remounted read-only.  For a kernel the
    folder of its connection file is hidden as well (jupyter_client puts it
    in the system temp folder, next to other kernels' keys), all but the
    kernel's own file and its workdir.
``capabilities-dropped``
    The process stays uid 0 (the interpreter lives under ``/root``) but keeps
    no capability: no mounts, no raw devices, no ``CAP_SYS_PTRACE``.
``seccomp``
    A syscall filter (x86-64): no fork, exec, ptrace, pidfd, mount,
    namespaces, raising rlimits, keyrings, io_uring, terminal injection; only
    threads may be cloned and signals may only go to the process itself.
``audit-hook``
    ``sys.addaudithook`` refuses, with a ``PermissionError`` naming the path
    and the rule, what the policy forbids (reading a denied path, writing
    outside the workdir, listing or entering a denied folder, process
    creation, signals to other processes, ctypes, tracing, ``gc`` walks,
    sub-interpreters, raising rlimits, network connections) and appends every
    refusal as one JSON line to the violations log, a file outside the workdir
    opened before student code runs, so the grader learns about it even when
    the student swallows the exception.  Audit hooks cannot be removed.  The
    hook's helpers capture every function they call when the sandbox is
    armed and look up no global or builtin name, so monkeypatching ``os``,
    ``builtins`` or this module does not change its decisions.
``unprivileged-user``
    Optional (``Policy.user``), and used only when that user can read the
    interpreter (not the case here: it lives under ``/root``, mode 700).

What is trusted: the interpreter and the C extensions it loads (numpy is
imported before arming).  The hook refuses ``ctypes.dlopen``, ``dlsym``,
``from_address`` and ``string_at``, but CPython 3.11 raises no audit event
when an existing ctypes function pointer is called or one is made from an
integer address (``ctypes.memmove(0, 1, 8)`` segfaults, unaudited), and
ctypes cannot be withheld because numpy and scipy (sklearn) import it.  So
ctypes can defeat the audit hook from inside the process; what then still
holds is the kernel's side: the mount namespace, the read-only filesystem,
the dropped capabilities, seccomp and the cgroups.  Without a mount namespace
(another machine) a symlink race or a path-like object with a stateful
``__fspath__`` can also defeat the hook's read checks: grade where namespaces
are allowed.  Another residual risk everywhere: ``/proc/<pid>/environ`` and
``cmdline`` of other uid-0 processes stay readable to code that has disabled
the hook (there is no PID namespace; Yama's ptrace_scope=1, as here, keeps
their memory out of reach).
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import json
import os
import secrets
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Limits", "Policy", "RunResult", "Sandboxed", "KERNEL_NAME", "POLICY_ENV",
    "arm", "apply_limits", "sandboxed_argv", "start", "run", "kill_session",
    "kernel_spec", "kernel_env", "read_violations", "kernel_violations_log",
    "available_protections", "cleanup_stale_cgroups", "main",
]

KERNEL_NAME = "cs231n-sandbox"
KERNEL_DISPLAY_NAME = "Python 3 (cs231n grading sandbox)"
POLICY_ENV = "CS231N_SANDBOX_POLICY"     # kernel_env: the policy file of the next kernel
_ARM_ENV = "CS231N_SANDBOX_ARM"          # main -> IPython startup file
_TMP_PREFIX = ".sandbox-tmp-"
_CGROUP_PREFIX = "cs231n-"
_MAX_LOGGED = 1000                       # violations written per process

# Layers that Policy.disable may switch off (tests use it to prove the inner
# layers hold on their own).
LAYERS = ("cgroups", "mount-namespace", "capabilities", "seccomp", "audit-hook")


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
    """
    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024 ** 3
    file_bytes: int = 16 * 1024 ** 2
    processes: int = 32
    open_files: int = 256
    output_bytes: int = 1024 ** 2

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class Policy:
    """What sandboxed code may touch.

    Parameters
    ----------
    workdir : Path or None
        The process's working directory and the only place it may write (the
        private temporary folder the sandbox makes is inside it).  None means
        the directory the sandbox was started in (a kernel started by Jupyter
        in the notebook's folder).
    deny : tuple of Path
        Files and folders that may be neither read, written nor listed
        (solutions/, source/, gradebook.db, autograded/, submitted/,
        feedback/, ...).  A deny entry that contains the workdir does not
        cover the workdir itself.
    deny_suffixes : tuple of str
        File name endings that are denied anywhere, e.g. ``(".ipynb",)`` so a
        kernel cannot read the notebook it is executing (which holds the
        hidden tests during autograde).
    limits : Limits
    violations_log : Path or None
        Where refusals are appended as JSON lines.  ``run``/``start`` make
        one per run; a kernel whose policy came from a file logs to
        ``<policy file>.violations.jsonl`` when this is None.
    user : str or None
        Drop to this user before student code runs, only if it can read the
        interpreter (otherwise the sandbox notes why and stays uid 0).
    disable : tuple of str
        Layers to switch off, from ``LAYERS`` (for tests of the other layers).
    """
    workdir: Path | None = None
    deny: tuple = ()
    deny_suffixes: tuple = ()
    limits: Limits = field(default_factory=Limits)
    violations_log: Path | None = None
    user: str | None = None
    disable: tuple = ()

    def __post_init__(self):
        def absolute(p):
            return Path(os.path.abspath(os.fspath(p)))
        if self.workdir is not None:
            object.__setattr__(self, "workdir", absolute(self.workdir))
        if isinstance(self.deny, (str, os.PathLike)):
            raise TypeError("Policy.deny must be a sequence of paths, not one path")
        object.__setattr__(self, "deny", tuple(absolute(p) for p in self.deny))
        if isinstance(self.deny_suffixes, str):
            raise TypeError("Policy.deny_suffixes must be a sequence of strings")
        object.__setattr__(self, "deny_suffixes", tuple(str(s) for s in self.deny_suffixes))
        if not isinstance(self.limits, Limits):
            raise TypeError(f"Policy.limits must be a Limits, got {type(self.limits).__name__}")
        if self.violations_log is not None:
            object.__setattr__(self, "violations_log", absolute(self.violations_log))
        if isinstance(self.disable, str):
            raise TypeError("Policy.disable must be a sequence of layer names")
        object.__setattr__(self, "disable", tuple(self.disable))
        unknown = set(self.disable) - set(LAYERS)
        if unknown:
            raise ValueError(f"unknown layers {sorted(unknown)} in Policy.disable; "
                             f"known: {', '.join(LAYERS)}")

    def to_json(self):
        """The policy as a JSON string (``Policy.from_json`` reads it back)."""
        d = {
            "workdir": None if self.workdir is None else str(self.workdir),
            "deny": [str(p) for p in self.deny],
            "deny_suffixes": list(self.deny_suffixes),
            "limits": dataclasses.asdict(self.limits),
            "violations_log": None if self.violations_log is None else str(self.violations_log),
            "user": self.user,
            "disable": list(self.disable),
        }
        return json.dumps(d, indent=1)

    @classmethod
    def from_json(cls, text):
        """Inverse of ``to_json``; unknown keys raise ``ValueError``."""
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("a sandbox policy is a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in sandbox policy")
        limits = d.get("limits") or {}
        unknown = set(limits) - {f.name for f in dataclasses.fields(Limits)}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in sandbox limits")
        d["limits"] = Limits(**limits)
        for key in ("deny", "deny_suffixes", "disable"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d)


# ------------------------------------------------------------------ result

@dataclass
class RunResult:
    """What happened to one sandboxed process.

    ``returncode`` follows ``subprocess`` (negative: killed by that signal);
    ``signal`` is that signal's number.  ``timed_out`` means the sandbox
    killed it because it did not finish in time (``run``'s timeout, or the
    grace period of ``Sandboxed.stop``).  ``violations`` are the
    audit hook's refusals (dicts with ``event``, ``rule``, ``path``).
    """
    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    timed_out: bool = False
    signal: int | None = None
    output_truncated: bool = False
    violations: list = field(default_factory=list)
    protections: list = field(default_factory=list)
    pid: int | None = None
    oom_killed: bool = False
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    def flags(self):
        """Short tags for a grading report."""
        out = []
        if self.timed_out:
            out.append("timed-out")
        elif self.signal is not None:
            out.append("crashed")
        if self.oom_killed or b"MemoryError" in self.stderr:
            out.append("memory-limit")
        if self.signal == signal.SIGXCPU:
            out.append("cpu-limit")
        if self.output_truncated:
            out.append("output-truncated")
        if self.violations:
            out.append("sandbox-violation")
        return out

    def describe_violations(self):
        """One line naming what was refused ("" when nothing was)."""
        if not self.violations:
            return ""
        counts = {}
        for v in self.violations:
            key = f"{v.get('event')} {v.get('path')} ({v.get('rule')})"
            counts[key] = counts.get(key, 0) + 1
        parts = [k if n == 1 else f"{k} x{n}" for k, n in counts.items()]
        shown = "; ".join(parts[:5]) + ("; ..." if len(parts) > 5 else "")
        return f"sandbox refused: {shown}"

    def describe(self):
        """A sentence on how the process ended."""
        if self.timed_out:
            how = "did not finish in time and was killed"
        elif self.signal is not None:
            name = signal.Signals(self.signal).name if self.signal in _SIGNALS else self.signal
            how = f"was killed by {name}"
            if self.oom_killed:
                how += " (memory limit)"
            elif self.signal == signal.SIGXCPU:
                how += " (CPU time limit)"
        else:
            how = f"exited with status {self.returncode}"
        tail = self.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        text = how + (f": {tail[0][:300]}" if tail else "")
        if self.violations:
            text += "; " + self.describe_violations()
        return text


_SIGNALS = {s.value for s in signal.Signals}


# ------------------------------------------------------------------ limits

def apply_limits(limits):
    """Set the rlimits of ``limits`` on this process and give it its own session.

    Call it in the child (``preexec_fn`` or first thing in the sandbox's entry
    point).  The hard CPU limit is one second above the soft one, so a process
    that ignores SIGXCPU is killed.
    """
    import resource

    def cap(which, soft, hard):
        _, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY and os.geteuid() != 0:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))

    cap(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)
    cap(resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes)
    cap(resource.RLIMIT_NPROC, limits.processes, limits.processes)
    cap(resource.RLIMIT_NOFILE, limits.open_files, limits.open_files)
    cap(resource.RLIMIT_CORE, 0, 0)
    if os.getsid(0) != os.getpid():
        os.setsid()


# ------------------------------------------------------------------ cgroups

def _proc_start_time(pid):
    """Start time of a process in clock ticks (None when it does not exist)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(b")") + 2:].split()[19])


def _cgroup_bases():
    """``{controller: folder}`` where this process may create child cgroups."""
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    v1, v2 = {}, None
    for line in own:
        num, ctrls, path = line.split(":", 2)
        if num == "0" and ctrls == "":
            v2 = path
        for c in ctrls.split(","):
            v1[c] = path
    bases = {}
    for line in mountinfo:
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(rfields) < 3:
            continue
        root, mountpoint = fields[3], fields[4].replace("\\040", " ")
        fstype, options = rfields[0], rfields[2].split(",")
        for ctrl in ("pids", "memory"):
            if ctrl in bases:
                continue
            if fstype == "cgroup" and ctrl in options and ctrl in v1:
                own_path = v1[ctrl]
            elif fstype == "cgroup2" and v2 is not None:
                own_path = v2
                try:
                    enabled = (Path(mountpoint) / own_path.lstrip("/") /
                               "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if ctrl not in enabled:
                    continue
            else:
                continue
            rel = os.path.relpath(own_path, root) if own_path.startswith(root) else "."
            base = Path(os.path.normpath(Path(mountpoint) / rel))
            if os.access(base, os.W_OK) and (base / "cgroup.procs").exists():
                bases[ctrl] = (base, fstype == "cgroup2")
    return bases


class _Cgroup:
    """One sandbox's cgroups (one folder per controller)."""

    def __init__(self, name, paths):
        self.name, self.paths = name, paths      # paths: {controller: (Path, is_v2)}

    @property
    def protections(self):
        return [f"cgroup-{c}" for c in sorted(self.paths)]

    @classmethod
    def create(cls, limits, owner_pid, *, member=None):
        """Cgroups owned by ``owner_pid``: removed (and emptied) once it is gone.

        With ``member`` (a pid) they are also removed once that process has
        left them, whoever owns them: a kernel makes its own.
        """
        bases = _cgroup_bases()
        start = _proc_start_time(owner_pid)
        if not bases or start is None:
            return None
        tag = f"m{member}" if member is not None else secrets.token_hex(4)
        name = f"{_CGROUP_PREFIX}{owner_pid}-{start}-{tag}"
        paths = {}
        for ctrl, (base, v2) in bases.items():
            path = base / name
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                if ctrl == "pids":
                    (path / "pids.max").write_text(str(limits.processes))
                elif v2:
                    (path / "memory.max").write_text(str(limits.memory_bytes))
                    with contextlib.suppress(OSError):
                        (path / "memory.swap.max").write_text("0")
                else:
                    (path / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                    with contextlib.suppress(OSError):
                        (path / "memory.memsw.limit_in_bytes").write_text(
                            str(limits.memory_bytes))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            paths[ctrl] = (path, v2)
        return cls(name, paths) if paths else None

    @classmethod
    def existing(cls, name):
        """The cgroups called ``name`` (made by the grader for this process)."""
        paths = {c: (base / name, v2) for c, (base, v2) in _cgroup_bases().items()
                 if (base / name).is_dir()}
        return cls(name, paths) if paths else None

    def add(self, pid):
        for path, _ in self.paths.values():
            (path / "cgroup.procs").write_text(str(pid))

    def contains(self, pid):
        return all(str(pid) in self._pids_of(path) for path, _ in self.paths.values())

    @staticmethod
    def _pids_of(path):
        try:
            return (path / "cgroup.procs").read_text().split()
        except OSError:
            return []

    def pids(self):
        return {int(p) for path, _ in self.paths.values() for p in self._pids_of(path)}

    def kill(self, deadline=3.0):
        """SIGKILL every process in the cgroups until none is left."""
        end = time.monotonic() + deadline
        for path, v2 in self.paths.values():
            if v2:
                with contextlib.suppress(OSError):
                    (path / "cgroup.kill").write_text("1")
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        return not self.pids()

    def oom_killed(self):
        for ctrl, (path, v2) in self.paths.items():
            if ctrl != "memory":
                continue
            try:
                text = (path / ("memory.events" if v2 else "memory.oom_control")).read_text()
            except OSError:
                return False
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip() not in ("", "0"):
                    return True
        return False

    def remove(self):
        """Kill what is left and delete the cgroups (retrying while busy)."""
        self.kill()
        for path, _ in self.paths.values():
            for _attempt in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill(deadline=0.05)
                    time.sleep(0.01)
        return not any(path.exists() for path, _ in self.paths.values())


def cleanup_stale_cgroups():
    """Remove sandbox cgroups whose owning process is gone (killing what is in them).

    Cheap (one directory listing per controller); ``start`` and the sandbox's
    entry point call it, and a grader may call it when it finishes.

    Returns
    -------
    list of str
        The names removed.
    """
    removed = []
    for ctrl, (base, v2) in _cgroup_bases().items():
        try:
            names = [n for n in os.listdir(base) if n.startswith(_CGROUP_PREFIX)]
        except OSError:
            continue
        for name in names:
            parts = name[len(_CGROUP_PREFIX):].split("-")
            if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
                continue
            group = _Cgroup(name, {ctrl: (base / name, v2)})
            owner_alive = _proc_start_time(int(parts[0])) == int(parts[1])
            member = parts[2][1:]
            member_gone = (parts[2].startswith("m") and member.isdigit()
                           and _proc_start_time(int(member)) is None)
            if owner_alive and not member_gone:
                continue
            if group.remove() and name not in removed:
                removed.append(name)
    return removed


# ------------------------------------------------------------------ kernel-level layers

# Linux constants (x86-64 and generic).
_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME, _MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
_MOUNT_OPTION_FLAGS = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC,
                       "noatime": _MS_NOATIME, "nodiratime": _MS_NODIRATIME,
                       "relatime": _MS_RELATIME, "strictatime": _MS_STRICTATIME}
_O_PATH = getattr(os, "O_PATH", 0o10000000)


def _libc():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_char_p]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong, ctypes.c_ulong]
    return libc


def _check(rc, what):
    import ctypes
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def _mount(libc, source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")


def _within(path, root):
    return path == root or root == "/" or path.startswith(root + "/")


def _isolate_filesystem(workdir, deny, hide_suffixes, *, keep_files=(), readonly=True):
    """Private mount namespace: hide denied paths, minimal /dev, read-only but workdir.

    ``keep_files`` inside a denied folder stay visible (a kernel's own
    connection file in a folder that holds other kernels' keys).  Raises
    ``OSError`` when there is no namespace at all; a step that fails after
    that is only noted.

    Returns
    -------
    protections : list of str
    notes : list of str
        What could not be done.
    """
    libc = _libc()
    _check(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # Nothing done here may propagate back to the grader's namespace.
    _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
    notes = []
    work_fd = os.open(workdir, _O_PATH | os.O_DIRECTORY)
    keep = {f: os.open(f, _O_PATH) for f in keep_files if os.path.isfile(f)}
    source = f"/proc/self/fd/{work_fd}"
    try:
        # The workdir becomes a mount of its own so that it stays writable
        # when everything else is remounted read-only.
        _mount(libc, source, workdir, None, _MS_BIND | _MS_REC)
        try:
            _private_dev(libc)
        except OSError as e:
            notes.append(f"kept the machine's /dev: {e}")
        hidden = True
        for d in deny:
            try:
                _hide(libc, d, workdir, source, keep)
            except OSError as e:
                hidden = False
                notes.append(f"could not hide {d}: {e}")
        for f in _files_with_suffix(workdir, hide_suffixes) if hide_suffixes else ():
            try:
                _mount(libc, "/dev/null", f, None, _MS_BIND)
            except OSError as e:
                hidden = False
                notes.append(f"could not hide {f}: {e}")
    finally:
        os.close(work_fd)
        for fd in keep.values():
            os.close(fd)
    protections = ["mount-namespace"] if hidden else []
    if readonly:
        failed = _remount_readonly(libc, workdir)
        if "/" in failed:
            notes.append(f"could not remount / read-only: {failed['/']}")
        else:
            protections.append("readonly-filesystem")
    return protections, notes


def _hide(libc, path, workdir, workdir_source, keep):
    """Cover ``path``: an empty read-only tmpfs on a folder, /dev/null on a file."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        _mount(libc, "/dev/null", path, None, _MS_BIND)
        _mount(libc, None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
        return
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    _mount(libc, "tmpfs", path, "tmpfs", flags, "size=64k,mode=0755")
    if _within(workdir, path) and workdir != path:
        # autograded/ is denied, autograded/<student>/<aid> is the workdir.
        inner = os.path.join(path, os.path.relpath(workdir, path))
        os.makedirs(inner, exist_ok=True)
        _mount(libc, workdir_source, inner, None, _MS_BIND | _MS_REC)
    for f, fd in keep.items():
        if _within(f, path):
            os.makedirs(os.path.dirname(f), exist_ok=True)
            open(f, "w").close()
            _mount(libc, f"/proc/self/fd/{fd}", f, None, _MS_BIND)
    _mount(libc, None, path, None, _MS_REMOUNT | _MS_RDONLY | flags, "size=64k,mode=0755")


def _files_with_suffix(root, suffixes, limit=10000):
    out = []
    for n, (folder, dirs, files) in enumerate(os.walk(root)):
        if n > limit:
            break
        dirs[:] = [d for d in dirs if not d.startswith(_TMP_PREFIX)]
        out += [os.path.join(folder, f) for f in files if f.endswith(tuple(suffixes))]
    return out


def _private_dev(libc):
    """A fresh /dev with only the harmless devices (no disks, no kmsg, no ttys)."""
    _mount(libc, "tmpfs", "/dev", "tmpfs", _MS_NOSUID | _MS_NOEXEC, "size=64k,mode=0755")
    for name, (major, minor) in {"null": (1, 3), "zero": (1, 5), "full": (1, 7),
                                 "random": (1, 8), "urandom": (1, 9)}.items():
        os.mknod(f"/dev/{name}", stat.S_IFCHR | 0o666, os.makedev(major, minor))
        os.chmod(f"/dev/{name}", 0o666)
    for name, target in {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
                         "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}.items():
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm")
    _mount(libc, "tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
           "size=64m,mode=1777")


def _remount_readonly(libc, workdir):
    """Remount every mount read-only except the workdir's; ``{mountpoint: error}``."""
    failed = {}
    seen = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" - ")[0].split()
        mountpoint = fields[4].encode().decode("unicode_escape")
        options = fields[5].split(",")
        if mountpoint in seen or _within(mountpoint, workdir) or mountpoint == "/dev/shm":
            continue
        seen.add(mountpoint)
        if "ro" in options:
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for opt in options:
            flags |= _MOUNT_OPTION_FLAGS.get(opt, 0)
        try:
            _mount(libc, None, mountpoint, None, flags)
        except OSError as e:
            failed[mountpoint] = e.strerror
    return failed


_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT = 38, 24, 47
_PR_SET_SECUREBITS = 28


def _add_layer(install, name, failure, protections, notes):
    """Install one protection; record it, or why the machine does not offer it."""
    try:
        install()
        protections.append(name)
    except OSError as e:
        notes.append(f"{failure}: {e}")


def _drop_capabilities():
    """Empty every capability set of this thread (and the bounding set)."""
    import ctypes
    libc = _libc()
    # SECBIT_NOROOT | SECBIT_NOROOT_LOCKED: uid 0 gains nothing on exec either.
    libc.prctl(_PR_SET_SECUREBITS, 0x3, 0, 0, 0)
    try:
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, 4, 0, 0, 0)      # PR_CAP_AMBIENT_CLEAR_ALL

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    header = Header(0x20080522, 0)                # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    _check(libc.capset(ctypes.byref(header), data), "capset")
    with open("/proc/self/status") as f:
        eff = [line for line in f if line.startswith("CapEff:")]
    if not eff or int(eff[0].split()[1], 16) != 0:
        raise OSError(errno.EPERM, "capabilities still present after capset")


# Seccomp: x86-64 syscall numbers refused with EPERM.
_SECCOMP_DENY = {
    57: "fork", 58: "vfork", 59: "execve", 322: "execveat", 101: "ptrace",
    310: "process_vm_readv", 311: "process_vm_writev", 424: "pidfd_send_signal",
    434: "pidfd_open", 438: "pidfd_getfd", 200: "tkill", 160: "setrlimit",
    165: "mount", 166: "umount2", 155: "pivot_root", 161: "chroot", 272: "unshare",
    308: "setns", 428: "open_tree", 429: "move_mount", 430: "fsopen", 431: "fsconfig",
    432: "fsmount", 433: "fspick", 442: "mount_setattr", 167: "swapon", 168: "swapoff",
    169: "reboot", 170: "sethostname", 171: "setdomainname", 172: "iopl", 173: "ioperm",
    175: "init_module", 313: "finit_module", 176: "delete_module", 246: "kexec_load",
    320: "kexec_file_load", 163: "acct", 164: "settimeofday", 227: "clock_settime",
    305: "clock_adjtime", 159: "adjtimex", 179: "quotactl", 321: "bpf",
    298: "perf_event_open", 323: "userfaultfd", 248: "add_key", 249: "request_key",
    250: "keyctl", 304: "open_by_handle_at", 133: "mknod", 259: "mknodat",
    425: "io_uring_setup", 426: "io_uring_enter", 427: "io_uring_register",
    251: "ioprio_set", 256: "migrate_pages", 279: "move_pages",
    312: "kcmp", 440: "process_madvise", 448: "process_mrelease", 300: "fanotify_init",
    153: "vhangup", 103: "syslog",
}
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_TGKILL = 56, 435, 62, 234
_NR_RT_SIGQUEUEINFO, _NR_RT_TGSIGQUEUEINFO = 129, 297
_NR_PRLIMIT64, _NR_IOCTL, _NR_SECCOMP = 302, 16, 317
_CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = 0x7E020080       # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
_TIOCSTI, _TIOCLINUX = 0x5412, 0x541C
_AUDIT_ARCH_X86_64 = 0xC000003E


def _seccomp_program(pid):
    """The filter as a list of ``struct sock_filter`` (classic BPF)."""
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    EPERM, ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    prog, labels = [], {}

    def op(code, k=0, jt=None, jf=None):
        prog.append([code, jt, jf, k])

    def label(name):
        labels[name] = len(prog)

    arg = lambda i, hi=False: 16 + 8 * i + (4 if hi else 0)  # noqa: E731
    op(LD, 4)                                     # arch
    op(JEQ, _AUDIT_ARCH_X86_64, None, "kill")
    op(LD, 0)                                     # syscall number
    op(JGE, 0x40000000, "eperm", None)            # the x32 ABI
    for nr in sorted(_SECCOMP_DENY):
        op(JEQ, nr, "eperm", None)
    op(JEQ, _NR_CLONE3, "enosys", None)           # glibc falls back to clone()
    op(JEQ, _NR_CLONE, "clone", None)
    # Scheduling calls (nice, policy, affinity) stay allowed: libzmq's threads
    # call them on their own thread ids and abort the kernel on EPERM, and
    # without capabilities they cannot raise any priority.
    for nr in (_NR_KILL, _NR_TGKILL, _NR_RT_SIGQUEUEINFO, _NR_RT_TGSIGQUEUEINFO):
        op(JEQ, nr, "self", None)
    op(JEQ, _NR_PRLIMIT64, "prlimit", None)
    op(JEQ, _NR_IOCTL, "ioctl", None)
    op(RET, ALLOW)
    label("clone")                                # threads only, no namespaces
    op(LD, arg(0))
    op(JSET, _CLONE_THREAD, None, "eperm")
    op(JSET, _CLONE_NAMESPACES, "eperm", "allow")
    label("self")                                 # only this process (or 0: its group)
    op(LD, arg(0))
    op(JEQ, pid & 0xFFFFFFFF, "allow", None)
    op(JEQ, 0, "allow", "eperm")
    label("prlimit")                              # reading limits only
    op(LD, arg(2))
    op(JEQ, 0, None, "eperm")
    op(LD, arg(2, hi=True))
    op(JEQ, 0, "allow", "eperm")
    label("ioctl")                                # no keystroke injection
    op(LD, arg(1))
    op(JEQ, _TIOCSTI, "eperm", None)
    op(JEQ, _TIOCLINUX, "eperm", "allow")
    label("allow")
    op(RET, ALLOW)
    label("eperm")
    op(RET, EPERM)
    label("enosys")
    op(RET, ENOSYS)
    label("kill")
    op(RET, KILL)
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        def rel(target):
            if target is None:
                return 0
            offset = labels[target] - i - 1
            if not 0 <= offset <= 255:
                raise ValueError("seccomp jump out of range")
            return offset
        out.append(struct.pack("HBBI", code, rel(jt), rel(jf), k))
    return out


def _install_seccomp():
    """Install the filter on every thread of the process (needs x86-64)."""
    import ctypes
    import platform
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()}")
    libc = _libc()
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    code = b"".join(_seccomp_program(os.getpid()))
    buf = ctypes.create_string_buffer(code, len(code))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    prog = Prog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc.syscall.restype = ctypes.c_long
    # SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_TSYNC: all threads.
    rc = libc.syscall(ctypes.c_long(_NR_SECCOMP), ctypes.c_long(1), ctypes.c_long(1),
                      ctypes.byref(prog))
    _check(0 if rc == 0 else 1, "seccomp")


# ------------------------------------------------------------------ the audit hook
#
# The functions named _sb_* run inside the audit hook.  They look up no
# global or builtin name (everything comes through ``ctx``), so replacing
# os.path.realpath, builtins.isinstance or this module's attributes does not
# change a decision; tests/test_sandbox.py checks their bytecode for that.

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PROCESS_EVENTS = ("os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn",
                   "os.spawn", "subprocess.Popen", "pty.spawn", "os.startfile",
                   "webbrowser.open")
_CTYPES_EVENTS = ("ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle",
                  "ctypes.call_function", "ctypes.cdata", "ctypes.string_at",
                  "ctypes.wstring_at", "ctypes.PyObj_FromPtr")
_BLOCKED_MODULES = ("_posixsubprocess", "_ctypes", "_xxsubinterpreters", "_testcapi",
                    "_testinternalcapi", "_testmultiphase", "_testbuffer", "_ctypes_test",
                    "_xxtestfuzz", "_testimportmultiple", "_testclinic", "_gdbm", "_dbm")
# event -> ((argument index, "r" or "w", index of its dir_fd argument or None), ...)
_PATH_EVENTS = {
    "os.remove": ((0, "w", 1),), "os.rmdir": ((0, "w", 1),), "os.mkdir": ((0, "w", 2),),
    "os.chmod": ((0, "w", 2),), "os.chown": ((0, "w", 3),), "os.utime": ((0, "w", 3),),
    "os.truncate": ((0, "w", None),), "os.setxattr": ((0, "w", None),),
    "os.removexattr": ((0, "w", None),), "os.chflags": ((0, "w", None),),
    "os.lchflags": ((0, "w", None),), "shutil.rmtree": ((0, "w", 1),),
    "os.rename": ((0, "w", 2), (1, "w", 3)), "os.link": ((0, "w", 2), (1, "w", 3)),
    "shutil.copyfile": ((0, "r", None), (1, "w", None)),
    "shutil.copytree": ((0, "r", None), (1, "w", None)),
    "shutil.copymode": ((0, "r", None), (1, "w", None)),
    "shutil.copystat": ((0, "r", None), (1, "w", None)),
    "shutil.move": ((0, "w", None), (1, "w", None)),
    "os.listdir": ((0, "r", None),), "os.scandir": ((0, "r", None),),
    "os.chdir": ((0, "r", None),), "os.walk": ((0, "r", None),),
    "os.fwalk": ((0, "r", 4),), "os.getxattr": ((0, "r", None),),
    "os.listxattr": ((0, "r", None),),
}


def _sb_fd_path(fd, ctx):
    """``(path, special)`` of an open file descriptor."""
    try:
        target = ctx["readlink"]("/proc/self/fd/" + ctx["str"](fd))
    except ctx["OSError"]:
        return "/proc/self/fd/" + ctx["str"](fd), True
    if target.startswith("/"):
        return ctx["normalise"](target, ctx)
    return "fd:" + target, True          # a pipe, socket or anonymous inode


def _sb_normalise(path, ctx):
    """Resolve symlinks like os.path.realpath (non-strict); ``(path, special)``."""
    lstat, readlink, OSError_ = ctx["lstat"], ctx["readlink"], ctx["OSError"]
    pending = path.split("/")[::-1]
    resolved = ""
    links = 0
    while pending:
        name = pending.pop()
        if name == "" or name == ".":
            continue
        if name == "..":
            resolved = resolved[:resolved.rfind("/")] if resolved else ""
            continue
        candidate = resolved + "/" + name
        try:
            mode = lstat(candidate).st_mode
        except OSError_:
            resolved = candidate
            continue
        if mode & 0o170000 != 0o120000:
            resolved = candidate
            continue
        links += 1
        if links > 40:
            return candidate, False
        try:
            target = readlink(candidate)
        except OSError_:
            resolved = candidate
            continue
        if target.startswith("/"):
            resolved = ""
        elif resolved.startswith("/proc/") and (":[" in target
                                                or target.startswith("anon_inode:")):
            return "fd:" + target, True
        pending.extend(target.split("/")[::-1])
    return (resolved or "/"), False


def _sb_text(obj, ctx):
    """A path argument as str (None when it is not a path)."""
    kind = ctx["type"](obj)
    if kind is not ctx["str"] and kind is not ctx["bytes"]:
        obj = ctx["fspath"](obj)
        kind = ctx["type"](obj)
    if kind is ctx["bytes"]:
        return ctx["decode"](obj, "utf-8", "surrogateescape")
    if kind is ctx["str"]:
        return obj
    return None


def _sb_path(obj, ctx, dir_fd=None):
    """The real path an audit-event argument names: ``(path, special)``."""
    if obj is None:
        obj = "."
    kind = ctx["type"](obj)
    if kind is ctx["int"] or kind is ctx["bool"]:
        return ctx["fd_path"](obj, ctx)
    text = ctx["text"](obj, ctx)
    if text is None:
        return "<unsupported path object>", False
    if "\x00" in text:
        return text, False
    if not text.startswith("/"):
        if dir_fd is not None and ctx["type"](dir_fd) is ctx["int"]:
            base, special = ctx["fd_path"](dir_fd, ctx)
            if special:
                return base, True
        else:
            base = ctx["getcwd"]()
        text = base + "/" + text
    return ctx["normalise"](text, ctx)


def _sb_within(path, root):
    return path == root or root == "/" or path.startswith(root + "/")


def _sb_read_rule(path, ctx):
    """Why reading ``path`` is refused, or None."""
    within, workdir = ctx["within"], ctx["workdir"]
    for d in ctx["deny"]:
        if within(path, d):
            if within(workdir, d) and within(path, workdir):
                continue
            return "it is under a path the grader denies"
    for suffix in ctx["deny_suffixes"]:
        if path.endswith(suffix):
            return "files named *" + suffix + " are denied"
    if path.startswith("/proc/"):
        parts = path[6:].split("/")
        if parts[0].isdigit() and parts[0] != ctx["pid"]:
            # The process table (psutil's children()) is fine; memory,
            # environment, open files and folders of other processes are not.
            if parts[1:] and (parts[2:] or parts[1] not in ctx["proc_public"]):
                return "other processes are off limits"
    return None


def _sb_write_rule(path, special, ctx):
    """Why writing ``path`` is refused, or None."""
    if special:
        return None
    rule = ctx["read_rule"](path, ctx)
    if rule is not None:
        return rule
    if ctx["within"](path, ctx["workdir"]) or path in ctx["writable_files"]:
        return None
    return "writing is allowed only inside the workdir"


def _sb_check_open(args, ctx):
    target, mode, flags = args[0], args[1], args[2]
    type_ = ctx["type"]
    if type_(target) is ctx["int"]:
        return None
    path, special = ctx["path"](target, ctx)
    if special:
        return None
    if type_(flags) is ctx["int"]:
        write = (flags & ctx["WRITE_FLAGS"]) != 0
    elif type_(mode) is ctx["str"]:
        write = "w" in mode or "a" in mode or "x" in mode or "+" in mode
    else:
        write = True
    if write:
        rule = ctx["write_rule"](path, special, ctx)
    else:
        rule = ctx["read_rule"](path, ctx)
        if rule is None and mode is None and not ctx["within"](path, ctx["workdir"]):
            # os.open() of a folder outside the workdir would give a dir_fd
            # that later open events cannot show: refuse such handles.
            try:
                is_dir = (ctx["stat"](path).st_mode & 0o170000) == 0o040000
            except ctx["OSError"]:
                is_dir = False
            if is_dir:
                rule = "folder handles outside the workdir are not allowed"
    return None if rule is None else (rule, path)


def _sb_check_paths(event, args, ctx):
    for index, kind, dir_fd_at in ctx["path_events"][event]:
        if not args[index:index + 1]:
            continue
        dir_fd = None
        if dir_fd_at is not None and args[dir_fd_at:dir_fd_at + 1]:
            dir_fd = args[dir_fd_at]
        path, special = ctx["path"](args[index], ctx, dir_fd)
        if kind == "w":
            rule = ctx["write_rule"](path, special, ctx)
        else:
            rule = None if special else ctx["read_rule"](path, ctx)
        if rule is not None:
            return rule, path
    return None


def _sb_check_symlink(args, ctx):
    path, special = ctx["path"](args[1], ctx, args[2] if args[2:3] else None)
    rule = ctx["write_rule"](path, special, ctx)
    if rule is not None:
        return rule, path
    target = ctx["text"](args[0], ctx)
    why = "symlinks must have an absolute target inside the workdir"
    if target is None or not target.startswith("/"):
        return why, ctx["repr"](args[0])
    resolved, special = ctx["normalise"](target, ctx)
    if special or not ctx["within"](resolved, ctx["workdir"]) or \
            ctx["read_rule"](resolved, ctx) is not None:
        return why, resolved
    return None


def _sb_check_glob(event, args, ctx):
    pattern = ctx["text"](args[0], ctx)
    if pattern is None:
        return None
    if event == "glob.glob/2" and args[2:3] and args[2] is not None and \
            not pattern.startswith("/"):
        root = ctx["text"](args[2], ctx)
        if root is not None:
            pattern = root + "/" + pattern
    cut = pattern
    for ch in "*?[":
        at = cut.find(ch)
        if at >= 0:
            cut = cut[:at]
    path, special = ctx["path"](cut or ".", ctx)
    if special:
        return None
    rule = ctx["read_rule"](path, ctx)
    if rule is not None:
        return rule, path
    if cut != pattern:
        for d in ctx["deny"]:
            # glob("/course/*/x") lists a denied folder on the way
            if ctx["within"](d, path) and d != path and \
                    not ctx["within"](ctx["workdir"], d):
                return "the pattern reaches into a denied path", d
    return None


def _sb_check(event, args, ctx):
    """``(rule, path)`` when the event must be refused, else None."""
    repr_, str_ = ctx["repr"], ctx["str"]
    if event == "open":
        return ctx["check_open"](args, ctx)
    if event in ctx["path_events"]:
        return ctx["check_paths"](event, args, ctx)
    if event == "os.symlink":
        return ctx["check_symlink"](args, ctx)
    if event == "glob.glob" or event == "glob.glob/2":
        return ctx["check_glob"](event, args, ctx)
    if event == "sqlite3.connect":
        database = args[0]
        if ctx["type"](database) is str_:
            if database.startswith("file:"):
                database = database[5:].split("?")[0]
            if database == "" or database == ":memory:":
                return None
        path, special = ctx["path"](database, ctx)
        rule = ctx["write_rule"](path, special, ctx)
        return None if rule is None else (rule, path)
    if event in ctx["process_events"]:
        return "starting processes is not allowed", repr_(args[:2])[:200]
    if event in ctx["ctypes_events"]:
        return "ctypes is not allowed (foreign calls and raw memory)", repr_(args[:1])[:200]
    if event == "import":
        if args[0] in ctx["blocked_modules"]:
            return "this module cannot be imported in the sandbox", args[0]
        if ctx["type"](args[1]) is str_:
            path, special = ctx["path"](args[1], ctx)
            rule = None if special else ctx["read_rule"](path, ctx)
            if rule is not None:
                return rule, path
        return None
    if event == "os.kill":
        if args[0] == ctx["pid_int"] or args[0] == 0:
            return None
        return "signals may only go to the sandboxed process itself", "pid " + str_(args[0])
    if event == "os.killpg":
        if args[0] == ctx["pid_int"]:
            return None
        return "signals may only go to the sandboxed process itself", "pgid " + str_(args[0])
    if event == "sys.settrace" or event == "sys.setprofile":
        return "tracing and profiling hooks are not allowed", event
    if event == "gc.get_objects" or event == "gc.get_referrers" or \
            event == "gc.get_referents":
        return "walking the interpreter's objects is not allowed", event
    if event == "cpython.PyInterpreterState_New":
        return "sub-interpreters are not allowed", event
    if event == "object.__setattr__" or event == "object.__delattr__":
        if ctx["id"](args[0]) in ctx["protected"]:
            return "the sandbox's own objects cannot be changed", repr_(args[1])
        return None
    if event == "resource.setrlimit":
        return "resource limits cannot be changed", repr_(args)[:200]
    if event == "resource.prlimit":
        if args[2:3] and args[2] is not None:
            return "resource limits cannot be changed", repr_(args)[:200]
        return None
    if event == "socket.connect" or event == "socket.bind" or \
            event == "socket.sendto" or event == "socket.sendmsg":
        return "network access is not allowed", repr_(args[1:2])[:200]
    return None


def _sb_log(ctx, event, rule, path):
    """Append one refusal to the violations log (the first max_logged only)."""
    fd = ctx["log_fd"]
    if fd is None:
        return
    n = ctx["counter"].__next__()
    if n > ctx["max_logged"]:
        return
    esc = ctx["json_str"]
    if n == ctx["max_logged"]:
        event, rule, path = "sandbox.log-full", "no more violations are logged", ""
    line = ('{"kind": "violation", "event": ' + esc(event) + ', "rule": ' + esc(rule)
            + ', "path": ' + esc(path) + ', "pid": ' + ctx["pid"]
            + ', "time": ' + ctx["repr"](ctx["time"]()) + "}\n")
    try:
        ctx["write"](fd, ctx["encode"](line, "utf-8", "surrogateescape"))
    except ctx["BaseException"]:
        pass


def _make_hook(ctx):
    """The audit hook; it reaches everything through ``ctx`` and its closure."""
    watched, check, log, repr_ = ctx["watched"], ctx["check"], ctx["log"], ctx["repr"]
    PermissionError_, ImportError_ = ctx["PermissionError"], ctx["ImportError"]
    BaseException_, type_, str_ = ctx["BaseException"], ctx["type"], ctx["str"]
    EACCES = errno.EACCES

    def hook(event, args):
        if event not in watched:
            return
        try:
            verdict = check(event, args, ctx)
        except BaseException_ as e:      # fail closed on anything unexpected
            verdict = ("the sandbox could not check this (" + type_(e).__name__ + ")",
                       repr_(args)[:200])
        if verdict is None:
            return
        rule, path = verdict
        if type_(path) is not str_:
            path = repr_(path)
        log(ctx, event, rule, path)
        if event == "import":
            raise ImportError_("sandbox refused import of " + path + ": " + rule, name=path)
        raise PermissionError_(EACCES, "sandbox refused " + event + ": " + rule, path)
    return hook


_HOOK_HELPERS = {
    "fd_path": _sb_fd_path, "normalise": _sb_normalise, "text": _sb_text, "path": _sb_path,
    "within": _sb_within, "read_rule": _sb_read_rule, "write_rule": _sb_write_rule,
    "check_open": _sb_check_open, "check_paths": _sb_check_paths,
    "check_symlink": _sb_check_symlink, "check_glob": _sb_check_glob, "check": _sb_check,
    "log": _sb_log,
}


def _hook_context(policy, workdir, log_fd, extra_deny=()):
    """Everything the hook needs, captured now, in a read-only mapping."""
    import builtins
    import json.encoder
    import pathlib
    import types
    deny = [os.path.realpath(p) for p in (*policy.deny, *extra_deny)]
    if policy.violations_log is not None:
        deny.append(os.path.realpath(policy.violations_log))
    protected = {id(f) for f in _HOOK_HELPERS.values()}
    protected |= {id(c) for c in (pathlib.PurePath, pathlib.PurePosixPath,
                                  pathlib.Path, pathlib.PosixPath)}
    pid = os.getpid()
    ctx = dict(_HOOK_HELPERS)
    ctx.update({
        "workdir": os.path.realpath(workdir), "deny": tuple(deny),
        "deny_suffixes": tuple(policy.deny_suffixes), "writable_files": ("/dev/null",),
        "proc_public": frozenset({"stat", "status", "statm", "comm"}),
        "pid": str(pid), "pid_int": pid, "log_fd": log_fd, "counter": itertools.count(),
        "max_logged": _MAX_LOGGED,
        "path_events": types.MappingProxyType(dict(_PATH_EVENTS)),
        "process_events": frozenset(_PROCESS_EVENTS),
        "ctypes_events": frozenset(_CTYPES_EVENTS),
        "blocked_modules": frozenset(_BLOCKED_MODULES), "protected": frozenset(protected),
        "WRITE_FLAGS": _WRITE_FLAGS,
        "lstat": os.lstat, "stat": os.stat, "readlink": os.readlink, "getcwd": os.getcwd,
        "fspath": os.fspath, "write": os.write, "time": time.time,
        "decode": bytes.decode, "encode": str.encode,
        "json_str": json.encoder.encode_basestring_ascii,
        "type": builtins.type, "str": builtins.str, "bytes": builtins.bytes,
        "int": builtins.int, "bool": builtins.bool, "id": builtins.id,
        "repr": builtins.repr, "OSError": builtins.OSError,
        "BaseException": builtins.BaseException,
        "PermissionError": builtins.PermissionError, "ImportError": builtins.ImportError,
    })
    ctx["watched"] = frozenset(
        {"open", "os.symlink", "sqlite3.connect", "glob.glob", "glob.glob/2", "import",
         "os.kill", "os.killpg", "sys.settrace", "sys.setprofile", "gc.get_objects",
         "gc.get_referrers", "gc.get_referents", "cpython.PyInterpreterState_New",
         "object.__setattr__", "object.__delattr__", "resource.setrlimit",
         "resource.prlimit", "socket.connect", "socket.bind", "socket.sendto",
         "socket.sendmsg"}
        | set(_PATH_EVENTS) | set(_PROCESS_EVENTS) | set(_CTYPES_EVENTS))
    # Read-only: the hook's frame (visible in a traceback) exposes ctx.
    return types.MappingProxyType(ctx)


def _refuse_fork_exec():
    """Replace ``_posixsubprocess.fork_exec`` everywhere it is referenced.

    It is the one process-creating function without an audit event; seccomp
    stops it anyway, this makes the refusal a clear ``PermissionError``.
    """
    import gc
    mod = sys.modules.get("_posixsubprocess")
    if mod is None:
        return

    def fork_exec(*args, **kwargs):
        raise PermissionError(errno.EACCES, "sandbox refused subprocess: starting "
                              "processes is not allowed")
    original = getattr(mod, "fork_exec", None)
    if original is None:
        return
    for holder in gc.get_referrers(original):
        if isinstance(holder, dict):
            for key, value in list(holder.items()):
                if value is original:
                    holder[key] = fork_exec


_ARMED = []


def arm(policy, *, workdir=None, log_fd=None, protections=(), extra_deny=()):
    """Arm the sandbox in this process; call it before any student code runs.

    Drops the remaining capabilities, installs the seccomp filter and the
    audit hook (unless ``policy.disable`` names them) and writes a
    ``sandbox.armed`` record with the active protections to the violations
    log.  Neither the hook nor the filter can be removed afterwards.  Import
    numpy before: importing ctypes (numpy does) calls ``dlopen``, which the
    hook refuses once armed.

    Parameters
    ----------
    policy : Policy
    workdir : path, optional
        Defaults to ``policy.workdir`` or the current directory.
    log_fd : int, optional
        An open, append-mode descriptor of the violations log; by default
        ``policy.violations_log`` is opened here.
    protections : sequence of str
        Layers already active (reported in the ``sandbox.armed`` record).
    extra_deny : sequence of path
        Denied to the hook only (e.g. the folder of a kernel's connection file,
        read before arming).

    Returns
    -------
    list of str
        All active protections.
    """
    if _ARMED:
        return list(_ARMED[0])
    workdir = os.path.realpath(workdir or policy.workdir or os.getcwd())
    protections = list(protections)
    notes = []
    if log_fd is None and policy.violations_log is not None:
        log_fd = os.open(policy.violations_log,
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    import ctypes  # noqa: F401  (loaded now: nothing may dlopen once armed)
    _refuse_fork_exec()
    if "capabilities" not in policy.disable and "capabilities-dropped" not in protections:
        _add_layer(_drop_capabilities, "capabilities-dropped", "capabilities not dropped",
                   protections, notes)
    if "seccomp" not in policy.disable:
        _add_layer(_install_seccomp, "seccomp", "no seccomp filter", protections, notes)
    hook = None
    if "audit-hook" not in policy.disable:
        hook = _make_hook(_hook_context(policy, workdir, log_fd, extra_deny))
        protections.append("audit-hook")
    _write_record(log_fd, {"kind": "armed", "event": "sandbox.armed", "pid": os.getpid(),
                           "workdir": workdir, "protections": protections, "notes": notes,
                           "time": time.time()})
    if hook is not None:
        sys.addaudithook(hook)
    _ARMED.append(tuple(protections))
    return protections


def _write_record(fd, record):
    if fd is not None:
        with contextlib.suppress(OSError):
            os.write(fd, (json.dumps(record) + "\n").encode())


def _arm_from_environment():
    """Called by the IPython startup file of a sandboxed kernel."""
    spec = json.loads(os.environ.pop(_ARM_ENV))
    policy = Policy.from_json(spec["policy"])
    arm(policy, workdir=spec["workdir"], log_fd=spec["log_fd"],
        protections=spec["protections"], extra_deny=spec["extra_deny"])


_STARTUP_FILE = '''\
# Written by cs231n.grading.sandbox: arms the sandbox before the first cell.
def _cs231n_arm():
    import os
    try:
        import cs231n.grading.sandbox as sandbox
        sandbox._arm_from_environment()
    except BaseException as e:  # fail closed: never run student code unarmed
        os.write(2, ("cs231n sandbox: could not arm: %r\\n" % (e,)).encode())
        os._exit(70)
_cs231n_arm()
del _cs231n_arm
# The notebook's folder on the path, as IPython puts it without -I (given
# modules of an assignment, e.g. a2_layers.py, are imported from there).
import sys as _cs231n_sys
if "" not in _cs231n_sys.path:
    _cs231n_sys.path.insert(0, "")
del _cs231n_sys
'''


# ------------------------------------------------------------------ the entry point

def _readable_by(path, uid, gids):
    """Can ``uid`` (with groups ``gids``) reach and read ``path``?"""
    path = os.path.realpath(path)
    parts = Path(path).parts
    for i in range(1, len(parts) + 1):
        p = os.path.join(*parts[:i])
        try:
            st = os.stat(p)
        except OSError:
            return False
        need = 1 if i < len(parts) or stat.S_ISDIR(st.st_mode) else 4
        if st.st_uid == uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in gids:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        if not bits & need:
            return False
    return True


def _drop_to_user(user, tmp):
    import pwd
    entry = pwd.getpwnam(user)
    uid, gid = entry.pw_uid, entry.pw_gid
    import sysconfig
    needed = [sys.executable, sysconfig.get_paths()["stdlib"],
              sysconfig.get_paths()["purelib"], os.path.dirname(__file__)]
    blocked = [p for p in needed if not _readable_by(p, uid, {gid})]
    if blocked:
        return f"stayed uid {os.getuid()}: user {user} cannot read {blocked[0]}"
    for folder, _, files in os.walk(tmp):
        os.chown(folder, uid, gid)
        for f in files:
            os.chown(os.path.join(folder, f), uid, gid)
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)
    return None


def _private_tmp(workdir):
    """``workdir/.sandbox-tmp-<pid>``; stale ones of dead processes are removed."""
    with contextlib.suppress(OSError):
        for name in os.listdir(workdir):
            if name.startswith(_TMP_PREFIX) and name[len(_TMP_PREFIX):].isdigit():
                pid = int(name[len(_TMP_PREFIX):])
                if _proc_start_time(pid) is None:
                    shutil.rmtree(os.path.join(workdir, name), ignore_errors=True)
    tmp = os.path.join(workdir, f"{_TMP_PREFIX}{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.mkdir(tmp, 0o700)
    return tmp


def _environment(tmp):
    """Point every per-user folder at the private temporary folder."""
    folders = {
        "HOME": tmp, "TMPDIR": tmp, "TEMP": tmp, "TMP": tmp,
        "MPLCONFIGDIR": os.path.join(tmp, "matplotlib"),
        "IPYTHONDIR": os.path.join(tmp, "ipython"),
        "JUPYTER_CONFIG_DIR": os.path.join(tmp, "jupyter", "config"),
        "JUPYTER_DATA_DIR": os.path.join(tmp, "jupyter", "data"),
        "JUPYTER_RUNTIME_DIR": os.path.join(tmp, "jupyter", "runtime"),
        "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
        "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
    }
    # Matplotlib rebuilds its font cache (and warns on stderr, which costs a
    # graded test cell its points) unless it finds one: copy the grader's.
    sources = [os.environ.get("MPLCONFIGDIR"), os.path.expanduser("~/.cache/matplotlib"),
               os.path.expanduser("~/.config/matplotlib")]
    os.makedirs(folders["MPLCONFIGDIR"], exist_ok=True)
    for src in filter(None, sources):
        with contextlib.suppress(OSError):
            for name in os.listdir(src):
                if name.startswith("fontlist") and name.endswith(".json"):
                    shutil.copy(os.path.join(src, name), folders["MPLCONFIGDIR"])
    for key, value in folders.items():
        os.environ[key] = value
    os.environ.pop("JUPYTER_PATH", None)
    os.environ.pop(POLICY_ENV, None)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # One BLAS thread: grading parallelises over processes, and every thread
    # counts against the pids limit.
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    sys.dont_write_bytecode = True
    tempfile.tempdir = None


def _parse_args(argv):
    import argparse
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.grading.sandbox",
        description="Run a Python target (-m MODULE, -c CODE or a script) in the grading sandbox.")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--policy", help="a policy JSON file, or the JSON itself")
    src.add_argument("--policy-from-env", metavar="VAR",
                     help="read the policy file's path from this environment variable")
    parser.add_argument("--cgroup", help="the cgroups of this name (made by start()) hold "
                        "the process; '-' for none (do not make one either)")
    parser.add_argument("--arm-at", choices=("auto", "start", "ipython"), default="auto",
                        help="arm before the target starts, or from an IPython startup "
                             "file (auto: ipython for ipykernel targets)")
    parser.add_argument("target", nargs=argparse.REMAINDER,
                        help="-- then -m MODULE ARGS..., -c CODE ARGS... or SCRIPT ARGS...")
    args = parser.parse_args(argv)
    target = args.target[1:] if args.target[:1] == ["--"] else args.target
    if not target:
        parser.error("nothing to run: give -- -m MODULE ..., -- -c CODE ... or -- SCRIPT ...")
    if target[0] in ("-m", "-c") and len(target) < 2:
        parser.error(f"{target[0]} needs an argument")
    args.target = target
    return args


def _load_policy(args):
    """``(policy, policy_file or None)``."""
    if args.policy_from_env:
        name = os.environ.get(args.policy_from_env)
        if not name:
            raise SystemExit(f"sandbox: environment variable {args.policy_from_env} is not set")
        text, source = Path(name).read_text(), Path(name)
    elif args.policy.lstrip().startswith("{"):
        text, source = args.policy, None
    else:
        text, source = Path(args.policy).read_text(), Path(args.policy)
    policy = Policy.from_json(text)
    if policy.violations_log is None and source is not None:
        policy = dataclasses.replace(
            policy, violations_log=source.with_name(source.name + ".violations.jsonl"))
    return policy, source


def _preload():
    """Import the trusted C extensions before arming (numpy brings ctypes)."""
    for name in ("numpy",):
        with contextlib.suppress(ImportError):
            __import__(name)


def _run_target(target, workdir):
    import runpy
    import types
    if target[0] == "-m":
        sys.argv = [target[1], *target[2:]]
        sys.path[0:1] = [workdir]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    elif target[0] == "-c":
        sys.argv = ["-c", *target[2:]]
        sys.path[0:1] = [workdir]
        module = types.ModuleType("__main__")
        module.__builtins__ = __builtins__
        sys.modules["__main__"] = module
        exec(compile(target[1], "<string>", "exec"), module.__dict__)
    else:
        script = os.path.abspath(target[0])
        sys.argv = [script, *target[1:]]
        sys.path[0:1] = [os.path.dirname(script)]
        runpy.run_path(script, run_name="__main__")


def main(argv=None):
    """Entry point: ``python -m cs231n.grading.sandbox --policy P -- TARGET...``."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    policy, _ = _load_policy(args)
    apply_limits(policy.limits)
    # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    protections, notes = ["rlimits", "new-session"], []

    if args.cgroup == "-":
        pass
    elif args.cgroup:
        # start() moves us in right after the fork; make sure it has.
        group = _Cgroup.existing(args.cgroup)
        end = time.monotonic() + 2.0
        while group is not None and not group.contains(os.getpid()) and time.monotonic() < end:
            time.sleep(0.005)
    elif "cgroups" not in policy.disable:
        with contextlib.suppress(OSError):
            cleanup_stale_cgroups()
        # Owned by the parent (the kernel manager): when that process is gone,
        # cleanup_stale_cgroups kills whatever is left and removes the cgroup.
        group = _Cgroup.create(policy.limits, os.getppid(), member=os.getpid())
        if group is not None:
            try:
                group.add(os.getpid())
                protections += group.protections
            except OSError as e:
                notes.append(f"could not join cgroup: {e}")

    workdir = os.path.realpath(policy.workdir or os.getcwd())
    if not os.path.isdir(workdir):
        raise SystemExit(f"sandbox: workdir {workdir} is not a folder")
    tmp = _private_tmp(workdir)
    target = args.target
    kernel = target[0] == "-m" and target[1] in ("ipykernel_launcher", "ipykernel")
    hidden, keep = [], []
    if kernel and "-f" in target[:-1]:
        # Other kernels' connection files (their HMAC keys) live next to ours:
        # hide the folder, keep our own file (read once, at start-up).
        connection = os.path.realpath(target[target.index("-f") + 1])
        folder = os.path.dirname(connection)
        trusted = (sys.prefix, sys.base_prefix, os.path.dirname(os.path.abspath(__file__)))
        if not any(_within(os.path.realpath(t), folder) for t in trusted):
            hidden, keep = [folder], [connection]
    log_fd = None
    if policy.violations_log is not None:
        log_fd = os.open(policy.violations_log,
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        # Before the mounts: it copies the grader's matplotlib font cache.
        _environment(tmp)
        if "mount-namespace" not in policy.disable:
            try:
                deny = [os.path.realpath(d) for d in policy.deny] + hidden
                done, more = _isolate_filesystem(workdir, deny, policy.deny_suffixes,
                                                 keep_files=keep)
                protections += done
                notes += more
            except OSError as e:
                notes.append(f"no mount namespace: {e}")
        os.chdir(workdir)
        if policy.user:
            why = _drop_to_user(policy.user, tmp)
            if why:
                notes.append(why)
            else:
                protections.append("unprivileged-user")
        if "capabilities" not in policy.disable:
            _add_layer(_drop_capabilities, "capabilities-dropped",
                       "capabilities not dropped", protections, notes)
        _preload()
        at = args.arm_at if args.arm_at != "auto" else ("ipython" if kernel else "start")
        if at == "ipython" and not kernel:
            raise SystemExit("sandbox: --arm-at ipython needs an ipykernel target")
        extra_deny = hidden
        if at == "ipython":
            startup = Path(os.environ["IPYTHONDIR"]) / "profile_default" / "startup"
            startup.mkdir(parents=True, exist_ok=True)
            (startup / "00-cs231n-sandbox.py").write_text(_STARTUP_FILE)
            os.environ[_ARM_ENV] = json.dumps({
                "policy": policy.to_json(), "workdir": workdir, "log_fd": log_fd,
                "protections": protections, "extra_deny": extra_deny})
            if notes:
                _write_record(log_fd, {"kind": "notes", "notes": notes, "pid": os.getpid()})
        else:
            if notes:
                _write_record(log_fd, {"kind": "notes", "notes": notes, "pid": os.getpid()})
            arm(policy, workdir=workdir, log_fd=log_fd, protections=protections,
                extra_deny=extra_deny)
        _run_target(target, workdir)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(Exception):
            os.chdir(workdir)
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


# ------------------------------------------------------------------ the grader's side

def sandboxed_argv(policy, argv, *, cgroup=None):
    """The command line that runs ``argv`` (Python arguments) under ``policy``.

    Parameters
    ----------
    policy : Policy or path
        A Policy (passed inline as JSON) or the path of a policy JSON file.
    argv : list of str
        ``["-m", "module", ...]``, ``["-c", "code", ...]`` or ``["script.py", ...]``.
    cgroup : str, optional
        Name of cgroups the caller made and will move the process into; "-"
        for none.  Without it the sandbox makes its own (owned by its parent).
    """
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("argv is empty: nothing to run")
    spec = policy.to_json() if isinstance(policy, Policy) else str(Path(policy).absolute())
    out = [sys.executable, "-I", "-m", "cs231n.grading.sandbox", "--policy", spec]
    if cgroup:
        out += ["--cgroup", cgroup]
    return out + ["--", *argv]


def read_violations(path, offset=0):
    """``(violations, armed_records)`` parsed from a violations log from ``offset`` on."""
    violations, armed = [], []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(64 * 1024 * 1024)
    except OSError:
        return violations, armed
    for line in data.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict):
            continue
        if rec.get("kind") == "violation":
            violations.append(rec)
        elif rec.get("kind") in ("armed", "notes"):
            armed.append(rec)
    return violations, armed


def _drain(fd, cap, sink, stop):
    """Read ``fd`` to EOF keeping at most ``cap`` bytes; sink = [bytearray, truncated]."""
    buf = sink[0]
    poller = select.poll()        # not select(): descriptors past 1024 are common here
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while True:
        if not poller.poll(100):
            if stop.is_set():
                break
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        room = cap - len(buf)
        if room > 0:
            buf += chunk[:room]
        if len(chunk) > room:
            sink[1] = True


class Sandboxed:
    """A running sandboxed process (made by :func:`start`); ``stop()`` ends it.

    Attributes
    ----------
    pid : int
        Also its process group and session id.
    """

    def __init__(self, argv, policy, *, stdin=None, pass_fds=()):
        self.policy = policy
        self._result = None
        self._started = time.monotonic()
        self._notes = []
        self._group = None
        if "cgroups" not in policy.disable:
            with contextlib.suppress(OSError):
                cleanup_stale_cgroups()
            try:
                self._group = _Cgroup.create(policy.limits, os.getpid())
            except OSError as e:
                self._notes.append(f"no cgroup: {e}")
        self._own_log = policy.violations_log is None
        if self._own_log:
            folder = tempfile.gettempdir()
            if policy.workdir is not None and _within(os.path.realpath(folder),
                                                      os.path.realpath(policy.workdir)):
                folder = os.path.dirname(os.path.realpath(policy.workdir))
            fd, log = tempfile.mkstemp(prefix="cs231n-sandbox-", suffix=".jsonl", dir=folder)
            os.close(fd)
            policy = dataclasses.replace(policy, violations_log=Path(log))
        self._log = policy.violations_log
        try:
            self._log_offset = os.path.getsize(self._log)
        except OSError:
            self._log_offset = 0
        cwd = policy.workdir if policy.workdir is not None else None
        cmd = sandboxed_argv(policy, argv, cgroup=self._group.name if self._group else "-")
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                start_new_session=True, pass_fds=tuple(pass_fds), close_fds=True)
        except BaseException:
            self._cleanup_files()
            if self._group is not None:
                self._group.remove()
            raise
        self.pid = self.proc.pid
        if self._group is not None:
            try:
                self._group.add(self.pid)
            except OSError as e:
                self._notes.append(f"could not move the process into its cgroup: {e}")
                self._group.remove()
                self._group = None
        self._stop = threading.Event()
        self._sinks = [[bytearray(), False], [bytearray(), False]]
        self._threads = [
            threading.Thread(target=_drain, args=(s.fileno(), policy.limits.output_bytes,
                                                  sink, self._stop), daemon=True)
            for s, sink in zip((self.proc.stdout, self.proc.stderr), self._sinks)]
        if stdin is not None:
            self._threads.append(threading.Thread(target=self._feed, args=(bytes(stdin),),
                                                  daemon=True))
        for t in self._threads:
            t.start()

    def violations(self):
        """The audit hook's refusals logged so far, oldest first."""
        return read_violations(self._log, self._log_offset)[0]

    @property
    def output_truncated(self):
        """Has stdout or stderr gone past ``limits.output_bytes`` so far?"""
        return self._sinks[0][1] or self._sinks[1][1]

    def _feed(self, data):
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.write(data)
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()

    def _exited(self, timeout):
        """Wait up to ``timeout`` s for the process to exit, without reaping it.

        Not reaping keeps its pid (= the process group id) from being reused
        before the group is killed.
        """
        end = time.monotonic() + max(0.0, timeout)
        if self.proc.returncode is not None:
            return True
        while True:
            try:
                info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return True
            if info is not None:
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.01, left))

    def wait(self, timeout=None):
        """True when the process ended within ``timeout`` seconds (None: forever)."""
        return self._exited(float("inf") if timeout is None else timeout)

    def poll(self):
        return self._exited(0)

    def stop(self, grace=1.0):
        """End the process, clean up, and report; idempotent.

        A process still running ``grace`` seconds after the call is killed and
        reported ``timed_out`` (give a worker that was asked to exit time to).
        """
        if self._result is not None:
            return self._result
        finished = self._exited(grace)
        # Kill the whole group before reaping the leader, then what left the
        # group (setsid) through the cgroup.
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        if self._group is not None:
            self._group.kill()
        returncode = self.proc.wait()
        oom = self._group.oom_killed() if self._group is not None else False
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        for s in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()
        violations, armed = read_violations(self._log, self._log_offset)
        armed = [r for r in armed if r.get("pid") == self.pid]
        protections = list(self._group.protections) if self._group is not None else []
        notes = list(self._notes)
        for rec in armed:
            for p in rec.get("protections", []):
                if p not in protections:
                    protections.append(p)
            notes += [n for n in rec.get("notes", []) if n not in notes]
        if self._group is not None and not self._group.remove():
            notes.append(f"cgroup {self._group.name} could not be removed")
        self._cleanup_files()
        self._result = RunResult(
            returncode=returncode,
            stdout=bytes(self._sinks[0][0]), stderr=bytes(self._sinks[1][0]),
            timed_out=not finished,
            signal=-returncode if returncode is not None and returncode < 0 else None,
            output_truncated=self._sinks[0][1] or self._sinks[1][1],
            violations=violations, protections=protections, pid=self.pid,
            oom_killed=oom, notes=notes, seconds=time.monotonic() - self._started)
        return self._result

    def _cleanup_files(self):
        if self._own_log:
            with contextlib.suppress(OSError):
                os.unlink(self._log)
        if self.policy.workdir is not None and hasattr(self, "pid"):
            shutil.rmtree(Path(self.policy.workdir) / f"{_TMP_PREFIX}{self.pid}",
                          ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(argv, policy, *, stdin=None, pass_fds=()):
    """Start ``argv`` (Python arguments) under ``policy``; a :class:`Sandboxed`.

    stdout and stderr are drained by threads from the start (kept up to
    ``policy.limits.output_bytes`` each); call ``stop()`` to end it and get
    its :class:`RunResult`.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    return Sandboxed(argv, policy, stdin=stdin, pass_fds=pass_fds)


def run(argv, policy, *, timeout, stdin=None, pass_fds=()):
    """Run ``argv`` under ``policy`` for at most ``timeout`` seconds.

    Never raises for anything the child does: the :class:`RunResult` tells.
    On timeout the whole process group and the cgroup are SIGKILLed.
    """
    with start(argv, policy, stdin=stdin, pass_fds=pass_fds) as box:
        box.wait(timeout)
        return box.stop(grace=0.0)


def kill_session(proc, *, timeout=5.0):
    """SIGKILL the session/process group of ``proc`` (a ``Popen`` started with
    ``start_new_session=True``), reap it, and remove cgroups it left behind
    (sandboxed kernels it started)."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    with contextlib.suppress(OSError):
        cleanup_stale_cgroups()


# ------------------------------------------------------------------ Jupyter

def kernel_spec(policy_or_dest, dest_dir=None, *, name=KERNEL_NAME):
    """Write a Jupyter kernelspec that runs ipykernel in the sandbox.

    ``kernel_spec(policy_path, dest_dir)`` bakes one policy file into the
    kernel; ``kernel_spec(dest_dir)`` makes a kernel that reads the policy
    file named by ``$CS231N_SANDBOX_POLICY`` when it starts (one kernelspec
    for all students, see :func:`kernel_env`).  The folder is
    ``dest_dir/kernels/<name>``; use it with ``JUPYTER_PATH=dest_dir`` and
    ``nbgrader autograde --Execute.kernel_name=cs231n-sandbox`` (nbgrader
    honours ``Execute.kernel_name`` over the notebook's kernelspec).

    Returns
    -------
    Path
        The kernelspec folder.
    """
    target = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if dest_dir is None:
        dest_dir = policy_or_dest
        argv = [sys.executable, "-I", "-m", "cs231n.grading.sandbox",
                "--policy-from-env", POLICY_ENV, "--", *target]
    else:
        argv = sandboxed_argv(Path(policy_or_dest).absolute(), target)
    folder = Path(dest_dir) / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": argv, "display_name": KERNEL_DISPLAY_NAME, "language": "python",
            "interrupt_mode": "signal", "metadata": {"debugger": False}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def kernel_env(kernel_dir, policy_file):
    """Environment additions that make nbgrader start the sandboxed kernel.

    ``JUPYTER_PATH`` (prepended) finds the kernelspec in ``kernel_dir``, and
    ``CS231N_SANDBOX_POLICY`` names the policy file of this run.  Refusals go
    to :func:`kernel_violations_log` of that file (unless the policy names one).
    """
    paths = [str(Path(kernel_dir).absolute())]
    if os.environ.get("JUPYTER_PATH"):
        paths.append(os.environ["JUPYTER_PATH"])
    return {"JUPYTER_PATH": os.pathsep.join(paths),
            POLICY_ENV: str(Path(policy_file).absolute())}


def kernel_violations_log(policy_file):
    """Where a kernel started with ``policy_file`` logs refusals."""
    policy_file = Path(policy_file)
    policy = Policy.from_json(policy_file.read_text())
    if policy.violations_log is not None:
        return policy.violations_log
    return policy_file.with_name(policy_file.name + ".violations.jsonl")


def available_protections(timeout=30.0):
    """The protections a sandbox gets on this machine (runs a trivial sandbox)."""
    with tempfile.TemporaryDirectory(prefix="cs231n-probe-") as tmp:
        result = run(["-c", "pass"], Policy(workdir=tmp), timeout=timeout)
    return result.protections


if __name__ == "__main__":
    # Run the canonical module (not this __main__ copy) so that state such as
    # "already armed" is shared with `import cs231n.grading.sandbox`.
    from cs231n.grading import sandbox as _canonical
    sys.exit(_canonical.main())
