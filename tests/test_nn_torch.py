"""cnnbook.nn against torch.nn and torch.optim (float64). Skipped without torch.

The digits network is built in both libraries; cnnbook's takes torch's weights through
``load_state_dict`` (torch's keys and shapes), and everything a training step produces —
logits, loss, ∂E/∂logits, every parameter's gradient, ∂E/∂x, and the weights after three
optimiser steps (SGD with momentum and weight decay; Adam with weight decay) — agrees
to 1e-10.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from cnnbook import nn
from cnnbook.training import digits_network, lenet5

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch
TOL = dict(rtol=1e-10, atol=1e-10)


def torch_digits_network():
    """training.digits_network, written with torch.nn."""
    tn = torch.nn
    return tn.Sequential(
        tn.Conv2d(1, 32, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(32, 64, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2),
        tn.Flatten(),
        tn.Linear(64 * 2 * 2, 128), tn.ReLU(),
        tn.Linear(128, 10),
    ).double()


def torch_lenet5():
    tn = torch.nn
    return tn.Sequential(
        tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(6, 16, 5), tn.ReLU(), tn.MaxPool2d(2), tn.Flatten(),
        tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84), tn.ReLU(), tn.Linear(84, 10),
    ).double()


def _as_numpy(state_dict):
    return {k: v.detach().numpy() for k, v in state_dict.items()}


def _batch(rng, n=16):
    # random pixels: no ReLU input sits exactly on the kink, no pooling window ties
    return rng.uniform(0.0, 1.0, size=(n, 1, 8, 8)), rng.integers(0, 10, size=n)


@pytest.fixture
def pair():
    torch.manual_seed(0)
    theirs = torch_digits_network()
    ours = digits_network(seed=1)                    # other weights, then torch's loaded
    ours.load_state_dict(_as_numpy(theirs.state_dict()))
    return ours, theirs


def test_state_dict_keys_shapes_and_loading(pair):
    ours, theirs = pair
    t_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(t_state)                    # "0.weight", "0.bias", "3.weight", …
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for name, p in ours.named_parameters():
        assert p.data.shape == tuple(t_state[name].shape)
        assert np.array_equal(p.data, t_state[name].numpy())
    # and back: torch loads cnnbook's state_dict
    back = torch_digits_network()
    back.load_state_dict({k: torch.from_numpy(v) for k, v in digits_network(seed=2).state_dict().items()})
    assert np.array_equal(back[0].weight.detach().numpy(), digits_network(seed=2)[0].weight.data)


def test_reprs_read_like_torch(pair):
    ours, theirs = pair
    for i in (0, 1, 3, 7, 9):
        assert repr(ours[i]) == repr(theirs[i]), i
    assert repr(nn.Conv2d(6, 16, 5, rng=np.random.default_rng(0))) == repr(torch.nn.Conv2d(6, 16, 5))
    assert repr(nn.Conv2d(3, 8, (3, 2), stride=2, padding=(1, 0), bias=False, rng=np.random.default_rng(0))) \
        == repr(torch.nn.Conv2d(3, 8, (3, 2), stride=2, padding=(1, 0), bias=False))


def test_forward_loss_and_every_gradient_agree(pair, rng):
    ours, theirs = pair
    x, y = _batch(rng)
    tx = torch.tensor(x, requires_grad=True)
    t_logits = theirs(tx)
    t_logits.retain_grad()
    t_loss = torch.nn.CrossEntropyLoss()(t_logits, torch.tensor(y))
    t_loss.backward()

    criterion = nn.CrossEntropyLoss()
    logits = ours(x)
    loss = criterion(logits, y)
    dlogits = criterion.backward()
    dx = ours.backward(dlogits)

    assert_allclose(logits, t_logits.detach().numpy(), **TOL)
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert_allclose(dlogits, t_logits.grad.numpy(), **TOL)
    assert_allclose(dx, tx.grad.numpy(), **TOL)
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_allclose(p.grad, t_params[name].grad.numpy(), **TOL, err_msg=name)


def test_gradients_accumulate_like_torch(pair, rng):
    ours, theirs = pair
    criterion = nn.CrossEntropyLoss()
    for _ in range(2):                              # two backward passes, no zero_grad between
        x, y = _batch(rng, 4)
        torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        criterion(ours(x), y)
        ours.backward(criterion.backward())
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_allclose(p.grad, t_params[name].grad.numpy(), **TOL, err_msg=name)
    ours.zero_grad()
    theirs.zero_grad()
    assert all(not p.grad.any() for p in ours.parameters())


OPTIMISERS = {
    "sgd-momentum-weight-decay": (
        lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3)),
    "sgd-plain": (
        lambda ps: nn.SGD(ps, lr=0.1),
        lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "adam": (
        lambda ps: nn.Adam(ps, lr=2e-3),
        lambda ps: torch.optim.Adam(ps, lr=2e-3)),
    "adam-betas-eps-weight-decay": (
        lambda ps: nn.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=1e-2),
        lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=1e-2)),
}


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_three_optimiser_steps_agree(name, pair, rng):
    ours, theirs = pair
    make_ours, make_theirs = OPTIMISERS[name]
    opt, t_opt = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    criterion, t_criterion = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for step in range(3):
        x, y = _batch(rng)
        opt.zero_grad()
        loss = criterion(ours(x), y)
        ours.backward(criterion.backward())
        opt.step()
        t_opt.zero_grad()
        t_loss = t_criterion(theirs(torch.tensor(x)), torch.tensor(y))
        t_loss.backward()
        t_opt.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-10), step
    t_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        assert_allclose(value, t_state[key].numpy(), **TOL, err_msg=key)


def test_lenet5_and_the_other_modules_agree(rng):
    torch.manual_seed(1)
    theirs = torch_lenet5()
    ours = lenet5(seed=0)
    ours.load_state_dict(_as_numpy(theirs.state_dict()))
    x = rng.uniform(size=(3, 1, 28, 28))
    assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), **TOL)

    tn, g = torch.nn, np.random.default_rng(3)
    mixed_t = tn.Sequential(tn.Conv2d(2, 3, (3, 2), stride=2, padding=1, bias=False), tn.Tanh(),
                            tn.AvgPool2d(2, stride=1), tn.Flatten(), tn.Linear(3 * 3 * 3, 4), tn.Sigmoid(),
                            tn.Linear(4, 5, bias=False)).double()
    mixed = nn.Sequential(nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, bias=False, rng=g), nn.Tanh(),
                          nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(27, 4, rng=g), nn.Sigmoid(),
                          nn.Linear(4, 5, bias=False, rng=g))
    mixed.load_state_dict(_as_numpy(mixed_t.state_dict()))
    x = rng.normal(size=(2, 2, 7, 6))
    tx = torch.tensor(x, requires_grad=True)
    out_t = mixed_t(tx)
    dout = rng.normal(size=tuple(out_t.shape))
    out_t.backward(torch.tensor(dout))
    assert_allclose(mixed(x), out_t.detach().numpy(), **TOL)
    assert_allclose(mixed.backward(dout), tx.grad.numpy(), **TOL)
    t_params = dict(mixed_t.named_parameters())
    for name, p in mixed.named_parameters():
        assert_allclose(p.grad, t_params[name].grad.numpy(), **TOL, err_msg=name)
