"""A small model layer on top of the layer functions: layers as objects, a model as a
sequence of them, parameters with their gradients, SGD and Adam steps.

Nothing here computes a derivative of its own. Each layer object only *stores* what a
`*_forward` function returned (the cache) and hands it back to the matching `*_backward`
function; the model only calls the layers in order, then in reverse. So a bug in a
gradient can live in exactly one place: the layer function.

Shapes (NCHW): images x (N, C, H, W) -> logits (N,). The loss is
`binary_cross_entropy_with_logits(logits, y)`: sigmoid and binary cross-entropy fused.
"""
import copy

import numpy as np

from .activations import relu_backward, relu_forward
from .checks import as_float_array, require_finite, require_ndim
from .conv import conv2d_backward, conv2d_forward
from .gradcheck import numerical_gradient, rel_error
from .linear import dense_backward, dense_forward, flatten_backward, flatten_forward
from .losses import binary_cross_entropy_with_logits
from .pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward


class Layer:
    """Base class. `params` and `grads` are dicts name -> array with the same keys."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def _require_forward(self):
        if self._cache is None:
            raise ValueError(f"{type(self).__name__}.backward called before forward")
        return self._cache


class Conv2d(Layer):
    """Convolution (cross-correlation) layer: weights w (F, C, kH, kW), bias b (F,).

    Wraps `conv2d_forward` / `conv2d_backward`; x (N, C, H, W) -> (N, F, Ho, Wo).
    """

    def __init__(self, w, b, stride=1, padding=0):
        super().__init__()
        self.params = {"w": np.array(w, dtype=np.float64), "b": np.array(b, dtype=np.float64)}
        self.stride, self.padding = stride, padding

    def forward(self, x):
        out, self._cache = conv2d_forward(x, self.params["w"], self.params["b"], self.stride, self.padding)
        return out

    def backward(self, dout):
        dx, self.grads["w"], self.grads["b"] = conv2d_backward(dout, self._require_forward())
        return dx


class ReLU(Layer):
    """Elementwise max(x, 0); wraps `relu_forward` / `relu_backward`."""

    def forward(self, x):
        out, self._cache = relu_forward(x)
        return out

    def backward(self, dout):
        return relu_backward(dout, self._require_forward())


class MaxPool2d(Layer):
    """Max-pool with a (size x size) window, stride defaults to size; wraps `maxpool2d_*`."""

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size, self.stride = size, stride

    def forward(self, x):
        out, self._cache = maxpool2d_forward(x, self.size, self.stride)
        return out

    def backward(self, dout):
        return maxpool2d_backward(dout, self._require_forward())


class AvgPool2d(Layer):
    """Average pooling with a (size x size) window, stride defaults to size; wraps `avgpool2d_*`."""

    def __init__(self, size=2, stride=None):
        super().__init__()
        self.size, self.stride = size, stride

    def forward(self, x):
        out, self._cache = avgpool2d_forward(x, self.size, self.stride)
        return out

    def backward(self, dout):
        return avgpool2d_backward(dout, self._require_forward())


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) in row-major order; wraps `flatten_*`."""

    def forward(self, x):
        out, self._cache = flatten_forward(x)
        return out

    def backward(self, dout):
        return flatten_backward(dout, self._require_forward())


class Dense(Layer):
    """Fully connected layer out = x @ w + b: w (D, M), b (M,); wraps `dense_*`."""

    def __init__(self, w, b):
        super().__init__()
        self.params = {"w": np.array(w, dtype=np.float64), "b": np.array(b, dtype=np.float64)}

    def forward(self, x):
        out, self._cache = dense_forward(x, self.params["w"], self.params["b"])
        return out

    def backward(self, dout):
        dx, self.grads["w"], self.grads["b"] = dense_backward(dout, self._require_forward())
        return dx


class Sequential:
    """Layers applied in order. The last layer must output (N, 1): one logit per image.

    `layer_names` label the parameters, e.g. "conv.w", "dense.b".
    """

    def __init__(self, layers, layer_names=None, input_shape=None):
        self.layers = list(layers)
        if layer_names is None:
            layer_names = [f"layer{k}" for k in range(len(self.layers))]
        if len(layer_names) != len(self.layers):
            raise ValueError(f"{len(layer_names)} layer names for {len(self.layers)} layers")
        self.layer_names = list(layer_names)
        self.input_shape = None if input_shape is None else tuple(input_shape)  # (C, H, W)

    def _check_images(self, x):
        x = as_float_array(x, "x")
        require_ndim(x, 4, "x", "(N, C, H, W)")
        if self.input_shape is not None and x.shape[1:] != self.input_shape:
            raise ValueError(f"x {x.shape} must have per-image shape {self.input_shape} (C, H, W)")
        if x.shape[0] == 0:
            raise ValueError(f"x {x.shape} holds no images")
        require_finite(x, "x")
        return x

    def _forward_all(self, x):
        """[x, output of layer 1, ..., output of the last layer (N, 1)]."""
        values = [self._check_images(x)]
        for layer in self.layers:
            values.append(layer.forward(values[-1]))
        if values[-1].ndim != 2 or values[-1].shape[1] != 1:
            raise ValueError(f"the last layer must output (N, 1) logits, got {values[-1].shape}")
        return values

    def _backward_all(self, dlogits):
        """[dL/dx, dL/d(output of layer 1), ..., dL/d(logits) (N, 1)], filling `grads`."""
        gradients = [np.asarray(dlogits, dtype=np.float64)[:, None]]
        for layer in reversed(self.layers):
            gradients.append(layer.backward(gradients[-1]))
        return gradients[::-1]

    def forward(self, x):
        """x (N, C, H, W) -> logits (N,). Keeps every layer's cache for `backward`."""
        return self._forward_all(x)[-1][:, 0]

    def backward(self, dlogits):
        """dlogits (N,) -> dx (N, C, H, W); fills every layer's `grads` on the way back."""
        return self._backward_all(dlogits)[0]

    def trace(self, x, y):
        """One forward and backward pass that keeps every intermediate, for pictures.

        Returns a dict: "values" and "gradients" map "input" and each layer name to
        that layer's output (N, ...) and to dL/d(that output) (same shape); "loss".
        E.g. for question 1: values["relu"] is a1, values["pool"] is a2,
        gradients["pool"] is dL/da2 and gradients["relu"] is dL/da1.
        """
        values = self._forward_all(x)
        y = check_labels(y, values[-1].shape[0])
        loss, dlogits = binary_cross_entropy_with_logits(values[-1][:, 0], y)
        gradients = self._backward_all(dlogits)
        names = ["input"] + self.layer_names
        return {"values": dict(zip(names, values)), "gradients": dict(zip(names, gradients)), "loss": loss}

    def loss(self, x, y):
        """Forward + loss: (mean binary cross-entropy over the batch, dlogits (N,), logits (N,))."""
        logits = self.forward(x)
        y = check_labels(y, logits.shape[0])
        value, dlogits = binary_cross_entropy_with_logits(logits, y)
        return value, dlogits, logits

    def loss_and_gradients(self, x, y):
        """Loss and every parameter's gradient: (loss, {name: gradient})."""
        value, dlogits, _ = self.loss(x, y)
        self.backward(dlogits)
        return value, self.gradients()

    def parameters(self):
        """{"<layer name>.<param>": array} — the live arrays an optimiser updates."""
        return {f"{lname}.{pname}": value for lname, layer in zip(self.layer_names, self.layers)
                for pname, value in layer.params.items()}

    def gradients(self):
        """{"<layer name>.<param>": gradient} from the last `backward`."""
        return {f"{lname}.{pname}": layer.grads[pname] for lname, layer in zip(self.layer_names, self.layers)
                for pname in layer.params}

    def predict_proba(self, x):
        """Probability of label 1 for each image: sigmoid(logits), (N,)."""
        logits = self.forward(x)
        return np.exp(-np.logaddexp(0, -logits))

    def predict(self, x):
        """Labels 0/1, (N,): 1 where the logit is positive (probability > 1/2)."""
        return (self.forward(x) > 0).astype(np.float64)

    def copy(self):
        """An independent copy (parameters included)."""
        return copy.deepcopy(self)


def check_labels(y, count):
    """y as a float array of `count` labels, each 0 or 1; ValueError otherwise."""
    y = as_float_array(y, "y")
    if y.shape != (count,):
        raise ValueError(f"y must have shape ({count},), one label per image, got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:5]
        raise ValueError(f"labels y must be 0 or 1, got values such as {bad.tolist()}")
    return y


def question1_model(num_kernels=1, seed=0, image_size=8, kernel_size=3, pool_size=2):
    """The network of question 1, with `num_kernels` filters instead of one if asked:

    x (N, 1, 8, 8) -> conv 3x3 (F filters) -> (N, F, 6, 6) -> ReLU -> max-pool 2x2
    -> (N, F, 3, 3) -> flatten (N, 9F) -> dense -> logits (N,) -> [sigmoid + BCE in the loss].

    Initialisation, seeded by `seed`: He-normal conv weights (std sqrt(2 / 9)), conv bias
    0.1 (a small positive bias keeps a ReLU alive on the blank background pixels, so
    training starts with a gradient everywhere), dense weights normal with std
    sqrt(1 / 9F), dense bias 0. Even so a kernel can start dead (negative on every
    digit); `train_best_of` guards against that with restarts.
    """
    for value, name in ((num_kernels, "num_kernels"), (image_size, "image_size"),
                        (kernel_size, "kernel_size"), (pool_size, "pool_size")):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    conv_size = image_size - kernel_size + 1
    if conv_size < pool_size:
        raise ValueError(f"a {kernel_size}x{kernel_size} kernel on {image_size}x{image_size} images leaves "
                         f"{conv_size}x{conv_size}, smaller than the {pool_size}x{pool_size} pool window")
    pooled = conv_size // pool_size
    features = num_kernels * pooled * pooled
    rng = np.random.default_rng(seed)
    conv_w = rng.standard_normal((num_kernels, 1, kernel_size, kernel_size)) * np.sqrt(2.0 / kernel_size ** 2)
    conv_b = np.full(num_kernels, 0.1)
    dense_w = rng.standard_normal((features, 1)) * np.sqrt(1.0 / features)
    dense_b = np.zeros(1)
    return Sequential(
        [Conv2d(conv_w, conv_b), ReLU(), MaxPool2d(pool_size), Flatten(), Dense(dense_w, dense_b)],
        layer_names=["conv", "relu", "pool", "flatten", "dense"],
        input_shape=(1, image_size, image_size),
    )


class SGD:
    """Plain gradient descent: p <- p - learning_rate * g."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = _positive(learning_rate, "learning_rate")

    def step(self, parameters, gradients):
        for name, value in parameters.items():
            value -= self.learning_rate * gradients[name]  # in place: the layer holds this array


class Adam:
    """Adam (Kingma & Ba 2015): per-parameter steps scaled by running gradient moments.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr * m_hat / (sqrt(v_hat) + eps),
    with bias-corrected m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
    """

    def __init__(self, learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = _positive(learning_rate, "learning_rate")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, parameters, gradients):
        self.t += 1
        for name, value in parameters.items():
            g = gradients[name]
            m = self.m[name] = self.beta1 * self.m.get(name, 0.0) + (1 - self.beta1) * g
            v = self.v[name] = self.beta2 * self.v.get(name, 0.0) + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            value -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


def _positive(value, name):
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def model_gradient_check(model, x, y, h=1e-6):
    """Every parameter gradient of the whole model against central finite differences.

    x (N, C, H, W), y (N,) labels. The analytic gradients come from one backward pass;
    each numerical one nudges that parameter entry by +-h and re-evaluates the loss.
    The model is copied first, so the caller's model is untouched.
    Returns {parameter name: rel_error(analytic, numerical)}.
    """
    model = model.copy()
    _, analytic = model.loss_and_gradients(x, y)
    analytic = {name: grad.copy() for name, grad in analytic.items()}
    errors = {}
    for name, value in model.parameters().items():
        numeric = numerical_gradient(lambda _: model.loss(x, y)[0], value, h=h)
        errors[name] = rel_error(analytic[name], numeric)
    return errors
