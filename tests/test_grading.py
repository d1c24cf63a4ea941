"""The grading pipeline's parts: the worker protocol, the inspection of a
submission's structure, and the integrity pass (with its soundness suite)."""
import gc
import inspect
import json
import os
import struct
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cs231n.checks import linear, neural_net, optimization
from cs231n.grading import integrity, protocol, structure
from cs231n.grading.samples import cell_code
from cs231n.notebook import read_notebook
from variants import a1_linear as variants
from variants import a2_neural_net as variants_a2
from variants import a3_optimization as variants_a3

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "assignments" / "a1_linear"
DENY = [p for p in ROOT.iterdir() if p.name not in {"cs231n", ".venv", "assignments"}]


# ------------------------------------------------------------------ protocol

def test_protocol_round_trip(rng):
    """Does every supported type come back as it went?"""
    g = np.random.default_rng(5)
    obj = {"a": (1, 2.5, None, True, "x"), "b": [rng.standard_normal((3, 2)),
                                                 np.arange(4, dtype=np.int32)],
           "nan": float("nan"), "g": g, "s": np.float32(1.5),
           "np_inf": np.float64("-inf"), "np_nan": np.float32("nan")}
    back = protocol.decode(*protocol.encode(obj))
    assert back["a"] == (1, 2.5, None, True, "x")
    np.testing.assert_array_equal(back["b"][0], obj["b"][0])
    assert back["b"][1].dtype == np.int32
    assert np.isnan(back["nan"]) and back["s"] == 1.5
    assert back["np_inf"] == -np.inf and np.isnan(back["np_nan"])
    assert back["g"].standard_normal() == np.random.default_rng(5).standard_normal()


def test_protocol_carries_no_objects():
    """Is an arbitrary object replaced by its type name, never pickled?"""
    back = protocol.decode(*protocol.encode([object(), np.array(["a"])]))
    assert all(isinstance(b, protocol.Unsupported) for b in back)


@pytest.mark.parametrize("header, payload", [
    (b"not json", b""), (b'{"__array__": 3}', b""), (b'{"__eval__": "1"}', b""),
    (b'{"__generator__": {"bit_generator": "os"}}', b""), (b"1", b"garbage")])
def test_protocol_rejects_malformed_messages(header, payload):
    """Does a malformed message raise ProtocolError, not something worse?"""
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(header, payload)


def test_protocol_recv_deadline_and_size():
    """Does recv give up at its deadline and refuse huge messages?"""
    r, w = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            protocol.recv(r, deadline=0)
        os.write(w, struct.pack("<QQ", protocol.MAX_HEADER + 1, 0))
        with pytest.raises(protocol.ProtocolError, match="too large"):
            protocol.recv(r)
    finally:
        os.close(r)
        os.close(w)


# ----------------------------------------------------------------- structure

def _released(name="svm.ipynb"):
    return read_notebook(RELEASE / name)


def _write(folder, nbs):
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in nbs.items():
        data = nb if isinstance(nb, bytes) else json.dumps(nb).encode()
        (folder / name).write_bytes(data)


def _test_indices(nb):
    return [i for i, c in enumerate(nb["cells"])
            if c["metadata"].get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")]


def test_structure_of_an_untouched_release_is_clean(tmp_path):
    """Is the release itself, submitted as it is, free of flags?"""
    _write(tmp_path, {"svm.ipynb": _released(), "softmax.ipynb": _released("softmax.ipynb")})
    found = structure.inspect_submission(tmp_path, RELEASE)
    assert found.problems == []
    assert set(found.notebooks) == {"svm.ipynb", "softmax.ipynb"}


def test_structure_names_each_change(tmp_path):
    """Are deleted, edited, reordered and duplicated test cells, a renamed
    notebook and broken JSON each named?"""
    nb = _released()
    tests = _test_indices(nb)
    nb["cells"][tests[1]]["source"] = "pass"                       # edited
    nb["cells"].append(dict(nb["cells"][tests[2]]))                 # duplicated
    nb["cells"].append(nb["cells"].pop(tests[0]))                   # moved to the end
    _write(tmp_path, {"svm.ipynb": nb, "softmax_final.ipynb": _released("softmax.ipynb")})
    found = structure.inspect_submission(tmp_path, RELEASE)
    assert {"test-cell-edited", "test-cell-duplicated", "test-cells-reordered",
            "missing-notebook"} <= set(found.flags), found.problems
    assert any("softmax_final.ipynb" in reason for _, reason in found.problems)

    nb = _released()
    del nb["cells"][_test_indices(nb)[0]]
    _write(tmp_path, {"svm.ipynb": nb, "softmax.ipynb": b"{not json"})
    found = structure.inspect_submission(tmp_path, RELEASE)
    assert {"test-cell-deleted", "invalid-notebook"} <= set(found.flags)
    assert found.notebooks["softmax.ipynb"] is None


@pytest.mark.parametrize("source, hit", [
    ("np.testing.assert_allclose = lambda *a, **k: None", "np.testing.assert_allclose"),
    ("import builtins\nbuiltins.print = None", "builtins.print"),
    ("checks.check_svm_loss = lambda *a, **k: None", "checks.check_svm_loss"),
    ("setattr(np, 'allclose', lambda *a: True)", "setattr(np, ...)"),
    ("sys.modules['numpy'] = None", "sys.modules['numpy']"),
    ("__builtins__.__import__ = None", "__builtins__.__import__"),
])
def test_monkeypatches_are_found(source, hit):
    """Is each way of patching a protected module found?"""
    assert hit in structure.monkeypatches(source)


def test_ordinary_code_is_not_a_monkeypatch():
    """Are ordinary assignments, attribute writes on own objects and magics left alone?"""
    src = "%matplotlib inline\nself.W = W\nW.flat[0] = 1\nx = np.zeros(3)\nx[0] = 1"
    assert structure.monkeypatches(src) == []


def test_monkeypatches_is_safe_in_grading_threads():
    """Can the pipeline's grading threads parse answers at the same time?

    CPython 3.11's ``ast.parse`` is not thread-safe (python/cpython#106905):
    when the garbage collector runs Python code while a thread builds its tree
    and another thread gets the GIL and parses too, the first one ends in
    "SystemError: AST constructor recursion depth mismatch".  Here a gc
    callback and a tiny switch interval make that happen often: without
    ``structure._PARSE_LOCK``, about a third of these parses fail on the
    course's Python 3.11.
    """
    source = "\n".join(f"def f{i}(x):\n    return [a.b(d[e], *g) for a in range({i}) if a]"
                       f" + [{{k: v for k, v in z.items()}}]" for i in range(300))
    source += "\nnp.allclose = lambda *a, **k: True"
    expected = structure.monkeypatches(source)
    assert expected == ["np.allclose"]
    results, errors = [], []

    def parse():
        for _ in range(10):
            try:
                results.append(structure.monkeypatches(source))
            except Exception as e:  # noqa: BLE001  (the error is what is tested)
                errors.append(f"{type(e).__name__}: {e}")

    def python_code_in_the_collector(phase, info):
        sum(range(20))

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(100, 1000, 1000)
    gc.callbacks.append(python_code_in_the_collector)
    try:
        threads = [threading.Thread(target=parse) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        gc.callbacks.remove(python_code_in_the_collector)
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
    assert errors == []
    assert results == [expected] * 40


# ----------------------------------------------------------------- integrity

@pytest.fixture(scope="module")
def judge():
    return integrity.Judge.for_assignment("a1_linear", ROOT / "solutions" / "a1_linear",
                                          seed=2024)


GRADED_BY_KIND = {}
for _g in linear.GRADED:
    GRADED_BY_KIND.setdefault(_g.kind, _g)


def _dependencies(obj, corpus=variants):
    """Corpus objects that ``obj`` needs (its bases and the functions it
    calls), in definition order, followed by ``obj``."""
    names = set()
    todo = [obj]
    while todo:
        o = todo.pop()
        if inspect.isclass(o):
            todo += [b for b in o.__bases__ if b.__module__ == corpus.__name__]
            todo += [f for f in vars(o).values() if inspect.isfunction(f)]
            names.add(o.__name__)
        elif inspect.isfunction(o):
            for n in o.__code__.co_names:
                dep = getattr(corpus, n, None)
                if (inspect.isfunction(dep) or inspect.isclass(dep)) and n not in names:
                    names.add(n)
                    todo.append(dep)
            if o.__qualname__ == o.__name__:
                names.add(o.__name__)
    members = [v for _, v in inspect.getmembers(corpus)
               if (inspect.isfunction(v) or inspect.isclass(v)) and v.__name__ in names
               and v is not obj]
    members.sort(key=lambda v: inspect.getsourcelines(v)[1])
    return members + [obj]


def submission(name, items):
    """A notebook (dict) with one answer cell defining ``name``."""
    return {"cells": [{"cell_type": "code", "source": cell_code(items, name),
                       "metadata": {"nbgrader": {"solution": True, "grade_id": name}}}]}


def verdict(judge, kind, obj):
    graded = GRADED_BY_KIND[kind]
    return integrity.check_function(judge, graded, submission(graded.name,
                                                              _dependencies(obj)),
                                    deny=DENY)


def _params(table):
    return [pytest.param(kind, fn, id=f"{kind}-{fn.__name__}")
            for kind, fns in table.items() for fn in fns]


@pytest.mark.slow
@pytest.mark.parametrize("kind, obj", _params(variants.CORRECT))
def test_integrity_passes_every_correct_variant(judge, kind, obj):
    """Does a correct function, however written, get full points outside the kernel?"""
    result = verdict(judge, kind, obj)
    assert result.passed, result.reason


@pytest.mark.slow
@pytest.mark.parametrize("kind, obj", _params(variants.WRONG))
def test_integrity_fails_every_wrong_variant(judge, kind, obj):
    """Does every bug of the catalogue lose its points outside the kernel too?"""
    result = verdict(judge, kind, obj)
    assert not result.passed
    assert result.reason


HOSTILE = {
    "endless loop": ("def svm_loss_vectorized(W, X, y, reg):\n    while True:\n"
                     "        try:\n            pass\n        except BaseException:\n"
                     "            pass\n", "did not return"),
    "os._exit": ("import os\ndef svm_loss_vectorized(W, X, y, reg):\n    os._exit(3)\n",
                 "ended"),
    "sys.exit": ("import sys\ndef svm_loss_vectorized(W, X, y, reg):\n    sys.exit(0)\n",
                 "SystemExit"),
    "reads solutions": (
        "from cs231n.notebook import load_answers\n"
        f"ns = load_answers({str(ROOT / 'solutions/a1_linear/svm.ipynb')!r})\n"
        "svm_loss_vectorized = ns['svm_loss_vectorized']\n"
        "def svm_loss_vectorized(W, X, y, reg):\n    return ns['svm_loss_vectorized'](W, X, y, reg)\n",
        "not defined"),
    "memory bomb": ("def svm_loss_vectorized(W, X, y, reg):\n    x = [1]\n"
                    "    while True:\n        x = x * 2\n", "MemoryError"),
    "returns garbage": ("def svm_loss_vectorized(W, X, y, reg):\n"
                        "    return (object(), lambda: 0)\n", "loss should be a single number"),
}


@pytest.mark.slow
@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_integrity_contains_hostile_code(judge, what):
    """Is hostile code graded 0 with a reason, without stopping the grader?"""
    source, reason = HOSTILE[what]
    nb = {"cells": [{"cell_type": "code", "source": source,
                     "metadata": {"nbgrader": {"solution": True, "grade_id": "x"}}}]}
    graded = [g for g in linear.GRADED if g.name == "svm_loss_vectorized"][0]
    result = integrity.check_function(judge, graded, nb, deny=DENY)
    assert not result.passed
    assert reason in result.reason, result.reason


@pytest.mark.slow
def test_reading_solutions_is_refused_and_flagged(judge):
    """Is an attempt to read solutions/ refused and named, even when swallowed?"""
    source = ("def svm_loss_vectorized(W, X, y, reg):\n    try:\n"
              f"        open({str(ROOT / 'solutions/a1_linear/svm.ipynb')!r}).read()\n"
              "    except Exception:\n        pass\n    return 0.0, W\n")
    nb = {"cells": [{"cell_type": "code", "source": source, "metadata": {}}]}
    graded = [g for g in linear.GRADED if g.name == "svm_loss_vectorized"][0]
    result = integrity.check_function(judge, graded, nb, deny=DENY)
    assert not result.passed
    assert "sandbox-violation" in result.flags


@pytest.mark.slow
def test_monkeypatch_inside_the_worker_changes_nothing(judge):
    """Does a wrong function that patches numpy's comparisons still fail?"""
    source = ("np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = "
              "lambda *a, **k: None\n"
              + inspect.getsource(variants.svm_vectorised).replace(
                  "def svm_vectorised", "def _right")
              + "def svm_loss_vectorized(W, X, y, reg):\n"
                "    loss, dW = _right(W, X, y, reg)\n    return loss + 1.0, dW\n")
    nb = {"cells": [{"cell_type": "code", "source": source, "metadata": {}}]}
    graded = [g for g in linear.GRADED if g.name == "svm_loss_vectorized"][0]
    result = integrity.check_function(judge, graded, nb, deny=DENY)
    assert not result.passed and "the loss is wrong" in result.reason


@pytest.mark.slow
def test_helper_from_another_answer_cell_is_found(judge):
    """Does a function that calls a helper defined in an earlier answer cell pass?"""
    helper = inspect.getsource(variants.svm_vectorised).replace("svm_vectorised", "_helper")
    cells = [{"cell_type": "code", "source": helper,
              "metadata": {"nbgrader": {"solution": True, "grade_id": "a"}}},
             {"cell_type": "code", "source": "while True:\n    pass\n",
              "metadata": {}},   # not an answer cell: never run by the integrity pass
             {"cell_type": "code",
              "source": "def svm_loss_vectorized(W, X, y, reg):\n"
                        "    return _helper(W, X, y, reg)\n",
              "metadata": {"nbgrader": {"solution": True, "grade_id": "b"}}}]
    graded = [g for g in linear.GRADED if g.name == "svm_loss_vectorized"][0]
    result = integrity.check_function(judge, graded, {"cells": cells}, deny=DENY)
    assert result.passed, result.reason


LATER = {"a2_neural_net": (neural_net, variants_a2),
         "a3_optimization": (optimization, variants_a3)}


@pytest.fixture(scope="module", params=sorted(LATER))
def later(request):
    """An assignment after a1, its judge (fresh cases), checks and corpus."""
    aid = request.param
    module, corpus = LATER[aid]
    judge = integrity.Judge.for_assignment(aid, ROOT / "solutions" / aid, seed=2025)
    return judge, module, corpus


def _variant_notebook(graded, variant, corpus):
    """A notebook defining one variant under its graded name (an a2 backward
    variant is a (forward, backward) pair: one answer cell each)."""
    pairs = variant if isinstance(variant, tuple) else (variant,)
    names = (*graded.uses, graded.name) if isinstance(variant, tuple) else (graded.name,)
    return {"cells": [{"cell_type": "code",
                       "source": cell_code(_dependencies(obj, corpus), name),
                       "metadata": {"nbgrader": {"solution": True, "grade_id": name}}}
                      for obj, name in zip(pairs, names)]}


@pytest.mark.slow
@pytest.mark.parametrize("table", ["CORRECT", "WRONG"])
def test_soundness_through_the_integrity_pass(later, table):
    """Through the sandboxed workers and proxies (opaque caches, a watched
    params dict, configs), does every correct variant of a2 and a3 pass and
    every wrong one fail, on inputs drawn for this run?"""
    judge, module, corpus = later
    by_kind = {g.kind: g for g in module.GRADED}
    # The notebooks are made here (inspect parses the corpus), the checks run
    # two at a time.
    jobs = [(by_kind[kind], _variant_notebook(by_kind[kind], v, corpus))
            for kind, vs in getattr(corpus, table).items() for v in vs]

    def verdict(job):
        graded, nb = job
        return integrity.check_function(judge, graded, nb, deny=DENY)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(verdict, jobs))
    wrong = [(g.kind, r.reason) for (g, _), r in zip(jobs, results)
             if r.passed != (table == "CORRECT")]
    assert wrong == [], wrong


def _answer(source, grade_id):
    return {"cell_type": "code", "source": source,
            "metadata": {"nbgrader": {"solution": True, "grade_id": grade_id}}}


def _by_name(*names):
    return [g for name in names for g in linear.GRADED if g.name == name]


@pytest.mark.slow
def test_one_worker_per_notebook_and_a_crash_costs_only_its_function(judge):
    """When one function kills the worker or trips the sandbox, do the others
    still pass, and is each flag told to the function that caused it?"""
    right = {fn.__name__: inspect.getsource(fn) for fn in
             (variants.svm_vectorised, variants.l2_right, variants.l1_right)}
    cells = [
        _answer("import os\ndef svm_loss_vectorized(W, X, y, reg):\n    os._exit(3)\n", "a"),
        _answer(right["l2_right"].replace("def l2_right", "def l2_penalty"), "b"),
        _answer("def l1_penalty(W, reg):\n    try:\n"
                f"        open({str(ROOT / 'solutions/a1_linear/svm.ipynb')!r}).read()\n"
                "    except OSError:\n        pass\n"
                + right["l1_right"].replace("def l1_right(W, reg):\n", "")
                .replace("\n    ", "\n    ", 1), "c"),
        _answer(right["svm_vectorised"].replace("def svm_vectorised",
                                                "def svm_loss_naive"), "d"),
    ]
    graded = _by_name("svm_loss_vectorized", "l2_penalty", "l1_penalty", "svm_loss_naive")
    crashed, l2, l1, naive = integrity.check_notebook(judge, graded, {"cells": cells},
                                                      deny=DENY)
    assert not crashed.passed and "ended" in crashed.reason
    assert "crashed" not in l2.flags and l2.passed, (l2.reason, l2.flags)
    assert l1.passed and l1.flags == ["sandbox-violation"], (l1.reason, l1.flags)
    assert naive.passed and naive.flags == [], (naive.reason, naive.flags)


@dataclass(frozen=True)
class _Probe:
    """A graded item whose check exercises the proxies (not a real check)."""
    name: str
    check_fn: object
    uses: tuple = ()
    watch: tuple = ()
    notebook: str = "probe.ipynb"
    test_cell: str = "test_probe"

    def check(self, fns, *, cases, reference):
        self.check_fn(fns)


def _layer_probe(fns):
    x = np.arange(6.0).reshape(2, 3)
    out, cache = fns["layer_forward"](x)
    np.testing.assert_allclose(out, 2 * x)
    dx = fns["layer_backward"](np.ones_like(x), cache)
    np.testing.assert_allclose(dx, 2 * np.ones_like(x))


def _net_probe(fns):
    net = fns["Net"](3, rng=np.random.default_rng(0))
    assert sorted(net.params) == ["W"] and net.params["W"].shape == (3,)
    net.params["W"] = np.full(3, 2.0)
    assert np.allclose(net.params["W"], 2.0)
    np.testing.assert_allclose(net.loss(np.ones(3)), 6.0)


@pytest.mark.slow
def test_opaque_caches_and_watched_dicts_cross_the_sandbox(judge):
    """Can a layer's cache hold any object (it stays in the worker), and does
    item assignment on a watched dict reach the student's instance?"""
    layer = ("class Box:\n    def __init__(self, v):\n        self.v = v\n"
             "def layer_forward(x):\n    return 2 * x, (Box(x), lambda: 2)\n")
    backward = "def layer_backward(dout, cache):\n    return cache[1]() * dout\n"
    net = ("class Net:\n    def __init__(self, n, rng=None):\n"
           "        self.params = {'W': rng.standard_normal(n)}\n"
           "    def loss(self, x):\n        return float(self.params['W'] @ x)\n")
    nb = {"cells": [_answer(layer, "a"), _answer(backward, "b"), _answer(net, "c")]}
    graded = [_Probe("layer_backward", _layer_probe, uses=("layer_forward",)),
              _Probe("Net", _net_probe, watch=("params",))]
    for result in integrity.check_notebook(judge, graded, nb, deny=DENY):
        assert result.passed, result.reason


def test_missing_function_is_named(judge):
    """Is a notebook without the function graded 0 with the reason?"""
    graded = linear.GRADED[0]
    result = integrity.check_function(judge, graded, {"cells": []}, deny=DENY)
    assert not result.passed and "not defined" in result.reason
    result = integrity.check_function(judge, graded, None, deny=DENY)
    assert "missing" in result.reason


def test_deny_list_covers_the_repository_of_the_package(tmp_path):
    """Is the repository's solutions/ (and its answer corpus) out of reach of a
    course graded elsewhere, and is no folder holding the course itself denied?"""
    from cs231n.grading.pipeline import Course
    (tmp_path / "solutions").mkdir()
    deny = {p.resolve() for p in Course(tmp_path).deny()}
    assert {ROOT / "solutions", ROOT / "tests", tmp_path / "solutions"} <= deny
    assert ROOT / "cs231n" not in deny and ROOT / "assignments" not in deny
    inside = ROOT / ".demo-test-course"
    inside.mkdir(exist_ok=True)
    try:
        assert not any(inside.is_relative_to(p) for p in Course(inside).deny())
    finally:
        inside.rmdir()
