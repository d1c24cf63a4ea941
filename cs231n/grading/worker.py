"""Integrity worker: the graded functions of one submitted notebook, in a sandbox.

    python -m cs231n.grading.worker --in FD --out FD

The first message on ``--in`` is the spec: the notebook's code cells
(``[{"grade_id", "source"}]`` in notebook order, after the answer cells of
the notebooks it builds on), for each graded name the index of the cell that
defines it, the answer cells before it and those of the earlier notebooks
(``{"targets": {name: {"index", "context", "prelude"}}}``), and the trusted
helpers of the assignment a check may pass to student code (``{"helpers":
{name: "module:attribute"}}``).  Each name is loaded on first use, in a
namespace of its own: the worker runs the earlier notebooks' answer cells
and its defining cell; if a call then needs a name
from another answer cell (a helper the student wrote elsewhere), it runs the
answer cells before it and the defining cell, each on its own, and tries
again.  It then serves the grader's requests (call a function, create an
instance, call a method, set an item of a watched attribute) and answers
with the results, the input arrays as they are after the call (so an
in-place change shows) and the attributes the grader watches.

A result the protocol cannot carry (a layer's cache holding an object of
the student's, say) stays here: the grader gets ``{"__ref__": k}`` and may
pass it back as an argument.

Nothing here decides a grade: the grader compares in its own process.
"""
import argparse
import sys
import traceback

import numpy as np

from . import protocol


def _helper(where):
    """A new instance of the trusted helper at ``where`` ("module:attribute")."""
    import importlib
    module, _, attr = where.partition(":")
    return getattr(importlib.import_module(module), attr)()


class Target:
    """One graded name of the student's, loaded the cheap way first."""

    def __init__(self, cells, name, index, context, prelude=()):
        self.cells, self.name, self.index, self.context = cells, name, index, context
        self.full = False
        self.load_errors = []
        # The answer cells of the notebooks this one builds on run first.
        self.ns = self._run([cells[i] for i in prelude]
                            + ([cells[index]] if index is not None else []))
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
        """Run the answer cells before the target's, then its own, once."""
        if self.full:
            return False
        self.full = True
        order = list(self.context) + ([self.index] if self.index is not None else [])
        self.load_errors = []
        self.ns = self._run([self.cells[i] for i in order])
        return True

    def get(self):
        if self.name not in self.ns:
            detail = "; ".join(self.load_errors) or "no answer cell defines it"
            raise NameError(f"{self.name} is not defined ({detail})")
        return self.ns[self.name]


def _widening(target):
    """The target's function, called as the grader would call it: on a
    NameError (a helper from another answer cell) widened once and retried."""
    fn = target.get()
    if isinstance(fn, type):
        return fn

    def call(*args, **kwargs):
        try:
            return target.get()(*args, **kwargs)
        except NameError:
            if not target.widen():
                raise
            return target.get()(*args, **kwargs)
    call.__name__ = getattr(fn, "__name__", target.name)
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


class Session:
    """The state of one worker: loaded names, instances, kept results."""

    def __init__(self, spec):
        self.cells = spec["cells"]
        self.specs = spec["targets"]
        # Trusted helpers a check may pass to student code (they run here, and
        # their state is sent back): name -> "module:attribute", from the
        # assignment's contract, read before any student code runs.
        self.helpers = dict(spec.get("helpers") or {})
        self.targets = {}
        self.objects = {}
        self.given = []
        self.refs = []
        self.same = {}      # the grader's id of a mirrored dict or array -> ours

    def target(self, name):
        if name not in self.targets:
            if name not in self.specs:
                raise NameError(f"{name} is not defined (no code cell defines it)")
            t = self.specs[name]
            self.targets[name] = Target(self.cells, name, t.get("index"), t.get("context", []),
                                        t.get("prelude", []))
        return self.targets[name]

    def resolve(self, x):
        """Arguments from the wire: placeholders become trusted helpers, kept
        results or the student's own graded names (``{"__target__": name}``:
        the grader trains their classifier with their loss)."""
        if isinstance(x, dict) and len(x) == 1:
            (tag, v), = x.items()
            if tag == "__given__" and v in self.helpers:
                obj = _helper(self.helpers[v])
                self.given.append(obj)
                return obj
            if tag == "__ref__" and isinstance(v, int) and 0 <= v < len(self.refs):
                return self.refs[v]
            if tag == "__target__" and isinstance(v, str) and v in self.specs:
                return _widening(self.target(v))
            if tag == "__same__":
                return self.mirror(*v)
        if isinstance(x, list):
            return [self.resolve(v) for v in x]
        if isinstance(x, tuple):
            return tuple(self.resolve(v) for v in x)
        if isinstance(x, dict):
            return {k: self.resolve(v) for k, v in x.items()}
        return x

    def mirror(self, token, items):
        """The dict the grader named ``token``, as it is now: the same dict
        object as in earlier calls, its arrays the same objects where the
        grader's are (their values copied in), new ones where the grader
        replaced an entry.  What the student's code kept of an earlier call
        changes as it would in the grader's process."""
        mine = self.same.get(token)
        if type(mine) is not dict:
            mine = self.same[token] = {}
        entries = {}
        for key, (atoken, value) in items.items():
            array = self.same.get(atoken)
            value = np.asarray(value)
            if (isinstance(array, np.ndarray) and array.shape == value.shape
                    and array.dtype == value.dtype and array.flags.writeable):
                np.copyto(array, value)
            else:
                array = self.same[atoken] = np.array(value)
            entries[key] = array
        mine.clear()
        mine.update(entries)
        return mine

    def export(self, x):
        """A result for the wire: what the protocol cannot carry is kept here."""
        if x is None or isinstance(x, (bool, int, float, str, np.generic)):
            return x
        if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
            return x
        if type(x) in (list, tuple):
            return type(x)(self.export(v) for v in x)
        if type(x) is dict and all(isinstance(k, str) for k in x):
            return {k: self.export(v) for k, v in x.items()}
        self.refs.append(x)
        return {"__ref__": len(self.refs) - 1}


def serve(session, fd_in, fd_out):
    while True:
        try:
            req = protocol.recv(fd_in)
        except EOFError:
            return
        op = req.get("op")
        if op == "exit":
            return
        try:
            result, args = _handle(session, req)
            reply = {"ok": True, "result": session.export(result), "args": args}
        except NameError as e:
            # Maybe a helper from another answer cell: widen once and retry.
            target = session.targets.get(req.get("name"))
            if op in ("call", "new") and target is not None and target.widen():
                try:
                    result, args = _handle(session, req)
                    reply = {"ok": True, "result": session.export(result), "args": args}
                except BaseException as e2:
                    reply = _error(e2)
            else:
                reply = _error(e)
        except BaseException as e:  # SystemExit and KeyboardInterrupt included
            reply = _error(e)
        watch = req.get("watch", [])
        reply["state"] = {str(k): {a: session.export(getattr(o, a, None)) for a in watch}
                          for k, o in session.objects.items()}
        reply["given"] = [getattr(g, "calls", None) for g in session.given]
        protocol.send(fd_out, reply)


def _handle(session, req):
    args = session.resolve(list(req.get("args", [])))
    kwargs = session.resolve(dict(req.get("kwargs", {})))
    op = req["op"]
    if op == "call":
        result = session.target(req["name"]).get()(*args, **kwargs)
    elif op == "new":
        obj = session.target(req["name"]).get()(*args, **kwargs)
        session.objects[req["id"]] = obj
        result = None
    elif op == "method":
        result = getattr(session.objects[req["id"]], req["method"])(*args, **kwargs)
    elif op == "setitem":
        getattr(session.objects[req["id"]], req["attr"])[req["key"]] = \
            session.resolve(req["value"])
        result = None
    else:
        raise ValueError(f"unknown op {op!r}")
    # Arrays as they are after the call, the plain entries of a dict (a
    # layer's param dict: batch norm stores its running averages in
    # bn_param) and a list of plain items (a search's results, sorted in
    # place): the grader copies them back.
    return result, [a if isinstance(a, np.ndarray) else
                    a if type(a) is list and _plain(a) else _plain_entries(a) for a in args]


def _plain_entries(a):
    """The entries of a dict argument that the wire carries as they are
    (numbers, strings, numeric arrays, and tuples, lists and dicts of them),
    or None for anything but a dict."""
    if type(a) is not dict:
        return None
    return {k: v for k, v in a.items() if isinstance(k, str) and _plain(v)}


def _plain(v, depth=0):
    if v is None or isinstance(v, (bool, int, float, str, np.generic)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biuf"
    if type(v) is dict:
        return (depth < 3 and len(v) <= 1000
                and all(isinstance(k, str) and _plain(e, depth + 1) for k, e in v.items()))
    return (type(v) in (tuple, list) and depth < 3 and len(v) <= 1000
            and all(_plain(e, depth + 1) for e in v))


def _error(e):
    tb = traceback.extract_tb(e.__traceback__)
    where = next((f"{f.filename}, line {f.lineno}" for f in reversed(tb)
                  if f.filename.startswith("<cell")), "")
    return {"ok": False, "type": type(e).__name__, "message": str(e)[:2000], "where": where}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--in", dest="fd_in", type=int, required=True)
    parser.add_argument("--out", dest="fd_out", type=int, required=True)
    args = parser.parse_args(argv)
    spec = protocol.recv(args.fd_in)
    serve(Session(spec), args.fd_in, args.fd_out)


if __name__ == "__main__":
    sys.exit(main())
