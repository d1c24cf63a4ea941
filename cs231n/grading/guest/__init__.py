"""The guest: what runs first inside the sandbox, before the target.

``python -E -s cs231n/grading/guest`` (``__main__.py``) calls :func:`guest_main`,
which arms the audit hook (:func:`tell`) and runs the target like ``python``
would; in a kernel, the IPython startup file ``startup.py`` arms it once the
kernel runs.  The tell is not a defence (bubblewrap is, see
``cs231n.grading.sandbox``): it refuses to start processes (a clear
``PermissionError`` instead of a fork bomb against the pids limit) and logs
what a student tried, for the report.
"""
import contextlib
import json
import os
import sys
import time

_MAX_LOGGED = 1000                       # violations written per process
_PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn",
                             "os.spawn", "subprocess.Popen", "pty.spawn"})


def tell(log_fd, watch, allow=()):
    """Arm the audit hook of the guest; call it before any student code runs.

    It refuses to start processes and logs, to ``log_fd``, every attempt to
    start one, to list a folder under a ``watch`` folder (but inside an
    ``allow`` one: the virtualenv, the working folder), to open a path under
    a ``watch`` folder that the sandbox does not show, or to use a network
    socket.  A report, not a defence.
    """
    import socket
    write, encode, dumps, time_ = os.write, str.encode, json.dumps, time.time
    fspath, isabs, join, normpath, getcwd, lexists = (
        os.fsdecode, os.path.isabs, os.path.join, os.path.normpath, os.getcwd, os.path.lexists)
    # The working folder is the student's own (a tmpfs): only a look for the
    # notebook being graded there (hidden tests) is worth telling.
    here = getcwd()
    watch, allow = tuple(str(w) for w in watch), tuple(str(a) for a in allow)
    pid, count = os.getpid(), [0]
    local = (socket.AF_UNIX,)

    def under(path, roots):
        return any(path == r or path.startswith(r + "/") for r in roots)

    def log(event, rule, path):
        count[0] += 1
        if log_fd is None or count[0] > _MAX_LOGGED:
            return
        line = dumps({"kind": "violation", "event": event, "rule": rule, "path": path,
                      "pid": pid, "time": time_()}) + "\n"
        with contextlib.suppress(OSError):
            write(log_fd, encode(line, "utf-8", "surrogateescape"))

    def hook(event, args):
        if event in _PROCESS_EVENTS:
            log(event, "starting processes is not allowed", repr(args[:2])[:200])
            raise PermissionError(13, f"sandbox refused {event}: starting processes is "
                                      "not allowed")
        if event in ("open", "os.listdir", "os.scandir") and args and \
                isinstance(args[0], (str, bytes)):
            path = fspath(args[0])
            path = normpath(path if isabs(path) else join(getcwd(), path))
            if not under(path, watch) or under(path, allow):
                return
            # The folders above the sandbox's own ones exist, empty: listing
            # them is a search; what the sandbox shows may be opened.
            mine = under(path, (here,))
            if event != "open" and not mine or event == "open" and not lexists(path) and \
                    (not mine or path.endswith(".ipynb")):
                log(event, "the course's folders are outside the sandbox", path)
        elif event in ("socket.connect", "socket.bind", "socket.sendto") and \
                getattr(args[0], "family", None) not in local:
            log(event, "the sandbox has no network", repr(args[1])[:200])
    sys.addaudithook(hook)


def guest_main(argv=None):
    """Inside the sandbox: arm the tell, then run the target like ``python``."""
    import argparse
    import runpy
    parser = argparse.ArgumentParser(prog="cs231n-guest")
    parser.add_argument("--log-fd", type=int, default=None)
    parser.add_argument("--watch", action="append", default=[])
    parser.add_argument("--allow", action="append", default=[])
    parser.add_argument("--no-tell", action="store_true")
    parser.add_argument("target", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    target = args.target[1:] if args.target[:1] == ["--"] else args.target
    import numpy  # noqa: F401  (loaded before student code, as in every kernel)
    if args.no_tell:
        pass
    elif target[:2] == ["-m", "ipykernel_launcher"]:
        # Armed by the IPython startup file once the kernel runs: its own start
        # (platform's `uname -p`, say) is not the student's doing.
        os.environ["CS231N_TELL"] = json.dumps({"log_fd": args.log_fd, "watch": args.watch,
                                                "allow": args.allow})
    else:
        tell(args.log_fd, args.watch, args.allow)
    if target[:1] == ["-m"]:
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    elif target[:1] == ["-c"]:
        sys.argv = ["-c", *target[2:]]
        exec(compile(target[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        raise SystemExit(f"cs231n-guest: cannot run {target!r}")
