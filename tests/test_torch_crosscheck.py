"""Every backward pass against PyTorch autograd, in float64, to 1e-10: an independent
implementation written by other people.

PyTorch is optional for users (these tests skip without it), but CI sets
CNNLIB_REQUIRE_TORCH=1, and then a missing torch is an error, not a skip.
"""
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlib as cl
from strategies import as_pair, conv_arrays, conv_configs, pool_configs, pool_output_shape, seeds

if os.environ.get("CNNLIB_REQUIRE_TORCH") == "1":
    import torch  # noqa: F401  (required: an ImportError here fails the run)
else:
    torch = pytest.importorskip("torch")

F = torch.nn.functional
torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
TOLERANCE = dict(rtol=1e-10, atol=1e-10)


def tensor(array):
    """A float64 leaf tensor that collects its gradient."""
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), **TOLERANCE, err_msg=what)


@given(conv_configs(max_kernel=5, max_extra=6))
def test_conv2d_matches_autograd(config):
    x, w, b, dout = conv_arrays(config)
    options = dict(stride=as_pair(config["stride"]), padding=as_pair(config["padding"]))
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    t_out = F.conv2d(tx, tw, tb, **options)
    t_out.backward(torch.from_numpy(dout))
    for forward, backward in ((cl.conv2d_forward, cl.conv2d_backward),
                              (cl.conv2d_forward_naive, cl.conv2d_backward_naive)):
        out, cache = forward(x, w, b, stride=config["stride"], padding=config["padding"])
        assert_close(out, t_out, "out")
        dx, dw, db = backward(dout, cache)
        assert_close(dx, tx.grad, "dx")
        assert_close(dw, tw.grad, "dw")
        assert_close(db, tb.grad, "db")


@pytest.mark.parametrize("values", ["distinct", "ties"])
@given(config=pool_configs(max_size=4, max_extra=6))
def test_maxpool2d_matches_autograd(values, config):
    rng = np.random.default_rng(config["seed"])
    if values == "ties":
        # Small integers tie often: PyTorch's rule (first max in row-major order)
        # must be ours, or the gradients land on different inputs.
        x = rng.integers(0, 3, config["x_shape"]).astype(np.float64)
    else:
        x = rng.standard_normal(config["x_shape"])
    dout = rng.standard_normal(pool_output_shape(config))
    kernel = as_pair(config["size"])
    stride = as_pair(config["stride"]) if config["stride"] is not None else kernel
    tx = tensor(x)
    t_out = F.max_pool2d(tx, kernel, stride)
    t_out.backward(torch.from_numpy(dout))
    for forward, backward in ((cl.maxpool2d_forward, cl.maxpool2d_backward),
                              (cl.maxpool2d_forward_naive, cl.maxpool2d_backward_naive)):
        out, cache = forward(x, config["size"], config["stride"])
        assert_close(out, t_out, "out")
        assert_close(backward(dout, cache), tx.grad, "dx")


@given(config=pool_configs(max_size=4, max_extra=6))
def test_avgpool2d_matches_autograd(config):
    rng = np.random.default_rng(config["seed"])
    x = rng.standard_normal(config["x_shape"])
    dout = rng.standard_normal(pool_output_shape(config))
    kernel = as_pair(config["size"])
    stride = as_pair(config["stride"]) if config["stride"] is not None else kernel
    tx = tensor(x)
    t_out = F.avg_pool2d(tx, kernel, stride)  # padding 0, floor rule: ours
    t_out.backward(torch.from_numpy(dout))
    for forward, backward in ((cl.avgpool2d_forward, cl.avgpool2d_backward),
                              (cl.avgpool2d_forward_naive, cl.avgpool2d_backward_naive)):
        out, cache = forward(x, config["size"], config["stride"])
        assert_close(out, t_out, "out")
        assert_close(backward(dout, cache), tx.grad, "dx")


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


@given(shapes, seeds)
def test_relu_and_sigmoid_match_autograd(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    x[..., 0] = 0.0  # both give 0 gradient at exactly 0
    for ours_forward, ours_backward, theirs in ((cl.relu_forward, cl.relu_backward, F.relu),
                                                (cl.sigmoid_forward, cl.sigmoid_backward, torch.sigmoid)):
        tx = tensor(x)
        t_out = theirs(tx)
        t_out.backward(torch.from_numpy(dout))
        out, cache = ours_forward(x)
        assert_close(out, t_out, "out")
        assert_close(ours_backward(dout, cache), tx.grad, "dx")


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4), seeds)
def test_dense_matches_autograd(N, D, M, seed):
    rng = np.random.default_rng(seed)
    x, w, b, dout = (rng.standard_normal(s) for s in ((N, D), (D, M), (M,), (N, M)))
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    t_out = F.linear(tx, tw.T, tb)  # torch stores (M, D); ours is (D, M)
    t_out.backward(torch.from_numpy(dout))
    out, cache = cl.dense_forward(x, w, b)
    assert_close(out, t_out, "out")
    for ours, theirs, name in zip(cl.dense_backward(dout, cache), (tx, tw, tb), ("dx", "dw", "db")):
        assert_close(ours, theirs.grad, name)


@given(shapes, seeds)
def test_losses_match_autograd(shape, seed):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-30, 30, shape)
    a = rng.uniform(0.01, 0.99, shape)
    y = rng.uniform(0, 1, shape)
    o = rng.standard_normal(shape)
    cases = [
        (cl.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z),
        (cl.binary_cross_entropy, F.binary_cross_entropy, a),
        (cl.mean_squared_error, F.mse_loss, o),
        (cl.squared_error, lambda p, t: F.mse_loss(p, t, reduction="sum"), o),
    ]
    for ours, theirs, prediction in cases:
        tp = tensor(prediction)
        t_loss = theirs(tp, torch.from_numpy(y))
        t_loss.backward()
        loss, gradient = ours(prediction, y)
        np.testing.assert_allclose(loss, t_loss.item(), **TOLERANCE, err_msg=ours.__name__)
        assert_close(gradient, tp.grad, ours.__name__)


def test_binary_cross_entropy_with_logits_at_1000_matches_autograd():
    z, y = np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([0.0, 1.0, 1.0, 0.0])
    tz = tensor(z)
    t_loss = F.binary_cross_entropy_with_logits(tz, torch.from_numpy(y))
    t_loss.backward()
    loss, dz = cl.binary_cross_entropy_with_logits(z, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    np.testing.assert_allclose(loss, t_loss.item(), **TOLERANCE)
    assert_close(dz, tz.grad, "dz")
