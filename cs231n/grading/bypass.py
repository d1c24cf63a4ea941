"""Test cells that did not really run their check, and cells that hook the kernel.

nbgrader scores a test cell by whether it raised, in the student's kernel.
An IPython input transformer registered by an earlier cell
(``get_ipython().input_transformers_post.append(...)``) can rewrite every
later ``checks.check_*`` cell into ``pass``: those cells then raise nothing
and nbgrader gives them full marks.  Two looks, after the fact:

``bypassed_checks``
    Every check prints one success line when it passes
    (``cs231n.checks._core.SUCCESS_LINE``, written to ``sys.stdout``).  A test
    cell that nbgrader scored as passed, but whose executed outputs
    (``autograded/<student>/<aid>/<notebook>.ipynb``) hold fewer success lines
    than its source has check calls, did not run its checks: the pipeline
    gives it 0 and flags ``check-bypassed``.
``kernel_hooks``
    The cells a student can change, read as text (tokens, not run), for the
    kernel's hook APIs: input and AST transformers, magics, event callbacks,
    custom exception handlers and tracebacks, tracing and audit hooks, a
    patched ``run_cell``.  The pipeline flags ``kernel-hooks``.

What this does not catch: the kernel is the student's, so a transformer can
just as well print the success lines, and code built at run time (``exec``
of a string assembled from pieces) escapes any reading of the source.  Both
are reports that name what a submission did, not the defence.  The defence
is that no test cell of the course gets its points from the kernel alone:
a graded function's come from the integrity pass, and a value cell's need
the grader's own measurement (``cs231n.checks._core.Recomputed``), so a
rewritten test cell that goes unseen here still cannot turn a wrong function
or a made-up value into points.
"""
import io
import re
import tokenize

from ..checks._core import SUCCESS_LINE

# Attribute and function names of the kernel's hooks -> what they hook.
HOOKS = {
    "input_transformers_post": "an input transformer",
    "input_transformers_cleanup": "an input transformer",
    "input_transformer_manager": "the input transformer manager",
    "ast_transformers": "an AST transformer",
    "register_magic_function": "a magic",
    "register_magics": "a magic",
    "register_line_magic": "a magic",
    "register_cell_magic": "a magic",
    "register_line_cell_magic": "a magic",
    "set_custom_exc": "a custom exception handler",
    "custom_exceptions": "a custom exception handler",
    "showtraceback": "the traceback display",
    "_showtraceback": "the traceback display",
    "showsyntaxerror": "the traceback display",
    "run_cell": "cell execution",
    "run_cell_async": "cell execution",
    "run_ast_nodes": "cell execution",
    "run_code": "cell execution",
    "transform_cell": "cell execution",
    "transform_ast": "cell execution",
    "should_run_async": "cell execution",
    "settrace": "a trace function",
    "setprofile": "a profile function",
    "addaudithook": "an audit hook",
    "excepthook": "the exception hook",
    "displayhook": "the display hook",
}
# IPython's events, registered with get_ipython().events.register(name, fn).
EVENTS = ("pre_execute", "pre_run_cell", "post_execute", "post_run_cell")


def _meta(cell):
    """nbgrader's metadata of a cell of a submission (anything, hostile): a dict."""
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _cells(nb):
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return cells if isinstance(cells, list) else []


def _source(cell):
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _tokens(source):
    """(type, string) of the source's tokens, comments dropped; IPython's
    magics (``%config ...``) tokenize as operators and names.  Source that
    does not tokenize (an unfinished string) is read as one string token."""
    try:
        return [(t.type, t.string) for t in
                tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type != tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(tokenize.STRING, source)]


def check_calls(source):
    """How many ``checks.check_*(...)`` calls a test cell's source makes."""
    names = [s for t, s in _tokens(source) if t in (tokenize.NAME, tokenize.OP)]
    return sum(1 for i in range(len(names) - 3)
               if names[i] == "checks" and names[i + 1] == "."
               and names[i + 2].startswith("check_") and names[i + 3] == "(")


def stdout_of(cell):
    """The text a code cell printed to standard output when it ran."""
    parts = []
    outputs = cell.get("outputs")
    for out in outputs if isinstance(outputs, list) else []:
        if isinstance(out, dict) and out.get("output_type") == "stream" and \
                out.get("name") == "stdout":
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "".join(parts)


def test_cells(nb):
    """grade_id -> cell of the autograded test cells of a notebook (dict)."""
    cells = {}
    for cell in _cells(nb):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = _meta(cell)
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            cells.setdefault(str(meta["grade_id"]), cell)
    return cells


def bypassed_check(cell):
    """Why an executed test cell did not run its checks, or "" if it did.

    Parameters
    ----------
    cell : dict
        The test cell of the autograded (executed) notebook: its source is
        the one nbgrader restored, its outputs are what the kernel printed.
    """
    source = _source(cell)
    wanted = check_calls(source)
    if not wanted:
        return ""
    found = len(SUCCESS_LINE.findall(stdout_of(cell)))
    if found >= wanted:
        return ""
    return (f"it makes {wanted} check call{'s' if wanted > 1 else ''} but printed "
            f"{found} success line{'s' if found != 1 else ''}: the checks did not run "
            "(a rewritten cell or a patched check)")


def bypassed_checks(nb):
    """grade_id -> reason, for each test cell of an executed notebook whose
    checks did not run (whatever nbgrader scored; the caller keeps the ones
    it scored as passed)."""
    out = {}
    for grade_id, cell in test_cells(nb).items():
        why = bypassed_check(cell)
        if why:
            out[grade_id] = why
    return out


def kernel_hooks(source):
    """What a cell's source hooks in the kernel: sorted descriptions, such as
    ``"input_transformers_post (an input transformer)"``."""
    tokens = _tokens(source)
    found = set()
    names = [s for t, s in tokens if t in (tokenize.NAME, tokenize.OP)]
    for i, name in enumerate(names):
        if name in HOOKS:
            found.add(f"{name} ({HOOKS[name]})")
        if name == "events" and names[i + 1:i + 3] in ([".", "register"],
                                                       [".", "unregister"]):
            found.add("events.register (an event callback)")
    # Hook names in strings: getattr(get_ipython(), "input_transformers_post").
    for t, s in tokens:
        if t != tokenize.STRING:
            continue
        for word in re.findall(r"[A-Za-z_]\w*", s):
            if word in HOOKS:
                found.add(f"{word} ({HOOKS[word]})")
            elif word in EVENTS:
                found.add(f"{word} (an event callback)")
    return sorted(found)


def notebook_hooks(nb):
    """(cell label, description) for every kernel hook in the cells of a
    submitted notebook that the student can change (nbgrader restores test
    and locked cells before it runs the notebook)."""
    hits = []
    for index, cell in enumerate(_cells(nb)):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = _meta(cell)
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            continue
        label = str(meta.get("grade_id") or cell.get("id") or f"#{index}")
        hits += [(label, what) for what in kernel_hooks(_source(cell))]
    return hits
