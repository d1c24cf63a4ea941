"""A long-lived nbgrader autograde worker: nbgrader is imported once (a few
seconds, more than grading a small notebook takes) and then grades one
student after another.  ``cs231n-course grade`` keeps one per job.

    python -m cs231n.grading.autograder COURSE_ROOT

Requests on stdin, one JSON object a line::

    {"assignment": ..., "student": ..., "notebook": "svm" or null,
     "env": {...}, "timeout": cell seconds, "kernel": kernel name}

Answers on stdout, one JSON object a line: ``{"success", "log", "error"}``
(anything else the process prints goes to stderr).  The grader kills the
whole worker when a student takes too long and starts a new one.
"""
import json
import os
import sys
from pathlib import Path


def _config(root, timeout, kernel):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    path = Path(root) / "nbgrader_config.py"
    if path.exists():
        config.merge(PyFileConfigLoader(path.name, path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
    config.Execute.timeout = timeout
    config.Execute.kernel_name = kernel
    return config


def grade(root, request):
    """Autograde one student (one notebook of them, if ``notebook`` is set)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    saved = {k: os.environ.get(k) for k in request.get("env", {})}
    os.environ.update(request.get("env", {}))
    try:
        config = _config(root, request["timeout"], request["kernel"])
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
    return {"success": bool(result.get("success")), "log": result.get("log", "")[-20000:],
            "error": result.get("error", "")[-5000:]}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]).resolve()
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr            # nothing but answers on the real stdout
    import nbgrader.apps  # noqa: F401  (the import this process exists to pay once)
    for line in sys.stdin:
        try:
            answer = grade(root, json.loads(line))
        except Exception as e:  # a broken request or an nbgrader crash: report it
            answer = {"success": False, "log": "", "error": f"{type(e).__name__}: {e}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
