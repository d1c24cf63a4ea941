# Bound into the sandboxed kernel's IPython startup folder by cs231n.grading.sandbox:
# arms the sandbox's tell once the kernel has started, before the first cell.
def _cs231n_tell():
    import json
    import os
    import sys
    spec = os.environ.pop("CS231N_TELL", None)
    if spec:
        spec = json.loads(spec)
        sys.modules["cs231n.grading.guest"].tell(spec["log_fd"], spec["watch"],
                                                 spec["allow"])


_cs231n_tell()
del _cs231n_tell
