"""Zero-filled arrays for the fast paths' accumulators, written before they are read.

``np.zeros`` of a large array may hand back fresh pages that the kernel maps lazily:
the first *read* of a page maps the shared zero page, and the first write after it
swaps the mapping, which flushes the page from the TLB of every other core running a
thread of this process (numpy's BLAS threads) — an inter-processor interrupt per
page, slow above all in a virtual machine. ``acc[...] += g`` reads each page before
it writes it. Filling the array first writes every page, so each faults once.

Every fast accumulator (an array set to 0 and then added into: dx and dW of the
convolutions, col2im, the zero grids and scratch of ``cnnbook._columns``, the pooling
backward passes) is made here; arrays that are only written use ``np.zeros``.

When it matters, measured on the 2-vCPU benchmark machine (2026-12-04): only for
arrays above glibc's largest dynamic mmap threshold (32 MB), which come from fresh
pages on every call. Below it, freed memory is reused and zeroed by writing:
``getrusage`` counts 0.0 minor page faults per call in steady state for both
``np.zeros`` and this, on all bench shapes and on a two-layer training-like step.
``conv2d_backward`` of N=384 16×28×28 maps (dx 38.5 MB), 3×3, padding 1, minor faults
per call and median time of 7 interleaved samples: 1 BLAS thread 792 faults / 571 ms
here, 1372 / 525 ms with ``np.zeros`` (no gain in time); 2 BLAS threads 1298 / 14.0 s
(min 6.1 s) here, 1844 / 24.5 s (min 11.0 s) with ``np.zeros`` (the machine's load
average was 9–11, so the absolute times are inflated; the ratio is the point).
"""
from __future__ import annotations

import numpy as np


def zeros(shape):
    """``np.zeros(shape)`` (float64) with every element written (see the module docstring)."""
    out = np.empty(shape)
    out.fill(0.0)
    return out
