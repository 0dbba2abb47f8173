"""Chapter 3 — The convolution layer, forward: output size, the kernel flip, seed 001's test."""
from __future__ import annotations

import numpy as np

import cnnbook as cb

from ._core import Exercise, close, number, whole, whole_numbers

__all__ = ["EXERCISES"]

# Section 2's asymmetric kernel (the chapter's W_asym); the question prints it.
_W_ASYM = np.array([[1.0, 2.0], [0.0, -1.0]])


def _uncovered(n, kernel, stride, padding):
    from cnnbook.widgets import output_size_state      # loaded only when a check needs it
    return output_size_state(n, kernel, stride, padding)["uncovered"]


# --- q1: ResNet's first layer (224, 7×7, stride 2, padding 3): (L − K + 2P)/S = 111.5 -----

_Q1 = dict(L=224, K=7, S=2, P=3)


def _test_q1(answer):
    L, K, S, P = _Q1["L"], _Q1["K"], _Q1["S"], _Q1["P"]
    value = whole(answer)
    if value is None:
        if number(answer) is not None:
            return "An output size is a whole number of windows: round (L − K + 2P)/S down " \
                   "before adding 1"
        return "Give one whole number"
    if value == cb.output_size(L, K, S, P):
        return True
    if value == -(-(L - K + 2 * P) // S) + 1:
        return "That rounds (L − K + 2P)/S up; a window that would stick out of the padded " \
               "input does not exist: round down"
    if value == (L - K + 2 * P) // S:
        return "That is ⌊(L − K + 2P)/S⌋, the number of steps; one more window stands at 0"
    if value == (L - K) // S + 1:
        return "That leaves out the padding: the windows slide over L + 2P positions"
    if value == (L - K + P) // S + 1:
        return "Padding adds P on both sides: 2P"
    return False


# --- q2 -------------------------------------------------------------------------------

def _test_q2(answer):
    expected = _uncovered(10, 4, 3, 1)
    given = whole_numbers(np.atleast_1d(answer)) if not isinstance(answer, (str, bytes)) else None
    if given is None:
        return "Give a list of whole numbers, the 0-based input indices"
    given = sorted(given)
    if given == expected:
        return True
    if not given:
        return "Some index is read by no window: draw the windows in padded coordinates"
    if given == [i + 1 for i in expected]:
        return "Off by one: input indices count from 0, and index i sits at padded position P + i"
    if given == [i + 1 for i in expected] + [10 + 1]:
        return "Those are padded positions; subtract P, and the padding cell is no input"
    return False


# --- q3 -------------------------------------------------------------------------------

def _test_q3(answer):
    V = np.asarray(answer, dtype=float)
    if V.shape != _W_ASYM.shape:
        return "V must be 2×2, like W_asym"
    probe = np.random.default_rng(3).normal(size=(5, 6))
    if np.allclose(cb.convolve2d(probe, V), cb.correlate2d(probe, _W_ASYM)):
        return True
    if np.allclose(V, _W_ASYM):
        return "With V = W_asym itself, convolve2d turns the kernel, so the results differ"
    if np.allclose(V, _W_ASYM.T):
        return "That is the transpose; a turn by 180° reverses the rows and the columns"
    return False


# --- q4 -------------------------------------------------------------------------------

def _seed001():
    ex = cb.examples.seed001_stride2()
    return ex["x"], ex["w"], ex["stride"], ex["padding"]


# net[q, u, v] of seed 001's test, channel c's term: chosen so that every slip below gives
# another number (the flipped kernel, the unpadded slice, all channels, the stride forgotten,
# the other filter).
_Q4 = dict(q=1, c=0, u=1, v=2)


def _q4_terms():
    x, w, S, P = _seed001()
    q, c, u, v = _Q4["q"], _Q4["c"], _Q4["u"], _Q4["v"]
    x_pad = cb.pad2d(x[0], P)
    window = x_pad[c, u * S:u * S + 3, v * S:v * S + 3]
    return {
        "right": float(np.sum(w[q, c] * window)),
        "flipped": float(np.sum(cb.rot180(w[q, c]) * window)),
        "unpadded": float(np.sum(w[q, c] * x[0, c, u * S:u * S + 3, v * S:v * S + 3])),
        "channels": float(sum(np.sum(w[q, d] * x_pad[d, u * S:u * S + 3, v * S:v * S + 3])
                              for d in range(x.shape[1]))),
        "no_stride": float(np.sum(w[q, c] * x_pad[c, u:u + 3, v:v + 3])),
        "other_filter": float(np.sum(w[1 - q, c] * window)),
    }


def _test_q4(answer):
    if number(answer) is None:
        return "Give one number"
    t = _q4_terms()
    if close(answer, t["right"], rtol=0, atol=1e-9):
        return True
    if close(answer, t["flipped"], rtol=0, atol=1e-9):
        return "That turns the kernel by 180°; conv2d is a cross-correlation: W[m, n] meets " \
               "x_pad[uS + m, vS + n]"
    if close(answer, t["unpadded"], rtol=0, atol=1e-9):
        return "That slices the unpadded x, whose window at the edge is smaller (numpy then " \
               "broadcasts it); the windows are taken in x_pad"
    if close(answer, t["channels"], rtol=0, atol=1e-9):
        return "That is the sum over all three channels; only channel c = 0 is asked for"
    if close(answer, t["no_stride"], rtol=0, atol=1e-9):
        return "That is the window of stride 1; with stride S the window of output (u, v) " \
               "starts at padded row uS, column vS"
    if close(answer, t["other_filter"], rtol=0, atol=1e-9):
        return "That is the other filter's kernel; net[1, …] uses W[1, c]"
    return False


EXERCISES = [
    Exercise(
        key="ch03.q1",
        question=r"ResNet's first layer reads a $224\times224$ image with $7\times 7$ kernels, "
                 r"stride 2 and padding 3. What is its output size $O$ (one whole number)?",
        test=_test_q1,
        hint="O counts the window positions: (L − K + 2P)/S steps that fit — a whole number — "
             "plus the window at 0 (§3, the floor)",
        solution="O = ⌊(224 − 7 + 2·3)/2⌋ + 1 = ⌊223/2⌋ + 1 = 111 + 1 = 112 "
                 "(cb.output_size(224, 7, 2, 3)); the last column of the padding is never read.",
        answer=cb.output_size(224, 7, 2, 3),
        wrong=(224 - 7 + 2 * 3) // 2,
    ),
    Exercise(
        key="ch03.q2",
        question="Input size $L = 10$, kernel $K = 4$, stride $S = 3$, padding $P = 1$. Which "
                 "input indices (0-based, a list) does **no** window read? (Draw the windows on "
                 "paper first; then you may check with "
                 "`widgets.OutputSizeExplorer(n=10, kernel=4, stride=3, padding=1).show()`.)",
        test=_test_q2,
        hint="windows start at 0, S, 2S, … in padded coordinates, and input index i sits at "
             "padded position P + i (§3)",
        solution="The padded input has 12 positions (0 … 11); O = ⌊(10 − 4 + 2)/3⌋ + 1 = 3 windows "
                 "cover padded positions 0–3, 3–6 and 6–9. Padded positions 10 and 11 are unread: "
                 "10 is input index 9, 11 is the right padding cell. Answer: [9].",
        answer=[9],
        wrong=[],
    ),
    Exercise(
        key="ch03.q3",
        question="Give a kernel `V` (a 2×2 array) such that `cb.convolve2d(a, V)` equals "
                 "`cb.correlate2d(a, W_asym)` for **every** map `a`, where `W_asym` = "
                 "`[[1, 2], [0, -1]]` is section 2's kernel.",
        test=_test_q3,
        hint="convolution turns its kernel before sliding it; which kernel, turned, gives W_asym? "
             "(§2)",
        solution="x * V = x ⋆ rot180(V), so V must satisfy rot180(V) = W_asym: "
                 "V = rot180(W_asym) = [[-1, 0], [2, 1]] (cb.rot180(W_asym)).",
        answer=cb.rot180(_W_ASYM),
        wrong=_W_ASYM.T,
    ),
    Exercise(
        key="ch03.q4",
        question=r"In seed 001's example (section 5), $\mathrm{net}[1, 1, 2]$ (filter $q = 1$, "
                 r"output row 1, column 2) is a sum of three channel terms plus the bias. What is "
                 r"the term of channel $c = 0$, $\sum_{m,n} W[1, 0, m, n]\, x_{\text{pad}}[0, "
                 r"S + m, 2S + n]$? Work it out from `x1_pad` and `w1`.",
        test=_test_q4,
        hint="the window of output (u, v) starts at padded row uS, column vS, and conv2d "
             "multiplies entry by entry without turning the kernel (§3 and §5)",
        solution="With S = 2 the window is x1_pad[0, 2:5, 4:7]; multiply it entry by entry with "
                 "w1[1, 0] and add: np.sum(w1[1, 0] * x1_pad[0, 2:5, 4:7]) = 1.",
        answer=_q4_terms()["right"],
        wrong=_q4_terms()["flipped"],
    ),
]
