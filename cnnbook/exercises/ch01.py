"""Chapter 1 — From the MLP to the CNN: counting parameters (seed 004's homework 1 and 3).

Every expected count is taken from the arrays of a ``cnnbook.nn`` module (or from
``cnnbook.conv_matrix`` and ``cnnbook.examples.lenet5_c3_table()``), never typed in.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb
from cnnbook import nn

from ._core import Exercise, whole, whole_numbers

__all__ = ["EXERCISES"]


def _n_params(layer):
    """Trainable entries (weights and biases) of a cnnbook layer."""
    return sum(p.data.size for p in layer.parameters())


def _conv(in_channels, out_channels, kernel):
    return _n_params(nn.Conv2d(in_channels, out_channels, kernel,
                               rng=np.random.default_rng(0)))


def _dense(in_features, out_features):
    return _n_params(nn.Linear(in_features, out_features, rng=np.random.default_rng(0)))


def _whole(answer):
    """The answer as a tuple of ints (raises if it is not a sequence of whole numbers)."""
    values = whole_numbers(answer)
    if values is None:
        raise ValueError("parameter counts are whole numbers")
    return values


def _count_or_hint(answer):
    """A single count as an int, or the sentence that says why the answer is not one."""
    value = whole(answer)
    if value is None:
        return None, "A number of parameters is a whole number"
    return value, None


# --- q1: a first layer on an RGB image -------------------------------------------------

def _test_q1(answer):
    value, why = _count_or_hint(answer)
    if why:
        return why
    expected = _conv(3, 64, 3)
    if value == expected:
        return True
    if value == expected - 64:
        return "That counts the weights only"
    if value == 64 * (3 * 3 + 1):
        return "Each kernel reads all 3 channels"
    if value == _conv(3, 64, 3) * 224 * 224 or value == _conv(3, 64, 3) * 32 * 32:
        return "The image size does not enter: every position shares the same kernels"
    return False


# --- q2: seed 004's matrix for a 5×5 image ---------------------------------------------

def _test_q2(answer):
    W = cb.conv_matrix(np.ones((2, 2)), (5, 5))
    values = _whole(answer)
    if len(values) != 3:
        return "Give three numbers: (rows, columns, non-zero entries)"
    rows, cols, nonzeros = values
    if (rows, cols) == W.shape[::-1] and W.shape[0] != W.shape[1]:
        return "Rows and columns are swapped: net = W x has one row per output cell"
    if (rows, cols) != W.shape:
        return "The shape is off"
    if nonzeros != np.count_nonzero(W):
        return "The shape is right, the number of non-zeros is not"
    return True


# --- q3: seed 004's homework 1 — growth with the image size ----------------------------

def _test_q3(answer):
    values = _whole(answer)
    if len(values) != 4:
        return "Give four numbers: (fc_32, conv_32, fc_64, conv_64)"
    fc_32, conv_32, fc_64, conv_64 = values
    want = (_dense(32 * 32, 100), _conv(1, 6, 5), _dense(64 * 64, 100), _conv(1, 6, 5))
    if (fc_32, conv_32, fc_64, conv_64) == want:
        return True
    if (conv_32, fc_32, conv_64, fc_64) == want:
        return "The right counts in the wrong order: give (fc_32, conv_32, fc_64, conv_64)"
    if conv_32 != conv_64:
        return "The convolution's count cannot depend on the image size: its kernels are the same"
    if fc_32 == 100 * 32 * 32 or fc_64 == 100 * 64 * 64 or conv_32 == 6 * 5 * 5:
        return "Count the biases too"
    if fc_32 == want[0] and fc_64 != want[2] and fc_64 in (2 * fc_32, 2 * fc_32 - 100):
        return "Doubling the side L does not double the number of pixels"
    return False


# --- q4: seed 004's homework 3 — LeNet-5 layer by layer -------------------------------

_LENET_WHY = {
    "C1": "C1 is off: its 6 kernels read the single input map",
    "S2": "S2 is off: a subsampling layer has one coefficient and one bias per map",
    "C3": "C3 is off: map j has one 5×5 kernel per S2 map it reads (column j of the table) "
          "and one bias",
    "S4": "S4 is off: a subsampling layer has one coefficient and one bias per map",
    "C5": "C5 is off: each of its 120 units has one 5×5 kernel on every one of the 16 S4 maps, "
          "and a bias",
    "F6": "F6 is off: it is fully connected 120 → 84, with biases",
}


def _lenet5_paper_counts():
    """Trainable parameters of LeNet-5's layers C1 … F6, as in the 1998 paper."""
    table = cb.examples.lenet5_c3_table()              # (6 S2 maps, 16 C3 maps)
    kernel = _conv(1, 1, 5) - 1                         # weights of one 5×5 kernel slice
    return {
        "C1": _conv(1, 6, 5),
        "S2": 2 * table.shape[0],                       # coefficient + bias per map
        "C3": int(np.sum(kernel * table.sum(axis=0) + 1)),
        "S4": 2 * table.shape[1],
        "C5": _conv(16, 120, 5),
        "F6": _dense(120, 84),
    }


def _test_q4(answer):
    given = _whole(answer)
    expected = _lenet5_paper_counts()
    if len(given) != len(expected):
        return f"Give {len(expected)} numbers, one per layer: C1, S2, C3, S4, C5, F6"
    for (layer, want), value in zip(expected.items(), given):
        if value != want:
            if layer == "C3" and value == 16 * (6 * 25 + 1):
                return "C3 is off: that connects every C3 map to all six S2 maps, but the " \
                       "paper's C3 follows its connection table"
            return _LENET_WHY[layer]
    return True


# --- q5: LeNet-5 without S4 -----------------------------------------------------------

def _test_q5(answer):
    value, why = _count_or_hint(answer)
    if why:
        return why
    expected = _dense(16 * 10 * 10, 120)
    if value == expected:
        return True
    if value == _conv(16, 120, 5):
        return "That is C5 behind S4; without S4 it reads C3's whole 16@10×10 output"
    if value == expected - 120:
        return "Count the 120 biases too"
    return False


EXERCISES = [
    Exercise(
        key="ch01.q1",
        question="A first layer has 64 kernels of size 3×3 on an RGB image (3 input channels), "
                 "each kernel with one bias. How many trainable parameters does it have? Does the "
                 "answer change for a 224×224 image and a 32×32 one?",
        test=_test_q1,
        hint="each kernel has one weight per (channel, row, column) — and do not forget the bias; "
             "the image size does not enter (§1, weight sharing)",
        solution="Each kernel is a (3, 3, 3) array: 27 weights, plus 1 bias = 28 parameters. "
                 "64 kernels: 64 · 28 = 1792. The count is the same for a 224×224 and a 32×32 "
                 "image: weight sharing makes it depend only on the kernel size, the number of "
                 "input channels and the number of kernels.",
        answer=64 * (3 * 3 * 3 + 1),
        wrong=64 * 3 * 3 * 3,
    ),
    Exercise(
        key="ch01.q2",
        question=r"Seed 004's matrix for a **5×5** image and a 2×2 kernel (stride 1, no "
                 r"padding). Give `(rows, columns, non-zero entries)` of the matrix $W$ with "
                 r"$\mathrm{net} = Wx$, as a tuple of three ints.",
        test=_test_q2,
        hint="one row per output cell, one column per pixel, one non-zero per kernel entry in "
             "each row (§2)",
        solution="The output is (5 − 2 + 1)² = 4×4 = 16 cells, the image has 25 pixels, so W is "
                 "16×25. Every row holds the 4 kernel entries: 16 · 4 = 64 non-zeros, i.e. "
                 "(16, 25, 64). Check: cb.conv_matrix(np.ones((2, 2)), (5, 5)).",
        answer=((5 - 2 + 1) ** 2, 5 * 5, (5 - 2 + 1) ** 2 * 2 * 2),
        wrong=(25, 16, 64),
    ),
    Exercise(
        key="ch01.q3",
        question=r"(Seed 004, homework 1.) A grey $L\times L$ image goes into a first layer that "
                 r"is either **fully connected** with 100 hidden units or **convolutional** with "
                 r"6 kernels 5×5 (stride 1, no padding); every unit and every kernel has one bias. "
                 r"Count the trainable parameters of both for $L = 32$ and for $L = 64$, and give "
                 r"them as a tuple `(fc_32, conv_32, fc_64, conv_64)`. By what factor does each "
                 r"count grow when the side doubles?",
        test=_test_q3,
        hint="a fully connected unit has one weight per pixel plus a bias; a kernel has one "
             "weight per kernel entry plus a bias, wherever it is applied (§4)",
        solution="Fully connected: 100 · (L² + 1), i.e. 100 · 1025 = 102,500 for L = 32 and "
                 "100 · 4097 = 409,700 for L = 64 — it grows with L², about 4 times per doubling "
                 "of the side. Convolution: 6 · (5 · 5 + 1) = 156 for both sizes — it does not "
                 "grow at all, because its 6 kernels are shared by every position of the image. "
                 "Answer: (102500, 156, 409700, 156).",
        answer=(100 * (32 * 32 + 1), 6 * (5 * 5 + 1), 100 * (64 * 64 + 1), 6 * (5 * 5 + 1)),
        wrong=(100 * 32 * 32, 6 * 5 * 5, 100 * 64 * 64, 6 * 5 * 5),
    ),
    Exercise(
        key="ch01.q4",
        question="(Seed 004, homework 3.) Count LeNet-5's trainable parameters layer by layer, as "
                 "in the 1998 paper (trainable subsampling in S2 and S4, C3 connected by "
                 "`cb.examples.lenet5_c3_table()`), from the layer table of section 5 — before "
                 "you look at its printout. Give a list of six ints `[C1, S2, C3, S4, C5, F6]`.",
        test=_test_q4,
        hint="a convolution has one 5×5 kernel per input map it reads, and one bias, for each "
             "output map; a subsampling map has a coefficient and a bias; C3's map j reads the "
             "S2 maps marked in column j of the table (§5)",
        solution="C1: 6 · (1 · 25 + 1) = 156. S2: 6 · 2 = 12. C3: the table's columns hold 3, 4 "
                 "or 6 ones (6 maps read 3, 9 read 4, 1 reads 6: 60 in all), so "
                 "Σ_j (25 n_j + 1) = 25 · 60 + 16 = 1516. S4: 16 · 2 = 32. C5: "
                 "120 · (16 · 25 + 1) = 48,120. F6: 84 · (120 + 1) = 10,164. "
                 "Answer: [156, 12, 1516, 32, 48120, 10164] (60,000 in all, the paper's figure).",
        answer=[6 * (25 + 1), 6 * 2, 25 * (6 * 3 + 6 * 4 + 3 * 4 + 6) + 16, 16 * 2,
                120 * (16 * 25 + 1), 84 * (120 + 1)],
        wrong=[6 * (25 + 1), 6 * 2, 16 * (6 * 25 + 1), 16 * 2,
               120 * (16 * 25 + 1), 84 * (120 + 1)],
    ),
    Exercise(
        key="ch01.q5",
        question="(Pooling saves parameters downstream.) Suppose LeNet-5 had no S4: C5's 120 "
                 "units would then be fully connected to C3's whole output, 16@10×10. How many "
                 "trainable parameters would C5 have (weights and biases)? Compare with the "
                 "48,120 it has behind S4.",
        test=_test_q5,
        hint="a fully connected unit has one weight per value it reads, plus its bias (§3 and §5)",
        solution="Each unit has 16 · 10 · 10 = 1600 weights and 1 bias: 120 · 1601 = 192,120, "
                 "about four times the 48,120 behind S4 — S4 quarters the number of values C5 "
                 "reads, and so its weights.",
        answer=120 * (16 * 10 * 10 + 1),
        wrong=120 * (16 * 5 * 5 + 1),
    ),
]
