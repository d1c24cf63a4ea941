"""Assignment 6's corpus, part conv_naive: right and wrong output sizes and naive
convolutions in 1-D, 2-D and 3-D, and the part's sample submissions (joined by
a6_convolution.py).

A backward variant is a (forward, backward) pair: the check calls the
backward on the caches of its forward.  The variants that samples paste into
the notebook (BASE, DIFFERENT, SAMPLES) are self-contained.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------- output size: right

def conv_output_size_divmod(size, filter_size, pad, stride):
    steps, rest = divmod(size - filter_size + 2 * pad, stride)
    if rest or steps < 0:
        raise ValueError(f"a filter of size {filter_size} does not fit an input of size "
                         f"{size} with pad {pad} and stride {stride}")
    return steps + 1


def conv_output_size_float(size, filter_size, pad, stride):
    out = (size - filter_size + 2 * pad) / stride + 1
    if out < 1 or not float(out).is_integer():
        raise ValueError(f"input size {size}, filter size {filter_size}, pad {pad}, "
                         f"stride {stride}: the output size {out} is not a whole number >= 1")
    return int(out)


def conv_output_size_count(size, filter_size, pad, stride):
    """Counts the windows one by one."""
    padded = size + 2 * pad
    starts = list(range(0, padded - filter_size + 1, stride))
    if not starts or starts[-1] + filter_size != padded:
        raise ValueError(f"size {size} and filter_size {filter_size} do not fit "
                         f"(pad={pad}, stride={stride})")
    return len(starts)


# ------------------------------------------------------- output size: wrong

def conv_output_size_no_plus_one(size, filter_size, pad, stride):
    steps, rest = divmod(size - filter_size + 2 * pad, stride)
    if rest or steps < 0:
        raise ValueError(f"size {size}, filter {filter_size} do not fit")
    return steps


def conv_output_size_pad_once(size, filter_size, pad, stride):
    steps, rest = divmod(size - filter_size + pad, stride)
    if rest or steps < 0:
        raise ValueError(f"size {size}, filter {filter_size} do not fit")
    return steps + 1


def conv_output_size_floor(size, filter_size, pad, stride):
    """Floors silently where the filter does not fit."""
    return (size - filter_size + 2 * pad) // stride + 1


def conv_output_size_float_result(size, filter_size, pad, stride):
    out = (size - filter_size + 2 * pad) / stride + 1
    if out < 1 or out != int(out):
        raise ValueError(f"size {size}, filter {filter_size} do not fit")
    return out


def conv_output_size_silent_error(size, filter_size, pad, stride):
    steps, rest = divmod(size - filter_size + 2 * pad, stride)
    if rest or steps < 0:
        raise ValueError("does not fit")
    return steps + 1


# ------------------------------------------------------------ 2-D forward: right

def conv_forward_loops(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape

    def size(n, f):
        if (n - f + 2 * pad) % stride or n + 2 * pad < f:
            raise ValueError(f"input size {n} and filter size {f} do not fit with pad "
                             f"{pad}, stride {stride}")
        return (n - f + 2 * pad) // stride + 1
    Ho, Wo = size(H, HH), size(W, WW)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_einsum(x, w, b, conv_param):
    """One einsum per output position, over the batch and the filters."""
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if (H + 2 * p - HH) % s or (W + 2 * p - WW) % s or H + 2 * p < HH or W + 2 * p < WW:
        raise ValueError(f"x {x.shape} and w {w.shape} do not fit (stride {s}, pad {p})")
    Ho, Wo = (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    out = np.empty((N, F, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", xp[:, :, i * s:i * s + HH,
                                                            j * s:j * s + WW], w)
    return out + b[None, :, None, None], {"x": x, "w": w, "b": b, "param": conv_param}


def conv_forward_tensordot(x, w, b, conv_param):
    """Positions outermost, tensordot over each window."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    xp = np.zeros((x.shape[0], C, x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), x.dtype)
    xp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]] = x
    Hn, Wn = xp.shape[2] - HH, xp.shape[3] - WW
    if Hn < 0 or Wn < 0 or Hn % stride or Wn % stride:
        raise ValueError(f"H={x.shape[2]}, W={x.shape[3]} do not fit filters "
                         f"{HH}x{WW} with stride {stride}, pad {pad}")
    out = np.zeros((x.shape[0], F, Hn // stride + 1, Wn // stride + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            win = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_forward_shift_add(x, w, b, conv_param):
    """Loops over the filter's offsets (c, a, e) outermost: each adds a strided
    slice of the padded input times one weight (shift and add)."""
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if (H + 2 * P - HH) % S or (W + 2 * P - WW) % S or H + 2 * P < HH or W + 2 * P < WW:
        raise ValueError(f"input {H}x{W} and filter {HH}x{WW} do not fit (S={S}, P={P})")
    Ho, Wo = (H + 2 * P - HH) // S + 1, (W + 2 * P - WW) // S + 1
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    out = np.zeros((N, F, Ho, Wo)) + b.reshape(1, F, 1, 1)
    for c in range(C):
        for a in range(HH):
            for e in range(WW):
                shifted = xp[:, c, a:a + S * (Ho - 1) + 1:S, e:e + S * (Wo - 1) + 1:S]
                for f in range(F):
                    out[:, f] += w[f, c, a, e] * shifted
    return out, (x, w, b, conv_param)


# ------------------------------------------------------------ 2-D forward: wrong

def conv_forward_flipped(x, w, b, conv_param):
    """A true convolution: the filter flipped before the correlation."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if (H + 2 * pad - HH) % stride or (W + 2 * pad - WW) % stride \
            or H + 2 * pad < HH or W + 2 * pad < WW:
        raise ValueError(f"x {x.shape} and w {w.shape} do not fit")
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w_flip = w[:, :, ::-1, ::-1]
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w_flip[f]) + b[f]
    return out, (x, w, b, conv_param)


def _fits(H, W, HH, WW, stride, pad):
    if (H + 2 * pad - HH) % stride or (W + 2 * pad - WW) % stride \
            or H + 2 * pad < HH or W + 2 * pad < WW:
        raise ValueError(f"H={H}, W={W} and HH={HH}, WW={WW} do not fit")
    return (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1


def conv_forward_pad_all_axes(x, w, b, conv_param):
    """np.pad(x, pad) pads the batch and the channels too."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, pad)
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :C, i * stride:i * stride + HH,
                                   j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_one_side(x, w, b, conv_param):
    """All 2 * pad zeros before the input, none after."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_pad_before_only(x, w, b, conv_param):
    """pad zeros before the input only, and the sizes of that padded input."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0)))
    Ho, Wo = (H + pad - HH) // stride + 1, (W + pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_no_plus_one(x, w, b, conv_param):
    """Output size (W - F + 2P) / S, without the + 1."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho - 1, Wo - 1))
    for n in range(N):
        for f in range(F):
            for i in range(Ho - 1):
                for j in range(Wo - 1):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_bias_broadcast(x, w, b, conv_param):
    """out += b broadcasts b over the last (spatial) axis."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f])
    out += b
    return out, (x, w, b, conv_param)


def conv_forward_bias_per_channel(x, w, b, conv_param):
    """b[f] added once per input channel."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = _fits(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        window = x_pad[n, c, i * stride:i * stride + HH,
                                       j * stride:j * stride + WW]
                        out[n, f, i, j] += np.sum(window * w[f, c]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_no_error(x, w, b, conv_param):
    """Floors the output size where the filter does not fit."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, max(Ho, 0), max(Wo, 0)))
    for n in range(N):
        for f in range(F):
            for i in range(max(Ho, 0)):
                for j in range(max(Wo, 0)):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_forward_mutates_x(x, w, b, conv_param):
    """Scales x in place after the loops."""
    out, cache = conv_forward_loops(x, w, b, conv_param)
    x *= 1.0 + 0 * x + 1e-3
    return out, cache


# ----------------------------------------------------------- 2-D backward: right

def conv_backward_loops(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad, dtype=np.float64)
    dw = np.zeros_like(w, dtype=np.float64)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


def conv_backward_einsum(dout, cache):
    x, w, b, param = cache["x"], cache["w"], cache["b"], cache["param"]
    s, p = param["stride"], param["pad"]
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            g = dout[:, :, i, j]
            dw += np.einsum("nchw,nf->fchw", xp[:, :, i * s:i * s + HH, j * s:j * s + WW], g)
            dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] += np.einsum("fchw,nf->nchw", w, g)
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


def conv_backward_full_conv(dout, cache):
    """dx as the full convolution of the (dilated) dout with the flipped filter,
    dw as the correlation of the padded x with the dilated dout."""
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    _, C, HH, WW = w.shape
    # dout dilated by the stride: the output positions on the padded input's grid
    d = np.zeros((N, F, (Ho - 1) * s + 1, (Wo - 1) * s + 1))
    d[:, :, ::s, ::s] = dout
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dw = np.zeros(w.shape)
    for i in range(HH):
        for j in range(WW):
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", d,
                                       xp[:, :, i:i + d.shape[2], j:j + d.shape[3]])
    dpad = np.pad(d, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))
    wf = w[:, :, ::-1, ::-1]
    dxp = np.zeros(xp.shape)
    for i in range(dpad.shape[2] - HH + 1):
        for j in range(dpad.shape[3] - WW + 1):
            dxp[:, :, i, j] = np.einsum("nfhw,fchw->nc", dpad[:, :, i:i + HH, j:j + WW], wf)
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


def conv_backward_shift_add(dout, cache):
    x, w, b, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    _, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for c in range(C):
        for a in range(HH):
            for e in range(WW):
                rows = slice(a, a + S * (Ho - 1) + 1, S)
                cols = slice(e, e + S * (Wo - 1) + 1, S)
                for f in range(F):
                    dw[f, c, a, e] = np.sum(dout[:, f] * xp[:, c, rows, cols])
                    dxp[:, c, rows, cols] += w[f, c, a, e] * dout[:, f]
    return dxp[:, :, P:P + x.shape[2], P:P + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


# ----------------------------------------------------------- 2-D backward: wrong

def conv_backward_stride_ignored(dout, cache):
    x, w, b, conv_param = cache
    pad = conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    dw[f] += x_pad[n, :, i:i + HH, j:j + WW] * dout[n, f, i, j]
                    dx_pad[n, :, i:i + HH, j:j + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, np.sum(dout, axis=(0, 2, 3))


def conv_backward_dw_last_example(dout, cache):
    """dw[f] = ... for every example: the last one overwrites the others."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        dw_n = np.zeros(w.shape)
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    dw_n[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
        dw = dw_n
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, np.sum(dout, axis=(0, 2, 3))


def conv_backward_db_per_example(dout, cache):
    dx, dw, _ = conv_backward_loops(dout, cache)
    return dx, dw, dout.sum(axis=(2, 3))


def conv_backward_db_per_pixel(dout, cache):
    dx, dw, _ = conv_backward_loops(dout, cache)
    return dx, dw, dout.sum(axis=0)


def conv_backward_no_crop(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    return dx_pad, dw, np.sum(dout, axis=(0, 2, 3))


def conv_backward_dw_mean(dout, cache):
    dx, dw, db = conv_backward_loops(dout, cache)
    return dx, dw / dout.shape[0], db


def conv_backward_flipped(dout, cache):
    """dx from the flipped filter (the convolution's backward applied to a correlation)."""
    x, w, b, conv_param = cache
    dx, dw, db = conv_backward_loops(dout, (x, w[:, :, ::-1, ::-1], b, conv_param))
    return dx, dw, db


def conv_backward_in_place(dout, cache):
    dx, dw, db = conv_backward_loops(dout, cache)
    dout *= 2
    return dx, dw, db


# --------------------------------------------------------------------- 1-D

def conv1d_forward_loops(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, WW = w.shape
    if (W + 2 * pad - WW) % stride or W + 2 * pad < WW:
        raise ValueError(f"input width {W} and filter width {WW} do not fit with pad {pad}, "
                         f"stride {stride}")
    Wo = (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    out = np.zeros((N, F, Wo))
    for n in range(N):
        for f in range(F):
            for j in range(Wo):
                out[n, f, j] = np.sum(x_pad[n, :, j * stride:j * stride + WW] * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv1d_forward_einsum(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    WW = w.shape[2]
    if (x.shape[2] + 2 * p - WW) % s or x.shape[2] + 2 * p < WW:
        raise ValueError(f"W={x.shape[2]} and WW={WW} do not fit")
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    Wo = (xp.shape[2] - WW) // s + 1
    out = np.stack([np.einsum("ncw,fcw->nf", xp[:, :, j * s:j * s + WW], w)
                    for j in range(Wo)], axis=2)
    return out + b[:, None], (x, w, b, conv_param)


def conv1d_forward_scalar_loops(x, w, b, conv_param):
    """Every multiply in Python, filters outermost, positions innermost."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, WW = w.shape
    span = W + 2 * pad - WW
    if span < 0 or span % stride:
        raise ValueError(f"W={W}, WW={WW}, pad={pad}, stride={stride}: the filter does not fit")
    Wo = span // stride + 1
    out = np.empty((N, F, Wo), dtype=x.dtype)
    for f in range(F):
        for n in range(N):
            for j in range(Wo):
                total = float(b[f])
                for c in range(C):
                    for e in range(WW):
                        k = j * stride + e - pad
                        if 0 <= k < W:
                            total += float(x[n, c, k]) * float(w[f, c, e])
                out[n, f, j] = total
    return out, (x, w, b, conv_param)


def conv1d_backward_loops(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    WW = w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx_pad, dw = np.zeros(x_pad.shape), np.zeros(w.shape)
    for n in range(dout.shape[0]):
        for f in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                ws = j * stride
                dw[f] += x_pad[n, :, ws:ws + WW] * dout[n, f, j]
                dx_pad[n, :, ws:ws + WW] += w[f] * dout[n, f, j]
    return dx_pad[:, :, pad:pad + x.shape[2]], dw, dout.sum(axis=(0, 2))


def conv1d_backward_einsum(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    WW = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for j in range(dout.shape[2]):
        dw += np.einsum("ncw,nf->fcw", xp[:, :, j * s:j * s + WW], dout[:, :, j])
        dxp[:, :, j * s:j * s + WW] += np.einsum("fcw,nf->ncw", w, dout[:, :, j])
    return dxp[:, :, p:xp.shape[2] - p], dw, dout.sum(axis=(0, 2))


def conv1d_forward_flipped(x, w, b, conv_param):
    return conv1d_forward_loops(x, w[:, :, ::-1], b, conv_param)


def conv1d_forward_one_side(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    out, _ = conv1d_forward_loops(np.pad(x, ((0, 0), (0, 0), (2 * pad, 0))), w, b,
                                  {"stride": stride, "pad": 0})
    return out, (x, w, b, conv_param)


def conv1d_forward_pad_channels(x, w, b, conv_param):
    """np.pad(x, pad): the batch and the channels are padded too."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, WW = w.shape
    if (W + 2 * pad - WW) % stride or W + 2 * pad < WW:
        raise ValueError(f"W={W} and WW={WW} do not fit")
    Wo = (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, pad)
    out = np.zeros((N, F, Wo))
    for n in range(N):
        for f in range(F):
            for j in range(Wo):
                out[n, f, j] = np.sum(x_pad[n, :C, j * stride:j * stride + WW] * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv1d_forward_bias_per_position(x, w, b, conv_param):
    out, cache = conv1d_forward_loops(x, w, np.zeros_like(b), conv_param)
    return out + b[0] * np.arange(out.shape[2]) + b[:, None], cache


def conv1d_backward_stride_ignored(dout, cache):
    x, w, b, conv_param = cache
    return conv1d_backward_loops(dout, (x, w, b, {"stride": 1, "pad": conv_param["pad"]}))


def conv1d_backward_no_crop(dout, cache):
    x, w, b, conv_param = cache
    pad = conv_param["pad"]
    dx, dw, db = conv1d_backward_loops(dout, cache)
    return np.pad(dx, ((0, 0), (0, 0), (pad, pad))), dw, db


def conv1d_backward_db_not_summed(dout, cache):
    dx, dw, _ = conv1d_backward_loops(dout, cache)
    return dx, dw, dout.sum(axis=2)


# --------------------------------------------------------------------- 3-D

def conv3d_forward_loops(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C = x.shape[:2]
    F, _, KD, KH, KW = w.shape
    sizes = []
    for n, k in zip(x.shape[2:], w.shape[2:]):
        if (n + 2 * pad - k) % stride or n + 2 * pad < k:
            raise ValueError(f"input size {n} and filter size {k} do not fit with pad {pad}, "
                             f"stride {stride}")
        sizes.append((n + 2 * pad - k) // stride + 1)
    Do, Ho, Wo = sizes
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Do, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for d in range(Do):
                for i in range(Ho):
                    for j in range(Wo):
                        win = xp[n, :, d * stride:d * stride + KD, i * stride:i * stride + KH,
                                 j * stride:j * stride + KW]
                        out[n, f, d, i, j] = np.sum(win * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv3d_forward_product(x, w, b, conv_param):
    """itertools.product over the output positions, tensordot over each window."""
    import itertools
    s, p = conv_param["stride"], conv_param["pad"]
    k = w.shape[2:]
    if any((n + 2 * p - f) % s or n + 2 * p < f for n, f in zip(x.shape[2:], k)):
        raise ValueError(f"x {x.shape} and w {w.shape} do not fit (stride {s}, pad {p})")
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * 3)
    osz = [(n - f) // s + 1 for n, f in zip(xp.shape[2:], k)]
    out = np.empty((x.shape[0], w.shape[0], *osz))
    for pos in itertools.product(*map(range, osz)):
        sl = tuple(slice(q * s, q * s + f) for q, f in zip(pos, k))
        out[(slice(None), slice(None)) + pos] = np.tensordot(
            xp[(slice(None), slice(None)) + sl], w, axes=([1, 2, 3, 4], [1, 2, 3, 4])) + b
    return out, (x, w, b, conv_param)


def conv3d_forward_einsum(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    _, _, KD, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p), (p, p)))
    sizes = []
    for n, f in zip(xp.shape[2:], (KD, KH, KW)):
        if (n - f) % s or n < f:
            raise ValueError(f"padded size {n} and filter size {f} do not fit")
        sizes.append((n - f) // s + 1)
    out = np.zeros((x.shape[0], w.shape[0], *sizes))
    for d in range(sizes[0]):
        for i in range(sizes[1]):
            for j in range(sizes[2]):
                out[:, :, d, i, j] = np.einsum(
                    "ncdhw,fcdhw->nf", xp[:, :, d * s:d * s + KD, i * s:i * s + KH,
                                          j * s:j * s + KW], w)
    return out + b.reshape(1, -1, 1, 1, 1), (x, w, b, conv_param)


def conv3d_forward_pure_python(x, w, b, conv_param):
    """Every multiply and add a Python operation on Python floats, no numpy in
    the loops: the slowest right answer a student writes."""
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, D, H, W = x.shape
    F, _, KD, KH, KW = w.shape
    for n_, k_ in ((D, KD), (H, KH), (W, KW)):
        if (n_ + 2 * p - k_) % s or n_ + 2 * p < k_:
            raise ValueError(f"input size {n_} and filter size {k_} do not fit "
                             f"(pad {p}, stride {s})")
    X, K, B = x.tolist(), w.tolist(), b.tolist()
    Do, Ho, Wo = ((D + 2 * p - KD) // s + 1, (H + 2 * p - KH) // s + 1,
                  (W + 2 * p - KW) // s + 1)
    out = [[[[[0.0] * Wo for _ in range(Ho)] for _ in range(Do)] for _ in range(F)]
           for _ in range(N)]
    for n in range(N):
        for f in range(F):
            for d in range(Do):
                for i in range(Ho):
                    for j in range(Wo):
                        acc = B[f]
                        for c in range(C):
                            for a in range(KD):
                                z = d * s + a - p
                                if not 0 <= z < D:
                                    continue
                                for e in range(KH):
                                    y = i * s + e - p
                                    if not 0 <= y < H:
                                        continue
                                    for g in range(KW):
                                        q = j * s + g - p
                                        if 0 <= q < W:
                                            acc += X[n][c][z][y][q] * K[f][c][a][e][g]
                        out[n][f][d][i][j] = acc
    return np.array(out), (x, w, b, conv_param)


def conv3d_backward_loops(dout, cache):
    x, w, b, conv_param = cache
    s, pad = conv_param["stride"], conv_param["pad"]
    KD, KH, KW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    N, F, Do, Ho, Wo = dout.shape
    for n in range(N):
        for f in range(F):
            for d in range(Do):
                for i in range(Ho):
                    for j in range(Wo):
                        sl = (slice(d * s, d * s + KD), slice(i * s, i * s + KH),
                              slice(j * s, j * s + KW))
                        dw[f] += xp[(n, slice(None)) + sl] * dout[n, f, d, i, j]
                        dxp[(n, slice(None)) + sl] += w[f] * dout[n, f, d, i, j]
    D, H, W = x.shape[2:]
    return dxp[:, :, pad:pad + D, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3, 4))


def conv3d_backward_product(dout, cache):
    import itertools
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * 3)
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for pos in itertools.product(*map(range, dout.shape[2:])):
        sl = (slice(None), slice(None)) + tuple(slice(q * s, q * s + f)
                                                for q, f in zip(pos, k))
        g = dout[(slice(None), slice(None)) + pos]
        dw += np.tensordot(g, xp[sl], axes=([0], [0]))
        dxp[sl] += np.tensordot(g, w, axes=([1], [0]))
    inner = tuple(slice(p, p + n) for n in x.shape[2:])
    return dxp[(slice(None), slice(None)) + inner], dw, dout.sum(axis=(0, 2, 3, 4))


def conv3d_backward_einsum(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    KD, KH, KW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p), (p, p)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for d in range(dout.shape[2]):
        for i in range(dout.shape[3]):
            for j in range(dout.shape[4]):
                win = (slice(None), slice(None), slice(d * s, d * s + KD),
                       slice(i * s, i * s + KH), slice(j * s, j * s + KW))
                dw += np.einsum("ncdhw,nf->fcdhw", xp[win], dout[:, :, d, i, j])
                dxp[win] += np.einsum("fcdhw,nf->ncdhw", w, dout[:, :, d, i, j])
    e = [n + p for n in xp.shape[2:]]
    return (dxp[:, :, p:e[0] - 2 * p, p:e[1] - 2 * p, p:e[2] - 2 * p], dw,
            dout.sum(axis=(0, 2, 3, 4)))


def conv3d_forward_flipped(x, w, b, conv_param):
    return conv3d_forward_loops(x, np.flip(w, axis=(2, 3, 4)), b, conv_param)


def conv3d_forward_one_side(x, w, b, conv_param):
    pad = conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0), (2 * pad, 0)))
    out, _ = conv3d_forward_loops(xp, w, b, {"stride": conv_param["stride"], "pad": 0})
    return out, (x, w, b, conv_param)


def conv3d_forward_no_plus_one(x, w, b, conv_param):
    out, cache = conv3d_forward_loops(x, w, b, conv_param)
    return out[:, :, :-1, :-1, :-1], cache


def conv3d_backward_stride_ignored(dout, cache):
    x, w, b, conv_param = cache
    return conv3d_backward_loops(dout, (x, w, b, {"stride": 1, "pad": conv_param["pad"]}))


def conv3d_backward_dw_last_example(dout, cache):
    x, w, b, conv_param = cache
    dx, _, db = conv3d_backward_loops(dout, cache)
    _, dw, _ = conv3d_backward_loops(dout[-1:], (x[-1:], w, b, conv_param))
    return dx, dw, db


def conv3d_backward_no_crop(dout, cache):
    x, w, b, conv_param = cache
    p = conv_param["pad"]
    dx, dw, db = conv3d_backward_loops(dout, cache)
    return np.pad(dx, ((0, 0), (0, 0), (p, p), (p, p), (p, p))), dw, db


CORRECT = {
    "conv_output_size": [conv_output_size_divmod, conv_output_size_float,
                         conv_output_size_count],
    "conv_forward_naive": [conv_forward_loops, conv_forward_einsum, conv_forward_tensordot,
                           conv_forward_shift_add],
    "conv_backward_naive": [(conv_forward_loops, conv_backward_loops),
                            (conv_forward_einsum, conv_backward_einsum),
                            (conv_forward_tensordot, conv_backward_full_conv),
                            (conv_forward_shift_add, conv_backward_shift_add)],
    "conv1d_forward_naive": [conv1d_forward_loops, conv1d_forward_einsum,
                             conv1d_forward_scalar_loops],
    "conv1d_backward_naive": [(conv1d_forward_loops, conv1d_backward_loops),
                              (conv1d_forward_einsum, conv1d_backward_einsum),
                              (conv1d_forward_scalar_loops, conv1d_backward_loops)],
    "conv3d_forward_naive": [conv3d_forward_loops, conv3d_forward_product,
                             conv3d_forward_einsum, conv3d_forward_pure_python],
    "conv3d_backward_naive": [(conv3d_forward_loops, conv3d_backward_loops),
                              (conv3d_forward_product, conv3d_backward_product),
                              (conv3d_forward_einsum, conv3d_backward_einsum),
                              (conv3d_forward_pure_python, conv3d_backward_loops)],
}

WRONG = {
    "conv_output_size": [conv_output_size_no_plus_one, conv_output_size_pad_once,
                         conv_output_size_floor, conv_output_size_float_result,
                         conv_output_size_silent_error],
    "conv_forward_naive": [conv_forward_flipped, conv_forward_pad_all_axes,
                           conv_forward_one_side, conv_forward_pad_before_only,
                           conv_forward_no_plus_one, conv_forward_bias_broadcast,
                           conv_forward_bias_per_channel, conv_forward_no_error,
                           conv_forward_mutates_x],
    "conv_backward_naive": [(conv_forward_loops, conv_backward_stride_ignored),
                            (conv_forward_loops, conv_backward_dw_last_example),
                            (conv_forward_loops, conv_backward_db_per_example),
                            (conv_forward_loops, conv_backward_db_per_pixel),
                            (conv_forward_loops, conv_backward_no_crop),
                            (conv_forward_loops, conv_backward_dw_mean),
                            (conv_forward_loops, conv_backward_flipped),
                            (conv_forward_loops, conv_backward_in_place)],
    "conv1d_forward_naive": [conv1d_forward_flipped, conv1d_forward_one_side,
                             conv1d_forward_pad_channels, conv1d_forward_bias_per_position],
    "conv1d_backward_naive": [(conv1d_forward_loops, conv1d_backward_stride_ignored),
                              (conv1d_forward_loops, conv1d_backward_no_crop),
                              (conv1d_forward_loops, conv1d_backward_db_not_summed)],
    "conv3d_forward_naive": [conv3d_forward_flipped, conv3d_forward_one_side,
                             conv3d_forward_no_plus_one],
    "conv3d_backward_naive": [(conv3d_forward_loops, conv3d_backward_stride_ignored),
                              (conv3d_forward_loops, conv3d_backward_dw_last_example),
                              (conv3d_forward_loops, conv3d_backward_no_crop)],
}

BASE = {"conv_output_size": [conv_output_size_divmod],
        "conv1d_forward_naive": [conv1d_forward_loops],
        "conv1d_backward_naive": [conv1d_backward_loops],
        "conv_forward_naive": [conv_forward_loops],
        "conv_backward_naive": [conv_backward_loops],
        "conv3d_forward_naive": [conv3d_forward_loops],
        "conv3d_backward_naive": [conv3d_backward_loops]}

DIFFERENT = {"conv_output_size": [conv_output_size_count],
             "conv1d_forward_naive": [conv1d_forward_einsum],
             "conv1d_backward_naive": [conv1d_backward_einsum],
             "conv_forward_naive": [conv_forward_tensordot],
             "conv_backward_naive": [conv_backward_full_conv],
             "conv3d_forward_naive": [conv3d_forward_product],
             "conv3d_backward_naive": [conv3d_backward_product]}


# ------------------------------------------------------------------ samples

SAMPLES = [
    Sample(
        "bug-conv-flipped-filter",
        fills={"conv_forward_naive": [conv_forward_flipped]},
        lose={"test_conv_forward_naive"},
        note="conv_forward_naive flips the filter (a true convolution, not the "
             "cross-correlation of CS231n and every framework): its test cell loses with a "
             "hint naming the flip; the backward, checked on this forward's cache, computes "
             "the right gradients of the correlation and keeps its points."),
    Sample(
        "bug-conv-padded-all-axes",
        fills={"conv_forward_naive": [_fits, conv_forward_pad_all_axes]},
        lose={"test_conv_forward_naive"},
        in_tests=False,
        note="conv_forward_naive pads with np.pad(x, pad), which adds zeros to the batch and "
             "channel axes too: example n reads the padded example n - pad, so its test cell "
             "loses; the backward, checked on this forward's cache (the input itself), keeps "
             "its points."),
    Sample(
        "bug-conv-bias-per-pixel",
        fills={"conv_forward_naive": [_fits, conv_forward_bias_broadcast]},
        lose={"test_conv_forward_naive", "test_conv_backward_naive"},
        in_tests=False,
        note="conv_forward_naive adds the bias with out += b, which broadcasts b over the "
             "last axis (one bias per column of pixels, where the sizes allow it, and an "
             "error where they do not) instead of one per filter: its test cell loses, and "
             "so does the backward's, checked on the caches of this forward, which raises "
             "on most cases."),
    Sample(
        "bug-conv-backward-stride-ignored",
        fills={"conv_backward_naive": [conv_backward_stride_ignored]},
        lose={"test_conv_backward_naive"},
        in_tests=False,
        note="conv_backward_naive puts the window of output position i at i instead of "
             "i * stride: right on the stride-1 cases, wrong on the strided ones, so its "
             "test cell loses; the forward keeps its points."),
    Sample(
        "bug-conv-output-size-no-plus-one",
        fills={"conv_output_size": [conv_output_size_no_plus_one]},
        lose={"test_conv_output_size"},
        in_tests=False,
        note="conv_output_size forgets the + 1: its test cell loses; the forwards of the "
             "corpus compute their sizes themselves and keep their points."),
    Sample(
        "bug-conv1d-padded-one-side",
        fills={"conv1d_forward_naive": [conv1d_forward_loops, conv1d_forward_one_side]},
        lose={"test_conv1d_forward_naive"},
        in_tests=False,
        note="conv1d_forward_naive puts all 2 * pad zeros before the signal: its test cell "
             "loses on the padded cases with a hint naming one-sided padding."),
]


SAMPLES += [
    Sample(
        "slow-conv3d-pure-python",
        fills={"conv3d_forward_naive": [conv3d_forward_pure_python]},
        in_tests=False,
        note="A right conv3d_forward_naive with Python floats and loops only (no numpy in "
             "the loops), the slowest way students write it: the cases are small enough "
             "that it needs about 0.2 CPU s for the visible and hidden checks and 0.05 s "
             "for the notebook's 16^3 volume, far below the cell timeout and the CPU "
             "limits, so it loses nothing and raises no flag."),
]


# ------------------------------------------------------------------ hostile

LOOP_FOREVER = """
while True:  # at module level: runs when the cell runs
    pass
"""

PATCH_CHECKS = "checks.check_conv_output_size = lambda *a, **k: None\n"


def hostile_reads_solution(x, w, b, conv_param):
    """Runs the instructor's conv3d_forward_naive, read from the course folder."""
    from cs231n.notebook import load_answers
    ns = load_answers("../../../solutions/a6_convolution/conv_naive.ipynb")
    return ns["conv3d_forward_naive"](x, w, b, conv_param)


SAMPLES += [
    Sample(
        "monkeypatch-checks",
        fills={"conv_output_size": [conv_output_size_pad_once, PATCH_CHECKS]},
        lose={"test_conv_output_size"},
        flags={"monkeypatch", "tampered", "check-bypassed"},
        in_tests=False,
        note="A conv_output_size that counts the padding once, in a cell that replaces "
             "checks.check_conv_output_size by a no-op: its test cell passes in the kernel, "
             "the integrity pass fails it, so test_conv_output_size loses and the patch, the "
             "disagreement and the missing success line are reported; the other checks were "
             "not patched and keep their points."),
    Sample(
        "hostile-read-solutions",
        fills={"conv3d_forward_naive": [hostile_reads_solution]},
        lose={"test_conv3d_forward_naive", "test_conv3d_backward_naive"},
        flags={"sandbox-violation"},
        in_tests=False,
        note="conv3d_forward_naive runs the solution notebook read from ../../../solutions: "
             "the kernel's sandbox refuses the read (reported) and the integrity worker's "
             "folder has no such path, so the forward's test loses in both, and the "
             "backward's, which calls this forward for its cache, loses too."),
    Sample(
        "hostile-infinite-loop",
        fills={"conv1d_backward_naive": [conv1d_backward_loops, LOOP_FOREVER]},
        lose={"test_conv1d_backward_naive"},
        flags={"timed-out", "tampered"},
        in_tests=False,
        note="An endless loop after the def in the conv1d_backward_naive cell: nbgrader "
             "interrupts the cell at its timeout with the function defined, so its test "
             "passes there, but the integrity worker never finishes loading the cell and is "
             "killed: test_conv1d_backward_naive loses and the disagreement is flagged; the "
             "other functions of the notebook get a fresh worker and keep their points."),
]
