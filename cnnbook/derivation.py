"""Index bookkeeping: the element-by-element equations of a convolution, for any shape.

Seeds 001 and 004 derive the backward pass of a convolution by writing every output
as a sum, then collecting, for each input pixel and each weight, the outputs it
appears in. This module does that bookkeeping for a single-channel convolution
(cross-correlation, as :func:`cnnbook.conv2d`) of an ``H × W`` input with a
``KH × KW`` kernel, stride ``S`` and zero padding ``P``, and writes the result as
LaTeX — so the 3×3/2×2 case of the slides, the 4×4/2×2 case of seed 001 and a
5×5/3×3 case come out of the same few lines. All indices are 0-based in the
returned dicts (as numpy); the LaTeX is 1-based by default, as the seeds.

The forward pass, with ``(i, j)`` the input pixel under kernel tap ``(m, n)``
of the window of output ``(u, v)``::

    i = u·Sh + m − Ph,   j = v·Sw + n − Pw
    net[u, v] = Σ_{m, n} w[m, n] · x[i, j] + b       (terms whose pixel is padding are 0)

Differentiating a sum of products term by term (δ = ∂E/∂net, the sensitivity map)::

    ∂E/∂x[i, j] = Σ over the (u, v, m, n) above that land on (i, j) of  δ[u, v] · w[m, n]
    ∂E/∂w[m, n] = Σ over all outputs (u, v) whose pixel (i, j) is not padding of  δ[u, v] · x[i, j]
    ∂E/∂b       = Σ_{u, v} δ[u, v]

At stride 1 and no padding the first is the full correlation of δ with rot180(w)
(δ padded with K − 1 zeros), the second the valid correlation of x with δ; the
tests hold :func:`evaluate_terms` of these lists equal to :func:`cnnbook.conv2d_backward`.

Numbers and strings only: nothing here imports matplotlib or ipywidgets.
"""
from __future__ import annotations

import numpy as np

from .shapes import _check_padding, _check_pair, _check_stride, as_array, output_shape

__all__ = [
    "forward_terms", "input_gradient_terms", "weight_gradient_terms", "evaluate_terms",
    "one_based", "SEED001_SYMBOLS", "SEED004_SYMBOLS",
    "forward_equation", "input_gradient_equation", "weight_gradient_equation",
    "forward_latex", "input_gradient_latex", "weight_gradient_latex", "bias_gradient_latex",
]

LATEX_SYMBOLS = ("i", "w", r"\delta")
TEXT_SYMBOLS = ("x", "w", "δ")
#: The letters the seeds print their equations with (input, weight, δ), for ``symbols=``:
#: seed 001 writes i for the input and h for the filter; seed 004 writes a^{l-1}, w and δ^l
#: with a comma between the subscripts (pass ``sep=","`` too).
SEED001_SYMBOLS = ("i", "h", r"\delta")
SEED004_SYMBOLS = ("a^{l-1}", "w", r"\delta^{l}")


# -- the bookkeeping ----------------------------------------------------------------

def _geometry(input_shape, kernel_shape, stride, padding):
    """Checked ``(H, W), (KH, KW), (Sh, Sw), (Ph, Pw), (OH, OW)``; ValueError naming numbers."""
    hw = _check_pair(input_shape, "input_shape", 1)
    k = _check_pair(kernel_shape, "kernel_shape", 1)
    s, p = _check_stride(stride), _check_padding(padding)
    return hw, k, s, p, output_shape(hw, k, s, p)


def _placements(input_shape, kernel_shape, stride, padding):
    """Every ``((u, v), (m, n), (i, j))`` with (i, j) inside the input, u, v, m, n row-major."""
    (H, W), (KH, KW), (sh, sw), (ph, pw), (OH, OW) = _geometry(
        input_shape, kernel_shape, stride, padding)
    out = []
    for u in range(OH):
        for v in range(OW):
            for m in range(KH):
                for n in range(KW):
                    i, j = u * sh + m - ph, v * sw + n - pw
                    if 0 <= i < H and 0 <= j < W:
                        out.append(((u, v), (m, n), (i, j)))
    return out, (H, W), (KH, KW), (OH, OW)


def _grid(shape):
    return {(a, b): [] for a in range(shape[0]) for b in range(shape[1])}


def forward_terms(input_shape, kernel_shape, stride=1, padding=0):
    """``{(u, v): [((m, n), (i, j)), ...]}``: ``net[u, v] = Σ w[m, n]·x[i, j] + b``.

    One key per output cell, row-major. The pairs list the kernel tap and the
    input pixel it multiplies, with ``i = u·S + m − P`` (likewise ``j``); taps that
    fall on padding are left out (they multiply a zero).
    """
    placements, _, _, out_hw = _placements(input_shape, kernel_shape, stride, padding)
    terms = _grid(out_hw)
    for uv, mn, ij in placements:
        terms[uv].append((mn, ij))
    return terms


def input_gradient_terms(input_shape, kernel_shape, stride=1, padding=0):
    """``{(i, j): [((u, v), (m, n)), ...]}``: ``∂E/∂x[i, j] = Σ δ[u, v]·w[m, n]``.

    One key per input pixel, row-major; the pairs are sorted by the output cell
    ``(u, v)``. Pixel ``(i, j)`` is multiplied by ``w[m, n]`` in output ``(u, v)``
    exactly when ``i = u·S + m − P`` and ``j = v·S + n − P``; a pixel no window
    reads (the floor of the output size, or a stride larger than the kernel) gets
    ``[]``: its gradient is 0.
    """
    placements, in_hw, _, _ = _placements(input_shape, kernel_shape, stride, padding)
    terms = _grid(in_hw)
    for uv, mn, ij in placements:
        terms[ij].append((uv, mn))
    return terms


def weight_gradient_terms(input_shape, kernel_shape, stride=1, padding=0):
    """``{(m, n): [((u, v), (i, j)), ...]}``: ``∂E/∂w[m, n] = Σ δ[u, v]·x[i, j]``.

    Weight sharing (权值共享): ``w[m, n]`` is used by every output, so its gradient
    has one term per output cell — minus those where it multiplies a padding zero.
    """
    placements, _, k_hw, _ = _placements(input_shape, kernel_shape, stride, padding)
    terms = _grid(k_hw)
    for uv, mn, ij in placements:
        terms[mn].append((uv, ij))
    return terms


def one_based(terms):
    """``terms`` with every index counted from 1, as the seeds write them.

    ``one_based(input_gradient_terms((3, 3), (2, 2)))[(2, 2)]`` lists the four
    ``((u, v), (m, n))`` pairs of ∂E/∂x_22 in the seeds' 1-based numbering.
    """
    up = lambda idx: (idx[0] + 1, idx[1] + 1)
    return {up(key): [(up(a), up(b)) for a, b in pairs] for key, pairs in terms.items()}


def evaluate_terms(terms, first, second):
    """The numbers behind a term list: ``out[key] = Σ first[a]·second[b]`` over its pairs.

    ``terms`` is one of the dicts above; the pairs index ``first`` then ``second``:
    ``evaluate_terms(input_gradient_terms(...), delta, w)`` is ∂E/∂x,
    ``evaluate_terms(weight_gradient_terms(...), delta, x)`` is ∂E/∂w and
    ``evaluate_terms(forward_terms(...), w, x) + b`` is net. The result has the
    shape of the grid of keys (an empty list gives 0).
    """
    first = as_array(first, "first", 2, "(rows, cols)")
    second = as_array(second, "second", 2, "(rows, cols)")
    if not terms:
        raise ValueError("terms is empty; pass a dict made by one of the *_terms functions")
    keys = list(terms)
    shape = (max(k[0] for k in keys) + 1, max(k[1] for k in keys) + 1)
    out = np.zeros(shape)
    for key, pairs in terms.items():
        for a, b in pairs:
            for name, arr, idx in (("first", first, a), ("second", second, b)):
                if not (0 <= idx[0] < arr.shape[0] and 0 <= idx[1] < arr.shape[1]):
                    raise ValueError(
                        f"the terms use {name}[{idx[0]}, {idx[1]}] but {name} has shape "
                        f"{arr.shape}; pass the arrays in the order the pairs list them")
            out[key] += first[a] * second[b]
    return out


# -- writing it down -----------------------------------------------------------------

def _sub(idx, one_based, sep):
    i, j = (idx[0] + 1, idx[1] + 1) if one_based else idx
    if sep is None:
        sep = "" if max(i, j) < 10 else ","
    return f"{i}{sep}{j}"


def _sym(letter, idx, one_based, sep, style):
    sub = _sub(idx, one_based, sep)
    return f"{letter}_{{{sub}}}" if style == "latex" else f"{letter}_{sub}"


def _check_style(style, symbols):
    if style not in ("latex", "text"):
        raise ValueError(f"style must be 'latex' or 'text', got {style!r}")
    if symbols is None:
        return LATEX_SYMBOLS if style == "latex" else TEXT_SYMBOLS
    if len(symbols) != 3 or not all(isinstance(s, str) for s in symbols):
        raise ValueError("symbols must be three strings (input, weight, delta), "
                         f"got {symbols!r}")
    return tuple(symbols)


def _sum(products):
    return " + ".join(products) if products else "0"


def _partial(loss, of, style):
    if style == "latex":
        return rf"\frac{{\partial {loss}}}{{\partial {of}}}"
    return f"∂{loss}/∂{of}"


def _times(style):
    return " " if style == "latex" else "·"


def _check_cell(cell, grid, what):
    try:
        u, v = (int(cell[0]), int(cell[1]))
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{what} must be a (row, col) pair, got {cell!r}") from None
    if (u, v) not in grid:
        rows = max(k[0] for k in grid) + 1 if grid else 0
        cols = max(k[1] for k in grid) + 1 if grid else 0
        raise ValueError(f"{what} {(u, v)} is outside the {rows}×{cols} map "
                         f"(0-based rows 0…{rows - 1}, columns 0…{cols - 1})")
    return u, v


def _rhs_input(pairs, x, w, d, one_based, sep, style):
    t = _times(style)
    return _sum([f"{_sym(d, uv, one_based, sep, style)}{t}{_sym(w, mn, one_based, sep, style)}"
                 for uv, mn in pairs])


def _rhs_weight(pairs, x, w, d, one_based, sep, style):
    t = _times(style)
    return _sum([f"{_sym(d, uv, one_based, sep, style)}{t}{_sym(x, ij, one_based, sep, style)}"
                 for uv, ij in pairs])


def input_gradient_equation(pixel, input_shape, kernel_shape, stride=1, padding=0, *,
                            symbols=None, one_based=True, loss="E", sep=None, style="latex"):
    """One line: ``∂E/∂x_ij = δ_uv w_mn + …`` for the 0-based ``pixel = (i, j)``.

    ``style="latex"`` gives ``\\frac{\\partial E}{\\partial i_{22}} = \\delta_{11} w_{22} + …``;
    ``style="text"`` gives ``∂E/∂x_22 = δ_11·w_22 + …``. ``symbols`` = (input, weight,
    delta) letters (LaTeX default ``("i", "w", r"\\delta")`` as seed 001, text default
    ``("x", "w", "δ")``); ``sep`` separates the two subscripts (default: nothing while
    both are below 10, else a comma; seed 004 writes ``","``).
    """
    x, w, d = _check_style(style, symbols)
    terms = input_gradient_terms(input_shape, kernel_shape, stride, padding)
    key = _check_cell(pixel, terms, "pixel")
    lhs = _partial(loss, _sym(x, key, one_based, sep, style), style)
    return f"{lhs} = {_rhs_input(terms[key], x, w, d, one_based, sep, style)}"


def weight_gradient_equation(weight, input_shape, kernel_shape, stride=1, padding=0, *,
                             symbols=None, one_based=True, loss="E", sep=None, style="latex"):
    """One line: ``∂E/∂w_mn = δ_uv x_ij + …`` for the 0-based ``weight = (m, n)``."""
    x, w, d = _check_style(style, symbols)
    terms = weight_gradient_terms(input_shape, kernel_shape, stride, padding)
    key = _check_cell(weight, terms, "weight")
    lhs = _partial(loss, _sym(w, key, one_based, sep, style), style)
    return f"{lhs} = {_rhs_weight(terms[key], x, w, d, one_based, sep, style)}"


def forward_equation(output, input_shape, kernel_shape, stride=1, padding=0, *,
                     symbols=None, one_based=True, net=None, bias="b", sep=None,
                     style="latex"):
    """One line: ``net_uv = w_mn x_ij + … + b`` for the 0-based ``output = (u, v)``.

    ``bias=None`` leaves the bias out; ``net`` is the letter of the output
    (``\\mathrm{net}`` in LaTeX, ``net`` in text).
    """
    x, w, d = _check_style(style, symbols)
    if net is None:
        net = r"\mathrm{net}" if style == "latex" else "net"
    terms = forward_terms(input_shape, kernel_shape, stride, padding)
    key = _check_cell(output, terms, "output")
    return _forward_line(key, terms[key], x, w, net, bias, one_based, sep, style)


def _forward_line(key, pairs, x, w, net, bias, one_based, sep, style):
    t = _times(style)
    products = [f"{_sym(w, mn, one_based, sep, style)}{t}{_sym(x, ij, one_based, sep, style)}"
                for mn, ij in pairs]
    if bias is not None:
        products.append(bias)
    return f"{_sym(net, key, one_based, sep, style)} = {_sum(products)}"


def _aligned(lines, cells, grid, what):
    keys = list(grid) if cells is None else [_check_cell(cell, grid, what) for cell in cells]
    rows = []
    for key in keys:
        lhs, rhs = lines(key).split(" = ", 1)
        rows.append(f"{lhs} &= {rhs}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def input_gradient_latex(input_shape, kernel_shape, stride=1, padding=0, *,
                         symbols=("i", "w", r"\delta"), one_based=True, loss="E", sep=None,
                         cells=None):
    """All ``∂E/∂x_ij`` as one LaTeX ``\\begin{aligned} … \\end{aligned}``, one line per pixel.

    In seed 001's notation by default (``∂E/∂i_{22} = δ_{11} w_{22} + δ_{12} w_{21} + …``);
    for seed 004's write ``symbols=("a^{l-1}", "w", r"\\delta^{l}"), sep=","``.
    ``cells`` picks 0-based pixels (default: every pixel, row by row). Show it in a
    notebook with ``IPython.display.Math``.
    """
    terms = input_gradient_terms(input_shape, kernel_shape, stride, padding)
    x, w, d = _check_style("latex", symbols)

    def line(key):
        lhs = _partial(loss, _sym(x, key, one_based, sep, "latex"), "latex")
        return f"{lhs} = {_rhs_input(terms[key], x, w, d, one_based, sep, 'latex')}"

    return _aligned(line, cells, terms, "pixel")


def weight_gradient_latex(input_shape, kernel_shape, stride=1, padding=0, *,
                          symbols=("i", "w", r"\delta"), one_based=True, loss="E", sep=None,
                          cells=None):
    """All ``∂E/∂w_mn = Σ δ_uv x_ij`` as one LaTeX ``aligned`` block, one line per weight."""
    terms = weight_gradient_terms(input_shape, kernel_shape, stride, padding)
    x, w, d = _check_style("latex", symbols)

    def line(key):
        lhs = _partial(loss, _sym(w, key, one_based, sep, "latex"), "latex")
        return f"{lhs} = {_rhs_weight(terms[key], x, w, d, one_based, sep, 'latex')}"

    return _aligned(line, cells, terms, "weight")


def forward_latex(input_shape, kernel_shape, stride=1, padding=0, *,
                  symbols=("i", "w", r"\delta"), one_based=True, net=r"\mathrm{net}",
                  bias="b", sep=None, cells=None):
    """All ``net_uv = Σ w_mn x_ij + b`` as one LaTeX ``aligned`` block, one line per output."""
    terms = forward_terms(input_shape, kernel_shape, stride, padding)
    x, w, _ = _check_style("latex", symbols)

    def line(key):
        return _forward_line(key, terms[key], x, w, net, bias, one_based, sep, "latex")

    return _aligned(line, cells, terms, "output")


def bias_gradient_latex(input_shape, kernel_shape, stride=1, padding=0, *,
                        symbols=("i", "w", r"\delta"), one_based=True, loss="E", bias="b",
                        sep=None):
    """``∂E/∂b = δ_11 + δ_12 + … = Σ δ``: one term per output cell (the bias is in every one)."""
    _, _, _, _, (OH, OW) = _geometry(input_shape, kernel_shape, stride, padding)
    _, _, d = _check_style("latex", symbols)
    cells = [_sym(d, (u, v), one_based, sep, "latex") for u in range(OH) for v in range(OW)]
    return (f"{_partial(loss, bias, 'latex')} = {' + '.join(cells)}"
            rf" = \sum_{{u,v}} {d}_{{uv}}")
