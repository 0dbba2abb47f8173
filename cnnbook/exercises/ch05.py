"""Chapter 5 — Stride S > 1: expanding δ, the size L − K + 2P + 1, seed 001's ``zp`` and update.

Every expected value is computed with ``cnnbook.conv2d_backward`` (or ``output_size`` and the
stride explorer's pure state function). The sizes are chosen so that every classic slip gives
another answer: (L − K + 2P) leaves a remainder that is neither 0 nor S − 1 (so (O − 1)S + 1,
O·S and L − K + 2P + 1 all differ), P ≠ (K − 1)/2, the kernel is not symmetric and δ has
distinct entries.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb

from ._core import Exercise, close, number, same_array, whole, whole_numbers

__all__ = ["EXERCISES"]

# Exercise 3's layer: the exercise cell defines the same W_s and D_s.
Q3 = dict(L=6, K=4, S=3, P=1)
W_S = np.array([[1.0, 0.0, -1.0, 2.0],
                [0.0, 2.0, 1.0, 0.0],
                [3.0, 1.0, 0.0, 1.0],
                [2.0, 0.0, 1.0, -1.0]])
D_S = np.array([[2.0, -1.0], [1.0, 3.0]])


# --- q1: L = 11, K = 4, S = 4, P = 1 -----------------------------------------------------

_Q1 = dict(L=11, K=4, S=4, P=1)


def _test_q1(answer):
    L, K, S, P = (_Q1[k] for k in "LKSP")
    value = whole(answer)
    if value is None:
        return "A number of rows is a whole number"
    O = cb.output_size(L, K, S, P)
    if value == L - K + 2 * P + 1:
        return True
    if value == (O - 1) * S + 1:
        return "That is (O − 1)S + 1, the smallest map the O×O δ fits in — too small here"
    if value == O * S:
        return "That is O·S; the stride-1 output the expansion rebuilds has another size"
    if value == O:
        return "That is the stride-S output size O, the size of δ before the expansion"
    if value == L - K + 1:
        return "That leaves out the padding: the stride-1 output of the padded input"
    if value == L:
        return "That is the input's size L; the expanded δ has the stride-1 output's size"
    return False


# --- q2 -------------------------------------------------------------------------------

def _test_q2(answer):
    from cnnbook.widgets import stride_state            # loaded only when a check needs it
    expected = stride_state(8, 2, 3, 1)["uncovered"]
    given = None if isinstance(answer, (str, bytes)) else whole_numbers(np.atleast_1d(answer))
    if given is None:
        return "Give a list of whole numbers, the 0-based input rows"
    given = sorted(given)
    if given == expected:
        return True
    if not given:
        return "Some rows are read by no window: draw the windows in padded coordinates"
    if given == [i + 1 for i in expected] or given == [i + 1 for i in expected] + [8 + 2 * 1 - 1]:
        return "Those are padded positions; subtract P to get input rows"
    return False


# --- q3 -------------------------------------------------------------------------------

def _q3_route(size="full", ring="K-1", crop=True, flip=True, expand=True):
    L, K, S, P = (Q3[k] for k in "LKSP")
    if not expand:
        e = D_S
    elif size == "full":
        e = cb.expand_sensitivity(D_S, S, L - K + 2 * P + 1)
    else:
        e = cb.expand_sensitivity(D_S, S)
    rings = K - 1 if ring == "K-1" else P
    out = cb.correlate2d(cb.pad2d(e, rings), cb.rot180(W_S) if flip else W_S)
    return cb.crop2d(out, P) if crop else out


def _test_q3(answer):
    L, K, S, P = (Q3[k] for k in "LKSP")
    expected = cb.conv2d_backward(D_S[None, None], np.zeros((1, 1, L, L)), W_S[None, None],
                                  stride=S, padding=P)[0][0, 0]
    shape = np.shape(answer)
    slips = [
        (_q3_route(size="smallest"), "That expands δ to (O − 1)S + 1; the expanded map has the "
                                     "stride-1 output's size, L − K + 2P + 1"),
        (_q3_route(expand=False), "That skips the expansion: the stride-S δ first gets zeros "
                                  "at the skipped positions"),
        (_q3_route(ring="P", crop=False), "That pads the expanded δ by P and does not crop; pad "
                                          "K − 1, correlate, then crop P"),
        (_q3_route(crop=False), "That is ∂E/∂ of the padded input: crop P rings"),
        (_q3_route(flip=False), "That correlates with W itself; the full convolution needs "
                                "rot180(W)"),
        (expected.T, "That is the transpose: rows and columns are swapped somewhere"),
    ]
    for wrong, why in slips:
        if np.shape(wrong) == shape and same_array(answer, wrong) \
                and not same_array(wrong, expected):
            return why
    if shape != expected.shape:
        return f"δ^(l−1) has the input's size, {L}×{L}"
    return True if same_array(answer, expected) else False


# --- q4: L = 5, K = 2, S = 1, P = 3: zp = K − 1 − P = −2 --------------------------------

def _test_q4(answer):
    if isinstance(answer, (bool, np.bool_)):
        return "Give a number of rows"
    cut = whole(answer)
    if cut is None:
        return "Rows come in whole numbers"
    K, P = 2, 3
    k4 = np.array([[1.0, -2.0], [3.0, 1.0]])
    size = 5 - K + 2 * P + 1                                            # the expanded δ: 10×10
    d4 = np.random.default_rng(4).integers(-3, 4, size=(size, size)).astype(float)
    want = cb.conv2d_backward(d4[None, None], np.zeros((1, 1, 5, 5)), k4[None, None], 1, P)[0][0, 0]
    if cut < 0:
        return "A negative cut would be padding; give the number of rows to remove"
    if cut == K - 1:
        return "That is K − 1, the rings the full correlation adds; the padding P takes some away"
    if cut == P:
        return "Cropping P alone forgets the K − 1 rings the full correlation adds first"
    if 2 * cut >= size:
        return f"Cut fewer rows: the expanded δ has only {size}"
    got = cb.correlate2d(cb.crop2d(d4, cut), cb.rot180(k4))
    return got.shape == want.shape and bool(np.allclose(got, want))


# --- q5 -------------------------------------------------------------------------------

def _seed001_dw():
    ex = cb.examples.seed001_stride2()
    _, dw, _ = cb.conv2d_backward(ex["delta"], ex["x"], ex["w"], stride=ex["stride"],
                                  padding=ex["padding"])
    return dw, ex["w"], ex["lr"]


def _test_q5(answer):
    if number(answer) is None:
        return "Give one number"
    dw, w, lr = _seed001_dw()
    expected = dw[1, 0, 0, 0]
    if close(answer, expected):
        return True
    if close(answer, lr * expected):
        return "That is the change of the weight, lr · ∂E/∂W; the gradient is larger by 1/lr"
    if close(answer, -expected):
        return "Check the sign: the weight went down, and gradient descent steps against the " \
               "gradient"
    if close(answer, 0.998):
        return "That is the new weight; the question asks for the gradient that moved it"
    return False


EXERCISES = [
    Exercise(
        key="ch05.q1",
        question="A layer has $L = 11$, $K = 4$, $S = 4$, $P = 1$. How many rows does the "
                 "expanded δ have — the size you must pass to `cb.expand_sensitivity`?",
        test=_test_q1,
        hint="the expanded δ is the sensitivity map the layer would have at stride 1 (§3), not "
             "the smallest map the stride-S δ fits in",
        solution="The stride-1 output has L − K + 2P + 1 = 11 − 4 + 2 + 1 = 10 rows, and that is "
                 "the size of the expanded δ. (O = ⌊9/4⌋ + 1 = 3, so (O − 1)S + 1 = 9 would drop "
                 "the last row — a position the stride-4 layer skipped — and O·S = 12 is too "
                 "many.)",
        answer=11 - 4 + 2 * 1 + 1,
        wrong=((11 - 4 + 2) // 4) * 4 + 1,
    ),
    Exercise(
        key="ch05.q2",
        question="$L = 8$, $K = 2$, $S = 3$, $P = 1$. Which input rows (0-based, a list) get zero "
                 "gradient whatever δ is, because no window covers them?",
        test=_test_q2,
        hint="windows start at 0, S, 2S, … in padded coordinates, and input row i sits at "
             "padded row P + i (§1)",
        solution="The padded input has 10 rows (0 … 9). O = ⌊(8 − 2 + 2)/3⌋ + 1 = 3 windows cover "
                 "padded rows 0–1, 3–4 and 6–7; padded rows 2, 5, 8 and 9 are never read. "
                 "Subtract P = 1 and drop the padding row 9: input rows [1, 4, 7].",
        answer=[p - 1 for p in (2, 5, 8)],
        wrong=[2, 5, 8],
    ),
    Exercise(
        key="ch05.q3",
        question="A layer with $L = 6$, a 4×4 kernel `W_s` ($K = 4$), $S = 3$, $P = 1$ receives "
                 "the 2×2 sensitivity map `D_s` (both below). Using only "
                 "`cb.expand_sensitivity`, `cb.pad2d`, `cb.rot180`, `cb.correlate2d` and "
                 "`cb.crop2d`, compute $\\partial E/\\partial a^{(l-1)}$ (6×6).",
        test=_test_q3,
        hint="the four steps of §2–§4: expand to the stride-1 size, pad, correlate with the "
             "kernel as each input meets it, remove the padding's share",
        solution="M = 6 − 4 + 2 + 1 = 5; e = cb.expand_sensitivity(D_s, 3, 5) puts D_s at rows "
                 "and columns 0 and 3; full = cb.correlate2d(cb.pad2d(e, 3), cb.rot180(W_s)) is "
                 "8×8 (the padded input's size); cb.crop2d(full, 1) removes the padding's share "
                 "and leaves the 6×6 ∂E/∂a^(l−1).",
        answer=_q3_route(),
        wrong=_q3_route(size="smallest"),
    ),
    Exercise(
        key="ch05.q4",
        question="$L = 5$, $K = 2$, $S = 1$, $P = 3$: seed 001's $zp = K - 1 - P$ is negative. How "
                 "many rows and columns must be cut from **each side** of the expanded δ so that "
                 "correlating what is left with rot180(W) gives $\\partial E/\\partial a^{(l-1)}$ "
                 "directly?",
        test=_test_q4,
        hint="padding by some rings and then cropping others is the same as padding by the "
             "difference (§4)",
        solution="Padding K − 1 = 1 ring and cropping P = 3 rings of the result is a net crop of "
                 "P − (K − 1) = −zp = 2 rings: the 10×10 expanded δ, cut by 2 on each side, is "
                 "6×6, and correlating it with the 2×2 rot180(W) gives the 5×5 result. Answer: 2.",
        answer=3 - (2 - 1),
        wrong=2 - 1,
    ),
    Exercise(
        key="ch05.q5",
        question="Seed 001 prints the updated weight of filter 2 (our filter 1), channel 0, row 0, "
                 "column 0 as `0.998`; the weight was 1 and the learning rate 0.001. What was "
                 "$\\partial E/\\partial W$ there? Then check your number against one entry of "
                 "`dw1`.",
        test=_test_q5,
        hint="one step of gradient descent moves every weight against its gradient, scaled by "
             "the learning rate (§5)",
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
