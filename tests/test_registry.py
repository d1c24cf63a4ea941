"""The assignments are plug-ins: each declared by its own check module, found
by the registry, and named nowhere else in the package; the package's layers
import downwards only."""
import ast
import re
from pathlib import Path

import pytest

from cs231n import registry
from cs231n.contract import Assignment, GradingLimits

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cs231n"
CLI = "cs231n.course"


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path):
    """The package modules ``name`` imports anywhere in its code (at the top
    or inside a function), resolved to module names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            # ``from . import x``: x may be a module of the package.
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and target != "cs231n":
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_the_registry_finds_every_assignment_of_the_course():
    """Does every assignment of solutions/ have a check module declaring it,
    with the notebooks it really has, and nothing declared without solutions?"""
    found = registry.assignments()
    solved = sorted(p.name for p in (ROOT / "solutions").iterdir()
                    if p.is_dir() and any(p.glob("*.ipynb")))
    assert sorted(found) == solved
    for aid, contract in found.items():
        assert isinstance(contract, Assignment) and contract.id == aid
        assert sorted(contract.notebooks) == sorted(
            p.name for p in (ROOT / "solutions" / aid).glob("*.ipynb")), aid
        assert contract.module in MODULES and contract.module.startswith("cs231n.checks.")
        for given in contract.given:
            assert given.source in found and given.source != aid


def test_an_unknown_assignment_is_named_with_the_known_ones():
    with pytest.raises(registry.UnknownAssignment, match="'a9_nothing'.*known: a1_linear"):
        registry.get("a9_nothing")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "30"])
def test_grading_limits_refuse_what_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="GradingLimits.cell_timeout must be a positive int"):
        GradingLimits(cell_timeout=bad)


def test_no_module_but_its_own_check_module_names_an_assignment():
    """Is each assignment's id written in its own check module only (anywhere
    else in the package it would be a list to keep up to date)?"""
    for aid, contract in registry.assignments().items():
        pattern = re.compile(rf"\b{re.escape(aid)}\b")
        named = [name for name, path in MODULES.items()
                 if pattern.search(path.read_text(encoding="utf-8"))]
        assert named == [contract.module], aid


@pytest.mark.parametrize("aid", sorted(registry.assignments()))
def test_graded_entries_match_the_solution_notebooks(aid):
    """Does every graded name have its answer cell and its test cell in the
    solution notebook its contract names, a solution the reference is made
    from, and (in a check module split into parts) its part's checks bound in
    the check module?"""
    import importlib
    from cs231n.notebook import answer_cells, defines, nbgrader_meta, read_notebook
    contract = registry.get(aid)
    # Kinds checked without reference values of the solution's: a1's classifier
    # (its check trains it and reads the accuracy).
    unreferenced = {"a1_linear": {"classifier"}}.get(aid, set())
    assert {g.kind for g in contract.graded} - set(contract.solutions) == unreferenced
    for g in contract.graded:
        nb = read_notebook(ROOT / "solutions" / aid / g.notebook)
        answers = dict(answer_cells(nb))
        # a1 names its answer cells otherwise; the others after the function.
        cell = answers.get(g.name) if aid != "a1_linear" else next(
            (src for src in answers.values() if defines(src, g.name)), None)
        assert cell is not None and defines(cell, g.name), \
            f"{g.notebook} has no answer cell defining {g.name}"
        test_ids = {nbgrader_meta(c).get("grade_id") for c in nb["cells"]}
        assert g.test_cell in test_ids, f"{g.notebook} has no test cell {g.test_cell}"
        assert all(u in {h.name for h in contract.graded} for u in g.uses)
        # The reference of a kind comes from one solution (a1's two SVM losses
        # share theirs); a kind graded once comes from that very function.
        if g.kind in unreferenced:
            continue
        same_kind = [(h.notebook, h.name) for h in contract.graded if h.kind == g.kind]
        assert contract.solutions[g.kind] in same_kind
        if len(same_kind) == 1:
            assert contract.solutions[g.kind] == (g.notebook, g.name)
    module = importlib.import_module(contract.module)
    for part in getattr(module, "PARTS", ()):
        assert set(part.GRADED) <= set(contract.graded), part.__name__
        assert part.SOLUTIONS.items() <= contract.solutions.items(), part.__name__
        for name in part.__all__:
            assert getattr(module, name).__wrapped__ is getattr(part, name), name
            assert name in module.__all__, name


def test_the_command_line_is_imported_by_no_module_of_the_package():
    importers = sorted(name for name, deps in GRAPH.items() if CLI in deps)
    assert importers == []


def test_the_package_has_no_import_circle():
    """Is the graph of the package's imports (at the top of a module or inside
    a function alike) free of cycles?"""
    state, stack, cycles = {}, [], []

    def visit(name):
        state[name] = "open"
        stack.append(name)
        for dep in sorted(GRAPH[name]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_the_import_graph_is_read_right():
    """The test above can fail: the graph holds known edges, from the top of a
    module and from inside a function, absolute and relative."""
    assert "cs231n.registry" in GRAPH["cs231n.grading.pipeline"]
    assert "cs231n.contract" in GRAPH["cs231n.checks.linear"]
    assert "cs231n.grading.runner" in GRAPH[CLI]            # inside grade_command
    assert "cs231n.checks" in GRAPH["cs231n.registry"]


def test_no_function_takes_six_positional_arguments():
    """Are long parameter lists keyword-only (or a small context object)?"""
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args.posonlyargs + node.args.args
                positional = [a.arg for a in args if a.arg not in ("self", "cls")]
                if len(positional) >= 6:
                    long.append(f"{name}.{node.name}({', '.join(positional)})")
    assert long == []


def _contract(**kw):
    base = dict(id="a9", notebooks=("one.ipynb", "two.ipynb"), graded=(), solutions={},
                make_reference=lambda s, cases=None: {}, random_cases=lambda rng: {})
    return Assignment(**{**base, **kw})


def test_a_notebook_builds_only_on_notebooks_before_it():
    assert _contract(uses={"two.ipynb": ("one.ipynb",)}).uses == {"two.ipynb": ("one.ipynb",)}
    for uses in ({"one.ipynb": ("two.ipynb",)}, {"two.ipynb": ("two.ipynb",)},
                 {"two.ipynb": ("three.ipynb",)}, {"three.ipynb": ("one.ipynb",)}):
        with pytest.raises(ValueError, match="uses"):
            _contract(uses=uses)


def test_given_code_never_stands_in_for_a_graded_function():
    """A name both given and graded would let a student's missing definition
    find the instructor's: the contract refuses it, and lists the given files."""
    from cs231n.checks._core import Graded
    from cs231n.contract import Given
    layers = Given("a2_layers.py", "a2", {"backprop.ipynb": ("affine_forward", "relu_forward")})
    ok = _contract(given=(layers,), graded=(Graded("net", "one.ipynb", "test_net", "net"),))
    assert ok.given_files == ("a2_layers.py",)
    with pytest.raises(ValueError, match="relu_forward would be both given code and graded"):
        _contract(given=(layers,),
                  graded=(Graded("relu_forward", "one.ipynb", "test_relu", "relu"),))
