"""The transposed-convolution explorer of chapter 12: one input cell → the output cells it paints.

A transposed convolution (转置卷积) scatters: input cell (i, j) adds ``x[i, j]·W`` to the
output, kernel tap (m, n) landing on the full canvas at ``(i·S + m·R, j·S + n·R)``; padding
P then removes P rings from the canvas and output_padding adds rows at the bottom and
columns at the right. The output side is

    O_t = (L − 1)·S − 2P + R·(K − 1) + output_padding + 1,

the input side of the convolution whose backward pass this is. The explorer shows, for
one chosen input cell, the K² cells it paints (and which of them padding crops), the
whole output, and the participation count of every output cell — the number of
(input cell, kernel tap) pairs that reach it, whose unevenness is the checkerboard
pattern of upsampling layers whose stride does not divide the kernel.
"""
from __future__ import annotations

import numpy as np

from .. import viz
from ..primitives import dilate2d
from ..shapes import as_array
from .base import Explorer
from ._words import _and, _plural

__all__ = ["transposed_state", "TransposedExplorer"]

_INPUT_VALUES = np.array([1, 2, 3])           # positive: every painted cell shows up
_KERNEL_VALUES = np.array([-2, -1, 1, 2])     # no zero taps: every tap paints


def _given(value, name, shape):
    value = as_array(value, name, 2)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape} for this setting, got {value.shape}")
    return value.copy()


def _residue_counts(kernel, stride, dilation):
    """How many taps m·R (m = 0 … K−1) fall in each residue class mod S, along one axis.

    Far from the borders an output position r is reached by exactly the taps with
    m·R ≡ r (mod S), one input cell each: these counts are the interior participation
    counts, and the output is even (no checkerboard) exactly when they are all equal.
    """
    counts = [0] * stride
    for m in range(kernel):
        counts[(m * dilation) % stride] += 1
    return counts


def transposed_state(n, kernel, stride, padding, output_padding=0, dilation=1, row=0, col=0,
                     seed=0, *, x=None, w=None):
    """Every array the transposed-convolution picture shows, for one channel and one filter.

    The input is L×L (L = ``n``), the kernel K×K (K = ``kernel``), stride S, padding P,
    output_padding, dilation R; (``row``, ``col``) is the chosen input cell. The input
    and the kernel are small seeded integers (the input positive, the kernel without
    zeros, so every tap that lands shows up); pass ``x`` and/or ``w`` to use your own.
    The returned dict holds:

    * the settings ``n``, ``kernel``, ``stride``, ``padding``, ``output_padding``,
      ``dilation``, ``row``, ``col``, ``seed``; ``span`` = R(K − 1) + 1, the dilated
      kernel's side;
    * ``valid``: the setting is allowed (torch's rules: output_padding < S or < R, and
      O_t ≥ 1); ``problem``: why not, else None;
    * ``output`` O_t = (L − 1)S − 2P + R(K − 1) + output_padding + 1;
    * ``canvas``: the side of the full scatter canvas, (L − 1)S + R(K − 1) + 1, and
      ``drawn``: the side of the region the picture draws, max(canvas, P + O_t);
      output row u is canvas row u + P; ``full``: the scatter on that drawn square
      before the crop (drawn×drawn);
    * ``x`` (L×L), ``w`` (K×K), ``y``: the transposed convolution's output (O_t×O_t),
      scattered here from its definition, and ``reference``: ``cb.conv_transpose2d``
      of the same arrays; ``matches`` and ``max_error`` compare the two;
    * ``painted``: the output cells (u, v) the chosen cell reaches, with the tap
      (m, n) that lands there, as ``[(u, v, m, n)]``; ``cropped``: the taps that land on
      the canvas's padding border (removed by P), ``[(r, s, m, n)]`` in canvas
      coordinates;
    * ``routes``: ``{"input": {(i, j): [((u, v), (m, n)), ...]}, "output": {(u, v):
      [((i, j), (m, n)), ...]}}`` — every input cell's taps and where they land (output
      coordinates, outside the output when cropped), and every output cell's terms
      x[i, j]·w[m, n]: y[u, v] = Σ of them (+ nothing else);
    * ``contribution``: the chosen cell's share of the output, x[row, col]·W placed
      at the painted cells (O_t×O_t);
    * ``counts``: the participation count of every output cell (O_t×O_t), how many
      (input cell, tap) pairs reach it; ``unreached``: output rows (and, the maps
      being square, columns) with count 0 — the conv's input rows its windows skip;
    * ``residues``: the interior counts per residue class mod S (see ``uneven``);
      ``uneven``: the interior counts differ — the checkerboard;
    * ``conv_output``: ⌊(O_t + 2P − R(K − 1) − 1)/S⌋ + 1, the output side of conv2d on an
      O_t×O_t input with the same K, S, P, R (equal to L when output_padding < S),
      and ``remainder`` = (O_t + 2P − R(K − 1) − 1) mod S, chapter 5's leftover, which
      is the output_padding;
    * ``message``: the numbers, for the reader.

    A setting the sliders can reach never raises: an invalid one gives ``valid``
    False, None for the arrays that do not exist, and a message that says why.
    """
    L, K, S, P = int(n), int(kernel), int(stride), int(padding)
    OP, R = int(output_padding), int(dilation)
    if L < 1 or K < 1 or S < 1 or R < 1 or P < 0 or OP < 0:
        raise ValueError(f"sizes, stride and dilation must be at least 1 and padding, "
                         f"output_padding at least 0; got L={L}, K={K}, S={S}, P={P}, "
                         f"output_padding={OP}, R={R}")
    if not (0 <= row < L and 0 <= col < L):
        raise ValueError(f"input cell ({row}, {col}) is outside the {L}×{L} input")
    rng = np.random.default_rng(seed)
    X = rng.choice(_INPUT_VALUES, size=(L, L)).astype(np.float64)
    W = rng.choice(_KERNEL_VALUES, size=(K, K)).astype(np.float64)
    if x is not None:
        X = _given(x, "x", (L, L))
    if w is not None:
        W = _given(w, "w", (K, K))
    span = R * (K - 1) + 1
    canvas = (L - 1) * S + span
    O = canvas - 2 * P + OP
    state = {"n": L, "kernel": K, "stride": S, "padding": P, "output_padding": OP,
             "dilation": R, "row": row, "col": col, "seed": seed, "span": span,
             "canvas": canvas, "output": O, "x": X, "w": W,
             "residues": _residue_counts(K, S, R)}
    state["uneven"] = len(set(state["residues"])) > 1
    problem = None
    if OP >= max(S, R):
        why = ("with S = R = 1 a convolution's input size follows from its output size, so "
               "there is nothing to choose" if max(S, R) == 1 else
               f"it only picks one of the {max(S, R)} input sizes that a convolution maps to "
               f"the same output size")
        problem = (f"output_padding {OP} must be smaller than the stride S = {S} or the "
                   f"dilation R = {R} (torch's rule): {why}.")
    elif O < 1:
        problem = (f"O_t = (L − 1)S − 2P + R(K − 1) + output_padding + 1 = "
                   f"({L} − 1)·{S} − 2·{P} + {R}·({K} − 1) + {OP} + 1 = {O}: padding P = {P} "
                   f"crops more than the {canvas}-wide canvas holds. Use P ≤ "
                   f"{(canvas + OP - 1) // 2}.")
    state["valid"] = problem is None
    state["problem"] = problem
    if problem:
        state.update(drawn=canvas, full=None, y=None, reference=None, matches=False, max_error=None,
                     painted=[], cropped=[], routes={"input": {}, "output": {}},
                     contribution=None, counts=None, unreached=[],
                     conv_output=None, remainder=None)
        state["message"] = "Not allowed: " + problem
        return state

    drawn = max(canvas, P + O)
    full = np.zeros((drawn, drawn))
    hits = np.zeros((drawn, drawn), dtype=np.int64)
    for i in range(L):
        for j in range(L):
            for m in range(K):
                for q in range(K):
                    r, s = i * S + m * R, j * S + q * R
                    full[r, s] += X[i, j] * W[m, q]
                    hits[r, s] += 1
    y = full[P:P + O, P:P + O].copy()
    counts = hits[P:P + O, P:P + O].copy()
    paints = {(i, j): [] for i in range(L) for j in range(L)}   # input cell → its taps
    sources = {(u, v): [] for u in range(O) for v in range(O)}  # output cell → its terms
    for i in range(L):
        for j in range(L):
            for m in range(K):
                for q in range(K):
                    u, v = i * S + m * R - P, j * S + q * R - P
                    paints[i, j].append(((u, v), (m, q)))
                    if 0 <= u < O and 0 <= v < O:
                        sources[u, v].append(((i, j), (m, q)))
    painted, cropped = [], []
    contribution = np.zeros((O, O))
    for m in range(K):
        for q in range(K):
            r, s = row * S + m * R, col * S + q * R
            u, v = r - P, s - P
            if 0 <= u < O and 0 <= v < O:
                painted.append((u, v, m, q))
                contribution[u, v] += X[row, col] * W[m, q]
            else:
                cropped.append((r, s, m, q))
    from ..conv import conv_transpose2d     # the package's own, to compare with
    reference = conv_transpose2d(X[None, None], W[None, None], stride=S, padding=P,
                                 output_padding=OP, dilation=R)[0, 0]
    error = float(np.abs(y - reference).max())
    covered = counts.sum(axis=1) > 0
    unreached = [int(u) for u in np.flatnonzero(~covered)]
    reach = O + 2 * P - span
    state.update(drawn=drawn, full=full, y=y, reference=reference, matches=error == 0.0,
                 max_error=error, painted=painted, cropped=cropped,
                 routes={"input": paints, "output": sources},
                 contribution=contribution, counts=counts, unreached=unreached,
                 conv_output=reach // S + 1, remainder=reach % S)
    state["message"] = " ".join(_notes(state))
    return state


def _notes(state):
    L, K, S, P = state["n"], state["kernel"], state["stride"], state["padding"]
    OP, R, O = state["output_padding"], state["dilation"], state["output"]
    row, col = state["row"], state["col"]
    notes = [f"O_t = (L − 1)S − 2P + R(K − 1) + output_padding + 1 = ({L} − 1)·{S} − 2·{P} "
             f"+ {R}·({K} − 1) + {OP} + 1 = {O}: the output is {O}×{O}."]
    painted, cropped = state["painted"], state["cropped"]
    where = (f"rows {row}·S + m·R − P" if R > 1 else f"rows {row}·S + m − P")
    notes.append(f"Input cell ({row}, {col}) adds x·W = {state['x'][row, col]:g}·W to the "
                 f"{K}×{K} tap positions at {where} (and the same for columns): "
                 f"{_plural(len(painted), 'output cell')} painted"
                 + (f", {len(cropped)} cropped by P = {P}." if cropped else "."))
    if R > 1:
        notes.append(f"Dilation R = {R}: the taps lie {R} apart, the kernel spans "
                     f"{state['span']} cells with holes between its taps.")
    counts = state["counts"]
    lo, hi = int(counts.min()), int(counts.max())
    res = state["residues"]
    if min(res) == 0:
        notes.append(f"Gaps: with S = {S} and R = {R} no tap lands on "
                     f"{_plural(res.count(0), 'phase')} of {S}, so whole rows and columns are "
                     f"never painted; counts here range from {lo} to {hi}.")
    elif state["uneven"]:
        notes.append(f"Checkerboard: S = {S} does not share the {K} taps evenly among the "
                     f"{S} phases (taps per phase: {', '.join(map(str, res))}), so inside the "
                     f"map some cells are reached {max(res) ** 2} times and others "
                     f"{min(res) ** 2}; counts here range from {lo} to {hi}.")
    else:
        notes.append(f"Every phase gets the same number of taps, so inside the map every "
                     f"cell is reached equally often (counts {lo} to {hi}, lower only near "
                     f"the borders).")
    if state["unreached"]:
        u = state["unreached"]
        notes.append(f"Output {'row and column' if len(u) == 1 else 'rows and columns'} "
                     f"{_and(u)} {'is' if len(u) == 1 else 'are'} reached by nothing: 0, as "
                     f"the gradient of a convolution's input rows its windows skip.")
    if state["conv_output"] == L:
        notes.append(f"As a backward pass: conv2d on a {O}×{O} input with K = {K}, S = {S}, "
                     f"P = {P}, R = {R} gives {L}×{L}; its remainder (O_t + 2P − R(K − 1) − 1) "
                     f"mod S = {state['remainder']} is the output_padding.")
    else:
        notes.append(f"conv2d on the {O}×{O} output would give {state['conv_output']}×"
                     f"{state['conv_output']}, not {L}×{L}: output_padding ≥ S is allowed "
                     f"only because R > S, and this is then the adjoint of that conv "
                     f"restricted to its first {L} rows and columns.")
    notes.append("Equals cb.conv_transpose2d (max error 0)." if state["matches"] else
                 f"Differs from cb.conv_transpose2d by {state['max_error']:.1e}.")
    return notes


class TransposedExplorer(Explorer):
    """Input L, kernel K, stride S, padding P, output_padding, dilation R, one input cell.

    Chapter 12. Left: the input (the chosen cell outlined) and the kernel. Middle: the
    canvas of the scatter with the output region outlined and its cropped padding border
    grey; the cells the chosen input cell paints carry its share x·W. Right: the
    participation count of every output cell — the checkerboard when S does not divide
    the kernel. Small seeded integers.
    """

    controls = {"n": (1, 5, "input L"), "kernel": (1, 4, "kernel K"),
                "stride": (1, 3, "stride S"), "padding": (0, 2, "padding P"),
                "output_padding": (0, 2, "output_padding"), "dilation": (1, 3, "dilation R"),
                "row": (0, 4, "input row i"), "col": (0, 4, "input column j")}
    figsize = (10.0, 4.6)

    def __init__(self, seed=0, **values):
        self.seed = seed
        super().__init__(**values)

    def limits(self, values):
        return {"row": (0, values["n"] - 1), "col": (0, values["n"] - 1)}

    def compute(self, n, kernel, stride, padding, output_padding, dilation, row, col):
        return transposed_state(n, kernel, stride, padding, output_padding, dilation,
                                row, col, self.seed)

    def routes(self, state):
        """Point at an input cell: the output cells it paints (on the canvas, its cropped
        taps too, and on the count map) and the kernel taps; point at an output cell (on
        the canvas or the count map): the input cells and taps of its sum, written out."""
        if not state["valid"]:
            return {}
        R, x, w, y = state["dilation"], state["x"], state["w"], state["y"]
        out = {}
        for (i, j), taps in state["routes"]["input"].items():
            O = state["output"]
            inside = [(u, v) for (u, v), _ in taps if 0 <= u < O and 0 <= v < O]
            on = ([f"x:{i},{j}"] + [f"y:{u},{v}" for (u, v), _ in taps]
                  + [f"n:{u},{v}" for u, v in inside]
                  + [f"w:{m * R},{n * R}" for _, (m, n) in taps])
            cropped = len(taps) - len(inside)
            out[f"x:{i},{j}"] = {"on": on, "text": (
                f"x[{i},{j}] = {_num(x[i, j])} adds {_num(x[i, j])}·W at rows and columns "
                f"{i}·S + m·R − P, {j}·S + n·R − P: {_plural(len(inside), 'output cell')}"
                + (f", {cropped} on the border that P crops" if cropped else ""))}
        for (u, v), terms in state["routes"]["output"].items():
            on = ([f"y:{u},{v}", f"n:{u},{v}"] + [f"x:{i},{j}" for (i, j), _ in terms]
                  + [f"w:{m * R},{n * R}" for _, (m, n) in terms])
            if terms:
                sum_ = " + ".join(f"x[{i},{j}]·w[{m},{n}]" for (i, j), (m, n) in terms)
                text = f"y[{u},{v}] = {sum_} = {_num(y[u, v])} ({_plural(len(terms), 'term')})"
            else:
                text = f"y[{u},{v}] = 0: no input cell paints it"
            out[f"y:{u},{v}"] = out[f"n:{u},{v}"] = {"on": on, "text": text}
        return out

    def draw(self, fig, state):
        ax = fig.subplots()
        L, K, P, O = state["n"], state["kernel"], state["padding"], state["output"]
        title = (f"L={L}, K={K}, S={state['stride']}, P={P}, output_padding="
                 f"{state['output_padding']}, R={state['dilation']}")
        if not state["valid"]:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "not allowed\n\n" + _wrap(state["problem"], 60), ha="center",
                    va="center", fontsize=12, color="#333333", transform=ax.transAxes)
            ax.set_title(title, fontsize=11)
            return
        kernel = dilate2d(state["w"], state["dilation"])
        holes = viz.dilation_holes(state["w"].shape, state["dilation"])
        span, side = kernel.shape[0], state["drawn"]
        gap = 2.0
        left = max(L, span)
        width = left + gap + side + gap + O
        height = max(L + 1.5 + span, side, O) + 1.2
        cell = min(self.figsize[0] * 0.97 / width, (self.figsize[1] - 0.5) / height) * 72
        size = float(np.clip(0.42 * cell, 4, 11))
        top = 1.0
        viz.draw_matrix(state["x"], "input", ax=ax, origin=(top, 0), fontsize=size, ids="x")
        viz.highlight(ax, state["row"], state["col"], role="input", origin=(top, 0),
                      linewidth=2.5)
        ax.text(L / 2, top - 0.2, f"input x  {L}×{L}", ha="center", va="bottom", fontsize=9,
                color=viz.role_colour("input"))
        k_top = top + L + 1.5
        viz.draw_matrix(kernel, "kernel", ax=ax, origin=(k_top, 0), skipped=holes,
                        fontsize=size, ids="w")
        ax.text(span / 2, k_top - 0.2, "W" + (f" dilated, R={state['dilation']}"
                                              if state["dilation"] > 1 else ""),
                ha="center", va="bottom", fontsize=9, color=viz.role_colour("kernel"))
        x0 = left + gap
        painted = [(u + P, v + P) for u, v, _, _ in state["painted"]]
        painted += [(r, s) for r, s, _, _ in state["cropped"]]
        viz.draw_scatter_canvas(state["full"], P, O, ax=ax, painted=painted,
                                origin=(top, x0), fontsize=size, ids="y")
        ax.text(x0 + side / 2, top - 0.2, f"scatter canvas {side}×{side}, output {O}×{O} "
                "outlined", ha="center", va="bottom", fontsize=9, color="#333333")
        x1 = x0 + side + gap
        viz.draw_participation(state["counts"], ax=ax, origin=(top, x1),
                               outline=[(u, v) for u, v, _, _ in state["painted"]], ids="n",
                               fontsize=size)
        ax.text(x1 + O / 2, top - 0.2, "participation counts", ha="center", va="bottom",
                fontsize=9, color=viz.role_colour("output"))
        ax.set_xlim(-0.3, width + 0.3)
        ax.set_ylim(height + 0.2, -0.2)
        ax.set_title(title + f":  {L}×{L} → {O}×{O}", fontsize=11)


def _num(v):
    v = float(v)
    return (str(int(v)) if v.is_integer() else f"{v:.3g}").replace("-", "−")


def _wrap(text, width):
    import textwrap
    return textwrap.fill(text, width)
