"""log EI: accuracy against a high-precision reference, stability, gradient, optimizer."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy.special import log_ndtr

from tuningfork.samplers.gp._acquisition import (
    log_ei,
    log_ei_with_grad,
    log_h,
    log_h_grad,
    optimize_acquisition,
)
from tuningfork.samplers.gp._encoding import Encoding
from tuningfork.samplers.gp._gp import GaussianProcess, standardize
from tuningfork.space import Categorical, Float, Int, SearchSpace

_PI = Decimal(
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899863"
)
_PREC = 80


def _erfc(x: Decimal) -> Decimal:
    """erfc at 80 significant digits: Taylor series of erf below 3, continued fraction above."""
    if x < 0:
        return 2 - _erfc(-x)
    if x < 3:
        term, total, n = x, x, 0
        while abs(term) > Decimal(10) ** (-_PREC):
            n += 1
            term = -term * x * x / n
            total += term / (2 * n + 1)
        return 1 - 2 / _PI.sqrt() * total
    tail = Decimal(0)
    for k in range(4000, 0, -1):  # erfc(x) = e^{-x²}/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...
        tail = (Decimal(k) / 2) / (x + tail)
    return (-x * x).exp() / _PI.sqrt() / (x + tail)


def _log_h_reference(z: float) -> float:
    with localcontext() as ctx:
        ctx.prec = _PREC
        zd = Decimal(z)
        pdf = (-zd * zd / 2).exp() / (2 * _PI).sqrt()
        cdf = _erfc(-zd / Decimal(2).sqrt()) / 2
        return float((pdf + zd * cdf).ln())


def test_reference_branches_agree() -> None:
    # the series and the continued fraction of the reference agree where both converge
    with localcontext() as ctx:
        ctx.prec = _PREC
        x = Decimal("3.0")
        tail = Decimal(0)
        for k in range(4000, 0, -1):
            tail = (Decimal(k) / 2) / (x + tail)
        cf = (-x * x).exp() / _PI.sqrt() / (x + tail)
        series = _erfc(Decimal("2.9999999999999999999999999999"))
        assert abs(cf - series) / cf < Decimal("1e-25")


Z_GRID = [*np.linspace(-40.0, 5.0, 91).tolist(), -1.0, -1.0 - 1e-12, -0.999, -39.99, 4.99]


@pytest.mark.parametrize("z", Z_GRID)
def test_log_h_matches_high_precision_reference(z: float) -> None:
    expected = _log_h_reference(z)
    assert float(log_h(z)) == pytest.approx(expected, rel=1e-13, abs=1e-12)


@pytest.mark.parametrize("z", [-99.9, -100.0, -100.1, -150.0, -500.0, -1000.0])
def test_log_h_asymptotic_branch_matches_reference(z: float) -> None:
    assert float(log_h(z)) == pytest.approx(_log_h_reference(z), rel=1e-14)


def test_log_h_is_finite_and_increasing_down_to_minus_1e3_and_beyond() -> None:
    z = np.concatenate([-np.logspace(3, -4, 4000), np.linspace(0, 5, 500), [-1e10, -1e200]])
    z = np.sort(z)
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) > 0)
    grads = log_h_grad(z)
    assert np.all(np.isfinite(grads)) and np.all(grads > 0)
    # across the branch points the function is continuous to high relative precision
    for point in (-1.0, -100.0):
        left, right = log_h(np.nextafter(point, -np.inf)), log_h(np.nextafter(point, np.inf))
        assert abs(float(left - right)) < 1e-12 * abs(float(left))


@pytest.mark.parametrize("z", [-800.0, -60.0, -5.0, -1.0, -0.3, 0.0, 2.0, 30.0])
def test_log_h_gradient(z: float) -> None:
    h = 1e-6 * max(1.0, abs(z))
    fd = (float(log_h(z + h)) - float(log_h(z - h))) / (2 * h)
    assert float(log_h_grad(z)) == pytest.approx(fd, rel=1e-5)
    # d log h / dz = Φ(z) / h(z), with h from the reference
    if -40 <= z <= 5:
        expected = math.exp(float(log_ndtr(z)) - _log_h_reference(z))
        assert float(log_h_grad(z)) == pytest.approx(expected, rel=1e-11)


def _gp(seed: int = 0) -> GaussianProcess:
    rng = np.random.default_rng(seed)
    x = rng.random((10, 2))
    y = standardize(-((x[:, 0] - 0.3) ** 2) - (x[:, 1] - 0.6) ** 2)[0]
    return GaussianProcess(x, y, np.array([-1.0, -1.0, 0.0, math.log(1e-6)]), np.zeros(2, bool))


def test_log_ei_gradient_matches_finite_differences() -> None:
    gp = _gp()
    best = float(np.max(gp.y))
    for point in ([0.31, 0.58], [0.9, 0.1], [0.5, 0.5]):
        x = np.array(point)
        value, grad = log_ei_with_grad(gp, x, best)
        assert value == pytest.approx(float(log_ei(gp, x[None, :], best)[0]), rel=1e-12)
        for j in range(2):
            e = np.zeros(2)
            e[j] = 1e-6
            fd = (
                log_ei_with_grad(gp, x + e, best)[0] - log_ei_with_grad(gp, x - e, best)[0]
            ) / 2e-6
            assert grad[j] == pytest.approx(fd, rel=1e-4, abs=1e-6)


def test_log_ei_stays_finite_at_observed_points() -> None:
    gp = _gp()
    values = log_ei(gp, gp.x, float(np.max(gp.y)) + 10.0)  # hopeless improvement: z << 0
    assert np.all(np.isfinite(values))


def test_optimizer_finds_the_maximum_of_a_known_function() -> None:
    space = SearchSpace({"a": Float(0, 1), "b": Float(0, 1), "c": Float(0, 1)})
    enc = Encoding(space)
    center = np.array([0.123, 0.777, 0.5])

    def score(rows: np.ndarray) -> np.ndarray:
        return -np.sum((rows - center) ** 2, axis=1)

    def score_with_grad(row: np.ndarray) -> tuple[float, np.ndarray]:
        return float(score(row[None, :])[0]), -2.0 * (row - center)

    result = optimize_acquisition(
        score, score_with_grad, enc, 3, np.random.default_rng(0), n_candidates=64
    )
    assert result is not None
    np.testing.assert_allclose(result[0], center, atol=1e-5)
    assert result[1] == pytest.approx(float(score(result[0][None, :])[0]))


def test_optimizer_on_mixed_space_returns_canonical_optimum() -> None:
    space = SearchSpace({"x": Float(0, 1), "n": Int(0, 9), "c": Categorical(["a", "b", "c", "d"])})
    enc = Encoding(space)
    # the best bin of n is index 7 (centre 0.75), the best category is code 2
    target = np.array([0.4, 0.75, 2.0])

    def score(rows: np.ndarray) -> np.ndarray:
        return -((rows[:, 0] - 0.4) ** 2) - (rows[:, 1] - 0.74) ** 2 - 0.5 * (rows[:, 2] != 2.0)

    def score_with_grad(row: np.ndarray) -> tuple[float, np.ndarray]:
        g = np.array([-2 * (row[0] - 0.4), -2 * (row[1] - 0.74), 0.0])
        return float(score(row[None, :])[0]), g

    result = optimize_acquisition(
        score, score_with_grad, enc, 3, np.random.default_rng(1), n_candidates=32
    )
    assert result is not None
    np.testing.assert_allclose(result[0], target, atol=1e-5)
    assert enc.to_params(result[0]) == {"x": pytest.approx(0.4, abs=1e-5), "n": 7, "c": "c"}


def test_optimizer_respects_exclusions_and_reports_exhaustion() -> None:
    space = SearchSpace({"c": Categorical(["a", "b", "c"])})
    enc = Encoding(space)

    def score(rows: np.ndarray) -> np.ndarray:
        return -np.abs(rows[:, 0] - 1.0)

    def score_with_grad(row: np.ndarray) -> tuple[float, np.ndarray]:
        return float(score(row[None, :])[0]), np.zeros(1)

    rng = np.random.default_rng(0)
    result = optimize_acquisition(score, score_with_grad, enc, 1, rng, exclude={(1.0,)})
    assert result is not None and result[0][0] in (0.0, 2.0)
    everything = {(0.0,), (1.0,), (2.0,)}
    assert optimize_acquisition(score, score_with_grad, enc, 1, rng, exclude=everything) is None
