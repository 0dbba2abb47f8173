"""A light stand-in for a matplotlib Figure that records a picture as a JSON scene.

An explorer draws its picture once, with the same ``draw(fig, state)`` code, onto
either a real matplotlib Figure (the static PNG for print, GitHub and nbval) or a
:class:`SceneFigure`. A SceneFigure does not render anything: it keeps each cell,
outline and label as a small list, and the browser draws them as SVG
(``scene.js``, through ``anywidget``). Building a scene takes a few milliseconds
where matplotlib needs 100–900 ms to make, lay out and encode the same picture, so
the sliders can follow the hand.

Only the part of the matplotlib API the explorers use is here: ``subplots``,
``suptitle``, ``supxlabel``, ``set_size_inches``; on the axes ``add_patch`` (of a
``Rectangle``), ``text`` (data or axes coordinates), ``set_title``, limits, aspect,
``axis("off")``, ``imshow`` and ``bar``. Mathtext (``$\\delta^{(l-1)}$``) becomes runs
of plain, subscript and superscript text.

Scene format (all lengths of the figure in pixels at 100 dpi; everything else in the
axes' own data coordinates)::

    {"size": [w, h], "suptitle": text | None, "supxlabel": text | None,
     "axes": [{"box": [x0, y0, x1, y1],        # figure fractions, y from the top
               "xlim": [a, b], "ylim": [bottom, top], "equal": bool,
               "title": text | None, "items": [item, ...]}]}
    text = {"runs": [[str, shift], ...], "size": pt, "color": "#rrggbb"}
    item = ["r", x, y, w, h, face, edge, linewidth, dashed, hatched, zorder, gid]
         | ["t", x, y, runs, size, color, ha, va, zorder, in_axes_fraction]
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from matplotlib import colors as mcolors

__all__ = ["SceneFigure", "SceneAxes", "plain_runs", "colour"]

_AXES = object()  # the stand-in for ``ax.transAxes``


@lru_cache(maxsize=4096)
def _hex(spec):
    if spec is None or (isinstance(spec, str) and spec.lower() == "none"):
        return None
    return mcolors.to_hex(spec, keep_alpha=False)


def colour(spec):
    """A matplotlib colour (name, hex, RGB(A) tuple) as ``#rrggbb``, or None for 'none'."""
    if isinstance(spec, np.ndarray):
        spec = tuple(float(v) for v in spec)
    elif isinstance(spec, list):
        spec = tuple(spec)
    return _hex(spec)


_COMMANDS = {
    "delta": "δ", "partial": "∂", "star": "⋆", "odot": "⊙", "times": "×", "cdot": "·",
    "sum": "Σ", "infty": "∞", "leq": "≤", "geq": "≥", "to": "→", "rightarrow": "→",
    "ldots": "…", "dots": "…", "quad": "  ", ",": " ", " ": " ", "prime": "′",
    "lfloor": "⌊", "rfloor": "⌋", "mathrm": "", "mathit": "", "mathbf": "", "text": "",
}


def _group(s, i):
    """The argument starting at ``s[i]``: a ``{…}`` group or one character → (text, next i)."""
    if i < len(s) and s[i] == "{":
        depth, j = 1, i + 1
        while j < len(s) and depth:
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            j += 1
        return s[i + 1:j - 1], j
    if i < len(s) and s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i:i + 1], i + 1


def _math(s, shift, out):
    """Append the runs of mathtext ``s`` (without the dollars) at baseline ``shift``."""
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name = m.group(1)
            i += len(m.group(0))
            if name == "frac":
                num, i = _group(s, i)
                den, i = _group(s, i)
                _math(num, shift, out)
                out.append(["/", shift])
                _math(den, shift, out)
            elif name in ("mathrm", "mathit", "mathbf", "text"):
                arg, i = _group(s, i)
                _math(arg, shift, out)
            else:
                out.append([_COMMANDS.get(name, name), shift])
        elif ch in "_^":
            arg, i = _group(s, i + 1)
            _math(arg, -1 if ch == "_" else 1, out)
        elif ch in "{}":
            i += 1
        else:
            j = i
            while j < len(s) and s[j] not in "\\_^{}":
                j += 1
            # mathtext ignores spaces; a "-" is a minus sign
            out.append([s[i:j].replace(" ", "").replace("-", "−"), shift])
            i = j


def plain_runs(text):
    """``"$\\delta^{(l-1)}$ = dx"`` → ``[["δ", 0], ["(l−1)", 1], [" = dx", 0]]``.

    Shift 0 is the baseline, −1 a subscript, 1 a superscript. Neighbouring runs at the
    same shift are merged.
    """
    text = str(text)
    if "$" not in text:   # the common case: one plain run
        return [[text, 0]] if text else []
    out = []
    parts = text.split("$")
    for k, part in enumerate(parts):
        if k % 2:
            _math(part, 0, out)
        elif part:
            out.append([part, 0])
    merged = []
    for run in out:
        if merged and merged[-1][1] == run[1]:
            merged[-1][0] += run[0]
        elif run[0]:
            merged.append(list(run))
    return merged


def _text(text, size, color):
    if text is None or text == "":
        return None
    return {"runs": plain_runs(text), "size": float(size), "color": colour(color) or "#000000"}


class _Spine:
    def set_visible(self, _visible):
        pass


class _Spines(dict):
    def __getitem__(self, key):
        return _Spine() if isinstance(key, (list, tuple)) else super().__getitem__(key)


class SceneAxes:
    """Records what an explorer draws on one matplotlib Axes (see the module docstring)."""

    def __init__(self, figure, box):
        self.figure = figure
        self.box = box
        self.items = []
        self.transAxes = _AXES
        self.spines = _Spines({k: _Spine() for k in ("left", "right", "top", "bottom")})
        self._ticks = {"x": [], "y": []}
        self._xlim = self._ylim = None
        self._inverted = False
        self._equal = False
        self._data = [np.inf, np.inf, -np.inf, -np.inf]
        self._title = None
        self._visible = True

    # -- what the explorers call --------------------------------------------------
    def rect(self, x, y, w, h, face=None, edge=None, linewidth=1.0, dashed=False,
             hatched=False, zorder=1.0, gid=None):
        """A rectangle in data coordinates (the fast path of ``add_patch``)."""
        self.items.append(["r", float(x), float(y), float(w), float(h), colour(face),
                           colour(edge), float(linewidth), bool(dashed), bool(hatched),
                           float(zorder), gid])
        d = self._data
        d[0], d[1] = min(d[0], x), min(d[1], y)
        d[2], d[3] = max(d[2], x + w), max(d[3], y + h)

    def add_patch(self, patch):
        (x, y), w, h = patch.get_xy(), patch.get_width(), patch.get_height()
        face = patch.get_facecolor() if patch.get_fill() else None
        if face is not None and face[3] == 0:
            face = None
        edge = patch.get_edgecolor()
        if edge[3] == 0:
            edge = None
        self.rect(x, y, w, h, face, edge, patch.get_linewidth(),
                  patch.get_linestyle() not in ("-", "solid"), bool(patch.get_hatch()),
                  patch.get_zorder(), patch.get_gid())
        return patch

    def text(self, x, y, s, ha="left", va="baseline", fontsize=10, color="black",
             transform=None, zorder=3, **_ignored):
        runs = plain_runs(s)
        if runs:
            self.items.append(["t", float(x), float(y), runs, float(fontsize),
                               colour(color) or "#000000", ha, va, float(zorder),
                               transform is _AXES])

    def set_title(self, text, color=None, fontsize=11, **_ignored):
        self._title = _text(text, fontsize, color)

    def set_xlim(self, left, right=None):
        if right is None:
            left, right = left
        self._xlim = [float(left), float(right)]

    def set_ylim(self, bottom, top=None):
        if top is None:
            bottom, top = bottom
        self._ylim = [float(bottom), float(top)]

    def invert_yaxis(self):
        self._inverted = not self._inverted

    def yaxis_inverted(self):
        return self._inverted

    def set_aspect(self, aspect, **_ignored):
        self._equal = aspect == "equal"

    def axis(self, option):
        if option == "off":
            self._visible = False

    def set_axis_off(self):
        self._visible = False

    def set_xticks(self, ticks, labels=None, fontsize=9, **_ignored):
        self._ticks["x"] = [(float(t), str(t if labels is None else labels[k]), fontsize)
                            for k, t in enumerate(ticks)]

    def set_yticks(self, ticks, labels=None, fontsize=9, **_ignored):
        self._ticks["y"] = [(float(t), str(t if labels is None else labels[k]), fontsize)
                            for k, t in enumerate(ticks)]

    def contour(self, *args, **kwargs):
        """Not drawn live (the static picture has it)."""

    def update_datalim(self, points):
        for x, y in points:
            d = self._data
            d[0], d[1], d[2], d[3] = min(d[0], x), min(d[1], y), max(d[2], x), max(d[3], y)

    def autoscale_view(self):
        pass

    def imshow(self, values, cmap=None, norm=None, vmin=None, vmax=None, **_ignored):
        from matplotlib import colormaps

        arr = np.asarray(values, dtype=float)
        cmap = colormaps[cmap] if isinstance(cmap, str) else cmap
        if norm is None:
            lo = np.nanmin(arr) if vmin is None else vmin
            hi = np.nanmax(arr) if vmax is None else vmax
            norm = mcolors.Normalize(lo, hi if hi > lo else lo + 1)
        rgba = cmap(norm(arr))
        for (r, c), _ in np.ndenumerate(arr):
            self.rect(c - 0.5, r - 0.5, 1, 1, tuple(rgba[r, c]), None, 0, zorder=0)
        self._equal = True
        if not self._inverted:
            self._inverted = True
        return _Mappable(cmap, norm)

    def bar(self, xs, heights, color=None, edgecolor=None, fill=True, linewidth=1.0,
            width=0.8, **_ignored):
        xs, heights = np.atleast_1d(xs), np.atleast_1d(heights)
        colours = color if isinstance(color, (list, tuple)) and len(color) == len(xs) \
            and not isinstance(color[0], float) else [color] * len(xs)
        for x, h, c in zip(xs, heights, colours):
            self.rect(x - width / 2, 0, width, h, c if fill else None, edgecolor, linewidth)

    # -- the scene ----------------------------------------------------------------
    def scene(self):
        d = self._data
        if self._xlim is not None:
            xlim = self._xlim
        elif np.isfinite(d[0]):
            m = 0.05 * (d[2] - d[0])
            xlim = [d[0] - m, d[2] + m]
        else:
            xlim = [0.0, 1.0]
        if self._ylim is not None:
            ylim = self._ylim
        elif np.isfinite(d[1]):
            m = 0.05 * (d[3] - d[1])
            ylim = [d[3] + m, d[1] - m] if self._inverted else [d[1] - m, d[3] + m]
        else:
            ylim = [1.0, 0.0] if self._inverted else [0.0, 1.0]
        if self._visible and (self._ticks["x"] or self._ticks["y"]):
            y0, x0 = ylim[0], xlim[0]
            self.rect(xlim[0], y0, xlim[1] - xlim[0], 0, None, "#444444", 0.8)
            for x, label, size in self._ticks["x"]:
                self.text(x, y0 - 0.01 * abs(ylim[1] - y0), label, ha="center", va="top",
                          fontsize=size)
            for y, label, size in self._ticks["y"]:
                self.text(x0, y, label + " ", ha="right", va="center", fontsize=size)
        items = sorted(self.items, key=lambda item: item[10] if item[0] == "r" else item[8])
        return {"box": list(self.box), "xlim": xlim, "ylim": ylim, "equal": self._equal,
                "title": self._title, "items": items}


class _Mappable:
    def __init__(self, cmap, norm):
        self.cmap, self.norm = cmap, norm


class SceneFigure:
    """Records a picture drawn with the matplotlib Figure calls the explorers use."""

    def __init__(self, figsize=(6.0, 4.0), dpi=100, **_ignored):
        self.size = [float(figsize[0]), float(figsize[1])]
        self.dpi = dpi
        self.axes = []
        self._suptitle = self._supxlabel = None

    def subplots(self, nrows=1, ncols=1, squeeze=True, gridspec_kw=None, width_ratios=None,
                 height_ratios=None, **_ignored):
        gridspec_kw = dict(gridspec_kw or {})
        widths = np.asarray(width_ratios or gridspec_kw.get("width_ratios") or [1] * ncols,
                            dtype=float)
        heights = np.asarray(height_ratios or gridspec_kw.get("height_ratios") or [1] * nrows,
                             dtype=float)
        xs = np.concatenate([[0], np.cumsum(widths)]) / widths.sum()
        ys = np.concatenate([[0], np.cumsum(heights)]) / heights.sum()
        grid = np.empty((nrows, ncols), dtype=object)
        for r in range(nrows):
            for c in range(ncols):
                ax = SceneAxes(self, (xs[c], ys[r], xs[c + 1], ys[r + 1]))
                self.axes.append(ax)
                grid[r, c] = ax
        if squeeze:
            grid = grid.squeeze()
            return grid.item() if grid.ndim == 0 else grid
        return grid

    def suptitle(self, text, fontsize=12, color=None, **_ignored):
        self._suptitle = _text(text, fontsize, color)

    def supxlabel(self, text, fontsize=11, color=None, **_ignored):
        self._supxlabel = _text(text, fontsize, color)

    def set_size_inches(self, w, h=None):
        if h is None:
            w, h = w
        self.size = [float(w), float(h)]

    def colorbar(self, mappable, ax=None, **_ignored):
        """A colour bar becomes two labelled end swatches under the axes (the scale's ends)."""
        if ax is None or mappable is None:
            return
        lo, hi = mappable.norm.vmin, mappable.norm.vmax
        for frac, value in ((0.0, lo), (1.0, hi)):
            ax.text(frac, -0.04, f"{value:.2g}".replace("-", "−"), transform=_AXES,
                    ha="left" if frac == 0 else "right", va="top", fontsize=8,
                    color=colour(mappable.cmap(mappable.norm(value))))

    def scene(self):
        """The JSON-able scene (see the module docstring)."""
        return {"size": [round(self.size[0] * self.dpi), round(self.size[1] * self.dpi)],
                "suptitle": self._suptitle, "supxlabel": self._supxlabel,
                "axes": [ax.scene() for ax in self.axes]}
