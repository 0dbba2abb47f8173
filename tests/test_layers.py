"""cnnbook.layers: every layer's gradients against finite differences, Sequential, the
loss, the optimisers' update rules, initialisation, and bad input."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import cnnbook as cb
from cnnbook.layers import (
    SGD, Adam, AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, Sigmoid,
    SoftmaxCrossEntropy, Tanh, fan_in_fan_out, he_normal, xavier_uniform,
)


def _param_function(layer, name, x):
    """``v ↦ layer.forward(x)`` with ``params[name]`` temporarily set to ``v``."""
    def f(v):
        keep = layer.params[name].copy()
        layer.params[name][...] = v
        try:
            return layer.forward(x)
        finally:
            layer.params[name][...] = keep
    return f


def _check_layer(layer, x, rng, atol=1e-7):
    """Compare ``backward``'s dx and every parameter gradient with central differences."""
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    numeric = {name: cb.numerical_gradient(_param_function(layer, name, x), p, dout)
               for name, p in layer.params.items()}
    num_dx = cb.numerical_gradient(layer.forward, x, dout)
    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    assert cb.rel_error(dx, num_dx) < atol
    assert set(layer.grads) == set(layer.params)
    for name, num in numeric.items():
        assert layer.grads[name].shape == layer.params[name].shape
        assert cb.rel_error(layer.grads[name], num) < atol, name


LAYERS = {
    "conv": (lambda rng: Conv2D(2, 3, 3, rng=rng), (2, 2, 5, 5)),
    "conv-stride-pad": (lambda rng: Conv2D(2, 3, (3, 2), stride=2, padding=1, rng=rng), (2, 2, 6, 5)),
    "conv-no-bias": (lambda rng: Conv2D(1, 2, 2, bias=False, rng=rng, init="xavier_uniform"), (1, 1, 4, 4)),
    "dense": (lambda rng: Dense(5, 4, rng=rng), (3, 5)),
    "dense-no-bias": (lambda rng: Dense(5, 4, bias=False, rng=rng), (3, 5)),
    "maxpool": (lambda rng: MaxPool2D(2), (2, 3, 4, 4)),
    "maxpool-overlap": (lambda rng: MaxPool2D(3, stride=2, padding=1), (1, 2, 5, 5)),
    "avgpool": (lambda rng: AvgPool2D(2), (2, 3, 4, 4)),
    "avgpool-overlap": (lambda rng: AvgPool2D((3, 2), stride=1, padding=1), (1, 2, 4, 5)),
    "relu": (lambda rng: ReLU(), (2, 3, 4, 4)),
    "sigmoid": (lambda rng: Sigmoid(), (2, 3, 4, 4)),
    "tanh": (lambda rng: Tanh(), (3, 7)),
    "flatten": (lambda rng: Flatten(), (2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients_match_finite_differences(name, rng):
    make, shape = LAYERS[name]
    layer = make(rng)
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    for p in layer.params.values():  # a bias of 0 would hide a wrong bias gradient
        p += rng.normal(scale=0.1, size=p.shape)
    _check_layer(layer, x, rng)


def test_layers_agree_with_the_functional_api(rng):
    conv = Conv2D(2, 3, 3, stride=2, padding=1, rng=rng)
    x = rng.normal(size=(2, 2, 6, 6))
    w, b = conv.params["weight"], conv.params["bias"]
    assert_allclose(conv.forward(x), cb.conv2d(x, w, b, stride=2, padding=1))
    dout = rng.normal(size=(2, 3, 3, 3))
    dx, dw, db = cb.conv2d_backward(dout, x, w, 2, 1)
    assert_allclose(conv.backward(dout), dx)
    assert_allclose(conv.grads["weight"], dw)
    assert_allclose(conv.grads["bias"], db)
    dense = Dense(4, 2, rng=rng)
    v = rng.normal(size=(3, 4))
    assert_allclose(dense(v), v @ dense.params["weight"].T + dense.params["bias"])


def _small_net(seed):
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D(1, 2, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2),
        Conv2D(2, 3, 2, rng=rng, init="xavier_uniform"), Tanh(), AvgPool2D(2, stride=1),
        Flatten(), Dense(3, 4, rng=rng), Sigmoid(), Dense(4, 3, rng=rng),
    )


def test_sequential_gradient_check(rng):
    model, loss = _small_net(1), SoftmaxCrossEntropy()
    for _, p, _ in model.parameters():
        p += rng.normal(scale=0.1, size=p.shape)
    x, y = rng.normal(size=(2, 1, 6, 6)), np.array([0, 2])

    def objective():
        return loss.forward(model.forward(x), y)

    numeric = {}
    for name, p, _ in model.parameters():
        def f(v, p=p):
            keep = p.copy()
            p[...] = v
            try:
                return objective()
            finally:
                p[...] = keep
        numeric[name] = cb.numerical_gradient(f, p)
    num_dx = cb.numerical_gradient(lambda v: loss.forward(model.forward(v), y), x)

    objective()
    dx = model.backward(loss.backward())
    assert cb.rel_error(dx, num_dx) < 1e-6
    assert list(numeric) == ["0.weight", "0.bias", "3.weight", "3.bias",
                             "7.weight", "7.bias", "9.weight", "9.bias"]
    for name, g in ((n, g) for n, _, g in model.parameters()):
        assert cb.rel_error(g, numeric[name]) < 1e-6, name


def test_backward_overwrites_gradients_in_the_same_arrays(rng):
    model, loss = _small_net(0), SoftmaxCrossEntropy()
    x, y = rng.normal(size=(2, 1, 6, 6)), np.array([1, 0])
    arrays = {name: g for name, _, g in model.parameters()}
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    first = {name: g.copy() for name, g in arrays.items()}
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())  # again: the same gradients, not twice them
    for name, _, g in model.parameters():
        assert g is arrays[name]
        assert_allclose(g, first[name], rtol=1e-12)


def test_sequential_container_and_repr():
    model = _small_net(0)
    assert len(model) == 10 and isinstance(model[0], Conv2D) and list(model)[1].__class__ is ReLU
    text = repr(model)
    assert "(0): Conv2D(1, 2, kernel_size=3, stride=1, padding=1)" in text
    assert "(9): Dense(4, 3)" in text
    assert repr(MaxPool2D(2)) == "MaxPool2D(kernel_size=2, stride=2, padding=0)"
    assert repr(Conv2D(1, 2, (3, 2), bias=False, rng=np.random.default_rng(0))).endswith("bias=False)")


def test_softmax_cross_entropy_layer(rng):
    logits, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    for reduction in ("mean", "sum"):
        loss = SoftmaxCrossEntropy(reduction)
        assert loss(logits, y) == cb.softmax_cross_entropy(logits, y, reduction)
        assert_allclose(loss.backward(), cb.softmax_cross_entropy_backward(logits, y, reduction))
        assert_allclose(loss.backward(2.0), 2 * cb.softmax_cross_entropy_backward(logits, y, reduction))


# --- initialisation -------------------------------------------------------------------

def test_fans_follow_pytorch():
    assert fan_in_fan_out((10, 20)) == (20, 10)
    assert fan_in_fan_out((16, 3, 5, 5)) == (75, 400)


def test_he_and_xavier_statistics():
    rng = np.random.default_rng(0)
    w = he_normal((64, 32, 3, 3), rng)
    assert w.std() == pytest.approx(np.sqrt(2 / 288), rel=0.03)
    assert abs(w.mean()) < 0.01
    v = xavier_uniform((300, 200), rng)
    limit = np.sqrt(6 / 500)
    assert np.abs(v).max() <= limit and np.abs(v).max() > 0.99 * limit
    assert v.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)


def test_initialisation_is_seeded_and_leaves_the_global_rng_alone():
    state = np.random.get_state()[1].copy()
    a = Conv2D(3, 4, 3, rng=np.random.default_rng(5))
    b = Conv2D(3, 4, 3, rng=np.random.default_rng(5))
    c = Conv2D(3, 4, 3, rng=np.random.default_rng(6))
    assert np.array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    assert np.array_equal(a.params["bias"], np.zeros(4))
    assert np.array_equal(np.random.get_state()[1], state)


def test_custom_init_function():
    layer = Dense(3, 2, rng=np.random.default_rng(0), init=lambda shape, rng: np.full(shape, 0.5))
    assert np.array_equal(layer.params["weight"], np.full((2, 3), 0.5))


# --- optimisers -----------------------------------------------------------------------

def _one_param_model(p, g):
    layer = Dense(p.shape[1], p.shape[0], bias=False, rng=np.random.default_rng(0))
    layer.params["weight"][...] = p
    layer.grads["weight"][...] = g
    return layer


def test_sgd_plain_and_momentum(rng):
    p0, g1, g2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    plain = _one_param_model(p0, g1)
    SGD(plain, lr=0.1).step()
    assert_allclose(plain.params["weight"], p0 - 0.1 * g1)

    model = _one_param_model(p0, g1)
    opt = SGD(model, lr=0.1, momentum=0.9)
    opt.step()                                   # v = g1
    model.grads["weight"][...] = g2
    opt.step()                                   # v = 0.9 g1 + g2
    assert_allclose(model.params["weight"], p0 - 0.1 * g1 - 0.1 * (0.9 * g1 + g2))


def test_adam_first_step_moves_each_weight_by_lr(rng):
    p0, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    model = _one_param_model(p0, g)
    Adam(model, lr=0.01).step()  # m̂ = g, v̂ = g², so the step is lr·g/|g|
    assert_allclose(model.params["weight"], p0 - 0.01 * np.sign(g), rtol=1e-6)


def test_optimisers_match_torch(rng):
    torch = pytest.importorskip("torch")
    p0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(4)]
    cases = [
        (lambda m: SGD(m, lr=0.05, momentum=0.8), lambda t: torch.optim.SGD([t], lr=0.05, momentum=0.8)),
        (lambda m: Adam(m, lr=0.01, betas=(0.8, 0.9), eps=1e-6),
         lambda t: torch.optim.Adam([t], lr=0.01, betas=(0.8, 0.9), eps=1e-6)),
    ]
    for ours, theirs in cases:
        model = _one_param_model(p0, grads[0])
        opt = ours(model)
        t = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
        topt = theirs(t)
        for g in grads:
            model.grads["weight"][...] = g
            opt.step()
            t.grad = torch.tensor(g, dtype=torch.float64)
            topt.step()
        assert_allclose(model.params["weight"], t.detach().numpy(), rtol=1e-12, atol=1e-14)


# --- bad input ------------------------------------------------------------------------

R = np.random.default_rng(0)

BAD = [
    (lambda: Conv2D(0, 3, 3, rng=R), ValueError, "in_channels must be at least 1, got 0"),
    (lambda: Conv2D(1, 3, 0, rng=R), ValueError, "kernel_size must be at least 1, got 0"),
    (lambda: Conv2D(1, 3, 3, stride=0, rng=R), ValueError, "stride must be at least 1, got 0"),
    (lambda: Conv2D(1, 3, 3, padding=-1, rng=R), ValueError, "padding must not be negative, got -1"),
    (lambda: Conv2D(1, 3, 3, rng=None), ValueError, "rng must be a numpy Generator"),
    (lambda: Conv2D(1, 3, 3, rng=R, init="kaiming"), ValueError, "init must be one of"),
    (lambda: Dense(4, 2, rng=R, init=lambda s, r: np.zeros(3)), ValueError, r"init returned shape \(3,\), expected \(2, 4\)"),
    (lambda: Dense(2.5, 2, rng=R), ValueError, "in_features must be an integer, got 2.5"),
    (lambda: Conv2D(3, 4, 3, rng=R).forward(np.ones((1, 2, 5, 5))), ValueError, "x has 2 channels"),
    (lambda: Conv2D(1, 4, 3, rng=R).forward(np.ones((5, 5))), ValueError, r"x must be 4-D \(N, C, H, W\), got shape \(5, 5\)"),
    (lambda: Dense(4, 2, rng=R).forward(np.ones((3, 5))), ValueError, "x has 5 features per row .* w expects 4"),
    (lambda: MaxPool2D(3).forward(np.ones((1, 1, 2, 2))), ValueError, "kernel height 3 does not fit input height 2"),
    (lambda: MaxPool2D(2, padding=2), ValueError, "pool padding 2 is more than half the window 2"),
    (lambda: ReLU().backward(np.ones(3)), RuntimeError, "ReLU.backward called before forward"),
    (lambda: SoftmaxCrossEntropy().backward(), RuntimeError, "before forward"),
    (lambda: SoftmaxCrossEntropy("avg"), ValueError, "reduction must be 'mean' or 'sum', got 'avg'"),
    (lambda: SGD(Dense(2, 2, rng=R), lr=0), ValueError, "lr must be a positive number, got 0"),
    (lambda: SGD(Dense(2, 2, rng=R), lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\), got 1.0"),
    (lambda: Adam(Dense(2, 2, rng=R), betas=(0.9, 1.0)), ValueError, r"beta2 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(Dense(2, 2, rng=R), betas=0.9), ValueError, "betas must be a pair"),
    (lambda: Adam(Dense(2, 2, rng=R), eps=0), ValueError, "eps must be a positive number, got 0"),
    (lambda: Adam(object()), ValueError, "needs a model or layer with parameters"),
    (lambda: Sequential(ReLU(), "relu"), ValueError, "layer 1 must have forward and backward"),
    (lambda: fan_in_fan_out((5,)), ValueError, r"at least 2 positive dimensions, got \(5,\)"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input_says_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_sequential_names_the_failing_layer():
    model = Sequential(Flatten(), Dense(12, 3, rng=R), ReLU(), Dense(4, 2, rng=R))
    with pytest.raises(ValueError, match=r"layer 3 \(Dense\(4, 2\)\): x has 3 features per row"):
        model.forward(np.ones((2, 3, 2, 2)))


def test_layers_do_not_modify_their_input(rng):
    model, loss = _small_net(0), SoftmaxCrossEntropy()
    x, y = rng.normal(size=(2, 1, 6, 6)), np.array([1, 0])
    keep = x.copy()
    loss.forward(model.forward(x), y)
    dlogits = loss.backward()
    dkeep = dlogits.copy()
    model.backward(dlogits)
    assert np.array_equal(x, keep) and np.array_equal(dlogits, dkeep)
