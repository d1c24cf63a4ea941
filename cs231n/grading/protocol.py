"""Messages between the grader and an integrity worker, over a pair of pipes.

A message is a JSON header and a payload holding the bytes of its arrays one
after the other, each prefixed with its length.  The header names every
array's dtype, shape and place in the payload.  Nothing is unpickled: the
grader reads what an untrusted worker sends with ``json`` and
``np.frombuffer`` on a checked numeric dtype, shape and range, and only the
types below come through.  (An ``.npz`` payload cost about 0.3 ms per array on
each side, the main cost of a call; raw bytes cost a tenth of that.)

    None, bool, int, float, str, list, dict (str keys), tuple, ndarray,
    numpy scalars (as Python numbers), numpy Generators (their state)
"""
import json
import os
import re
import select
import struct
import time

import numpy as np

MAX_HEADER = 16 << 20      # a header larger than this is a protocol error
MAX_PAYLOAD = 512 << 20
# Plain numeric dtypes only (bool, signed, unsigned, float), e.g. "<f8", "|b1".
_DTYPE = re.compile(r"^[<>|=][biuf][1-9][0-9]?$")


class ProtocolError(Exception):
    """The other side sent something that is not a message."""


def encode(obj):
    """``(header, payload)`` bytes for ``obj``."""
    arrays, offset = [], [0]

    def enc(x):
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, (int, float)):
            # float(x): numpy 2 writes repr(np.float64("nan")) as "np.float64(nan)".
            return x if isinstance(x, int) or np.isfinite(x) else {"__float__": repr(float(x))}
        if isinstance(x, np.generic):
            return enc(x.item())
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "biuf":
                return {"__unsupported__": f"ndarray of dtype {x.dtype}"}
            a = np.ascontiguousarray(x)
            arrays.append(a)
            start = offset[0]
            offset[0] += a.nbytes
            return {"__array__": [a.dtype.str, list(a.shape), start]}
        if isinstance(x, tuple):
            return {"__tuple__": [enc(v) for v in x]}
        if isinstance(x, list):
            return [enc(v) for v in x]
        if isinstance(x, dict) and all(isinstance(k, str) for k in x):
            return {"__dict__": {k: enc(v) for k, v in x.items()}}
        if isinstance(x, np.random.Generator):
            return {"__generator__": _jsonable_state(x.bit_generator.state)}
        return {"__unsupported__": type(x).__name__}

    header = json.dumps(enc(obj)).encode()
    return header, b"".join(a.tobytes() for a in arrays)


def _jsonable_state(state):
    return json.loads(json.dumps(state, default=int))


class Unsupported:
    """A value of a type the protocol does not carry (shown by its name)."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<{self.what}>"


def decode(header, payload):
    """The object of ``encode``; raises ProtocolError on anything malformed."""
    try:
        tree = json.loads(header)
    except Exception as e:
        raise ProtocolError(f"malformed message: {type(e).__name__}: {e}") from None
    used = [0]

    def array(spec):
        if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)
                and _DTYPE.match(spec[0]) and isinstance(spec[1], list)
                and all(type(n) is int and n >= 0 for n in spec[1])
                and type(spec[2]) is int and spec[2] >= 0):
            raise ProtocolError("malformed array")
        dtype, shape, start = np.dtype(spec[0]), tuple(spec[1]), spec[2]
        count = 1
        for n in shape:
            count *= n
        end = start + count * dtype.itemsize
        if end > len(payload) or count > MAX_PAYLOAD:
            raise ProtocolError("array out of range")
        used[0] += end - start
        # A copy: writable, and independent of the message's bytes.
        return np.frombuffer(payload, dtype=dtype, count=count,
                             offset=start).reshape(shape).copy()

    def dec(x):
        if isinstance(x, list):
            return [dec(v) for v in x]
        if not isinstance(x, dict):
            if x is None or isinstance(x, (bool, int, float, str)):
                return x
            raise ProtocolError(f"unexpected JSON value {type(x).__name__}")
        if len(x) != 1:
            raise ProtocolError("malformed tagged value")
        (tag, v), = x.items()
        if tag == "__array__":
            return array(v)
        if tag == "__tuple__":
            return tuple(dec(e) for e in v)
        if tag == "__dict__":
            return {str(k): dec(e) for k, e in v.items()}
        if tag == "__float__":
            return float(v)
        if tag == "__generator__":
            bits = getattr(np.random, str(v.get("bit_generator", "")), None)
            if bits not in (np.random.PCG64, np.random.PCG64DXSM, np.random.Philox,
                            np.random.SFC64, np.random.MT19937):
                raise ProtocolError("unknown bit generator")
            g = bits()
            g.state = v
            return np.random.Generator(g)
        if tag == "__unsupported__":
            return Unsupported(str(v))
        raise ProtocolError(f"unknown tag {tag!r}")

    out = dec(tree)
    if used[0] != len(payload):
        raise ProtocolError("the payload holds bytes no array uses")
    return out


def send(fd, obj):
    header, payload = encode(obj)
    _write_all(fd, struct.pack("<QQ", len(header), len(payload)) + header + payload)


def recv(fd, deadline=None):
    """The next message.

    Raises EOFError when the other side closed the pipe, TimeoutError when
    ``deadline`` (a ``time.monotonic()`` value) passes first.
    """
    head = _read_exact(fd, 16, deadline)
    n_header, n_payload = struct.unpack("<QQ", head)
    if n_header > MAX_HEADER or n_payload > MAX_PAYLOAD:
        raise ProtocolError(f"message too large ({n_header} + {n_payload} bytes)")
    return decode(_read_exact(fd, n_header, deadline), _read_exact(fd, n_payload, deadline))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd, n, deadline=None):
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer before the deadline")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
