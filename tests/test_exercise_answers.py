"""The answer-checks without blind spots: every chapter's classic wrong answers (at least two
per exercise) are rejected, each with the sentence that names its mistake; a right answer
rounded to 3 significant digits passes; a non-integer is not a size or a count; a string is
not a number; a check called without its given arrays says so."""
import re

import numpy as np
import pytest

import cnnbook as cb
from cnnbook import exercises
from cnnbook.exercises import ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch10, ch11, ch12


def _ex(key):
    return exercises._find(key)


def _say(key, answer, capsys):
    ex = _ex(key)
    verdict = exercises.check(key, answer, *ex.given)
    return bool(verdict), capsys.readouterr().out


def _seed002():
    n = cb.examples.seed002_network()
    return n["x"], n["y"], n["w1"], n["b1"], n["w2"], n["b2"]


def _ch02_no_sigma_prime():
    x, y, W1, b1, W2, b2 = _seed002()
    a1 = cb.sigmoid(cb.dense(x, W1, b1))
    return float(((cb.sigmoid(cb.dense(a1, W2, b2)) - y) * a1[:, [2]])[0, 1])


def _ch02_other_entry():
    x, y, *_ = _seed002()
    return float(ch02._gradients(x, y)["dW2"][0, 2])


def _ch04_dx(kernel, rings=2):
    return ch04._dx_with(kernel, rings)


def _ch05_q3(**slip):
    return ch05._q3_route(**slip)


# (key, wrong answer, words the message must contain): the chapters' classic mistakes.
CLASSIC = [
    ("ch01.q1", 64 * 27, "weights only"),
    ("ch01.q1", 64 * 10, "reads all 3 channels"),
    ("ch01.q1", 1792.5, "whole number"),
    ("ch01.q2", (25, 16, 64), "Rows and columns are swapped"),
    ("ch01.q2", (16, 25, 64.5), "could not be read"),
    ("ch01.q2", (16, 25, 100), "number of non-zeros"),
    ("ch01.q3", (100 * 1024, 150, 100 * 4096, 150), "Count the biases too"),
    ("ch01.q3", (156, 102500, 156, 409700), "wrong order"),
    ("ch01.q3", (102500, 156, 205000, 156), "does not double the number of pixels"),
    ("ch01.q4", [156, 12, 16 * 151, 32, 48120, 10164], "connection table"),
    ("ch01.q4", [150, 12, 1516, 32, 48120, 10164], "C1 is off"),
    ("ch01.q5", 48120, "behind S4"),
    ("ch01.q5", 192000, "biases too"),
    ("ch02.q1", _ch02_no_sigma_prime(), "σ′(net^(2))"),
    ("ch02.q1", _ch02_other_entry(), "another entry"),
    ("ch02.q1", "0.071", "one number"),
    ("ch02.q2", (784, 100), "transpose"),
    ("ch02.q2", (32, 100, 784), "batch dimension is summed away"),
    ("ch02.q2", (100.7, 784), None),
    ("ch02.q3", 16, "smaller than 2"),
    ("ch02.q3", 2, "larger step"),
    ("ch02.q4", ch02._sigmoid_delta1_by_hand(), "tanh now"),
    ("ch02.q4", ch02._tanh_delta1_by_hand()
     / cb.tanh_derivative(cb.dense(_seed002()[0], *_seed002()[2:4])), "∂E/∂a^(1)"),
    ("ch03.q1", 113, "rounds (L − K + 2P)/S up"),
    ("ch03.q1", 112.5, "whole number of windows"),
    ("ch03.q1", 111, "number of steps"),
    ("ch03.q1", 109, "leaves out the padding"),
    ("ch03.q1", "112", "whole number"),
    ("ch03.q2", [], "draw the windows"),
    ("ch03.q2", [10], "Off by one"),
    ("ch03.q2", [9.5], "whole numbers"),
    ("ch03.q3", ch03._W_ASYM, "convolve2d turns the kernel"),
    ("ch03.q3", ch03._W_ASYM.T, "transpose"),
    ("ch03.q4", ch03._q4_terms()["flipped"], "turns the kernel"),
    ("ch03.q4", ch03._q4_terms()["unpadded"], "unpadded"),
    ("ch03.q4", ch03._q4_terms()["channels"], "all three channels"),
    ("ch03.q4", ch03._q4_terms()["no_stride"], "stride 1"),
    ("ch04.q1", 9, "all K² windows"),
    ("ch04.q1", 2, "0-based"),
    ("ch04.q1", 6.5, "whole number"),
    ("ch04.q2", [((r, c), (2 - r + 1, 3 - c + 1))[::-1] for r in (1, 2) for c in (2, 3)],
     "the δ index comes first"),
    ("ch04.q2", [((r, c), (r, c - 1)) for r in (1, 2) for c in (2, 3)], "turned by 180°"),
    ("ch04.q2", [((1, 2), (2, 2))], "number of terms"),
    ("ch04.q3", _ch04_dx(ch04.W_EX), "rot180(W)"),
    ("ch04.q3", _ch04_dx(cb.rot180(ch04.W_EX), rings=1), "one ring"),
    ("ch04.q3", _ch04_dx(cb.rot180(ch04.W_EX)).T, "transpose"),
    ("ch04.q3", _ch04_dx(ch04.W_EX.T), "not a transpose"),
    ("ch04.q4", (cb.correlate2d(cb.relu(ch04.NET_EX), ch04.D3), 5.0), "mean of δ"),
    ("ch04.q4", (cb.correlate2d(cb.relu(ch04.NET_EX), cb.rot180(ch04.D3)), 45.0),
     "convolution"),
    ("ch04.q4", (cb.correlate2d(ch04.NET_EX, ch04.D3), 45.0), "relu(net^(l−1))"),
    ("ch04.q5", ch04._q3_by_hand(), "still needs the ReLU's derivative"),
    ("ch04.q5", ch04._q3_by_hand() * cb.relu(ch04.NET_EX), "relu(net) = a^(l−1)"),
    ("ch04.q5", _ch04_dx(ch04.W_EX) * cb.relu_derivative(ch04.NET_EX), "needs rot180(W)"),
    ("ch05.q1", 9, "(O − 1)S + 1"),
    ("ch05.q1", 12, "O·S"),
    ("ch05.q1", 3, "before the expansion"),
    ("ch05.q1", 8, "leaves out the padding"),
    ("ch05.q1", 10.5, "whole number"),
    ("ch05.q2", [2, 5, 8], "padded positions"),
    ("ch05.q2", [], "draw the windows"),
    ("ch05.q3", _ch05_q3(size="smallest"), "(O − 1)S + 1"),
    ("ch05.q3", _ch05_q3(expand=False), "skips the expansion"),
    ("ch05.q3", _ch05_q3(ring="P", crop=False), "pads the expanded δ by P"),
    ("ch05.q3", _ch05_q3(crop=False), "crop P"),
    ("ch05.q3", _ch05_q3(flip=False), "rot180(W)"),
    ("ch05.q3", _ch05_q3().T, "transpose"),
    ("ch05.q4", 1, "K − 1"),
    ("ch05.q4", 3, "Cropping P alone"),
    ("ch05.q4", -2, "negative cut"),
    ("ch05.q4", 2.5, "whole numbers"),
    ("ch05.q5", 0.002, "change of the weight"),
    ("ch05.q5", -2, "sign"),
    ("ch05.q5", 0.998, "new weight"),
    ("ch06.q1", 32, "number of filters"),
    ("ch06.q1", 512, "partial maps"),
    ("ch06.q1", 16.5, "whole number"),
    ("ch06.q2", (512, 32), "wrong order"),
    ("ch06.q2", (16, 512), "counts filters, not channels"),
    ("ch06.q2", (32, 16), "every (filter, channel) pair"),
    ("ch06.q2", (32.4, 512), "two whole numbers"),
    ("ch06.q3", ch06._seed001_dx(), "both filters together"),
    ("ch06.q3", ch06._seed001_dx(0), "filter 0's share"),
    ("ch06.q3", ch06._seed001_dx(1, at=(0, 4, 1)), "swapped"),
    ("ch06.q3", ch06._seed001_dx(1, flip=False), "rot180(W[q, c])"),
    ("ch06.q4", [-9, -7], "sum over the batch"),
    ("ch06.q4", [9, 7], "one sample's bias gradient"),
    ("ch06.q4", [-2.25, -1.75], "Divided once too often"),
    ("ch06.q4", [[4.5, 3.5], [-9, -7]], "one row per sample"),
    ("ch06.q5", False, None),
    ("ch06.q5", "True", "not a string"),
    ("ch07.q1", np.kron(ch07.D_EX, np.ones((2, 2))), "seed 003's rule"),
    ("ch07.q1", np.kron(ch07.D_EX, np.ones((2, 2))) / 4, "mean pooling"),
    ("ch07.q1", ch07.D_EX, "pooled map's size"),
    ("ch07.q2", 6, "copies δ"),
    ("ch07.q2", 2, "K² cells, not K"),
    ("ch07.q2", 0.66, "rounded too much"),
    ("ch07.q3", 1, "one window's δ"),
    ("ch07.q3", 9.5, "whole number"),
    ("ch07.q4", (13.5, 14.5), "whole numbers of windows"),
    ("ch07.q4", (13.5, 13.5), "whole numbers of windows"),
    ("ch07.q4", (12, 13), "one too small"),
    ("ch07.q4", (13, 13), "ceil mode adds"),
    ("ch07.q4", (14, 13), "wrong order"),
    ("ch07.q5", 0.8, "up(δ) itself"),
    ("ch07.q5", 0.8 * cb.sigmoid(1.0), "σ(net)"),
    ("ch07.q5", 0.2, "mean pooling's share"),
    ("ch07.q5", 0.8 * cb.sigmoid_derivative(0.8), "σ′ at up(δ)"),
    ("ch08.q1", (8192, 75), "swapped"),
    ("ch08.q1", (75, 1024), "one image's X_col"),
    ("ch08.q1", (16 * 75, 8192), "filters are not in X_col"),
    ("ch08.q1", (75, 8 * 28 * 28), "leaves out the padding"),
    ("ch08.q1", (75.5, 8192), None),
    ("ch08.q2", 25, "K²"),
    ("ch08.q2", 1, "leaves out the padding"),
    ("ch08.q2", 6, "0-based"),
    ("ch08.q2", 2, "padded coordinates"),
    ("ch08.q3", 4, "would come out right"),
    ("ch08.q3", 16, "single window"),
    ("ch08.q4", cb.im2col(ch08.G4, (2, 2)).T, "transpose"),
    ("ch08.q4", cb.im2col(ch08.G4 / cb.participation_counts((4, 4), 2)[None, None], (2, 2)),
     "participation counts"),
    ("ch08.q5", 324, "padding ring too"),
    ("ch08.q5", 1296, "size of M"),
    ("ch08.q5", 144, "without padding"),
    ("ch09.q1", 290, "3·2·2 inputs"),
    ("ch09.q1", 271, "original network"),
    ("ch09.q1", 318, "biases too"),
    ("ch09.q2", 12, "8×8 images"),
    ("ch09.q2", 108, "pools once"),
    ("ch09.q2", 27.5, "whole number"),
    ("ch09.q3", 2.0 * cb.sigmoid_derivative(0.8), "as if 0.8 were the input"),
    ("ch09.q3", 0.16, "σ′ alone"),
    ("ch09.q3", 1.6, "output a"),
    ("ch09.q4", [[0.25, 0.25, -0.75, 0.25], [-0.75, 0.25, 0.25, 0.25]], "divides it by N"),
    ("ch09.q4", [[-0.125, -0.125, 0.375, -0.125], [0.375, -0.125, -0.125, -0.125]], "sign"),
    ("ch09.q5", 1, "writes over .grad"),
    ("ch09.q5", 0, "does move"),
    ("ch09.q5", "1", "one number"),
    ("ch10.q1", float(np.mean(np.diag(ch10.C_EX) / ch10.C_EX.sum(axis=1))), "recalls"),
    ("ch10.q1", float(np.mean(np.diag(ch10.C_EX) / ch10.C_EX.sum(axis=0))), "precisions"),
    ("ch10.q1", int(np.trace(ch10.C_EX)), "number of right answers"),
    ("ch10.q1", 100 * float(np.trace(ch10.C_EX) / ch10.C_EX.sum()), "percentage"),
    ("ch10.q2", 8, "most mistakes"),
    ("ch10.q2", 1, "smallest diagonal entry"),
    ("ch10.q2", 6, "reads a column"),
    ("ch10.q2", 5.5, "whole number"),
    ("ch10.q3", 52842, "conv2 now reads 16 maps"),
    ("ch10.q3", 53002, "32 filters"),
    ("ch10.q4", ch10._example_answer_q4() + 1 if ch10._example_answer_q4() < 9 else 0, "p_t"),
    ("ch10.q4", 3.5, "whole number"),
    ("ch10.q5", 400, "pads the digits by 2"),
    ("ch10.q5", 16, "one map"),
    ("ch11.q1", 15, "bias gradient"),
    ("ch11.q1", 4.5, "as an int"),
    ("ch11.q2", 0.0, "the two gradients differ"),
    ("ch11.q2", ch11._q2_errors()["share"], "sharing δ/4"),
    ("ch11.q2", ch11._q2_errors()["top_left"], "top-left"),
    ("ch11.q3", (2, 2), "Python 2"),
    ("ch11.q3", (2.5, 2.5), "unfloored"),
    ("ch11.q3", (2.5, 3), "ceil mode"),
    ("ch11.q4", ch11.EXERCISES[3].wrong, "diagonal of the softmax Jacobian"),
    ("ch11.q4", -ch11.EXERCISES[3].answer, "sign"),
    ("ch11.q4", cb.softmax(ch11._LOGITS), "softmax itself"),
    ("ch11.q5", (2, 2), "one off"),
    ("ch11.q5", (1, 1), "cross-correlation"),
    ("ch11.q5", (3.5, 3), "whole numbers"),
]
# chapter 12 keeps its classic mistakes beside its exercises
CLASSIC += [(key, ch12.classic_answer(key, answer), words)
            for key, answers in ch12.CLASSIC_MISTAKES.items() for answer, words in answers]


@pytest.mark.parametrize("key, answer, words", CLASSIC,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CLASSIC)])
def test_a_classic_wrong_answer_is_rejected_with_the_hint_that_names_it(key, answer, words,
                                                                         capsys):
    right, out = _say(key, answer, capsys)
    assert not right, (key, answer)
    assert out.startswith(f"{key}: not quite.")
    if words:
        assert words in out, out
    assert _ex(key).solution not in out


def test_every_answer_check_meets_at_least_two_classic_mistakes():
    per_key = {}
    for key, _, _ in CLASSIC:
        per_key[key] = per_key.get(key, 0) + 1
    for key in exercises.keys(kind="answer"):
        assert per_key.get(key, 0) >= 2, key


def test_each_named_mistake_gives_its_own_answer():
    """No two classic wrong answers of one exercise, and none of them and the right one,
    coincide — the blind spots of the old data."""
    by_key = {}
    for key, answer, _ in CLASSIC:
        by_key.setdefault(key, []).append(answer)
    for key, answers in by_key.items():
        right = _ex(key).answer
        for a in answers:
            assert not _equal(a, right), key


def _equal(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return False
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _round3(value):
    return float(f"{value:.3g}")


@pytest.mark.parametrize("key", exercises.keys(kind="answer"))
def test_a_right_answer_rounded_to_three_significant_digits_passes(key, capsys):
    ex = _ex(key)
    answer = ex.answer
    if isinstance(answer, (bool, np.bool_)):
        return
    if isinstance(answer, (float, np.floating)) and not float(answer).is_integer():
        rounded = _round3(answer)
    elif isinstance(answer, np.ndarray) and answer.dtype.kind == "f":
        rounded = np.vectorize(_round3)(answer)
    elif isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], np.ndarray):
        rounded = (np.vectorize(_round3)(answer[0]), _round3(answer[1]))
    else:
        return
    assert _say(key, rounded, capsys)[0], (key, rounded)


INTEGER_QUESTIONS = ["ch01.q1", "ch01.q5", "ch03.q1", "ch04.q1", "ch05.q1", "ch05.q4", "ch06.q1",
                     "ch07.q3", "ch08.q2", "ch08.q3", "ch08.q5", "ch09.q1", "ch09.q2", "ch10.q3",
                     "ch10.q5", "ch11.q1"]
PAIRS = ["ch01.q2", "ch02.q2", "ch06.q2", "ch07.q4", "ch08.q1", "ch11.q5"]


@pytest.mark.parametrize("key", INTEGER_QUESTIONS)
def test_a_count_or_size_must_be_a_whole_number(key, capsys):
    ex = _ex(key)
    assert _say(key, float(ex.answer), capsys)[0]                      # 7.0 is 7
    right, out = _say(key, ex.answer + 0.7, capsys)
    assert not right
    right, out = _say(key, str(ex.answer), capsys)
    assert not right


@pytest.mark.parametrize("key", PAIRS)
def test_a_shape_or_pair_of_non_integers_is_rejected(key, capsys):
    ex = _ex(key)
    bent = [v + 0.7 for v in ex.answer]
    assert not _say(key, bent, capsys)[0]
    assert not _say(key, tuple(str(v) for v in ex.answer), capsys)[0]


@pytest.mark.parametrize("key", exercises.keys(kind="answer"))
def test_a_string_is_not_a_number(key, capsys):
    ex = _ex(key)
    answer = ex.answer
    if isinstance(answer, (int, float, np.integer, np.floating)) and \
            not isinstance(answer, (bool, np.bool_)):
        assert not _say(key, repr(float(answer)), capsys)[0]


def test_a_check_called_with_arrays_it_does_not_take_says_so(capsys):
    verdict = exercises.check("ch10.q1", 0.9, np.eye(10))
    out = capsys.readouterr().out
    assert not verdict
    assert out == 'ch10.q1: this check takes your answer only: check("ch10.q1", your_answer).\n'


def test_a_check_called_without_its_given_arrays_says_so(capsys):
    verdict = exercises.check("ch10.q4", 3)
    out = capsys.readouterr().out
    assert not verdict
    assert "this check also needs what the chapter computed" in out
    assert "model, data.x_test[wrong[0]]" in out and "could not be read" not in out


def test_hints_point_at_a_section_and_give_no_number_away():
    """Every hint names the chapter section that explains it, and none contains the answer
    (a number that is the answer, or the exact cnnbook call that computes it)."""
    for key in exercises.keys(kind="answer"):
        ex = _ex(key)
        hint = ex.hint
        assert "§" in hint, key
        answer = ex.answer
        if isinstance(answer, (int, float, np.integer, np.floating)) and \
                not isinstance(answer, (bool, np.bool_)) and abs(answer) >= 2:
            assert f"{answer:g}" not in re.sub(r"§\d+(–§?\d+)?", "", hint), key
        for call in ("cb.rel_error(", "np.repeat(", "participation_counts(", "im2col(G",
                     "conv2d_backward with"):
            assert call not in hint, (key, call)
