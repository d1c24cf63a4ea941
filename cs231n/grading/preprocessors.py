"""nbgrader preprocessors of the course (configured in nbgrader_config.py).

``HideHiddenTests`` (feedback): nbgrader's feedback shows the autograded
notebook, whose test cells hold the hidden tests.  Clearing the source is not
enough: a failing test's traceback quotes the lines around the failure, so it
removes the hidden region from each graded cell and every line of it from the
cell's outputs.

``DropEmptyMetadata`` (autograde): a student who copies a test cell makes
nbgrader's ``DeduplicateIds`` blank the copy's metadata to ``{}``, and then
``OverwriteCells`` (with ``add_missing_cells``) fails on it with
``KeyError: 'grade_id'`` and the whole submission fails.  Dropping the empty
dict makes the copy an ordinary cell.

``CappedExecute`` (autograde, set by ``autograder``): nbgrader's ``Execute``
keeping at most so many bytes of a notebook's output in memory.
"""
import re

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Callable, Integer, Unicode

from ..checks._core import SUCCESS_LINE
from ..notebook import HIDDEN_TESTS, hidden_lines, split_regions

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def scrub(text, secret, placeholder):
    """``text`` with every line that quotes a secret line (or a marker) replaced."""
    out = []
    for line in text.split("\n"):
        plain = ANSI.sub("", line)
        if any(s in plain for s in secret) or any(m in plain for m in HIDDEN_TESTS):
            out.append(placeholder)
        else:
            out.append(line)
    return "\n".join(out)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests from graded cells, their source and their outputs."""

    placeholder = Unicode("    (hidden test)", help="Shown instead of a hidden line."
                          ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        secret = hidden_lines(cell.source)
        if not secret and not any(m in cell.source for m in HIDDEN_TESTS):
            return cell, resources
        cell.source = "\n".join(split_regions(cell.source, *HIDDEN_TESTS)[1])
        for output in cell.get("outputs", []):
            if "traceback" in output:
                output["traceback"] = [scrub(t, secret, self.placeholder)
                                       for t in output["traceback"]]
            if "text" in output:
                output["text"] = scrub(output["text"], secret, self.placeholder)
            data = output.get("data", {})
            for key in ("text/plain", "text/html", "text/markdown"):
                if key in data:
                    value = data[key]
                    joined = "".join(value) if isinstance(value, list) else value
                    data[key] = scrub(joined, secret, self.placeholder)
        return cell, resources


class DropEmptyMetadata(NbGraderPreprocessor):
    """Remove an empty ``metadata.nbgrader`` left by ``DeduplicateIds``."""

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources


# What one kept output costs beyond its text: nbclient's NotebookNode and the
# message's dicts.  Counted so that a flood of tiny outputs meets the limit too.
OUTPUT_OVERHEAD = 256


def output_size(obj):
    """Characters of text (and bytes of buffers) in a message's content, plus a
    few for every number or container, without recursion."""
    size, todo = 0, [obj]
    while todo:
        obj = todo.pop()
        if isinstance(obj, (str, bytes, bytearray, memoryview)):
            size += len(obj)
        elif isinstance(obj, dict):
            size += 8
            todo.extend(obj.keys())
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            size += 8
            todo.extend(obj)
        else:
            size += 8
    return size


class CappedExecute(Execute):
    """nbgrader's Execute, keeping at most ``max_output_bytes`` of output per notebook.

    nbclient keeps every output of the kernel in memory until the notebook is
    written: 300 MB printed took the autograder process to 1.37 GB.  Past the
    limit, what does not decide a grade is dropped (printed text, displays,
    widget messages) and what does is kept, cut to a few characters: an error,
    the first stderr stream of a cell and a cell's result (nbgrader scores a
    test cell 0 when it has either of the first two, and reads partial credit
    from the third), and the checks' success lines (the grader looks for them).
    A cell that lost output ends with one stdout stream saying how much;
    ``dropped`` holds the notebook's total.
    """

    max_output_bytes = Integer(
        10 * 2**20, help="Bytes of output kept per notebook (text characters, buffers, "
                         f"and {OUTPUT_OVERHEAD} per output)."
    ).tag(config=True)
    kept_past_limit = Integer(
        1000, help="Characters kept of an error, a stderr stream or a result past the limit."
    ).tag(config=True)
    on_notebook = Callable(
        None, allow_none=True,
        help="Called as on_notebook(event, notebook, dropped): event 'running' before "
             "the notebook's kernel starts, 'finished' when all its cells ran.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        name = ((resources or {}).get("nbgrader") or {}).get("notebook")
        name = f"{name}.ipynb" if name else None
        self.reset_limit()
        self._tell("running", name)
        nb, resources = super().preprocess(nb, resources, km)
        self._tell("finished", name)
        return nb, resources

    def reset_limit(self):
        """Start counting a new notebook's output."""
        self.dropped, self._kept, self._late_kept = 0, 0, 0
        self._cell_dropped, self._late_stderr = {}, set()

    def _tell(self, event, name):
        if self.on_notebook is not None:
            self.on_notebook(event, name, self.dropped)

    def _fits(self, size):
        if self._kept + size <= self.max_output_bytes:
            self._kept += size
            return True
        return False

    def _drop(self, cell_index, size):
        self.dropped += size
        self._cell_dropped[cell_index] = self._cell_dropped.get(cell_index, 0) + size

    def output(self, outs, msg, display_id, cell_index):
        size = output_size(msg.get("content")) + OUTPUT_OVERHEAD
        if self._fits(size):
            return super().output(outs, msg, display_id, cell_index)
        content = self._past_limit(msg["msg_type"], msg.get("content") or {}, cell_index)
        kept = 0 if content is None else output_size(content) + OUTPUT_OVERHEAD
        self._drop(cell_index, max(0, size - kept))
        if content is None:
            return None
        return super().output(outs, dict(msg, content=content), display_id, cell_index)

    def _past_limit(self, kind, content, cell_index):
        """What is kept of an output past the limit (None: nothing)."""
        if kind == "stream" and content.get("name") != "stderr":
            room = self.max_output_bytes - self._kept - OUTPUT_OVERHEAD
            if room > 0:
                self._kept = self.max_output_bytes
                return dict(content, text=str(content.get("text", ""))[:room])
            # The checks' success lines stay: without them the grader takes a
            # test cell for one whose checks did not run (bypass.py).
            text = "".join(content["text"]) if isinstance(content.get("text"), list) \
                else str(content.get("text", ""))
            lines = "".join(m.group(0) + "\n" for m in SUCCESS_LINE.finditer(text))
            if not lines or self._late_kept >= self.max_output_bytes:
                return None
            self._late_kept += len(lines) + OUTPUT_OVERHEAD
            return dict(content, text=lines)
        # Decisive outputs stay, cut short; once they too have taken the
        # limit again, only their kind stays (a flood of errors).
        keep = self.kept_past_limit if self._late_kept < self.max_output_bytes else 0
        if kind == "stream":
            if cell_index in self._late_stderr:
                return None     # the first stderr already makes the cell score 0
            self._late_stderr.add(cell_index)
            content = dict(content, text=_head(content.get("text"), keep))
        elif kind == "error":
            tb = content.get("traceback")
            tail = "\n".join(map(str, tb)) if isinstance(tb, list) else ""
            content = dict(content, evalue=_head(content.get("evalue"), keep),
                           traceback=[tail[-keep:]] if keep else [])
        elif kind == "execute_result":
            plain = (content.get("data") or {}).get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else str(plain)
            content = dict(content, data={"text/plain": _head(plain, keep)}, metadata={})
        else:
            return None
        self._late_kept += output_size(content) + OUTPUT_OVERHEAD
        return content

    def _update_display_id(self, display_id, msg):
        size = output_size(msg.get("content"))
        if not self._fits(size):
            self.dropped += size
            return
        super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        size = output_size(msg.get("content")) + output_size(msg.get("buffers") or [])
        if not self._fits(size):
            self._drop(cell_index, size)
            return
        super().handle_comm_msg(outs, msg, cell_index)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        dropped = self._cell_dropped.pop(kwargs["cell_index"], 0)
        if dropped:
            kwargs["cell"].outputs.append(new_output(
                "stream", name="stdout",
                text=f"\n[the grader dropped {dropped} bytes of this cell's output: a "
                     f"notebook keeps at most {self.max_output_bytes} bytes]\n"))


def _head(text, n):
    text = "".join(text) if isinstance(text, list) else str(text or "")
    return text if len(text) <= n else text[:n] + "..."
