"""Where this package is installed, and the environment its tools run in.

Below the command line and the grader alike: both import it, it imports
neither.
"""
import os
import sys
from pathlib import Path

__all__ = ["PACKAGE_ROOT", "venv_env", "nbgrader_config"]

# The folder holding the cs231n package (the repository, for an editable
# install).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def venv_env(**extra):
    """The environment for nbgrader and Jupyter subprocesses: this Python's bin
    folder first on PATH (nbgrader runs `alembic` from there, and the venv
    need not be activated), plus ``extra``."""
    env = dict(os.environ, **extra)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def nbgrader_config(root):
    """The nbgrader configuration of the course at ``root`` (its
    ``nbgrader_config.py``), rooted there, with its gradebook there."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    path = Path(root) / "nbgrader_config.py"
    if path.exists():
        config.merge(PyFileConfigLoader(path.name, path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
    return config
