"""The course's notebook format: nbgrader's metadata and markers, answer cells,
and which cell defines a name.

Every other module reads notebooks through this one: the instructor tools
(reference values, benchmarks, code given to a later assignment, release
checks) and the grader (staging, the integrity pass, feedback checks).
An answer cell may use ``np`` (numpy) and whatever it imports itself.
"""
import json
import re
from pathlib import Path

import numpy as np

__all__ = ["read_notebook", "nbgrader_meta", "cell_source", "answer_cells", "code_cells",
           "load_answers", "split_regions", "defines", "definition_index",
           "strip_solution_markers", "hidden_lines", "SOLUTION", "HIDDEN_TESTS", "MARKERS",
           "REGIONS"]

# nbgrader's markers: a solution region (replaced in the release) and a
# hidden-test region (removed from the release, restored when grading).
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARKERS = SOLUTION + HIDDEN_TESTS
REGIONS = {"solution": SOLUTION, "hidden test": HIDDEN_TESTS}
_SOLUTION_LINE = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def read_notebook(path):
    """The notebook at ``path`` as a dict (nbformat 4 JSON)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"notebook not found: {path}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid notebook JSON: {e}") from None


def nbgrader_meta(cell):
    """The cell's ``metadata.nbgrader`` dict ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def cell_source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def split_regions(source, begin, end):
    """``(inside, outside)``: the lines strictly between a ``begin`` and an
    ``end`` marker line, and the other lines (marker lines dropped)."""
    inside, outside, within = [], [], False
    for line in source.splitlines():
        if begin in line:
            within = True
        elif end in line:
            within = False
        else:
            (inside if within else outside).append(line)
    return inside, outside


def hidden_lines(source):
    """The non-blank lines inside the hidden-test regions of ``source``, stripped."""
    return [line.strip() for line in split_regions(source, *HIDDEN_TESTS)[0] if line.strip()]


def strip_solution_markers(source):
    """``source`` without its ``### BEGIN/END SOLUTION`` lines."""
    return "\n".join(line for line in source.splitlines() if not _SOLUTION_LINE.match(line))


def defines(source, name):
    """Does ``source`` define ``name`` (a ``def`` or ``class`` at top level)?"""
    return re.search(rf"^(def|class)\s+{re.escape(name)}\b", source, re.M) is not None


def code_cells(nb):
    """Every code cell of a submitted notebook (dict), in order, as
    ``{"grade_id", "source", "answer"}``.

    nbgrader's metadata marks the answer cells; a cell whose metadata the
    student broke still counts when it defines a graded name (see
    ``definition_index``).
    """
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        cells.append({"grade_id": str(meta.get("grade_id") or f"cell-{i}"),
                      "source": cell_source(cell),
                      "answer": bool(meta.get("solution"))})
    return cells


def definition_index(cells, name):
    """Index in ``cells`` (as ``code_cells`` gives them) of the last cell that
    defines ``name`` at top level; None when none does."""
    found = [i for i, c in enumerate(cells) if defines(c["source"], name)]
    return found[-1] if found else None


def answer_cells(nb):
    """``[(grade_id, source), ...]`` of the code cells a student answers in."""
    out = []
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") == "code" and meta.get("solution"):
            out.append((meta.get("grade_id", ""), cell_source(cell)))
    return out


def load_answers(path, names=None):
    """Execute the answer cells of a notebook and return their namespace.

    Parameters
    ----------
    path : str or Path
        A solution (or submitted) notebook.
    names : iterable of str, optional
        Names that must be defined afterwards; a missing one raises.

    Returns
    -------
    dict
        The namespace the answer cells ran in (``np`` included).
    """
    path = Path(path)
    ns = {"np": np, "__name__": f"answers_{path.stem}"}
    for grade_id, source in answer_cells(read_notebook(path)):
        code = compile(source, f"{path.name}[{grade_id}]", "exec")
        exec(code, ns)
    missing = [n for n in (names or ()) if n not in ns]
    if missing:
        raise NameError(f"{path} defines no {', '.join(missing)} in its answer cells")
    return ns
