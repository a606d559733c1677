"""cnnlib: backpropagation through convolutional networks, small enough to read.

Every layer is a pair: `*_forward(...) -> (out, cache)` and `*_backward(dout, cache)`.
Layout NCHW: x (N, C, H, W), conv weights (F, C, kH, kW), bias (F,).
Each cache is a small NamedTuple of its own layer (Conv2dCache, MaxPool2dCache, ...);
a backward given another layer's cache says so. The rules for bad input (NaN and inf,
empty axes, caches) are stated once, in cnnlib/checks.py.
"""
from .activations import ReluCache, SigmoidCache, relu_backward, relu_forward, sigmoid_backward, sigmoid_forward
from .conv import Conv2dCache, conv2d_backward, conv2d_backward_naive, conv2d_forward, conv2d_forward_naive
from .gradcheck import check_layer_gradients, check_loss_gradient, numerical_gradient, rel_error
from .linear import DenseCache, FlattenCache, dense_backward, dense_forward, flatten_backward, flatten_forward
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, mean_squared_error, squared_error
from .pool import (
    AvgPool2dCache,
    MaxPool2dCache,
    avgpool2d_backward,
    avgpool2d_backward_naive,
    avgpool2d_forward,
    avgpool2d_forward_naive,
    maxpool2d_backward,
    maxpool2d_backward_naive,
    maxpool2d_forward,
    maxpool2d_forward_naive,
)
from .signal import convolve2d, correlate2d, dilate, pad2d, rot180

__version__ = "0.1.0"

__all__ = [
    "conv2d_forward", "conv2d_backward", "conv2d_forward_naive", "conv2d_backward_naive",
    "maxpool2d_forward", "maxpool2d_backward", "maxpool2d_forward_naive", "maxpool2d_backward_naive",
    "avgpool2d_forward", "avgpool2d_backward", "avgpool2d_forward_naive", "avgpool2d_backward_naive",
    "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
    "flatten_forward", "flatten_backward", "dense_forward", "dense_backward",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "mean_squared_error", "squared_error",
    "correlate2d", "convolve2d", "rot180", "pad2d", "dilate",
    "numerical_gradient", "rel_error", "check_layer_gradients", "check_loss_gradient",
    # each layer's cache type (what its forward returns and only its backward accepts)
    "Conv2dCache", "MaxPool2dCache", "AvgPool2dCache", "ReluCache", "SigmoidCache", "FlattenCache", "DenseCache",
]
