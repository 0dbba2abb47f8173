"""Chapter 11 — Errata: where the sources go wrong (seed equations, pooling, Python 3, softmax).

Every expected value is computed with ``cnnbook`` inside the check (exercise 1 asks for an
equation number of seed 001, which no computation gives).
"""
from __future__ import annotations

import numpy as np

from .. import examples
from ..functional import softmax, softmax_cross_entropy_backward
from ..gradcheck import rel_error
from ..pool import max_pool2d_backward
from ..primitives import convolve2d
from ..shapes import output_size
from ._core import Exercise, close, same_array, same_shape

__all__ = ["EXERCISES"]

# --- q1: the equations of seed 001 that write net_o11 without the bias --------------------


def _no_bias_equation(answer):
    try:
        number = int(answer)
    except (TypeError, ValueError):
        return "give one equation number, as an int"
    if number != answer:
        return "give one equation number, as an int"
    if number == 15:
        return "eq. (15) is the bias gradient; look for where net_o11 itself is written out"
    return number in (1, 4, 5)


# --- q2: copying δ to all 4 points of a max-pool window -------------------------------------


def _copy_error(answer):
    x = examples.grid_0_to_15()
    delta = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    routed = max_pool2d_backward(delta, x, 2)
    copied = np.repeat(np.repeat(delta, 2, axis=2), 2, axis=3)
    if close(answer, 0.0, atol=1e-6):
        return "the two gradients differ: copying puts δ on three cells that do not change the output"
    return close(answer, rel_error(copied, routed))


# --- q3: Python 3's / as a size -------------------------------------------------------------


def _python3_size(answer):
    try:
        value, width = answer
    except (TypeError, ValueError):
        return "answer with a pair (python3_value, correct_width)"
    python3 = (5 - 2) / 2 + 1                      # what the seed's line evaluates to in Python 3
    if close(value, output_size(5, 2, stride=2)) and not close(value, python3):
        return "that is what Python 2's / gave; Python 3's / does not round down"
    return close(value, python3) and close(width, output_size(5, 2, stride=2))


# --- q4: δ of softmax + cross-entropy -------------------------------------------------------

_LOGITS = np.array([[2.0, 1.0, 0.1]])


def _softmax_delta(answer):
    targets = np.array([0])
    o = softmax(_LOGITS)
    t = np.array([[1.0, 0.0, 0.0]])
    if same_array(answer, (o - t) * (o - o ** 2)):
        return "that is seed 003's (o − t)∘(o − o²), which uses only the diagonal of the softmax Jacobian"
    return same_array(answer, softmax_cross_entropy_backward(1.0, _LOGITS, targets, reduction="sum"))


# --- q5: which weight x_11 meets in a true convolution --------------------------------------


def _flipped_partner(answer):
    n = 3
    theta = np.arange(1.0, n * n + 1).reshape(n, n)          # distinct weights, to identify one
    probe = np.zeros((n, n))
    probe[0, 0] = 1.0                                        # x_11 = 1, every other pixel 0
    met = convolve2d(probe, theta)[0, 0]
    row, col = np.argwhere(theta == met)[0] + 1              # 1-based, as the seeds count
    if same_shape(answer, (2, 2)) and not same_shape(answer, (row, col)):
        return "that is seed 003's printed index θ_(n−i)(n−j), one off"
    return same_shape(answer, (row, col))


EXERCISES = [
    Exercise(
        key="ch11.q1",
        question="Seed 001 writes net_o11 as a sum of four products with no bias in more than one "
                 "numbered equation. Give the number of one of them.",
        test=lambda answer: _no_bias_equation(answer),
        hint="in seed 001, find where net_o11 = i11×h11 + i12×h12 + i21×h21 + i22×h22 is written out "
             "(the forward pass of the worked example, before the backward pass starts)",
        solution="Eqs. (1), (4) and (5) all write net_o11 = i11×h11 + i12×h12 + i21×h21 + i22×h22 "
                 "with no + b, although the seed's ConvLayer has a bias and eq. (15) computes its "
                 "gradient. Any of 1, 4, 5 is right.",
        answer=4,
        wrong=15,
    ),
    Exercise(
        key="ch11.q2",
        question="Take x = cb.examples.grid_0_to_15() and δ = [[1, 2], [3, 4]] (shape (1, 1, 2, 2)) "
                 "arriving at a 2×2 max pooling. How large is the error of seed 003's rule — copy δ "
                 "to all 4 points of each window — against the correct gradient? Give "
                 "cb.rel_error(copied, correct).",
        test=lambda answer: _copy_error(answer),
        hint="copied = np.repeat(np.repeat(delta, 2, axis=2), 2, axis=3); correct = "
             "cb.max_pool2d_backward(delta, x, 2); then cb.rel_error(copied, correct)",
        solution="On the grid 0…15 the maximum of every window is its bottom-right cell, so the "
                 "correct gradient has δ there and 0 on the other three cells, while copying puts δ "
                 "on all four. ‖copied − correct‖ = √(3·30), ‖copied‖ = √(4·30), ‖correct‖ = √30, "
                 "so rel_error = √3/(2 + 1) ≈ 0.577.",
        answer=float(np.sqrt(3) / 3),
        wrong=0.0,
    ),
    Exercise(
        key="ch11.q3",
        question="Seed 001's MaxPoolingLayer computes its output width as "
                 "(input_width - filter_width) / self.stride + 1. For a 5×5 map, 2×2 windows and "
                 "stride 2, what does Python 3 give, and what should the width be (PyTorch's floor "
                 "rule)? Answer as a pair (python3_value, correct_width).",
        test=lambda answer: _python3_size(answer),
        hint="evaluate (5 - 2) / 2 + 1 in this notebook; the width is cb.output_size(5, 2, stride=2)",
        solution="Python 3: (5 − 2) / 2 + 1 = 2.5, a float (np.zeros then raises TypeError). "
                 "Python 2's integer / gave 2, silently floored, which is the correct width: "
                 "floor((5 − 2)/2) + 1 = 2 — the last row and column are in no window.",
        answer=(2.5, 2),
        wrong=(2, 2),
    ),
    Exercise(
        key="ch11.q4",
        question="Logits z = [[2.0, 1.0, 0.1]], target class 0, softmax followed by cross-entropy "
                 "(summed over the batch). Give the correct δ = ∂E/∂z as an array of shape (1, 3) — "
                 "not seed 003's (o − t)∘(o − o²).",
        test=lambda answer: _softmax_delta(answer),
        hint="for softmax followed by cross-entropy the Jacobian and the loss derivative combine "
             "to o − t, with o = cb.softmax(z) and t the one-hot target",
        solution="δ = o − t with o = softmax(z) ≈ [0.659, 0.242, 0.099] and t = [1, 0, 0], so "
                 "δ ≈ [−0.341, 0.242, 0.099] (cb.softmax_cross_entropy_backward(1.0, z, [0], 'sum')).",
        answer=softmax(_LOGITS) - np.array([[1.0, 0.0, 0.0]]),
        wrong=(softmax(_LOGITS) - np.array([[1.0, 0.0, 0.0]]))
        * (softmax(_LOGITS) - softmax(_LOGITS) ** 2),
    ),
    Exercise(
        key="ch11.q5",
        question="A true convolution of a 3×3 image x with a 3×3 kernel θ gives one number (valid "
                 "mode). Which weight does pixel x_11 meet? Answer with its 1-based indices "
                 "(row, col) — seed 003's θ_(n−i)(n−j) would say (2, 2).",
        test=lambda answer: _flipped_partner(answer),
        hint="a true convolution flips the kernel: x_ij meets θ_(n+1−i)(n+1−j); or probe it with "
             "cb.convolve2d on an image that is 1 at x_11 and 0 elsewhere",
        solution="The kernel is turned by 180°, so x_11 (top-left) meets the bottom-right weight "
                 "θ_33: θ_(n+1−i)(n+1−j) with n = 3, i = j = 1.",
        answer=(3, 3),
        wrong=(2, 2),
    ),
]
