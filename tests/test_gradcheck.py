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
