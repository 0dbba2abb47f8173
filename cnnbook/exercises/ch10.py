"""Chapter 10 — a CNN trained on the handwritten digits.

Exercises 1, 2 and 4 are about the network the chapter trains, so their checks take
the notebook's results as ``given``: the confusion matrix (``check("ch10.q1",
answer_1, confusion)``), or the trained model and one test image (``check("ch10.q4",
answer_4, model, data.x_test[wrong[0]])``). The ``given`` of each Exercise below is a
small fixed stand-in with the same structure, so the tests never train a network.
"""
from __future__ import annotations

import numpy as np

from .. import log_softmax
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..training import digits_network, predict_logits
from ._core import Exercise, close

# A made-up confusion matrix for the tests (rows: true class, columns: predicted class),
# built so that every typical misreading gives a different class: class 1 has the smallest
# diagonal entry, class 8 the most mistakes, column 3 the most false alarms, and class 5
# the smallest share recognised.
_EXAMPLE_CONFUSION = np.diag([20, 8, 18, 16, 20, 9, 19, 18, 16, 17])
for _true, _called, _n in ((2, 7, 1), (5, 3, 2), (5, 6, 1), (7, 1, 1), (8, 3, 3), (8, 9, 1)):
    _EXAMPLE_CONFUSION[_true, _called] = _n

# A small fixed stand-in for the trained network and a test digit (exercise 4's given).
_EXAMPLE_MODEL = Sequential(Flatten(), Linear(64, 10, rng=np.random.default_rng(10)))
_EXAMPLE_DIGIT = np.random.default_rng(11).random((1, 8, 8))


def _confusion(given):
    c = np.asarray(given, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"the confusion matrix must be square, got shape {c.shape}")
    return c


def _as_class(answer, classes):
    """The answer as a class index, or None if it is not a whole number in range."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(value) or value != int(value) or not 0 <= value < classes:
        return None
    return int(value)


def _test_q1(answer, confusion):
    c = _confusion(confusion)
    accuracy = np.trace(c) / c.sum()
    if close(answer, accuracy):
        return True
    if close(answer, accuracy, rtol=1e-2):
        return "Close, but rounded too much: give at least three significant digits"
    if close(answer, np.trace(c)):
        return "That is the number of right answers, not a fraction"
    if close(answer, 100 * accuracy):
        return "That is a percentage; give a fraction between 0 and 1"
    return False


def _test_q2(answer, confusion):
    c = _confusion(confusion)
    k = _as_class(answer, len(c))
    if k is None:
        return f"Answer with a class, a whole number from 0 to {len(c) - 1}"
    recall = np.diag(c) / c.sum(axis=1)
    if recall[k] == recall.min():
        return True
    mistakes = c.sum(axis=1) - np.diag(c)
    if mistakes[k] == mistakes.max():
        return "That class has the most mistakes, but also more digits: compare shares, not counts"
    if c[k, k] == np.diag(c).min():
        return "The smallest diagonal entry need not be the smallest share: divide by the row's sum"
    precision = np.diag(c) / c.sum(axis=0)
    if precision[k] == precision.min():
        return "That reads a column (the digits the network called that class); the rows are the true classes"
    return False


def _count(model):
    return sum(p.data.size for p in model.parameters())


def _digits_network_with(conv1_filters, conv2_inputs=None):
    g = np.random.default_rng(0)
    return Sequential(Conv2d(1, conv1_filters, 3, padding=1, rng=g), ReLU(), MaxPool2d(2),
                      Conv2d(conv2_inputs or conv1_filters, 64, 3, padding=1, rng=g), ReLU(),
                      MaxPool2d(2), Flatten(), Linear(64 * 2 * 2, 128, rng=g), ReLU(),
                      Linear(128, 10, rng=g))


def _test_q3(answer):
    if close(answer, _count(_digits_network_with(16)), rtol=0):
        return True
    if close(answer, _count(_digits_network_with(16, conv2_inputs=32)), rtol=0):
        return "Only conv1 changed in your count; conv2 now reads 16 maps, not 32"
    if close(answer, _count(digits_network(0)), rtol=0):
        return "That is §2's count, with 32 filters"
    return False


def _test_q4(answer, model, image):
    x = np.asarray(image, dtype=float)
    x = x.reshape((1,) * (4 - x.ndim) + x.shape)               # one image as a batch of 1
    losses = -log_softmax(predict_logits(model, x))[0]         # E = −log p_t for t = 0 … 9
    t = _as_class(answer, len(losses))
    if t is None:
        return f"Answer with a class, a whole number from 0 to {len(losses) - 1}"
    if losses[t] == losses.min():
        return True
    if losses[t] == losses.max():
        return "That is where E is largest, where p_t is smallest"
    return False


def _flat_length(c1_padding):
    """Length of LeNet-5's flattened vector for a 28×28 digit, with C1's padding as given."""
    g = np.random.default_rng(0)
    conv_part = Sequential(Conv2d(1, 6, 5, padding=c1_padding, rng=g), ReLU(), MaxPool2d(2),
                           Conv2d(6, 16, 5, rng=g), ReLU(), MaxPool2d(2), Flatten())
    return conv_part(np.zeros((1, 1, 28, 28))).shape[1]


def _test_q5(answer):
    if close(answer, _flat_length(0), rtol=0):
        return True
    if close(answer, _flat_length(2), rtol=0):
        return "That is §10's LeNet-5, whose C1 pads the digits by 2"
    return False


def _example_answer_q4():
    return int(np.argmax(predict_logits(_EXAMPLE_MODEL, _EXAMPLE_DIGIT[None])[0]))


EXERCISES = [
    Exercise(
        key="ch10.q1",
        question="From the confusion matrix of §4 alone, compute the test accuracy (a fraction between "
                 "0 and 1).",
        test=_test_q1,
        hint="The right answers are on the diagonal (np.trace); divide by the number of test digits, "
             "the sum of all entries",
        solution="accuracy = trace(C) / sum(C): in the committed run 357 / 360 ≈ 0.992 (your run may "
                 "differ by a digit or two on another machine — the check uses your matrix).",
        answer=float(np.trace(_EXAMPLE_CONFUSION) / _EXAMPLE_CONFUSION.sum()),
        wrong=int(np.trace(_EXAMPLE_CONFUSION)),
        given=(_EXAMPLE_CONFUSION,),
    ),
    Exercise(
        key="ch10.q2",
        question="Which digit is hardest for this network: the true class with the smallest share of "
                 "its test digits recognised (a row of the confusion matrix)?",
        test=_test_q2,
        hint="Divide each diagonal entry by the sum of its row (the recall of that class) and take "
             "the class with the smallest share",
        solution="recall = np.diag(C) / C.sum(axis=1); the hardest digit is its argmin. In the "
                 "committed run that is 2: 33 of its 35 test digits recognised (0.943; the next is 8 "
                 "with 34 of 35).",
        answer=5,
        wrong=8,
        given=(_EXAMPLE_CONFUSION,),
    ),
    Exercise(
        key="ch10.q3",
        question="§2 counted 53 002 parameters. How many would `digits_network` have with **16** "
                 "filters in conv1 instead of 32 (conv2 still has 64 filters of 3×3, everything else "
                 "unchanged)? Use §2's rule: $F\\cdot C\\cdot K^2 + F$ for a convolution, "
                 "$D_\\text{out}\\cdot D_\\text{in} + D_\\text{out}$ for a fully connected layer.",
        test=_test_q3,
        hint="Both convolutions change — conv2's C is the number of maps conv1 makes; the pooled "
             "output is still 64×2×2, so the dense layers do not",
        solution="43 626. conv1: 16·1·9 + 16 = 160; conv2: 64·16·9 + 64 = 9 280; fc1: 128·256 + 128 "
                 "= 32 896; fc2: 10·128 + 10 = 1 290. 160 + 9 280 + 32 896 + 1 290 = 43 626.",
        answer=43626,
        wrong=52842,
    ),
    Exercise(
        key="ch10.q4",
        question="Take the first mistake of §5, test digit `wrong[0]`, and try every target class "
                 "$t = 0, \\dots, 9$ in the explorer (or with `widgets.digit_state(model, data, "
                 "wrong[0], t)`). For which $t$ is $E = -\\log p_t$ smallest? Why is "
                 "$\\partial E/\\partial x$ faintest for that same $t$?",
        test=_test_q4,
        hint="−log p is smallest where p is largest — which class does the network predict for this "
             "digit (not which class it really is)?",
        solution="The class the network predicts, argmax p — in the committed run 3 (digit 98 is a 2, "
                 "called 3 with p = 0.416). E = −log p_t is smallest where p_t is largest. The input "
                 "gradient is model.backward(p − onehot(t)), and p − onehot(t) is smallest in size when "
                 "t is the class that already has most of the probability, so the δ that travels back "
                 "to the pixels, and the map, is faintest.",
        answer=_example_answer_q4(),
        wrong=(_example_answer_q4() + 1) % 10,
        given=(_EXAMPLE_MODEL, _EXAMPLE_DIGIT),
    ),
    Exercise(
        key="ch10.q5",
        question="Suppose LeNet-5's C1 had **no** padding on the 28×28 MNIST digits (everything else as "
                 "in §10). How long would the vector after the flatten layer be — the number of inputs "
                 "of the first fully connected layer?",
        test=_test_q5,
        hint="Follow the size (L − F)/S + 1 through C1 (5×5), S2 (2×2, stride 2), C3 (5×5), S4 "
             "(2×2, stride 2), then multiply by C3's 16 maps",
        solution="256. 28 → C1: 24 → S2: 12 → C3: 8 → S4: 4; 16 maps of 4×4 = 256 (with §10's padding "
                 "2 it is 16·5·5 = 400).",
        answer=256,
        wrong=400,
    ),
]
