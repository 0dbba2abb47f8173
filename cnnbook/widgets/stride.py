"""The stride explorer of chapter 5: δ → expanded δ → padded ⋆ rot180(W) → δ^(l−1).

A stride-S convolution is the stride-1 convolution with only every S-th row and
column kept. So its sensitivity map (敏感度图) δ is put back into the stride-1 map,
zeros where the stride skipped a window, and the stride-1 rule of chapter 4 does the
rest: pad with K − 1 zeros, correlate with rot180(W), crop the P-wide border that
belongs to the padding. The explorer shows each step for one channel and one
filter with small integers, along both axes of a square L×L input.
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from .. import viz
from ..conv import conv2d_backward
from ..primitives import correlate2d, crop2d, expand_sensitivity, pad2d, rot180
from ..shapes import as_array
from .base import Explorer
from ._words import _and, _number, _plural
from .output_size import output_size_state
from .routes import conv_routes, sum_text

__all__ = ["stride_state", "StrideExplorer"]

_KERNEL_VALUES = np.array([-2, -1, 1, 2])   # no zero weights: no window goes unseen
_DELTA_VALUES = np.array([-3, -2, -1, 1, 2, 3])  # no zero δ: every 0 in the expanded map was inserted
_SYMBOLS = {"⋆": r"$\star$"}  # mathtext: the right size next to the matrices


def _rows(items):
    """``[5]`` → ``"row and column 5"``, ``[2, 5]`` → ``"rows and columns 2 and 5"``."""
    return ("row and column " if len(items) == 1 else "rows and columns ") + _and(items)


def _given(value, name, shape):
    """A caller's δ or W as a float array of the expected shape."""
    value = as_array(value, name, 2)
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape} for this setting, got {value.shape}")
    return value.copy()


def stride_state(n, kernel, stride, padding, seed=0, *, delta=None, w=None):
    """Every array the stride picture shows, for one channel and one filter.

    The input is n×n (L = n), the kernel K×K (K = ``kernel``), stride S, padding P.
    δ (the layer's sensitivity map, O×O) and W are small seeded integers (no zeros, so
    every 0 in the expanded map is one the stride put there); pass ``delta`` and/or
    ``w`` to use your own. The returned dict holds:

    * the settings ``n``, ``kernel``, ``stride``, ``padding``, ``seed`` and
      ``padded`` = L + 2P; ``fits``: K ≤ L + 2P;
    * ``output`` O = ⌊(L − K + 2P)/S⌋ + 1 and ``stride1`` = L − K + 2P + 1, the size of
      the stride-1 map; ``smallest`` = (O − 1)S + 1, the smallest map that holds δ at
      stride S; ``leftover`` = (L − K + 2P) mod S = ``stride1 − smallest``;
    * ``delta`` (O×O), ``w`` and ``rot`` = rot180(W) (K×K);
    * ``expanded``: δ put back into the stride-1 map (``cb.expand_sensitivity``, size
      ``stride1``) and ``skipped``: its mask of inserted zeros;
    * ``padded_delta``: ``expanded`` with K − 1 zeros around (``pad_width`` = K − 1);
    * ``full``: ``padded_delta ⋆ rot180(W)``, the gradient of the *padded* input
      (L + 2P square); its outer P rings belong to the padding;
    * ``dx``: ``full`` with the P border cropped — δ^(l−1) before the activation's
      f′, i.e. ∂E/∂x; ``reference_dx``: ``cb.conv2d_backward``'s dx for the same δ
      and W; ``matches`` and ``max_error`` compare the two;
    * ``uncovered``: the input rows (and, the input being square, columns) no window
      reads, whose gradient is 0; ``gaps`` and ``tail`` split them as in
      :func:`~cnnbook.widgets.output_size_state`; ``all_padding``: output indices
      whose window holds only padding;
    * ``seed_zp`` = K − 1 − P: what seed 001's zero padding ``zp`` of the expanded map
      comes to (negative when P > K − 1);
    * ``message``: the steps with the numbers, for the reader.

    An impossible setting (K > L + 2P) never raises: ``fits`` is False, the arrays
    that do not exist are None, and the message says why and how to fix it.
    """
    geometry = output_size_state(n, kernel, stride, padding)
    L, K, S, P = geometry["n"], geometry["kernel"], geometry["stride"], geometry["padding"]
    rng = np.random.default_rng(seed)
    W = rng.choice(_KERNEL_VALUES, size=(K, K)).astype(np.float64)
    if w is not None:
        W = _given(w, "w", (K, K))
    state = {"n": L, "kernel": K, "stride": S, "padding": P, "seed": seed,
             "padded": geometry["padded"], "fits": geometry["fits"], "w": W, "rot": rot180(W),
             "pad_width": K - 1, "seed_zp": K - 1 - P, "uncovered": geometry["uncovered"],
             "gaps": geometry["gaps"], "tail": geometry["tail"],
             "all_padding": geometry["all_padding"]}
    if not geometry["fits"]:
        need = -(-(K - L) // 2)
        state.update(output=0, stride1=0, smallest=0, leftover=0, delta=None, expanded=None,
                     skipped=None, padded_delta=None, full=None, dx=None, reference_dx=None,
                     matches=False, max_error=None, routes={"delta": {}, "input": {}})
        state["message"] = (
            f"Impossible: the kernel K = {K} is larger than the padded input "
            f"L + 2P = {L} + 2·{P} = {L + 2 * P}. No window fits, so the layer has no output, "
            f"no δ and nothing to send back (L − K + 2P + 1 = {_number(L - K + 2 * P + 1)} is not a map "
            f"size). Use a kernel of at most {L + 2 * P}, or padding of at least {need}.")
        return state

    O, M = geometry["output"], L - K + 2 * P + 1
    smallest = (O - 1) * S + 1
    delta_ = rng.choice(_DELTA_VALUES, size=(O, O)).astype(np.float64)
    if delta is not None:
        delta_ = _given(delta, "delta", (O, O))
    expanded = expand_sensitivity(delta_, S, (M, M))
    skipped = np.ones((M, M), dtype=bool)
    skipped[::S, ::S] = False
    padded_delta = pad2d(expanded, K - 1)
    full = correlate2d(padded_delta, state["rot"], "valid")     # (L + 2P) × (L + 2P)
    dx = crop2d(full, P)
    # dx does not depend on the input's values, only on its size: zeros will do.
    reference = conv2d_backward(delta_[None, None], np.zeros((1, 1, L, L)), W[None, None],
                                S, P)[0][0, 0]
    error = float(np.abs(dx - reference).max())
    state.update(output=O, stride1=M, smallest=smallest, leftover=M - smallest, delta=delta_,
                 expanded=expanded, skipped=skipped, padded_delta=padded_delta, full=full,
                 dx=dx, reference_dx=reference, matches=error == 0.0, max_error=error,
                 routes=conv_routes(L, K, S, P))
    state["message"] = " ".join(_notes(state, geometry))
    return state


def _notes(state, geometry):
    """The message of a setting that fits, one sentence per step."""
    L, K, S, P = state["n"], state["kernel"], state["stride"], state["padding"]
    O, M, smallest, leftover = state["output"], state["stride1"], state["smallest"], state["leftover"]
    exact = geometry["exact"]
    steps = f"{exact} + 1" if leftover == 0 else f"⌊{exact}⌋ + 1 = {O - 1} + 1"
    notes = [f"O = ⌊(L − K + 2P)/S⌋ + 1 = ⌊({L} − {K} + 2·{P})/{S}⌋ + 1 = {steps} = {O}: "
             f"δ is {O}×{O}."]
    zeros = M * M - O * O
    if S == 1:
        notes.append(f"With stride 1 no window was skipped: the expanded map is δ itself, "
                     f"{M}×{M} = L − K + 2P + 1.")
    else:
        kept = _and([i * S for i in range(O)])
        notes.append(f"At stride 1 there would be L − K + 2P + 1 = {M} windows per axis; "
                     f"stride {S} kept those at {'position' if O == 1 else 'positions'} {kept}, "
                     f"so δ goes there and the other {_plural(zeros, 'cell')} of the {M}×{M} "
                     f"expanded map are zeros (hatched).")
    if leftover:
        last = "row and column" if leftover == 1 else f"{leftover} rows and columns"
        short = "a row and a column" if leftover == 1 else f"{leftover} rows and columns"
        notes.append(f"S = {S} does not divide L − K + 2P = {L - K + 2 * P}: the last {last} of "
                     f"the stride-1 map were skipped too, so expand to {M}×{M}, not to "
                     f"(O − 1)S + 1 = {smallest}×{smallest}, which would leave δ^(l−1) "
                     f"{short} short.")
    Q = M + 2 * (K - 1)
    pad = (f"Pad with K − 1 = {_plural(K - 1, 'ring')} of zeros → {Q}×{Q}" if K > 1 else
           f"K − 1 = 0: no padding ({Q}×{Q})")
    notes.append(f"{pad}; ⋆ rot180(W) → {L + 2 * P}×{L + 2 * P}, the gradient of the padded input "
                 f"(L + 2P = {L + 2 * P})"
                 + (f"; crop its P = {P} border (the padding cells' share) → δ^(l−1), {L}×{L}."
                    if P else f"; with P = 0 there is nothing to crop: δ^(l−1) is {L}×{L}."))
    notes.append("It equals cb.conv2d_backward's dx (max error 0)." if state["matches"] else
                 f"It differs from cb.conv2d_backward's dx by {state['max_error']:.1e}.")
    uncovered = state["uncovered"]
    if uncovered:
        gaps, tail = state["gaps"], state["tail"]
        jumped, after = f"jumped over, since S = {S} > K = {K}", "after the last window"
        if gaps and tail:
            why = f"{_and(gaps)} {jumped}; {_and(tail)} {after}"
        else:
            why = jumped if gaps else after
        notes.append(f"Input {_rows(uncovered)} ({why}) lie in no window: their gradient is 0 "
                     f"(hatched).")
    if state["all_padding"]:
        notes.append(f"P = {P} ≥ K = {K}: {_plural(len(state['all_padding']), 'window')} per axis "
                     f"see only padding, so {'its' if len(state['all_padding']) == 1 else 'their'}"
                     f" δ reaches only the cropped border.")
    if state["seed_zp"] < 0:
        notes.append(f"Seed 001's shortcut, padding the expanded map by zp = K − 1 − P = "
                     f"{_number(state['seed_zp'])}, fails here (P > K − 1); pad K − 1, then "
                     f"crop P works for every P.")
    return notes


class StrideExplorer(Explorer):
    """Input size L, kernel K, stride S, padding P → each step of δ^(l−1) at stride S.

    Chapter 5. Top row: δ (O×O) → the expanded δ at stride 1 (inserted zeros hatched) →
    padded with K − 1 zeros (grey ring) ⋆ rot180(W). Bottom row: = the gradient of the
    padded input (its P-wide padding border grey, the input part outlined) → cropped:
    δ^(l−1) = ∂E/∂x, with the rows and columns no window reads hatched. δ maps use the
    diverging δ colours, the kernel orange. Small seeded integers, so every number can
    be checked by hand.
    """

    controls = {"n": (3, 9, "input size L"), "kernel": (1, 5, "kernel K"),
                "stride": (1, 4, "stride S"), "padding": (0, 2, "padding P")}
    figsize = (9.0, 7.0)

    def __init__(self, seed=0, **values):
        self.seed = seed
        super().__init__(**values)

    def compute(self, n, kernel, stride, padding):
        return stride_state(n, kernel, stride, padding, self.seed)

    def routes(self, state):
        """Point at δ_uv: its place in the expanded and padded maps, the rot180(W) taps and
        the input cells it reaches (on the padded gradient too, border included); point at
        a cell of δ^(l−1): the δ cells and taps of its sum, written out."""
        if not state["fits"]:
            return {}
        K, S, P, delta, w = (state["kernel"], state["stride"], state["padding"],
                             state["delta"], state["w"])
        out = {}

        def rot(m, n):
            return f"r:{K - 1 - m},{K - 1 - n}"

        def placed(u, v):
            return [f"e:{u * S},{v * S}", f"pd:{u * S},{v * S}"]

        for (u, v), pairs in state["routes"]["delta"].items():
            window = [f"f:{u * S - P + m},{v * S - P + n}" for m in range(K) for n in range(K)]
            on = (placed(u, v) + [f"x:{i},{j}" for (i, j), _ in pairs] + window
                  + sorted({rot(m, n) for m in range(K) for n in range(K)}))
            out[f"d:{u},{v}"] = {"on": on, "text": (
                f"δ[{u},{v}] = {_number(delta[u, v])} sits at ({u * S}, {v * S}) of the expanded "
                f"map; times rot180(W) it lands on the {K}×{K} window of net[{u},{v}]: "
                f"{_plural(len(pairs), 'input cell')}" + (", the rest on padding (cropped)"
                                                         if len(pairs) < K * K else ""))}
        for (i, j), pairs in state["routes"]["input"].items():
            on = ([c for (u, v), _ in pairs for c in [f"d:{u},{v}", *placed(u, v)]]
                  + sorted({rot(m, n) for _, (m, n) in pairs}) + [f"f:{i},{j}"])
            out[f"x:{i},{j}"] = {"on": on, "text": sum_text(f"x[{i},{j}]", pairs, delta, w)}
        return out

    def draw(self, fig, state):
        ax = fig.subplots()
        if not state["fits"]:
            self._draw_impossible(ax, state)
            return
        L, K, S, P = state["n"], state["kernel"], state["stride"], state["padding"]
        O, M = state["output"], state["stride1"]
        Q, R = M + 2 * (K - 1), L + 2 * P
        gap = 3.0
        top = [(state["delta"], "delta", rf"$\delta^{{(l)}}$  {O}×{O}", {"ids": "d"}),
               (state["expanded"], "delta", f"expanded  {M}×{M}",
                {"skipped": state["skipped"], "ids": "e"}),
               (state["padded_delta"], "delta", f"padded  {Q}×{Q}",
                {"padding": K - 1, "skipped": pad2d(state["skipped"], K - 1) > 0, "ids": "pd"}),
               (state["rot"], "kernel", "rot180(W)", {"ids": "r"})]
        top_ops = [("→", f"expand S={S}"), ("→", f"pad K−1={K - 1}"), ("⋆", "")]
        dx_hatch = np.zeros((L, L), dtype=bool)
        dx_hatch[state["uncovered"], :] = True
        dx_hatch[:, state["uncovered"]] = True
        bottom = [(state["full"], "delta", rf"$\partial E/\partial a_{{pad}}$  {R}×{R}",
                   {"padding": P, "ids": "f"}),
                  (state["dx"], "delta", rf"dx = $\partial E/\partial a^{{(l-1)}}$  {L}×{L}",
                   {"skipped": dx_hatch, "ids": "x"})]
        bottom_ops = [("→", f"crop P={P}")]
        width_top = sum(a.shape[1] for a, *_ in top) + gap * len(top_ops)
        width_bottom = gap + sum(a.shape[1] for a, *_ in bottom) + gap * len(bottom_ops)
        width = max(width_top, width_bottom)
        head, between = 1.6, 2.4          # room for the captions above each row
        height = head + Q + between + R
        # the size of one cell in points, to size the numbers and the labels
        cell = min(self.figsize[0] * 0.97 / width, (self.figsize[1] - 0.45) / height) * 72
        fontsize = float(np.clip(0.42 * cell, 5, 11))
        label_size = float(np.clip(gap * cell / 6.5, 6, 9))  # "pad K−1=2" fits the gap
        y_top, y_bottom = head, head + Q + between
        corners = self._row(ax, top, top_ops, y_top, Q, 0.0, gap, fontsize, label_size)
        ax.text(gap / 2, y_bottom + R / 2, "=", ha="center", va="center", fontsize=20)
        corners += self._row(ax, bottom, bottom_ops, y_bottom, R, gap, gap, fontsize, label_size)
        if P:  # the input part of the padded input's gradient: what is kept
            viz.highlight(ax, P, P, L, L, role="delta", origin=corners[4], linewidth=2.0)
        ax.set_xlim(-0.2, width + 0.2)
        ax.set_ylim(height + 0.2, -0.2)
        title = (f"L={L}, K={K}, S={S}, P={P}:  δ {O}×{O} → stride-1 map {M}×{M} "
                 f"= L−K+2P+1 → δ^(l−1) {L}×{L}")
        if state["leftover"]:
            title += f"\n(S does not divide L−K+2P = {L - K + 2 * P}: not (O−1)S+1 = {state['smallest']})"
        ax.set_title(title, fontsize=11)

    @staticmethod
    def _row(ax, items, operators, y, height, x, gap, fontsize, label_size):
        """Draw ``items`` left to right from ``x``, centred in a row of ``height``."""
        corners = []
        for k, (values, role, caption, options) in enumerate(items):
            rows, cols = values.shape
            corner = (y + (height - rows) / 2, x)
            viz.draw_matrix(values, role, ax=ax, origin=corner, fontsize=fontsize, **options)
            ax.text(x + cols / 2, corner[0] - 0.25, caption, ha="center", va="bottom",
                    fontsize=10, color=viz.role_colour(role))
            corners.append(corner)
            x += cols
            if k < len(operators):
                symbol, label = operators[k]
                ax.text(x + gap / 2, y + height / 2, _SYMBOLS.get(symbol, symbol),
                        ha="center", va="center", fontsize=28 if symbol == "⋆" else 20)
                if label:
                    ax.text(x + gap / 2, y + height / 2 - 0.8, label, ha="center",
                            va="bottom", fontsize=label_size, color="#444444")
                x += gap
        return corners

    @staticmethod
    def _draw_impossible(ax, state):
        """The padded input with the kernel hanging over it, and what would fix it."""
        L, K, P = state["n"], state["kernel"], state["padding"]
        size = L + 2 * P
        viz.draw_windows(L, K, state["stride"], P, ax=ax)
        kernel_colour = viz.role_colour("kernel")
        ax.add_patch(Rectangle((0, 0), K, K, fill=False, linestyle="--", linewidth=2,
                               edgecolor=kernel_colour))
        ax.text(K / 2, K + 0.2, f"kernel {K}×{K}", ha="center", va="top", fontsize=11,
                color=kernel_colour)
        need = -(-(K - L) // 2)
        ax.text(K + 0.8, K / 2,
                f"padded input {size}×{size} < kernel {K}×{K}\n"
                f"no window fits: no output, no δ,\nnothing to send back\n\n"
                f"fix: kernel K ≤ {size}\n     or padding P ≥ {need}",
                ha="left", va="center", fontsize=12, color="#333333")
        ax.set_xlim(-0.3, K + 9.5)
        ax.set_ylim(K + 1.2, -0.3)
        ax.set_title(f"L={L}, K={K}, S={state['stride']}, P={P}: impossible", fontsize=11)
