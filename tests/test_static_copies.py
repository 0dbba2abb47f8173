"""The committed notebooks read right without a kernel (GitHub, nbviewer, a printed handout).

Every widget output's text is the one-line fallback (never an ipywidgets repr such as
``VBox(children=(HBox(…IntSlider…``), and the picture of the explorer follows it as a
PNG; no output keeps the remnant of a progress bar (tqdm's ``37%|███ | 333/900``).
"""
import json
import re
from pathlib import Path

import pytest

from cnnbook.widgets.base import FALLBACK_TEXT

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_REPR = re.compile(r"\b(VBox|HBox|Box|IntSlider|FloatProgress|ToggleButtons|Image|HTML|"
                         r"Output|AnyWidget|_SceneView)\(")
PROGRESS = re.compile(r"\d+%\|.*\||\d+/\d+ \[\d+:\d+<|[\d.]+ ?(it|batch)/s\]")


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def _outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        yield number, cell.get("outputs", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_widget_outputs_read_as_a_line_and_a_picture(path):
    problems = []
    for number, outputs in _outputs(path):
        for k, output in enumerate(outputs):
            data = output.get("data", {})
            plain = _text(data.get("text/plain"))
            if WIDGET in data:
                if plain != FALLBACK_TEXT:
                    problems.append(f"cell {number}: widget output's text is {plain[:60]!r}, "
                                    f"not the fallback line")
                later = outputs[k + 1:]
                if not any("image/png" in o.get("data", {}) for o in later):
                    problems.append(f"cell {number}: no static picture after the widget")
            elif WIDGET_REPR.search(plain):
                problems.append(f"cell {number}: a widget's repr as text: {plain[:60]!r}")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_progress_bar_remnants(path):
    problems = []
    for number, outputs in _outputs(path):
        for output in outputs:
            texts = [_text(output.get("text"))]
            texts += [_text(v) for key, v in output.get("data", {}).items()
                      if key.startswith("text/")]
            for text in texts:
                if PROGRESS.search(text) or "\r" in text:
                    problems.append(f"cell {number}: {text.strip()[:70]!r}")
    assert not problems, f"{path.name} keeps a progress bar: " + "; ".join(problems)


def test_the_patterns_catch_what_they_are_for():
    assert WIDGET_REPR.search("VBox(children=(HBox(children=(IntSlider(value=5, ")
    assert PROGRESS.search("epoch 1/20:   0%|          | 0/900 [00:00<?, ?batch/s]")
    assert PROGRESS.search("100%|██████████| 900/900 [00:03<00:00, 250.1batch/s]")
    assert not WIDGET_REPR.search(FALLBACK_TEXT)
    assert not PROGRESS.search("trained 20 epochs in 3.1 s; test accuracy 98.6 %")
