"""End to end on the course hub: an instructor and two students in Chromium.

Starts the course's JupyterHub (``cs231n.hub``, what ``make hub`` runs) with
one instructor and two student accounts, and drives a whole assignment cycle
through the hub's login page, each person in a browser context of their own:

1. the instructor generates and releases ``a1_linear`` in formgrader;
2. each student fetches it from the Assignment List, opens ``svm.ipynb``,
   types an answer to its first graded function (student 1 the right one,
   student 2 one with a sign flipped; student 1 also answers the first
   free-text question), saves, validates and submits;
3. the instructor collects in formgrader, grades in a terminal with
   ``cs231n-course grade`` (run here as the instructor's system user), and
   grades the free-text answer in formgrader's manual grading;
4. the instructor generates and releases feedback;
5. each student fetches their feedback and reads it, and student 2 cannot
   open student 1's server or files.

Then the hub is stopped and must leave no process behind; the accounts are
removed. Measured (printed, and written to ``hub_metrics.json`` in the
test's ``tmp_path`` with a screenshot per step): the hub's start time, the
seconds from a student's Fetch to their submission being listed, and the
resident memory of the hub, its proxy and the three single-user servers
with their kernels.

Needs root (the hub makes system accounts), ``/usr/bin/chromium``, the
hub's proxy (``make .hub/proxy/node_modules/.bin/configurable-http-proxy``)
and bubblewrap (grading): without one of them the test is skipped, except
under CI (``CI`` set), where it fails.
"""
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from cs231n import hub

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# As in test_browser.py: without the networking flags Chromium keeps trying
# to reach the (closed) network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
PREFIX = "t231b-"
ASSIGNMENT = "a1_linear"
NOTEBOOK = "svm"
FUNCTION = "svm_loss_naive"          # the first graded function of svm.ipynb
TEST_CELL = f"test_{FUNCTION}"       # its graded test cell
QUESTION = "q_hinge_include_correct"  # the first free-text answer
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
# Student 2's answer: the solution with the sign of the correct class's
# gradient flipped (the loss stays right, the gradient does not).
RIGHT_LINE, WRONG_LINE = "dW[:, y[i]] -= X[i]", "dW[:, y[i]] += X[i]"
FREE_TEXT_ANSWER = ("Every example gets an extra term max(0, 1) = 1, so the loss grows "
                    "by exactly 1 whatever W is: the minimiser does not change.")
# nbgrader's submission timestamps, as the Assignment List shows them.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")

# Generous for a loaded 2-core machine, but bounded.
SPAWN_S = 120       # login until the person's server shows its page
PAGE_S = 90         # a page or panel of a running server
ACTION_S = 120      # fetch, submit, collect, release, feedback
VALIDATE_S = 240    # nbgrader runs the whole notebook
GRADE_S = 900       # cs231n-course grade on two submissions

# From test_browser.py: True once the notebook's kernel is connected and idle.
KERNEL_IDLE_JS = """() => [...document.querySelectorAll(
        '#jp-main-statusbar .jp-StatusBar-TextItem')]
    .map(e => e.textContent.trim())
    .some(t => / [|] Idle$/.test(t) && !t.startsWith('No Kernel'))"""
NOTEBOOK_OPEN_JS = """() => document.querySelector('.jp-NotebookPanel .jp-CodeCell') !== null"""


# ------------------------------------------------------------------ prerequisites

def _missing(reason):
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must run the hub's browser test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium; its absence skips the test, or fails it under CI."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def course_hub(tmp_path_factory):
    """The course hub with an instructor and two students, started for this
    module and always stopped, its accounts and exchange removed.

    Yields ``(settings, start_seconds)``.
    """
    if os.geteuid() != 0:
        _missing("the hub makes system accounts: run the test as root")
    try:
        hub.find_proxy()
    except hub.HubError as e:
        _missing(str(e))
    if not shutil.which("bwrap"):
        _missing("bubblewrap not found (apt-get install bubblewrap): grading needs it")
    # The exchange's folders must be traversable by everyone: not pytest's
    # tmp_path, which is private to root (mode 0700).
    top = Path(f"/tmp/cs231n-hubb-{secrets.token_hex(4)}")
    top.mkdir(mode=0o755)
    os.chmod(top, 0o755)
    # Accounts left by an interrupted run would bring back its course folder
    # (gradebook, released assignment): start from none.
    hub.remove_accounts(PREFIX)
    settings = hub.Settings(hub_dir=str(tmp_path_factory.mktemp("hub") / "state"),
                            prefix=PREFIX, students=2, port=hub.free_port(),
                            exchange=str(top / "exchange"))
    try:
        seconds = hub.start(settings)
        yield settings, seconds
    finally:
        hub.stop(settings)
        hub.remove_accounts(PREFIX)
        shutil.rmtree(top, ignore_errors=True)
        left = hub.course_accounts(PREFIX)
        assert left == [], f"accounts left behind: {left}"


@pytest.fixture
def metrics(tmp_path):
    """The measurements, written to ``hub_metrics.json`` in ``tmp_path``
    whether the test passes or not."""
    measured = {}
    yield measured
    path = tmp_path / "hub_metrics.json"
    path.write_text(json.dumps(measured, indent=1))
    print(json.dumps({k: v for k, v in measured.items() if k != "processes"}, indent=1))
    print(f"metrics: {path}; screenshots: {tmp_path / 'screenshots'}")


# ------------------------------------------------------------------ processes and memory

def _vmrss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace").strip()
    except OSError:
        return ""


def _pid_from(path):
    try:
        return int(Path(path).read_text())
    except (OSError, ValueError):
        return None


def hub_processes(settings):
    """``[(pid, user, rss_kb, command)]`` of the hub, its proxy and every
    process of the hub's accounts (their servers and kernels)."""
    pids = {}
    for name in ("jupyterhub.pid", "proxy.pid"):
        pid = _pid_from(Path(settings.hub_dir) / name)
        if pid and Path(f"/proc/{pid}").exists():
            pids[pid] = "root"
    uids = {pwd.getpwnam(n).pw_uid: n for n in [settings.instructor, *settings.student_names]}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uid = entry.stat().st_uid
            except OSError:
                continue
            if uid in uids:
                pids[int(entry.name)] = uids[uid]
    return sorted((pid, user, _vmrss_kb(pid), _cmdline(pid)[:120])
                  for pid, user in pids.items())


def stray_hub_processes(settings):
    """Any jupyterhub or configurable-http-proxy process of this hub: the
    proxy by its ports on the command line, the hub by its state folder in
    the environment."""
    found = []
    ports = {str(settings.port), str(settings.port + 2)}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmd = _cmdline(entry.name)
        if "configurable-http-proxy" in cmd and ports & set(cmd.split()):
            found.append((int(entry.name), cmd))
        elif "jupyterhub" in cmd:
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"CS231N_HUB_DIR={settings.hub_dir}".encode() in env:
                found.append((int(entry.name), cmd))
    return found


# ------------------------------------------------------------------ notebooks

def nbgrader_cell(path, grade_id):
    """The cell of the notebook at ``path`` with nbgrader's ``grade_id``."""
    for cell in json.loads(Path(path).read_text())["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise LookupError(f"no cell {grade_id} in {path}")


def source(cell):
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def solution_body(grade_id):
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of
    the solution notebook's cell ``grade_id``, as in the file."""
    text = source(nbgrader_cell(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                                grade_id))
    lines = text.splitlines()
    begin = next(i for i, l in enumerate(lines) if l.strip() == "### BEGIN SOLUTION")
    end = next(i for i, l in enumerate(lines) if l.strip() == "### END SOLUTION")
    return "\n".join(lines[begin + 1:end])


# ------------------------------------------------------------------ the browser

class Person:
    """One person's browser context and page on the hub."""

    def __init__(self, browser, settings, name, password, shots):
        self.name, self.password = name, password
        self.url = settings.url
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(PAGE_S * 1000)
        self.page = self.context.new_page()
        self.shots = shots

    @property
    def server(self):
        return f"{self.url}user/{self.name}/"

    def shot(self, step):
        """A screenshot for debugging; never hides the real error."""
        path = self.shots / f"{step}-{self.name}.png"
        try:
            self.page.screenshot(path=str(path))
        except Exception as e:  # noqa: BLE001
            print(f"no screenshot {path}: {e}")

    def log_in(self, next_path):
        """Type name and password into the hub's login page and sign in;
        waits until the hub has started the server and shows ``next_path``."""
        from playwright.sync_api import expect
        page = self.page
        page.goto(f"{self.url}hub/login?next={urllib.parse.quote(next_path)}",
                  wait_until="domcontentloaded")
        page.get_by_label("Username:").fill(self.name)
        page.get_by_label("Password:").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        # JupyterHub does not start a server on a deep link by itself: it
        # says "Server not running" and offers "Launch Server", which a
        # person presses; then it shows its progress and goes on to the page.
        target = re.compile("^" + re.escape(self.url.rstrip("/") + next_path))
        launch = page.get_by_role("button", name="Launch Server")

        def arrived():
            if target.match(page.url):
                return True
            if launch.is_visible():
                launch.click()
            return False

        wait_until(f"{self.name}'s server did not show {next_path}", arrived, SPAWN_S)
        expect(page).to_have_url(target)


def wait_js(page, what, js, timeout):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function(js, timeout=timeout * 1000, polling=250)
    except PlaywrightTimeout:
        pytest.fail(f"{what} within {timeout} s")


def wait_until(what, check, timeout):
    """Poll ``check()`` until it returns a true value (which is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.25)


# ------------------------------------------------------------------ formgrader

def formgrader_row(page):
    return page.locator("#main-table tr").filter(
        has=page.locator("td.name", has_text=re.compile(f"^{ASSIGNMENT}$")))


def formgrader_action(page, column, message, timeout=ACTION_S):
    """Press the button in ``column`` of the assignment's row on Manage
    Assignments and dismiss the dialog that says ``message``; returns the
    dialog's text."""
    from playwright.sync_api import expect
    formgrader_row(page).locator(f"td.{column} a").click()
    modal = page.locator("#success-modal, #error-modal")
    expect(modal).to_be_visible(timeout=timeout * 1000)
    text = modal.inner_text()
    assert modal.get_attribute("id") == "success-modal", (
        f"formgrader's {column} failed:\n{text[-3000:]}")
    assert message in text, text[-3000:]
    modal.locator(".modal-footer button").click()
    expect(modal).to_have_count(0)
    return text


def open_manage_assignments(instructor):
    from playwright.sync_api import expect
    page = instructor.page
    page.goto(f"{instructor.server}formgrader/manage_assignments")
    expect(formgrader_row(page)).to_have_count(1)
    return page


def open_submissions(instructor):
    """Manual Grading > the assignment > the notebook, with the students'
    names shown; returns the page."""
    from playwright.sync_api import expect
    page = instructor.page
    page.goto(f"{instructor.server}formgrader/gradebook")
    page.locator("#main-table a", has_text=re.compile(f"^{ASSIGNMENT}$")).click()
    page.locator("#main-table a", has_text=re.compile(f"^{NOTEBOOK}$")).click()
    expect(page.locator("#main-table tr")).to_have_count(2)
    toggle = page.locator("#toggle_names")
    expect(toggle).to_have_text("Show All Names")
    toggle.click()
    expect(toggle).to_have_text("Hide All Names")
    return page


def submission_row(page, name):
    return page.locator("#main-table tr").filter(
        has=page.locator("a.name-shown", has_text=re.compile(f"^{re.escape(name)}$")))


def submission_scores(instructor, students):
    """``{student: "overall score"}`` as the submissions list shows them."""
    page = open_submissions(instructor)
    return {name: submission_row(page, name).locator("td.score").inner_text().strip()
            for name in students}


def open_submission(instructor, name):
    """The formgrade page of ``name``'s notebook, the name revealed."""
    from playwright.sync_api import expect
    page = open_submissions(instructor)
    submission_row(page, name).locator("a.name-shown").click()
    page.locator(".breadcrumb .live-notebook .glyphicon-eye-open").click()
    expect(page.locator(".breadcrumb .live-notebook a.name-shown")).to_have_text(name)
    return page


def points_of(score):
    """``"4 / 20"`` -> ``(4.0, 20.0)``."""
    got, total = (float(x) for x in score.split("/"))
    return got, total


# ------------------------------------------------------------------ JupyterLab

def nbgrader_menu(person):
    """Open the Nbgrader menu; returns the commands of its entries."""
    from playwright.sync_api import expect
    page = person.page
    page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(r"^Nbgrader$")).click()
    entries = page.locator(".lm-Menu .lm-Menu-item[data-command]")
    expect(entries.first).to_be_visible()
    # An entry whose command is not registered (its extension disabled)
    # stays in the menu, hidden.
    return [entries.nth(i).get_attribute("data-command") for i in range(entries.count())
            if entries.nth(i).is_visible()]


def open_assignment_list(person):
    """Nbgrader menu > Assignment List; returns the panel once its lists loaded."""
    from playwright.sync_api import expect
    page = person.page
    nbgrader_menu(person)
    page.locator('.lm-Menu-item[data-command="nbgrader:open-assignment-list"]').click()
    panel = page.locator("#nbgrader-assignment-list")
    expect(panel).to_be_visible()
    expect(panel.locator("#course_list_default")).not_to_have_text(
        re.compile("Loading"), timeout=PAGE_S * 1000)
    return panel


def assignment_item(panel, listing):
    """The assignment's row in the Assignment List's ``listing`` (released,
    fetched or submitted)."""
    return panel.locator(f"#{listing}_assignments_list > .list_item").filter(
        has=panel.page.locator(".item_name", has_text=re.compile(rf"^\s*{ASSIGNMENT}\b")))


def fill_code_cell(person, text):
    """Replace the whole source of the code cell that starts as ``text``
    does (its ``def`` line) with ``text``: select the editor's content,
    insert the text (no auto-indent on the way)."""
    first_line = text.splitlines()[0]
    page = person.page
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text=first_line)
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def fill_markdown_cell(person, placeholder_index, text):
    """Write ``text`` into the ``placeholder_index``-th markdown answer cell
    (those saying YOUR ANSWER HERE) and render it."""
    page = person.page
    cell = page.locator(".jp-NotebookPanel .jp-MarkdownCell").filter(
        has_text="YOUR ANSWER HERE").nth(placeholder_index)
    cell.scroll_into_view_if_needed()
    cell.dblclick()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Control+Enter")


# ------------------------------------------------------------------ the test

def test_course_cycle_on_the_hub(chromium, course_hub, metrics, tmp_path):
    """Can an instructor release a1_linear on the hub, two students fetch,
    answer, validate and submit it, the instructor collect, grade (in a
    terminal and by hand) and return feedback, and each student read only
    their own feedback, all through the browser, leaving no process behind?"""
    from playwright.sync_api import expect, sync_playwright

    settings, start_seconds = course_hub
    began = time.monotonic()
    # Assertions on pages wait as long as actions do (Playwright's default is 5 s).
    expect.set_options(timeout=PAGE_S * 1000)
    accounts = hub.accounts_of(settings)
    instructor_name, students = settings.instructor, settings.student_names
    course = settings.course_dir()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    metrics.update(hub_start_s=round(start_seconds, 2), fetch_to_submitted_s={})
    print(f"\nhub started in {start_seconds:.1f} s at {settings.url}")

    right_body = solution_body(FUNCTION)
    assert RIGHT_LINE in right_body, f"{RIGHT_LINE!r} is not in the solution of {FUNCTION}"
    wrong_body = right_body.replace(RIGHT_LINE, WRONG_LINE)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True,
                                     args=CHROMIUM_ARGS)
        people = {}
        try:
            # 1. Instructor: generate and release in formgrader.
            instructor = people[instructor_name] = Person(
                browser, settings, instructor_name, accounts[instructor_name], shots)
            instructor.log_in(f"/user/{instructor_name}/formgrader")
            page = open_manage_assignments(instructor)
            row = formgrader_row(page)
            expect(row.locator("td.status")).to_have_text("draft")
            instructor.shot("01a-listed")
            formgrader_action(page, "assign",
                              f"Successfully created the student version of '{ASSIGNMENT}'")
            expect(row.locator("td.release a")).to_have_count(1)
            formgrader_action(page, "release", f"Successfully released '{ASSIGNMENT}'.")
            expect(row.locator("td.status")).to_have_text("released")
            instructor.shot("01b-released")

            # 2. Students: fetch, answer, save, validate, submit.
            for number, name in enumerate(students, start=1):
                student = people[name] = Person(browser, settings, name, accounts[name], shots)
                student.log_in(f"/user/{name}/lab")
                page = student.page
                # A student's Nbgrader menu has the Assignment List only, and
                # their server has no formgrader.
                commands = nbgrader_menu(student)
                page.keyboard.press("Escape")
                print(f"{name}'s Nbgrader menu: {commands}")
                assert "nbgrader:open-assignment-list" in commands, commands
                assert not {"nbgrader:open-formgrader", "nbgrader:open-formgrader-local",
                            "nbgrader:open-course-list"} & set(commands), commands
                create = page.get_by_role("tab", name=re.compile("Create Assignment"))
                expect(create).to_have_count(0)
                formgrader = student.context.request.get(student.server + "formgrader")
                assert formgrader.status == 404, (
                    f"{name} reached formgrader: {formgrader.status} {formgrader.url}")
                panel = open_assignment_list(student)
                released = assignment_item(panel, "released")
                expect(released.locator(".item_status button")).to_have_text("Fetch")
                student.shot("02a-released")

                fetch_pressed = time.monotonic()
                released.locator(".item_status button").click()
                fetched = assignment_item(panel, "fetched")
                expect(fetched.locator(".item_status button").first).to_have_text(
                    "Submit", timeout=ACTION_S * 1000)
                expect(assignment_item(panel, "released")).to_have_count(0)
                student.shot("02b-downloaded")
                mine = Path(pwd.getpwnam(name).pw_dir) / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
                assert mine.is_file(), f"Fetch did not put the notebook at {mine}"

                # Open the notebook from the list, as a student would.
                fetched.locator("a.assignment-notebooks-link").click()
                fetched.locator(".nested_list_item .item_name a",
                                has_text=re.compile(f"^{NOTEBOOK}$")).click()
                wait_js(page, f"{NOTEBOOK}.ipynb did not open", NOTEBOOK_OPEN_JS, PAGE_S)
                wait_js(page, "the kernel did not start and become idle", KERNEL_IDLE_JS,
                        PAGE_S)

                released_source = source(nbgrader_cell(mine, FUNCTION))
                assert STUB in released_source, (
                    f"the released {FUNCTION} has no stub:\n{released_source}")
                answer = released_source.replace(
                    STUB, right_body if number == 1 else wrong_body)
                fill_code_cell(student, answer)
                if number == 1:
                    fill_markdown_cell(student, 0, FREE_TEXT_ANSWER)
                page.keyboard.press("Control+s")
                wait_until(f"{name}'s answer was not saved to {mine}",
                           lambda: source(nbgrader_cell(mine, FUNCTION)) == answer, PAGE_S)
                if number == 1:
                    assert source(nbgrader_cell(mine, QUESTION)) == FREE_TEXT_ANSWER
                student.shot("02c-answered")

                notebook = page.locator(".jp-NotebookPanel").filter(
                    has=page.locator(".jp-Cell"))
                notebook.locator(".jp-NotebookPanel-toolbar .validate-button").click()
                message = page.locator("#validation-message")
                expect(message).to_be_visible(timeout=VALIDATE_S * 1000)
                text = message.inner_text()
                student.shot("02d-validated")
                assert "validation-failed" in message.get_attribute("class"), text[:3000]
                # The failing cells are listed with their source: student 1's
                # function is not among them, student 2's is, with the check's
                # explanation.
                failed_naive = f"checks.check_svm_loss({FUNCTION})" in text
                assert "checks.check_svm_loss(svm_loss_vectorized)" in text, text[:3000]
                assert "NotImplementedError" in text, text[:3000]
                if number == 1:
                    assert not failed_naive, f"student 1's right {FUNCTION} failed:\n{text}"
                else:
                    assert failed_naive, f"student 2's wrong {FUNCTION} passed:\n{text}"
                    assert f"{FUNCTION}: the gradient dW is wrong" in text, text[:3000]
                page.locator(".jp-Dialog .jp-mod-accept").click()

                panel = open_assignment_list(student)
                fetched = assignment_item(panel, "fetched")
                fetched.locator(".item_status button").first.click()
                submitted = assignment_item(panel, "submitted")
                expect(submitted.locator(".nested_list_item .item_name").first).to_have_text(
                    TIMESTAMP, timeout=ACTION_S * 1000)
                metrics["fetch_to_submitted_s"][name] = round(
                    time.monotonic() - fetch_pressed, 2)
                student.shot("02e-submitted")
                print(f"{name}: Fetch to submission listed "
                      f"{metrics['fetch_to_submitted_s'][name]:.1f} s")

            # Memory, all three servers running (the students' kernels too).
            processes = hub_processes(settings)
            servers = [p for p in processes if "jupyterhub-singleuser" in p[3]]
            assert len(servers) == 3, processes
            metrics["memory_mb"] = round(sum(p[2] for p in processes) / 1024, 1)
            metrics["processes"] = [{"pid": p, "user": u, "rss_mb": round(r / 1024, 1),
                                     "command": c} for p, u, r, c in processes]
            print(f"memory of hub + proxy + 3 servers + kernels: {metrics['memory_mb']} MB "
                  f"in {len(processes)} processes")

            # 3. Instructor: collect, grade in a terminal, grade by hand.
            page = open_manage_assignments(instructor)
            formgrader_action(page, "collect",
                              f"Successfully collected submissions of '{ASSIGNMENT}'.")
            row = formgrader_row(page)
            expect(row.locator("td.num-submissions")).to_have_text("2")
            instructor.shot("03a-collected")

            grade_began = time.monotonic()
            env = {"HOME": pwd.getpwnam(instructor_name).pw_dir, "USER": instructor_name,
                   "LOGNAME": instructor_name, "LANG": "C.UTF-8",
                   "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin"}
            run = subprocess.run(
                [shutil.which("runuser") or "/usr/sbin/runuser", "-u", instructor_name, "--",
                 "env", f"HOME={env['HOME']}",
                 str(ROOT / ".venv" / "bin" / "cs231n-course"), "grade", ASSIGNMENT,
                 "--no-progress", "--jobs", "2"],
                cwd=course, env=env, capture_output=True, text=True, timeout=GRADE_S)
            metrics["grade_s"] = round(time.monotonic() - grade_began, 1)
            print(f"cs231n-course grade as {instructor_name}: exit {run.returncode} in "
                  f"{metrics['grade_s']} s\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
            assert run.returncode == 0, (
                f"cs231n-course grade failed as {instructor_name}:\n"
                f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
            # Its table: one line per student with the status of the grading.
            for name in students:
                line = re.search(rf"^{re.escape(name)} .*$", run.stdout, re.M)
                assert line and re.search(r"\bgraded\b", line.group()), (
                    f"cs231n-course grade did not grade {name}:\n{run.stdout[-3000:]}")

            scores_before = submission_scores(instructor, students)
            instructor.shot("03b-submissions")
            autograde = {}
            for name in students:
                page = open_submission(instructor, name)
                score_input = page.locator(f"input#{TEST_CELL}")
                score_input.scroll_into_view_if_needed()
                # The autograded score shows as the input's placeholder.
                autograde[name] = score_input.get_attribute("placeholder")
                points = score_input.locator("xpath=..").inner_text().strip()
                instructor.shot(f"03c-formgrade-{name}")
                if name == students[0]:
                    question = page.locator(f"input#{QUESTION}")
                    question.scroll_into_view_if_needed()
                    expect(page.locator(".nbgrader_cell").filter(has=question)).to_contain_text(
                        FREE_TEXT_ANSWER)
                    with page.expect_response(
                            lambda r: "/formgrader/api/grade/" in r.url
                            and r.request.method == "PUT") as saved:
                        question.fill("1")
                        question.press("Tab")
                    assert saved.value.ok, f"saving the manual grade failed: {saved.value.status}"
                    instructor.shot("03d-manual-grade")
            print(f"autograded {TEST_CELL}: {autograde} ({points}); "
                  f"scores before manual grading: {scores_before}")
            assert points == "/ 3.0", points
            assert autograde[students[0]] == "3", autograde
            assert autograde[students[1]] == "0", autograde

            scores_after = submission_scores(instructor, students)
            instructor.shot("03e-new-total")
            print(f"scores after manual grading: {scores_after}")
            got_before, total = points_of(scores_before[students[0]])
            assert got_before >= 3, scores_before
            assert points_of(scores_after[students[0]]) == (got_before + 1, total), (
                scores_before, scores_after)
            assert scores_after[students[1]] == scores_before[students[1]]
            metrics["scores"] = scores_after

            # 4. Instructor: generate and release feedback.
            page = open_manage_assignments(instructor)
            formgrader_action(page, "generate-feedback",
                              f"Successfully generated feedback of '{ASSIGNMENT}'.")
            formgrader_action(page, "release-feedback",
                              f"Successfully released feedback of '{ASSIGNMENT}'.")
            instructor.shot("04-feedback-released")

            # 5. Students: fetch and read their own feedback, and only theirs.
            feedback_paths = {}
            for name in students:
                student = people[name]
                page = student.page
                panel = open_assignment_list(student)
                panel.locator("#refresh_assignments_list").click()
                submitted = assignment_item(panel, "submitted")
                expect(submitted).to_contain_text("(feedback available to fetch)",
                                                  timeout=PAGE_S * 1000)
                timestamp = TIMESTAMP.search(
                    submitted.locator(".nested_list_item .item_name").first.inner_text()).group()
                submitted.locator(".item_status button").first.click()
                expect(submitted.locator("a", has_text="(view feedback)")).to_be_visible(
                    timeout=ACTION_S * 1000)
                student.shot("05a-feedback-fetched")

                home = Path(pwd.getpwnam(name).pw_dir)
                found = sorted((home / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK}.html"))
                assert len(found) == 1, f"feedback of {name}: {found}"
                folder = found[0].parent.name
                assert folder.startswith(timestamp), (folder, timestamp)
                relative = f"{ASSIGNMENT}/feedback/{folder}/{NOTEBOOK}.html"
                feedback_paths[name] = relative

                # Read it in the student's browser, from their server.
                feedback = student.context.new_page()
                answer = feedback.goto(student.server + "files/" + urllib.parse.quote(relative))
                assert answer.status == 200, f"{name} cannot open their feedback: {answer.status}"
                html = answer.text()
                text = feedback.inner_text("body")
                # The summary at the top: one line per graded cell.
                summary = {cell: feedback.locator(f'li:has(a[href="#{cell}"])').inner_text()
                           for cell in (TEST_CELL, QUESTION)}
                feedback.screenshot(path=str(shots / f"05b-feedback-{name}.png"))
                feedback.close()
                assert "BEGIN HIDDEN TESTS" not in html, f"hidden tests in {name}'s feedback"
                assert f"checks.check_svm_loss({FUNCTION})" in text, (
                    f"the feedback does not show the test cell:\n{text[:2000]}")
                assert 'cases="hidden"' not in text, f"a hidden test call in {name}'s feedback"
                heading = re.search(rf"{NOTEBOOK} \(Score: ([\d.]+) / ([\d.]+)\)", text)
                assert heading, f"no score heading in {name}'s feedback:\n{text[:2000]}"
                assert float(heading.group(1)) == points_of(scores_after[name])[0], (
                    heading.group(), scores_after)
                got = 1.0 if name == students[0] else 0.0
                assert summary == {TEST_CELL: f"Test cell (Score: {3 * got} / 3.0)",
                                   QUESTION: f"Written response (Score: {got} / 1.0)"}, summary
                metrics.setdefault("feedback", {})[name] = [heading.group(), *summary.values()]

            # Student 2 cannot open student 1's server or files.
            intruder = people[students[1]]
            victim = f"{settings.url}user/{students[0]}/"
            for path in ["lab", "files/" + urllib.parse.quote(feedback_paths[students[0]]),
                         f"api/contents/{ASSIGNMENT}"]:
                answer = intruder.context.request.get(victim + path)
                body = answer.text()
                print(f"{students[1]} GET /user/{students[0]}/{path}: {answer.status}")
                assert answer.status == 403, (
                    f"{students[1]} got {answer.status} for {victim + path}:\n{body[:500]}")
                assert "Score:" not in body and FREE_TEXT_ANSWER[:40] not in body
            intruder.page.goto(victim + "lab")
            expect(intruder.page.locator("h1")).to_contain_text(
                f"403 : You do not have permission to access Server at /user/{students[0]}/")
            intruder.shot("05c-other-server")
        finally:
            for person in people.values():
                person.context.close()
            browser.close()

    # 6. The hub stops and leaves nothing behind.
    running = {pid: (user, command) for pid, user, _, command in hub_processes(settings)}
    killed = hub.stop(settings)
    # The hub ends by itself, and stops everyone's server, kernel and its
    # proxy: stop() had nothing to kill.
    metrics["killed_at_stop"] = [[pid, *running.get(pid, ("?", _cmdline(pid)))]
                                 for pid in killed]
    assert metrics["killed_at_stop"] == [], metrics["killed_at_stop"]
    left = hub.leftover_processes(settings)
    assert left == [], f"processes left after stop: {[(p, _cmdline(p)) for p in left]}"
    assert stray_hub_processes(settings) == []
    metrics["test_s"] = round(time.monotonic() - began, 1)
