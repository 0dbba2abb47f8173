"""Data sets: scikit-learn's bundled 8×8 digits, and MNIST from local IDX files.

Both loaders return a ``Dataset`` — ``x_train, y_train, x_test, y_test`` — with images
as NCHW float64 arrays scaled to [0, 1] and labels as int64 class indices.
Nothing is ever downloaded.

The IDX format (the MNIST files), all integers big-endian::

    bytes 0–1   0x00 0x00
    byte  2     the element type: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
                0x0C int32, 0x0D float32, 0x0E float64
    byte  3     the number of dimensions d
    then        d sizes, 4 bytes each, then the elements, row-major

so MNIST labels start with the magic number 0x00000801 (ubyte, 1 dimension) and
images with 0x00000803 (ubyte, 3 dimensions: count × rows × columns). Files may be
gzip-compressed (recognised by their content, not their name). A file that does not
follow the format raises ``DataError`` with one line naming the file and the fault.
"""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["Dataset", "DataError", "load_digits", "load_mnist", "read_idx", "MNIST_FILES",
           "validation_split"]


class DataError(ValueError):
    """A data file or folder that cannot be used; the message is one line naming it."""


class Dataset(NamedTuple):
    """A train/test split: images (N, C, H, W) float64 in [0, 1], labels (N,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        (_, c, h, w), n_test = self.x_train.shape, len(self.y_test)
        return f"Dataset({len(self.y_train)} train / {n_test} test images, {c}×{h}×{w})"


# --- the 8×8 digits --------------------------------------------------------------------

def load_digits(test_size=0.2, seed=0):
    """scikit-learn's 1797 handwritten digits (8×8, 16 grey levels), split stratified.

    Images become (N, 1, 8, 8) float64 ``pixels / 16`` in [0, 1]. The split keeps the
    class proportions in both parts (``train_test_split(stratify=y)``) and depends only
    on ``seed``; ``test_size=0.2`` holds out 360 images. The data ship with
    scikit-learn: no download.
    """
    if not (isinstance(test_size, float) and 0 < test_size < 1):
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
    try:  # imported here: scikit-learn is slow to import and only the digits need it
        from sklearn.datasets import load_digits as _sk_digits
        from sklearn.model_selection import train_test_split
    except ImportError as err:
        raise ImportError(f"load_digits needs scikit-learn (pip install scikit-learn): {err}") from err

    digits = _sk_digits()
    x = (digits.images / 16.0).astype(np.float64)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed)
    return Dataset(np.ascontiguousarray(x_train), y_train, np.ascontiguousarray(x_test), y_test)


# --- a validation split -----------------------------------------------------------------

def validation_split(x, y, fraction=0.2, seed=0):
    """Split a training set into ``(x_fit, y_fit), (x_val, y_val)``, stratified and seeded.

    ``round(fraction · N)`` images go to the validation set, each class keeping its share
    (to within one image): the images are shuffled with ``np.random.default_rng(seed)``,
    grouped by class (stable sort of the labels), and every (1/fraction)-th position of
    that list, from a random offset, is taken — systematic sampling, so every class is
    cut in the same proportion. The validation set is for curves and choices (epochs,
    learning rate); the test set stays untouched until the end.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim < 1 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"validation_split needs N images and N labels, got shapes {x.shape} and {y.shape}")
    if isinstance(fraction, (bool, np.bool_)) or not isinstance(fraction, (int, float, np.floating)) \
            or not 0 < fraction < 1:
        raise ValueError(f"fraction must be a number between 0 and 1, got {fraction!r}")
    n = len(y)
    n_val = int(round(fraction * n))
    if not 0 < n_val < n:
        raise ValueError(f"fraction {fraction} of {n} images leaves {n_val} for validation and "
                         f"{n - n_val} for training; both need at least one")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    order = order[np.argsort(y[order], kind="stable")]        # by class, random within a class
    step = n / n_val
    picks = np.floor((np.arange(n_val) + rng.random()) * step).astype(int)
    val = np.zeros(n, dtype=bool)
    val[order[picks]] = True
    keep = np.flatnonzero(~val)
    take = np.sort(order[picks])
    return (x[keep], y[keep]), (x[take], y[take])


# --- IDX files -------------------------------------------------------------------------

_IDX_TYPES = {0x08: (">u1", "unsigned bytes"), 0x09: (">i1", "signed bytes"),
              0x0B: (">i2", "int16"), 0x0C: (">i4", "int32"),
              0x0D: (">f4", "float32"), 0x0E: (">f8", "float64")}

#: The standard MNIST file names: (what, name stem, magic number).
MNIST_FILES = {
    "train images": ("train-images-idx3-ubyte", 0x00000803),
    "train labels": ("train-labels-idx1-ubyte", 0x00000801),
    "test images": ("t10k-images-idx3-ubyte", 0x00000803),
    "test labels": ("t10k-labels-idx1-ubyte", 0x00000801),
}


def _one_line(err):
    text = str(err) or type(err).__name__
    return " ".join(text.split())


def _read_bytes(path):
    """The file's bytes, decompressed if it starts with the gzip signature 1f 8b."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not an IDX file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read: {_one_line(err.strerror or err)}") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(f"{path}: truncated gzip data (the compressed stream ends early)") from None
    except (OSError, zlib.error) as err:
        raise DataError(f"{path}: corrupt gzip data: {_one_line(err)}") from None


def _describe(magic):
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    kind = _IDX_TYPES.get(code, (None, f"type 0x{code:02X}"))[1]
    return f"{kind}, {ndim} dimension{'s' if ndim != 1 else ''}"


def read_idx(path, magic=None):
    """Read one IDX file (raw or gzip) into a numpy array of its type and shape.

    ``magic``: the magic number the file must have, e.g. ``0x00000803`` for MNIST
    images (None accepts any valid IDX type). Raises ``DataError`` naming the file if
    it is missing, not gzip or IDX, has the wrong magic number, or holds fewer or
    more data bytes than its header's sizes promise (``Π sizes · item size``).
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path}: truncated: {len(raw)} bytes, too short for the 4-byte IDX magic number")
    (found,) = struct.unpack(">I", raw[:4])
    code, ndim = raw[2], raw[3]
    if raw[0] or raw[1] or code not in _IDX_TYPES or ndim == 0:
        expected = f"0x{magic:08X}" if magic is not None else "0x000008.. to 0x00000E.."
        raise DataError(f"{path}: not an IDX file: magic number 0x{found:08X}, expected {expected}")
    if magic is not None and found != magic:
        raise DataError(
            f"{path}: magic number 0x{found:08X} ({_describe(found)}), "
            f"expected 0x{magic:08X} ({_describe(magic)})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(
            f"{path}: truncated: {len(raw)} bytes, but the header of a {ndim}-dimensional IDX "
            f"file alone is {header}"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[code][0])
    count = math.prod(dims)
    expected_bytes, have = count * dtype.itemsize, len(raw) - header
    if have != expected_bytes:
        sizes = "×".join(str(d) for d in dims)
        item = "" if dtype.itemsize == 1 else f" × {dtype.itemsize}"
        promise = f"the header says {sizes}{item} = {expected_bytes} data bytes"
        if have < expected_bytes:
            raise DataError(f"{path}: truncated: {promise}, the file has {have}")
        raise DataError(f"{path}: {have - expected_bytes} bytes too many: {promise}, the file has {have}")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)


# --- MNIST -----------------------------------------------------------------------------

def _find(folder, stem):
    """The file for ``stem`` in ``folder``: raw or .gz, also the dotted ``train-images.idx3-ubyte``."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_mnist(path):
    """MNIST (or any data set in its format) from a folder holding the four IDX files.

    Looks in ``path`` for ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or ``.gz``.
    Images become (N, 1, 28, 28) float64 ``pixels / 255``; labels int64 in 0 … 9.
    Raises ``DataError`` (one line, naming the folder or file) when the folder or a
    file is missing, a file is corrupt or truncated, or images and labels disagree.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError(f"{folder}: no such directory")
    if not folder.is_dir():
        raise DataError(f"{folder}: not a directory (expected a folder with the four MNIST IDX files)")
    files = {}
    for what, (stem, _) in MNIST_FILES.items():
        files[what] = _find(folder, stem)
        if files[what] is None:
            raise DataError(f"{folder}: no {stem} or {stem}.gz (the MNIST {what})")
    arrays = {}
    for what, (_, magic) in MNIST_FILES.items():
        arrays[what] = read_idx(files[what], magic)
    out = []
    for part in ("train", "test"):
        images, labels = arrays[f"{part} images"], arrays[f"{part} labels"]
        img_file, lab_file = files[f"{part} images"], files[f"{part} labels"]
        if len(images) == 0:
            raise DataError(f"{img_file}: holds no images")
        if len(images) != len(labels):
            raise DataError(f"{lab_file}: {len(labels)} labels, but {img_file.name} has {len(images)} images")
        if labels.max() > 9:
            i = int(np.argmax(labels > 9))
            raise DataError(f"{lab_file}: label {labels[i]} at index {i} is not a digit 0–9")
        out.append(images[:, None, :, :].astype(np.float64) / 255.0)
        out.append(labels.astype(np.int64))
    if out[0].shape[2:] != out[2].shape[2:]:
        raise DataError(
            f"{files['test images']}: images are {out[2].shape[2]}×{out[2].shape[3]}, but the "
            f"training images are {out[0].shape[2]}×{out[0].shape[3]}"
        )
    return Dataset(*out)
