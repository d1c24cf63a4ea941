"""The integrity pass: each graded function re-checked outside the student's kernel.

For every graded function of a submission a fresh sandboxed process
(``worker``) runs the student's answer cells; the grader runs the function's
check from ``cs231n.checks`` in its own process, on inputs drawn afresh for
this grading run, against the solution's outputs on those inputs.  The check
calls the student's function through a proxy that forwards each call to the
worker and brings back only plain data (numbers and arrays), so nothing the
student's code does in its own process can change the comparison.
"""
import contextlib
import importlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import CheckFailure
from ..checks._core import quiet
from ..notebook import cell_source, load_answers, nbgrader_meta
from . import protocol, sandbox

CALL_TIMEOUT = 30.0        # seconds for one call of the student's function
START_TIMEOUT = 30.0


class WorkerDied(Exception):
    """The process running the student's code stopped answering."""


@dataclass
class FunctionResult:
    """The integrity verdict on one graded function of one submission."""
    name: str
    notebook: str
    test_cell: str
    passed: bool
    reason: str = ""
    flags: list = field(default_factory=list)


# ------------------------------------------------------------- the notebook

def answer_cells(nb):
    """The answer cells of a submitted notebook (dict), in order.

    nbgrader's metadata marks them; a cell whose metadata the student broke
    still counts when it defines a graded name (see ``definition_index``).
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
    """Index of the last code cell that defines ``name`` at top level."""
    pattern = re.compile(rf"^(def|class)\s+{re.escape(name)}\b", re.M)
    found = [i for i, c in enumerate(cells) if pattern.search(c["source"])]
    return found[-1] if found else None


# ------------------------------------------------------------------- proxies

class RemoteError(Exception):
    """An exception raised by the student's code inside the worker."""


def _remote_exception(reply):
    kind, message = reply.get("type", "Exception"), reply.get("message", "")
    if kind == "NotImplementedError":
        return NotImplementedError(message)
    where = f" ({reply['where']})" if reply.get("where") else ""
    return type(str(kind), (RemoteError,), {})(message + where)


class Worker:
    """A sandboxed worker process serving one graded name of one submission."""

    def __init__(self, cells, name, *, workdir, deny, limits=None):
        self.name = name
        workdir = Path(workdir)
        spec = workdir / "cells.json"
        # The defining cell is the last one; the others are context for widen().
        spec.write_text(json.dumps({"cells": cells, "index": len(cells) - 1}))
        self._spec = spec
        self._given = []
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        policy = sandbox.Policy(workdir=workdir, deny=tuple(deny),
                                limits=limits or sandbox.Limits())
        argv = ["-m", "cs231n.grading.worker", "--cells", str(spec), "--name", name,
                "--in", str(to_worker_r), "--out", str(from_worker_w)]
        self.proc = sandbox.start(argv, policy, pass_fds=(to_worker_r, from_worker_w))
        os.close(to_worker_r)
        os.close(from_worker_w)

    def request(self, req, timeout=CALL_TIMEOUT):
        try:
            protocol.send(self._to_worker, req)
            reply = protocol.recv(self._from_worker, deadline=time.monotonic() + timeout)
        except TimeoutError:
            self.close()
            raise WorkerDied(f"{self.name} did not return within {timeout:g} s "
                             "(an endless loop?)") from None
        except (EOFError, BrokenPipeError, OSError):
            result = self.close()
            raise WorkerDied(f"the process running {self.name} ended: "
                             f"{result.describe() if result else 'no details'}") from None
        except protocol.ProtocolError as e:
            self.close()
            raise WorkerDied(f"the process running {self.name} sent garbage: {e}") from None
        if not isinstance(reply, dict):
            self.close()
            raise WorkerDied(f"the process running {self.name} sent garbage")
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

    def encode_args(self, args):
        """Arguments for the wire: trusted helpers become placeholders."""
        from ..checks.linear import _RecordingLoss
        out = []
        for a in args:
            if isinstance(a, _RecordingLoss):
                self._given.append(a)
                out.append({"__given__": "RecordingLoss"})
            else:
                out.append(a)
        return out


def _copy_back(args, returned):
    """Apply the worker's in-place changes to the grader's own arrays."""
    for a, r in zip(args, returned or []):
        if isinstance(a, np.ndarray) and isinstance(r, np.ndarray) and \
                r.shape == a.shape and a.flags.writeable:
            np.copyto(a, r.astype(a.dtype, copy=False))


class RemoteFunction:
    """Calls the student's function in the worker."""

    def __init__(self, worker, name):
        self._worker, self.__name__ = worker, name

    def __call__(self, *args, **kwargs):
        reply = self._worker.request({"op": "call", "args": self._worker.encode_args(args),
                                      "kwargs": kwargs})
        _copy_back(args, reply.get("args"))
        if not reply.get("ok"):
            raise _remote_exception(reply)
        return reply.get("result")


class RemoteClass:
    """Creates instances of the student's class in the worker."""

    WATCH = ["W"]

    def __init__(self, worker, name):
        self._worker, self.__name__ = worker, name
        self._count = 0

    def __call__(self, *args, **kwargs):
        self._count += 1
        obj = RemoteInstance(self._worker, self._count, self.WATCH)
        reply = self._worker.request({"op": "new", "id": obj._id, "watch": self.WATCH,
                                      "args": self._worker.encode_args(args),
                                      "kwargs": kwargs})
        if not reply.get("ok"):
            raise _remote_exception(reply)
        obj._update(reply)
        return obj


class RemoteInstance:
    def __init__(self, worker, ident, watch):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_watch", watch)

    def _update(self, reply):
        state = reply.get("state", {}).get(str(self._id), {})
        for attr in self._watch:
            object.__setattr__(self, attr, state.get(attr))

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            reply = self._worker.request({"op": "method", "id": self._id, "method": method,
                                          "watch": self._watch, "args": list(args),
                                          "kwargs": kwargs})
            _copy_back(args, reply.get("args"))
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

    @classmethod
    def for_assignment(cls, aid, solutions_dir, *, seed=None):
        from ..course import CHECKS
        module = importlib.import_module(CHECKS[aid])
        rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
        cases = module.random_cases(rng)
        solutions, loaded = {}, {}
        for kind, (notebook, name) in module.SOLUTIONS.items():
            if notebook not in loaded:
                loaded[notebook] = load_answers(Path(solutions_dir) / notebook)
            solutions[kind] = loaded[notebook][name]
        ref = module.make_reference(solutions, loss_cases=cases["loss"],
                                    penalty_cases=cases["penalty"])
        return cls(aid, list(module.GRADED), cases, ref)


def check_function(judge, graded, nb, *, deny, limits=None):
    """The integrity verdict on one graded function of a submitted notebook.

    Parameters
    ----------
    judge : Judge
    graded : Graded
        One entry of the assignment's ``GRADED`` list.
    nb : dict or None
        The submitted notebook (None when it is missing or unreadable).
    deny : list of Path
        Paths the student's code may not touch (solutions, gradebook, ...).
    """
    result = FunctionResult(graded.name, graded.notebook, graded.test_cell, passed=False)
    if nb is None:
        result.reason = f"{graded.notebook} is missing or not a readable notebook"
        return result
    cells = answer_cells(nb)
    index = definition_index(cells, graded.name)
    if index is None:
        result.reason = f"{graded.name} is not defined in any code cell of {graded.notebook}"
        return result
    # The worker sees the answer cells and the defining cell (last in the list).
    order = [c for i, c in enumerate(cells) if c["answer"] and i < index] + [cells[index]]
    with tempfile.TemporaryDirectory(prefix="cs231n-integrity-") as tmp:
        worker = Worker(order, graded.name, workdir=tmp, deny=deny, limits=limits)
        proxy_type = RemoteClass if graded.kind == "classifier" else RemoteFunction
        proxy = proxy_type(worker, graded.name)
        try:
            with quiet():  # redirect_stdout would race between the grader's threads
                graded.check(proxy, cases=judge.cases, reference=judge.reference)
            result.passed = True
        except NotImplementedError:
            result.reason = f"{graded.name} is not implemented (raises NotImplementedError)"
        except CheckFailure as e:
            cause = e.__cause__
            result.reason = str(cause) if isinstance(cause, WorkerDied) else str(e)
            if type(cause).__name__ == "MemoryError":
                result.flags.append("memory-limit")
        except WorkerDied as e:
            result.reason = str(e)
        except Exception as e:  # never let one submission stop the grading
            result.reason = f"could not be checked: {type(e).__name__}: {e}"
        finally:
            run = worker.close()
        if run is not None:
            result.flags += run.flags()
            if not result.passed and run.describe_violations():
                result.reason += f" [{run.describe_violations()}]"
    return result
