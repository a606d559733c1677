"""Real 8x8 handwritten digits from scikit-learn's bundled `load_digits` (no download)."""
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _digits_read_only():
    # Parsing scikit-learn's file takes ~20 ms: widgets that reload on every move read it once.
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.images[:, None, :, :] / 16.0, digits.target.copy()
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_digits_nchw():
    """All 1797 digits as (images, labels): images (1797, 1, 8, 8) float64 scaled to [0, 1]
    (the raw pixels are 0..16), labels (1797,) ints 0..9. Fresh copies: callers may edit them.

    scikit-learn stores them as (m, 8, 8); the channel axis makes them NCHW.
    """
    images, labels = _digits_read_only()
    return images.copy(), labels.copy()


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
