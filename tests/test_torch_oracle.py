"""cnnbook against torch.nn.functional (float64, autograd). Skipped without torch.

torch is never a requirement: `.ci/run` installs a CPU build from local disk when the
machine has one; elsewhere `pip install torch` (CPU) turns these tests on.
"""
import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose

import cnnbook as cb

from .strategies import conv_cases, pool_cases

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


@given(conv_cases())
def test_conv2d_and_its_gradients(case):
    x, w, b = _t(case["x"], True), _t(case["w"], True), _t(case["b"], True)
    s, p = case["stride"], case["padding"]
    out = F.conv2d(x, w, b, stride=s, padding=p)
    out.backward(_t(case["dout"]))
    assert_allclose(cb.conv2d(case["x"], case["w"], case["b"], s, p), out.detach().numpy(), atol=1e-12)
    dx, dw, db = cb.conv2d_backward(case["dout"], case["x"], case["w"], s, p)
    assert_allclose(dx, x.grad.numpy(), atol=1e-12)
    assert_allclose(dw, w.grad.numpy(), atol=1e-12)
    assert_allclose(db, b.grad.numpy(), atol=1e-12)


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
