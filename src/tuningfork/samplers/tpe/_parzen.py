"""Multivariate Parzen estimators on the unit cube: pure numpy, arrays in, arrays out.

Every dimension lives in ``[0, 1]`` (the search space's unit-cube transform). Three kinds:

* ``CONTINUOUS``: a Gaussian kernel truncated to ``[0, 1]``, renormalized per component;
* ``DISCRETE``: a numeric domain cut into bins (``edges``, increasing from 0 to 1; equal widths
  for ints and stepped floats, log-spaced for log ints). A component gives each bin the mass its
  truncated Gaussian puts on the bin, so the bin probabilities of a component sum to 1;
* ``CATEGORICAL``: ``n`` unordered choices, the value ``u`` meaning index ``floor(u * n)``. An
  Aitchison-Aitken kernel: probability ``1 - lam`` on the component's own choice and
  ``lam / (n - 1)`` on each other one.

A component's kernel is the product of its per-dimension kernels (the multivariate kernel of
Watanabe 2023, which keeps the dependence between parameters that univariate TPE loses). The
mixture has one component per observation with equal weights (the "uniform" weighting) plus a
prior component (centre 0.5, bandwidth 1, uniform on categories) whose weight is
``prior_weight`` times one observation's.

Bandwidths follow Scott's rule for a product kernel, ``h_d = sigma_d * n ** (-1 / (d + 4))``,
clipped below at ``min_bandwidth`` (and at half a bin for discrete dimensions) and above at 1.
For categorical dimensions the same factor scales the dispersion of the observed choices (the
Gini impurity, 0 when all agree, ``(n - 1) / n`` when uniform) into ``lam``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

CONTINUOUS = 0
DISCRETE = 1
CATEGORICAL = 2

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# The smallest share of a categorical kernel spread over the other choices, relative to the
# uniform spread (n - 1) / n: a choice never seen among the good trials keeps some probability.
_MIN_CATEGORICAL_SPREAD = 0.1


@dataclass(frozen=True)
class Dim:
    """One unit-cube dimension: its kind, and the bin edges or the number of choices."""

    kind: int
    edges: np.ndarray | None = None  # DISCRETE: n_bins + 1 increasing values from 0 to 1
    n_choices: int = 0  # CATEGORICAL

    @property
    def n_bins(self) -> int:
        return 0 if self.edges is None else len(self.edges) - 1


def continuous() -> Dim:
    return Dim(CONTINUOUS)


def discrete(edges: Sequence[float] | np.ndarray) -> Dim:
    array = np.asarray(edges, dtype=float)
    if array.ndim != 1 or len(array) < 2 or np.any(np.diff(array) <= 0):
        raise ValueError(f"bin edges must be increasing and at least two, got {edges!r}")
    array = array.copy()
    array[0], array[-1] = 0.0, 1.0
    return Dim(DISCRETE, edges=array)


def equal_bins(n: int) -> Dim:
    return discrete(np.linspace(0.0, 1.0, n + 1))


def categorical(n_choices: int) -> Dim:
    if n_choices < 1:
        raise ValueError(f"a categorical dimension needs at least one choice, got {n_choices}")
    return Dim(CATEGORICAL, n_choices=n_choices)


@dataclass(frozen=True)
class ParzenEstimator:
    """A fitted mixture: ``centers`` and ``bandwidths`` are ``(n_components, n_dims)``.

    For numeric dimensions a bandwidth is a Gaussian's standard deviation; for categorical
    ones it is ``lam``, and the centre holds the choice's index.
    """

    dims: tuple[Dim, ...]
    centers: np.ndarray
    bandwidths: np.ndarray
    log_weights: np.ndarray

    @property
    def n_components(self) -> int:
        return len(self.log_weights)


# -- bandwidths ---------------------------------------------------------------------------------


def scott_factor(n: int, d: int) -> float:
    """Scott's rule for a ``d``-dimensional product kernel on ``n`` observations."""
    return float(max(n, 1) ** (-1.0 / (d + 4)))


def magic_clip(n: int) -> float:
    """Bergstra et al.'s floor on bandwidths, ``1 / min(100, n + 1)`` of the range: kernels of
    few observations stay wide (exploration), and narrow as observations accumulate."""
    return 1.0 / min(100, n + 1)


def numeric_bandwidth(
    values: np.ndarray, factor: float, min_bandwidth: float, dim: Dim, *, clip: bool = True
) -> float:
    """Scott's bandwidth for one numeric dimension, clipped to ``[floor, 1]``.

    The floor is ``min_bandwidth``, the magic clip (unless ``clip`` is false) and, for a
    discrete dimension, half the mean bin width. With fewer than two observations the spread
    is unknown and the uniform's standard deviation, ``1 / sqrt(12)``, stands in for it.
    """
    sigma = float(np.std(values)) if len(values) >= 2 else 1.0 / math.sqrt(12.0)
    floor = max(min_bandwidth, magic_clip(len(values))) if clip else min_bandwidth
    if dim.kind == DISCRETE:
        floor = max(floor, 0.5 / dim.n_bins)
    return min(max(sigma * factor, floor), 1.0)


def categorical_lambda(indices: np.ndarray, n_choices: int, factor: float) -> float:
    """Aitchison-Aitken ``lam`` for observed choice ``indices``: the Gini dispersion of the
    observations times Scott's factor, kept within ``[0.1, 1] * (n - 1) / n``."""
    if n_choices <= 1:
        return 0.0
    top = (n_choices - 1) / n_choices
    if len(indices) == 0:
        return top
    shares = np.bincount(indices, minlength=n_choices) / len(indices)
    gini = 1.0 - float(np.sum(shares**2))
    return min(max(gini * factor, _MIN_CATEGORICAL_SPREAD * top), top)


# -- fitting ------------------------------------------------------------------------------------


def fit(
    observations: np.ndarray,
    dims: Sequence[Dim],
    *,
    prior_weight: float = 1.0,
    min_bandwidth: float = 0.03,
    clip: bool = True,
) -> ParzenEstimator:
    """A Parzen estimator over ``observations`` (``(n, d)`` unit-cube rows, no NaN).

    Components are in the order of the rows, then the prior (when ``prior_weight > 0``).
    """
    dims = tuple(dims)
    obs = np.asarray(observations, dtype=float).reshape(-1, len(dims))
    n, d = obs.shape
    if n == 0 and prior_weight <= 0:
        raise ValueError("a Parzen estimator needs observations or a prior (prior_weight > 0)")
    if not np.all(np.isfinite(obs)):
        raise ValueError("observations must be finite unit-cube values (drop inactive rows)")
    obs = np.clip(obs, 0.0, 1.0)
    factor = scott_factor(n, d)
    with_prior = prior_weight > 0
    n_comp = n + int(with_prior)
    centers = np.empty((n_comp, d))
    bandwidths = np.empty((n_comp, d))
    for j, dim in enumerate(dims):
        if dim.kind == CATEGORICAL:
            indices = _choice_index(obs[:, j], dim.n_choices)
            centers[:n, j] = indices
            bandwidths[:n, j] = categorical_lambda(indices, dim.n_choices, factor)
            if with_prior:
                centers[n, j] = 0.0
                bandwidths[n, j] = (dim.n_choices - 1) / dim.n_choices  # uniform
        else:
            centers[:n, j] = obs[:, j]
            bandwidths[:n, j] = numeric_bandwidth(obs[:, j], factor, min_bandwidth, dim, clip=clip)
            if with_prior:
                centers[n, j] = 0.5
                bandwidths[n, j] = 1.0
    weights = np.ones(n_comp)
    if with_prior:
        weights[n] = prior_weight
    log_weights = np.log(weights / weights.sum())
    return ParzenEstimator(dims, centers, bandwidths, log_weights)


# -- density ------------------------------------------------------------------------------------


def log_pdf(estimator: ParzenEstimator, x: np.ndarray) -> np.ndarray:
    """Log density (log mass for discrete and categorical dimensions) of each row of ``x``.

    ``x`` is ``(m, d)``; the work is one ``(m, n_components)`` array per dimension, reduced by
    a log-sum-exp over the components.
    """
    x = np.asarray(x, dtype=float).reshape(-1, len(estimator.dims))
    total = np.tile(estimator.log_weights, (len(x), 1))
    for j, dim in enumerate(estimator.dims):
        total += component_log_pdf(
            dim, x[:, j], estimator.centers[:, j], estimator.bandwidths[:, j]
        )
    return _logsumexp_rows(total)


def component_log_pdf(
    dim: Dim, x: np.ndarray, centers: np.ndarray, bandwidths: np.ndarray
) -> np.ndarray:
    """``(m, n_components)`` log kernel values of one dimension."""
    if dim.kind == CATEGORICAL:
        k = dim.n_choices
        if k == 1:
            return np.zeros((len(x), len(centers)))
        lam = bandwidths[None, :]
        same = _choice_index(x, k)[:, None] == centers.astype(np.int64)[None, :]
        return np.where(same, np.log1p(-lam), np.log(lam / (k - 1)))
    mu = centers[None, :]
    h = bandwidths[None, :]
    log_z: np.ndarray = _log_gauss_mass((0.0 - mu) / h, (1.0 - mu) / h)
    if dim.kind == CONTINUOUS:
        z: np.ndarray = (x[:, None] - mu) / h
        density: np.ndarray = -0.5 * z * z - np.log(h) - _LOG_SQRT_2PI - log_z
        return density
    assert dim.edges is not None
    # Candidates share few bins: compute each bin's masses once.
    bins, inverse = np.unique(_bin_index(x, dim.edges), return_inverse=True)
    lo = dim.edges[bins][:, None]
    hi = dim.edges[bins + 1][:, None]
    mass: np.ndarray = _log_gauss_mass((lo - mu) / h, (hi - mu) / h) - log_z
    return mass[inverse.reshape(-1)]


def _log_gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a < b``, accurate in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    # Mirror intervals in the upper tail, Phi(b) - Phi(a) = Phi(-a) - Phi(-b), so the
    # difference is of two small numbers (no cancellation against 1).
    flip = a > 0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    mass = ndtr(hi) - ndtr(lo)
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(mass)
        tiny = mass < 1e-250  # far in the tail, where ndtr underflows: work in logs
        if tiny.any():
            log_hi = log_ndtr(hi[tiny])
            out[tiny] = log_hi + np.log1p(-np.exp(log_ndtr(lo[tiny]) - log_hi))
    return out


def _logsumexp_rows(values: np.ndarray) -> np.ndarray:
    top = np.max(values, axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(np.sum(np.exp(values - safe[:, None]), axis=1)) + safe
    return out


def _choice_index(u: np.ndarray, n: int) -> np.ndarray:
    index: np.ndarray = np.clip(np.floor(u * n), 0, n - 1).astype(np.int64)
    return index


def _bin_index(u: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, u, side="right") - 1, 0, len(edges) - 2)


# -- sampling -----------------------------------------------------------------------------------


def sample(estimator: ParzenEstimator, rng: np.random.Generator, size: int) -> np.ndarray:
    """``(size, d)`` draws from the mixture, in the unit cube.

    Discrete draws are snapped to the middle of their bin, categorical ones to
    ``(index + 0.5) / n``, so every draw maps back to the point it stands for.
    """
    weights = np.exp(estimator.log_weights)
    comp = rng.choice(estimator.n_components, size=size, p=weights / weights.sum())
    out = np.empty((size, len(estimator.dims)))
    for j, dim in enumerate(estimator.dims):
        centers = estimator.centers[comp, j]
        bandwidths = estimator.bandwidths[comp, j]
        if dim.kind == CATEGORICAL:
            out[:, j] = (_sample_choices(centers, bandwidths, dim.n_choices, rng) + 0.5) / (
                dim.n_choices
            )
            continue
        u = _sample_truncated_normal(centers, bandwidths, rng)
        if dim.kind == DISCRETE:
            assert dim.edges is not None
            b = _bin_index(u, dim.edges)
            u = 0.5 * (dim.edges[b] + dim.edges[b + 1])
        out[:, j] = u
    return out


def _sample_truncated_normal(mu: np.ndarray, h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Centres lie in [0, 1], so [Phi(-mu/h), Phi((1-mu)/h)] holds 0.5: the inverse CDF is
    # well conditioned (no tail-to-tail cancellation).
    lo = ndtr((0.0 - mu) / h)
    hi = ndtr((1.0 - mu) / h)
    p = lo + rng.random(len(mu)) * (hi - lo)
    out: np.ndarray = np.clip(mu + h * ndtri(p), 0.0, 1.0)
    return out


def _sample_choices(
    centers: np.ndarray, lam: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    own = centers.astype(np.int64)
    if n == 1:
        return own
    other = rng.integers(0, n - 1, size=len(own))
    other = other + (other >= own)  # uniform over the n - 1 choices that are not ``own``
    keep = rng.random(len(own)) >= lam
    return np.where(keep, own, other)


def choice_probabilities(estimator: ParzenEstimator, j: int) -> np.ndarray:
    """``(n_components, n_choices)`` probabilities of categorical dimension ``j`` per component."""
    dim = estimator.dims[j]
    if dim.kind != CATEGORICAL:
        raise ValueError(f"dimension {j} is not categorical")
    grid = (np.arange(dim.n_choices) + 0.5) / dim.n_choices
    log_p = component_log_pdf(dim, grid, estimator.centers[:, j], estimator.bandwidths[:, j])
    return np.asarray(np.exp(log_p).T)


def bin_probabilities(estimator: ParzenEstimator, j: int) -> np.ndarray:
    """``(n_components, n_bins)`` probabilities of discrete dimension ``j`` per component."""
    dim = estimator.dims[j]
    if dim.kind != DISCRETE or dim.edges is None:
        raise ValueError(f"dimension {j} is not discrete")
    mids = 0.5 * (dim.edges[:-1] + dim.edges[1:])
    log_p = component_log_pdf(dim, mids, estimator.centers[:, j], estimator.bandwidths[:, j])
    return np.asarray(np.exp(log_p).T)
