"""The worked examples of the seeds, as arrays in cnnbook's NCHW layout.

Only the *inputs* the seeds print are here (images, filters, biases, sensitivity
maps); the answers are for the reader — and the tests — to compute. Each function
returns a fresh dict, so changing one example never changes another chapter's.
"""
from __future__ import annotations

import numpy as np

__all__ = ["seed001_stride2", "seed004_image", "seed001_relu_maxpool", "grid_0_to_15",
           "seed002_network", "lenet5_c3_table"]


def seed001_stride2():
    """Seed 001's ConvLayer test: a 5×5×3 input, two 3×3×3 filters, stride 2, padding 1.

    Keys: ``x`` (1, 3, 5, 5), ``w`` (2, 3, 3, 3), ``b`` (2,) = (1, 0), ``delta``
    (1, 2, 3, 3) — the seed's sensitivity array ``b`` fed to ``backward`` —,
    ``stride`` 2, ``padding`` 1, ``lr`` 0.001 (the seed's learning rate), and
    ``printed_forward``: the forward output the seed prints, (1, 2, 3, 3).
    """
    x = np.array([
        [[0, 1, 1, 0, 2], [2, 2, 2, 2, 1], [1, 0, 0, 2, 0], [0, 1, 1, 0, 0], [1, 2, 0, 0, 2]],
        [[1, 0, 2, 2, 0], [0, 0, 0, 2, 0], [1, 2, 1, 2, 1], [1, 0, 0, 0, 0], [1, 2, 1, 1, 1]],
        [[2, 1, 2, 0, 0], [1, 0, 0, 1, 0], [0, 2, 1, 0, 1], [0, 1, 2, 2, 2], [2, 1, 0, 0, 1]],
    ], dtype=np.float64)
    w = np.array([
        [[[-1, 1, 0], [0, 1, 0], [0, 1, 1]],
         [[-1, -1, 0], [0, 0, 0], [0, -1, 0]],
         [[0, 0, -1], [0, 1, 0], [1, -1, -1]]],
        [[[1, 1, -1], [-1, -1, 1], [0, -1, 1]],
         [[0, 1, 0], [-1, 0, -1], [-1, 1, 0]],
         [[-1, 0, 0], [-1, 0, 1], [-1, 0, 0]]],
    ], dtype=np.float64)
    delta = np.array([
        [[0, 1, 1], [2, 2, 2], [1, 0, 0]],
        [[1, 0, 2], [0, 0, 0], [1, 2, 1]],
    ], dtype=np.float64)
    printed = np.array([
        [[6, 7, 5], [3, -1, -1], [2, -1, 4]],
        [[2, -5, -8], [1, -4, -4], [0, -5, -5]],
    ], dtype=np.float64)
    return {
        "x": x[None], "w": w, "b": np.array([1.0, 0.0]), "delta": delta[None],
        "stride": 2, "padding": 1, "lr": 0.001, "printed_forward": printed[None],
    }


def seed004_image():
    """Seed 004's stride slides: a 5×5 binary image and the "X" filter, bias 0.

    Keys: ``x`` (1, 1, 5, 5), ``w`` (1, 1, 3, 3) = ``[[1,0,1],[0,1,0],[1,0,1]]``, ``b`` (0,).
    """
    x = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=np.float64)
    w = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float64)
    return {"x": x[None, None], "w": w[None, None], "b": np.zeros(1)}


def seed001_relu_maxpool():
    """Seed 001's 4×4 input, filter ``[[1,-1],[1,-1]]``, ReLU, then 2×2 max pooling.

    The seed prints only the top-left patch ``[[1,0],[1,1]]`` (the rest of the image is
    a picture); the other pixels here are our own choice, keeping the seed's
    ``net_o11 = 1``. Keys: ``x`` (1, 1, 4, 4), ``w`` (1, 1, 2, 2), ``b`` (0,).
    """
    x = np.array([[1, 0, 1, 1],
                  [1, 1, 0, 1],
                  [0, 1, 1, 0],
                  [1, 0, 0, 1]], dtype=np.float64)
    w = np.array([[1, -1], [1, -1]], dtype=np.float64)
    return {"x": x[None, None], "w": w[None, None], "b": np.zeros(1)}


def grid_0_to_15():
    """Seed 004's "0…F" 4×4 grid (values 0 … 15 row by row) as (1, 1, 4, 4)."""
    return np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)


def seed002_network():
    """Seed 002's 3-4-2 sigmoid network (``002_dad514b57e07ccea.txt``) with numbers of our own.

    The seed fixes only the structure — 3 inputs, 4 hidden sigmoid units, 2 sigmoid
    outputs, loss ½‖a − y‖² — and prints no weights (its formulas are missing images),
    so the one-decimal values here are the course's choice. Layout as ``cnnbook.dense``:
    ``x`` (1, 3) and the target ``y`` (1, 2) are one sample each as a row, ``w1`` (4, 3),
    ``b1`` (4,), ``w2`` (2, 4), ``b2`` (2,) (weights are (D_out, D_in), as in PyTorch).
    """
    return {
        "x": np.array([[1.0, 0.5, -1.0]]),
        "w1": np.array([[0.1, 0.4, -0.3],
                        [-0.2, 0.3, 0.5],
                        [0.6, -0.1, 0.2],
                        [-0.4, 0.2, 0.1]]),
        "b1": np.array([0.1, -0.1, 0.0, 0.2]),
        "w2": np.array([[0.3, -0.5, 0.2, 0.4],
                        [-0.6, 0.1, 0.5, -0.2]]),
        "b2": np.array([0.0, 0.1]),
        "y": np.array([[1.0, 0.0]]),
    }


def lenet5_c3_table():
    """LeNet-5's C3 connection table: ``t[i, j] = 1`` if C3 map j reads S2 map i.

    Returns a (6, 16) int array. Source: Table I of Y. LeCun, L. Bottou, Y. Bengio and
    P. Haffner, "Gradient-based learning applied to document recognition", Proc. IEEE
    86(11):2278–2324, 1998, built from the rule the paper states: C3 maps 0–5 read
    every contiguous (cyclic) triple of S2 maps, maps 6–11 every contiguous quadruple,
    maps 12–14 the quadruples {0,1,3,4}, {1,2,4,5}, {0,2,3,5}, and map 15 all six.
    Seed 004's homework prints this table too, but its text copy is garbled (column
    15 is empty, 57 connections instead of 60); chapter 1 compares the two.
    """
    table = np.zeros((6, 16), dtype=int)
    for j in range(6):
        table[[(j + d) % 6 for d in range(3)], j] = 1
        table[[(j + d) % 6 for d in range(4)], 6 + j] = 1
    for j, rows in enumerate(([0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5])):
        table[rows, 12 + j] = 1
    table[:, 15] = 1
    return table
