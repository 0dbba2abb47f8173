"""numerical_gradient and rel_error must themselves be right."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import cnnbook as cb


def test_gradient_of_a_scalar_function(rng):
    x = rng.normal(size=(3, 2))
    assert_allclose(cb.numerical_gradient(lambda v: np.sum(v ** 3), x), 3 * x ** 2, rtol=1e-7)


def test_vector_jacobian_product(rng):
    A, x, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    assert_allclose(cb.numerical_gradient(lambda v: A @ v, x, dout), A.T @ dout, rtol=1e-7)


def test_input_is_not_modified(rng):
    x = rng.normal(size=5)
    keep = x.copy()
    cb.numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    assert np.array_equal(x, keep)


def test_detects_a_wrong_gradient(rng):
    x = rng.normal(size=(2, 2)) + 3
    num = cb.numerical_gradient(lambda v: np.sum(v ** 2), x)
    assert cb.rel_error(num, 2 * x) < 1e-7
    assert cb.rel_error(num, 2.1 * x) > 1e-3


def test_rel_error_values():
    assert cb.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert cb.rel_error([1.0], [3.0]) == pytest.approx(0.5)


def test_clear_errors():
    with pytest.raises(ValueError, match="pass dout"):
        cb.numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"f returned shape \(3,\) but dout has shape \(2,\)"):
        cb.numerical_gradient(lambda v: v * 2, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"cannot compare shapes \(2,\) and \(3,\)"):
        cb.rel_error(np.ones(2), np.ones(3))


# --- report: the one comparison every chapter prints -------------------------------------

def test_report_exact_prints_zero_and_returns_nothing(capsys):
    assert cb.report("sum", [[1.0, 2.0]], np.array([[1, 2]])) is None
    assert capsys.readouterr().out == f"{'sum':<56} max error 0\n"


def test_report_exact_fails_on_the_last_bit():
    with pytest.raises(cb.CheckFailed, match=r"sum: max error 2\.22e-16 is above 0e\+00 \(exact check\)"):
        cb.report("sum", [1.0], [1.0 + 2.0 ** -52])


def test_report_rounding_prints_the_bound_not_the_digits(capsys):
    # Two errors whose digits differ print the same line: nbval sees no machine noise.
    cb.report("a", [1.0], [1.0 + 3e-16], "rounding")
    cb.report("a", [1.0], [1.0 + 7e-13], "rounding")
    first, second = capsys.readouterr().out.splitlines()
    assert first == second == f"{'a':<56} max error < 1e-12"


def test_report_rounding_is_relative_to_the_size_of_the_values(capsys):
    big = np.array([1e6, 2e6])
    cb.report("big", big + 5e-7, big, "rounding")          # 5e-7 / 2e6 = 2.5e-13
    with pytest.raises(cb.CheckFailed, match="rounding check"):
        cb.report("big", big + 5e-6, big, "rounding")      # 2.5e-12
    with pytest.raises(cb.CheckFailed):
        cb.report("small", [0.0], [2e-12], "rounding")     # below 1 the bound is absolute


def test_report_gradient_uses_rel_error_and_says_so(capsys, rng):
    x = rng.normal(size=(3, 4))
    num = cb.numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    cb.report("∂E/∂x", np.cos(x), num, "gradient")
    assert capsys.readouterr().out == f"{'∂E/∂x':<56} rel. error < 1e-07\n"
    with pytest.raises(cb.CheckFailed, match=r"rel\. error"):
        cb.report("∂E/∂x", 1.01 * np.cos(x), num, "gradient")


def test_report_tol_override_and_bad_arguments(capsys):
    cb.report("kink", [1.0], [1.0 + 1e-7], "gradient", tol=1e-6, width=4)
    assert capsys.readouterr().out == "kink rel. error < 1e-06\n"
    with pytest.raises(ValueError, match="kind must be one of"):
        cb.report("x", [1.0], [1.0], "approximately")
    with pytest.raises(ValueError, match="tol must be 0 or positive, got -1"):
        cb.report("x", [1.0], [1.0], tol=-1)
    with pytest.raises(ValueError, match=r"cannot compare shapes \(2,\) and \(3,\)"):
        cb.report("x", np.ones(2), np.ones(3))
    with pytest.raises(cb.CheckFailed):
        cb.report("nan", [np.nan], [np.nan], "rounding")


def test_report_difference_shows_a_wrong_claim(capsys):
    cb.report_difference("seed's dW", [[1.0, 5.0]], [[1.0, 2.0]], width=9)
    assert capsys.readouterr().out == "seed's dW differs: max |claimed − correct| = 3\n"
    with pytest.raises(cb.CheckFailed, match="agree with the correct ones"):
        cb.report_difference("right after all", [1.0], [1.0 + 1e-9])


def test_max_error_small_integers_rounded(rng):
    assert cb.max_error([1.0, -2.0], [1.5, 1.0]) == 3.0
    assert cb.max_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    a = cb.small_integers(rng, (50, 3), -2, 2)
    assert a.dtype == np.float64 and a.shape == (50, 3)
    assert set(np.unique(a)) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    with pytest.raises(ValueError, match="low 3 is above high 1"):
        cb.small_integers(rng, 2, 3, 1)
    r = cb.rounded([-1e-9, 0.1234567891])
    assert r.tolist() == [0.0, 0.123457] and not np.signbit(r[0])


def test_docstring_examples_run():
    import doctest

    import cnnbook.gradcheck
    assert doctest.testmod(cnnbook.gradcheck).failed == 0
