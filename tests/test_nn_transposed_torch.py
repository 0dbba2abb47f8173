"""cnnbook.nn.ConvTranspose2d: finite differences, and torch.nn.ConvTranspose2d as the oracle.

The finite-difference tests always run; the torch tests (marker ``torch``) are skipped
when torch is not installed.
"""
import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

import cnnbook as cb
from cnnbook.nn import ConvTranspose2d

RNG = np.random.default_rng(2012)


def _layer(C_in, C_out, K, S, P, OP, D, bias=True, seed=0):
    layer = ConvTranspose2d(C_in, C_out, K, S, P, OP, bias, D, rng=np.random.default_rng(seed))
    if bias:
        layer.bias.data[...] = np.random.default_rng(seed + 1).normal(size=C_out)
    return layer


def _allowed(S, D, OP):
    return all(op < max(s, d) for op, s, d in zip(np.broadcast_to(OP, 2), np.broadcast_to(S, 2),
                                                   np.broadcast_to(D, 2)))


# -- finite differences --------------------------------------------------------------------

@pytest.mark.parametrize("K, S, P, OP, D", [(3, 2, 1, 1, 1), (4, 2, 1, 0, 1), (2, 3, 0, 2, 1),
                                            (3, 1, 1, 1, 2), ((2, 3), (2, 1), (0, 1), (1, 0), 1),
                                            (3, 2, 2, 1, 2)])
def test_gradients_match_finite_differences(K, S, P, OP, D):
    layer = _layer(2, 3, K, S, P, OP, D)
    x = RNG.normal(size=(2, 2, 3, 4))
    out = layer(x)
    dout = RNG.normal(size=out.shape)
    dx = layer.backward(dout)

    def E_x(v):
        return layer.forward(v)

    def E_w(v):
        saved = layer.weight.data.copy()
        layer.weight.data[...] = v
        try:
            return layer.forward(x)
        finally:
            layer.weight.data[...] = saved

    def E_b(v):
        saved = layer.bias.data.copy()
        layer.bias.data[...] = v
        try:
            return layer.forward(x)
        finally:
            layer.bias.data[...] = saved

    assert cb.rel_error(dx, cb.numerical_gradient(E_x, x, dout)) < 1e-7
    assert cb.rel_error(layer.weight.grad, cb.numerical_gradient(E_w, layer.weight.data.copy(), dout)) < 1e-7
    assert cb.rel_error(layer.bias.grad, cb.numerical_gradient(E_b, layer.bias.data.copy(), dout)) < 1e-7


def test_forward_is_conv2d_backward_and_backward_is_conv2d_forward():
    layer = _layer(3, 2, 3, 2, 1, 1, 1, bias=False)
    x = RNG.normal(size=(2, 3, 4, 4))
    out = layer(x)                                            # (2, 2, 8, 8)
    assert out.shape == (2, 2, 8, 8)
    conv_dx = cb.conv2d_backward(x, np.zeros(out.shape), layer.weight.data, 2, 1)[0]
    assert_allclose(out, conv_dx, atol=1e-12)
    dout = RNG.normal(size=out.shape)
    assert_allclose(layer.backward(dout), cb.conv2d(dout, layer.weight.data, stride=2, padding=1),
                    atol=1e-12)


def test_gradients_accumulate_and_shapes_and_errors():
    layer = _layer(2, 3, (2, 3), 2, 0, 1, 1)
    assert layer.weight.shape == (2, 3, 2, 3) and layer.bias.shape == (3,)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    x = RNG.normal(size=(1, 2, 3, 3))
    dout = RNG.normal(size=layer(x).shape)
    layer.backward(dout)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(dout)
    assert_allclose(layer.weight.grad, 2 * once)
    assert ConvTranspose2d(2, 3, 3, bias=False, rng=np.random.default_rng(0)).bias is None
    with pytest.raises(ValueError, match="output_padding 2.*stride 2.*dilation 1"):
        ConvTranspose2d(1, 1, 3, stride=2, output_padding=2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="dilation"):
        ConvTranspose2d(1, 1, 3, dilation=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        _layer(2, 3, 3, 1, 0, 0, 1)(np.ones((1, 3, 4, 4)))    # 3 channels for a 2-channel layer
    with pytest.raises(RuntimeError, match="before forward"):
        _layer(1, 1, 3, 1, 0, 0, 1).backward(np.ones((1, 1, 3, 3)))


# -- torch as the oracle ----------------------------------------------------------------------

def _torch():
    return pytest.importorskip("torch")


CONFIGS = [c for c in itertools.product([1, 2, 3], [1, 2, 3], [0, 1, 2], [0, 1, 2], [1, 2])
           if _allowed(c[1], c[4], c[3])]     # K, S, P, output_padding, dilation R


def test_there_are_at_least_100_oracle_configurations():
    assert len(CONFIGS) >= 100


@pytest.mark.torch
@pytest.mark.parametrize("K, S, P, OP, D", CONFIGS)
def test_equals_torch_conv_transpose2d(K, S, P, OP, D):
    torch = _torch()
    rng = np.random.default_rng(K * 1000 + S * 100 + P * 10 + OP + 7 * D)
    # the smallest input side whose output is not cropped away: (L − 1)S − 2P + R(K − 1) + OP ≥ 0
    smallest = max(1, 1 + -(-(2 * P - D * (K - 1) - OP) // S))
    C_in, C_out = 2, 3
    H, W = smallest + int(rng.integers(0, 4)), smallest + int(rng.integers(0, 4))
    reference = torch.nn.ConvTranspose2d(C_in, C_out, K, S, P, OP, 1, True, D).double()
    layer = ConvTranspose2d(C_in, C_out, K, S, P, OP, True, D, rng=np.random.default_rng(0))
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = rng.normal(size=(2, C_in, H, W))
    xt = torch.tensor(x, requires_grad=True)
    out_t = reference(xt)
    out = layer(x)
    assert_allclose(out, out_t.detach().numpy(), atol=1e-12)
    dout = rng.normal(size=out.shape)
    out_t.backward(torch.tensor(dout))
    assert_allclose(layer.backward(dout), xt.grad.numpy(), atol=1e-12)
    assert_allclose(layer.weight.grad, reference.weight.grad.numpy(), atol=1e-12)
    assert_allclose(layer.bias.grad, reference.bias.grad.numpy(), atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("args", [dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0),
                                       output_padding=(1, 0), dilation=(1, 2)),
                                  dict(kernel_size=3, stride=2, padding=1, output_padding=1),
                                  dict(kernel_size=4, bias=False)])
def test_non_square_arguments_and_repr_match_torch(args):
    torch = _torch()
    reference = torch.nn.ConvTranspose2d(3, 2, **args).double()
    layer = ConvTranspose2d(3, 2, rng=np.random.default_rng(0), **args)
    assert repr(layer) == repr(reference)
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(3).normal(size=(2, 3, 4, 5))
    out_t = reference(torch.tensor(x))
    assert_allclose(layer(x), out_t.detach().numpy(), atol=1e-12)
    assert {k: v.shape for k, v in layer.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in reference.state_dict().items()}
