"""Numerical gradients: how every formula of the course is checked.

``numerical_gradient`` works in vector–Jacobian form, the same shape as a
backward function: for ``out = f(x)`` and an upstream ``dout`` it approximates
``dx = J(x)ᵀ · dout``, i.e. the gradient of ``E(x) = Σ dout ⊙ f(x)``, by central
differences::

    dx[i] ≈ (E(x + h·e_i) − E(x − h·e_i)) / (2h)

The error is O(h²) for smooth f; at a kink (ReLU at 0, a tie in max pooling) the
two sides disagree and the estimate averages them.
"""
from __future__ import annotations

import numpy as np

from .shapes import as_array

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f, x, dout=None, h=1e-6):
    """Central-difference estimate of ``Jᵀ · dout`` for ``out = f(x)``; same shape as ``x``.

    ``f`` takes an array shaped like ``x``. With ``dout=None``, ``f`` must return a
    scalar (a loss) and the result is its gradient. ``x`` itself is never changed:
    the perturbations are made on a private copy.
    """
    x = np.array(as_array(x, "x"), copy=True)
    if not h > 0:
        raise ValueError(f"step h must be positive, got {h}")

    if dout is None:
        def E(v):
            out = np.asarray(f(v), dtype=np.float64)
            if out.size != 1:
                raise ValueError(
                    f"f returned an array of shape {out.shape}; pass dout (same shape) "
                    "for the vector–Jacobian product, or make f return a scalar"
                )
            return float(out.reshape(()))
    else:
        dout = as_array(dout, "dout")

        def E(v):
            out = np.asarray(f(v), dtype=np.float64)
            if out.shape != dout.shape:
                raise ValueError(f"f returned shape {out.shape} but dout has shape {dout.shape}")
            return float(np.sum(out * dout))

    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        plus = E(x.copy())
        flat[i] = keep - h
        minus = E(x.copy())
        flat[i] = keep
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """Relative distance of two arrays: ``‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12)`` (Euclidean norms).

    About 1e-7 or less means two gradients agree; 1e-2 or more means one of them is
    wrong. Measured over the whole array, a few entries near zero cannot inflate it.
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))
