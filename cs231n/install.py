"""Where this package is installed, and the environment its tools run in.

Below the command line and the grader alike: both import it, it imports
neither.
"""
import os
import sys
from pathlib import Path

__all__ = ["PACKAGE_ROOT", "venv_env"]

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
