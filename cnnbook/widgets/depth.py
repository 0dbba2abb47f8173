"""The depth/filter explorer of chapter 6: C input channels, F filters → per-filter partial maps.

A convolution layer with C input channels and F filters has F·C kernels, one per
(filter q, input channel c) pair. Going backwards, channel c of the gradient that
reaches the input, dx = ∂E/∂a^(l−1), only meets channel c of each filter, and every
filter adds its share::

    partial_q   = crop_P( pad(δ1_q, K − 1) ⋆ rot180(W[q, c]) )   filter q's share of dx_c
    dx_c        = Σ_q partial_q                                   F partial maps, one sum
    dW[q, c]    = a_pad[c] ⋆ δ1_q                                 (valid correlation)
    db[q]       = Σ δ_q

where δ_q = ∂E/∂net_q, δ1_q is δ_q expanded to stride 1 (chapter 5) and ⋆ is
cross-correlation, so ``pad(·, K − 1) ⋆`` is the full correlation (chapter 4). There
are C such sums — dx = ∂E/∂a^(l−1) has C maps, one per input channel, never F — and
δ^(l−1)_c = dx_c ⊙ f′(net^(l−1)_c) when layer l−1 has an activation.
"""
from __future__ import annotations

import re

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors

from .. import viz
from ..conv import conv2d_backward
from ..primitives import correlate2d, crop2d, expand_sensitivity, pad2d, rot180
from ..shapes import _check_int
from .base import Explorer
from .routes import _num, conv_routes, sum_text

__all__ = ["depth_state", "DepthExplorer"]


def _plural(count, word, words=None):
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _integers(seed, tag, shape, lo, hi):
    """Seeded integers in [lo, hi]; ``tag`` names the array and its size, so that adding
    a channel or a filter leaves the existing ones unchanged."""
    return np.random.default_rng([seed, *tag]).integers(lo, hi + 1, size=shape).astype(np.float64)


def _example(channels, filters, n, kernel, out, seed):
    """x (1, D, n, n) in 0 … 2, W (N, D, K, K) in −1 … 1, δ (1, N, O, O) in −2 … 2.

    Channel d of x depends only on (seed, d, n), kernel W[f, d] only on (seed, f, d, K)
    and δ_f only on (seed, f, O): moving the D or N slider adds or removes maps
    without redrawing the others.
    """
    x = np.stack([_integers(seed, (0, d, n), (n, n), 0, 2) for d in range(channels)])[None]
    w = np.stack([np.stack([_integers(seed, (1, f, d, kernel), (kernel, kernel), -1, 1)
                            for d in range(channels)]) for f in range(filters)])
    delta = np.stack([_integers(seed, (2, f, out), (out, out), -2, 2)
                      for f in range(filters)])[None]
    return x, w, delta


def _error_text(err):
    return "0" if err == 0 else f"{err:.1e}"


def depth_state(channels, filters, n, kernel, channel, seed=0, *, stride=1, padding=0):
    """Filter by filter, how channel ``channel`` of dx = ∂E/∂a^(l−1) is assembled.

    A seeded integer example (see ``_example``): input x (1, D, n, n), weights
    W (N, D, K, K), and the sensitivity map δ = ∂E/∂net (1, N, O, O) that reaches the
    layer; stride S and padding P (square). For the selected input channel d the
    returned dict holds:

    * the settings ``channels`` (D), ``filters`` (N), ``n``, ``kernel`` (K), ``channel`` (d),
      ``stride``, ``padding``, ``seed``; ``fits`` (K ≤ n + 2P), ``output`` O and ``size1``,
      the stride-1 map size n + 2P − K + 1;
    * the arrays ``x``, ``w``, ``delta``;
    * ``delta1`` (N, size1, size1): each δ_f expanded to stride 1 (zeros where the stride
      skipped), and ``delta_padded``: the same with K − 1 rings of zeros (full mode);
    * ``kernels`` (N, K, K): rot180(W[f, d]) for every filter f;
    * ``partial_padded`` (N, n + 2P, n + 2P): the full correlation of δ1_f with
      rot180(W[f, d]); its P-wide border lands on padding cells. ``partial`` (N, n, n):
      the same cropped, filter f's contribution to ∂E/∂x_d;
    * ``total`` (n, n): Σ_q partial_q = dx_c (δ^(l−1)_c = dx_c ⊙ f′(net^(l−1)_c));
    * ``dx``, ``dw``, ``db``: what ``cnnbook.conv2d_backward`` returns for the whole layer;
    * ``dW`` (N, K, K): dW[f, d] = x_pad[d] ⋆ δ1_f, channel d's slice of every filter's
      weight gradient; ``db_f`` (N,): Σ δ_f;
    * ``errors``: max |difference| of ``total``, ``dW`` and ``db_f`` from cnnbook's
      ``dx[0, d]``, ``dw[:, d]`` and ``db``; ``matches``: all of them 0 … 1e-12;
    * ``counts``: D sensitivity maps, N partial maps in each, N·D kernels, N biases;
    * ``message``: the counts and the check in plain sentences.

    A setting a slider can reach never raises: a kernel larger than the padded input
    gives ``fits`` False, empty arrays and a ``message`` that says how to fix it.
    """
    D = _check_int(channels, "channels C", 1)
    N = _check_int(filters, "filters F", 1)
    n = _check_int(n, "input size n", 1)
    K = _check_int(kernel, "kernel", 1)
    d = _check_int(channel, "channel c", 0)
    S = _check_int(stride, "stride", 1)
    P = _check_int(padding, "padding", 0)
    seed = _check_int(seed, "seed", 0)
    if d >= D:
        raise ValueError(f"channel d must be below D = {D} (channels 0 … {D - 1}), got {d}")
    padded = n + 2 * P
    counts = {"sensitivity_maps": D, "partials_per_map": N, "kernels": N * D, "biases": N}
    state = {"channels": D, "filters": N, "n": n, "kernel": K, "channel": d, "stride": S,
             "padding": P, "seed": seed, "fits": K <= padded, "counts": counts}
    if not state["fits"]:
        need = -(-(K - n) // 2)
        empty = np.zeros((N, 0, 0))
        state.update(output=0, size1=0, x=None, w=None, delta=None, delta1=empty,
                     delta_padded=empty, kernels=empty, partial_padded=empty, partial=empty,
                     total=np.zeros((0, 0)), dx=None, dw=None, db=None, dW=empty,
                     db_f=np.zeros(N), errors={}, matches=False,
                     routes={"delta": {}, "input": {}})
        state["message"] = (
            f"Impossible: the kernel K = {K} is larger than the padded input "
            f"L + 2P = {n} + 2·{P} = {padded}, so not one window fits: the layer has no "
            f"output and no δ to send back. Use a kernel of at most {padded}, or padding "
            f"of at least {need}.")
        return state

    O = (padded - K) // S + 1
    size1 = padded - K + 1
    x, w, delta = _example(D, N, n, K, O, seed)
    dx, dw, db = conv2d_backward(delta, x, w, S, P)
    x_pad = pad2d(x[0, d], P)
    delta1 = expand_sensitivity(delta[0], S, (size1, size1))          # (N, size1, size1)
    delta_padded = pad2d(delta1, K - 1)
    kernels = rot180(w[:, d])                                          # (N, K, K)
    partial_padded = np.stack([correlate2d(delta_padded[f], kernels[f], "valid")
                               for f in range(N)])                     # = full correlation
    partial = crop2d(partial_padded, P)
    total = partial.sum(axis=0)
    dW = np.stack([correlate2d(x_pad, delta1[f], "valid") for f in range(N)])
    db_f = delta[0].sum(axis=(1, 2))
    errors = {"dx": float(np.abs(total - dx[0, d]).max()),
              "dW": float(np.abs(dW - dw[:, d]).max()),
              "db": float(np.abs(db_f - db).max())}
    matches = max(errors.values()) <= 1e-12
    state.update(output=O, size1=size1, x=x, w=w, delta=delta, delta1=delta1,
                 routes=conv_routes(n, K, S, P),
                 delta_padded=delta_padded, kernels=kernels, partial_padded=partial_padded,
                 partial=partial, total=total, dx=dx, dw=dw, db=db, dW=dW, db_f=db_f,
                 errors=errors, matches=matches)

    terms = " + ".join(f"partial_{q}" for q in range(N))
    notes = [
        f"C = {D} input {'channel' if D == 1 else 'channels'} → dx = ∂E/∂a^(l−1) has C = {D} "
        f"sensitivity {'map' if D == 1 else 'maps'}, one per input channel (dx has shape "
        f"{tuple(dx.shape)}), whatever F is.",
        f"F = {N} {'filter' if N == 1 else 'filters'} → each of those maps is the sum of "
        f"F = {N} partial {'map' if N == 1 else 'maps'}, one per filter q: channel c = {d} "
        f"uses channel {d} of every filter, dx_{d} = Σ_q δ_q ⋆full rot180(W[q, {d}]).",
        f"The layer has F·C = {N}·{D} = {_plural(N * D, 'kernel')} of {K}×{K} and F = {N} "
        f"{'bias' if N == 1 else 'biases'}.",
    ]
    if S > 1:
        notes.append(f"Stride S = {S}: each {O}×{O} δ_q is first expanded to the stride-1 "
                     f"size L + 2P − K + 1 = {size1} (zeros where the stride skipped, hatched).")
    if P > 0:
        notes.append(f"Padding P = {P}: the full correlation is {padded}×{padded}; its "
                     f"grey border is the gradient of padding cells, which is cropped.")
    verdict = "equals" if matches else "does NOT equal"
    notes.append(
        f"Check: {terms} {verdict} cnnbook.conv2d_backward's dx[:, {d}] (max error "
        f"{_error_text(errors['dx'])}); dW[q, {d}] = a_{d} ⋆ δ_q for the {_plural(N, 'filter')} "
        f"(max error {_error_text(errors['dW'])}); db_q = Σ δ_q = "
        f"({', '.join(f'{v:g}' for v in db_f)}).")
    notes.append(f"δ^(l−1)_{d} = dx_{d} ⊙ f′(net^(l−1)_{d}) when layer l−1 has an activation f.")
    state["message"] = "\n".join(notes)
    return state


class DepthExplorer(Explorer):
    """C input channels, F filters, input size L, kernel K, stride S, padding P, shown channel c.

    Chapter 6. One row per filter q: δ_q (expanded to stride 1 when S > 1, skipped
    positions hatched) with its K − 1 grey rings of zeros, ⋆ rot180(W[q, c]) = partial_q
    (grey border: lands on padding, cropped). The last row adds the F cropped partial
    maps into dx_c = ∂E/∂a^(l−1)_c. All partial maps and the sum share one colour scale, so
    the sizes of the contributions can be compared by eye.
    """

    controls = {"channels": (1, 3, "channels C"), "filters": (1, 4, "filters F"),
                "channel": (0, 2, "shown channel c"), "n": (3, 6, "input size L"),
                "kernel": (1, 4, "kernel K"), "stride": (1, 2, "stride S"),
                "padding": (0, 1, "padding P")}
    defaults = {"channels": 3, "filters": 2, "channel": 0, "n": 5, "kernel": 3,
                "stride": 1, "padding": 0}
    figsize = (7.0, 6.0)
    cell = 0.3      # inches per matrix cell in the picture
    gap = 1.5        # cells between a matrix and the next (room for the operator)
    row_gap = 1.3    # cells between two rows (room for the captions)
    label_width = 2.6  # cells left of the rows for "filter f"

    def __init__(self, **values):
        values = {**self.defaults, **values}
        if values["channel"] >= values["channels"]:
            raise ValueError(f"channel d must be below D = {values['channels']}, "
                             f"got {values['channel']}")
        super().__init__(**values)

    def compute(self, channels, filters, channel, n, kernel, stride, padding):
        return depth_state(channels, filters, n, kernel, channel, stride=stride, padding=padding)

    def limits(self, values):
        return {"channel": (0, values["channels"] - 1)}

    def routes(self, state):
        """Point at a cell of the sum: in every filter's row, the δ cells and taps of its
        term, and the sum over filters written out; point at a δ cell: the input cells its
        window reaches in its partial map and in the sum."""
        if not state["fits"]:
            return {}
        K, S, N, d = state["kernel"], state["stride"], state["filters"], state["channel"]
        delta, w = state["delta"][0], state["w"]
        routes = state["routes"]
        out = {}

        def rot(f, m, n):
            return f"r{f}:{K - 1 - m},{K - 1 - n}"

        for (i, j), pairs in routes["input"].items():
            on, lines, total = [f"x:{i},{j}"], [], 0.0
            for f in range(N):
                on += [f"d{f}:{u * S},{v * S}" for (u, v), _ in pairs]
                on += sorted({rot(f, m, n) for _, (m, n) in pairs})
                on += [f"p{f}:{i},{j}", f"s{f}:{i},{j}"]
                part = sum(float(delta[f, u, v] * w[f, d, m, n]) for (u, v), (m, n) in pairs)
                total += part
                lines.append(sum_text(f"x[{i},{j}] from filter {f}", pairs, delta[f],
                                      w[f, d], f"δ{f}", f"W[{f},{d}]"))
            head = (f"∂E/∂a_{d}[{i},{j}] = Σ over {N} filters = "
                    f"{' + '.join(_num(float(state['partial'][f, i, j])) for f in range(N))}"
                    f" = {_num(total)}")
            out[f"x:{i},{j}"] = {"on": on, "text": "\n".join([head, *lines])}
        for (u, v), pairs in routes["delta"].items():
            for f in range(N):
                on = ([f"p{f}:{i},{j}" for (i, j), _ in pairs]
                      + [f"s{f}:{i},{j}" for (i, j), _ in pairs]
                      + [f"x:{i},{j}" for (i, j), _ in pairs]
                      + sorted({rot(f, m, n) for _, (m, n) in pairs}))
                out[f"d{f}:{u * S},{v * S}"] = {"on": on, "text": (
                    f"δ{f}[{u},{v}] = {_num(float(delta[f, u, v]))} reaches "
                    f"{len(pairs)} input cells of channel {d} through rot180(W[{f},{d}])")}
        return out

    def draw(self, fig, state):
        self._draw_state(fig, state)

    @classmethod
    def picture(cls, state):
        """The explorer's picture of any ``depth_state(...)`` result, without building the
        controls: a static figure for print and for notebooks (same drawing as the widget)."""
        fig = viz.CourseFigure(figsize=cls.figsize, dpi=100, layout="constrained")
        cls._draw_state(fig, state)
        return fig

    @classmethod
    def _draw_state(cls, fig, state):
        ax = fig.subplots()
        if not state["fits"]:
            fig.set_size_inches(6.0, 1.6)
            ax.axis("off")
            ax.text(0.5, 0.5, f"kernel K = {state['kernel']} > L + 2P = "
                    f"{state['n'] + 2 * state['padding']}: no window fits,\nno output, "
                    f"no δ to propagate", ha="center", va="center", fontsize=12)
            return
        cls._draw_rows(fig, ax, state)

    # -- drawing helpers ---------------------------------------------------------
    @staticmethod
    def _faces(values, norm, ring=0):
        """Per-cell face colours on a shared δ scale; the ``ring`` border is left to padding."""
        rgba = viz._delta_cmap()(norm(np.asarray(values, dtype=float)))  # one call
        rows, cols = values.shape
        faces = [[None] * cols for _ in range(rows)]
        for r in range(ring, rows - ring):
            for c in range(ring, cols - ring):
                faces[r][c] = tuple(rgba[r, c])
        return faces

    @staticmethod
    def _labels(values, ring, blank):
        """The numbers as text; the ``ring`` border and the ``blank`` cells (zeros shown by
        grey or hatching) are left without a label."""
        rows, cols = values.shape
        out = np.empty((rows, cols), dtype=object)
        for r in range(rows):
            for c in range(cols):
                inside = ring <= r < rows - ring and ring <= c < cols - ring
                out[r, c] = f"{values[r, c]:g}" if inside and not blank[r, c] else ""
        return out

    @classmethod
    def _draw_rows(cls, fig, ax, state):
        N, K, S, P, d = (state[k] for k in ("filters", "kernel", "stride", "padding", "channel"))
        n, size1 = state["n"], state["size1"]
        ring = K - 1
        big = size1 + 2 * ring                          # padded δ
        shared = state["partial_padded"]
        vmax = max(float(np.abs(shared).max()), float(np.abs(state["total"]).max()), 1.0)
        norm = mcolors.Normalize(-vmax, vmax)
        dmax = max(float(np.abs(state["delta1"]).max()), 1.0)
        dnorm = mcolors.Normalize(-dmax, dmax)
        skipped_inner = np.zeros((size1, size1), dtype=bool)
        skipped_inner[:, :] = True
        skipped_inner[::S, ::S] = False
        skipped = np.zeros((big, big), dtype=bool)
        skipped[ring:ring + size1, ring:ring + size1] = skipped_inner if S > 1 else False

        lw, rg = cls.label_width, cls.row_gap
        row_h = max(big, K, n + 2 * P)
        top, right = rg, 0.0
        kernel_colour = viz.role_colour("kernel")
        for f in range(N):
            items = [
                (cls._labels(state["delta_padded"][f], ring, skipped), "delta",
                 rf"$\delta^{{(l)}}_{{{f}}}$" + (" expanded (hatched: 0)" if S > 1 else "")
                 + (f", {ring} zero ring{'s' if ring > 1 else ''}" if ring else ""),
                 {"padding": ring, "skipped": skipped, "fontsize": 10, "ids": f"d{f}",
                  "faces": cls._faces(state["delta_padded"][f], dnorm, ring)}),
                (state["kernels"][f], "kernel", f"rot180(W[{f}, {d}])", {"ids": f"r{f}"}),
                (state["partial_padded"][f], "delta", f"partial {f}" + (", crop grey" if P else ""),
                 {"padding": P, "faces": cls._faces(state["partial_padded"][f], norm, P),
                  "ids": f"p{f}"}),
            ]
            ax.text(0, top + row_h / 2, f"filter q={f}", ha="left", va="center", fontsize=11,
                    color=kernel_colour)
            right = max(right, cls._row(ax, items, [r"$\star$", "="], top, lw, row_h))
            top += row_h + rg
        # the sum: partial_0 + … + partial_{F−1} = dx_c
        items = [(state["partial"][f], "delta", f"partial {f}",
                  {"faces": cls._faces(state["partial"][f], norm), "ids": f"s{f}"})
                 for f in range(N)]
        items.append((state["total"], "delta", rf"dx$_{{{d}}}$",
                      {"faces": cls._faces(state["total"], norm), "ids": "x"}))
        ax.text(0, top + n / 2, "sum", ha="left", va="center", fontsize=11, color="#444444")
        right = max(right, cls._row(ax, items, ["+"] * (N - 1) + ["="], top, lw, n))
        top += n + 0.3
        ax.set_xlim(-0.1, right + 0.1)
        ax.set_ylim(top, -0.1)
        ax.set_aspect("equal")
        ax.axis("off")
        title = (f"C={state['channels']}, F={N}, L={n}, K={K}, S={S}, P={P}: channel c={d} of "
                 f"dx = ∂E/∂a$^{{(l-1)}}$ = sum of {N} partial {'map' if N == 1 else 'maps'}")
        fig.suptitle(title, fontsize=11)
        fig.set_size_inches(max(cls.cell * right + 0.4, 6.2), cls.cell * top + 0.6)

    @staticmethod
    def _text_cells(caption):
        """Rough width of a caption in matrix cells (10 pt text, 0.3-inch cells)."""
        plain = re.sub(r"\\[a-z]+", "x", caption)
        plain = re.sub(r"[${}^_]", "", plain)
        return 0.26 * len(plain) + 0.4

    @classmethod
    def _row(cls, ax, items, ops, top, left, row_h):
        """One equation: each matrix centred in a slot wide enough for its caption.

        Returns the right edge of the row (in cells)."""
        for k, (values, role, caption, options) in enumerate(items):
            rows, cols = values.shape
            slot = max(cols, cls._text_cells(caption))
            x0 = left + (slot - cols) / 2
            corner = (top + (row_h - rows) / 2, x0)
            viz.draw_matrix(values, role, ax=ax, origin=corner, **options)
            ax.text(x0 + cols / 2, corner[0] - 0.2, caption, ha="center", va="bottom",
                    fontsize=10, color=viz.role_colour(role))
            left += slot
            if k < len(ops):
                symbol = ops[k]
                ax.text(left + cls.gap / 2, top + row_h / 2, symbol, ha="center",
                        va="center", fontsize=30 if symbol.startswith("$") else 16)
                left += cls.gap
        return left
