"""cnnbook.training: a short seeded run on the digits learns (a correctness test, not a
timing test), runs are reproducible, and the helpers do what their docstrings say."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from cnnbook import training
from cnnbook.data import Dataset, load_digits, validation_split
from cnnbook.nn import SGD, Adam, Conv2d, CrossEntropyLoss, Linear
from cnnbook.training import (
    History, SeedStudy, confusion_matrix, cosine_schedule, digits_network, evaluate, fit, lenet5,
    network_for, predict, predict_logits, random_shift, seed_study, train_network,
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
    fit_part, val_part = validation_split(digits.x_train, digits.y_train, 0.2, seed=0)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=2e-3),
                  fit_part, val_part, epochs=3, batch_size=32, seed=0, progress=False)
    assert isinstance(history, History) and history.epochs == 3
    assert len(history.val_accuracy) == len(history.val_loss) == len(history.seconds) == 3
    assert history.loss[-1] < history.loss[0] < np.log(10) + 0.5
    assert history.val_loss[-1] < history.val_loss[0]
    assert history.val_accuracy[-1] >= 0.9  # modest: the full run reaches ≥ 0.98
    assert history.lr == [2e-3] * 3
    loss, acc = evaluate(model, *val_part)
    assert (loss, acc) == (history.val_loss[-1], history.val_accuracy[-1])


def test_runs_are_reproducible_and_leave_the_global_rng_alone(digits):
    state = np.random.get_state()[1].copy()
    subset = Dataset(digits.x_train[:200], digits.y_train[:200], digits.x_test[:50], digits.y_test[:50])
    runs = [train_network(subset, epochs=2, seed=3, progress=False) for _ in range(2)]
    (m1, h1), (m2, h2) = runs
    assert h1.loss == h2.loss and h1.val_accuracy == h2.val_accuracy
    for (n1, p1), (n2, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        assert n1 == n2 and np.array_equal(p1.data, p2.data)
    _, h3 = train_network(subset, epochs=2, seed=4, progress=False)
    assert h3.loss != h1.loss
    assert np.array_equal(np.random.get_state()[1], state)


def test_lr_schedule_and_progress_bar(digits, capsys):
    model = digits_network(seed=1)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, CrossEntropyLoss(), opt, (digits.x_train[:64], digits.y_train[:64]),
                  epochs=2, batch_size=16, progress=True, augment=random_shift,
                  lr_schedule=cosine_schedule(0.1, 2))
    assert_allclose(history.lr, [0.1, 0.05])
    assert history.val_accuracy == [] and history.epochs == 2
    assert "epoch 2/2" in capsys.readouterr().err  # tqdm writes to stderr


def test_networks_and_their_shapes(rng):
    model = digits_network(seed=0)
    assert model.forward(rng.random((3, 1, 8, 8))).shape == (3, 10)
    assert [n for n, _ in model.named_parameters()][:2] == ["0.weight", "0.bias"]
    net = lenet5(seed=0)
    assert net.forward(rng.random((2, 1, 28, 28))).shape == (2, 10)
    sizes = [p.size for p in net.parameters()]
    assert sum(sizes) == 61706  # LeNet-5 with full C3 connections: 156 + 2416 + 48120 + 10164 + 850
    same = [p.data for p in digits_network(seed=0).parameters()]
    assert all(np.array_equal(a.data, b) for a, b in zip(model.parameters(), same))
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
    assert isinstance(model[0], Conv2d) and model[0].weight.shape == (6, 1, 5, 5)
    assert isinstance(model[-1], Linear) and history.epochs == 1 and len(history.val_accuracy) == 1


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
    ({"optimizer": object()}, r"optimizer must have zero_grad\(\) and step\(\)"),
    ({"train": (np.ones((0, 1, 8, 8)), np.zeros(0, dtype=int))}, "train is empty: 0 images"),
    ({"validation": (np.ones((2, 1, 8, 8)), np.zeros(3, dtype=int))}, "validation has 2 images but 3 labels"),
])
def test_fit_bad_input(kwargs, match):
    model = digits_network(seed=0)
    args = {"model": model, "loss": CrossEntropyLoss(), "optimizer": Adam(model.parameters()),
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
    for p in model.parameters():
        p.grad[...] = rng.normal(size=p.shape)   # whatever a training step left there
    before = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
    dx = input_gradient(model, x, targets)
    assert dx.shape == x.shape
    assert all(np.array_equal(d, p.data) and np.array_equal(g, p.grad)
               for (d, g), p in zip(before, model.parameters()))
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


def test_validation_split_is_stratified_seeded_and_disjoint(digits):
    x, y = digits.x_train, digits.y_train
    (xf, yf), (xv, yv) = validation_split(x, y, 0.2, seed=0)
    assert len(yv) == round(0.2 * len(y)) and len(yf) + len(yv) == len(y)
    assert_array_equal(np.bincount(yf) + np.bincount(yv), np.bincount(y))
    assert np.all(np.abs(np.bincount(yv) - 0.2 * np.bincount(y)) <= 1)   # each class cut 80/20
    again = validation_split(x, y, 0.2, seed=0)
    assert_array_equal(again[1][1], yv) and np.array_equal(again[1][0], xv)
    other = validation_split(x, y, 0.2, seed=1)
    assert not np.array_equal(other[1][0], xv)
    # disjoint and complete: as index sets
    idx = np.arange(len(y))
    (f_idx, _), (v_idx, _) = validation_split(idx, y, 0.2, seed=3)
    assert set(f_idx).isdisjoint(v_idx) and set(f_idx) | set(v_idx) == set(idx)


@pytest.mark.parametrize("args, match", [
    ((np.ones((5, 2)), np.zeros(4, dtype=int), 0.2), "needs N images and N labels"),
    ((np.ones((5, 2)), np.zeros(5, dtype=int), 1.5), "fraction must be a number between 0 and 1, got 1.5"),
    ((np.ones((5, 2)), np.zeros(5, dtype=int), "0.2"), "fraction must be a number between 0 and 1, got '0.2'"),
    ((np.ones((2, 2)), np.zeros(2, dtype=int), 0.1), "fraction 0.1 of 2 images leaves 0 for validation"),
])
def test_validation_split_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        validation_split(*args)


def test_train_network_never_sees_the_test_set(digits):
    """The test images are replaced by NaN: a run that looked at them would fail or produce NaN."""
    poisoned = Dataset(digits.x_train[:200], digits.y_train[:200],
                       np.full((5, 1, 8, 8), np.nan), np.zeros(5, dtype=np.int64))
    model, history = train_network(poisoned, epochs=1, seed=0, progress=False)
    assert np.isfinite(history.loss + history.val_loss).all() and len(history.val_accuracy) == 1
    (_, _), (xv, yv) = validation_split(poisoned.x_train, poisoned.y_train, 0.2, seed=0)
    assert history.val_accuracy[-1] == evaluate(model, xv, yv)[1]
    _, h_all = train_network(poisoned, epochs=1, seed=0, progress=False, validation=None)
    assert h_all.val_accuracy == []


def test_seed_study_is_train_network_then_one_test_evaluation(digits):
    def load(seed):  # a small stand-in for load_digits(seed=seed): its own split per seed
        order = np.random.default_rng(seed).permutation(300)
        x, y = digits.x_train[order], digits.y_train[order]
        return Dataset(x[:240], y[:240], x[240:], y[240:])

    seen = []
    study = seed_study([3, 5], load=load, epochs=2, report=seen.append)
    assert isinstance(study, SeedStudy) and [r.seed for r in study.runs] == [3, 5] and seen == study.runs
    for run in study.runs:
        data = load(run.seed)
        model, history = train_network(data, epochs=2, seed=run.seed, progress=False)
        assert run.test_accuracy == evaluate(model, data.x_test, data.y_test)[1]
        assert run.val_accuracy == history.val_accuracy[-1]
    acc = np.array([r.test_accuracy for r in study.runs])
    assert study.mean == pytest.approx(acc.mean()) and study.std == pytest.approx(acc.std(ddof=1))
    assert study.summary() == f"{acc.mean():.4f} ± {acc.std(ddof=1):.4f} (mean ± standard deviation over 2 seeds)"
    one = SeedStudy(study.runs[:1])
    assert one.std == 0.0 and one.summary().endswith("over 1 seed)")


@pytest.mark.parametrize("seeds, match", [
    (5, "seeds must be a list of seeds such as range"),
    ([], "seeds is empty"),
    ([0, -1], "seed must not be negative, got -1"),
])
def test_seed_study_bad_seeds(seeds, match):
    with pytest.raises(ValueError, match=match):
        seed_study(seeds)


def test_confusion_matrix():
    c = confusion_matrix(np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1]))
    assert_array_equal(c, [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    assert confusion_matrix(np.array([1]), np.array([1]), classes=10).shape == (10, 10)
    with pytest.raises(ValueError, match="same non-zero length"):
        confusion_matrix(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match="out of range for classes=2"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), classes=2)
    with pytest.raises(ValueError, match="labels must be a 1-D array of class indices"):
        confusion_matrix(np.array([0.5]), np.array([0]))


# --- bad input: the holes of issue 14 ----------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: random_shift(np.zeros((2, 1, 8, 8)), None), "rng must be a numpy Generator .* got None"),
    (lambda: cosine_schedule("a", 2), "lr must be a finite number, got 'a'"),
    (lambda: cosine_schedule(float("inf"), 2), "lr must be a finite number, got inf"),
    (lambda: cosine_schedule(float("nan"), 2), "lr must be a finite number, got nan"),
    (lambda: cosine_schedule(0.1, 2, final=float("nan")), "final must be a finite number, got nan"),
    (lambda: cosine_schedule(0.1, 2, final=0.5), "final must be between 0 and lr = 0.1, got 0.5"),
    (lambda: cosine_schedule(-0.1, 2), "lr must be positive, got -0.1"),
    (lambda: cosine_schedule(0.1, "2"), "epochs must be an integer, got '2'"),
    (lambda: train_network((np.zeros((4, 1, 8, 8)), np.zeros(4, dtype=int)), progress=False),
     r"data must be a cnnbook.data.Dataset \(x_train, y_train, x_test, y_test\), got tuple"),
    (lambda: train_network(load_digits(), lr=float("inf"), progress=False), "lr must be a finite number, got inf"),
    (lambda: predict(digits_network(0), np.zeros((0, 1, 8, 8))), r"x holds no images \(shape \(0, 1, 8, 8\)\): nothing to predict"),
    (lambda: predict_logits(digits_network(0), np.zeros((0, 1, 8, 8))), "nothing to predict"),
    (lambda: evaluate(digits_network(0), np.zeros((0, 1, 8, 8)), np.zeros(0, dtype=int)), "the evaluation set is empty"),
])
def test_bad_input_names_the_argument_and_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fit_runs_without_tqdm(digits, monkeypatch, capsys):
    """progress=True and no tqdm installed: training runs, without a bar."""
    import sys
    for name in [m for m in sys.modules if m == "tqdm" or m.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tqdm", None)       # import tqdm → ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model = digits_network(seed=0)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters()), (digits.x_train[:40], digits.y_train[:40]),
                  epochs=1, progress=True)
    assert history.epochs == 1 and capsys.readouterr().err == ""


def test_recorded_seed_study_is_what_seed_study_computes():
    """The numbers chapter 10 shows are seed_study's: re-run seed 0 (all ten seeds with
    CNNBOOK_VERIFY_STUDY=1) with every default and compare, to within one digit (another CPU
    or BLAS may round the last bits of 900 steps differently)."""
    import os

    recorded = training.recorded_seed_study()
    assert [r.seed for r in recorded.runs] == list(range(10))
    acc = np.array([t for _, _, t in training.RECORDED_DIGITS_STUDY]) / 360
    assert recorded.mean == pytest.approx(acc.mean()) and recorded.std == pytest.approx(acc.std(ddof=1))
    assert recorded.summary() == "0.9856 ± 0.0041 (mean ± standard deviation over 10 seeds)"
    seeds = range(10) if os.environ.get("CNNBOOK_VERIFY_STUDY") == "1" else [0]
    with training.one_blas_thread():
        fresh = seed_study(seeds)
    for run in fresh.runs:
        want = recorded.runs[run.seed]
        assert abs(run.test_accuracy - want.test_accuracy) <= 1 / 360 + 1e-12, run
        assert abs(run.val_accuracy - want.val_accuracy) <= 1 / 287 + 1e-12, run
