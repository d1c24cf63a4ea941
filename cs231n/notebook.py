"""Read course notebooks: their answer cells and nbgrader metadata.

The instructor tools use this to run the solution's graded functions outside
Jupyter (reference values, benchmarks, code given to a later assignment).
An answer cell may use ``np`` (numpy) and whatever it imports itself.
"""
import json
from pathlib import Path

import numpy as np

__all__ = ["read_notebook", "nbgrader_meta", "cell_source", "answer_cells", "load_answers",
           "split_regions"]


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
