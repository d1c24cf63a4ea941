"""Sample submissions of an assignment, and the grade each one must get.

The grading pipeline is proven on these.  ``write_samples`` copies the
released notebooks once per sample, fills their answer cells with code taken
from a *corpus* module, applies the sample's transform (a notebook deleted,
renamed or broken, a test cell edited, ...) and writes::

    dest/<student>/<assignment>/<notebook>.ipynb
    dest/expected-<assignment>.json

The corpus holds the answers (``tests/variants/<assignment>.py``: students may
read ``cs231n/``, so this module holds none).  A corpus defines

``BASE``
    answer-cell grade_id -> list of items: the correct default of every code
    answer cell.
``SAMPLES``
    list of :class:`Sample`.

An item is a function or class of the corpus (its source is used) or a string
of source code.  A cell's new source is the sources of its items, in order,
and the last function or class among them is renamed to the name that the
released cell defines (``def NAME(`` or ``class NAME``): the corpus calls its
variants ``svm_no_reg_in_grad``, the notebook wants ``svm_loss_vectorized``.
Helpers the last item calls must be items of the same cell.

Flags are the words of the grading report: structure flags (``structure``
and ``collect``), ``tampered`` (nbgrader and the integrity pass disagree on a
graded function) and the sandbox's flags (``supervise.RunResult.flags``).
"""
import copy
import functools
import importlib.util
import inspect
import json
import os
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..notebook import cell_source, nbgrader_meta, read_notebook

__all__ = ["Sample", "Link", "write_samples", "load_corpus", "load_corpus_parts",
           "autograded_cells", "FLAGS", "STATUSES", "delete_notebook", "rename_notebook",
           "replace_notebook", "delete_cell", "edit_cell", "move_cell", "duplicate_cell",
           "chain"]

STRUCTURE_FLAGS = ("missing-notebook", "invalid-notebook", "refused-file", "too-many-files",
                   "test-cell-deleted", "test-cell-edited", "test-cells-reordered",
                   "test-cell-duplicated", "monkeypatch")
# tampered: nbgrader and the integrity pass disagree on a graded function, or
# the grader's measurement does not confirm a value the notebook set;
# check-bypassed: a test cell scored without its checks' success lines;
# kernel-hooks: a cell that ran touches the kernel's hooks (cs231n.grading.bypass).
PIPELINE_FLAGS = ("tampered", "check-bypassed", "kernel-hooks")
SANDBOX_FLAGS = ("timed-out", "crashed", "memory-limit", "cpu-limit", "output-truncated",
                 "sandbox-violation")
FLAGS = STRUCTURE_FLAGS + PIPELINE_FLAGS + SANDBOX_FLAGS
STATUSES = ("graded", "failed")

_STUDENT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DEFINES = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.M)


@dataclass
class Sample:
    """One sample submission and the outcome its grading must have.

    Parameters
    ----------
    student : str
        Folder name of the submission, e.g. ``"bug-svm-no-reg-in-loss"``.
    fills : dict of str -> list
        Answer-cell grade_id -> items (corpus functions or classes, source
        strings); the other answer cells get the corpus's ``BASE``.
    transform : callable, optional
        ``transform(notebooks) -> notebooks`` on ``{filename: notebook dict}``
        after filling.  The mapping it returns is the submission: a dict is
        written as a notebook, bytes are written as they are (broken JSON),
        None or a missing key leaves that notebook out, and a new key is a
        notebook under a new name.
    lose : set of str
        grade_ids of the autograded test cells that must score 0; every other
        autograded test cell must get full points.
    flags : set of str
        Report flags that must be present (see ``FLAGS``).
    status : {"graded", "failed"}
        "failed" when nbgrader's autograde cannot run the submission at all.
    note : str
        One sentence: what the sample shows, and why it loses what it loses.
    in_tests : bool
        Graded by ``make test`` too (a representative set); False for a
        sample that repeats a kind the tests already grade, or that costs
        minutes by design (a stall against the time budget): ``make demo``
        grades every sample.
    """
    student: str
    fills: dict = field(default_factory=dict)
    transform: Optional[Callable] = None
    lose: set = field(default_factory=set)
    flags: set = field(default_factory=set)
    status: str = "graded"
    note: str = ""
    in_tests: bool = True

    def __post_init__(self):
        if not isinstance(self.student, str) or not _STUDENT.match(self.student):
            raise ValueError(f"Sample.student must be a folder name of lower-case letters, "
                             f"digits, '.', '_' and '-', got {self.student!r}")
        for key, items in self.fills.items():
            if not isinstance(items, (list, tuple)):
                raise TypeError(f"{self.student}: fills[{key!r}] must be a list of items, "
                                f"got {type(items).__name__}")
        if self.transform is not None and not callable(self.transform):
            raise TypeError(f"{self.student}: transform must be callable")
        for name in ("lose", "flags"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{self.student}: {name} must be a set of strings, not a string")
            setattr(self, name, set(value))
        unknown = self.flags - set(FLAGS)
        if unknown:
            raise ValueError(f"{self.student}: unknown flags {sorted(unknown)}; "
                             f"known: {', '.join(FLAGS)}")
        if self.status not in STATUSES:
            raise ValueError(f"{self.student}: status must be one of {STATUSES}, "
                             f"got {self.status!r}")
        if not self.note.strip():
            raise ValueError(f"{self.student}: a sample needs a note saying what it shows")

    def expected(self):
        """The entry of this sample in ``expected-<assignment>.json``."""
        return {"lose": sorted(self.lose), "flags": sorted(self.flags),
                "status": self.status, "note": self.note}


# ----------------------------------------------------------------- corpus

def load_corpus(path):
    """Import a corpus module from a file path (no ``sys.path`` change).

    The module is registered in ``sys.modules`` under a name of its own, so
    ``inspect.getsource`` finds its classes.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"corpus module not found: {path}")
    name = "cs231n_sample_corpus_" + re.sub(r"\W", "_", str(path.with_suffix("")))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_corpus_parts(joining, prefix, names):
    """The parts of a corpus split by notebook, each loaded with ``load_corpus``.

    ``joining`` is the path of the corpus module that joins them (its
    ``__file__``); the parts are the files ``<prefix><name>.py`` beside it,
    e.g. ``_a4_dropout.py`` for ``prefix="_a4_"`` and ``name="dropout"``.
    """
    folder = Path(joining).resolve().parent
    return tuple(load_corpus(folder / f"{prefix}{name}.py") for name in names)


@functools.lru_cache(maxsize=None)
def item_source(item):
    """Source code of one item: a function or class, or a string of code."""
    if isinstance(item, str):
        text = textwrap.dedent(item)
    elif inspect.isfunction(item) or inspect.isclass(item):
        text = textwrap.dedent(inspect.getsource(item))
    else:
        raise TypeError(f"an item is a function, a class or a source string, "
                        f"got {type(item).__name__}")
    return text.strip("\n") + "\n"


def rename_definition(source, old, new):
    """``source`` with its first ``def old(`` / ``class old`` renamed to ``new``."""
    pattern = re.compile(rf"^(\s*(?:async\s+def|def|class)\s+){re.escape(old)}\b", re.M)
    renamed, count = pattern.subn(lambda m: m.group(1) + new, source, count=1)
    if count != 1:
        raise ValueError(f"no definition of {old!r} in the source")
    return renamed


def cell_code(items, name=None):
    """The source of an answer cell made of ``items``.

    Parameters
    ----------
    items : list
        Functions, classes and source strings, in order.
    name : str, optional
        The name the cell must define: the last function or class is renamed
        to it.
    """
    parts = [item_source(i) for i in items]
    objects = [k for k, i in enumerate(items) if not isinstance(i, str)]
    if name is not None and objects:
        k = objects[-1]
        parts[k] = rename_definition(parts[k], items[k].__name__, name)
    return "\n\n".join(parts)


# ------------------------------------------------------------- notebooks

@dataclass(frozen=True)
class _Cell:
    notebook: str
    index: int
    kind: str        # "answer" (code), "written" (markdown answer) or "test"
    name: str = None  # what an answer cell defines


def _release_cells(released):
    """grade_id -> _Cell for the answer and autograded test cells of a release."""
    cells = {}
    for nb_name, nb in released.items():
        for index, cell in enumerate(nb["cells"]):
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            if meta.get("solution"):
                if cell.get("cell_type") == "code":
                    found = _DEFINES.search(cell_source(cell))
                    entry = _Cell(nb_name, index, "answer", found.group(1) if found else None)
                else:
                    entry = _Cell(nb_name, index, "written")
            elif meta.get("grade") and cell.get("cell_type") == "code":
                entry = _Cell(nb_name, index, "test")
            else:
                continue
            if gid in cells:
                raise ValueError(f"grade_id {gid!r} appears in {cells[gid].notebook} and in "
                                 f"{nb_name}: sample expectations name cells by grade_id")
            cells[gid] = entry
    return cells


def autograded_cells(release_dir):
    """grade_ids of the autograded test cells of a release, per notebook."""
    released = _read_release(release_dir)
    out = {name: [] for name in released}
    for gid, c in _release_cells(released).items():
        if c.kind == "test":
            out[c.notebook].append(gid)
    return out


def _read_release(release_dir):
    release_dir = Path(release_dir)
    released = {p.name: read_notebook(p) for p in sorted(release_dir.glob("*.ipynb"))}
    if not released:
        raise FileNotFoundError(f"no released notebooks in {release_dir}")
    return released


def _set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def _fill(released, cells, base, sample):
    nbs = copy.deepcopy(released)
    for gid, c in cells.items():
        cell = nbs[c.notebook]["cells"][c.index]
        if c.kind == "answer":
            _set_source(cell, cell_code(sample.fills.get(gid, base.get(gid)), c.name))
        elif c.kind == "written":
            items = sample.fills.get(gid)
            text = ("\n\n".join(item_source(i) for i in items) if items else
                    f"A sample answer ({sample.student}) to {gid}, written by the "
                    f"sample generator.\n")
            _set_source(cell, text)
    return nbs


def _check_corpus(samples, base, cells):
    answers = {g for g, c in cells.items() if c.kind == "answer"}
    written = {g for g, c in cells.items() if c.kind == "written"}
    tests = {g for g, c in cells.items() if c.kind == "test"}
    missing = sorted(answers - set(base))
    if missing:
        raise ValueError(f"the corpus's BASE has no default for the answer cells {missing}")
    unknown = sorted(set(base) - answers)
    if unknown:
        raise ValueError(f"BASE names {unknown}, which are not code answer cells")
    seen = set()
    for s in samples:
        if not isinstance(s, Sample):
            raise TypeError(f"SAMPLES holds a {type(s).__name__}, not a Sample")
        if s.student in seen:
            raise ValueError(f"two samples are called {s.student!r}")
        seen.add(s.student)
        bad = sorted(set(s.fills) - answers - written)
        if bad:
            raise ValueError(f"{s.student}: fills names {bad}, which are not answer cells")
        for gid in set(s.fills) & written:
            if not all(isinstance(i, str) for i in s.fills[gid]):
                raise TypeError(f"{s.student}: a written answer ({gid}) takes strings only")
        bad = sorted(s.lose - tests)
        if bad:
            raise ValueError(f"{s.student}: lose names {bad}, which are not autograded "
                             f"test cells (known: {sorted(tests)})")


def _dump(nb):
    # nbformat's own layout, so the files look like saved notebooks.
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Link:
    """A transform's value for a file that is submitted as a symbolic link to
    ``target`` (a path, relative to the submission folder or absolute)."""
    target: str


def write_samples(release_dir, corpus, dest, *, assignment, every=True):
    """Write the sample submissions of a corpus and the expected outcomes.

    Parameters
    ----------
    release_dir : path
        The released notebooks (``assignments/<assignment>``).
    corpus : module
        With ``BASE`` and ``SAMPLES`` (see the module docstring).
    dest : path
        Receives ``<student>/<assignment>/*.ipynb`` (each sample folder is
        replaced) and ``expected-<assignment>.json``.
    assignment : str
    every : bool
        All samples (``make demo``), or only those with ``in_tests``.

    Returns
    -------
    list of Sample
    """
    released = _read_release(release_dir)
    cells = _release_cells(released)
    base, samples = dict(corpus.BASE), list(corpus.SAMPLES)
    _check_corpus(samples, base, cells)
    samples = [s for s in samples if every or s.in_tests]
    dest = Path(dest)
    expected = {}
    for sample in samples:
        nbs = _fill(released, cells, base, sample)
        if sample.transform is not None:
            nbs = sample.transform(nbs)
            if not isinstance(nbs, dict):
                raise TypeError(f"{sample.student}: transform returned "
                                f"{type(nbs).__name__}, not a dict")
        folder = dest / sample.student / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name, nb in nbs.items():
            if Path(name).name != name or not name:
                raise ValueError(f"{sample.student}: {name!r} is not a file name")
            if nb is None:
                continue
            if isinstance(nb, Link):
                os.symlink(nb.target, folder / name)
            elif isinstance(nb, (bytes, bytearray)):
                (folder / name).write_bytes(bytes(nb))
            elif isinstance(nb, dict):
                (folder / name).write_text(_dump(nb), encoding="utf-8")
            else:
                raise TypeError(f"{sample.student}: {name} is a {type(nb).__name__}; "
                                "a notebook is a dict, bytes, a Link or None")
        expected[sample.student] = sample.expected()
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"expected-{assignment}.json").write_text(
        json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return samples


# ------------------------------------------------------------- transforms
#
# Builders of Sample.transform callables.  Each returns a function that takes
# {filename: notebook} and returns a new mapping; the input is not modified.

def _find(nb, notebook, grade_id):
    """Index of the cell ``grade_id``; a cell without nbgrader metadata (a
    search cell, say) is found by its cell id (``"svm-37"``)."""
    hits = [i for i, c in enumerate(nb["cells"]) if nbgrader_meta(c).get("grade_id") == grade_id]
    hits = hits or [i for i, c in enumerate(nb["cells"])
                    if not nbgrader_meta(c) and c.get("id") == grade_id]
    if not hits:
        raise KeyError(f"{notebook} has no cell {grade_id!r}")
    return hits[0]


def _transform(describe):
    def wrap(fn):
        def transform(nbs):
            return fn(copy.deepcopy(dict(nbs)))
        transform.__doc__ = describe
        transform.__name__ = transform.__qualname__ = "transform"
        transform.description = describe
        return transform
    return wrap


def delete_notebook(name):
    """The notebook ``name`` is not submitted."""
    @_transform(f"delete {name}")
    def run(nbs):
        if name not in nbs:
            raise KeyError(f"no notebook {name} to delete")
        nbs[name] = None
        return nbs
    return run


def rename_notebook(old, new):
    """The notebook ``old`` is submitted as ``new``."""
    @_transform(f"rename {old} to {new}")
    def run(nbs):
        nbs[new] = nbs.pop(old)
        return nbs
    return run


def replace_notebook(name, data):
    """The file ``name`` holds ``data`` (bytes: e.g. JSON cut off mid-save)."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("replace_notebook writes bytes")

    @_transform(f"replace {name} by {len(data)} bytes")
    def run(nbs):
        if name not in nbs:
            raise KeyError(f"no notebook {name} to replace")
        nbs[name] = bytes(data)
        return nbs
    return run


def delete_cell(notebook, grade_id):
    """The cell ``grade_id`` of ``notebook`` is deleted."""
    @_transform(f"delete cell {grade_id} of {notebook}")
    def run(nbs):
        nb = nbs[notebook]
        del nb["cells"][_find(nb, notebook, grade_id)]
        return nbs
    return run


def edit_cell(notebook, grade_id, source):
    """The cell ``grade_id`` of ``notebook`` gets the source ``source`` (an
    ordinary cell, without nbgrader metadata, is named by its cell id)."""
    @_transform(f"edit cell {grade_id} of {notebook}")
    def run(nbs):
        nb = nbs[notebook]
        _set_source(nb["cells"][_find(nb, notebook, grade_id)], source)
        return nbs
    return run


def move_cell(notebook, grade_id, *, after):
    """The cell ``grade_id`` of ``notebook`` is moved to just after the cell ``after``."""
    @_transform(f"move cell {grade_id} of {notebook} after {after}")
    def run(nbs):
        nb = nbs[notebook]
        cell = nb["cells"].pop(_find(nb, notebook, grade_id))
        nb["cells"].insert(_find(nb, notebook, after) + 1, cell)
        return nbs
    return run


def duplicate_cell(notebook, grade_id):
    """A copy of the cell ``grade_id`` follows it, as after copy and paste:
    the same nbgrader metadata, a new cell id."""
    @_transform(f"duplicate cell {grade_id} of {notebook}")
    def run(nbs):
        nb = nbs[notebook]
        i = _find(nb, notebook, grade_id)
        cell = copy.deepcopy(nb["cells"][i])
        if "id" in cell:
            ids = {c.get("id") for c in nb["cells"]}
            base = str(cell["id"])[:58] + "-copy"
            new, k = base, 1
            while new in ids:
                k += 1
                new = f"{base}{k}"
            cell["id"] = new
        nb["cells"].insert(i + 1, cell)
        return nbs
    return run


def chain(*transforms):
    """The transforms applied one after the other."""
    @_transform("; ".join(getattr(t, "description", t.__name__) for t in transforms))
    def run(nbs):
        for t in transforms:
            nbs = t(nbs)
        return nbs
    return run
