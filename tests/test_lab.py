"""``make lab``: the student's private copy of the release, ``.lab/``."""
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from cs231n import course, lab

ROOT = Path(__file__).resolve().parents[1]


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def root(tmp_path):
    """A course with a release of two assignments (and files never released)."""
    root = tmp_path / "course"
    _write(root / "assignments" / "a1" / "svm.ipynb", "svm, release 1\n")
    _write(root / "assignments" / "a1" / "given.py", "given = 1\n")
    _write(root / "assignments" / "a2" / "net.ipynb", "net, release 1\n")
    _write(root / "assignments" / "a2" / "data" / "x.csv", "1,2\n")
    _write(root / "assignments" / "a1" / ".ipynb_checkpoints" / "svm-checkpoint.ipynb", "old\n")
    _write(root / "assignments" / "a1" / "__pycache__" / "given.cpython-311.pyc", "bytes\n")
    _write(root / "assignments" / "README.md", "not an assignment\n")
    return root


RELEASED = ["a1/given.py", "a1/svm.ipynb", "a2/data/x.csv", "a2/net.ipynb"]


def _tree(folder):
    """``{relative path: bytes}`` of every file below ``folder``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _student_files(root):
    return {k: v for k, v in _tree(root / ".lab").items() if not k.startswith(".")}


def test_the_first_run_copies_every_released_file(root):
    """Does the first run copy each assignment's files, byte for byte, and
    nothing else (no checkpoints, caches, or files outside an assignment)?"""
    release = _tree(root / "assignments")
    done = lab.prepare_lab(root)
    assert done.dest == root.resolve() / ".lab"
    assert done.copied == RELEASED
    assert done.changed == []
    assert _student_files(root) == {rel: release[rel] for rel in RELEASED}
    assert done.messages == ["copied a1 into .lab/a1/ (2 files)",
                             "copied a2 into .lab/a2/ (2 files)"]
    assert _tree(root / "assignments") == release, "the release was modified"


def test_a_students_edit_survives_a_second_run_and_a_new_release(root):
    """Is an edited notebook left alone by the next run and by a release
    that changes it, is the change named in one line with where the new
    release is, and does deleting the copy give the new release?"""
    lab.prepare_lab(root)
    mine = root / ".lab" / "a1" / "svm.ipynb"
    mine.write_text("svm, my answers\n")
    again = lab.prepare_lab(root)
    assert (again.copied, again.changed, again.messages) == ([], [], [])
    assert mine.read_text() == "svm, my answers\n"

    (root / "assignments" / "a1" / "svm.ipynb").write_text("svm, release 2\n")
    for _ in range(2):  # said on every run while the copy is of the old release
        done = lab.prepare_lab(root)
        assert mine.read_text() == "svm, my answers\n"
        assert done.copied == [] and done.changed == ["a1/svm.ipynb"]
        assert len(done.messages) == 1, done.messages
        line = done.messages[0]
        assert "a1/svm.ipynb: the release changed after you started yours" in line
        assert ".lab/a1/svm.ipynb is kept as it is" in line
        assert "the release is assignments/a1/svm.ipynb" in line

    mine.unlink()
    fresh = lab.prepare_lab(root)
    assert fresh.copied == ["a1/svm.ipynb"] and fresh.changed == []
    assert mine.read_text() == "svm, release 2\n"
    assert lab.prepare_lab(root).messages == []


def test_an_unedited_copy_is_not_replaced_by_a_new_release_either(root):
    """Is a copy the student never edited still theirs when the release
    changes (they may have read it; nothing changes under them)?"""
    lab.prepare_lab(root)
    (root / "assignments" / "a1" / "given.py").write_text("given = 2\n")
    done = lab.prepare_lab(root)
    assert done.changed == ["a1/given.py"]
    assert (root / ".lab" / "a1" / "given.py").read_text() == "given = 1\n"


def test_the_copies_are_the_students_to_edit(root):
    """Is a copy of a read-only release file an ordinary file the student can
    write (mode 0o666 less the umask), and does no temporary file remain?"""
    svm = root / "assignments" / "a1" / "svm.ipynb"
    svm.chmod(0o444)
    old = os.umask(0o022)
    try:
        lab.prepare_lab(root)
    finally:
        os.umask(old)
    assert (root / ".lab" / "a1" / "svm.ipynb").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in (root / ".lab" / "a1").iterdir()) == ["given.py",
                                                                      "svm.ipynb"]


def test_a_new_file_and_a_new_assignment_in_the_release_are_copied_in(root):
    lab.prepare_lab(root)
    (root / ".lab" / "a1" / "svm.ipynb").write_text("svm, my answers\n")
    _write(root / "assignments" / "a1" / "extra.py", "extra = 1\n")
    _write(root / "assignments" / "a6" / "conv.ipynb", "conv, release 1\n")
    done = lab.prepare_lab(root)
    assert done.copied == ["a1/extra.py", "a6/conv.ipynb"]
    assert done.changed == []
    assert done.messages == ["copied into .lab/a1/, new in the release: extra.py",
                             "copied a6 into .lab/a6/ (1 file)"]
    assert (root / ".lab" / "a6" / "conv.ipynb").read_text() == "conv, release 1\n"
    assert (root / ".lab" / "a1" / "svm.ipynb").read_text() == "svm, my answers\n"


def test_nothing_of_the_students_is_deleted(root):
    """Do the student's own files, and a file the release dropped, stay?"""
    lab.prepare_lab(root)
    _write(root / ".lab" / "a1" / "notes.md", "my notes\n")
    (root / "assignments" / "a2" / "data" / "x.csv").unlink()
    shutil.rmtree(root / "assignments" / "a1")
    done = lab.prepare_lab(root)
    assert (done.copied, done.changed) == ([], [])
    assert (root / ".lab" / "a1" / "notes.md").read_text() == "my notes\n"
    assert (root / ".lab" / "a1" / "svm.ipynb").exists()
    assert (root / ".lab" / "a2" / "data" / "x.csv").exists()


def test_a_students_file_with_the_name_of_a_new_released_one_is_kept(root):
    """A file the student made before the release brought one of that name:
    is it kept and the difference named?"""
    lab.prepare_lab(root)
    _write(root / ".lab" / "a1" / "extra.py", "mine\n")
    _write(root / "assignments" / "a1" / "extra.py", "released\n")
    done = lab.prepare_lab(root)
    assert done.copied == [] and done.changed == ["a1/extra.py"]
    assert "a1/extra.py: yours differs from the release" in done.messages[0]
    assert (root / ".lab" / "a1" / "extra.py").read_text() == "mine\n"
    # The same text as the release: adopted silently.
    (root / ".lab" / "a1" / "extra.py").write_text("released\n")
    assert lab.prepare_lab(root).messages == []


def test_a_damaged_record_of_the_release_is_rebuilt_without_touching_the_work(root):
    lab.prepare_lab(root)
    (root / ".lab" / "a1" / "svm.ipynb").write_text("svm, my answers\n")
    (root / ".lab" / lab.HASHES).write_text("{not json")
    done = lab.prepare_lab(root)
    assert done.messages[0].startswith("ignored ") and lab.HASHES in done.messages[0]
    assert done.changed == ["a1/svm.ipynb"]
    assert (root / ".lab" / "a1" / "svm.ipynb").read_text() == "svm, my answers\n"


def test_another_destination_leaves_the_course_alone(root, tmp_path):
    done = lab.prepare_lab(root, dest=tmp_path / "elsewhere")
    assert done.dest == (tmp_path / "elsewhere").resolve()
    assert sorted(_tree(tmp_path / "elsewhere")) == [lab.HASHES] + RELEASED
    assert not (root / ".lab").exists()


def test_no_release_gives_a_clear_error(tmp_path):
    with pytest.raises(lab.LabError, match="no released assignments to work on: .* is not "
                                           r"a folder \(instructors: `make release`"):
        lab.prepare_lab(tmp_path)
    (tmp_path / "assignments" / "a1").mkdir(parents=True)
    with pytest.raises(lab.LabError, match="holds no assignment folder with files"):
        lab.prepare_lab(tmp_path)
    assert not (tmp_path / ".lab").exists()


def test_a_file_where_the_copy_goes_gives_a_clear_error(root):
    (root / ".lab").write_text("in the way\n")
    with pytest.raises(lab.LabError, match=r"\.lab is not a folder: move it away"):
        lab.prepare_lab(root)
    assert (root / ".lab").read_text() == "in the way\n"


def test_the_command_line_prepares_only_when_asked(root, monkeypatch, capsys):
    """Does `cs231n-course lab --prepare-only` copy, print, and start nothing?"""
    def no_exec(*args):
        raise AssertionError(f"a server was started: {args}")

    monkeypatch.setattr(os, "execve", no_exec)
    assert course.main(["lab", "--prepare-only", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "copied a1 into .lab/a1/ (2 files)" in out
    assert _student_files(root).keys() == set(RELEASED)


def test_the_command_line_names_a_missing_release(tmp_path, capsys):
    assert course.main(["lab", "--prepare-only", "--root", str(tmp_path)]) == 1
    assert "no released assignments to work on" in capsys.readouterr().err


def test_jupyterlab_serves_the_copy_from_the_course_root(root, monkeypatch, capsys):
    """Does `cs231n-course lab` start jupyter lab on .lab/, in the course root
    (where Validate finds nbgrader_config.py), with the options given after --?"""
    class Started(Exception):
        pass

    def execve(path, argv, env):
        raise Started(path, argv, os.getcwd())

    monkeypatch.chdir(root.parent)  # restored after the test
    monkeypatch.setattr(os, "execve", execve)
    with pytest.raises(Started) as started:
        course.main(["lab", "--root", str(root), "--", "--no-browser", "--port=8899"])
    path, argv, cwd = started.value.args
    assert Path(cwd) == root.resolve()
    assert argv[0] == path and Path(path).name == "jupyter-lab"
    assert f"--ServerApp.root_dir={root.resolve() / '.lab'}" in argv
    assert argv[-2:] == ["--no-browser", "--port=8899"]
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert (root / ".lab" / "a1" / "svm.ipynb").exists(), "started before copying"
    assert "your work is in" in capsys.readouterr().out


def test_validate_reads_the_configuration_of_the_servers_folder(tmp_path, monkeypatch):
    """nbgrader's Validate button reads nbgrader_config.py from the server's
    working folder, not the notebook's: is the course's read there, and only there?"""
    from nbgrader.server_extensions.validate_assignment.handlers import (
        ValidateAssignmentHandler)
    handler = object.__new__(ValidateAssignmentHandler)  # load_config needs no request
    monkeypatch.chdir(ROOT)
    assert handler.load_config().CourseDirectory.course_id == "cs231n-foundations"
    monkeypatch.chdir(tmp_path)
    assert handler.load_config().CourseDirectory.course_id != "cs231n-foundations"


def _git(*args):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def test_git_ignores_the_private_copy():
    """Is .lab/ ignored (a student's answers are never committed by accident),
    while the release itself is not?"""
    assert _git("check-ignore", "-q", ".lab/").returncode == 0
    assert _git("check-ignore", "-q", ".lab/a1_linear/svm.ipynb").returncode == 0
    assert _git("check-ignore", "-q", "assignments/a1_linear/svm.ipynb").returncode == 1
    assert _git("ls-files", ".lab").stdout == ""


@pytest.mark.slow
def test_release_never_touches_the_private_copy(tmp_path):
    """Does `cs231n-course release` rewrite assignments/ only, leaving a
    student's .lab/ byte for byte, and does the next `make lab` name the change?"""
    root = tmp_path / "course"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    meta = dict(grade=False, locked=False, solution=True, schema_version=3, task=False,
                grade_id="double")
    nb.cells = [nbformat.v4.new_code_cell(
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
        metadata={"nbgrader": meta})]
    (root / "solutions" / "demo").mkdir(parents=True)
    nbformat.write(nb, str(root / "solutions" / "demo" / "demo.ipynb"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    course.release(root=root)
    lab.prepare_lab(root)
    (root / ".lab" / "demo" / "demo.ipynb").write_text("my answers\n")
    student = _tree(root / ".lab")

    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Doubling, second edition"))
    nbformat.write(nb, str(root / "solutions" / "demo" / "demo.ipynb"))
    course.release(root=root)
    assert "second edition" in (root / "assignments" / "demo" / "demo.ipynb").read_text()
    assert _tree(root / ".lab") == student
    assert lab.prepare_lab(root).changed == ["demo/demo.ipynb"]
    assert (root / ".lab" / "demo" / "demo.ipynb").read_text() == "my answers\n"
