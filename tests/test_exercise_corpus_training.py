"""Notebook 05's exercise checker (cnnlib.exercises.training) against a corpus of learner answers:
every plausible wrong answer is rejected, every correct one accepted."""
import numpy as np
import pytest

import cnnlib as cl
from cnnlib.exercises.checker import select_cases
from cnnlib.exercises.training import MISTAKES, check_sgd_step, reference_sgd_step, sgd_step_cases


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------ correct answers

def vectorised(a2, y, w3, b3, learning_rate):
    flat = a2.reshape(len(a2), 9)
    a3 = sigmoid(flat @ w3 + b3)
    return w3 - learning_rate * flat.T @ (a3 - y) / len(y)


def loop_over_images(a2, y, w3, b3, learning_rate):
    gradient = np.zeros(9)
    for n in range(len(y)):
        z3 = sum(a2[n, p, r] * w3[3 * p + r] for p in range(3) for r in range(3)) + b3
        gradient += (sigmoid(z3) - y[n]) * a2[n].ravel()
    return w3 - learning_rate * gradient / len(y)


def plus_y_minus_a3(a2, y, w3, b3, learning_rate):
    flat = a2.reshape(-1, 9)
    return w3 + learning_rate * np.mean((y - sigmoid(flat @ w3 + b3))[:, None] * flat, axis=0)


def with_the_library(a2, y, w3, b3, learning_rate):
    flat, _ = cl.flatten_forward(a2[:, None])
    logits, cache = cl.dense_forward(flat, w3[:, None], np.array([b3]))
    _, dlogits = cl.binary_cross_entropy_with_logits(logits[:, 0], y)
    _, dw, _ = cl.dense_backward(dlogits[:, None], cache)
    return w3 - learning_rate * dw[:, 0]


def in_place_on_its_argument(a2, y, w3, b3, learning_rate):
    a3 = np.exp(-np.logaddexp(0, -(np.einsum("npr,pr->n", a2, w3.reshape(3, 3)) + b3)))
    w3 -= learning_rate * np.einsum("n,npr->pr", a3 - y, a2).ravel() / len(y)
    return w3


CORRECT = [vectorised, loop_over_images, plus_y_minus_a3, with_the_library, in_place_on_its_argument]


# ------------------------------------------------------------------ wrong answers a learner writes

def uphill(a2, y, w3, b3, lr):
    return w3 + lr * (a2.reshape(-1, 9).T @ (sigmoid(a2.reshape(-1, 9) @ w3 + b3) - y)) / len(y)


def no_learning_rate(a2, y, w3, b3, lr):
    return w3 - a2.reshape(-1, 9).T @ (sigmoid(a2.reshape(-1, 9) @ w3 + b3) - y) / len(y)


def summed(a2, y, w3, b3, lr):
    return w3 - lr * a2.reshape(-1, 9).T @ (sigmoid(a2.reshape(-1, 9) @ w3 + b3) - y)


def no_sigmoid(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * flat.T @ (flat @ w3 + b3 - y) / len(y)


def sigmoid_derivative_twice(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    a3 = sigmoid(flat @ w3 + b3)
    return w3 - lr * flat.T @ ((a3 - y) * a3 * (1 - a3)) / len(y)


def only_eq5(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    a3 = sigmoid(flat @ w3 + b3)
    return w3 - lr * flat.T @ ((a3 - y) / (a3 * (1 - a3))) / len(y)


def a3_not_error(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * flat.T @ sigmoid(flat @ w3 + b3) / len(y)


def no_bias(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * flat.T @ (sigmoid(flat @ w3) - y) / len(y)


def column_major(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9, order="F") if a2.ndim == 2 else a2.transpose(0, 2, 1).reshape(-1, 9)
    return w3 - lr * flat.T @ (sigmoid(flat @ w3 + b3) - y) / len(y)


def product_of_means(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * np.mean(sigmoid(flat @ w3 + b3) - y) * flat.mean(axis=0)


def input_gradient(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * np.mean(sigmoid(flat @ w3 + b3) - y) * w3


def returns_gradient(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return flat.T @ (sigmoid(flat @ w3 + b3) - y) / len(y)


def last_image_only(a2, y, w3, b3, lr):
    for n in range(len(y)):
        gradient = (sigmoid(a2[n].ravel() @ w3 + b3) - y[n]) * a2[n].ravel()
    return w3 - lr * gradient


def sigmoid_of_minus_z(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * flat.T @ (sigmoid(-(flat @ w3 + b3)) - y) / len(y)


def squared_learning_rate(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr ** 2 * flat.T @ (sigmoid(flat @ w3 + b3) - y) / len(y)


def in_place_returns_none(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    w3 -= lr * flat.T @ (sigmoid(flat @ w3 + b3) - y) / len(y)


def first_image_weights_for_all(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * flat[0] * np.mean(sigmoid(flat @ w3 + b3) - y)


def sign_only(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return w3 - lr * np.sign(flat.T @ (sigmoid(flat @ w3 + b3) - y))


def returns_the_step(a2, y, w3, b3, lr):
    flat = a2.reshape(-1, 9)
    return lr * flat.T @ (sigmoid(flat @ w3 + b3) - y) / len(y)


WRONG = [uphill, no_learning_rate, summed, no_sigmoid, sigmoid_derivative_twice, only_eq5, a3_not_error,
         no_bias, column_major, product_of_means, input_gradient, returns_gradient, last_image_only,
         sigmoid_of_minus_z, squared_learning_rate, in_place_returns_none, first_image_weights_for_all,
         sign_only, returns_the_step]

# The wrong answers that a named Mistake describes: the feedback must name it.
NAMED = {uphill: "uphill", no_learning_rate: "forgot the learning rate", summed: "summed over",
         no_sigmoid: "no sigmoid", sigmoid_derivative_twice: "derivative a second time",
         a3_not_error: "a3 instead of a3 - y", no_bias: "b3 out", column_major: "column by column",
         product_of_means: "product of sums", input_gradient: "gradient for a2",
         returns_gradient: "returned the gradient", last_image_only: "last image",
         returns_the_step: "returned the step"}


def test_corpus_is_large_enough():
    assert len(WRONG) >= 12 and len(CORRECT) >= 4


@pytest.mark.parametrize("answer", CORRECT, ids=lambda f: f.__name__)
def test_correct_answers_pass(answer):
    feedback = check_sgd_step(answer)
    assert feedback.passed, str(feedback)
    assert check_sgd_step(answer, which="public").passed and check_sgd_step(answer, which="hidden").passed


@pytest.mark.parametrize("answer", WRONG, ids=lambda f: f.__name__)
def test_wrong_answers_are_rejected(answer):
    feedback = check_sgd_step(answer)
    assert feedback.attempted and not feedback.passed, str(feedback)
    if answer in NAMED:
        assert NAMED[answer] in feedback.mistake, str(feedback)


def test_every_named_mistake_is_wrong_on_some_case_and_distinct_from_the_others():
    cases = sgd_step_cases()
    for k, mistake in enumerate(MISTAKES):
        outputs = [np.asarray(mistake.compute(*case.args)) for case in cases]
        assert any(out.shape != case.expected.shape or not np.allclose(out, case.expected)
                   for out, case in zip(outputs, cases)), mistake.name
        for other in MISTAKES[k + 1:]:
            assert any(np.shape(out) != np.shape(other.compute(*case.args))
                       or not np.allclose(out, other.compute(*case.args)) for out, case in zip(outputs, cases)), \
                (mistake.name, other.name)


def test_about_a_third_of_the_cases_are_hidden():
    cases = sgd_step_cases()
    hidden = select_cases(cases, "hidden")
    assert 0.25 <= len(hidden) / len(cases) <= 0.45
    assert len(select_cases(cases, "public")) + len(hidden) == len(cases)


def test_reference_is_one_step_down_the_finite_difference_gradient():
    case = sgd_step_cases()[2]
    a2, y, w3, b3, lr = case.args

    def loss(w):
        return cl.binary_cross_entropy_with_logits(a2.reshape(len(y), 9) @ w + b3, y)[0]

    numeric = cl.numerical_gradient(lambda w: loss(w), w3.copy())
    np.testing.assert_allclose(reference_sgd_step(*case.args), w3 - lr * numeric, rtol=1e-7, atol=1e-9)
    # and the step lowers the loss (a small enough learning rate)
    assert loss(reference_sgd_step(a2, y, w3, b3, 0.01)) < loss(w3)


def test_reference_does_not_mutate_its_arguments():
    case = sgd_step_cases()[0]
    before = [np.copy(a) for a in case.args]
    reference_sgd_step(*case.args)
    for old, new in zip(before, case.args):
        np.testing.assert_array_equal(old, new)


def test_stub_is_not_attempted():
    def stub(a2, y, w3, b3, learning_rate):
        raise NotImplementedError

    feedback = check_sgd_step(stub)
    assert not feedback.attempted and not feedback.passed
