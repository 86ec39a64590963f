"""Exact GP regression: marginal likelihood and its gradient, posterior, hyperparameter fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tuningfork.samplers.gp._gp import (
    NOISE_FLOOR,
    GaussianProcess,
    HyperPrior,
    cholesky_with_jitter,
    fit_hyperparameters,
    neg_log_posterior,
    standardize,
)
from tuningfork.samplers.gp._kernels import kernel


def _problem(seed: int = 0, n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 2] = rng.integers(0, 2, n)
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * x[:, 2]
    return x, standardize(y)[0], np.array([False, False, True])


@pytest.mark.parametrize("with_prior", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_nll_gradient_matches_finite_differences(with_prior: bool, seed: int) -> None:
    x, y, is_cat = _problem(seed)
    prior = HyperPrior.for_dims(3) if with_prior else None
    theta = np.array([-0.7, 0.2, 0.1, 0.3, math.log(1e-2)])
    _, grad = neg_log_posterior(theta, x, y, is_cat, prior)
    h = 1e-6
    for j in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        fd = (
            neg_log_posterior(up, x, y, is_cat, prior)[0]
            - neg_log_posterior(down, x, y, is_cat, prior)[0]
        ) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_nll_matches_multivariate_normal_density() -> None:
    from scipy.stats import multivariate_normal

    x, y, is_cat = _problem(2)
    theta = np.array([-0.5, 0.0, 0.5, 0.2, math.log(0.05)])
    k = kernel(x, x, theta[:3], 0.2, is_cat) + 0.05 * np.eye(len(y))
    expected = -multivariate_normal(mean=np.zeros(len(y)), cov=k).logpdf(y)
    assert neg_log_posterior(theta, x, y, is_cat)[0] == pytest.approx(expected, rel=1e-10)


def test_posterior_interpolates_noise_free_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((15, 2))
    y = standardize(np.cos(3 * x[:, 0]) * x[:, 1])[0]
    theta = np.array([math.log(0.5), math.log(0.5), 0.0, math.log(NOISE_FLOOR)])
    gp = GaussianProcess(x, y, theta, np.zeros(2, dtype=bool))
    mean, var = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=1e-4)
    assert np.all(var < 1e-4)
    far_mean, far_var = gp.predict(np.array([[5.0, 5.0]]))
    assert far_var[0] == pytest.approx(1.0, rel=1e-6)  # prior variance far from the data
    assert abs(far_mean[0]) < 1e-6


def test_fitted_posterior_interpolates_noise_free_data() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((20, 2))
    y = standardize(np.sin(4 * x[:, 0]) + x[:, 1])[0]
    is_cat = np.zeros(2, dtype=bool)
    theta = fit_hyperparameters(x, y, is_cat, np.random.default_rng(0))
    mean, _ = GaussianProcess(x, y, theta, is_cat).predict(x)
    np.testing.assert_allclose(mean, y, atol=0.05)
    assert math.exp(theta[-1]) < 1e-2  # it found the data nearly noise-free


def test_fit_improves_the_objective_and_respects_bounds() -> None:
    x, y, is_cat = _problem(3, n=25)
    prior = HyperPrior.for_dims(3)
    theta = fit_hyperparameters(x, y, is_cat, np.random.default_rng(0), prior=prior)
    bounds = np.array(prior.bounds(3))
    assert np.all(theta >= bounds[:, 0]) and np.all(theta <= bounds[:, 1])
    fitted = neg_log_posterior(theta, x, y, is_cat, prior)[0]
    assert fitted <= neg_log_posterior(prior.means(3), x, y, is_cat, prior)[0]
    # a warm start at the optimum stays there
    again = fit_hyperparameters(x, y, is_cat, np.random.default_rng(1), starts=[theta])
    assert neg_log_posterior(again, x, y, is_cat, prior)[0] == pytest.approx(fitted, abs=1e-6)


def test_predict_with_grad_matches_finite_differences() -> None:
    x, y, is_cat = _problem(4)
    gp = GaussianProcess(x, y, np.array([-0.6, -0.2, 0.0, 0.1, math.log(1e-3)]), is_cat)
    xq = np.array([[0.3, 0.6, 1.0], [0.8, 0.2, 0.0]])
    mean, var, dmean, dvar = gp.predict_with_grad(xq)
    m2, v2 = gp.predict(xq)
    np.testing.assert_allclose(mean, m2)
    np.testing.assert_allclose(var, v2)
    h = 1e-6
    for j in range(2):
        up, down = xq.copy(), xq.copy()
        up[:, j] += h
        down[:, j] -= h
        (mu, vu), (md, vd) = gp.predict(up), gp.predict(down)
        np.testing.assert_allclose(dmean[:, j], (mu - md) / (2 * h), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar[:, j], (vu - vd) / (2 * h), rtol=1e-5, atol=1e-7)


def test_condition_appends_observations() -> None:
    x, y, is_cat = _problem(5)
    theta = np.array([-0.5, -0.5, 0.0, 0.0, math.log(1e-4)])
    gp = GaussianProcess(x[:8], y[:8], theta, is_cat)
    full = gp.condition(x[8:], y[8:])
    direct = GaussianProcess(x, y, theta, is_cat)
    q = np.random.default_rng(0).random((4, 3))
    np.testing.assert_allclose(full.predict(q)[0], direct.predict(q)[0], rtol=1e-10)


def test_cholesky_jitter_fallback_on_singular_matrix() -> None:
    x = np.array([[0.5], [0.5], [0.2]])
    k = kernel(x, x, np.zeros(1), 0.0, np.zeros(1, dtype=bool))  # two identical rows
    k[0, 1] = k[1, 0] = 1.0 + 1e-12  # and slightly indefinite
    chol = cholesky_with_jitter(k)
    np.testing.assert_allclose(chol @ chol.T, k, atol=1e-6)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        cholesky_with_jitter(-np.eye(2))


def test_duplicate_points_fit_without_error() -> None:
    x = np.array([[0.2, 0.3]] * 4 + [[0.7, 0.1]])
    y = standardize(np.array([1.0, 1.0, 1.0, 1.0, 2.0]))[0]
    theta = fit_hyperparameters(x, y, np.zeros(2, dtype=bool), np.random.default_rng(0))
    assert np.all(np.isfinite(theta))


def test_standardize_constant_and_single() -> None:
    ys, mean, std = standardize(np.array([3.0, 3.0, 3.0]))
    assert (mean, std) == (3.0, 1.0) and np.all(ys == 0.0)
    ys, mean, std = standardize(np.array([5.0]))
    assert (mean, std) == (5.0, 1.0) and ys[0] == 0.0
