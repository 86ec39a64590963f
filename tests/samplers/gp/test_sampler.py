"""GPSampler end to end: types and bounds, edge cases, reproducibility, parallel proposals,
and a small optimization benchmark against random search."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import tuningfork
from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork._core.rng import trial_rng
from tuningfork.samplers import GPSampler, RandomSampler, Sampler
from tuningfork.samplers._finite import PROPOSAL_ATTR
from tuningfork.samplers.gp._sampler import default_startup_trials
from tuningfork.space import Categorical, Conditional, Float, Int, SearchSpace
from tuningfork.space._distributions import _same


def _record(
    number: int,
    space: SearchSpace,
    params: Mapping[str, Any],
    value: float | None,
    state: TrialState = TrialState.COMPLETE,
    system_attrs: Mapping[str, Any] | None = None,
) -> TrialRecord:
    return TrialRecord(
        number,
        state,
        seed=0,
        params=dict(params),
        distributions={n: space[n] for n in params},
        values=None if value is None else (value,),
        system_attrs=dict(system_attrs or {}),
    )


def _run(
    sampler: Sampler,
    space: SearchSpace,
    objective: Callable[[dict[str, Any]], float],
    n_trials: int,
    seed: int = 0,
    direction: Direction = Direction.MINIMIZE,
) -> list[TrialRecord]:
    records: list[TrialRecord] = []
    for i in range(n_trials):
        history = History([direction], records, seq=i)
        params = sampler.propose(space, history, trial_rng(seed, i))
        records.append(_record(i, space, params, objective(params)))
    return records


def _branin(p: Mapping[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return float((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)


BRANIN_MIN = 0.397887357729739
BRANIN = SearchSpace({"x1": Float(-5, 10), "x2": Float(0, 15)})


@pytest.mark.slow
def test_branin_beats_random_search() -> None:
    # Measured (5 seeds, 40 trials): GP regret 7e-5 .. 4e-4 (below 0.01 by trial 30); random
    # search 0.08 .. 2.8. The threshold 0.05 leaves a 100x margin for the GP, while random
    # search reaches it on well under one seed in ten, so "4 of 5" fails for random proposals.
    gp_regret, random_regret = [], []
    for seed in range(5):
        runs = _run(GPSampler(), BRANIN, _branin, 40, seed)
        gp_regret.append(min(r.values[0] for r in runs if r.values) - BRANIN_MIN)  # type: ignore[index]
        runs = _run(RandomSampler(), BRANIN, _branin, 40, seed)
        random_regret.append(min(r.values[0] for r in runs if r.values) - BRANIN_MIN)  # type: ignore[index]
    assert sum(r < 0.05 for r in gp_regret) >= 4, gp_regret
    assert np.median(gp_regret) < np.median(random_regret) / 10, (gp_regret, random_regret)


MIXED = SearchSpace(
    {
        "f": Float(-2.0, 3.0),
        "flog": Float(1e-5, 1e-1, log=True),
        "fstep": Float(0.0, 1.0, step=0.25),
        "i": Int(-3, 7),
        "ilog": Int(1, 1000, log=True),
        "istep": Int(0, 20, step=5),
        "c": Categorical([None, True, 1, 1.5, "a", (2, 3)]),
        "zero_f": Float(1.5, 1.5),
        "zero_i": Int(4, 4),
        "zero_c": Categorical(["only"]),
    }
)


def _mixed_objective(p: Mapping[str, Any]) -> float:
    bonuses = [(None, 0.3), (True, 0.0), (1, 0.5), (1.5, 0.2), ("a", 0.1), ((2, 3), 0.4)]
    c_bonus = next(bonus for choice, bonus in bonuses if _same(choice, p["c"]))
    return (
        (p["f"] - 0.5) ** 2
        + (math.log10(p["flog"]) + 3) ** 2 * 0.1
        + (p["fstep"] - 0.5) ** 2
        + (p["i"] - 2) ** 2 * 0.05
        + (math.log(p["ilog"]) - math.log(30)) ** 2 * 0.1
        + abs(p["istep"] - 10) * 0.02
        + c_bonus
    )


def _check_types(space: SearchSpace, params: Mapping[str, Any]) -> None:
    assert list(params) == space.active_names(params)
    for name, value in params.items():
        dist = space[name]
        assert dist.contains(value), (name, value)
        if isinstance(dist, Float):
            assert type(value) is float, (name, value)
        elif isinstance(dist, Int):
            assert type(value) is int, (name, value)
        else:
            assert isinstance(dist, Categorical)
            assert any(_same(value, choice) for choice in dist.choices), (name, value)


def test_mixed_space_proposals_have_correct_types_and_bounds() -> None:
    records = _run(GPSampler(n_startup_trials=5), MIXED, _mixed_objective, 16)
    for record in records:
        _check_types(MIXED, record.params)
        assert record.params["zero_f"] == 1.5
        assert record.params["zero_i"] == 4
        assert record.params["zero_c"] == "only"


def test_only_zero_width_dims() -> None:
    space = SearchSpace({"a": Float(2.0, 2.0), "b": Int(1, 1), "c": Categorical([(1, 2)])})
    history = History([Direction.MINIMIZE])
    assert GPSampler().propose(space, history, np.random.default_rng(0)) == {
        "a": 2.0,
        "b": 1,
        "c": (1, 2),
    }


@pytest.mark.parametrize("n_startup", [None, 0])
def test_empty_history(n_startup: int | None) -> None:
    params = GPSampler(n_startup).propose(MIXED, History([Direction.MINIMIZE]), trial_rng(0, 0))
    _check_types(MIXED, params)


def test_only_failed_history_uses_the_startup_design() -> None:
    records = [
        _record(i, BRANIN, {"x1": 0.1 * i, "x2": 1.0}, None, TrialState.FAILED) for i in range(30)
    ]
    params = GPSampler(n_startup_trials=0).propose(
        BRANIN, History([Direction.MINIMIZE], records), trial_rng(0, 30)
    )
    _check_types(BRANIN, params)


def test_startup_design_spreads_out() -> None:
    space = SearchSpace({"x": Float(0, 1)})
    records = _run(GPSampler(n_startup_trials=10), space, lambda p: 0.0, 8)
    xs = np.sort([r.params["x"] for r in records])
    assert np.min(np.diff(xs)) > 0.02  # maximin beats independent uniform draws
    assert default_startup_trials(2) == 6 and default_startup_trials(50) == 20


def test_pruned_and_failed_trials_do_not_change_the_model() -> None:
    base = [r for r in _run(RandomSampler(), BRANIN, _branin, 12, seed=3)]
    noise = [
        _record(12, BRANIN, {"x1": 1.0, "x2": 1.0}, 1e6, TrialState.PRUNED),
        _record(13, BRANIN, {"x1": 2.0, "x2": 2.0}, None, TrialState.FAILED),
    ]
    a = GPSampler().propose(BRANIN, History([Direction.MINIMIZE], base), trial_rng(0, 99))
    b = GPSampler().propose(BRANIN, History([Direction.MINIMIZE], base + noise), trial_rng(0, 99))
    assert a == b


def test_maximize() -> None:
    space = SearchSpace({"x": Float(-1, 1), "y": Float(-1, 1)})

    def objective(p: Mapping[str, Any]) -> float:
        return -((p["x"] - 0.3) ** 2) - (p["y"] + 0.4) ** 2

    records = _run(GPSampler(), space, objective, 20, direction=Direction.MAXIMIZE)
    assert max(r.values[0] for r in records) > -1e-3  # type: ignore[index]


def test_multi_objective_is_rejected_with_a_clear_message() -> None:
    history = History([Direction.MINIMIZE, Direction.MAXIMIZE])
    with pytest.raises(ValueError, match=r"supports one objective.*has 2 \(minimize, maximize\)"):
        GPSampler().propose(BRANIN, history, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials=-1"),
        ({"n_candidates": 0}, "n_candidates=0"),
        ({"n_restarts": 1.5}, "n_restarts=1.5"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GPSampler(**kwargs)


def test_reproducible_with_the_same_seed() -> None:
    def objective(trial: tuningfork.Trial) -> float:
        x = trial.suggest_float("x", -5, 10)
        n = trial.suggest_int("n", 1, 8)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return (x - 1) ** 2 + (n - 3) ** 2 + (c != "b")

    def run() -> list[dict[str, Any]]:
        study = tuningfork.create_study(sampler=GPSampler(), seed=0)
        study.optimize(objective, n_trials=14)
        return [dict(t.params) for t in study.trials]

    first, second = run(), run()
    assert first == second
    assert len({tuple(sorted(p.items())) for p in first}) == len(first)


_CROSS_PROCESS_SCRIPT = """
import json
import tuningfork
from tuningfork.samplers import GPSampler

def objective(trial):
    x = trial.suggest_float("x", -5, 10)
    n = trial.suggest_int("n", 1, 8, log=True)
    return (x - 1) ** 2 + (n - 3) ** 2

study = tuningfork.create_study(sampler=GPSampler(n_startup_trials=3), seed=7)
study.optimize(objective, n_trials=8)
print(json.dumps([dict(t.params) for t in study.trials]))
"""


def test_reproducible_in_another_process() -> None:
    import json
    import subprocess
    import sys

    def run() -> Any:
        out = subprocess.run(
            [sys.executable, "-c", _CROSS_PROCESS_SCRIPT],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert run() == run()


def test_kriging_believer_moves_away_from_pending_points() -> None:
    space = SearchSpace({"x": Float(0, 1), "y": Float(0, 1)})
    completed = _run(
        RandomSampler(), space, lambda p: (p["x"] - 0.6) ** 2 + (p["y"] - 0.2) ** 2, 12
    )
    rng_seed = 12
    first = GPSampler().propose(
        space, History([Direction.MINIMIZE], completed), trial_rng(0, rng_seed)
    )
    # the same proposal pending, once as a running trial's params, once as its published proposal
    for pending in (
        _record(12, space, first, None, TrialState.RUNNING),
        _record(12, space, {}, None, TrialState.RUNNING, {PROPOSAL_ATTR: first}),
    ):
        history = History([Direction.MINIMIZE], [*completed, pending])
        second = GPSampler().propose(space, history, trial_rng(0, rng_seed))
        distance = math.hypot(second["x"] - first["x"], second["y"] - first["y"])
        assert distance > 0.02, (first, second)


def test_conditional_space() -> None:
    space = SearchSpace(
        {
            "model": Categorical(["svm", "tree"]),
            "C": Conditional(Float(1e-3, 1e3, log=True), when={"model": "svm"}),
            "depth": Conditional(Int(1, 10), when={"model": "tree"}),
            "kernel": Conditional(Categorical(["rbf", "poly"]), when={"model": "svm"}),
        }
    )

    def objective(p: Mapping[str, Any]) -> float:
        if p["model"] == "svm":
            return abs(math.log10(p["C"]) - 1) + (p["kernel"] == "poly")
        return abs(p["depth"] - 4) * 0.3 + 0.5

    records = _run(GPSampler(n_startup_trials=4), space, objective, 16)
    for record in records:
        _check_types(space, record.params)
        expected = (
            {"model", "C", "kernel"} if record.params["model"] == "svm" else {"model", "depth"}
        )
        assert set(record.params) == expected
    assert min(r.values[0] for r in records) < 0.3  # type: ignore[index]


def test_finite_space_never_repeats_and_counts_remaining() -> None:
    space = SearchSpace({"n": Int(0, 4), "c": Categorical(["a", "b", "c"])})
    sampler = GPSampler(n_startup_trials=3)
    records = _run(sampler, space, lambda p: p["n"] + (p["c"] == "a"), 15)
    keys = {(r.params["n"], r.params["c"]) for r in records}
    assert len(keys) == 15
    assert sampler.remaining(space, History([Direction.MINIMIZE], records)) == 0
    assert sampler.remaining(space, History([Direction.MINIMIZE], records[:5])) == 10
    assert sampler.remaining(BRANIN, History([Direction.MINIMIZE])) is None


def test_define_by_run_leftovers_are_uniform() -> None:
    dist = Int(1, 6)
    rng = np.random.default_rng(0)
    values = [
        GPSampler().propose_one("n", dist, History([Direction.MINIMIZE]), rng) for _ in range(300)
    ]
    assert set(values) == set(range(1, 7))


def test_describe() -> None:
    assert GPSampler(7).describe()["n_startup_trials"] == 7
