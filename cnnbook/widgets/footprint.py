"""The footprint explorer of chapter 4: which δ cells and weights make ∂E/∂x_ij.

Pick an input pixel x_ij: every window that reads it contributes one term to
∂E/∂x_ij — the δ of that window's output times the weight that sat on x_ij —
and the explorer colours each δ cell and its weight in the same colour (and numbers
the pairs, for print). Pick a δ cell instead: the explorer outlines the input window
of that output, the pixels its δ flows back to. The bookkeeping is
:mod:`cnnbook.derivation`; the numbers come from :func:`cnnbook.conv2d` and
:func:`cnnbook.conv2d_backward` on small seeded integers.
"""
from __future__ import annotations

import re

import numpy as np
from matplotlib import colors as mcolors

from .. import viz
from ..conv import conv2d, conv2d_backward
from ..derivation import (
    forward_equation, forward_terms, input_gradient_equation, input_gradient_terms,
)
from ..shapes import _check_int
from .base import Explorer
from ._words import _and, _plural
from .routes import conv_routes, sum_text

__all__ = ["footprint_state", "FootprintExplorer"]

MODES = ("input pixel", "δ cell")
LABELS = ("symbols", "numbers")
_VALUES = np.array([-2, -1, 1, 2])   # no zeros: every term of a sum shows in its value
# Okabe–Ito colours (colour-blind safe), one per (δ, weight) pair; repeated after 7.
_PAIR_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#0072B2", "#D55E00")


def pair_colour(t):
    """The (light) face colour of the ``t``-th term: δ cell and weight share it."""
    rgb = np.array(mcolors.to_rgb(_PAIR_COLOURS[t % len(_PAIR_COLOURS)]))
    return tuple(1 - 0.55 * (1 - rgb))


def _sub(i, j):
    """1-based subscript as the seeds write it: ``23``, or ``10,11`` for two digits."""
    i, j = i + 1, j + 1
    return f"{i}{j}" if max(i, j) < 10 else f"{i},{j}"


_SUBSCRIPT = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉‚")


def _cell_symbols(letter, size):
    """``size × size`` labels like ``x₁₂`` (1-based), in plain Unicode.

    Plain text, not mathtext: a picture has up to ~200 labels, and parsing each as
    mathtext would take most of a redraw.
    """
    out = np.empty((size, size), dtype=object)
    for i in range(size):
        for j in range(size):
            out[i, j] = letter + _sub(i, j).translate(_SUBSCRIPT)
    return out


def _num(v):
    v = float(v)
    text = str(int(v)) if v.is_integer() else f"{v:.3g}"
    return text.replace("-", "−")


def _arrays(n, kernel, output):
    """The seeded integer input, kernel, bias and δ the picture shows."""
    rng = np.random.default_rng(0)
    x = rng.choice(_VALUES, size=(n, n)).astype(float)
    w = rng.choice(_VALUES, size=(kernel, kernel)).astype(float)
    b = 1.0
    delta = rng.choice(_VALUES, size=(output, output)).astype(float)
    return x, w, b, delta


def _values(state):
    """``numbers = value``, or just the value when the sum is too long to read."""
    if len(state["pairs"]) > 9:
        return _num(state["value"])
    return f"{state['numbers']} = {_num(state['value'])}"


def _why_unread(i, kernel, stride, padding, output):
    """Why no window reads input index ``i`` along one axis (0-based)."""
    p = padding + i                       # padded coordinate
    end = (output - 1) * stride + kernel  # first padded position after the last window
    if p >= end:
        return (f"index {i} lies after the last window (the floor drops a window that would "
                f"run past the edge)")
    return f"index {i} falls in a gap between windows (stride S = {stride} > kernel K = {kernel})"


def footprint_state(n=4, kernel=2, mode="input pixel", row=1, col=1, stride=1, padding=0,
                    labels="symbols"):
    """Everything the footprint picture shows, for an L×L input (L = ``n``) and a K×K kernel.

    ``mode="input pixel"`` selects input pixel x[row, col]; ``mode="δ cell"`` selects
    δ[row, col] of the O×O sensitivity map (indices 0-based; the equations are 1-based,
    as the seeds). The dict holds:

    * the settings and ``padded`` = L + 2P, ``fits`` (K ≤ L + 2P), ``output`` O (0 if
      nothing fits);
    * ``x`` (n×n), ``w`` (k×k), ``b`` and ``delta`` (O×O): small seeded integers, and
      ``dx`` = ∂E/∂x, ``dw``, ``net`` from ``cnnbook.conv2d_backward`` / ``conv2d``;
    * ``input_mask`` (n×n), ``delta_mask`` (O×O), ``kernel_mask`` (k×k): the highlighted
      cells; ``window``: ``(top, left)`` of the selected δ cell's window in padded
      coordinates (δ-cell mode), else None; ``window_padding``: how many of its cells
      are padding;
    * ``pairs``: in pixel mode the terms ``((r, c), (u, v))`` of
      ∂E/∂x_ij = Σ δ_rc·w_uv (``cnnbook.derivation.input_gradient_terms``); in δ-cell
      mode the terms ``((u, v), (i, j))`` of net_rc = Σ w_uv·x_ij + b;
    * ``equation`` (text), ``latex`` (one LaTeX line), ``numbers`` (the same sum with the
      values) and ``value`` (∂E/∂x_ij or net_rc); ``message``: a few sentences.

    Settings the explorer's controls can reach never raise: a kernel larger than the
    padded input gives ``fits`` False and a message saying how to fix it.
    """
    n = _check_int(n, "input size n", 1)
    kernel = _check_int(kernel, "kernel", 1)
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    row = _check_int(row, "row", 0)
    col = _check_int(col, "col", 0)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {list(LABELS)}, got {labels!r}")
    padded = n + 2 * padding
    fits = kernel <= padded
    output = (padded - kernel) // stride + 1 if fits else 0
    size = n if mode == "input pixel" else output
    if (fits or mode == "input pixel") and (row >= size or col >= size):
        what = "input" if mode == "input pixel" else "δ map"
        raise ValueError(f"({row}, {col}) is outside the {size}×{size} {what} "
                         f"(rows and columns 0…{size - 1})")
    x, w, b, delta = _arrays(n, kernel, output)
    state = {
        "n": n, "kernel": kernel, "stride": stride, "padding": padding, "mode": mode,
        "row": row, "col": col, "labels": labels, "padded": padded, "fits": fits,
        "output": output, "x": x, "w": w, "b": b, "delta": delta,
        "input_mask": np.zeros((n, n), dtype=bool),
        "delta_mask": np.zeros((output, output), dtype=bool),
        "kernel_mask": np.zeros((kernel, kernel), dtype=bool),
        "window": None, "window_padding": 0, "pairs": [],
        "routes": {"delta": {}, "input": {}},
    }
    if not fits:
        need = -(-(kernel - n) // 2)
        state.update(dx=np.zeros((n, n)), dw=np.zeros((kernel, kernel)),
                     net=np.zeros((0, 0)), equation="", latex="", numbers="", value=None)
        state["message"] = (
            f"Impossible: the kernel K = {kernel} is larger than the padded input "
            f"L + 2P = {n} + 2·{padding} = {padded}, so no window fits: there is no output "
            f"and no δ map. Use a kernel of at most {padded}, or padding of at least {need}.")
        return state

    shape, ksize = (n, n), (kernel, kernel)
    net = conv2d(x[None, None], w[None, None], np.array([b]), stride, padding)[0, 0]
    dx, dw, _ = conv2d_backward(delta[None, None], x[None, None], w[None, None],
                                stride, padding)
    state.update(net=net, dx=dx[0, 0], dw=dw[0, 0], routes=conv_routes(n, kernel, stride, padding))
    if mode == "input pixel":
        _pixel(state, shape, ksize)
    else:
        _delta_cell(state, shape, ksize)
    return state


def _pixel(state, shape, ksize):
    k, s, p = state["kernel"], state["stride"], state["padding"]
    i, j = state["row"], state["col"]
    pairs = input_gradient_terms(shape, ksize, s, p)[(i, j)]
    state["pairs"] = pairs
    state["input_mask"][i, j] = True
    for (r, c), (u, v) in pairs:
        state["delta_mask"][r, c] = True
        state["kernel_mask"][u, v] = True
    state["equation"] = input_gradient_equation((i, j), shape, ksize, s, p, style="text")
    state["latex"] = input_gradient_equation((i, j), shape, ksize, s, p,
                                             symbols=("x", "w", r"\delta"))
    delta, w = state["delta"], state["w"]
    value = float(sum(delta[rc] * w[uv] for rc, uv in pairs))
    state["value"] = value
    state["numbers"] = (" + ".join(f"({_num(delta[rc])})({_num(w[uv])})" for rc, uv in pairs)
                        if pairs else "0")
    name = f"x_{_sub(i, j)}"
    if not pairs:
        reasons = []
        for axis, idx in (("row", i), ("column", j)):
            windows = [o for o in range(state["output"])
                       if o * s <= p + idx < o * s + k]
            if not windows:
                reasons.append(f"along the {axis}s, "
                               + _why_unread(idx, k, s, p, state["output"]))
        state["message"] = (
            f"No window reads {name} (row {i}, column {j}, counting from 0): "
            + "; ".join(reasons) + f". Its value never reaches the output, so "
            f"∂E/∂{name} = 0.")
        return
    cells = _and([f"δ_{_sub(*rc)}" for rc, _ in pairs])
    msg = (f"{name} (row {i}, column {j}, counting from 0) is read by "
           f"{_plural(len(pairs), 'window')}, so ∂E/∂{name} has {_plural(len(pairs), 'term')}: "
           f"the δ of {'each' if len(pairs) > 1 else 'that'} window's output ({cells}) times "
           f"the weight that sat on {name} in that window. {state['equation']} = {_values(state)}.")
    if s == 1:
        msg += (" The weights run backwards (rot180): this sum is one step of the full "
                "correlation pad(δ, k − 1) ⋆ rot180(W).")
    state["message"] = msg


def _delta_cell(state, shape, ksize):
    k, s, p = state["kernel"], state["stride"], state["padding"]
    r, c = state["row"], state["col"]
    pairs = forward_terms(shape, ksize, s, p)[(r, c)]
    state["pairs"] = pairs
    state["delta_mask"][r, c] = True
    for (u, v), (i, j) in pairs:
        state["kernel_mask"][u, v] = True
        state["input_mask"][i, j] = True
    state["window"] = (r * s, c * s)
    state["window_padding"] = k * k - len(pairs)
    state["equation"] = forward_equation((r, c), shape, ksize, s, p, style="text")
    state["latex"] = forward_equation((r, c), shape, ksize, s, p, symbols=("x", "w", r"\delta"))
    x, w, b = state["x"], state["w"], state["b"]
    value = float(sum(w[uv] * x[ij] for uv, ij in pairs) + b)
    state["value"] = value
    state["numbers"] = " + ".join([f"({_num(w[uv])})({_num(x[ij])})" for uv, ij in pairs]
                                  + [_num(b)])
    top, left = state["window"]
    rows = f"{_num(top - p)}…{_num(top - p + k - 1)}"
    cols = f"{_num(left - p)}…{_num(left - p + k - 1)}"
    where = ("counting from 0; rows and columns outside 0…"
             f"{state['n'] - 1} are padding" if state["window_padding"] else "counting from 0")
    name = f"δ_{_sub(r, c)}"
    msg = (f"{name} is ∂E/∂net_{_sub(r, c)}. The window of net_{_sub(r, c)} covers input rows "
           f"{rows} and columns {cols} ({where}): "
           f"{state['equation']} = {_values(state)}. "
           f"Since ∂net_{_sub(r, c)}/∂x_ij = w_uv for each pixel of the window, {name} adds "
           f"{name}·w_uv to ∂E/∂x_ij of each of these {_plural(len(pairs), 'pixel')}, and "
           f"{name}·x_ij to ∂E/∂w_uv.")
    if state["window_padding"]:
        msg += (f" {_plural(state['window_padding'], 'cell')} of the window "
                f"{'is' if state['window_padding'] == 1 else 'are'} padding: those weights "
                f"meet a zero, and the gradient that lands there is dropped.")
    state["message"] = msg


class FootprintExplorer(Explorer):
    """Select an input pixel or a δ cell and see the terms that connect them.

    Chapter 4. Three panels: the (padded) input x, the kernel W and the sensitivity
    map δ. In "input pixel" mode, the pixel is outlined blue, and each term
    δ_rc·w_uv of ∂E/∂x_ij colours its δ cell and its weight alike (and numbers them,
    for print); the equation, with its values, is under the picture. In "δ cell" mode
    the δ cell is outlined and the window of its output is outlined on the input,
    each pixel coloured like the weight it meets.

    Select with the row/column sliders and the mode buttons: the picture is an
    ``ipywidgets.Image`` (a PNG, so it never flickers), and an image cannot report
    where it was clicked. The row/column sliders follow the selected map's size.
    """

    controls = {"n": (2, 8, "input size L"), "kernel": (1, 5, "kernel K"),
                "stride": (1, 3, "stride S"), "padding": (0, 2, "padding P"),
                "mode": (MODES, "select"),
                "row": (0, 7, "row (from 0)"), "col": (0, 7, "column (from 0)"),
                "labels": (LABELS, "cells show")}
    figsize = (9.0, 4.4)

    def compute(self, **values):
        return footprint_state(**values)

    def limits(self, values):
        n, k, s, p = values["n"], values["kernel"], values["stride"], values["padding"]
        if values["mode"] == "input pixel":
            top = n - 1
        else:
            top = max((n + 2 * p - k) // s, 0) if k <= n + 2 * p else 0
        return {"row": (0, top), "col": (0, top)}

    def routes(self, state):
        return conv_view_routes(state["routes"], state["delta"], state["w"])

    def draw(self, fig, state):
        n, k, p, O = state["n"], state["kernel"], state["padding"], state["output"]
        padded = state["padded"]
        widths = [padded, k, max(O, 1)]
        axes = fig.subplots(1, 3, squeeze=False, gridspec_kw={"width_ratios": widths})
        cells = sum(widths)
        fontsize = 13 if cells <= 10 else (11 if cells <= 14 else (9 if cells <= 20 else 7))
        symbols = state["labels"] == "symbols"
        pixel_mode = state["mode"] == "input pixel"

        # faces: one light colour per term
        x_faces = [[None] * padded for _ in range(padded)]
        w_faces = [[None] * k for _ in range(k)]
        d_faces = [[None] * max(O, 0) for _ in range(max(O, 0))]
        tags = []  # (panel, row, col, text)
        d_frames = []  # (row, col, colour) of the δ cells in the sum
        if state["fits"]:
            for t, (a, b) in enumerate(state["pairs"]):
                face = pair_colour(t)
                if pixel_mode:   # δ keeps the δ colour; a frame pairs it with its weight
                    (r, c), (u, v) = a, b
                    d_frames.append((r, c, _PAIR_COLOURS[t % len(_PAIR_COLOURS)]))
                    w_faces[u][v] = face
                    tags += [(2, r, c, str(t + 1)), (1, u, v, str(t + 1))]
                else:
                    (u, v), (i, j) = a, b
                    w_faces[u][v] = face
                    x_faces[i + p][j + p] = face
                    tags += [(1, u, v, str(t + 1)), (0, i + p, j + p, str(t + 1))]

        if symbols:
            xl = np.full((padded, padded), "0", dtype=object)
            xl[p:p + n, p:p + n] = _cell_symbols("x", n)
            wl, dl = _cell_symbols("w", k), _cell_symbols("δ", O)
        else:
            xl = np.pad(state["x"], p)
            wl, dl = state["w"], state["delta"]
        viz.draw_matrix(xl, "input", ax=axes[0, 0], padding=p, faces=x_faces, fontsize=fontsize,
                        ids="x",
                        title=f"input x = a$^{{(l-1)}}$ ({n}×{n}" + (f", P = {p})" if p else ")"))
        viz.draw_matrix(wl, "kernel", ax=axes[0, 1], faces=w_faces, fontsize=fontsize, ids="w",
                        title=f"W ({k}×{k})")
        if O:
            viz.draw_matrix(dl, "delta", ax=axes[0, 2], faces=d_faces, fontsize=fontsize, ids="d",
                            title=f"δ = ∂E/∂net ({O}×{O}, S = {state['stride']})")
            for r, c, colour in d_frames:
                viz.outline(axes[0, 2], r + 0.08, c + 0.08, 0.84, 0.84, colour)
        else:
            ax = axes[0, 2]
            ax.text(0.5, 0.5, "no output:\nK > L + 2P", ha="center", va="center",
                    fontsize=11, color=viz.role_colour("delta"), transform=ax.transAxes)
            ax.set_axis_off()
        for panel, r, c, text in (tags if cells <= 20 else []):  # numbers, for print
            axes[0, panel].text(c + 0.06, r + 0.08, text, ha="left", va="top",
                                fontsize=7, color="#333333", zorder=6)

        if not state["fits"]:
            fig.suptitle(f"K = {k} > L + 2P = {padded}: no window fits", fontsize=12)
            return
        if pixel_mode:
            i, j = state["row"], state["col"]
            viz.highlight(axes[0, 0], i + p, j + p, role="input", linewidth=3.5)
            x_ij = f"x_{{{_sub(i, j)}}}"
            title = (rf"$\partial E/\partial {x_ij}$: {_plural(len(state['pairs']), 'term')}, "
                     "one per window that reads the pixel"
                     if state["pairs"] else
                     rf"${x_ij}$: no window reads it, so $\partial E/\partial {x_ij} = 0$")
        else:
            r, c = state["row"], state["col"]
            top, left = state["window"]
            viz.highlight(axes[0, 0], top, left, k, k, role="kernel", linewidth=3.0)
            viz.highlight(axes[0, 2], r, c, role="delta", linewidth=3.5)
            sub = _sub(r, c)
            title = (rf"$\delta_{{{sub}}}$ flows back to the window of $\mathrm{{net}}_{{{sub}}}$"
                     f" ({_plural(len(state['pairs']), 'input pixel')})")
        fig.suptitle(title, fontsize=12)
        fig.supxlabel(_wrap_math(state["latex"], state["numbers"], state["value"]),
                      fontsize=11 if len(state["pairs"]) <= 9 else 9)


def _id(prefix, cell):
    return f"{prefix}:{cell[0]},{cell[1]}"


def conv_view_routes(routes, delta, w, x_id="x", w_id="w", d_id="d"):
    """The explorer's ``{cell id: {"on": [ids], "text": str}}`` of ``conv_routes(...)``.

    Pointing at δ_uv lights the input cells it reaches and the weights on the way;
    pointing at x_ij lights the δ cells and weights of ∂E/∂x_ij, written out with the
    numbers.
    """
    out = {}
    for (u, v), pairs in routes["delta"].items():
        on = [_id(x_id, ij) for ij, _ in pairs] + sorted({_id(w_id, mn) for _, mn in pairs})
        reach = ", ".join(f"x[{i},{j}] (·w[{m},{n}])" for (i, j), (m, n) in pairs)
        out[_id(d_id, (u, v))] = {
            "on": on, "text": f"δ[{u},{v}] = {_num(delta[u, v])} flows back to " + (
                reach if pairs else "padding only: no input cell")}
    for (i, j), pairs in routes["input"].items():
        on = [_id(d_id, uv) for uv, _ in pairs] + sorted({_id(w_id, mn) for _, mn in pairs})
        out[_id(x_id, (i, j))] = {"on": on, "text": sum_text(f"x[{i},{j}]", pairs, delta, w)}
    return out


def _wrap_math(latex, numbers, value, per_line=5):
    """The equation as mathtext lines of at most ``per_line`` terms, then its value."""
    lhs, rhs = latex.split(" = ", 1)
    lhs = re.sub(r"\\frac\{(.*)\}\{(.*)\}", r"\1/\2", lhs)  # ∂E/∂x_ij on one line
    terms = rhs.split(" + ")
    lines = []
    for start in range(0, len(terms), per_line):
        chunk = " + ".join(terms[start:start + per_line])
        lead = f"{lhs} = " if start == 0 else "+ "
        tail = " +" if start + per_line < len(terms) else ""
        lines.append(f"${lead}{chunk}{tail}$")
    if rhs == "0":
        return lines[0]
    nums = numbers.split(" + ")
    for start in range(0, len(nums), 2 * per_line):
        chunk = " + ".join(nums[start:start + 2 * per_line])
        lead = "$=$ " if start == 0 else "+ "
        lines.append(f"{lead}{chunk}")
    lines[-1] += f" = {_num(value)}"
    return "\n".join(lines)
