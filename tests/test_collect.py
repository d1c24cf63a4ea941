"""Staging a submission (cs231n.grading.collect): what nbgrader may read of a
student's folder, and what is refused with a reason."""
import json
import os
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cs231n.grading import collect, samples, structure
from cs231n.notebook import read_notebook

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "assignments" / "a1_linear"
NOTEBOOKS = ("softmax.ipynb", "svm.ipynb")


@pytest.fixture
def sub(tmp_path):
    """A submission of the untouched release: submitted/sam/a1_linear."""
    folder = tmp_path / "submitted" / "sam" / "a1_linear"
    folder.mkdir(parents=True)
    for name in NOTEBOOKS:
        (folder / name).write_bytes((RELEASE / name).read_bytes())
    return folder


def stage(folder, **limits):
    dest = folder.parents[2] / ".grading" / "submitted" / "sam" / "a1_linear"
    return collect.stage_submission(folder, RELEASE, dest, **limits), dest


def stage_in_a_thread(folder, **limits):
    """stage(), in a thread like the grader's, never waiting more than a minute
    (opening a fifo for reading would block for good)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(stage, folder, **limits).result(timeout=60)


def test_an_untouched_submission_is_staged_whole(sub):
    """Are the notebooks, the timestamp and a plain extra file copied byte for
    byte, with nothing to report?"""
    (sub / "timestamp.txt").write_text("2024-03-01 12:00:00.000000 UTC\n")
    (sub / "notes.txt").write_text("my notes")
    found, dest = stage(sub)
    assert found.problems == [] and found.notes == []
    assert sorted(found.staged) == sorted([*NOTEBOOKS, "timestamp.txt", "notes.txt"])
    assert sorted(p.name for p in dest.iterdir()) == sorted(found.staged)
    for name in found.staged:
        assert (dest / name).read_bytes() == (sub / name).read_bytes(), name
    assert found.submitted == set(NOTEBOOKS)
    assert all(found.notebooks[n]["cells"] for n in NOTEBOOKS)


def test_a_notebook_that_links_to_the_solution_is_refused(sub):
    """Is svm.ipynb as a symbolic link to the solution refused (graded 0, its
    target named), never copied, while softmax.ipynb is staged?"""
    (sub / "svm.ipynb").unlink()
    solution = ROOT / "solutions" / "a1_linear" / "svm.ipynb"
    (sub / "svm.ipynb").symlink_to(solution)
    found, dest = stage(sub)
    assert found.flags == ["refused-file"], found.problems
    (reason,) = [r for _, r in found.problems]
    assert "svm.ipynb is a symbolic link" in reason and str(solution) in reason
    assert "graded 0" in reason
    assert not (dest / "svm.ipynb").exists() and (dest / "softmax.ipynb").exists()
    assert found.notebooks["svm.ipynb"] is None and "svm.ipynb" in found.submitted


@pytest.mark.parametrize("link", ["submission", "student"])
def test_a_linked_folder_is_refused_whole(tmp_path, sub, link):
    """Is a submission folder, or a student folder, that is a symbolic link
    refused without reading anything in it?"""
    elsewhere = tmp_path / "elsewhere"
    if link == "submission":
        sub.rename(elsewhere)
        sub.symlink_to(elsewhere)
    else:
        sub.parent.rename(elsewhere)
        sub.parent.symlink_to(elsewhere)
    assert (sub / "svm.ipynb").exists()          # readable through the link
    found, dest = stage(sub)
    assert found.flags == ["refused-file"], found.problems
    assert "symbolic link" in found.problems[0][1]
    assert list(dest.iterdir()) == []
    assert found.notebooks == dict.fromkeys(NOTEBOOKS)
    assert found.submitted == set(NOTEBOOKS)


def test_special_files_are_refused_without_being_opened(sub):
    """Are a fifo named like a notebook, an extra fifo and a socket refused with
    their kind, without the grader blocking on them?"""
    (sub / "svm.ipynb").unlink()
    os.mkfifo(sub / "svm.ipynb")
    os.mkfifo(sub / "pipe")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(sub / "sock"))
        found, dest = stage_in_a_thread(sub)
    finally:
        server.close()
    reasons = [r for _, r in found.problems]
    assert found.flags == ["refused-file"], reasons
    assert any("svm.ipynb is a fifo" in r and "graded 0" in r for r in reasons), reasons
    assert any("pipe is a fifo" in r for r in reasons), reasons
    assert any("sock is a socket" in r for r in reasons), reasons
    assert sorted(p.name for p in dest.iterdir()) == ["softmax.ipynb"]


def test_a_folder_named_like_a_notebook_is_refused(sub):
    """Is a folder named svm.ipynb refused as a notebook (not taken for a
    subfolder that is merely left out)?"""
    (sub / "svm.ipynb").unlink()
    (sub / "svm.ipynb").mkdir()
    found, dest = stage(sub)
    assert found.flags == ["refused-file"], found.problems
    assert "svm.ipynb is a folder" in found.problems[0][1] and found.notes == []


def test_a_hard_link_is_refused(tmp_path, sub):
    """Is a notebook with another hard link (which can reach any file of the
    same disk) refused?"""
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes((sub / "svm.ipynb").read_bytes())
    (sub / "svm.ipynb").unlink()
    os.link(secret, sub / "svm.ipynb")
    found, dest = stage(sub)
    assert found.flags == ["refused-file"]
    assert "hard link" in found.problems[0][1]
    assert not (dest / "svm.ipynb").exists()


def test_a_thousand_files_are_capped(sub):
    """Of 1000 extra empty files, are only as many copied as the limit allows
    (the notebooks first), and the rest counted in the reason?"""
    for i in range(1000):
        (sub / f"extra{i:04d}.txt").touch()
    found, dest = stage(sub)
    assert found.flags == ["too-many-files"], found.problems
    assert len(found.staged) == collect.MAX_FILES
    assert set(NOTEBOOKS) <= set(found.staged)
    dropped = 1000 - (collect.MAX_FILES - len(NOTEBOOKS))
    assert f"{dropped} files beyond the limit of {collect.MAX_FILES} files" \
        in found.problems[0][1]
    assert len(list(dest.iterdir())) == collect.MAX_FILES


def test_big_files_are_capped(sub):
    """Is an extra file past the byte limit left out with a reason, and a
    notebook past it refused (graded 0)?"""
    notebooks = sum((sub / n).stat().st_size for n in NOTEBOOKS)
    (sub / "big.bin").write_bytes(b"\0" * 5000)
    (sub / "small.txt").write_text("ok")
    found, dest = stage(sub, max_bytes=notebooks + 1000)
    assert found.flags == ["too-many-files"], found.problems
    assert "big.bin" in found.problems[0][1]
    assert sorted(found.staged) == sorted([*NOTEBOOKS, "small.txt"])

    found, dest = stage(sub, max_bytes=(sub / "softmax.ipynb").stat().st_size)
    assert found.notebooks["svm.ipynb"] is None and found.notebooks["softmax.ipynb"]
    assert any(f == "too-many-files" and r.startswith("svm.ipynb") and "graded 0" in r
               for f, r in found.problems), found.problems
    assert not (dest / "svm.ipynb").exists()


def _released(name="svm.ipynb"):
    return read_notebook(RELEASE / name)


def _metadata_list():
    nb = _released()
    nb["cells"][3]["metadata"] = ["not", "a", "dict"]
    return json.dumps(nb).encode()


def _nbgrader_string():
    nb = _released()
    nb["cells"][3]["metadata"]["nbgrader"] = "grade"
    return json.dumps(nb).encode()


def _deep_metadata():
    nb = _released()
    nb["cells"][0]["metadata"]["x"] = json.loads("[" * 500 + "]" * 500)
    return json.dumps(nb).encode()


def _nbformat(version):
    nb = _released()
    nb["nbformat"] = version
    return json.dumps(nb).encode()


def _bad_cell_type():
    nb = _released()
    nb["cells"][0]["cell_type"] = "bogus"
    return json.dumps(nb).encode()


BROKEN = {
    "truncated JSON": (b'{"cells": [', "not valid JSON"),
    "100000 levels of lists": (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
    "500 levels in a cell's metadata": (_deep_metadata(), "nested more than"),
    "not UTF-8": (b'{"cells": [], "x": "\xff"}', "not UTF-8"),
    "a cell's metadata is a list": (_metadata_list(), "cell 3 has no metadata dict"),
    "metadata.nbgrader is a string": (_nbgrader_string(), "metadata.nbgrader is not a dict"),
    "nbformat 3": (_nbformat(3), "not an nbformat 4 notebook"),
    "a cell of an unknown type": (_bad_cell_type(), "not a valid nbformat 4 notebook"),
    "a list, not a notebook": (b"[1, 2]", "no list of cells"),
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_broken_notebook_is_refused_with_its_reason(sub, what):
    """Is each kind of broken notebook refused (not copied, graded 0) with a
    reason that names it, and never an exception in the grader's thread?"""
    data, reason = BROKEN[what]
    (sub / "svm.ipynb").write_bytes(data)
    found, dest = stage_in_a_thread(sub)
    assert found.flags == ["invalid-notebook"], found.problems
    assert reason in found.problems[0][1] and "graded 0" in found.problems[0][1]
    assert found.notebooks["svm.ipynb"] is None and "svm.ipynb" in found.submitted
    assert sorted(found.staged) == ["softmax.ipynb"]
    assert not (dest / "svm.ipynb").exists()


def test_a_duplicate_cell_id_is_no_reason_to_refuse(sub):
    """Is a notebook whose cell ids repeat (nbgrader repairs those itself)
    staged unchanged?"""
    nb = _released()
    nb["cells"].append(dict(nb["cells"][1]))
    data = json.dumps(nb).encode()
    (sub / "svm.ipynb").write_bytes(data)
    found, dest = stage(sub)
    assert found.problems == []
    assert (dest / "svm.ipynb").read_bytes() == data


@pytest.mark.parametrize("text, kept", [("2024-03-01 12:00:00 UTC", True),
                                        ("", True), ("next tuesday", False),
                                        ("9" * 5000, False)])
def test_timestamp_is_kept_when_nbgrader_can_read_it(sub, text, kept):
    """Is timestamp.txt kept when nbgrader can parse it, and left out (with a
    reason) when it would stop nbgrader's autograde of the student?"""
    (sub / "timestamp.txt").write_text(text)
    found, dest = stage(sub)
    assert (dest / "timestamp.txt").exists() == kept
    assert found.flags == ([] if kept else ["refused-file"]), found.problems


def test_subfolders_are_not_copied(sub):
    """Is a subfolder left out with a note and no flag, and are nbgrader's
    ignored names skipped without a word?"""
    (sub / "data").mkdir()
    (sub / "data" / "weights.npy").write_bytes(b"x")
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / "svm-checkpoint.ipynb").write_text("{}")
    found, dest = stage(sub)
    assert found.problems == []
    assert len(found.notes) == 1 and "data/" in found.notes[0]
    assert ".ipynb_checkpoints" not in found.notes[0]
    assert sorted(p.name for p in dest.iterdir()) == sorted(NOTEBOOKS)


def test_the_staged_folder_starts_empty(sub):
    """Is whatever an earlier run left in the staged folder removed?"""
    _, dest = stage(sub)
    (dest / "old.txt").write_text("stale")
    (sub / "softmax.ipynb").unlink()
    found, dest = stage(sub)
    assert sorted(p.name for p in dest.iterdir()) == ["svm.ipynb"]
    assert found.flags == ["missing-notebook"]


def test_nothing_submitted_is_missing(tmp_path):
    """Is a submission folder that does not exist two missing notebooks?"""
    found, dest = stage(tmp_path / "submitted" / "sam" / "a1_linear")
    assert found.flags == ["missing-notebook"]
    assert found.notebooks == dict.fromkeys(NOTEBOOKS) and found.submitted == set()


def test_structure_checks_run_on_the_staged_notebooks(sub):
    """Are an edited test cell, a renamed notebook and a patch through an
    alias made in an earlier cell found on the staged copy?"""
    nb = _released()
    tests = [i for i, c in enumerate(nb["cells"])
             if c["metadata"].get("nbgrader", {}).get("grade")
             and not c["metadata"]["nbgrader"].get("solution")]
    nb["cells"][tests[0]]["source"] = "pass"
    answers = [i for i, c in enumerate(nb["cells"])
               if c["metadata"].get("nbgrader", {}).get("solution")
               and c["cell_type"] == "code"]
    nb["cells"][answers[0]]["source"] += "\nimport numpy.testing as npt\n"
    nb["cells"][answers[-1]]["source"] += "\nnpt.assert_allclose = lambda *a, **k: None\n"
    (sub / "svm.ipynb").write_text(json.dumps(nb))
    (sub / "softmax.ipynb").rename(sub / "softmax_final.ipynb")
    found, _ = stage(sub)
    assert found.flags == ["missing-notebook", "monkeypatch", "test-cell-edited"]
    assert any("softmax_final.ipynb" in r for _, r in found.problems)
    assert any("npt.assert_allclose (numpy.testing.assert_allclose)" in r
               for _, r in found.problems), found.problems


def test_new_flags_are_report_words():
    """Are the flags staging gives known to the samples' list of flags?"""
    assert {"refused-file", "too-many-files"} <= set(samples.STRUCTURE_FLAGS)


def test_parse_notebook_of_the_release():
    """Does every released notebook parse, so no honest submission is refused?"""
    for path in sorted((ROOT / "assignments").glob("*/*.ipynb")):
        assert structure.parse_notebook(path.read_bytes())["cells"], path


def test_staging_threads_do_not_share_state(tmp_path):
    """Can the grader's threads stage students at the same time?"""
    folders = []
    for i in range(4):
        folder = tmp_path / "submitted" / f"s{i}" / "a1_linear"
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            (folder / name).write_bytes((RELEASE / name).read_bytes())
        folders.append(folder)
    results = {}

    def run(folder):
        dest = tmp_path / ".grading" / "submitted" / folder.parent.name / "a1_linear"
        results[folder.parent.name] = collect.stage_submission(folder, RELEASE, dest)

    threads = [threading.Thread(target=run, args=(f,)) for f in folders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.problems == [] and sorted(r.staged) == sorted(NOTEBOOKS)
               for r in results.values())


@pytest.mark.slow
# nbgrader's own add_submission makes SQLAlchemy warn; a RuntimeWarning is an
# error in this suite.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_nbgrader_grades_the_staged_copy(course_copy, monkeypatch):
    """Does the autograder process's nbgrader read the staged folder, so that a
    svm.ipynb linked to the solution in submitted/ scores 0, not full marks?
    (python3 kernel, no sandbox: only the wiring is tested here.)"""
    from cs231n.grading import autograder, pipeline
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    course = pipeline.Course(course_copy)
    folder = course.submitted("sam", "a1_linear")
    folder.mkdir(parents=True)
    (folder / "svm.ipynb").symlink_to(course.root / "solutions" / "a1_linear" / "svm.ipynb")
    (folder / "softmax.ipynb").write_bytes((RELEASE / "softmax.ipynb").read_bytes())
    pipeline.prepare_gradebook(course, "a1_linear", ["sam"])
    found = collect.stage_submission(folder, course.root / "assignments" / "a1_linear",
                                     course.staged("sam", "a1_linear"))
    assert found.flags == ["refused-file"]
    told = []
    answer = autograder.grade(course.root, {
        "assignment": "a1_linear", "student": "sam", "notebook": None, "env": {},
        "timeout": 60, "kernel": "python3",
        "submitted_directory": course.staging_directory},
        on_notebook=lambda *a: told.append(a[:2]))
    assert answer["success"], answer
    assert told == [("running", "softmax.ipynb"), ("finished", "softmax.ipynb")]
    assert sorted(p.name for p in course.autograded("sam", "a1_linear").glob("*.ipynb")) \
        == ["softmax.ipynb"]
    scores = pipeline._nbgrader_scores(course, "a1_linear", "sam")
    svm = [v for (nb, _), v in scores.items() if nb == "svm.ipynb"]
    assert svm and all(v == 0 for v in svm), scores
