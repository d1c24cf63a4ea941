"""The integrity pass: each graded function re-checked outside the student's kernel.

For every graded function of a submission a fresh sandboxed process
(``worker``) runs the student's answer cells; the grader runs the function's
check from ``cs231n.checks`` in its own process, on inputs drawn afresh for
this grading run, against the solution's outputs on those inputs.  The check
calls the student's function through a proxy that forwards each call to the
worker and brings back only plain data (numbers and arrays), so nothing the
student's code does in its own process can change the comparison.

A value the notebook computes and a test cell compares with a threshold
(``best_val``; the check modules' ``RECOMPUTED``) is measured the same way:
the grader runs the notebook's training with the student's functions through
the proxies (one student function may be handed to another, their loss to
their classifier, and stays in the worker) and compares predictions with
labels in its own process.
"""
import contextlib
import functools
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import CheckFailure
from ..checks._core import quiet
from ..notebook import (code_cells, definition_index, definitions, imports_of, load_answers,
                         setup_imports)
from .. import registry
from . import protocol, sandbox, supervise

CALL_TIMEOUT = 30.0        # seconds for one call of the student's function
START_TIMEOUT = 30.0
NOT_CHECKED = "not checked: the student's time budget was spent"


class WorkerDied(Exception):
    """The process running the student's code stopped answering."""


class SandboxFailed(RuntimeError):
    """The sandbox could not start at all (``RunResult.sandbox_failed``): the
    grading of that student stops with a grader error, never a verdict on
    the submission."""


@dataclass
class FunctionResult:
    """The integrity verdict on one graded function of one submission, or on
    a value its notebook computes (``bounds_notebook``: a ``Recomputed``
    entry, whose test cell needs nbgrader's pass as well)."""
    name: str
    notebook: str
    test_cell: str
    passed: bool
    reason: str = ""
    flags: list = field(default_factory=list)
    value: float = None             # the value the grader measured, if any
    bounds_notebook: bool = False


# ------------------------------------------------------------- the notebook

# ------------------------------------------------------------------- proxies

class RemoteError(Exception):
    """An exception raised by the student's code inside the worker."""


# Builtin exceptions a check may expect from student code (``except ValueError``
# for a bad argument): the worker's comes back as an instance of both.
_BUILTIN_ERRORS = {cls.__name__: cls for cls in (
    ValueError, TypeError, KeyError, IndexError, LookupError, ArithmeticError,
    ZeroDivisionError, FloatingPointError, OverflowError, AttributeError, NameError,
    RuntimeError, AssertionError)}


def _remote_exception(reply):
    kind, message = str(reply.get("type", "Exception")), reply.get("message", "")
    if kind == "NotImplementedError":
        return NotImplementedError(message)
    where = f" ({reply['where']})" if reply.get("where") else ""
    bases = (RemoteError,) + ((_BUILTIN_ERRORS[kind],) if kind in _BUILTIN_ERRORS else ())
    return type(kind, bases, {})(message + where)


class Worker:
    """A sandboxed worker process serving the graded names of one notebook."""

    def __init__(self, cells, targets, *, workdir, watch=(), limits=None, deadline=None,
                 helpers=None):
        self.names = sorted(targets)
        self.helpers = dict(helpers or {})   # name -> class of a trusted helper
        self.deadline = deadline          # time.monotonic() past which no call waits
        self._given = []
        self._mirrored = {}    # id -> object, kept alive: the id names it to the worker
        self._seen_violations = 0
        self._truncated = False
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        policy = sandbox.Policy(workdir=workdir, watch=tuple(watch),
                                limits=limits or sandbox.Limits())
        argv = ["-m", "cs231n.grading.worker", "--in", str(to_worker_r),
                "--out", str(from_worker_w)]
        try:
            self.proc = supervise.start(argv, policy, pass_fds=(to_worker_r, from_worker_w))
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        # The student's code goes through the pipe, never through a file another
        # sandbox could read.
        protocol.send(self._to_worker, {
            "cells": cells, "targets": targets,
            "helpers": {name: f"{cls.__module__}:{cls.__qualname__}"
                        for name, cls in self.helpers.items()}})

    def news(self):
        """Violations and output truncation since the last call: ``(violations, truncated)``."""
        violations = self.proc.violations()
        new, self._seen_violations = violations[self._seen_violations:], len(violations)
        truncated = self.proc.output_truncated and not self._truncated
        self._truncated = self.proc.output_truncated
        return new, truncated

    def request(self, req, timeout=CALL_TIMEOUT):
        if self.deadline is not None:
            timeout = max(0.0, min(timeout, self.deadline - time.monotonic()))
        try:
            protocol.send(self._to_worker, req)
            reply = protocol.recv(self._from_worker, deadline=time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            raise WorkerDied(f"{req.get('name') or req.get('method')} did not return within "
                             f"{timeout:g} s (an endless loop?)") from None
        except (EOFError, BrokenPipeError, OSError):
            result = self.close()
            if result is not None and result.sandbox_failed():
                raise SandboxFailed(
                    f"the sandbox could not start the student's code ({result.describe()}): "
                    "a problem of the grading machine, not of the submission; grade again"
                ) from None
            raise WorkerDied(f"the process running {req.get('name') or 'it'} ended: "
                             f"{result.describe() if result else 'no details'}") from None
        except protocol.ProtocolError as e:
            self.close()
            raise WorkerDied(f"the process running the student's code sent garbage: {e}") from None
        if not isinstance(reply, dict):
            self.close()
            raise WorkerDied("the process running the student's code sent garbage")
        for local, remote in zip(self._given, reply.get("given", [])):
            if isinstance(remote, list):
                local.calls = remote
        return reply

    def close(self):
        """Ask the worker to exit, stop it; the sandbox's account of what happened."""
        if self._to_worker >= 0:
            with contextlib.suppress(OSError):  # it may be dead or stuck already
                protocol.send(self._to_worker, {"op": "exit"})
        for fd in (self._to_worker, self._from_worker):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._to_worker = self._from_worker = -1
        return self.proc.stop()

    @property
    def closed(self):
        """Whether the worker was stopped (it died, hung or was closed)."""
        return self._to_worker < 0

    def encode_args(self, args):
        """Arguments for the wire: trusted helpers and the student's own names
        (a proxy of this worker, e.g. the loss given to their classifier)
        become placeholders."""
        out = []
        for a in args:
            helper = next((name for name, cls in self.helpers.items() if isinstance(a, cls)),
                          None)
            if helper is not None:
                self._given.append(a)
                out.append({"__given__": helper})
            elif isinstance(a, (RemoteFunction, RemoteClass)) and a._worker is self:
                out.append({"__target__": a.__name__})
            else:
                out.append(a)
        return out

    def encode_kwargs(self, kwargs):
        return dict(zip(kwargs, self.encode_args(list(kwargs.values()))))

    def encode_mirrored(self, args):
        """The arguments of a method call, with each dict of arrays (a model's
        params) sent as the same object: the worker keeps one dict and one
        array per dict and array of the grader's, so that a change the grader
        makes between two calls, in place or by replacing an entry, reaches
        what the student's object kept of an earlier call (``EarlyStopping``
        keeping the caller's arrays instead of copies is caught)."""
        out = []
        for a in self.encode_args(args):
            if _arrays_dict(a):
                self._mirrored.update((id(o), o) for o in (a, *a.values()))
                out.append({"__same__": [id(a), {k: [id(v), v] for k, v in a.items()}]})
            else:
                out.append(a)
        return out


def _arrays_dict(a):
    return type(a) is dict and bool(a) and all(
        isinstance(k, str) and isinstance(v, np.ndarray) for k, v in a.items())


def _copy_back_mirrored(args, returned):
    """``_copy_back`` for the arguments of ``encode_mirrored``: the entries of
    a mirrored dict are copied into the grader's arrays, which stay the same
    objects (the worker's are the same objects too)."""
    plain = []
    for a, r in zip(args, returned or []):
        if _arrays_dict(a) and type(r) is dict:
            for k, v in r.items():
                mine = a.get(k)
                if (isinstance(mine, np.ndarray) and isinstance(v, np.ndarray)
                        and mine.shape == v.shape and mine.flags.writeable):
                    np.copyto(mine, v.astype(mine.dtype, copy=False))
            plain.append(None)
        else:
            plain.append(r)
    _copy_back(args, plain)


def _copy_back(args, returned):
    """Apply the worker's in-place changes to the grader's own arrays, the
    entries the student's code set in a dict argument (batch norm's bn_param
    with its running averages) to the grader's dict, and a list argument's
    items (a search's results, sorted in place) to the grader's list."""
    for a, r in zip(args, returned or []):
        if isinstance(a, np.ndarray) and isinstance(r, np.ndarray) and \
                r.shape == a.shape and a.flags.writeable:
            np.copyto(a, r.astype(a.dtype, copy=False))
        elif type(a) is dict and type(r) is dict:
            a.update(r)
        elif type(a) is list and type(r) is list:
            a[:] = r


class RemoteFunction:
    """Calls the student's function in the worker."""

    def __init__(self, worker, name):
        self._worker, self.__name__ = worker, name

    def __call__(self, *args, **kwargs):
        w = self._worker
        reply = w.request({"op": "call", "name": self.__name__, "args": w.encode_args(args),
                           "kwargs": w.encode_kwargs(kwargs)})
        _copy_back(args, reply.get("args"))
        if not reply.get("ok"):
            raise _remote_exception(reply)
        return reply.get("result")


class RemoteClass:
    """Creates instances of the student's class in the worker."""

    def __init__(self, worker, name, watch=()):
        self._worker, self.__name__ = worker, name
        self._watch = list(watch)
        self._count = 0

    def __call__(self, *args, **kwargs):
        self._count += 1
        w = self._worker
        obj = _instance_type(self.__name__)(w, f"{self.__name__}#{self._count}", self._watch)
        reply = w.request({"op": "new", "name": self.__name__, "id": obj._id,
                           "watch": self._watch, "args": w.encode_args(args),
                           "kwargs": w.encode_kwargs(kwargs)})
        if not reply.get("ok"):
            raise _remote_exception(reply)
        obj._update(reply)
        return obj


@functools.lru_cache(maxsize=None)
def _instance_type(name):
    """A RemoteInstance class named after the student's class, so that messages
    about an instance (the Solver's: "TwoLayerNet.loss returned ...") name it."""
    return type(name, (RemoteInstance,), {"__module__": __name__})


class RemoteDict(dict):
    """A watched dict attribute of a remote instance; item assignment goes
    to the worker (``net.params["W1"] = W1``)."""

    def __init__(self, instance, attr, items):
        super().__init__(items)
        self._instance, self._attr = instance, attr

    def __setitem__(self, key, value):
        inst = self._instance
        reply = inst._worker.request({"op": "setitem", "id": inst._id, "attr": self._attr,
                                      "key": key, "value": value, "watch": inst._watch})
        inst._update(reply)
        if not reply.get("ok"):
            raise _remote_exception(reply)
        super().__setitem__(key, value)

    def update(self, *args, **kwargs):
        # dict.update would bypass __setitem__ (the Solver updates params so).
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


class RemoteInstance:
    def __init__(self, worker, ident, watch):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_watch", watch)

    def _update(self, reply):
        state = reply.get("state", {}).get(str(self._id), {})
        for attr in self._watch:
            value = state.get(attr)
            if isinstance(value, dict):
                value = RemoteDict(self, attr, value)
            object.__setattr__(self, attr, value)

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            w = self._worker
            reply = w.request({"op": "method", "id": self._id, "method": method,
                               "watch": self._watch, "args": w.encode_mirrored(args),
                               "kwargs": w.encode_kwargs(kwargs)})
            _copy_back_mirrored(args, reply.get("args"))
            self._update(reply)
            if not reply.get("ok"):
                raise _remote_exception(reply)
            return reply.get("result")
        call.__name__ = method
        return call


# ---------------------------------------------------------------- the pass

@dataclass
class Judge:
    """What the grader needs for one assignment: the graded functions, fresh
    cases and the solution's outputs on them (computed here, never shown to
    student code)."""
    assignment: str
    graded: list
    cases: dict
    reference: dict
    trusted: dict = field(default_factory=dict)   # (file, name) -> instructor object
    helpers: dict = field(default_factory=dict)   # name -> class a check gives student code
    given: list = field(default_factory=list)     # (file, source) of the given modules

    @classmethod
    def for_assignment(cls, aid, solutions_dir, *, seed=None):
        """The judge of an assignment: its recomputed values (first: each
        needs a worker that holds nothing yet, or every reply would carry the
        state of the earlier checks' instances) and graded functions."""
        contract = registry.get(aid)
        rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
        cases = contract.random_cases(rng)
        solutions, loaded = {}, {}
        for kind, (notebook, name) in contract.solutions.items():
            if notebook not in loaded:
                loaded[notebook] = load_answers(Path(solutions_dir) / notebook,
                                                uses=contract.uses.get(notebook, ()),
                                                given=contract.given_files)
            solutions[kind] = loaded[notebook][name]
        ref = contract.make_reference(solutions, cases)
        graded = [*contract.recomputed, *contract.graded]
        trusted = {}
        for entry in graded:
            for file, name in getattr(entry, "trusted", ()):
                trusted[(file, name)] = _load_trusted(Path(solutions_dir) / file, name,
                                                      contract.uses.get(file, ()),
                                                      contract.given_files)
        # The instructor's copies: a submission's own a2_layers.py is never run here.
        given = [(f, (Path(solutions_dir) / f).read_text(encoding="utf-8"))
                 for f in contract.given_files]
        return cls(aid, graded, cases, ref, trusted, dict(contract.helpers), given)


def _definitions(source):
    """``notebook.definitions`` of a cell of an earlier notebook; a cell that
    does not parse defines nothing, as ``notebook.answers_of`` skips it."""
    try:
        return definitions(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""


def _load_trusted(path, name, uses=(), given=()):
    """``name`` from the instructor's ``path``: a notebook's answer cells
    (after those of the notebooks it ``uses``) or a given ``.py`` file of the
    assignment (run here, in the grader)."""
    if path.suffix == ".ipynb":
        return load_answers(path, [name], uses=uses, given=given)[name]
    import runpy
    return runpy.run_path(str(path), run_name=f"cs231n_trusted_{path.stem}")[name]


def _needs(graded):
    """The student's names an entry calls (a Graded's name and uses, a
    Recomputed's uses); the test's probes have only name and uses."""
    needs = getattr(graded, "needs", None)
    return tuple(needs) if needs is not None else (graded.name, *getattr(graded, "uses", ()))


def _watched(graded, name):
    """The attributes watched on instances of ``name`` (empty: a function)."""
    watched = getattr(graded, "watched", None)
    if watched is not None:
        return tuple(watched(name))
    return tuple(getattr(graded, "watch", ())) if name == graded.name else ()


def check_function(judge, graded, nb, *, watch=(), limits=None, before=()):
    """The integrity verdict on one graded function of a submitted notebook.

    Parameters
    ----------
    judge : Judge
    graded : Graded
        One entry of the assignment's ``GRADED`` list.
    nb : dict or None
        The submitted notebook (None when it is missing or unreadable).
    watch : list of Path
        Folders (the course) whose use the sandbox reports; they are not in it.
    limits : sandbox.Limits, optional
    before : list of (str, dict or None)
        As for ``check_notebook``.
    """
    return check_notebook(judge, [graded], nb, watch=watch, limits=limits, before=before)[0]


def check_notebook(judge, graded, nb, *, watch=(), limits=None, deadline=None, before=()):
    """The integrity verdicts on the graded functions of one submitted notebook.

    One sandboxed worker serves them in turn (each name in a namespace of its
    own); when a function kills or hangs it, the rest get a fresh worker.
    What the sandbox saw (refusals, truncated output, a crash) is told to the
    function that was being checked.

    Parameters
    ----------
    judge : Judge
    graded : list of Graded
        Entries of the assignment's ``GRADED`` list, all of this notebook.
    nb, watch, limits
        As for ``check_function``.
    deadline : float, optional
        ``time.monotonic()`` after which no further function is checked: the
        rest fail with ``NOT_CHECKED`` (the student's time budget is spent).
    before : list of (str, dict or None)
        The submitted notebooks this one builds on (``Assignment.uses``), by
        name: the definitions of their answer cells run before each graded
        name's own cell, as ``notebook.answers_of`` runs them in the kernel.

    Returns
    -------
    list of FunctionResult, in the order of ``graded``.
    """
    results = [FunctionResult(g.name, g.notebook, g.test_cell, passed=False,
                              bounds_notebook=getattr(g, "bounds_notebook", False))
               for g in graded]
    if nb is None:
        for g, result in zip(graded, results):
            result.reason = f"{g.notebook} is missing or not a readable notebook"
        return results
    # The given modules (instructor code of earlier assignments, which the
    # notebook imports), then the definitions of the earlier notebooks.
    prelude = [{"grade_id": f"given:{file}", "source": source, "answer": True}
               for file, source in judge.given]
    # Each earlier notebook's setup imports come before its definitions: an
    # answer there may use what its setup cell imported.
    for name, earlier in before:
        if earlier is not None:
            prelude += [{"grade_id": f"{name}:imports:{grade_id}", "source": source,
                         "answer": True} for grade_id, source in setup_imports(earlier)]
            prelude += [{"grade_id": f"{name}:{c['grade_id']}",
                         "source": _definitions(c["source"]), "answer": True}
                        for c in code_cells(earlier) if c["answer"]]
    cells = prelude + code_cells(nb)
    targets = {}
    for name in {n for g in graded for n in _needs(g)}:
        index = definition_index(cells, name)
        if index is not None:
            # The answer cells before the definition are context for widen();
            # the earlier notebooks' run first in any case.
            targets[name] = {"index": index,
                             "context": [i for i, c in enumerate(cells)
                                         if c["answer"] and i < index],
                             "prelude": list(range(min(len(prelude), index)))}
    # The imports of the notebook's other code cells (its setup cell's
    # ``import itertools``), at the end of the list so that no definition is
    # looked for there, and first in every target's context: a function that
    # uses such a module finds it when the worker widens its namespace.
    imports = [{"grade_id": f"imports:{c['grade_id']}", "source": imports_of(c["source"]),
                "answer": False, "at": i}
               for i, c in enumerate(cells) if not c["answer"] and i >= len(prelude)]
    imports = [c for c in imports if c["source"]]
    for t in targets.values():
        t["context"] = ([len(cells) + k for k, c in enumerate(imports) if c["at"] < t["index"]]
                        + t["context"])
    cells = cells + imports
    wire_cells = [{"grade_id": c["grade_id"], "source": c["source"]} for c in cells]
    with tempfile.TemporaryDirectory(prefix="cs231n-integrity-") as tmp:
        worker = None
        try:
            for g, result in zip(graded, results):
                if deadline is not None and time.monotonic() >= deadline:
                    result.reason, result.flags = NOT_CHECKED, ["timed-out"]
                    continue
                missing = [n for n in _needs(g) if n not in targets]
                if missing:
                    result.reason = (f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'}"
                                     f" not defined in any code cell of {g.notebook}")
                    continue
                if worker is None:
                    worker = Worker(wire_cells, targets, workdir=tmp, watch=watch,
                                    limits=limits, deadline=deadline, helpers=judge.helpers)
                died = _check_one(judge, g, worker, result)
                violations, truncated = worker.news()
                run = worker.close() if died else None
                _report(result, violations, truncated, run)
                if died:
                    worker = None
        finally:
            if worker is not None:
                run = worker.close()
                # Trouble at exit (a hang, a crash) is told to the last function.
                last = [r for r in results if r.reason or r.passed][-1:]
                for r in last:
                    _report(r, run.violations[worker._seen_violations:], False, run)
    return results


def _check_one(judge, graded, worker, result):
    """Run one graded function's check (or measure a value) through proxies;
    True if the worker died."""
    fns = {}
    for n in _needs(graded):
        watch = _watched(graded, n)
        fns[n] = RemoteClass(worker, n, watch) if watch else RemoteFunction(worker, n)
    # Instructor code a measurement needs (the given network of a3), by name.
    fns.update({name: judge.trusted[(file, name)]
                for file, name in getattr(graded, "trusted", ())})
    try:
        with quiet():  # redirect_stdout would race between the grader's threads
            value = graded.check(fns, cases=judge.cases, reference=judge.reference)
        result.passed = True
        if isinstance(value, (int, float)):
            result.value = float(value)
    except NotImplementedError:
        result.reason = f"{graded.name} is not implemented (raises NotImplementedError)"
    except SandboxFailed:
        raise
    except CheckFailure as e:
        cause = e.__cause__
        if isinstance(cause, SandboxFailed):
            raise cause
        result.value = getattr(e, "value", None)
        if isinstance(cause, WorkerDied):
            result.reason = str(cause)
            return True
        result.reason = str(e)
        if type(cause).__name__ == "MemoryError":
            result.flags.append("memory-limit")
        if worker.closed:
            # A measurement may go on after one of its runs killed the worker
            # (the next run fails at once); the next entry needs a new one.
            return True
    except WorkerDied as e:
        result.reason = str(e)
        return True
    except Exception as e:  # never let one submission stop the grading
        result.reason = f"could not be checked: {type(e).__name__}: {e}"
        return True
    return False


def _report(result, violations, truncated, run):
    """Add what the sandbox saw to a function's result."""
    flags = [f for f in (run.flags() if run is not None else [])
             if f not in ("sandbox-violation", "output-truncated")]
    if violations:
        flags.append("sandbox-violation")
    if truncated or (run is not None and run.output_truncated):
        flags.append("output-truncated")
    result.flags += [f for f in flags if f not in result.flags]
    if violations and not result.passed:
        text = sandbox.describe_violations(violations)
        result.reason += f" [{text}]"
