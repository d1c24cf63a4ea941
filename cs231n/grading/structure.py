"""What a submission looks like before it is run: missing or renamed
notebooks, broken JSON, test cells that were deleted, edited, reordered or
duplicated, and answer cells that patch numpy, builtins or the checks."""
import ast
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..notebook import cell_source, nbgrader_meta

# CPython 3.11 keeps the depth counter of ``ast.parse``'s tree building in one
# place per interpreter, not per thread: two grading threads that parse at the
# same moment can fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905; tests/test_grading.py reproduces it).
# The pipeline grades students in threads, so every parse here takes this lock.
_PARSE_LOCK = threading.Lock()

# Modules a student's answer must not modify: the tests run beside it.
PROTECTED = {"np", "numpy", "checks", "cs231n", "builtins", "__builtins__", "sys",
             "math", "os", "random", "unittest", "pytest"}


@dataclass
class Inspection:
    notebooks: dict = field(default_factory=dict)     # name -> dict or None
    problems: list = field(default_factory=list)      # (flag, reason) pairs

    def add(self, flag, reason):
        self.problems.append((flag, reason))

    @property
    def flags(self):
        return sorted({f for f, _ in self.problems})


def inspect_submission(folder, release_folder):
    """Read every notebook the release expects from a submission folder.

    Parameters
    ----------
    folder : Path
        ``submitted/<student>/<assignment>``.
    release_folder : Path
        ``assignments/<assignment>``, the notebooks as released.
    """
    folder, release_folder = Path(folder), Path(release_folder)
    found = Inspection()
    expected = sorted(p.name for p in release_folder.glob("*.ipynb"))
    present = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    extra = [n for n in present if n not in expected]
    for name in expected:
        path = folder / name
        if not path.exists():
            hint = f" (found instead: {', '.join(extra)})" if extra else ""
            found.add("missing-notebook", f"{name} is missing{hint}: graded 0")
            found.notebooks[name] = None
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
                raise ValueError("no list of cells")
        except (ValueError, UnicodeDecodeError) as e:
            found.add("invalid-notebook", f"{name} is not valid notebook JSON ({e}): graded 0")
            found.notebooks[name] = None
            continue
        found.notebooks[name] = nb
        released = json.loads((release_folder / name).read_text(encoding="utf-8"))
        _compare_tests(found, name, nb, released)
        _scan_answers(found, name, nb)
    return found


def _test_cells(nb):
    out = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            out.append((str(meta.get("grade_id")), cell_source(cell)))
    return out


def _compare_tests(found, name, nb, released):
    want = _test_cells(released)
    have = _test_cells(nb)
    want_src = dict(want)
    have_ids = [gid for gid, _ in have]
    for gid, _ in want:
        if gid not in have_ids:
            found.add("test-cell-deleted", f"{name}: test cell {gid} was deleted "
                                           "(restored from the gradebook)")
    dupes = sorted({gid for gid in have_ids if have_ids.count(gid) > 1})
    for gid in dupes:
        found.add("test-cell-duplicated", f"{name}: test cell {gid} appears "
                                          f"{have_ids.count(gid)} times")
    for gid, src in have:
        if gid in want_src and src.strip() != want_src[gid].strip():
            found.add("test-cell-edited", f"{name}: test cell {gid} was edited "
                                          "(restored from the gradebook)")
    order = [gid for gid in dict.fromkeys(have_ids) if gid in want_src]
    if order != [gid for gid, _ in want if gid in order]:
        found.add("test-cells-reordered", f"{name}: test cells were reordered")


def _scan_answers(found, name, nb):
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            continue  # test cells are restored by nbgrader
        for what in monkeypatches(cell_source(cell)):
            found.add("monkeypatch", f"{name}: cell {meta.get('grade_id', '?')} "
                                     f"modifies {what}")


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def monkeypatches(source):
    """Names of protected modules' attributes that the code assigns or deletes."""
    try:
        with _PARSE_LOCK:
            tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return []
    hits = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            if isinstance(t, (ast.Attribute, ast.Subscript)) and _root(t) in PROTECTED:
                hits.append(ast.unparse(t))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("setattr", "delattr") and node.args and \
                _root(node.args[0]) in PROTECTED:
            hits.append(f"{node.func.id}({ast.unparse(node.args[0])}, ...)")
    return hits


def _strip_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
