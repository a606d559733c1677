"""Bad input raises ValueError naming the offending shapes or values, never an
IndexError, a broadcast error or a silently wrong answer; and no public function
mutates its arguments."""
import re

import numpy as np
import pytest

import cnnlib as cl

ones = np.ones


def nan_at_start(shape):
    """Ones of `shape` with a NaN in the first entry."""
    array = np.ones(shape)
    array.flat[0] = np.nan
    return array


def conv_cache(x_shape=(1, 1, 4, 4), w_shape=(1, 1, 3, 3), **options):
    return cl.conv2d_forward(ones(x_shape), ones(w_shape), ones(w_shape[0]), **options)[1]


def pool_cache(x_shape=(1, 1, 4, 4), forward=cl.maxpool2d_forward, **options):
    return forward(np.arange(float(np.prod(x_shape))).reshape(x_shape), **options)[1]


S = re.escape  # shapes in messages are literal text like "(1, 2, 5, 5)"

CONV_FORWARD_CASES = [
    # (x shape, w shape, b shape, options, what the message must contain)
    ((1, 3, 3), (1, 1, 2, 2), (1,), {}, S("x must be 4-D (N, C, H, W), got shape (1, 3, 3)")),
    ((1, 1, 3, 3), (1, 2, 2), (1,), {}, S("w must be 4-D (F, C, kH, kW), got shape (1, 2, 2)")),
    ((1, 1, 3, 3), (1, 1, 2, 2), (1, 1), {}, S("b must be 1-D (F,), got shape (1, 1)")),
    ((1, 2, 5, 5), (3, 3, 3, 3), (3,), {}, S("x (1, 2, 5, 5) has C=2 but w (3, 3, 3, 3) has C=3")),
    ((1, 1, 5, 5), (3, 1, 3, 3), (2,), {}, S("bias (2,)") + ".*" + S("w (3, 1, 3, 3) has F=3")),
    ((1, 1, 2, 2), (1, 1, 3, 3), (1,), {}, S("kernel (3, 3) is larger than the padded input (2, 2)")),
    ((1, 1, 1, 5), (1, 1, 3, 3), (1,), {"padding": (0, 1)},
     S("kernel (3, 3) is larger than the padded input (1, 7)")),
    ((1, 1, 3, 3), (1, 1, 0, 2), (1,), {}, S("at least 1x1, got w (1, 1, 0, 2)")),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"padding": -1}, "padding must be >= 0, got -1"),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"padding": (1, -2)}, S("padding must be >= 0, got (1, -2)")),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": 0}, "stride must be >= 1, got 0"),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": -2}, "stride must be >= 1, got -2"),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": (1, 0)}, S("stride must be >= 1, got (1, 0)")),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": 1.5}, "stride must be an int or an"),
    ((1, 1, 5, 5), (1, 1, 3, 3), (1,), {"stride": (1, 2, 3)}, "stride must be an int or an"),
]


@pytest.mark.parametrize("forward", [cl.conv2d_forward, cl.conv2d_forward_naive])
@pytest.mark.parametrize("x_shape, w_shape, b_shape, options, message", CONV_FORWARD_CASES)
def test_conv_forward_rejects(forward, x_shape, w_shape, b_shape, options, message):
    with pytest.raises(ValueError, match=message):
        forward(ones(x_shape), ones(w_shape), ones(b_shape), **options)


@pytest.mark.parametrize("forward", [cl.conv2d_forward, cl.conv2d_forward_naive])
@pytest.mark.parametrize("which", ["x", "w", "b"])
def test_conv_forward_rejects_nan(forward, which):
    arrays = {"x": ones((1, 1, 4, 4)), "w": ones((2, 1, 3, 3)), "b": ones(2)}
    arrays[which] = nan_at_start(arrays[which].shape)
    shape = S(str(arrays[which].shape))
    with pytest.raises(ValueError, match=f"{which} of shape {shape} contains NaN"):
        forward(**arrays)


@pytest.mark.parametrize("backward", [cl.conv2d_backward, cl.conv2d_backward_naive])
def test_conv_backward_rejects_bad_dout(backward):
    cache = conv_cache(stride=1, padding=0)  # forward output (1, 1, 2, 2)
    with pytest.raises(ValueError, match=S("dout must have shape (1, 1, 2, 2)") + ".*" + S("got (1, 1, 3, 3)")):
        backward(ones((1, 1, 3, 3)), cache)
    with pytest.raises(ValueError, match=S("got (1, 2, 2)")):
        backward(ones((1, 2, 2)), cache)
    with pytest.raises(ValueError, match=S("dout of shape (1, 1, 2, 2) contains NaN")):
        backward(nan_at_start((1, 1, 2, 2)), cache)


ALL_POOL_FORWARDS = [cl.maxpool2d_forward, cl.maxpool2d_forward_naive,
                     cl.avgpool2d_forward, cl.avgpool2d_forward_naive]


@pytest.mark.parametrize("forward", ALL_POOL_FORWARDS)
@pytest.mark.parametrize("x_shape, options, message", [
    ((1, 4, 4), {}, S("x must be 4-D (N, C, H, W), got shape (1, 4, 4)")),
    ((1, 1, 1, 3), {"size": 2}, S("pool window (2, 2) is larger than the padded input (1, 3)")),
    ((1, 1, 4, 4), {"size": (2, 5)}, S("pool window (2, 5) is larger than the padded input (4, 4)")),
    ((1, 1, 4, 4), {"size": 0}, "size must be >= 1, got 0"),
    ((1, 1, 4, 4), {"stride": 0}, "stride must be >= 1, got 0"),
    ((1, 1, 4, 4), {"stride": (2, -1)}, S("stride must be >= 1, got (2, -1)")),
    ((1, 1, 4, 4), {"size": 2.0}, "size must be an int or an"),
])
def test_pool_forward_rejects(forward, x_shape, options, message):
    with pytest.raises(ValueError, match=message):
        forward(ones(x_shape), **options)


@pytest.mark.parametrize("forward", ALL_POOL_FORWARDS)
def test_pool_forward_rejects_nan(forward):
    with pytest.raises(ValueError, match=S("x of shape (1, 1, 2, 2) contains NaN")):
        forward(nan_at_start((1, 1, 2, 2)))


@pytest.mark.parametrize("forward, backward", [
    (cl.maxpool2d_forward, cl.maxpool2d_backward), (cl.maxpool2d_forward, cl.maxpool2d_backward_naive),
    (cl.avgpool2d_forward, cl.avgpool2d_backward), (cl.avgpool2d_forward, cl.avgpool2d_backward_naive),
])
def test_pool_backward_rejects_bad_dout(forward, backward):
    cache = pool_cache(forward=forward)  # forward output (1, 1, 2, 2)
    with pytest.raises(ValueError, match=S("dout must have shape (1, 1, 2, 2)") + ".*" + S("got (1, 1, 4, 4)")):
        backward(ones((1, 1, 4, 4)), cache)
    with pytest.raises(ValueError, match=S("dout of shape (1, 1, 2, 2) must be finite")):
        backward(nan_at_start((1, 1, 2, 2)), cache)
    with pytest.raises(ValueError, match=S("dout of shape (1, 1, 2, 2) must be finite, got inf")):
        backward(np.full((1, 1, 2, 2), np.inf), cache)


@pytest.mark.parametrize("forward, backward, x_shape", [
    (cl.relu_forward, cl.relu_backward, (2, 3)),
    (cl.sigmoid_forward, cl.sigmoid_backward, (2, 3)),
    (cl.flatten_forward, cl.flatten_backward, (2, 3, 2)),
])
def test_elementwise_and_flatten_reject(forward, backward, x_shape):
    _, cache = forward(ones(x_shape))
    with pytest.raises(ValueError, match=r"dout must have shape .*got \(3, 2\)"):
        backward(ones((3, 2)), cache)
    if forward is not cl.flatten_forward:
        with pytest.raises(ValueError, match=S("x of shape (2, 3) contains NaN")):
            forward(nan_at_start((2, 3)))
        with pytest.raises(ValueError, match=S("dout of shape (2, 3) contains NaN")):
            backward(nan_at_start((2, 3)), cache)


def test_flatten_needs_a_batch_axis():
    with pytest.raises(ValueError, match=S("batch axis, got shape ()")):
        cl.flatten_forward(np.float64(3.0))


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((3,), (3, 2), (2,), S("x must be 2-D (N, D), got shape (3,)")),
    ((1, 3), (3,), (2,), S("w must be 2-D (D, M), got shape (3,)")),
    ((1, 3), (3, 2), (1, 2), S("b must be 1-D (M,), got shape (1, 2)")),
    ((1, 4), (3, 2), (2,), S("x (1, 4) has D=4 features but w (3, 2) expects D=3")),
    ((1, 3), (3, 2), (5,), S("bias (5,)") + ".*" + S("w (3, 2) has M=2")),
])
def test_dense_forward_rejects(x_shape, w_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        cl.dense_forward(ones(x_shape), ones(w_shape), ones(b_shape))


def test_dense_rejects_nan_and_bad_dout():
    with pytest.raises(ValueError, match=S("w of shape (3, 2) contains NaN")):
        cl.dense_forward(ones((1, 3)), nan_at_start((3, 2)), ones(2))
    _, cache = cl.dense_forward(ones((4, 3)), ones((3, 2)), ones(2))
    with pytest.raises(ValueError, match=S("dout must have shape (4, 2)") + ".*" + S("got (2, 4)")):
        cl.dense_backward(ones((2, 4)), cache)


ALL_LOSSES = [cl.binary_cross_entropy, cl.binary_cross_entropy_with_logits, cl.mean_squared_error, cl.squared_error]


@pytest.mark.parametrize("loss", ALL_LOSSES)
def test_losses_reject_mismatched_shapes_empty_and_nan(loss):
    with pytest.raises(ValueError, match=S("(2, 3)") + ".*" + S("y (3, 2)")):
        loss(np.full((2, 3), 0.5), np.ones((3, 2)))
    with pytest.raises(ValueError, match=S("(3,)") + ".*" + S("y (3, 1)")):  # would broadcast to (3, 3)
        loss(np.full(3, 0.5), np.ones((3, 1)))
    with pytest.raises(ValueError, match=S("is empty (shape (0,))")):
        loss(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match=S("of shape (2,) contains NaN")):
        loss(np.array([np.nan, 0.5]), np.ones(2))
    with pytest.raises(ValueError, match=S("y of shape (2,) contains NaN")):
        loss(np.full(2, 0.5), np.array([1.0, np.nan]))


@pytest.mark.parametrize("a", [0.0, 1.0, 1.5, -0.1])
def test_binary_cross_entropy_needs_probabilities_strictly_inside_0_1(a):
    with pytest.raises(ValueError, match=f"a must lie strictly between 0 and 1, got values from .*{a}"):
        cl.binary_cross_entropy(np.array([0.5, a]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("loss", [cl.binary_cross_entropy, cl.binary_cross_entropy_with_logits])
def test_cross_entropies_need_labels_in_0_1(loss):
    with pytest.raises(ValueError, match="y must lie in \\[0, 1\\], got values from 0.0 to 2.0"):
        loss(np.array([0.5, 0.5]), np.array([0.0, 2.0]))


@pytest.mark.parametrize("helper", [cl.correlate2d, cl.convolve2d])
def test_correlate_and_convolve_reject(helper):
    with pytest.raises(ValueError, match=S("x must be 2-D (H, W), got shape (3,)")):
        helper(ones(3), ones((2, 2)))
    with pytest.raises(ValueError, match=S("k must be 2-D (kH, kW), got shape (1, 2, 2)")):
        helper(ones((3, 3)), ones((1, 2, 2)))
    with pytest.raises(ValueError, match=S("the kernel (4, 2) must fit inside x (3, 3)")):
        helper(ones((3, 3)), ones((4, 2)))
    with pytest.raises(ValueError, match="mode must be one of .*got 'same'"):
        helper(ones((3, 3)), ones((2, 2)), mode="same")
    with pytest.raises(ValueError, match=S("x (3, 0) and k (2, 2) must not be empty")):
        helper(ones((3, 0)), ones((2, 2)), mode="full")
    with pytest.raises(ValueError, match=S("k of shape (2, 2) contains NaN")):
        helper(ones((3, 3)), nan_at_start((2, 2)))
    with pytest.raises(ValueError, match="x must be numeric, got dtype"):
        helper(np.array([["a", "b"], ["c", "d"]]), ones((1, 1)))


def test_2d_helpers_reject():
    with pytest.raises(ValueError, match=S("rot180 needs at least 2 axes, got shape (3,)")):
        cl.rot180(ones(3))
    with pytest.raises(ValueError, match=S("pad2d needs at least 2 axes, got shape (3,)")):
        cl.pad2d(ones(3), 1)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        cl.pad2d(ones((2, 2)), -1)
    with pytest.raises(ValueError, match=S("dilate needs at least 2 axes, got shape (3,)")):
        cl.dilate(ones(3), 2)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        cl.dilate(ones((2, 2)), 0)


# --- no function mutates its arguments ----------------------------------------------

def _arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays_in(item)


def _make_calls():
    """(name, function, arguments) for every public function, with realistic arguments."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    conv_options = {"stride": (2, 1), "padding": 1}
    conv_out, conv_cache_ = cl.conv2d_forward(x, w, b, **conv_options)
    pool_x = rng.standard_normal((2, 2, 5, 5))
    pool_out, pool_cache_ = cl.maxpool2d_forward(pool_x, 2, 1)
    avg_out, avg_cache = cl.avgpool2d_forward(pool_x, 2, 1)
    dense_x, dense_w, dense_b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dense_out, dense_cache = cl.dense_forward(dense_x, dense_w, dense_b)
    a = rng.uniform(0.1, 0.9, (3, 2))
    y = rng.integers(0, 2, (3, 2)).astype(float)
    z = rng.standard_normal((3, 4))
    relu_out, relu_cache = cl.relu_forward(z)
    sig_out, sig_cache = cl.sigmoid_forward(z)
    flat_out, flat_cache = cl.flatten_forward(x)
    m, k = rng.standard_normal((5, 4)), rng.standard_normal((2, 3))
    calls = [
        ("conv2d_forward", cl.conv2d_forward, (x, w, b), conv_options),
        ("conv2d_forward_naive", cl.conv2d_forward_naive, (x, w, b), conv_options),
        ("conv2d_backward", cl.conv2d_backward, (rng.standard_normal(conv_out.shape), conv_cache_), {}),
        ("conv2d_backward_naive", cl.conv2d_backward_naive, (rng.standard_normal(conv_out.shape), conv_cache_), {}),
        ("maxpool2d_forward", cl.maxpool2d_forward, (pool_x, 2, 1), {}),
        ("maxpool2d_forward_naive", cl.maxpool2d_forward_naive, (pool_x, 2, 1), {}),
        ("maxpool2d_backward", cl.maxpool2d_backward, (rng.standard_normal(pool_out.shape), pool_cache_), {}),
        ("maxpool2d_backward_naive", cl.maxpool2d_backward_naive,
         (rng.standard_normal(pool_out.shape), pool_cache_), {}),
        ("avgpool2d_forward", cl.avgpool2d_forward, (pool_x, 2, 1), {}),
        ("avgpool2d_forward_naive", cl.avgpool2d_forward_naive, (pool_x, 2, 1), {}),
        ("avgpool2d_backward", cl.avgpool2d_backward, (rng.standard_normal(avg_out.shape), avg_cache), {}),
        ("avgpool2d_backward_naive", cl.avgpool2d_backward_naive,
         (rng.standard_normal(avg_out.shape), avg_cache), {}),
        ("relu_forward", cl.relu_forward, (z,), {}),
        ("relu_backward", cl.relu_backward, (rng.standard_normal(relu_out.shape), relu_cache), {}),
        ("sigmoid_forward", cl.sigmoid_forward, (z,), {}),
        ("sigmoid_backward", cl.sigmoid_backward, (rng.standard_normal(sig_out.shape), sig_cache), {}),
        ("flatten_forward", cl.flatten_forward, (x,), {}),
        ("flatten_backward", cl.flatten_backward, (rng.standard_normal(flat_out.shape), flat_cache), {}),
        ("dense_forward", cl.dense_forward, (dense_x, dense_w, dense_b), {}),
        ("dense_backward", cl.dense_backward, (rng.standard_normal(dense_out.shape), dense_cache), {}),
        ("binary_cross_entropy", cl.binary_cross_entropy, (a, y), {}),
        ("binary_cross_entropy_with_logits", cl.binary_cross_entropy_with_logits, (z[:3, :2].copy(), y), {}),
        ("mean_squared_error", cl.mean_squared_error, (a, y), {}),
        ("squared_error", cl.squared_error, (a, y), {}),
        ("correlate2d", cl.correlate2d, (m, k), {"mode": "full"}),
        ("convolve2d", cl.convolve2d, (m, k), {"mode": "valid"}),
        ("rot180", cl.rot180, (k,), {}),
        ("pad2d", cl.pad2d, (m, (1, 2)), {}),
        ("dilate", cl.dilate, (m, 2), {}),
        ("numerical_gradient", cl.numerical_gradient, (lambda v: float(np.sum(v ** 2)), m.copy()), {}),
        ("rel_error", cl.rel_error, (m, k[:1, :1] + m), {}),
        ("check_layer_gradients", cl.check_layer_gradients,
         (cl.conv2d_forward, cl.conv2d_backward, {"x": x[:1], "w": w[:1], "b": b[:1]}), {"padding": 1}),
        ("check_loss_gradient", cl.check_loss_gradient, (cl.mean_squared_error, a, y), {}),
    ]
    return calls


CALLS = _make_calls()


def test_every_public_function_is_covered():
    assert {name for name, *_ in CALLS} == set(cl.__all__)


@pytest.mark.parametrize("name, function, args, kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_does_not_mutate_its_arguments(name, function, args, kwargs):
    before = [array.copy() for array in _arrays_in((args, kwargs))]
    assert before, "nothing to watch"
    function(*args, **kwargs)
    after = list(_arrays_in((args, kwargs)))
    for original, now in zip(before, after):
        np.testing.assert_array_equal(now, original, err_msg=f"{name} changed one of its arguments")
    # Calling twice gives the same result: no hidden state left behind.
    first, second = function(*args, **kwargs), function(*args, **kwargs)
    for one, two in zip(_arrays_in(first), _arrays_in(second)):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("name, function, args, kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_writing_into_the_result_leaves_the_arguments_alone(name, function, args, kwargs):
    before = [array.copy() for array in _arrays_in((args, kwargs))]
    result = function(*args, **kwargs)
    outputs = [array for array in _arrays_in(result)
               if not any(array is argument for argument in _arrays_in((args, kwargs)))]
    for output in outputs:
        if output.flags.writeable and output.size:
            output[...] = 12345.0
    for original, now in zip(before, _arrays_in((args, kwargs))):
        np.testing.assert_array_equal(now, original, err_msg=f"{name}'s result shares memory with an argument")
