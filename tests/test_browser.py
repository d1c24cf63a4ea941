"""End to end: a student opens the released SVM notebook in JupyterLab.

Starts JupyterLab the way ``make lab`` does (``cs231n-course lab``, which
copies the release into the private ``.lab/`` and serves that) in a copy of
the course, drives Debian's Chromium with Playwright (no browser download),
runs every cell of ``a1_linear/svm.ipynb`` and checks what a student would
see: the released stub fails with ``NotImplementedError``, and nbgrader's
Validate button sits in the notebook toolbar and reports the failing tests.
The saved work lands in ``.lab/``, the release is left as it was. A
screenshot lands in the test's ``tmp_path``.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``): without it the test
is skipped, except under CI (``CI`` set), where it fails.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
NOTEBOOK = "a1_linear/svm.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach the (closed)
# network; the user data folder is passed separately, Playwright owns it.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# Generous for a loaded 2-core machine, but bounded: the whole test is < 60 s
# when things work and fails within a few minutes when they do not.
SERVER_START_S = 90
PAGE_LOAD_S = 90
RUN_ALL_S = 60
VALIDATE_S = 120

# True once the notebook's kernel is connected and idle. The status bar reads
# "<kernel> | Idle" only then ("No Kernel | Initializing", "... | Connecting"
# before); the toolbar's execution indicator says "idle" even before a kernel
# exists, so it cannot be trusted alone.
KERNEL_IDLE_JS = """() => [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
    .map(e => e.textContent.trim())
    .some(t => / [|] Idle$/.test(t) && !t.startsWith('No Kernel'))"""
NOTEBOOK_OPEN_JS = """() => document.querySelector('.jp-NotebookPanel .jp-CodeCell') !== null"""
# True once a run has started and ended: Run All marks every code cell "[*]"
# at once, a cell that ran gets "[n]", and those aborted after an error go
# back to "[ ]". (The notebook is released without execution counts.)
RUN_FINISHED_JS = r"""() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
        .map(p => p.textContent);
    return prompts.some(t => /\[\d+\]/.test(t)) && !prompts.some(t => t.includes('*'));
}"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_start_time(pid):
    """Start time of a live ``pid`` in clock ticks (/proc/pid/stat), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # A zombie has finished; it only waits for a parent (or init) to reap it.
    return None if fields[0] == "Z" else int(fields[19])


def descendants(pid):
    """``{pid: start_time}`` of every live descendant of ``pid`` (Linux /proc).

    Jupyter starts each kernel in a session of its own, so killing the
    server's process group alone would leave the kernels running.
    """
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append((int(entry.name), int(fields[19])))
    found, todo = {}, [pid]
    while todo:
        for child, start in children.get(todo.pop(), []):
            if child not in found:
                found[child] = start
                todo.append(child)
    return found


def stop_server(proc, base_url, token, *, grace=10):
    """Stop JupyterLab, its kernels and anything else it started.

    Asks the server to shut down (it stops its kernels), then sends SIGTERM
    and at last SIGKILL to its process group and to every process it had
    started; a pid counts as the same process only while its start time
    matches, so a recycled pid is never hit.
    """
    known = descendants(proc.pid) if proc.poll() is None else {}

    def alive():
        return [p for p, start in known.items() if _proc_start_time(p) == start]

    def wait_all(seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None and not alive():
                return True
            time.sleep(0.1)
        return False

    if proc.poll() is None:
        req = urllib.request.Request(f"{base_url}/api/shutdown", method="POST",
                                     headers={"Authorization": f"token {token}"})
        try:
            urllib.request.urlopen(req, timeout=5).close()
        except OSError:
            pass
        else:
            if wait_all(grace):
                return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        for pid in alive():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if wait_all(grace):
            return


def wait_for_status(proc, base_url, token, log, timeout):
    """Block until ``/api/status`` answers 200; fail with the server log if not."""
    deadline = time.monotonic() + timeout
    req = urllib.request.Request(f"{base_url}/api/status",
                                 headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    return json.loads(r.read())
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture
def chromium():
    """Debian's Chromium; its absence skips the test, or fails it under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run the browser test")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def lab(tmp_path):
    """JupyterLab started by `cs231n-course lab` (what `make lab` runs) in a
    copy of the course: ``(url, token, course root)``."""
    if not (ASSIGNMENTS / NOTEBOOK).exists():
        pytest.fail(f"{ASSIGNMENTS / NOTEBOOK} is missing: run `make release` first")
    # The copy holds the release and nbgrader_config.py (which the server
    # reads from its working folder, the course root): the private .lab/ and
    # any gradebook the extension creates stay in tmp.
    course = tmp_path / "course"
    shutil.copytree(ASSIGNMENTS, course / "assignments")
    shutil.copy(ROOT / "nbgrader_config.py", course)

    env = dict(os.environ)
    for name in ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                 "IPYTHONDIR", "MPLCONFIGDIR"]:
        env[name] = str(tmp_path / "state" / name.lower())
    # Kernels draw inline as for a student (conftest may have set Agg).
    env.pop("MPLBACKEND", None)
    # No news pop-up over the notebook (it would also call home when accepted).
    labconfig = tmp_path / "state" / "jupyter_config_dir" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # The command line of the environment running the tests (the repo's .venv);
    # it copies the release into .lab/ and then becomes `jupyter lab` (exec),
    # so proc is the server itself.
    cli = Path(sys.executable).with_name("cs231n-course")
    if not cli.exists():
        pytest.fail(f"no {cli}: install the course with `pip install -e '.[test]'`")
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        str(cli), "lab", "--root", str(course), "--",
        "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # No calls home from the server or the page.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = tmp_path / "jupyter-lab.log"
    base_url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for_status(proc, base_url, token, log, SERVER_START_S)
        yield base_url, token, course
    finally:
        stop_server(proc, base_url, token)
        print(f"jupyter lab log: {log}")


def test_released_svm_notebook_runs_in_jupyterlab(chromium, lab, tmp_path):
    """Does the released SVM notebook open in JupyterLab from the student's
    .lab/, fail at the stub, and does Validate report the failing tests and
    save the work in .lab/, never in the release?"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    def wait(what, js, timeout):
        try:
            page.wait_for_function(js, timeout=timeout * 1000, polling=250)
        except PlaywrightTimeout:
            pytest.fail(f"{what} within {timeout} s (screenshot: {shot})")

    base_url, token, course = lab
    released = (course / "assignments" / NOTEBOOK).read_bytes()
    assert released == (ASSIGNMENTS / NOTEBOOK).read_bytes()
    mine = course / ".lab" / NOTEBOOK
    assert mine.read_bytes() == released, "`cs231n-course lab` did not copy the release"
    shot = tmp_path / "jupyterlab.png"
    page = None
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base_url}/lab/tree/{NOTEBOOK}?reset&token={token}",
                      wait_until="domcontentloaded", timeout=PAGE_LOAD_S * 1000)
            wait(f"{NOTEBOOK} did not open", NOTEBOOK_OPEN_JS, PAGE_LOAD_S)
            wait("the kernel did not start and become idle", KERNEL_IDLE_JS, PAGE_LOAD_S)
            panel = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Cell"))

            page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Run$")).click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            wait("Run All Cells did not finish", RUN_FINISHED_JS, RUN_ALL_S)
            wait("the kernel did not return to idle", KERNEL_IDLE_JS, RUN_ALL_S)

            error = panel.locator(".jp-OutputArea-output", has_text="NotImplementedError")
            stderr = panel.locator('.jp-OutputArea-output[data-mime-type*="stderr"]')
            for shown in (error, stderr):  # for the screenshot
                if shown.count():
                    shown.first.scroll_into_view_if_needed()
                    break
            assert error.count() >= 1, (
                "no output shows the stub's NotImplementedError; first error output:\n"
                + (stderr.first.text_content()[:2000] if stderr.count() else "(none)"))

            validate = panel.locator(".jp-NotebookPanel-toolbar .validate-button")
            assert validate.count() == 1, "no nbgrader Validate button in the notebook toolbar"
            assert validate.is_visible(), "the nbgrader Validate button is hidden"
            assert validate.inner_text().strip() == "Validate"

            # Validate saves the notebook, then nbgrader runs it on the server
            # (with the course's nbgrader_config.py, read from the server's
            # working folder) and shows the failing tests.
            validate.click()
            wait("Validate did not report", "() => document.querySelector("
                 "'#validation-message') !== null", VALIDATE_S)
            message = page.locator("#validation-message")
            assert "validation-failed" in message.get_attribute("class"), (
                "Validate did not report failing tests on the stub:\n"
                + message.inner_text()[:2000])
            assert "NotImplementedError" in message.inner_text()
            page.locator(".jp-Dialog .jp-mod-accept").click()

            saved = json.loads(mine.read_text())
            assert any(c.get("outputs") for c in saved["cells"]), (
                f"Validate did not save the outputs into {mine}")
            assert (course / "assignments" / NOTEBOOK).read_bytes() == released, (
                "the student's work was written into the release")
        finally:
            try:
                if page is not None:
                    page.screenshot(path=str(shot))
                    print(f"screenshot: {shot}")
            except Exception as e:  # a failed screenshot must not hide the real error
                print(f"no screenshot: {e}")
            context.close()
