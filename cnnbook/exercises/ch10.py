"""Chapter 10 — a CNN trained on the handwritten digits.

Exercises 1 and 2 read a fixed confusion matrix, ``C_EX`` (the exercise cell prints the
same one as ``C_ex``): an imbalanced test set, built so that every classic misreading gives
another answer — the accuracy, the mean recall and the mean precision differ by more than
the 3-significant-digit tolerance, and the class with the smallest recall (5) is neither the
one with the most mistakes (8), nor the smallest diagonal entry (1), nor the smallest
precision or most false alarms (6). (On the chapter's own, stratified test set those
readings coincide, and a check could not tell them apart.)

Exercise 4 is about the network the chapter trains, so its check takes the notebook's
model and one test image as ``given`` (``check("ch10.q4", answer_4, model, image)``); the
``given`` of its Exercise is a small fixed stand-in, so the tests never train a network.
"""
from __future__ import annotations

import numpy as np

from .. import log_softmax
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..training import digits_network, predict_logits
from ._core import Exercise, close, number, whole

# Rows: true class, columns: predicted class.
C_EX = np.diag([40, 8, 18, 30, 20, 9, 19, 45, 16, 12])
for _true, _called, _n in ((0, 6, 2), (2, 7, 1), (3, 8, 1), (5, 3, 2), (5, 6, 1), (7, 6, 4),
                           (8, 3, 4), (8, 9, 1), (9, 4, 2)):
    C_EX[_true, _called] = _n

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
    value = whole(answer)
    return value if value is not None and 0 <= value < classes else None


def _test_q1(answer):
    c = C_EX.astype(float)
    if number(answer) is None:
        return "Give one number, a fraction between 0 and 1"
    accuracy = np.trace(c) / c.sum()
    if close(answer, accuracy):
        return True
    if close(answer, accuracy, rtol=2e-2) and not close(answer, np.mean(np.diag(c) / c.sum(1))) \
            and not close(answer, np.mean(np.diag(c) / c.sum(0))):
        return "Close, but rounded too much: give at least three significant digits"
    if close(answer, np.trace(c)):
        return "That is the number of right answers, not a fraction"
    if close(answer, 100 * accuracy):
        return "That is a percentage; give a fraction between 0 and 1"
    if close(answer, np.mean(np.diag(c) / c.sum(axis=1))):
        return "That is the mean of the per-class recalls; the classes have different sizes, " \
               "so it is not the share of all digits recognised"
    if close(answer, np.mean(np.diag(c) / c.sum(axis=0))):
        return "That is the mean of the per-class precisions (columns); accuracy counts digits"
    if close(answer, 1 - accuracy):
        return "That is the error rate"
    return False


def _test_q2(answer):
    c = C_EX.astype(float)
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
        return "The smallest diagonal entry need not be the smallest share: it is a count"
    precision = np.diag(c) / c.sum(axis=0)
    if precision[k] == precision.min():
        return "That reads a column (the digits the network called that class); the rows are " \
               "the true classes"
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
    value = whole(answer)
    if value is None:
        return "A number of parameters is a whole number"
    if value == _count(_digits_network_with(16)):
        return True
    if value == _count(_digits_network_with(16, conv2_inputs=32)):
        return "Only conv1 changed in your count; conv2 now reads 16 maps, not 32"
    if value == _count(digits_network(0)):
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
    return "E = −log p_t is smallest where p_t is largest"


def _flat_length(c1_padding):
    """Length of LeNet-5's flattened vector for a 28×28 digit, with C1's padding as given."""
    g = np.random.default_rng(0)
    conv_part = Sequential(Conv2d(1, 6, 5, padding=c1_padding, rng=g), ReLU(), MaxPool2d(2),
                           Conv2d(6, 16, 5, rng=g), ReLU(), MaxPool2d(2), Flatten())
    return conv_part(np.zeros((1, 1, 28, 28))).shape[1]


def _test_q5(answer):
    value = whole(answer)
    if value is None:
        return "A length is a whole number"
    if value == _flat_length(0):
        return True
    if value == _flat_length(2):
        return "That is §10's LeNet-5, whose C1 pads the digits by 2"
    if value == 4 * 4:
        return "That is one map; C3 makes 16 of them"
    return False


def _example_answer_q4():
    return int(np.argmax(predict_logits(_EXAMPLE_MODEL, _EXAMPLE_DIGIT[None])[0]))


EXERCISES = [
    Exercise(
        key="ch10.q1",
        question="The confusion matrix `C_ex` below comes from a network tested on an "
                 "**imbalanced** set of digits (rows: true class, columns: predicted class). "
                 "Compute its accuracy (a fraction between 0 and 1).",
        test=_test_q1,
        hint="accuracy is the share of all test digits that were classified right; which "
             "entries are the right answers? (§4)",
        solution="accuracy = trace(C_ex) / sum(C_ex) = 217 / 235 ≈ 0.923. (The mean of the "
                 "per-class recalls, 0.915, and of the precisions, 0.932, differ, because the "
                 "classes differ in size.)",
        answer=float(np.trace(C_EX) / C_EX.sum()),
        wrong=int(np.trace(C_EX)),
    ),
    Exercise(
        key="ch10.q2",
        question="For the same `C_ex`: which digit is hardest for that network — the true class "
                 "with the smallest share of its test digits recognised?",
        test=_test_q2,
        hint="a class's digits are one row; the share recognised compares the right answers "
             "with the row's size (§4)",
        solution="recall = np.diag(C_ex) / C_ex.sum(axis=1); the hardest digit is its argmin: 5, "
                 "with 9 of its 12 digits recognised (0.75; class 8 has more mistakes, 5 of 21, "
                 "but a larger share right).",
        answer=5,
        wrong=8,
    ),
    Exercise(
        key="ch10.q3",
        question="§2 counted 53 002 parameters. How many would `digits_network` have with **16** "
                 "filters in conv1 instead of 32 (conv2 still has 64 filters of 3×3, everything else "
                 "unchanged)? Use §2's rule: $F\\cdot C\\cdot K^2 + F$ for a convolution, "
                 "$D_\\text{out}\\cdot D_\\text{in} + D_\\text{out}$ for a fully connected layer.",
        test=_test_q3,
        hint="count layer by layer with §2's rule, and ask which layers read what conv1 makes (§2)",
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
        hint="−log p is smallest where p is largest — which class does the network predict for "
             "this digit (not which class it really is)? (§8)",
        solution="The class the network predicts, argmax p — for a misread digit the wrong class "
                 "it was called, not its true label. E = −log p_t is smallest where p_t is largest. The input "
                 "gradient is model.backward(p − onehot(t)), and p − onehot(t) is smallest in size when "
                 "t is the class that already has most of the probability, so the δ that travels back "
                 "to the pixels, and the map, is faintest.",
        answer=_example_answer_q4(),
        wrong=(_example_answer_q4() + 1) % 10,
        given=(_EXAMPLE_MODEL, _EXAMPLE_DIGIT),
        needs="model, data.x_test[wrong[0]]",
    ),
    Exercise(
        key="ch10.q5",
        question="Suppose LeNet-5's C1 had **no** padding on the 28×28 MNIST digits (everything else as "
                 "in §10). How long would the vector after the flatten layer be — the number of inputs "
                 "of the first fully connected layer?",
        test=_test_q5,
        hint="follow the side ⌊(L − K + 2P)/S⌋ + 1 through every layer, then multiply by the "
             "number of maps (§10)",
        solution="256. 28 → C1: 24 → S2: 12 → C3: 8 → S4: 4; 16 maps of 4×4 = 256 (with §10's padding "
                 "2 it is 16·5·5 = 400).",
        answer=256,
        wrong=400,
    ),
]
