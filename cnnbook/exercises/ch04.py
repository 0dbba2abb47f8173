"""Chapter 4 — The convolution layer, backward (stride 1): ∂E/∂x, ∂E/∂W, ∂E/∂b, f′.

Exercises 3–5 share one setting, printed in the chapter's exercise cell: a 5×5 input
a^(l−1) = relu(net^(l−1)) with a net that is not binary, a 3×3 kernel that is not symmetric
(rot180(W) ≠ W, Wᵀ ≠ W) and the sensitivity map δ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] the
chapter calls ``D3`` — so that every classic slip (no rot180, one ring of padding, ⊙ x
instead of ⊙ relu′(net)) gives another array. The checks compute every expected value with
``cnnbook.conv2d_backward``.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb
from cnnbook import derivation as dv

from ._core import Exercise, close, number, same_array, whole

__all__ = ["EXERCISES"]

# The exercise cell defines the same arrays as NET_EX, W_EX, D3 (and X_EX = relu(NET_EX)).
NET_EX = np.array([[2.0, -1.0, 0.5, 3.0, -2.0],
                   [-1.0, 1.5, 2.0, -0.5, 1.0],
                   [0.5, -2.0, 3.0, 1.0, -1.0],
                   [1.0, 2.0, -1.0, 2.5, 0.5],
                   [-3.0, 1.0, 1.5, -1.0, 2.0]])
W_EX = np.array([[1.0, 0.0, 2.0],
                 [0.0, 1.0, 3.0],
                 [-1.0, 0.0, 1.0]])
D3 = np.arange(1.0, 10.0).reshape(3, 3)


def _setting():
    """The input, kernel and δ as NCHW arrays, and the net below the input."""
    x = cb.relu(NET_EX)
    return x[None, None], W_EX[None, None], D3, NET_EX


def _backward():
    x, w, D, _ = _setting()
    dx, dw, db = cb.conv2d_backward(D[None, None], x, w)
    return dx[0, 0], dw[0, 0], float(db[0])


def _dx_with(kernel, rings=2):
    """δ padded with ``rings`` zeros, correlated with ``kernel`` — the chapter's route."""
    return cb.correlate2d(cb.pad2d(D3, rings), kernel)


# --- q1 -------------------------------------------------------------------------------

def _test_q1(answer):
    value = whole(answer)
    if value is None:
        return "Count the windows: a whole number"
    counts = cb.participation_counts((6, 6), (3, 3))
    if value == counts[1, 2]:
        return True
    if value == 3 * 3:
        return "Only a pixel at least K − 1 rows and columns away from every edge is read by " \
               "all K² windows"
    if value == counts[0, 1]:
        return "That counts for x[0, 1]: the indices are 0-based"
    if value == counts[2, 1]:
        return "Rows and columns are swapped: x[1, 2] is row 1, column 2"
    return False


# --- q2 -------------------------------------------------------------------------------

def _one_based_terms(i, j):
    """Seed 001's ∂E/∂i_ij (4×4 input, 2×2 filter) as 1-based (δ index, h index) pairs."""
    up = lambda idx: (int(idx[0]) + 1, int(idx[1]) + 1)
    return sorted((up(d), up(h)) for d, h in dv.input_gradient_terms((4, 4), (2, 2))[i - 1, j - 1])


def _pairs(answer):
    """The answer as sorted ((int, int), (int, int)) pairs, or None."""
    try:
        given = []
        for d, h in answer:
            d, h = tuple(whole(v) for v in d), tuple(whole(v) for v in h)
            if len(d) != 2 or len(h) != 2 or None in d + h:
                return None
            given.append((d, h))
    except (TypeError, ValueError):
        return None
    return sorted(given)


def _test_q2(answer):
    given = _pairs(answer)
    if given is None:
        return "Give a list of pairs of 1-based index pairs, e.g. [((1, 2), (2, 2)), ...]"
    expected = _one_based_terms(2, 3)
    if given == expected:
        return True
    if len(given) != len(expected):
        return "The number of terms is off: count the windows that read i_23"
    if sorted((h, d) for d, h in given) == expected:
        return "Each pair is (δ index, h index): the δ index comes first"
    if sorted(d for d, _ in given) == sorted(d for d, _ in expected):
        if sorted((d, (3 - h[0], 3 - h[1])) for d, h in given) == expected:
            return "The δ indices are right, the weights are turned by 180°: the window at " \
                   "(r, c) puts the weight at i_23's offset inside that window on it"
        return "The δ indices are right; check which weight h each of those windows puts on i_23"
    if sorted(((d[0] - 1, d[1] - 1), (h[0] - 1, h[1] - 1)) for d, h in given) == \
            _one_based_terms(1, 2):
        return "Count from 1, as the seed does"
    return False


# --- q3 -------------------------------------------------------------------------------

def _test_q3(answer):
    dx, _, _ = _backward()
    if np.shape(answer) == (3, 3) and same_array(answer, _dx_with(cb.rot180(W_EX), rings=1)):
        return "That pads δ with one ring of zeros; a K×K kernel needs K − 1 rings, so that the " \
               "result has the input's size"
    if np.shape(answer) != dx.shape:
        return "∂E/∂a^(l−1) has the input's shape, 5×5"
    if same_array(answer, dx):
        return True
    if same_array(answer, _dx_with(W_EX)):
        return "That correlates with W itself; the full convolution turns the kernel: rot180(W)"
    if same_array(answer, np.asarray(dx).T):
        return "That is the transpose: rows and columns are swapped somewhere"
    if same_array(answer, _dx_with(W_EX.T)):
        return "That uses Wᵀ; turning by 180° reverses the rows and the columns, it is not a " \
               "transpose"
    return False


# --- q4 -------------------------------------------------------------------------------

def _test_q4(answer):
    _, dw, db = _backward()
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "Give a pair (dW, db)"
    dW_given, db_given = answer
    if np.shape(dW_given) != dw.shape:
        return "dW has the kernel's shape, 3×3"
    if number(db_given) is None:
        return "db is one number"
    right_w, right_b = same_array(dW_given, dw), close(db_given, db)
    if right_w and right_b:
        return True
    if not right_b and close(db_given, db / D3.size):
        return "db is the mean of δ; the bias is in every output, so its gradient adds them all"
    if not right_w and same_array(dW_given, cb.correlate2d(cb.relu(NET_EX), cb.rot180(D3))):
        return "dW turns δ by 180°: that is a convolution; ∂E/∂W = x ⋆ δ, no turn"
    if not right_w and same_array(dW_given, cb.correlate2d(NET_EX, D3)):
        return "That correlates net^(l−1) with δ; the layer's input is a^(l−1) = relu(net^(l−1))"
    if right_w:
        return "dW is right, db is not"
    if right_b:
        return "db is right, dW is not"
    return "Neither dW nor db is right"


# --- q5 -------------------------------------------------------------------------------

def _test_q5(answer):
    x, w, D, net = _setting()
    dx, _, _ = cb.conv2d_backward(D[None, None], x, w)
    expected = cb.relu_backward(dx, net[None, None])[0, 0]
    if np.shape(answer) != expected.shape:
        return "δ^(l−1) has the input's shape, 5×5"
    if same_array(answer, expected):
        return True
    if same_array(answer, dx[0, 0]):
        return "That is ∂E/∂a^(l−1); δ^(l−1) = ∂E/∂a^(l−1) ⊙ f′(net^(l−1)) still needs the " \
               "ReLU's derivative"
    if same_array(answer, dx[0, 0] * cb.relu(NET_EX)):
        return "That multiplies by relu(net) = a^(l−1), the activation; the factor is its " \
               "derivative relu′(net), which is 0 or 1"
    if same_array(answer, _dx_with(W_EX) * cb.relu_derivative(NET_EX)):
        return "The ReLU factor is right, but ∂E/∂a^(l−1) needs rot180(W)"
    return False


def _q3_by_hand():
    return _dx_with(cb.rot180(W_EX))


def _q5_by_hand():
    return _q3_by_hand() * cb.relu_derivative(NET_EX)


EXERCISES = [
    Exercise(
        key="ch04.q1",
        question=r"A 6×6 input, a 3×3 kernel, stride 1, no padding. How many terms does "
                 r"$\partial E/\partial x$ have at the pixel `x[1, 2]` (0-based)? Count the "
                 r"windows that read it; do not call `dv` until you have an answer.",
        test=_test_q1,
        hint="a term for every window (output position) whose K×K footprint covers the pixel; "
             "count the window rows and the window columns separately (§4)",
        solution="The output is 4×4; window (u, v) reads rows u … u + 2 and columns v … v + 2. "
                 "Row 1 is read by window rows u = 0, 1 (2 of them), column 2 by window columns "
                 "v = 0, 1, 2 (3 of them): 2 · 3 = 6 terms "
                 "(cb.participation_counts((6, 6), (3, 3))[1, 2]).",
        answer=6,
        wrong=9,
    ),
    Exercise(
        key="ch04.q2",
        question=r"Write out seed 001's $\partial E/\partial i_{23}$ (4×4 input, 2×2 filter, "
                 r"1-based as in the seed) as a list of `(δ index, h index)` pairs, e.g. "
                 r"`[((1, 2), (2, 2)), ...]`, in any order.",
        test=_test_q2,
        hint="one term per window that covers i_23; in each, the weight is the kernel entry that "
             "lands on i_23 — at i_23's offset inside that window (§2)",
        solution="∂E/∂i_23 = δ_12 h_22 + δ_13 h_21 + δ_22 h_12 + δ_23 h_11, i.e. "
                 "[((1, 2), (2, 2)), ((1, 3), (2, 1)), ((2, 2), (1, 2)), ((2, 3), (1, 1))] "
                 "— the window at (r, c) puts its weight h_(2−r+1, 3−c+1) on i_23.",
        answer=[((r, c), (2 - r + 1, 3 - c + 1)) for r in (1, 2) for c in (2, 3)],
        wrong=[((r, c), (r, c - 1)) for r in (1, 2) for c in (2, 3)],
    ),
    Exercise(
        key="ch04.q3",
        question="The 5×5 input `X_ex = cb.relu(net_ex)`, the 3×3 kernel `W_ex` (not symmetric) and "
                 "the sensitivity map `D3` (δ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]) defined below; "
                 "stride 1, no padding. Compute $\\partial E/\\partial a^{(l-1)}$ (a 5×5 array) "
                 "with `cb.pad2d`, `cb.rot180` and `cb.correlate2d` — not with "
                 "`cb.conv2d_backward`, which the check uses.",
        test=_test_q3,
        hint="the pattern of §5: pad δ with zeros so that every window appears, then correlate "
             "with the kernel as each input pixel meets it",
        solution="dX = cb.correlate2d(cb.pad2d(D3, 2), cb.rot180(W_ex)) — the full convolution of "
                 "δ with W; the padded δ is 7×7 and a 3×3 kernel leaves 5×5.",
        answer=_q3_by_hand(),
        wrong=_dx_with(W_EX),
    ),
    Exercise(
        key="ch04.q4",
        question="Same setting. Give the weight gradient and the bias gradient as a pair "
                 "`(dW, db)`: `dW` a 3×3 array, `db` a number.",
        test=_test_q4,
        hint="each weight w_mn multiplies one input pixel in every window; the bias is in every "
             "output (§6)",
        solution="dW = cb.correlate2d(X_ex, D3) (valid: 5 − 3 + 1 = 3×3), and db = D3.sum() = 45, "
                 "because the bias enters every one of the 9 outputs with weight 1.",
        answer=(cb.correlate2d(cb.relu(NET_EX), D3), float(D3.sum())),
        wrong=(cb.correlate2d(cb.relu(NET_EX), D3), float(D3.mean())),
    ),
    Exercise(
        key="ch04.q5",
        question=r"In the same setting the input was produced by a ReLU, "
                 r"$a^{(l-1)} = \mathrm{relu}(\mathrm{net}^{(l-1)})$ with `net_ex` below. Compute "
                 r"the previous layer's sensitivity map $\delta^{(l-1)}$ (5×5). Use your answer to "
                 r"exercise 3 and the ReLU's derivative.",
        test=_test_q5,
        hint="δ is always ∂E/∂net: δ^(l−1) = ∂E/∂a^(l−1) ⊙ f′(net^(l−1)) (§7)",
        solution="delta_prev = dX * cb.relu_derivative(net_ex), with dX from exercise 3 "
                 "(equivalently cb.relu_backward(dX, net_ex)): ∂E/∂a^(l−1) is kept where "
                 "net > 0 and set to 0 where net ≤ 0.",
        answer=_q5_by_hand(),
        wrong=_q3_by_hand() * cb.relu(NET_EX),
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


def _single_numerical(delta, x, w):
    """dx, dW, db by central differences of ⟨δ, x ⋆ w + b⟩."""
    net = lambda x, w, b: cb.correlate2d(x, w) + b
    return (cb.numerical_gradient(lambda v: net(v, w, 0.0), x, delta),
            cb.numerical_gradient(lambda v: net(x, v, 0.0), w, delta),
            float(cb.numerical_gradient(lambda v: net(x, w, v), np.zeros(()), delta)))


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
        numerical=_single_numerical,
        seed=4,
    ),
]
