"""A student's private copy of the release, the folder ``make lab`` opens.

``assignments/`` is the committed release: ``make release`` rewrites it and
the tests compare it with ``solutions/``, so a student must not work in it.
``make lab`` (``cs231n-course lab``) first copies each released assignment
``assignments/<id>/`` into the git-ignored ``.lab/<id>/`` with
:func:`prepare_lab`, then starts JupyterLab on ``.lab/`` from the course root,
where nbgrader's Validate button finds ``nbgrader_config.py``.

A file already in ``.lab/`` is never overwritten or deleted.  A file or an
assignment that is new in the release is copied in; a file whose release
changed after the student's copy was made is named in one line and left as it
is (deleting it and running ``make lab`` again gives the new release).  To tell
the two apart, ``.lab/.release-hashes.json`` keeps the SHA-256 of the release
each copy was made from.
"""
import fnmatch
import hashlib
import json
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LAB_DIR", "LabError", "Prepared", "prepare_lab", "lab_command", "start_lab"]

LAB_DIR = ".lab"
HASHES = ".release-hashes.json"
# Never part of an assignment: Jupyter's checkpoints, Python's caches, hidden files.
IGNORED = (".*", "__pycache__", "*.pyc")


class LabError(Exception):
    """The private copy cannot be made; ``problems`` holds one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Prepared:
    """What :func:`prepare_lab` did.

    Attributes
    ----------
    dest : Path
        The private copy (``<root>/.lab`` by default).
    copied : list of str
        Files copied in by this run, as ``"<assignment>/<file>"``.
    changed : list of str
        Files whose release differs from the student's copy, left as they are.
    messages : list of str
        One line for the student each (what was copied, what changed).
    """

    dest: Path
    copied: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def _ignored(rel):
    return any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in IGNORED)


def released_files(release):
    """``{"<assignment>/<file>": path}`` of every file of every assignment
    folder in ``release``, sorted, without checkpoints, caches and hidden files."""
    release = Path(release)
    found = {}
    for path in sorted(release.rglob("*")):
        rel = path.relative_to(release)
        if len(rel.parts) > 1 and path.is_file() and not _ignored(rel):
            found[rel.as_posix()] = path
    return found


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _read_hashes(dest, messages):
    path = dest / HASHES
    if not path.exists():
        return {}
    try:
        hashes = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(hashes, dict) and all(isinstance(v, str) for v in hashes.values()):
            return hashes
    except (OSError, ValueError):
        pass
    messages.append(f"ignored {path}: not a record of release hashes (it is rewritten)")
    return {}


def _write_hashes(dest, hashes):
    # Written whole then renamed: an interrupted run leaves the old record.
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=HASHES, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(sorted(hashes.items())), out, indent=1)
            out.write("\n")
        os.replace(tmp, dest / HASHES)
    except BaseException:
        os.unlink(tmp)
        raise


def _copy_new(data, target):
    """Write ``data`` to ``target`` unless something is there already.

    The bytes go to a temporary file first and are then linked to ``target``:
    the link fails if ``target`` exists, even when it appeared a moment ago,
    and an interrupted copy never leaves half a notebook under its name.

    Returns
    -------
    bool
        True if ``target`` was written, False if it was already there.
    """
    # Created like any new file (mode 0o666 less the umask), not mkstemp's 0o600.
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:
            # A file system without hard links: exclusive creation still
            # never overwrites.
            try:
                with open(target, "xb") as out:
                    out.write(data)
            except FileExistsError:
                return False
        return True
    finally:
        os.unlink(tmp)


def _shown(path, root):
    """``path`` relative to the course root when it lies inside it."""
    path = Path(path)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def prepare_lab(root, dest=None):
    """Copy the release of every assignment into the student's private copy.

    Copies ``root/assignments/<id>/...`` into ``dest/<id>/...`` file by file,
    never overwriting or deleting anything in ``dest``: a file the student
    has stays as it is, a file or an assignment new in the release is copied
    in, and a file whose release changed after the student's copy was made
    (or that differs from the release with no record of its origin) is named
    in ``messages`` and left alone.

    Parameters
    ----------
    root : Path
        The course root (holds ``assignments/``).
    dest : Path, optional
        The private copy; ``root/.lab`` by default.

    Returns
    -------
    Prepared
        The files copied and changed, and a line for the student each.

    Raises
    ------
    LabError
        When there is no release to copy or ``dest`` cannot be a folder.
    """
    root = Path(root).resolve()
    dest = Path(dest).resolve() if dest is not None else root / LAB_DIR
    release = root / "assignments"
    if not release.is_dir():
        raise LabError([f"no released assignments to work on: {release} is not a folder "
                        "(instructors: `make release` writes it)"])
    files = released_files(release)
    if not files:
        raise LabError([f"no released assignments to work on: {release} holds no "
                        "assignment folder with files (instructors: `make release`)"])
    if dest.exists() and not dest.is_dir():
        raise LabError([f"{dest} is not a folder: move it away, the private copy goes there"])
    dest.mkdir(parents=True, exist_ok=True)

    done = Prepared(dest)
    hashes = _read_hashes(dest, done.messages)
    new_assignments = sorted({rel.split("/")[0] for rel in files
                              if not os.path.lexists(dest / rel.split("/")[0])})
    for rel, src in files.items():
        data = src.read_bytes()
        digest = _digest(data)
        target = dest / rel
        if not os.path.lexists(target):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = _copy_new(data, target)
            except OSError as e:
                done.messages.append(f"could not copy {_shown(src, root)} to "
                                     f"{_shown(target, root)}: {e}")
                continue
            if written:
                hashes[rel] = digest
                done.copied.append(rel)
                continue
        if hashes.get(rel) == digest:
            continue
        if target.is_file() and _digest(target.read_bytes()) == digest:
            hashes[rel] = digest
            continue
        done.changed.append(rel)
        why = ("the release changed after you started yours" if rel in hashes
               else "yours differs from the release")
        done.messages.append(
            f"{rel}: {why}; {_shown(target, root)} is kept as it is, the release is "
            f"{_shown(src, root)} (for a fresh copy delete yours and run `make lab` again)")
    _write_hashes(dest, hashes)

    lines = []
    for aid in sorted({rel.split("/")[0] for rel in done.copied}):
        names = [rel.split("/", 1)[1] for rel in done.copied if rel.split("/")[0] == aid]
        where = _shown(dest / aid, root) + "/"
        if aid in new_assignments:
            count = f"{len(names)} file" + ("s" if len(names) > 1 else "")
            lines.append(f"copied {aid} into {where} ({count})")
        else:
            lines.append(f"copied into {where}, new in the release: " + ", ".join(names))
    done.messages[:0] = lines
    return done


def lab_command(root, *, dest=None, extra=()):
    """The ``jupyter lab`` command line that serves the private copy.

    Parameters
    ----------
    root : Path
        The course root; the server must run there (see :func:`start_lab`).
    dest : Path, optional
        The folder served; ``root/.lab`` by default.
    extra : sequence of str
        More options for ``jupyter lab`` (``--no-browser``, ``--port=8889``).

    Returns
    -------
    list of str
    """
    root = Path(root).resolve()
    dest = Path(dest).resolve() if dest is not None else root / LAB_DIR
    jupyter_lab = Path(sys.executable).with_name("jupyter-lab")
    if not jupyter_lab.exists():
        raise LabError([f"no {jupyter_lab}: install the course first (`make`, or "
                        "`pip install -e .` in a virtualenv)"])
    cmd = [str(jupyter_lab), f"--ServerApp.root_dir={dest}"]
    # jupyter refuses to run as root without this flag.
    if getattr(os, "geteuid", lambda: None)() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra)


def start_lab(root, *, dest=None, extra=(), env=None):
    """Replace this process with JupyterLab on the private copy; never returns.

    The server runs in the course root: nbgrader's Validate button reads
    ``nbgrader_config.py`` from the server's working folder, wherever the
    notebook lies.  The process is replaced rather than started as a child so
    that Ctrl-C reaches Jupyter alone (it asks before shutting down).
    """
    cmd = lab_command(root, dest=dest, extra=extra)
    os.chdir(Path(root).resolve())
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, dict(os.environ) if env is None else env)
