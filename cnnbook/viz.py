"""Drawing helpers shared by every chapter: labelled matrices, windows, heatmaps.

One colour per role, the same in every chapter and figure (colour-blind safe,
Okabe–Ito palette):

=========  =====================================================
role       used for
=========  =====================================================
input      input images and feature maps  x, a, i_ij   (blue)
kernel     kernels / filters / weights     W, w_ij       (orange)
output     outputs before activation       net, o_ij     (green)
delta      sensitivity maps 误差项 δ        (diverging map centred at 0, red/blue)
padding    the zeros added around a map                  (light grey)
skipped    positions a stride jumps over                 (hatched grey)
=========  =====================================================

Every function that draws takes an optional ``ax``; functions that make a whole
picture return a :class:`matplotlib.figure.Figure` that is *not* registered with
pyplot — so a notebook shows it exactly once, a widget can render it to PNG
without leaking figures, and ``cnnbook.figures`` saves it deterministically.
Nothing here computes numerics: the arrays come from the rest of ``cnnbook``.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = [
    "CourseFigure", "ROLE_COLOURS", "DELTA_CMAP", "role_colour", "tint", "symbols",
    "new_figure", "draw_matrix", "highlight", "heatmap", "matrix_row",
    "draw_windows", "role_legend", "figure_png",
]

ROLE_COLOURS = {
    "input": "#0072B2",    # blue
    "kernel": "#E69F00",   # orange
    "output": "#009E73",   # bluish green
    "delta": "#D55E00",    # vermillion (outlines, titles); values use DELTA_CMAP
    "padding": "#D9D9D9",  # light grey
    "skipped": "#8C8C8C",  # grey, drawn hatched
}
DELTA_CMAP = "RdBu_r"  # negative blue, 0 white, positive red

_SUBSCRIPT_TEXT_SIZE = 11
# Unicode operators drawn with mathtext, whose glyphs are the right size.
_OPERATORS = {"⋆": r"$\star$", "⊙": r"$\odot$", "×": r"$\times$", "·": r"$\cdot$"}


def role_colour(role):
    """The colour of ``role`` (one of :data:`ROLE_COLOURS`)."""
    try:
        return ROLE_COLOURS[role]
    except KeyError:
        known = ", ".join(ROLE_COLOURS)
        raise ValueError(f"unknown role {role!r}; roles are: {known}") from None


def tint(role, amount=0.25):
    """``role``'s colour mixed with white: ``amount`` 1 is the full colour, 0 white."""
    rgb = np.array(mcolors.to_rgb(role_colour(role)))
    return tuple(1 - amount * (1 - rgb))


def symbols(letter, rows, cols, start=1):
    """A ``rows × cols`` array of mathtext labels ``$letter_{ij}$`` (1-based by default).

    ``symbols("i", 2, 2)`` gives ``[["$i_{11}$", "$i_{12}$"], ["$i_{21}$", "$i_{22}$"]]``;
    indices above 9 are separated by a comma (``$i_{3,10}$``). ``letter`` may be any
    mathtext, e.g. ``r"\\delta"``.
    """
    out = np.empty((rows, cols), dtype=object)
    for r in range(rows):
        for c in range(cols):
            i, j = r + start, c + start
            sub = f"{i}{j}" if max(i, j) < 10 else f"{i},{j}"
            out[r, c] = f"${letter}_{{{sub}}}$"
    return out


class CourseFigure(Figure):
    """A matplotlib Figure that Jupyter shows as a PNG even before pyplot is set up."""

    def _repr_png_(self):
        return figure_png(self)


def new_figure(width, height, nrows=1, ncols=1, **subplot_kw):
    """A Figure (not tracked by pyplot) of ``width × height`` inches and its axes array."""
    fig = CourseFigure(figsize=(width, height), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def _axes(ax, shape):
    if ax is not None:
        return ax.figure, ax
    rows, cols = shape
    fig, axes = new_figure(0.55 * cols + 0.4, 0.55 * rows + 0.5)
    return fig, axes[0, 0]


def _format(value, fmt):
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return fmt.format(value)


def _delta_norm(values):
    """A colour normalisation centred at 0 that is symmetric around it."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    vmax = vmax or 1.0
    return mcolors.Normalize(vmin=-vmax, vmax=vmax)


def _text_colour(face):
    r, g, b = mcolors.to_rgb(face)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.45 else "black"


def draw_matrix(values, role="input", *, ax=None, title=None, fmt="{:.3g}",
                padding=0, skipped=None, origin=(0, 0), fontsize=None,
                show_index=False, faces=None, row_labels=None, col_labels=None):
    """Draw a 2-D array as a grid of labelled cells and return the axes' figure.

    ``values`` is a 2-D array of numbers or of strings (see :func:`symbols`). Cells
    are tinted with ``role``'s colour; for ``role="delta"`` numeric cells are coloured
    by value with :data:`DELTA_CMAP` centred at 0. The outer ``padding`` rings are
    drawn grey (they hold the zeros that padding adds); ``skipped`` is an optional
    boolean mask of cells to hatch (positions a stride jumps over). ``origin`` places
    the top-left cell at ``(row, col)`` in data coordinates so that several
    matrices can share one axes; ``faces`` overrides the face colour per cell.
    ``show_index`` writes 0-based indices beside the rows and above the columns;
    ``row_labels`` / ``col_labels`` write any strings there instead (e.g. ``"a"``…``"i"``
    for the outputs of a layer, or ``"S2 map 0"``).
    """
    arr = np.asarray(values, dtype=object if np.asarray(values).dtype.kind in "OUS" else float)
    if arr.ndim != 2:
        raise ValueError(f"draw_matrix needs a 2-D array, got shape {arr.shape}")
    rows, cols = arr.shape
    fig, ax = _axes(ax, arr.shape)
    r0, c0 = origin
    numeric = arr.dtype != object
    norm = _delta_norm(arr) if (numeric and role == "delta") else None
    cmap = None
    if norm is not None:
        from matplotlib import colormaps
        cmap = colormaps[DELTA_CMAP]
    base = tint(role)
    pad_face = role_colour("padding")
    if fontsize is None:
        fontsize = _SUBSCRIPT_TEXT_SIZE if not numeric else 10
    for r in range(rows):
        for c in range(cols):
            on_pad = padding and (r < padding or c < padding
                                  or r >= rows - padding or c >= cols - padding)
            if faces is not None and faces[r][c] is not None:
                face = faces[r][c]
            elif on_pad:
                face = pad_face
            elif cmap is not None and np.isfinite(arr[r, c]):
                face = cmap(norm(arr[r, c]))
            else:
                face = base
            hatch = "///" if (skipped is not None and skipped[r][c]) else None
            # Cells and their numbers lie inside the axes: leaving them out of the
            # layout computation makes big grids (and the widgets) several times faster.
            ax.add_patch(Rectangle((c0 + c, r0 + r), 1, 1, facecolor=face,
                                   edgecolor="#444444", linewidth=0.8, hatch=hatch,
                                   in_layout=False))
            text = _format(arr[r, c], fmt)
            if text:
                ax.text(c0 + c + 0.5, r0 + r + 0.5, text, ha="center", va="center",
                        fontsize=fontsize, color=_text_colour(face), in_layout=False)
    if show_index:
        row_labels = row_labels if row_labels is not None else [str(r) for r in range(rows)]
        col_labels = col_labels if col_labels is not None else [str(c) for c in range(cols)]
    for labels, count, axis in ((row_labels, rows, "rows"), (col_labels, cols, "columns")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{len(labels)} labels for {count} {axis}")
    for r, text in enumerate(row_labels if row_labels is not None else []):
        ax.text(c0 - 0.15, r0 + r + 0.5, str(text), ha="right", va="center", fontsize=8,
                color="#555555")
    for c, text in enumerate(col_labels if col_labels is not None else []):
        ax.text(c0 + c + 0.5, r0 - 0.1, str(text), ha="center", va="bottom", fontsize=8,
                color="#555555")
    _frame(ax)
    ax.update_datalim([(c0, r0), (c0 + cols, r0 + rows)])
    ax.autoscale_view()
    if title is not None:
        ax.set_title(title, color=role_colour(role) if role in ROLE_COLOURS else None,
                     fontsize=11)
    return fig


def _frame(ax):
    ax.set_aspect("equal")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def highlight(ax, row, col, height=1, width=1, role="kernel", *, origin=(0, 0),
              linewidth=3.0, label=None):
    """Outline the ``height × width`` block whose top-left cell is ``(row, col)``.

    Used for the window a kernel covers, the δ cells an input pixel touches, the
    argmax of a pooling window … ``role`` picks the colour. Returns the patch.
    """
    r0, c0 = origin
    patch = Rectangle((c0 + col, r0 + row), width, height, fill=False,
                      edgecolor=role_colour(role), linewidth=linewidth, zorder=5)
    ax.add_patch(patch)
    if label is not None:  # just above the block's top-left corner, inside its width
        ax.text(c0 + col + 0.05, r0 + row - 0.05, label, ha="left", va="bottom", fontsize=8,
                color=role_colour(role), zorder=6)
    return patch


def heatmap(values, role="delta", *, ax=None, title=None, annotate=True, fmt="{:.2f}",
            colorbar=False):
    """``values`` as an image: δ diverging and centred at 0, other roles sequential.

    Use it for maps too large to label cell by cell (a 28×28 image, a sensitivity
    map ∂E/∂x). With ``annotate`` the numbers are written in the cells (only for
    maps up to 12×12).
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {arr.shape}")
    fig, ax = _axes(ax, arr.shape)
    if role == "delta":
        norm, cmap = _delta_norm(arr), DELTA_CMAP
    else:
        cmap = mcolors.LinearSegmentedColormap.from_list(role, ["white", role_colour(role)])
        finite = arr[np.isfinite(arr)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        norm = mcolors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
    image = ax.imshow(arr, cmap=cmap, norm=norm, interpolation="nearest")
    if annotate and max(arr.shape) <= 12:
        mapper = image.cmap
        for (r, c), v in np.ndenumerate(arr):
            ax.text(c, r, _format(v, fmt), ha="center", va="center", fontsize=8,
                    color=_text_colour(mapper(norm(v))))
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=11)
    if colorbar:
        fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def matrix_row(items, operators=(), *, ax=None, cell=0.5, title=None, fmt="{:.3g}"):
    """Several labelled matrices side by side with operators between them.

    ``items`` is a list of ``(values, role, caption)`` or ``(values, role, caption,
    options)`` with ``options`` a dict passed on to :func:`draw_matrix` (e.g.
    ``{"padding": 1}`` to grey the padding ring); ``operators`` the strings
    drawn between consecutive items (``"⋆"``, ``"="``, ``"+"``, ``"⊙"`` …). Good
    for writing an equation such as *x ⋆ W = net* with the actual numbers.
    """
    items = list(items)
    operators = list(operators)
    if len(operators) not in (0, len(items) - 1):
        raise ValueError(f"{len(items)} matrices need {len(items) - 1} operators, "
                         f"got {len(operators)}")
    gap = 1.4
    items = [tuple(item) + ({},) * (4 - len(item)) for item in items]
    widths = [np.asarray(item[0]).shape[1] for item in items]
    height = max(np.asarray(item[0]).shape[0] for item in items)
    total = sum(widths) + gap * (len(items) - 1)
    if ax is None:
        fig, axes = new_figure(cell * total + 0.3, cell * height + 0.9)
        ax = axes[0, 0]
    fig = ax.figure
    col = 0.0
    for k, (values, role, caption, options) in enumerate(items):
        rows = np.asarray(values).shape[0]
        top = (height - rows) / 2
        draw_matrix(values, role, ax=ax, origin=(top, col), fmt=fmt, **options)
        if caption:
            ax.text(col + widths[k] / 2, top - 0.25, caption, ha="center", va="bottom",
                    fontsize=11, color=role_colour(role))
        col += widths[k]
        if k < len(operators):
            symbol = _OPERATORS.get(operators[k], operators[k])
            ax.text(col + gap / 2, height / 2, symbol, ha="center", va="center",
                    fontsize=30 if symbol.startswith("$") else 18)
        col += gap
    ax.set_xlim(-0.1, total + 0.1)
    ax.set_ylim(height + 0.1, -0.9)
    if title:
        ax.set_title(title, fontsize=12)
    return fig


def draw_windows(n, kernel, stride=1, padding=0, *, ax=None, windows=None, title=None):
    """The padded 1-channel input grid with the kernel windows of a convolution drawn on it.

    ``n`` is the input size L, ``kernel`` F, ``stride`` S and ``padding`` P (square).
    The padding ring is grey; each window (all of them, or the ``(row, col)`` output
    positions in ``windows``) is outlined in the kernel colour, offset slightly so
    overlapping windows stay visible; input cells that no window covers are hatched.
    No check is made here that the setting is possible — see
    :func:`cnnbook.widgets.output_size_state` for the explanation of an impossible one.
    """
    size = n + 2 * padding
    fig, ax = _axes(ax, (size, size))
    covered = np.zeros((size, size), dtype=bool)
    out = (size - kernel) // stride + 1 if size >= kernel else 0
    positions = [(r, c) for r in range(out) for c in range(out)] if windows is None else windows
    for r in range(out):
        for c in range(out):
            covered[r * stride:r * stride + kernel, c * stride:c * stride + kernel] = True
    labels = np.full((size, size), "", dtype=object)
    skipped = ~covered
    skipped[:padding, :] = skipped[size - padding:, :] = False
    skipped[:, :padding] = skipped[:, size - padding:] = False
    draw_matrix(labels, "input", ax=ax, padding=padding, skipped=skipped)
    for k, (r, c) in enumerate(positions):
        shift = 0.06 * (k % 4)
        patch = Rectangle((c * stride + shift, r * stride + shift), kernel - 2 * shift,
                          kernel - 2 * shift, fill=False, edgecolor=role_colour("kernel"),
                          linewidth=2.0, zorder=5)
        ax.add_patch(patch)
    if title is not None:
        ax.set_title(title, fontsize=11)
    return fig


def role_legend(*, ax=None):
    """A small legend of the role colours, for the start of the course and the README."""
    if ax is None:
        fig, axes = new_figure(1.3 * len(ROLE_COLOURS), 1.1)
        ax = axes[0, 0]
    fig = ax.figure
    names = {"input": "input x, a", "kernel": "kernel W", "output": "output net",
             "delta": "δ: <0, 0, >0", "padding": "padding 0s",
             "skipped": "not covered"}
    for k, role in enumerate(ROLE_COLOURS):
        if role == "delta":
            from matplotlib import colormaps
            cmap = colormaps[DELTA_CMAP]
            for j, v in enumerate((0.1, 0.5, 0.9)):
                ax.add_patch(Rectangle((k * 2.0 + j / 3, 0), 1 / 3, 1, facecolor=cmap(v),
                                       edgecolor="none"))
            ax.add_patch(Rectangle((k * 2.0, 0), 1, 1, fill=False, edgecolor="#444444"))
        else:
            face = role_colour(role) if role in ("padding", "skipped") else tint(role, 0.6)
            ax.add_patch(Rectangle((k * 2.0, 0), 1, 1, facecolor=face, edgecolor="#444444",
                                   hatch="///" if role == "skipped" else None))
        ax.text(k * 2.0 + 0.5, 1.15, names[role], ha="center", va="top", fontsize=8,
                color=role_colour(role) if role not in ("padding", "skipped") else "#444444")
    ax.set_xlim(-0.2, len(ROLE_COLOURS) * 2.0)
    ax.set_ylim(1.5, -0.2)
    _frame(ax)
    return fig


def figure_png(fig, dpi=100, tight=True):
    """Render ``fig`` to PNG bytes (for image widgets and tests); metadata-free.

    ``tight`` crops the white margin, at the price of drawing the figure twice;
    the widgets, whose figures are laid out already, pass ``tight=False``.
    """
    buffer = io.BytesIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.05} if tight else {}
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, **extra)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# chapters 1–4: matrix equations drawn row under row, and a fully connected network
# (moved out of the notebooks; h/notation-a)
# ---------------------------------------------------------------------------

__all__ += ["equation_rows", "draw_network"]

# Operators that are drawn large (mathtext glyphs); everything else at text size.
_BIG_OPERATORS = {"⋆": r"$\star$", "⊙": r"$\odot$", "∗": r"$*$"}


def equation_rows(rows, *, cell=0.42, gap=1.3, row_gap=1.2, title=None, fmt="{:.3g}",
                  labels=None):
    """Several matrix equations drawn one under another on one axes.

    ``rows`` is a list of ``(items, operators)``, each as :func:`matrix_row` takes them:
    an item is ``(values, role, caption)`` or ``(values, role, caption, options)`` with
    ``options`` passed to :func:`draw_matrix`; ``operators`` are the strings between the
    items ("⋆", "∗" and "⊙" are drawn as large symbols). ``labels`` (optional) writes one
    text left of each row. Returns ``(fig, ax, corners)``: ``corners[r][k]`` is the
    ``(top, left)`` cell of item ``k`` of row ``r``, for :func:`highlight` later.
    """
    rows = [(list(items), list(ops)) for items, ops in rows]
    for items, ops in rows:
        if len(ops) != len(items) - 1:
            raise ValueError(f"{len(items)} matrices need {len(items) - 1} operators, "
                             f"got {len(ops)}")
    if labels is not None and len(labels) != len(rows):
        raise ValueError(f"{len(labels)} labels for {len(rows)} rows")
    left0 = 3.2 if labels else 0.0
    shapes = [[np.shape(item[0]) for item in items] for items, _ in rows]
    widths = [left0 + sum(s[1] for s in row) + gap * (len(row) - 1) for row in shapes]
    heights = [max(s[0] for s in row) for row in shapes]
    total_w, total_h = max(widths), sum(heights) + row_gap * len(rows)
    fig, axes = new_figure(cell * total_w + 0.3, cell * total_h + (0.5 if title else 0.2))
    ax = axes[0, 0]
    corners, top = [], row_gap
    for r, ((items, ops), row_shapes, h) in enumerate(zip(rows, shapes, heights)):
        if labels:
            ax.text(0, top + h / 2, labels[r], ha="left", va="center", fontsize=10,
                    color="#444444")
        left, row_corners = left0, []
        for k, (item, (nr, nc)) in enumerate(zip(items, row_shapes)):
            values, role, caption = item[:3]
            corner = (top + (h - nr) / 2, left)
            draw_matrix(values, role, ax=ax, origin=corner, fmt=fmt,
                        **(item[3] if len(item) > 3 else {}))
            if caption:
                ax.text(left + nc / 2, corner[0] - 0.2, caption, ha="center", va="bottom",
                        fontsize=10, color=role_colour(role))
            row_corners.append(corner)
            left += nc
            if k < len(ops):
                symbol = _BIG_OPERATORS.get(ops[k], ops[k])
                ax.text(left + gap / 2, top + h / 2, symbol, ha="center", va="center",
                        fontsize=24 if ops[k] in _BIG_OPERATORS else 16)
            left += gap
        corners.append(row_corners)
        top += h + row_gap
    ax.set_xlim(-0.1, total_w + 0.1)
    ax.set_ylim(total_h + 0.1, -0.1)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig, ax, corners


def draw_network(sizes, weights, labels, *, faces=None, ax=None, title=None):
    """A fully connected network: one column of nodes per layer, one edge per weight.

    ``sizes`` are the layer widths (input first); ``weights[l]`` is the (sizes[l+1],
    sizes[l]) matrix W of layer l+1 (row i = the weights into node i). An edge's width
    is |w| relative to the largest in its layer, dashed when w < 0, in the weight colour.
    ``labels[l][i]`` is written in node i of layer l; ``faces[l][i]`` (optional) is its
    face colour. Returns the figure.
    """
    from matplotlib.patches import Circle

    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices, "
                         f"got {len(weights)}")
    for k, w in enumerate(weights):
        if np.shape(w) != (sizes[k + 1], sizes[k]):
            raise ValueError(f"weights[{k}] has shape {np.shape(w)}, expected "
                             f"{(sizes[k + 1], sizes[k])}")
    fig, ax = _axes(ax, (max(sizes), 2 * len(sizes)))
    gap, radius = 2.2, 0.42
    centres = [[(gap * k, (n - 1) / 2 - i) for i in range(n)] for k, n in enumerate(sizes)]
    for k, w in enumerate(weights):
        w = np.asarray(w, dtype=float)
        scale = max(np.abs(w).max(), 1e-300)
        for i, (x1, y1) in enumerate(centres[k + 1]):
            for j, (x0, y0) in enumerate(centres[k]):
                ax.plot([x0 + radius, x1 - radius], [y0, y1], color=role_colour("kernel"),
                        lw=0.4 + 2.6 * abs(w[i, j]) / scale,
                        ls="-" if w[i, j] >= 0 else "--", zorder=1)
    for k, column in enumerate(centres):
        for i, (cx, cy) in enumerate(column):
            face = "white" if faces is None or faces[k] is None else faces[k][i]
            ax.add_patch(Circle((cx, cy), radius, facecolor=face, edgecolor="#444444", zorder=2))
            ax.text(cx, cy, labels[k][i], ha="center", va="center", fontsize=8,
                    color=_text_colour(face), zorder=3)
    ax.set_xlim(-0.6, gap * (len(sizes) - 1) + 0.6)
    ax.set_ylim(-max(sizes) / 2 - 0.1, max(sizes) / 2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    return fig

# chapters 5–8: masks, shared colour scales and blanked labels for the
# stride, depth, pooling and im2col figures
# ---------------------------------------------------------------------------

def skipped_mask(size, stride):
    """Boolean ``size × size`` mask, True where a stride-``stride`` map has no δ.

    Position ``(u₁, v₁)`` of the stride-1 map holds a δ when both indices are
    multiples of ``stride`` (``δ₁[uS, vS] = δ[u, v]``); every other cell is a zero
    that :func:`cnnbook.expand_sensitivity` inserts. Pass it as ``skipped=`` to
    :func:`draw_matrix` to hatch those cells.
    """
    size, stride = int(size), int(stride)
    if size < 1 or stride < 1:
        raise ValueError(f"size and stride must be at least 1, got size {size}, stride {stride}")
    mask = np.ones((size, size), dtype=bool)
    mask[::stride, ::stride] = False
    return mask


def shared_delta_faces(values, vmax, ring=0):
    """Cell colours of a δ-like map on the one scale ``−vmax … vmax`` (:data:`DELTA_CMAP`).

    ``draw_matrix`` scales every δ map to its own largest value; pass these as its
    ``faces=`` to put several maps on one scale, so that their sizes compare by eye.
    The outer ``ring`` cells are left as ``None`` (``draw_matrix`` greys them as padding).
    """
    from matplotlib import colormaps
    vmax = float(vmax)
    if not vmax > 0:
        raise ValueError(f"vmax must be positive, got {vmax}")
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"shared_delta_faces needs a 2-D array, got shape {arr.shape}")
    cmap, norm = colormaps[DELTA_CMAP], mcolors.Normalize(-vmax, vmax)
    rows, cols = arr.shape
    return [[cmap(norm(arr[r, c])) if ring <= r < rows - ring and ring <= c < cols - ring
             else None for c in range(cols)] for r in range(rows)]


def blank_cells(values, mask):
    """The numbers of ``values`` as text, with the cells where ``mask`` is True left empty.

    For drawing a map whose zeros are shown by a grey ring or hatching instead of a 0.
    """
    arr = np.asarray(values, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    if arr.shape != mask.shape:
        raise ValueError(f"values {arr.shape} and mask {mask.shape} differ in shape")
    text = np.array([[_format(v, "{:.3g}") for v in row] for row in arr], dtype=object)
    text[mask] = ""
    return text


def filled_faces(mask, role, amount=0.7):
    """Cell colours: ``role``'s tint where ``mask`` is True, white elsewhere (a 0/1 pattern)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"filled_faces needs a 2-D mask, got shape {mask.shape}")
    face = tint(role, amount)
    return [[face if m else "white" for m in row] for row in mask]


__all__ += ["skipped_mask", "shared_delta_faces", "blank_cells", "filled_faces"]



# ---------------------------------------------------------------------------
# Chapters 9 and 10: a network's shapes, digits, curves, confusion, sensitivity maps
# ---------------------------------------------------------------------------

__all__ += ["network_shapes", "digit", "digit_grid", "learning_curves", "confusion", "kernel_grid",
            "feature_maps", "input_gradients", "pixel_walk", "seed_accuracies"]


def network_shapes(stages, arrows, brackets=(), *, ax=None, title=None, unit=0.22):
    """One sample's arrays between the layers of a network, joined by labelled arrows.

    ``stages`` are shapes ``(C, H, W)`` (drawn as a stack of C squares of side H) or
    ``(D,)`` (a column); ``arrows[k]`` labels the step from stage k to k+1;
    ``brackets`` are ``(first stage, last stage, text)`` drawn under the boxes.
    """
    if len(arrows) != len(stages) - 1:
        raise ValueError(f"{len(stages)} stages need {len(stages) - 1} arrow labels, got {len(arrows)}")
    if ax is None:
        fig, axes = new_figure(1.4 * len(stages), 3.0)
        ax = axes[0, 0]
    fig, x0, gap, spans = ax.figure, 0.0, 1.5, []
    for k, shape in enumerate(stages):
        role = "input" if k == 0 else "output"
        if len(shape) == 3:
            C, H, W = shape
            for c in range(C - 1, -1, -1):
                ax.add_patch(Rectangle((x0 + 0.18 * c, 0.18 * c), W * unit, H * unit,
                                       facecolor=tint(role, 0.55), edgecolor="#444444", linewidth=0.8))
            width = W * unit + 0.18 * (C - 1)
        else:
            width = 0.3
            ax.add_patch(Rectangle((x0, 0), width, shape[0] * 0.16, facecolor=tint(role, 0.55),
                                   edgecolor="#444444", linewidth=0.8))
        ax.text(x0 + width / 2, -0.25, "×".join(map(str, shape)), ha="center", va="top", fontsize=9)
        spans.append((x0, x0 + width))
        if k < len(arrows):
            ax.annotate("", (x0 + width + gap - 0.1, 0.6), (x0 + width + 0.1, 0.6),
                        arrowprops={"arrowstyle": "-|>", "color": "#444444"})
            ax.text(x0 + width + gap / 2, 0.75, arrows[k], ha="center", va="bottom", fontsize=8,
                    color=role_colour("kernel"))
        x0 += width + gap
    for first, last, text in brackets:
        left, right, y = spans[first][0], spans[last][1], -0.75
        ax.plot([left, left, right, right], [y + 0.15, y, y, y + 0.15], color="#444444", lw=1)
        ax.text((left + right) / 2, y - 0.1, text, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.2, x0 - gap + 0.3)
    ax.set_ylim(-1.5, 2.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title, fontsize=11)
    return fig


def digit(ax, image, title=None):
    """One grey-level digit, ink dark on white, values 0 … 1."""
    ax.imshow(np.asarray(image, dtype=float), cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


def digit_grid(images, titles=None, *, ncols=10, title=None, size=0.9):
    """Digits (a list of H×W arrays) in rows of ``ncols``, each with its title."""
    images = [np.asarray(im, dtype=float) for im in images]
    if not images:
        raise ValueError("digit_grid needs at least one image")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = new_figure(size * ncols + 0.2, (size + 0.25) * nrows + 0.4, nrows, ncols)
    for k, ax in enumerate(axes.ravel()):
        if k < len(images):
            digit(ax, images[k], None if titles is None else titles[k])
        else:
            ax.axis("off")
    if title is not None:
        fig.suptitle(title, fontsize=11)
    return fig


def learning_curves(history, *, title=None):
    """Loss and accuracy per epoch, on the training batches and on the validation set,
    from a ``cnnbook.training.History``."""
    epochs = np.arange(1, history.epochs + 1)
    fig, axes = new_figure(9.6, 3.3, 1, 2)
    series = [("loss", history.loss, history.val_loss, "cross-entropy E"),
              ("accuracy", history.train_accuracy, history.val_accuracy, "fraction correct")]
    for ax, (name, train, val, ylabel) in zip(axes[0], series):
        ax.plot(epochs, train, "o-", color=role_colour("input"), ms=3, label="training (during the epoch)")
        if val:
            ax.plot(epochs, val, "s-", color=role_colour("output"), ms=3, label="validation (after the epoch)")
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0, 0].set_yscale("log")
    axes[0, 0].legend(fontsize=9)
    low = min(history.train_accuracy + history.val_accuracy)
    axes[0, 1].set_ylim(low - 0.03, 1.01)
    if title is not None:
        fig.suptitle(title, fontsize=11)
    return fig


def confusion(matrix, *, title=None):
    """A confusion matrix (rows: true class, columns: predicted class), counts written in."""
    c = np.asarray(matrix)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {c.shape}")
    fig, axes = new_figure(0.42 * len(c) + 0.6, 0.42 * len(c) + 0.6)
    ax = axes[0, 0]
    heatmap(c, "output", ax=ax, fmt="{:.0f}", title=title)
    ax.set_xticks(range(len(c)))
    ax.set_yticks(range(len(c)))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return fig


def kernel_grid(weights, *, ncols=8, title=None):
    """The 2-D kernels ``weights[q, 0]`` of a first convolution layer, one shared colour
    scale symmetric around 0 (kernel colour for positive, purple for negative), a colourbar."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"kernel_grid needs weights of shape (F, C, KH, KW), got {w.shape}")
    nrows = -(-len(w) // ncols)
    fig, axes = new_figure(1.1 * ncols + 0.8, 1.15 * nrows + 0.5, nrows, ncols)
    limit = float(np.abs(w).max()) or 1.0
    norm = mcolors.TwoSlopeNorm(0.0, -limit, limit)
    image = None
    for q, ax in enumerate(axes.ravel()):
        if q < len(w):
            image = ax.imshow(w[q, 0], cmap="PuOr_r", norm=norm, interpolation="nearest")
            ax.set_title(f"filter {q}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        if q >= len(w):
            ax.axis("off")
    fig.colorbar(image, ax=axes, shrink=0.6, label="weight")
    if title is not None:
        fig.suptitle(title, fontsize=11)
    return fig


def feature_maps(image, rows, *, count=8, title=None):
    """A digit and the first ``count`` maps of each stage in ``rows`` = [(name, (C, H, W) maps)],
    white for 0 and one colour scale per row, in the input colour (the next layer's input)."""
    fig, axes = new_figure(1.05 * (count + 1) + 0.2, 1.45 * len(rows) + 0.3, len(rows), count + 1)
    cmap = mcolors.LinearSegmentedColormap.from_list("feature map", ["white", role_colour("input")])
    for r, (name, maps) in enumerate(rows):
        maps = np.asarray(maps, dtype=float)
        top = float(maps[:count].max()) or 1.0
        axes[r, 0].axis("off")
        for c in range(count):
            ax = axes[r, c + 1]
            ax.imshow(maps[c], cmap=cmap, vmin=0.0, vmax=top, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}, map {c}" if c == 0 else f"map {c}", fontsize=8)
    digit(axes[len(rows) // 2, 0], image)
    if title is not None:
        fig.suptitle(title, fontsize=11)
    return fig


def input_gradients(images, gradients, titles=None, *, title=None):
    """Digits (top row) and their sensitivity maps ∂E/∂x (bottom row) on ONE colour scale,
    symmetric around 0 (blue < 0: more ink lowers E), with one colourbar for all maps; the
    grey line outlines each digit's ink (level 0.5)."""
    images = [np.asarray(im, dtype=float) for im in images]
    grads = [np.asarray(g, dtype=float) for g in gradients]
    if len(images) != len(grads) or not images:
        raise ValueError(f"need as many gradients as images (at least one), got {len(images)} and {len(grads)}")
    n = len(images)
    fig, axes = new_figure(1.45 * n + 1.0, 3.7, 2, n)
    norm = _delta_norm(np.concatenate([g.ravel() for g in grads]))
    image = None
    for k in range(n):
        digit(axes[0, k], images[k], None if titles is None else titles[k])
        image = axes[1, k].imshow(grads[k], cmap=DELTA_CMAP, norm=norm, interpolation="nearest")
        axes[1, k].contour(images[k], levels=[0.5], colors="#444444", linewidths=0.7)
        axes[1, k].set_xticks([])
        axes[1, k].set_yticks([])
    axes[1, 0].set_ylabel("∂E/∂x", fontsize=10)
    fig.colorbar(image, ax=axes[1, :], shrink=0.9, label="∂E/∂x (one scale for all)")
    if title is not None:
        fig.suptitle(title, fontsize=11)
    return fig


def pixel_walk(before, after, *, titles=("before", "after")):
    """A digit before and after a walk on its pixels, and the change between them
    (green: ink added, pink: removed, symmetric scale, colourbar)."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    change = after - before
    limit = float(np.abs(change).max()) or 1.0
    fig, axes = new_figure(7.6, 2.6, 1, 3)
    digit(axes[0, 0], before, titles[0])
    image = axes[0, 1].imshow(change, cmap="PiYG", norm=mcolors.TwoSlopeNorm(0.0, -limit, limit))
    axes[0, 1].set_xticks([])
    axes[0, 1].set_yticks([])
    axes[0, 1].set_title("ink added (green) / removed (pink)", fontsize=10)
    fig.colorbar(image, ax=axes[0, 1], shrink=0.8)
    digit(axes[0, 2], after, titles[1])
    return fig


def seed_accuracies(accuracies, seeds, *, title=None):
    """Test accuracy of each seed's run as a dot, with the mean and ± one standard deviation."""
    acc = np.asarray(accuracies, dtype=float)
    fig, axes = new_figure(6.0, 2.4)
    ax = axes[0, 0]
    mean = acc.mean()
    std = acc.std(ddof=1) if len(acc) > 1 else 0.0
    ax.axhspan(mean - std, mean + std, color=tint("output", 0.25), label="mean ± 1 std")
    ax.axhline(mean, color=role_colour("output"), lw=1.5)
    ax.plot(list(seeds), acc, "o", color=role_colour("input"), label="one run (its own split)")
    ax.set_xticks(list(seeds))
    ax.set_xlabel("seed")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title is not None:
        ax.set_title(title, fontsize=11)
    return fig
