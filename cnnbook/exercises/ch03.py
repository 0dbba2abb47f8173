"""Chapter 3 — The convolution layer, forward: output size, the kernel flip, seed 001's test."""
from __future__ import annotations

import numpy as np

import cnnbook as cb

from ._core import Exercise, close

__all__ = ["EXERCISES"]

# Section 2's asymmetric kernel (the chapter's W_asym); the question prints it.
_W_ASYM = np.array([[1.0, 2.0], [0.0, -1.0]])


def _uncovered(n, kernel, stride, padding):
    from cnnbook.widgets import output_size_state      # loaded only when a check needs it
    return output_size_state(n, kernel, stride, padding)["uncovered"]


# --- q1 -------------------------------------------------------------------------------

def _test_q1(answer):
    if close(answer, cb.output_size(227, 11, 4, 0), rtol=0, atol=0.01):
        return True
    if close(answer, (227 - 11) / 4, rtol=0, atol=0.01):
        return "That is (L − F)/S; one more window stands at position 0"
    return False


# --- q2 -------------------------------------------------------------------------------

def _test_q2(answer):
    expected = _uncovered(10, 4, 3, 1)
    given = sorted(int(i) for i in np.atleast_1d(answer))
    if given == expected:
        return True
    if given == [i + 1 for i in expected]:
        return "Off by one: input indices count from 0, and index i sits at padded position P + i"
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


def _test_q4(answer):
    x, w, S, P = _seed001()
    # channel 1 alone through filter 1: the channel-1 term at every output, no bias
    term = cb.conv2d(x[:, 1:2], w[1:2, 1:2], stride=S, padding=P)[0, 0]
    if close(answer, term[2, 2], rtol=0, atol=1e-9):
        return True
    if close(answer, cb.conv2d(x, w, np.zeros(2), stride=S, padding=P)[0, 1, 2, 2],
             rtol=0, atol=1e-9):
        return "That is the sum over all three channels; only channel d = 1 is asked for"
    if close(answer, term[1, 1], rtol=0, atol=1e-9):
        return "That is the window of output (1, 1); with stride S the window of output (i, j) " \
               "starts at padded row iS, column jS"
    return False


def _q4_by_hand():
    x, w, S, P = _seed001()
    x_pad = cb.pad2d(x[0], P)
    return float(np.sum(w[1, 1] * x_pad[1, 2 * S:2 * S + 3, 2 * S:2 * S + 3]))


def _q4_without_stride():
    """A typical slip: the window of output (2, 2) taken at rows 2 … 4, as if S were 1."""
    x, w, S, P = _seed001()
    return float(np.sum(w[1, 1] * cb.pad2d(x[0], P)[1, 2:5, 2:5]))


EXERCISES = [
    Exercise(
        key="ch03.q1",
        question=r"AlexNet's first layer reads a $227\times227$ image with $11\times 11$ kernels, "
                 r"stride 4 and no padding. What is its output size $O$ (one number)?",
        test=_test_q1,
        hint="O = ⌊(L − F + 2P)/S⌋ + 1",
        solution="O = ⌊(227 − 11 + 0)/4⌋ + 1 = ⌊216/4⌋ + 1 = 54 + 1 = 55 (cb.output_size(227, 11, 4)).",
        answer=(227 - 11 + 2 * 0) // 4 + 1,
        wrong=(227 - 11 + 2 * 0) // 4,
    ),
    Exercise(
        key="ch03.q2",
        question="Input size $L = 10$, kernel $F = 4$, stride $S = 3$, padding $P = 1$. Which "
                 "input indices (0-based, a list) does **no** window read? (Draw the windows on "
                 "paper first; then you may check with "
                 "`widgets.OutputSizeExplorer(n=10, kernel=4, stride=3, padding=1).show()`.)",
        test=_test_q2,
        hint="windows start at 0, S, 2S, … in padded coordinates, and input index i sits at P + i",
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
        hint="convolution turns its kernel by 180° before sliding it",
        solution="x * V = x ⋆ rot180(V), so V must satisfy rot180(V) = W_asym: "
                 "V = rot180(W_asym) = [[-1, 0], [2, 1]] (cb.rot180(W_asym)).",
        answer=cb.rot180(_W_ASYM),
        wrong=_W_ASYM.T,
    ),
    Exercise(
        key="ch03.q4",
        question=r"In seed 001's example (section 5), $\mathrm{net}[1, 2, 2]$ (filter 1, "
                 r"bottom-right output) is a sum of three channel terms plus the bias. What is the "
                 r"term of channel $d = 1$, $\sum_{m,n} W[1, 1, m, n]\, x_{\text{pad}}[1, 2S + m, "
                 r"2S + n]$? Work it out from `x1_pad` and `w1`.",
        test=_test_q4,
        hint="the window of output (2, 2) covers padded rows and columns 2S … 2S + 2",
        solution="With S = 2 the window is x1_pad[1, 4:7, 4:7]; multiply it entry by entry with "
                 "w1[1, 1] and add: np.sum(w1[1, 1] * x1_pad[1, 4:7, 4:7]) = -1.",
        answer=_q4_by_hand(),
        wrong=_q4_without_stride(),
    ),
]
