"""The column engine of the fast convolution: im2col a block of images at a time.

Private: ``cnnbook.conv`` (and the fast ``im2col``/``col2im``) run on it; the course
explains the idea with ``cnnbook.im2col`` and ``cnnbook.reference``, whose functions
the tests hold this engine equal to.

How the fast ``conv2d`` uses it (``ColumnBlocks``)
-------------------------------------------------
It never holds all N·OH·OW columns at once. It builds the columns of a *block* of a
few images (about 0.5 MB of them), multiplies, and adds back while they are still in
the CPU cache, then reuses the same memory for the next block. Inside a block the
columns are kept image by image, ``X[b][(c, m, n), (i, j)]`` — the same numbers as
``X_col``, grouped per image, as PyTorch does — so that ``K · X[b]`` is image b's
output (F, OH·OW) in the layout of ``out[b]`` and ``Kᵀ · δ[b]`` is read straight from
``dout[b]``: no transposed copies of outputs or δ. Padding is never copied: a kernel
offset (m, n) reads the part of the input its windows reach, and the columns that
fall on padding stay 0 from the block's first use.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._alloc import zeros as _zeros
from .shapes import output_shape

__all__ = ["ColumnBlocks"]

#: Target size in bytes of one block of columns (see the module docstring).
BLOCK_BYTES = 2**19

#: How many extra multiply-adds per output position the zero-grid ``col2im`` may cost
#: (``ColumnBlocks.add_back``).
ZERO_GRID_COST = 16


def _reach(offset, stride, outputs, size, pad):
    """For one kernel offset along one axis: the outputs ``i0 ≤ i < i1`` whose window
    reads input position ``i·stride + offset − pad`` inside ``[0, size)``, and those
    input positions as a slice (the rest of the windows sit on padding)."""
    i0 = min(outputs, max(0, -((offset - pad) // stride)))
    i1 = max(i0, min(outputs, (size - 1 + pad - offset) // stride + 1))
    first = i0 * stride + offset - pad
    return i0, i1, slice(first, first + stride * (i1 - i0 - 1) + 1, stride)


class ColumnBlocks:
    """``im2col`` of ``x`` a block of images at a time, and ``col2im`` into ``dx``.

    For images ``b0 ≤ b < b1``, ``fill`` returns the (b1 − b0, C·KH·KW, OH·OW) array::

        X[b − b0, (c, m, n), (i, j)] = x_pad[b, c, i·Sh + m·Rh, j·Sw + n·Rw]

    (R the dilation: 1 for an ordinary kernel) so ``X[b − b0]`` holds image b's columns of ``im2col(x)``. ``add_columns`` is
    ``col2im`` of such an array. For ``dx``: ``new_gradient(F)`` makes the accumulator
    (and chooses how ``col2im`` will run), ``add_back`` adds ``col2im(Kᵀ · δ)`` of a
    block of ``dout`` into it, ``gradient`` turns it into ``dx``. ``fill`` returns
    scratch memory of this object, reused by the next block. Arguments are already
    checked: ``x`` float64 (N, C, H, W), the rest pairs.
    """

    def __init__(self, x, kernel_size, stride, padding, x_shape=None, block_images=None,
                 dilation=(1, 1)):
        self.x = x
        self.x_shape = N, C, H, W = x.shape if x is not None else x_shape
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation = dilation
        (kh, kw), (sh, sw), (ph, pw), (rh, rw) = kernel_size, stride, padding, dilation
        self.out_hw = OH, OW = output_shape((H, W), kernel_size, stride, padding, dilation)
        self.rows = C * kh * kw
        self.per_image = OH * OW  # columns per image
        # images per block: as many as fit in BLOCK_BYTES of columns, at least 1
        self.block_images = block_images or max(
            1, min(N, BLOCK_BYTES // max(8 * self.rows * self.per_image, 1)))
        # for each kernel offset (m, n): the outputs whose window reads the input there
        # (i0:i1, j0:j1) and the input rows and columns read (a slice each)
        self.reach = []
        for m in range(kh):
            i0, i1, rows = _reach(m * rh, sh, OH, H, ph)
            for n in range(kw):
                j0, j1, cols = _reach(n * rw, sw, OW, W, pw)
                if i1 > i0 and j1 > j0:
                    self.reach.append((m, n, slice(i0, i1), slice(j0, j1), rows, cols))
        self._scratch = {}

    def blocks(self):
        """``(b0, b1)`` for each block of images, in order."""
        N, step = self.x_shape[0], self.block_images
        return [(b0, min(b0 + step, N)) for b0 in range(0, N, step)]

    def _buffer(self, name, shape, zeros=False):
        """Scratch array ``name`` of ``shape``, kept for the next block (zeros when first
        made, if ``zeros``: blocks only ever write the same places of it)."""
        buf = self._scratch.get(name)
        if buf is None:
            buf = self._scratch[name] = (_zeros if zeros else np.empty)(shape)
        return buf

    def _windows(self, a, b0, b1):
        """``a[b0:b1]`` viewed as (n, C, KH, KW, OH, OW); a copy if it must be."""
        return a[b0:b1].reshape((b1 - b0, self.x_shape[1]) + self.kernel_size + self.out_hw)

    def fill(self, b0, b1):
        """The columns of images ``b0:b1``, image by image: (b1 − b0, C·KH·KW, OH·OW).

        Without padding, one copy of a strided view of ``x``; with padding, one copy
        per kernel offset of the part of ``x`` its windows read (the columns on the
        padding are 0 in the scratch memory from the start and never written).
        """
        n, (kh, kw), p = b1 - b0, self.kernel_size, self.padding
        shape = (self.block_images, self.rows, self.per_image)
        X = self._buffer("X", shape, zeros=p != (0, 0))
        view = self._windows(X, 0, n)
        if p == (0, 0):
            (rh, rw) = self.dilation
            span = (rh * (kh - 1) + 1, rw * (kw - 1) + 1)
            v = sliding_window_view(self.x[b0:b1], span, axis=(2, 3))
            v = v[:, :, ::self.stride[0], ::self.stride[1], ::rh, ::rw].transpose(0, 1, 4, 5, 2, 3)
            np.copyto(view, v)
        else:
            x = self.x[b0:b1]
            for m, q, i, j, rows, cols in self.reach:
                view[:, :, m, q, i, j] = x[:, :, rows, cols]
        return X[:n]

    def add_columns(self, dx, G, b0, b1):
        """``col2im`` of a block: ``dx[b, c, i·Sh + m − Ph, j·Sw + n − Pw] += G[b − b0, (c, m, n), (i, j)]``
        for every entry whose pixel is inside the image (the rest fell on padding).
        ``dx`` is (N, C, H, W), ``G`` (b1 − b0, C·KH·KW, OH·OW). One add per kernel offset.
        """
        G = self._windows(G, 0, b1 - b0)
        out = dx[b0:b1]
        for m, q, i, j, rows, cols in self.reach:
            out[:, :, rows, cols] += G[:, :, m, q, i, j]

    def zero_grid(self, F):
        """Whether ``add_back`` spreads δ over a zero grid of the padded size (see there)."""
        Hp, Wp = self.x_shape[2] + 2 * self.padding[0], self.x_shape[3] + 2 * self.padding[1]
        return self.stride == (1, 1) and F * (Hp * Wp - self.per_image) <= ZERO_GRID_COST * self.per_image

    def new_gradient(self, F):
        """A zero accumulator for ``dx``: (N, C, H, W), or with ``zero_grid(F)`` the
        padded images flattened, (N·C·Hp·Wp + slack,)."""
        N, C, H, W = self.x_shape
        (ph, pw), (kh, kw) = self.padding, self.kernel_size
        self._grid = self.zero_grid(F)
        if not self._grid:
            return _zeros(self.x_shape)
        Wp = W + 2 * pw
        (rh, rw) = self.dilation
        slack = rh * (kh - 1) * Wp + rw * (kw - 1)  # the adds of the last image run this far past it
        return _zeros(N * C * (H + 2 * ph) * Wp + slack)

    def add_back(self, acc, w, dout, b0, b1):
        """``acc += col2im(Kᵀ · δ)`` for images ``b0:b1``; ``dout`` is their (n, F, OH·OW) δ.

        With stride 1 and few filters (``zero_grid``), δ of each image is first spread
        over a zero grid of the padded size Hp×Wp, output (i, j) at pixel (i, j), and
        ``Kᵀ · δ`` is taken with its rows in the order (m, n, c). A window's pixel
        (i + m·Rh, j + n·Rw) (R the dilation) then lies m·Rh·Wp + n·Rw places further
        on in the flattened padded images, so ``col2im`` is KH·KW adds, each of one contiguous run over the whole
        block (the zeros of the grid add nothing, also where a run crosses into the
        next channel or image). That costs F·(Hp·Wp − OH·OW) more multiply-adds per
        image in ``Kᵀ · δ``; numpy adds long contiguous runs about 4× as fast as
        short strided ones, so it pays up to about ``ZERO_GRID_COST`` of them per
        output position. Otherwise, and with strides, ``Kᵀ · δ`` image by image, then
        one add per kernel offset, each over the block's (OH, OW) maps.
        """
        n, (kh, kw), (OH, OW) = b1 - b0, self.kernel_size, self.out_hw
        F = dout.shape[1]
        if not self._grid:
            Kt = self._scratch.get("Kt")
            if Kt is None:
                Kt = self._scratch["Kt"] = w.reshape(F, -1).T
            G = self._buffer("G", (self.block_images, self.rows, self.per_image))[:n]
            self.add_columns(acc, np.matmul(Kt, dout, out=G), b0, b1)
            return
        N, C, H, W = self.x_shape
        Hp, Wp = H + 2 * self.padding[0], W + 2 * self.padding[1]
        L = Hp * Wp
        (rh, rw) = self.dilation
        Kt = self._scratch.get("Kt_offsets")
        if Kt is None:  # rows in the order (m, n, c)
            Kt = self._scratch["Kt_offsets"] = w.transpose(2, 3, 1, 0).reshape(-1, F)
        if C == 1:  # one product for the block: δ grid (F, n·L), G (KH·KW, n, L)
            # flat scratch: for any n, pixel (y, v) of an image sits at the same place
            # modulo L, so the zeros written at first outside [:OH, :OW] stay zeros
            grid = self._buffer("grid", F * self.block_images * L, zeros=True)[:F * n * L]
            np.copyto(grid.reshape(F, n, Hp, Wp)[:, :, :OH, :OW],
                      dout.reshape(n, F, OH, OW).transpose(1, 0, 2, 3))
            G = self._buffer("G_grid", self.rows * self.block_images * L)[:self.rows * n * L]
            G = np.matmul(Kt, grid.reshape(F, n * L), out=G.reshape(self.rows, n * L))
            runs = G.reshape(kh * kw, n, L)  # runs[offset] is (n, L), contiguous
        else:  # image by image: δ grid (n, F, L), G (n, KH·KW, C·L)
            grid = self._buffer("grid", (self.block_images, F, Hp, Wp), zeros=True)[:n]
            grid[:, :, :OH, :OW] = dout.reshape(n, F, OH, OW)  # the rest stays 0
            G = self._buffer("G_grid", (self.block_images, self.rows, L))[:n]
            G = np.matmul(Kt, grid.reshape(n, F, L), out=G)
            runs = G.reshape(n, kh * kw, C * L).transpose(1, 0, 2)  # runs[offset] is (n, C·L)
        for m in range(kh):
            for q in range(kw):
                start = b0 * C * L + m * rh * Wp + q * rw
                run = acc[start:start + n * C * L].reshape(n, C * L)  # a view into acc
                run += runs[m * kw + q]

    def gradient(self, acc):
        """``dx`` (N, C, H, W) from the accumulator of ``new_gradient``."""
        if not self._grid:
            return acc
        N, C, H, W = self.x_shape
        (ph, pw) = self.padding
        images = acc[:N * C * (H + 2 * ph) * (W + 2 * pw)].reshape(N, C, H + 2 * ph, W + 2 * pw)
        return np.ascontiguousarray(images[:, :, ph:ph + H, pw:pw + W])
