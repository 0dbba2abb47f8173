"""The Explorer machinery: sliders, choices, dependent ranges, one redraw per update."""
import pytest

from cnnbook.widgets import Explorer


class Toy(Explorer):
    """A pixel (row) inside an input of size n, and a choice of mode."""

    controls = {"n": (2, 6, "size"), "row": (0, 5, "row"), "mode": (("max", "mean"), "mode")}
    figsize = (1.0, 1.0)
    computed = 0

    def compute(self, n, row, mode):
        Toy.computed += 1
        return {"n": n, "row": row, "mode": mode, "message": f"n={n} row={row} <{mode}>"}

    def draw(self, fig, state):
        fig.subplots().text(0, 0, f"row {state['row']}")

    def limits(self, values):
        return {"row": (0, values["n"] - 1)}


def test_dependent_slider_range_follows_the_other_slider():
    view = Toy(n=6, row=5)
    assert view.row.max == 5
    view.update(n=3)
    assert view.row.max == 2 and view.row.value == 2  # clamped into the new range
    assert view.state["row"] == 2
    view.update(n=6, row=4)  # row checked after n widened its range
    assert view.values == {"n": 6, "row": 4, "mode": "max"}
    with pytest.raises(ValueError, match="row 5 is above this explorer's maximum 3"):
        view.update(n=4, row=5)


def test_choices_and_errors():
    view = Toy(mode="mean")
    assert view.state["mode"] == "mean"
    view.mode.value = "max"  # as a click would
    assert view.state["mode"] == "max"
    with pytest.raises(ValueError, match=r"mode must be one of \['max', 'mean'\], got 'median'"):
        view.update(mode="median")
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['size'\]"):
        Toy(size=3)
    assert view.view.message == "n=2 row=0 <max>"  # the browser writes it as text, never as HTML


def test_update_redraws_once():
    view = Toy()
    before = Toy.computed
    view.update(n=5, row=3, mode="mean")
    assert Toy.computed == before + 1
