"""Tests of cs231n.grading.sandbox: hostile student code is contained and reported.

Every test runs real sandboxed processes.  Each asserts that the run ended
within a bound, reported what happened, and left no process or cgroup behind.
Tests of an inner layer switch the outer ones off (``Policy.disable``) and are
skipped where this machine does not offer that layer.
"""
import dis
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from cs231n.grading import sandbox
from cs231n.grading.sandbox import Limits, Policy

SECRET = "the answer is 42"


@pytest.fixture(scope="module")
def layers():
    """The protections a sandbox gets on this machine."""
    return set(sandbox.available_protections())


@pytest.fixture
def course(tmp_path):
    """A course folder with secrets, and a workdir for the student's code."""
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "solutions" / "answers.py").write_text(SECRET)
    (root / "gradebook.db").write_text(SECRET)
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.txt").write_text("student data")
    return root, work


def policy_for(course, **kw):
    root, work = course
    kw.setdefault("deny", (root / "solutions", root / "gradebook.db"))
    return Policy(workdir=work, **kw)


def box(code, policy, *, timeout=10.0, **kw):
    """Run ``code`` in the sandbox; check that it ended in time and left nothing."""
    start = time.monotonic()
    result = sandbox.run(["-c", textwrap.dedent(code)], policy, timeout=timeout, **kw)
    elapsed = time.monotonic() - start
    assert elapsed < timeout + 5, f"the sandbox took {elapsed:.1f} s for a {timeout} s run"
    assert_clean(result, policy)
    return result


def live_members(pgid):
    """Processes of group ``pgid`` that are not zombies."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            data = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != b"Z":
            out.append(int(name))
    return out


def our_cgroups():
    """Sandbox cgroups owned by this test process."""
    prefix = f"cs231n-{os.getpid()}-"
    return [name for base, _ in sandbox._cgroup_bases().values()
            for name in os.listdir(base) if name.startswith(prefix)]


def assert_clean(result, policy):
    assert result.pid is not None
    try:
        os.killpg(result.pid, 0)
    except ProcessLookupError:
        pass
    else:   # only zombies may remain, waiting for init to reap them
        assert live_members(result.pid) == [], "processes of the sandbox are still running"
    assert our_cgroups() == [], "a sandbox cgroup was left behind"
    if policy.workdir is not None:
        leftovers = [p.name for p in Path(policy.workdir).glob(".sandbox-tmp-*")]
        assert leftovers == [], f"private temporary folders left behind: {leftovers}"


def refused(result, path):
    """Did the hook refuse access to ``path`` and log it?"""
    paths = [v["path"] for v in result.violations]
    return str(path) in paths and b"PermissionError" in result.stdout + result.stderr


# ------------------------------------------------------------------ policy

def test_policy_round_trips_through_json(tmp_path):
    """Does Policy.from_json(to_json()) give the same policy?"""
    p = Policy(workdir=tmp_path, deny=(tmp_path / "a", "/b"), deny_suffixes=(".ipynb",),
               limits=Limits(cpu_seconds=5, output_bytes=10), disable=("seccomp",))
    assert Policy.from_json(p.to_json()) == p


@pytest.mark.parametrize("text, match", [
    ('{"workdir": null, "colour": "red"}', "unknown keys"),
    ('{"limits": {"cpu": 1}}', "unknown keys"),
    ('{"disable": ["everything"]}', "unknown layers"),
    ('{"limits": {"cpu_seconds": 0}}', "positive int"),
])
def test_policy_rejects_unknown_or_bad_options(text, match):
    """Do unknown keys, unknown layers and non-positive limits raise?"""
    with pytest.raises(ValueError, match=match):
        Policy.from_json(text)


def test_sandboxed_argv_runs_the_sandbox_module(tmp_path):
    """Does the command line start this module and end with the target's arguments?"""
    argv = sandbox.sandboxed_argv(Policy(workdir=tmp_path), ["-m", "mod", "x"])
    assert argv[0] == sys.executable
    assert argv[argv.index("-m") + 1] == "cs231n.grading.sandbox"
    assert argv[-4:] == ["--", "-m", "mod", "x"]
    assert Policy.from_json(argv[argv.index("--policy") + 1]).workdir == tmp_path


def test_hook_helpers_look_up_no_global_names():
    """Can monkeypatching a module change the hook? Not if it reads no globals."""
    helpers = list(sandbox._HOOK_HELPERS.values())
    codes = [f.__code__ for f in helpers]
    ctx = sandbox._hook_context(Policy(workdir="/tmp"), "/tmp", None)
    hook = sandbox._make_hook(ctx)
    codes.append(hook.__code__)
    for code in codes:
        names = [i.argval for i in dis.get_instructions(code)
                 if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")]
        assert names == [], f"{code.co_name} looks up global names {names}"


# ------------------------------------------------------------------ honest code

def test_honest_worker_runs_normally(course):
    """Does numpy work, and can the code read and write inside its workdir?"""
    code = """
        import os, tempfile
        import numpy as np
        rng = np.random.default_rng(0)
        a = rng.standard_normal((50, 40))
        print(round(float(np.trace(a.T @ a)), 6) == round(float((a * a).sum()), 6))
        open("out.txt", "w").write("hello")
        print(open("out.txt").read(), open("data.txt").read())
        open("/dev/stdout", "w").write("")
        with tempfile.NamedTemporaryFile() as f:
            print(f.name.startswith(os.getcwd()), os.environ["HOME"].startswith(os.getcwd()))
        os.makedirs("sub/dir"); os.rename("out.txt", "sub/dir/o.txt"); os.remove("sub/dir/o.txt")
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.plot([1, 2]); plt.savefig("fig.png")
        print("done")
    """
    p = policy_for(course)
    r = box(code, p, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == ["True", "hello", "student", "data", "True", "True",
                                         "done"]
    assert r.violations == [] and not r.timed_out and r.signal is None
    assert (course[1] / "fig.png").exists()
    assert {"rlimits", "new-session", "audit-hook"} <= set(r.protections)


def test_stdin_and_passed_descriptors_reach_the_child(course):
    """Do stdin bytes and pass_fds pipes work (the integrity worker's channel)?"""
    read_end, write_end = os.pipe()
    try:
        r = box(f"import os, sys\nos.write({write_end}, sys.stdin.read().upper().encode())",
                policy_for(course), stdin=b"ping", pass_fds=(write_end,))
        os.close(write_end)
        write_end = None
        assert r.returncode == 0, r.stderr.decode()
        assert os.read(read_end, 100) == b"PING"
    finally:
        os.close(read_end)
        if write_end is not None:
            os.close(write_end)


def test_start_and_stop_report_like_run(course):
    """Does start() give a handle whose stop() ends the process and reports?"""
    box_ = sandbox.start(["-c", "import time; print('up', flush=True); time.sleep(60)"],
                         policy_for(course))
    assert not box_.wait(0.5)
    r = box_.stop(grace=0.2)
    assert r.timed_out and r.signal == signal.SIGKILL and r.stdout == b"up\n"
    assert box_.stop() is r
    assert "timed-out" in r.flags() and "killed" in r.describe()
    assert_clean(r, policy_for(course))
    with sandbox.start(["-c", "import sys; sys.exit(sys.stdin.read() == 'x')"],
                       policy_for(course), stdin=b"x") as quick:
        pass
    r = quick.stop()
    assert (r.returncode, r.timed_out) == (1, False)     # it exited within the grace
    assert_clean(r, policy_for(course))


def test_degraded_mode_still_contains_with_rlimits_and_the_hook(course):
    """Without cgroups, namespaces, capabilities and seccomp, do the hook and rlimits hold?"""
    root, _ = course
    p = policy_for(course, disable=("cgroups", "mount-namespace", "capabilities", "seccomp"),
                   limits=Limits(memory_bytes=512 * 2**20))
    code = f"""
        import os
        print((__import__("numpy").ones(3) * 2).sum())
        for attempt in (lambda: open({str(root / 'solutions' / 'answers.py')!r}).read(),
                        lambda: open("/tmp/cs231n-degraded", "w"), os.fork,
                        lambda: bytearray(2**40)):
            try:
                attempt()
                print("allowed")
            except (PermissionError, MemoryError) as e:
                print(type(e).__name__)
    """
    r = box(code, p)
    assert r.stdout.split() == [b"6.0", b"PermissionError", b"PermissionError",
                                b"PermissionError", b"MemoryError"], r.stdout + r.stderr
    assert set(r.protections) == {"rlimits", "new-session", "audit-hook"}


# ------------------------------------------------------------------ reading secrets

@pytest.mark.parametrize("how", ["absolute", "relative", "os.open", "pathlib", "bytes",
                                 "listdir", "scandir", "glob", "chdir", "sqlite",
                                 "numpy.load", "shutil.copy"])
def test_reading_a_denied_path_is_refused(course, how):
    """Is every way of reading the solutions refused and logged?"""
    root, work = course
    secret = root / "solutions" / "answers.py"
    rel = os.path.relpath(secret, work)
    attempts = {
        "absolute": f"print(open({str(secret)!r}).read())",
        "relative": f"print(open({rel!r}).read())",
        "os.open": f"import os; print(os.read(os.open({str(secret)!r}, os.O_RDONLY), 100))",
        "pathlib": f"import pathlib; print(pathlib.Path({str(secret)!r}).read_text())",
        "bytes": f"print(open({str(secret).encode()!r}, 'rb').read())",
        "listdir": f"import os; print(os.listdir({str(secret.parent)!r}))",
        "scandir": f"import os; print(list(os.scandir({str(secret.parent)!r})))",
        "glob": f"import glob; print(glob.glob({str(secret.parent) + '/*'!r}))",
        "chdir": f"import os; os.chdir({str(secret.parent)!r}); print(open('answers.py').read())",
        "sqlite": f"import sqlite3; sqlite3.connect({str(root / 'gradebook.db')!r})",
        "numpy.load": f"import numpy as np; np.load({str(secret)!r})",
        "shutil.copy": f"import shutil; shutil.copy({str(secret)!r}, 'stolen.py')",
    }
    r = box(attempts[how], policy_for(course))
    assert r.returncode == 1
    assert SECRET.encode() not in r.stdout
    assert b"PermissionError" in r.stderr, r.stderr.decode()
    assert r.violations, "the refusal was not logged"
    assert all(str(root) in v["path"] for v in r.violations), r.violations
    assert "sandbox-violation" in r.flags()


def test_symlinks_to_denied_files_do_not_help(course):
    """Is a symlink in the workdir to a denied file refused, and may the student make one?"""
    root, work = course
    secret = root / "solutions" / "answers.py"
    (work / "link.py").symlink_to(secret)
    code = f"""
        import os
        for attempt in (lambda: open("link.py").read(),
                        lambda: os.symlink({str(secret)!r}, "mine.py"),
                        lambda: os.symlink("../course/solutions/answers.py", "rel.py"),
                        lambda: os.link({str(secret)!r}, "hard.py")):
            try:
                print("LEAK", attempt())
            except PermissionError as e:
                print("refused", e.filename)
    """
    r = box(code, policy_for(course))
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines] == ["refused"] * 4, lines
    assert len(r.violations) == 4
    assert str(secret) in lines[0]


def test_swallowed_refusals_are_still_reported(course):
    """Does the grader learn about a refusal the student caught and hid?"""
    root, _ = course
    code = f"""
        try:
            open({str(root / 'solutions' / 'answers.py')!r})
        except BaseException:
            pass
        print("nothing to see")
    """
    r = box(code, policy_for(course))
    assert r.returncode == 0 and r.stdout == b"nothing to see\n"
    assert [v["event"] for v in r.violations] == ["open"]
    assert "answers.py" in r.describe_violations()


def test_workdir_inside_a_denied_folder_is_carved_out(tmp_path):
    """Can a kernel in autograded/alice/ps1 use its folder but not read bob's?"""
    autograded = tmp_path / "autograded"
    alice, bob = autograded / "alice" / "ps1", autograded / "bob" / "ps1"
    for d in (alice, bob):
        d.mkdir(parents=True)
        (d / "answer.txt").write_text(d.parent.name)
    code = f"""
        print(open("answer.txt").read()); open("new.txt", "w").write("ok")
        print(open({str(bob / 'answer.txt')!r}).read())
    """
    p = Policy(workdir=alice, deny=(autograded,))
    r = box(code, p)
    assert r.stdout == b"alice\n" and (alice / "new.txt").read_text() == "ok"
    assert refused(r, bob / "answer.txt")


def test_denied_suffix_hides_the_notebook_being_graded(course):
    """Can code read the notebook it runs in (which holds the hidden tests)?"""
    _, work = course
    (work / "ps1.ipynb").write_text("hidden tests")
    r = box("print(open('ps1.ipynb').read())", policy_for(course, deny_suffixes=(".ipynb",)))
    assert b"hidden tests" not in r.stdout
    assert refused(r, work / "ps1.ipynb")


def test_mount_namespace_hides_denied_paths_without_the_hook(course, layers):
    """With the audit hook off, are the secrets still out of reach?"""
    if "mount-namespace" not in layers:
        pytest.skip("no mount namespace on this machine")
    root, work = course
    (work / "data.txt").write_text("mine")
    code = f"""
        import os
        print(os.listdir({str(root / 'solutions')!r}))
        for path in ({str(root / 'solutions' / 'answers.py')!r}, {str(root / 'gradebook.db')!r}):
            try:
                print(repr(open(path).read()))
            except OSError as e:
                print(type(e).__name__)
        print(open("data.txt").read())
    """
    r = box(code, policy_for(course, disable=("audit-hook",)))
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == ["[]", "FileNotFoundError", "''", "mine"]
    assert "audit-hook" not in r.protections


# ------------------------------------------------------------------ writing

@pytest.mark.parametrize("how", ["open", "os.open", "mkdir", "remove", "rename", "chmod",
                                 "truncate"])
def test_writing_outside_the_workdir_is_refused(course, tmp_path, how):
    """Is every way of changing files outside the workdir refused?"""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    target = f"/tmp/cs231n-sandbox-test-{os.getpid()}-x"
    attempts = {
        "open": f"open({target!r}, 'w').write('x')",
        "os.open": f"import os; os.open({target!r}, os.O_WRONLY | os.O_CREAT)",
        "mkdir": f"import os; os.mkdir({target!r})",
        "remove": f"import os; os.remove({str(outside)!r})",
        "rename": f"import os; os.rename('data.txt', {target!r})",
        "chmod": f"import os; os.chmod({str(outside)!r}, 0o777)",
        "truncate": f"import os; os.truncate({str(outside)!r}, 0)",
    }
    r = box(attempts[how], policy_for(course))
    assert r.returncode == 1 and b"PermissionError" in r.stderr, r.stderr.decode()
    assert not os.path.exists(target) and outside.read_text() == "keep me"
    assert r.violations and r.violations[0]["rule"].startswith("writing is allowed only")


def test_read_only_filesystem_without_the_hook(course, layers):
    """With the hook off, does the kernel still refuse writes outside the workdir?"""
    if "readonly-filesystem" not in layers:
        pytest.skip("no read-only remount on this machine")
    target = f"/tmp/cs231n-sandbox-test-{os.getpid()}-y"
    r = box(f"open({target!r}, 'w')", policy_for(course, disable=("audit-hook",)))
    assert b"Read-only file system" in r.stderr and not os.path.exists(target)


def test_file_size_limit(course):
    """Does a file past file_bytes fail with an error instead of filling the disk?"""
    code = """
        n = 0
        try:
            with open("big", "wb") as f:
                while True:
                    f.write(b"x" * 2**20); f.flush(); n += 1
        except OSError as e:
            print(n, e.errno)
    """
    r = box(code, policy_for(course, limits=Limits(file_bytes=4 * 2**20)))
    assert r.stdout.split() == [b"4", b"27"]          # EFBIG
    assert (course[1] / "big").stat().st_size == 4 * 2**20


# ------------------------------------------------------------------ time, memory, output

def test_endless_loop_that_swallows_interrupts_is_killed(course):
    """Is a loop that catches KeyboardInterrupt killed at the timeout?"""
    code = """
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """
    start = time.monotonic()
    r = box(code, policy_for(course), timeout=2)
    assert r.timed_out and r.signal == signal.SIGKILL
    assert time.monotonic() - start < 5
    assert "timed-out" in r.flags()


@pytest.mark.parametrize("ignore_sigxcpu", [False, True])
def test_cpu_limit_kills_a_busy_process(course, ignore_sigxcpu):
    """Does cpu_seconds stop a busy loop, even one that ignores SIGXCPU?"""
    code = "import signal\n"
    if ignore_sigxcpu:
        code += "signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
    code += "while True:\n    pass\n"
    r = box(code, policy_for(course, limits=Limits(cpu_seconds=1)), timeout=10)
    assert not r.timed_out
    assert r.signal == (signal.SIGKILL if ignore_sigxcpu else signal.SIGXCPU)


@pytest.mark.parametrize("bomb", ["bytearray(2**40)",
                                  "l = []\nwhile True:\n    l.append(bytearray(10**7))",
                                  "import numpy as np\nnp.ones((40000, 40000))"])
def test_memory_bomb_raises_memory_error(course, bomb):
    """Does a memory bomb end in MemoryError, quickly, leaving the machine alone?"""
    r = box(bomb, policy_for(course, limits=Limits(memory_bytes=512 * 2**20)), timeout=20)
    assert r.returncode == 1 and b"MemoryError" in r.stderr, r.stderr[-500:]
    assert "memory-limit" in r.flags() and r.seconds < 10


def test_output_flood_is_truncated_and_drained(course):
    """Are megabytes of output cut at output_bytes without blocking the child?"""
    code = """
        import sys
        for _ in range(50):
            sys.stdout.write("x" * 2**20)
        sys.stdout.flush()
        print("finished", file=sys.stderr)
    """
    r = box(code, policy_for(course, limits=Limits(output_bytes=2**16)), timeout=20)
    assert r.returncode == 0 and r.output_truncated
    assert len(r.stdout) == 2**16 and r.stderr == b"finished\n"


# ------------------------------------------------------------------ exits and crashes

@pytest.mark.parametrize("code, returncode, sig", [
    ("import sys; sys.exit(3)", 3, None),
    ("import os; os._exit(4)", 4, None),
    ("raise RuntimeError('boom')", 1, None),
    ("import os; os.abort()", -signal.SIGABRT, signal.SIGABRT),
    ("import faulthandler; faulthandler._sigsegv()", -signal.SIGSEGV, signal.SIGSEGV),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", -signal.SIGTERM,
     signal.SIGTERM),
])
def test_exits_and_crashes_are_reported(course, code, returncode, sig):
    """Are sys.exit, os._exit, exceptions, aborts and segfaults reported faithfully?"""
    r = box(code, policy_for(course))
    assert (r.returncode, r.signal, r.timed_out) == (returncode, sig, False)
    assert r.violations == []
    assert ("crashed" in r.flags()) == (sig is not None)


@pytest.mark.parametrize("attempt", [
    "import ctypes; ctypes.string_at(0)",
    "import ctypes; ctypes.c_int.from_address(0).value",
    "import ctypes; ctypes.CDLL('libc.so.6')",
    "import ctypes; ctypes.pythonapi.Py_GetVersion()",
])
def test_ctypes_loading_and_raw_memory_are_refused(course, attempt):
    """Are dlopen, dlsym and raw-memory reads through ctypes refused?"""
    r = box(attempt, policy_for(course))
    assert r.returncode == 1 and r.signal is None, r.stderr.decode()
    assert b"PermissionError" in r.stderr and r.violations
    assert r.violations[0]["event"].startswith("ctypes.")


def test_ctypes_crash_is_contained(course):
    """A ctypes call is not audited by CPython: is the segfault it causes contained?"""
    r = box("import ctypes; ctypes.memmove(0, 1, 8)", policy_for(course))
    assert r.signal == signal.SIGSEGV and "crashed" in r.flags()


# ------------------------------------------------------------------ processes

@pytest.mark.parametrize("attempt", [
    "import os; os.fork()",
    "import os; os.system('cat /etc/hostname')",
    "import subprocess; subprocess.run(['true'])",
    "import os; os.posix_spawn('/bin/true', ['true'], {})",
    "import os; os.execv('/bin/true', ['true'])",
    "import _posixsubprocess, subprocess; subprocess.run(['true'])",
    "import multiprocessing as mp; p = mp.Process(target=print); p.start(); p.join()",
    "import os; os.forkpty()",
])
def test_process_creation_is_refused(course, attempt):
    """Is every way of starting a process refused?"""
    r = box(attempt, policy_for(course))
    assert r.returncode == 1 and b"PermissionError" in r.stderr, r.stderr.decode()
    assert b"hostname" not in r.stdout


def test_fork_bomb_that_swallows_refusals_is_stopped(course):
    """Does a fork bomb catching every error end at the timeout, with a capped log?"""
    code = """
        import os
        while True:
            try:
                os.fork()
            except BaseException:
                pass
    """
    r = box(code, policy_for(course), timeout=2)
    assert r.timed_out
    assert len(r.violations) <= sandbox._MAX_LOGGED + 1
    assert {v["event"] for v in r.violations} <= {"os.fork", "sandbox.log-full"}


def test_seccomp_refuses_fork_without_the_hook(course, layers):
    """With the audit hook off, does the kernel still refuse fork, exec and kill?"""
    if "seccomp" not in layers:
        pytest.skip("no seccomp filter on this machine")
    victim = subprocess.Popen(["sleep", "30"])
    try:
        code = f"""
            import os, signal
            for attempt in (os.fork, lambda: os.execv("/bin/true", ["true"]),
                            lambda: os.kill({victim.pid}, signal.SIGKILL),
                            lambda: signal.pidfd_send_signal(os.pidfd_open({victim.pid}), 9)):
                try:
                    attempt()
                    print("done")
                except OSError as e:
                    print(e.errno)
        """
        r = box(code, policy_for(course, disable=("audit-hook",)))
        assert r.stdout.split() == [b"1"] * 4, r.stdout + r.stderr       # EPERM
        assert victim.poll() is None, "the sandbox killed another process"
    finally:
        victim.kill()
        victim.wait()


def test_signals_to_other_processes_are_refused(course):
    """Can student code kill the grader or anything else?"""
    victim = subprocess.Popen(["sleep", "30"])
    try:
        code = f"""
            import os, signal
            for attempt in (lambda: os.kill({victim.pid}, signal.SIGKILL),
                            lambda: os.killpg({victim.pid}, signal.SIGKILL),
                            lambda: os.kill(os.getppid(), signal.SIGTERM)):
                try:
                    attempt()
                except PermissionError as e:
                    print("refused")
        """
        r = box(code, policy_for(course))
        assert r.stdout.split() == [b"refused"] * 3
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


@pytest.mark.slow
def test_pids_cgroup_contains_a_fork_bomb_on_its_own(course, layers):
    """With hook and seccomp off, does the pids cgroup cap a real fork bomb?"""
    if "cgroup-pids" not in layers:
        pytest.skip("the pids cgroup controller is not writable here")
    code = """
        import os, sys, time
        while True:
            try:
                if os.fork() == 0:
                    os.write(1, b"F")
            except OSError:
                time.sleep(0.01)
    """
    p = policy_for(course, limits=Limits(processes=16), disable=("audit-hook", "seccomp"))
    r = box(code, p, timeout=3)
    assert r.timed_out and "cgroup-pids" in r.protections
    assert 0 < r.stdout.count(b"F") <= 15


def test_process_that_left_the_session_is_killed_through_the_cgroup(course, layers):
    """Is a grandchild that called setsid() killed when the sandbox ends?"""
    if "cgroup-pids" not in layers:
        pytest.skip("the pids cgroup controller is not writable here")
    code = """
        import os, time
        if os.fork() == 0:
            os.setsid()
            print(os.getpid(), flush=True)
            time.sleep(60)
        time.sleep(0.5)
    """
    p = policy_for(course, disable=("audit-hook", "seccomp"))
    r = box(code, p, timeout=10)
    assert r.returncode == 0
    escaped = int(r.stdout.split()[0])
    assert live_members(escaped) == [], "the escaped process is still running"


# ------------------------------------------------------------------ tampering

def test_monkeypatching_does_not_weaken_the_sandbox(course):
    """Do patched os.path, builtins or sandbox internals change a refusal?"""
    root, _ = course
    secret = str(root / "solutions" / "answers.py")
    code = f"""
        import builtins, os, posixpath, sys
        import cs231n.grading.sandbox as sb
        os.path.realpath = posixpath.realpath = lambda p, **k: "/tmp/harmless"
        os.fspath = lambda p: "/tmp/harmless"
        os.lstat = os.readlink = None
        for name in list(vars(sb)):
            if name.startswith("_sb_"):
                setattr(sb, name, lambda *a, **k: None)
        builtins.type = lambda *a: str
        outcomes = []
        noop = (lambda *a: None).__code__
        for attempt in (lambda: open({secret!r}).read(),
                        lambda: setattr(sb._HOOK_HELPERS["check"], "__code__", noop),
                        lambda: __import__("gc").get_objects(),
                        lambda: sys.settrace(lambda *a: None),
                        lambda: open({secret!r}).read()):
            try:
                attempt()
                outcomes.append("allowed")
            except PermissionError:
                outcomes.append("refused")
        print(*outcomes)
    """
    r = box(code, policy_for(course))
    assert r.stdout.split() == [b"refused"] * 5, r.stdout + r.stderr
    assert SECRET.encode() not in r.stdout


def test_resource_limits_cannot_be_raised(course):
    """Can student code lift its own limits?"""
    code = """
        import resource
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))
        except (PermissionError, ValueError) as e:
            print(type(e).__name__)
        print(resource.getrlimit(resource.RLIMIT_CPU))
    """
    r = box(code, policy_for(course, limits=Limits(cpu_seconds=7)))
    assert r.stdout.split(b"\n")[:2] == [b"PermissionError", b"(7, 8)"]


def test_unprivileged_user_is_skipped_when_it_cannot_read_the_interpreter(course):
    """Does Policy.user fall back (with a note) when that user cannot run Python?"""
    from cs231n.grading.sandbox import _readable_by
    import pwd
    nobody = pwd.getpwnam("nobody")
    r = box("import os; print(os.getuid())", policy_for(course, user="nobody"))
    if _readable_by(sys.executable, nobody.pw_uid, {nobody.pw_gid}):
        assert r.stdout.strip() == str(nobody.pw_uid).encode()
        assert "unprivileged-user" in r.protections
    else:
        assert r.returncode == 0 and r.stdout.strip() == str(os.getuid()).encode()
        assert any("cannot read" in n for n in r.notes), r.notes


# ------------------------------------------------------------------ cgroups

def test_stale_cgroups_of_a_dead_grader_are_removed(layers):
    """Does cleanup_stale_cgroups remove cgroups whose owner died, killing their processes?"""
    if not {"cgroup-pids", "cgroup-memory"} & layers:
        pytest.skip("no writable cgroup controller here")
    owner = subprocess.Popen(["sleep", "30"])
    group = sandbox._Cgroup.create(Limits(), owner.pid)
    orphan = subprocess.Popen(["sleep", "30"])
    try:
        group.add(orphan.pid)
        assert group.name not in sandbox.cleanup_stale_cgroups()     # owner alive
        owner.kill()
        owner.wait()
        assert group.name in sandbox.cleanup_stale_cgroups()
        assert orphan.wait(timeout=5) == -signal.SIGKILL
        assert not any(path.exists() for path, _ in group.paths.values())
    finally:
        for p in (owner, orphan):
            p.kill()
            p.wait()
        group.remove()


# ------------------------------------------------------------------ Jupyter and nbgrader

def test_kernel_spec_runs_ipykernel_in_the_sandbox(tmp_path):
    """Does the kernelspec name the sandbox module and ipykernel's connection file?"""
    folder = sandbox.kernel_spec(tmp_path / "policy.json", tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    assert folder == tmp_path / "kernels" / sandbox.KERNEL_NAME
    assert spec["display_name"] == "Python 3 (cs231n grading sandbox)"
    assert spec["language"] == "python"
    assert "cs231n.grading.sandbox" in spec["argv"]
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    env_spec = json.loads((sandbox.kernel_spec(tmp_path / "k2") / "kernel.json").read_text())
    assert "--policy-from-env" in env_spec["argv"]


def _execute(kc, code, timeout=60):
    """Run ``code`` in a kernel; its text output and error names."""
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            out.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "execute_result":
            out.append(content["data"]["text/plain"])
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


@pytest.mark.slow
def test_sandboxed_kernel_runs_numpy_and_refuses_denied_files(course, tmp_path, monkeypatch):
    """Does a kernel started from the kernelspec run numpy but not read solutions?"""
    from jupyter_client.manager import KernelManager
    root, work = course
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(Policy(deny=(root / "solutions",)).to_json())
    sandbox.kernel_spec(tmp_path / "kernels")
    for key, value in sandbox.kernel_env(tmp_path / "kernels", policy_file).items():
        monkeypatch.setenv(key, value)
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    runtime.mkdir(parents=True, exist_ok=True)
    other = runtime / "kernel-other-student.json"
    other.write_text('{"key": "another kernel\'s secret"}')
    # jupyter_client writes a bare KernelManager's connection file to the
    # temporary folder: the grader points it at a folder of connection files
    # only (cs231n.grading.pipeline.Autograder does the same with TMPDIR).
    monkeypatch.setattr(tempfile, "tempdir", str(runtime))
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME)
    km.start_kernel(cwd=str(work))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        assert _execute(kc, "import numpy as np; print(np.arange(4) @ np.arange(4))") == "14\n"
        digits = "from sklearn.datasets import load_digits; print(load_digits().data.shape)"
        assert _execute(kc, digits) == "(1797, 64)\n"
        out = _execute(kc, f"open({str(root / 'solutions' / 'answers.py')!r}).read()")
        assert out.startswith("PermissionError") and SECRET not in out
        assert _execute(kc, "import os; print(os.getcwd())").strip() == str(work)
        # A module next to the notebook imports, as in Jupyter (given code).
        (work / "given_module.py").write_text("VALUE = 42\n")
        assert _execute(kc, "from given_module import VALUE; print(VALUE)") == "42\n"
        names = _execute(kc, "print(sorted(k for k in globals() if 'sandbox' in k))")
        assert names.strip() == "[]"
        # Other kernels' connection files (their keys) are out of reach.
        assert _execute(kc, f"open({str(other)!r}).read()").startswith("PermissionError")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    log = sandbox.kernel_violations_log(policy_file)
    violations, armed = sandbox.read_violations(log)
    assert [v["path"] for v in violations] == [str(root / "solutions" / "answers.py"),
                                               str(other)]
    assert "audit-hook" in armed[0]["protections"]
    pid = armed[0]["pid"]
    deadline = time.monotonic() + 10
    while live_members(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_members(pid) == []
    sandbox.cleanup_stale_cgroups()
    assert not [n for base, _ in sandbox._cgroup_bases().values()
                for n in os.listdir(base) if n.endswith(f"-m{pid}")]
    assert not list(work.glob(".sandbox-tmp-*"))


def _tiny_course(root):
    """An nbgrader course with one notebook: an answer cell and a test cell."""
    import nbformat
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(textwrap.dedent(f"""
        c = get_config()
        c.CourseDirectory.root = {str(root)!r}
        c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
        c.Execute.timeout = 60
    """))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    answer = nbformat.v4.new_code_cell(
        "### BEGIN SOLUTION\ndef f():\n    return 1\n### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                   "grade_id": "answer", "schema_version": 3}
    test = nbformat.v4.new_code_cell("assert f() == 1")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "test", "points": 1, "schema_version": 3}
    nb.cells = [answer, test]
    nbformat.write(nb, root / "source" / "ps1" / "p1.ipynb")


@pytest.mark.slow
def test_nbgrader_autograde_runs_the_sandboxed_kernel(tmp_path):
    """Does `nbgrader autograde --Execute.kernel_name=cs231n-sandbox` use the sandbox?"""
    import nbformat
    root = tmp_path / "course"
    _tiny_course(root)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))

    def nbgrader(*args, extra_env=None):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                              env=dict(env, **(extra_env or {})), capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    nbgrader("generate_assignment", "ps1", "--force")
    submitted = root / "submitted" / "alice" / "ps1"
    submitted.mkdir(parents=True)
    nb = nbformat.read(root / "release" / "ps1" / "p1.ipynb", as_version=4)
    secret = root / "source" / "ps1" / "p1.ipynb"
    nb.cells[0].source = f"def f():\n    return 1\nprint(open({str(secret)!r}).read())"
    nbformat.write(nb, submitted / "p1.ipynb")

    kernels = tmp_path / "kernels"
    sandbox.kernel_spec(kernels)
    policy_file = kernels / "policy-alice.json"
    policy_file.write_text(Policy(deny=(root / "source", root / "release",
                                        root / "gradebook.db", root / "autograded",
                                        root / "submitted"),
                                  deny_suffixes=(".ipynb",)).to_json())
    nbgrader("autograde", "ps1", "--student=alice", "--force",
             f"--Execute.kernel_name={sandbox.KERNEL_NAME}",
             extra_env=sandbox.kernel_env(kernels, policy_file))

    graded = nbformat.read(root / "autograded" / "alice" / "ps1" / "p1.ipynb", as_version=4)
    errors = [o for o in graded.cells[0].outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["PermissionError"], graded.cells[0].outputs
    assert "BEGIN SOLUTION" not in json.dumps(graded.cells[0].outputs)
    assert graded.cells[1].outputs == []            # the test cell passed
    violations, armed = sandbox.read_violations(sandbox.kernel_violations_log(policy_file))
    assert [v["path"] for v in violations] == [str(secret)]
    assert armed and armed[0]["workdir"] == str(root / "autograded" / "alice" / "ps1")
    sandbox.cleanup_stale_cgroups()
    assert not list((root / "autograded" / "alice" / "ps1").glob(".sandbox-tmp-*"))
