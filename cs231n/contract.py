"""What an assignment declares to the course: its contract.

Each assignment's check module (``cs231n/checks/<name>.py``) ends with one
:class:`Assignment` bound to ``ASSIGNMENT``; ``cs231n.registry`` finds them.
This module imports nothing of the course: check modules import it, the
registry imports the check modules.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["Assignment", "GradingLimits", "Given"]


@dataclass(frozen=True)
class GradingLimits:
    """What grading one student of the assignment may take.

    Parameters
    ----------
    cell_timeout : int
        Seconds for one cell of a notebook while it is autograded.
    kernel_cpu_seconds : int
        CPU seconds of a notebook's kernel, all its cells together.
    worker_cpu_seconds : int
        CPU seconds of the integrity worker of one notebook (the graded
        functions called again on the grader's inputs).
    memory_bytes : int
        Address space of a kernel and of a worker.
    student_budget : int
        Wall-clock seconds for all of one student: the autograde, the runs of
        single notebooks after a failure, and the integrity pass.
    """
    cell_timeout: int = 30
    kernel_cpu_seconds: int = 90
    worker_cpu_seconds: int = 120
    memory_bytes: int = 2 * 1024 ** 3
    student_budget: int = 300

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"GradingLimits.{name} must be a positive int, got {value!r}")

    def describe(self):
        """One line for a report's header."""
        return (f"{self.cell_timeout} s per cell, {self.kernel_cpu_seconds} CPU s per "
                f"notebook, {self.worker_cpu_seconds} CPU s per integrity worker, "
                f"{self.memory_bytes / 1024 ** 3:g} GiB of memory, {self.student_budget} s "
                "per student")


@dataclass(frozen=True)
class Given:
    """A module a later assignment receives from an earlier one's solutions.

    ``filename`` (say ``a2_layers.py``) is written into the later
    assignment's ``solutions/`` folder by ``cs231n-course release``, from the
    answer cells of the solution notebooks of the assignment ``source`` (its
    id, as its check module's ``AID``): ``names`` maps each of those
    notebooks to the names whose defining cells are taken, in order.
    """
    filename: str
    source: str
    names: dict


@dataclass(frozen=True)
class Assignment:
    """One assignment's contract with the course.

    Parameters
    ----------
    id : str
        Its folder under ``solutions/`` and ``assignments/``; nbgrader's id.
    notebooks : tuple of str
        Its notebooks, in the order students work through them.
    graded : tuple
        The graded functions (``checks._core.Graded``: name, notebook, test
        cell, check callable).
    recomputed : tuple
        Values a notebook computes that the grader measures again
        (``checks._core.Recomputed``).
    solutions : dict
        kind -> (notebook, name): the solution functions ``make_reference``
        is built from.
    make_reference : callable
        ``make_reference(solutions, cases=None)`` -> dict of arrays: the
        solution's outputs on the fixed cases (stored) or on ``cases``.
    random_cases : callable
        ``random_cases(rng)`` -> fresh cases the grader checks on.
    helpers : dict
        name -> class: trusted helpers a check hands to student code (the
        integrity worker builds them in its own process).
    given : tuple of Given
        Modules this assignment receives from earlier ones.
    uses : dict
        notebook -> earlier notebooks of this assignment whose answer cells
        it builds on (``two_layer_net.ipynb`` composes the layers students
        wrote in ``backprop.ipynb``): the definitions of their answer cells
        run first wherever its answers are loaded (reference values, the
        integrity pass), as ``cs231n.notebook.answers_of`` runs them in the
        student's kernel.
    limits : GradingLimits
    """
    id: str
    notebooks: tuple
    graded: tuple
    solutions: dict
    make_reference: Callable
    random_cases: Callable
    recomputed: tuple = ()
    helpers: dict = field(default_factory=dict)
    given: tuple = ()
    uses: dict = field(default_factory=dict)
    limits: GradingLimits = GradingLimits()
    module: Optional[str] = None      # set by the registry: the check module's name

    @property
    def given_files(self):
        """The file names of the given modules, in the order of ``given``: they
        run before the answer cells wherever answers are loaded outside the
        kernel (in the kernel, the notebooks import them)."""
        return tuple(g.filename for g in self.given)

    def __post_init__(self):
        if not self.id or not isinstance(self.id, str):
            raise ValueError(f"Assignment.id must be a non-empty str, got {self.id!r}")
        for entry in (*self.graded, *self.recomputed):
            if entry.notebook not in self.notebooks:
                raise ValueError(f"{self.id}: {entry.name} is graded in {entry.notebook}, "
                                 f"which is not one of its notebooks {self.notebooks}")
        given_names = {n for g in self.given for names in g.names.values() for n in names}
        clash = sorted(given_names & {g.name for g in self.graded})
        if clash:
            raise ValueError(f"{self.id}: {', '.join(clash)} would be both given code and "
                             "graded: a student's missing definition would find the given one")
        for notebook, earlier in self.uses.items():
            order = self.notebooks.index(notebook) if notebook in self.notebooks else -1
            if order < 0 or any(e not in self.notebooks[:order] for e in earlier):
                raise ValueError(f"{self.id}: uses[{notebook!r}] must name notebooks that come "
                                 f"before it in {self.notebooks}, got {tuple(earlier)}")
