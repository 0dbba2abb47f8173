"""The committed notebooks are executed, clean and honest (nbval then re-runs them).

nbval (``make test``) re-executes every notebook and compares each cell's text
output with the saved one, so stale outputs fail. ``notebook_problems`` catches
what nbval cannot see: a notebook saved without running it (nbval passes a cell
with no saved output), cells run out of order, widget state or timings left in
the file, a widget cell nbval would compare or that leaves no static picture,
and a chapter that redefines a cnnbook function instead of importing it.
"""
import ast
import json
import re
from pathlib import Path

import pytest

import cnnbook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
# Chapters end with exercises; the course map (00) does not.
WITHOUT_EXERCISES = {"00_start_here.ipynb"}


def _source(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def notebook_problems(path):
    """Every reason ``path`` should not be committed as it is (empty list: fine)."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    fix = f"re-run it with `make execute NB=notebooks/{path.name}`"
    problems = []
    if not re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name):
        problems.append(f"name {path.name!r} is not NN_lowercase_words.ipynb")
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts {counts} are not 1, 2, 3 …: {fix}")
    if code and not any(c.get("outputs") for c in code):
        problems.append(f"saved without outputs: {fix}")
    for cell in code:
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                problems.append(f"saved with an error ({out.get('ename')}) in: "
                                f"{_source(cell)[:60]!r}")
    if "widgets" in nb["metadata"]:
        problems.append(f"widget state in the metadata: {fix}")
    if nb["metadata"].get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec is not python3")
    if "jupytext" in nb["metadata"]:
        problems.append("jupytext metadata left in the notebook")
    if any("execution" in c["metadata"] for c in nb["cells"]):
        problems.append(f"execution timings in cell metadata: {fix}")
    for cell in code:
        outputs = cell.get("outputs", [])
        if any(WIDGET in o.get("data", {}) for o in outputs):
            if "nbval-ignore-output" not in cell["metadata"].get("tags", []):
                problems.append(f"widget cell not tagged nbval-ignore-output: "
                                f"{_source(cell)[:60]!r}")
            if not any("image/png" in o.get("data", {}) for o in outputs):
                problems.append(f"widget cell leaves no static figure: {_source(cell)[:60]!r}")
    sources = "\n".join(_source(c) for c in code)
    if not re.search(r"^(import cnnbook|from cnnbook)", sources, re.M):
        problems.append("never imports cnnbook")
    exported = set(cnnbook.__all__)
    for cell in code:
        text = "\n".join(line for line in _source(cell).splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in exported:
                problems.append(f"defines {node.name}(), which cnnbook already provides")
    first = nb["cells"][0] if nb["cells"] else None
    if first is None or first["cell_type"] != "markdown" or not _source(first).startswith("# "):
        problems.append("does not start with a Markdown title '# …'")
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in _source(c).splitlines() if line.startswith("#")]
    if path.name not in WITHOUT_EXERCISES and not any("Exercise" in h for h in headings):
        problems.append("has no Exercises section")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path):
    assert notebook_problems(path) == []
