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
"""
import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..notebook import split_regions

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def hidden_lines(source):
    """The non-blank lines inside hidden-test regions, stripped."""
    return [line.strip() for line in split_regions(source, *MARKERS)[0] if line.strip()]


def scrub(text, secret, placeholder):
    """``text`` with every line that quotes a secret line (or a marker) replaced."""
    out = []
    for line in text.split("\n"):
        plain = ANSI.sub("", line)
        if any(s in plain for s in secret) or any(m in plain for m in MARKERS):
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
        if not secret and not any(m in cell.source for m in MARKERS):
            return cell, resources
        cell.source = "\n".join(split_regions(cell.source, *MARKERS)[1])
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
