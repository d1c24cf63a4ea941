"""Building blocks of the checks: calling student code, comparing, explaining."""
import contextlib
import functools
import math
import re
import sys
import threading
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..gradient_check import numeric_grad_array

REFERENCE_DIR = Path(__file__).with_name("reference")


_CHECKS = str(Path(__file__).resolve().parent) + "/"


def _student_frames(tb):
    """A traceback of the frames of ``tb`` that are the student's: none of
    this package's checks, none IPython hides (its own ``run_code``)."""
    kept = []
    while tb is not None:
        frame = tb.tb_frame
        if not (frame.f_code.co_filename.startswith(_CHECKS)
                or frame.f_locals.get("__tracebackhide__")):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for t in reversed(kept):
        out = types.TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def _short_traceback(exc):
    """The traceback IPython shows for ``exc`` (its ``_render_traceback_``):
    the student's cell and functions, and the message, without the frames
    of the checks that called them."""
    from IPython import get_ipython
    cause = exc.__cause__
    if cause is not None:
        cause.__traceback__ = _student_frames(cause.__traceback__)
    tb = _student_frames(exc.__traceback__)
    shell = get_ipython()
    if shell is None:
        import traceback
        return traceback.format_exception(type(exc), exc, tb)
    return shell.InteractiveTB.structured_traceback(type(exc), exc.with_traceback(tb), tb)


class CheckFailure(AssertionError):
    """A graded function gave a wrong answer; the message says what and why.

    In a notebook its traceback ends in the student's cell and the message
    (``_render_traceback_``): the checks' own frames are left out.
    """

    def _render_traceback_(self):
        return _short_traceback(self)


def fail(name, what, *lines):
    """Raise a CheckFailure: ``name: what`` and indented detail lines."""
    body = "\n".join("  " + line for line in lines if line)
    raise CheckFailure(f"{name}: {what}" + (f"\n{body}" if body else ""))


_local = threading.local()


@contextlib.contextmanager
def quiet():
    """No success lines from checks run in this thread (the grader's threads)."""
    before = is_quiet()
    _local.quiet = True
    try:
        yield
    finally:
        _local.quiet = before


def is_quiet():
    """Are the checks of this thread quiet (a grader's thread, or a check run
    inside another)?"""
    return getattr(_local, "quiet", False)


def broken_functions(obj, checks, *, fix=None):
    """A line naming the student's functions that ``obj`` calls and that fail
    their own checks, or "" (none, or not in a kernel).

    Parameters
    ----------
    obj : type or function
        The student's class (a network: what its methods call) or function
        (what its body calls); anything else gives "".
    checks : dict
        name -> ``check(globals)``: raises when the function ``name`` of a
        method's globals is wrong (its visible check, run quietly).
    fix : str, optional
        What to do, e.g. "fix part 1 first"; by default "fix it/them first".
    """
    if isinstance(obj, type):
        functions = [f for klass in obj.__mro__[:-1] for f in vars(klass).values()]
        who = "this network"
    elif isinstance(obj, types.FunctionType):
        functions = [obj]
        who = f"your {obj.__name__}"
    else:
        return ""
    if is_quiet():
        return ""
    seen = {}   # name -> the globals of the first function that calls it
    for f in functions:
        code = getattr(f, "__code__", None)
        if code is None:
            continue
        names, stack = set(), [code]
        while stack:
            c = stack.pop()
            names.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        for name in checks:
            if name in names and callable(f.__globals__.get(name)):
                seen.setdefault(name, f.__globals__)
    broken = []
    for name, found in seen.items():
        try:
            with quiet():
                checks[name](found)
        except Exception:  # CheckFailure, NotImplementedError, a missing forward
            code = getattr(found[name], "__code__", None)
            where = code.co_filename.partition("[")[0] if code else ""
            broken.append(name + (f" (from {where})" if where.endswith(".ipynb") else ""))
    if not broken:
        return ""
    one = len(broken) == 1
    listed = ", ".join(broken[:-1]) + " and " + broken[-1] if not one else broken[0]
    fix = fix or f"fix {'it' if one else 'them'} first"
    return (f"note: {who} calls your {listed}, which "
            f"{'fails its' if one else 'fail their'} own check: {fix}")


# The line every check prints when it passes.  The grader looks for it in the
# outputs of the executed test cells (cs231n.grading.bypass): a test cell that
# scored without printing it did not run its check.
SUCCESS_LINE = re.compile(r"^\u2713 .+: all \d+ checks passed", re.M)
# check_at_least's note, e.g. " (0.9400 >= 0.9000)": the value the notebook had.
_AT_LEAST = re.compile(r"checks passed \((\S+) >= (\S+)\)")


def passed(name, count, note=""):
    """Print the success line of a check (nothing in a ``quiet`` thread).

    Written with ``sys.stdout.write``, not ``print``: an answer cell that
    silences ``builtins.print`` must not hide that the checks after it ran.
    """
    if not getattr(_local, "quiet", False):
        sys.stdout.write(f"\u2713 {name}: all {count} checks passed{note}\n")


def at_least_note(value, minimum):
    """The note of ``check_at_least``'s success line: `` (value >= minimum)``."""
    return f" ({value:.4f} >= {minimum:.4f})"


def claimed_value(output):
    """The value a passing ``check_at_least`` printed in ``output``, or None."""
    found = _AT_LEAST.findall(output or "")
    if not found:
        return None
    try:
        return float(found[-1][0])
    except ValueError:
        return None


def named(fn, default):
    """The name of the student's function or class ``fn`` for the messages of
    its check (``default`` when it has none); a ValueError when ``fn`` is not
    callable (a check called on a value instead of a function)."""
    if not callable(fn):
        what = "class" if default[:1].isupper() else "function"
        raise ValueError(f"{default}: the argument should be your {what} {default}, got "
                         f"{type(fn).__name__}")
    return getattr(fn, "__name__", default)


def expect_value_error(name, attempts, why):
    """Fail unless every call of ``attempts`` raises a ValueError.

    Parameters
    ----------
    name : str
        The student's function, for the message.
    attempts : list of (str, callable)
        The call as the message shows it, e.g. "kfold_indices(6, 1, rng)", and
        a function of no arguments that makes it.
    why : str
        What the arguments break, for the hint, e.g. "k-fold needs 2 <= k <= N".

    In the grader's integrity pass a ValueError of the student's code comes
    back from the worker as an instance of ValueError too.
    """
    hint = f"hint: {why}: raise a ValueError that says so"
    for shown, attempt in attempts:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                attempt()
        except NotImplementedError:
            raise
        except ValueError:
            continue
        except Exception as e:
            fail(name, f"{shown} raised {type(e).__name__}: {e}", hint)
        fail(name, f"{shown} returned without an error", hint)


def call(fn, name, *args, **kwargs):
    """Call student code; any error but NotImplementedError becomes a CheckFailure."""
    try:
        # A NaN or an overflow is reported by the check with a hint; numpy's
        # RuntimeWarning on stderr would only make the test cell score 0.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    except NotImplementedError as e:
        # In a notebook, the traceback of the stub shows the student's cell
        # and function only.
        e._render_traceback_ = functools.partial(_short_traceback, e)
        raise
    except CheckFailure:
        raise
    except Exception as e:  # the student's bug, reported with the inputs
        shapes = ", ".join(_describe(a) for a in args)
        raise CheckFailure(
            f"{name} raised {type(e).__name__}: {e}\n  when called with ({shapes})"
        ) from e


def _describe(a):
    if isinstance(a, np.ndarray):
        return f"array {a.shape} {a.dtype}"
    return repr(a) if np.isscalar(a) else type(a).__name__


def scalar(value, name, what="loss"):
    """The student's scalar output as a float, or a failure that says why not."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "fiu":
        fail(name, f"{what} should be a single number, got {_describe(value)}"
             + (f" of shape {arr.shape}" if arr.size != 1 else ""))
    return float(arr.reshape(()))


def array(value, shape, name, what):
    """The student's array output, checked for type and shape."""
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array of shape {shape}, "
                   f"got {type(value).__name__}")
    if value.shape != tuple(shape):
        hint = "did you transpose it?" if value.shape == tuple(shape)[::-1] else ""
        fail(name, f"{what} has shape {value.shape}, expected {tuple(shape)}", hint)
    return value


@contextlib.contextmanager
def inputs_kept(name, inputs, who="a loss function", where=""):
    """Check the values computed inside the block, then that ``inputs`` were kept.

    ``inputs`` maps labels to the very arrays given to the student's code;
    they are copied on entry.  On leaving the block:

    - every check inside passed but an input changed: the failure says first
      that the values are right and the mutation is the only problem;
    - a check inside failed and an input changed too: its message gets the
      mutation as one more cause (the changed input may also be why the
      values are wrong).

    ``who`` names the kind of function ("an update rule"), ``where`` the test
    case (both for the message).
    """
    before = {label: np.array(a, copy=True) for label, a in inputs.items()}

    def changed():
        return [label for label, old in before.items()
                if not np.array_equal(old, inputs[label], equal_nan=True)]

    try:
        yield
    except CheckFailure as e:
        labels = changed()
        if not labels:
            raise
        raise CheckFailure(
            f"{e}\n  also: {_mutation(labels, who, where)}\n"
            f"  {_mutation_fix(labels, who)}") from None
    labels = changed()
    if labels:
        fail(name, "the values are right; the only problem: " + _mutation(labels, who, where),
             _mutation_fix(labels, who))


def _mutation(labels, who, where):
    what = " and ".join(labels)
    return (f"the input{'s' if len(labels) > 1 else ''} {what} "
            f"{'were' if len(labels) > 1 else 'was'} modified in place"
            + (f" on {where}" if where else ""))


def _mutation_fix(labels, who):
    label = labels[0]
    return (f"{who} must leave its inputs alone: write `{label} = {label} - ...` "
            f"(a new array) instead of `{label} -= ...`, and copy an array before "
            f"changing a slice of it (`d = {label}.copy()`, then `d[...] = ...`).")


def check_kind(kind, allowed):
    """Raise ValueError unless ``kind`` is one of ``allowed`` (a misspelt option)."""
    if kind not in allowed:
        raise ValueError(f"kind must be one of {tuple(allowed)}, got {kind!r}")


def finite_loss(name, label, loss, grad, *, grad_name, hint=""):
    """Fail when the loss or its gradient ``grad_name`` holds nan or inf.

    ``hint`` is the message's last line (empty for none).
    """
    if not np.isfinite(loss):
        fail(name, f"loss is not finite ({loss}) on {label}", hint)
    if not np.all(np.isfinite(grad)):
        fail(name, f"{grad_name} is not finite (nan/inf in {grad_name}) on {label}", hint)


def expect_value(name, what, value, expected, *, label, hints, tol):
    """Fail unless the number ``value`` is close to ``expected``.

    Parameters
    ----------
    name : str
        The student's function, for the message.
    what : str
        The quantity, e.g. "the loss".
    value, expected : float
    label : str
        The test case, e.g. "test case 'small' (N=5, C=3)".
    hints : list of (value, message)
        Common-bug candidates (``first_hint``).
    tol : dict
        ``rtol`` and ``atol``.
    """
    if not close(value, expected, **tol):
        hint = first_hint(value, hints, **tol)
        fail(name, f"{what} is wrong on {label}", f"expected {expected:.8g}, got {value:.8g}",
             "hint: " + hint if hint else "")


def close(actual, expected, rtol, atol):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(
        np.all(np.isfinite(actual)) and np.allclose(actual, expected, rtol=rtol, atol=atol))


def worst_index(actual, expected):
    """Index and values of the largest absolute difference, for a message."""
    diff = np.abs(np.asarray(actual, dtype=np.float64) - expected)
    diff = np.where(np.isnan(diff), np.inf, diff)
    i = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return tuple(int(k) for k in i), float(actual[i]), float(expected[i])


def largest_difference(actual, expected, what):
    """The line a failure shows for two arrays: where they differ most
    (``what`` and the index) and both values there."""
    i, got, exp = worst_index(actual, expected)
    return f"largest difference at {what}{list(i)}: yours {got:.8g}, expected {exp:.8g}"


def numeric_at(forward, fname, args, param, *, pos, index, dout):
    """Centred difference of ``sum(forward(*args, param)[0] * dout)`` with
    respect to ``args[pos][index]`` (the arrays taken in float64), by the
    student's own ``forward`` (a layer called with its param dict last), for a
    failure that shows the numeric gradient beside a wrong analytic one; None
    if the forward fails."""
    def f(v):
        a = [np.array(t, dtype=np.float64) for t in args]
        a[pos][index] = v[0]
        return call(forward, fname, *a, dict(param))[0]
    try:
        start = np.array([args[pos][index]], dtype=np.float64)
        return float(numeric_grad_array(f, start, dout)[0])
    except (CheckFailure, ValueError, TypeError, IndexError, KeyError):
        return None


def first_hint(actual, candidates, rtol, atol):
    """The message of the first common-bug candidate that ``actual`` matches."""
    for value, message in candidates:
        if close(actual, value, rtol, atol):
            return message
    return ""


@functools.lru_cache(maxsize=None)
def reference(assignment):
    """The reference arrays of an assignment, as a read-only dict."""
    path = REFERENCE_DIR / f"{assignment}.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"reference values {path} are missing: an instructor creates them with "
            f"`cs231n-course reference {assignment}`")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def case_inputs(ref, kind, case):
    """The stored inputs of one reference case, as fresh writable copies."""
    prefix = f"{kind}/{case}/"
    return {k[len(prefix):]: np.array(v) for k, v in ref.items()
            if k.startswith(prefix + "in_")}


def float32_tolerance():
    """Tolerance for float32 inputs, documented in the notebooks."""
    return dict(rtol=1e-4, atol=1e-5)


@dataclass(frozen=True)
class Graded:
    """A graded function: where it is defined, which test cell carries its
    points, and how to check it on cases of the grader's choosing.

    Each check module lists its graded functions in its ``Assignment``
    (``cs231n.registry``), each with ``run``, the function that checks it;
    the grader reads only these fields and ``check``.
    """
    name: str          # the function or class the student defines
    notebook: str
    test_cell: str     # grade_id of the test cell that awards its points
    kind: str          # which case set and reference of the module it is checked on
    uses: tuple = ()   # other graded names the check calls (a backward's forward)
    watch: tuple = ()  # attributes of an instance the check reads (a class's state)
    run: Callable = None  # run(graded, fns, *, cases, reference): see ``check``

    # The integrity pass gives these points instead of nbgrader's (a value
    # cell's Recomputed bounds nbgrader's points instead).
    bounds_notebook = False

    @property
    def needs(self):
        """The student's names the check calls: this one and those it ``uses``."""
        return (self.name, *self.uses)

    def watched(self, name):
        """Attributes the grader reads on instances of ``name`` (empty: a function)."""
        return self.watch if name == self.name else ()

    def check(self, fns, *, cases, reference):
        """Run this function's check on ``random_cases`` and their reference.

        Parameters
        ----------
        fns : dict
            name -> callable, for ``self.name`` and every name in ``self.uses``.
        cases : dict
            As returned by the module's ``random_cases``.
        reference : dict
            The module's ``make_reference(solutions, cases)``.
        """
        if self.run is None:
            raise TypeError(f"{self.name}: its Graded entry has no run function")
        self.run(self, fns, cases=cases, reference=reference)


class BelowThreshold(CheckFailure):
    """A value the grader measured is below the threshold of its test cell.

    Attributes
    ----------
    value : float or None
        The best value measured (None when nothing could be measured).
    """

    def __init__(self, message, value=None):
        super().__init__(message)
        self.value = value


@dataclass(frozen=True)
class Recomputed:
    """A value a notebook computes and a test cell compares with a threshold
    (``checks.check_at_least(best_val, 0.90, ...)``), measured again by the grader.

    The notebook's own value comes from the student's kernel, where any cell
    can set it (``best_val = 0.99``).  The grader measures it outside the
    kernel instead: it trains with the student's graded functions (called in
    the integrity worker, through proxies), the course's data loaded in the
    grader's process and the hyperparameters of the solution notebook, and
    compares predictions with labels itself.  The cell's points need both:
    nbgrader's pass and this measurement (``bounds_notebook``).

    Each check module lists its entries in its ``Assignment``, next to the
    graded functions, each with ``run``, the function that measures it
    (``measure``); the grader reads only these fields,
    ``needs``, ``watched``, ``bounds_notebook`` and ``check``.  The grader
    cannot tell a student who trains well from one whose code, in the worker,
    finds good weights some other way: a measured value says that the
    student's functions produce a classifier this good, and each function's
    own check says whether it is the right function.
    """
    name: str          # the notebook's variable, e.g. "best_val"
    notebook: str
    test_cell: str     # grade_id of the test cell that checks it
    kind: str          # which measurement of the module
    minimum: float     # the test cell's threshold
    uses: tuple = ()   # the student's graded names the measurement calls
    watch: tuple = ()  # (name, attributes) pairs: classes among uses, what is read
    trusted: tuple = ()  # (file, name) pairs: instructor code in solutions/<aid>/
    run: Callable = None  # run(recomputed, fns, *, cases, reference): see ``measure``

    bounds_notebook = True

    @property
    def needs(self):
        """The student's names the measurement calls."""
        return tuple(self.uses)

    def watched(self, name):
        """Attributes the grader reads on instances of ``name`` (empty: a function)."""
        return dict(self.watch).get(name, ())

    def measure(self, fns, *, cases, reference):
        """The value, measured with the student's functions.

        Parameters
        ----------
        fns : dict
            name -> callable: proxies of the names in ``uses`` and the objects
            of ``trusted`` (by name).
        cases, reference
            The module's ``random_cases`` and reference (unused by most).

        Returns
        -------
        value : float
            The best value measured (as the notebook's search would find it).
        detail : str
            How it was measured, for the report.

        Raises
        ------
        CheckFailure
            When a run fails outright, as the notebook's search would (the
            student's code raised, returned something unusable, or the
            training diverged); a ``BelowThreshold`` when there is a value.
        """
        if self.run is None:
            raise TypeError(f"{self.name}: its Recomputed entry has no run function")
        return self.run(self, fns, cases=cases, reference=reference)

    def check(self, fns, *, cases, reference):
        """Measure the value and compare it with ``minimum``.

        Returns
        -------
        float
            The value measured, at least ``minimum``.

        Raises
        ------
        BelowThreshold
            When it is below ``minimum`` or cannot be measured.
        """
        try:
            value, detail = self.measure(fns, cases=cases, reference=reference)
        except NotImplementedError as e:
            raise BelowThreshold(f"{self.name}: the grader cannot run the notebook's "
                                 f"training: a function it needs is not implemented ({e})"
                                 ) from e
        if not (math.isfinite(value) and value >= self.minimum):
            raise BelowThreshold(f"{self.name}: the grader measures {value:.4f}, below the "
                                 f"required {self.minimum:.4f} ({detail})", value)
        return value


def reference_dict(reference):
    """``reference`` when it is a dict of reference arrays; a ValueError that
    says where one comes from otherwise (a part's checks take it as a keyword)."""
    if not isinstance(reference, dict):
        raise ValueError(f"reference must be a dict of reference arrays (make_reference, or "
                         f"the stored one that the assignment's check module binds), got "
                         f"{type(reference).__name__}")
    return reference


def reference_cases(table, cases, *, tables=None):
    """The cases a part's ``make_reference`` works on.

    Parameters
    ----------
    table : dict
        The part's ``CASES``: name -> {"visible": [...], "hidden": [...]}.
    cases : dict or None
        kind -> list of cases (``random_cases(rng)``), returned as it is; None
        for every visible and hidden case of ``table``.
    tables : dict, optional
        kind -> the name of its cases in ``table``, for a part whose kinds
        share cases (a forward and its backward); by default each name of
        ``table`` is a kind.
    """
    if cases is None:
        tables = tables or {name: name for name in table}
        return {kind: table[name]["visible"] + table[name]["hidden"]
                for kind, name in tables.items()}
    if not isinstance(cases, dict):
        raise ValueError(f"cases must be a dict of kind -> list of cases (random_cases(rng)), "
                         f"got {cases!r:.200}")
    return cases


def typed_cases(table, cases, types, kind):
    """``select_cases`` for a check whose cases are instances of ``types`` (a
    class or a tuple of classes), the grader's fresh ones ``random_cases(rng)[kind]``."""
    types = types if isinstance(types, tuple) else (types,)
    return select_cases(table, cases, lambda c: isinstance(c, types),
                        f"{' or '.join(t.__name__ for t in types)} "
                        f"(random_cases(rng)[{kind!r}])")


def select_cases(table, cases, valid, what):
    """The case list of a check and its label.

    Parameters
    ----------
    table : dict
        Named case sets ("visible", "hidden") -> list of cases.
    cases : str or list
        A name of ``table``, or a non-empty list of cases drawn by the grader
        (fresh inputs the student has never seen), labelled "unseen".
    valid : callable
        ``valid(case)``: is this a case of the check?
    what : str
        What a list must hold, for the error message.
    """
    if isinstance(cases, str):
        if cases not in table:
            raise ValueError(f"cases must be one of {tuple(table)} or a list of cases, "
                             f"got {cases!r}")
        return list(table[cases]), cases
    if isinstance(cases, (list, tuple)) and cases and all(valid(c) for c in cases):
        return list(cases), "unseen"
    raise ValueError(f"cases must be one of {tuple(table)} or a non-empty list of {what}, "
                     f"got {cases!r:.300}")


_stored_reference = reference   # Parts' bound checks take a keyword of that name


class Parts:
    """The check module of an assignment split into parts, one per notebook.

    Each part has the same small interface: ``NOTEBOOK``, ``SOLUTIONS``,
    ``GRADED``, ``make_reference(solutions, cases)``, ``random_cases(rng)``,
    ``__all__`` (its check functions, which take the reference as the keyword
    ``reference``) and, optionally, ``HELPERS``.  This joins them: ``checks``
    holds every check bound to the assignment's stored reference (what a test
    cell calls), and the rest is what the contract needs.
    """

    def __init__(self, aid, parts):
        self.aid, self.parts = aid, tuple(parts)
        self.checks = {name: self._bound(getattr(part, name))
                       for part in self.parts for name in part.__all__}
        self.graded = [g for part in self.parts for g in part.GRADED]
        self.solutions = {kind: where for part in self.parts
                          for kind, where in part.SOLUTIONS.items()}
        self.helpers = {name: cls for part in self.parts
                        for name, cls in getattr(part, "HELPERS", {}).items()}

    def _bound(self, check):
        """``check`` with the stored reference as its default ``reference``."""
        @functools.wraps(check)
        def bound(*args, reference=None, **kwargs):
            if reference is None:
                reference = _stored_reference(self.aid)
            return check(*args, reference=reference, **kwargs)
        return bound

    def make_reference(self, solutions, cases=None):
        """Every part's reference, on its fixed cases or on ``cases`` (``random_cases``)."""
        out = {}
        for part in self.parts:
            out.update(part.make_reference(solutions, cases))
        return out

    def random_cases(self, rng):
        """Fresh cases of every part, drawn from ``rng``: kind -> list of cases."""
        cases = {}
        for part in self.parts:
            cases.update(part.random_cases(rng))
        return cases
