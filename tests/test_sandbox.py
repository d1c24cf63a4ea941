"""Tests of cs231n.grading.sandbox: hostile student code is contained by bubblewrap.

Every test runs real sandboxed processes; each asserts that the run ended
within a bound and left no process or cgroup behind.  The probe tests look
at the sandbox from inside: what it sees is what a student's code could reach.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cs231n.grading import sandbox, supervise
from cs231n.grading.sandbox import Limits, Policy

SECRET = "the answer is 42"


@pytest.fixture
def course(tmp_path):
    """A course folder with secrets, and a working folder for the student's code."""
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "solutions" / "answers.py").write_text(SECRET)
    (root / "gradebook.db").write_text(SECRET)
    work = root / "autograded" / "alice" / "ps1"
    work.mkdir(parents=True)
    (work / "given.py").write_text("VALUE = 42\n")
    (work / "ps1.ipynb").write_text('{"hidden": "' + SECRET + '"}')
    return root, work


def policy_for(course, **kw):
    root, work = course
    kw.setdefault("watch", (root,))
    return Policy(workdir=work, **kw)


def box(code, policy, *, timeout=20.0, **kw):
    """Run ``code`` in the sandbox; check that it ended in time and left nothing."""
    start = time.monotonic()
    result = supervise.run(["-c", textwrap.dedent(code)], policy, timeout=timeout, **kw)
    elapsed = time.monotonic() - start
    assert elapsed < timeout + 10, f"the sandbox took {elapsed:.1f} s for a {timeout} s run"
    assert our_cgroups() == [], "a sandbox cgroup was left behind"
    return result


def our_cgroups():
    """Sandbox cgroups owned by this test process."""
    prefix = f"cs231n-{os.getpid()}-"
    return [name for base, _ in sandbox._cgroup_bases().values()
            for name in os.listdir(base) if name.startswith(prefix)]


def out(result):
    return result.stdout.decode() + result.stderr.decode()


def processes_with(marker):
    """Live processes whose command line contains ``marker``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != b"Z":
            found.append(int(name))
    return found


# ------------------------------------------------------------------ policy

def test_policy_round_trips_through_json(tmp_path):
    """Does a policy come back from JSON as it went?"""
    p = Policy(workdir=tmp_path, watch=(tmp_path / "a",), limits=Limits(cpu_seconds=5),
               tell=False, shown=(tmp_path / "part1.ipynb",))
    assert Policy.from_json(p.to_json()) == p


@pytest.mark.parametrize("text, match", [
    ('{"deny": []}', "unknown keys"), ('{"limits": {"cpu": 1}}', "unknown keys"),
    ('{"limits": {"cpu_seconds": 0}}', "positive int"), ("[]", "JSON object")])
def test_policy_rejects_unknown_or_bad_options(text, match):
    """Is a misspelt or impossible option an error that names it?"""
    with pytest.raises(ValueError, match=match):
        Policy.from_json(text)


def test_grading_refuses_without_bubblewrap(monkeypatch, course):
    """Without bwrap, does require() refuse with the package to install, and does
    the launcher refuse to run student code at all?"""
    monkeypatch.setattr(sandbox, "BWRAP", "bwrap-that-is-not-installed")
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.require()
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))   # no bwrap on PATH
    r = box("print('ran')", policy_for(course))
    assert r.returncode == 70 and b"ran" not in r.stdout
    assert b"bubblewrap" in r.stderr


def test_private_tmp_comes_before_what_may_lie_under_it(tmp_path):
    """Is the private /tmp mounted before the interpreter, the virtualenv and the
    working folder are bound (a clone of the course under /tmp, as CI makes,
    would otherwise lose its virtualenv under the fresh tmpfs)?"""
    cmd = sandbox.bwrap_argv(Policy(), ["-c", "pass"], workdir=str(tmp_path),
                             sockets=str(tmp_path / "sockets"))
    tmp = [i for i, a in enumerate(cmd) if a == "--tmpfs" and cmd[i + 1] == "/tmp"]
    binds = [i for i, a in enumerate(cmd) if a in ("--ro-bind", "--bind", "--tmpfs")
             and cmd[i + 1] != "/tmp" and cmd[i + 1] != "/usr"]
    assert len(tmp) == 1 and binds and tmp[0] < min(binds)


def test_bubblewrap_works_here():
    """Can bubblewrap make its namespaces on this machine (CI installs it)?"""
    sandbox.require()


# ------------------------------------------------------------------ the probe

PROBE = """
import json, os, socket
seen = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "top": sorted(os.listdir("/")), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
        "env": sorted(os.environ), "routes": open("/proc/net/route").read().splitlines()[1:],
        "uid": os.getuid(), "caps": [l for l in open("/proc/self/status")
                                     if l.startswith("CapEff")][0].split()[1],
        "hostname": socket.gethostname()}
def reach(path):
    try:
        open(path, "rb").read(1)
        return True
    except OSError:
        return False
seen["reached"] = [p for p in json.loads(os.environ.get("X", "[]") or "[]")]
try:
    s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    seen["connected"] = True
except OSError as e:
    seen["connected"] = False
seen["readable"] = {p: reach(p) for p in PATHS}
def inside(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
seen["stray"] = []
for folder, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if not inside(os.path.join(folder, d), ALLOWED + ["/proc", "/dev"])]
    seen["stray"] += [os.path.join(folder, f) for f in files
                      if not inside(os.path.join(folder, f), ALLOWED)]
seen["token_in_proc"] = [f"{p}/{f}" for p in os.listdir("/proc") if p.isdigit()
                         for f in ("environ", "cmdline")
                         if b"ghp_" + b"secret" in open(f"/proc/{p}/{f}", "rb").read()]
print(json.dumps(seen))
"""


def test_probe_sees_only_its_allow_list(course, tmp_path, monkeypatch):
    """From inside: only its own PIDs, no route and no reachable host port, no
    file outside the allow-list (a walk of its whole filesystem), no
    capability, and an environment of allow-listed names only (a token of the
    instructor's is in no process it can see)."""
    root, work = course
    monkeypatch.setenv("INSTRUCTOR_TOKEN", "ghp_secret")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    other_copy = tmp_path / "elsewhere" / "solutions"
    other_copy.mkdir(parents=True)
    (other_copy / "svm.ipynb").write_text(SECRET)
    paths = [str(root / "solutions" / "answers.py"), str(root / "gradebook.db"),
             str(work / "ps1.ipynb"), str(other_copy / "svm.ipynb"), "/etc/passwd",
             "/etc/shadow", f"/proc/{os.getpid()}/environ", "/sys/kernel/notes",
             str(Path(__file__)), str(work / "given.py")]
    allowed = ["/usr", "/tmp", str(work), *sandbox._python_roots(), *sandbox._SYSTEM_FILES]
    code = PROBE.replace("PORT", str(listener.getsockname()[1])).replace("PATHS", repr(paths))
    code = code.replace("ALLOWED", repr(allowed))
    r = box(code, policy_for(course))
    assert r.returncode == 0, out(r)
    seen = json.loads(r.stdout.decode().splitlines()[-1])
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()
    assert max(seen["pids"]) < 10 and os.getpid() not in seen["pids"]
    assert seen["routes"] == [] and seen["connected"] is False
    assert seen["caps"] == "0000000000000000" and seen["hostname"] == "sandbox"
    assert seen["readable"] == {p: p == str(work / "given.py") for p in paths}
    assert seen["cwd"] == str(work) and seen["files"] == ["given.py"]
    allowed = set(sandbox.PASSED_ENV) | set(sandbox.guest_env()) | {"PWD"}
    assert set(seen["env"]) <= allowed and "INSTRUCTOR_TOKEN" not in seen["env"]
    assert seen["token_in_proc"] == []        # nor in bubblewrap's own process
    # Every file it can find, outside /proc and /dev, is on the allow-list.
    assert seen["stray"] == []
    top = {"bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr"}
    top |= {Path(p).parts[1] for p in sandbox._python_roots()}
    top |= {Path(work).parts[1]}
    assert set(seen["top"]) <= top, set(seen["top"]) - top


def test_writes_stay_in_the_sandbox(course, tmp_path):
    """Do writes to the working folder and /tmp vanish with the sandbox, and is
    everything else read-only?  (The course lives under the host's /tmp here:
    inside, that path is the sandbox's own /tmp, so writing there is allowed
    and reaches nothing.)"""
    root, work = course
    r = box(f"""
        import os
        open("new.txt", "w").write("x" * 1000)
        open("/tmp/owned.txt", "w").write("owned")
        for path in ({str(root / 'gradebook.db')!r}, "/usr/owned", "given.py",
                     {str(tmp_path / 'owned')!r}):
            try:
                open(path, "a").write("owned")
                print("WROTE", path)
            except OSError as e:
                print("refused", path, type(e).__name__)
        """, policy_for(course))
    assert "refused /usr/owned" in out(r) and "refused given.py" in out(r), out(r)
    assert sorted(p.name for p in work.iterdir()) == ["given.py", "ps1.ipynb"]
    assert (work / "given.py").read_text() == "VALUE = 42\n"
    assert (root / "gradebook.db").read_text() == SECRET
    assert not Path("/tmp/owned.txt").exists() and not (tmp_path / "owned").exists()


def test_a_shown_notebook_is_read_only_and_the_others_stay_hidden(course, tmp_path):
    """Does a notebook of ``Policy.shown`` (the student's own earlier notebook,
    as staged) appear read-only in the working folder under its name, while
    the notebooks of the folder (hidden tests) stay out?"""
    root, work = course
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "part1.ipynb").write_text('{"cells": "the student\'s own"}')
    r = box("""
        import os
        print(sorted(os.listdir(".")))
        print(open("part1.ipynb").read())
        try:
            open("part1.ipynb", "a").write("owned")
            print("WROTE")
        except OSError as e:
            print("refused", type(e).__name__)
        """, policy_for(course, shown=[staged / "part1.ipynb"]))
    assert "['given.py', 'part1.ipynb']" in out(r), out(r)
    assert "the student's own" in out(r) and "refused" in out(r) and SECRET not in out(r)
    assert (staged / "part1.ipynb").read_text() == '{"cells": "the student\'s own"}'


def test_two_sandboxes_share_nothing(course):
    """Does a file one sandbox leaves in /tmp stay invisible to the next one?"""
    box("open('/tmp/note.txt', 'w').write('from alice')", policy_for(course))
    r = box("import os; print(os.listdir('/tmp'))", policy_for(course))
    assert "note.txt" not in out(r)


def test_scratch_space_is_limited(course):
    """Does filling the private /tmp stop at its size instead of the host's disk?"""
    r = box("""
        try:
            with open('/tmp/big', 'wb') as f:
                for _ in range(100):
                    f.write(b'x' * 2**20)
        except OSError as e:
            print('stopped', e.errno)
        """, policy_for(course, limits=Limits(scratch_bytes=8 * 2**20)))
    assert "stopped 28" in out(r), out(r)          # ENOSPC


# ------------------------------------------------------------------ limits

def test_endless_loop_that_swallows_interrupts_is_killed(course):
    """Is a loop that catches KeyboardInterrupt ended by the timeout?"""
    r = box("""
        while True:
            try:
                pass
            except KeyboardInterrupt:
                pass
        """, policy_for(course), timeout=2)
    assert r.timed_out and "timed-out" in r.flags()


@pytest.mark.parametrize("ignore_sigxcpu", [False, True])
def test_cpu_limit_kills_a_busy_process(course, ignore_sigxcpu):
    """Does the CPU limit end a busy loop, even one that ignores SIGXCPU?"""
    prefix = "import signal; signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n" \
        if ignore_sigxcpu else ""
    r = box(prefix + "while True: pass", policy_for(course, limits=Limits(cpu_seconds=1)),
            timeout=30)
    assert not r.timed_out and r.signal in (signal.SIGXCPU, signal.SIGKILL), r


def test_memory_bomb_raises_memory_error(course):
    """Does a huge allocation raise MemoryError instead of taking the machine?"""
    r = box("""
        try:
            bytearray(2**40)
        except MemoryError:
            print("MemoryError")
        """, policy_for(course, limits=Limits(memory_bytes=1 << 30)))
    assert "MemoryError" in out(r)


def test_file_size_limit(course):
    """Is a file larger than the limit cut off with an error?"""
    r = box("""
        try:
            open('/tmp/f', 'wb').write(b'x' * 4 * 2**20)
        except OSError as e:
            print('File too large', e.errno)
        """, policy_for(course, limits=Limits(file_bytes=2**20)))
    assert "File too large 27" in out(r), out(r)


def test_output_flood_is_truncated_and_drained(course):
    """Is a flood of output cut at the limit without blocking the process?"""
    r = box("import sys\nfor _ in range(200): sys.stdout.write('x' * 100000)\nprint('done')",
            policy_for(course, limits=Limits(output_bytes=10000)))
    assert r.returncode == 0 and r.output_truncated and len(r.stdout) == 10000
    assert "output-truncated" in r.flags()


@pytest.mark.parametrize("code, returncode, sig", [
    ("import sys; sys.exit(3)", 3, None), ("import os; os._exit(5)", 5, None),
    ("import os; os.abort()", None, signal.SIGABRT),
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", None, signal.SIGSEGV)])
def test_exits_and_crashes_are_reported(course, code, returncode, sig):
    """Are exit codes and deaths by signal reported as such?"""
    r = box(code, policy_for(course))
    assert r.signal == sig
    if returncode is not None:
        assert r.returncode == returncode
    else:
        assert "crashed" in r.flags()


def test_process_creation_is_refused_and_reported(course):
    """Does the tell refuse to start a process, and report it even when swallowed?"""
    r = box("""
        import subprocess
        try:
            subprocess.run(['ls'])
        except PermissionError:
            pass
        """, policy_for(course))
    assert r.returncode == 0
    assert [v["event"] for v in r.violations] == ["subprocess.Popen"]
    assert "sandbox-violation" in r.flags()


def test_fork_bomb_is_contained_without_the_tell(course):
    """With the tell off, does the pids cgroup stop a fork bomb that swallows errors?"""
    if "pids" not in sandbox._cgroup_bases():
        pytest.skip("no pids cgroup that this process may create children in")
    r = box("""
        import os, time
        failed = 0
        for _ in range(200):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
            except OSError:
                failed += 1
        print('refused', failed)
        """, policy_for(course, tell=False, limits=Limits(processes=16)), timeout=20)
    assert "refused" in out(r) and int(out(r).split()[-1]) > 150, out(r)
    assert processes_with("time.sleep(30)") == []


def test_sandbox_dies_with_the_grader(course, tmp_path):
    """When the grader is killed, does everything in its sandboxes die too?"""
    marker = f"sleeper-{os.getpid()}"
    script = textwrap.dedent(f"""
        import sys, time
        from cs231n.grading import sandbox, supervise
        p = sandbox.Policy(workdir={str(course[1])!r})
        supervise.start(["-c", "import time  # {marker}\\ntime.sleep(60)"], p)
        print("started", flush=True)
        time.sleep(60)
        """)
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert grader.stdout.readline() == b"started\n"
        deadline = time.monotonic() + 20
        while not processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_with(marker), "the sandboxed sleeper did not start"
        grader.kill()
        grader.wait()
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_with(marker) == []
    finally:
        grader.kill()
        sandbox.cleanup_stale_cgroups()


def test_stdin_and_passed_descriptors_reach_the_child(course):
    """Do stdin and pipes passed with pass_fds reach the guest (the worker's channel)?"""
    r_fd, w_fd = os.pipe()
    os.write(w_fd, b"through the pipe")
    os.close(w_fd)
    try:
        r = box(f"import os, sys; print(sys.stdin.read(), os.read({r_fd}, 100).decode())",
                policy_for(course), stdin=b"from stdin", pass_fds=(r_fd,))
    finally:
        os.close(r_fd)
    assert "from stdin through the pipe" in out(r), out(r)


def test_looking_at_the_course_is_reported(course):
    """Is an attempt on the course's folders reported, though nothing is there,
    and nothing that the sandbox shows (the virtualenv may live in a watched
    folder, as in this repository)?"""
    root, work = course
    r = box(f"""
        try:
            open({str(root / 'solutions' / 'answers.py')!r})
        except OSError:
            pass
        import os
        os.listdir({str(root / 'autograded')!r})      # other students' folders?
        os.listdir(".")                               # its own: fine
        open("given.py").read()                       # shown to it: fine
        import sys
        try:                                          # in the virtualenv: fine
            open(sys.prefix + "/no-such-file.txt")
        except OSError:
            pass
        import socket
        try:
            socket.create_connection(("10.0.0.1", 80), timeout=0.5)
        except OSError:
            pass
        """, policy_for(course, watch=(root, Path(sys.prefix).parent)))
    assert [(v["event"], v["path"]) for v in r.violations] == [
        ("open", str(root / "solutions" / "answers.py")),
        ("os.listdir", str(root / "autograded")),
        ("socket.connect", "('10.0.0.1', 80)")]


# ------------------------------------------------------------------ Jupyter and nbgrader

def test_kernel_spec_runs_ipykernel_in_the_sandbox(tmp_path):
    """Does the kernelspec run the launcher, with interrupts as messages?"""
    folder = sandbox.kernel_spec(tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    assert folder == tmp_path / "kernels" / sandbox.KERNEL_NAME
    assert any("cs231n.grading.sandbox" in a for a in spec["argv"])
    assert "--policy-from-env" in spec["argv"]
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["interrupt_mode"] == "message"


def _execute(kc, code, timeout=60):
    """Run ``code`` in a kernel; its text output and error names."""
    msg_id = kc.execute(code)
    text = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text.append(content["text"])
        elif kind == "error":
            text.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "execute_result":
            text.append(content["data"]["text/plain"])
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(text)


def _start_kernel(tmp_path, work, policy, monkeypatch, name):
    from jupyter_client.manager import KernelManager
    policy_file = tmp_path / f"policy-{name}.json"
    policy_file.write_text(policy.to_json())
    sandbox.kernel_spec(tmp_path / "kernels")
    for key, value in sandbox.kernel_env(tmp_path / "kernels", policy_file).items():
        monkeypatch.setenv(key, value)
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME,
                       **sandbox.kernel_connection(tmp_path / f"sockets-{name}"))
    km.start_kernel(cwd=str(work))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc, policy_file


@pytest.mark.slow
def test_sandboxed_kernel_runs_over_ipc_and_sees_only_its_own(course, tmp_path, monkeypatch):
    """Does a kernel started from the kernelspec talk over its own IPC sockets,
    run numpy, import given modules, survive an interrupt, and see neither the
    course nor another kernel's connection file?"""
    root, work = course
    km, kc, policy_file = _start_kernel(tmp_path, work, policy_for(course), monkeypatch, "a")
    other = tmp_path / "sockets-b"
    other.mkdir()
    (other / "kernel.json").write_text('{"key": "another kernel\'s secret"}')
    try:
        assert km.transport == "ipc" and Path(km.ip).parent == tmp_path / "sockets-a"
        assert _execute(kc, "import numpy as np; print(np.arange(4) @ np.arange(4))") == "14\n"
        assert _execute(kc, "from given import VALUE; print(VALUE)") == "42\n"
        assert _execute(kc, "import os; print(os.getcwd())").strip() == str(work)
        for path in (root / "solutions" / "answers.py", other / "kernel.json",
                     work / "ps1.ipynb"):
            assert _execute(kc, f"open({str(path)!r}).read()").startswith(
                "FileNotFoundError"), path
        # An interrupt reaches the kernel in its PID namespace (a message).
        msg_id = kc.execute("import time\nwhile True: time.sleep(0.01)")
        time.sleep(1)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=30)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert _execute(kc, "print('alive')") == "alive\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    paths = [v["path"] for v in sandbox.read_violations(
        sandbox.kernel_violations_log(policy_file))]
    assert paths == [str(root / "solutions" / "answers.py"), str(work / "ps1.ipynb")]
    sandbox.cleanup_stale_cgroups()


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
    """Does nbgrader autograde with the sandbox's kernel and IPC settings run the
    notebook in the sandbox, where the notebook's own file (hidden tests) is not?"""
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
    secret = root / "autograded" / "alice" / "ps1" / "p1.ipynb"
    nb.cells[0].source = f"def f():\n    return 1\nprint(open({str(secret)!r}).read())"
    nbformat.write(nb, submitted / "p1.ipynb")

    kernels = tmp_path / "kernels"
    sandbox.kernel_spec(kernels)
    policy_file = kernels / "policy-alice.json"
    policy_file.write_text(Policy(watch=(root,)).to_json())
    connection = sandbox.kernel_connection(tmp_path / "sockets")
    nbgrader("autograde", "ps1", "--student=alice", "--force",
             f"--Execute.kernel_name={sandbox.KERNEL_NAME}",
             *[f"--KernelManager.{k}={v}" for k, v in connection.items()],
             extra_env=sandbox.kernel_env(kernels, policy_file))

    graded = nbformat.read(secret, as_version=4)
    errors = [o for o in graded.cells[0].outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["FileNotFoundError"], graded.cells[0].outputs
    assert graded.cells[1].outputs == []            # the test cell passed
    paths = [v["path"] for v in sandbox.read_violations(
        sandbox.kernel_violations_log(policy_file))]
    assert paths == [str(secret)]
    sandbox.cleanup_stale_cgroups()


@pytest.mark.parametrize("returncode, stderr, failed", [
    (1, b"bwrap: Can't fork for pid 1: Resource temporarily unavailable\n", True),
    (1, b"\nbwrap: execvp python: No such file or directory\n", True),
    (1, b"Traceback (most recent call last):\n...\nbwrap: said the student\n", False),
    (0, b"bwrap: a warning\n", False),
    (-9, b"bwrap: Can't fork\n", False),
])
def test_sandbox_failed_is_bubblewraps_own_failure(returncode, stderr, failed):
    """Is only bubblewrap's own set-up failure (its message first, status 1)
    taken for a failure of the grading machine?"""
    from cs231n.grading.supervise import RunResult
    assert RunResult(returncode, stderr=stderr).sandbox_failed() is failed


def test_a_failed_sandbox_stops_the_student_not_the_verdict():
    """A sandbox that cannot start is the grader's error: it propagates
    (the pipeline zeroes the student with a grader error and says to grade
    again) instead of failing the function as if the student's code died."""
    from types import SimpleNamespace

    from cs231n.grading import integrity

    def check(fns, **kwargs):
        try:
            fns["f"](1)
        except integrity.SandboxFailed as e:
            raise integrity.CheckFailure("f failed") from e

    class Dead:
        closed = False
        encode_args = encode_kwargs = staticmethod(lambda a: a)

        def request(self, req, timeout=None):
            raise integrity.SandboxFailed("bwrap: Can't fork")

    graded = SimpleNamespace(name="f", uses=(), check=check)
    judge = SimpleNamespace(trusted={}, cases=None, reference=None)
    result = integrity.FunctionResult("f", "nb.ipynb", "test_f", passed=False)
    with pytest.raises(integrity.SandboxFailed):
        integrity._check_one(judge, graded, Dead(), result)
    assert not result.passed and not result.reason
