"""The digits loader: scikit-learn's pixels, NCHW, and a fresh copy on every call."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from cnnlib.data import digit_pair, load_digits_nchw


def test_digits_are_sklearns_pixels_in_nchw():
    images, labels = load_digits_nchw()
    reference = load_digits()
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images[:, 0], reference.images / 16.0)
    np.testing.assert_array_equal(labels, reference.target)


def test_editing_what_the_loader_returns_does_not_change_the_next_call():
    images, labels = load_digits_nchw()
    images[0] = -1.0
    labels[0] = 9
    again_images, again_labels = load_digits_nchw()
    assert again_images[0].min() >= 0.0 and again_labels[0] == load_digits().target[0]


def test_digit_pair_labels_the_second_digit_one():
    images, labels = digit_pair(3, 8)
    _, all_labels = load_digits_nchw()
    assert len(images) == np.sum((all_labels == 3) | (all_labels == 8)) == len(labels)
    assert labels.sum() == np.sum(all_labels == 8)
    with pytest.raises(ValueError, match="two different digits"):
        digit_pair(4, 4)
    with pytest.raises(ValueError, match="0..9"):
        digit_pair(3, 10)
