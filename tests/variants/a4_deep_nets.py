"""Implementations of Assignment 4's graded functions, right and wrong, and
its sample submissions.

The corpus is split by notebook into parts (``_a4_preprocessing.py``,
``_a4_normalization.py``, ``_a4_dropout.py``, ``_a4_deep_net.py``), each defining ``CORRECT`` and
``WRONG`` (kind -> list of variants; the soundness suites
``tests/test_checks_<part>.py`` run every check on every variant), ``BASE``
(answer-cell grade_id -> the correct default of the cell), ``DIFFERENT``
(grade_id -> right answers written differently) and ``SAMPLES`` (the part's
own sample submissions).  This module joins them for the grading pipeline
(``cs231n.grading.samples`` loads it by its path, so the parts are loaded by
theirs).
"""
from cs231n.grading.samples import Sample, load_corpus_parts

PARTS = load_corpus_parts(__file__, "_a4_", ("preprocessing", "normalization", "dropout",
                                             "deep_net"))

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
        # make test grades right answers written differently in a1-a3, and
        # test_grading runs every right variant through the integrity pass
        in_tests=False,
        fills={cell: v for part in PARTS for cell, v in part.DIFFERENT.items()},
        note="Right answers written differently (see each part's DIFFERENT) get full "
             "points."),
] + [sample for part in PARTS for sample in part.SAMPLES]


# ------------------------------------------------------------------ hostile
# On preprocessing.ipynb, whose functions no later notebook builds on, so that
# what each sample loses is its own.

_prep = PARTS[0]

LOOP_FOREVER = """
while True:  # at module level: runs when the cell runs
    pass
"""

PATCH_CHECKS = "checks.check_standardize = lambda *a, **k: None\n"


def hostile_reads_solution(X, num_components):
    """Runs the instructor's pca, read from the course folder."""
    from cs231n.notebook import load_answers
    ns = load_answers("../../../solutions/a4_deep_nets/preprocessing.ipynb")
    return ns["pca"](X, num_components)


SAMPLES += [
    Sample(
        "monkeypatch-checks",
        fills={"standardize": [_prep.standardize_pooled_stats, PATCH_CHECKS]},
        lose={"test_standardize"},
        flags={"monkeypatch", "tampered", "check-bypassed"},
        in_tests=False,
        note="A standardize that leaks the other set's statistics, in a cell that "
             "replaces checks.check_standardize by a no-op: its test cell passes in the "
             "kernel, the integrity pass fails it, so test_standardize loses and the patch, "
             "the disagreement and the missing success line are reported; the other "
             "checks were not patched and keep their points."),
    Sample(
        "hostile-read-solutions",
        fills={"pca": [hostile_reads_solution]},
        lose={"test_pca"},
        flags={"sandbox-violation"},
        in_tests=False,
        note="pca runs the solution notebook read from ../../../solutions: the kernel's "
             "sandbox refuses the read (reported) and the integrity worker's folder has no "
             "such path, so test_pca loses in both."),
    Sample(
        "hostile-infinite-loop",
        fills={"whiten": [_prep.whiten_divide, LOOP_FOREVER]},
        lose={"test_whiten"},
        flags={"timed-out", "tampered"},
        in_tests=False,
        note="An endless loop after the def in the whiten cell: nbgrader interrupts the "
             "cell at its timeout with whiten defined, so its test passes there, but the "
             "integrity worker never finishes loading the cell and is killed: test_whiten "
             "loses and the disagreement is flagged; the other functions of the notebook "
             "get a fresh worker and keep their points."),
]
