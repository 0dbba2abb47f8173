"""Hypothesis strategies: random but always valid layer configurations."""
import numpy as np
from hypothesis import strategies as st


@st.composite
def conv_cases(draw, max_kernel=5, max_stride=3, max_padding=2):
    """A dict with x, w, b, dout, stride, padding for a conv layer that fits."""
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    sh, sw = draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride))
    ph, pw = draw(st.integers(0, max_padding)), draw(st.integers(0, max_padding))
    # the padded input must hold the kernel; extra rows make L - F + 2P often not a multiple of S
    H = draw(st.integers(max(1, kh - 2 * ph), kh - 2 * ph + 7))
    W = draw(st.integers(max(1, kw - 2 * pw), kw - 2 * pw + 7))
    N, C, F = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    return {
        "x": rng.normal(size=(N, C, H, W)), "w": rng.normal(size=(F, C, kh, kw)),
        "b": rng.normal(size=F), "dout": rng.normal(size=(N, F, OH, OW)),
        "stride": (sh, sw), "padding": (ph, pw),
    }


@st.composite
def pool_cases(draw, ties=False):
    """A dict with x, dout, kernel_size, stride (or None), padding for a pool that fits.

    ``ties=True`` fills x with a few small integers, so windows often hold equal maxima.
    Strides below the kernel give overlapping windows.
    """
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    sh, sw = (kh, kw) if stride is None else stride
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), kh - 2 * ph + 7))
    W = draw(st.integers(max(1, kw - 2 * pw), kw - 2 * pw + 7))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if ties:
        x = rng.integers(-2, 2, size=(N, C, H, W)).astype(np.float64)
    else:
        x = rng.normal(size=(N, C, H, W))
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    return {
        "x": x, "dout": rng.normal(size=(N, C, OH, OW)),
        "kernel_size": (kh, kw), "stride": stride, "padding": (ph, pw),
    }
