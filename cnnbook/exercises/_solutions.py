"""Worked implementations of the implementation exercises, for instructors.

``cnnbook.exercises.solution("ch06.implement")`` returns the source of the function here
(each is self-contained: it needs only ``numpy as np``), and the tests run that source
through its own check. Loops that follow the chapters' derivations, not fast code.
"""
from __future__ import annotations

import inspect

import numpy as np

__all__ = ["source"]


def my_fc_backward(x, t, W1, b1, W2, b2):
    sigma = lambda v: 1.0 / (1.0 + np.exp(-v))
    net1 = W1 @ x + b1
    a1 = sigma(net1)
    net2 = W2 @ a1 + b2
    y = sigma(net2)
    delta2 = (y - t) * y * (1 - y)                 # δ2 = ∂E/∂net2 = (y − t) ⊙ σ′(net2)
    delta1 = (W2.T @ delta2) * a1 * (1 - a1)       # δ1 = (W2ᵀ δ2) ⊙ σ′(net1)
    return np.outer(delta1, x), delta1, np.outer(delta2, a1), delta2


def my_conv_backward_single(delta, x, w):
    kh, kw = w.shape
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    for u in range(delta.shape[0]):                # every output net[u, v] …
        for v in range(delta.shape[1]):
            dx[u:u + kh, v:v + kw] += delta[u, v] * w        # … sends δ·w to its window
            dw += delta[u, v] * x[u:u + kh, v:v + kw]        # … and δ·window to the kernel
    return dx, dw, float(delta.sum())


def my_expand_sensitivity(delta, input_size, kernel_size, stride, padding):
    size = input_size - kernel_size + 2 * padding + 1     # the stride-1 output's side
    out = np.zeros((size, size))
    out[::stride, ::stride][:delta.shape[0], :delta.shape[1]] = delta
    return out


def my_conv2d_backward(dout, x, w, stride, padding):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        for f in range(F):
            for u in range(dout.shape[2]):
                for v in range(dout.shape[3]):
                    rows = slice(u * stride, u * stride + KH)
                    cols = slice(v * stride, v * stride + KW)
                    dx_pad[n, :, rows, cols] += dout[n, f, u, v] * w[f]
                    dw[f] += dout[n, f, u, v] * x_pad[n, :, rows, cols]
    dx = dx_pad[:, :, padding:padding + H, padding:padding + W]
    return dx.copy(), dw, dout.sum(axis=(0, 2, 3))


def my_max_pool_backward(dout, x, kernel_size, stride):
    dx = np.zeros(x.shape)
    K, S = kernel_size, stride
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for u in range(dout.shape[2]):
                for v in range(dout.shape[3]):
                    window = x[n, c, u * S:u * S + K, v * S:v * S + K]
                    m, k = np.unravel_index(np.argmax(window), window.shape)  # first maximum
                    dx[n, c, u * S + m, v * S + k] += dout[n, c, u, v]
    return dx


def my_avg_pool_backward(dout, x_shape, kernel_size, stride):
    dx = np.zeros(x_shape)
    K, S = kernel_size, stride
    for u in range(dout.shape[2]):
        for v in range(dout.shape[3]):
            dx[:, :, u * S:u * S + K, v * S:v * S + K] += dout[:, :, u:u + 1, v:v + 1] / K ** 2
    return dx


def my_col2im(cols, x_shape, kernel_size, stride, padding):
    N, C, H, W = x_shape
    KH, KW = kernel_size
    OH = (H + 2 * padding - KH) // stride + 1
    OW = (W + 2 * padding - KW) // stride + 1
    dx_pad = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    blocks = cols.reshape(C, KH, KW, N, OH, OW)           # rows (c, m, n), columns (b, i, j)
    for i in range(OH):
        for j in range(OW):
            window = blocks[:, :, :, :, i, j].transpose(3, 0, 1, 2)   # (N, C, KH, KW)
            dx_pad[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW] += window
    return dx_pad[:, :, padding:padding + H, padding:padding + W].copy()


def my_cross_entropy_backward(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)       # softmax is unchanged by a shift
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1.0            # p − onehot(t)
    return p / len(targets)                               # the batch mean divides by N


def source(function):
    """The source text of one of the functions above."""
    return inspect.getsource(function)
