"""Zero-filled arrays for the fast paths' accumulators, written before they are read.

``np.zeros`` of a large array may hand back fresh pages that the kernel maps lazily:
the first *read* of a page maps the shared zero page, and the first write after it
swaps the mapping, which flushes the page from the TLB of every other core running a
thread of this process (numpy's BLAS threads) — an inter-processor interrupt per
page, slow above all in a virtual machine. ``acc[...] += g`` reads each page before
it writes it. Filling the array first writes every page, so each faults once, cheaply.

Measured on the 2-vCPU benchmark machine, forward + backward of the 16→32 filter
convolution called back to back (as in training), BLAS on 2 threads: 25.8 ms with
``np.zeros`` accumulators, 16.3 ms with these. (With pauses between calls, as
``benchmarks/bench.py`` takes its samples, the two are equal.)
"""
from __future__ import annotations

import numpy as np


def zeros(shape):
    """``np.zeros(shape)`` (float64) with every element written (see the module docstring)."""
    out = np.empty(shape)
    out.fill(0.0)
    return out
