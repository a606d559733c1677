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
    with pytest.raises(ValueError, match=S("dout of shape (1, 1, 2, 2) contains NaN (first at index (0, 0, 0, 0))")):
        backward(nan_at_start((1, 1, 2, 2)), cache)
    with pytest.raises(ValueError, match=S("dout of shape (1, 1, 2, 2) contains inf (first at index (0, 0, 0, 0))")):
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
    with pytest.raises(ValueError, match=S("x of shape (3, 3) contains -inf (first at index (2, 1))")):
        helper(with_value_at((3, 3), -np.inf, (2, 1)), ones((2, 2)))
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


# --- one non-finite rule: NaN, inf and -inf are rejected, naming the array and index --

def with_value_at(shape, value, index):
    array = np.ones(shape)
    array[index] = value
    return array


NON_FINITE = [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")]


def _layer_inputs():
    """(layer, forward, {input name: array}, backward) for every layer with a backward."""
    x4 = np.arange(1.0, 33.0).reshape(1, 2, 4, 4) / 10
    return [
        ("conv2d", cl.conv2d_forward, {"x": x4, "w": ones((3, 2, 3, 3)), "b": ones(3)}, cl.conv2d_backward),
        ("conv2d_naive", cl.conv2d_forward_naive, {"x": x4, "w": ones((3, 2, 3, 3)), "b": ones(3)},
         cl.conv2d_backward_naive),
        ("maxpool2d", cl.maxpool2d_forward, {"x": x4}, cl.maxpool2d_backward),
        ("maxpool2d_naive", cl.maxpool2d_forward_naive, {"x": x4}, cl.maxpool2d_backward_naive),
        ("avgpool2d", cl.avgpool2d_forward, {"x": x4}, cl.avgpool2d_backward),
        ("avgpool2d_naive", cl.avgpool2d_forward_naive, {"x": x4}, cl.avgpool2d_backward_naive),
        ("relu", cl.relu_forward, {"x": x4}, cl.relu_backward),
        ("sigmoid", cl.sigmoid_forward, {"x": x4}, cl.sigmoid_backward),
        ("flatten", cl.flatten_forward, {"x": x4}, cl.flatten_backward),
        ("dense", cl.dense_forward, {"x": ones((2, 3)), "w": ones((3, 4)), "b": ones(4)}, cl.dense_backward),
    ]


LAYERS = _layer_inputs()


@pytest.mark.parametrize("value, word", NON_FINITE, ids=[w for _, w in NON_FINITE])
@pytest.mark.parametrize("layer, forward, inputs, backward", LAYERS, ids=[c[0] for c in LAYERS])
def test_every_layer_rejects_non_finite_inputs_and_dout(layer, forward, inputs, backward, value, word):
    for name, array in inputs.items():
        if layer.startswith("maxpool2d") and word == "-inf":
            continue  # the one exception, tested in test_pool.py
        if layer == "flatten":
            continue  # a reshape: no arithmetic on x, so no rule needed on its input
        index = tuple(min(1, n - 1) for n in array.shape)
        bad = dict(inputs, **{name: with_value_at(array.shape, value, index)})
        with pytest.raises(ValueError, match=S(f"{name} of shape {array.shape} contains {word} (first at index {index})")):
            forward(*bad.values())
    out, cache = forward(*inputs.values())
    index = tuple(min(1, n - 1) for n in out.shape)
    with pytest.raises(ValueError, match=S(f"dout of shape {out.shape} contains {word} (first at index {index})")):
        backward(with_value_at(out.shape, value, index), cache)


def test_losses_and_model_reject_infinity():
    with pytest.raises(ValueError, match=S("z of shape (2,) contains inf (first at index (1,))")):
        cl.binary_cross_entropy_with_logits(np.array([0.0, np.inf]), np.ones(2))
    with pytest.raises(ValueError, match=S("y of shape (2,) contains -inf (first at index (0,))")):
        cl.mean_squared_error(np.zeros(2), np.array([-np.inf, 0.0]))
    from cnnlib.model import question1_model
    with pytest.raises(ValueError, match=S("x of shape (1, 1, 8, 8) contains inf (first at index (0, 0, 2, 3))")):
        question1_model().forward(with_value_at((1, 1, 8, 8), np.inf, (0, 0, 2, 3)))


# --- caches know their layer ---------------------------------------------------------

@pytest.mark.parametrize("layer, forward, inputs, backward", LAYERS, ids=[c[0] for c in LAYERS])
def test_a_cache_from_another_layer_or_none_is_a_clear_type_error(layer, forward, inputs, backward):
    out, own = forward(*inputs.values())
    expected = layer.replace("_naive", "")
    for other, other_forward, other_inputs, _ in LAYERS:
        other_cache = other_forward(*other_inputs.values())[1]
        if type(other_cache) is type(own):
            continue
        with pytest.raises(TypeError, match=f"{expected}_backward needs the {type(own).__name__} that "
                                            f"{expected}_forward returns, got a {type(other_cache).__name__} "
                                            f"made by {type(other_cache).made_by}"):
            backward(np.ones(out.shape), other_cache)
    with pytest.raises(TypeError, match=f"{expected}_backward needs the {type(own).__name__}.*got None "
                                        r"\(did you run the forward pass"):
        backward(np.ones(out.shape), None)
    with pytest.raises(TypeError, match=r"got tuple .*\(the whole \(out, cache\) pair\?"):
        backward(np.ones(out.shape), (out, own))
    with pytest.raises(TypeError, match=f"needs the {type(own).__name__}.*got tuple"):
        backward(np.ones(out.shape), tuple(own))  # the old plain tuple is not enough


def _tampered_caches():
    x = np.arange(1.0, 33.0).reshape(1, 2, 4, 4)
    conv = cl.conv2d_forward(x, ones((3, 2, 3, 3)), ones(3))[1]
    maxpool = cl.maxpool2d_forward(x)[1]
    avgpool = cl.avgpool2d_forward(x)[1]
    dense = cl.dense_forward(ones((2, 3)), ones((3, 4)), ones(4))[1]
    return [
        (cl.conv2d_backward, conv._replace(x=x[0]), (1, 3, 2, 2), "Conv2dCache.x must be a 4-D float array"),
        (cl.conv2d_backward_naive, conv._replace(w=[1, 2]), (1, 3, 2, 2), "Conv2dCache.w must be a 4-D float array"),
        (cl.conv2d_backward, conv._replace(stride=2), (1, 3, 2, 2), "Conv2dCache.stride must be a pair of ints >= 1"),
        (cl.conv2d_backward, conv._replace(padding=(0, -1)), (1, 3, 2, 2), "Conv2dCache.padding must be a pair of ints >= 0"),
        (cl.conv2d_backward, conv._replace(b=ones(2)), (1, 3, 2, 2), "fields of this Conv2dCache do not fit together"),
        (cl.conv2d_backward, conv._replace(w=conv.w.astype(np.float32)), (1, 3, 2, 2), "dtypes float64, float32"),
        (cl.maxpool2d_backward, maxpool._replace(winners=maxpool.winners.astype(float)), (1, 2, 2, 2),
         "MaxPool2dCache.winners must be a 4-D int array"),
        (cl.maxpool2d_backward, maxpool._replace(winners=maxpool.winners + 4), (1, 2, 2, 2),
         "winners must lie in 0 .. 3"),
        (cl.maxpool2d_backward_naive, maxpool._replace(winners=maxpool.winners[:, :1]), (1, 2, 2, 2),
         S("winners (1, 1, 2, 2) but the output shape is (1, 2, 2, 2)")),
        (cl.maxpool2d_backward, maxpool._replace(x_shape=(1, 2, 4)), (1, 2, 2, 2),
         "MaxPool2dCache.x_shape must be a shape"),
        (cl.avgpool2d_backward, avgpool._replace(size=(5, 2)), (1, 2, 2, 2), "window"),
        (cl.avgpool2d_backward, avgpool._replace(dtype="int64"), (1, 2, 2, 2), "AvgPool2dCache.dtype must be a float dtype"),
        (cl.relu_backward, cl.ReluCache([1.0, 2.0]), (2,), "ReluCache.x must be a 1-D float array"),
        (cl.sigmoid_backward, cl.SigmoidCache(np.arange(3)), (3,), "SigmoidCache.out must be a 1-D float array"),
        (cl.flatten_backward, cl.FlattenCache([2, 3]), (2, 3), "FlattenCache.x_shape must be a shape"),
        (cl.dense_backward, dense._replace(x=ones((2, 5))), (2, 4), "fields of this DenseCache do not fit"),
        (cl.dense_backward, dense._replace(b=None), (2, 4), "DenseCache.b must be a 1-D float array.*got None"),
    ]


@pytest.mark.parametrize("backward, cache, dout_shape, message", _tampered_caches())
def test_a_tampered_cache_is_a_value_error_naming_the_field(backward, cache, dout_shape, message):
    with pytest.raises(ValueError, match=message):
        backward(ones(dout_shape), cache)


def test_caches_still_unpack_like_the_plain_tuples_they_replace():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w, b = ones((1, 1, 3, 3)), ones(1)
    cx, cw, cb, stride, padding = cl.conv2d_forward(x, w, b, stride=2, padding=1)[1]
    assert cx is x and cw is w and cb is b and stride == (2, 2) and padding == (1, 1)
    x_shape, dtype, winners, size, pool_stride = cl.maxpool2d_forward(x)[1]
    assert (x_shape, dtype, size, pool_stride) == ((1, 1, 4, 4), np.float64, (2, 2), (2, 2))
    np.testing.assert_array_equal(winners[0, 0], [[3, 3], [3, 3]])
    assert cl.maxpool2d_forward(x)[1][2] is not None  # cache[2] is the winners, as before


# --- empty axes: N = 0 gives empty results, C = 0 / F = 0 a clear error -------------

@pytest.mark.parametrize("naive", [False, True])
def test_an_empty_batch_passes_through_both_versions_of_every_layer(naive):
    suffix = "_naive" if naive else ""
    x = np.zeros((0, 2, 5, 5))
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    conv_f, conv_b = getattr(cl, "conv2d_forward" + suffix), getattr(cl, "conv2d_backward" + suffix)
    out, cache = conv_f(x, w, b, stride=2, padding=1)
    assert out.shape == (0, 3, 3, 3)
    dx, dw, db = conv_b(np.zeros(out.shape), cache)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dw, np.zeros(w.shape))
    np.testing.assert_array_equal(db, np.zeros(3))
    for pool in ("maxpool2d", "avgpool2d"):
        out, cache = getattr(cl, f"{pool}_forward" + suffix)(x, 2, 1)
        assert out.shape == (0, 2, 4, 4)
        assert getattr(cl, f"{pool}_backward" + suffix)(np.zeros(out.shape), cache).shape == x.shape
    out, cache = cl.flatten_forward(x)
    assert out.shape == (0, 50) and cl.flatten_backward(out, cache).shape == x.shape
    out, cache = cl.dense_forward(np.zeros((0, 4)), ones((4, 2)), ones(2))
    dx, dw, db = cl.dense_backward(np.zeros((0, 2)), cache)
    assert out.shape == (0, 2) and dx.shape == (0, 4)
    np.testing.assert_array_equal(dw, np.zeros((4, 2)))
    np.testing.assert_array_equal(db, np.zeros(2))


@pytest.mark.parametrize("forward", [cl.conv2d_forward, cl.conv2d_forward_naive])
@pytest.mark.parametrize("x_shape, w_shape, letter", [
    ((1, 2, 4, 4), (0, 2, 3, 3), "F"),
    ((1, 0, 4, 4), (2, 0, 3, 3), "C"),
])
def test_conv_without_filters_or_channels_is_a_clear_error(forward, x_shape, w_shape, letter):
    with pytest.raises(ValueError, match=S(f"w (F, C, kH, kW) has {letter}=0 (shape {w_shape})")):
        forward(ones(x_shape), ones(w_shape), ones(w_shape[0]))


@pytest.mark.parametrize("forward", ALL_POOL_FORWARDS)
def test_pool_without_channels_is_a_clear_error(forward):
    with pytest.raises(ValueError, match=S("x (N, C, H, W) has C=0 (shape (1, 0, 4, 4))")):
        forward(ones((1, 0, 4, 4)))


@pytest.mark.parametrize("w_shape, letter", [((0, 2), "D"), ((3, 0), "M")])
def test_dense_without_inputs_or_outputs_is_a_clear_error(w_shape, letter):
    with pytest.raises(ValueError, match=S(f"w (D, M) has {letter}=0")):
        cl.dense_forward(ones((2, w_shape[0])), ones(w_shape), ones(w_shape[1]))


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
    assert {name for name, *_ in CALLS} == {name for name in cl.__all__ if not name.endswith("Cache")}


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


# --- no output shares memory with its cache; model, training and data --------------

@pytest.mark.parametrize("layer, forward, inputs, backward", LAYERS, ids=[c[0] for c in LAYERS])
def test_no_output_shares_memory_with_its_cache(layer, forward, inputs, backward):
    out, cache = forward(*inputs.values())
    cached = list(_arrays_in(tuple(cache)))
    for array in cached:
        assert not np.shares_memory(out, array), f"{layer}: the output shares memory with its cache"
    dout = np.random.default_rng(1).standard_normal(out.shape)
    before = [array.copy() for array in cached]
    out[...] = 12345.0  # editing the output in place must not change the backward pass
    grads = backward(dout, cache)
    for grad in _arrays_in(grads):
        assert not any(np.shares_memory(grad, array) for array in cached + [dout]), layer
    for original, now in zip(before, cached):
        np.testing.assert_array_equal(now, original, err_msg=f"{layer}_backward changed its cache")
    _, fresh = forward(*inputs.values())
    for one, two in zip(_arrays_in(grads), _arrays_in(backward(dout, fresh))):
        np.testing.assert_array_equal(one, two, err_msg=f"{layer}: editing the output changed the gradient")


def _model_calls():
    """(name, call(), arrays to watch) for the public functions of model, training, data."""
    from cnnlib import data, model as m, training as t

    images, labels = data.digit_pair(3, 8)
    x, y = images[:10], labels[:10]
    split = t.DataSplit(images[:24], labels[:24], images[24:32], labels[24:32], classes=(3, 8))
    split_arrays = [split.x_train, split.y_train, split.x_test, split.y_test]
    net = m.question1_model(num_kernels=2, seed=1)
    params = list(net.parameters().values())
    _, gradients = net.copy().loss_and_gradients(x, y)
    gradients = {name: g.copy() for name, g in gradients.items()}
    fresh = lambda: {name: p.copy() for name, p in net.parameters().items()}  # noqa: E731
    return [
        ("Sequential.forward", lambda: net.forward(x), [x] + params),
        ("Sequential.backward", lambda: (net.forward(x), net.backward(np.ones(10) / 10)), [x] + params),
        ("Sequential.trace", lambda: net.trace(x, y), [x, y] + params),
        ("Sequential.loss", lambda: net.loss(x, y), [x, y] + params),
        ("Sequential.loss_and_gradients", lambda: net.loss_and_gradients(x, y), [x, y] + params),
        ("Sequential.predict_proba", lambda: net.predict_proba(x), [x] + params),
        ("Sequential.predict", lambda: net.predict(x), [x] + params),
        ("Sequential.copy", lambda: net.copy(), params),
        ("check_labels", lambda: m.check_labels(y, 10), [y]),
        ("question1_model", lambda: m.question1_model(seed=3).parameters(), []),
        ("model_gradient_check", lambda: m.model_gradient_check(m.question1_model(seed=0), x[:2], y[:2]), [x, y]),
        # An optimiser's step updates `parameters` in place (that is its job); never the gradients.
        ("SGD.step", lambda: m.SGD(0.1).step(fresh(), gradients), list(gradients.values()) + params),
        ("Adam.step", lambda: m.Adam(0.1).step(fresh(), gradients), list(gradients.values()) + params),
        ("evaluate", lambda: t.evaluate(net, x, y), [x, y] + params),
        ("minibatches", lambda: t.minibatches(10, 3, np.random.default_rng(0)), []),
        ("train", lambda: t.train(net, split, epochs=1, batch_size=8), split_arrays + params),
        ("train_best_of", lambda: t.train_best_of(split, restarts=2, epochs=1), split_arrays),
        ("train_test_split_pair", lambda: t.train_test_split_pair(3, 8, seed=2), []),
        ("load_digits_nchw", data.load_digits_nchw, []),
        ("digit_pair", lambda: data.digit_pair(3, 8), []),
    ]


MODEL_CALLS = _model_calls()


@pytest.mark.parametrize("name, call, watched", MODEL_CALLS, ids=[c[0] for c in MODEL_CALLS])
def test_model_training_and_data_mutate_nothing_and_return_fresh_arrays(name, call, watched):
    before = [array.copy() for array in watched]
    result = call()
    for original, now in zip(before, watched):
        np.testing.assert_array_equal(now, original, err_msg=f"{name} changed one of its arguments")
    # Writing into what it returned changes neither the arguments nor the next call's result.
    first = [array.copy() for array in _arrays_in(_plain(result))]
    for array in _arrays_in(_plain(result)):
        if array.flags.writeable and array.size and not any(array is w for w in watched):
            array[...] = 12345.0
    for original, now in zip(before, watched):
        np.testing.assert_array_equal(now, original, err_msg=f"{name}'s result shares memory with an argument")
    if name not in ("Sequential.copy", "train", "train_best_of", "SGD.step", "Adam.step"):
        for one, two in zip(first, _arrays_in(_plain(call()))):
            np.testing.assert_array_equal(one, two, err_msg=f"{name} returned shared state")


def _plain(value):
    """Results as nested tuples/dicts of arrays (DataSplit and History fields included)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__ if name != "model"}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def covered_names():
    return [name for name, *_ in MODEL_CALLS]


def test_every_public_model_training_and_data_function_is_covered():
    import inspect

    from cnnlib import data, model, training
    public = set()
    for module in (model, training, data):
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value):
                public.add(name)
    covered = {name.split(".")[0] for name in covered_names()}
    assert public <= covered, public - covered
    # parameters() and gradients() hand out the live arrays on purpose: an optimiser updates them.
    methods = {name for name in vars(model.Sequential) if not name.startswith("_")}
    assert methods - {"parameters", "gradients"} <= {n.split(".")[1] for n in covered_names() if "." in n}
