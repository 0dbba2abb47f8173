"""cnnbook against torch.nn.functional (float64, autograd). Skipped without torch.

torch is never a requirement: `.ci/run` installs a CPU build from local disk when the
machine has one; elsewhere `pip install torch` (CPU) turns these tests on.
"""
import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose

import cnnbook as cb

import itertools

from .strategies import conv_cases, conv_transpose_cases, pool_cases

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def _check_conv2d(x_, w_, b_, dout_, s, p, d):
    x, w, b = _t(x_, True), _t(w_, True), _t(b_, True)
    out = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
    out.backward(_t(dout_))
    assert_allclose(cb.conv2d(x_, w_, b_, s, p, d), out.detach().numpy(), atol=1e-12)
    dx, dw, db = cb.conv2d_backward(dout_, x_, w_, s, p, d)
    assert_allclose(dx, x.grad.numpy(), atol=1e-12)
    assert_allclose(dw, w.grad.numpy(), atol=1e-12)
    assert_allclose(db, b.grad.numpy(), atol=1e-12)


@given(conv_cases())
def test_conv2d_and_its_gradients(case):
    _check_conv2d(*(case[k] for k in ("x", "w", "b", "dout", "stride", "padding")), 1)


@given(conv_cases(max_dilation=3))
def test_dilated_conv2d_and_its_gradients(case):
    _check_conv2d(*(case[k] for k in ("x", "w", "b", "dout", "stride", "padding", "dilation")))


def _check_conv_transpose2d(x_, w_, b_, dout_, s, p, op, d):
    x, w, b = _t(x_, True), _t(w_, True), _t(b_, True)
    out = F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, dilation=d)
    assert out.shape == dout_.shape
    out.backward(_t(dout_))
    assert_allclose(cb.conv_transpose2d(x_, w_, b_, s, p, op, d), out.detach().numpy(), atol=1e-12)
    dx, dw, db = cb.conv_transpose2d_backward(dout_, x_, w_, s, p, op, d)
    assert_allclose(dx, x.grad.numpy(), atol=1e-12)
    assert_allclose(dw, w.grad.numpy(), atol=1e-12)
    assert_allclose(db, b.grad.numpy(), atol=1e-12)


@given(conv_transpose_cases())
def test_conv_transpose2d_and_its_gradients(case):
    """Random configurations: pairs that differ per axis, ints, non-square maps and kernels."""
    _check_conv_transpose2d(*(case[k] for k in ("x", "w", "b", "dout", "stride", "padding",
                                               "output_padding", "dilation")))


# every stride, dilation and padding in 1–3, 1–3, 0–2 with every output_padding torch allows
# (smaller than the stride or the dilation): 66 configurations
ALLOWED = [(s, d, p, op) for s, d, p in itertools.product((1, 2, 3), (1, 2, 3), (0, 1, 2))
           for op in range(max(s, d))]


@pytest.mark.parametrize("s, d, p, op", ALLOWED)
def test_conv_transpose2d_every_allowed_combination(s, d, p, op):
    """On a non-square map with a non-square kernel; the arguments alternately as ints
    and as (h, w) pairs; the same combination also along the height only."""
    i = ALLOWED.index((s, d, p, op))
    rng = np.random.default_rng(i)
    kh, kw = 1 + i % 3, 1 + (i + 1) % 3
    x, b = rng.normal(size=(2, 3, 5, 7)), rng.normal(size=2)
    w = rng.normal(size=(3, 2, kh, kw))
    as_given = (lambda v: v) if i % 2 else (lambda v: (v, v))
    out_hw = tuple(cb.transposed_output_size(n, k, s, p, op, d) for n, k in ((5, kh), (7, kw)))
    dout = rng.normal(size=(2, 2) + out_hw)
    _check_conv_transpose2d(x, w, b, dout, as_given(s), as_given(p), as_given(op), as_given(d))
    # only along the height: stride, padding … (1, 1, 0, 0) along the width
    out_hw = (out_hw[0], cb.transposed_output_size(7, kw))
    _check_conv_transpose2d(x, w, b, rng.normal(size=(2, 2) + out_hw), (s, 1), (p, 0), (op, 0), (d, 1))


@pytest.mark.parametrize("s, d, p", list(itertools.product((1, 2, 3), (1, 2, 3), (0, 1, 2))))
def test_dilated_conv2d_every_combination(s, d, p):
    rng = np.random.default_rng(s * 100 + d * 10 + p)
    x, w, b = rng.normal(size=(2, 3, 9, 11)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    out_hw = cb.output_size(9, 3, s, p, d), cb.output_size(11, 2, s, p, d)
    _check_conv2d(x, w, b, rng.normal(size=(2, 4) + out_hw), s, (p, p), (d, d) if s % 2 else d)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@given(case=pool_cases(ties=True))
def test_max_pool2d_and_its_gradient(ties, case):
    xv = case["x"] if ties else case["x"] + np.random.default_rng(0).normal(size=case["x"].shape)
    x = _t(xv, True)
    k, s, p = case["kernel_size"], case["stride"], case["padding"]
    out = F.max_pool2d(x, k, stride=s, padding=p)
    out.backward(_t(case["dout"]))
    assert_allclose(cb.max_pool2d(xv, k, s, p), out.detach().numpy())
    # torch, like cnnbook, sends a tie's gradient to the first maximum of the window
    assert_allclose(cb.max_pool2d_backward(case["dout"], xv, k, s, p), x.grad.numpy(), atol=1e-12)


@given(case=pool_cases())
def test_avg_pool2d_and_its_gradient(case):
    x = _t(case["x"], True)
    k, s, p = case["kernel_size"], case["stride"], case["padding"]
    out = F.avg_pool2d(x, k, stride=s, padding=p)  # count_include_pad=True by default
    out.backward(_t(case["dout"]))
    assert_allclose(cb.avg_pool2d(case["x"], k, s, p), out.detach().numpy(), atol=1e-12)
    assert_allclose(cb.avg_pool2d_backward(case["dout"], case["x"], k, s, p), x.grad.numpy(), atol=1e-12)


def test_all_negative_padded_max_pool():
    x = -np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    assert_allclose(cb.max_pool2d(x, 2, 2, 1), F.max_pool2d(_t(x), 2, 2, 1).numpy())


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations(name, rng):
    xv, dv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x = _t(xv, True)
    out = getattr(torch, name)(x)
    out.backward(_t(dv))
    assert_allclose(getattr(cb, name)(xv), out.detach().numpy(), atol=1e-15)
    assert_allclose(getattr(cb, name + "_backward")(dv, xv), x.grad.numpy(), atol=1e-15)


def test_dense(rng):
    xv, wv, bv, dv = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 4))
    x, w, b = _t(xv, True), _t(wv, True), _t(bv, True)
    out = F.linear(x, w, b)
    out.backward(_t(dv))
    assert_allclose(cb.dense(xv, wv, bv), out.detach().numpy(), atol=1e-14)
    for got, want in zip(cb.dense_backward(dv, xv, wv), (x.grad, w.grad, b.grad)):
        assert_allclose(got, want.numpy(), atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_softmax_cross_entropy(reduction, rng):
    zv, labels = rng.normal(size=(6, 4)) * 5, np.array([0, 3, 2, 1, 1, 0])
    z = _t(zv, True)
    loss = F.cross_entropy(z, torch.tensor(labels), reduction=reduction)
    loss.backward()
    assert cb.softmax_cross_entropy(zv, labels, reduction) == pytest.approx(loss.item(), rel=1e-13)
    assert_allclose(cb.softmax_cross_entropy_backward(1.0, zv, labels, reduction), z.grad.numpy(), atol=1e-15)
    assert_allclose(cb.softmax(zv), F.softmax(_t(zv), dim=1).numpy(), atol=1e-15)


def test_im2col_is_unfold(rng):
    xv = rng.normal(size=(2, 3, 6, 5))
    cols = F.unfold(_t(xv), (3, 2), padding=1, stride=2)  # (N, C·KH·KW, L)
    want = cols.numpy().transpose(1, 0, 2).reshape(cols.shape[1], -1)
    assert_allclose(cb.im2col(xv, (3, 2), 2, 1), want)
    c = rng.normal(size=want.shape)
    folded = F.fold(_t(c.reshape(c.shape[0], 2, -1).transpose(1, 0, 2)), (6, 5), (3, 2), padding=1, stride=2)
    assert_allclose(cb.col2im(c, xv.shape, (3, 2), 2, 1), folded.numpy(), atol=1e-12)


def test_dilated_im2col_is_unfold(rng):
    xv = rng.normal(size=(2, 3, 9, 8))
    cols = F.unfold(_t(xv), (3, 2), dilation=(2, 3), padding=(1, 2), stride=(2, 1))
    want = cols.numpy().transpose(1, 0, 2).reshape(cols.shape[1], -1)
    assert_allclose(cb.im2col(xv, (3, 2), (2, 1), (1, 2), (2, 3)), want)
    c = rng.normal(size=want.shape)
    folded = F.fold(_t(c.reshape(c.shape[0], 2, -1).transpose(1, 0, 2)), (9, 8), (3, 2),
                    dilation=(2, 3), padding=(1, 2), stride=(2, 1))
    assert_allclose(cb.col2im(c, xv.shape, (3, 2), (2, 1), (1, 2), (2, 3)), folded.numpy(), atol=1e-12)
