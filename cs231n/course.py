"""The instructor's command line: ``cs231n-course`` (or ``python -m cs231n.course``).

    cs231n-course release [ASSIGNMENT...]    solutions/ -> assignments/ with nbgrader
    cs231n-course validate [ASSIGNMENT...]   solutions pass, released stubs fail
    cs231n-course reference [ASSIGNMENT...]  recompute the checks' reference values
    cs231n-course grade ASSIGNMENT [--jobs N] grade every submission (see cs231n.grading)
    cs231n-course lab [--prepare-only]       a student's copy in .lab/, JupyterLab on it

Without ASSIGNMENT every assignment in ``solutions/`` is processed.  Each
command acts on the course it is run in (the first folder holding
``nbgrader_config.py``, from the working directory up, as nbgrader finds its
configuration) or on ``--root``, and exits non-zero with one line per problem.
The assignments themselves are found by ``cs231n.registry``; nothing in the
package imports this module.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import given, lab, registry
from .install import PACKAGE_ROOT, nbgrader_config, venv_env
from .notebook import (MARKERS, REGIONS, cell_source, load_answers, nbgrader_meta,
                       read_notebook, split_regions)

ROOT = PACKAGE_ROOT


class CourseError(Exception):
    """A command found problems; ``problems`` holds one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def find_root(start=None):
    """The course root, found the way nbgrader finds its configuration: the
    first folder holding ``nbgrader_config.py``, from ``start`` (the working
    directory) up."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise CourseError([f"no nbgrader_config.py in {here} or a folder above it: run "
                       "cs231n-course inside a course, or give --root"])


def assignments(root=ROOT, names=None):
    """Assignment ids in ``solutions/`` (all of them, or ``names`` checked)."""
    found = sorted(p.name for p in (Path(root) / "solutions").iterdir()
                   if p.is_dir() and any(p.glob("*.ipynb")))
    if not names:
        return found
    unknown = [n for n in names if n not in found]
    if unknown:
        raise CourseError([f"unknown assignment {n!r}: solutions/ has {', '.join(found)}"
                           for n in unknown])
    return list(names)


# ------------------------------------------------------------------- release

def release(names=None, *, root=ROOT, dest=None):
    """Generate the student release of each assignment with nbgrader.

    Parameters
    ----------
    names : list of str, optional
        Assignment ids; all of them by default.
    root : Path
        The course root (holds nbgrader_config.py and solutions/).
    dest : Path, optional
        Release folder; ``root/assignments`` by default.  Tests release into a
        temporary folder and compare.

    Raises
    ------
    CourseError
        When nbgrader fails or solution or hidden-test text reaches the release.
    """
    from .grading import pipeline
    root = Path(root)
    into_course = dest is None
    dest = Path(dest) if dest is not None else root / "assignments"
    problems = []
    for aid in assignments(root, names):
        # Code given from earlier solutions goes into solutions/<aid>/ first, so
        # that nbgrader copies it; a release elsewhere (a test) only checks it.
        try:
            stale = given.stale(aid, root=root)
            if stale and into_course:
                given.write(aid, root=root)
            elif stale:
                problems += stale
                continue
        except (OSError, ValueError) as e:
            problems.append(f"{aid}: could not write its given code: {e}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "release"
            stamp = pipeline.gradebook_stamp(pipeline.Course(root), aid)
            # A gradebook of its own: releasing must not touch the course's.
            cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", aid, "--force",
                   f"--CourseDirectory.root={root}",
                   f"--CourseDirectory.release_directory={out}",
                   f"--CourseDirectory.db_url=sqlite:///{Path(tmp) / 'gradebook.db'}"]
            run = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                                 env=venv_env())
            if run.returncode != 0 or not (out / aid).is_dir():
                tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
                problems.append(f"{aid}: nbgrader generate_assignment failed: "
                                + " | ".join(tail))
                continue
            leaks = find_leaks(root / "solutions" / aid, out / aid)
            if leaks:
                problems += leaks
                continue
            target = dest / aid
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(out / aid, target)
            if into_course:
                # The grader's template gradebook (the cells, no student): the
                # course's first grading need not make it again.
                pipeline.keep_template(pipeline.Course(root), aid, Path(tmp) / "gradebook.db",
                                       stamp)
            print(f"released {aid} -> {target}")
    if problems:
        raise CourseError(problems)


def find_leaks(source, released):
    """Problems where solution or hidden-test text reaches a release folder.

    Every line inside a solution or hidden-test region of the source must be
    gone from the released cell of the same grade_id, no marker may remain,
    and no other released file may carry a marker.
    """
    source, released = Path(source), Path(released)
    problems = []
    for path in sorted(released.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(released)
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in MARKERS:
            if marker in text:
                problems.append(f"{released.name}/{rel}: contains '{marker}'")
        if path.suffix != ".ipynb" or not (source / rel).exists():
            continue
        rel_cells = {nbgrader_meta(c).get("grade_id"): c for c in read_notebook(path)["cells"]}
        for cell in read_notebook(source / rel)["cells"]:
            gid = nbgrader_meta(cell).get("grade_id")
            src = cell_source(cell)
            out = cell_source(rel_cells[gid]) if gid in rel_cells else ""
            out_lines = {line.strip() for line in out.splitlines()}
            for kind, (begin, end) in REGIONS.items():
                for line in split_regions(src, begin, end)[0]:
                    if line.strip() and line.strip() in out_lines:
                        problems.append(f"{released.name}/{rel}: {kind} line of cell "
                                        f"'{gid}' reached the release: {line.strip()!r}")
    return problems


# ------------------------------------------------------------------ validate

def _validator(root, **traits):
    from nbgrader.validator import Validator
    return Validator(config=nbgrader_config(root), **traits)


def validate_notebook(path, *, release=False, root=ROOT):
    """Problems of one notebook, one line each (empty when it is right).

    A solution must run top to bottom without an error or stderr output in
    any cell and pass every graded test; a released stub must fail every
    graded test.
    """
    path = Path(path)
    if release:
        v = _validator(root, invert=True, ignore_checksums=True)
    else:
        v = _validator(root, validate_all=True, ignore_checksums=True)
    results = v.validate(str(path))
    rel = path.relative_to(root) if path.is_relative_to(root) else path
    problems = []
    for cell in results.get("passed", []):
        problems.append(f"{rel}: a graded test passes on the unanswered stub: "
                        f"{_first_line(cell['source'])}")
    for cell in results.get("failed", []):
        error = cell.get("raw_error", "").strip().splitlines()
        problems.append(f"{rel}: cell fails: {_first_line(cell['source'])} -> "
                        f"{error[-1] if error else 'output on stderr'}")
    for cell in results.get("type_changed", []) + results.get("changed", []):
        problems.append(f"{rel}: cell changed type or content: {_first_line(cell['source'])}")
    return problems


def _first_line(source):
    lines = [s for s in source.splitlines() if s.strip() and not s.startswith("#")]
    return (lines[0] if lines else source.strip()[:60])[:100]


def validate(names=None, *, root=ROOT):
    """Validate every solution notebook and every released stub."""
    root = Path(root)
    problems = []
    for aid in assignments(root, names):
        for nb in sorted((root / "solutions" / aid).glob("*.ipynb")):
            start = time.perf_counter()
            found = validate_notebook(nb, root=root)
            print(f"{'ok  ' if not found else 'FAIL'} {nb.relative_to(root)} "
                  f"({time.perf_counter() - start:.1f} s)")
            problems += found
            stub = root / "assignments" / aid / nb.name
            if not stub.exists():
                problems.append(f"{stub.relative_to(root)}: missing: run `make release`")
                continue
            found = validate_notebook(stub, release=True, root=root)
            print(f"{'ok  ' if not found else 'FAIL'} {stub.relative_to(root)}")
            problems += found
    if problems:
        raise CourseError(problems)


# ----------------------------------------------------------------- reference

def compute_reference(aid, *, root=ROOT):
    """The reference arrays of an assignment, computed from its solutions."""
    contract = registry.get(aid)
    loaded = {}
    solutions = {}
    for kind, (notebook, name) in contract.solutions.items():
        if notebook not in loaded:
            loaded[notebook] = load_answers(Path(root) / "solutions" / aid / notebook,
                                            uses=contract.uses.get(notebook, ()),
                                            given=contract.given_files)
        if name not in loaded[notebook]:
            raise CourseError([f"solutions/{aid}/{notebook} defines no {name}"])
        solutions[kind] = loaded[notebook][name]
    return contract.make_reference(solutions)


def reference_path(aid):
    from .checks._core import REFERENCE_DIR
    return REFERENCE_DIR / f"{aid}.npz"


def write_reference(names=None, *, root=ROOT):
    """Recompute and save the reference values of each assignment."""
    for aid in assignments(root, names):
        if aid not in registry.assignments():
            continue
        ref = compute_reference(aid, root=root)
        path = reference_path(aid)
        np.savez_compressed(path, **ref)
        print(f"wrote {len(ref)} reference arrays to {path}")


# ---------------------------------------------------------------------- main

def grade_command(aid, *, root=ROOT, jobs=None, seed=None, progress=True, scheduler=None):
    """Grade every submission of an assignment and print the grade table."""
    from .grading import report, runner
    assignments(root, [aid])
    try:
        run = runner.grade(aid, root=root, jobs=jobs, seed=seed, progress=progress,
                           scheduler=scheduler)
    except (RuntimeError, registry.UnknownAssignment) as e:
        raise CourseError([str(e)]) from None
    print(report.grade_table(run))
    print(f"\ngrades (CSV): {run.csv}\nreport:       {run.report}\n"
          f"histogram:    {run.histogram}\n"
          f"feedback:     {Path(root) / 'feedback'}/<student>/{aid}/\n"
          f"{len(run.results)} submissions in {run.seconds:.0f} s")
    broken = [r.student for r in run.results if r.why.startswith("grader error")]
    if broken:
        raise CourseError([f"grader error on {len(broken)} submissions ({', '.join(broken)}): "
                           "their autograded scores are 0 until graded again (the table says "
                           "why)"])
    return run


def corpus_path(aid, root=ROOT):
    """The sample corpus of an assignment (right and wrong implementations)."""
    return Path(root) / "tests" / "variants" / f"{aid}.py"


def samples_command(aid, *, dest, root=ROOT, every=True):
    """Write the sample submissions of an assignment into ``dest`` (all of
    them, or with ``every=False`` the representative set the tests grade)."""
    from .grading import samples
    path = corpus_path(aid, root)
    if not path.exists():
        raise CourseError([f"no sample corpus for {aid}: {path} is missing"])
    written = samples.write_samples(Path(root) / "assignments" / aid,
                                    samples.load_corpus(path), dest, assignment=aid,
                                    every=every)
    print(f"wrote {len(written)} sample submissions of {aid} to {dest}")
    return written


def demo_command(aid, *, jobs=None, root=ROOT, dest=None, progress=True, every=True,
                 scheduler=None):
    """The instructor's job in one go, on sample submissions in
    ``.demo/<aid>/``: release, collect, grade in parallel, report.

    Only that folder (or ``dest``) is wiped: the demos of the other
    assignments stay for comparison.  ``every=False`` grades only the
    samples marked ``in_tests`` (what ``make test`` grades).
    """
    dest = Path(dest) if dest is not None else Path(root) / ".demo" / aid
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(Path(root) / "solutions", dest / "solutions")
    shutil.copy(Path(root) / "nbgrader_config.py", dest / "nbgrader_config.py")
    release([aid], root=dest)
    samples_command(aid, dest=dest / "submitted", root=root, every=every)
    expected_file = dest / "submitted" / f"expected-{aid}.json"
    expected = json.loads(expected_file.read_text())
    expected_file.rename(dest / f"expected-{aid}.json")
    run = grade_command(aid, root=dest, jobs=jobs, progress=progress, scheduler=scheduler)
    surprises = compare_expected(run, expected)
    print(f"\nexpected outcomes: {dest / f'expected-{aid}.json'}")
    if surprises:
        raise CourseError(["demo: a sample was not graded as expected: " + s
                           for s in surprises])
    print(f"every sample graded as expected ({len(expected)} submissions)")
    return run


def lab_command(*, root=ROOT, prepare_only=False, extra=()):
    """A student's ``make lab``: copy the release into ``.lab/`` (see
    ``cs231n.lab``), print what was copied and what changed, then replace
    this process with JupyterLab on ``.lab/`` (unless ``prepare_only``)."""
    try:
        prepared = lab.prepare_lab(root)
        for line in prepared.messages:
            print(line)
        if prepare_only:
            return prepared
        print(f"your work is in {prepared.dest}; `make release` never touches it")
        lab.start_lab(root, extra=extra)
    except lab.LabError as e:
        raise CourseError(e.problems) from None
    except OSError as e:
        raise CourseError([f"could not prepare .lab/ or start JupyterLab: {e}"]) from None


def compare_expected(run, expected):
    """Lines naming every sample whose grade, status or flags differ from
    ``expected`` (the samples' expected-<aid>.json): a flag too many is a
    difference too (an honest student must not be reported)."""
    problems = []
    results = {r.student: r for r in run.results}
    for student, want in sorted(expected.items()):
        r = results.get(student)
        if r is None:
            problems.append(f"{student}: not graded")
            continue
        lost = {c["cell"] for c in r.cells if not c["manual"] and c["points"] < c["max"]}
        if lost != set(want["lose"]):
            problems.append(f"{student}: lost {sorted(lost)}, expected {sorted(want['lose'])}")
        if set(want["flags"]) != set(r.flags):
            problems.append(f"{student}: flags {r.flags}, expected {sorted(want['flags'])}")
        if r.status != want["status"]:
            problems.append(f"{student}: status {r.status} ({r.why}), expected {want['status']}")
    return problems


def hub_command(args, root):
    """``cs231n-course hub start|stop|status|remove``: prints what a person
    needs (the address and the accounts on start)."""
    from . import hub
    hub_dir = (args.hub_dir or root / ".hub").resolve()
    try:
        if args.action == "start":
            settings = hub.Settings(hub_dir=str(hub_dir), prefix=args.prefix,
                                    students=args.students, port=args.port,
                                    exchange=args.exchange or "", repo=str(root))
            seconds = hub.start(settings)
            print(f"hub started in {seconds:.1f} s: {settings.url}")
            print(f"exchange: {settings.exchange}; instructor's course folder: "
                  f"{settings.course_dir()}")
            accounts = hub.accounts_of(settings)
            for name in [settings.instructor, *settings.student_names]:
                print(f"  {name:<28} password {accounts[name]}")
            print("stop it with `make hub-stop` (cs231n-course hub stop)")
            return
        settings = hub.Settings.load(hub_dir)
        if args.action == "stop":
            killed = hub.stop(settings)
            print(f"hub stopped ({len(killed)} leftover processes ended)")
        elif args.action == "status":
            print(hub.status(settings))
        else:
            hub.remove(settings)
            print(f"hub stopped; accounts {settings.prefix}* and their homes removed")
    except hub.HubError as e:
        raise CourseError([str(e)]) from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cs231n-course", description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=None,
                        help="the course root (default: the folder holding nbgrader_config.py, "
                             "from the working directory up)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in [("release", "regenerate assignments/ from solutions/"),
                        ("validate", "solutions pass all tests, released stubs fail them"),
                        ("reference", "recompute the checks' reference values")]:
        p = sub.add_parser(name, help=help_, parents=[common])
        p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p = sub.add_parser("grade", help="autograde every submission, with the integrity pass",
                       parents=[common])
    p.add_argument("assignment")
    p.add_argument("--jobs", type=int, default=None,
                   help="students graded at once on this machine (default: the number of "
                        "cores)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on the workers of this running Dask scheduler (default: a "
                        "local cluster; see cs231n.grading.cluster)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the unseen inputs (default: a fresh secret one)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = sub.add_parser("samples", help="write sample submissions (right, wrong, hostile)",
                       parents=[common])
    p.add_argument("assignment")
    p.add_argument("--dest", type=Path, default=None,
                   help="where <student>/<assignment>/ folders go (default: ROOT/submitted)")
    p = sub.add_parser("hub", help="the course on a JupyterHub on this machine "
                                  "(see cs231n.hub)", parents=[common])
    p.add_argument("action", choices=["start", "stop", "status", "remove"])
    p.add_argument("--students", type=int, default=3, help="student accounts (default 3)")
    p.add_argument("--port", type=int, default=8000,
                   help="public port on 127.0.0.1; the next two are taken too (default 8000)")
    p.add_argument("--prefix", default="cs231n-", help="prefix of the account names")
    p.add_argument("--exchange", default=None,
                   help="nbgrader exchange folder (default /srv/nbgrader/exchange)")
    p.add_argument("--hub-dir", type=Path, default=None,
                   help="the hub's state (default ROOT/.hub)")
    p = sub.add_parser("demo", help="release, sample submissions, grade, report, "
                                   "in .demo/ASSIGNMENT/", parents=[common])
    p.add_argument("assignment", nargs="?", default=next(iter(registry.assignments()), None))
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT")
    p.add_argument("--no-progress", action="store_true")
    p = sub.add_parser("lab", help="copy the release into .lab/ (never overwriting the "
                                  "student's files) and open JupyterLab on it",
                       parents=[common])
    p.add_argument("--prepare-only", action="store_true",
                   help="only bring .lab/ up to date with the release; start no server")
    p.add_argument("jupyter_args", nargs="*", metavar="-- JUPYTER_ARG",
                   help="more options for jupyter lab, after --")
    args = parser.parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    # nbgrader, in this process too, runs `alembic` from PATH: the venv need
    # not be activated.
    os.environ["PATH"] = venv_env()["PATH"]
    try:
        root = args.root.resolve() if args.root else find_root()
        if args.command == "samples":
            samples_command(args.assignment, dest=args.dest or root / "submitted", root=root)
        elif args.command == "demo":
            demo_command(args.assignment, jobs=args.jobs, root=root,
                         progress=not args.no_progress, scheduler=args.scheduler)
        elif args.command == "lab":
            lab_command(root=root, prepare_only=args.prepare_only, extra=args.jupyter_args)
        elif args.command == "hub":
            hub_command(args, root)
        elif args.command == "grade":
            grade_command(args.assignment, root=root, jobs=args.jobs, seed=args.seed,
                          progress=not args.no_progress, scheduler=args.scheduler)
        else:
            action = {"release": release, "validate": validate, "reference": write_reference}
            action[args.command](args.assignment or None, root=root)
    except CourseError as e:
        for line in e.problems:
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:     # runner.Interrupted says what became of the run
        print(f"\n{e}" if str(e) else "\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
