"""cnnbook.data: the bundled digits, and the IDX reader on small files written here —
good ones (raw and gzip), truncated ones, and corrupt ones."""
import gzip
import struct

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cnnbook.data import MNIST_FILES, DataError, Dataset, load_digits, load_mnist, read_idx


def idx_bytes(array, magic=None):
    """The IDX encoding of an unsigned-byte array (magic 0x0000 08 <ndim> unless given)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path, array, gz=False, magic=None):
    data = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_mnist(folder, n_train=12, n_test=6, size=28, gz=True, seed=0):
    """The four MNIST files, with random pixels and labels; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train images": rng.integers(0, 256, size=(n_train, size, size)),
        "train labels": np.arange(n_train) % 10,
        "test images": rng.integers(0, 256, size=(n_test, size, size)),
        "test labels": (np.arange(n_test) * 3) % 10,
    }
    for what, (stem, _) in MNIST_FILES.items():
        write_idx(folder / (stem + (".gz" if gz else "")), arrays[what], gz=gz)
    return arrays


# --- digits ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes_types_and_range(digits):
    assert isinstance(digits, Dataset)
    assert digits.x_train.shape == (1437, 1, 8, 8) and digits.x_test.shape == (360, 1, 8, 8)
    assert digits.x_train.dtype == np.float64 and digits.y_train.dtype == np.int64
    for x in (digits.x_train, digits.x_test):
        assert x.min() == 0.0 and x.max() == 1.0  # 0 … 16 grey levels / 16
        assert_array_equal(np.unique(x * 16), np.arange(17))
    assert repr(digits) == "Dataset(1437 train / 360 test images, 1×8×8)"


def test_digits_split_is_stratified_and_complete(digits):
    from sklearn.datasets import load_digits as sk_digits
    y_all = sk_digits().target
    train_counts = np.bincount(digits.y_train, minlength=10)
    test_counts = np.bincount(digits.y_test, minlength=10)
    assert_array_equal(train_counts + test_counts, np.bincount(y_all))
    assert np.all(np.abs(test_counts - 0.2 * np.bincount(y_all)) <= 1)  # 20 % of every class
    # no image is in both parts (the digits hold a handful of exact duplicates, so compare counts)
    rows = lambda x: {r.tobytes() for r in x.reshape(len(x), -1)}
    assert len(rows(digits.x_train) | rows(digits.x_test)) == len(rows(sk_digits().images / 16.0))


def test_digits_split_depends_only_on_the_seed(digits):
    again, other = load_digits(seed=0), load_digits(seed=1)
    assert_array_equal(again.y_test, digits.y_test)
    assert_array_equal(again.x_train, digits.x_train)
    assert not np.array_equal(other.y_test, digits.y_test)


def test_digits_bad_test_size():
    with pytest.raises(ValueError, match="test_size must be a fraction between 0 and 1, got 1.5"):
        load_digits(test_size=1.5)


# --- read_idx -------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_read_idx_round_trip(tmp_path, gz, rng):
    images = rng.integers(0, 256, size=(5, 4, 3)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    assert_array_equal(read_idx(write_idx(tmp_path / "img", images, gz), 0x00000803), images)
    assert_array_equal(read_idx(write_idx(tmp_path / "lab.gz", labels, gz), 0x00000801), labels)
    assert read_idx(tmp_path / "img").shape == (5, 4, 3)


def test_read_idx_other_element_types(tmp_path):
    values = np.array([[1.5, -2.0], [0.25, 8.0]], dtype=">f4")
    data = struct.pack(">I", 0x00000D02) + struct.pack(">2I", 2, 2) + values.tobytes()
    (tmp_path / "floats").write_bytes(data)
    assert_array_equal(read_idx(tmp_path / "floats"), values)


def _one_line_error(path, match, **kw):
    with pytest.raises(DataError, match=match) as info:
        read_idx(path, **kw)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert isinstance(info.value, ValueError)
    return message


def test_truncated_data(tmp_path):
    full = idx_bytes(np.zeros((5, 4, 4)))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(full[:16 + 30])
    _one_line_error(tmp_path / "train-images-idx3-ubyte",
                    "truncated: the header says 5×4×4 = 80 data bytes, the file has 30", magic=0x803)
    (tmp_path / "t.gz").write_bytes(gzip.compress(full[:-1]))
    _one_line_error(tmp_path / "t.gz", "truncated: .* 80 data bytes, the file has 79")


def test_truncated_header(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    _one_line_error(tmp_path / "empty", "truncated: 0 bytes, too short for the 4-byte IDX magic number")
    (tmp_path / "short").write_bytes(idx_bytes(np.zeros((5, 4, 4)))[:10])
    _one_line_error(tmp_path / "short", "truncated: 10 bytes, but the header of a 3-dimensional IDX file alone is 16")


def test_extra_bytes(tmp_path):
    (tmp_path / "long").write_bytes(idx_bytes(np.zeros(6)) + b"\x00\x00")
    _one_line_error(tmp_path / "long", "2 bytes too many: the header says 6 = 6 data bytes, the file has 8")


def test_wrong_magic_number(tmp_path):
    labels = write_idx(tmp_path / "labels", np.zeros(6))
    _one_line_error(labels, r"magic number 0x00000801 \(unsigned bytes, 1 dimension\), expected "
                            r"0x00000803 \(unsigned bytes, 3 dimensions\)", magic=0x803)
    (tmp_path / "text").write_bytes(b"hello, this is not an IDX file")
    _one_line_error(tmp_path / "text", "not an IDX file: magic number 0x68656C6C, expected 0x00000801", magic=0x801)
    (tmp_path / "type").write_bytes(struct.pack(">II", 0x00000A01, 0))
    _one_line_error(tmp_path / "type", "not an IDX file: magic number 0x00000A01")


def test_corrupt_and_truncated_gzip(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(200).reshape(2, 10, 10)))
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    _one_line_error(tmp_path / "cut.gz", "truncated gzip data")
    broken = bytearray(packed)
    broken[-8] ^= 0xFF  # the CRC-32 of the content
    (tmp_path / "crc.gz").write_bytes(bytes(broken))
    _one_line_error(tmp_path / "crc.gz", "corrupt gzip data: CRC check failed")
    broken = bytearray(packed)
    broken[10] = 0xFF  # the first deflate block now has the reserved block type 3
    (tmp_path / "block.gz").write_bytes(bytes(broken))
    _one_line_error(tmp_path / "block.gz", "corrupt gzip data: .*invalid block type")


def test_missing_file_and_directory(tmp_path):
    _one_line_error(tmp_path / "nope", "no such file")
    _one_line_error(tmp_path, "is a directory, not an IDX file")


# --- load_mnist -----------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_load_mnist(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (12, 1, 28, 28) and data.x_test.shape == (6, 1, 28, 28)
    assert data.x_train.dtype == np.float64 and data.y_test.dtype == np.int64
    assert_array_equal(data.x_train[:, 0] * 255, arrays["train images"])
    assert_array_equal(data.y_train, arrays["train labels"])
    assert_array_equal(data.y_test, arrays["test labels"])
    assert data.x_test.min() >= 0 and data.x_test.max() <= 1


def test_load_mnist_accepts_the_dotted_names(tmp_path):
    arrays = write_mnist(tmp_path, gz=False)
    for stem, _ in MNIST_FILES.values():
        (tmp_path / stem).rename(tmp_path / stem.replace("-idx", ".idx"))
    assert_array_equal(load_mnist(str(tmp_path)).y_train, arrays["train labels"])


def _mnist_error(folder, match):
    with pytest.raises(DataError, match=match) as info:
        load_mnist(folder)
    assert "\n" not in str(info.value)


def test_load_mnist_missing_folder_or_file(tmp_path):
    _mnist_error(tmp_path / "nowhere", "nowhere: no such directory")
    (tmp_path / "file").write_bytes(b"")
    _mnist_error(tmp_path / "file", "file: not a directory")
    write_mnist(tmp_path / "m")
    (tmp_path / "m" / "t10k-labels-idx1-ubyte.gz").unlink()
    _mnist_error(tmp_path / "m", r"m: no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz \(the MNIST test labels\)")


def test_load_mnist_names_the_bad_file(tmp_path):
    write_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    _mnist_error(tmp_path, "train-images-idx3-ubyte: truncated: the header says 12×28×28 = 9408 data bytes, "
                           "the file has 984")


def test_load_mnist_images_and_labels_must_agree(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(5), gz=True)
    _mnist_error(tmp_path, "t10k-labels-idx1-ubyte.gz: 5 labels, but t10k-images-idx3-ubyte.gz has 6 images")
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 2, 12, 3, 4]), gz=True)
    _mnist_error(tmp_path, "label 12 at index 3 is not a digit 0–9")
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros((6, 1)), gz=True)
    _mnist_error(tmp_path, r"magic number 0x00000802 \(unsigned bytes, 2 dimensions\), expected 0x00000801")
