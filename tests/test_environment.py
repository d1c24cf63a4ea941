"""environment.yml and pyproject.toml must list the same dependencies.

conda is not available on the machines that run this suite, so the conda
environment can never be built here; this test is what keeps it honest.
environment.yml is read by hand (a flat ``dependencies:`` list of
``name<op>version`` strings), so the suite needs no YAML parser.

Also: the Makefile's venv is whole without rfc3987-syntax, which it removes.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip(
        "tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")

ROOT = Path(__file__).resolve().parents[1]

# conda-only entries with no counterpart among the project's dependencies.
CONDA_ONLY = {"python", "pip"}

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def parse_requirement(text):
    """``"numpy >=1.26"`` -> ``("numpy", ">=1.26")``, name normalised (PEP 503).

    conda's single-``=`` pin (``nbgrader=0.9``) is a prefix match, which pip
    spells ``==0.9.*``; it is rewritten so that like compares with like.
    """
    text = text.split("#", 1)[0].strip()
    if ";" in text or "[" in text or "@" in text:
        raise ValueError(f"requirement too fancy to mirror in conda: {text!r}")
    m = _REQUIREMENT.match(text)
    if not m:
        raise ValueError(f"cannot parse requirement {text!r}")
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    spec = ",".join(sorted(s.replace(" ", "") for s in m.group(2).split(",") if s.strip()))
    spec = re.sub(r"(?<![=<>!~])=(?!=)([^,]*)", _conda_prefix_pin, spec)
    return name, spec


def _conda_prefix_pin(m):
    version = m.group(1)
    return "==" + (version if version.endswith("*") else version + ".*")


def conda_dependencies(text):
    """The ``dependencies:`` list of an environment.yml, as ``{name: spec}``.

    Only the flat form is understood; a nested ``- pip:`` block or anything
    else unexpected raises, so a future edit cannot slip past unread.
    """
    deps, inside = {}, False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace():
            inside = line.strip() == "dependencies:"
            continue
        if not inside:
            continue
        item = line.strip()
        if not item.startswith("- ") or item.endswith(":"):
            raise ValueError(f"environment.yml:{lineno}: unexpected entry {raw.strip()!r}")
        name, spec = parse_requirement(item[2:].strip().strip("'\""))
        if name in deps:
            raise ValueError(f"environment.yml:{lineno}: {name} listed twice")
        deps[name] = spec
    if not deps:
        raise ValueError("environment.yml has no dependencies: list")
    return deps


def pyproject_dependencies(project):
    """``[project].dependencies`` plus the ``test`` extra, as ``{name: spec}``."""
    reqs = list(project.get("dependencies", []))
    reqs += project.get("optional-dependencies", {}).get("test", [])
    deps = {}
    for req in reqs:
        name, spec = parse_requirement(req)
        if name in deps:
            raise ValueError(f"pyproject.toml lists {name} twice")
        deps[name] = spec
    return deps


def dependency_differences(conda, pip):
    """Human-readable lines for every way the two ``{name: spec}`` maps differ."""
    conda = {n: s for n, s in conda.items() if n not in CONDA_ONLY}
    lines = []
    for name in sorted(set(conda) | set(pip)):
        if name not in pip:
            lines.append(f"  {name}{conda[name]}: only in environment.yml")
        elif name not in conda:
            lines.append(f"  {name}{pip[name]}: only in pyproject.toml")
        elif conda[name] != pip[name]:
            lines.append(f"  {name}: environment.yml says {conda[name]!r}, "
                         f"pyproject.toml says {pip[name]!r}")
    return lines


def python_minimum_difference(conda, requires_python):
    """A message when conda's ``python`` and ``requires-python`` disagree, else None."""
    ours = conda.get("python")
    theirs = ",".join(sorted(s.replace(" ", "") for s in requires_python.split(",")))
    if ours is None:
        return "environment.yml does not pin python"
    if ours != theirs:
        return (f"environment.yml has python{ours} but pyproject.toml has "
                f"requires-python = {requires_python!r}")
    return None


@pytest.fixture(scope="module")
def conda():
    return conda_dependencies((ROOT / "environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def test_same_packages_and_versions(conda, project):
    """Do environment.yml and pyproject.toml (with the test extra) list the same requirements?"""
    diff = dependency_differences(conda, pyproject_dependencies(project))
    assert not diff, ("environment.yml and pyproject.toml disagree; edit both:\n"
                      + "\n".join(diff))


def test_same_python_minimum(conda, project):
    """Does environment.yml ask for the Python that requires-python allows?"""
    msg = python_minimum_difference(conda, project["requires-python"])
    assert msg is None, msg


def test_environment_lists_pip(conda):
    """Does the conda environment include pip for ``pip install -e . --no-deps``?"""
    assert "pip" in conda, "environment.yml must list pip (its comment tells users to run it)"


def test_comparison_notices_a_changed_pin(conda, project):
    """Would the comparison notice a changed, a missing and an extra requirement?"""
    pip = pyproject_dependencies(project)
    changed = dict(conda, numpy=">=1.0")
    changed.pop("tqdm")
    changed["torch"] = ">=2"
    diff = "\n".join(dependency_differences(changed, pip))
    assert "numpy: environment.yml says '>=1.0'" in diff, diff
    assert "tqdm>=4.66: only in pyproject.toml" in diff, diff
    assert "torch>=2: only in environment.yml" in diff, diff
    assert python_minimum_difference(dict(conda, python=">=3.9"), ">=3.10")


@pytest.mark.parametrize("text, expected", [
    ("numpy>=1.26", ("numpy", ">=1.26")),
    ("scikit_learn >= 1.4", ("scikit-learn", ">=1.4")),
    ("nbgrader=0.9", ("nbgrader", "==0.9.*")),
    ("nbgrader==0.9.6", ("nbgrader", "==0.9.6")),
    ("pip", ("pip", "")),
    ("foo<2,>=1", ("foo", "<2,>=1")),
])
def test_parse_requirement(text, expected):
    """Does a requirement string split into a normalised name and specifier?"""
    assert parse_requirement(text) == expected


def test_nested_pip_block_is_rejected():
    """Does a nested ``- pip:`` block raise instead of being silently ignored?"""
    text = "name: x\ndependencies:\n  - numpy>=1\n  - pip:\n    - foo\n"
    with pytest.raises(ValueError, match="unexpected entry"):
        conda_dependencies(text)


def test_the_venv_leaves_out_the_slow_iri_parsers():
    """Does a process that imports nbformat (every nbgrader and Jupyter
    process) go without rfc3987_syntax, whose 38 parsers cost 3 s of each
    start (the Makefile removes it), validate a notebook all the same, and
    does ``pip check`` find every requirement met?"""
    code = ("import sys, nbformat; nbformat.validate(nbformat.v4.new_notebook()); "
            "print('rfc3987_syntax' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stdout + run.stderr
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
