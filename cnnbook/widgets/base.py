"""The machinery every explorer shares: controls → pure state → one PNG picture."""
from __future__ import annotations

import html

from .. import viz
from ..shapes import _check_int

__all__ = ["Explorer"]


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
                                      continuous_update=False, style=style)
            control.observe(self._on_change, names="value")
            self.sliders[name] = control
            setattr(self, name, control)
        self.label = w.HTML()
        self.image = w.Image(format="png")
        self.widget = w.VBox([w.HBox(list(self.sliders.values()),
                                     layout=w.Layout(flex_flow="row wrap")),
                              self.label, self.image])
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
        message = html.escape(self.state["message"]).replace("\n", "<br>")
        self.label.value = f"<p style='max-width:52em'>{message}</p>"
        self.image.value = viz.figure_png(self.figure(), tight=False)

    def show(self):
        """Display the live widget, then a static copy of the current picture."""
        from IPython.display import Image, display

        display(self.widget)
        display(Image(data=self.image.value))  # the picture just rendered, not a new one

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
