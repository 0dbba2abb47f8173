"""Bad input gets a ValueError naming the numbers; no input is ever modified."""
import numpy as np
import pytest

import cnnbook as cb

X = np.ones((1, 3, 5, 5))
W = np.ones((2, 3, 3, 3))


def test_output_size_formula():
    assert cb.output_size(5, 3) == 3
    assert cb.output_size(5, 3, stride=2, padding=1) == 3
    assert cb.output_size(6, 3, stride=2) == 2  # (6 - 3)/2 + 1 = 2.5 → floor
    assert cb.output_size(28, 5) == 24
    assert isinstance(cb.output_size(7, 2, 2), int)


CONV_CASES = [
    (lambda: cb.conv2d(np.ones((5, 5)), W), r"x must be 4-D \(N, C, H, W\), got shape \(5, 5\) \(2-D\)"),
    (lambda: cb.conv2d(np.ones((3, 5, 5)), W), r"got shape \(3, 5, 5\) \(3-D\)"),
    (lambda: cb.conv2d(X, np.ones((3, 3, 3))), r"w must be 4-D \(F, C, KH, KW\)"),
    (lambda: cb.conv2d(np.ones((1, 2, 5, 5)), W), r"x has 2 channels .* each filter has 3"),
    (lambda: cb.conv2d(X, W, np.ones(3)), r"b must have shape \(2,\), one bias per filter, got shape \(3,\)"),
    (lambda: cb.conv2d(X, W, np.ones((2, 1))), r"got shape \(2, 1\)"),
    (lambda: cb.conv2d(np.ones((1, 3, 3, 3)), np.ones((2, 3, 5, 5))), "kernel height 5 does not fit input height 3 \\+ 2·0 padding"),
    (lambda: cb.conv2d(np.ones((1, 3, 8, 3)), np.ones((2, 3, 3, 5))), "kernel width 5 does not fit input width 3 \\+ 2·0 padding"),
    (lambda: cb.conv2d(X, W, stride=0), "stride must be at least 1, got 0"),
    (lambda: cb.conv2d(X, W, stride=(1, -2)), r"stride must be at least 1, got \(1, -2\)"),
    (lambda: cb.conv2d(X, W, padding=-1), "padding must not be negative, got -1"),
    (lambda: cb.conv2d(X, W, stride=1.5), "stride must be an int or an \\(h, w\\) pair of ints, got 1.5"),
    (lambda: cb.conv2d(X, W, padding=(1, 2, 3)), "padding must be an int or an \\(h, w\\) pair, got \\(1, 2, 3\\) with 3 entries"),
    (lambda: cb.conv2d(X, W, stride=True), "stride must be"),
    (lambda: cb.conv2d(X, np.ones((0, 3, 3, 3))), "at least one filter"),
    (lambda: cb.conv2d([["a"]], W), "x must be an array of numbers"),
    (lambda: cb.conv2d_backward(np.ones((1, 2, 2, 2)), X, W), r"dout has shape \(1, 2, 2, 2\) but the forward output has shape \(1, 2, 3, 3\)"),
    (lambda: cb.conv2d_backward_reference(np.ones((1, 2, 2, 2)), X, W), r"dout has shape \(1, 2, 2, 2\)"),
    (lambda: cb.conv2d_reference(np.ones((1, 2, 5, 5)), W), r"x has 2 channels"),
]

POOL_CASES = [
    (lambda: cb.max_pool2d(np.ones((5, 5)), 2), r"x must be 4-D"),
    (lambda: cb.max_pool2d(np.ones((1, 1, 2, 2)), 3), "kernel height 3 does not fit input height 2 \\+ 2·0 padding"),
    (lambda: cb.max_pool2d(X, 3, padding=2), "pool padding 2 is more than half the window 3 along the height \\(at most 1\\)"),
    (lambda: cb.avg_pool2d(X, (2, 4), padding=(1, 3)), "pool padding 3 is more than half the window 4 along the width"),
    (lambda: cb.avg_pool2d(X, 2, stride=0), "stride must be at least 1, got 0"),
    (lambda: cb.max_pool2d(X, 0), "kernel_size must be at least 1, got 0"),
    (lambda: cb.max_pool2d(X, 2.0), "kernel_size must be an int"),
    (lambda: cb.max_pool2d_backward(np.ones((1, 3, 3, 3)), X, 2), r"dout has shape \(1, 3, 3, 3\) but the forward output has shape \(1, 3, 2, 2\)"),
    (lambda: cb.avg_pool2d_backward(np.ones((1, 3, 3, 3)), X, 2), r"dout has shape \(1, 3, 3, 3\)"),
    (lambda: cb.max_pool2d_backward_reference(np.ones((1, 3, 3, 3)), X, 2), r"dout has shape"),
    (lambda: cb.avg_pool2d_reference(X, 3, padding=2), "pool padding 2"),
]

OTHER_CASES = [
    (lambda: cb.output_size(3, 5), "kernel 5 does not fit input 3 \\+ 2·0 padding"),
    (lambda: cb.output_size(2, 5, padding=1), "kernel 5 does not fit input 2 \\+ 2·1 padding"),
    (lambda: cb.output_size(7, 3, stride=0), "stride must be at least 1, got 0"),
    (lambda: cb.output_size(7, 3, padding=-1), "padding must not be negative, got -1"),
    (lambda: cb.output_size(7.0, 3), "input size n must be an integer, got 7.0"),
    (lambda: cb.output_size(0, 1), "input size n must be at least 1, got 0"),
    (lambda: cb.im2col(np.ones((4, 4)), 2), "x must be 4-D"),
    (lambda: cb.im2col(np.ones((1, 1, 4, 4)), 5), "kernel height 5 does not fit input height 4"),
    (lambda: cb.col2im(np.ones((4, 9)), (4, 4), 2), r"x_shape must be \(N, C, H, W\)"),
    (lambda: cb.participation_counts(3, 4), "kernel height 4 does not fit input height 3"),
    (lambda: cb.im2col_reference(np.ones((1, 1, 4, 4)), 5), "kernel height 5 does not fit input height 4"),
    (lambda: cb.col2im_reference(np.ones((4, 8)), (1, 1, 4, 4), 2), r"cols has shape \(4, 8\) but im2col of an input \(1, 1, 4, 4\) gives \(4, 9\)"),
    (lambda: cb.col2im_reference(np.ones((4, 9)), "abcd", 2), r"x_shape must be \(N, C, H, W\), four ints, got 'abcd'"),
]


@pytest.mark.parametrize("call, match", CONV_CASES + POOL_CASES + OTHER_CASES)
def test_bad_input_raises_a_value_error_with_the_numbers(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _calls(rng):
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    dout_c = rng.normal(size=(2, 4, 3, 3))
    dout_p = rng.normal(size=(2, 3, 7, 6))
    logits, labels = rng.normal(size=(3, 5)), np.array([0, 4, 2])
    yield lambda: cb.conv2d(x, w, b, 2, 1), (x, w, b)
    yield lambda: cb.conv2d_backward(dout_c, x, w, 2, 1), (dout_c, x, w)
    yield lambda: cb.conv2d_reference(x, w, b, 2, 1), (x, w, b)
    yield lambda: cb.conv2d_backward_reference(dout_c, x, w, 2, 1), (dout_c, x, w)
    for f, fb, rf, rb in [(cb.max_pool2d, cb.max_pool2d_backward, cb.max_pool2d_reference, cb.max_pool2d_backward_reference),
                          (cb.avg_pool2d, cb.avg_pool2d_backward, cb.avg_pool2d_reference, cb.avg_pool2d_backward_reference)]:
        for g in (f, rf):
            yield lambda g=g: g(x, 2, 1, 1), (x,)
        for g in (fb, rb):
            yield lambda g=g: g(dout_p, x, 2, 1, 1), (dout_p, x)
    yield lambda: cb.im2col(x, 3, 2, 1), (x,)
    yield lambda: cb.im2col_reference(x, 3, 2, 1), (x,)
    cols = rng.normal(size=(27, 2 * 3 * 3))
    yield lambda: cb.col2im(cols, x.shape, 3, 2, 1), (cols,)
    yield lambda: cb.col2im_reference(cols, x.shape, 3, 2, 1), (cols,)
    yield lambda: cb.pad2d(x, 1), (x,)
    yield lambda: cb.rot180(w), (w,)
    yield lambda: cb.expand_sensitivity(dout_c, 2), (dout_c,)
    yield lambda: cb.correlate2d(x[0, 0], w[0, 0], "full"), (x,)
    for fn in (cb.relu, cb.sigmoid, cb.tanh, cb.flatten):
        yield lambda fn=fn: fn(x), (x,)
    yield lambda: cb.relu_backward(x, x), (x,)
    yield lambda: cb.flatten_backward(x.reshape(2, -1), x.shape), (x,)
    yield lambda: cb.softmax_cross_entropy_backward(1.0, logits, labels), (logits, labels)
    yield lambda: cb.softmax(logits), (logits,)


def test_inputs_are_never_modified():
    rng = np.random.default_rng(7)
    for call, arrays in _calls(rng):
        before = [a.copy() for a in arrays]
        out = call()
        for a, keep in zip(arrays, before):
            assert np.array_equal(a, keep), call
        # and no output is a view into an input (writing to it must not change the input)
        for o in out if isinstance(out, tuple) else (out,):
            for a in arrays:
                assert not np.shares_memory(o, a), call


# --- what numpy would silently accept: complex numbers, None, strings -------------------

NOT_NUMBERS = [
    (lambda: cb.relu([None, 1]), "x must be an array of numbers, got None among its entries"),
    (lambda: cb.relu(np.array([1.0, object()], dtype=object)), "x must be an array of numbers, got <object"),
    (lambda: cb.relu(np.array([1 + 2j, 3])), r"x must hold real numbers, got a complex array"),
    (lambda: cb.sigmoid(np.ones(3, dtype=np.complex64)), r"x must hold real numbers, got a complex array"),
    (lambda: cb.conv2d(X + 0j, W), r"x must hold real numbers, got a complex array"),
    (lambda: cb.conv2d(X, W, np.array([1j, 0])), r"b must hold real numbers"),
    (lambda: cb.max_pool2d(np.full((1, 1, 2, 2), 1j), 2), r"x must hold real numbers"),
    (lambda: cb.conv2d(X, W, b=["5", "1"]), "b must be an array of numbers, got strings such as '5'"),
    (lambda: cb.conv2d(X, W, b=["5"]), "b must be an array of numbers, got strings such as '5'"),
    (lambda: cb.relu([1, "5"]), "x must be an array of numbers, got strings such as '1'"),
    (lambda: cb.conv2d(X, W, b=[None, 1]), "b must be an array of numbers, got None"),
    (lambda: cb.pad2d([[None, 1], [2, 3]], 1), "a must be an array of numbers, got None"),
    (lambda: cb.dense([[1j]], [[1.0]]), "x must hold real numbers"),
]


@pytest.mark.parametrize("call, match", NOT_NUMBERS)
def test_only_real_numbers_are_numbers(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_no_complex_warning_escapes():
    """numpy warns and drops the imaginary part; cnnbook raises before that."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="complex"):
            cb.relu(np.array([1 + 1j]))


def test_object_arrays_of_numbers_and_bools_are_still_numbers():
    np.testing.assert_array_equal(cb.relu(np.array([-1, 2.5], dtype=object)), [0.0, 2.5])
    np.testing.assert_array_equal(cb.relu(np.array([True, False])), [1.0, 0.0])
    assert cb.relu(np.arange(3, dtype=np.int8)).dtype == np.float64


def test_col2im_x_shape_must_be_four_ints():
    for bad, match in [("abcd", r"x_shape must be \(N, C, H, W\), four ints, got 'abcd'"),
                       ((1, 1, "4", 4), "x_shape entry must be an integer, got '4'"),
                       ((1, 1, 4.0, 4), "x_shape entry must be an integer, got 4.0"),
                       ((1, 1, -4, 4), "x_shape entry must not be negative, got -4"),
                       (None, "x_shape must be .* got None"),
                       (5, "x_shape must be .* got 5")]:
        with pytest.raises(ValueError, match=match):
            cb.col2im(np.ones((4, 9)), bad, 2)


# --- a padding too large for any memory is refused before anything is allocated -----------

HUGE = 10**7  # three padded 5×5 maps of (2·10⁷ + 5)² float64 cells: 9.6 PB

TOO_BIG = [
    (lambda: cb.conv2d(X, W, padding=HUGE), r"padding 10000000 needs a padded input of shape \(1, 3, 20000005, 20000005\), 9\.6 PB of float64: more than this machine's"),
    (lambda: cb.conv2d_backward(np.ones((1, 2, 3, 3)), X, W, padding=(HUGE, HUGE + 1)), r"padding \(10000000, 10000001\) needs"),
    (lambda: cb.conv2d_reference(X, W, padding=HUGE), "padding 10000000 needs a padded input"),
    (lambda: cb.conv2d_backward_reference(np.ones((1, 2, 3, 3)), X, W, padding=HUGE), "padding 10000000 needs"),
    (lambda: cb.max_pool2d(X, 2 * HUGE, padding=HUGE), "padding 10000000 needs a padded input"),
    (lambda: cb.avg_pool2d_reference(X, 2 * HUGE, padding=HUGE), "padding 10000000 needs"),
    (lambda: cb.pad2d(np.ones((3, 3)), HUGE), r"padding 10000000 needs a padded array of shape \(20000003, 20000003\)"),
    (lambda: cb.im2col(X, 3, padding=HUGE), "padding 10000000 needs columns of shape"),
    (lambda: cb.participation_counts(3, 2, padding=HUGE), "padding 10000000 needs columns"),
    (lambda: cb.conv_matrix(np.ones((2, 2)), 3, padding=HUGE), r"input_shape \(3, 3\) with padding 10000000 needs a matrix"),
    (lambda: cb.col2im(np.ones((4, 9)), (HUGE, HUGE, 3, 3), 2), r"x_shape \(10000000, 10000000, 3, 3\) needs an input"),
]


@pytest.mark.parametrize("call, match", TOO_BIG)
def test_a_padding_no_memory_holds_is_refused_with_the_size(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_size_limit_is_the_machines_memory(monkeypatch):
    """Below the limit the same call runs; with the limit lowered it is refused."""
    from cnnbook import shapes

    assert shapes.MAX_BYTES > 2**28  # any machine that runs the course has 256 MB
    assert cb.conv2d(X, W, padding=100).shape == (1, 2, 203, 203)
    monkeypatch.setattr(shapes, "MAX_BYTES", 10**5)
    with pytest.raises(ValueError, match=r"padding 100 needs a padded input of shape \(1, 3, 205, 205\), 1\.0 MB of float64: more than this machine's 100\.0 kB"):
        cb.conv2d(X, W, padding=100)
