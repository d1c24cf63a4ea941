"""The grading pipeline's parts: the worker protocol, the inspection of a
submission's structure, the integrity pass (with its soundness suite), a
student's time budget, grader errors, and the autograder's output limit."""
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
from cs231n import course, registry
from cs231n.grading import integrity, protocol, samples, structure
from cs231n.grading.collect import stage_submission
from cs231n.grading.samples import cell_code
from cs231n.notebook import read_notebook
from variants import a1_linear as variants
from variants import a2_neural_net as variants_a2
from variants import a3_optimization as variants_a3

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "assignments" / "a1_linear"
WATCH = [ROOT]


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


def _inspect(folder):
    """What staging (as the grader reads a submission) finds in ``folder``."""
    return stage_submission(folder, RELEASE, folder.parent / f"{folder.name}-staged")


def _test_indices(nb):
    return [i for i, c in enumerate(nb["cells"])
            if c["metadata"].get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")]


def test_structure_of_an_untouched_release_is_clean(tmp_path):
    """Is the release itself, submitted as it is, free of flags?"""
    _write(tmp_path, {"svm.ipynb": _released(), "softmax.ipynb": _released("softmax.ipynb")})
    found = _inspect(tmp_path)
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
    found = _inspect(tmp_path)
    assert {"test-cell-edited", "test-cell-duplicated", "test-cells-reordered",
            "missing-notebook"} <= set(found.flags), found.problems
    assert any("softmax_final.ipynb" in reason for _, reason in found.problems)

    nb = _released()
    del nb["cells"][_test_indices(nb)[0]]
    _write(tmp_path, {"svm.ipynb": nb, "softmax.ipynb": b"{not json"})
    found = _inspect(tmp_path)
    assert {"test-cell-deleted", "invalid-notebook"} <= set(found.flags)
    assert found.notebooks["softmax.ipynb"] is None


@pytest.mark.parametrize("source, hit", [
    ("np.testing.assert_allclose = lambda *a, **k: None", "np.testing.assert_allclose"),
    ("import builtins\nbuiltins.print = None", "builtins.print"),
    ("checks.check_svm_loss = lambda *a, **k: None", "checks.check_svm_loss"),
    ("setattr(np, 'allclose', lambda *a: True)", "setattr(np, ...)"),
    ("sys.modules['numpy'] = None", "sys.modules['numpy']"),
    ("__builtins__.__import__ = None", "__builtins__.__import__"),
    # through an alias: the name, and what it stands for
    ("import numpy as N\nN.allclose = lambda *a, **k: True", "N.allclose (numpy.allclose)"),
    ("from cs231n import checks as C\nC.check_x = None", "C.check_x (cs231n.checks.check_x)"),
    ("import cs231n.checks as ck\nck.check_svm_loss = None",
     "ck.check_svm_loss (cs231n.checks.check_svm_loss)"),
    ("from numpy import testing as T\nT.assert_allclose = None",
     "T.assert_allclose (numpy.testing.assert_allclose)"),
    ("np_ = np\nnp_.allclose = None", "np_.allclose (np.allclose)"),
    ("t = np.testing\ndel t.assert_allclose", "t.assert_allclose (np.testing.assert_allclose)"),
    ("a, b = np, checks\nb.check_x = None", "b.check_x (checks.check_x)"),
    ("m = sys.modules['numpy']\nm.allclose = None", "m.allclose (sys.modules['numpy'].allclose)"),
    ("N = __import__('numpy')\nsetattr(N, 'allclose', None)", "setattr(N (numpy), ...)"),
    ("T = getattr(np, 'testing')\nT.assert_allclose = None",
     "T.assert_allclose (np.testing.assert_allclose)"),
    ("for m in (np, checks):\n    m.allclose = None", "m.allclose (np.allclose)"),
    ("np.__dict__.update(allclose=None)", "np.__dict__.update(...)"),
    ("vars(np)['allclose'] = None", "vars(np)['allclose'] (np.__dict__['allclose'])"),
])
def test_monkeypatches_are_found(source, hit):
    """Is each way of patching a protected module found, through an alias too?"""
    assert hit in structure.monkeypatches(source)


def test_ordinary_code_is_not_a_monkeypatch():
    """Are ordinary assignments, attribute writes on own objects and magics left alone?"""
    src = "%matplotlib inline\nself.W = W\nW.flat[0] = 1\nx = np.zeros(3)\nx[0] = 1"
    assert structure.monkeypatches(src) == []
    # An alias rebound to an object of the student's is no longer an alias;
    # a new array made by a protected module is not the module.
    src = ("import numpy as N\nx = N.zeros(3)\nx[0] = 1\nrng = N.random.default_rng(0)\n"
           "rng.bit_generator.state = rng.bit_generator.state\nN = Net()\nN.params = {}\n"
           "d = {}\nd.update(a=1)")
    assert structure.monkeypatches(src) == []


def test_an_alias_reaches_the_cells_after_it():
    """Is a patch through an alias made in an earlier cell found when the
    notebook's cells are scanned in order, and forgotten once rebound?"""
    aliases = {}
    assert structure.monkeypatches("import numpy as N\nfrom cs231n import checks as C",
                                   aliases) == []
    assert structure.monkeypatches("N.allclose = None", aliases) == \
        ["N.allclose (numpy.allclose)"]
    assert structure.monkeypatches("C = object()", aliases) == []
    assert structure.monkeypatches("C.check_x = None", aliases) == []
    assert structure.monkeypatches("N.allclose = None") == []   # no shared aliases


def test_inspection_follows_aliases_across_cells(tmp_path):
    """Does staging flag a patch through an alias that an earlier
    cell made (a test cell's aliases count, its own patches do not)?"""
    nb = _released()
    answers = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
               and c["metadata"].get("nbgrader", {}).get("solution")]
    nb["cells"][answers[0]]["source"] = "from numpy import testing as T\n" + \
        "".join(nb["cells"][answers[0]]["source"])
    nb["cells"][answers[-1]]["source"] = "".join(nb["cells"][answers[-1]]["source"]) + \
        "\nT.assert_allclose = lambda *a, **k: None\n"
    _write(tmp_path, {"svm.ipynb": nb, "softmax.ipynb": _released("softmax.ipynb")})
    found = _inspect(tmp_path)
    assert found.flags == ["monkeypatch"], found.problems
    assert "T.assert_allclose (numpy.testing.assert_allclose)" in found.problems[0][1]


def test_code_too_deep_to_parse_is_no_crash():
    """Does code nested deeper than the parser allows (which the kernel cannot
    compile either) give no hits instead of stopping the grader?"""
    assert structure.monkeypatches("np" + ".a" * 100_000 + " = 1") == []
    assert structure.monkeypatches("x = " + "-" * 100_000 + "1") == []


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


def _dependencies(obj):
    """The corpus objects that ``obj`` needs (its bases and the functions it
    calls, from the module that defines it), in definition order, then ``obj``."""
    found, todo = {}, [obj]
    while todo:
        o = todo.pop()
        module = sys.modules[o.__module__]
        if inspect.isclass(o):
            needs = list(o.__bases__)
            todo += [f for f in vars(o).values() if inspect.isfunction(f)]
        else:
            needs = [getattr(module, n, None) for n in o.__code__.co_names]
        for dep in needs:
            if ((inspect.isfunction(dep) or inspect.isclass(dep))
                    and dep.__module__ == o.__module__ and dep is not obj
                    and dep.__name__ not in found):
                found[dep.__name__] = dep
                todo.append(dep)
    members = sorted(found.values(), key=lambda v: inspect.getsourcelines(v)[1])
    return members + [obj]


def submission(name, items):
    """A notebook (dict) with one answer cell defining ``name``."""
    return {"cells": [{"cell_type": "code", "source": cell_code(items, name),
                       "metadata": {"nbgrader": {"solution": True, "grade_id": name}}}]}


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
    result = integrity.check_function(judge, graded, nb, watch=WATCH)
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
    result = integrity.check_function(judge, graded, nb, watch=WATCH)
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
    result = integrity.check_function(judge, graded, nb, watch=WATCH)
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
    result = integrity.check_function(judge, graded, {"cells": cells}, watch=WATCH)
    assert result.passed, result.reason


def _corpus(aid):
    return samples.load_corpus(course.corpus_path(aid))


# The assignments whose corpus has CORRECT and WRONG tables (kind -> variants).
TABLED = [aid for aid in registry.assignments() if hasattr(_corpus(aid), "CORRECT")]


@pytest.fixture(scope="module", params=TABLED)
def tabled(request):
    """An assignment, its judge (fresh cases), contract and corpus."""
    aid = request.param
    judge = integrity.Judge.for_assignment(aid, ROOT / "solutions" / aid, seed=2025)
    return judge, registry.get(aid), _corpus(aid)


def _variant_notebook(graded, variant, corpus, contract):
    """A notebook defining one variant under its graded name (an a2 backward
    variant is a (forward, backward) pair: one answer cell each), after the
    corpus's ``BASE`` of the notebook's other graded functions that come
    before it (a4's network calls the init helpers of its own notebook)."""
    pairs = variant if isinstance(variant, tuple) else (variant,)
    names = (*graded.uses, graded.name) if isinstance(variant, tuple) else (graded.name,)
    same = [g.name for g in contract.graded if g.notebook == graded.notebook]
    before = [n for n in same[:same.index(graded.name)]
              if n not in names and n in corpus.BASE]
    return {"cells": [_answer(cell_code(corpus.BASE[n], n), n) for n in before]
            + [_answer(cell_code(_dependencies(obj), name), name)
               for obj, name in zip(pairs, names)]}


@pytest.mark.slow
@pytest.mark.parametrize("table", ["CORRECT", "WRONG"])
def test_soundness_through_the_integrity_pass(tabled, table):
    """Through the sandboxed workers and proxies (opaque caches, a watched
    params dict, configs, a classifier trained with a trusted loss), does
    every correct variant pass and every wrong one fail, on inputs drawn for
    this run?"""
    judge, contract, corpus = tabled
    by_kind = {g.kind: g for g in contract.graded}
    # The notebooks are made here (inspect parses the corpus), the checks run
    # two at a time.
    jobs = [(by_kind[kind], _variant_notebook(by_kind[kind], v, corpus, contract))
            for kind, vs in getattr(corpus, table).items() for v in vs]

    def verdict(job):
        graded, nb = job
        return integrity.check_function(judge, graded, nb, watch=WATCH,
                                        before=_base_before(contract, graded, corpus))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(verdict, jobs))
    wrong = [(g.kind, r.reason) for (g, _), r in zip(jobs, results)
             if r.passed != (table == "CORRECT")]
    assert wrong == [], wrong


def _base_before(contract, graded, corpus):
    """The notebooks ``graded``'s notebook builds on (``Assignment.uses``),
    their answer cells filled with the corpus's ``BASE``."""
    return [(notebook, {"cells": [_answer(cell_code(corpus.BASE[g.name], g.name), g.name)
                                  for g in contract.graded
                                  if g.notebook == notebook and g.name in corpus.BASE]})
            for notebook in contract.uses.get(graded.notebook, ())]


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
                                                      watch=WATCH)
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
    for result in integrity.check_notebook(judge, graded, nb, watch=WATCH):
        assert result.passed, result.reason


def test_missing_function_is_named(judge):
    """Is a notebook without the function graded 0 with the reason?"""
    graded = linear.GRADED[0]
    result = integrity.check_function(judge, graded, {"cells": []}, watch=WATCH)
    assert not result.passed and "not defined" in result.reason
    result = integrity.check_function(judge, graded, None, watch=WATCH)
    assert "missing" in result.reason


def test_watch_covers_the_course_and_the_repository_of_the_package(tmp_path):
    """Are the course and the repository the package comes from both watched,
    so that a look at solutions/ in either is reported?"""
    from cs231n.grading.pipeline import Course
    assert set(Course(tmp_path).watch()) == {tmp_path.resolve(), ROOT}


# --------------------------------------------- grader errors and time budgets

@pytest.fixture
def gradebook_course(tmp_path, monkeypatch):
    """A course whose gradebook holds assignment a1 (two notebooks, a
    free-text answer), students sam (an earlier run's full marks) and kim
    (no submission)."""
    from cs231n.grading import pipeline
    from nbgrader.api import Gradebook
    # nbgrader runs `alembic` from PATH to make a new gradebook.
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    course = pipeline.Course(tmp_path)
    with Gradebook(course.db_url) as gb:
        gb.add_assignment("a1")
        for nb in ("svm", "softmax"):
            gb.add_notebook(nb, "a1")
            gb.add_grade_cell(f"test_{nb}", nb, "a1", max_score=2, cell_type="code")
        gb.add_grade_cell("why_answer", "svm", "a1", max_score=1, cell_type="markdown")
        gb.add_student("sam")
        gb.add_student("kim")
        with gb.db.no_autoflush:     # else SQLAlchemy warns (nbgrader's own habit)
            submission = gb.add_submission("a1", "sam")
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = grade.max_score
        gb.db.commit()
    return course


def _scores(course, sid):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gb:
        sub = gb.find_submission("a1", sid)
        return ({(nb.name, g.name): g.auto_score for nb in sub.notebooks for g in nb.grades},
                sub.code_score)


def test_zero_autograded_resets_an_earlier_run(gradebook_course):
    """Does zero_autograded set every autograded cell to 0 in a real gradebook,
    leave the free-text answer to a person, and create a missing submission?"""
    from cs231n.grading import pipeline
    course = gradebook_course
    assert _scores(course, "sam")[1] == 4
    pipeline.zero_autograded(course, "a1", "sam")
    scores, code_score = _scores(course, "sam")
    assert code_score == 0
    assert scores == {("svm", "test_svm"): 0, ("softmax", "test_softmax"): 0,
                      ("svm", "why_answer"): 1}
    pipeline.zero_autograded(course, "a1", "kim")
    scores, code_score = _scores(course, "kim")
    assert code_score == 0 and scores[("svm", "test_svm")] == 0


def test_a_grader_error_zeroes_the_student_everywhere(gradebook_course):
    """When grading a student fails in the grader, do the result's rows, its
    score and the gradebook (what grades.csv exports) all say 0, with the
    error as reason, and are the earlier run's autograded notebooks and
    feedback gone?"""
    from cs231n.grading import pipeline
    course = gradebook_course
    for folder in (course.autograded("sam", "a1"), course.feedback("sam", "a1")):
        folder.mkdir(parents=True)
        (folder / "svm.ipynb").write_text("{}")
    result = pipeline.grader_error(course, "a1", "sam", "grader error: RuntimeError: boom")
    assert result.status == "failed" and result.why == "grader error: RuntimeError: boom"
    rows = {(c["notebook"], c["cell"]): c for c in result.cells}
    assert set(rows) == {("svm.ipynb", "test_svm"), ("softmax.ipynb", "test_softmax"),
                         ("svm.ipynb", "why_answer")}
    for key in [("svm.ipynb", "test_svm"), ("softmax.ipynb", "test_softmax")]:
        assert rows[key]["points"] == 0 and "boom" in rows[key]["reason"]
        assert any(key[1] in reason and "boom" in reason for reason in result.reasons)
    assert rows[("svm.ipynb", "why_answer")]["points"] is None
    assert (result.score, result.max_score, result.pending) == (0, 5, 1)
    assert _scores(course, "sam")[1] == result.score
    assert not course.autograded("sam", "a1").exists()
    assert not course.feedback("sam", "a1").exists()


def test_an_outcome_is_written_as_nbgrader_writes_it(gradebook_course):
    """Does apply_outcome write a worker's rows into the course's gradebook as
    nbgrader's autograde would (auto scores, time of submission), keep a
    person's manual score and mark that cell for review, create the
    submission of a student who had none, replace the autograded notebooks
    and remove the earlier feedback?"""
    from datetime import datetime

    from nbgrader.api import Gradebook

    from cs231n.grading import pipeline, task
    course = gradebook_course
    with Gradebook(course.db_url) as gb:
        gb.find_grade("why_answer", "svm", "a1", "sam").manual_score = 1
        gb.db.commit()
    for folder, name in [(course.autograded("sam", "a1"), "stale.ipynb"),
                         (course.feedback("sam", "a1"), "svm.html")]:
        folder.mkdir(parents=True)
        (folder / name).write_text("{}")
    when = datetime(2026, 12, 1, 12, 0)
    rows = {"timestamp": when, "notebooks": {
        "svm": {"penalty": 0.0, "grades": {"test_svm": (0.0, False), "why_answer": (None, True)},
                "comments": {}},
        "softmax": {"penalty": 0.0, "grades": {"test_softmax": (2.0, False)}, "comments": {}}}}
    outcome = task.Outcome(pipeline.StudentResult("sam"),
                           {"svm.ipynb": b"{}", "timestamp.txt": b"2026-12-01 12:00:00"}, rows)
    task.apply_outcome(course, "a1", outcome)
    scores, code_score = _scores(course, "sam")
    assert scores == {("svm", "test_svm"): 0, ("softmax", "test_softmax"): 2,
                      ("svm", "why_answer"): None}
    assert code_score == 2
    with Gradebook(course.db_url) as gb:
        assert gb.find_submission("a1", "sam").timestamp == when
        why = gb.find_grade("why_answer", "svm", "a1", "sam")
        assert why.manual_score == 1 and why.needs_manual_grade
        assert not gb.find_grade("test_svm", "svm", "a1", "sam").needs_manual_grade
    assert sorted(p.name for p in course.autograded("sam", "a1").iterdir()) == \
        ["svm.ipynb", "timestamp.txt"]
    assert not course.feedback("sam", "a1").exists()
    task.apply_outcome(course, "a1", task.Outcome(pipeline.StudentResult("kim"), {}, rows))
    assert _scores(course, "kim")[1] == 2
    with pytest.raises(ValueError, match="plain name"):
        task.apply_outcome(course, "a1", task.Outcome(pipeline.StudentResult("kim"),
                                                      {"../x.ipynb": b"{}"}, rows))
    assert _scores(course, "kim")[1] == 2          # a refused outcome changes nothing


@pytest.mark.parametrize("failures", [1, 2])
def test_a_sandbox_that_failed_is_tried_once_more(gradebook_course, monkeypatch, failures):
    """When the machine refuses a sandbox (SandboxFailed), is the student
    graded once more, and only once, before the error goes up (to the
    instructor's process, which makes it a grader error)?"""
    from cs231n.grading import integrity, pipeline
    calls = []

    def flaky(course, aid, sid, *args, **kwargs):
        calls.append(sid)
        if len(calls) <= failures:
            raise integrity.SandboxFailed("bwrap: Can't fork")
        return pipeline.StudentResult(sid)
    monkeypatch.setattr(pipeline, "_grade_staged", flaky)
    monkeypatch.setattr(pipeline, "SANDBOX_RETRY_PAUSE", 0)

    def grade():
        return pipeline.grade_staged(gradebook_course, "a1", "sam", None, None,
                                     kernel_dir=None, autograder=None)
    if failures == 1:
        assert grade().status == "graded"
    else:
        with pytest.raises(integrity.SandboxFailed, match="Can't fork"):
            grade()
    assert calls == ["sam", "sam"]


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class _FakeAutograder:
    """Plays nbgrader runs: ``script`` maps a notebook id (None: the whole
    submission) to (Answer, seconds it would take); the clock advances by
    the time a run takes, a run past its timeout is cut as the real one is,
    and a successful run writes its notebooks."""

    def __init__(self, folder, clock, script):
        self.folder, self.clock, self.script, self.calls = folder, clock, script, []

    def autograde(self, aid, sid, *, env, notebook=None, timeout, cell_timeout=None):
        from cs231n.grading.pipeline import Answer
        self.calls.append((notebook, timeout))
        answer, seconds = self.script[notebook]
        self.clock.now += min(seconds, timeout)
        if seconds > timeout:
            return Answer(None, f"timed out after {timeout:g} s", answer.running, {})
        if answer.code == 0:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name in [f"{notebook}.ipynb"] if notebook else ["svm.ipynb", "softmax.ipynb"]:
                (self.folder / name).write_text("{}")
        return answer


def _autograde(tmp_path, monkeypatch, script, budget):
    import types
    from cs231n.grading import pipeline
    clock = _Clock()
    monkeypatch.setattr(pipeline, "time", types.SimpleNamespace(monotonic=clock))
    course = pipeline.Course(tmp_path)
    fake = _FakeAutograder(course.autograded("sam", "a1"), clock, script)
    result = pipeline.StudentResult("sam")
    ran = pipeline._autograde(course, "a1", "sam", env={}, result=result, autograder=fake,
                              notebooks=["softmax.ipynb", "svm.ipynb"],
                              deadline=clock.now + budget)
    return ran, result, fake.calls


def test_a_notebook_that_timed_out_is_never_run_again(tmp_path, monkeypatch):
    """After the whole run timed out in svm.ipynb (as the autograder process
    told), is only softmax.ipynb run again, within the time left?"""
    from cs231n.grading.pipeline import AUTOGRADE_TIMEOUT, Answer
    script = {None: (Answer(None, "", "svm.ipynb", {}), 10_000),
              "softmax": (Answer(0, "", None, {}), 5),
              "svm": (Answer(0, "", None, {}), 5)}
    ran, result, calls = _autograde(tmp_path, monkeypatch, script, budget=1200)
    assert calls == [(None, AUTOGRADE_TIMEOUT), ("softmax", 1200 - AUTOGRADE_TIMEOUT)]
    assert ran == {"softmax.ipynb"}
    assert result.status == "failed" and "svm.ipynb: timed out" in result.why
    assert "timed-out" in result.flags


def test_no_run_goes_past_the_student_budget(tmp_path, monkeypatch):
    """When the whole run times out between notebooks and the first notebook
    run alone hangs too, does no run go past the budget, and is the notebook
    left without time named?"""
    from cs231n.grading.pipeline import Answer
    script = {None: (Answer(None, "", None, {}), 10_000),
              "softmax": (Answer(None, "", None, {}), 10_000),
              "svm": (Answer(0, "", None, {}), 5)}
    ran, result, calls = _autograde(tmp_path, monkeypatch, script, budget=1000)
    assert [c[0] for c in calls] == [None, "softmax"]
    assert sum(timeout for _, timeout in calls) <= 1000
    assert ran == set() and result.status == "failed"
    assert "svm.ipynb: not graded: the student's time budget was spent" in result.why


def test_without_word_from_the_process_the_log_names_the_failed_notebook(
        tmp_path, monkeypatch):
    """When nbgrader failed outside a notebook's execution, is the notebook its
    log names last the one not run again?"""
    from cs231n.grading.pipeline import Answer
    log = ("[AutogradeApp | INFO] Sanitizing /c/.grading/submitted/sam/a1/svm.ipynb\n"
           "[AutogradeApp | ERROR] KeyError: 'grade_id'\n")
    script = {None: (Answer(1, log, None, {}), 5), "softmax": (Answer(0, "", None, {}), 5)}
    ran, result, calls = _autograde(tmp_path, monkeypatch, script, budget=1000)
    assert [c[0] for c in calls] == [None, "softmax"]
    assert ran == {"softmax.ipynb"}
    assert result.why.startswith("svm.ipynb: ") and "KeyError" in result.why
    assert "timed-out" not in result.flags


def test_no_autograde_once_the_budget_is_spent(tmp_path, monkeypatch):
    """Is nothing run when no time is left, with the reason?"""
    ran, result, calls = _autograde(tmp_path, monkeypatch, {}, budget=0)
    assert calls == [] and ran == set()
    assert result.status == "failed" and "time budget was spent" in result.why


def test_cut_output_is_flagged(tmp_path, monkeypatch):
    """Is a notebook whose output the autograder cut flagged with the bytes
    dropped?"""
    from cs231n.grading.pipeline import Answer
    script = {None: (Answer(0, "", None, {"svm.ipynb": 123456}), 5)}
    ran, result, _ = _autograde(tmp_path, monkeypatch, script, budget=1000)
    assert ran == {"svm.ipynb", "softmax.ipynb"} and result.status == "graded"
    assert result.flags == ["output-truncated"]
    assert "svm.ipynb" in result.reasons[0] and "123456 bytes" in result.reasons[0]


def test_the_autograder_process_names_the_notebook_that_hung(tmp_path):
    """Does Autograder read the lines the process writes before its answer (all
    arriving at once too), ask for the staged submissions, and, when it must
    kill the process, say which notebook was executing?"""
    import subprocess
    from cs231n.grading import pipeline
    course = pipeline.Course(tmp_path)
    (tmp_path / "connections").mkdir()
    autograder = pipeline.Autograder(course, tmp_path / "connections")
    requests = tmp_path / "requests.jsonl"
    script = (
        "import json, sys, time\n"
        "def say(**m):\n    print(json.dumps(m), flush=False)\n"
        "for n, line in enumerate(sys.stdin):\n"
        f"    open({str(requests)!r}, 'a').write(line)\n"
        "    say(running='softmax.ipynb', dropped=0)\n"
        "    say(finished='softmax.ipynb', dropped=7)\n"
        "    if n == 0:\n"
        "        say(success=True, log='graded', error='')\n"
        "    else:\n"
        "        say(running='svm.ipynb', dropped=0)\n"
        "    sys.stdout.flush()\n"
        "    if n > 0:\n        time.sleep(60)\n")
    autograder.proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, start_new_session=True)
    try:
        done = autograder.autograde("a1", "sam", env={}, timeout=30)
        assert done.code == 0 and done.log.startswith("graded")
        assert (done.running, done.truncated) == (None, {"softmax.ipynb": 7})
        hung = autograder.autograde("a1", "sam", env={}, timeout=2)
        assert hung.code is None and hung.log == "timed out after 2 s"
        assert (hung.running, hung.truncated) == ("svm.ipynb", {"softmax.ipynb": 7})
        assert autograder.proc is None
    finally:
        autograder.close()
    sent = [json.loads(line) for line in requests.read_text().splitlines()]
    assert [r["submitted_directory"] for r in sent] == [".grading/submitted"] * 2


def test_integrity_stops_when_the_budget_is_spent(judge):
    """Past the deadline, does every graded function get the budget's reason
    (and no worker is started)?"""
    import time
    graded = _by_name("svm_loss_naive", "l2_penalty")
    nb = {"cells": [_answer("def svm_loss_naive(W, X, y, reg):\n    return 0.0, W\n", "a"),
                    _answer("def l2_penalty(W, reg):\n    return 0.0\n", "b")]}
    start = time.monotonic()
    results = integrity.check_notebook(judge, graded, nb, watch=WATCH,
                                       deadline=time.monotonic() - 1)
    assert time.monotonic() - start < 5
    for r in results:
        assert not r.passed and r.reason == integrity.NOT_CHECKED and r.flags == ["timed-out"]


# ------------------------------------------------------------- output limit

def _message(kind, **content):
    return {"msg_type": kind, "header": {"msg_type": kind},
            "parent_header": {"msg_id": "m"}, "content": content}


def _capped(limit):
    from cs231n.grading.preprocessors import CappedExecute
    execute = CappedExecute(max_output_bytes=limit)
    execute.reset_limit()
    execute.clear_before_next_output = False   # nbclient sets it before each cell
    return execute


def test_output_past_the_limit_is_dropped_but_what_grades_stays():
    """Past the limit, are printed text and displays dropped, while a cell's
    first stderr stream, its error and its result stay (cut short), so that
    nbgrader grades the test cell as it would have, and does the cell end
    with a line saying how much was dropped?"""
    from nbformat.v4 import new_code_cell
    from nbgrader.utils import determine_grade
    execute = _capped(5000)
    outs = []
    for _ in range(1000):
        execute.output(outs, _message("stream", name="stdout", text="x" * 100), None, 0)
    execute.output(outs, _message("display_data", data={"text/plain": "y" * 100},
                                  metadata={}), None, 0)
    execute.output(outs, _message("stream", name="stderr", text="w" * 100_000), None, 0)
    execute.output(outs, _message("stream", name="stderr", text="w" * 10), None, 0)
    execute.output(outs, _message("error", ename="ValueError", evalue="v" * 100_000,
                                  traceback=["t" * 100_000]), None, 0)
    execute.output(outs, _message("execute_result", data={"text/plain": "0.5",
                                                          "image/png": "p" * 100_000},
                                  metadata={}, execution_count=1), None, 0)
    kinds = [o.output_type if o.output_type != "stream" else o.name for o in outs]
    assert kinds.count("stdout") <= 5000 // 100 and "display_data" not in kinds
    assert kinds[-3:] == ["stderr", "error", "execute_result"]
    assert sum(len(str(o)) for o in outs) < 5000 + 4 * 1200
    assert outs[-2].ename == "ValueError" and outs[-1].data == {"text/plain": "0.5"}
    assert execute.dropped > 1000 * 100 + 300_000 - 5000

    cell = new_code_cell("checks.check()", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "t", "points": 2}})
    cell.outputs = outs
    execute.on_cell_executed(cell=cell, cell_index=0,
                             execute_reply={"content": {"status": "ok"}})
    assert determine_grade(cell) == (0, 2)       # the stderr stream still fails it
    assert cell.outputs[-1].name == "stdout" and "dropped" in cell.outputs[-1].text


def test_success_lines_of_the_checks_outlive_the_limit():
    """Past the limit, do the checks' success lines of a later test cell stay
    (the grader reads them, bypass.py), while the text around them goes?"""
    from cs231n.grading import bypass
    execute = _capped(5000)
    outs = []
    execute.output(outs, _message("stream", name="stdout", text="x" * 10_000), None, 0)
    line = "\u2713 svm_loss_naive: all 12 checks passed"
    execute.output(outs, _message("stream", name="stdout",
                                  text="noise\n" * 1000 + line + "\nmore noise\n"), None, 1)
    later = [o for o in outs if o.name == "stdout" and line in o.text]
    assert len(later) == 1 and later[0].text == line + "\n"
    assert "noise" not in later[0].text
    from nbformat.v4 import new_code_cell
    cell = new_code_cell("checks.check_svm_loss(svm_loss_naive)")
    cell.outputs = later
    assert bypass.SUCCESS_LINE.search(bypass.stdout_of(cell))


def test_a_flood_of_tiny_outputs_meets_the_limit():
    """Does a flood of empty outputs (each costs memory all the same) stop
    being kept at the limit?"""
    from cs231n.grading.preprocessors import OUTPUT_OVERHEAD
    execute = _capped(100_000)
    outs = []
    for _ in range(10_000):
        execute.output(outs, _message("display_data", data={}, metadata={}), None, 0)
    assert len(outs) <= 100_000 // OUTPUT_OVERHEAD
    assert execute.dropped > 0


@pytest.mark.slow
def test_output_limit_in_a_real_kernel(tmp_path):
    """Run through a python3 kernel (no sandbox), does a notebook that prints
    2 MB keep only the limit's worth, tell when it runs and finishes, and
    keep its failing test cell failing?"""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from nbgrader.utils import determine_grade
    from cs231n.grading.preprocessors import CappedExecute
    told = []
    execute = CappedExecute(max_output_bytes=20_000, kernel_name="python3", timeout=60,
                            on_notebook=lambda *a: told.append(a))
    test = new_code_cell("import sys\nsys.stderr.write('bad\\n')\nraise AssertionError('x')",
                         metadata={"nbgrader": {"grade": True, "solution": False,
                                                "grade_id": "t", "points": 1}})
    nb = new_notebook(cells=[
        new_code_cell("for i in range(2000):\n    print('x' * 1000, flush=True)"),
        test, new_code_cell("6 * 7")])
    nb, _ = execute.preprocess(nb, {"nbgrader": {"notebook": "flood"},
                                    "metadata": {"path": str(tmp_path)}})
    size = len(nbformat.writes(nb))
    assert size < 20_000 + 10_000, size
    assert told[0] == ("running", "flood.ipynb", 0)
    assert told[-1][:2] == ("finished", "flood.ipynb") and told[-1][2] > 1_900_000
    assert "dropped" in nb.cells[0].outputs[-1].text
    assert determine_grade(nb.cells[1]) == (0, 1)
    assert nb.cells[2].outputs[-1].data["text/plain"] == "42"


# ------------------------------ values the notebook sets, and bypassed checks

@pytest.mark.parametrize("spec", [
    ["|O8", [1], 0], ["|V8", [1], 0], ["<f8", [-1], 0], ["<f8", [2], 0],
    ["<f8", [1.5], 0], ["<f8", [1], -8], ["<f8", [1], 8], "<f8", ["<f8", [1]],
])
def test_protocol_rejects_malformed_arrays(spec):
    """Is an array of an object, void or unknown dtype, a bad shape, or bytes
    outside the payload a ProtocolError?"""
    header = json.dumps({"__array__": spec}).encode()
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(header, bytes(8))


def test_protocol_rejects_unused_payload_bytes():
    """Is a payload longer than its arrays (smuggled bytes) refused?"""
    header, payload = protocol.encode([np.arange(3.0)])
    protocol.decode(header, payload)
    with pytest.raises(protocol.ProtocolError, match="no array uses"):
        protocol.decode(header, payload + b"x")


def test_protocol_arrays_are_writable_copies():
    """Are decoded arrays writable and independent of the message's bytes?"""
    header, payload = protocol.encode({"a": np.arange(4, dtype=np.int32).reshape(2, 2)})
    a = protocol.decode(header, payload)["a"]
    a[0, 0] = 7
    assert a.dtype == np.int32 and a.shape == (2, 2) and a.flags.writeable
    assert protocol.decode(header, payload)["a"][0, 0] == 0


def test_judge_measures_values_first_and_loads_given_code():
    """Does the judge list the values the grader measures before the graded
    functions (a fresh worker each), and load the instructor's given network
    that a3's measurement trains?"""
    judge = integrity.Judge.for_assignment(
        "a3_optimization", ROOT / "solutions" / "a3_optimization", seed=1)
    assert judge.graded[0] is optimization.RECOMPUTED[0]
    assert judge.graded[1:] == optimization.GRADED
    net = judge.trusted[("a2_layers.py", "TwoLayerNet")]
    assert set(net(4, 3, 2, rng=np.random.default_rng(0)).params) == {"W1", "b1", "W2", "b2"}


def test_a_value_without_its_functions_is_named(judge):
    """Is a value whose functions no cell defines a failure that names them?"""
    result = integrity.check_function(judge, linear.RECOMPUTED[0], {"cells": []})
    assert not result.passed and result.bounds_notebook
    assert "LinearClassifier, svm_loss_vectorized are not defined" in result.reason


def _svm_notebook(loss, classifier):
    """svm.ipynb's two answer cells the search uses, filled with variants."""
    return {"cells": [_answer(cell_code(_dependencies(loss), "svm_loss_vectorized"), "svm"),
                      _answer(cell_code(_dependencies(classifier), "LinearClassifier"),
                              "linear_classifier")]}


@pytest.mark.slow
@pytest.mark.parametrize("loss, classifier, reaches", [
    (variants.svm_masked_mean, variants.ClassifierNoReplacement, True),
    (variants.svm_grad_wrong_sign, variants.ClassifierRight, False),
    (variants.svm_vectorised, variants.ClassifierUphill, False),
], ids=["right", "wrong-sign-loss", "uphill-classifier"])
def test_best_val_is_measured_with_the_students_functions(judge, loss, classifier, reaches):
    """Does the grader run svm.ipynb's search with the student's classifier
    given the student's own loss (both in the worker), reach 0.90 with right
    ones written differently, and fail a loss or a classifier that climbs?"""
    result = integrity.check_function(judge, linear.RECOMPUTED[0],
                                      _svm_notebook(loss, classifier))
    assert result.passed == reaches, result.reason
    assert result.bounds_notebook and result.value is not None
    assert (result.value >= 0.9) == reaches


@pytest.mark.slow
def test_a_loss_given_to_the_classifier_finds_its_helper(judge):
    """When the student's loss (called by their classifier, not by the
    grader) needs a helper from another answer cell, is it found?"""
    helper = inspect.getsource(variants.svm_vectorised).replace("svm_vectorised", "_helper")
    nb = {"cells": [
        _answer(helper, "helper"),
        _answer("def svm_loss_vectorized(W, X, y, reg):\n    return _helper(W, X, y, reg)\n",
                "svm"),
        _answer(cell_code([variants.ClassifierRight], "LinearClassifier"), "classifier")]}
    result = integrity.check_function(judge, linear.RECOMPUTED[0], nb)
    assert result.passed, result.reason


def test_a_builtin_error_from_the_worker_is_caught_as_in_the_kernel():
    """Is a ValueError (KeyError, ...) raised by student code in the worker an
    instance of ValueError in the grader, as the check that expects it for a
    bad argument sees it in the kernel, while another kind stays a RemoteError
    only and NotImplementedError stays itself?"""
    for kind, cls in (("ValueError", ValueError), ("KeyError", KeyError),
                      ("ZeroDivisionError", ArithmeticError)):
        e = integrity._remote_exception({"type": kind, "message": "low must be > 0",
                                         "where": "<cell f>, line 3"})
        assert isinstance(e, cls) and isinstance(e, integrity.RemoteError)
        assert type(e).__name__ == kind and "low must be > 0" in str(e)
    other = integrity._remote_exception({"type": "SystemExit", "message": ""})
    assert isinstance(other, integrity.RemoteError) and not isinstance(other, SystemExit)
    assert type(integrity._remote_exception({"type": "NotImplementedError"})) \
        is NotImplementedError


@pytest.mark.slow
def test_an_answer_finds_the_modules_its_setup_cell_imports(judge):
    """When an answer uses a module that a setup cell (no answer cell: no
    nbgrader metadata, with a magic) imports, does it pass the integrity pass,
    while a module no cell imports is still a NameError, and an import that
    fails does not stop the ones after it?"""
    body = ("def l2_penalty(W, reg):\n"
            "    return 0.5 * reg * float(fsum(w * w for w in W.ravel())), {mod}.copy(reg * W)\n")
    setup = {"cell_type": "code", "metadata": {},
             "source": "%matplotlib inline\nimport no_such_module\nimport copy as cp\n"
                       "from math import fsum\n"}
    graded = _by_name("l2_penalty")[0]
    found = integrity.check_function(
        judge, graded, {"cells": [setup, _answer(body.format(mod="cp"), "l2")]})
    assert found.passed, found.reason
    missing = integrity.check_function(
        judge, graded, {"cells": [setup, _answer(body.format(mod="shutil"), "l2")]})
    assert not missing.passed and "shutil" in missing.reason


@pytest.mark.slow
def test_the_solver_drives_the_students_network_in_the_worker():
    """Does the course's Solver, in the grader, train the student's network
    in the worker (its params updated there) to 0.90 on the digits?"""
    judge = integrity.Judge.for_assignment(
        "a2_neural_net", ROOT / "solutions" / "a2_neural_net", seed=1)
    nb = {"cells": [_answer(cell_code(_dependencies(variants_a2.NetLayers),
                                      "TwoLayerNet"), "TwoLayerNet")]}
    result = integrity.check_function(judge, neural_net.RECOMPUTED[0], nb)
    assert result.passed and result.value >= 0.9, result.reason


@pytest.mark.slow
def test_a3_search_runs_the_students_rules_on_the_given_network():
    """Does the grader's search of optimizers.ipynb call the student's rules
    in the worker, and fail when one of them breaks the training?"""
    judge = integrity.Judge.for_assignment(
        "a3_optimization", ROOT / "solutions" / "a3_optimization", seed=1)

    def notebook(**rules):
        return {"cells": [_answer(cell_code(_dependencies(rules.get(k, v[-1])),
                                            k), k)
                          for k, v in variants_a3.BASE.items()]}
    right = integrity.check_function(judge, optimization.RECOMPUTED[0], notebook())
    assert right.passed and right.value >= 0.9, right.reason
    broken = integrity.check_function(
        judge, optimization.RECOMPUTED[0],
        notebook(adam=variants_a3.adam_t_after_correction))
    assert not broken.passed and "adam" in broken.reason


# _combine on a real gradebook: test_svm is a graded function's cell,
# test_softmax a value cell (best_val).

def _executed(course, notebook, cell, printed, extra=()):
    """autograded/sam/a1/<notebook>: one executed test cell and ``extra`` cells."""
    folder = course.autograded("sam", "a1")
    folder.mkdir(parents=True, exist_ok=True)
    source = ("checks.check_at_least(best_val, 0.90, 'accuracy')" if cell == "test_softmax"
              else "checks.check_svm_loss(f)")
    test = {"cell_type": "code", "source": source,
            "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": cell}},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}]}
    (folder / notebook).write_text(json.dumps({"cells": [*extra, test]}))


def _combined(course, nb_scores, verdicts):
    from cs231n.grading import pipeline
    result = pipeline.StudentResult("sam")
    pipeline._combine(result, course, "a1", nb_scores, verdicts)
    return result, {c["cell"]: c for c in result.cells}


def _verdict(cell, passed, value=None, reason="", bounds=False):
    notebook = "softmax.ipynb" if cell == "test_softmax" else "svm.ipynb"
    return integrity.FunctionResult("best_val" if bounds else "f", notebook, cell, passed,
                                    reason=reason, value=value, bounds_notebook=bounds)


CLAIM = "\u2713 accuracy: all 1 checks passed (0.9900 >= 0.9000)\n"
SVM_LINE = "\u2713 f: all 5 checks passed (visible cases)\n"


def test_a_value_the_grader_does_not_confirm_loses_and_is_flagged(gradebook_course):
    """When nbgrader passed best_val but the grader measures less, is the cell
    0, flagged tampered, with both numbers in its reason?"""
    course = gradebook_course
    _executed(course, "softmax.ipynb", "test_softmax", CLAIM)
    _executed(course, "svm.ipynb", "test_svm", SVM_LINE)
    verdicts = {("softmax.ipynb", "test_softmax"): _verdict(
        "test_softmax", False, 0.1133, "best_val: the grader measures 0.1133", bounds=True),
        ("svm.ipynb", "test_svm"): _verdict("test_svm", True)}
    result, rows = _combined(course, {("softmax.ipynb", "test_softmax"): 2.0,
                                      ("svm.ipynb", "test_svm"): 2.0}, verdicts)
    assert rows["test_softmax"]["points"] == 0 and rows["test_svm"]["points"] == 2
    assert "tampered" in result.flags and "check-bypassed" not in result.flags
    assert "0.9900" in rows["test_softmax"]["reason"]
    assert "0.1133" in rows["test_softmax"]["reason"]


@pytest.mark.parametrize("nbgrader, measured, points", [
    (2.0, True, 2.0), (0.0, True, 0.0), (None, True, 0.0), (0.0, False, 0.0)])
def test_a_value_cell_needs_the_notebook_and_the_grader(gradebook_course, nbgrader,
                                                       measured, points):
    """Does a value cell get its points only when nbgrader passed it and the
    grader's measurement confirms it, without a flag when only nbgrader failed?"""
    course = gradebook_course
    _executed(course, "softmax.ipynb", "test_softmax", CLAIM if nbgrader else "")
    scores = {} if nbgrader is None else {("softmax.ipynb", "test_softmax"): nbgrader}
    verdicts = {("softmax.ipynb", "test_softmax"): _verdict(
        "test_softmax", measured, 0.95 if measured else 0.5, bounds=True,
        reason="" if measured else "best_val: the grader measures 0.5000")}
    result, rows = _combined(course, scores, verdicts)
    assert rows["test_softmax"]["points"] == points
    assert "tampered" not in result.flags
    if points < 2:
        assert rows["test_softmax"]["reason"]


def test_a_cell_scored_without_its_check_is_zeroed(gradebook_course):
    """Is a test cell that nbgrader passed but that printed no success line
    0 and flagged check-bypassed, even when the integrity pass passes its
    function, and is the hook that did it reported?"""
    course = gradebook_course
    hook = {"cell_type": "code", "id": "svm-09", "outputs": [],
            "source": "get_ipython().input_transformers_post.append(skip)",
            "metadata": {"nbgrader": {"solution": True, "grade_id": "svm_loss_naive"}}}
    _executed(course, "svm.ipynb", "test_svm", "", extra=[hook])
    _executed(course, "softmax.ipynb", "test_softmax", CLAIM)
    verdicts = {("svm.ipynb", "test_svm"): _verdict("test_svm", True),
                ("softmax.ipynb", "test_softmax"): _verdict("test_softmax", True, 0.95,
                                                            bounds=True)}
    result, rows = _combined(course, {("svm.ipynb", "test_svm"): 2.0,
                                      ("softmax.ipynb", "test_softmax"): 2.0}, verdicts)
    assert rows["test_svm"]["points"] == 0 and rows["test_softmax"]["points"] == 2
    assert "did not run" in rows["test_svm"]["reason"]
    assert {"check-bypassed", "kernel-hooks"} <= set(result.flags)
    assert "tampered" not in result.flags
    assert any("input_transformers_post" in r for r in result.reasons)
    assert _scores(course, "sam")[0][("svm", "test_svm")] == 0


def test_a_value_left_unmeasured_for_lack_of_time_is_no_tampering(gradebook_course):
    """When the student's time budget ran out before the grader measured
    best_val, does the cell lose without a tampered flag?"""
    course = gradebook_course
    _executed(course, "softmax.ipynb", "test_softmax", CLAIM)
    verdicts = {("softmax.ipynb", "test_softmax"): _verdict(
        "test_softmax", False, reason=integrity.NOT_CHECKED, bounds=True)}
    result, rows = _combined(course, {("softmax.ipynb", "test_softmax"): 2.0}, verdicts)
    assert rows["test_softmax"]["points"] == 0
    assert "tampered" not in result.flags
    assert rows["test_softmax"]["reason"] == integrity.NOT_CHECKED


@pytest.mark.parametrize("aid", sorted(registry.assignments()))
def test_every_test_cell_is_verified_outside_the_kernel(aid):
    """Is every autograded test cell of the release either a graded function's
    (the integrity pass) or a value's that the grader measures itself, so that
    no cell's points rest on the student's kernel alone?"""
    from cs231n.grading.samples import autograded_cells
    contract = registry.get(aid)
    covered = {(g.notebook, g.test_cell) for g in contract.graded + contract.recomputed}
    cells = {(nb, gid) for nb, gids in autograded_cells(ROOT / "assignments" / aid).items()
             for gid in gids}
    assert cells == covered


@pytest.mark.slow
def test_a_network_of_parts_is_checked_with_the_students_own_layers():
    """Does the integrity pass run the answer cells of backprop.ipynb before a
    TwoLayerNet built from them, as the student's kernel does: right layers
    pass (also one that uses a name backprop.ipynb's setup cell imported), a
    wrong one fails the network too, no backprop.ipynb fails it?"""
    aid = "a2_neural_net"
    judge = integrity.Judge.for_assignment(aid, ROOT / "solutions" / aid, seed=3)
    contract = registry.get(aid)
    graded = next(g for g in contract.graded if g.name == "TwoLayerNet")
    nb = {"cells": [_answer(cell_code([variants_a2.NetFromParts], "TwoLayerNet"),
                            "TwoLayerNet")]}
    right = _base_before(contract, graded, variants_a2)
    (name, backprop), = right
    wrong = [(name, {"cells": [
        _answer(cell_code([variants_a2.relu_backward_no_mask], "relu_backward"),
                "relu_backward") if c["metadata"]["nbgrader"]["grade_id"] == "relu_backward"
        else c for c in backprop["cells"]]})]
    # A right relu_forward that uses a name backprop.ipynb's setup cell imported.
    setup_import = [(name, {"cells": [
        {"cell_type": "code", "metadata": {},
         "source": "from numpy import maximum as np_maximum\n%matplotlib inline"}] + [
        _answer("def relu_forward(x):\n    return np_maximum(x, 0), x", "relu_forward")
        if c["metadata"]["nbgrader"]["grade_id"] == "relu_forward" else c
        for c in backprop["cells"]]})]
    verdicts = {label: integrity.check_function(judge, graded, nb, watch=WATCH, before=before)
                for label, before in [("right", right), ("wrong", wrong),
                                      ("missing", [(name, None)]),
                                      ("setup-import", setup_import)]}
    assert verdicts["right"].passed, verdicts["right"].reason
    assert verdicts["setup-import"].passed, verdicts["setup-import"].reason
    assert not verdicts["wrong"].passed and "dW1" in verdicts["wrong"].reason
    assert not verdicts["missing"].passed
    assert "affine_forward" in verdicts["missing"].reason


def test_an_earlier_notebook_gives_only_its_definitions():
    """Does the integrity pass take from an earlier notebook what the kernel's
    answers_of takes: its definitions, nothing from a cell that does not parse?"""
    kept = integrity._definitions("def f():\n    return 1\nwhile True:\n    pass\n")
    assert "def f" in kept and "while" not in kept
    assert integrity._definitions("def f(:\n    pass") == ""
    assert integrity._definitions("x = " + "(" * 10000 + ")" * 10000) == ""


def test_a_dict_argument_comes_back_from_the_worker_with_its_plain_entries():
    """Batch norm stores its running averages in bn_param, and a search space
    changed in place is a dict of tuples: the worker sends the dict's plain
    entries back (numbers, strings, numeric arrays, tuples and lists of them;
    not objects such as a Generator) and the grader's own dict gets them."""
    from cs231n.grading import worker
    student_side = {"mode": "train", "momentum": 0.9, "running_mean": np.arange(3.0),
                    "rng": np.random.default_rng(0), 7: "not a str key",
                    "names": np.array(["a"]), "count": np.int64(4),
                    "lr": ("log", 1e-4, 1e-1), "c": ("choice", ["a", "b"]),
                    "mixed": (1.0, np.random.default_rng(0)), "deep": [[[["x"]]]]}
    sent = worker._plain_entries(student_side)
    assert set(sent) == {"mode", "momentum", "running_mean", "count", "lr", "c"}
    assert protocol.decode(*protocol.encode(sent))["lr"] == ("log", 1e-4, 1e-1)
    assert worker._plain_entries([1, 2]) is None and worker._plain_entries(np.ones(2)) is None
    rng = np.random.default_rng(1)
    grader_side, array = {"mode": "train", "rng": rng}, np.zeros(3)
    results = [({"lr": 0.1}, 0.5), ({"lr": 0.01}, 0.9)]
    assert worker._plain(results) and not worker._plain([np.random.default_rng(0)])
    listed = [({"lr": 0.01}, 0.9)]
    integrity._copy_back([results], [listed])
    assert results == listed
    integrity._copy_back([grader_side, array], [sent, np.ones(3)])
    np.testing.assert_array_equal(grader_side["running_mean"], np.arange(3.0))
    assert grader_side["rng"] is rng and grader_side["count"] == 4
    np.testing.assert_array_equal(array, 1.0)
