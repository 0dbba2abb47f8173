"""Chapter 2 — Backpropagation through fully connected layers.

The network is seed 002's 3-4-2 sigmoid network, ``cnnbook.examples.seed002_network()``,
with the loss ½‖a − y‖² (mean over the samples of a batch); every expected value is
computed here with cnnbook's forward and backward functions.
"""
from __future__ import annotations

import numpy as np

import cnnbook as cb

from ._core import Exercise, close, number, same_array, same_shape

__all__ = ["EXERCISES"]


def _network():
    n = cb.examples.seed002_network()
    return n["x"], n["y"], n["w1"], n["b1"], n["w2"], n["b2"]


def _gradients(xb, yb, hidden=cb.sigmoid, hidden_backward=cb.sigmoid_backward):
    """Mean-loss gradients (dW1, db1, dW2, db2) of the 3-4-2 network and δ1, by cnnbook."""
    _, _, W1, b1, W2, b2 = _network()
    net1 = cb.dense(xb, W1, b1)
    a1 = hidden(net1)
    net2 = cb.dense(a1, W2, b2)
    a2 = cb.sigmoid(net2)
    delta2 = cb.sigmoid_backward((a2 - yb) / xb.shape[0], net2)
    d_a1, dW2, db2 = cb.dense_backward(delta2, a1, W2)
    delta1 = hidden_backward(d_a1, net1)
    _, dW1, db1 = cb.dense_backward(delta1, xb, W1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "delta1": delta1}


def _flat(grads):
    return np.concatenate([grads[k].ravel() for k in ("dW1", "db1", "dW2", "db2")])


# --- q1 -------------------------------------------------------------------------------

def _test_q1(answer):
    if number(answer) is None:
        return "Give one number"
    x, y, *_ = _network()
    dW2 = _gradients(x, y)["dW2"]
    if close(answer, dW2[1, 2]) or close(answer, dW2[1, 2], rtol=0, atol=6e-4):
        return True
    W1, b1, W2, b2 = _network()[2:]
    a1 = cb.sigmoid(cb.dense(x, W1, b1))
    a2 = cb.sigmoid(cb.dense(a1, W2, b2))
    if close(answer, (a2 - y)[0, 1] * a1[0, 2]):
        return "That leaves out the factor σ′(net^(2)) of δ^(2)"
    if close(answer, -dW2[1, 2]):
        return "Check the sign: ∂E/∂y = y − t"
    for (i, j) in np.ndindex(*dW2.shape):
        if (i, j) != (1, 2) and close(answer, dW2[i, j]):
            return "That is another entry of ∇W^(2): row 2, column 3 counted from 1"
    return False


# --- q2 -------------------------------------------------------------------------------

def _test_q2(answer):
    _, dw_first, _ = cb.dense_backward(np.zeros((32, 100)), np.zeros((32, 784)),
                                       np.zeros((100, 784)))
    if same_shape(answer, dw_first.shape):
        return True
    if same_shape(answer, dw_first.shape[::-1]):
        return "That is the transpose: cnnbook (like PyTorch) stores W as (D_out, D_in)"
    if same_shape(answer, (32,) + dw_first.shape[1:]) or same_shape(answer, (32, 100)) \
            or same_shape(answer, (32,) + dw_first.shape):
        return "The batch dimension is summed away: there is one weight matrix, not one per image"
    if same_shape(answer, (10, 100)):
        return "That is the second layer's W; the question asks for the first layer's"
    return False


# --- q3 -------------------------------------------------------------------------------

def _test_q3(answer):
    rate = number(answer)
    if rate is None:
        return "Give one number, a learning rate"
    rng = np.random.default_rng(8)
    X8 = rng.normal(size=(8, 3))
    c8 = (X8[:, 0] + X8[:, 1] - X8[:, 2] > 0).astype(float)
    Y8 = np.stack([c8, 1 - c8], axis=1)
    step_mean = 2.0 * _flat(_gradients(X8, Y8))
    grad_sum = sum(_flat(_gradients(X8[k:k + 1], Y8[k:k + 1])) for k in range(8))
    if np.allclose(rate * grad_sum, step_mean, rtol=5e-3):
        return True
    if rate > 2:
        return "The sum's gradient is already larger than the mean's, so the rate must be " \
               "smaller than 2, not larger"
    if np.isclose(rate, 2.0):
        return "With the sum the gradient is larger, so the same rate makes a larger step"
    return False


# --- q4 -------------------------------------------------------------------------------

def _test_q4(answer):
    x, y, *_ = _network()
    expected = _gradients(x, y, cb.tanh, cb.tanh_backward)["delta1"]
    if np.shape(answer) != expected.shape:
        return f"δ^(1) has one entry per hidden neuron, shape {expected.shape}"
    if same_array(answer, expected):
        return True
    if same_array(answer, _sigmoid_delta1_by_hand()):
        return "That multiplies by σ′(net^(1)), but the hidden layer is tanh now"
    if same_array(answer, _gradients(x, y)["delta1"]):
        return "That is the δ^(1) of the all-sigmoid network of section 4"
    if same_array(answer, _tanh_delta1_by_hand() / cb.tanh_derivative(
            cb.dense(x, *_network()[2:4]))):
        return "That is ∂E/∂a^(1); δ^(1) = ∂E/∂a^(1) ⊙ f′(net^(1)) still needs tanh′"
    return False


def _tanh_delta1_by_hand():
    """What a student writes: δ1 = (δ2 @ W2) ⊙ tanh′(net1)."""
    x, y, W1, b1, W2, b2 = _network()
    net1 = cb.dense(x, W1, b1)
    net2 = cb.dense(cb.tanh(net1), W2, b2)
    delta2 = (cb.sigmoid(net2) - y) * cb.sigmoid_derivative(net2)
    return (delta2 @ W2) * cb.tanh_derivative(net1)


def _sigmoid_delta1_by_hand():
    x, y, W1, b1, W2, b2 = _network()
    net1 = cb.dense(x, W1, b1)
    net2 = cb.dense(cb.tanh(net1), W2, b2)
    delta2 = (cb.sigmoid(net2) - y) * cb.sigmoid_derivative(net2)
    return (delta2 @ W2) * cb.sigmoid_derivative(net1)


def _w2_23_by_hand():
    x, y, W1, b1, W2, b2 = _network()
    a1 = cb.sigmoid(cb.dense(x, W1, b1))
    net2 = cb.dense(a1, W2, b2)
    delta2 = (cb.sigmoid(net2) - y) * cb.sigmoid_derivative(net2)
    return round(float(delta2[0, 1] * a1[0, 2]), 3)


EXERCISES = [
    Exercise(
        key="ch02.q1",
        question=r"Using only the printed $\delta^{(2)}$ and $a^{(1)}$ of section 3, compute by "
                 r"hand $\partial E/\partial w^{(2)}_{23}$ (row 2, column 3 in the 1-based "
                 r"notation). Three decimals are enough.",
        test=_test_q1,
        hint="∇W^(2) = δ^(2) a^(1)ᵀ: its (i, j) entry pairs one entry of δ^(2) with one of a^(1) "
             "(§3 and §5)",
        solution="∇W2 = δ2 a1ᵀ, so ∂E/∂w2_23 = δ2_2 · a1_3 (1-based): the second entry of the "
                 "printed δ2 times the third entry of a1, ≈ 0.071 (0.07093…; it is gW2[1, 2] "
                 "in 0-based numpy indexing).",
        answer=_w2_23_by_hand(),
        wrong=round(float(_gradients(*_network()[:2])["dW2"][0, 2]), 3),
    ),
    Exercise(
        key="ch02.q2",
        question=r"A 784-100-10 network gets a batch of 32 images as rows, $X$ of shape (32, 784). "
                 r"What is the shape of $\nabla_{W^{(1)}}E$ that `cb.dense_backward` returns for "
                 r"the first layer? Give a tuple.",
        test=_test_q2,
        hint="a weight gradient has the shape of the weight, and the batch is summed over (§7)",
        solution="W1 maps 784 inputs to 100 hidden units and is stored (D_out, D_in) = (100, 784); "
                 "dW = δᵀ X sums the 32 samples' outer products, so its shape is (100, 784), "
                 "whatever the batch size.",
        answer=(100, 784),
        wrong=(784, 100),
    ),
    Exercise(
        key="ch02.q3",
        question=r"In section 8 batch descent used the mean loss and $\eta = 2$. If the loss were "
                 r"the **sum** over the 8 samples instead, which learning rate would make exactly "
                 r"the same update?",
        test=_test_q3,
        hint="compare the gradient of the sum with the gradient of the mean, then make the two "
             "steps η·∇ equal (§8)",
        solution="∇(Σ_k E_k) = m ∇(mean) with m = 8, so η_sum · 8 ∇(mean) = 2 ∇(mean) gives "
                 "η_sum = 2 / 8 = 0.25.",
        answer=2 / 8,
        wrong=2 * 8,
    ),
    Exercise(
        key="ch02.q4",
        question=r"Replace the hidden sigmoid of the 3-4-2 network by tanh (the output layer "
                 r"stays sigmoid). Compute the new hidden error term $\delta^{(1)}$, shape (1, 4), "
                 r"with `cnnbook` functions, starting from `net1_tanh` below. Hint: only the last "
                 r"factor of the recursion changes ($\tanh' = 1 - \tanh^2$).",
        test=_test_q4,
        hint="the δ recursion: δ^(1) = ∂E/∂a^(1) ⊙ f′(net^(1)) with the hidden layer's own f, "
             "and δ^(2) from the tanh network's own forward pass (§4 and §6)",
        solution="delta2 = (a2_tanh - y) * cb.sigmoid_derivative(net2_tanh); "
                 "delta1 = (delta2 @ W2) * cb.tanh_derivative(net1_tanh) — a (1, 4) row. "
                 "Check against cb.numerical_gradient of the loss with respect to net1_tanh.",
        answer=_tanh_delta1_by_hand(),
        wrong=_sigmoid_delta1_by_hand(),
    ),
]


# --- ch02.implement: the two-layer sigmoid network, backward ------------------------------

from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._solutions import my_fc_backward, source                              # noqa: E402


def _fc_cases(rng):
    n = cb.examples.seed002_network()
    cases = [Case("seed 002's 3-4-2 network: " + describe(x=n["x"][0], t=n["y"][0], W1=n["w1"],
                                                          W2=n["w2"]),
                  (n["x"][0], n["y"][0], n["w1"], n["b1"], n["w2"], n["b2"]))]
    sizes = [(3, 4, 2), (2, 3, 1), (4, 2, 3), (5, 3, 2), (2, 5, 4), (3, 3, 3)]
    while len(cases) < 22:
        n_in, n_hidden, n_out = (sizes[len(cases) - 1] if len(cases) - 1 < len(sizes)
                                 else (int(v) for v in rng.integers(1, 7, size=3)))
        x = rng.normal(size=n_in)
        t = rng.random(n_out)
        W1, b1 = rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden)
        W2, b2 = rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out)
        cases.append(Case(describe(x=x, t=t, W1=W1, W2=W2), (x, t, W1, b1, W2, b2)))
    return cases


def _fc_route(x, t, W1, b1, W2, b2, *, out_prime=True, hidden_prime=True, prime_of="net",
              sign=1.0, transpose=False):
    net1 = W1 @ x + b1
    a1 = cb.sigmoid(net1)
    net2 = W2 @ a1 + b2
    y = cb.sigmoid(net2)
    prime = (lambda net, a: cb.sigmoid_derivative(net)) if prime_of == "net" else \
        (lambda net, a: cb.sigmoid_derivative(a))
    delta2 = sign * (y - t) * (prime(net2, y) if out_prime else 1.0)
    delta1 = (W2.T @ delta2) * (prime(net1, a1) if hidden_prime else 1.0)
    outer = (lambda d, a: np.outer(a, d)) if transpose else np.outer
    return outer(delta1, x), delta1, outer(delta2, a1), delta2


def _fc_reference(x, t, W1, b1, W2, b2):
    """With cnnbook's layers, on a batch of one sample."""
    net1 = cb.dense(x[None], W1, b1)
    a1 = cb.sigmoid(net1)
    net2 = cb.dense(a1, W2, b2)
    delta2 = cb.sigmoid_backward(cb.sigmoid(net2) - t[None], net2)
    d_a1, dW2, db2 = cb.dense_backward(delta2, a1, W2)
    _, dW1, db1 = cb.dense_backward(cb.sigmoid_backward(d_a1, net1), x[None], W1)
    return dW1, db1, dW2, db2


def _fc_numerical(x, t, W1, b1, W2, b2):
    """The four gradients by central differences of E(W1, b1, W2, b2) = ½‖y − t‖²."""
    def E(W1, b1, W2, b2):
        y = cb.sigmoid(W2 @ cb.sigmoid(W1 @ x + b1) + b2)
        return np.array(0.5 * np.sum((y - t) ** 2))
    return (cb.numerical_gradient(lambda v: E(v, b1, W2, b2), W1),
            cb.numerical_gradient(lambda v: E(W1, v, W2, b2), b1),
            cb.numerical_gradient(lambda v: E(W1, b1, v, b2), W2),
            cb.numerical_gradient(lambda v: E(W1, b1, W2, v), b2))


def _fc(**switches):
    return lambda x, t, W1, b1, W2, b2: _fc_route(x, t, W1, b1, W2, b2, **switches)


FC_MISTAKES = (
    Mistake("no_output_sigma_prime",
            "δ^(2) = y − t leaves out σ′(net^(2)): δ is ∂E/∂net, and the output passes through σ "
            "(chapter 2, §3).",
            _fc(out_prime=False)),
    Mistake("no_hidden_sigma_prime",
            "δ^(1) = W2ᵀ δ^(2) leaves out σ′(net^(1)): that is ∂E/∂a^(1); δ^(1) = "
            "∂E/∂a^(1) ⊙ f′(net^(1)) (chapter 2, §4).",
            _fc(hidden_prime=False)),
    Mistake("sigma_prime_of_a",
            "σ′ is evaluated at the activation a = σ(net), as σ(a)(1 − σ(a)); σ′(net) = a(1 − a) "
            "(chapter 2, §3).",
            _fc(prime_of="a")),
    Mistake("sign",
            "the sign is turned: E = ½‖y − t‖² gives ∂E/∂y = y − t, not t − y (chapter 2, §3).",
            _fc(sign=-1.0)),
    Mistake("transposed_dW",
            "dW is a δᵀ, the transpose: ∂E/∂W = δ aᵀ has one row per unit of the layer, the "
            "shape of W (chapter 2, §5).",
            _fc(transpose=True)),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch02.implement",
        name="my_fc_backward",
        signature="my_fc_backward(x, t, W1, b1, W2, b2)",
        returns=("dW1", "db1", "dW2", "db2"),
        shapes={"dW1": "the shape of W1", "db1": "the shape of b1", "dW2": "the shape of W2",
                "db2": "the shape of b2"},
        cases=_fc_cases,
        reference=_fc_reference,
        mistakes=FC_MISTAKES,
        question="Write the backward pass of chapter 2's two-layer sigmoid network for one sample: "
                 "a1 = σ(W1 x + b1), y = σ(W2 a1 + b2), E = ½‖y − t‖², x (n_in,), t (n_out,), "
                 "W1 (n_hidden, n_in), W2 (n_out, n_hidden). Return (dW1, db1, dW2, db2).",
        hint="δ^(2) = (y − t) ⊙ σ′(net^(2)), δ^(1) = (W2ᵀ δ^(2)) ⊙ σ′(net^(1)); "
             "∂E/∂W = δ aᵀ and ∂E/∂b = δ (chapter 2, §3–§5)",
        solution=source(my_fc_backward),
        numerical=_fc_numerical,
        seed=2,
    ),
]
