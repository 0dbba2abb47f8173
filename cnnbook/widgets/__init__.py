"""Interactive explorers: each one a pure state function plus a small view class.

The pattern (every explorer of the course follows it)::

    state = output_size_state(n=5, kernel=3, stride=2, padding=1)  # pure, tested in pytest
    view = OutputSizeExplorer(n=5, kernel=3, stride=2, padding=1)  # controls + one picture
    view.update(stride=1)          # same as moving the slider: recomputes view.state
    view.show()                    # the live widget, then a static copy of the picture

The live picture is drawn by the browser: ``draw(fig, state)`` runs on a
:class:`~cnnbook.widgets.scene.SceneFigure`, which records the cells and labels in a
few milliseconds, and ``scene.js`` (through ``anywidget``, installed with the course)
draws them as SVG, so the sliders update while they are dragged. Pointing at a cell
(hover or click) highlights its route — where its gradient goes — in every panel;
the routes come from the state functions (``state["routes"]``). ``show()`` also
leaves a static PNG of the starting setting (the same ``draw`` on matplotlib), so a
reader on GitHub, nbval and a printed handout see the picture without a kernel; the
widget's own output then reads as one line, "interactive explorer — run the notebook
to move the sliders". It renders in JupyterLab, Notebook 7 and Voilà alike, and a
headless test can check the arrays behind it.

A state function never fails on a setting a control can reach: an impossible
setting (a kernel larger than the padded input, say) gives a state whose
``message`` explains what is wrong and how to fix it. One module per explorer,
loaded when first used; the shared machinery is :class:`~cnnbook.widgets.base.Explorer`.

=====================  ===================  =========  ============================
explorer               state function       chapter    shows
=====================  ===================  =========  ============================
OutputSizeExplorer     output_size_state    3          windows and the output size
FootprintExplorer      footprint_state      4          which δ and W make ∂E/∂x_ij
StrideExplorer         stride_state         5          δ → expanded → padded → dx    
DepthExplorer          depth_state          6          per-filter partial maps and their sum
PoolingExplorer        pooling_state        7          max/mean routing of δ
DigitExplorer          digit_state          10         a test digit, its prediction and ∂E/∂x
TransposedExplorer     transposed_state     12         one input cell → the output cells it paints
=====================  ===================  =========  ============================
"""
from importlib import import_module

from .base import Explorer

_WHERE = {
    "OutputSizeExplorer": "output_size", "output_size_state": "output_size",
    "FootprintExplorer": "footprint", "footprint_state": "footprint",
    "StrideExplorer": "stride", "stride_state": "stride",
    "DepthExplorer": "depth", "depth_state": "depth",
    "PoolingExplorer": "pooling", "pooling_state": "pooling",
    "DigitExplorer": "digits", "digit_state": "digits",
    "TransposedExplorer": "transposed", "transposed_state": "transposed",
}

__all__ = ["Explorer", *_WHERE]


def __getattr__(name):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
