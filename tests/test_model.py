"""The model layer (cnnlib.model) and the training loop (cnnlib.training)."""
import numpy as np
import pytest

from cnnlib.gradcheck import numerical_gradient, rel_error
from cnnlib.losses import binary_cross_entropy
from cnnlib.model import (SGD, Adam, AvgPool2d, Conv2d, Dense, Flatten, MaxPool2d, ReLU, Sequential,
                          model_gradient_check, question1_model)
from cnnlib.training import (DataSplit, minibatches, train, train_best_of, train_test_split_pair)


@pytest.fixture(scope="module")
def split01():
    return train_test_split_pair(0, 1, seed=0)


def question1_logits_by_hand(model, image):
    """Question 1's forward pass for one (8, 8) image and ONE kernel, written as explicit sums."""
    w1 = model.parameters()["conv.w"][0, 0]
    b1 = model.parameters()["conv.b"][0]
    w3 = model.parameters()["dense.w"][:, 0]
    b3 = model.parameters()["dense.b"][0]
    a1 = np.zeros((6, 6))
    for i in range(6):
        for j in range(6):
            a1[i, j] = max(sum(image[i + a, j + b] * w1[a, b] for a in range(3) for b in range(3)) + b1, 0.0)
    a2 = [max(a1[2 * p, 2 * r], a1[2 * p, 2 * r + 1], a1[2 * p + 1, 2 * r], a1[2 * p + 1, 2 * r + 1])
          for p in range(3) for r in range(3)]   # eq. (11), 0-based, row-major like eq. (9)
    return sum(a2[k] * w3[k] for k in range(9)) + b3


def test_question1_model_matches_explicit_sums(split01):
    model = question1_model(num_kernels=1, seed=4)
    logits = model.forward(split01.x_train[:5])
    expected = [question1_logits_by_hand(model, image[0]) for image in split01.x_train[:5]]
    np.testing.assert_allclose(logits, expected, rtol=1e-12, atol=1e-12)


def test_question1_model_has_the_questions_20_parameters():
    shapes = {name: value.shape for name, value in question1_model().parameters().items()}
    assert shapes == {"conv.w": (1, 1, 3, 3), "conv.b": (1,), "dense.w": (9, 1), "dense.b": (1,)}
    assert sum(int(np.prod(s)) for s in shapes.values()) == 20
    assert question1_model(num_kernels=4).parameters()["dense.w"].shape == (36, 1)


@pytest.mark.parametrize("num_kernels", [1, 3])
def test_whole_model_gradients_match_finite_differences(split01, num_kernels):
    model = question1_model(num_kernels=num_kernels, seed=7)
    x, y = split01.x_train[:6], split01.y_train[:6]
    errors = model_gradient_check(model, x, y)
    assert set(errors) == {"conv.w", "conv.b", "dense.w", "dense.b"}
    assert max(errors.values()) < 1e-7, errors


def test_gradient_check_would_catch_a_wrong_gradient(split01):
    """The check is not vacuous: halve one backward's weight gradient and it fails."""
    model = question1_model(seed=7)
    x, y = split01.x_train[:6], split01.y_train[:6]
    conv = model.layers[0]
    original_backward = conv.backward

    def wrong_backward(dout):
        dx = original_backward(dout)
        conv.grads["w"] = conv.grads["w"] * 0.5
        return dx

    conv.backward = wrong_backward
    _, analytic = model.loss_and_gradients(x, y)
    numeric = numerical_gradient(lambda _: model.loss(x, y)[0], model.parameters()["conv.w"])
    assert rel_error(analytic["conv.w"], numeric) > 0.1


def test_loss_is_sigmoid_then_question1_cross_entropy(split01):
    model = question1_model(seed=1)
    x, y = split01.x_train[:10], split01.y_train[:10]
    loss, dlogits, logits = model.loss(x, y)
    expected, _ = binary_cross_entropy(1 / (1 + np.exp(-logits)), y)
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(dlogits, (1 / (1 + np.exp(-logits)) - y) / len(y), rtol=1e-10)  # eq. (7) / N


def test_trace_keeps_every_intermediate(split01):
    model = question1_model(seed=2)
    trace = model.trace(split01.x_train[:3], split01.y_train[:3])
    assert trace["values"]["relu"].shape == (3, 1, 6, 6)
    assert trace["values"]["pool"].shape == (3, 1, 3, 3)
    assert trace["gradients"]["relu"].shape == (3, 1, 6, 6)
    # dL/da2 is dL/dz3 times w3, reshaped (eq. (8)), with dL/dz3 = (a3 - y) / N for the mean loss.
    a3 = 1 / (1 + np.exp(-trace["values"]["dense"][:, 0]))
    expected = ((a3 - split01.y_train[:3]) / 3)[:, None] * model.parameters()["dense.w"][:, 0]
    np.testing.assert_allclose(trace["gradients"]["pool"].reshape(3, 9), expected, rtol=1e-12)


def test_sgd_step_is_p_minus_lr_g():
    p = {"w": np.array([1.0, -2.0])}
    SGD(0.5).step(p, {"w": np.array([0.2, 0.4])})
    np.testing.assert_allclose(p["w"], [0.9, -2.2])


def test_adam_first_step_moves_by_the_learning_rate_against_the_gradient_sign():
    # At t = 1, m_hat = g and v_hat = g^2, so the step is lr * g / |g| (up to eps).
    p = {"w": np.array([1.0, 1.0, 1.0])}
    Adam(0.01).step(p, {"w": np.array([3.0, -0.001, 250.0])})
    np.testing.assert_allclose(p["w"], [0.99, 1.01, 0.99], rtol=1e-6)


def test_split_is_seeded_stratified_and_disjoint(split01):
    again = train_test_split_pair(0, 1, seed=0)
    np.testing.assert_array_equal(again.x_test, split01.x_test)
    assert len(split01.y_train) + len(split01.y_test) == 360   # 178 zeros and 182 ones in load_digits
    assert len(split01.y_test) == 90
    assert abs(split01.y_test.mean() - split01.y_train.mean()) < 0.01
    train_rows = {image.tobytes() for image in split01.x_train}
    assert sum(image.tobytes() in train_rows for image in split01.x_test) <= 2  # only true duplicates
    other = train_test_split_pair(0, 1, seed=1)
    assert not np.array_equal(other.x_test, split01.x_test)


def test_minibatches_cover_every_index_once():
    batches = minibatches(70, 32, np.random.default_rng(0))
    assert [len(b) for b in batches] == [32, 32, 6]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(70))


def test_training_is_deterministic_and_leaves_the_model_alone(split01):
    model = question1_model(seed=3)
    before = {k: v.copy() for k, v in model.parameters().items()}
    first = train(model, split01, epochs=4, seed=3)
    second = train(model, split01, epochs=4, seed=3)
    assert first.as_dict() == second.as_dict()
    for name, value in model.parameters().items():
        np.testing.assert_array_equal(value, before[name])
    assert not np.array_equal(first.model.parameters()["conv.w"], before["conv.w"])
    other = train(model, split01, epochs=4, seed=4)   # another batch order
    assert other.as_dict() != first.as_dict()


def test_history_holds_one_entry_per_epoch_and_real_accuracies(split01):
    history = train(question1_model(seed=0), split01, epochs=3, seed=0)
    assert history.epochs == 3 and len(history.test_accuracy) == 3
    predictions = history.model.predict(split01.x_test)
    assert history.test_accuracy[-1] == np.mean(predictions == split01.y_test)


def test_one_kernel_reaches_99_percent_on_0_vs_1(split01):
    history = train_best_of(split01, num_kernels=1, restarts=3, seed=0)
    assert history.test_accuracy[-1] >= 0.99
    # the winner is the restart with the lowest training loss (no peeking at the test set)
    losses = [train(question1_model(1, seed=s), split01, seed=s).train_loss[-1] for s in range(3)]
    assert history.seed == int(np.argmin(losses))
    assert history.train_loss[-1] == min(losses)


def test_a_dead_kernel_gets_no_gradient_and_stays_at_chance(split01):
    """The trap the restarts guard against: a kernel negative on every image never learns."""
    model = question1_model(seed=0)
    model.layers[0].params["w"][:] = -1.0          # with b1 < 0, z1 < 0 even on blank windows,
    model.layers[0].params["b"][:] = -0.1          # so every a1 is ReLU(negative) = 0
    _, gradients = model.loss_and_gradients(split01.x_train, split01.y_train)
    assert np.all(gradients["conv.w"] == 0) and np.all(gradients["conv.b"] == 0)
    history = train(model, split01, epochs=3)
    assert history.test_accuracy[-1] < 0.6


def test_bad_input_names_shapes_and_values(split01):
    model = question1_model()
    with pytest.raises(ValueError, match=r"\(2, 8, 8\)"):
        model.forward(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"\(1, 8, 8\).*\(2, 1, 7, 7\)|\(2, 1, 7, 7\).*\(1, 8, 8\)"):
        model.forward(np.zeros((2, 1, 7, 7)))
    with pytest.raises(ValueError, match="NaN"):
        model.forward(np.full((1, 1, 8, 8), np.nan))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        model.loss(np.zeros((3, 1, 8, 8)), np.zeros(2))
    with pytest.raises(ValueError, match="0 or 1.*0.5"):
        model.loss(np.zeros((2, 1, 8, 8)), np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="num_kernels.*0"):
        question1_model(num_kernels=0)
    with pytest.raises(ValueError, match="learning_rate.*-0.1"):
        train(model, split01, learning_rate=-0.1)
    with pytest.raises(ValueError, match="epochs.*0"):
        train(model, split01, epochs=0)
    with pytest.raises(ValueError, match="optimizer.*rmsprop"):
        train(model, split01, optimizer="rmsprop")
    with pytest.raises(ValueError, match="DataSplit"):
        train(model, (split01.x_train, split01.y_train))
    bad = DataSplit(split01.x_train, split01.y_train[:-1], split01.x_test, split01.y_test)
    with pytest.raises(ValueError, match=r"\(269,\)"):
        train(model, bad)
    with pytest.raises(ValueError, match="different digits"):
        train_test_split_pair(3, 3)
    with pytest.raises(ValueError, match="test_fraction.*1.5"):
        train_test_split_pair(0, 1, test_fraction=1.5)
    with pytest.raises(ValueError, match="restarts.*0"):
        train_best_of(split01, restarts=0)
    with pytest.raises(ValueError, match="before forward"):
        question1_model().layers[0].backward(np.zeros((1, 1, 6, 6)))


def test_layers_compose_into_other_models():
    rng = np.random.default_rng(0)
    model = Sequential([Conv2d(rng.standard_normal((2, 1, 3, 3)), [0.1, 0.2]), ReLU(), MaxPool2d(3),
                        Conv2d(rng.standard_normal((1, 2, 2, 2)), [0.0]), ReLU(),
                        Flatten(), Dense(rng.standard_normal((1, 1)), [0.0])])
    x = rng.random((4, 1, 9, 9))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    assert max(model_gradient_check(model, x, y).values()) < 1e-6


def test_a_model_with_overlapping_average_pooling_has_correct_gradients():
    rng = np.random.default_rng(4)
    model = Sequential([Conv2d(rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)), ReLU(),
                        AvgPool2d(3, stride=2), Flatten(), Dense(rng.standard_normal((8, 1)), np.zeros(1))],
                       layer_names=["conv", "relu", "pool", "flatten", "dense"])
    x, y = rng.standard_normal((3, 1, 7, 7)), np.array([0.0, 1.0, 1.0])
    errors = model_gradient_check(model, x, y)
    assert set(errors) == {"conv.w", "conv.b", "dense.w", "dense.b"}
    assert max(errors.values()) < 1e-6, errors
