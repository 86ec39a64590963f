"""Property-based tests: valid spaces sample only valid values; invalid ones are refused."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tuningfork as tf
from tuningfork import Categorical, Float, Int, SearchSpace
from tuningfork._core.history import History
from tuningfork._core.records import Direction
from tuningfork.samplers import RandomSampler, SobolSampler
from tuningfork.space import Distribution, space_from_spec
from tuningfork.space._distributions import _typed_key

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
choice_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100, 100),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=5),
)
choices = st.lists(
    st.one_of(choice_scalars, st.tuples(choice_scalars, choice_scalars)),
    min_size=1,
    max_size=6,
)


@st.composite
def distributions(draw: st.DrawFn) -> Distribution:
    kind = draw(
        st.sampled_from(
            ["float", "float_log", "float_step", "int", "int_log", "int_step", "categorical"]
        )
    )
    if kind == "float":
        a, b = sorted((draw(finite), draw(finite)))
        return Float(a, b)
    if kind == "float_log":
        a, b = sorted((draw(positive), draw(positive)))
        return Float(a, b, log=True)
    if kind == "float_step":
        low = draw(st.integers(-1000, 1000)) / 10
        step = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0, 3.0]))
        n = draw(st.integers(0, 30))
        extra = draw(st.sampled_from([0.0, 0.05]))  # sometimes high is not on the grid
        return Float(low, round(low + n * step + extra, 6), step=step)
    if kind == "int":
        a, b = sorted((draw(st.integers(-(10**6), 10**6)), draw(st.integers(-(10**6), 10**6))))
        return Int(a, b)
    if kind == "int_log":
        a, b = sorted((draw(st.integers(1, 10**6)), draw(st.integers(1, 10**6))))
        return Int(a, b, log=True)
    if kind == "int_step":
        low = draw(st.integers(-100, 100))
        return Int(low, low + draw(st.integers(0, 100)), step=draw(st.integers(1, 7)))
    # distinct by type and value (what Categorical itself checks)
    raw = draw(choices)
    seen: dict[Any, Any] = {}
    for c in raw:
        seen.setdefault(_typed_key(c), c)  # 0.0 and -0.0 are one choice, as are 1 and 1
    return Categorical(list(seen.values()))


spaces = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4), distributions(), min_size=1, max_size=4
)


def _check(dist: Distribution, value: Any) -> None:
    assert dist.contains(value), (dist, value)
    if isinstance(dist, Float):
        assert type(value) is float
        assert dist.low <= value <= dist.high
        assert math.isfinite(value)
    elif isinstance(dist, Int):
        assert type(value) is int
        assert dist.low <= value <= dist.high
        assert (value - dist.low) % dist.step == 0
    else:
        assert isinstance(dist, Categorical)
        assert any(type(value) is type(c) and repr(value) == repr(c) for c in dist.choices)


def _space(spec: dict[str, Distribution]) -> SearchSpace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high not on the step grid
        return SearchSpace(spec)


@SETTINGS
@given(spec=spaces, seed=st.integers(0, 2**32 - 1))
def test_random_sampler_stays_in_bounds(spec: dict[str, Distribution], seed: int) -> None:
    space = _space(spec)
    history = History([Direction.MINIMIZE])
    rng = np.random.default_rng(seed)
    for _ in range(5):
        params = RandomSampler().propose(space, history, rng)
        assert list(params) == list(space)
        for name, value in params.items():
            _check(space[name], value)


@SETTINGS
@given(spec=spaces, seed=st.integers(0, 2**32 - 1), start=st.integers(0, 1000))
def test_sobol_sequence_stays_in_bounds(
    spec: dict[str, Distribution], seed: int, start: int
) -> None:
    space = _space(spec)
    sampler = SobolSampler()
    sequence = sampler.sequence(space, seed)
    if sequence is None:  # a finite space: drawn without replacement
        assert all(space[n].n_points is not None for n in space)
        rng = np.random.default_rng(seed)
        history = History([Direction.MINIMIZE])
        proposals = [sampler.propose(space, history, rng) for _ in range(4)]
    else:
        proposals = [sequence[i] for i in range(start, start + 4)]
    for params in proposals:
        assert list(params) == list(space)
        for name, value in params.items():
            _check(space[name], value)


@SETTINGS
@given(u=st.floats(0, 1), dist=distributions())
def test_from_unit_is_in_domain_and_round_trips(u: float, dist: Distribution) -> None:
    value = dist.from_unit(u)
    _check(dist, value)
    if dist.n_points is not None:  # finite: exact round trip through the unit interval
        assert repr(dist.from_unit(dist.to_unit(value))) == repr(value)


def _suggest(trial: tf.Trial, name: str, dist: Distribution) -> Any:
    if isinstance(dist, Float):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Int):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    assert isinstance(dist, Categorical)
    return trial.suggest_categorical(name, list(dist.choices))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=spaces, seed=st.integers(0, 2**32 - 1))
def test_define_by_run_suggest_stays_in_bounds(spec: dict[str, Distribution], seed: int) -> None:
    study = tf.create_study(seed=seed)
    seen: list[dict[str, Any]] = []

    def objective(trial: tf.Trial) -> float:
        params = {name: _suggest(trial, name, dist) for name, dist in spec.items()}
        seen.append(params)
        return 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        study.optimize(objective, n_trials=3)
    assert len(seen) == len(study.trials)
    assert 1 <= len(seen) <= 3  # fewer only when a finite space is used up
    for params, record in zip(seen, study.trials, strict=True):
        assert record.state is tf.TrialState.COMPLETE
        for name, value in params.items():
            _check(spec[name], value)
            assert repr(record.params[name]) == repr(value)


# -- invalid definitions ----------------------------------------------------------------------
names = st.text("abcxyz_", min_size=1, max_size=6)


@st.composite
def invalid_definitions(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """(suggest kind, keyword arguments, expected message fragment)."""
    case = draw(
        st.sampled_from(
            [
                "low>high",
                "log_low<=0",
                "step<=0",
                "empty",
                "duplicate",
                "nan",
                "step+log",
                "int_low>high",
                "int_log_low<=0",
                "int_step<=0",
            ]
        )
    )
    lo = draw(st.floats(-1e3, 1e3))
    if case == "low>high":
        return "float", {"low": lo + 1.0, "high": lo}, "greater than high"
    if case == "log_low<=0":
        return "float", {"low": -abs(lo), "high": abs(lo) + 1.0, "log": True}, "needs low > 0"
    if case == "step<=0":
        return "float", {"low": 0.0, "high": 1.0, "step": -abs(lo)}, "must be > 0"
    if case == "empty":
        return "categorical", {"choices": []}, "choices are empty"
    if case == "duplicate":
        c = draw(choice_scalars)
        return "categorical", {"choices": [c, c]}, "appears twice"
    if case == "nan":
        which = draw(st.sampled_from(["low", "high"]))
        args = {"low": 0.0, "high": 1.0, which: math.nan}
        return "float", args, f"{which}=nan is not finite"
    if case == "step+log":
        return "float", {"low": 1.0, "high": 2.0, "step": 0.5, "log": True}, "cannot be combined"
    n = draw(st.integers(-100, 100))
    if case == "int_low>high":
        return "int", {"low": n + 1, "high": n}, "greater than high"
    if case == "int_log_low<=0":
        return "int", {"low": -abs(n), "high": abs(n) + 1, "log": True}, "needs low >= 1"
    return "int", {"low": 0, "high": 10, "step": -abs(n)}, "must be a positive integer"


@SETTINGS
@given(name=names, definition=invalid_definitions())
def test_invalid_suggest_raises_value_error_naming_parameter(
    name: str, definition: tuple[str, dict[str, Any], str]
) -> None:
    kind, kwargs, fragment = definition
    study = tf.create_study(seed=0)
    trial = study.ask()
    suggest = getattr(trial, f"suggest_{kind}")
    with pytest.raises(ValueError) as info:
        suggest(name, **kwargs)
    assert f"parameter {name!r}" in str(info.value)
    assert fragment in str(info.value)
    assert trial.params == {}  # nothing was stored


@SETTINGS
@given(name=names, definition=invalid_definitions())
def test_invalid_spec_raises_value_error_naming_parameter(
    name: str, definition: tuple[str, dict[str, Any], str]
) -> None:
    kind, kwargs, fragment = definition
    spec = {"ok": {"type": "int", "low": 0, "high": 1}, name: {"type": kind, **kwargs}}
    with pytest.raises(ValueError) as info:
        space_from_spec(spec)
    assert f"parameter {name!r}" in str(info.value)
    assert fragment in str(info.value)
