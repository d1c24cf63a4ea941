"""nbgrader's collect, made safe for a class that may cheat.

The course's ``nbgrader_config.py`` makes this the exchange's collect
(``ExchangeFactory.collect``), for formgrader's Collect button and
``nbgrader collect`` alike.  nbgrader's own collect trusts what students
wrote into the exchange's inbound folder:

- the name of a submission says whose it is, and anyone may write one under
  another's name (``nbgrader submit --student=...``, or a plain copy):
  nbgrader only logs a warning when the owner differs, then takes the newest
  one by its name's timestamp, so a forged submission replaces the real one;
- ``timestamp.txt``, which decides what is late, is written by the student;
- it follows links, so a submission holding a link to ``/dev/zero`` or to a
  file of the instructor's is copied from there.

Here a submission counts only when it is a real folder owned by the student
it names; its time is at least when its files were last changed (their
ctime, which no user can set back); only regular files and folders are
copied, up to ``MAX_BYTES``.
"""
import os
import stat
from datetime import datetime, timezone

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

try:
    import pwd
except ImportError:  # not on Windows, where nbgrader's exchange does not run
    pwd = None

__all__ = ["CheckedCollect", "MAX_BYTES", "SLACK_SECONDS"]

MAX_BYTES = 200 * 2**20     # one submission, all files
MAX_FILES = 1000
# nbgrader submit writes timestamp.txt right after copying the files: a
# claimed time this much before their last change is not believed.
SLACK_SECONDS = 60
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def owner_of(path):
    """The user name owning ``path`` itself (a link is not followed), or None."""
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except (KeyError, OSError):
        return None


def last_change(path):
    """The latest ctime (UTC) of ``path`` and everything below it, links
    not followed."""
    latest = os.lstat(path).st_ctime
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                latest = max(latest, os.lstat(os.path.join(dirpath, name)).st_ctime)
            except OSError:
                pass
    return datetime.fromtimestamp(latest, tz=timezone.utc)


# No submission of a student (all of theirs were refused); older than any due date.
NONE = {"username": None, "filename": None, "timestamp": datetime.min}


class CheckedCollect(ExchangeCollect):
    """``nbgrader collect`` that keeps only what each student really
    submitted, with the time it really arrived (see the module's docstring)."""

    def _path_to_record(self, path):
        try:
            record = super()._path_to_record(path)
        except Exception as e:  # a name without a time: nbgrader would stop the collect
            name = os.path.basename(path)
            return {"username": name.split("+", 1)[0], "filename": name,
                    "timestamp": datetime.min, "refused": f"its name holds no time ({e})"}
        owner = owner_of(path)
        if os.path.islink(path) or not os.path.isdir(path):
            record["refused"] = "it is not a folder"
        elif owner != record["username"]:
            record["refused"] = f"it is owned by {owner}"
        return record

    def init_src(self):
        # nbgrader picks each student's newest submission from the records;
        # a refused one must not even compete.
        _sort = self._sort_by_timestamp

        def sort_checked(records):
            kept = [r for r in records if "refused" not in r]
            for r in records:
                if "refused" in r:
                    self.log.warning("Refused %s: it claims to be %s's submission but %s",
                                     r["filename"], r["username"], r["refused"])
            # nbgrader takes the first record of each student: one that only
            # says "none" when every one was refused.
            return _sort(kept) or [NONE]

        self._sort_by_timestamp = sort_checked
        try:
            super().init_src()
        finally:
            del self._sort_by_timestamp
        self.src_records = [r for r in self.src_records if r is not NONE]

    def do_copy(self, src, dest):
        """Copy regular files and folders only, within ``MAX_BYTES`` and
        ``MAX_FILES``; then correct ``timestamp.txt`` to the files' last change
        when it claims an earlier time."""
        budget = [MAX_BYTES, MAX_FILES]
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            here = os.path.join(dest, os.path.relpath(dirpath, src))
            os.makedirs(here, exist_ok=True)
            for name in filenames:
                why = self._copy_file(os.path.join(dirpath, name), os.path.join(here, name),
                                      budget)
                if why:
                    self.log.warning("Skipped %s: %s", os.path.join(dirpath, name), why)
        self._correct_timestamp(src, dest)

    @staticmethod
    def _copy_file(path, dest, budget):
        """Copy one regular file without following a link; why not, or None."""
        if budget[1] <= 0:
            return f"more than {MAX_FILES} files"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            return f"cannot be opened ({e.strerror}): a link?"
        with os.fdopen(fd, "rb") as f_in:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return "not a regular file"
            if info.st_size > budget[0]:
                return f"past the limit of {MAX_BYTES} bytes for a submission"
            data = f_in.read(budget[0] + 1)[:budget[0]]
        budget[0] -= len(data)
        budget[1] -= 1
        with open(dest, "wb") as f_out:
            f_out.write(data)
        return None

    def _correct_timestamp(self, src, dest):
        stamp = os.path.join(dest, "timestamp.txt")
        arrived = last_change(src)
        try:
            with open(stamp) as f:
                claimed = parse_utc(f.read().strip())
        except (OSError, ValueError, OverflowError):
            claimed = None
        if claimed is not None and claimed.tzinfo is None:
            claimed = claimed.replace(tzinfo=timezone.utc)
        if claimed is None or (arrived - claimed).total_seconds() > SLACK_SECONDS:
            self.log.warning("%s: timestamp.txt says %s but its files last changed at %s: "
                             "the submission's time is %s", src, claimed, arrived, arrived)
            with open(stamp, "w") as f:
                f.write(arrived.strftime(TIME_FORMAT))
