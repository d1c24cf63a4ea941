"""Integrity worker: one graded function of one submission, in a sandbox.

    python -m cs231n.grading.worker --cells CELLS.json --name NAME --in FD --out FD

``CELLS.json`` holds the submission's answer cells (``[{"grade_id", "source"}]``
in notebook order) and the index of the cell that defines ``NAME``.  The
worker runs that cell alone; if a call then needs a name from another answer
cell (a helper the student wrote elsewhere), it runs every answer cell up to
and including it, each on its own, and tries again.  It then serves the
grader's requests (call the function, create an instance, call a method) and
answers with the results, the input arrays as they are after the call (so an
in-place change shows) and the attributes the grader watches.

Nothing here decides a grade: the grader compares in its own process.
"""
import argparse
import json
import sys
import traceback

import numpy as np

from . import protocol

# Trusted helpers a check may pass to student code (they run here, and their
# state is sent back): name -> "module:attribute".
GIVEN = {"RecordingLoss": ("cs231n.checks.linear", "_RecordingLoss")}


def _given(name):
    import importlib
    module, attr = GIVEN[name]
    return getattr(importlib.import_module(module), attr)()


class Target:
    """The student's definitions, loaded the cheap way first."""

    def __init__(self, cells, index, name):
        self.cells, self.index, self.name = cells, index, name
        self.full = False
        self.load_errors = []
        self.ns = self._run([cells[index]] if index is not None else [])
        if name not in self.ns:
            self.widen()

    def _run(self, cells):
        ns = {"np": np, "__name__": "__main__"}
        for cell in cells:
            try:
                exec(compile(cell["source"], f"<cell {cell['grade_id']}>", "exec"), ns)
            except BaseException as e:  # a broken cell must not stop the others
                self.load_errors.append(f"cell {cell['grade_id']}: {type(e).__name__}: {e}")
        return ns

    def widen(self):
        """Run every answer cell up to the target's, once."""
        if self.full:
            return False
        self.full = True
        end = self.index + 1 if self.index is not None else len(self.cells)
        self.load_errors = []
        self.ns = self._run(self.cells[:end])
        return True

    def get(self):
        if self.name not in self.ns:
            detail = "; ".join(self.load_errors) or "no answer cell defines it"
            raise NameError(f"{self.name} is not defined ({detail})")
        return self.ns[self.name]


def _resolve_given(args, given):
    """Replace ``{"__given__": NAME}`` placeholders by fresh trusted helpers."""
    out = []
    for a in args:
        if isinstance(a, dict) and set(a) == {"__given__"} and a["__given__"] in GIVEN:
            obj = _given(a["__given__"])
            given.append(obj)
            out.append(obj)
        else:
            out.append(a)
    return out


def serve(target, fd_in, fd_out):
    objects, given = {}, []
    while True:
        try:
            req = protocol.recv(fd_in)
        except EOFError:
            return
        op = req.get("op")
        if op == "exit":
            return
        try:
            result, args = _handle(target, req, objects, given)
            reply = {"ok": True, "result": result, "args": args}
        except NameError as e:
            # Maybe a helper from another answer cell: widen once and retry.
            if op in ("call", "new") and target.widen():
                try:
                    result, args = _handle(target, req, objects, given)
                    reply = {"ok": True, "result": result, "args": args}
                except BaseException as e2:
                    reply = _error(e2)
            else:
                reply = _error(e)
        except BaseException as e:  # SystemExit and KeyboardInterrupt included
            reply = _error(e)
        watch = req.get("watch", [])
        reply["state"] = {str(k): {a: getattr(o, a, None) for a in watch}
                          for k, o in objects.items()}
        reply["given"] = [getattr(g, "calls", None) for g in given]
        protocol.send(fd_out, reply)


def _handle(target, req, objects, given):
    args = _resolve_given(list(req.get("args", [])), given)
    kwargs = dict(req.get("kwargs", {}))
    op = req["op"]
    if op == "call":
        result = target.get()(*args, **kwargs)
    elif op == "new":
        obj = target.get()(*args, **kwargs)
        objects[req["id"]] = obj
        result = None
    elif op == "method":
        result = getattr(objects[req["id"]], req["method"])(*args, **kwargs)
    else:
        raise ValueError(f"unknown op {op!r}")
    # Arrays as they are after the call: the grader copies them back.
    return result, [a if isinstance(a, np.ndarray) else None for a in args]


def _error(e):
    tb = traceback.extract_tb(e.__traceback__)
    where = next((f"{f.filename}, line {f.lineno}" for f in reversed(tb)
                  if f.filename.startswith("<cell")), "")
    return {"ok": False, "type": type(e).__name__, "message": str(e)[:2000], "where": where}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--in", dest="fd_in", type=int, required=True)
    parser.add_argument("--out", dest="fd_out", type=int, required=True)
    args = parser.parse_args(argv)
    with open(args.cells, encoding="utf-8") as f:
        spec = json.load(f)
    target = Target(spec["cells"], spec.get("index"), args.name)
    serve(target, args.fd_in, args.fd_out)


if __name__ == "__main__":
    sys.exit(main())
