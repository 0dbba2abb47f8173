"""Chapter 12 — transposed convolution, output_padding, dilation, the checkerboard.

Every expected value is computed with ``cnnbook`` (``conv_transpose2d``, ``conv2d_backward``,
``conv2d`` with ``dilation``) inside the check; the data are chosen so that each classic
mistake gives a different answer from the right one (``CLASSIC_MISTAKES`` lists them, and
``tests/test_exercises_ch12.py`` feeds each one to its check).
"""
from __future__ import annotations

import numbers

import numpy as np

import cnnbook as cb

from ._core import Exercise, same_array

__all__ = ["EXERCISES", "CLASSIC_MISTAKES"]


def _integer(answer):
    """``answer`` as an int if it is a whole number (3 or 3.0), else None; bools and strings
    are not numbers."""
    if isinstance(answer, (bool, np.bool_, str, bytes)):
        return None
    if isinstance(answer, numbers.Integral):
        return int(answer)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def _ones(L, K, S, P, output_padding=0, dilation=1):
    """Participation counts of a transposed convolution: ones scattered with a kernel of ones."""
    return cb.conv_transpose2d(np.ones((1, 1, L, L)), np.ones((1, 1, K, K)), stride=S,
                               padding=P, output_padding=output_padding,
                               dilation=dilation)[0, 0]


# --- q1: the output side of a transposed convolution ----------------------------------
Q1 = dict(L=4, K=5, S=3, P=2, output_padding=1)


def _q1_expected():
    L, K, S, P, OP = Q1["L"], Q1["K"], Q1["S"], Q1["P"], Q1["output_padding"]
    return _ones(L, K, S, P, OP).shape[0]


def _test_q1(answer):
    n = _integer(answer)
    if n is None:
        return "A side is a whole number of cells"
    if n == _q1_expected():
        return True
    L, K, S, P, OP = Q1["L"], Q1["K"], Q1["S"], Q1["P"], Q1["output_padding"]
    if n == (L - 1) * S - 2 * P + K:
        return "That leaves out output_padding, the rows added at the bottom and right"
    if n == (L - 1) * S - P + K + OP:
        return "Padding is cropped from both sides of the canvas"
    if n == (L - 1) * S + K + OP or n == (L - 1) * S + K:
        return "Padding P removes rings from the scattered canvas"
    if n == L * S:
        return "L·S is only right for special kernels; count where the last patch ends"
    if n == (L + 2 * P - K) // S + 1:
        return "That is the forward convolution's size; a transposed convolution goes the other way"
    return False


# --- q2: output_padding = chapter 5's remainder ---------------------------------------
Q2 = dict(L=12, K=4, S=4, P=1)


def _test_q2(answer):
    n = _integer(answer)
    if n is None:
        return "output_padding is a whole number of rows"
    L, K, S, P = Q2["L"], Q2["K"], Q2["S"], Q2["P"]
    O = cb.output_size(L, K, S, P)
    delta, w = np.ones((1, 1, O, O)), np.ones((1, 1, K, K))
    if not 0 <= n < S:
        return "output_padding must be smaller than the stride (it picks one of S input sizes)"
    if cb.conv_transpose2d(delta, w, stride=S, padding=P, output_padding=n).shape[-1] == L:
        return True
    if n == S - 1:
        return "Not always S − 1: it is what the floor of the output size dropped"
    if n == (L - K) % S:
        return "Count the padding too: the floor acts on L − K + 2P"
    if n == (L - K + P) % S:
        return "Padding is added on both sides: 2P"
    return False


# --- q3: the output side of a dilated convolution --------------------------------------
Q3 = dict(L=10, K=3, D=3, S=2, P=1)


def _test_q3(answer):
    n = _integer(answer)
    if n is None:
        return "A side is a whole number of cells"
    L, K, D, S, P = Q3["L"], Q3["K"], Q3["D"], Q3["S"], Q3["P"]
    expected = cb.conv2d(np.zeros((1, 1, L, L)), np.zeros((1, 1, K, K)), stride=S, padding=P,
                         dilation=D).shape[-1]
    if n == expected:
        return True
    if n == (L + 2 * P - K) // S + 1:
        return "That ignores the dilation: the kernel spans R(K − 1) + 1 cells"
    if n == (L + 2 * P - D * K) // S + 1:
        return "A dilated kernel spans R(K − 1) + 1 cells, not R·K"
    if n == (L + 2 * P - D * (K - 1) - 1) / S + 1 or n == -(-(L + 2 * P - D * (K - 1) - 1) // S) + 1:
        return "Sizes use the floor"
    return False


# --- q4: receptive field of a dilated stack ----------------------------------------------
Q4 = dict(K=3, dilations=(1, 2, 4))


def _q4_expected():
    """Measured with the backward pass: a one-hot δ sent down the stack."""
    K, dilations = Q4["K"], Q4["dilations"]
    L = 1 + sum(d * (K - 1) for d in dilations) + 8
    maps = [np.ones((1, 1, L, L))]
    for d in dilations:
        maps.append(cb.conv2d(maps[-1], np.ones((1, 1, K, K)), dilation=d))
    delta = np.zeros(maps[-1].shape)
    delta[..., 0, 0] = 1.0
    for d, a in zip(reversed(dilations), reversed(maps[:-1])):
        delta = cb.conv2d_backward(delta, a, np.ones((1, 1, K, K)), 1, 0, dilation=d)[0]
    return int(np.any(delta[0, 0] != 0, axis=0).sum())


def _test_q4(answer):
    n = _integer(answer)
    if n is None:
        return "Give the width in whole pixels"
    if n == _q4_expected():
        return True
    K, dilations = Q4["K"], Q4["dilations"]
    if n == 1 + len(dilations) * (K - 1):
        return "That is the stack without dilation; each layer widens the field by R(K − 1)"
    if n == sum(d * (K - 1) + 1 for d in dilations):
        return "Spans do not add: consecutive layers share one pixel at each edge"
    if n == 1 + (K - 1) * dilations[-1] or n == (K - 1) * dilations[-1] + 1:
        return "Every layer of the stack widens the field, not only the last"
    return False


# --- q5: the checkerboard, from participation counts ------------------------------------
Q5 = dict(K=5, S=3)


def _q5_expected():
    K, S = Q5["K"], Q5["S"]
    counts = _ones(12, K, S, 0)
    inner = counts[2 * K:-2 * K, 2 * K:-2 * K]
    return int(inner.max()), int(inner.min())


def _test_q5(answer):
    try:
        pair = tuple(answer)
    except TypeError:
        return "Give a pair (largest, smallest)"
    if len(pair) != 2:
        return "Give a pair (largest, smallest)"
    values = tuple(_integer(v) for v in pair)
    if None in values:
        return "Counts are whole numbers"
    expected = _q5_expected()
    if values == expected:
        return True
    if values == expected[::-1]:
        return "The largest first, then the smallest"
    if values == (int(np.sqrt(expected[0])), int(np.sqrt(expected[1]))):
        return "Those are the counts along one axis; a cell is reached along both"
    if values[0] == values[1]:
        return "S does not divide K here, so the counts are not all equal"
    return False


# --- q6: dx of a strided, padded convolution with one transposed convolution -------------
Q6_DELTA = np.array([[1.0, -1.0, 2.0], [0.0, 3.0, 1.0], [-2.0, 1.0, 1.0]])
Q6_W = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [2.0, 0.0, 1.0]])
Q6 = dict(L=6, K=3, S=2, P=1)


def _q6_expected():
    L, S, P = Q6["L"], Q6["S"], Q6["P"]
    return cb.conv2d_backward(Q6_DELTA[None, None], np.zeros((1, 1, L, L)), Q6_W[None, None],
                              S, P)[0][0, 0]


def _q6_variant(output_padding=1, padding=1, flip=False):
    w = Q6_W[::-1, ::-1] if flip else Q6_W
    return cb.conv_transpose2d(Q6_DELTA[None, None], w[None, None], stride=Q6["S"],
                               padding=padding, output_padding=output_padding)[0, 0]


def _test_q6(answer):
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return "Give a 6×6 array of numbers"
    if a.shape == (5, 5) and same_array(a, _q6_variant(output_padding=0)):
        return "One row and one column short: the floor dropped input rows, output_padding puts them back"
    if any(same_array(a, _q6_variant(padding=0, output_padding=op)) for op in (0, 1)):
        return "Pass the convolution's padding to the transposed convolution: it crops P rings"
    if a.shape != (6, 6):
        return f"∂E/∂x has the input's shape, 6×6 (got {a.shape})"
    if same_array(a, _q6_expected()):
        return True
    if same_array(a, _q6_variant(flip=True)):
        return "conv_transpose2d takes the convolution's kernel as it is; the flip is built in"
    return False


EXERCISES = [
    Exercise(
        key="ch12.q1",
        question="A `ConvTranspose2d` layer has $K = 5$, $S = 3$, $P = 2$ and output_padding 1. "
                 "What is the side of its output for a 4×4 input?",
        test=_test_q1,
        hint="scatter the patches on a canvas, crop P from each side, add output_padding (§2)",
        solution="O_t = (L − 1)S − 2P + K + output_padding = 3·3 − 4 + 5 + 1 = 11.",
        answer=11,
        wrong=10,
    ),
    Exercise(
        key="ch12.q2",
        question="A convolution has $L = 12$, $K = 4$, $S = 4$, $P = 1$. Which output_padding makes "
                 "`cb.conv_transpose2d` return its 12×12 dx?",
        test=_test_q2,
        hint="output_padding is what the floor of chapter 3's output size dropped (§2)",
        solution="(L − K + 2P) mod S = (12 − 4 + 2) mod 4 = 10 mod 4 = 2. Check: O = ⌊10/4⌋ + 1 = 3 "
                 "and (3 − 1)·4 − 2 + 4 + 2 = 12.",
        answer=2,
        wrong=3,
    ),
    Exercise(
        key="ch12.q3",
        question="$L = 10$, $K = 3$, dilation 3, $S = 2$, $P = 1$: the output side $O$ of the dilated "
                 "convolution?",
        test=_test_q3,
        hint="a dilated kernel is an ordinary kernel with holes: put its span in the output-size formula of the forward convolution (§5)",
        solution="The kernel spans R(K − 1) + 1 = 7 cells: O = ⌊(10 + 2 − 7)/2⌋ + 1 = ⌊2.5⌋ + 1 = 3.",
        answer=3,
        wrong=5,
    ),
    Exercise(
        key="ch12.q4",
        question="Three 3×3 convolutions, stride 1, with dilations 1, 2 and 4. How wide is the "
                 "receptive field of one output cell of the third layer?",
        test=_test_q4,
        hint="each layer widens the field by its kernel's span minus one (§5)",
        solution="1 + (3 − 1)(1 + 2 + 4) = 15 pixels (measured in §5 by sending a one-hot δ down the "
                 "stack).",
        answer=15,
        wrong=7,
    ),
    Exercise(
        key="ch12.q5",
        question="A transposed convolution with $K = 5$, $S = 3$ upsamples a large map. Far from the "
                 "border, the largest and the smallest participation counts, as a pair?",
        test=_test_q5,
        hint="along one axis count the taps m with m ≡ r (mod S); a cell is reached along both axes (§4)",
        solution="Taps 0…4 mod 3 fall in the classes 0, 1, 2, 0, 1: two, two and one per phase. A cell "
                 "gets the product of its row's and its column's: largest 2·2 = 4, smallest 1·1 = 1.",
        answer=(4, 1),
        wrong=(2, 1),
    ),
    Exercise(
        key="ch12.q6",
        question="A convolution with $L = 6$, $K = 3$, $S = 2$, $P = 1$ receives `delta_q6` and has "
                 "kernel `w_q6`. Compute ∂E/∂x (6×6) with one call of `cb.conv_transpose2d`.",
        test=_test_q6,
        hint="∂E/∂x of a strided convolution is a transposed convolution with the same kernel, stride "
             "and padding, and chapter 5's remainder as output_padding (§2)",
        solution="cb.conv_transpose2d(delta_q6[None, None], w_q6[None, None], stride=2, padding=1, "
                 "output_padding=1)[0, 0]: O = 3, (6 − 3 + 2) mod 2 = 1.",
        answer=_q6_expected(),
        wrong=_q6_variant(output_padding=0),
    ),
]

#: For each exercise, classic wrong answers and a fragment of the hint each one must get.
CLASSIC_MISTAKES = {
    "ch12.q1": [(10, "output_padding"), (13, "both sides"), (14, "removes rings"),
                (12, "L·S"), (2, "forward convolution"), (10.7, "whole number")],
    "ch12.q2": [(3, "S − 1"), (0, "padding too"), (1, "both sides"), (4, "smaller than the stride"),
                (0.5, "whole number")],
    "ch12.q3": [(5, "ignores the dilation"), (2, "not R·K"), (4, "floor"), (3.5, "whole number")],
    "ch12.q4": [(7, "without dilation"), (17, "share one pixel"), (9, "not only the last"),
                (15.5, "whole pixels")],
    "ch12.q5": [((1, 4), "largest first"), ((2, 1), "along one axis"), ((3, 3), "not all equal"),
                (4, "pair")],
    "ch12.q6": [("flip", "flip is built in"), ("no_op", "output_padding puts them back"),
                ("no_pad", "crops P rings"), (np.zeros((5, 6)), "input's shape")],
}


def classic_answer(key, answer):
    """The concrete wrong answer a ``CLASSIC_MISTAKES`` entry stands for (arrays by name)."""
    if key == "ch12.q6" and isinstance(answer, str):
        return {"flip": _q6_variant(flip=True), "no_op": _q6_variant(output_padding=0),
                "no_pad": _q6_variant(padding=0, output_padding=1)}[answer]
    return answer


# --- ch12.implement: the transposed convolution of one map, by scattering ------------------

from ._implement import Case, Implementation, Mistake, describe             # noqa: E402


def conv_transpose_single(x, w, stride):
    H, W = x.shape
    KH, KW = w.shape
    y = np.zeros(((H - 1) * stride + KH, (W - 1) * stride + KW))
    for i in range(H):                              # every input cell …
        for j in range(W):
            top, left = i * stride, j * stride      # … paints x[i, j]·W onto its window
            y[top:top + KH, left:left + KW] += x[i, j] * w
    return y


# (H, W, KH, KW, S): S dividing K, S not dividing K (the checkerboard), S = K (tiles),
# S > K (gaps), K = 1, non-square maps and kernels, a single row; then random ones.
_TRANSPOSE_SETTINGS = [(3, 3, 3, 3, 2), (2, 2, 4, 4, 2), (3, 4, 2, 3, 1), (4, 3, 2, 2, 2),
                       (3, 3, 2, 2, 3), (2, 5, 3, 2, 2), (1, 4, 3, 3, 2), (4, 1, 2, 3, 3),
                       (3, 3, 1, 1, 2), (2, 3, 3, 5, 4), (5, 4, 3, 2, 1), (3, 2, 4, 3, 3)]


def _transpose_cases(rng):
    settings = list(_TRANSPOSE_SETTINGS)
    while len(settings) < 24:
        settings.append(tuple(int(v) for v in (rng.integers(1, 6), rng.integers(1, 6),
                                                rng.integers(1, 5), rng.integers(1, 5),
                                                rng.integers(1, 5))))
    cases = []
    for H, W, KH, KW, S in settings:       # two decimals, never whole: no sum looks like a size
        x = np.round(rng.uniform(0.1, 3.0, size=(H, W)), 2) * rng.choice([-1.0, 1.0], size=(H, W))
        w = np.round(rng.uniform(0.1, 3.0, size=(KH, KW)), 2) * rng.choice([-1.0, 1.0], size=(KH, KW))
        cases.append(Case(describe(x=x, w=w, stride=S), (x, w, S)))
    return cases


def _transpose_reference(x, w, stride):
    return cb.conv_transpose2d(x[None, None], w[None, None], stride=stride)[0, 0]


def _scatter(x, w, stride, *, flip=False, assign=False, step=None, size=None):
    """The scatter with one switch thrown: each is a classic mistake."""
    k = w[::-1, ::-1] if flip else w
    S = stride if step is None else step
    H, W = x.shape
    KH, KW = w.shape
    shape = ((H - 1) * S + KH, (W - 1) * S + KW) if size is None else size(H, W, KH, KW, stride)
    y = np.zeros(shape)
    for i in range(H):
        for j in range(W):
            patch = y[i * S:i * S + KH, j * S:j * S + KW]
            value = x[i, j] * k[:patch.shape[0], :patch.shape[1]]
            if assign:
                patch[...] = value
            else:
                patch += value
    return y


TRANSPOSE_MISTAKES = (
    Mistake("flipped_kernel",
            "each input cell painted rot180(W); the scatter lays W down as it is — the flip "
            "belongs to the gather view, where each output cell reads through the kernel "
            "backwards (chapter 12, §1).",
            lambda x, w, stride: _scatter(x, w, stride, flip=True)),
    Mistake("assign_not_add",
            "overlapping patches overwrite each other (=); every input cell's x·W adds (+=) to "
            "what the others painted — the overlaps are the participation counts (chapter 12, §1 "
            "and §4).",
            lambda x, w, stride: _scatter(x, w, stride, assign=True)),
    Mistake("stride_ignored",
            "the patches sit at (i, j), one cell apart; at stride S input cell (i, j) paints the "
            "window at (i·S, j·S), and the output is (H − 1)S + KH high (chapter 12, §2).",
            lambda x, w, stride: _scatter(x, w, stride, step=1)),
    Mistake("size_times_stride",
            "the output is H·S × W·S, the upsampling factor times the input; its side is "
            "(H − 1)S + K — the last patch starts at (H − 1)S and is K cells long (chapter 12, §2).",
            lambda x, w, stride: _scatter(x, w, stride,
                                          size=lambda H, W, KH, KW, S: (H * S, W * S))),
)

def _transpose_numerical(x, w, stride):
    """y by finite differences: y = Mᵀx is the gradient of v ↦ ⟨conv2d(v, w, S), x⟩ over v of
    y's shape (the convolution's dx), so this checks the scatter from the forward pass alone."""
    H, W = x.shape
    KH, KW = w.shape
    shape = ((H - 1) * stride + KH, (W - 1) * stride + KW)

    def E(v):
        return np.array(np.sum(cb.conv2d(v[None, None], w[None, None], stride=stride)[0, 0] * x))
    return (cb.numerical_gradient(E, np.zeros(shape)),)


IMPLEMENTATIONS = [
    Implementation(
        key="ch12.implement",
        name="conv_transpose_single",
        signature="conv_transpose_single(x, w, stride)",
        returns=("y",),
        shapes={"y": "((H − 1)·S + KH, (W − 1)·S + KW)"},
        cases=_transpose_cases,
        reference=_transpose_reference,
        mistakes=TRANSPOSE_MISTAKES,
        numerical=_transpose_numerical,
        question="Write the transposed convolution of one 2-D map by scattering: x (H, W), w "
                 "(KH, KW), an int stride S, no padding; return y of shape ((H − 1)S + KH, "
                 "(W − 1)S + KW) in which every input cell adds x[i, j]·w to the window whose "
                 "top-left corner is (i·S, j·S).",
        hint="start from zeros of the output's size and let every input cell add its x·W at "
             "(i·S, j·S); nothing is flipped (chapter 12, §1 and §2)",
        solution=__import__("inspect").getsource(conv_transpose_single),
        seed=12,
    ),
]
