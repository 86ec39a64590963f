"""Exact Gaussian-process regression with a Matérn-5/2 ARD kernel (pure: arrays in and out).

Follows Rasmussen & Williams (2006), Algorithm 2.1 for the posterior and eq. 5.9 for the
gradient of the log marginal likelihood. Hyperparameters are a vector in log space,

    θ = (log ℓ_1, ..., log ℓ_d, log σ², log σ_n²),

fitted by maximum a posteriori (marginal likelihood times log-normal priors) with L-BFGS-B
from several starts. Outputs are expected standardized (mean 0, variance 1), inputs in the unit
cube (logarithmic parameters are already warped by the space transform), categorical inputs
as integer codes (see :mod:`._kernels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from tuningfork.samplers.gp._kernels import (
    Array,
    BoolArray,
    kernel,
    kernel_input_grad,
    kernel_param_grads_dot,
    matern52,
    sq_dist,
)

NOISE_FLOOR = 1e-6  # on the standardized scale; keeps K well conditioned for exact data
_LOG_2PI = math.log(2.0 * math.pi)
_MAX_JITTER_TRIES = 6
_FAILED_LOSS = 1e25  # what a start gets when even the jittered Cholesky fails


@dataclass(frozen=True)
class HyperPrior:
    """Independent normal priors on the log hyperparameters, and their box bounds.

    The lengthscale prior follows Hvarfner, Hellsten & Nardi (2024, "Vanilla Bayesian
    optimization performs great in high dimensions"): ``log ℓ ~ N(√2 + log(d)/2, 3)``, which
    scales the typical lengthscale with the typical distance between points of the unit cube
    and keeps small data sets from being explained by wiggles. Signal variance: ``N(0, 1)`` (the
    outputs are standardized). Noise variance: ``N(log 1e-3, 2²)``, bounded below by
    :data:`NOISE_FLOOR`.
    """

    ls_mean: float
    ls_std: float = math.sqrt(3.0)
    amp_mean: float = 0.0
    amp_std: float = 1.0
    noise_mean: float = math.log(1e-3)
    noise_std: float = 2.0
    ls_bounds: tuple[float, float] = (math.log(5e-3), math.log(1e3))
    amp_bounds: tuple[float, float] = (math.log(1e-3), math.log(1e2))
    noise_bounds: tuple[float, float] = (math.log(NOISE_FLOOR), math.log(2.0))

    @classmethod
    def for_dims(cls, d: int) -> HyperPrior:
        return cls(ls_mean=math.sqrt(2.0) + 0.5 * math.log(max(d, 1)))

    def means(self, d: int) -> Array:
        return np.array([self.ls_mean] * d + [self.amp_mean, self.noise_mean])

    def stds(self, d: int) -> Array:
        return np.array([self.ls_std] * d + [self.amp_std, self.noise_std])

    def bounds(self, d: int) -> list[tuple[float, float]]:
        return [self.ls_bounds] * d + [self.amp_bounds, self.noise_bounds]

    def clip(self, theta: Array) -> Array:
        b = np.array(self.bounds(len(theta) - 2))
        return np.clip(theta, b[:, 0], b[:, 1])

    def sample(self, d: int, rng: np.random.Generator) -> Array:
        return self.clip(self.means(d) + self.stds(d) * rng.standard_normal(d + 2))


def cholesky_with_jitter(k: Array) -> Array:
    """Lower Cholesky factor of ``k``; adds growing diagonal jitter if ``k`` is not numerically
    positive definite. Raises ``numpy.linalg.LinAlgError`` when even the largest jitter fails."""
    chol, info = lapack.dpotrf(k, lower=1)
    if info == 0:
        return chol  # type: ignore[no-any-return]
    scale = float(np.mean(np.diag(k))) if k.size else 1.0
    jitter = 1e-10 * max(scale, 1e-300)
    eye = np.eye(k.shape[0])
    for _ in range(_MAX_JITTER_TRIES):
        chol, info = lapack.dpotrf(k + jitter * eye, lower=1)
        if info == 0:
            return chol  # type: ignore[no-any-return]
        jitter *= 100.0
    raise np.linalg.LinAlgError("the kernel matrix is not positive definite, even with jitter")


def cholesky_inverse(chol: Array) -> Array:
    """``K⁻¹`` from the lower Cholesky factor of ``K`` (one LAPACK call, symmetrized)."""
    inv, info = lapack.dpotri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("the Cholesky factor is singular")
    lower = np.tril(inv)
    return lower + np.tril(inv, -1).T  # type: ignore[no-any-return]


def standardize(y: Array) -> tuple[Array, float, float]:
    """``(y - mean) / std`` with ``std = 1`` when ``y`` is constant (or has one point)."""
    mean = float(np.mean(y)) if y.size else 0.0
    std = float(np.std(y)) if y.size > 1 else 1.0
    if not std > 1e-12 * max(1.0, abs(mean)):
        std = 1.0
    return (y - mean) / std, mean, std


def neg_log_posterior(
    theta: Array, x: Array, y: Array, is_cat: BoolArray, prior: HyperPrior | None = None
) -> tuple[float, Array]:
    """Negative log marginal likelihood (plus the negative log prior, up to a constant, if
    ``prior`` is given) and its gradient with respect to ``θ``."""
    n, d = x.shape
    log_ls, log_amp, log_noise = theta[:d], float(theta[d]), float(theta[d + 1])
    noise = math.exp(log_noise)
    r2 = sq_dist(x, x, log_ls, is_cat)
    k = math.exp(log_amp) * matern52(r2)
    k[np.diag_indices_from(k)] += noise
    chol = cholesky_with_jitter(k)
    alpha = scipy.linalg.cho_solve((chol, True), y, check_finite=False)
    value = 0.5 * float(y @ alpha) + float(np.sum(np.log(np.diag(chol)))) + 0.5 * n * _LOG_2PI
    k_inv = cholesky_inverse(chol)
    w = np.outer(alpha, alpha) - k_inv  # d log p / dθ_j = ½ tr(W dK/dθ_j)   (R&W eq. 5.9)
    grad = np.empty(d + 2)
    grad[: d + 1] = -0.5 * kernel_param_grads_dot(w, x, log_ls, log_amp, is_cat, r2)
    grad[d + 1] = -0.5 * noise * float(np.trace(w))
    if prior is not None:
        z = (theta - prior.means(d)) / prior.stds(d)
        value += 0.5 * float(z @ z)
        grad += z / prior.stds(d)
    return value, grad


def fit_hyperparameters(
    x: Array,
    y: Array,
    is_cat: BoolArray,
    rng: np.random.Generator,
    *,
    starts: Sequence[Array] = (),
    n_random_starts: int = 1,
    prior: HyperPrior | None = None,
    maxiter: int = 200,
) -> Array:
    """MAP hyperparameters by L-BFGS-B from the given starts, the prior mean and
    ``n_random_starts`` draws from the prior; returns the best ``θ`` found."""
    d = x.shape[1]
    prior = prior if prior is not None else HyperPrior.for_dims(d)
    inits = [prior.clip(np.asarray(s, dtype=np.float64)) for s in starts if len(s) == d + 2]
    inits.append(prior.means(d))
    inits.extend(prior.sample(d, rng) for _ in range(n_random_starts))

    def loss(theta: Array) -> tuple[float, Array]:
        try:
            value, grad = neg_log_posterior(theta, x, y, is_cat, prior)
        except np.linalg.LinAlgError:
            return _FAILED_LOSS, np.zeros_like(theta)
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            return _FAILED_LOSS, np.zeros_like(theta)
        return value, grad

    from scipy.optimize import minimize  # imported when first needed: ~0.6 s

    best_theta, best_value = inits[0], math.inf
    for init in inits:
        with np.errstate(over="ignore", under="ignore"):
            result = minimize(
                loss,
                init,
                jac=True,
                method="L-BFGS-B",
                bounds=prior.bounds(d),
                options={"maxiter": maxiter},
            )
        value = float(result.fun)
        if value < best_value:
            best_theta, best_value = np.asarray(result.x, dtype=np.float64), value
    return best_theta


class GaussianProcess:
    """The posterior of a zero-mean GP given data ``(x, y)`` and fixed hyperparameters ``θ``.

    Predictions are of the latent function (the noise variance is not added).
    """

    def __init__(self, x: Array, y: Array, theta: Array, is_cat: BoolArray) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.is_cat = np.asarray(is_cat, dtype=bool)
        d = self.x.shape[1]
        self.log_ls = self.theta[:d]
        self.log_amp = float(self.theta[d])
        self.amp = math.exp(self.log_amp)
        self.noise = math.exp(float(self.theta[d + 1]))
        k = kernel(self.x, self.x, self.log_ls, self.log_amp, self.is_cat)
        k[np.diag_indices_from(k)] += self.noise
        self._chol = cholesky_with_jitter(k)
        self.alpha = scipy.linalg.cho_solve((self._chol, True), self.y, check_finite=False)
        self._k_inv = cholesky_inverse(self._chol)

    def condition(self, x_new: Array, y_new: Array) -> GaussianProcess:
        """The posterior after also observing ``(x_new, y_new)``, hyperparameters unchanged."""
        return GaussianProcess(
            np.vstack([self.x, x_new]), np.concatenate([self.y, y_new]), self.theta, self.is_cat
        )

    def predict(self, xq: Array) -> tuple[Array, Array]:
        """Posterior mean and variance at the rows of ``xq`` (variance floored at 1e-300)."""
        k = kernel(np.atleast_2d(xq), self.x, self.log_ls, self.log_amp, self.is_cat)
        mean = k @ self.alpha
        var = self.amp - np.einsum("ij,ij->i", k @ self._k_inv, k)
        return mean, np.maximum(var, 1e-300)

    def predict_with_grad(self, xq: Array) -> tuple[Array, Array, Array, Array]:
        """Mean, variance and their gradients ``(m, d)`` with respect to the rows of ``xq``.

        Where the variance is floored its gradient is set to zero.
        """
        xq = np.atleast_2d(xq)
        k, dk = kernel_input_grad(xq, self.x, self.log_ls, self.log_amp, self.is_cat)
        v = k @ self._k_inv
        mean = k @ self.alpha
        raw_var = self.amp - np.einsum("ij,ij->i", v, k)
        dmean = np.einsum("inj,n->ij", dk, self.alpha)
        dvar = -2.0 * np.einsum("inj,in->ij", dk, v)
        floored = raw_var <= 1e-300
        dvar[floored] = 0.0
        return mean, np.maximum(raw_var, 1e-300), dmean, dvar
