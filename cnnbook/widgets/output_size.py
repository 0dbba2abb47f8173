"""The output-size explorer of chapter 3: L, K, S, P → windows and ⌊(L − K + 2P)/S⌋ + 1."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from matplotlib.patches import Rectangle

from .. import viz
from ..shapes import _check_int
from ._words import _and, _be, _indices, _number, _plural
from .base import Explorer

__all__ = ["output_size_state", "OutputSizeExplorer"]


def _covered(padded, kernel, stride, count):
    """Which of the ``padded`` positions at least one of ``count`` windows covers."""
    mask = np.zeros(padded, dtype=bool)
    for o in range(count):
        mask[o * stride:o * stride + kernel] = True
    return mask


def output_size_state(n, kernel, stride=1, padding=0):
    """Everything the output-size picture shows, along one axis of a square n×n input.

    Positions are 0-based; "padded coordinates" count from the first padding cell,
    so input index i sits at padded position P + i. The returned dict holds:

    * the settings ``n`` (L), ``kernel`` (K), ``stride`` (S), ``padding`` (P) and
      ``padded`` = L + 2P;
    * ``fits``: does at least one window fit (K ≤ L + 2P)?
    * ``exact``: (L − K + 2P)/S as a ``Fraction`` (None when nothing fits) — seed 004's
      formula without the floor;
    * ``output``: O = ⌊(L − K + 2P)/S⌋ + 1, or 0 when nothing fits;
    * ``windows``: the start of each window in padded coordinates, 0, S, …, (O − 1)S;
    * ``leftover``: (L − K + 2P) mod S, the padded positions after the last window,
      too few for another one (0 when S divides L − K + 2P);
    * ``dropped``: where the next window would start, (O)·S, when ``leftover`` > 0 — the
      window the floor drops because it would run ``S − leftover`` positions past the
      edge — else None;
    * ``uncovered``: the input indices no window reads (their gradient will be 0),
      split into ``gaps`` (jumped over between two windows, possible only when S > K)
      and ``tail`` (after the last window);
    * ``all_padding``: the output indices whose window holds only padding zeros
      (possible only when P ≥ K);
    * ``message``: a few plain sentences for the reader.

    A setting a slider can reach never raises: an impossible one gives ``fits`` False,
    ``output`` 0 and a ``message`` saying why and how to fix it.
    """
    n = _check_int(n, "input size n", 1)
    kernel = _check_int(kernel, "kernel", 1)
    stride = _check_int(stride, "stride", 1)
    padding = _check_int(padding, "padding", 0)
    padded = n + 2 * padding
    state = {"n": n, "kernel": kernel, "stride": stride, "padding": padding,
             "padded": padded, "fits": padded >= kernel}
    if not state["fits"]:
        need = -(-(kernel - n) // 2)  # ceil((K - L) / 2)
        formula_value = (padded - kernel) // stride + 1
        state.update(exact=None, output=0, windows=[], leftover=0, dropped=None,
                     uncovered=list(range(n)), gaps=[], tail=list(range(n)),
                     all_padding=[])
        state["message"] = (
            f"Impossible: the kernel K = {kernel} is larger than the padded input "
            f"L + 2P = {n} + 2·{padding} = {padded}, so not one window fits and there is "
            f"no output. (The formula would give ⌊({n} − {kernel} + 2·{padding})/{stride}⌋"
            f" + 1 = {_number(formula_value)}, which is not a size.) Use a kernel of at most "
            f"{padded}, or padding of at least {need}.")
        return state
    exact = Fraction(padded - kernel, stride)
    output = (padded - kernel) // stride + 1
    leftover = (padded - kernel) % stride
    windows = [o * stride for o in range(output)]
    covered = _covered(padded, kernel, stride, output)
    uncovered = [i for i in range(n) if not covered[padding + i]]
    end = windows[-1] + kernel  # first padded position after the last window
    tail = [i for i in uncovered if padding + i >= end]
    gaps = [i for i in uncovered if padding + i < end]
    all_padding = [o for o, s in enumerate(windows)
                   if s + kernel <= padding or s >= padding + n]
    steps = f"{exact} + 1" if leftover == 0 else f"⌊{exact}⌋ + 1 = {output - 1} + 1"
    notes = [f"O = ⌊(L − K + 2P)/S⌋ + 1 = ⌊({n} − {kernel} + 2·{padding})/{stride}⌋ + 1"
             f" = {steps} = {output}: the output is {output}×{output}."]
    if leftover:
        notes.append(
            f"Without the floor, (L − K + 2P)/S + 1 = {_number(exact + 1)} is not a whole "
            f"number of windows: one more window would run "
            f"{_plural(stride - leftover, 'position')} past the edge, so it is dropped "
            f"(the floor, as in PyTorch).")
    if uncovered:
        parts = []
        if gaps:
            parts.append(f"input {_indices(gaps)} {_be(gaps)} jumped over (the stride "
                         f"S = {stride} is larger than the kernel K = {kernel})")
        if tail:
            parts.append(f"input {_indices(tail)} {'lies' if len(tail) == 1 else 'lie'} "
                         f"after the last window")
        one = len(uncovered) == 1
        first = " and ".join(parts)
        notes.append(first[0].upper() + first[1:] + ": no window reads "
                     + ("it, so its value never changes the output and its gradient"
                        if one else "them, so their values never change the output and "
                        "their gradient") + " will be 0.")
    if all_padding:
        one = len(all_padding) == 1
        notes.append(f"{_plural(len(all_padding), 'window')} per axis "
                     f"({'output' if one else 'outputs'} {_and(all_padding)}) "
                     f"{'sees' if one else 'see'} only padding zeros, because "
                     f"P = {padding} ≥ K = {kernel}: {'that output is' if one else 'those outputs are'}"
                     f" just the bias.")
    state.update(exact=exact, output=output, windows=windows, leftover=leftover,
                 dropped=output * stride if leftover else None, uncovered=uncovered,
                 gaps=gaps, tail=tail, all_padding=all_padding)
    state["message"] = " ".join(notes)
    return state


class OutputSizeExplorer(Explorer):
    """Input size L, kernel K, stride S, padding P → the windows and the output size O.

    Chapter 3. Top: the padded input (padding grey) with every kernel window outlined
    in orange; hatched cells are input pixels no window reads. Bottom: one row of the
    same grid, numbered with the input indices, and under it each window as a bar
    labelled with its output index — the dashed bar is the window the floor drops
    (it would run past the edge). An impossible setting draws the kernel hanging over
    the padded input and says why, instead of failing.
    """

    controls = {"n": (1, 12, "input size L"), "kernel": (1, 7, "kernel K"),
                "stride": (1, 4, "stride S"), "padding": (0, 3, "padding P")}
    figsize = (5.0, 6.6)

    def compute(self, n, kernel, stride, padding):
        return output_size_state(n, kernel, stride, padding)

    def draw(self, fig, state):
        n, k, s, p = state["n"], state["kernel"], state["stride"], state["padding"]
        padded, out = state["padded"], state["output"]
        bars = list(state["windows"]) + ([state["dropped"]] if state["dropped"] is not None else [])
        if not state["fits"]:
            bars = [0]
        width = max(padded, k, bars[-1] + k, 6)  # room for a kernel that sticks out
        rows = max(1, min(len(bars), -(-k // s)))  # windows o and o + rows never overlap
        ax = fig.subplots()
        if state["fits"]:
            title = f"L={n}, K={k}, S={s}, P={p} → output {out}×{out}"
        else:
            title = f"L={n}, K={k}, S={s}, P={p}: K > L+2P = {padded}, no output"
        # Top: the padded grid. With many windows, draw only enough to show the steps.
        if out <= 3:
            shown = None
        else:
            shown = [(0, 0), (0, 1), (1, 0), (out - 1, out - 1)]
        viz.draw_windows(n, k, s, p, ax=ax, title=title, windows=shown)
        kernel_colour = viz.role_colour("kernel")
        if not state["fits"]:
            ax.add_patch(Rectangle((0, 0), k, k, fill=False, linestyle="--",
                                   edgecolor=kernel_colour, linewidth=2))
        top = max(padded, k if not state["fits"] else 0) + 1.6
        height = self._draw_strip(ax, state, bars, rows, top)
        ax.set_xlim(-0.2, width + 0.2)
        ax.set_ylim(height, -0.2)

    @staticmethod
    def _draw_strip(ax, state, bars, rows, top):
        """One axis of the input at height ``top``: its cells, then each window as a bar.

        Returns the bottom of what was drawn (data units).
        """
        n, k, p, padded = state["n"], state["kernel"], state["padding"], state["padded"]
        uncovered = set(state["uncovered"])
        input_face, pad_face = viz.tint("input"), viz.role_colour("padding")
        fontsize = 9 if max(padded, k) <= 12 else 7
        if not state["fits"]:
            note = "along one axis: the kernel is longer than the padded input"
        elif state["dropped"] is not None:
            note = "along one axis: windows by output index; dashed = dropped (floor)"
        else:
            note = "along one axis: input indices, and the windows by output index"
        ax.text(0, top - 0.35, note, ha="left", va="center", fontsize=9, color="#444444")
        for x in range(padded):
            i = x - p
            inside = 0 <= i < n
            ax.add_patch(Rectangle((x, top), 1, 1, facecolor=input_face if inside else pad_face,
                                   edgecolor="#444444", linewidth=0.8,
                                   hatch="///" if inside and i in uncovered else None))
            if inside:
                ax.text(x + 0.5, top + 0.5, str(i), ha="center", va="center",
                        fontsize=fontsize)
        colour = viz.role_colour("kernel")
        for o, start in enumerate(bars):
            y = top + 1.3 + 0.85 * (o % rows)
            dashed = not state["fits"] or (state["dropped"] is not None and o == len(bars) - 1)
            ax.add_patch(Rectangle(
                (start + 0.05, y), k - 0.1, 0.6, linewidth=1.8, edgecolor=colour,
                facecolor="none" if dashed else viz.tint("kernel", 0.35),
                linestyle="--" if dashed else "-", zorder=3))
            label = str(o) if not dashed else ("×" if state["fits"] else f"K = {k}")
            ax.text(start + k / 2, y + 0.3, label, ha="center", va="center",
                    fontsize=fontsize, color="#7a5200", zorder=4)
        return top + 1.3 + 0.85 * rows
