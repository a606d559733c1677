"""The convolution as a matrix K and the im2col view, against the conv2d layer,
finite differences, the transposed-convolution pipeline and torch (when installed)."""
import numpy as np
import pytest

import cnnlib as cl
from cnnlib import conv as conv_module
from cnnlib.conv_matrix import conv_matrix, im2col_matrix, weight_index_matrix

# (input H, W), (kernel kH, kW), stride, padding: stride 1-3, padding 0-2, the floor rule
# ((8, 6) with k=3, s=2 leaves a row no window reads), non-square kernels and inputs.
CASES = [
    ((5, 5), (3, 3), 1, 0), ((4, 6), (2, 3), 1, 0), ((7, 7), (3, 3), 2, 0), ((8, 6), (3, 3), 2, 0),
    ((9, 10), (2, 3), 3, 0), ((5, 6), (3, 3), 1, 1), ((6, 6), (3, 3), 2, 1), ((5, 5), (3, 2), 1, 2),
    ((3, 3), (3, 3), 1, 0), ((4, 5), (1, 1), (2, 1), (0, 1)),
]


def _case(input_hw, kernel_hw, stride, padding, seed=0):
    rng = np.random.default_rng(seed + 31 * input_hw[0] + input_hw[1])
    x = rng.standard_normal(input_hw)
    w = rng.standard_normal(kernel_hw)
    out, cache = cl.conv2d_forward(x[None, None], w[None, None], np.zeros(1), stride=stride, padding=padding)
    delta = rng.standard_normal(out.shape[2:])
    return x, w, out[0, 0], cache, delta


@pytest.mark.parametrize("input_hw, kernel_hw, stride, padding", CASES)
def test_K_times_x_is_the_layer_forward(input_hw, kernel_hw, stride, padding):
    x, w, out, _, _ = _case(input_hw, kernel_hw, stride, padding)
    K = conv_matrix(w, input_hw, stride, padding)
    assert K.shape == (out.size, x.size)
    np.testing.assert_allclose((K @ x.ravel()).reshape(out.shape), out, atol=1e-12)


@pytest.mark.parametrize("input_hw, kernel_hw, stride, padding", CASES[:7])
def test_K_is_the_jacobian_by_finite_differences(input_hw, kernel_hw, stride, padding):
    x, w, out, _, _ = _case(input_hw, kernel_hw, stride, padding)
    K = conv_matrix(w, input_hw, stride, padding)
    jacobian = np.zeros_like(K)
    for row in range(out.size):
        dout = np.zeros((1, 1) + out.shape)
        dout.flat[row] = 1.0
        layer = lambda x_: cl.conv2d_forward(x_, w[None, None], np.zeros(1), stride=stride, padding=padding)[0]
        jacobian[row] = cl.numerical_gradient(layer, x[None, None].copy(), dout=dout).ravel()
    np.testing.assert_allclose(K, jacobian, atol=1e-7)


@pytest.mark.parametrize("input_hw, kernel_hw, stride, padding", CASES)
def test_K_transpose_is_the_layer_input_gradient_and_the_transposed_convolution(input_hw, kernel_hw, stride,
                                                                               padding):
    x, w, out, cache, delta = _case(input_hw, kernel_hw, stride, padding)
    K = conv_matrix(w, input_hw, stride, padding)
    dx = cl.conv2d_backward(delta[None, None], cache)[0][0, 0]
    by_matrix = (K.T @ delta.ravel()).reshape(input_hw)
    np.testing.assert_allclose(by_matrix, dx, atol=1e-12)
    # The pipeline: dilate, grow to the floor rule's size, full convolution with rot180(w), crop P.
    (sh, sw), (ph, pw), (kH, kW) = cl.checks.as_pair(stride, "s", 1), cl.checks.as_pair(padding, "p", 0), w.shape
    spread = cl.dilate(delta, (sh, sw))
    H, W = input_hw
    spread = np.pad(spread, ((0, H + 2 * ph - kH + 1 - spread.shape[0]), (0, W + 2 * pw - kW + 1 - spread.shape[1])))
    full = cl.correlate2d(cl.pad2d(spread, (kH - 1, kW - 1)), cl.rot180(w))
    np.testing.assert_allclose(by_matrix, full[ph:ph + H, pw:pw + W], atol=1e-12)


def test_K_has_shared_weights_and_zeros_in_the_literal_places():
    w = np.arange(1.0, 10.0).reshape(3, 3)
    K = conv_matrix(w, (4, 4))                       # 2x2 outputs, 16 inputs
    assert K.shape == (4, 16)
    # Output (0, 0) reads rows 0-2, columns 0-2 of the input: w in row-major order, row stride 4.
    np.testing.assert_array_equal(K[0], [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0])
    # Output (1, 1) is the same row shifted by one input row and one column (5 places).
    np.testing.assert_array_equal(K[3], [0] * 5 + [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9])
    index = weight_index_matrix((3, 3), (4, 4))
    assert all(np.count_nonzero(index == k) == 4 for k in range(9))      # each weight in every row once
    assert np.count_nonzero(index < 0) == 4 * 16 - 4 * 9


def test_padding_cells_get_no_column_and_stride_skips_rows():
    index = weight_index_matrix((3, 3), (3, 3), stride=1, padding=1)     # 3x3 outputs of a 3x3 input
    assert index.shape == (9, 9)
    # The corner output (0, 0) sees only the bottom-right 2x2 of the kernel inside the input.
    assert sorted(index[0][index[0] >= 0].tolist()) == [4, 5, 7, 8]
    strided = weight_index_matrix((2, 2), (4, 4), stride=2)
    # Stride 2, kernel 2: windows do not overlap, so every input column holds exactly one weight.
    assert np.all((strided >= 0).sum(axis=0) == 1)


@pytest.mark.parametrize("input_hw, kernel_hw, stride, padding", CASES)
def test_im2col_gives_the_forward_and_the_weight_gradient(input_hw, kernel_hw, stride, padding):
    x, w, out, cache, delta = _case(input_hw, kernel_hw, stride, padding)
    cols = im2col_matrix(x, kernel_hw, stride, padding)
    np.testing.assert_allclose((w.ravel() @ cols).reshape(out.shape), out, atol=1e-12)
    dw = cl.conv2d_backward_naive(delta[None, None], cache)[1][0, 0]
    np.testing.assert_allclose((cols @ delta.ravel()).reshape(kernel_hw), dw, atol=1e-12)
    # The same matrix as the layer's own im2col, for one sample and one channel.
    layer_cols = conv_module._im2col(cl.pad2d(x[None, None], cl.checks.as_pair(padding, "p", 0)), kernel_hw,
                                     cl.checks.as_pair(stride, "s", 1), out.shape)
    np.testing.assert_array_equal(cols, layer_cols)


def test_weight_gradient_by_finite_differences():
    x, w, out, cache, delta = _case((6, 7), (3, 2), 2, 1)
    cols = im2col_matrix(x, w.shape, 2, 1)
    numeric = cl.numerical_gradient(lambda w_: np.sum(delta * (w_.ravel() @ cols).reshape(out.shape)), w.copy())
    layer_numeric = cl.numerical_gradient(
        lambda w_: np.sum(delta * cl.conv2d_forward(x[None, None], w_[None, None], np.zeros(1), 2, 1)[0][0, 0]),
        w.copy())
    np.testing.assert_allclose(numeric, layer_numeric, atol=1e-7)
    np.testing.assert_allclose((cols @ delta.ravel()).reshape(w.shape), layer_numeric, atol=1e-7)


def test_against_torch_conv_transpose():
    torch = pytest.importorskip("torch")
    x, w, out, cache, delta = _case((7, 8), (3, 3), 2, 1)
    K = conv_matrix(w, (7, 8), 2, 1)
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(delta)[None, None], torch.tensor(w)[None, None], stride=2, padding=1, output_padding=(0, 1))
    np.testing.assert_allclose((K.T @ delta.ravel()).reshape(7, 8), expected.numpy()[0, 0], atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: conv_matrix(np.ones((1, 3, 3)), (5, 5)), r"w must be 2-D"),
    (lambda: conv_matrix(np.ones((3, 3)), (2, 5)), r"kernel \(3, 3\) is larger than the padded input \(2, 5\)"),
    (lambda: conv_matrix(np.ones((3, 3)), (5, 5), stride=0), r"stride must be >= 1"),
    (lambda: conv_matrix(np.ones((3, 3)), (5, 5), padding=-1), r"padding must be >= 0"),
    (lambda: conv_matrix(np.ones((3, 3)), (5, 0)), r"input_shape must be >= 1"),
    (lambda: conv_matrix(np.ones((3, 3)), "55"), r"input_shape must be an int or an \(h, w\) pair"),
    (lambda: conv_matrix(np.array([[1.0, np.nan]]), (3, 3)), r"w of shape \(1, 2\) contains NaN"),
    (lambda: conv_matrix(np.array([["a"]]), (3, 3)), r"w must be numeric"),
    (lambda: im2col_matrix(np.ones(5), (3, 3)), r"x must be 2-D"),
    (lambda: im2col_matrix(np.ones((5, 5)), (6, 1)), r"kernel \(6, 1\) is larger"),
    (lambda: weight_index_matrix((0, 3), (5, 5)), r"kernel_shape must be >= 1"),
])
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_no_mutation_and_fresh_results():
    x, w, *_ = _case((5, 6), (3, 3), 1, 1)
    x_before, w_before = x.copy(), w.copy()
    K = conv_matrix(w, x.shape, 1, 1)
    cols = im2col_matrix(x, w.shape, 1, 1)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(w, w_before)
    assert not np.shares_memory(K, w) and not np.shares_memory(cols, x)
    K[:] = 0
    cols[:] = 0
    np.testing.assert_allclose(conv_matrix(w, x.shape, 1, 1) @ x.ravel(),
                               cl.conv2d_forward(x[None, None], w[None, None], np.zeros(1), 1, 1)[0].ravel(), atol=1e-12)


def test_float32_stays_float32_and_integers_become_float64():
    assert conv_matrix(np.ones((2, 2), np.float32), (3, 3)).dtype == np.float32
    assert conv_matrix(np.ones((2, 2), int), (3, 3)).dtype == np.float64
    assert im2col_matrix(np.ones((3, 3), np.float32), (2, 2)).dtype == np.float32


def test_figure_draws_one_label_per_weight_entry_readable_and_slide_sized():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnnlib.figures.conv_matrix import MIN_FONT_PT, conv_matrix_figure
    for stride, padding in [(1, 0), (2, 0), (1, 1)]:
        fig = conv_matrix_figure((3, 3), (5, 5), stride=stride, padding=padding)
        index = weight_index_matrix((3, 3), (5, 5), stride, padding)
        texts = fig.axes[0].texts
        labels = [t.get_text() for t in texts]
        assert sum(label.startswith("w") for label in labels) == np.count_nonzero(index >= 0)
        assert labels.count("0") == np.count_nonzero(index < 0)
        # The label in row 0 at the first nonzero column is w11 (1-based, as the question writes it).
        first = next(t for t in texts if t.get_text().startswith("w"))
        assert first.get_text() == "w" + str(index[0][index[0] >= 0][0] // 3 + 1) + str(index[0][index[0] >= 0][0] % 3 + 1)
        width_px, height_px = fig.get_size_inches() * 90
        assert width_px <= 1200 and height_px <= 520
        assert min(t.get_fontsize() for t in texts) >= MIN_FONT_PT and MIN_FONT_PT * 90 / 72 >= 8
        plt.close(fig)
