"""A long-lived nbgrader autograde worker: nbgrader is imported once (a few
seconds, more than grading a small notebook takes) and then grades one
student after another.  ``cs231n-course grade`` keeps one per job.

    python -m cs231n.grading.autograder COURSE_ROOT

Requests on stdin, one JSON object a line, to autograde::

    {"assignment": ..., "student": ..., "notebook": "svm" or null,
     "env": {...}, "timeout": cell seconds, "kernel": kernel name,
     "kernel_manager": {KernelManager trait: value},
     "submitted_directory": where the staged submissions are (optional),
     "max_output_bytes": output kept per notebook (optional)}

or to make feedback pages, of the class or of one student (a glob pattern),
once grading is done (nbgrader and its HTML exporter are imported already)::

    {"feedback": ..., "student": ... or null}

Answers on stdout, one JSON object a line: ``{"success", "log", "error"}``
(anything else the process prints goes to stderr).  Before it, a line
``{"running": "svm.ipynb", "dropped": 0}`` when a notebook starts executing
and ``{"finished": "svm.ipynb", "dropped": bytes}`` when it is done: the
grader kills the whole worker when a student takes too long, and then knows
which notebook it was.  ``dropped`` counts the output bytes past
``preprocessors.CappedExecute``'s limit (nbclient would keep them all in
memory).
"""
import json
import os
import sys
import threading
import time
from pathlib import Path

from ..install import nbgrader_config


def _config(root, timeout, kernel, kernel_manager=None, *, submitted_directory=None,
            max_output_bytes=None, on_notebook=None):
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from .preprocessors import CappedExecute

    config = nbgrader_config(root)
    config.Execute.timeout = timeout
    config.Execute.kernel_name = kernel
    # The sandboxed kernel has no network the grader could reach: IPC sockets
    # in a private folder (sandbox.kernel_connection).
    for name, value in (kernel_manager or {}).items():
        setattr(config.KernelManager, name, value)
    if submitted_directory:
        config.CourseDirectory.submitted_directory = submitted_directory
    # Execute's configuration (timeout, kernel) applies to its subclass.
    steps = config.Autograde.get("autograde_preprocessors") or \
        Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [
        CappedExecute if step in (Execute, "nbgrader.preprocessors.Execute",
                                  "nbgrader.preprocessors.execute.Execute") else step
        for step in steps]
    if max_output_bytes:
        config.CappedExecute.max_output_bytes = max_output_bytes
    config.CappedExecute.on_notebook = on_notebook
    return config


def grade(root, request, on_notebook=None):
    """Autograde one student (one notebook of them, if ``notebook`` is set);
    ``on_notebook`` as for ``preprocessors.CappedExecute``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    saved = {k: os.environ.get(k) for k in request.get("env", {})}
    os.environ.update(request.get("env", {}))
    try:
        config = _config(root, request["timeout"], request["kernel"],
                         request.get("kernel_manager"),
                         submitted_directory=request.get("submitted_directory"),
                         max_output_bytes=request.get("max_output_bytes"),
                         on_notebook=on_notebook)
        coursedir = CourseDirectory(config=config)
        if request.get("notebook"):
            coursedir.notebook_id = request["notebook"]
        api = NbGraderAPI(coursedir=coursedir, config=config)
        result = api.autograde(request["assignment"], request["student"], force=True,
                               create=True)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return _answer(result)


def _answer(result):
    """The answer line of an NbGraderAPI result: success, and the tails of
    its log and error."""
    return {"success": bool(result.get("success")), "log": result.get("log", "")[-20000:],
            "error": result.get("error", "")[-5000:]}


def feedback(root, request):
    """nbgrader generate_feedback of the assignment, for every student or the
    students ``request["student"]`` matches."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(root)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = api.generate_feedback(request["feedback"], request.get("student"), force=True)
    return _answer(result)


def _watch_parent(parent, every=0.5):
    """End this process, and with it its sandboxed kernels (bubblewrap's
    ``--die-with-parent``), when the grader that started it is gone: a
    grading worker that was killed leaves nothing running."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(3)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]).resolve()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    # Nothing but answers on the answer pipe: descriptor 1 becomes stderr, so
    # that the kernels this process starts (they inherit it) cannot write there.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    import nbgrader.apps  # noqa: F401  (the import this process exists to pay once)
    import nbconvert.exporters.html  # noqa: F401  (feedback pages, made here at the end)

    def tell(event, notebook, dropped):
        answers.write(json.dumps({event: notebook, "dropped": dropped}) + "\n")
        answers.flush()

    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = (feedback(root, request) if "feedback" in request
                      else grade(root, request, on_notebook=tell))
        except Exception as e:  # a broken request or an nbgrader crash: report it
            answer = {"success": False, "log": "", "error": f"{type(e).__name__}: {e}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
