"""Staging: the copy of a student's submission that nbgrader reads.

nbgrader's autograde reads ``submitted/<student>/<assignment>/`` as it is and
follows links: a ``svm.ipynb`` that links to the solution scores full marks
and shows the solution in the feedback.  The grader therefore copies each
submission into a fresh folder first (``stage_submission``) and points
nbgrader there (``CourseDirectory.submitted_directory``).  Only what nbgrader
needs is copied, and only when it is safe to read:

- the notebooks the release expects, each a regular file that parses as an
  nbformat 4 notebook (``structure.parse_notebook``); a refused notebook is
  left out, so nbgrader grades it as missing (0), and flagged;
- ``timestamp.txt`` (nbgrader's time of submission, for late penalties),
  when it is a small regular file holding a time nbgrader can parse;
- the other regular files at the top of the folder (nbgrader copies a
  submission's files beside the notebooks the kernel runs), within a limit
  on their number and total size.

Nothing is read through a link: the student's folder, the submission folder
and each file are opened with ``O_NOFOLLOW`` relative to their parent, and a
link, fifo, socket or device is refused without being opened.  Subfolders
are not copied: nbgrader grades the notebooks at the top of the folder, and
the course's given files come from the instructor's copy.

Flags (``samples.STRUCTURE_FLAGS``): ``refused-file`` (a link, a special file,
a file with other hard links, a broken timestamp), ``too-many-files`` (beyond
``max_files`` or ``max_bytes``), ``invalid-notebook``, ``missing-notebook``,
and those of ``structure.inspect_notebook``.
"""
import errno
import fnmatch
import os
import shutil
import stat
from pathlib import Path

from .structure import Inspection, inspect_notebook, invalid, missing, parse_notebook

MAX_FILES = 100                  # files staged per submission, notebooks included
MAX_BYTES = 50 * 2**20           # bytes staged per submission
TIMESTAMP = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 1024
# Skipped without a word, as nbgrader's CourseDirectory.ignore does.
IGNORED = (".ipynb_checkpoints", "__pycache__", "*.pyc", ".nbgrader.log", "feedback")
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
_CHUNK = 1 << 20


class Refused(Exception):
    """A file that is not staged: ``flag`` and ``reason`` for the report, and
    the ``kind`` of file it is."""

    def __init__(self, flag, reason, kind=None):
        super().__init__(reason)
        self.flag, self.reason, self.kind = flag, reason, kind


def stage_submission(src_folder, release_folder, dest_folder, *, max_files=MAX_FILES,
                     max_bytes=MAX_BYTES):
    """Copy what nbgrader may read of a submission into a fresh folder.

    Parameters
    ----------
    src_folder : Path
        ``submitted/<student>/<assignment>``.  Neither it nor the student's
        folder above it may be a link.
    release_folder : Path
        ``assignments/<assignment>``: the notebooks it holds are the ones
        expected.
    dest_folder : Path
        The staged copy, e.g. ``.grading/submitted/<student>/<assignment>``;
        whatever is there is removed first.
    max_files : int
        Files copied at most.  The expected notebooks come first, then
        ``timestamp.txt``, then the other files in name order; the files
        beyond the limit are left out with a reason.
    max_bytes : int
        Bytes copied at most, counted the same way.  An expected notebook
        that does not fit is refused (graded 0).

    Returns
    -------
    Inspection
        The notebooks that were staged (parsed), the problems found (as
        ``structure.inspect_notebook`` finds them, plus the refusals),
        ``submitted`` and ``staged``.
    """
    src, release, dest = Path(src_folder), Path(release_folder), Path(dest_folder)
    found = Inspection()
    expected = sorted(p.name for p in release.glob("*.ipynb"))
    _fresh(dest)
    try:
        fd = _open_submission(src)
    except FileNotFoundError:
        for name in expected:
            missing(found, name, [], expected)
        return found
    except Refused as e:
        found.add(e.flag, f"{e.reason}: nothing in it is read, graded 0")
        found.notebooks = dict.fromkeys(expected)
        found.submitted = set(expected)
        return found
    try:
        _stage(fd, found, expected=expected, release=release, dest=dest,
               budget=_Budget(max_files, max_bytes))
    finally:
        os.close(fd)
    return found


class _Budget:
    """What is left of the limits on files and bytes."""

    def __init__(self, files, size):
        self.files, self.bytes = files, size
        self.limits = f"{files} files and {_size(size)}"

    def fits(self, size):
        return self.files >= 1 and size <= self.bytes

    def take(self, size):
        self.files -= 1
        self.bytes -= size


def _stage(fd, found, *, expected, release, dest, budget):
    names, complete = _list(fd, limit=10 * budget.files + len(expected) + 1)
    present = sorted(n for n in names if n.endswith(".ipynb"))
    for name in expected:
        try:
            data = _read(fd, name, budget)
        except FileNotFoundError:
            missing(found, name, present, expected)
            continue
        except Refused as e:
            found.submitted.add(name)
            found.add(e.flag, f"{e.reason}: graded 0")
            found.notebooks[name] = None
            continue
        found.submitted.add(name)
        try:
            nb = parse_notebook(data)
        except ValueError as e:
            invalid(found, name, e)
            continue
        _write(dest, name, data, found, budget)
        inspect_notebook(found, name, nb, release)

    _stage_timestamp(fd, found, dest, budget)

    dropped, folders = [], []
    for name in sorted(names):
        if name in expected or name == TIMESTAMP or name.endswith(".ipynb") \
                or any(fnmatch.fnmatch(name, p) for p in IGNORED):
            continue  # an unknown notebook: nbgrader skips it too
        try:
            data = _read(fd, name, budget)
        except FileNotFoundError:
            continue
        except Refused as e:
            if e.kind == "folder":
                folders.append(name)
            elif e.flag == "too-many-files":
                dropped.append(name)
            else:
                found.add(e.flag, f"{e.reason}: not copied")
            continue
        _write(dest, name, data, found, budget)
    if folders:
        found.notes.append("not copied (only the files at the top of a submission are "
                           f"graded): the folders {', '.join(f + '/' for f in folders[:5])}"
                           + (" and more" if len(folders) > 5 else ""))
    if dropped or not complete:
        more = "" if complete else f" (the folder holds more than {len(names)} entries)"
        found.add("too-many-files", f"{len(dropped)} files beyond the limit of "
                  f"{budget.limits} were not copied{more}: "
                  + ", ".join(dropped[:5]) + (" and more" if len(dropped) > 5 else ""))


def _stage_timestamp(fd, found, dest, budget):
    """Keep nbgrader's ``timestamp.txt`` when nbgrader can read it: a broken
    one stops nbgrader's whole autograde of the student."""
    from nbgrader.utils import parse_utc
    try:
        data = _read(fd, TIMESTAMP, _Budget(1, MAX_TIMESTAMP_BYTES))
        text = data.decode("utf-8").strip()
        if text:
            parse_utc(text)
    except FileNotFoundError:
        return
    except Refused as e:
        why = e.reason if e.flag == "refused-file" else \
            f"{TIMESTAMP} is longer than {MAX_TIMESTAMP_BYTES} bytes"
        found.add("refused-file", f"{why}: not kept (no late penalty can apply)")
        return
    except (UnicodeDecodeError, ValueError, OverflowError) as e:
        found.add("refused-file", f"{TIMESTAMP} does not hold a time ({str(e)[:100]}): "
                                  "not kept (no late penalty can apply)")
        return
    if not budget.fits(len(data)):
        found.add("too-many-files", f"{TIMESTAMP} is beyond the limit of {budget.limits}: "
                                    "not kept")
        return
    _write(dest, TIMESTAMP, data, found, budget)


def _fresh(dest):
    """An empty folder at ``dest`` (ours: under the course's .grading/)."""
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)


def _open_submission(src):
    """A descriptor of the submission folder, opened without following a link
    at the student's folder or below it."""
    parent = os.open(src.parent.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        student = _open_dir(parent, src.parent.name, f"the student's folder {src.parent.name}")
    finally:
        os.close(parent)
    try:
        return _open_dir(student, src.name, f"the submission folder {src.parent.name}/{src.name}")
    finally:
        os.close(student)


def _open_dir(parent, name, what):
    try:
        st = os.lstat(name, dir_fd=parent)  # FileNotFoundError: nothing submitted
    except FileNotFoundError:
        raise
    except OSError as e:
        raise Refused("refused-file", f"{what} could not be read ({e.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise Refused("refused-file", f"{what} is a symbolic link "
                                      f"(to {_link_target(parent, name)})")
    if not stat.S_ISDIR(st.st_mode):
        raise Refused("refused-file", f"{what} is not a folder")
    try:
        return os.open(name, _OPEN_DIR, dir_fd=parent)
    except OSError as e:  # replaced by a link since the lstat
        raise Refused("refused-file", f"{what} could not be opened ({e.strerror})") from None


def _list(fd, limit):
    """Names in the folder (at most ``limit``) and whether that is all of them."""
    names = []
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                if len(names) >= limit:
                    return names, False
                names.append(entry.name)
    except OSError:
        pass    # what could not be listed is not copied; expected names are tried
    return names, True


def _read(fd, name, budget):
    """The bytes of the regular file ``name`` of the folder when they fit in
    the budget; Refused (flag, reason) for anything else."""
    try:
        st = os.lstat(name, dir_fd=fd)      # FileNotFoundError is the caller's
    except FileNotFoundError:
        raise
    except OSError as e:
        raise Refused("refused-file", f"{name} could not be read ({e.strerror})") from None
    kind = _kind(st.st_mode)
    if kind == "symbolic link":
        raise Refused("refused-file", f"{name} is a symbolic link "
                                      f"(to {_link_target(fd, name)})", kind)
    if kind != "file":
        raise Refused("refused-file", f"{name} is a {kind}, not a file", kind)
    if st.st_nlink > 1:
        # A hard link can reach any file of the same disk, like a symbolic one.
        raise Refused("refused-file", f"{name} has {st.st_nlink - 1} other hard links")
    if not budget.fits(st.st_size):
        raise Refused("too-many-files", f"{name} ({_size(st.st_size)}) is beyond the "
                                        f"limit of {budget.limits} of a submission")
    try:
        file = os.open(name, _OPEN_FILE, dir_fd=fd)
    except OSError as e:
        if e.errno == errno.ENOENT:
            raise FileNotFoundError(name) from None
        raise Refused("refused-file", f"{name} could not be opened ({e.strerror})") from None
    try:
        now = os.fstat(file)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or _kind(now.st_mode) != "file":
            raise Refused("refused-file", f"{name} changed while it was read")
        chunks, size = [], 0
        while size <= budget.bytes:
            chunk = os.read(file, min(_CHUNK, budget.bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(file)
    if size > budget.bytes:  # it grew while it was read
        raise Refused("too-many-files", f"{name} is beyond the limit of {budget.limits} "
                                        "of a submission")
    return b"".join(chunks)


def _write(dest, name, data, found, budget):
    budget.take(len(data))
    (dest / name).write_bytes(data)
    found.staged.append(name)


def _kind(mode):
    for test, kind in ((stat.S_ISREG, "file"), (stat.S_ISLNK, "symbolic link"),
                       (stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return kind
    return "special file"


def _link_target(fd, name):
    try:
        return os.readlink(name, dir_fd=fd)[:200]
    except OSError:
        return "?"


def _size(n):
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
