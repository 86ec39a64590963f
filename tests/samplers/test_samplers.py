from __future__ import annotations

import numpy as np
import pytest

from tuningfork import Categorical, Float, Int, SearchSpace, SearchSpaceExhausted, SpaceError
from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork.samplers import GridSampler, RandomSampler, SobolSampler

EMPTY = History([Direction.MINIMIZE])
FINITE = SearchSpace({"a": Categorical([1, 2, 3]), "b": Categorical(["x", "y"])})


def _history(params_list: list[dict[str, object]]) -> History:
    return History(
        [Direction.MINIMIZE],
        [
            TrialRecord(number=i, state=TrialState.COMPLETE, seed=0, params=p, values=(0.0,))
            for i, p in enumerate(params_list)
        ],
    )


def test_random_sampler_is_seeded_by_the_generator() -> None:
    space = SearchSpace({"x": Float(0, 1), "n": Int(0, 100)})
    a = RandomSampler().propose(space, EMPTY, np.random.default_rng(5))
    b = RandomSampler().propose(space, EMPTY, np.random.default_rng(5))
    assert a == b
    expected = np.random.default_rng(5).random(2)
    assert a == {"x": expected[0], "n": int(expected[1] * 101)}


def test_random_sampler_draws_without_replacement_on_finite_spaces() -> None:
    used = [
        {"a": 1, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 3, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
    ]
    history = _history(used)
    sampler = RandomSampler()
    assert sampler.remaining(FINITE, history) == 1
    for seed in range(20):
        assert sampler.propose(FINITE, history, np.random.default_rng(seed)) == {"a": 3, "b": "y"}
    full = _history([*used, {"a": 3, "b": "y"}])
    assert sampler.remaining(FINITE, full) == 0
    with pytest.raises(SearchSpaceExhausted, match="all 6 configurations"):
        sampler.propose(FINITE, full, np.random.default_rng(0))


def test_random_sampler_is_unbounded_on_continuous_spaces() -> None:
    assert RandomSampler().remaining(SearchSpace({"x": Float(0, 1)}), EMPTY) is None


def test_grid_sequence_covers_every_point_once_in_a_seeded_order() -> None:
    sampler = GridSampler({"a": [1, 2, 3], "b": ["x", "y"]})
    seq = sampler.sequence(FINITE, 0)
    assert len(seq) == 6
    points = [seq[i] for i in range(6)]
    assert sorted((p["a"], p["b"]) for p in points) == [
        (1, "x"),
        (1, "y"),
        (2, "x"),
        (2, "y"),
        (3, "x"),
        (3, "y"),
    ]
    assert [seq[i] for i in range(6)] == points  # deterministic
    orders = {tuple((p["a"], p["b"]) for p in sampler.sequence(FINITE, s)) for s in range(10)}
    assert len(orders) > 1  # the seed shuffles
    assert (
        GridSampler({"a": [1, 2, 3], "b": ["x", "y"]}, seed=3).sequence(FINITE, 0)[:]
        == (GridSampler({"a": [1, 2, 3], "b": ["x", "y"]}, seed=3).sequence(FINITE, 99)[:])
    )
    with pytest.raises(IndexError):
        seq[6]


def test_grid_accepts_finite_distributions() -> None:
    sampler = GridSampler({"n": Int(0, 4, step=2), "x": Float(0.8, 1.0, step=0.1)})
    assert sampler.fixed_space()["n"] == Int(0, 4, step=2)
    points = sampler.sequence(FINITE, 1)[:]
    assert sorted((p["n"], p["x"]) for p in points) == [
        (n, x) for n in (0, 2, 4) for x in (0.8, 0.9, 1.0)
    ]


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({}, "non-empty dict"),
        ({"x": Float(0, 1)}, r"parameter 'x': .* is continuous"),
        ({"x": []}, r"parameter 'x': .*choices are empty"),
        ({"x": [1, 1]}, r"parameter 'x': .*appears twice"),
    ],
)
def test_grid_rejects_bad_definitions(values: dict[str, object], match: str) -> None:
    with pytest.raises(SpaceError, match=match):
        GridSampler(values)  # type: ignore[arg-type]


def test_sobol_sequence_is_deterministic_and_well_spread() -> None:
    space = SearchSpace({"x": Float(0, 1), "y": Float(0, 1)})
    seq = SobolSampler().sequence(space, 7)
    first = [seq[i] for i in range(16)]
    assert first == [SobolSampler().sequence(space, 7)[i] for i in range(16)]
    assert first != [SobolSampler().sequence(space, 8)[i] for i in range(16)]
    # 16 Sobol' points put exactly one point in each 1/16 strip of each axis
    for name in ("x", "y"):
        strips = sorted(int(p[name] * 16) for p in first)
        assert strips == list(range(16))


def test_sobol_unscrambled_starts_at_the_origin() -> None:
    seq = SobolSampler(scramble=False).sequence(SearchSpace({"x": Float(0, 8)}), 0)
    assert [seq[i]["x"] for i in range(4)] == [0.0, 4.0, 6.0, 2.0]


def test_describe() -> None:
    assert RandomSampler().describe() == {"name": "RandomSampler"}
    assert SobolSampler().describe() == {"name": "SobolSampler", "scramble": True}
    assert GridSampler({"a": [1, 2]}).describe() == {"name": "GridSampler", "n_points": 2}
