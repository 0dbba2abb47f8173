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
from ._core import Exercise, close, number, same_array, same_shape, whole, whole_numbers

__all__ = ["EXERCISES"]

# --- q1: the equations of seed 001 that write net_o11 without the bias --------------------


def _no_bias_equation(answer):
    number_ = whole(answer)
    if number_ is None:
        return "give one equation number, as an int"
    if number_ == 15:
        return "eq. (15) is the bias gradient; look for where net_o11 itself is written out"
    return number_ in (1, 4, 5)


# --- q2: copying δ to all 4 points of a max-pool window -------------------------------------


# Overlapping windows (2×2, stride 1), so that each way of getting it wrong gives its own
# error: with windows that tile the map, copying δ and sharing δ/4 are equally far from the
# right gradient (both √3/3, whatever x and δ are).
_Q2_DELTA = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)


def _q2_errors():
    from ._routes import max_pool_route
    x = examples.grid_0_to_15()
    routed = max_pool2d_backward(_Q2_DELTA, x, 2, stride=1)
    route = lambda how: max_pool_route(_Q2_DELTA, x, 2, 1, route=how)
    top_left = np.zeros(x.shape)
    top_left[0, 0, :3, :3] = _Q2_DELTA[0, 0]
    return {"copy": rel_error(route("copy"), routed), "share": rel_error(route("share"), routed),
            "top_left": rel_error(top_left, routed)}


def _copy_error(answer):
    if number(answer) is None:
        return "give one number, the rel_error"
    errors = _q2_errors()
    if close(answer, 0.0, atol=1e-6):
        return "the two gradients differ: copying puts δ on cells that do not change the output"
    if close(answer, errors["share"]):
        return "that is the error of sharing δ/4 (mean pooling's rule), not of copying δ"
    if close(answer, errors["top_left"]):
        return "that routes δ to each window's top-left cell; the right gradient routes it to " \
               "the window's maximum"
    return close(answer, errors["copy"])


# --- q3: Python 3's / as a size -------------------------------------------------------------


def _python3_size(answer):
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
        return "answer with a pair (python3_value, correct_width)"
    value, width = answer
    python3 = (5 - 2) / 2 + 1                      # what the seed's line evaluates to in Python 3
    if number(value) is None or number(width) is None:
        return "answer with two numbers"
    if whole(width) is None:
        return "a width is a whole number of windows: that is the unfloored value"
    if close(value, output_size(5, 2, stride=2)) and not close(value, python3):
        return "that is what Python 2's / gave; Python 3's / does not round down"
    if whole(width) == output_size(5, 2, stride=2) + 1:
        return "that rounds up (ceil mode); PyTorch's rule rounds down"
    return close(value, python3) and whole(width) == output_size(5, 2, stride=2)


# --- q4: δ of softmax + cross-entropy -------------------------------------------------------

_LOGITS = np.array([[2.0, 1.0, 0.1]])


def _softmax_delta(answer):
    targets = np.array([0])
    o = softmax(_LOGITS)
    t = np.array([[1.0, 0.0, 0.0]])
    if np.shape(answer) not in ((1, 3), (3,)):
        return "give an array of shape (1, 3)"
    answer = np.reshape(np.asarray(answer, dtype=float), (1, 3))
    if same_array(answer, (o - t) * (o - o ** 2)):
        return "that is seed 003's (o − t)∘(o − o²), which uses only the diagonal of the softmax Jacobian"
    if same_array(answer, t - o):
        return "check the sign: E = −log o_t falls as the target's logit grows"
    if same_array(answer, o):
        return "that is the softmax itself; the target still has to come in"
    return same_array(answer, softmax_cross_entropy_backward(1.0, _LOGITS, targets,
                                                             reduction="sum"))


# --- q5: which weight x_11 meets in a true convolution --------------------------------------


def _flipped_partner(answer):
    n = 3
    theta = np.arange(1.0, n * n + 1).reshape(n, n)          # distinct weights, to identify one
    probe = np.zeros((n, n))
    probe[0, 0] = 1.0                                        # x_11 = 1, every other pixel 0
    met = convolve2d(probe, theta)[0, 0]
    row, col = np.argwhere(theta == met)[0] + 1              # 1-based, as the seeds count
    values = None if isinstance(answer, (str, bytes)) else whole_numbers(answer)
    if values is None or len(values) != 2:
        return "answer with a pair of whole numbers, 1-based (row, col)"
    if values == (2, 2):
        return "that is seed 003's printed index θ_(n−i)(n−j), one off"
    if values == (1, 1):
        return "that is the partner in a cross-correlation; a true convolution turns the kernel"
    if values == (row - 1, col - 1):
        return "count from 1, as the seeds do"
    return same_shape(values, (row, col))


EXERCISES = [
    Exercise(
        key="ch11.q1",
        question="Seed 001 writes net_o11 as a sum of four products with no bias in more than one "
                 "numbered equation. Give the number of one of them.",
        test=lambda answer: _no_bias_equation(answer),
        hint="in seed 001, find where net_o11 is written out as a sum of four products — the "
             "forward pass of the worked example, before the backward pass starts (§2)",
        solution="Eqs. (1), (4) and (5) all write net_o11 = i11×h11 + i12×h12 + i21×h21 + i22×h22 "
                 "with no + b, although the seed's ConvLayer has a bias and eq. (15) computes its "
                 "gradient. Any of 1, 4, 5 is right.",
        answer=4,
        wrong=15,
    ),
    Exercise(
        key="ch11.q2",
        question="Take x = cb.examples.grid_0_to_15() and δ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] "
                 "(shape (1, 1, 3, 3)) arriving at a 2×2 max pooling with **stride 1** (the "
                 "windows overlap). How large is the error of seed 003's rule — copy δ to all 4 "
                 "points of each window, adding where windows overlap — against the correct "
                 "gradient? Give cb.rel_error(copied, correct).",
        test=lambda answer: _copy_error(answer),
        hint="build both gradients with cnnbook's pooling functions and your own copy of δ into "
             "every window, then compare them with rel_error (§4, seed 003's pooling rule)",
        solution="correct = cb.max_pool2d_backward(delta, x, 2, stride=1): on the grid the maximum "
                 "of every window is its bottom-right cell, so δ lands on x[1:4, 1:4]; copied adds "
                 "each δ to all 4 cells of its window. cb.rel_error(copied, correct) ≈ 0.591.",
        answer=float(_q2_errors()["copy"]),
        wrong=0.0,
    ),
    Exercise(
        key="ch11.q3",
        question="Seed 001's MaxPoolingLayer computes its output width as "
                 "(input_width - filter_width) / self.stride + 1. For a 5×5 map, 2×2 windows and "
                 "stride 2, what does Python 3 give, and what should the width be (PyTorch's floor "
                 "rule)? Answer as a pair (python3_value, correct_width).",
        test=lambda answer: _python3_size(answer),
        hint="Python 3's / is true division and never rounds; a width counts whole windows "
             "(§2, seed 001's Python 2 code)",
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
        hint="the softmax Jacobian is not diagonal: every output depends on every logit, and "
             "with cross-entropy the whole Jacobian combines into a simple difference (§4)",
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
        hint="a true convolution turns the kernel by 180° before sliding it; probe it with an "
             "image that is 1 at x_11 and 0 elsewhere (§4)",
        solution="The kernel is turned by 180°, so x_11 (top-left) meets the bottom-right weight "
                 "θ_33: θ_(n+1−i)(n+1−j) with n = 3, i = j = 1.",
        answer=(3, 3),
        wrong=(2, 2),
    ),
]
