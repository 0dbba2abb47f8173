"""The machinery every explorer shares: controls → pure state → one picture.

The live picture is drawn by the browser: ``draw(fig, state)`` runs on a
:class:`~cnnbook.widgets.scene.SceneFigure`, which records the cells and labels
(a few ms), and :class:`SceneView` (an ``anywidget``) draws them as SVG and
highlights the route of the cell under the pointer. The static picture (for print,
GitHub and nbval) is the same ``draw`` on a real matplotlib Figure.
"""
from __future__ import annotations

import json
import pathlib

from .. import viz
from ..shapes import _check_int
from .scene import SceneFigure

__all__ = ["Explorer", "SceneView", "FALLBACK_TEXT"]

#: The text a saved widget output shows where no kernel runs (GitHub, nbviewer, print).
FALLBACK_TEXT = "interactive explorer — run the notebook to move the sliders"

_view_class = None


def SceneView(**traits):
    """The browser half of an explorer: an ``anywidget`` that draws a scene as SVG.

    Synced traits: ``scene_json`` (the dict of :meth:`SceneFigure.scene` as JSON),
    ``message`` (the explanation under the sliders), ``routes_json`` (``{cell id:
    {"on": [cell ids], "text": str}}`` as JSON: what to highlight when the reader points
    at a cell) and ``selected`` (the clicked cell id, set by the browser; "" for none).
    The same two dicts are kept, not synced, as ``scene`` and ``routes``.
    """
    global _view_class
    if _view_class is None:
        import anywidget
        import traitlets

        class _SceneView(anywidget.AnyWidget):
            _esm = pathlib.Path(__file__).with_name("scene.js")
            # JSON text, not dicts: ipywidgets would walk every nested list for buffers
            scene_json = traitlets.Unicode("{}").tag(sync=True)
            message = traitlets.Unicode("").tag(sync=True)
            routes_json = traitlets.Unicode("{}").tag(sync=True)
            selected = traitlets.Unicode("").tag(sync=True)

        _SceneView.scene = {}
        _SceneView.routes = {}
        _view_class = _SceneView
    return _view_class(**traits)


class Explorer:
    """Base of the course's widgets: controls → a pure state function → one PNG picture.

    A subclass sets ``controls``, a dict name → spec, where a spec is either
    ``(minimum, maximum, description)`` for an integer slider or
    ``(("max", "mean"), description)`` for a choice between options; and implements
    ``compute(**values)`` (call the pure state function) and ``draw(fig, state)``
    (draw onto an empty Figure). Optionally ``limits(values)`` returns
    ``{name: (minimum, maximum)}`` for sliders whose range depends on the others
    (a pixel index can't exceed the input size); values are clamped into the new
    range before the state is computed.

    ``update(**changes)`` sets controls as a reader would (one redraw for all the
    changes) and returns the new state; ``state`` always holds the result for the
    current values; ``sliders`` maps names to the ipywidgets controls, which are
    also attributes (``view.stride.value = 2`` works).
    """

    controls: dict = {}
    figsize = (6.0, 4.0)

    def __init__(self, **values):
        import ipywidgets as w

        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; "
                             f"this explorer has {list(self.controls)}")
        self.sliders = {}
        self._holding = True
        style = {"description_width": "initial"}
        for name, spec in self.controls.items():
            if self._is_choice(spec):
                options, description = spec
                value = values.get(name, options[0])
                self._check_choice(name, value)
                control = w.ToggleButtons(options=list(options), value=value,
                                          description=description, style=style)
            else:
                lo, hi, description = spec
                value = self._check_number(name, values.get(name, lo), lo, hi)
                control = w.IntSlider(value=value, min=lo, max=hi, description=description,
                                      continuous_update=True, style=style)
            control.observe(self._on_change, names="value")
            self.sliders[name] = control
            setattr(self, name, control)
        self.view = SceneView()
        self.widget = w.VBox([w.HBox(list(self.sliders.values()),
                                     layout=w.Layout(flex_flow="row wrap")),
                              self.view])
        self._holding = False
        self._refresh()

    # -- to implement -------------------------------------------------------
    def compute(self, **values):  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, fig, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def limits(self, values):
        """``{name: (minimum, maximum)}`` for sliders whose range depends on others."""
        return {}

    def routes(self, state):
        """``{cell id: {"on": [cell ids], "text": str}}``: what pointing at a cell shows.

        Cell ids are those ``draw`` gives its cells (``viz.draw_matrix(..., ids=…)``);
        the routes themselves come from the state function. None by default.
        """
        return {}

    # -- machinery ----------------------------------------------------------
    @staticmethod
    def _is_choice(spec):
        return len(spec) == 2 and isinstance(spec[0], (tuple, list))

    def _check_choice(self, name, value):
        options = self.controls[name][0]
        if value not in options:
            raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
        return value

    def _range(self, name):
        control = self.sliders.get(name)
        if control is not None:
            return control.min, control.max
        return self.controls[name][0], self.controls[name][1]

    def _check_number(self, name, value, lo=None, hi=None):
        if lo is None:
            lo, hi = self._range(name)
        value = _check_int(value, name, lo)
        if value > hi:
            raise ValueError(f"{name} {value} is above this explorer's maximum {hi}")
        return value

    @property
    def values(self):
        return {name: s.value for name, s in self.sliders.items()}

    def update(self, **changes):
        """Set controls by name (as a reader would) and recompute; returns the new state.

        Values are checked against the controls' own ranges (a slider would clamp
        silently; a ValueError says what is wrong instead). A slider whose range
        depends on the others is checked after those have been set.
        """
        for name in changes:
            if name not in self.sliders:
                raise ValueError(f"unknown setting {name!r}; this explorer has "
                                 f"{list(self.sliders)}")
        independent = {k: v for k, v in changes.items() if k not in self.limits(self.values)}
        dependent = {k: v for k, v in changes.items() if k not in independent}
        self._holding = True  # one redraw for all the changes, not one per control
        try:
            for group in (independent, dependent):
                for name, value in group.items():
                    if self._is_choice(self.controls[name]):
                        self._check_choice(name, value)
                    else:
                        self._apply_limits()
                        value = self._check_number(name, value)
                    self.sliders[name].value = value
        finally:
            self._holding = False
        self._refresh()
        return self.state

    def figure(self):
        """A new static Figure of the current state (for print, GitHub and nbval)."""
        fig = viz.CourseFigure(figsize=self.figsize, dpi=100, layout="constrained")
        self.draw(fig, self.state)
        return fig

    def scene(self, state=None):
        """The picture of ``state`` (default: the current one) as a scene for the browser."""
        fig = SceneFigure(figsize=self.figsize, dpi=100)
        self.draw(fig, self.state if state is None else state)
        return fig.scene()

    def png(self):
        """The static picture of the current state as PNG bytes."""
        return viz.figure_png(self.figure(), tight=False)

    def _apply_limits(self):
        for name, (lo, hi) in self.limits(self.values).items():
            control = self.sliders[name]
            value = min(max(control.value, lo), hi)
            # widen first so that the value is never outside [min, max] in between
            control.max = max(control.max, hi)
            control.min = min(control.min, lo)
            control.value = value
            control.min, control.max = lo, hi

    def _on_change(self, _change):
        if not self._holding:
            self._refresh()

    def _refresh(self):
        holding, self._holding = self._holding, True
        try:
            self._apply_limits()
        finally:
            self._holding = holding
        self.state = self.compute(**self.values)
        routes = self.routes(self.state)
        selected = self.view.selected if self.view.selected in routes else ""
        with self.view.hold_sync():   # one message to the browser
            self.view.message = self.state["message"]
            self.view.routes = routes
            self.view.selected = selected
            self.view.scene = self.scene()

    def show(self):
        """Display the live widget, then a static copy of the current picture.

        Where no kernel runs (GitHub, nbviewer, a printed handout) the widget's output
        reads as one line, :data:`FALLBACK_TEXT`, and the static PNG follows it.
        """
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        display({"image/png": self.png()}, raw=True)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = FALLBACK_TEXT
        return bundle
