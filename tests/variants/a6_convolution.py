"""Implementations of Assignment 6's graded functions, right and wrong, and
its sample submissions.

The corpus is split by notebook into parts (``_a6_conv_naive.py``,
``_a6_pooling.py``, ``_a6_fast_conv.py``, ``_a6_convnet.py``), each defining
``CORRECT`` and ``WRONG`` (kind -> list of variants; the soundness suites
``tests/test_checks_<part>.py`` run every check on every variant), ``BASE``
(answer-cell grade_id -> the correct default of the cell), ``DIFFERENT``
(grade_id -> right answers written differently) and ``SAMPLES`` (the part's
own sample submissions).  This module joins them for the grading pipeline
(``cs231n.grading.samples`` loads it by its path, so the parts are loaded by
theirs).
"""
from cs231n.grading.samples import Sample, load_corpus_parts

PARTS = load_corpus_parts(__file__, "_a6_", ("conv_naive", "pooling", "fast_conv", "convnet"))

CORRECT = {kind: v for part in PARTS for kind, v in part.CORRECT.items()}
WRONG = {kind: v for part in PARTS for kind, v in part.WRONG.items()}
BASE = {cell: v for part in PARTS for cell, v in part.BASE.items()}


# ======================================================= sample submissions
# The grading pipeline's end-to-end test grades these (cs231n.grading.samples).

SAMPLES = [
    Sample(
        "correct",
        note="Every answer right: every autograded test cell gets full points and nothing "
             "is flagged."),
    Sample(
        "different",
        fills={cell: v for part in PARTS for cell, v in part.DIFFERENT.items()},
        in_tests=False,  # make test grades right answers written differently in a1-a4
        note="Right answers written differently (see each part's DIFFERENT) get full "
             "points."),
] + [sample for part in PARTS for sample in part.SAMPLES]
