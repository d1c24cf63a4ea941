"""The guest's entry point, run inside bubblewrap as ``python -E -s <this folder>``.

A folder of its own, so that the first entry of the guest's ``sys.path`` holds
nothing but the guest's own files: the student's working folder is not on the
path while the sandbox's tell is being armed.
"""
from cs231n.grading.guest import guest_main

guest_main()
