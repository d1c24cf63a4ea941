"""The guest's entry point, run inside bubblewrap as ``python -E -s <this folder>``.

A folder of its own, so that the first entry of the guest's ``sys.path`` holds
nothing but the guest's own files: the student's working folder is not on the
path while the sandbox's tell is being armed.
"""
import sys
from pathlib import Path

# The cs231n package this file belongs to (the grader's, bound read-only),
# before any other the interpreter would find.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from cs231n.grading.guest import guest_main  # noqa: E402

guest_main()
