"""Running one sandboxed process and reporting what became of it.

``start`` launches Python arguments under a ``sandbox.Policy`` (through the
sandbox's launcher, see ``cs231n.grading.sandbox``), drains its output up to
the policy's limit, and ``Sandboxed.stop`` ends it, removes its cgroups and
returns a ``RunResult``: how it ended (exit, signal, time, memory, CPU), its
output and what the guest's audit hook reported.  ``run`` does both for a
process that should finish by itself.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import (PARENT_ENV, Policy, _Cgroup, cleanup_stale_cgroups, describe_violations,
                      launcher_argv, read_violations)

__all__ = ["RunResult", "Sandboxed", "start", "run", "kill_session"]


@dataclass
class RunResult:
    """What happened to one sandboxed process.

    ``returncode`` follows ``subprocess`` (negative: killed by that signal);
    ``signal`` is that signal's number.  ``timed_out`` means the sandbox
    killed it because it did not finish in time (``run``'s timeout, or the
    grace period of ``Sandboxed.stop``).  ``violations`` are the audit hook's
    records (dicts with ``event``, ``rule``, ``path``).
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

    def sandbox_failed(self):
        """Did bubblewrap itself fail to set the sandbox up (its own message,
        ``bwrap: ...``, before the guest ran), as when the machine refuses it
        a process?  Not the submission's doing: the grader reports it as its
        own error."""
        first = self.stderr.lstrip().split(b"\n", 1)[0]
        return self.returncode == 1 and first.startswith(b"bwrap: ")

    def describe_violations(self):
        """One line naming what was refused or reported ("" when nothing was)."""
        return describe_violations(self.violations)

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
        The launcher's, then bubblewrap's pid; also its process group.
    """

    def __init__(self, argv, policy, *, stdin=None, pass_fds=()):
        self.policy = policy
        self._result = None
        self._started = time.monotonic()
        fd, log = tempfile.mkstemp(prefix="cs231n-sandbox-", suffix=".jsonl")
        os.close(fd)
        self._log = Path(log)
        policy = dataclasses.replace(policy, violations_log=self._log)
        try:
            self.proc = subprocess.Popen(
                launcher_argv(policy, argv),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=policy.workdir, start_new_session=True, pass_fds=tuple(pass_fds),
                env=dict(os.environ, **{PARENT_ENV: str(os.getpid())}))
        except BaseException:
            self._log.unlink(missing_ok=True)
            raise
        self.pid = self.proc.pid
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
        """The audit hook's records so far, oldest first."""
        return read_violations(self._log)

    @property
    def output_truncated(self):
        """Has stdout or stderr gone past ``limits.output_bytes`` so far?"""
        return self._sinks[0][1] or self._sinks[1][1]

    def _feed(self, data):
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.write(data)
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()

    def wait(self, timeout=None):
        """True when the process ended within ``timeout`` seconds (None: forever)."""
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def poll(self):
        return self.proc.poll() is not None

    def stop(self, grace=1.0):
        """End the process, clean up, and report; idempotent.

        A process still running ``grace`` seconds after the call is killed and
        reported ``timed_out`` (give a worker that was asked to exit time to).
        """
        if self._result is not None:
            return self._result
        finished = self.wait(grace)
        group = _Cgroup.named(os.getpid(), self.pid)
        # bubblewrap's death takes its PID namespace with it (--die-with-parent).
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        returncode = self.proc.wait()
        oom = group.oom_killed() if group is not None else False
        if group is not None:
            group.remove()
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        for s in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()
        violations = self.violations()
        self._log.unlink(missing_ok=True)
        self._result = RunResult(
            returncode=returncode,
            stdout=bytes(self._sinks[0][0]), stderr=bytes(self._sinks[1][0]),
            timed_out=not finished,
            signal=_signal_of(returncode),
            output_truncated=self.output_truncated, violations=violations,
            protections=["bubblewrap", "rlimits"] + (["cgroups"] if group else []),
            pid=self.pid, oom_killed=oom, seconds=time.monotonic() - self._started)
        return self._result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _signal_of(returncode):
    """The signal that ended the guest: negative for the launcher itself, and
    128 + n when bubblewrap reports its child's death by signal n."""
    if returncode is None:
        return None
    if returncode < 0:
        return -returncode
    if 128 < returncode < 128 + 65:
        return returncode - 128
    return None


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
    """
    with start(argv, policy, stdin=stdin, pass_fds=pass_fds) as box:
        box.wait(timeout)
        return box.stop(grace=0.0)


def kill_session(proc, *, timeout=5.0):
    """SIGKILL the session of ``proc`` (a ``Popen`` started with
    ``start_new_session=True``), reap it, and remove cgroups it left behind."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    with contextlib.suppress(OSError):
        cleanup_stale_cgroups()
