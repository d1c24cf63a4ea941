"""Tests of cs231n.grading.samples: sample submissions and their expected grades.

Nothing here executes a notebook: the samples' grades are the grading
pipeline's business (its own slow tests run them); these tests check that the
generator writes what each sample says.
"""
import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from cs231n import course, registry
from cs231n.grading import samples
from cs231n.grading.collect import stage_submission
from cs231n.grading.samples import Sample
from cs231n.notebook import cell_source, code_cells, definition_index, nbgrader_meta, read_notebook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=sorted(registry.assignments()))
def aid(request):
    return request.param


@pytest.fixture(scope="module")
def corpus(aid):
    return samples.load_corpus(course.corpus_path(aid))


@pytest.fixture(scope="module")
def written(aid, corpus, tmp_path_factory):
    dest = tmp_path_factory.mktemp("samples")
    out = samples.write_samples(ROOT / "assignments" / aid, corpus, dest, assignment=aid)
    return {s.student: s for s in out}, dest, aid


@pytest.fixture(scope="module")
def released(aid):
    return {p.name: read_notebook(p) for p in sorted((ROOT / "assignments" / aid).glob("*.ipynb"))}


def _cells_by_id(nb):
    return {nbgrader_meta(c).get("grade_id"): c for c in nb["cells"]
            if nbgrader_meta(c).get("grade_id")}


def _submitted(dest, student, aid="a1_linear"):
    folder = dest / student / aid
    return {p.name: p for p in sorted(folder.iterdir())}


def _notebooks(dest, student, aid="a1_linear"):
    """The sample's notebooks that are JSON, as dicts (not links, not JSON
    nested past the parser's depth)."""
    out = {}
    for name, path in _submitted(dest, student, aid).items():
        if path.is_symlink():
            continue
        try:
            out[name] = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError):
            continue
    return out


def _well_formed(by_name):
    """The samples whose notebooks collection accepts (not links, not invalid)."""
    refused = {"invalid-notebook", "refused-file"}
    return {k: v for k, v in by_name.items() if not v.flags & refused}


def _answer_names(released):
    """Answer-cell grade_id -> the name the released cell defines."""
    names = {}
    for nb in released.values():
        for gid, cell in _cells_by_id(nb).items():
            meta = nbgrader_meta(cell)
            if meta.get("solution") and cell["cell_type"] == "code":
                names[gid] = re.search(r"^(?:def|class)\s+(\w+)", cell_source(cell), re.M)[1]
    return names


# ------------------------------------------------- the assignments' samples

def test_every_sample_has_a_folder_and_an_expectation(written):
    """Is every sample written, and listed in expected-<assignment>.json?"""
    by_name, dest, aid = written
    expected = json.loads((dest / f"expected-{aid}.json").read_text())
    assert set(expected) == set(by_name)
    folders = {p.name for p in dest.iterdir() if p.is_dir()}
    assert folders == set(by_name)


def test_samples_without_transform_submit_every_notebook(written, released):
    """Does a sample without a transform submit exactly the released notebooks?"""
    by_name, dest, aid = written
    for student, sample in by_name.items():
        if sample.transform is None:
            assert set(_submitted(dest, student, aid)) == set(released), student


def test_written_notebooks_are_valid_nbformat(written):
    """Is every JSON notebook written valid nbformat 4, without outputs (but
    those of samples that must be refused as invalid)?"""
    by_name, dest, aid = written
    for student, sample in by_name.items():
        if "invalid-notebook" in sample.flags:
            continue
        for name, nb in _notebooks(dest, student, aid).items():
            node = nbformat.from_dict(nb)
            nbformat.validate(node, version=4)
            ids = [c["id"] for c in nb["cells"]]
            assert len(ids) == len(set(ids)), f"{student}/{name}: duplicate cell ids"
            for c in nb["cells"]:
                if c["cell_type"] == "code":
                    assert c["outputs"] == [] and c["execution_count"] is None, \
                        f"{student}/{name}: a code cell has outputs"


def test_correct_sample_fills_every_answer_cell_with_base(written, corpus, released):
    """Does 'correct' hold BASE, renamed to the released names, in every answer cell?"""
    _, dest, aid = written
    names = _answer_names(released)
    nbs = _notebooks(dest, "correct", aid)
    for nb_name, nb in nbs.items():
        for gid, cell in _cells_by_id(nb).items():
            if gid in names:
                want = samples.cell_code(corpus.BASE[gid], names[gid])
                assert cell_source(cell) == want, gid


def test_fills_go_to_their_cell_and_the_rest_is_base(written, corpus, released):
    """Does each sample's fill land in its own cell, every other answer cell
    keep BASE, and every answer cell compile and define its released name?"""
    by_name, dest, aid = written
    names = _answer_names(released)
    for student, sample in _well_formed(by_name).items():
        for nb_name, nb in _notebooks(dest, student, aid).items():
            for gid, cell in _cells_by_id(nb).items():
                if gid not in names:
                    continue
                items = sample.fills.get(gid, corpus.BASE[gid])
                source = cell_source(cell)
                assert source == samples.cell_code(items, names[gid]), (student, gid)
                compile(source, f"{student}/{gid}", "exec")
                assert re.search(rf"^(def|class)\s+{names[gid]}\b", source, re.M), \
                    f"{student}: {gid} does not define {names[gid]}"


def test_only_answer_cells_change_without_transform(written, released):
    """Are the cells other than answers (tests, prose, given code) as released,
    with their ids, when a sample has no transform?"""
    by_name, dest, aid = written
    for student, sample in by_name.items():
        if sample.transform is not None:
            continue
        for nb_name, nb in _notebooks(dest, student, aid).items():
            ref = released[nb_name]
            assert [c["id"] for c in nb["cells"]] == [c["id"] for c in ref["cells"]]
            for got, want in zip(nb["cells"], ref["cells"]):
                if not nbgrader_meta(want).get("solution"):
                    assert got == want, f"{student}/{nb_name}: cell {want['id']} changed"


def test_written_answers_get_one_line(written, released):
    """Is every markdown answer cell filled with a one-line sample answer?"""
    by_name, dest, aid = written
    for student in _well_formed(by_name):
        for nb in _notebooks(dest, student, aid).values():
            for c in nb["cells"]:
                meta = nbgrader_meta(c)
                if meta.get("solution") and c["cell_type"] == "markdown":
                    lines = cell_source(c).strip().splitlines()
                    assert len(lines) == 1 and "YOUR ANSWER HERE" not in lines[0], student


def test_integrity_pass_finds_the_filled_definitions(written, corpus):
    """Does the integrity pass's lookup find each graded name in the cell that
    the sample filled for it?"""
    by_name, dest, aid = written
    for student, sample in _well_formed(by_name).items():
        nbs = _notebooks(dest, student, aid)
        for graded in registry.get(aid).graded:
            nb = nbs.get(graded.notebook)
            if nb is None or nb.get("cells") is None:
                continue
            cells = code_cells(nb)
            index = definition_index(cells, graded.name)
            assert index is not None, (student, graded.name)
            assert cells[index]["answer"], (student, graded.name)


def test_structure_flags_match_the_inspection(written, tmp_path):
    """Does the pipeline's collection (stage_submission) find exactly the
    structure flags that each sample expects (deleted, renamed, broken, linked,
    edited, reordered, duplicated, monkeypatched)?"""
    by_name, dest, aid = written
    for student, sample in by_name.items():
        found = stage_submission(dest / student / aid, ROOT / "assignments" / aid,
                                 tmp_path / student / aid)
        want = sample.flags & set(samples.STRUCTURE_FLAGS)
        assert set(found.flags) == want, f"{student}: {found.problems}"


def test_transforms_did_what_they_say(written, released):
    """Did each transform of the a1 samples change what its name says?"""
    _, dest, aid = written
    if aid != "a1_linear":
        pytest.skip("the transforms checked here are a1's")
    subs = {s: _submitted(dest, s) for s in ["invalid-notebook", "missing-notebook",
                                             "renamed-notebook"]}
    with pytest.raises(ValueError):
        json.loads(subs["invalid-notebook"]["svm.ipynb"].read_text())
    assert set(subs["missing-notebook"]) == {"svm.ipynb"}
    assert set(subs["renamed-notebook"]) == {"svm_final.ipynb", "softmax.ipynb"}

    def ids(student):
        return [nbgrader_meta(c).get("grade_id")
                for c in _notebooks(dest, student, aid)["svm.ipynb"]["cells"]]
    release_ids = [nbgrader_meta(c).get("grade_id") for c in released["svm.ipynb"]["cells"]]
    assert "test_svm_loss_vectorized" not in ids("test-cell-deleted")
    assert ids("test-cell-duplicated").count("test_svm_loss_naive") == 2
    got = ids("test-cells-reordered")
    assert got.index("test_l2_penalty") == got.index("test_l1_penalty") + 1
    assert sorted(filter(None, got)) == sorted(filter(None, release_ids))
    edited = _cells_by_id(_notebooks(dest, "test-cell-edited")["svm.ipynb"])
    assert cell_source(edited["test_svm_loss_naive"]) == "pass\n"


def test_expected_outcomes_are_complete_and_consistent(written, released):
    """Does every entry of expected-<assignment>.json say what is lost, what is
    flagged, the status and why, in the pipeline's vocabulary?"""
    by_name, dest, aid = written
    expected = json.loads((dest / f"expected-{aid}.json").read_text())
    tests = {nb: [g for g, c in _cells_by_id(n).items()
                  if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
                  and c["cell_type"] == "code"] for nb, n in released.items()}
    all_tests = {g for gs in tests.values() for g in gs}
    graded_cells = {g.test_cell for g in registry.get(aid).graded}
    notebook_only = all_tests - graded_cells
    # The cells no graded function is behind are the values the grader
    # measures again (their points need nbgrader's pass too).
    assert notebook_only == {r.test_cell for r in registry.get(aid).recomputed}
    for student, entry in expected.items():
        assert set(entry) == {"lose", "flags", "status", "note"}, student
        assert set(entry["lose"]) <= all_tests, student
        assert set(entry["flags"]) <= set(samples.FLAGS), student
        assert entry["status"] in samples.STATUSES, student
        assert entry["note"].strip().endswith("."), student
        if entry["status"] == "failed":
            # A notebook nbgrader could not run loses its nbgrader-only cell.
            assert notebook_only & set(entry["lose"]), student
        for flag in ("missing-notebook", "invalid-notebook"):
            if flag in entry["flags"]:
                lost = {nb for nb, gs in tests.items() if set(gs) <= set(entry["lose"])}
                assert lost, f"{student}: {flag} but no notebook loses all its tests"
    assert expected["correct"] == {"lose": [], "flags": [], "status": "graded",
                                   "note": by_name["correct"].note}


def test_corpus_samples_use_the_variants_they_claim(corpus):
    """Do 'correct' and 'different' use only right variants, and does each
    bug-* sample put a wrong variant last in the cell it fills?"""
    def flat(table):  # a backward's variants are (forward, backward) pairs
        return {g for fs in table.values() for f in fs
                for g in (f if isinstance(f, tuple) else (f,))}
    right, wrong = flat(corpus.CORRECT), flat(corpus.WRONG)
    for sample in corpus.SAMPLES:
        objects = [i for items in sample.fills.values() for i in items if not isinstance(i, str)]
        if sample.student in ("correct", "different"):
            assert set(objects) <= right, sample.student
            assert sample.lose == set() and sample.flags == set()
        if sample.student.startswith("bug-"):
            for items in sample.fills.values():
                assert items[-1] in wrong, sample.student
            assert sample.lose, sample.student


def test_samples_module_holds_no_answer():
    """Does cs231n/grading/samples.py (readable by students) define none of the
    graded functions?"""
    text = Path(samples.__file__).read_text()
    for graded in [g for a in registry.assignments().values() for g in a.graded]:
        assert not re.search(rf"^\s*(def|class)\s+{graded.name}\b", text, re.M), graded.name


# ------------------------------------------------- the mechanism itself

TINY_CORPUS = '''
import numpy as np
from cs231n.grading.samples import Sample, chain, delete_cell, delete_notebook, \\
    duplicate_cell, edit_cell, move_cell, rename_notebook, replace_notebook


def double(x):
    return 2 * x


def helper(x):
    return x + 1


def uses_helper(x):
    return helper(x) * 2


class Base:
    value = 1


class Derived(Base):
    value = 2


class Two:
    value = 2


BASE = {"f_cell": [double], "k_cell": [Two]}
SAMPLES = [
    Sample("ok", note="BASE."),
    Sample("helper", fills={"f_cell": [helper, uses_helper, "extra = 1\\n"],
                            "k_cell": [Base, Derived],
                            "q_cell": ["My own answer."]},
           lose={"test_f"}, note="Helpers and strings."),
    Sample("gone", transform=delete_notebook("b.ipynb"), lose={"test_k"},
           flags={"missing-notebook"}, note="b.ipynb deleted."),
    Sample("moved", transform=chain(rename_notebook("a.ipynb", "a_v2.ipynb"),
                                    replace_notebook("b.ipynb", b"{not json")),
           status="failed", note="Renamed and broken."),
    Sample("cells", transform=chain(duplicate_cell("a.ipynb", "test_f"),
                                    edit_cell("a.ipynb", "test_f", "pass\\n"),
                                    move_cell("a.ipynb", "f_cell", after="q_cell"),
                                    delete_cell("b.ipynb", "test_k")),
           note="Cell transforms."),
]
'''


def _tiny_release(folder):
    """Two notebooks: a.ipynb (answer f_cell, test, markdown answer), b.ipynb."""
    v4 = nbformat.v4

    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "locked": False,
                             "task": False, "grade": False, "solution": False, **kw}}

    a = v4.new_notebook(cells=[
        v4.new_code_cell("import numpy as np", id="a-0"),
        v4.new_code_cell("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
                         id="a-1", metadata=meta("f_cell", solution=True)),
        v4.new_code_cell("assert f(2) == 4", id="a-2",
                         metadata=meta("test_f", grade=True, locked=True, points=1)),
        v4.new_markdown_cell("YOUR ANSWER HERE", id="a-3",
                             metadata=meta("q_cell", grade=True, solution=True, points=1)),
    ])
    b = v4.new_notebook(cells=[
        v4.new_code_cell("class K:\n    pass", id="b-0", metadata=meta("k_cell", solution=True)),
        v4.new_code_cell("assert K.value == 2", id="b-1",
                         metadata=meta("test_k", grade=True, locked=True, points=1)),
    ])
    folder.mkdir()
    nbformat.write(a, folder / "a.ipynb")
    nbformat.write(b, folder / "b.ipynb")
    return folder


@pytest.fixture
def tiny(tmp_path):
    release = _tiny_release(tmp_path / "release")
    path = tmp_path / "tiny_corpus.py"
    path.write_text(TINY_CORPUS)
    return release, samples.load_corpus(path), tmp_path / "out"


def _run(cell, ns=None):
    ns = {} if ns is None else ns
    exec(cell_source(cell), ns)
    return ns


def test_load_corpus_imports_a_file_without_sys_path(tiny):
    """Does load_corpus import a module from its path, with findable classes?"""
    import sys
    _, corpus, _ = tiny
    before = list(sys.path)
    assert corpus.BASE["k_cell"][0].__name__ == "Two"
    assert sys.path == before
    assert "class Derived" in samples.item_source(corpus.Derived)


def test_base_fills_and_renames_the_last_definition(tiny):
    """Does BASE fill every answer cell, renamed to the released name?"""
    release, corpus, out = tiny
    samples.write_samples(release, corpus, out, assignment="t")
    a = read_notebook(out / "ok" / "t" / "a.ipynb")
    ns = _run(a["cells"][1])
    assert ns["f"](3) == 6 and "double" not in ns
    b = read_notebook(out / "ok" / "t" / "b.ipynb")
    assert _run(b["cells"][0])["K"].value == 2
    assert cell_source(a["cells"][0]) == "import numpy as np"
    assert [c["id"] for c in a["cells"]] == ["a-0", "a-1", "a-2", "a-3"]


def test_fills_concatenate_helpers_classes_and_strings(tiny):
    """Do helpers, base classes and source strings stay, with only the last
    object renamed, and does a string fill a markdown answer?"""
    release, corpus, out = tiny
    samples.write_samples(release, corpus, out, assignment="t")
    a = read_notebook(out / "helper" / "t" / "a.ipynb")
    ns = _run(a["cells"][1])
    assert ns["f"](1) == 4 and ns["helper"](1) == 2 and ns["extra"] == 1
    assert "uses_helper" not in ns
    assert cell_source(a["cells"][3]) == "My own answer.\n"
    b = read_notebook(out / "helper" / "t" / "b.ipynb")
    ns = _run(b["cells"][0])
    assert ns["K"].value == 2 and ns["Base"].value == 1 and issubclass(ns["K"], ns["Base"])


def test_transform_none_deletes_bytes_are_raw_new_names_rename(tiny):
    """Is a notebook mapped to None left out, bytes written as they are, and a
    new key written under its new name?"""
    release, corpus, out = tiny
    samples.write_samples(release, corpus, out, assignment="t")
    assert sorted(p.name for p in (out / "gone" / "t").iterdir()) == ["a.ipynb"]
    moved = out / "moved" / "t"
    assert sorted(p.name for p in moved.iterdir()) == ["a_v2.ipynb", "b.ipynb"]
    assert (moved / "b.ipynb").read_bytes() == b"{not json"
    nbformat.validate(nbformat.read(moved / "a_v2.ipynb", as_version=4))


def test_cell_transforms(tiny):
    """Do duplicate, edit, move and delete change just the cell they name?"""
    release, corpus, out = tiny
    samples.write_samples(release, corpus, out, assignment="t")
    a = read_notebook(out / "cells" / "t" / "a.ipynb")
    gids = [nbgrader_meta(c).get("grade_id") for c in a["cells"]]
    # duplicated after itself, then f_cell moved below the markdown answer
    assert gids == [None, "test_f", "test_f", "q_cell", "f_cell"]
    assert a["cells"][1]["id"] == "a-2" and a["cells"][2]["id"] == "a-2-copy"
    assert cell_source(a["cells"][1]) == "pass\n"
    assert cell_source(a["cells"][2]) == "assert f(2) == 4"
    nbformat.validate(nbformat.from_dict(a))
    b = read_notebook(out / "cells" / "t" / "b.ipynb")
    assert [nbgrader_meta(c).get("grade_id") for c in b["cells"]] == ["k_cell"]


def test_expected_json_of_the_tiny_corpus(tiny):
    """Does expected-<assignment>.json hold each sample's outcome, sorted?"""
    release, corpus, out = tiny
    samples.write_samples(release, corpus, out, assignment="t")
    expected = json.loads((out / "expected-t.json").read_text())
    assert expected["gone"] == {"lose": ["test_k"], "flags": ["missing-notebook"],
                                "status": "graded", "note": "b.ipynb deleted."}
    assert expected["moved"]["status"] == "failed"
    assert list(expected) == sorted(expected)


def test_rewriting_replaces_a_sample_folder(tiny):
    """Does a second run replace a sample's folder (no stale notebook left)?"""
    release, corpus, out = tiny
    stale = out / "moved" / "t" / "a.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    samples.write_samples(release, corpus, out, assignment="t")
    assert not stale.exists()


@pytest.mark.parametrize("change, match", [
    ("BASE = {'f_cell': [double]}", "no default for the answer cells"),
    ("BASE['nope'] = [double]", "not code answer cells"),
    ("SAMPLES.append(Sample('ok', note='again.'))", "two samples"),
    ("SAMPLES.append(Sample('x', fills={'test_f': [double]}, note='n.'))",
     "not answer cells"),
    ("SAMPLES.append(Sample('x', lose={'f_cell'}, note='n.'))", "not autograded test cells"),
])
def test_corpus_mistakes_raise(tmp_path, change, match):
    """Does a corpus that names unknown cells, lacks a default or repeats a
    student raise with a message naming the problem?"""
    release = _tiny_release(tmp_path / "release")
    path = tmp_path / "bad_corpus.py"
    path.write_text(TINY_CORPUS + "\n" + change + "\n")
    with pytest.raises(ValueError, match=match):
        samples.write_samples(release, samples.load_corpus(path), tmp_path / "out",
                              assignment="t")


@pytest.mark.parametrize("kwargs, error", [
    (dict(student="Bad Name", note="n."), ValueError),
    (dict(student="x", flags={"hacked"}, note="n."), ValueError),
    (dict(student="x", status="crashed", note="n."), ValueError),
    (dict(student="x", note=""), ValueError),
    (dict(student="x", lose="test_f", note="n."), TypeError),
    (dict(student="x", fills={"f_cell": "def f(): pass"}, note="n."), TypeError),
])
def test_sample_rejects_bad_fields(kwargs, error):
    """Does Sample refuse unknown flags and statuses, bad names, a missing
    note, and a string where a set or list belongs?"""
    with pytest.raises(error):
        Sample(**kwargs)


def test_rename_definition_and_cell_code():
    """Does the rename touch only the first definition of the old name, and
    does a cell of strings only keep them as written?"""
    src = textwrap.dedent("""\
        @staticmethod
        def old(x):
            return old_value(x)
        """)
    assert samples.rename_definition(src, "old", "new").splitlines()[1] == "def new(x):"
    assert "old_value" in samples.rename_definition(src, "old", "new")
    with pytest.raises(ValueError):
        samples.rename_definition(src, "missing", "new")
    assert samples.cell_code(["x = 1\n", "    y = 2\n"], "f") == "x = 1\n\n\ny = 2\n"
