"""The pure Parzen kernels of TPE: arrays in, arrays out."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import ndtr

from tuningfork.samplers.tpe import _parzen as pz


def _grid(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n  # midpoints: the midpoint rule integrates over [0, 1]


@pytest.mark.parametrize("centers", [[0.5], [0.0, 1.0], [0.01, 0.02, 0.03, 0.97], [0.3] * 5])
@pytest.mark.parametrize("min_bandwidth", [0.03, 0.2])
def test_continuous_pdf_integrates_to_one(centers: list[float], min_bandwidth: float) -> None:
    est = pz.fit(np.array(centers)[:, None], [pz.continuous()], min_bandwidth=min_bandwidth)
    x = _grid(20_000)[:, None]
    integral = np.exp(pz.log_pdf(est, x)).mean()
    assert integral == pytest.approx(1.0, abs=1e-3)


def test_each_truncated_component_integrates_to_one() -> None:
    est = pz.fit(np.array([[0.0], [0.4], [1.0]]), [pz.continuous()], clip=False)
    x = _grid(20_000)
    for i in range(est.n_components):
        log_k = pz.component_log_pdf(
            est.dims[0], x, est.centers[i : i + 1, 0], est.bandwidths[i : i + 1, 0]
        )
        assert np.exp(log_k).mean() == pytest.approx(1.0, abs=1e-3)


def test_multivariate_pdf_integrates_to_one_over_the_square() -> None:
    rng = np.random.default_rng(1)
    est = pz.fit(rng.random((7, 2)), [pz.continuous(), pz.continuous()])
    g = _grid(400)
    xx, yy = np.meshgrid(g, g)
    x = np.column_stack([xx.ravel(), yy.ravel()])
    assert np.exp(pz.log_pdf(est, x)).mean() == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize(
    "dim",
    [
        pz.equal_bins(2),
        pz.equal_bins(7),
        # log-spaced bins of Int(1, 9, log=True)
        pz.discrete(
            [
                (math.log(k - 0.5) - math.log(0.5)) / (math.log(9.5) - math.log(0.5))
                for k in range(1, 11)
            ]
        ),
    ],
)
def test_discrete_bin_probabilities_sum_to_one(dim: pz.Dim) -> None:
    assert dim.edges is not None
    mids = 0.5 * (dim.edges[:-1] + dim.edges[1:])
    est = pz.fit(np.array([[mids[0]], [mids[-1]], [mids[len(mids) // 2]]]), [dim])
    per_component = pz.bin_probabilities(est, 0)
    assert per_component.shape == (4, dim.n_bins)  # three observations and the prior
    np.testing.assert_allclose(per_component.sum(axis=1), 1.0, atol=1e-12)
    mixture = np.exp(pz.log_pdf(est, mids[:, None]))
    assert mixture.sum() == pytest.approx(1.0, abs=1e-12)
    # Every value inside a bin gets that bin's mass.
    inside = dim.edges[:-1] + 0.25 * np.diff(dim.edges)
    np.testing.assert_allclose(np.exp(pz.log_pdf(est, inside[:, None])), mixture)


def test_discrete_kernel_puts_most_mass_on_its_own_bin() -> None:
    est = pz.fit(np.full((20, 1), 0.45), [pz.equal_bins(10)], clip=False)
    assert est.bandwidths[0, 0] == 0.05  # half a bin
    probs = pz.bin_probabilities(est, 0)[0]
    assert int(np.argmax(probs)) == 4
    assert probs[4] == pytest.approx(ndtr(1.0) - ndtr(-1.0))  # +-1 sigma, barely truncated


@pytest.mark.parametrize("k", [1, 2, 6])
def test_categorical_kernel_probabilities_sum_to_one(k: int) -> None:
    obs = ((np.array([0, 0, k - 1]) + 0.5) / k)[:, None]
    est = pz.fit(obs, [pz.categorical(k)])
    probs = pz.choice_probabilities(est, 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(probs[-1], np.full(k, 1 / k))  # the prior is uniform
    if k > 1:
        assert probs[0, 0] > probs[0, 1]  # a component favours its own choice
        others = probs[0, 1:]
        np.testing.assert_allclose(others, others[0])  # Aitchison-Aitken: the rest alike
    grid = ((np.arange(k) + 0.5) / k)[:, None]
    assert np.exp(pz.log_pdf(est, grid)).sum() == pytest.approx(1.0, abs=1e-12)


def test_mixed_dims_total_mass_is_one() -> None:
    dims = [pz.continuous(), pz.equal_bins(4), pz.categorical(3)]
    rng = np.random.default_rng(3)
    est = pz.fit(rng.random((5, 3)), dims)
    g = _grid(2000)
    bins = (np.arange(4) + 0.5) / 4
    cats = (np.arange(3) + 0.5) / 3
    x = np.array([[a, b, c] for a in g for b in bins for c in cats])
    # sum over the finite dims, mean (integral) over the continuous one
    assert np.exp(pz.log_pdf(est, x)).sum() / len(g) == pytest.approx(1.0, abs=1e-3)


def test_samples_lie_in_bounds_and_on_points() -> None:
    dims = [pz.continuous(), pz.equal_bins(5), pz.categorical(3)]
    obs = np.array([[0.0, 0.1, 0.5], [1.0, 0.9, 0.9], [0.999, 0.5, 0.1]])
    est = pz.fit(obs, dims)
    s = pz.sample(est, np.random.default_rng(0), 5000)
    assert s.shape == (5000, 3)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(np.unique(s[:, 1]), (np.arange(5) + 0.5) / 5)
    np.testing.assert_allclose(np.unique(s[:, 2]), (np.arange(3) + 0.5) / 3)


def test_samples_follow_the_density() -> None:
    dims = [pz.equal_bins(4), pz.categorical(3)]
    est = pz.fit(np.array([[0.1, 0.2], [0.15, 0.2], [0.9, 0.9]]), dims)
    s = pz.sample(est, np.random.default_rng(7), 40_000)
    cells, counts = np.unique(s, axis=0, return_counts=True)
    expected = np.exp(pz.log_pdf(est, cells))
    assert expected.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(counts / len(s), expected, atol=0.01)


def test_continuous_samples_follow_the_density() -> None:
    est = pz.fit(np.array([[0.05], [0.2], [0.9]]), [pz.continuous()])
    s = pz.sample(est, np.random.default_rng(11), 40_000)[:, 0]
    hist, edges = np.histogram(s, bins=10, range=(0, 1))
    g = _grid(10_000)
    pdf = np.exp(pz.log_pdf(est, g[:, None]))
    expected = np.array(
        [pdf[(g >= a) & (g < b)].mean() * (b - a) for a, b in itertools.pairwise(edges)]
    )
    np.testing.assert_allclose(hist / len(s), expected, atol=0.01)


def test_scott_bandwidth_and_floors() -> None:
    assert pz.scott_factor(1, 2) == 1.0
    assert pz.scott_factor(64, 2) == pytest.approx(64 ** (-1 / 6))
    values = np.array([0.2, 0.4, 0.6, 0.8])
    factor = pz.scott_factor(4, 1)
    sigma = float(np.std(values))
    cont = pz.continuous()
    assert pz.numeric_bandwidth(values, factor, 0.01, cont, clip=False) == pytest.approx(
        sigma * factor
    )
    # the magic clip: 1 / min(100, n + 1) of the range
    assert pz.magic_clip(4) == pytest.approx(0.2)
    assert pz.magic_clip(10_000) == pytest.approx(0.01)
    same = np.full(50, 0.3)
    assert pz.numeric_bandwidth(same, 1.0, 0.03, cont, clip=False) == 0.03
    assert pz.numeric_bandwidth(same, 1.0, 0.03, cont) == 0.03
    assert pz.numeric_bandwidth(same[:20], 1.0, 0.03, cont) == pytest.approx(1 / 21)
    assert pz.numeric_bandwidth(same[:3], 1.0, 0.03, cont) == pytest.approx(0.25)
    # half a bin at least for a discrete dimension
    assert pz.numeric_bandwidth(same, 1.0, 0.03, pz.equal_bins(4), clip=False) == 0.125
    # one observation: the uniform's spread stands in; never above 1
    assert pz.numeric_bandwidth(np.array([0.5]), 1.0, 0.03, cont, clip=False) == pytest.approx(
        1 / math.sqrt(12)
    )
    assert pz.numeric_bandwidth(np.array([0.0, 1.0]), 5.0, 0.03, cont) == 1.0


def test_fitted_bandwidths_follow_scotts_rule() -> None:
    obs = np.random.default_rng(5).random((200, 3))
    est = pz.fit(obs, [pz.continuous()] * 3, clip=False)
    expected = np.std(obs, axis=0) * 200 ** (-1 / 7)
    np.testing.assert_allclose(est.bandwidths[0], expected)
    np.testing.assert_allclose(est.bandwidths[-1], 1.0)  # the prior
    np.testing.assert_allclose(est.centers[-1], 0.5)
    np.testing.assert_allclose(np.exp(est.log_weights), 1 / 201)


def test_categorical_lambda_rule() -> None:
    top = 2 / 3
    assert pz.categorical_lambda(np.array([1, 1, 1, 1]), 3, 1.0) == pytest.approx(0.1 * top)
    assert pz.categorical_lambda(np.array([0, 1, 2]), 3, 1.0) == pytest.approx(top)
    assert pz.categorical_lambda(np.array([0, 1, 2]), 3, 0.5) == pytest.approx(top / 2)
    assert pz.categorical_lambda(np.array([], dtype=np.int64), 3, 1.0) == pytest.approx(top)
    assert pz.categorical_lambda(np.array([0]), 1, 1.0) == 0.0


def test_log_gauss_mass_is_accurate_in_the_tails() -> None:
    a = np.array([-1.0, 0.5, -3.0, 30.0, -41.0, 8.0])
    b = np.array([1.0, 2.0, -2.0, 31.0, -40.0, 8.5])
    out = pz._log_gauss_mass(a, b)
    assert np.all(np.isfinite(out))
    direct = np.log(ndtr(b[:3]) - ndtr(a[:3]))
    np.testing.assert_allclose(out[:3], direct, rtol=1e-12)
    # symmetry: the upper tail equals the mirrored lower tail
    np.testing.assert_allclose(pz._log_gauss_mass(-b, -a), out, rtol=1e-12)
    assert out[3] < -400


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="observations or a prior"):
        pz.fit(np.empty((0, 1)), [pz.continuous()], prior_weight=0.0)
    with pytest.raises(ValueError, match="finite"):
        pz.fit(np.array([[np.nan]]), [pz.continuous()])
    with pytest.raises(ValueError, match="increasing"):
        pz.discrete([0.0, 0.5, 0.5, 1.0])
    with pytest.raises(ValueError, match="at least one choice"):
        pz.categorical(0)


def test_prior_only_estimator() -> None:
    est = pz.fit(np.empty((0, 2)), [pz.continuous(), pz.categorical(4)])
    assert est.n_components == 1
    s = pz.sample(est, np.random.default_rng(0), 100)
    assert np.all(np.isfinite(pz.log_pdf(est, s)))


def test_log_pdf_is_vectorized_over_candidates_and_components() -> None:
    rng = np.random.default_rng(2)
    est = pz.fit(rng.random((300, 4)), [pz.continuous()] * 4)
    x = rng.random((24, 4))
    batch = pz.log_pdf(est, x)
    one_by_one = np.array([pz.log_pdf(est, row[None, :])[0] for row in x])
    assert batch.shape == (24,)
    np.testing.assert_allclose(batch, one_by_one)
