"""The course's notebook format: nbgrader's metadata and markers, answer cells,
and which cell defines a name.

Every other module reads notebooks through this one: the instructor tools
(reference values, benchmarks, code given to a later assignment, release
checks) and the grader (staging, the integrity pass, feedback checks).
An answer cell may use ``np`` (numpy) and whatever it imports itself.
"""
import ast
import json
import re
from pathlib import Path

import numpy as np

__all__ = ["read_notebook", "nbgrader_meta", "cell_source", "answer_cells", "code_cells",
           "load_answers", "answers_of", "definitions", "imports_of", "setup_imports",
           "split_regions",
           "defines", "definition_index",
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


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def definitions(source, filename="<cell>"):
    """``source`` with only its top-level definitions: functions, classes,
    imports and names bound to plain constants (``EPS = 1e-8``).  Every other
    statement (a call, a loop, a print) becomes blank lines, so line numbers
    stay.  Raises SyntaxError as ``compile`` would.

    What a later notebook takes from an earlier one's answer cells: their
    functions, not the work the cells did when the student ran them.
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines()
    keep = [False] * len(lines)
    for node in tree.body:
        constant = isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        if constant:
            try:
                ast.literal_eval(node.value)
            except ValueError:
                constant = False
        if constant or isinstance(node, _DEFINITIONS):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            for i in range(first - 1, node.end_lineno):
                keep[i] = True
    return "\n".join(line if k else "" for line, k in zip(lines, keep))


def imports_of(source):
    """The top-level imports of a cell, each in a ``try`` of its own (an import
    that fails must not stop the others), or "" when the cell does not parse.

    IPython's line magics (``%matplotlib inline``) and shell lines are dropped;
    a cell magic (``%%time``) gives "".  The answers of a notebook may use a
    module its setup cell imports (``import itertools``): the grader runs
    these before the answer cells, outside the kernel.
    """
    if source.lstrip().startswith("%%"):
        return ""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    out = []
    for node in tree.body:
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom)
                                            and node.level == 0):
            out.append("try:\n    " + ast.unparse(node) + "\nexcept Exception:\n    pass")
    return "\n".join(out)


def load_answers(path, names=None, *, uses=(), given=()):
    """Execute the answer cells of a notebook and return their namespace.

    Parameters
    ----------
    path : str or Path
        A solution (or submitted) notebook.
    names : iterable of str, optional
        Names that must be defined afterwards; a missing one raises.
    uses : iterable of str
        Notebooks of the same folder whose answer cells' ``definitions`` run
        first, in the same namespace (the contract's ``Assignment.uses``: a
        notebook that builds on the functions of an earlier one).
    given : iterable of str
        Modules of the same folder (the contract's ``Assignment.given_files``,
        code of earlier assignments) that run before everything else, in the
        same namespace, as the notebook's own ``from a2_layers import ...``
        binds their names where the answer cells see them.

    Returns
    -------
    dict
        The namespace the answer cells ran in (``np`` included).
    """
    path = Path(path)
    ns = {"np": np, "__name__": f"answers_{path.stem}"}
    for module in given:
        module_path = path.with_name(module)
        exec(compile(module_path.read_text(encoding="utf-8"), str(module_path), "exec"), ns)
    for earlier in uses:
        _run_answers(path.with_name(earlier), ns, only_definitions=True)
    _run_answers(path, ns, only_definitions=False)
    missing = [n for n in (names or ()) if n not in ns]
    if missing:
        raise NameError(f"{path} defines no {', '.join(missing)} in its answer cells")
    return ns


def answers_of(notebook, *names):
    """The functions ``names`` as the answer cells of ``notebook`` define them.

    For a notebook that builds on an earlier one of its assignment, in the
    student's kernel: ``notebook`` is found in the working folder (the folder
    of the notebook that calls this), read as it was last saved, and the
    ``definitions`` of its answer cells run in a namespace of their own (with
    ``np``): their functions, not the work the cells did.  A cell that fails
    is skipped; a name no cell defines raises a NameError that says which
    cells failed and why.

    Returns
    -------
    tuple
        The objects, in the order of ``names``.
    """
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(
            f"{notebook} is not in this folder ({Path.cwd()}): this notebook builds on "
            f"{', '.join(names)} from it; keep the notebooks of the assignment together")
    ns = {"np": np, "__name__": f"answers_{path.stem}"}
    errors = []
    _run_answers(path, ns, only_definitions=True, errors=errors)
    missing = [n for n in names if not callable(ns.get(n))]
    if missing:
        raise NameError(
            f"{path.name} defines no {', '.join(missing)} in its answer cells"
            + ("".join(f"\n  {e}" for e in errors))
            + f"\n  fix {path.name}, save it, and run this cell again")
    return tuple(ns[n] for n in names)


def setup_imports(nb):
    """The imports of the code cells of ``nb`` that are not answer cells
    (``imports_of`` each; cells without imports left out), as
    ``[(grade_id, source), ...]``.  A later notebook that takes an earlier
    one's answers runs these first: an answer may use a name the earlier
    notebook's setup cell imported (``sliding_window_view``)."""
    out = []
    for cell in code_cells(nb):
        source = "" if cell["answer"] else imports_of(cell["source"])
        if source:
            out.append((cell["grade_id"], source))
    return out


def _run_answers(path, ns, *, only_definitions, errors=None):
    """Run the answer cells of the notebook at ``path`` in ``ns``, or only
    their ``definitions`` after the imports of its other cells
    (``setup_imports``).  A failing cell raises; given an ``errors`` list, it
    is skipped and told there instead (the student's cell: the missing names
    tell)."""
    nb = read_notebook(path)
    for grade_id, source in setup_imports(nb) if only_definitions else ():
        exec(compile(source, f"{path.name}[{grade_id}]", "exec"), ns)
    for grade_id, source in answer_cells(nb):
        where = f"{path.name}[{grade_id}]"
        try:
            code = definitions(source, where) if only_definitions else source
            exec(compile(code, where, "exec"), ns)
        except Exception as e:
            if errors is None:
                raise
            errors.append(f"its cell {grade_id} raised {type(e).__name__}: {e}")
