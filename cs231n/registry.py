"""The course's assignments, each declared by its own check module.

An assignment is a plug-in: its check module in ``cs231n/checks/`` (a module
whose name does not start with ``_``) ends with one ``contract.Assignment``,
bound to the name ``ASSIGNMENT``.  That object is all the rest of the
package knows of it: the command line, the grader, the given code of later
assignments and the tests find assignments here, never by their ids.

Adding an assignment means writing its solution notebooks
(``solutions/<id>/``), its check module (with ``ASSIGNMENT``) and its
sample corpus (``tests/variants/<id>.py``); nothing else.
"""
import importlib
import pkgutil

from .contract import Assignment, GradingLimits, Given

__all__ = ["Assignment", "GradingLimits", "Given", "assignments", "get", "UnknownAssignment"]


class UnknownAssignment(LookupError):
    """No check module declares this assignment."""


_FOUND = None


def assignments():
    """id -> Assignment of every check module of ``cs231n.checks``, sorted by id."""
    global _FOUND
    if _FOUND is None:
        from . import checks
        found = {}
        for info in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            name = f"{checks.__name__}.{info.name}"
            contract = getattr(importlib.import_module(name), "ASSIGNMENT", None)
            if not isinstance(contract, Assignment):
                continue
            if contract.id in found:
                raise ValueError(f"two check modules declare {contract.id}: "
                                 f"{found[contract.id].module} and {name}")
            object.__setattr__(contract, "module", name)
            found[contract.id] = contract
        _FOUND = dict(sorted(found.items()))
    return _FOUND


def get(aid):
    """The Assignment ``aid``; ``UnknownAssignment`` names the known ones."""
    known = assignments()
    if aid not in known:
        raise UnknownAssignment(f"no check module declares assignment {aid!r} "
                                f"(known: {', '.join(known) or 'none'})")
    return known[aid]
