"""Training: mini-batch loop, evaluation, and the two networks of the course.

One source for the command line (``python -m cnnbook train``), the chapter that
trains a CNN, and the benchmark::

    from cnnbook.data import load_digits
    from cnnbook.training import train_network

    data = load_digits()                                # 1437 train / 360 test, 1×8×8
    model, history = train_network(data, seed=0)        # digits_network, 20 epochs
    history.test_accuracy[-1]                           # ≈ 0.99

or, step by step, what ``train_network`` does::

    from cnnbook.layers import Adam, SoftmaxCrossEntropy
    from cnnbook.training import cosine_schedule, digits_network, fit, random_shift

    model = digits_network(seed=0)
    history = fit(model, SoftmaxCrossEntropy(), Adam(model, lr=2e-3),
                  (data.x_train, data.y_train), (data.x_test, data.y_test),
                  epochs=20, batch_size=32, seed=0,
                  augment=random_shift, lr_schedule=cosine_schedule(2e-3, 20))

``input_gradient(model, x, labels)`` runs the same backward pass one step further,
down to the pixels: ∂E/∂x, the input's sensitivity map (what chapter 10 draws).

Every random choice — initial weights, the order of the mini-batches, the shifts —
comes from a ``np.random.Generator`` made from an explicit seed; nothing touches
numpy's global random state.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .functional import softmax_cross_entropy
from .layers import (
    Adam, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, SoftmaxCrossEntropy,
)
from .shapes import _check_int, as_array

__all__ = [
    "one_blas_thread",
    "History", "fit", "evaluate", "predict", "predict_logits", "digits_network", "lenet5",
    "random_shift", "cosine_schedule", "network_for", "train_network", "input_gradient",
    "DEFAULTS",
]


# --- the networks ----------------------------------------------------------------------

@contextlib.contextmanager
def one_blas_thread():
    """Run numpy's BLAS on one thread while training, when threadpoolctl is installed.

    The matrices of these small networks are too small for a second BLAS thread to
    help (measured: the same wall time on 2 cores, twice the CPU time), and on a busy
    machine the waiting threads slow training down several times over.
    """
    try:
        from threadpoolctl import threadpool_limits  # comes with scikit-learn
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def digits_network(seed=0):
    """A LeNet-style CNN for 1×8×8 digits; weights He-initialised from ``seed``.

    ::

        input                      1×8×8
        Conv2D(1, 32, 3, pad 1)   32×8×8   → ReLU → MaxPool2D(2)  32×4×4
        Conv2D(32, 64, 3, pad 1)  64×4×4   → ReLU → MaxPool2D(2)  64×2×2
        Flatten                   256
        Dense(256, 128)           128      → ReLU
        Dense(128, 10)            10       logits

    53 002 parameters. Trained as ``train_network`` does (20 epochs), it gets
    98.9–99.7 % of the 360 held-out digits right for seeds 0–9 (seed 0: 99.2 %).
    """
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D(1, 32, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
        Conv2D(32, 64, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
        Flatten(),
        Dense(64 * 2 * 2, 128, rng=rng), ReLU(),
        Dense(128, 10, rng=rng),
    )


def lenet5(seed=0):
    """LeNet-5 (LeCun et al. 1998) for 1×28×28 MNIST, with ReLU and max pooling.

    ::

        input                      1×28×28
        Conv2D(1, 6, 5, pad 2)     6×28×28  → ReLU → MaxPool2D(2)   6×14×14   (C1, S2)
        Conv2D(6, 16, 5)          16×10×10  → ReLU → MaxPool2D(2)  16×5×5     (C3, S4)
        Flatten                   400
        Dense(400, 120) → ReLU    (C5)
        Dense(120, 84)  → ReLU    (F6)
        Dense(84, 10)             logits

    The original pads the 28×28 digits to 32×32 (here: padding 2 in C1), uses
    scaled tanh and trainable average pooling, connects C3 to only some S2 maps, and
    ends in RBF units; ReLU, max pooling, full connections and softmax are today's
    usual choices and train faster.
    """
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D(1, 6, 5, padding=2, rng=rng), ReLU(), MaxPool2D(2),
        Conv2D(6, 16, 5, rng=rng), ReLU(), MaxPool2D(2),
        Flatten(),
        Dense(16 * 5 * 5, 120, rng=rng), ReLU(),
        Dense(120, 84, rng=rng), ReLU(),
        Dense(84, 10, rng=rng),
    )


# --- augmentation and learning-rate schedule -------------------------------------------

def random_shift(x, rng, max_shift=1):
    """Move each image by up to ``max_shift`` pixels in each direction, filling with 0.

    Image n is shifted down by ``dy[n]`` and right by ``dx[n]``, both drawn uniformly
    from ``−max_shift … max_shift`` with ``rng``: ``out[n, c, i, j] = x[n, c, i − dy, j − dx]``
    (0 outside the image). A digit moved by a pixel is still the same digit, so
    training on shifted copies teaches the network that a stroke's exact position
    does not matter.
    """
    x = as_array(x, "x", 4, "(N, C, H, W)")
    k = _check_int(max_shift, "max_shift", 0)
    if k == 0:
        return x.copy()
    N, C, H, W = x.shape
    dy, dx = rng.integers(-k, k + 1, size=N), rng.integers(-k, k + 1, size=N)
    padded = np.pad(x, ((0, 0), (0, 0), (k, k), (k, k)))
    views = sliding_window_view(padded, (H, W), axis=(2, 3))  # (N, C, 2k+1, 2k+1, H, W)
    return views[np.arange(N), :, k - dy, k - dx].copy()


def cosine_schedule(lr, epochs, final=0.0):
    """Learning rate of each epoch, falling from ``lr`` towards ``final`` along half a cosine.

    ``schedule(e) = final + (lr − final) · (1 + cos(π e / epochs)) / 2`` for epoch
    e = 0 … epochs − 1: large steps first, small steps to settle at the end.
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    epochs = _check_int(epochs, "epochs", 1)

    def schedule(epoch):
        return final + (lr - final) * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    return schedule


#: Training settings per input size (H, W): the network, epochs, batch size, Adam's
#: initial lr (cosine-annealed over the epochs), and the random shift of the images.
DEFAULTS = {
    (8, 8): {"network": digits_network, "epochs": 20, "batch_size": 32, "lr": 2e-3, "max_shift": 1},
    (28, 28): {"network": lenet5, "epochs": 5, "batch_size": 64, "lr": 1e-3, "max_shift": 0},
}


def network_for(image_shape):
    """The ``DEFAULTS`` entry for images of shape (1, H, W); ValueError for other sizes."""
    shape = tuple(int(d) for d in image_shape)
    if len(shape) != 3 or shape[0] != 1 or shape[1:] not in DEFAULTS:
        sizes = " or ".join(f"1×{h}×{w}" for h, w in DEFAULTS)
        raise ValueError(f"no network for images of shape {'×'.join(map(str, shape))} (expected {sizes})")
    return DEFAULTS[shape[1:]]


# --- the loop --------------------------------------------------------------------------

@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    ``loss`` and ``train_accuracy``: averages over the epoch's mini-batches, measured
    while training (each batch before its update, after its augmentation). ``test_loss``/``test_accuracy``:
    on the test set after the epoch (empty without a test set). ``lr``: the
    optimiser's learning rate during the epoch. ``seconds``: wall time of each
    epoch, evaluation included.
    """

    loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def epochs(self):
        return len(self.loss)


def _check_xy(data, name):
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (x, y) of images and labels") from None
    x = as_array(x, f"{name} images", 4, "(N, C, H, W)")
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} labels must be a 1-D array of class indices, got shape {y.shape}, dtype {y.dtype}")
    if len(y) != len(x):
        raise ValueError(f"{name} has {len(x)} images but {len(y)} labels")
    if len(x) == 0:
        raise ValueError(f"{name} is empty")
    return x, y


def _batches(n, batch_size):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def predict_logits(model, x, batch_size=256):
    """``model.forward`` over ``x`` in batches (bounded memory); the (N, K) logits."""
    x = as_array(x, "x", 4, "(N, C, H, W)")
    batch_size = _check_int(batch_size, "batch_size", 1)
    return np.concatenate([model.forward(x[sl]) for sl in _batches(len(x), batch_size)])


def predict(model, x, batch_size=256):
    """Predicted class of each image: ``argmax`` of the logits, shape (N,)."""
    return predict_logits(model, x, batch_size).argmax(axis=1)


def evaluate(model, x, y, batch_size=256):
    """``(loss, accuracy)`` on ``(x, y)``: mean softmax cross-entropy, fraction correct."""
    x, y = _check_xy((x, y), "the evaluation set")
    logits = predict_logits(model, x, batch_size)
    loss = softmax_cross_entropy(logits, y)
    return loss, float(np.mean(logits.argmax(axis=1) == y))


def input_gradient(model, x, targets):
    """∂E/∂x: the sensitivity map of the loss at the input — what the network "looks at".

    For each image ``x[n]``, ``E_n = −log softmax(model(x[n]))[targets[n]]`` is its
    own cross-entropy for the class ``targets[n]`` (the true label, or any class
    0 … K−1 to ask "what would make it look more like that class?"). Returns
    ``∂E_n/∂x[n]`` for every n, shaped like ``x``: one forward pass, the loss's δ
    ``softmax − one_hot`` (``SoftmaxCrossEntropy(reduction="sum")``, so no 1/N and
    every image gets the gradient of its own loss), and ``model.backward`` down to the
    input. A negative entry means: more ink on that pixel lowers E, i.e. makes the
    class more likely. Like any backward pass it overwrites the layers' parameter
    gradients; the parameters themselves are not changed.
    """
    x, t = _check_xy((x, targets), "input_gradient")
    loss = SoftmaxCrossEntropy(reduction="sum")
    loss.forward(model.forward(x), t)
    return model.backward(loss.backward())


def fit(model, loss, optimizer, train, test=None, epochs=10, batch_size=32, seed=0,
        progress=True, augment=None, lr_schedule=None):
    """Train ``model`` with mini-batch gradient descent; return a ``History``.

    One generator, ``rng = np.random.default_rng(seed)``, makes every random choice
    of the run. Each epoch: set ``optimizer.lr = lr_schedule(epoch)`` (if given),
    shuffle the training set with ``rng``, then for each mini-batch::

        xb = augment(xb, rng)                      (if given, e.g. random_shift)
        E  = loss.forward(model.forward(xb), yb)
        model.backward(loss.backward())            δ from the loss down to the input
        optimizer.step()

    and finally evaluate on ``test``. ``train`` and ``test`` are pairs ``(x, y)``;
    ``test`` may be None. ``progress=True`` shows a tqdm progress bar (``tqdm.auto``:
    a widget in Jupyter, text on stderr elsewhere); tests pass ``progress=False``.
    """
    x, y = _check_xy(train, "train")
    if test is not None:
        x_test, y_test = _check_xy(test, "test")
    epochs = _check_int(epochs, "epochs", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    if lr_schedule is not None and not hasattr(optimizer, "lr"):
        raise ValueError(f"lr_schedule needs an optimiser with an lr attribute, got {optimizer!r}")
    rng = np.random.default_rng(seed)
    n = len(x)
    per_epoch = math.ceil(n / batch_size)
    history = History()

    bar = None
    if progress:
        from tqdm.auto import tqdm  # imported late: only runs that show a bar need it
        bar = tqdm(total=epochs * per_epoch, desc=f"epoch 1/{epochs}", unit="batch",
                   leave=True, dynamic_ncols=True)
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            if lr_schedule is not None:
                optimizer.lr = float(lr_schedule(epoch))
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{epochs}")
            order = rng.permutation(n)
            total_loss = total_correct = seen = 0.0
            for sl in _batches(n, batch_size):
                idx = order[sl]
                xb, yb = x[idx], y[idx]
                if augment is not None:
                    xb = augment(xb, rng)
                logits = model.forward(xb)
                batch_loss = loss.forward(logits, yb)
                model.backward(loss.backward())
                optimizer.step()
                total_loss += batch_loss * len(idx)
                total_correct += float(np.sum(logits.argmax(axis=1) == yb))
                seen += len(idx)
                if bar is not None:
                    bar.set_postfix(_postfix(total_loss / seen, history), refresh=False)
                    bar.update(1)
            history.loss.append(total_loss / n)
            history.train_accuracy.append(total_correct / n)
            history.lr.append(getattr(optimizer, "lr", float("nan")))
            if test is not None:
                test_loss, test_acc = evaluate(model, x_test, y_test)
                history.test_loss.append(test_loss)
                history.test_accuracy.append(test_acc)
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix(_postfix(history.loss[-1], history))
    finally:
        if bar is not None:
            bar.close()
    return history


def _postfix(loss, history):
    out = {"loss": f"{loss:.4f}"}
    if history.test_accuracy:
        out["test acc"] = f"{history.test_accuracy[-1]:.4f}"
    return out


def train_network(data, epochs=None, batch_size=None, seed=0, lr=None, progress=True):
    """Build the network for ``data``'s image size and train it: ``(model, history)``.

    ``data`` is a ``cnnbook.data.Dataset``; 1×8×8 images get ``digits_network``,
    1×28×28 ``lenet5`` (``network_for``). Adam, its learning rate falling from ``lr``
    to 0 along ``cosine_schedule``; images randomly shifted by up to ``max_shift``
    pixels. ``epochs``, ``batch_size`` and ``lr`` default to the ``DEFAULTS`` entry.
    ``seed`` fixes the initial weights, the batch order and the shifts.
    """
    setup = network_for(data.x_train.shape[1:])
    epochs = setup["epochs"] if epochs is None else epochs
    lr = setup["lr"] if lr is None else lr
    model = setup["network"](seed)
    optimizer = Adam(model, lr=lr)
    shift = setup["max_shift"]
    history = fit(
        model, SoftmaxCrossEntropy(), optimizer, (data.x_train, data.y_train),
        (data.x_test, data.y_test), epochs=epochs,
        batch_size=setup["batch_size"] if batch_size is None else batch_size,
        seed=seed, progress=progress,
        augment=(lambda xb, rng: random_shift(xb, rng, shift)) if shift else None,
        lr_schedule=cosine_schedule(lr, _check_int(epochs, "epochs", 1)),
    )
    return model, history
