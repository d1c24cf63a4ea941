"""Shared fixtures: a seeded Generator and Jupyter state kept out of $HOME."""
import os
import shutil
from pathlib import Path

# One BLAS thread for the tests and the kernels they start: on two busy cores
# OpenBLAS's threads make the notebooks' small matrix products 20-40x slower.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings)
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng():
    return np.random.default_rng(231)


@pytest.fixture(scope="session", autouse=True)
def jupyter_state(tmp_path_factory):
    """Point Jupyter, IPython and matplotlib at a temporary folder."""
    base = tmp_path_factory.mktemp("jupyter-state")
    names = ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
             "IPYTHONDIR", "MPLCONFIGDIR"]
    old = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ[n] = str(base / n.lower())
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield base
    for n, v in old.items():
        if v is None:
            os.environ.pop(n, None)
        else:
            os.environ[n] = v


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the course (solutions, assignments, config) in a temp folder."""
    dest = tmp_path / "course"
    dest.mkdir()
    for name in ["solutions", "assignments"]:
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest
