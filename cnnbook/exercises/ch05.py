"""Chapter 5 — Stride S > 1: expanding δ, the size L − F + 2P + 1, seed 001's ``zp`` and update.

Every expected value is computed with ``cnnbook.conv2d_backward`` (or ``output_size`` and the
stride explorer's pure state function) on ``cnnbook.examples`` inputs or fixed seeds.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb

from ._core import Exercise, close, same_array

__all__ = ["EXERCISES"]


def _whole(answer):
    value = float(answer)
    return int(value) if value.is_integer() else None


# --- q1 -------------------------------------------------------------------------------

def _test_q1(answer):
    if close(answer, cb.output_size(8, 3, 1, 0), rtol=0, atol=0.01):
        return True
    O = cb.output_size(8, 3, 3, 0)
    if close(answer, (O - 1) * 3 + 1, rtol=0, atol=0.01):
        return "That is (O − 1)S + 1, the smallest map the O×O δ fits in — too small here"
    if close(answer, O, rtol=0, atol=0.01):
        return "That is the stride-3 output size O, the size of δ before the expansion"
    return False


# --- q2 -------------------------------------------------------------------------------

def _test_q2(answer):
    from cnnbook.widgets import stride_state            # loaded only when a check needs it
    expected = stride_state(8, 2, 3, 1)["uncovered"]
    given = sorted(int(i) for i in np.atleast_1d(answer))
    if given == expected:
        return True
    if given == [i + 1 for i in expected] or given == [i + 1 for i in expected] + [8 + 2 * 1 - 1]:
        return "Those are padded positions; subtract P to get input rows"
    return False


# --- q3 -------------------------------------------------------------------------------

def _seed004():
    ex = cb.examples.seed004_image()
    return ex["x"], ex["w"]


def _test_q3(answer):
    x4, w4 = _seed004()
    expected = cb.conv2d_backward(np.ones((1, 1, 3, 3)), x4, w4, stride=2, padding=1)[0][0, 0]
    if np.shape(answer) != expected.shape:
        return "δ^(l−1) has the input's size, 5×5"
    if same_array(answer, expected):
        return True
    if same_array(answer, _q3_unexpanded()):
        return "That skips the expansion: the stride-2 δ first gets zeros at the skipped positions"
    return False


def _q3_by_hand():
    x4, w4 = _seed004()
    L, F, S, P = 5, 3, 2, 1
    expanded = cb.expand_sensitivity(np.ones((3, 3)), S, L - F + 2 * P + 1)
    full = cb.correlate2d(cb.pad2d(expanded, F - 1), cb.rot180(w4[0, 0]))
    return cb.crop2d(full, P)


def _q3_unexpanded():
    """A typical slip: pad and correlate the 3×3 δ as it is, without expanding it."""
    _, w4 = _seed004()
    return cb.correlate2d(cb.pad2d(np.ones((3, 3)), 3 - 1), cb.rot180(w4[0, 0]))


# --- q4 -------------------------------------------------------------------------------

def _test_q4(answer):
    if isinstance(answer, bool):
        return "Give a number of rows"
    cut = _whole(answer)
    if cut is None:
        return "Rows come in whole numbers"
    k4 = np.array([[1.0, -2.0], [3.0, 1.0]])
    d4 = np.random.default_rng(4).integers(-3, 4, size=(8, 8)).astype(float)  # expanded δ, 8×8
    want = cb.conv2d_backward(d4[None, None], np.zeros((1, 1, 5, 5)), k4[None, None], 1, 2)[0][0, 0]
    if cut < 0:
        return "A negative cut would be padding; give the number of rows to remove"
    if cut >= 4:
        return "Cut between 0 and 3 rows from each side of the 8×8 map"
    got = cb.correlate2d(cb.crop2d(d4, cut), cb.rot180(k4))
    return got.shape == want.shape and bool(np.allclose(got, want))


# --- q5 -------------------------------------------------------------------------------

def _seed001_dw():
    ex = cb.examples.seed001_stride2()
    _, dw, _ = cb.conv2d_backward(ex["delta"], ex["x"], ex["w"], stride=ex["stride"],
                                  padding=ex["padding"])
    return dw, ex["w"], ex["lr"]


def _test_q5(answer):
    dw, w, lr = _seed001_dw()
    expected = dw[1, 0, 0, 0]
    if close(answer, expected):
        return True
    if close(answer, lr * expected):
        return "That is the change of the weight, lr · ∂E/∂W; divide by the learning rate"
    if close(answer, -expected):
        return "Check the sign: the weight went down, and W_new = W − lr · ∂E/∂W"
    return False


EXERCISES = [
    Exercise(
        key="ch05.q1",
        question="A layer has $L = 8$, $F = 3$, $S = 3$, $P = 0$. How many rows does the expanded "
                 "δ have — the size you must pass to `cb.expand_sensitivity`?",
        test=_test_q1,
        hint="expand to the size the layer would have at stride 1, not to (O − 1)S + 1",
        solution="The stride-1 output has L − F + 2P + 1 = 8 − 3 + 0 + 1 = 6 rows, and that is "
                 "the size of the expanded δ. (O = ⌊5/3⌋ + 1 = 2, so (O − 1)S + 1 = 4 would drop "
                 "the last two rows — positions the stride-3 layer skipped — and the full "
                 "correlation with the 3×3 kernel would then give 4 + 3 − 1 = 6 rows instead of "
                 "the input's 8.)",
        answer=8 - 3 + 2 * 0 + 1,
        wrong=(((8 - 3 + 2 * 0) // 3 + 1) - 1) * 3 + 1,
    ),
    Exercise(
        key="ch05.q2",
        question="$L = 8$, $F = 2$, $S = 3$, $P = 1$. Which input rows (0-based, a list) get zero "
                 "gradient whatever δ is, because no window covers them?",
        test=_test_q2,
        hint="windows start at 0, S, 2S, … in padded coordinates, and input row i sits at P + i",
        solution="The padded input has 10 rows (0 … 9). O = ⌊(8 − 2 + 2)/3⌋ + 1 = 3 windows cover "
                 "padded rows 0–1, 3–4 and 6–7; padded rows 2, 5, 8 and 9 are never read. "
                 "Subtract P = 1 and drop the padding row 9: input rows [1, 4, 7].",
        answer=[p - 1 for p in (2, 5, 8)],
        wrong=[2, 5, 8],
    ),
    Exercise(
        key="ch05.q3",
        question="Using only `cb.expand_sensitivity`, `cb.pad2d`, `cb.rot180`, `cb.correlate2d` "
                 "and `cb.crop2d`, compute $\\delta^{(l-1)}$ (5×5) for seed 004's 5×5 image and "
                 "kernel `W` at $S = 2$, $P = 1$ when δ is a 3×3 map of ones. (The image's values "
                 "do not matter, only its size.)",
        test=_test_q3,
        hint="expand to L − F + 2P + 1, pad F − 1, correlate with rot180(W), crop P",
        solution="M = 5 − 3 + 2 + 1 = 5; e = cb.expand_sensitivity(np.ones((3, 3)), 2, 5) puts "
                 "the ones at even rows and columns; full = cb.correlate2d(cb.pad2d(e, 2), "
                 "cb.rot180(W)) is 7×7 (the padded input's size); cb.crop2d(full, 1) removes the "
                 "padding's share and leaves the 5×5 δ^(l−1).",
        answer=_q3_by_hand(),
        wrong=_q3_unexpanded(),
    ),
    Exercise(
        key="ch05.q4",
        question="$L = 5$, $F = 2$, $S = 1$, $P = 2$: seed 001's $zp = F - 1 - P$ is negative. How "
                 "many rows and columns must be cut from **each side** of the expanded δ so that "
                 "correlating what is left with rot180(W) gives $\\delta^{(l-1)}$ directly?",
        test=_test_q4,
        hint="padding F − 1 and then cropping P is the same as padding F − 1 − P",
        solution="Padding F − 1 = 1 ring and cropping P = 2 rings of the result is a net crop of "
                 "P − (F − 1) = −zp = 1 ring: the 8×8 expanded δ, cut by 1 on each side, is 6×6, "
                 "and correlating it with the 2×2 rot180(W) gives the 5×5 δ^(l−1). Answer: 1.",
        answer=2 - (2 - 1),
        wrong=2,
    ),
    Exercise(
        key="ch05.q5",
        question="Seed 001 prints the updated weight of filter 2 (our filter 1), channel 0, row 0, "
                 "column 0 as `0.998`; the weight was 1 and the learning rate 0.001. What was "
                 "$\\partial E/\\partial W$ there? Then check your number against one entry of "
                 "`dw1`.",
        test=_test_q5,
        hint="W_new = W − lr · ∂E/∂W; solve for ∂E/∂W",
        solution="∂E/∂W = (W − W_new)/lr = (1 − 0.998)/0.001 = 2, which is dw1[1, 0, 0, 0].",
        answer=(1 - 0.998) / 0.001,
        wrong=1 - 0.998,
    ),
]


# --- ch05.implement: expanding δ ----------------------------------------------------------

from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._routes import _expand                                                # noqa: E402
from ._solutions import my_expand_sensitivity, source                       # noqa: E402

# (L, K, S, P): exact divisions first, then remainders (L − K + 2P not divisible by S),
# padding, K = 1 and S = 1; then random ones.
_EXPAND_SETTINGS = [(5, 3, 2, 0), (7, 3, 2, 0), (6, 3, 2, 0), (8, 3, 3, 0), (5, 3, 2, 1),
                    (6, 2, 2, 1), (9, 3, 3, 1), (7, 2, 3, 0), (8, 4, 3, 2), (6, 1, 2, 0),
                    (5, 3, 1, 1), (10, 3, 4, 1)]


def _expand_cases(rng):
    settings = list(_EXPAND_SETTINGS)
    while len(settings) < 24:
        K = int(rng.integers(1, 5))
        P = int(rng.integers(0, min(K, 3)))
        settings.append((int(rng.integers(max(K, 3), 13)), K, int(rng.integers(2, 5)), P))
    cases = []
    for L, K, S, P in settings:
        O = cb.output_size(L, K, S, P)
        delta = rng.integers(1, 10, size=(O, O)) * rng.choice([-1.0, 1.0], size=(O, O))
        cases.append(Case(describe(delta=delta, input_size=L, kernel_size=K, stride=S, padding=P),
                          (delta, L, K, S, P)))
    return cases


def _expand_reference(delta, input_size, kernel_size, stride, padding):
    size = input_size - kernel_size + 2 * padding + 1
    return cb.expand_sensitivity(delta, stride, (size, size))


def _expand_by(how, size=lambda L, K, P: L - K + 2 * P + 1):
    def wrong(delta, input_size, kernel_size, stride, padding):
        n = size(input_size, kernel_size, padding)
        return _expand(delta, stride, (n, n), how)
    return wrong


EXPAND_MISTAKES = (
    Mistake("smallest_size",
            "the map is (O − 1)S + 1 wide, the smallest one δ fits in; it must be L − K + 2P + 1 "
            "(the stride-1 output's side): when S does not divide L − K + 2P the last rows stay "
            "as zeros (chapter 5, §3).",
            _expand_by("smallest")),
    Mistake("O_times_S",
            "the map is O·S wide; the stride-1 output has L − K + 2P + 1 rows — O·S is too "
            "large when S divides L − K + 2P and can be wrong otherwise (chapter 5, §3).",
            _expand_by("times")),
    Mistake("not_expanded",
            "δ came back as it was: a stride-S layer skipped positions, and the expanded map puts "
            "them back as zeros, δ[i, j] at (i·S, j·S) (chapter 5, §1).",
            _expand_by("none")),
    Mistake("blocks",
            "δ[i, j] is copied into a whole S×S block; the positions the stride skipped get "
            "zeros, and δ[i, j] goes to (i·S, j·S) only (chapter 5, §1).",
            _expand_by("blocks")),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch05.implement",
        name="my_expand_sensitivity",
        signature="my_expand_sensitivity(delta, input_size, kernel_size, stride, padding)",
        returns=("expanded",),
        shapes={"expanded": "L − K + 2P + 1 on each side"},
        cases=_expand_cases,
        reference=_expand_reference,
        mistakes=EXPAND_MISTAKES,
        question="Write the expansion of a stride-S sensitivity map: delta (O, O), and ints L "
                 "(input_size), K (kernel_size), S (stride), P (padding) of a square layer; return "
                 "the stride-1 map of side L − K + 2P + 1 holding delta[i, j] at (i·S, j·S) and "
                 "zeros elsewhere.",
        hint="the stride-1 output has L − K + 2P + 1 rows; a stride-S layer kept every S-th of "
             "them, starting at 0 (chapter 5, §1 and §3)",
        solution=source(my_expand_sensitivity),
        seed=5,
    ),
]
