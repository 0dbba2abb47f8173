"""Command line: ``python -m cnnbook train …`` and ``python -m cnnbook figures …``.

::

    python -m cnnbook train [--data digits|DIR] [--epochs N] [--seed S] [--seeds N] [--batch-size B]
    python -m cnnbook figures [options of cnnbook.figures]

``train`` trains the network for the data (``cnnbook.training.train_network``: 80 % of
the training images fitted, 20 % held back for validation) with a progress bar on
stderr when tqdm is installed, then measures the test set once and ends with the line
``test accuracy: 0.xxxx`` on stdout. ``--seeds N`` repeats the whole recipe for the
seeds S, S+1, …, S+N−1 (``cnnbook.training.seed_study``: for the digits a new
train/test split each time) and ends with ``test accuracy: mean ± std (…)``.
``--data digits`` (the default) uses scikit-learn's bundled 8×8 digits; a folder
holding the four MNIST IDX files trains LeNet-5 on them. ``figures`` regenerates
``figures/`` (``cnnbook.figures.main``).

While training, numpy's BLAS runs on one thread (see ``cnnbook.training.one_blas_thread``).

Exit codes: 0 done, 2 bad option, bad path or unreadable data (one line on stderr,
no traceback), 130 interrupted.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROG = "python -m cnnbook"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2, as always)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _int_at_least(lowest, what):
    """An argparse type: an int of at least ``lowest``, else a one-line error."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value
    return parse


_positive_int = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "a non-negative integer")


def build_parser():
    parser = _Parser(prog=PROG, description="cnnbook: train the course's CNN, or redraw its figures.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"cnnbook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{train,figures}", parser_class=_Parser)

    train = sub.add_parser(
        "train", help="train a CNN and print its test accuracy",
        description="Train the course's CNN; the last line printed is 'test accuracy: 0.xxxx'.",
    )
    train.add_argument(
        "--data", default="digits", metavar="digits|DIR",
        help="'digits' (scikit-learn's 8×8 digits, 80/20 split; the default) or a folder with "
             "the MNIST files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
             "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each raw or .gz)",
    )
    train.add_argument("--epochs", type=_positive_int, metavar="N",
                       help="passes over the training set (default: 20 for digits, 5 for MNIST)")
    train.add_argument("--seed", type=_seed, default=0, metavar="S",
                       help="seed of the initial weights, batch order and shifts (default: 0)")
    train.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                       help="repeat the run for N seeds (S, S+1, …) and report the test accuracy as "
                            "mean ± standard deviation (default: 1)")
    train.add_argument("--batch-size", type=_positive_int, metavar="B",
                       help="images per gradient step (default: 32 for digits, 64 for MNIST)")

    sub.add_parser(
        "figures", add_help=False,
        help="regenerate figures/ (see: python -m cnnbook figures --help)",
    )
    return parser


def _fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _train(args):
    from .data import DataError, load_digits, load_mnist
    from .training import network_for, one_blas_thread, seed_study

    def load(seed):
        return load_digits(seed=seed) if args.data == "digits" else load_mnist(args.data)

    try:
        data = load(args.seed)
        network_for(data.x_train.shape[1:])  # fail before training if no network fits
    except DataError as err:
        missing = args.data != "digits" and not Path(args.data).exists()
        hint = " (--data takes 'digits' or a folder with the MNIST IDX files)" if missing else ""
        return _fail(f"{err}{hint}")
    except (ImportError, OSError, ValueError) as err:
        return _fail(" ".join(str(err).split()))
    name = "digits" if args.data == "digits" else args.data
    (n_train, c, h, w), n_test = data.x_train.shape, len(data.y_test)
    n_val = round(0.2 * n_train)
    print(f"{name}: {n_train} training images ({n_train - n_val} fitted, {n_val} for validation) "
          f"and {n_test} test images, {c}×{h}×{w}")
    seeds = range(args.seed, args.seed + args.seeds)

    def report(run):
        if args.seeds > 1:
            print(f"seed {run.seed}: validation accuracy {run.val_accuracy:.4f}, "
                  f"test accuracy {run.test_accuracy:.4f} ({run.seconds:.1f} s)", flush=True)

    loaded = {args.seed: data}   # the first data set is already in memory
    start = time.perf_counter()
    try:
        with one_blas_thread():
            study = seed_study(seeds, load=lambda s: loaded.pop(s, None) or load(s), progress=True,
                               report=report, epochs=args.epochs, batch_size=args.batch_size)
    except (ImportError, OSError, ValueError) as err:  # DataError is a ValueError
        return _fail(" ".join(str(err).split()))
    runs = len(study.runs)
    print(f"trained {runs} network{'s' if runs > 1 else ''} in {time.perf_counter() - start:.1f} s")
    if args.seeds == 1:
        print(f"validation accuracy: {study.runs[0].val_accuracy:.4f}")
        print(f"test accuracy: {study.runs[0].test_accuracy:.4f}")
    else:
        print(f"test accuracy: {study.summary()}")
    return 0


def _figures(argv):
    try:
        from . import figures
    except ModuleNotFoundError as err:
        if err.name == f"{__package__}.figures":
            return _fail("cnnbook.figures is not available in this installation")
        return _fail(f"figures need the package {err.name!r}, which is not installed "
                     f"(pip install {err.name})")
    except ImportError as err:
        return _fail(f"figures cannot start: {' '.join(str(err).split())}")
    rc = figures.main(list(argv), prog=f"{PROG} figures")
    return 0 if rc is None else int(rc)


def main(argv=None):
    """Run the command line; return the exit code (``python -m cnnbook`` exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["figures"]:  # its options, --help included, belong to cnnbook.figures
            return _figures(argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.error("choose a command: train or figures")
        return _train(args)
    except SystemExit as done:  # argparse (--help, usage errors) and figures.main exit this way
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
