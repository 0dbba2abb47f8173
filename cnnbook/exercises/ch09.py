"""Chapter 9 — layers chained into a network."""
from __future__ import annotations

import numpy as np

from .. import sigmoid_backward, softmax
from ..nn import SGD, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ._core import Exercise, close, number, same_array, whole


def _tiny(filters2=3, dense_in=None):
    """The chapter's `tiny_network` with ``filters2`` filters in the second convolution."""
    g = np.random.default_rng(0)
    layers = [Conv2d(1, 2, 3, padding=1, rng=g), ReLU(), MaxPool2d(2),
              Conv2d(2, filters2, 3, padding=1, rng=g), ReLU(), MaxPool2d(2), Flatten()]
    return Sequential(*layers, Linear(dense_in or filters2 * 2 * 2, 8, rng=g), ReLU(),
                      Linear(8, 10, rng=g))


def _count(model):
    return sum(p.data.size for p in model.parameters())


def _test_q1(answer):
    value = whole(answer)
    if value is None:
        return "A number of parameters is a whole number"
    if value == _count(_tiny(filters2=4)):
        return True
    if value == _count(_tiny(filters2=4, dense_in=3 * 2 * 2)):
        return "The first Linear layer still takes 3·2·2 inputs in your count — the flattened vector grew"
    if value == _count(_tiny(filters2=3)):
        return "That is the original network's count"
    if value == _count(_tiny(filters2=4)) - 4:
        return "Count the 4 new biases too"
    return False


def _flat_length(size):
    conv_part = _tiny()[:7]                                    # up to and including Flatten
    return conv_part.forward(np.zeros((1, 1, size, size))).shape[1]


def _test_q2(answer):
    value = whole(answer)
    if value is None:
        return "A length is a whole number"
    if value == _flat_length(12):
        return True
    if value == _flat_length(8):
        return "That is the length for 8×8 images"
    if value == 3 * 6 * 6:
        return "That pools once; the network pools twice"
    if value == 12 * 12:
        return "That is the image's size; the convolutions make 3 maps and the pools shrink them"
    return False


def _test_q3(answer):
    if number(answer) is None:
        return "Give one number"
    a, dout = 0.8, 2.0
    x = np.log(a / (1.0 - a))                                  # the input whose sigmoid is a
    if close(answer, sigmoid_backward(np.array([dout]), np.array([x]))[0]):
        return True
    if close(answer, sigmoid_backward(np.array([dout]), np.array([a]))[0]):
        return "That is σ′ evaluated at 0.8 as if 0.8 were the input; 0.8 is the output a = σ(x)"
    if close(answer, a * (1.0 - a)):
        return "That is σ′ alone; the dout arriving there multiplies it"
    if close(answer, dout * a):
        return "That multiplies by the output a; the factor is the sigmoid's derivative"
    return False


def _loss_gradient(reduction):
    """∂E/∂z of softmax cross-entropy for z = 0 (2×4), targets [2, 0]: (p − onehot)/N or summed."""
    z, targets = np.zeros((2, 4)), np.array([2, 0])
    grad = softmax(z) - np.eye(4)[targets]
    return grad / len(targets) if reduction == "mean" else grad


def _test_q4(answer):
    expected = _loss_gradient("mean")
    if np.shape(answer) != expected.shape:
        return "One row per sample, one column per class: a 2×4 array"
    if same_array(answer, expected):
        return True
    if same_array(answer, _loss_gradient("sum")):
        return "That is p − onehot for each sample; the mean over the batch divides it by N"
    if same_array(answer, -np.asarray(_loss_gradient("mean"))):
        return "Check the sign: E = −log p_t falls when the target's logit grows"
    return False


def _twice_factor():
    """Call backward twice, step once, and measure how far the weights moved, in units of lr·g."""
    probe = Linear(3, 2, rng=np.random.default_rng(5))
    x = np.random.default_rng(6).normal(size=(4, 3))
    dout = np.random.default_rng(7).normal(size=(4, 2))
    probe(x)
    probe.backward(dout)
    g_once = probe.weight.grad.copy()
    probe.backward(dout)
    before = probe.weight.data.copy()
    SGD(probe.parameters(), lr=0.1).step()
    return float(np.mean((before - probe.weight.data) / (0.1 * g_once)))


def _test_q5(answer):
    if number(answer) is None:
        return "Give one number"
    if close(answer, _twice_factor()):
        return True
    if close(answer, 0.0, atol=1e-9):
        return "The weight does move: SGD steps by −lr·.grad"
    if close(answer, 0.5 * _twice_factor()):
        return ("That assumes the second backward writes over .grad — read what a module's backward "
                "does with a gradient (cnnbook.nn: it adds, as torch does)")
    return False


EXERCISES = [
    Exercise(
        key="ch09.q1",
        question="In `tiny_network`, give the second convolution (layer 3) **4** filters instead of 3 "
                 "and change nothing else that need not change. How many trainable numbers (weights "
                 "and biases) does the whole network have then? (Hint: which other layer has to "
                 "change?)",
        test=_test_q1,
        hint="count layer by layer: a convolution has F·C·K² weights and F biases, a Linear layer "
             "D_out·D_in + D_out — and ask which layer reads what the changed one makes (§2, §6)",
        solution="322. conv1: 2·1·3·3 + 2 = 20; conv2: 4·2·3·3 + 4 = 76; the first Linear now takes "
                 "4·2·2 = 16 inputs: 8·16 + 8 = 136; the last Linear 10·8 + 10 = 90. 20 + 76 + 136 + 90 "
                 "= 322 (the original has 271).",
        answer=322,
        wrong=290,
    ),
    Exercise(
        key="ch09.q2",
        question="Feed `tiny_network` 12×12 images instead of 8×8. What is the shape of one sample "
                 "after the `Flatten` layer, i.e. how many `in_features` would the first `Linear` layer "
                 "need? (An integer.)",
        test=_test_q2,
        hint="follow the size through every layer: padding 1 keeps a 3×3 convolution's size, "
             "each 2×2 pooling halves it (floor); then multiply C·H·W (§5)",
        solution="27. 12×12 → conv (padding 1) 12×12 → pool 6×6 → conv 6×6 → pool 3×3, with 3 maps: "
                 "3·3·3 = 27.",
        answer=27,
        wrong=12,
    ),
    Exercise(
        key="ch09.q3",
        question="A sigmoid layer caches only its **output**, not its input. One of its outputs is "
                 "$a = 0.8$ and the `dout` arriving there is 2.0. What is $\\partial E/\\partial x$ at "
                 "that entry?",
        test=_test_q3,
        hint="the sigmoid's derivative can be written with its output alone, and ∂E/∂x is what "
             "arrives times that derivative (§3)",
        solution="0.32. σ′(x) = a(1 − a) = 0.8 · 0.2 = 0.16, and ∂E/∂x = dout · σ′ = 2.0 · 0.16 = 0.32.",
        answer=0.32,
        wrong=0.428,
    ),
    Exercise(
        key="ch09.q4",
        question="Two samples, four classes, all logits 0: `z = np.zeros((2, 4))`, targets `[2, 0]`, "
                 "`reduction=\"mean\"`. Write down $\\partial E/\\partial z$ (a 2×4 array) by hand.",
        test=_test_q4,
        hint="softmax followed by cross-entropy gives p − onehot(t) for each sample; what are p "
             "when all logits are equal, and what does the batch mean do? (§7)",
        solution="[[0.125, 0.125, -0.375, 0.125], [-0.375, 0.125, 0.125, 0.125]]. p = 1/4 everywhere; "
                 "p − onehot puts 1/4 − 1 = −3/4 at the target and 1/4 elsewhere; the mean over N = 2 "
                 "samples halves it.",
        answer=[[0.125, 0.125, -0.375, 0.125], [-0.375, 0.125, 0.125, 0.125]],
        wrong=[[0.25, 0.25, -0.75, 0.25], [-0.75, 0.25, 0.25, 0.25]],
    ),
    Exercise(
        key="ch09.q5",
        question="After one `forward`, you call `model.backward(dout)` **twice** with the same `dout` "
                 "and then `SGD(model.parameters(), lr=0.1).step()`. A weight whose gradient (from one backward) is "
                 "$g$ moves by $-k\\cdot 0.1\\cdot g$. What is $k$?",
        test=_test_q5,
        hint="does backward add to .grad or write over it? Why does a training step start with "
             "zero_grad()? (§10)",
        solution="2. cnnbook.nn's backward adds into .grad, as torch's does, so the second call leaves "
                 "2g, and SGD moves the weight by −0.1·2g. That is why a training step begins with "
                 "optimizer.zero_grad().",
        answer=2,
        wrong=1,
    ),
]


# --- ch09.implement: ∂E/∂logits of the batch-mean softmax cross-entropy -------------------

from .. import log_softmax as _log_softmax, numerical_gradient             # noqa: E402
from .. import softmax as _softmax                                          # noqa: E402
from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._solutions import my_cross_entropy_backward, source                   # noqa: E402

# (N, M, scale): one sample first, then a batch, many classes, and logits large enough that
# an unshifted exp overflows.
_CE_SETTINGS = [(1, 3, 1.0), (2, 4, 1.0), (4, 3, 2.0), (3, 5, 1.0), (5, 2, 1.0), (1, 6, 3.0),
                (6, 4, 1.0), (3, 3, 1000.0), (4, 10, 5.0), (2, 7, 800.0)]


def _ce_cases(rng):
    settings = list(_CE_SETTINGS)
    while len(settings) < 22:
        settings.append((int(rng.integers(1, 7)), int(rng.integers(2, 8)),
                         float(rng.choice([0.5, 1.0, 3.0]))))
    cases = []
    for N, M, scale in settings:
        logits = scale * rng.normal(size=(N, M))
        targets = rng.integers(0, M, size=N)
        cases.append(Case(describe(logits=logits, targets=targets)
                          + (f", logits up to {np.abs(logits).max():.0f}" if scale > 100 else ""),
                          (logits, targets)))
    return cases


def _onehot(targets, M):
    t = np.zeros((len(targets), M))
    t[np.arange(len(targets)), targets] = 1.0
    return t


def _ce_reference(logits, targets):
    return (_softmax(logits) - _onehot(targets, logits.shape[1])) / len(targets)


def _ce_numerical(logits, targets):
    """∂E/∂logits by central differences of the batch-mean cross-entropy (moderate logits)."""
    if np.abs(logits).max() > 100:
        return (None,)
    def E(z):
        return np.array(-np.mean(_log_softmax(z)[np.arange(len(targets)), targets]))
    return (numerical_gradient(E, logits),)


def _ce_sum(logits, targets):
    return _softmax(logits) - _onehot(targets, logits.shape[1])


def _ce_diagonal(logits, targets):
    p, t = _softmax(logits), _onehot(targets, logits.shape[1])
    return (p - t) * (p - p ** 2) / len(targets)


def _ce_unshifted(logits, targets):
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True) - _onehot(targets, logits.shape[1])) / len(targets)


def _ce_sign(logits, targets):
    return -_ce_reference(logits, targets)


CE_MISTAKES = (
    Mistake("not_divided_by_batch",
            "that is p − onehot(t) for each sample; the loss is the mean over the batch, so "
            "∂E/∂logits is divided by N (chapter 9, §7).",
            _ce_sum),
    Mistake("diagonal_jacobian",
            "that is seed 003's (p − t) ⊙ (p − p²), which keeps only the diagonal of the softmax "
            "Jacobian; softmax and cross-entropy together give p − t (chapter 9, §7; chapter 11, §4).",
            _ce_diagonal),
    Mistake("overflow",
            "exp of a large logit overflows (inf/inf = NaN): subtract each row's maximum before "
            "exp — softmax does not change when every logit of a row moves by the same amount "
            "(chapter 9, §7).",
            _ce_unshifted),
    Mistake("sign",
            "the sign is turned: E = −log p_t grows when p_t falls, so ∂E/∂logits = (p − t)/N, "
            "not (t − p)/N (chapter 9, §7).",
            _ce_sign),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch09.implement",
        name="my_cross_entropy_backward",
        signature="my_cross_entropy_backward(logits, targets)",
        returns=("dlogits",),
        shapes={"dlogits": "the shape of logits"},
        cases=_ce_cases,
        reference=_ce_reference,
        mistakes=CE_MISTAKES,
        question="Write ∂E/∂logits of the batch-mean softmax cross-entropy "
                 "E = −(1/N) Σ_r log p_r,t_r: logits (N, M) (N samples, M classes, logits may be "
                 "large), targets (N,) integer classes. Return an (N, M) array.",
        hint="p = softmax(logits) row by row (shift by the row's maximum first), minus the "
             "one-hot targets, divided by N (chapter 9, §7)",
        solution=source(my_cross_entropy_backward),
        numerical=_ce_numerical,
        seed=9,
    ),
]
