"""The Matérn-5/2 ARD kernel with the categorical overlap term, and its derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tuningfork.samplers.gp._kernels import (
    kernel,
    kernel_input_grad,
    kernel_param_grads,
    kernel_param_grads_dot,
    matern52,
    sq_dist,
)


def _data(rng: np.random.Generator, n: int = 7) -> tuple[np.ndarray, np.ndarray]:
    x = rng.random((n, 3))
    x[:, 2] = rng.integers(0, 3, n)  # a categorical dim with 3 choices
    return x, np.array([False, False, True])


def test_matern52_closed_form() -> None:
    r = np.array([0.0, 0.5, 1.0, 3.0])
    expected = (1 + math.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-math.sqrt(5) * r)
    np.testing.assert_allclose(matern52(r**2), expected, rtol=1e-14)
    assert matern52(np.array([0.0]))[0] == 1.0


def test_kernel_values_with_lengthscales_and_categories() -> None:
    x1 = np.array([[0.1, 0.2, 0.0]])
    x2 = np.array([[0.4, 0.6, 0.0], [0.1, 0.2, 2.0]])
    is_cat = np.array([False, False, True])
    log_ls = np.log([0.5, 2.0, 0.25])
    k = kernel(x1, x2, log_ls, math.log(1.7), is_cat)
    r2_a = (0.3 / 0.5) ** 2 + (0.4 / 2.0) ** 2  # same category: no overlap term
    r2_b = 1.0 / 0.25**2  # identical numbers, different category
    np.testing.assert_allclose(k[0], 1.7 * matern52(np.array([r2_a, r2_b])), rtol=1e-14)
    # categories compare by equality, not by distance between codes
    x3 = np.array([[0.1, 0.2, 1.0]])
    assert kernel(x1, x3, log_ls, 0.0, is_cat)[0, 0] == pytest.approx(
        kernel(x1, x2[1:], log_ls, 0.0, is_cat)[0, 0]
    )


def test_kernel_matrix_is_symmetric_positive_definite() -> None:
    x, is_cat = _data(np.random.default_rng(0), 30)
    k = kernel(x, x, np.log([0.3, 0.7, 1.0]), 0.0, is_cat)
    np.testing.assert_allclose(k, k.T)
    assert np.linalg.eigvalsh(k + 1e-10 * np.eye(30)).min() > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_param_gradients_match_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, is_cat = _data(rng)
    theta = np.concatenate([rng.normal(-0.5, 0.5, 3), [rng.normal()]])
    _, grads = kernel_param_grads(x, theta[:3], float(theta[3]), is_cat)
    h = 1e-6
    for j in range(4):
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        fd = (
            kernel(x, x, up[:3], float(up[3]), is_cat)
            - kernel(x, x, down[:3], float(down[3]), is_cat)
        ) / (2 * h)
        np.testing.assert_allclose(grads[j], fd, rtol=1e-6, atol=1e-8)
    w = rng.standard_normal((len(x), len(x)))
    dots = kernel_param_grads_dot(w, x, theta[:3], float(theta[3]), is_cat)
    np.testing.assert_allclose(dots, np.einsum("ab,jab->j", w, grads), rtol=1e-12)


def test_input_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    x, is_cat = _data(rng)
    xq = np.array([[0.3, 0.8, 1.0], [0.9, 0.1, 2.0]])
    log_ls, log_amp = np.log([0.4, 0.9, 0.5]), 0.3
    k, grad = kernel_input_grad(xq, x, log_ls, log_amp, is_cat)
    np.testing.assert_allclose(k, kernel(xq, x, log_ls, log_amp, is_cat))
    h = 1e-6
    for j in range(2):
        up, down = xq.copy(), xq.copy()
        up[:, j] += h
        down[:, j] -= h
        fd = (kernel(up, x, log_ls, log_amp, is_cat) - kernel(down, x, log_ls, log_amp, is_cat)) / (
            2 * h
        )
        np.testing.assert_allclose(grad[:, :, j], fd, rtol=1e-6, atol=1e-9)
    assert np.all(grad[:, :, 2] == 0.0)  # categorical: piecewise constant


def test_gradient_is_finite_at_zero_distance() -> None:
    x = np.array([[0.5, 0.5]])
    _, grad = kernel_input_grad(x, x, np.zeros(2), 0.0, np.zeros(2, dtype=bool))
    assert np.all(grad == 0.0)
    assert sq_dist(x, x, np.zeros(2), np.zeros(2, dtype=bool))[0, 0] == 0.0
