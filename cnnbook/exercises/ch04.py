"""Chapter 4 — The convolution layer, backward (stride 1): ∂E/∂x, ∂E/∂W, ∂E/∂b, f′.

Exercises 3–5 use seed 004's 5×5 image and "X" kernel (``cnnbook.examples.seed004_image()``)
and the sensitivity map δ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] the chapter calls ``D3``;
the checks compute every expected value with ``cnnbook.conv2d_backward``.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb
from cnnbook import derivation as dv

from ._core import Exercise, close, same_array

__all__ = ["EXERCISES"]


def _setting():
    """Seed 004's image and kernel (NCHW), the chapter's D3 and the net below the input."""
    ex = cb.examples.seed004_image()
    x4, w4 = ex["x"], ex["w"]
    D3 = np.arange(1.0, 10.0).reshape(3, 3)
    net_below = np.where(x4[0, 0] > 0, x4[0, 0], -1.0)     # a net whose ReLU is the image
    return x4, w4, D3, net_below


def _backward():
    x4, w4, D3, _ = _setting()
    dx, dw, db = cb.conv2d_backward(D3[None, None], x4, w4)
    return dx[0, 0], dw[0, 0], float(db[0])


# --- q1 -------------------------------------------------------------------------------

def _test_q1(answer):
    expected = cb.participation_counts((6, 6), (3, 3))[1, 2]
    if close(answer, expected, rtol=0, atol=0.01):
        return True
    if close(answer, 3 * 3, rtol=0, atol=0.01):
        return "Only a pixel at least 2 rows and columns away from every edge is read by all 9 windows"
    return False


# --- q2 -------------------------------------------------------------------------------

def _one_based_terms(i, j):
    """Seed 001's ∂E/∂i_ij (4×4 input, 2×2 filter) as 1-based (δ index, h index) pairs."""
    up = lambda idx: (int(idx[0]) + 1, int(idx[1]) + 1)
    return sorted((up(d), up(h)) for d, h in dv.input_gradient_terms((4, 4), (2, 2))[i - 1, j - 1])


def _test_q2(answer):
    expected = _one_based_terms(2, 3)
    given = sorted((tuple(int(v) for v in d), tuple(int(v) for v in h)) for d, h in answer)
    if given == expected:
        return True
    if len(given) != len(expected):
        return "The number of terms is off: count the windows that read i_23"
    if sorted(d for d, _ in given) == sorted(d for d, _ in expected):
        return "The δ indices are right; check which weight h each of those windows puts on i_23"
    if sorted((h, d) for d, h in given) == expected:
        return "Each pair is (δ index, h index): the δ index comes first"
    return False


# --- q3 -------------------------------------------------------------------------------

def _test_q3(answer):
    dx, _, _ = _backward()
    if np.shape(answer) != dx.shape:
        return "∂E/∂x has the input's shape, 5×5"
    return same_array(answer, dx)


def _q3_by_hand():
    x4, w4, D3, _ = _setting()
    return cb.correlate2d(cb.pad2d(D3, 3 - 1), cb.rot180(w4[0, 0]))


def _q3_one_ring():
    """A typical slip: δ padded with one ring instead of k − 1 = 2 (gives 3×3)."""
    _, w4, D3, _ = _setting()
    return cb.correlate2d(cb.pad2d(D3, 1), cb.rot180(w4[0, 0]))


# --- q4 -------------------------------------------------------------------------------

def _test_q4(answer):
    _, dw, db = _backward()
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "Give a pair (dW, db)"
    dW_given, db_given = answer
    if np.shape(dW_given) != dw.shape:
        return "dW has the kernel's shape, 3×3"
    right_w, right_b = same_array(dW_given, dw), close(db_given, db)
    if right_w and right_b:
        return True
    if right_w:
        return "dW is right, db is not"
    if right_b:
        return "db is right, dW is not"
    return "Neither dW nor db is right"


def _q4_by_hand():
    x4, _, D3, _ = _setting()
    return cb.correlate2d(x4[0, 0], D3), float(D3.sum())


# --- q5 -------------------------------------------------------------------------------

def _test_q5(answer):
    x4, w4, D3, net_below = _setting()
    dx, _, _ = cb.conv2d_backward(D3[None, None], x4, w4)
    expected = cb.relu_backward(dx, net_below[None, None])[0, 0]
    if np.shape(answer) != expected.shape:
        return "δ^(l−1) has the input's shape, 5×5"
    if same_array(answer, expected):
        return True
    if same_array(answer, dx[0, 0]):
        return "That is ∂E/∂x; the ReLU between net^(l−1) and x still has to be passed"
    return False


def _q5_by_hand():
    _, _, _, net_below = _setting()
    return _q3_by_hand() * cb.relu_derivative(net_below)


EXERCISES = [
    Exercise(
        key="ch04.q1",
        question=r"A 6×6 input, a 3×3 kernel, stride 1, no padding. How many terms does "
                 r"$\partial E/\partial x$ have at the pixel `x[1, 2]` (0-based)? Count the "
                 r"windows that read it; do not call `dv` until you have an answer.",
        test=_test_q1,
        hint="count the rows r with 0 ≤ 1 − r < 3 and the columns c with 0 ≤ 2 − c < 3, then "
             "multiply",
        solution="The output is 4×4; window (r, c) reads rows r … r + 2 and columns c … c + 2. "
                 "Row 1 is read by window rows r = 0, 1 (2 of them), column 2 by window columns "
                 "c = 0, 1, 2 (3 of them): 2 · 3 = 6 terms "
                 "(cb.participation_counts((6, 6), (3, 3))[1, 2]).",
        answer=len([r for r in range(4) if 0 <= 1 - r < 3]) * len([c for c in range(4)
                                                                   if 0 <= 2 - c < 3]),
        wrong=9,
    ),
    Exercise(
        key="ch04.q2",
        question=r"Write out seed 001's $\partial E/\partial i_{23}$ (4×4 input, 2×2 filter, "
                 r"1-based as in the seed) as a list of `(δ index, h index)` pairs, e.g. "
                 r"`[((1, 2), (2, 2)), ...]`, in any order.",
        test=_test_q2,
        hint="i_23 is read by the windows (r, c) with r in {1, 2} and c in {2, 3}; the weight is "
             "h_(i−r+1, j−c+1)",
        solution="∂E/∂i_23 = δ_12 h_22 + δ_13 h_21 + δ_22 h_12 + δ_23 h_11, i.e. "
                 "[((1, 2), (2, 2)), ((1, 3), (2, 1)), ((2, 2), (1, 2)), ((2, 3), (1, 1))] "
                 "— the window at (r, c) puts its weight h_(2−r+1, 3−c+1) on i_23.",
        answer=[((r, c), (2 - r + 1, 3 - c + 1)) for r in (1, 2) for c in (2, 3)],
        wrong=[((r, c), (r, c - 1)) for r in (1, 2) for c in (2, 3)],
    ),
    Exercise(
        key="ch04.q3",
        question="Seed 004's 5×5 image `X4 = x4[0, 0]` and \"X\" kernel `W4 = w4[0, 0]` "
                 r"(section 4), stride 1, and the sensitivity map `D3` below "
                 r"(δ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]). Compute $\partial E/\partial x$ (a 5×5 "
                 r"array) with `cb.pad2d`, `cb.rot180` and `cb.correlate2d` — not with "
                 r"`cb.conv2d_backward`, which the check uses.",
        test=_test_q3,
        hint="pad δ with k − 1 = 2 rings of zeros, then correlate with rot180(W)",
        solution="dX = cb.correlate2d(cb.pad2d(D3, 2), cb.rot180(W4)) — the full convolution of δ "
                 "with W; the padded δ is 7×7 and a 3×3 kernel leaves 5×5. (The \"X\" kernel is "
                 "symmetric, so rot180 changes nothing here, but write it: it matters for any "
                 "other kernel.)",
        answer=_q3_by_hand(),
        wrong=_q3_one_ring(),
    ),
    Exercise(
        key="ch04.q4",
        question="Same setting. Give the weight gradient and the bias gradient as a pair "
                 "`(dW, db)`: `dW` a 3×3 array, `db` a number.",
        test=_test_q4,
        hint="∂E/∂W = x ⋆ δ, the input correlated with δ (valid); the bias is in every output, so "
             "∂E/∂b adds up all of δ",
        solution="dW = cb.correlate2d(X4, D3) (valid: 5 − 3 + 1 = 3×3), and db = D3.sum() = 45, "
                 "because the bias enters every one of the 9 outputs with weight 1.",
        answer=_q4_by_hand(),
        wrong=(_q4_by_hand()[0], _q4_by_hand()[1] / 9),     # the mean of δ, not its sum
    ),
    Exercise(
        key="ch04.q5",
        question=r"In the same setting, the 5×5 input was produced by a ReLU, "
                 r"$x = \mathrm{relu}(\mathrm{net}^{l-1})$, with `net_below` below. Compute the "
                 r"previous layer's error term $\delta^{l-1}$ (5×5). Use your answer to exercise 3 "
                 r"(or the formula) and the ReLU derivative.",
        test=_test_q5,
        hint="δ^(l−1) = ∂E/∂x ⊙ relu′(net^(l−1)), and relu′ is 0 where net ≤ 0",
        solution="delta_prev = dX * cb.relu_derivative(net_below), with dX from exercise 3 "
                 "(equivalently cb.relu_backward(dX, net_below)): ∂E/∂x is kept where the "
                 "image is 1 (net = 1 > 0) and set to 0 where it is 0 (net = −1).",
        answer=_q5_by_hand(),
        wrong=_q3_by_hand(),
    ),
]


# --- ch04.implement: one map, one kernel, stride 1 ----------------------------------------

from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._routes import conv_route                                             # noqa: E402
from ._solutions import my_conv_backward_single, source                     # noqa: E402

# (H, W, KH, KW): square first, then non-square maps and kernels, 1×1 and 1×K kernels.
_SINGLE_SETTINGS = [(4, 4, 2, 2), (5, 5, 3, 3), (5, 4, 2, 2), (4, 6, 2, 3), (6, 5, 3, 2),
                    (3, 3, 1, 1), (5, 7, 1, 3), (6, 6, 4, 4), (7, 5, 3, 3), (8, 6, 4, 2)]


def _single_cases(rng):
    settings = list(_SINGLE_SETTINGS)
    while len(settings) < 22:
        KH, KW = (int(k) for k in rng.integers(1, 5, size=2))
        settings.append((int(rng.integers(KH, 9)), int(rng.integers(KW, 9)), KH, KW))
    cases = []
    for H, W, KH, KW in settings:
        x = rng.normal(size=(H, W))
        w = rng.normal(size=(KH, KW))
        delta = rng.normal(size=(H - KH + 1, W - KW + 1))
        cases.append(Case(describe(delta=delta, x=x, w=w), (delta, x, w)))
    return cases


def _single_reference(delta, x, w):
    dx, dw, db = cb.conv2d_backward(delta[None, None], x[None, None], w[None, None])
    return dx[0, 0], dw[0, 0], float(db[0])


def _single(**switches):
    def wrong(delta, x, w):
        dx, dw, db = conv_route(delta[None, None], x[None, None], w[None, None], **switches)
        return dx[0, 0], dw[0, 0], float(np.sum(db))
    return wrong


def _single_db_mean(delta, x, w):
    dx, dw, _ = _single_reference(delta, x, w)
    return dx, dw, float(delta.mean())


SINGLE_MISTAKES = (
    Mistake("no_rot180",
            "δ is correlated with W itself, but every input pixel meets the kernel turned by "
            "180°: pad δ with K − 1 zeros and correlate with rot180(W) (chapter 4, §5).",
            _single(flip=False)),
    Mistake("pad_one",
            "δ is padded with one ring of zeros instead of K − 1 (chapter 4, §5).",
            _single(ring="one")),
    Mistake("no_padding",
            "δ is not padded at all: the border pixels sit in fewer windows, and the zeros of "
            "a K − 1 padding stand for the windows that do not exist (chapter 4, §5).",
            _single(ring="P")),
    Mistake("dw_convolution",
            "dW turns δ by 180° — that is a convolution; ∂E/∂W = x ⋆ δ, the input "
            "cross-correlated with δ, no flip (chapter 4, §6).",
            _single(dw_flip=True)),
    Mistake("db_mean",
            "db is the mean of δ: the bias enters every output with weight 1, so "
            "∂E/∂b = Σ δ_uv, the sum (chapter 4, §6).",
            _single_db_mean),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch04.implement",
        name="my_conv_backward_single",
        signature="my_conv_backward_single(delta, x, w)",
        returns=("dx", "dw", "db"),
        numbers=("db",),
        shapes={"dx": "the shape of x", "dw": "the shape of w"},
        cases=_single_cases,
        reference=_single_reference,
        mistakes=SINGLE_MISTAKES,
        question="Write the backward pass of net = x ⋆ w + b for one map x (H, W) and one kernel "
                 "w (KH, KW), stride 1, no padding: given delta = δ = ∂E/∂net of shape "
                 "(H − KH + 1, W − KW + 1), return (dx, dw, db) = (∂E/∂x, ∂E/∂W, ∂E/∂b), db a "
                 "float.",
        hint="every output net_uv adds δ_uv·w to the window it read (dx) and δ_uv·window to dW; "
             "the bias is in every output (chapter 4, §5 and §6)",
        solution=source(my_conv_backward_single),
        seed=4,
    ),
]
