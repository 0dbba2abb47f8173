"""The notebook checks really fail a stale or unexecuted notebook, and mask only noise.

Runs pytest --nbval (with the project's options from pyproject.toml) on small
notebooks written here, in a subprocess, and reads which ones passed. nbval alone
passes a cell that was never executed (nothing saved to compare), so the second
half of the net, ``notebook_problems`` of test_notebooks.py, must catch that one.
"""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .test_notebooks import notebook_problems

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path, source, text=None, tags=()):
    cell = new_code_cell(source, execution_count=1 if text is not None else None)
    cell.metadata["tags"] = list(tags)
    if text is not None:
        cell.outputs = [new_output("stream", name="stdout", text=text)]
    nb = new_notebook(cells=[new_markdown_cell("# A chapter\n## Exercises"), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_stale_and_unexecuted_notebooks_fail_and_noise_is_masked(tmp_path):
    _notebook(tmp_path / "01_good.ipynb", "import cnnbook\nprint(6 * 7)", "42\n")
    _notebook(tmp_path / "stale.ipynb", "print(6 * 7)", "41\n")
    _notebook(tmp_path / "unexecuted.ipynb", "import cnnbook\nprint(6 * 7)")
    _notebook(tmp_path / "address.ipynb", "print(object())",
              "<object object at 0x7f00deadbeef>\n")
    _notebook(tmp_path / "tiny.ipynb", "print(f'error {3.1e-11:.1e}, {0.37:.1e}')",
              "error 2.9e-10, 3.7e-01\n")
    _notebook(tmp_path / "not_tiny.ipynb", "print(f'error {3.1e-5:.1e}')", "error 2.9e-05\n")
    _notebook(tmp_path / "ignored.ipynb", "print(6 * 7)", "anything\n",
              tags=["nbval-ignore-output"])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "@tests/nbval.args", "-p", "no:cacheprovider", "-q",
         "-rA", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    report = result.stdout
    passed = {line.split()[1].split("::")[0].rsplit("/", 1)[-1]
              for line in report.splitlines() if line.startswith("PASSED")}
    failed = {line.split()[1].split("::")[0].rsplit("/", 1)[-1]
              for line in report.splitlines() if line.startswith("FAILED")}
    assert passed == {"01_good.ipynb", "address.ipynb", "ignored.ipynb", "unexecuted.ipynb",
                      "tiny.ipynb"}, report
    assert failed == {"stale.ipynb", "not_tiny.ipynb"}, report
    assert result.returncode == 1
    # the structural checks reject what nbval let through, and accept the good one
    assert any("execution counts" in p for p in notebook_problems(tmp_path / "unexecuted.ipynb"))
    assert any("without outputs" in p for p in notebook_problems(tmp_path / "unexecuted.ipynb"))
    assert notebook_problems(tmp_path / "01_good.ipynb") == []
