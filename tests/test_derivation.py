"""The index bookkeeping of cnnbook.derivation against conv2d / conv2d_backward, and its LaTeX."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnbook as cb
from cnnbook import derivation as d

SEED004 = dict(symbols=("a^{l-1}", "w", r"\delta^{l}"), sep=",")


@st.composite
def single_channel_cases(draw):
    """H×W input, KH×KW kernel, stride, padding that fit, and random x, w, b, δ."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), kh - 2 * ph + 6))
    W = draw(st.integers(max(1, kw - 2 * pw), kw - 2 * pw + 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    return {"shape": (H, W), "kernel": (kh, kw), "stride": (sh, sw), "padding": (ph, pw),
            "x": rng.normal(size=(H, W)), "w": rng.normal(size=(kh, kw)),
            "b": float(rng.normal()), "delta": rng.normal(size=(OH, OW))}


@given(single_channel_cases())
def test_bookkeeping_equals_conv2d_and_its_backward(case):
    shape, kernel, s, p = case["shape"], case["kernel"], case["stride"], case["padding"]
    x, w, b, delta = case["x"], case["w"], case["b"], case["delta"]
    net = cb.conv2d(x[None, None], w[None, None], np.array([b]), s, p)[0, 0]
    dx, dw, db = cb.conv2d_backward(delta[None, None], x[None, None], w[None, None], s, p)
    fwd = d.forward_terms(shape, kernel, s, p)
    gin = d.input_gradient_terms(shape, kernel, s, p)
    gw = d.weight_gradient_terms(shape, kernel, s, p)
    assert list(fwd) == [(u, v) for u in range(net.shape[0]) for v in range(net.shape[1])]
    assert list(gin) == [(i, j) for i in range(shape[0]) for j in range(shape[1])]
    assert list(gw) == [(m, n) for m in range(kernel[0]) for n in range(kernel[1])]
    np.testing.assert_allclose(d.evaluate_terms(fwd, w, x) + b, net, atol=1e-12)
    np.testing.assert_allclose(d.evaluate_terms(gin, delta, w), dx[0, 0], atol=1e-12)
    np.testing.assert_allclose(d.evaluate_terms(gw, delta, x), dw[0, 0], atol=1e-12)
    np.testing.assert_allclose(delta.sum(), db[0], atol=1e-12)
    # every placement is counted once in each view
    total = sum(len(v) for v in fwd.values())
    assert total == sum(len(v) for v in gin.values()) == sum(len(v) for v in gw.values())
    # the number of terms per pixel is how many windows cover it
    counts = np.array([[len(gin[i, j]) for j in range(shape[1])] for i in range(shape[0])])
    np.testing.assert_array_equal(counts, cb.participation_counts(shape, kernel, s, p))
    # pairs sorted by the output cell, as the seeds write them
    for pairs in gin.values():
        assert [uv for uv, _ in pairs] == sorted(uv for uv, _ in pairs)


@given(single_channel_cases())
def test_latex_has_one_line_per_cell_and_one_product_per_term(case):
    shape, kernel, s, p = case["shape"], case["kernel"], case["stride"], case["padding"]
    text = d.input_gradient_latex(shape, kernel, s, p)
    assert text.startswith("\\begin{aligned}\n") and text.endswith("\n\\end{aligned}")
    lines = text.split("\n")[1:-1]
    assert len(lines) == shape[0] * shape[1]
    gin = d.input_gradient_terms(shape, kernel, s, p)
    for line, pairs in zip(lines, gin.values()):
        assert line.count("&=") == 1
        rhs = line.split("&=")[1]
        assert rhs.count(r"\delta_") == len(pairs)
        if not pairs:
            assert rhs.strip(" \\") == "0"
    wl = d.weight_gradient_latex(shape, kernel, s, p).split("\n")[1:-1]
    assert len(wl) == kernel[0] * kernel[1]


def test_stride1_pattern_full_correlation_with_rot180():
    rng = np.random.default_rng(0)
    for (H, W), (kh, kw) in [((4, 4), (2, 2)), ((3, 3), (2, 2)), ((5, 5), (3, 3)), ((5, 7), (2, 3))]:
        w = rng.normal(size=(kh, kw))
        x = rng.normal(size=(H, W))
        delta = rng.normal(size=(H - kh + 1, W - kw + 1))
        by_terms = d.evaluate_terms(d.input_gradient_terms((H, W), (kh, kw)), delta, w)
        pattern = cb.correlate2d(cb.pad2d(delta, (kh - 1, kw - 1)), cb.rot180(w))
        np.testing.assert_allclose(by_terms, pattern, atol=1e-12)
        np.testing.assert_allclose(
            d.evaluate_terms(d.weight_gradient_terms((H, W), (kh, kw)), delta, x),
            cb.correlate2d(x, delta), atol=1e-12)


# -- seed 004's 3×3 input, 2×2 filter (checked by hand against 004_692cf4617447a344.txt) --

SEED004_DA = [
    r"\frac{\partial E}{\partial a^{l-1}_{1,1}} &= \delta^{l}_{1,1} w_{1,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{1,2}} &= \delta^{l}_{1,1} w_{1,2} + \delta^{l}_{1,2} w_{1,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{1,3}} &= \delta^{l}_{1,2} w_{1,2}",
    r"\frac{\partial E}{\partial a^{l-1}_{2,1}} &= \delta^{l}_{1,1} w_{2,1} + \delta^{l}_{2,1} w_{1,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{2,2}} &= \delta^{l}_{1,1} w_{2,2} + \delta^{l}_{1,2} w_{2,1}"
    r" + \delta^{l}_{2,1} w_{1,2} + \delta^{l}_{2,2} w_{1,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{2,3}} &= \delta^{l}_{1,2} w_{2,2} + \delta^{l}_{2,2} w_{1,2}",
    r"\frac{\partial E}{\partial a^{l-1}_{3,1}} &= \delta^{l}_{2,1} w_{2,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{3,2}} &= \delta^{l}_{2,1} w_{2,2} + \delta^{l}_{2,2} w_{2,1}",
    r"\frac{\partial E}{\partial a^{l-1}_{3,3}} &= \delta^{l}_{2,2} w_{2,2}",
]

SEED004_DW = [
    r"\frac{\partial E}{\partial w_{1,1}} &= \delta^{l}_{1,1} a^{l-1}_{1,1} + \delta^{l}_{1,2} a^{l-1}_{1,2}"
    r" + \delta^{l}_{2,1} a^{l-1}_{2,1} + \delta^{l}_{2,2} a^{l-1}_{2,2}",
    r"\frac{\partial E}{\partial w_{1,2}} &= \delta^{l}_{1,1} a^{l-1}_{1,2} + \delta^{l}_{1,2} a^{l-1}_{1,3}"
    r" + \delta^{l}_{2,1} a^{l-1}_{2,2} + \delta^{l}_{2,2} a^{l-1}_{2,3}",
    r"\frac{\partial E}{\partial w_{2,1}} &= \delta^{l}_{1,1} a^{l-1}_{2,1} + \delta^{l}_{1,2} a^{l-1}_{2,2}"
    r" + \delta^{l}_{2,1} a^{l-1}_{3,1} + \delta^{l}_{2,2} a^{l-1}_{3,2}",
    r"\frac{\partial E}{\partial w_{2,2}} &= \delta^{l}_{1,1} a^{l-1}_{2,2} + \delta^{l}_{1,2} a^{l-1}_{2,3}"
    r" + \delta^{l}_{2,1} a^{l-1}_{3,2} + \delta^{l}_{2,2} a^{l-1}_{3,3}",
]


def _lines(text):
    return [line.rstrip(" \\") for line in text.split("\n")[1:-1]]


def test_seed004_input_gradient_strings():
    assert _lines(d.input_gradient_latex((3, 3), (2, 2), **SEED004)) == SEED004_DA


def test_seed004_weight_gradient_strings():
    assert _lines(d.weight_gradient_latex((3, 3), (2, 2), **SEED004)) == SEED004_DW


def test_seed004_forward_and_bias_strings():
    fwd = _lines(d.forward_latex((3, 3), (2, 2), symbols=SEED004["symbols"], sep=",", bias="w_b"))
    assert fwd[3] == (r"\mathrm{net}_{2,2} &= w_{1,1} a^{l-1}_{2,2} + w_{1,2} a^{l-1}_{2,3}"
                      r" + w_{2,1} a^{l-1}_{3,2} + w_{2,2} a^{l-1}_{3,3} + w_b")
    assert d.bias_gradient_latex((3, 3), (2, 2), **SEED004, bias="w_b") == (
        r"\frac{\partial E}{\partial w_b} = \delta^{l}_{1,1} + \delta^{l}_{1,2} + \delta^{l}_{2,1}"
        r" + \delta^{l}_{2,2} = \sum_{u,v} \delta^{l}_{uv}")


def test_seed001_notation_and_term_counts_4x4():
    text = d.input_gradient_latex((4, 4), (2, 2), symbols=("i", "h", r"\delta"))
    lines = _lines(text)
    # seed 001's equations (6), (7) and (10)
    assert lines[0] == r"\frac{\partial E}{\partial i_{11}} &= \delta_{11} h_{11}"
    assert lines[1] == r"\frac{\partial E}{\partial i_{12}} &= \delta_{11} h_{12} + \delta_{12} h_{11}"
    assert lines[5] == (r"\frac{\partial E}{\partial i_{22}} &= \delta_{11} h_{22} + \delta_{12} h_{21}"
                        r" + \delta_{21} h_{12} + \delta_{22} h_{11}")
    terms = d.input_gradient_terms((4, 4), (2, 2))
    counts = {key: len(pairs) for key, pairs in terms.items()}
    for corner in [(0, 0), (0, 3), (3, 0), (3, 3)]:
        assert counts[corner] == 1
    for centre in [(1, 1), (1, 2), (2, 1), (2, 2)]:
        assert counts[centre] == 4
    assert counts[(0, 1)] == counts[(1, 0)] == 2
    assert sum(counts.values()) == 9 * 4
    assert all(len(p) == 9 for p in d.weight_gradient_terms((4, 4), (2, 2)).values())


def test_text_style_and_single_equations():
    assert d.input_gradient_equation((1, 1), (4, 4), (2, 2), style="text") == \
        "∂E/∂x_22 = δ_11·w_22 + δ_12·w_21 + δ_21·w_12 + δ_22·w_11"
    assert d.weight_gradient_equation((0, 1), (3, 3), (2, 2), style="text") == \
        "∂E/∂w_12 = δ_11·x_12 + δ_12·x_13 + δ_21·x_22 + δ_22·x_23"
    assert d.forward_equation((0, 0), (3, 3), (2, 2), style="text") == \
        "net_11 = w_11·x_11 + w_12·x_12 + w_21·x_21 + w_22·x_22 + b"
    # a pixel no window reads (L − F = 3 not divisible by S = 2): gradient 0
    assert d.input_gradient_equation((5, 5), (6, 6), (3, 3), stride=2, style="text") == "∂E/∂x_66 = 0"
    # padding: the corner pixel sits at tap (1, 1) of the first window only
    assert d.input_gradient_equation((0, 0), (4, 4), (3, 3), 1, 1, style="text") == \
        "∂E/∂x_11 = δ_11·w_22 + δ_12·w_21 + δ_21·w_12 + δ_22·w_11"
    # 0-based and two-digit indices
    assert d.input_gradient_equation((0, 0), (3, 3), (2, 2), one_based=False, style="text") == \
        "∂E/∂x_00 = δ_00·w_00"
    eq = d.input_gradient_equation((9, 10), (11, 11), (1, 1), style="text")
    assert eq == "∂E/∂x_10,11 = δ_10,11·w_11"
    latex = d.input_gradient_latex((4, 4), (2, 2), cells=[(1, 1), (0, 0)])
    assert _lines(latex)[1] == r"\frac{\partial E}{\partial i_{11}} &= \delta_{11} w_{11}"


def test_padding_terms_are_left_out_of_the_weight_gradient():
    terms = d.weight_gradient_terms((3, 3), (3, 3), 1, 1)
    assert len(terms[(1, 1)]) == 9            # the centre weight never meets padding
    assert len(terms[(0, 0)]) == 4            # the corner weight meets padding in 5 of 9 outputs


@pytest.mark.parametrize("call, message", [
    (lambda: d.input_gradient_terms((3, 3), (4, 4)), "does not fit"),
    (lambda: d.input_gradient_terms((0, 3), (1, 1)), "input_shape must be at least 1"),
    (lambda: d.input_gradient_terms((3, 3), (2, 0)), "kernel_shape must be at least 1"),
    (lambda: d.input_gradient_terms((3, 3), (2, 2), stride=0), "stride must be at least 1"),
    (lambda: d.input_gradient_terms((3, 3), (2, 2), padding=-1), "padding must not be negative"),
    (lambda: d.input_gradient_terms((3, 3, 3), (2, 2)), "3 entries"),
    (lambda: d.input_gradient_latex(3.5, 2), "input_shape must be an int"),
    (lambda: d.input_gradient_equation((3, 0), (3, 3), (2, 2)), r"pixel \(3, 0\) is outside the 3×3 map"),
    (lambda: d.weight_gradient_latex((3, 3), (2, 2), cells=[(2, 2)]), r"weight \(2, 2\) is outside the 2×2"),
    (lambda: d.input_gradient_latex((3, 3), (2, 2), symbols=("i", "w")), "three strings"),
    (lambda: d.input_gradient_equation((0, 0), (3, 3), (2, 2), style="html"), "'latex' or 'text'"),
    (lambda: d.evaluate_terms(d.input_gradient_terms((3, 3), (2, 2)), np.ones((2, 2)), np.ones((1, 2))),
     r"second\[1, 0\] but second has shape \(1, 2\)"),
    (lambda: d.evaluate_terms(d.input_gradient_terms((3, 3), (2, 2)), np.ones(4), np.ones((2, 2))),
     "first must be 2-D"),
    (lambda: d.evaluate_terms({}, np.ones((2, 2)), np.ones((2, 2))), "terms is empty"),
])
def test_bad_input_raises_value_error_naming_the_numbers(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_kernel_does_not_fit_message_names_the_sizes():
    with pytest.raises(ValueError, match=r"kernel height 5 does not fit input height 3 \+ 2·0"):
        d.forward_terms((3, 3), (5, 5))


def test_no_plotting_imports():
    import subprocess
    import sys
    code = ("import sys, cnnbook.derivation; "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_based_and_the_seeds_letters():
    """one_based shifts every index by one, keys and pairs alike (seed 004's slide, 1-based)."""
    terms = d.one_based(d.input_gradient_terms((3, 3), (2, 2)))
    assert terms[(2, 2)] == [((1, 1), (2, 2)), ((1, 2), (2, 1)), ((2, 1), (1, 2)), ((2, 2), (1, 1))]
    assert terms[(3, 2)] == [((2, 1), (2, 2)), ((2, 2), (2, 1))]
    assert min(min(k) for k in terms) == 1 and len(terms) == 9
    assert d.input_gradient_equation((0, 0), (4, 4), (2, 2), symbols=d.SEED001_SYMBOLS) == (
        r"\frac{\partial E}{\partial i_{11}} = \delta_{11} h_{11}")
    assert d.forward_equation((0, 0), (3, 3), (2, 2), symbols=d.SEED004_SYMBOLS, sep=",").startswith(
        r"\mathrm{net}_{1,1} = w_{1,1} a^{l-1}_{1,1}")
