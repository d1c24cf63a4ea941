"""Assignment 6's corpus, part pooling: right and wrong max and average pooling and
spatial batch norm, and the part's sample submissions (joined by a6_convolution.py).

A spatial batch-norm variant calls ``batchnorm_forward`` and ``batchnorm_backward_alt``
of the notebook's namespace (the given ``a4_layers.py``): pasted into the notebook it
finds them there, and tests/test_checks_pooling.py puts the solutions' into this module.
Every pooling forward caches ``(x, pool_param)``, so that any right backward works
from any right forward's cache.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ----------------------------------------------------------- max forward: right

def max_pool_forward_loops(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"a {ph}x{pw} window with stride {s} does not fit {H}x{W}")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_forward_columns_first(x, pool_param):
    """The other loop order, and the window flattened before its max."""
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W:
        raise ValueError(f"pool {ph}x{pw} is larger than the input {H}x{W}")
    if (H - ph) % s != 0 or (W - pw) % s != 0:
        raise ValueError(f"stride {s} does not tile H={H}, W={W} with a {ph}x{pw} window")
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo))
    for j in range(Wo):
        for i in range(Ho):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            out[:, :, i, j] = np.max(win.reshape(N, C, -1), axis=2)
    return out, (x, pool_param)


def max_pool_forward_windows(x, pool_param):
    """sliding_window_view: every window at once."""
    from numpy.lib.stride_tricks import sliding_window_view
    H, W = x.shape[2:]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"windows {ph}x{pw}, stride {s} do not fit H={H}, W={W}")
    win = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    return win.max(axis=(-2, -1)), (x, pool_param)


def max_pool_forward_reshape(x, pool_param):
    """The reshape trick when windows tile the input exactly, loops otherwise."""
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"pool {ph}x{pw} / stride {s} does not fit ({H}, {W})")
    if ph == pw == s:
        out = x.reshape(N, C, H // ph, ph, W // pw, pw).max(axis=(3, 5))
        return out, (x, pool_param)
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.stack([np.stack([x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
                              for j in range(Wo)], axis=-1) for i in range(Ho)], axis=-2)
    return out, (x, pool_param)


# ----------------------------------------------------------- max forward: wrong

def max_pool_forward_stride_ignored(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = H - ph + 1, W - pw + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i:i + ph, j:j + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_forward_off_by_one(x, pool_param):
    """Ho = (H - ph) / stride: the last row and column of windows are missing."""
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = max((H - ph) // s, 1), max((W - pw) // s, 1)
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_forward_axes_swapped(x, pool_param):
    """pool_height along W, pool_width along H."""
    N, C, H, W = x.shape
    pw, ph, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_forward_no_size_check(x, pool_param):
    """Right on windows that fit; silently drops the remainder of those that do not."""
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, max(Ho, 0), max(Wo, 0)))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_forward_mean(x, pool_param):
    """Average pooling under max pooling's name."""
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    return out, (x, pool_param)


# ---------------------------------------------------------- max backward: right

def max_pool_backward_argmax(dout, cache):
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            r, q = np.unravel_index(np.argmax(win, axis=2), (ph, pw))
            # One position per (n, c): no repeated index within one +=.
            dx[n, c, i * s + r, j * s + q] += dout[:, :, i, j]
    return dx


def max_pool_backward_first_mask(dout, cache):
    """A mask of the maxima, keeping the first one in row-major order."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape)
    for j in range(dout.shape[3]):
        for i in range(dout.shape[2]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            mask = win == win.max(axis=2, keepdims=True)
            first = mask & (np.cumsum(mask, axis=2) == 1)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (
                first * dout[:, :, i, j][:, :, None]).reshape(N, C, ph, pw)
    return dx


def max_pool_backward_add_at(dout, cache):
    """Flat indices into x and one np.add.at."""
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = dout.shape[2:]
    rows, grads = [], []
    base = np.arange(N * C).reshape(N, C) * H * W
    for i in range(Ho):
        for j in range(Wo):
            k = np.argmax(x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1),
                          axis=2)
            rows.append(base + (i * s + k // pw) * W + j * s + k % pw)
            grads.append(dout[:, :, i, j])
    dx = np.zeros(N * C * H * W)
    np.add.at(dx, np.concatenate([r.ravel() for r in rows]),
              np.concatenate([g.ravel() for g in grads]))
    return dx.reshape(x.shape)


# ---------------------------------------------------------- max backward: wrong

def max_pool_backward_every_max(dout, cache):
    """A tie sends the window's gradient to each of its maxima."""
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            mask = win == win.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[:, :, i:i + 1, j:j + 1]
    return dx


def max_pool_backward_unravel_transposed(dout, cache):
    """The flat argmax unravelled with the shape (pool_width, pool_height)."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            r, q = np.unravel_index(np.argmax(win, axis=2), (pw, ph))
            r, q = np.minimum(r, ph - 1), np.minimum(q, pw - 1)
            dx[n, c, i * s + r, j * s + q] += dout[:, :, i, j]
    return dx


def max_pool_backward_row_col_swapped(dout, cache):
    """The window's row and column offsets swapped (transposed window)."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            r, q = np.unravel_index(np.argmax(win, axis=2), (ph, pw))
            r, q = np.minimum(q, ph - 1), np.minimum(r, pw - 1)
            dx[n, c, i * s + r, j * s + q] += dout[:, :, i, j]
    return dx


def max_pool_backward_overwrites(dout, cache):
    """Each window's gradient assigned to its slice: overlapping windows overwrite."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            first = np.eye(ph * pw)[np.argmax(win, axis=2)]
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] = (
                first * dout[:, :, i, j][:, :, None]).reshape(N, C, ph, pw)
    return dx


def max_pool_backward_stride_ignored(dout, cache):
    """Windows of the backward start at (i, j), not (i * stride, j * stride)."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i:i + ph, j:j + pw].reshape(N, C, -1)
            r, q = np.unravel_index(np.argmax(win, axis=2), (ph, pw))
            dx[n, c, i + r, j + q] += dout[:, :, i, j]
    return dx


def max_pool_backward_last_max(dout, cache):
    """A tie goes to the LAST maximum in row-major order."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            k = ph * pw - 1 - np.argmax(win[:, :, ::-1], axis=2)
            r, q = np.unravel_index(k, (ph, pw))
            dx[n, c, i * s + r, j * s + q] += dout[:, :, i, j]
    return dx


# ----------------------------------------------------------- avg forward: right

def avg_pool_forward_loops(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"a {ph}x{pw} window with stride {s} does not fit {H}x{W}")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    return out, (x, pool_param)


def avg_pool_forward_einsum(x, pool_param):
    """Every window at once, summed by einsum."""
    from numpy.lib.stride_tricks import sliding_window_view
    H, W = x.shape[2:]
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"windows {ph}x{pw}, stride {s} do not fit H={H}, W={W}")
    win = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    return np.einsum("ncijkl->ncij", win) / (ph * pw), (x, pool_param)


def avg_pool_forward_reshape(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError(f"pool {ph}x{pw} / stride {s} does not fit ({H}, {W})")
    if ph == pw == s:
        return x.reshape(N, C, H // ph, ph, W // pw, pw).mean(axis=(3, 5)), (x, pool_param)
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.zeros((N, C, Ho, Wo))
    for j in range(Wo):
        for i in range(Ho):
            out[:, :, i, j] = np.sum(x[:, :, i * s:i * s + ph, j * s:j * s + pw],
                                     axis=(2, 3)) / (ph * pw)
    return out, (x, pool_param)


# ----------------------------------------------------------- avg forward: wrong

def avg_pool_forward_sum(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].sum(axis=(2, 3))
    return out, (x, pool_param)


def avg_pool_forward_off_by_one(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = (H - ph) // s + 2, (W - pw) // s + 2
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            if win.size:
                out[:, :, i, j] = win.mean(axis=(2, 3))
    return out, (x, pool_param)


def avg_pool_forward_stride_ignored(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph > H or pw > W or (H - ph) % s or (W - pw) % s:
        raise ValueError("windows do not fit")
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i:i + ph, j:j + pw].mean(axis=(2, 3))
    return out, (x, pool_param)


# ---------------------------------------------------------- avg backward: right

def avg_pool_backward_loops(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += \
                dout[:, :, i, j][:, :, None, None] / (ph * pw)
    return dx


def avg_pool_backward_window_view(dout, cache):
    """Add into every window through a writeable strided view, one window at a time."""
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(x.shape)
    share = dout / (ph * pw)
    for j in range(dout.shape[3]):
        for i in range(dout.shape[2]):
            view = dx[:, :, i * s:i * s + ph, j * s:j * s + pw]
            view += share[:, :, i:i + 1, j:j + 1]
    return dx


def avg_pool_backward_kron(dout, cache):
    """Non-overlapping windows that tile x: np.repeat; otherwise loops."""
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if ph == pw == s and dout.shape[2] * ph == x.shape[2] and dout.shape[3] * pw == x.shape[3]:
        return np.repeat(np.repeat(dout, ph, axis=2), pw, axis=3) / (ph * pw)
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += \
                np.ones((ph, pw)) * dout[:, :, i, j, None, None] / (ph * pw)
    return dx


# ---------------------------------------------------------- avg backward: wrong

def avg_pool_backward_not_divided(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += dout[:, :, i, j][:, :, None, None]
    return dx


def avg_pool_backward_overwrites(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] = \
                dout[:, :, i, j][:, :, None, None] / (ph * pw)
    return dx


def avg_pool_backward_stride_ignored(dout, cache):
    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i:i + ph, j:j + pw] += dout[:, :, i, j][:, :, None, None] / (ph * pw)
    return dx


# ----------------------------------------------------- spatial batch norm: right

def spatial_batchnorm_forward_transpose(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta,
                                   bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward_transpose(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, C),
                                               cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_batchnorm_forward_moveaxis(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    rows = np.moveaxis(x, 1, -1).reshape(N * H * W, C)
    out, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    return np.moveaxis(out.reshape(N, H, W, C), -1, 1), cache


def spatial_batchnorm_backward_moveaxis(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(np.moveaxis(dout, 1, -1).reshape(-1, C), cache)
    return np.moveaxis(dx.reshape(N, H, W, C), -1, 1), dgamma, dbeta


def spatial_batchnorm_forward_channel_rows(x, gamma, beta, bn_param):
    """Rows in another order (channel-major, then transposed): the same statistics."""
    N, C, H, W = x.shape
    cols = x.transpose(1, 0, 2, 3).reshape(C, -1)
    out, cache = batchnorm_forward(cols.T, gamma, beta, bn_param)
    return out.T.reshape(C, N, H, W).transpose(1, 0, 2, 3), (cache, x.shape)


def spatial_batchnorm_backward_channel_rows(dout, cache):
    bn_cache, (N, C, H, W) = cache
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(1, 0, 2, 3).reshape(C, -1).T,
                                               bn_cache)
    return dx.T.reshape(C, N, H, W).transpose(1, 0, 2, 3), dgamma, dbeta


# ----------------------------------------------------- spatial batch norm: wrong

def spatial_batchnorm_forward_per_pixel(x, gamma, beta, bn_param):
    """Every (c, h, w) normalised over the batch alone."""
    N, C, H, W = x.shape
    mu, var = x.mean(axis=0), x.var(axis=0)
    eps = bn_param.get("eps", 1e-5)
    if bn_param["mode"] == "train":
        m = bn_param.get("momentum", 0.9)
        bn_param["running_mean"] = m * bn_param.get("running_mean", np.zeros(C)) \
            + (1 - m) * x.mean(axis=(0, 2, 3))
        bn_param["running_var"] = m * bn_param.get("running_var", np.zeros(C)) \
            + (1 - m) * x.var(axis=(0, 2, 3))
        z = (x - mu) / np.sqrt(var + eps)
    else:
        z = (x - bn_param["running_mean"][:, None, None]) / np.sqrt(
            bn_param["running_var"][:, None, None] + eps)
    out = gamma[:, None, None] * z + beta[:, None, None]
    return out, (z, gamma, np.sqrt(var + eps))


def spatial_batchnorm_forward_over_n_c(x, gamma, beta, bn_param):
    """Statistics per pixel over N and C."""
    N, C, H, W = x.shape
    eps = bn_param.get("eps", 1e-5)
    if bn_param["mode"] == "train":
        m = bn_param.get("momentum", 0.9)
        bn_param["running_mean"] = m * bn_param.get("running_mean", np.zeros(C)) \
            + (1 - m) * x.mean(axis=(0, 2, 3))
        bn_param["running_var"] = m * bn_param.get("running_var", np.zeros(C)) \
            + (1 - m) * x.var(axis=(0, 2, 3))
        z = (x - x.mean(axis=(0, 1))) / np.sqrt(x.var(axis=(0, 1)) + eps)
    else:
        z = (x - bn_param["running_mean"][:, None, None]) / np.sqrt(
            bn_param["running_var"][:, None, None] + eps)
    return gamma[:, None, None] * z + beta[:, None, None], None


def spatial_batchnorm_forward_plain_reshape(x, gamma, beta, bn_param):
    """(N, C, H, W) reshaped straight to (-1, C): rows mix channels and pixels."""
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W), cache


def spatial_batchnorm_forward_param_copy(x, gamma, beta, bn_param):
    """A copy of bn_param: the running averages never come back."""
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta,
                                   dict(bn_param))
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_forward_back_unpermuted(x, gamma, beta, bn_param):
    """The output reshaped to (N, C, H, W) without moving the channels back."""
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta,
                                   bn_param)
    return out.reshape(N, C, H, W), cache


def spatial_batchnorm_backward_plain_reshape(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.reshape(-1, C), cache)
    return dx.reshape(N, C, H, W), dgamma, dbeta


def spatial_batchnorm_backward_dx_unpermuted(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, C),
                                               cache)
    return dx.reshape(N, C, H, W), dgamma, dbeta


def spatial_batchnorm_backward_mean_dgamma(dout, cache):
    """dgamma and dbeta averaged over the rows instead of summed."""
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, C),
                                               cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma / (N * H * W), \
        dbeta / (N * H * W)


CORRECT = {
    "max_pool_forward_naive": [max_pool_forward_loops, max_pool_forward_columns_first,
                               max_pool_forward_windows, max_pool_forward_reshape],
    "max_pool_backward_naive": [max_pool_backward_argmax, max_pool_backward_first_mask,
                                max_pool_backward_add_at,
                                (max_pool_forward_windows, max_pool_backward_first_mask)],
    "avg_pool_forward_naive": [avg_pool_forward_loops, avg_pool_forward_einsum,
                               avg_pool_forward_reshape],
    "avg_pool_backward_naive": [avg_pool_backward_loops, avg_pool_backward_window_view,
                                avg_pool_backward_kron],
    "spatial_batchnorm_forward": [spatial_batchnorm_forward_transpose,
                                  spatial_batchnorm_forward_moveaxis,
                                  spatial_batchnorm_forward_channel_rows],
    "spatial_batchnorm_backward": [spatial_batchnorm_backward_transpose,
                                   spatial_batchnorm_backward_moveaxis,
                                   (spatial_batchnorm_forward_channel_rows,
                                    spatial_batchnorm_backward_channel_rows)],
}

WRONG = {
    "max_pool_forward_naive": [max_pool_forward_stride_ignored, max_pool_forward_off_by_one,
                               max_pool_forward_axes_swapped, max_pool_forward_no_size_check,
                               max_pool_forward_mean],
    "max_pool_backward_naive": [max_pool_backward_every_max,
                                max_pool_backward_unravel_transposed,
                                max_pool_backward_row_col_swapped,
                                max_pool_backward_overwrites, max_pool_backward_stride_ignored,
                                max_pool_backward_last_max],
    "avg_pool_forward_naive": [avg_pool_forward_sum, avg_pool_forward_off_by_one,
                               avg_pool_forward_stride_ignored],
    "avg_pool_backward_naive": [avg_pool_backward_not_divided, avg_pool_backward_overwrites,
                                avg_pool_backward_stride_ignored],
    "spatial_batchnorm_forward": [spatial_batchnorm_forward_per_pixel,
                                  spatial_batchnorm_forward_over_n_c,
                                  spatial_batchnorm_forward_plain_reshape,
                                  spatial_batchnorm_forward_param_copy,
                                  spatial_batchnorm_forward_back_unpermuted],
    "spatial_batchnorm_backward": [spatial_batchnorm_backward_plain_reshape,
                                   spatial_batchnorm_backward_dx_unpermuted,
                                   spatial_batchnorm_backward_mean_dgamma],
}

BASE = {"max_pool_forward_naive": [max_pool_forward_loops],
        "max_pool_backward_naive": [max_pool_backward_argmax],
        "avg_pool_forward_naive": [avg_pool_forward_loops],
        "avg_pool_backward_naive": [avg_pool_backward_loops],
        "spatial_batchnorm_forward": [spatial_batchnorm_forward_transpose],
        "spatial_batchnorm_backward": [spatial_batchnorm_backward_transpose]}

DIFFERENT = {"max_pool_forward_naive": [max_pool_forward_columns_first],
             "max_pool_backward_naive": [max_pool_backward_first_mask],
             "avg_pool_forward_naive": [avg_pool_forward_einsum],
             "avg_pool_backward_naive": [avg_pool_backward_window_view],
             "spatial_batchnorm_forward": [spatial_batchnorm_forward_moveaxis],
             "spatial_batchnorm_backward": [spatial_batchnorm_backward_moveaxis]}

SAMPLES = [
    Sample(
        "bug-max-pool-every-maximum",
        fills={"max_pool_backward_naive": [max_pool_backward_every_max]},
        lose={"test_max_pool_backward_naive"},
        in_tests=False,
        note="max_pool_backward_naive sends a tied window's gradient to each of its maxima "
             "(the gradient counted twice): its test cell loses on the tie cases; the "
             "forward keeps its points. convnet.ipynb's network keeps its points: its ties "
             "are windows of ReLU zeros, whose gradient the ReLU's backward drops."),
    Sample(
        "bug-max-pool-wrong-index",
        fills={"max_pool_backward_naive": [max_pool_backward_row_col_swapped]},
        lose={"test_max_pool_backward_naive", "test_three_layer_convnet"},
        in_tests=False,
        note="max_pool_backward_naive swaps the row and column of the maximum it routes the "
             "gradient to: its test cell loses; the forward keeps its points, and "
             "convnet.ipynb's network, built on this backward, gets wrong gradients for W1 "
             "and b1 and loses too."),
    Sample(
        "bug-max-pool-overwrites",
        fills={"max_pool_backward_naive": [max_pool_backward_overwrites]},
        lose={"test_max_pool_backward_naive"},
        in_tests=False,
        note="max_pool_backward_naive assigns each window's gradient instead of adding it: "
             "where windows overlap, gradient is lost, and its test cell loses."),
    Sample(
        "bug-avg-pool-not-divided",
        fills={"avg_pool_backward_naive": [avg_pool_backward_not_divided]},
        lose={"test_avg_pool_backward_naive"},
        in_tests=False,
        note="avg_pool_backward_naive spreads dout over the window without dividing by its "
             "size: its test cell loses."),
    Sample(
        "bug-pool-stride-ignored",
        fills={"max_pool_forward_naive": [max_pool_forward_stride_ignored]},
        lose={"test_max_pool_forward_naive", "test_three_layer_convnet"},
        in_tests=False,
        note="max_pool_forward_naive slides its windows by one pixel whatever the stride: "
             "the output has the wrong shape and its test cell loses; the backward, which "
             "works from x and pool_param in this forward's cache, keeps its points. "
             "convnet.ipynb's network, built from this layer, gets pooled maps of the wrong "
             "size and fails its test too."),
    Sample(
        "bug-spatial-bn-plain-reshape",
        fills={"spatial_batchnorm_forward": [spatial_batchnorm_forward_plain_reshape]},
        lose={"test_spatial_batchnorm_forward", "test_spatial_batchnorm_backward"},
        in_tests=False,
        note="spatial_batchnorm_forward reshapes (N, C, H, W) straight to (-1, C) without "
             "moving the channels last: rows mix channels, its test cell loses, and so does "
             "the backward's, which is checked on the caches of the student's own forward "
             "(its failure says to fix the forward first)."),
    Sample(
        "bug-spatial-bn-running-not-updated",
        fills={"spatial_batchnorm_forward": [spatial_batchnorm_forward_param_copy]},
        lose={"test_spatial_batchnorm_forward"},
        in_tests=False,
        note="spatial_batchnorm_forward passes a copy of bn_param to batchnorm_forward: the "
             "running averages are never updated, its test cell loses."),
]
