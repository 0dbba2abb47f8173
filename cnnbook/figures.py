"""Regenerate the course's key figures into ``figures/`` as PNG and SVG.

    python -m cnnbook.figures [OUTDIR] [--only NAME ...] [--list]
    make figures

Each figure is built from cnnbook's own numbers (the seeds' examples), so the
pictures in the README and in handouts can never disagree with the code. The
files are byte-for-byte reproducible with the same matplotlib: no dates or
software tags in the metadata, a fixed SVG id salt, glyphs stored as paths.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib
import numpy as np

from . import examples, viz
from .primitives import conv_matrix, convolve2d, correlate2d, pad2d, rot180

__all__ = ["FIGURES", "build", "save", "main"]


def role_colours():
    """The role colours used across the course."""
    return viz.role_legend()


def valid_vs_full():
    """Seed 001's 4×4 input and 2×2 kernel: valid (3×3) and full (5×5) correlation."""
    ex = examples.seed001_relu_maxpool()
    x, w = ex["x"][0, 0], ex["w"][0, 0]
    fig, axes = viz.new_figure(11, 3.6, 1, 2)
    viz.matrix_row([(x, "input", "x (4×4)"), (w, "kernel", "W"),
                    (correlate2d(x, w), "output", "valid: 3×3")], ["⋆", "="], ax=axes[0, 0])
    viz.matrix_row([(pad2d(x, 1), "input", "x padded by K−1 = 1", {"padding": 1}),
                    (w, "kernel", "W"), (correlate2d(x, w, "full"), "output", "full: 5×5")],
                   ["⋆", "="], ax=axes[0, 1])
    return fig


def correlation_vs_convolution():
    """Seed 001's 4×4 input with an asymmetric kernel: cross-correlation vs convolution."""
    x = examples.seed001_relu_maxpool()["x"][0, 0]
    w = np.array([[1.0, 2.0], [0.0, -1.0]])
    fig, axes = viz.new_figure(7.5, 5.6, 2, 1)
    viz.matrix_row([(x, "input", "x"), (w, "kernel", "W"),
                    (correlate2d(x, w), "output", "x ⋆ W")], ["⋆", "="], ax=axes[0, 0],
                   title="cross-correlation (conv2d in PyTorch and cnnbook): W as it is")
    viz.matrix_row([(x, "input", "x"), (rot180(w), "kernel", "rot180(W)"),
                    (convolve2d(x, w), "output", "x ∗ W")], ["⋆", "="], ax=axes[1, 0],
                   title="convolution: the same sum with the kernel turned by 180°")
    return fig


def conv_windows_stride2():
    """Seed 001's setting: 5×5 input, 3×3 kernel, stride 2, padding 1 → 3×3 output."""
    return viz.draw_windows(5, 3, 2, 1, title="L=5, K=3, S=2, P=1 → O=3")


def output_size_floor():
    """A setting where (L − K + 2P)/S is not whole: the last column is never read."""
    return viz.draw_windows(6, 3, 2, 0, title="L=6, K=3, S=2, P=0 → O=⌊3/2⌋+1=2")


def conv_as_matrix():
    """Seed 004's view: a 2×2 kernel on a 4×4 image is a sparse, shared 9×16 matrix."""
    k = np.array([[1.0, 2.0], [3.0, 4.0]])  # placeholders: which weight sits where
    m = conv_matrix(k, (4, 4))
    names = {1.0: "$w_{11}$", 2.0: "$w_{12}$", 3.0: "$w_{21}$", 4.0: "$w_{22}$"}
    labels = np.vectorize(lambda v: names.get(v, ""), otypes=[object])(m)
    faces = [[viz.tint("kernel", 0.6) if v else "white" for v in row] for row in m]
    fig, axes = viz.new_figure(8.5, 5.2)
    viz.draw_matrix(labels, "kernel", ax=axes[0, 0], faces=faces, fontsize=8,
                    title="9 outputs × 16 inputs: each row holds the same four weights")
    return fig


def conv_backward_pattern():
    """Seed 001's 4×4 example: ∂E/∂x = (δ padded by K−1) ⋆ rot180(W)."""
    ex = examples.seed001_relu_maxpool()
    w = ex["w"][0, 0]
    delta = np.random.default_rng(0).integers(-3, 4, size=(3, 3)).astype(float)
    dx = correlate2d(pad2d(delta, 1), rot180(w))
    return viz.matrix_row([(pad2d(delta, 1), "delta", "δ padded by K−1", {"padding": 1}),
                           (rot180(w), "kernel", "rot180(W)"), (dx, "delta", "∂E/∂x")],
                          ["⋆", "="])


def stride_explorer():
    """Chapter 5's stride explorer at seed 001's setting (L=5, K=3, S=2, P=1)."""
    from .widgets import StrideExplorer

    return StrideExplorer(n=5, kernel=3, stride=2, padding=1).figure()


def pooling_explorer():
    """Chapter 7's pooling explorer: overlapping 3×3 max-pooling windows at stride 2 on a 5×5 map."""
    from .widgets import PoolingExplorer

    return PoolingExplorer(mode="max", n=5, window=3, stride=2).figure()


FIGURES = {
    "role_colours": role_colours,
    "valid_vs_full": valid_vs_full,
    "correlation_vs_convolution": correlation_vs_convolution,
    "conv_windows_stride2": conv_windows_stride2,
    "output_size_floor": output_size_floor,
    "conv_as_matrix": conv_as_matrix,
    "conv_backward_pattern": conv_backward_pattern,
    "stride_explorer": stride_explorer,
    "pooling_explorer": pooling_explorer,
}


_RC = {"svg.hashsalt": "cnnbook", "svg.fonttype": "path", "path.simplify": False}


def build(name):
    """The Figure called ``name`` (one of :data:`FIGURES`)."""
    try:
        maker = FIGURES[name]
    except KeyError:
        raise ValueError(f"unknown figure {name!r}; figures are: {', '.join(FIGURES)}") from None
    with matplotlib.rc_context(_RC):
        return maker()


def save(name, outdir):
    """Write ``outdir/name.png`` and ``outdir/name.svg``; return the two paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    fig = build(name)
    paths = []
    with matplotlib.rc_context(_RC):
        for ext, metadata in (("png", {"Software": None}),
                              ("svg", {"Date": None, "Creator": None})):
            path = outdir / f"{name}.{ext}"
            fig.savefig(path, format=ext, dpi=150, metadata=metadata, bbox_inches="tight",
                        pad_inches=0.05)
            paths.append(path)
    return paths


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2 — the form of
    ``python -m cnnbook train``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def main(argv=None, prog="python -m cnnbook.figures"):
    """Command line: regenerate every figure (or ``--only`` some) into OUTDIR.

    Returns the exit code: 0 done, 2 a bad option or a folder that cannot be written
    (one line on stderr, no traceback)."""
    parser = _Parser(prog=prog, description="Regenerate the course figures (PNG + SVG).")
    parser.add_argument("outdir", nargs="?", default="figures",
                        help="folder to write into (default: figures)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(FIGURES),
                        help="only these figures")
    parser.add_argument("--list", action="store_true", help="list the figure names and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, maker in FIGURES.items():
            print(f"{name:28s} {maker.__doc__.splitlines()[0]}")
        return 0
    for name in args.only or FIGURES:
        try:
            png, svg = save(name, args.outdir)
        except OSError as err:  # a path that is a file, not writable, a full disk …
            print(f"{parser.prog}: error: cannot write {name} into {args.outdir}: "
                  f"{' '.join(str(err.strerror or err).split())}", file=sys.stderr)
            return 2
        except ValueError as err:
            print(f"{parser.prog}: error: {name}: {' '.join(str(err).split())}", file=sys.stderr)
            return 2
        print(f"wrote {png} and {svg.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
