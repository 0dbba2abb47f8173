"""cnnbook.nn: every module's backward against finite differences, gradients that add up
(torch's accumulation), parameters by torch's names, state_dict round trips, the loss,
the optimisers' update rules written out by hand, initialisation, and bad input."""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.nn import (
    SGD, Adam, AvgPool2d, Conv2d, CrossEntropyLoss, Flatten, Linear, MaxPool2d, Module,
    Parameter, ReLU, Sequential, Sigmoid, Tanh, fan_in_fan_out, he_normal, xavier_uniform,
)
from cnnbook.nn import gradient_check as nn_gradient_check


def _with_value(p, v, run):
    """``run()`` with ``p.data`` temporarily holding ``v``."""
    keep = p.data.copy()
    p.data[...] = v
    try:
        return run()
    finally:
        p.data[...] = keep


def _check_module(module, x, rng, atol=1e-7):
    """backward's dx and every parameter's .grad against central differences of
    E = Σ dout ⊙ module(x); .grad starts at 0, so after one backward it is ∂E/∂p."""
    out = module(x)
    dout = rng.normal(size=out.shape)
    numeric = {name: cb.numerical_gradient(lambda v, p=p: _with_value(p, v, lambda: module(x)), p.data, dout)
               for name, p in module.named_parameters()}
    num_dx = cb.numerical_gradient(module, x, dout)
    module.zero_grad()
    module(x)
    dx = module.backward(dout)
    assert dx.shape == x.shape
    assert cb.rel_error(dx, num_dx) < atol
    for name, p in module.named_parameters():
        assert p.grad.shape == p.data.shape
        assert cb.rel_error(p.grad, numeric[name]) < atol, name


MODULES = {
    "conv": (lambda rng: Conv2d(2, 3, 3, rng=rng), (2, 2, 5, 5)),
    "conv-stride-pad": (lambda rng: Conv2d(2, 3, (3, 2), stride=2, padding=1, rng=rng), (2, 2, 6, 5)),
    "conv-no-bias": (lambda rng: Conv2d(1, 2, 2, bias=False, rng=rng, init="xavier_uniform"), (1, 1, 4, 4)),
    "linear": (lambda rng: Linear(5, 4, rng=rng), (3, 5)),
    "linear-no-bias": (lambda rng: Linear(5, 4, bias=False, rng=rng), (3, 5)),
    "maxpool": (lambda rng: MaxPool2d(2), (2, 3, 4, 4)),
    "maxpool-overlap": (lambda rng: MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
    "avgpool": (lambda rng: AvgPool2d(2), (2, 3, 4, 4)),
    "avgpool-overlap": (lambda rng: AvgPool2d((3, 2), stride=1, padding=1), (1, 2, 4, 5)),
    "relu": (lambda rng: ReLU(), (2, 3, 4, 4)),
    "sigmoid": (lambda rng: Sigmoid(), (2, 3, 4, 4)),
    "tanh": (lambda rng: Tanh(), (3, 7)),
    "flatten": (lambda rng: Flatten(), (2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_gradients_match_finite_differences(name, rng):
    make, shape = MODULES[name]
    module = make(rng)
    x = rng.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    for p in module.parameters():  # a bias of 0 would hide a wrong bias gradient
        p.data += rng.normal(scale=0.1, size=p.shape)
    _check_module(module, x, rng)


@pytest.mark.parametrize("name", [n for n in MODULES if not n.startswith(("relu", "sig", "tanh", "flat", "max", "avg"))])
def test_backward_adds_into_grad_and_zero_grad_clears_it(name, rng):
    make, shape = MODULES[name]
    module = make(rng)
    x = rng.normal(size=shape)
    arrays = {n: p.grad for n, p in module.named_parameters()}
    d1, d2 = rng.normal(size=module(x).shape), rng.normal(size=module(x).shape)
    module.backward(d1)
    once = {n: p.grad.copy() for n, p in module.named_parameters()}
    assert any(np.abs(g).max() > 0 for g in once.values())
    dx2 = module.backward(d2)                     # a second backward adds its own gradient
    module2 = make(np.random.default_rng(99))
    module2.load_state_dict(module.state_dict())
    module2(x)
    module2.backward(d2)
    for n, p in module.named_parameters():
        assert p.grad is arrays[n]                # the same array, written in place
        assert_allclose(p.grad, once[n] + dict(module2.named_parameters())[n].grad, rtol=1e-13)
    assert_allclose(dx2, module2.backward(d2), rtol=1e-13)  # dx never accumulates
    module.zero_grad()
    assert all(p.grad is arrays[n] and not p.grad.any() for n, p in module.named_parameters())


def test_modules_agree_with_the_functional_api(rng):
    conv = Conv2d(2, 3, 3, stride=2, padding=1, rng=rng)
    conv.bias.data[...] = rng.normal(size=3)
    x = rng.normal(size=(2, 2, 6, 6))
    w, b = conv.weight.data, conv.bias.data
    assert_array_equal(conv(x), cb.conv2d(x, w, b, stride=2, padding=1))
    dout = rng.normal(size=(2, 3, 3, 3))
    dx, dw, db = cb.conv2d_backward(dout, x, w, 2, 1)
    assert_array_equal(conv.backward(dout), dx)
    assert_array_equal(conv.weight.grad, dw)
    assert_array_equal(conv.bias.grad, db)
    lin = Linear(4, 2, rng=rng)
    v = rng.normal(size=(3, 4))
    assert_allclose(lin(v), v @ lin.weight.data.T + lin.bias.data, rtol=1e-15)
    assert lin.forward(v).shape == (3, 2)


def _small_net(seed):
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 2, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(2, 3, 2, rng=rng, init="xavier_uniform"), Tanh(), AvgPool2d(2, stride=1),
        Flatten(), Linear(3, 4, rng=rng), Sigmoid(), Linear(4, 3, rng=rng),
    )


def test_sequential_gradient_check_with_torch_names(rng):
    model, loss = _small_net(1), CrossEntropyLoss()
    for p in model.parameters():
        p.data += rng.normal(scale=0.1, size=p.shape)
    x, y = rng.normal(size=(2, 1, 6, 6)), np.array([0, 2])

    def objective():
        return loss(model(x), y)

    numeric = {name: cb.numerical_gradient(lambda v, p=p: _with_value(p, v, objective), p.data)
               for name, p in model.named_parameters()}
    num_dx = cb.numerical_gradient(lambda v: loss(model(v), y), x)
    model.zero_grad()
    objective()
    dx = model.backward(loss.backward())
    assert cb.rel_error(dx, num_dx) < 1e-6
    assert list(numeric) == ["0.weight", "0.bias", "3.weight", "3.bias",
                             "7.weight", "7.bias", "9.weight", "9.bias"]
    for name, p in model.named_parameters():
        assert cb.rel_error(p.grad, numeric[name]) < 1e-6, name
    assert [p for _, p in model.named_parameters()] == list(model.parameters())
    assert all(isinstance(p, Parameter) for p in model.parameters())


def test_sequential_container_and_torch_reprs():
    model = _small_net(0)
    assert len(model) == 10 and isinstance(model[0], Conv2d) and list(model)[1].__class__ is ReLU
    assert model[-1] is list(model)[9]
    head = model[:3]                                   # a Sequential of the same module objects
    assert isinstance(head, Sequential) and len(head) == 3 and head[0] is model[0]
    assert [n for n, _ in head.named_parameters()] == ["0.weight", "0.bias"]
    text = repr(model)
    assert "(0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert "(3): Conv2d(2, 3, kernel_size=(2, 2), stride=(1, 1))" in text
    assert "(9): Linear(in_features=4, out_features=3, bias=True)" in text
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(AvgPool2d((3, 2), 1)) == "AvgPool2d(kernel_size=(3, 2), stride=1, padding=0)"
    assert repr(Conv2d(1, 2, (3, 2), bias=False, rng=np.random.default_rng(0))).endswith("bias=False)")
    assert repr(CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_parameters_are_registered_by_assignment():
    class TwoLayers(Module):
        def __init__(self):
            super().__init__()
            g = np.random.default_rng(0)
            self.features = Sequential(Linear(3, 4, rng=g), ReLU())
            self.scale = Parameter(np.ones(4))
            self.head = Linear(4, 2, bias=False, rng=g)

    net = TwoLayers()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "features.0.weight", "features.0.bias", "head.weight"]
    net.head = None                                    # re-assigning removes the registration
    assert [n for n, _ in net.named_parameters()][-1] == "features.0.bias"


def test_state_dict_round_trip_copies_and_checks(rng):
    a, b = _small_net(0), _small_net(1)
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    assert all(state[n].shape == p.shape for n, p in a.named_parameters())
    state["0.weight"][...] = 7.0                       # a copy: the model is untouched
    assert not np.any(a[0].weight.data == 7.0)
    arrays = [p.data for p in b.parameters()]
    b.load_state_dict(a.state_dict())
    assert all(p.data is d for p, d in zip(b.parameters(), arrays))   # loaded in place
    x = rng.normal(size=(2, 1, 6, 6))
    assert_array_equal(a(x), b(x))
    lists = {k: v.tolist() for k, v in a.state_dict().items()}       # nested lists load too
    b.load_state_dict(lists)
    assert_array_equal(b[0].weight.data, a[0].weight.data)

    before = b.state_dict()
    bad = dict(a.state_dict())
    bad["9.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"size mismatch for 9.bias: the state_dict has shape \(5,\), "
                                         r"the parameter has shape \(3,\)"):
        b.load_state_dict({**bad, "0.weight": np.full((2, 1, 3, 3), 9.0)})
    assert all(np.array_equal(before[k], v) for k, v in b.state_dict().items())  # nothing half-loaded
    missing = {k: v for k, v in a.state_dict().items() if k != "3.bias"}
    with pytest.raises(ValueError, match=r"missing keys \['3.bias'\]"):
        b.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        b.load_state_dict({**a.state_dict(), "extra": np.zeros(1)})
    with pytest.raises(ValueError, match="needs a dict of name → array, got list"):
        b.load_state_dict([1, 2])


def test_cross_entropy_loss_module(rng):
    logits, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    for reduction in ("mean", "sum"):
        loss = CrossEntropyLoss(reduction)
        E = loss(logits, y)
        assert isinstance(E, float) and E == cb.softmax_cross_entropy(logits, y, reduction)
        grad = cb.softmax_cross_entropy_backward(1.0, logits, y, reduction)
        assert_array_equal(loss.backward(), grad)
        assert_allclose(loss.backward(2.0), 2 * grad, rtol=1e-15)
        num = cb.numerical_gradient(lambda z: loss(z, y), logits)
        loss(logits, y)                     # the differences ran forward on other logits
        assert cb.rel_error(loss.backward(), num) < 1e-7


# --- initialisation -------------------------------------------------------------------

def test_fans_follow_torch():
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
    a = Conv2d(3, 4, 3, rng=np.random.default_rng(5))
    b = Conv2d(3, 4, 3, rng=np.random.default_rng(5))
    c = Conv2d(3, 4, 3, rng=np.random.default_rng(6))
    assert np.array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    assert np.array_equal(a.bias.data, np.zeros(4)) and np.array_equal(a.bias.grad, np.zeros(4))
    assert np.array_equal(np.random.get_state()[1], state)


def test_custom_init_function():
    layer = Linear(3, 2, rng=np.random.default_rng(0), init=lambda shape, rng: np.full(shape, 0.5))
    assert np.array_equal(layer.weight.data, np.full((2, 3), 0.5))


# --- optimisers -----------------------------------------------------------------------

def _param(p0, g):
    p = Parameter(p0)
    p.grad[...] = g
    return p


def test_sgd_plain_momentum_and_weight_decay_by_hand(rng):
    p0, g1, g2, g3 = (rng.normal(size=(2, 3)) for _ in range(4))
    plain = _param(p0, g1)
    SGD([plain], lr=0.1).step()
    assert_allclose(plain.data, p0 - 0.1 * g1, rtol=1e-15)

    p = _param(p0, g1)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()                                   # v1 = g1 + λp0 (the first velocity is the gradient)
    v1 = g1 + 0.01 * p0
    p1 = p0 - 0.1 * v1
    assert_allclose(p.data, p1, rtol=1e-14)
    p.grad[...] = g2
    opt.step()                                   # v2 = μ v1 + (g2 + λ p1)
    v2 = 0.9 * v1 + g2 + 0.01 * p1
    p2 = p1 - 0.1 * v2
    assert_allclose(p.data, p2, rtol=1e-14)
    p.grad[...] = g3
    opt.step()
    v3 = 0.9 * v2 + g3 + 0.01 * p2
    assert_allclose(p.data, p2 - 0.1 * v3, rtol=1e-14)


def test_adam_by_hand_with_weight_decay(rng):
    p0 = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(3)]
    p = _param(p0, grads[0])
    lr, (b1, b2), eps, wd = 0.01, (0.8, 0.9), 1e-6, 0.05
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    want, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        p.grad[...] = g
        opt.step()
        gt = g + wd * want
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt ** 2
        want = want - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        assert_allclose(p.data, want, rtol=1e-13)


def test_adam_first_step_moves_each_weight_by_lr(rng):
    p0, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    p = _param(p0, g)
    Adam([p], lr=0.01).step()  # m̂ = g, √v̂ = |g|, so the step is lr·g/|g|
    assert_allclose(p.data, p0 - 0.01 * np.sign(g), rtol=1e-6)


def test_optimizer_zero_grad_and_lr(rng):
    model = _small_net(0)
    opt = SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad[...] = 1.0
    opt.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError, match="lr must be a finite number, got inf"):
        opt.lr = math.inf


def test_training_step_lowers_the_loss(rng):
    model, loss = _small_net(2), CrossEntropyLoss()
    x, y = rng.normal(size=(8, 1, 6, 6)), rng.integers(0, 3, size=8)
    for make in (lambda ps: SGD(ps, lr=0.2, momentum=0.5), lambda ps: Adam(ps, lr=0.01)):
        net = _small_net(2)
        opt = make(net.parameters())
        losses = []
        for _ in range(5):
            opt.zero_grad()
            losses.append(loss(net(x), y))
            net.backward(loss.backward())
            opt.step()
        assert losses[-1] < losses[0]
    assert model(x).shape == (8, 3)


# --- bad input ------------------------------------------------------------------------

R = np.random.default_rng(0)


def _ps():
    return Linear(2, 2, rng=R).parameters()


NONFINITE = [math.inf, -math.inf, math.nan]

BAD = [
    (lambda: Conv2d(0, 3, 3, rng=R), ValueError, "in_channels must be at least 1, got 0"),
    (lambda: Conv2d(1, 3, 0, rng=R), ValueError, "kernel_size must be at least 1, got 0"),
    (lambda: Conv2d(1, 3, 3, stride=0, rng=R), ValueError, "stride must be at least 1, got 0"),
    (lambda: Conv2d(1, 3, 3, padding=-1, rng=R), ValueError, "padding must not be negative, got -1"),
    (lambda: Conv2d(1, 3, 3, rng=None), ValueError, "rng must be a numpy Generator"),
    (lambda: Conv2d(1, 3, 3, rng=R, init="kaiming"), ValueError, "init must be one of"),
    (lambda: Conv2d(1, 3, 3, rng=R, init=3), ValueError, "init must be one of"),
    (lambda: Linear(4, 2, rng=R, init=lambda s, r: np.zeros(3)), ValueError, r"init returned shape \(3,\), expected \(2, 4\)"),
    (lambda: Linear(2.5, 2, rng=R), ValueError, "in_features must be an integer, got 2.5"),
    (lambda: Conv2d(3, 4, 3, rng=R)(np.ones((1, 2, 5, 5))), ValueError, "x has 2 channels"),
    (lambda: Conv2d(1, 4, 3, rng=R)(np.ones((5, 5))), ValueError, r"x must be 4-D \(N, C, H, W\), got shape \(5, 5\)"),
    (lambda: Linear(4, 2, rng=R)(np.ones((3, 5))), ValueError, "x has 5 features per row .* w expects 4"),
    (lambda: MaxPool2d(3)(np.ones((1, 1, 2, 2))), ValueError, "kernel height 3 does not fit input height 2"),
    (lambda: MaxPool2d(2, padding=2), ValueError, "pool padding 2 is more than half the window 2"),
    (lambda: ReLU().backward(np.ones(3)), RuntimeError, "ReLU.backward called before forward"),
    (lambda: Linear(2, 2, rng=R).backward(np.ones((1, 2))), RuntimeError, "Linear.backward called before forward"),
    (lambda: CrossEntropyLoss().backward(), RuntimeError, "before forward"),
    (lambda: CrossEntropyLoss("avg"), ValueError, "reduction must be 'mean' or 'sum', got 'avg'"),
    (lambda: SGD(_ps(), lr=0), ValueError, r"lr must be in \(0, ∞\), got 0"),
    (lambda: SGD(_ps(), lr=-1e-3), ValueError, r"lr must be in \(0, ∞\), got -0.001"),
    (lambda: SGD(_ps(), lr="0.1"), ValueError, "lr must be a finite number, got '0.1'"),
    (lambda: SGD(_ps(), lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\), got 1.0"),
    (lambda: SGD(_ps(), lr=0.1, weight_decay=-1), ValueError, r"weight_decay must be in \[0, ∞\), got -1"),
    (lambda: SGD(Linear(2, 2, rng=R), lr=0.1), ValueError, r"takes model.parameters\(\), not the model itself"),
    (lambda: SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: SGD([np.ones(3)], lr=0.1), ValueError, "optimiser parameter 0 is not a cnnbook.nn Parameter, got ndarray"),
    (lambda: SGD(Parameter(np.ones(2)), lr=0.1), ValueError, "not a single Parameter"),
    (lambda: SGD(5, lr=0.1), ValueError, "takes an iterable of Parameters, got 5"),
    (lambda: Adam(_ps(), betas=(0.9, 1.0)), ValueError, r"beta2 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(_ps(), betas=0.9), ValueError, "betas must be a pair"),
    (lambda: Adam(_ps(), betas="ab"), ValueError, "betas must be a pair"),
    (lambda: Adam(_ps(), eps=0), ValueError, r"eps must be in \(0, ∞\), got 0"),
    (lambda: Adam(_ps(), weight_decay=True), ValueError, "weight_decay must be a finite number, got True"),
    (lambda: Sequential(ReLU(), "relu"), ValueError, "module 1 must be a cnnbook.nn Module, got 'relu'"),
    (lambda: fan_in_fan_out((5,)), ValueError, r"at least 2 positive dimensions, got \(5,\)"),
]
for value in NONFINITE:  # every hyper-parameter of both optimisers, every non-finite value
    shown = repr(value)
    BAD += [
        (lambda v=value: SGD(_ps(), lr=v), ValueError, f"lr must be a finite number, got {shown}"),
        (lambda v=value: SGD(_ps(), lr=0.1, momentum=v), ValueError, f"momentum must be a finite number, got {shown}"),
        (lambda v=value: SGD(_ps(), lr=0.1, weight_decay=v), ValueError, f"weight_decay must be a finite number, got {shown}"),
        (lambda v=value: Adam(_ps(), lr=v), ValueError, f"lr must be a finite number, got {shown}"),
        (lambda v=value: Adam(_ps(), eps=v), ValueError, f"eps must be a finite number, got {shown}"),
        (lambda v=value: Adam(_ps(), betas=(v, 0.9)), ValueError, f"beta1 must be a finite number, got {shown}"),
        (lambda v=value: Adam(_ps(), betas=(0.9, v)), ValueError, f"beta2 must be a finite number, got {shown}"),
        (lambda v=value: Adam(_ps(), weight_decay=v), ValueError, f"weight_decay must be a finite number, got {shown}"),
    ]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input_says_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_sequential_names_the_failing_module():
    model = Sequential(Flatten(), Linear(12, 3, rng=R), ReLU(), Linear(4, 2, rng=R))
    with pytest.raises(ValueError, match=r"module 3 \(Linear\(in_features=4, out_features=2, bias=True\)\): "
                                         r"x has 3 features per row"):
        model(np.ones((2, 3, 2, 2)))


def test_modules_do_not_modify_their_input(rng):
    model, loss = _small_net(0), CrossEntropyLoss()
    x, y = rng.normal(size=(2, 1, 6, 6)), np.array([1, 0])
    keep = x.copy()
    loss(model(x), y)
    dlogits = loss.backward()
    dkeep = dlogits.copy()
    model.backward(dlogits)
    assert np.array_equal(x, keep) and np.array_equal(dlogits, dkeep)


def test_gradient_check_finds_right_and_wrong_backwards(rng):
    conv = Conv2d(2, 3, 3, stride=2, padding=1, rng=rng)
    conv.bias.data[...] = 0.3
    for p in conv.parameters():
        p.grad[...] = 5.0                              # left as it was
    errors = {k: cb.rel_error(*v) for k, v in nn_gradient_check(conv, rng.normal(size=(2, 2, 5, 5))).items()}
    assert list(errors) == ["x", "weight", "bias"] and max(errors.values()) < 1e-7
    assert all((p.grad == 5.0).all() for p in conv.parameters())
    model, loss = _small_net(3), CrossEntropyLoss()
    pairs = nn_gradient_check(model, rng.normal(size=(2, 1, 6, 6)), loss, np.array([0, 2]))
    assert list(pairs)[:3] == ["x", "0.weight", "0.bias"]
    assert max(cb.rel_error(*v) for v in pairs.values()) < 1e-6
    assert pairs["3.weight"][0].shape == model[3].weight.shape

    class WrongReLU(ReLU):                           # forgets f′: passes dout straight through
        def backward(self, dout):
            return np.asarray(dout)

    assert cb.rel_error(*nn_gradient_check(WrongReLU(), rng.normal(size=(3, 4)))["x"]) > 0.1
    with pytest.raises(ValueError, match="loss and targets together"):
        nn_gradient_check(model, np.zeros((1, 1, 6, 6)), loss)
    with pytest.raises(ValueError, match="needs a cnnbook.nn Module"):
        nn_gradient_check(len, np.zeros(3))
