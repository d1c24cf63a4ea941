"""What a submission looks like before it is run: missing or renamed
notebooks, broken JSON, test cells that were deleted, edited, reordered or
duplicated, and answer cells that patch numpy, builtins or the checks.

``cs231n.grading.collect`` copies a submission to where nbgrader reads it and
calls the functions here on each notebook it copies."""
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

# A notebook nests a few levels (cells, outputs, mime bundles, widget state):
# deeper JSON is refused before anything recursive (nbformat's schema check,
# nbgrader's writer) walks it and runs out of stack.
MAX_DEPTH = 100


@dataclass
class Inspection:
    """What the inspection of one submission found.

    ``notebooks`` maps each notebook the release expects to its dict, or to
    None when it is missing or refused; ``problems`` holds ``(flag, reason)``
    pairs for the report; ``notes`` holds reasons without a flag (files that
    were left out but cost nothing).  ``submitted`` names the expected
    notebooks the student handed in, in whatever form (a refused one is
    submitted but not graded); ``staged`` the files copied for nbgrader.
    """
    notebooks: dict = field(default_factory=dict)     # name -> dict or None
    problems: list = field(default_factory=list)      # (flag, reason) pairs
    notes: list = field(default_factory=list)
    submitted: set = field(default_factory=set)
    staged: list = field(default_factory=list)

    def add(self, flag, reason):
        self.problems.append((flag, reason))

    @property
    def flags(self):
        return sorted({f for f, _ in self.problems})


def parse_notebook(data):
    """The notebook held in ``data``, or ValueError saying why it is refused.

    A notebook must be UTF-8 JSON nested at most ``MAX_DEPTH`` levels, valid
    against nbformat's v4 schema, and every cell's ``metadata`` and
    ``metadata.nbgrader`` must be dicts: nbgrader and the grader read them
    without checking.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    nb : dict
    """
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text ({e})") from None
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as e:
        raise ValueError(f"not valid JSON ({e})") from None
    if _depth(nb) > MAX_DEPTH:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("no list of cells")
    if nb.get("nbformat") != 4 or type(nb.get("nbformat_minor")) is not int:
        raise ValueError(f"not an nbformat 4 notebook (nbformat {nb.get('nbformat')!r}, "
                         f"nbformat_minor {nb.get('nbformat_minor')!r})")
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        if not isinstance(meta, dict):
            raise ValueError(f"cell {i} has no metadata dict")
        if not isinstance(meta.get("nbgrader", {}), dict):
            raise ValueError(f"cell {i}'s metadata.nbgrader is not a dict")
    # The schema nbformat.validate uses, without its side effects: validate()
    # rewrites duplicate cell ids in place and warns; nbgrader's own reading
    # repairs those, so they are no reason to refuse a notebook.
    from nbformat.validator import get_validator
    validator = get_validator(version=4, version_minor=nb["nbformat_minor"])
    if validator is None:
        raise ValueError(f"no nbformat schema for 4.{nb['nbformat_minor']}")
    error = next(iter(validator.iter_errors(nb)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the notebook"
        raise ValueError(f"not a valid nbformat 4 notebook (at {where}: "
                         f"{error.message[:200]})")
    return nb


def _depth(obj):
    """Nesting depth of decoded JSON (counted up to ``MAX_DEPTH + 1``),
    without recursion."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        obj, depth = todo.pop()
        if isinstance(obj, dict):
            obj = obj.values()
        elif not isinstance(obj, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:  # deeper is refused anyway: stop counting there
            todo.extend((child, depth + 1) for child in obj)
    return deepest


def missing(found, name, present, expected):
    """Record that the notebook ``name`` was not submitted."""
    extra = [n for n in present if n not in expected]
    hint = f" (found instead: {', '.join(extra)})" if extra else ""
    found.add("missing-notebook", f"{name} is missing{hint}: graded 0")
    found.notebooks[name] = None


def invalid(found, name, why):
    """Record that the notebook ``name`` is refused as a notebook."""
    found.add("invalid-notebook", f"{name} is not a valid notebook: {why}: graded 0")
    found.notebooks[name] = None


def inspect_notebook(found, name, nb, release_folder):
    """Compare a parsed notebook's test cells with the release's and look for
    monkeypatches in its other code cells."""
    found.notebooks[name] = nb
    released = json.loads((Path(release_folder) / name).read_text(encoding="utf-8"))
    _compare_tests(found, name, nb, released)
    _scan_answers(found, name, nb)


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
    """Monkeypatches in the code cells, in order, with the aliases one cell
    makes (``import numpy as N``) known to the cells after it.  Test cells
    are restored by nbgrader, so a patch in one is not the student's; the
    aliases they make are in the kernel all the same."""
    aliases = {}
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        hits = monkeypatches(cell_source(cell), aliases)
        if meta.get("grade") and not meta.get("solution"):
            continue
        for what in hits:
            found.add("monkeypatch", f"{name}: cell {meta.get('grade_id', '?')} "
                                     f"modifies {what}")


# ---------------------------------------------------------------- patches

_IMPORTERS = {"__import__", "import_module"}   # __import__("numpy"), importlib's


def _protected_module(dotted):
    return isinstance(dotted, str) and dotted.split(".")[0] in PROTECTED


def _denotes(node, aliases):
    """What ``node`` stands for when it is a protected module or a part of
    one (``"numpy.testing"``), else None.  Only names, attributes, subscripts
    and the calls that fetch a module or attribute count: ``np.zeros(3)`` is
    a new array, not numpy.  Iterative: a student's chain of attributes can
    be as deep as the parser allows."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            key = node.slice
            parts.append(f"[{key.value!r}]" if isinstance(key, ast.Constant) else "[...]")
            node = node.value
        elif isinstance(node, ast.NamedExpr):
            node = node.value
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            fname = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            first = node.args[0]
            if fname in _IMPORTERS and isinstance(first, ast.Constant):
                base = first.value if _protected_module(first.value) else None
                break
            if fname == "getattr" and len(node.args) >= 2:
                key = node.args[1]
                parts.append("." + key.value if isinstance(key, ast.Constant)
                             and isinstance(key.value, str) else ".?")
                node = first
            elif fname == "vars":
                parts.append(".__dict__")
                node = first
            else:
                return None
        elif isinstance(node, ast.Name):
            base = node.id if node.id in PROTECTED else aliases.get(node.id)
            break
        else:
            return None
    return None if base is None else base + "".join(reversed(parts))


def _bind(target, value, aliases):
    """Record what assigning ``value`` to ``target`` makes an alias of (or
    that a name is no longer one)."""
    if isinstance(target, ast.Name):
        what = None if value is None else _denotes(value, aliases)
        if target.id in PROTECTED:
            pass  # protected whatever it is bound to
        elif what is None:
            aliases.pop(target.id, None)
        else:
            aliases[target.id] = what
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = value.elts if isinstance(value, (ast.Tuple, ast.List)) \
            and len(value.elts) == len(target.elts) else [None] * len(target.elts)
        for t, v in zip(target.elts, values):
            _bind(t, v, aliases)
    elif isinstance(target, ast.Starred):
        _bind(target.value, None, aliases)


def _learn(node, aliases):
    """Update ``aliases`` for a statement or expression that binds names."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                if a.asname in PROTECTED:
                    pass  # import numpy as np: np is protected already
                elif _protected_module(a.name):
                    aliases[a.asname] = a.name
                else:
                    aliases.pop(a.asname, None)
            else:
                aliases.pop(a.name.split(".")[0], None)
    elif isinstance(node, ast.ImportFrom):
        module = node.module if not node.level else None
        for a in node.names:
            bound = a.asname or a.name
            if bound in PROTECTED:
                pass
            elif a.name != "*" and _protected_module(module):
                aliases[bound] = f"{module}.{a.name}"
            else:
                aliases.pop(bound, None)
    elif isinstance(node, ast.Assign):
        for t in node.targets:
            _bind(t, node.value, aliases)
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
        _bind(node.target, node.value, aliases)
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        # for m in (np, checks): m.x = ...
        elts = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List, ast.Set)) else []
        hit = next((e for e in elts if _denotes(e, aliases)), None)
        _bind(node.target, hit, aliases)
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        _bind(node.optional_vars, None, aliases)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        aliases.pop(node.name, None)
    elif isinstance(node, ast.Delete):
        for t in node.targets:
            if isinstance(t, ast.Name):
                aliases.pop(t.id, None)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# Methods that change the object they are called on: np.__dict__.update(...)
_MUTATORS = {"update", "setdefault", "__setitem__", "__delitem__", "pop", "popitem",
             "clear"}


def _in_order(tree):
    """The nodes of a tree in the order they run (pre-order, a
    comprehension's loops before its element), without recursion."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, _COMPREHENSIONS):
            children.sort(key=lambda c: not isinstance(c, ast.comprehension))
        todo.extend(reversed(children))


def _head(text):
    return text.split(".")[0].split("[")[0]


def _describe(node, what):
    """The code as written, and what it stands for when that differs."""
    try:
        text = ast.unparse(node)
    except RecursionError:
        return what
    return text if _head(text) == _head(what) else f"{text} ({what})"


def _call_patch(node, aliases):
    """What a call modifies: setattr(np, ...), object.__setattr__(np, ...),
    np.__dict__.update(...); None for any other call."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None
    if name in ("setattr", "delattr", "__setattr__", "__delattr__") and node.args:
        what = _denotes(node.args[0], aliases)
        if what:
            return f"{name}({_describe(node.args[0], what)}, ...)"
    if isinstance(func, ast.Attribute) and name in _MUTATORS:
        what = _denotes(func.value, aliases)
        if what:
            return f"{_describe(func, what + '.' + name)}(...)"
    return None


def monkeypatches(source, aliases=None):
    """Names of protected modules' attributes that the code assigns or deletes.

    Parameters
    ----------
    source : str
        One code cell.
    aliases : dict, optional
        Name -> what it stands for (``{"N": "numpy"}``), updated in place with
        the aliases this cell makes: pass the same dict for the cells of a
        notebook in order, and a patch through an alias made in an earlier
        cell is found.

    Returns
    -------
    list of str
        What is modified: ``"np.allclose"``, or ``"N.allclose (numpy.allclose)"``
        through an alias.
    """
    aliases = {} if aliases is None else aliases
    try:
        with _PARSE_LOCK:
            tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # The kernel cannot compile it either: nothing in it runs.
        return []
    hits = []
    for node in _in_order(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for part in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(part, ast.Starred):
                    part = part.value
                if isinstance(part, (ast.Attribute, ast.Subscript)):
                    what = _denotes(part, aliases) if _denotes(part.value, aliases) else None
                    if what:
                        hits.append(_describe(part, what))
        if isinstance(node, ast.Call):
            what = _call_patch(node, aliases)
            if what:
                hits.append(what)
        _learn(node, aliases)
    return hits


def _strip_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
