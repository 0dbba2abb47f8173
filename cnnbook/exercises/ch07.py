"""Chapter 7 — pooling, backwards."""
from __future__ import annotations

import numpy as np

from .. import avg_pool2d_backward, max_pool2d_backward, output_size, sigmoid, sigmoid_derivative
from ._core import Exercise, close, number, same_array, same_shape, whole, whole_numbers

# Exercise 1's map and sensitivity map: the notebook prints the same arrays as `a_ex`, `d_ex`.
A_EX = np.array([[2, 8, 1, 4],
                 [6, 3, 9, 0],
                 [5, 1, 2, 7],
                 [0, 4, 3, 6]], dtype=float)
D_EX = np.array([[1.0, -1.0], [2.0, 3.0]])


def _test_q1(answer):
    expected = max_pool2d_backward(D_EX[None, None], A_EX[None, None], 2)[0, 0]
    if np.shape(answer) == D_EX.shape:
        return "That is 2×2, the pooled map's size; ∂E/∂a has the shape of a"
    if np.shape(answer) != expected.shape:
        return f"∂E/∂a has the shape of a, {expected.shape[0]}×{expected.shape[1]}"
    if same_array(answer, expected):
        return True
    if same_array(answer, np.kron(D_EX, np.ones((2, 2)))):
        return "That copies each δ to all four cells of its window (seed 003's rule)"
    if same_array(answer, avg_pool2d_backward(D_EX[None, None], A_EX[None, None], 2)[0, 0]):
        return "That is mean pooling's gradient, δ/4 everywhere"
    return False


def _window_share(window, delta):
    """What each cell of one K×K mean-pooling window (stride K) receives from its δ."""
    dout = np.full((1, 1, 1, 1), float(delta))
    return avg_pool2d_backward(dout, np.zeros((1, 1, window, window)), window)[0, 0, 0, 0]


def _test_q2(answer):
    if number(answer) is None:
        return "Give one number (a fraction such as 1/7 is fine)"
    if close(answer, _window_share(3, 6.0)):
        return True
    if close(answer, _window_share(3, 6.0), rtol=3e-2):
        return "Close, but rounded too much: give at least three significant digits, or a fraction"
    if close(answer, 6.0):
        return "That copies δ to every cell; the mean's 1/K² shows up in its gradient too"
    if close(answer, 6.0 / 3):
        return "The window has K² cells, not K"
    if close(answer, 6.0 * 9):
        return "The mean divides; its gradient divides too"
    return False


def _centre_gradient(stride=1):
    probe = np.random.default_rng(3).normal(size=(1, 1, 5, 5))
    probe[0, 0, 2, 2] = 10.0                                    # the largest value, alone
    n_out = output_size(5, 3, stride)
    return max_pool2d_backward(np.ones((1, 1, n_out, n_out)), probe, 3, stride=stride)[0, 0, 2, 2]


def _test_q3(answer):
    value = whole(answer)
    if value is None:
        return "Give a whole number: the windows' δ's are all 1"
    if value == _centre_gradient():
        return True
    if value == 1:
        return "That is one window's δ; count every window whose maximum is the centre"
    if value == 0:
        return "The centre is the maximum of the windows that contain it, so it receives their δ"
    return False


def _pool_sizes(n=28, kernel=3, stride=2):
    floor = output_size(n, kernel, stride)
    extra = (stride - (n - kernel) % stride) % stride      # cells to add so the windows tile the map
    return floor, output_size(n + extra, kernel, stride)


def _test_q4(answer):
    if same_shape(answer, _pool_sizes()):
        return True
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
        return "Answer with a pair of two whole numbers, (floor, ceil)"
    values = whole_numbers(answer)
    if values is None:
        return "Output sizes are whole numbers of windows: (L − K)/S must be rounded before " \
               "adding 1"
    floor, ceil = values
    expected = _pool_sizes()
    if (floor, ceil) == (expected[0] - 1, expected[1] - 1):
        return "Both are one too small: the formula ends with + 1 (the first window)"
    if (floor, ceil) == expected[::-1]:
        return "The right numbers in the wrong order: (floor, ceil)"
    if floor == expected[0] and ceil == floor:
        return "The floor is right; ceil mode adds the window that covers the leftover column"
    if floor == expected[0] - 1 and ceil == expected[0]:
        return "Round (L − K)/S down and up, then add 1 to both"
    return False


# Exercise 5: one entry of up(δ) and the sigmoid's net there; net ≠ 0, so that σ′(net) is not
# the ¼ of a 2×2 mean pool's share.
_Q5_UP, _Q5_NET = 0.8, 1.0


def _test_q5(answer):
    if number(answer) is None:
        return "Give one number"
    up, net = _Q5_UP, _Q5_NET
    if close(answer, up * sigmoid_derivative(net)):
        return True
    if close(answer, up):
        return "That is up(δ) itself; the sigmoid's derivative still has to be applied"
    if close(answer, up * sigmoid(net)):
        return "That multiplies by σ(net), not by its derivative σ′(net)"
    if close(answer, up / 4):
        return "That divides by the window's 4 cells — mean pooling's share; a max pool routes " \
               "δ whole, and the factor here is the sigmoid's derivative"
    if close(answer, up * sigmoid_derivative(up)):
        return "That evaluates σ′ at up(δ); σ′ is taken at the sigmoid's input, net"
    return False


EXERCISES = [
    Exercise(
        key="ch07.q1",
        question="Max pooling, 2×2 windows, stride 2, on the map `a_ex` below, with the sensitivity map "
                 "`d_ex`. Write down $\\partial E/\\partial a$ (a 4×4 array) by hand.",
        test=_test_q1,
        hint="only the cell that won a window changed its output (§1)",
        solution="The maxima of the four windows are 8 at (0, 1), 9 at (1, 2), 5 at (2, 0) and 7 at "
                 "(2, 3); they receive 1, −1, 2 and 3:\n"
                 "[[0, 1, 0, 0],\n [0, 0, -1, 0],\n [2, 0, 0, 3],\n [0, 0, 0, 0]]",
        answer=[[0, 1, 0, 0], [0, 0, -1, 0], [2, 0, 0, 3], [0, 0, 0, 0]],
        wrong=[[1, 1, -1, -1], [1, 1, -1, -1], [2, 2, 3, 3], [2, 2, 3, 3]],
    ),
    Exercise(
        key="ch07.q2",
        question="Mean pooling with a 3×3 window and stride 3. One window's δ is 6. What does each of "
                 "its nine cells receive (one number)?",
        test=_test_q2,
        hint="the window's output is the mean of its cells: how much does it move when one cell "
             "moves by 1? (§4; you may type a fraction such as 1/7)",
        solution="6/9 = 2/3 ≈ 0.667. y = (1/9) Σ a over the window, so ∂E/∂a = δ · 1/9 for each of the "
                 "nine cells; together they receive 6, the window's δ.",
        answer=6 / 9,
        wrong=6.0,
    ),
    Exercise(
        key="ch07.q3",
        question="A 5×5 map has its largest value, alone, at the centre (2, 2). It is max-pooled with "
                 "3×3 windows and stride 1, and δ is 1 for every output. How much gradient does the "
                 "centre receive?",
        test=_test_q3,
        hint="overlapping windows: the centre is the maximum of every window that contains it, "
             "and their δ's add (§7)",
        solution="9. The output is 3×3 and every one of its nine windows contains (2, 2), the largest "
                 "value of the map, so every window routes its δ = 1 there: 9 · 1 = 9. This is why "
                 "the backward pass must add (+=), not assign.",
        answer=9,
        wrong=1,
    ),
    Exercise(
        key="ch07.q4",
        question="A 28×28 map is pooled with 3×3 windows and stride 2. Give the output size with the "
                 "floor (PyTorch's default) and with 保留边缘 / ceil mode, as a pair `(floor, ceil)`.",
        test=_test_q4,
        hint="the number of window positions: (L − K)/S steps, rounded down (PyTorch) or up "
             "(ceil mode), plus the window at 0 (§9)",
        solution="(13, 14). (28 − 3)/2 = 12.5; floor: 12 + 1 = 13 windows (the last column is never "
                 "read); ceil: 13 + 1 = 14 windows, the last one reaching one column past the map.",
        answer=(13, 14),
        wrong=(12, 13),
    ),
    Exercise(
        key="ch07.q5",
        question="In §6's network ($x$ → conv → σ → max pool), one entry of $\\mathrm{up}(\\delta)$ is "
                 "$0.8$ and the sigmoid's input there is $\\mathrm{net} = 1$. What is "
                 "$\\delta$ of the convolution at that cell ($\\partial E/\\partial \\mathrm{net}$)?",
        test=_test_q5,
        hint="δ is ∂E/∂net: what arrives through the pool, times the derivative of the activation "
             "at its input (§6)",
        solution="0.157. σ(1) = 0.731, so σ′(1) = 0.731 · 0.269 = 0.197 and "
                 "δ = 0.8 · 0.197 = 0.157.",
        answer=_Q5_UP * float(sigmoid_derivative(_Q5_NET)),
        wrong=_Q5_UP / 4,
    ),
]


# --- ch07.implement_max and ch07.implement_mean -------------------------------------------

from .. import avg_pool2d as _avg_pool2d, max_pool2d as _max_pool2d         # noqa: E402
from .. import numerical_gradient                                           # noqa: E402
from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._routes import avg_pool_route, max_pool_route                         # noqa: E402
from ._solutions import my_avg_pool_backward, my_max_pool_backward, source  # noqa: E402

# (N, C, H, W, K, S, ties): tiling windows first, then overlaps (S < K), gaps (S > K),
# remainders, non-square maps, several channels, a batch; "ties" draws small integers so
# that windows hold several equal maxima.
_POOL_SETTINGS = [(1, 1, 4, 4, 2, 2, False), (1, 1, 6, 6, 3, 3, False), (1, 1, 5, 5, 3, 1, False),
                  (1, 1, 4, 4, 2, 2, True), (1, 1, 5, 4, 2, 1, True), (1, 1, 7, 6, 3, 2, False),
                  (1, 2, 5, 5, 2, 2, False), (2, 1, 5, 6, 2, 3, False), (2, 3, 7, 7, 3, 2, True),
                  (1, 2, 6, 5, 3, 1, True), (2, 2, 8, 7, 4, 3, False), (1, 1, 6, 6, 2, 1, True)]


def _pool_cases(rng, with_x):
    settings = list(_POOL_SETTINGS)
    while len(settings) < 24:
        K = int(rng.integers(2, 5))
        H, W = (int(v) for v in rng.integers(K, 10, size=2))
        settings.append((int(rng.integers(1, 3)), int(rng.integers(1, 4)), H, W, K,
                         int(rng.integers(1, 4)), bool(rng.integers(0, 2))))
    cases = []
    for N, C, H, W, K, S, ties in settings:
        x = (rng.integers(0, 3, size=(N, C, H, W)).astype(float) if ties
             else rng.normal(size=(N, C, H, W)))
        dout = rng.normal(size=_max_pool2d(x, K, S).shape)
        if with_x:
            cases.append(Case(describe(dout=dout, x=x, kernel_size=K, stride=S)
                              + (", ties" if ties else ""), (dout, x, K, S)))
        else:
            cases.append(Case(describe(dout=dout, x_shape=x.shape, kernel_size=K, stride=S),
                              (dout, x.shape, K, S)))
    return cases


def _max_reference(dout, x, kernel_size, stride):
    return max_pool2d_backward(dout, x, kernel_size, stride)


def _mean_reference(dout, x_shape, kernel_size, stride):
    return avg_pool2d_backward(dout, np.zeros(x_shape), kernel_size, stride)


def _max_numerical(dout, x, kernel_size, stride):
    """dx by central differences — only where no window holds a tie (else it is not unique)."""
    if len(np.unique(x)) < x.size:
        return (None,)
    return (numerical_gradient(lambda v: _max_pool2d(v, kernel_size, stride), x, dout),)


def _mean_numerical(dout, x_shape, kernel_size, stride):
    return (numerical_gradient(lambda v: _avg_pool2d(v, kernel_size, stride), np.zeros(x_shape),
                               dout),)


def _max(**switches):
    return lambda dout, x, kernel_size, stride: max_pool_route(dout, x, kernel_size, stride,
                                                               **switches)


def _mean(**switches):
    return lambda dout, x_shape, kernel_size, stride: avg_pool_route(dout, x_shape, kernel_size,
                                                                     stride, **switches)


MAX_MISTAKES = (
    Mistake("copy_to_window",
            "δ is copied to every cell of its window (seed 003's rule); only the maximum "
            "changed the output, so only it receives δ (chapter 7, §1 and §5).",
            _max(route="copy")),
    Mistake("every_tied_maximum",
            "δ goes to every tied maximum of a window; the forward pass took one cell, the first "
            "maximum in row-major order, and only that cell receives δ (chapter 7, §2).",
            _max(route="ties")),
    Mistake("last_tied_maximum",
            "a tie goes to the last maximum of the window; PyTorch (and cnnbook) give it to the "
            "first in row-major order (np.argmax does) (chapter 7, §2).",
            _max(route="last")),
    Mistake("assign_not_add",
            "with overlapping windows one cell can be the maximum of several windows: their δ's "
            "add up (+=); = keeps only the last window's (chapter 7, §7).",
            _max(add=False)),
    Mistake("mean_share",
            "that spreads δ/K² over the window — mean pooling's rule; max pooling routes the "
            "whole δ to the maximum (chapter 7, §1 and §4).",
            _max(route="share")),
)

MEAN_MISTAKES = (
    Mistake("not_divided",
            "δ is copied to every cell without dividing: the window's output is (1/K²)·Σ of its "
            "cells, so each cell receives δ/K² (chapter 7, §4).",
            _mean(divide=0)),
    Mistake("divided_by_K",
            "δ is divided by K; a K×K window has K² cells, so each receives δ/K² (chapter 7, §4).",
            _mean(divide=1)),
    Mistake("divided_by_S2",
            "δ is divided by S², the stride squared; the mean is over the window's K² cells, "
            "which differs from S² when windows overlap or leave gaps (chapter 7, §4 and §7).",
            _mean(divide="S")),
    Mistake("assign_not_add",
            "with overlapping windows a cell lies in several windows and receives a share from "
            "each: add (+=) — = keeps only the last window's share (chapter 7, §7).",
            _mean(add=False)),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch07.implement_max",
        name="my_max_pool_backward",
        signature="my_max_pool_backward(dout, x, kernel_size, stride)",
        returns=("dx",),
        shapes={"dx": "the shape of x"},
        cases=lambda rng: _pool_cases(rng, with_x=True),
        reference=_max_reference,
        mistakes=MAX_MISTAKES,
        question="Write max pooling's backward pass: dout = δ (N, C, O_h, O_w), x (N, C, H, W), "
                 "int window side K (kernel_size) and stride S (windows may overlap), no padding, "
                 "floor sizes; a tie goes to the first maximum of the window in row-major order. "
                 "Return dx = ∂E/∂x.",
        hint="each window's δ goes to the cell that held its maximum (np.argmax gives the first), "
             "and cells shared by overlapping windows add up (chapter 7, §1, §2 and §7)",
        solution=source(my_max_pool_backward),
        numerical=_max_numerical,
        seed=71,
    ),
    Implementation(
        key="ch07.implement_mean",
        name="my_avg_pool_backward",
        signature="my_avg_pool_backward(dout, x_shape, kernel_size, stride)",
        returns=("dx",),
        shapes={"dx": "x_shape"},
        cases=lambda rng: _pool_cases(rng, with_x=False),
        reference=_mean_reference,
        mistakes=MEAN_MISTAKES,
        question="Write mean (average) pooling's backward pass: dout = δ (N, C, O_h, O_w), the "
                 "input's shape x_shape = (N, C, H, W), int window side K and stride S (windows "
                 "may overlap), no padding, floor sizes. Return dx = ∂E/∂x.",
        hint="the window's output is (1/K²)·Σ of its K² cells; overlapping windows add "
             "(chapter 7, §4 and §7)",
        solution=source(my_avg_pool_backward),
        numerical=_mean_numerical,
        seed=72,
    ),
]
