"""Re-execute notebooks in a fresh kernel and save them clean, ready to commit.

    python .ci/execute_notebooks.py [NOTEBOOK ...]     (default: every notebooks/*.ipynb)
    make execute [NB=notebooks/03_convolution_forward.ipynb]

Each notebook runs top to bottom in a new kernel started in notebooks/ (as in
JupyterLab and nbval), so execution counts are 1, 2, 3 … in order. Then what
changes from run to run or only bloats the diff is removed: the widget state in
the notebook's metadata and the per-cell execution timestamps. Cell tags such as
``nbval-ignore-output`` are kept. A cell that raises stops the script with exit code 1
and the notebook is left untouched.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def _merge_streams(outputs):
    """Join consecutive stdout (or stderr) chunks: how the kernel happened to flush
    a print should not show up in the diff."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def clean(nb):
    """Drop widget state and execution timing; keep outputs, counts and tags."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            for output in cell.outputs:
                output.get("metadata", {}).pop("execution", None)
            cell.outputs = _merge_streams(cell.outputs)
    return nb


def execute(path: Path, timeout: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(clean(nb), path)
    return seconds


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        if not path.exists():
            print(f"{path}: no such notebook", file=sys.stderr)
            return 2
        try:
            seconds = execute(path)
        except CellExecutionError as err:
            print(f"{path}: a cell failed; the file was not changed.\n{err}", file=sys.stderr)
            return 1
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
