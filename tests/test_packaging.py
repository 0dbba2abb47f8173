"""`pip install .` gives a working cnnbook: every module, every data file, every dependency.

The wheel is built from a copy of the source tree (offline: no build isolation, no
index), unpacked into a temporary folder, and every module is imported from there in a
fresh interpreter from which the source tree and any editable install of cnnbook are
removed, so the imports cannot succeed by reading the checkout. Then the wheel's metadata
must declare every third-party package that the code imports outside a
``try: … except ImportError``.
"""
from __future__ import annotations

import ast
import email
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnbook"
# import name -> distribution name, where the two differ and the package may be absent
DISTRIBUTION = {"sklearn": "scikit-learn", "IPython": "ipython", "PIL": "pillow"}


def _source_files():
    """Every file of the package that a clone has: git's list, else the folder without caches."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "cnnbook"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.split("\0")
        files = {f for f in listed if f and (ROOT / f).is_file()}
    except (OSError, subprocess.CalledProcessError):
        files = set()
    if not files:
        files = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """(path of the built wheel, folder it is unpacked into)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for relative in _source_files():
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, source / relative)
    dist = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(dist), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    (built,) = dist.glob("cnnbook-*.whl")
    target = work / "site"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(target)
    return built, target


def test_the_wheel_ships_every_file_of_the_package(wheel):
    built, _ = wheel
    with zipfile.ZipFile(built) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("cnnbook/")}
    source = _source_files()
    assert source, "found no source files: the test would prove nothing"
    assert {"cnnbook/widgets/__init__.py", "cnnbook/exercises/__init__.py"} <= source
    missing = sorted(source - shipped)
    assert not missing, f"the wheel leaves out {missing}"


_IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
target, root = sys.argv[1], sys.argv[2]
# the checkout and any editable install of cnnbook must not answer an import
# (the venv may live inside the checkout: its site-packages stay)
sys.path[:] = [target] + [p for p in sys.path if p.startswith(sys.prefix + "/") or (
    p not in ("", ".", root) and not p.startswith(root + "/"))]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
import cnnbook
names = ["cnnbook"] + [m.name for m in pkgutil.walk_packages(cnnbook.__path__, "cnnbook.")]
files = {}
for name in names:
    files[name] = importlib.import_module(name).__file__
print(json.dumps(files))
"""


def test_every_module_imports_from_the_wheel_not_the_source_tree(wheel, tmp_path):
    _, target = wheel
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, str(target), str(ROOT)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in dict(os.environ, MPLBACKEND="Agg").items()
             if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")})
    assert result.returncode == 0, result.stderr[-3000:]
    files = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {p.with_suffix("").as_posix().replace("/", ".")
                .removesuffix(".__init__") for p in map(Path, _source_files())
                if p.suffix == ".py"}
    assert set(files) == expected, "modules that did not import from the wheel: " \
        f"{sorted(expected - set(files))}; unexpected: {sorted(set(files) - expected)}"
    outside = {name: path for name, path in files.items()
               if not Path(path).resolve().is_relative_to(target.resolve())}
    assert not outside, f"imported from outside the wheel: {outside}"


def _imports(path):
    """(top-level name, guarded) for each import in the file; guarded = inside a
    ``try`` whose handlers catch ImportError or ModuleNotFoundError."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded_nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                h.type is None or re.search(r"\b(ImportError|ModuleNotFoundError)\b",
                                            ast.unparse(h.type)) for h in node.handlers):
            for inner in node.body:
                guarded_nodes.update(id(n) for n in ast.walk(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], id(node) in guarded_nodes
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], id(node) in guarded_nodes


def _requirement_name(line):
    return re.split(r"[\s;<>=!~\[(]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_every_third_party_import_is_a_declared_dependency(wheel):
    built, _ = wheel
    with zipfile.ZipFile(built) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_string(archive.read(meta).decode())
    declared = {_requirement_name(r) for r in metadata.get_all("Requires-Dist") or []
                if "extra ==" not in r}
    assert metadata["Requires-Python"] == ">=3.11"
    known = importlib.metadata.packages_distributions()
    needed, optional = {}, set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, guarded in _imports(path):
            if name in sys.stdlib_module_names or name in ("cnnbook", "__future__"):
                continue
            if guarded:
                optional.add(name)
                continue
            dist = DISTRIBUTION.get(name) or (known.get(name) or [name])[0]
            needed.setdefault(dist.lower().replace("_", "-"), set()).add(
                path.relative_to(ROOT).as_posix())
    assert {"numpy", "matplotlib", "ipywidgets"} <= set(needed), \
        f"the import scan found too little to prove anything: {sorted(needed)}"
    undeclared = {dist: sorted(files) for dist, files in needed.items() if dist not in declared}
    assert not undeclared, f"imported but not in pyproject's dependencies: {undeclared}"


def test_the_requirements_and_the_lock_agree_with_the_package():
    """requirements.txt asks for every runtime dependency, the lock pins each exactly, and
    the minimum numpy/Python declared is the version the lock (which CI installs) has."""
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r): r for r in project["dependencies"]}
    course = {_requirement_name(line) for line in
              (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.lstrip().startswith("#")}
    assert set(runtime) <= course, f"missing from requirements.txt: {set(runtime) - course}"
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match:
            pins.setdefault(match[1].lower().replace("_", "-"), match[2])
    assert course <= set(pins), f"not pinned in requirements.lock: {course - set(pins)}"
    for name, requirement in runtime.items():
        minimum = re.search(r">=\s*([0-9][0-9.]*)", requirement)
        assert minimum, f"{requirement}: no minimum version declared"
        floor = tuple(int(p) for p in minimum[1].split("."))
        locked = tuple(int(p) for p in re.findall(r"\d+", pins[name])[:len(floor)])
        assert locked >= floor, f"the lock has {name} {pins[name]}, below {requirement}"
    numpy_floor = re.search(r">=\s*([0-9.]+)", runtime["numpy"])[1]
    assert pins["numpy"].startswith(numpy_floor + "."), \
        f"declared numpy>={numpy_floor}, but CI tests numpy {pins['numpy']}"
