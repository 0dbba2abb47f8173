"""The pooling explorer of chapter 7: max / mean, window, stride, padding → where δ goes.

``pooling_state`` builds a small integer input map (values from a small range, so
some windows hold a tie) and an integer sensitivity map δ of the pooled size, pools
the map with ``cnnbook.max_pool2d`` / ``cnnbook.avg_pool2d`` and sends δ back with
``max_pool2d_backward`` / ``avg_pool2d_backward``. Everything it reports — which cell
of each window is the (first) maximum, how many windows send δ into each cell — is
read off those backward functions, never recomputed here.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from matplotlib.patches import Rectangle

from .. import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward, viz
from ..im2col import participation_counts
from ..shapes import _check_int
from .base import Explorer
from ._words import _and, _number, _plural
from .routes import pool_routes

__all__ = ["pooling_state", "PoolingExplorer"]

MODES = ("max", "mean")
INPUT_VALUES = (-2, 8)    # the input map holds integers −2 … 7: small range, so ties happen
DELTA_VALUES = (-3, -2, -1, 1, 2, 3)
ARGMAX_FACE = "#F4A582"   # light red, the positive side of the δ colour map: δ lands here
# One colour per window (Okabe–Ito, colour-blind safe): output cell, window and the δ it
# routes share it. Repeats after eight windows.
WINDOW_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00",
                  "#F0E442", "#999999")


def window_colour(u, v, out_size):
    """The colour of window (u, v) of an ``out_size``×``out_size`` pooling."""
    return WINDOW_COLOURS[(u * out_size + v) % len(WINDOW_COLOURS)]


def _input_map(n, seed):
    """The n×n integer input: depends only on n and the seed (K, S, P don't change it)."""
    rng = np.random.default_rng([seed, n])
    return rng.integers(*INPUT_VALUES, size=(n, n)).astype(np.float64)


def _delta_map(out, seed):
    """An out×out integer δ (never 0, so every route shows): depends only on its size and seed."""
    rng = np.random.default_rng([seed, out, 1])
    return rng.choice(DELTA_VALUES, size=(out, out)).astype(np.float64)


def _cell(r, c):
    return f"({r}, {c})"


def _fmt(value):
    """A number for the message: 2, −1.5, 0.3333 (Unicode minus)."""
    value = float(value)
    text = str(int(value)) if value.is_integer() else f"{value:.4g}"
    return text.replace("-", "−")


def _impossible(state, n, k, s, p, mode):
    """Fill ``state`` for a setting no pooling layer accepts, and explain it."""
    padded = n + 2 * p
    reasons = []
    if 2 * p > k:
        reasons.append(
            f"the padding P = {p} is more than half the window: 2P = {2 * p} > K = {k}. "
            f"PyTorch (\"pad should be at most half of effective kernel size\") and cnnbook "
            f"allow at most ⌊K/2⌋ = {k // 2} for a {k}×{k} window, so that no border window is "
            f"mostly padding. Use padding of at most {k // 2}, or a window of at least {2 * p}")
    if padded < k:
        need = -(-(k - n) // 2)  # ceil((K − L) / 2): the least padding that makes it fit
        reasons.append(
            f"the window K = {k} is larger than the padded input L + 2P = {n} + 2·{p} = "
            f"{padded}, so not one window fits. Use a window of at most {padded}, or padding "
            f"of at least {need}")
    state.update(possible=False, fits=padded >= k, output_size=0, exact=None,
                 output=np.zeros((0, 0)), delta=np.zeros((0, 0)), argmax=None,
                 upsampled=np.zeros((n, n)), counts=np.zeros((n, n), dtype=np.int64),
                 coverage=np.zeros((n, n), dtype=np.int64), starts=[], windows=[],
                 ties=[], overlap=False, uncovered=list(range(n)),
                 sum_delta=0.0, sum_upsampled=0.0, routes=pool_routes({}))
    state["message"] = (f"Impossible {mode} pooling: " + "; and ".join(reasons)
                        + ". Nothing is pooled, so no δ comes back.")
    return state


def pooling_state(mode, n, window, stride, padding=0, seed=0):
    """Everything the pooling picture shows, for a square n×n input and a window×window pool.

    Pure and deterministic: the input map ``x`` (n×n integers from −2 … 7, so windows can
    tie) depends only on ``n`` and ``seed``; δ (nonzero integers −3 … 3) only on the output
    size and ``seed``. Positions are 0-based; "padded coordinates" count from the first
    padding cell, so input cell (r, c) sits at (P + r, P + c). The returned dict holds:

    * the settings ``mode`` ("max" or "mean"), ``n`` (L), ``window`` (K), ``stride`` (S),
      ``padding`` (P), ``seed``, and ``padded`` = L + 2P;
    * ``possible``: does PyTorch accept the setting (K ≤ L + 2P and 2P ≤ K)? ``fits``:
      K ≤ L + 2P alone;
    * ``x`` (n×n), ``output_size`` O = ⌊(L − K + 2P)/S⌋ + 1, ``exact`` (L − K + 2P)/S as
      a float, ``output`` (O×O, the pooled map), ``delta`` (O×O, the δ that arrives);
    * ``upsampled`` (n×n): δ sent back — exactly ``cb.max_pool2d_backward`` or
      ``cb.avg_pool2d_backward``;
    * ``argmax`` (max only; None for mean): an (O, O, 2) int array, the input cell
      (row, col) that window (i, j) routes its δ to — its first maximum in row-major
      order, as cnnbook and PyTorch choose;
    * ``counts`` (n×n ints): how many windows send δ into each cell — for max, how many
      windows have that cell as their argmax; for mean, how many windows cover it;
      ``coverage`` (n×n ints): how many windows cover each cell (both modes);
    * ``starts``: window starts along one axis (padded coordinates), ``windows``: the
      (row, col) top-left corner of window (i, j) for every output, row-major;
    * ``ties`` (max only): ``[((i, j), [cells equal to the maximum]), ...]`` for windows
      whose maximum appears more than once (padded cells never tie: they are −∞);
    * ``overlap``: S < K (windows share cells); ``uncovered``: input indices along one
      axis that no window reads (gradient 0, the floor's drop or S > K gaps);
    * ``sum_delta``, ``sum_upsampled``: Σδ and Σ of the upsampled δ (equal for max;
      for mean equal unless padding takes a share);
    * ``message``: the formula with the numbers of this setting, what overlaps, ties,
      the floor and the padding do, or why the setting is impossible.

    A setting a control can reach never raises: an impossible one gives ``possible``
    False, an empty output and a ``message`` saying why, with the numbers.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    n = _check_int(n, "input size n", 1)
    k = _check_int(window, "window", 1)
    s = _check_int(stride, "stride", 1)
    p = _check_int(padding, "padding", 0)
    seed = _check_int(seed, "seed", 0)
    x = _input_map(n, seed)
    padded = n + 2 * p
    state = {"mode": mode, "n": n, "window": k, "stride": s, "padding": p, "seed": seed,
             "padded": padded, "x": x}
    if padded < k or 2 * p > k:
        return _impossible(state, n, k, s, p, mode)

    X = x[None, None]
    out_size = (padded - k) // s + 1
    delta = _delta_map(out_size, seed)
    D = delta[None, None]
    if mode == "max":
        output = max_pool2d(X, k, s, p)[0, 0]
        upsampled = max_pool2d_backward(D, X, k, s, p)[0, 0]
        counts = np.rint(max_pool2d_backward(np.ones_like(D), X, k, s, p)[0, 0]).astype(np.int64)
        argmax = np.zeros((out_size, out_size, 2), dtype=np.int64)
        for i in range(out_size):
            for j in range(out_size):
                one = np.zeros_like(D)
                one[0, 0, i, j] = 1.0          # a δ of 1 from window (i, j) alone …
                hit = max_pool2d_backward(one, X, k, s, p)[0, 0]
                argmax[i, j] = np.argwhere(hit == 1.0)[0]   # … lands on its argmax
    else:
        output = avg_pool2d(X, k, s, p)[0, 0]
        upsampled = avg_pool2d_backward(D, X, k, s, p)[0, 0]
        counts = argmax = None
    coverage = participation_counts(n, k, s, p)   # windows covering each cell
    if counts is None:                            # mean: every covering window sends δ/K²
        counts = coverage.copy()
    starts = [o * s for o in range(out_size)]
    windows = [(r, c) for r in starts for c in starts]
    ties = []
    if mode == "max":
        x_pad = np.pad(x, p, constant_values=-np.inf)
        for i, r0 in enumerate(starts):
            for j, c0 in enumerate(starts):
                block = x_pad[r0:r0 + k, c0:c0 + k]
                equal = np.argwhere(block == output[i, j])
                if len(equal) > 1:
                    ties.append(((i, j), [(int(r0 + a - p), int(c0 + b - p)) for a, b in equal]))
    uncovered = [i for i in range(n) if not coverage[i].any()]  # row i ⇔ column i (square)
    state.update(possible=True, fits=True, output_size=out_size, exact=(padded - k) / s,
                 output=output, delta=delta, argmax=argmax, upsampled=upsampled,
                 counts=counts, coverage=coverage, starts=starts, windows=windows,
                 ties=ties, overlap=s < k, uncovered=uncovered,
                 sum_delta=float(delta.sum()), sum_upsampled=float(upsampled.sum()))
    state["routes"] = pool_routes(state)
    state["message"] = _message(state)
    return state


def _message(state):
    """The reader's explanation of a possible setting, with its numbers."""
    mode, n, k, s, p = state["mode"], state["n"], state["window"], state["stride"], state["padding"]
    O, x, delta, up, counts = (state["output_size"], state["x"], state["delta"],
                               state["upsampled"], state["counts"])
    leftover = (n + 2 * p - k) % s
    steps = (f"{(n + 2 * p - k) // s} + 1" if leftover == 0
             else f"⌊{_number_frac(n + 2 * p - k, s)}⌋ + 1 = {(n + 2 * p - k) // s} + 1")
    notes = [f"O = ⌊(L − K + 2P)/S⌋ + 1 = ⌊({n} − {k} + 2·{p})/{s}⌋ + 1 = {steps} = {O}: "
             f"the {n}×{n} input pools to {O}×{O}."]
    r0, c0 = state["windows"][0]
    if mode == "max":
        (ar, ac) = state["argmax"][0, 0]
        notes.append(
            f"Max pooling: window (0, 0) keeps its maximum x[{ar}, {ac}] = {_fmt(x[ar, ac])}, so "
            f"δ[0, 0] = {_fmt(delta[0, 0])} goes back to that cell only; the other cells of the "
            f"window get 0 from it.")
        if state["ties"]:
            (ti, tj), cells = state["ties"][0]
            others = len(state["ties"]) - 1
            notes.append(
                f"Tie: window ({ti}, {tj}) has its maximum {_fmt(state['output'][ti, tj])} at "
                f"{_and([_cell(*c) for c in cells])}; δ[{ti}, {tj}] goes to the first of them "
                f"in row-major order, {_cell(*cells[0])}, as in PyTorch"
                + (f" ({_plural(others, 'more window')} with a tie)." if others else "."))
    else:
        share = delta[0, 0] / (k * k)
        notes.append(
            f"Mean pooling: every cell of window (0, 0) gets δ[0, 0]/K² = "
            f"{_fmt(delta[0, 0])}/{k * k} = {_fmt(share)}.")
    if state["overlap"]:
        top = int(counts.max())
        r, c = (int(v) for v in np.argwhere(counts == top)[0])
        verb = "is the maximum of" if mode == "max" else "lies in"
        if top > 1:
            sources = _sources(state, r, c)
            terms = " + ".join(_fmt(v) for v in sources)
            terms = terms.replace("+ −", "− ")
            notes.append(
                f"Overlap: the stride S = {s} is smaller than the window K = {k}, so windows "
                f"share cells and what they send back adds up. x[{r}, {c}] {verb} {top} "
                f"windows: it receives {terms} = {_fmt(up[r, c])}.")
        else:
            notes.append(f"Overlap: S = {s} < K = {k}, so windows share cells; here no cell "
                         f"is the maximum of more than one window.")
    elif s > k:
        notes.append(f"The stride S = {s} is larger than the window K = {k}: windows skip cells.")
    if leftover:
        notes.append(
            f"(L − K + 2P)/S = {_number_frac(n + 2 * p - k, s)} is not whole: the floor (PyTorch's "
            f"default, cnnbook) drops the last partial window; ceil mode (seed 003's 保留边缘) "
            f"would keep it and give {O + 1}×{O + 1}.")
    if state["uncovered"]:
        unc = state["uncovered"]
        notes.append(f"Input {'row and column' if len(unc) == 1 else 'rows and columns'} "
                     f"{_and(unc)} {'is' if len(unc) == 1 else 'are'} in no window: "
                     f"gradient 0 there.")
    if p:
        if mode == "max":
            notes.append(f"Padding P = {p}: max pooling pads with −∞, so a padded cell never wins "
                         f"and all of Σδ = {_fmt(state['sum_delta'])} reaches the input.")
        else:
            lost = state["sum_delta"] - state["sum_upsampled"]
            notes.append(
                f"Padding P = {p}: mean pooling pads with zeros and still divides by K² = {k * k} "
                f"(count_include_pad, as PyTorch's default), so the shares that land on padding "
                f"are dropped: the upsampled δ sums to {_fmt(state['sum_upsampled'])}, not "
                f"Σδ = {_fmt(state['sum_delta'])} ({_fmt(lost)} fell on padding).")
    else:
        notes.append(f"Nothing is lost: the upsampled δ sums to Σδ = {_fmt(state['sum_delta'])}.")
    return " ".join(notes)


def _number_frac(a, b):
    """``a/b`` for the reader: ``3``, ``5/2 = 2.5``."""
    return _number(Fraction(a, b))


def _sources(state, r, c):
    """The shares of δ that input cell (r, c) receives, one per window, in window order."""
    k, p, delta = state["window"], state["padding"], state["delta"]
    shares = []
    for idx, (r0, c0) in enumerate(state["windows"]):
        i, j = divmod(idx, state["output_size"])
        if state["mode"] == "max":
            if tuple(state["argmax"][i, j]) == (r, c):
                shares.append(delta[i, j])
        elif r0 <= r + p < r0 + k and c0 <= c + p < c0 + k:
            shares.append(delta[i, j] / (k * k))
    return shares


class PoolingExplorer(Explorer):
    """Max or mean pooling; input size L, window K, stride S, padding P → where δ goes.

    Chapter 7. Four panels, forward on top, backward below: the (padded) input with
    windows outlined in orange — for max pooling each window's argmax is shaded red,
    and a dashed frame marks a cell that ties with the maximum but loses —; the pooled
    output; the δ that arrives; and, under the input, the upsampled δ sent back to it,
    each cell marked with the number of windows that send δ into it (×2, ×3 … where
    windows overlap; hatched: in no window). An impossible setting is drawn as the
    input with the window hanging over it, and the message says why.
    """

    controls = {"mode": (MODES, "pooling"), "n": (2, 9, "input size L"),
                "window": (1, 5, "window K"), "stride": (1, 4, "stride S"),
                "padding": (0, 2, "padding P")}
    figsize = (8.0, 7.2)

    def __init__(self, mode="max", n=4, window=2, stride=2, padding=0):
        super().__init__(mode=mode, n=n, window=window, stride=stride, padding=padding)

    def compute(self, mode, n, window, stride, padding):
        return pooling_state(mode, n, window, stride, padding)

    def draw(self, fig, state):
        n, k, s, p, mode = (state["n"], state["window"], state["stride"], state["padding"],
                            state["mode"])
        O, padded = state["output_size"], state["padded"]
        left = max(padded, k, 4)
        axes = fig.subplots(2, 2, width_ratios=[left, max(O, 3)])
        fontsize = 11 if left <= 8 else 9
        self._draw_input(axes[0, 0], state, fontsize)
        if not state["possible"]:
            for ax, title in ((axes[0, 1], "output"), (axes[1, 1], "δ arriving"),
                              (axes[1, 0], "upsampled δ")):
                ax.text(0.5, 0.5, "—", ha="center", va="center", fontsize=14, color="#888888",
                        transform=ax.transAxes)
                ax.set_title(title, fontsize=11)
                ax.axis("off")
            why = []
            if 2 * p > k:
                why.append(f"2P = {2 * p} > K = {k}")
            if padded < k:
                why.append(f"K = {k} > L + 2P = {padded}")
            fig.suptitle(f"{mode} pooling, L={n}, K={k}, S={s}, P={p}: impossible "
                         f"({', '.join(why)})", fontsize=12)
            return
        out_fs = 11 if O <= 5 else 9
        faces = [[viz.tint_colour(window_colour(u, v, O), 0.45) for v in range(O)]
                 for u in range(O)]
        viz.draw_matrix(state["output"], "output", ax=axes[0, 1], fmt="{:.3g}", fontsize=out_fs,
                        title=f"{mode} pool {O}×{O}, a colour per window", faces=faces,
                        ids="o")
        viz.draw_matrix(state["delta"], "delta", ax=axes[1, 1], fontsize=out_fs,
                        title="δ arriving (= ∂E/∂net)", ids="d")
        for u in range(O):
            for v in range(O):   # a frame in the window's colour: where this δ comes from
                self._frame(axes[1, 1], u + 0.06, v + 0.06, 0.88, window_colour(u, v, O))
        self._draw_upsampled(axes[1, 0], state, fontsize, left)
        overlap = ", windows overlap" if state["overlap"] else ""
        fig.suptitle(f"{mode} pooling, L={n}, K={k}, S={s}, P={p} → {O}×{O}{overlap}"
                     f"\nforward on top, backward below", fontsize=12)

    @staticmethod
    def _frame(ax, r, c, size, colour, linewidth=2.5):
        viz.outline(ax, r, c, size, size, colour, linewidth=linewidth)

    def routes(self, state):
        """Point at a pooled cell or its δ: its window on the input and the cell its δ
        lands in; point at an input cell: the windows that send δ into it."""
        if not state["possible"]:
            return {}
        r = state["routes"]
        delta, mode, k = state["delta"], state["mode"], state["window"]
        out = {}
        for (u, v), cells in r["window"].items():
            lands = r["lands"][(u, v)]
            on = ([f"o:{u},{v}", f"d:{u},{v}"] + [f"x:{i},{j}" for i, j in cells]
                  + [f"u:{i},{j}" for i, j in lands])
            if mode == "max":
                (i, j), = lands
                text = (f"window ({u},{v}): max x[{i},{j}] = {_fmt(state['x'][i, j])}; "
                        f"δ[{u},{v}] = {_fmt(delta[u, v])} lands on x[{i},{j}] only")
            else:
                text = (f"window ({u},{v}): δ[{u},{v}]/K² = {_fmt(delta[u, v])}/{k * k} = "
                        f"{_fmt(delta[u, v] / (k * k))} to each of its {len(cells)} input cells")
            out[f"o:{u},{v}"] = out[f"d:{u},{v}"] = {"on": on, "text": text}
        n = state["n"]
        for i in range(n):
            for j in range(n):
                windows = r["input"].get((i, j), [])
                on = [f"x:{i},{j}", f"u:{i},{j}"] + [c for u, v in windows
                                                     for c in (f"o:{u},{v}", f"d:{u},{v}")]
                shares = [delta[u, v] if mode == "max" else delta[u, v] / (k * k)
                          for u, v in windows]
                text = (f"x[{i},{j}] receives " + (" + ".join(
                    f"{_fmt(sv)} (window {u},{v})" for sv, (u, v) in zip(shares, windows))
                    + f" = {_fmt(state['upsampled'][i, j])}" if windows else "nothing: "
                    + ("it is no window's maximum" if mode == "max" else "no window covers it")))
                out[f"x:{i},{j}"] = out[f"u:{i},{j}"] = {"on": on, "text": text}
        return out

    @staticmethod
    def _windows_to_draw(state):
        O = state["output_size"]
        if O <= 3:
            return list(range(O * O))
        return [0, 1, O, O * O - 1]  # the first steps and the last window

    def _draw_input(self, ax, state, fontsize):
        n, k, p, mode, x = state["n"], state["window"], state["padding"], state["mode"], state["x"]
        padded = state["padded"]
        labels = np.full((padded, padded), "−∞" if mode == "max" else "0", dtype=object)
        for r in range(n):
            for c in range(n):
                labels[p + r, p + c] = _fmt(x[r, c])
        skipped, faces = None, None
        if state["possible"]:
            skipped = np.zeros((padded, padded), dtype=bool)
            skipped[p:p + n, p:p + n] = state["coverage"] == 0
        O = state["output_size"]
        if mode == "max" and state["possible"]:
            faces = [[None] * padded for _ in range(padded)]
            for idx in reversed(range(O * O)):   # the first window that routes here wins
                u, v = divmod(idx, O)
                r, c = state["argmax"][u, v]
                faces[p + r][p + c] = viz.tint_colour(window_colour(u, v, O), 0.45)
        viz.draw_matrix(labels, "input", ax=ax, padding=p, skipped=skipped, faces=faces,
                        fontsize=fontsize, ids="x")
        kernel = viz.role_colour("kernel")
        if not state["possible"]:
            ax.add_patch(Rectangle((0, 0), k, k, fill=False, linestyle="--", edgecolor=kernel,
                                   linewidth=2, zorder=5))
            size = max(padded, k)
            ax.set_xlim(-0.2, size + 0.2)
            ax.set_ylim(size + 0.2, -0.2)
            ax.set_title("input, and the window (dashed)", fontsize=11)
            return
        for shown, idx in enumerate(self._windows_to_draw(state)):
            r0, c0 = state["windows"][idx]
            u, v = divmod(idx, O)
            inset = 0.05 + 0.08 * (shown % 4)   # windows that overlap stay apart
            self._frame(ax, r0 + inset, c0 + inset, k - 2 * inset, window_colour(u, v, O),
                        linewidth=2.2)
        if mode == "max":
            marked = {tuple(int(v) for v in a) for a in state["argmax"].reshape(-1, 2)}
            for _, cells in state["ties"]:
                for r, c in cells:
                    if (r, c) not in marked:
                        ax.add_patch(Rectangle((p + c + 0.1, p + r + 0.1), 0.8, 0.8,
                                               fill=False, linestyle="--", linewidth=1.5,
                                               edgecolor="#222222", zorder=5))
            title = "input x: each window's argmax in its colour"
            if state["ties"]:
                title += ",\ndashed: equal to the max but not first"
        else:
            title = "input x, windows in their colours"
        ax.set_title(title, fontsize=11)

    @staticmethod
    def _delta_faces(values):
        from matplotlib import colormaps

        cmap, norm = viz._delta_cmap(), viz._delta_norm(values)
        return [[cmap(norm(v)) for v in row] for row in values]

    @staticmethod
    def _draw_upsampled(ax, state, fontsize, left):
        counts, up, p = state["counts"], state["upsampled"], state["padding"]
        several = counts >= 2
        labels = np.empty(up.shape, dtype=object)
        for (r, c), value in np.ndenumerate(up):
            labels[r, c] = "" if several[r, c] else _fmt(value).replace("−", "-")
        viz.draw_matrix(labels, "delta", ax=ax, fontsize=fontsize - 1, origin=(p, p),
                        skipped=state["coverage"] == 0, ids="u", id_offset=0,
                        faces=PoolingExplorer._delta_faces(up))
        small = 8 if left <= 8 else 6
        for (r, c), count in np.ndenumerate(counts):
            if count >= 2:   # the number low in the cell, its count high: never on top
                ax.text(p + c + 0.5, p + r + 0.7, _fmt(up[r, c]), ha="center", va="center",
                        fontsize=fontsize - 2, zorder=6)
                ax.text(p + c + 0.5, p + r + 0.27, f"×{count}", ha="center", va="center",
                        fontsize=small, color="#222222", zorder=6)
        if state["mode"] == "max":
            O = state["output_size"]
            for idx in range(O * O):   # where each window's δ lands, framed in its colour
                u, v = divmod(idx, O)
                r, c = state["argmax"][u, v]
                PoolingExplorer._frame(ax, p + r + 0.06, p + c + 0.06, 0.88,
                                       window_colour(u, v, O))
        ax.set_xlim(-0.05, left + 0.05)
        ax.set_ylim(left + 0.05, -0.05)
        what = "routes" if state["mode"] == "max" else "windows"
        ax.set_title(f"upsampled δ back to x  (×c: {what} adding up)", fontsize=11)
