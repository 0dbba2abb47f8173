"""python -m cnnbook: exit codes, one-line errors without tracebacks, the last line."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnbook.__main__ import main

from .test_data import write_idx, write_mnist

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd):
    """``python -m cnnbook *args`` in a fresh interpreter; the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "cnnbook", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_train_on_the_digits_ends_with_the_test_accuracy(tmp_path):
    done = run("train", "--epochs", "1", "--seed", "1", "--batch-size", "64", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", last), done.stdout
    assert float(last.split(": ")[1]) > 0.5
    assert re.fullmatch(r"validation accuracy: [01]\.\d{4}", done.stdout.strip().splitlines()[-2])
    assert "epoch 1/1" in done.stderr and "Traceback" not in done.stderr  # the progress bar


def test_bad_path_exits_2_with_one_line(tmp_path):
    done = run("train", "--data", str(tmp_path / "missing"), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    line = _one_line(done.stderr)
    assert line.startswith("python -m cnnbook: error: ") and "missing: no such directory" in line


def test_corrupt_file_exits_2_naming_the_file(tmp_path):
    write_mnist(tmp_path / "mnist")
    images = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:40])
    done = run("train", "--data", str(tmp_path / "mnist"), cwd=tmp_path)
    assert done.returncode == 2
    assert "t10k-images-idx3-ubyte.gz: truncated gzip data" in _one_line(done.stderr)


def test_bad_option_exits_2_with_one_line(tmp_path):
    done = run("train", "--epochs", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert "--epochs: expected a positive integer, got 0" in _one_line(done.stderr)


@pytest.mark.parametrize("argv, message", [
    ([], "choose a command: train or figures"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--epochs", "three"], "argument --epochs: expected a positive integer, got 'three'"),
    (["train", "--batch-size", "-4"], "argument --batch-size: expected a positive integer, got -4"),
    (["train", "--seed", "-1"], "argument --seed: expected a non-negative integer, got -1"),
    (["train", "--learning-rate", "1"], "unrecognized arguments: --learning-rate 1"),
])
def test_usage_errors(argv, message, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in _one_line(err)


def test_data_errors(tmp_path, capsys):
    write_mnist(tmp_path / "a", n_train=4, n_test=2, gz=False)
    write_idx(tmp_path / "a" / "train-labels-idx1-ubyte", np.zeros(4), magic=0x00000803)
    (tmp_path / "b").mkdir()
    write_mnist(tmp_path / "c", n_train=4, n_test=2, size=20)
    (tmp_path / "file").write_text("not a folder")
    cases = [
        ("a", "train-labels-idx1-ubyte: magic number 0x00000803"),
        ("b", "no train-images-idx3-ubyte or train-images-idx3-ubyte.gz (the MNIST train images)"),
        ("c", "no network for images of shape 1×20×20 (expected 1×8×8 or 1×28×28)"),
        ("file", "file: not a directory"),
        ("nowhere", "nowhere: no such directory (--data takes 'digits' or a folder"),
    ]
    for folder, message in cases:
        assert main(["train", "--data", str(tmp_path / folder)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and message in _one_line(err)


def test_train_on_mnist_files(tmp_path, capsys):
    write_mnist(tmp_path, n_train=20, n_test=10)
    assert main(["train", "--data", str(tmp_path), "--epochs", "1", "--batch-size", "8"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == (f"{tmp_path}: 20 training images (16 fitted, 4 for validation) "
                                   "and 10 test images, 1×28×28")
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", out.splitlines()[-1])
    assert "epoch 1/1" in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0
    assert "--batch-size" in capsys.readouterr().out


@pytest.mark.skipif(importlib.util.find_spec("cnnbook.figures") is None,
                    reason="cnnbook.figures is not written yet")
def test_figures_help(tmp_path):
    done = run("figures", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_seeds_reports_mean_and_standard_deviation(capsys):
    from cnnbook.data import load_digits
    from cnnbook.training import evaluate, train_network

    assert main(["train", "--epochs", "1", "--seed", "2", "--seeds", "2", "--batch-size", "64"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    runs = [line for line in lines if line.startswith("seed ")]
    assert [r.split(":")[0] for r in runs] == ["seed 2", "seed 3"]
    accuracies = []
    for seed, line in zip((2, 3), runs):   # each line is that seed's own split, training and test
        data = load_digits(seed=seed)
        model, history = train_network(data, epochs=1, batch_size=64, seed=seed, progress=False)
        test = evaluate(model, data.x_test, data.y_test)[1]
        assert f"validation accuracy {history.val_accuracy[-1]:.4f}, test accuracy {test:.4f}" in line
        accuracies.append(test)
    mean, std = np.mean(accuracies), np.std(accuracies, ddof=1)
    assert lines[-1] == f"test accuracy: {mean:.4f} ± {std:.4f} (mean ± standard deviation over 2 seeds)"


def test_train_works_without_tqdm(tmp_path):
    """tqdm hidden from the interpreter: training runs, prints its result, and shows no bar."""
    code = ("import sys; sys.modules['tqdm'] = None; sys.modules['tqdm.auto'] = None; "
            "from cnnbook.__main__ import main; "
            "sys.exit(main(['train', '--epochs', '1', '--batch-size', '64']))")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv, message", [
    (["figures", "--only", "nope"], "python -m cnnbook figures: error: argument --only: invalid choice: 'nope'"),
    (["figures", "--colour"], "python -m cnnbook figures: error: unrecognized arguments: --colour (see --help)"),
])
def test_figures_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and _one_line(err).startswith(message)


def test_figures_unwritable_folder_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["figures", str(blocker / "figs"), "--only", "role_colours"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("python -m cnnbook figures: error: cannot write role_colours into")
