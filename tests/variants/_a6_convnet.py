"""Assignment 6's corpus, part convnet: right and wrong ``ThreeLayerConvNet``
classes and the part's sample submissions (joined by a6_convolution.py).

A network variant calls the layers of the notebook's namespace:
``conv_forward_im2col`` / ``conv_backward_im2col`` (fast_conv.ipynb),
``max_pool_forward_naive`` / ``max_pool_backward_naive`` (pooling.ipynb) and
a2's ``affine_*``, ``relu_*`` and ``softmax_loss`` (the given a2_layers.py).
Pasted into the notebook, a class finds them there; in this module they are
the small right implementations below (tests/test_checks_convnet.py replaces
them with the solutions' when the notebooks are there, so that the stored
reference is matched to the last bit).  ``ConvNetRight`` and the two other
right classes are whole classes; every wrong network subclasses
``ConvNetRight`` and overrides the methods that hold its bug, so that a cell
made of ``[ConvNetRight, ConvNetOther]`` (the last class renamed
``ThreeLayerConvNet``) is a whole answer.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------- the layers a notebook provides

def conv_forward_im2col(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    return out + b[None, :, None, None], (x, w, b, conv_param)


def conv_backward_im2col(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))
    dxp = np.zeros_like(xp)
    Ho, Wo = dout.shape[2:]
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            dxp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.tensordot(
                dout, w[:, :, i, j], axes=([1], [0])).transpose(0, 3, 1, 2)
    return dxp[:, :, p:p + H, p:p + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.empty((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s), dtype=x.dtype)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            first = np.eye(ph * pw)[window.argmax(axis=2)]
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (
                first * dout[:, :, i, j, None]).reshape(N, C, ph, pw)
    return dx


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return ((dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout,
            dout.sum(axis=0))


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(y)
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return -log_p[np.arange(N), y].mean(), dscores / N


# These stand for the notebook's layers, not for an answer: a sample or a variant notebook
# (tests/test_grading.py pastes a class with the corpus functions it calls) takes the
# layers of the earlier notebooks' answers and the given a2_layers.py instead, whose
# caches differ from these.
for _layer in (conv_forward_im2col, conv_backward_im2col, max_pool_forward_naive,
               max_pool_backward_naive, affine_forward, affine_backward, relu_forward,
               relu_backward, softmax_loss):
    _layer.__module__ = "notebook_layers"


# ---------------------------------------------------------------- right

class ConvNetRight:
    """One layer per line, forward and backward as methods of their own."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        self.reg = reg
        self.dtype = dtype
        rng = np.random.default_rng() if rng is None else rng
        C, H, W = input_dim
        self.params = {}
        self.params["W1"] = weight_scale * rng.standard_normal(
            (num_filters, C, filter_size, filter_size))
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = weight_scale * rng.standard_normal(
            (num_filters * (H // 2) * (W // 2), hidden_dim))
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * rng.standard_normal((hidden_dim, num_classes))
        self.params["b3"] = np.zeros(num_classes)
        self._cast(dtype)

    def _cast(self, dtype):
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def _conv_param(self):
        filter_size = self.params["W1"].shape[2]
        return {"stride": 1, "pad": (filter_size - 1) // 2}

    def _forward(self, X):
        p = self.params
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        conv, c_conv = conv_forward_im2col(X, p["W1"], p["b1"], self._conv_param())
        a1, c_relu1 = relu_forward(conv)
        pooled, c_pool = max_pool_forward_naive(a1, pool_param)
        h, c_aff2 = affine_forward(pooled, p["W2"], p["b2"])
        a2, c_relu2 = relu_forward(h)
        scores, c_aff3 = affine_forward(a2, p["W3"], p["b3"])
        return scores, (c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3)

    def _backward(self, dscores, caches):
        c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        da1 = max_pool_backward_naive(dpooled, c_pool)
        dconv = relu_backward(da1, c_relu1)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads

    def _regularise(self, loss, grads):
        for k in ("W1", "W2", "W3"):
            W = self.params[k]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[k] = grads[k] + self.reg * W
        return loss

    def _scores(self, scores):
        return scores

    def loss(self, X, y=None):
        scores, caches = self._forward(X)
        if y is None:
            return self._scores(scores)
        loss, dscores = softmax_loss(scores, y)
        grads = self._backward(dscores, caches)
        loss = self._regularise(loss, grads)
        return loss, grads


class ConvNetVdot:
    """rng.normal for the weights, np.vdot for the regularisation, the pooled
    maps flattened by hand, everything in one method."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        if rng is None:
            rng = np.random.default_rng()
        C, H, W = input_dim
        F = num_filters
        shapes = {"W1": (F, C, filter_size, filter_size), "W2": (F * H * W // 4, hidden_dim),
                  "W3": (hidden_dim, num_classes)}
        self.params = {}
        for i, (k, shape) in enumerate(shapes.items(), start=1):
            self.params[k] = rng.normal(0.0, weight_scale, size=shape).astype(dtype)
            self.params["b%d" % i] = np.zeros(shape[0] if i == 1 else shape[1], dtype=dtype)
        self.reg = reg
        self.pad = (filter_size - 1) // 2

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        N = X.shape[0]
        c1, cc = conv_forward_im2col(X, W1, b1, {"pad": self.pad, "stride": 1})
        r1, cr1 = relu_forward(c1)
        p1, cp = max_pool_forward_naive(r1, {"stride": 2, "pool_width": 2, "pool_height": 2})
        flat = p1.reshape(N, -1)
        r2, cr2 = relu_forward(flat @ W2 + b2)
        scores = r2 @ W3 + b3
        if y is None:
            return scores
        data_loss, ds = softmax_loss(scores, y)
        reg_loss = 0.5 * self.reg * (np.vdot(W1, W1) + np.vdot(W2, W2) + np.vdot(W3, W3))
        grads = {"W3": r2.T @ ds + self.reg * W3, "b3": ds.sum(axis=0)}
        dh = relu_backward(ds @ W3.T, cr2)
        grads["W2"] = flat.T @ dh + self.reg * W2
        grads["b2"] = dh.sum(axis=0)
        dp = (dh @ W2.T).reshape(p1.shape)
        dx, dW1, db1 = conv_backward_im2col(relu_backward(max_pool_backward_naive(dp, cp), cr1),
                                            cc)
        grads["W1"] = dW1 + self.reg * W1
        grads["b1"] = db1
        return data_loss + reg_loss, grads


class ConvNetLayerList:
    """A list of (forward, backward, parameter names) run in a loop; the weights
    drawn last layer first; np.tensordot for the regularisation."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        C, H, W = input_dim
        self.reg = reg
        self.params = {
            "W3": rng.standard_normal((hidden_dim, num_classes), dtype=np.float64),
            "W2": rng.standard_normal((num_filters * (H // 2) * (W // 2), hidden_dim)),
            "W1": rng.standard_normal((num_filters, C, filter_size, filter_size)),
        }
        for k in list(self.params):
            self.params[k] = (weight_scale * self.params[k]).astype(dtype)
        self.params["b1"] = np.zeros(num_filters, dtype)
        self.params["b2"] = np.zeros(hidden_dim, dtype)
        self.params["b3"] = np.zeros(num_classes, dtype)
        conv = {"stride": 1, "pad": filter_size // 2}   # filter_size is odd
        pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
        self.layers = [
            (lambda x: conv_forward_im2col(x, self.params["W1"], self.params["b1"], conv),
             conv_backward_im2col, ("W1", "b1")),
            (relu_forward, relu_backward, ()),
            (lambda x: max_pool_forward_naive(x, pool), max_pool_backward_naive, ()),
            (lambda x: affine_forward(x, self.params["W2"], self.params["b2"]),
             affine_backward, ("W2", "b2")),
            (relu_forward, relu_backward, ()),
            (lambda x: affine_forward(x, self.params["W3"], self.params["b3"]),
             affine_backward, ("W3", "b3"))]

    def loss(self, X, y=None):
        caches = []
        out = X
        for forward, _, _ in self.layers:
            out, cache = forward(out)
            caches.append(cache)
        if y is None:
            return out
        loss, d = softmax_loss(out, y)
        grads = {}
        for (_, backward, names), cache in zip(reversed(self.layers), reversed(caches)):
            result = backward(d, cache)
            if names:
                d, grads[names[0]], grads[names[1]] = result
            else:
                d = result
        for k in ("W1", "W2", "W3"):
            W = self.params[k]
            loss = loss + 0.5 * self.reg * np.tensordot(W, W, axes=W.ndim)
            grads[k] += self.reg * W
        return loss, grads


# ---------------------------------------------------------------- wrong

class ConvNetBiasesReg(ConvNetRight):
    """Regularises the biases with the weights."""

    def _regularise(self, loss, grads):
        for k, v in self.params.items():
            loss += 0.5 * self.reg * np.sum(v * v)
            grads[k] = grads[k] + self.reg * v
        return loss


class ConvNetRegWithoutHalf(ConvNetRight):
    """reg * sum(W**2) in the loss (the gradient is right)."""

    def _regularise(self, loss, grads):
        for k in ("W1", "W2", "W3"):
            W = self.params[k]
            loss += self.reg * np.sum(W * W)
            grads[k] = grads[k] + self.reg * W
        return loss


class ConvNetNoRegGradient(ConvNetRight):
    """The regularisation term in the loss, not in the gradients."""

    def _regularise(self, loss, grads):
        for k in ("W1", "W2", "W3"):
            loss += 0.5 * self.reg * np.sum(self.params[k] ** 2)
        return loss


class ConvNetFiltersNotReg(ConvNetRight):
    """Regularises the affine layers only, not the filters W1."""

    def _regularise(self, loss, grads):
        for k in ("W2", "W3"):
            W = self.params[k]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[k] = grads[k] + self.reg * W
        return loss


class ConvNetPoolIgnoredInW2(ConvNetRight):
    """W2 sized for the conv's output, as if there were no pool."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        super().__init__(input_dim, num_filters, filter_size, hidden_dim, num_classes,
                         weight_scale, reg, dtype, rng)
        C, H, W = input_dim
        rng = np.random.default_rng() if rng is None else rng
        self.params["W2"] = (weight_scale * rng.standard_normal(
            (num_filters * H * W, hidden_dim))).astype(dtype)


class ConvNetPadZero(ConvNetRight):
    """No padding: the conv shrinks the image."""

    def _conv_param(self):
        return {"stride": 1, "pad": 0}


class ConvNetPadOne(ConvNetRight):
    """pad 1 whatever the filter size (right for 3x3 filters only)."""

    def _conv_param(self):
        return {"stride": 1, "pad": 1}


class ConvNetNoReluAfterConv(ConvNetRight):
    """conv - pool: no ReLU between them."""

    def _forward(self, X):
        p = self.params
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        conv, c_conv = conv_forward_im2col(X, p["W1"], p["b1"], self._conv_param())
        pooled, c_pool = max_pool_forward_naive(conv, pool_param)
        h, c_aff2 = affine_forward(pooled, p["W2"], p["b2"])
        a2, c_relu2 = relu_forward(h)
        scores, c_aff3 = affine_forward(a2, p["W3"], p["b3"])
        return scores, (c_conv, None, c_pool, c_aff2, c_relu2, c_aff3)

    def _backward(self, dscores, caches):
        c_conv, _, c_pool, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        dconv = max_pool_backward_naive(dpooled, c_pool)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetNoHiddenRelu(ConvNetRight):
    """affine - affine: no ReLU after the hidden affine layer."""

    def _forward(self, X):
        p = self.params
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        conv, c_conv = conv_forward_im2col(X, p["W1"], p["b1"], self._conv_param())
        a1, c_relu1 = relu_forward(conv)
        pooled, c_pool = max_pool_forward_naive(a1, pool_param)
        h, c_aff2 = affine_forward(pooled, p["W2"], p["b2"])
        scores, c_aff3 = affine_forward(h, p["W3"], p["b3"])
        return scores, (c_conv, c_relu1, c_pool, c_aff2, None, c_aff3)

    def _backward(self, dscores, caches):
        c_conv, c_relu1, c_pool, c_aff2, _, c_aff3 = caches
        grads = {}
        dh, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        da1 = max_pool_backward_naive(dpooled, c_pool)
        dconv = relu_backward(da1, c_relu1)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetAveragePool(ConvNetRight):
    """Averages each 2x2 window instead of taking its maximum."""

    def _forward(self, X):
        p = self.params
        conv, c_conv = conv_forward_im2col(X, p["W1"], p["b1"], self._conv_param())
        a1, c_relu1 = relu_forward(conv)
        N, F, H, W = a1.shape
        pooled = a1.reshape(N, F, H // 2, 2, W // 2, 2).mean(axis=(3, 5))
        h, c_aff2 = affine_forward(pooled, p["W2"], p["b2"])
        a2, c_relu2 = relu_forward(h)
        scores, c_aff3 = affine_forward(a2, p["W3"], p["b3"])
        return scores, (c_conv, c_relu1, a1.shape, c_aff2, c_relu2, c_aff3)

    def _backward(self, dscores, caches):
        c_conv, c_relu1, shape, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        da1 = np.repeat(np.repeat(dpooled, 2, axis=2), 2, axis=3) / 4
        dconv = relu_backward(da1, c_relu1)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetPoolBackwardSpread(ConvNetRight):
    """Skips max_pool_backward_naive: copies each pooled gradient to its whole
    2x2 window."""

    def _backward(self, dscores, caches):
        c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        da1 = np.repeat(np.repeat(dpooled, 2, axis=2), 2, axis=3)
        dconv = relu_backward(da1, c_relu1)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetConvReluBackwardSkipped(ConvNetRight):
    """The backward skips the ReLU after the conv."""

    def _backward(self, dscores, caches):
        c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        dconv = max_pool_backward_naive(dpooled, c_pool)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetFlippedFilters(ConvNetRight):
    """A true convolution (filters flipped), where the course's layer, like
    every framework's, is a cross-correlation."""

    def _forward(self, X):
        p = self.params
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        conv, c_conv = conv_forward_im2col(X, p["W1"][:, :, ::-1, ::-1], p["b1"],
                                           self._conv_param())
        a1, c_relu1 = relu_forward(conv)
        pooled, c_pool = max_pool_forward_naive(a1, pool_param)
        h, c_aff2 = affine_forward(pooled, p["W2"], p["b2"])
        a2, c_relu2 = relu_forward(h)
        scores, c_aff3 = affine_forward(a2, p["W3"], p["b3"])
        return scores, (c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3)

    def _backward(self, dscores, caches):
        grads = super()._backward(dscores, caches)
        grads["W1"] = grads["W1"][:, :, ::-1, ::-1]
        return grads


class ConvNetFlattenChannelsLast(ConvNetRight):
    """Flattens the pooled maps as (H/2, W/2, F) instead of (F, H/2, W/2)."""

    def _forward(self, X):
        p = self.params
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        conv, c_conv = conv_forward_im2col(X, p["W1"], p["b1"], self._conv_param())
        a1, c_relu1 = relu_forward(conv)
        pooled, c_pool = max_pool_forward_naive(a1, pool_param)
        h, c_aff2 = affine_forward(pooled.transpose(0, 2, 3, 1), p["W2"], p["b2"])
        a2, c_relu2 = relu_forward(h)
        scores, c_aff3 = affine_forward(a2, p["W3"], p["b3"])
        return scores, (c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3)

    def _backward(self, dscores, caches):
        c_conv, c_relu1, c_pool, c_aff2, c_relu2, c_aff3 = caches
        grads = {}
        da2, grads["W3"], grads["b3"] = affine_backward(dscores, c_aff3)
        dh = relu_backward(da2, c_relu2)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dh, c_aff2)
        da1 = max_pool_backward_naive(dpooled.transpose(0, 3, 1, 2), c_pool)
        dconv = relu_backward(da1, c_relu1)
        _, grads["W1"], grads["b1"] = conv_backward_im2col(dconv, c_conv)
        return grads


class ConvNetSoftmaxScores(ConvNetRight):
    """loss(X) returns the softmax probabilities instead of the scores."""

    def _scores(self, scores):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


class ConvNetDtypeIgnored(ConvNetRight):
    """Keeps every parameter in float64."""

    def _cast(self, dtype):
        pass


class ConvNetBiasesFloat64(ConvNetRight):
    """Casts the weights to dtype, not the biases."""

    def _cast(self, dtype):
        for k in ("W1", "W2", "W3"):
            self.params[k] = self.params[k].astype(dtype)


class ConvNetNpRandom(ConvNetRight):
    """Draws the weights from np.random's global state."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        super().__init__(input_dim, num_filters, filter_size, hidden_dim, num_classes,
                         weight_scale, reg, dtype, rng)
        for k in ("W1", "W2", "W3"):
            shape = self.params[k].shape
            self.params[k] = (weight_scale * np.random.randn(*shape)).astype(dtype)


class ConvNetOwnGenerator(ConvNetRight):
    """Ignores rng: a generator of its own with a fixed seed."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        super().__init__(input_dim, num_filters, filter_size, hidden_dim, num_classes,
                         weight_scale, reg, dtype, np.random.default_rng(0))


class ConvNetRandomBiases(ConvNetRight):
    """Biases drawn like the weights instead of zeros."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        super().__init__(input_dim, num_filters, filter_size, hidden_dim, num_classes,
                         weight_scale, reg, dtype, rng)
        for k in ("b1", "b2", "b3"):
            shape = self.params[k].shape
            self.params[k] = (weight_scale * rng.standard_normal(shape)).astype(dtype)


class ConvNetHeInit(ConvNetRight):
    """He's initialisation instead of weight_scale."""

    def __init__(self, input_dim=(1, 28, 28), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None):
        super().__init__(input_dim, num_filters, filter_size, hidden_dim, num_classes,
                         1.0, reg, dtype, rng)
        for k in ("W1", "W2", "W3"):
            W = self.params[k]
            fan_in = W[0].size if k == "W1" else W.shape[0]
            self.params[k] = (W * np.sqrt(2.0 / fan_in)).astype(dtype)


class ConvNetUpdatesParams(ConvNetRight):
    """Adds the regularisation gradient into the weights themselves."""

    def _regularise(self, loss, grads):
        for k in ("W1", "W2", "W3"):
            W = self.params[k]
            loss += 0.5 * self.reg * np.sum(W * W)
            W *= 1.0 - 1e-3 * self.reg
            grads[k] = grads[k] + self.reg * W
        return loss


CORRECT = {"ThreeLayerConvNet": [ConvNetRight, ConvNetVdot, ConvNetLayerList]}

WRONG = {"ThreeLayerConvNet": [
    ConvNetBiasesReg, ConvNetRegWithoutHalf, ConvNetNoRegGradient, ConvNetFiltersNotReg,
    ConvNetPoolIgnoredInW2, ConvNetPadZero, ConvNetPadOne, ConvNetNoReluAfterConv,
    ConvNetNoHiddenRelu, ConvNetAveragePool, ConvNetPoolBackwardSpread,
    ConvNetConvReluBackwardSkipped, ConvNetFlippedFilters, ConvNetFlattenChannelsLast,
    ConvNetSoftmaxScores, ConvNetDtypeIgnored, ConvNetBiasesFloat64, ConvNetNpRandom,
    ConvNetOwnGenerator, ConvNetRandomBiases, ConvNetHeInit, ConvNetUpdatesParams]}

BASE = {"ThreeLayerConvNet": [ConvNetRight]}

DIFFERENT = {"ThreeLayerConvNet": [ConvNetVdot]}

SAMPLES = [
    Sample(
        "bug-convnet-biases-regularised",
        fills={"ThreeLayerConvNet": [ConvNetRight, ConvNetBiasesReg]},
        lose={"test_three_layer_convnet"},
        in_tests=False,  # make test grades a2's network with regularised biases
        note="ThreeLayerConvNet regularises the biases with the weights: the loss is wrong "
             "on every case with reg > 0, so its test cell loses; the layers of the earlier "
             "notebooks keep their points."),
    Sample(
        "bug-convnet-pool-backward-skipped",
        fills={"ThreeLayerConvNet": [ConvNetRight, ConvNetPoolBackwardSpread]},
        lose={"test_three_layer_convnet"},
        in_tests=False,
        note="ThreeLayerConvNet copies each pooled gradient to its whole 2x2 window instead "
             "of calling max_pool_backward_naive: the loss and the gradients of W2, W3 are "
             "right, W1's and b1's are not, so its test cell loses."),
    Sample(
        "bug-convnet-scores-after-softmax",
        fills={"ThreeLayerConvNet": [ConvNetRight, ConvNetSoftmaxScores]},
        lose={"test_three_layer_convnet"},
        in_tests=False,
        note="ThreeLayerConvNet returns softmax probabilities from loss(X): the loss and the "
             "gradients are right, the scores are not, so its test cell loses (the "
             "predictions, an argmax, are the same: the notebook's training still works)."),
]
