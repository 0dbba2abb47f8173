"""Activations, the fully connected (dense) layer, flatten, and softmax cross-entropy.

Each forward ``f`` has its gradient ``f_backward(dout, ...)`` (CS231n's pairs): given
``dout`` = ∂E/∂out it returns ∂E/∂(its inputs). Activations also expose their
derivative f′ as the seeds write it, so ``δ = (Wᵀ δ′) ⊙ f′(net)`` reads literally.

Dense uses PyTorch's ``linear`` layout: a batch of row vectors ``x`` (N, D_in),
weights ``w`` (D_out, D_in), so each row is ``y = W x + b`` as in the column-vector
formulas of seed 002.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .shapes import as_array, check_dout

__all__ = [
    "relu", "relu_derivative", "relu_backward",
    "sigmoid", "sigmoid_derivative", "sigmoid_backward",
    "tanh", "tanh_derivative", "tanh_backward",
    "dense", "dense_backward", "flatten", "flatten_backward",
    "softmax", "log_softmax", "softmax_cross_entropy", "softmax_cross_entropy_backward",
]


# --- activations -----------------------------------------------------------------

def relu(x):
    """``relu(x) = max(0, x)``."""
    return np.maximum(as_array(x, "x"), 0.0)


def relu_derivative(x):
    """``relu′(x) = 1 if x > 0 else 0`` (0 at x = 0, as PyTorch)."""
    return (as_array(x, "x") > 0).astype(np.float64)


def sigmoid(x):
    """``σ(x) = 1 / (1 + e^(−x))``, computed as ``(1 + tanh(x/2)) / 2`` (no overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * as_array(x, "x")))


def sigmoid_derivative(x):
    """``σ′(x) = σ(x) · (1 − σ(x))`` — the seeds' "a(1 − a)" written with the output a."""
    a = sigmoid(x)
    return a * (1.0 - a)


def tanh(x):
    """``tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))``."""
    return np.tanh(as_array(x, "x"))


def tanh_derivative(x):
    """``tanh′(x) = 1 − tanh(x)²`` — "1 − a²" with the output a."""
    return 1.0 - np.tanh(as_array(x, "x")) ** 2


def _activation_backward(derivative, dout, x):
    x = as_array(x, "x")
    return check_dout(dout, x.shape, "activation input") * derivative(x)


def relu_backward(dout, x):
    """``∂E/∂x = dout ⊙ relu′(x)``."""
    return _activation_backward(relu_derivative, dout, x)


def sigmoid_backward(dout, x):
    """``∂E/∂x = dout ⊙ σ(x)(1 − σ(x))``."""
    return _activation_backward(sigmoid_derivative, dout, x)


def tanh_backward(dout, x):
    """``∂E/∂x = dout ⊙ (1 − tanh(x)²)``."""
    return _activation_backward(tanh_derivative, dout, x)


# --- fully connected layer ---------------------------------------------------------

def _check_dense(x, w, b):
    x = as_array(x, "x", 2, "(N, D_in)")
    w = as_array(w, "w", 2, "(D_out, D_in)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} features per row (x.shape = {x.shape}) but w expects "
            f"{w.shape[1]} (w.shape = (D_out, D_in) = {w.shape})"
        )
    if b is not None:
        b = as_array(b, "b")
        if b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), one per output, got shape {b.shape}")
    return x, w, b


def dense(x, w, b=None):
    """Fully connected layer on a batch of rows: ``out = x · Wᵀ + b``, shape (N, D_out).

    Row n is ``W x_n + b`` — seed 002's ``u = W x + b`` for one sample.
    """
    x, w, b = _check_dense(x, w, b)
    out = x @ w.T
    return out if b is None else out + b


def dense_backward(dout, x, w):
    """Gradients of ``dense``: ``(dx, dw, db)``.

    ``dx = dout · W`` (each row: ``Wᵀ δ``), ``dw = doutᵀ · x`` (``Σ_n δ_n x_nᵀ``),
    ``db = Σ_n δ_n``.
    """
    x, w, _ = _check_dense(x, w, None)
    dout = check_dout(dout, (x.shape[0], w.shape[0]))
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def flatten(x):
    """Rasterise (光栅化) each sample: (N, C, H, W) → (N, C·H·W), row-major; a new array."""
    x = as_array(x, "x")
    if x.ndim < 1:
        raise ValueError("flatten needs at least a batch axis, got a scalar")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))).copy()


def _check_shape(shape, name):
    """``shape`` as a tuple of at least one non-negative int, or a ValueError naming it."""
    bad = ValueError(f"{name} must be a tuple of non-negative ints such as (N, C, H, W), got {shape!r}")
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise bad
    dims = tuple(shape)
    if not dims or not all(isinstance(d, numbers.Integral) and not isinstance(d, (bool, np.bool_)) and d >= 0
                           for d in dims):
        raise bad
    return tuple(int(d) for d in dims)


def flatten_backward(dout, x_shape):
    """Undo the rasterisation: reshape ``dout`` (N, C·H·W) back to ``x_shape``."""
    x_shape = _check_shape(x_shape, "x_shape")
    expected = (x_shape[0], int(np.prod(x_shape[1:])))
    return check_dout(dout, expected, "flattened output").reshape(x_shape).copy()


# --- softmax and cross-entropy -----------------------------------------------------

def log_softmax(z, axis=-1):
    """``log softmax(z)_k = z_k − max z − log Σ_j e^(z_j − max z)`` (stable)."""
    z = as_array(z, "z")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z, axis=-1):
    """``softmax(z)_k = e^(z_k) / Σ_j e^(z_j)``, shifted by ``max z`` so it never overflows."""
    return np.exp(log_softmax(z, axis))


def _targets(logits, targets):
    """Targets as probabilities (N, K): class indices become one-hot rows."""
    t = np.asarray(targets)
    N, K = logits.shape
    if t.ndim == 1:
        if t.shape[0] != N:
            raise ValueError(f"targets has {t.shape[0]} labels but logits has {N} rows")
        if not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"class-index targets must be integers, got dtype {t.dtype}")
        bad = (t < 0) | (t >= K)
        if bad.any():
            raise ValueError(
                f"target class {t[bad][0]} is out of range for {K} classes (valid: 0 … {K - 1})"
            )
        onehot = np.zeros((N, K))
        onehot[np.arange(N), t] = 1.0
        return onehot
    t = as_array(t, "targets")
    if t.shape != logits.shape:
        raise ValueError(
            f"targets must be class indices of shape ({N},) or probabilities of shape "
            f"{logits.shape}, got shape {t.shape}"
        )
    return t


def _check_ce(logits, targets, reduction):
    logits = as_array(logits, "logits", 2, "(N, K)")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return logits, _targets(logits, targets)


def softmax_cross_entropy(logits, targets, reduction="mean"):
    """Cross-entropy of ``softmax(logits)`` against ``targets``: ``E = −Σ_k t_k log p_k``.

    ``logits`` (N, K); ``targets`` class indices (N,) or probabilities (N, K).
    ``reduction="mean"`` averages over the batch (PyTorch's default), ``"sum"`` adds.
    """
    logits, t = _check_ce(logits, targets, reduction)
    per_sample = -(t * log_softmax(logits)).sum(axis=1)
    return float(per_sample.mean() if reduction == "mean" else per_sample.sum())


def _check_scalar_dout(dout):
    """``dout`` of a loss: one finite number, ∂(final objective)/∂E (1 when E is the objective)."""
    if isinstance(dout, np.ndarray) and dout.ndim == 0:
        dout = dout.item()
    if not isinstance(dout, numbers.Real) or isinstance(dout, (bool, np.bool_)) or not math.isfinite(dout):
        shape = f"an array of shape {np.shape(dout)}" if isinstance(dout, np.ndarray) else repr(dout)
        raise ValueError(
            "dout of a loss must be one finite number ∂(objective)/∂E (1 when E is the objective), "
            f"got {shape}; the arguments are (dout, logits, targets)"
        )
    return float(dout)


def softmax_cross_entropy_backward(dout=1.0, logits=None, targets=None, reduction="mean"):
    """``∂E/∂logits = dout · (p − t)`` per sample (divided by N for ``reduction="mean"``).

    ``dout`` comes first, as in every ``f_backward``: E is a number, so ``dout`` is the
    number ∂(objective)/∂E, 1 when E itself is minimised. The softmax Jacobian
    ``diag(p) − p pᵀ`` and the cross-entropy derivative ``−t / p`` multiply to the simple
    difference ``p − t``: the δ of the output layer.
    """
    dout = _check_scalar_dout(dout)
    if logits is None or targets is None:
        raise ValueError("softmax_cross_entropy_backward needs logits and targets: (dout, logits, targets)")
    logits, t = _check_ce(logits, targets, reduction)
    grad = softmax(logits) - t
    if reduction == "mean":
        grad /= logits.shape[0]
    return grad * dout if dout != 1.0 else grad
