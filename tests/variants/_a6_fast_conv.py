"""Assignment 6's corpus, part fast_conv: right and wrong im2col convolutions,
and the part's sample submissions (joined by a6_convolution.py).

A backward variant is a (forward, backward) pair: the check calls the
backward on the caches of its forward.  The wrong variants share one
parametrised im2col (``_im2col_conv``) so that each differs from the right
one by its bug alone; the variants the samples paste into a notebook are
self-contained.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ---------------------------------------------------------- forward: right

def conv_forward_windows(x, w, b, conv_param):
    """sliding_window_view, windows as the columns, one matmul (the solution's way)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    for size, k in ((H, HH), (W, WW)):
        if size + 2 * pad < k or (size + 2 * pad - k) % stride:
            raise ValueError(f"size {size} and filter {k} do not fit with pad {pad} and "
                             f"stride {stride}")
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * HH * WW, N * Ho * Wo)
    out = w.reshape(F, -1) @ cols
    out += b[:, None]
    out = out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    return out, (x, w, conv_param, cols)


def conv_forward_rows(x, w, b, conv_param):
    """sliding_window_view, windows as the ROWS of the matrix: cols @ w_row.T."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if (H + 2 * pad - HH) % stride or (W + 2 * pad - WW) % stride \
            or H + 2 * pad < HH or W + 2 * pad < WW:
        raise ValueError(f"sizes do not fit: x {x.shape}, w {w.shape}, stride {stride}, "
                         f"pad {pad}")
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * HH * WW)
    out = cols @ w.reshape(F, -1).T + b
    out = out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)
    return out, (x, w, conv_param, cols)


def conv_forward_as_strided(x, w, b, conv_param):
    """as_strided with the strides written out, the weights times the columns."""
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, rh = divmod(H + 2 * P - HH, S)
    Wo, rw = divmod(W + 2 * P - WW, S)
    if rh or rw or Ho < 0 or Wo < 0:
        raise ValueError("conv_param does not fit the input")
    Ho, Wo = Ho + 1, Wo + 1
    xp = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)], mode="constant")
    sn, sc, sh, sw = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, shape=(C, HH, WW, N, Ho, Wo), strides=(sc, sh, sw, sn, S * sh, S * sw),
        writeable=False)
    cols = view.reshape(C * HH * WW, N * Ho * Wo)
    res = w.reshape(F, -1) @ cols + b[:, None]
    out = res.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def conv_forward_einsum(x, w, b, conv_param):
    """einsum on the window view: no column matrix at all."""
    s, p = conv_param["stride"], conv_param["pad"]
    if (x.shape[2] + 2 * p - w.shape[2]) % s or (x.shape[3] + 2 * p - w.shape[3]) % s \
            or x.shape[2] + 2 * p < w.shape[2] or x.shape[3] + 2 * p < w.shape[3]:
        raise ValueError("output size is not an integer")
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    out = np.einsum("ncijab,fcab->nfij", win, w, optimize=True) + b[None, :, None, None]
    return out, (xp, win, w, conv_param, x.shape)


def conv_forward_tensordot(x, w, b, conv_param):
    """tensordot over the channel and offset axes of the window view."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    H, W = x.shape[2:]
    HH, WW = w.shape[2:]
    for size, k in ((H, HH), (W, WW)):
        if size + 2 * pad < k or (size + 2 * pad - k) % stride != 0:
            raise ValueError("bad conv_param for these shapes")
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))      # (N, Ho, Wo, F)
    out = np.moveaxis(out + b, 3, 1)
    return out, (x, w, conv_param, win)


# --------------------------------------------------------- backward: right

def conv_backward_offsets(dout, cache):
    """dw and the column gradients by matmuls; col2im as a loop over the kernel
    offsets (the solution's way)."""
    x, w, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    d = dout.transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    db = d.sum(axis=1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ d).reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)
    for a in range(HH):
        for b in range(WW):
            dxp[:, :, a:a + stride * Ho:stride, b:b + stride * Wo:stride] += \
                dcols[:, a, b].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def conv_backward_rows(dout, cache):
    """The backward of conv_forward_rows; col2im as a loop over the kernel offsets."""
    x, w, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    drows = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)
    db = drows.sum(axis=0)
    dw = (drows.T @ cols).reshape(w.shape)
    dcols = (drows @ w.reshape(F, -1)).reshape(N, Ho, Wo, C, HH, WW)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += \
                dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def conv_backward_add_at(dout, cache):
    """col2im with np.add.at on index arrays (as_strided forward's cache)."""
    x, w, b, conv_param, cols = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    d = dout.transpose(1, 0, 2, 3).reshape(F, -1)               # (F, N*Ho*Wo)
    db = d.sum(axis=1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ d).reshape(C, HH, WW, N, Ho, Wo)
    c, i, j, n, oi, oj = np.ix_(*(np.arange(k) for k in (C, HH, WW, N, Ho, Wo)))
    dxp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    np.add.at(dxp, (n, c, oi * S + i, oj * S + j), dcols)
    return dxp[:, :, P:P + H, P:P + W], dw, db


def conv_backward_einsum(dout, cache):
    """einsum for dw; dx as the einsum of dout and w scattered per offset."""
    xp, win, w, conv_param, x_shape = cache
    s, p = conv_param["stride"], conv_param["pad"]
    H, W = x_shape[2:]
    HH, WW = w.shape[2:]
    Ho, Wo = dout.shape[2:]
    db = np.einsum("nfij->f", dout)
    dw = np.einsum("nfij,ncijab->fcab", dout, win, optimize=True)
    dwin = np.einsum("nfij,fcab->ncabij", dout, w, optimize=True)
    dxp = np.zeros_like(xp)
    for a in range(HH):
        for c in range(WW):
            dxp[:, :, a:a + s * (Ho - 1) + 1:s, c:c + s * (Wo - 1) + 1:s] += dwin[:, :, a, c]
    return dxp[:, :, p:p + H, p:p + W], dw, db


def conv_backward_tensordot(dout, cache):
    """tensordot for dw and the window gradients; np.add.at over the offsets."""
    x, w, conv_param, win = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    HH, WW = w.shape[2:]
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))    # (F, C, HH, WW)
    dwin = np.tensordot(dout, w, axes=([1], [0]))                # (N, Ho, Wo, C, HH, WW)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    rows = np.arange(Ho) * stride
    colz = np.arange(Wo) * stride
    for a in range(HH):
        for c in range(WW):
            np.add.at(dxp, (slice(None), slice(None), (rows + a)[:, None],
                            (colz + c)[None, :]), np.moveaxis(dwin[..., a, c], 3, 1))
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


# --------------------------------------------- the wrong variants' im2col

def _im2col_conv(x, w, b, conv_param, *, flip=False, order="chw", bias="filter",
                 layout="right", pad_side="both", pad_axes=(2, 3), strided=True,
                 plus_one=1, size_check="both"):
    """The right im2col forward with one bug switched on by its option."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    fit_h = (H + 2 * pad - HH) % stride == 0 and H + 2 * pad >= HH
    fit_w = (W + 2 * pad - WW) % stride == 0 and W + 2 * pad >= WW
    if (size_check == "both" and not (fit_h and fit_w)) or (size_check == "H" and not fit_h):
        raise ValueError("sizes do not fit")
    if flip:
        w = w[:, :, ::-1, ::-1]
    widths = {"both": (pad, pad), "end": (0, 2 * pad)}[pad_side]
    xp = np.pad(x, [widths if a in pad_axes else (0, 0) for a in range(4)])
    windows = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    if strided:
        windows = windows[:, :, ::stride, ::stride]
    Ho = (H + 2 * pad - HH) // stride + plus_one
    Wo = (W + 2 * pad - WW) // stride + plus_one
    windows = windows[:, :, :Ho, :Wo]
    Ho, Wo = windows.shape[2:4]
    perm = (0, 2, 3, 1, 4, 5) if order == "chw" else (0, 2, 3, 4, 5, 1)
    cols = windows.transpose(perm).reshape(N * Ho * Wo, -1)
    res = cols @ w.reshape(F, -1).T                     # (N*Ho*Wo, F)
    if layout == "right":
        out = res.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)
    elif layout == "NF":          # (N*Ho*Wo, F) reshaped straight to (N, F, Ho, Wo)
        out = res.reshape(N, F, Ho, Wo)
    else:                          # (F, N*Ho*Wo) reshaped straight to (N, F, Ho, Wo)
        out = res.T.reshape(N, F, Ho, Wo)
    if bias == "filter":
        out = out + b.reshape(1, F, 1, 1)
    elif bias == "row":
        out = out + b[:, None]
    return out, (x, w, conv_param, cols)


# ---------------------------------------------------------- forward: wrong

def conv_forward_flipped(x, w, b, conv_param):
    """True convolution: the filter flipped in both spatial axes."""
    return _im2col_conv(x, w, b, conv_param, flip=True)


def conv_forward_mixed_order(x, w, b, conv_param):
    """Column rows ordered (HH, WW, C) against w.reshape(F, -1)'s (C, HH, WW)."""
    return _im2col_conv(x, w, b, conv_param, order="hwc")


def conv_forward_bias_per_row(x, w, b, conv_param):
    """out + b[:, None]: the bias broadcast along the pixel rows (runs when H' == F)."""
    return _im2col_conv(x, w, b, conv_param, bias="row")


def conv_forward_no_bias(x, w, b, conv_param):
    return _im2col_conv(x, w, b, conv_param, bias="none")


def conv_forward_reshape_NF(x, w, b, conv_param):
    """The (N*H'*W', F) product reshaped straight to (N, F, H', W')."""
    return _im2col_conv(x, w, b, conv_param, layout="NF")


def conv_forward_reshape_FN(x, w, b, conv_param):
    """The (F, N*H'*W') product reshaped straight to (N, F, H', W') (self-contained:
    a sample pastes it)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    for size, k in ((H, HH), (W, WW)):
        if size + 2 * pad < k or (size + 2 * pad - k) % stride:
            raise ValueError("sizes do not fit")
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * HH * WW, N * Ho * Wo)
    out = (w.reshape(F, -1) @ cols).reshape(N, F, Ho, Wo) + b.reshape(1, F, 1, 1)
    return out, (x, w, conv_param, cols)


def conv_forward_off_by_one(x, w, b, conv_param):
    """H' = (H - HH + 2 pad) // stride, one window short."""
    return _im2col_conv(x, w, b, conv_param, plus_one=0)


def conv_forward_pad_one_side(x, w, b, conv_param):
    """All 2 * pad zeros after the image."""
    return _im2col_conv(x, w, b, conv_param, pad_side="end")


def conv_forward_pad_all_axes(x, w, b, conv_param):
    """np.pad(x, pad): the batch and channel axes padded too."""
    return _im2col_conv(x, w, b, conv_param, pad_axes=(0, 1, 2, 3))


def conv_forward_pad_channels(x, w, b, conv_param):
    """Padding on axes (1, 2), channels and rows, instead of (2, 3)."""
    return _im2col_conv(x, w, b, conv_param, pad_axes=(1, 2))


def conv_forward_stride_ignored(x, w, b, conv_param):
    """Every window kept, whatever the stride."""
    return _im2col_conv(x, w, b, conv_param, strided=False)


def conv_forward_no_size_error(x, w, b, conv_param):
    """Floor division, silently: sizes that do not fit drop the last pixels."""
    return _im2col_conv(x, w, b, conv_param, size_check="none")


def conv_forward_size_check_H_only(x, w, b, conv_param):
    return _im2col_conv(x, w, b, conv_param, size_check="H")


def conv_forward_mutates_x(x, w, b, conv_param):
    """Pads into x's own memory: a view of x is changed in place."""
    out, cache = _im2col_conv(x, w, b, conv_param)
    x[...] = 0
    return out, cache


# --------------------------------------------------------- backward: wrong

def conv_backward_overwrites(dout, cache):
    """col2im that assigns (=) the windows: overlapping windows overwrite each other."""
    x, w, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    d = dout.transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    db = d.sum(axis=1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = (w.reshape(F, -1).T @ d).reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for a in range(HH):
        for b in range(WW):
            dxp[:, :, a:a + stride * Ho:stride, b:b + stride * Wo:stride] = \
                dcols[:, a, b].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def _backward(dout, cache, *, step=True, crop=True, dw_order="chw", dx_order="chw",
              flip_dw=False, dw_reduce="sum", db_axes=(0, 2, 3)):
    """The right offset-loop backward with one bug switched on by its option."""
    x, w, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    drows = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    db = dout.sum(axis=db_axes)
    if dw_reduce == "none":
        dw = np.einsum("mf,mk->mfk", drows, cols).reshape(N, Ho * Wo, F, -1).sum(axis=1)
        dw = dw.reshape(N, F, C, HH, WW)
    else:
        dw = drows.T @ cols / (N if dw_reduce == "mean" else 1)
        dw = (dw.reshape(F, C, HH, WW) if dw_order == "chw" else
              dw.reshape(F, HH, WW, C).transpose(0, 3, 1, 2))
    if flip_dw:
        dw = dw[:, :, ::-1, ::-1]
    dcols = drows @ w.reshape(F, -1)
    dcols = (dcols.reshape(N, Ho, Wo, C, HH, WW) if dx_order == "chw" else
             dcols.reshape(N, Ho, Wo, HH, WW, C).transpose(0, 1, 2, 5, 3, 4))
    s = stride if step else 1
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] += \
                dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return (dxp[:, :, pad:pad + H, pad:pad + W] if crop else dxp), dw, db


def conv_backward_stride_ignored(dout, cache):
    """The col2im scatter steps by 1 whatever the stride."""
    return _backward(dout, cache, step=False)


def conv_backward_not_cropped(dout, cache):
    """dx of the padded input, the padding not cropped."""
    return _backward(dout, cache, crop=False)


def conv_backward_dw_mixed_order(dout, cache):
    """dw reshaped as if the columns ran over (HH, WW, C)."""
    return _backward(dout, cache, dw_order="hwc")


def conv_backward_dx_mixed_order(dout, cache):
    """The column gradients unflattened as (HH, WW, C) instead of (C, HH, WW)."""
    return _backward(dout, cache, dx_order="hwc")


def conv_backward_dw_flipped(dout, cache):
    return _backward(dout, cache, flip_dw=True)


def conv_backward_dw_per_example(dout, cache):
    """dw not summed over the batch: (N, F, C, HH, WW)."""
    return _backward(dout, cache, dw_reduce="none")


def conv_backward_dw_mean(dout, cache):
    return _backward(dout, cache, dw_reduce="mean")


def conv_backward_db_per_pixel(dout, cache):
    """db summed over the batch only: (F, H', W')."""
    return _backward(dout, cache, db_axes=0)


def conv_backward_db_batch_missing(dout, cache):
    """db summed over the pixels of each example, not over the batch: (N, F)."""
    return _backward(dout, cache, db_axes=(2, 3))


def conv_backward_mutates_dout(dout, cache):
    """Scales dout in place (a gradient of the caller's changed)."""
    dx, dw, db = conv_backward_rows(dout, cache)
    dout *= 0
    return dx, dw, db


CORRECT = {
    "conv_forward_im2col": [conv_forward_windows, conv_forward_rows, conv_forward_as_strided,
                            conv_forward_einsum, conv_forward_tensordot],
    "conv_backward_im2col": [(conv_forward_windows, conv_backward_offsets),
                             (conv_forward_rows, conv_backward_rows),
                             (conv_forward_as_strided, conv_backward_add_at),
                             (conv_forward_einsum, conv_backward_einsum),
                             (conv_forward_tensordot, conv_backward_tensordot)],
}

WRONG = {
    "conv_forward_im2col": [conv_forward_flipped, conv_forward_mixed_order,
                            conv_forward_bias_per_row, conv_forward_no_bias,
                            conv_forward_reshape_NF, conv_forward_reshape_FN,
                            conv_forward_off_by_one, conv_forward_pad_one_side,
                            conv_forward_pad_all_axes, conv_forward_pad_channels,
                            conv_forward_stride_ignored, conv_forward_no_size_error,
                            conv_forward_size_check_H_only, conv_forward_mutates_x],
    "conv_backward_im2col": [(conv_forward_windows, conv_backward_overwrites)] + [
        (conv_forward_rows, v) for v in (conv_backward_stride_ignored, conv_backward_not_cropped,
        conv_backward_dw_mixed_order, conv_backward_dx_mixed_order,
        conv_backward_dw_flipped,
        conv_backward_dw_per_example, conv_backward_dw_mean, conv_backward_db_per_pixel,
        conv_backward_db_batch_missing, conv_backward_mutates_dout)],
}

BASE = {"conv_forward_im2col": [conv_forward_windows],
        "conv_backward_im2col": [conv_backward_offsets]}

DIFFERENT = {"conv_forward_im2col": [conv_forward_einsum],
             "conv_backward_im2col": [conv_backward_einsum]}

SAMPLES = [
    Sample(
        "bug-col2im-overwrites",
        fills={"conv_backward_im2col": [conv_backward_overwrites]},
        lose={"test_conv_backward_im2col"},
        in_tests=False,  # make test grades one bug of the assignment's layer parts
        note="conv_backward_im2col's col2im assigns each window's gradient instead of adding "
             "it: dx is wrong wherever windows overlap (stride below the filter size), its "
             "test cell loses; the forward keeps its points. "
             "convnet.ipynb's network keeps its points: it takes only dw and db from its "
             "first layer's backward (dx of the input images is thrown away)."),
    Sample(
        "bug-conv-im2col-output-reshape",
        fills={"conv_forward_im2col": [conv_forward_reshape_FN]},
        lose={"test_conv_forward_im2col", "test_three_layer_convnet"},
        in_tests=False,
        note="conv_forward_im2col reshapes the matmul's (F, N*H'*W') result straight to "
             "(N, F, H', W'): the numbers are right but in the wrong places, its test cell "
             "loses; the backward works from the column matrix in the cache, which is "
             "right, and keeps its points. convnet.ipynb's network, built on this forward, "
             "fails its test too."),
]
