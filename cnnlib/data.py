"""Real 8x8 handwritten digits from scikit-learn's bundled `load_digits` (no download)."""
import numpy as np


def load_digits_nchw():
    """All 1797 digits as (images, labels): images (1797, 1, 8, 8) float64 scaled to [0, 1]
    (the raw pixels are 0..16), labels (1797,) ints 0..9.

    scikit-learn stores them as (m, 8, 8); the channel axis makes them NCHW.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:, None, :, :] / 16.0, digits.target.copy()


def digit_pair(first, second):
    """The images of two digit classes and binary labels: 1 for `second`, 0 for `first`.

    Returns images (m, 1, 8, 8) and labels (m,) float64.
    """
    for digit in (first, second):
        if digit not in range(10):
            raise ValueError(f"digits must be 0..9, got {digit!r}")
    if first == second:
        raise ValueError(f"need two different digits, got {first} and {second}")
    images, labels = load_digits_nchw()
    keep = (labels == first) | (labels == second)
    return images[keep], (labels[keep] == second).astype(np.float64)
