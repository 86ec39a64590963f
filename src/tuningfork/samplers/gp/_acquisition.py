"""Log expected improvement and its optimizer (pure: arrays and callables in, arrays out).

Expected improvement of a Gaussian posterior ``N(μ, σ²)`` over an incumbent ``best`` (for
maximization) is ``σ h(z)`` with ``z = (μ - best) / σ`` and ``h(z) = φ(z) + z Φ(z)``. Its
logarithm is computed as in Ament et al. (2023, "Unexpected Improvements to Expected
Improvement for Bayesian Optimization", eq. 9), which keeps full relative precision where
``h`` underflows or cancels:

* ``z > -1``: ``log(φ(z) + z Φ(z))`` directly (no cancellation there);
* ``-100 < z <= -1``: ``h(z) = φ(z) (1 - |z| Φ(z)/φ(z))`` with
  ``Φ(z)/φ(z) = √(π/2) erfcx(-z/√2)``, so ``log h = log φ(z) + log1mexp(log(|z| √(π/2)
  erfcx(-z/√2)))``;
* ``z <= -100``: the asymptotic expansion ``h(z) = φ(z) z⁻² (1 - 3 z⁻² + 15 z⁻⁴ - 105 z⁻⁶
  + 945 z⁻⁸ - ...)``, whose next term is below 1e-16 relative there.

``d log h / dz = Φ(z) / h(z)`` is evaluated as ``exp(log Φ(z) - log h(z))`` with scipy's
``log_ndtr``, and from the asymptotic series below -100; finite for every finite ``z``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from tuningfork.samplers.gp._gp import GaussianProcess
from tuningfork.samplers.gp._kernels import Array, BoolArray

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_PI_OVER_2 = 0.5 * math.log(math.pi / 2.0)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_ASYMPTOTIC_BELOW = -100.0
_Z_MIN = -1e150  # beyond this z² overflows; the value there no longer matters
_SIGMA_FLOOR = 1e-12


def _log1mexp(x: Array) -> Array:
    """``log(1 - exp(x))`` for ``x < 0`` (Mächler 2012)."""
    out = np.empty_like(x)
    near = x > -math.log(2.0)
    out[near] = np.log(-np.expm1(x[near]))
    out[~near] = np.log1p(-np.exp(x[~near]))
    return out


def log_h(z: Array | float) -> Array:
    """``log(φ(z) + z Φ(z))``, accurate for every finite ``z`` (see the module docstring)."""
    z = np.maximum(np.asarray(z, dtype=np.float64), _Z_MIN)
    out = np.empty_like(z)
    upper = z > -1.0
    lower = z <= _ASYMPTOTIC_BELOW
    middle = ~upper & ~lower
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _HALF_LOG_2PI) + zu * ndtr(zu))
    zm = z[middle]
    log_ratio = np.log(erfcx(-zm * _INV_SQRT2) * np.abs(zm)) + _HALF_LOG_PI_OVER_2
    out[middle] = -0.5 * zm * zm - _HALF_LOG_2PI + _log1mexp(log_ratio)
    zl = z[lower]
    inv2 = 1.0 / (zl * zl)
    series = inv2 * (-3.0 + inv2 * (15.0 + inv2 * (-105.0 + inv2 * 945.0)))
    out[lower] = -0.5 * zl * zl - _HALF_LOG_2PI - 2.0 * np.log(-zl) + np.log1p(series)
    return out


def log_h_grad(z: Array | float) -> Array:
    """``d log h / dz = Φ(z) / h(z)``; below -100 from the asymptotic series of both
    (``Φ/φ ~ |z|⁻¹ (1 - z⁻² + 3 z⁻⁴ - ...)``), where ``log Φ - log h`` would cancel."""
    z = np.maximum(np.asarray(z, dtype=np.float64), _Z_MIN)
    out = np.empty_like(z)
    lower = z <= _ASYMPTOTIC_BELOW
    zu = z[~lower]
    out[~lower] = np.exp(log_ndtr(zu) - log_h(zu))
    zl = z[lower]
    inv2 = 1.0 / (zl * zl)
    mills = 1.0 + inv2 * (-1.0 + inv2 * (3.0 + inv2 * (-15.0 + inv2 * 105.0)))
    h_over = 1.0 + inv2 * (-3.0 + inv2 * (15.0 + inv2 * (-105.0 + inv2 * 945.0)))
    out[lower] = -zl * mills / h_over
    return out


def log_ei(gp: GaussianProcess, xq: Array, best: float) -> Array:
    """log EI (for maximization) at the rows of ``xq``."""
    mean, var = gp.predict(xq)
    sigma = np.sqrt(np.maximum(var, _SIGMA_FLOOR**2))
    return np.log(sigma) + log_h((mean - best) / sigma)


def log_ei_with_grad(gp: GaussianProcess, x: Array, best: float) -> tuple[float, Array]:
    """log EI at one point ``x`` of shape ``(d,)`` and its gradient."""
    mean, var, dmean, dvar = gp.predict_with_grad(x[None, :])
    v = float(var[0])
    if v <= _SIGMA_FLOOR**2:
        sigma, dsigma = _SIGMA_FLOOR, np.zeros_like(dvar[0])
    else:
        sigma = math.sqrt(v)
        dsigma = dvar[0] / (2.0 * sigma)
    z = (float(mean[0]) - best) / sigma
    dz = (dmean[0] - z * dsigma) / sigma
    value = math.log(sigma) + float(log_h(z))
    grad = dsigma / sigma + float(log_h_grad(z)) * dz
    return value, grad


class ModelSpace(Protocol):
    """What the optimizer needs to know about the (mixed) domain of the acquisition.

    Points are rows of the GP's model space. ``canonicalize`` snaps rows to points the sampler
    can propose (discrete values to their bins, inactive conditional dims to their imputed
    constant); ``variable_mask`` says which dims a gradient method may move from a point;
    ``neighbors`` lists the discrete moves around a point (canonical rows).
    """

    def canonicalize(self, rows: Array) -> Array: ...

    def from_unit(self, unit_rows: Array) -> Array: ...

    def variable_mask(self, row: Array) -> BoolArray: ...

    def neighbors(self, row: Array) -> Array: ...

    def key(self, row: Array) -> tuple[float, ...]: ...


def optimize_acquisition(
    score: Callable[[Array], Array],
    score_with_grad: Callable[[Array], tuple[float, Array]],
    space: ModelSpace,
    dim: int,
    rng: np.random.Generator,
    *,
    incumbents: Array | None = None,
    n_candidates: int = 2048,
    n_perturbations: int = 64,
    n_starts: int = 5,
    exclude: set[tuple[float, ...]] | None = None,
    maxiter: int = 100,
    n_rounds: int = 3,
) -> tuple[Array, float] | None:
    """Maximize ``score`` over the model space; ``(row, value)``, or ``None`` when every
    candidate is excluded.

    1. Score ``n_candidates`` scrambled Sobol' points (canonicalized) and ``n_perturbations``
       Gaussian perturbations of each incumbent row (with random categorical flips).
    2. From the ``n_starts`` best distinct candidates: L-BFGS-B on the dims that
       ``variable_mask`` allows (continuous dims, and discrete numeric dims relaxed to the
       continuum), then canonicalize and re-score at the rounded point; then a discrete local
       search over ``neighbors`` (±1 bin, other categories), keeping only improvements.
       Alternate up to ``n_rounds`` times while either step improves.

    The returned value is always the score of the returned (canonical) row. Rows whose
    ``key`` is in ``exclude`` are never returned (finite spaces: no repeated configuration).
    """
    exclude = exclude or set()
    m = max(int(2 ** math.ceil(math.log2(max(n_candidates, 2)))), 2)
    from scipy.stats import qmc  # scipy.stats takes about a second to import: only when used

    engine = qmc.Sobol(max(dim, 1), scramble=True, seed=rng)
    unit = engine.random_base2(int(math.log2(m)))[:, :dim]
    cands = [space.from_unit(unit)]
    if incumbents is not None and len(incumbents) and n_perturbations > 0:
        cands.append(_perturb(space, incumbents, n_perturbations, rng))
    pool = np.unique(space.canonicalize(np.vstack(cands)), axis=0)
    if exclude:
        keep = np.array([space.key(row) not in exclude for row in pool], dtype=bool)
        pool = pool[keep]
    if len(pool) == 0:
        return None
    values = score(pool)
    order = np.argsort(-values, kind="stable")
    best_row, best_value = pool[order[0]].copy(), float(values[order[0]])
    for idx in order[:n_starts]:
        row, value = _local_search(
            score,
            score_with_grad,
            space,
            pool[idx].copy(),
            float(values[idx]),
            exclude,
            maxiter,
            n_rounds,
        )
        if value > best_value:
            best_row, best_value = row, value
    return best_row, best_value


def _perturb(space: ModelSpace, incumbents: Array, n: int, rng: np.random.Generator) -> Array:
    rows = np.repeat(incumbents, n, axis=0)
    noise = rng.standard_normal(rows.shape) * 0.05
    out = rows.copy()
    for i, row in enumerate(rows):
        mask = space.variable_mask(row)
        out[i, mask] = np.clip(row[mask] + noise[i, mask], 0.0, 1.0)
        nb = space.neighbors(row)
        # With probability 1/2 also take one random discrete move (a bin or a category).
        if len(nb) and rng.random() < 0.5:
            move = nb[int(rng.integers(len(nb)))]
            changed = move != row
            out[i, changed] = move[changed]
    return np.asarray(out, dtype=np.float64)


def _local_search(
    score: Callable[[Array], Array],
    score_with_grad: Callable[[Array], tuple[float, Array]],
    space: ModelSpace,
    row: Array,
    value: float,
    exclude: set[tuple[float, ...]],
    maxiter: int,
    n_rounds: int,
) -> tuple[Array, float]:
    tol = 1e-9
    for _ in range(n_rounds):
        improved = False
        mask = space.variable_mask(row)
        if mask.any():
            moved = _lbfgs(score_with_grad, row, mask, maxiter)
            cand = space.canonicalize(moved[None, :])
            if space.key(cand[0]) not in exclude:
                cand_value = float(score(cand)[0])
                if cand_value > value + tol:
                    row, value, improved = cand[0], cand_value, True
        nb = space.neighbors(row)
        if len(nb):
            nb = space.canonicalize(nb)
            if exclude:
                nb = nb[np.array([space.key(r) not in exclude for r in nb], dtype=bool)]
            if len(nb):
                nb_values = score(nb)
                i = int(np.argmax(nb_values))
                if nb_values[i] > value + tol:
                    row, value, improved = nb[i].copy(), float(nb_values[i]), True
        if not improved:
            break
    return row, value


def _lbfgs(
    score_with_grad: Callable[[Array], tuple[float, Array]],
    row: Array,
    mask: BoolArray,
    maxiter: int,
) -> Array:
    base = row.copy()

    def negative(v: Array) -> tuple[float, Array]:
        x = base.copy()
        x[mask] = v
        value, grad = score_with_grad(x)
        if not math.isfinite(value):
            return 1e300, np.zeros_like(v)
        return -value, -grad[mask]

    with np.errstate(over="ignore", under="ignore"):
        from scipy.optimize import minimize  # imported when first needed: ~0.6 s

        result = minimize(
            negative,
            np.clip(row[mask], 0.0, 1.0),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * int(mask.sum()),
            options={"maxiter": maxiter},
        )
    out = base.copy()
    out[mask] = np.clip(result.x, 0.0, 1.0)
    return np.asarray(out, dtype=np.float64)
