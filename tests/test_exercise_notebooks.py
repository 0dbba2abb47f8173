"""The committed chapters keep every exercise unsolved: each implementation exercise has a
skeleton cell (its exact signature, a docstring, ``raise NotImplementedError``) followed by a
check cell whose saved output says "not implemented yet", placed first in the chapter's
exercise section; each answer-check's saved output says "not answered yet"."""
import json
import re
from pathlib import Path

import pytest

from cnnbook import exercises

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _chapter_notebook(key):
    number = key[2:4]
    found = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    return found[0] if found else None


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def _output(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))


def _exercise_section(cells):
    start = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                 and _source(c).startswith("#") and "xercises" in _source(c).split("\n")[0])
    end = next((i for i, c in enumerate(cells) if i > start and c["cell_type"] == "markdown"
                and _source(c).startswith("## Summary")), len(cells))
    return cells[start:end]


@pytest.mark.parametrize("key", exercises.keys(kind="implement"))
def test_the_skeleton_is_committed_unsolved(key):
    path = _chapter_notebook(key)
    if path is None:
        pytest.skip(f"no notebook for {key}")
    ex = exercises._find(key)
    section = _exercise_section(_cells(path))
    checks = [i for i, c in enumerate(section) if c["cell_type"] == "code"
              and re.search(rf'check\("{re.escape(key)}", {ex.name}\)', _source(c))]
    assert len(checks) == 1, f"{path.name}: one check cell for {key}"
    i = checks[0]
    skeleton = _source(section[i - 1])
    assert f"def {ex.signature}:" in skeleton
    assert '"""' in skeleton and skeleton.rstrip().endswith("raise NotImplementedError")
    assert "not implemented yet" in _output(section[i])
    # first in the section: nothing but the heading and other implementation exercises before
    before = "".join(_source(c) for c in section[1:i])
    assert "answer_" not in before, f"{path.name}: {key} is not first in the section"


@pytest.mark.parametrize("key", exercises.keys(kind="answer"))
def test_the_answer_checks_are_committed_unanswered(key):
    path = _chapter_notebook(key)
    section = _exercise_section(_cells(path))
    checks = [c for c in section if c["cell_type"] == "code"
              and re.search(rf'check\("{re.escape(key)}"', _source(c))]
    assert len(checks) == 1, f"{path.name}: one check cell for {key}"
    assert "not answered yet" in _output(checks[0])
