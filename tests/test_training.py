"""cnnbook.training: a short seeded run on the digits learns (a correctness test, not a
timing test), runs are reproducible, and the helpers do what their docstrings say."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from cnnbook import training
from cnnbook.data import Dataset, load_digits
from cnnbook.layers import SGD, Adam, Conv2D, Dense, SoftmaxCrossEntropy
from cnnbook.training import (
    History, cosine_schedule, digits_network, evaluate, fit, lenet5, network_for, predict,
    random_shift, train_network,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(autouse=True, scope="module")
def blas_on_one_thread():
    """As ``python -m cnnbook train`` does (see ``training.one_blas_thread``)."""
    with training.one_blas_thread():
        yield


def test_short_seeded_run_on_the_digits_learns(digits):
    model = digits_network(seed=0)
    history = fit(model, SoftmaxCrossEntropy(), Adam(model, lr=2e-3),
                  (digits.x_train, digits.y_train), (digits.x_test, digits.y_test),
                  epochs=3, batch_size=32, seed=0, progress=False)
    assert isinstance(history, History) and history.epochs == 3
    assert len(history.test_accuracy) == len(history.test_loss) == len(history.seconds) == 3
    assert history.loss[-1] < history.loss[0] < np.log(10) + 0.5
    assert history.test_loss[-1] < history.test_loss[0]
    assert history.test_accuracy[-1] >= 0.9  # modest: the full run reaches ≥ 0.98
    assert history.lr == [2e-3] * 3
    loss, acc = evaluate(model, digits.x_test, digits.y_test)
    assert (loss, acc) == (history.test_loss[-1], history.test_accuracy[-1])


def test_runs_are_reproducible_and_leave_the_global_rng_alone(digits):
    state = np.random.get_state()[1].copy()
    subset = Dataset(digits.x_train[:200], digits.y_train[:200], digits.x_test[:50], digits.y_test[:50])
    runs = [train_network(subset, epochs=2, seed=3, progress=False) for _ in range(2)]
    (m1, h1), (m2, h2) = runs
    assert h1.loss == h2.loss and h1.test_accuracy == h2.test_accuracy
    for (n1, p1, _), (n2, p2, _) in zip(m1.parameters(), m2.parameters()):
        assert n1 == n2 and np.array_equal(p1, p2)
    _, h3 = train_network(subset, epochs=2, seed=4, progress=False)
    assert h3.loss != h1.loss
    assert np.array_equal(np.random.get_state()[1], state)


def test_lr_schedule_and_progress_bar(digits, capsys):
    model = digits_network(seed=1)
    opt = SGD(model, lr=0.1, momentum=0.9)
    history = fit(model, SoftmaxCrossEntropy(), opt, (digits.x_train[:64], digits.y_train[:64]),
                  epochs=2, batch_size=16, progress=True, augment=random_shift,
                  lr_schedule=cosine_schedule(0.1, 2))
    assert_allclose(history.lr, [0.1, 0.05])
    assert history.test_accuracy == [] and history.epochs == 2
    assert "epoch 2/2" in capsys.readouterr().err  # tqdm writes to stderr


def test_networks_and_their_shapes(rng):
    model = digits_network(seed=0)
    assert model.forward(rng.random((3, 1, 8, 8))).shape == (3, 10)
    assert [n for n, _, _ in model.parameters()][:2] == ["0.weight", "0.bias"]
    net = lenet5(seed=0)
    assert net.forward(rng.random((2, 1, 28, 28))).shape == (2, 10)
    sizes = [p.size for _, p, _ in net.parameters()]
    assert sum(sizes) == 61706  # LeNet-5 with full C3 connections: 156 + 2416 + 48120 + 10164 + 850
    same = [p for _, p, _ in digits_network(seed=0).parameters()]
    assert all(np.array_equal(a, b) for (_, a, _), b in zip(model.parameters(), same))
    assert network_for((1, 8, 8))["network"] is digits_network
    assert network_for((1, 28, 28))["network"] is lenet5
    with pytest.raises(ValueError, match="no network for images of shape 1×20×20"):
        network_for((1, 20, 20))


def test_predict_is_the_argmax_of_the_logits(rng):
    model = digits_network(seed=2)
    x = rng.random((7, 1, 8, 8))
    assert_array_equal(predict(model, x, batch_size=3), model.forward(x).argmax(axis=1))


def test_train_network_on_28x28_uses_lenet5(rng):
    data = Dataset(rng.random((40, 1, 28, 28)), np.arange(40) % 10, rng.random((10, 1, 28, 28)), np.arange(10))
    model, history = train_network(data, epochs=1, progress=False)
    assert isinstance(model[0], Conv2D) and model[0].params["weight"].shape == (6, 1, 5, 5)
    assert isinstance(model[-1], Dense) and history.epochs == 1


def test_random_shift_moves_whole_images():
    x = np.arange(2 * 9, dtype=float).reshape(2, 1, 3, 3) + 1

    class Fixed:  # dy = (1, -1), then dx = (1, -1)
        def integers(self, low, high, size):
            return np.array([1, -1])

    out = random_shift(x, Fixed())
    assert_array_equal(out[0, 0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])          # down, right
    assert_array_equal(out[1, 0], [[14, 15, 0], [17, 18, 0], [0, 0, 0]])      # up, left
    rng = np.random.default_rng(0)
    y = random_shift(np.ones((50, 2, 4, 4)), rng, max_shift=2)
    assert y.shape == (50, 2, 4, 4) and set(np.unique(y)) <= {0.0, 1.0}
    assert_array_equal(random_shift(x, rng, max_shift=0), x)


def test_cosine_schedule():
    s = cosine_schedule(0.1, 4)
    assert_allclose([s(e) for e in range(4)], [0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05,
                                               0.1 * (1 + np.cos(3 * np.pi / 4)) / 2])


@pytest.mark.parametrize("kwargs, match", [
    ({"train": (np.ones((4, 1, 8, 8)), np.zeros(3, dtype=int))}, "train has 4 images but 3 labels"),
    ({"train": (np.ones((4, 8, 8)), np.zeros(4, dtype=int))}, r"train images must be 4-D \(N, C, H, W\)"),
    ({"train": (np.ones((4, 1, 8, 8)), np.zeros(4))}, "train labels must be a 1-D array of class indices"),
    ({"train": np.ones((4, 1, 8, 8))}, r"train must be a pair \(x, y\)"),
    ({"epochs": 0}, "epochs must be at least 1, got 0"),
    ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
    ({"lr_schedule": lambda e: 0.1, "optimizer": object()}, "lr_schedule needs an optimiser with an lr"),
])
def test_fit_bad_input(kwargs, match):
    model = digits_network(seed=0)
    args = {"model": model, "loss": SoftmaxCrossEntropy(), "optimizer": Adam(model),
            "train": (np.zeros((4, 1, 8, 8)), np.zeros(4, dtype=int)), "progress": False}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(**args)


def test_input_gradient_is_each_images_own_loss_gradient(rng):
    from cnnbook import numerical_gradient, rel_error, softmax_cross_entropy
    from cnnbook.training import input_gradient

    model = digits_network(seed=5)
    x = rng.random((3, 1, 8, 8))
    targets = np.array([4, 0, 7])
    before = [p.copy() for _, p, _ in model.parameters()]
    dx = input_gradient(model, x, targets)
    assert dx.shape == x.shape
    assert all(np.array_equal(a, p) for a, (_, p, _) in zip(before, model.parameters()))
    for n in range(3):  # image n's gradient is that of its own loss, whatever the batch
        numeric = numerical_gradient(
            lambda v: softmax_cross_entropy(model.forward(v), targets[n:n + 1]), x[n:n + 1])
        assert rel_error(dx[n:n + 1], numeric) < 1e-6
        assert_allclose(input_gradient(model, x[n:n + 1], targets[n:n + 1]), dx[n:n + 1],
                        rtol=1e-12, atol=1e-15)
    other = input_gradient(model, x, np.array([1, 1, 1]))
    assert not np.allclose(other, dx)  # another target class, another sensitivity map
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        input_gradient(model, x, targets[:2])
    with pytest.raises(ValueError, match="target class 10 is out of range"):
        input_gradient(model, x, np.array([0, 10, 1]))
