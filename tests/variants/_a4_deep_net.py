"""Assignment 4's corpus, part deep_net: right and wrong weight initialisations and
fully connected networks, and the part's sample submissions (joined by a4_deep_nets.py).

A network variant calls the layers of the notebook's namespace (``affine_forward``
... from the given ``a2_layers.py``, the student's ``batchnorm_forward`` ... and
``xavier_init`` / ``he_init``): pasted into the notebook it finds them there, and
tests/test_checks_deep_net.py puts the solutions' into this module.
``FCRight`` and ``FCListsOfCaches`` (written differently) are whole classes;
every other network subclasses ``FCRight`` and overrides the methods that hold
its difference (a bug, or dropout before the ReLU), so that a cell made of
``[FCRight, FCOther]`` (the last class renamed ``FullyConnectedNet``) is a
whole answer.
"""
import numpy as np

from cs231n.grading.samples import Sample


# ------------------------------------------------------------------- init: right

def xavier_standard_normal(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def xavier_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


def xavier_transposed(fan_in, fan_out, rng):
    return (rng.standard_normal((fan_out, fan_in)) * (1 / fan_in) ** 0.5).T.copy()


def he_standard_normal(fan_in, fan_out, rng):
    return np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    return rng.normal(scale=(2 / fan_in) ** 0.5, size=(fan_in, fan_out))


# ------------------------------------------------------------------- init: wrong

def xavier_fan_out(fan_in, fan_out, rng):
    """Divides by fan_out."""
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)


def xavier_with_he_factor(fan_in, fan_out, rng):
    """He's std for Xavier."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def xavier_glorot_average(fan_in, fan_out, rng):
    """Glorot's averaged form, not the course's."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))


def xavier_no_sqrt(fan_in, fan_out, rng):
    """Variance used as standard deviation."""
    return rng.standard_normal((fan_in, fan_out)) / fan_in


def xavier_np_random(fan_in, fan_out, rng):
    """np.random's global state."""
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)


def xavier_uniform(fan_in, fan_out, rng):
    """Uniform in [0, 1) scaled: not zero-mean."""
    return rng.random((fan_in, fan_out)) * np.sqrt(3.0 / fan_in)


def xavier_float32(fan_in, fan_out, rng):
    """Returns float32."""
    return (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32)


def xavier_transposed_shape(fan_in, fan_out, rng):
    """Shape (fan_out, fan_in)."""
    return rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)


def he_without_factor(fan_in, fan_out, rng):
    """Xavier's std for He."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)


def he_fan_out(fan_in, fan_out, rng):
    """Divides by fan_out."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_out)


def he_own_generator(fan_in, fan_out, rng):
    """A generator of its own with a fixed seed."""
    return np.random.default_rng(0).standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


# ---------------------------------------------------------------- network: right

class FCRight:
    """A loop over the layers, one tuple of caches per hidden layer."""

    def __init__(self, hidden_dims, input_dim=784, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64,
                 rng=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        rng = np.random.default_rng() if rng is None else rng
        dims = [input_dim, *hidden_dims, num_classes]
        for l in range(1, self.num_layers + 1):
            if weight_scale == "xavier":
                W = xavier_init(dims[l - 1], dims[l], rng)
            elif weight_scale == "he":
                W = he_init(dims[l - 1], dims[l], rng)
            else:
                W = weight_scale * rng.standard_normal((dims[l - 1], dims[l]))
            self.params[f"W{l}"] = W
            self.params[f"b{l}"] = np.zeros(dims[l])
            if normalization and l < self.num_layers:
                self.params[f"gamma{l}"] = np.ones(dims[l])
                self.params[f"beta{l}"] = np.zeros(dims[l])
        self._cast(dtype)
        self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio, "rng": rng}
        self.bn_params = ([{"mode": "train"} for _ in range(self.num_layers - 1)]
                          if normalization else [])

    def _cast(self, dtype):
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def _set_modes(self, mode):
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

    def _hidden_forward(self, h, l):
        h, c_aff = affine_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
        c_norm = c_drop = None
        if self.normalization == "batchnorm":
            h, c_norm = batchnorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        elif self.normalization == "layernorm":
            h, c_norm = layernorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        h, c_relu = relu_forward(h)
        if self.use_dropout:
            h, c_drop = dropout_forward(h, self.dropout_param)
        return h, (c_aff, c_norm, c_relu, c_drop)

    def _hidden_backward(self, dh, cache, l, grads):
        c_aff, c_norm, c_relu, c_drop = cache
        if self.use_dropout:
            dh = dropout_backward(dh, c_drop)
        dh = relu_backward(dh, c_relu)
        if self.normalization == "batchnorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward_alt(dh, c_norm)
        elif self.normalization == "layernorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = layernorm_backward(dh, c_norm)
        dh, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dh, c_aff)
        return dh

    def _scores(self, h, L):
        return affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])

    def _regularise(self, loss, grads, L):
        for l in range(1, L + 1):
            W = self.params[f"W{l}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{l}"] = grads[f"W{l}"] + self.reg * W
        return loss

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        self._set_modes("test" if y is None else "train")
        L = self.num_layers
        h, caches = X, []
        for l in range(1, L):
            h, cache = self._hidden_forward(h, l)
            caches.append(cache)
        scores, c_last = self._scores(h, L)
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, c_last)
        for l in range(L - 1, 0, -1):
            dh = self._hidden_backward(dh, caches[l - 1], l, grads)
        loss = self._regularise(loss, grads, L)
        return loss, grads


class FCListsOfCaches:
    """Lists of caches per kind, combined forward/backward helpers, np.vdot for the
    regularisation, the graph backward of batch norm and rng.normal for the weights."""

    def __init__(self, hidden_dims, input_dim=784, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64,
                 rng=None):
        if rng is None:
            rng = np.random.default_rng()
        self.reg, self.norm, self.dtype = reg, normalization, dtype
        self.L = len(hidden_dims) + 1
        sizes = [input_dim] + list(hidden_dims) + [num_classes]
        self.params = {}
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            if isinstance(weight_scale, str):
                init = {"xavier": xavier_init, "he": he_init}[weight_scale]
                self.params["W%d" % i] = init(a, b, rng).astype(dtype)
            else:
                self.params["W%d" % i] = rng.normal(0, weight_scale, size=(a, b)).astype(dtype)
            self.params["b%d" % i] = np.zeros(b, dtype=dtype)
        if normalization is not None:
            for i in range(1, self.L):
                self.params["gamma%d" % i] = np.ones(sizes[i], dtype=dtype)
                self.params["beta%d" % i] = np.zeros(sizes[i], dtype=dtype)
        self.bn_params = [dict(mode="train") for _ in range(self.L - 1)] if normalization else []
        self.dropout_param = dict(mode="train", keep_prob=dropout_keep_ratio, rng=rng)

    def _unit_forward(self, x, i):
        p = self.params
        a, ca = affine_forward(x, p["W%d" % i], p["b%d" % i])
        cn = None
        if self.norm == "batchnorm":
            a, cn = batchnorm_forward(a, p["gamma%d" % i], p["beta%d" % i], self.bn_params[i - 1])
        if self.norm == "layernorm":
            a, cn = layernorm_forward(a, p["gamma%d" % i], p["beta%d" % i], self.bn_params[i - 1])
        r, cr = relu_forward(a)
        return r, (ca, cn, cr)

    def _unit_backward(self, d, cache):
        ca, cn, cr = cache
        d = relu_backward(d, cr)
        dg = db = None
        if self.norm == "batchnorm":
            d, dg, db = batchnorm_backward(d, cn)
        if self.norm == "layernorm":
            d, dg, db = layernorm_backward(d, cn)
        dx, dw, dbias = affine_backward(d, ca)
        return dx, dw, dbias, dg, db

    def loss(self, X, y=None):
        mode = "train" if y is not None else "test"
        for bp in self.bn_params:
            bp["mode"] = mode
        self.dropout_param["mode"] = mode
        drop = self.dropout_param["keep_prob"] < 1
        unit_caches, drop_caches = [], []
        out = X.astype(self.dtype)
        for i in range(1, self.L):
            out, c = self._unit_forward(out, i)
            unit_caches.append(c)
            if drop:
                out, dc = dropout_forward(out, self.dropout_param)
                drop_caches.append(dc)
        L = self.L
        scores, last = affine_forward(out, self.params["W%d" % L], self.params["b%d" % L])
        if mode == "test":
            return scores
        data_loss, d = softmax_loss(scores, y)
        reg_loss = 0.0
        grads = {}
        d, grads["W%d" % self.L], grads["b%d" % self.L] = affine_backward(d, last)
        for i in reversed(range(1, self.L)):
            if drop:
                d = dropout_backward(d, drop_caches.pop())
            d, dw, dbias, dg, db = self._unit_backward(d, unit_caches.pop())
            grads["W%d" % i], grads["b%d" % i] = dw, dbias
            if self.norm is not None:
                grads["gamma%d" % i], grads["beta%d" % i] = dg, db
        for i in range(1, self.L + 1):
            W = self.params["W%d" % i]
            reg_loss += 0.5 * self.reg * np.vdot(W, W)
            grads["W%d" % i] += self.reg * W
        return data_loss + reg_loss, grads


class FCDropoutBeforeRelu(FCRight):
    """Dropout between the norm and the ReLU: with inverted dropout's positive scale
the two commute (max(0, m x / p) = m max(0, x) / p), so this network computes the
same function with the same masks: it is right, and no check could tell."""

    def _hidden_forward(self, h, l):
        h, c_aff = affine_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
        c_norm = c_drop = None
        if self.normalization == "batchnorm":
            h, c_norm = batchnorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        elif self.normalization == "layernorm":
            h, c_norm = layernorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        if self.use_dropout:
            h, c_drop = dropout_forward(h, self.dropout_param)
        h, c_relu = relu_forward(h)
        return h, (c_aff, c_norm, c_relu, c_drop)

    def _hidden_backward(self, dh, cache, l, grads):
        c_aff, c_norm, c_relu, c_drop = cache
        dh = relu_backward(dh, c_relu)
        if self.use_dropout:
            dh = dropout_backward(dh, c_drop)
        if self.normalization == "batchnorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward_alt(dh, c_norm)
        elif self.normalization == "layernorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = layernorm_backward(dh, c_norm)
        dh, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dh, c_aff)
        return dh


# ---------------------------------------------------------------- network: wrong

class FCLastRegTwice(FCRight):
    """Regularises the last layer's weights twice."""

    def _regularise(self, loss, grads, L):
        for l in [*range(1, L + 1), L]:
            W = self.params[f"W{l}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{l}"] = grads[f"W{l}"] + self.reg * W
        return loss


class FCLastNotReg(FCRight):
    """Regularises the hidden layers only."""

    def _regularise(self, loss, grads, L):
        for l in range(1, L):
            W = self.params[f"W{l}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{l}"] = grads[f"W{l}"] + self.reg * W
        return loss


class FCBiasesReg(FCRight):
    """Regularises every parameter whose name starts with W or b."""

    def _regularise(self, loss, grads, L):
        for k, v in self.params.items():
            if k[0] in "Wb" and not k.startswith("beta"):
                loss += 0.5 * self.reg * np.sum(v * v)
                grads[k] = grads[k] + self.reg * v
        return loss


class FCGammaBetaReg(FCRight):
    """Regularises every parameter but the biases: gamma and beta too."""

    def _regularise(self, loss, grads, L):
        for k, v in self.params.items():
            if not (k[0] == "b" and not k.startswith("beta")):
                loss += 0.5 * self.reg * np.sum(v * v)
                grads[k] = grads[k] + self.reg * v
        return loss


class FCNormAfterRelu(FCRight):
    """affine - relu - norm: the norm after the ReLU."""

    def _hidden_forward(self, h, l):
        h, c_aff = affine_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
        h, c_relu = relu_forward(h)
        c_norm = c_drop = None
        if self.normalization == "batchnorm":
            h, c_norm = batchnorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        elif self.normalization == "layernorm":
            h, c_norm = layernorm_forward(h, self.params[f"gamma{l}"],
                                          self.params[f"beta{l}"], self.bn_params[l - 1])
        if self.use_dropout:
            h, c_drop = dropout_forward(h, self.dropout_param)
        return h, (c_aff, c_norm, c_relu, c_drop)

    def _hidden_backward(self, dh, cache, l, grads):
        c_aff, c_norm, c_relu, c_drop = cache
        if self.use_dropout:
            dh = dropout_backward(dh, c_drop)
        if self.normalization == "batchnorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward_alt(dh, c_norm)
        elif self.normalization == "layernorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = layernorm_backward(dh, c_norm)
        dh = relu_backward(dh, c_relu)
        dh, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dh, c_aff)
        return dh


class FCBackwardNormBeforeRelu(FCRight):
    """The forward is right; the backward goes through the norm before the ReLU."""

    def _hidden_backward(self, dh, cache, l, grads):
        c_aff, c_norm, c_relu, c_drop = cache
        if self.use_dropout:
            dh = dropout_backward(dh, c_drop)
        if self.normalization == "batchnorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward_alt(dh, c_norm)
        elif self.normalization == "layernorm":
            dh, grads[f"gamma{l}"], grads[f"beta{l}"] = layernorm_backward(dh, c_norm)
        dh = relu_backward(dh, c_relu)
        dh, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dh, c_aff)
        return dh


class FCBackwardCachesForwardOrder(FCRight):
    """Takes the caches in the order of the forward pass in the backward."""

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        self._set_modes("test" if y is None else "train")
        L = self.num_layers
        h, caches = X, []
        for l in range(1, L):
            h, cache = self._hidden_forward(h, l)
            caches.append(cache)
        scores, c_last = self._scores(h, L)
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, c_last)
        for l in range(L - 1, 0, -1):
            dh = self._hidden_backward(dh, caches[L - 1 - l], l, grads)
        loss = self._regularise(loss, grads, L)
        return loss, grads


class FCDropoutOnScores(FCRight):
    """Dropout on the scores too (on the last layer)."""

    def _scores(self, h, L):
        scores, cache = affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])
        if not self.use_dropout:
            return scores, cache
        scores, c_drop = dropout_forward(scores, self.dropout_param)
        return scores, (cache, c_drop)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        self._set_modes("test" if y is None else "train")
        L = self.num_layers
        h, caches = X, []
        for l in range(1, L):
            h, cache = self._hidden_forward(h, l)
            caches.append(cache)
        scores, cache = self._scores(h, L)
        if y is None:
            return scores
        c_last, c_drop = cache if self.use_dropout else (cache, None)
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        if self.use_dropout:
            dscores = dropout_backward(dscores, c_drop)
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, c_last)
        for l in range(L - 1, 0, -1):
            dh = self._hidden_backward(dh, caches[l - 1], l, grads)
        loss = self._regularise(loss, grads, L)
        return loss, grads


class FCBatchnormTrainAtTest(FCRight):
    """Never sets the mode of the bn_params: batch norm stays in train mode."""

    def _set_modes(self, mode):
        self.dropout_param["mode"] = mode


class FCModeStuckAtTest(FCRight):
    """Sets 'test' when y is None, never 'train' again."""

    def _set_modes(self, mode):
        if mode == "test":
            self.dropout_param["mode"] = mode
            for bn_param in self.bn_params:
                bn_param["mode"] = mode


class FCDtypeIgnored(FCRight):
    """Keeps every parameter in float64."""

    def _cast(self, dtype):
        pass


class FCGammaOnOutput(FCRight):
    """gamma and beta for the output layer too (unused)."""

    def __init__(self, hidden_dims, input_dim=784, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64,
                 rng=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        rng = np.random.default_rng() if rng is None else rng
        dims = [input_dim, *hidden_dims, num_classes]
        for l in range(1, self.num_layers + 1):
            if weight_scale == "xavier":
                W = xavier_init(dims[l - 1], dims[l], rng)
            elif weight_scale == "he":
                W = he_init(dims[l - 1], dims[l], rng)
            else:
                W = weight_scale * rng.standard_normal((dims[l - 1], dims[l]))
            self.params[f"W{l}"] = W
            self.params[f"b{l}"] = np.zeros(dims[l])
            if normalization and l < self.num_layers:
                self.params[f"gamma{l}"] = np.ones(dims[l])
                self.params[f"beta{l}"] = np.zeros(dims[l])
        self._cast(dtype)
        self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio, "rng": rng}
        self.bn_params = ([{"mode": "train"} for _ in range(self.num_layers - 1)]
                          if normalization else [])
        if normalization:
            L = self.num_layers
            self.params[f"gamma{L}"] = np.ones(num_classes, dtype=dtype)
            self.params[f"beta{L}"] = np.zeros(num_classes, dtype=dtype)


class FCRegWithoutHalf(FCRight):
    """reg * sum(W**2) in the loss (the gradient is right)."""

    def _regularise(self, loss, grads, L):
        for l in range(1, L + 1):
            W = self.params[f"W{l}"]
            loss += self.reg * np.sum(W * W)
            grads[f"W{l}"] = grads[f"W{l}"] + self.reg * W
        return loss


class FCXavierForHe(FCRight):
    """weight_scale 'he' draws with xavier_init."""

    def __init__(self, hidden_dims, input_dim=784, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64,
                 rng=None):
        if weight_scale == "he":
            weight_scale = "xavier"
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        rng = np.random.default_rng() if rng is None else rng
        dims = [input_dim, *hidden_dims, num_classes]
        for l in range(1, self.num_layers + 1):
            if weight_scale == "xavier":
                W = xavier_init(dims[l - 1], dims[l], rng)
            elif weight_scale == "he":
                W = he_init(dims[l - 1], dims[l], rng)
            else:
                W = weight_scale * rng.standard_normal((dims[l - 1], dims[l]))
            self.params[f"W{l}"] = W
            self.params[f"b{l}"] = np.zeros(dims[l])
            if normalization and l < self.num_layers:
                self.params[f"gamma{l}"] = np.ones(dims[l])
                self.params[f"beta{l}"] = np.zeros(dims[l])
        self._cast(dtype)
        self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio, "rng": rng}
        self.bn_params = ([{"mode": "train"} for _ in range(self.num_layers - 1)]
                          if normalization else [])


class FCNoDropoutInTrain(FCRight):
    """Never applies dropout (keeps dropout_param for show)."""

    def __init__(self, hidden_dims, input_dim=784, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float64,
                 rng=None):
        self.normalization = normalization
        self.use_dropout = False
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        rng = np.random.default_rng() if rng is None else rng
        dims = [input_dim, *hidden_dims, num_classes]
        for l in range(1, self.num_layers + 1):
            if weight_scale == "xavier":
                W = xavier_init(dims[l - 1], dims[l], rng)
            elif weight_scale == "he":
                W = he_init(dims[l - 1], dims[l], rng)
            else:
                W = weight_scale * rng.standard_normal((dims[l - 1], dims[l]))
            self.params[f"W{l}"] = W
            self.params[f"b{l}"] = np.zeros(dims[l])
            if normalization and l < self.num_layers:
                self.params[f"gamma{l}"] = np.ones(dims[l])
                self.params[f"beta{l}"] = np.zeros(dims[l])
        self._cast(dtype)
        self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio, "rng": rng}
        self.bn_params = ([{"mode": "train"} for _ in range(self.num_layers - 1)]
                          if normalization else [])


CORRECT = {
    "xavier_init": [xavier_standard_normal, xavier_normal, xavier_transposed],
    "he_init": [he_standard_normal, he_normal],
    "fc_net": [FCRight, FCListsOfCaches, FCDropoutBeforeRelu],
}

WRONG = {
    "xavier_init": [xavier_fan_out, xavier_with_he_factor, xavier_glorot_average,
                    xavier_no_sqrt, xavier_np_random, xavier_uniform, xavier_float32,
                    xavier_transposed_shape],
    "he_init": [he_without_factor, he_fan_out, he_own_generator],
    "fc_net": [FCLastRegTwice, FCLastNotReg, FCBiasesReg, FCGammaBetaReg, FCNormAfterRelu,
               FCBackwardNormBeforeRelu, FCBackwardCachesForwardOrder, FCDropoutOnScores,
               FCBatchnormTrainAtTest, FCModeStuckAtTest, FCDtypeIgnored, FCGammaOnOutput,
               FCRegWithoutHalf, FCXavierForHe, FCNoDropoutInTrain],
}

BASE = {"xavier_init": [xavier_standard_normal], "he_init": [he_standard_normal],
        "FullyConnectedNet": [FCRight]}

DIFFERENT = {"xavier_init": [xavier_transposed], "he_init": [he_normal],
             "FullyConnectedNet": [FCListsOfCaches]}

SAMPLES = [
    Sample(
        "bug-deep-net-biases-regularised",
        fills={"FullyConnectedNet": [FCRight, FCBiasesReg]},
        lose={"test_fully_connected_net"},
        in_tests=False,
        note="FullyConnectedNet regularises the biases with the weights: the loss is wrong "
             "on every case with reg > 0, so its test cell loses; the init helpers keep "
             "their points."),
    Sample(
        "bug-deep-net-last-layer-reg-twice",
        fills={"FullyConnectedNet": [FCRight, FCLastRegTwice]},
        lose={"test_fully_connected_net"},
        in_tests=False,
        note="FullyConnectedNet adds the last layer's regularisation twice (a loop over "
             "the hidden layers plus the output layer, which the loop already had): only "
             "its test cell loses."),
    Sample(
        "bug-deep-net-norm-after-relu",
        fills={"FullyConnectedNet": [FCRight, FCNormAfterRelu]},
        lose={"test_fully_connected_net"},
        in_tests=False,
        note="FullyConnectedNet normalises after the ReLU (affine - relu - norm): its "
             "batch and layer norm cases are wrong, so its test cell loses; the plain "
             "network's cases pass."),
]
