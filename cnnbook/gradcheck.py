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

__all__ = [
    "numerical_gradient", "rel_error", "max_error", "report", "report_difference",
    "small_integers", "rounded", "TOLERANCES", "CheckFailed",
]


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


# ---------------------------------------------------------------------------
# One way to compare and report, used by every chapter
# ---------------------------------------------------------------------------

#: The tolerance policy of the course, by kind of check (see ``report``).
TOLERANCES = {
    "exact": 0.0,       # integer data: every sum is exact, both sides agree to the last bit
    "rounding": 1e-12,  # an algebraic identity in float64: max |a − b| / max(1, max |b|)
    "gradient": 1e-7,   # a formula against central differences: rel_error(a, b)
}


class CheckFailed(AssertionError):
    """A ``report`` check that did not hold; the message names the numbers."""


def max_error(a, b):
    """Largest absolute difference ``max |a − b|`` of two arrays of the same shape (0.0 if empty)."""
    a, b = as_array(a, "a"), as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    return float(np.abs(a - b).max()) if a.size else 0.0


def _measure(kind, actual, expected):
    if kind == "gradient":
        return rel_error(actual, expected), "rel. error"
    err = max_error(actual, expected)
    if kind == "rounding":
        scale = max(1.0, float(np.abs(as_array(expected, "expected")).max(initial=0.0)))
        return err / scale, "max error"
    return err, "max error"


def report(name, actual, expected, kind="exact", *, tol=None, width=56):
    """Compare ``actual`` with ``expected``, print one line, stop the cell if they disagree.

    The course's one tolerance policy, by ``kind`` (``TOLERANCES``):

    - ``"exact"`` — integer data, so every sum is exact: ``max |a − b| = 0``.
      Prints ``max error 0``.
    - ``"rounding"`` — the same quantity computed two ways in float64 (an algebraic
      identity, a fast path against its readable twin):
      ``max |a − b| ≤ 1e-12 · max(1, max |b|)``. Prints ``max error < 1e-12``.
    - ``"gradient"`` — a formula against a finite-difference estimate
      (``numerical_gradient``): ``rel_error(a, b) = ‖a − b‖ / (‖a‖ + ‖b‖) ≤ 1e-7``,
      a norm over the whole array, not a maximum. Prints ``rel. error < 1e-07``.

    ``tol`` overrides the kind's bound (say why next to the call: a kink, a large
    step). The printed line shows the bound that was met, never the error's own
    digits: those depend on the machine's last bits, and nbval compares text.
    On failure a ``CheckFailed`` (an ``AssertionError``) gives the error found.
    Returns None, so a call at the end of a cell adds no output.

    >>> report("Σ of a 2×2 by two routes", [[1.0, 2.0]], [[1.0, 2.0]])
    Σ of a 2×2 by two routes                                 max error 0
    """
    if kind not in TOLERANCES:
        raise ValueError(f"kind must be one of {sorted(TOLERANCES)}, got {kind!r}")
    bound = TOLERANCES[kind] if tol is None else float(tol)
    if not bound >= 0:
        raise ValueError(f"tol must be 0 or positive, got {tol}")
    err, what = _measure(kind, actual, expected)
    if not err <= bound:   # also catches NaN
        raise CheckFailed(f"{name}: {what} {err:.2e} is above {bound:.0e} ({kind} check)")
    shown = "0" if bound == 0 else f"< {bound:.0e}" if err < bound else f"≤ {bound:.0e}"
    print(f"{name:<{width}} {what} {shown}")


def report_difference(name, claimed, correct, *, at_least=1e-6, width=56):
    """Show that a source's ``claimed`` numbers are NOT the ``correct`` ones, in one line.

    Prints ``max |claimed − correct|`` to three significant digits (a difference of
    order one, so stable across machines); raises ``CheckFailed`` if the two agree to
    within ``at_least`` — then the source was right after all.
    """
    err = max_error(claimed, correct)
    if not err > at_least:
        raise CheckFailed(f"{name}: the claimed values agree with the correct ones "
                          f"(max difference {err:.1e} ≤ {at_least:.0e})")
    print(f"{name:<{width}} differs: max |claimed − correct| = {err:.3g}")


def small_integers(rng, shape, low=-3, high=3):
    """Random integers in ``low … high`` (inclusive) as float64: sums of them are exact.

    Data for ``report(..., "exact")`` checks and for numbers a reader can add by hand.
    """
    if not low <= high:
        raise ValueError(f"low {low} is above high {high}")
    return rng.integers(low, high + 1, size=shape).astype(np.float64)


def rounded(a, decimals=6):
    """``a`` rounded for printing: finite-difference noise and −0.0 removed."""
    return np.round(as_array(a, "a"), decimals) + 0.0
