from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import tuningfork as tf
from tuningfork._core.history import History
from tuningfork._core.records import (
    Direction,
    TrialRecord,
    TrialState,
    validate_values,
)
from tuningfork._core.rng import check_seed


def test_stored_enum_values_never_change() -> None:
    assert {s.name: int(s) for s in TrialState} == {
        "WAITING": 0,
        "RUNNING": 1,
        "COMPLETE": 2,
        "PRUNED": 3,
        "FAILED": 4,
    }
    assert {d.name: int(d) for d in Direction} == {"MINIMIZE": 0, "MAXIMIZE": 1}
    assert {d.name: int(d) for d in tf.Decision} == {"CONTINUE": 0, "STOP": 1}
    assert [s for s in TrialState if s.is_finished()] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAILED,
    ]


def test_direction_parse_and_better() -> None:
    assert Direction.parse("MIN") is Direction.MINIMIZE
    assert Direction.parse("maximize") is Direction.MAXIMIZE
    assert Direction.MINIMIZE.better(1.0, 2.0)
    assert not Direction.MINIMIZE.better(2.0, 2.0)
    assert Direction.MAXIMIZE.better(3.0, 2.0)


def test_trial_record_is_frozen_with_read_only_mappings() -> None:
    params = {"x": 1}
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    record = TrialRecord(
        number=0,
        state=TrialState.COMPLETE,
        seed=1,
        params=params,
        values=(2.0,),
        intermediate={3: 0.5},
        started_at=start,
        finished_at=start + timedelta(seconds=1.5),
        system_attrs={"error": "ValueError: bad\n\ntraceback"},
    )
    params["x"] = 2  # the record took a copy
    assert record.params == {"x": 1}
    with pytest.raises(TypeError):
        record.params["y"] = 1  # type: ignore[index]
    assert record.value == 2.0
    assert record.duration == 1.5
    assert record.last_step == 3
    assert record.error_summary == "ValueError: bad"
    assert record.evolve(state=TrialState.FAILED).state is TrialState.FAILED
    assert record.state is TrialState.COMPLETE
    assert TrialRecord(number=1, state=TrialState.COMPLETE, seed=0, values=(1.0, 2.0)).value is None


@pytest.mark.parametrize(
    ("raw", "n", "expected"),
    [
        (1, 1, (1.0,)),
        (np.float32(0.5), 1, (0.5,)),
        ([1, 2], 2, (1.0, 2.0)),
        (np.array([1.0, 2.0]), 2, (1.0, 2.0)),
        ((3.0,), 1, (3.0,)),
    ],
)
def test_validate_values_accepts(raw: object, n: int, expected: tuple[float, ...]) -> None:
    values, reason = validate_values(raw, n)
    assert (values, reason) == (expected, None)
    assert all(type(v) is float for v in values)  # type: ignore[union-attr]


def test_validate_values_rejects_with_reason() -> None:
    assert validate_values(float("-inf"), 1) == (
        None,
        "the objective returned -inf, which is not a finite number",
    )
    assert validate_values(None, 2) == (
        None,
        "the objective returned None; expected a sequence of 2 finite numbers",
    )
    assert validate_values(False, 1) == (
        None,
        "the objective returned a bool (False); expected a number",
    )


def _rec(n: int, state: TrialState, value: float | None = None) -> TrialRecord:
    return TrialRecord(
        number=n,
        state=state,
        seed=0,
        values=None if value is None else (value,),
        params={"x": value or 0.0},
    )


def test_history_views_and_extend() -> None:
    h0 = History(
        [Direction.MINIMIZE],
        [_rec(1, TrialState.RUNNING), _rec(0, TrialState.COMPLETE, 1.0)],
        seq=2,
    )
    assert [t.number for t in h0.trials] == [0, 1]  # sorted by number
    assert [t.number for t in h0.completed()] == [0]
    assert [t.number for t in h0.running()] == [1]
    assert h0.extend(2, []) is h0
    h1 = h0.extend(3, [_rec(1, TrialState.COMPLETE, 0.5), _rec(2, TrialState.WAITING)])
    assert h1.seq == 3
    assert [t.state for t in h1.trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.WAITING,
    ]
    assert h0.trial(1).state is TrialState.RUNNING  # the old snapshot is unchanged
    assert h1.trial(2).state is TrialState.WAITING
    with pytest.raises(KeyError, match="trial 9 is not in this history"):
        h1.trial(9)
    space = tf.SearchSpace({"x": tf.Float(0, 1)})
    x, y = h1.matrix(space)
    assert x.tolist() == [[1.0], [0.5]]
    assert y.tolist() == [[1.0], [0.5]]
    assert h1.matrix(space)[0] is x  # cached per snapshot and space


def test_seed_everything_seeds_global_generators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        tf.seed_everything(123)
        a = (random.random(), np.random.rand())
        tf.seed_everything(123)
        b = (random.random(), np.random.rand())
        assert a == b
        random.seed(123)
        np.random.seed(123)
        assert a == (random.random(), np.random.rand())
        import os

        assert os.environ["PYTHONHASHSEED"] == "123"
        with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*32\)"):
            tf.seed_everything(2**32)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def test_study_does_not_touch_global_random_state() -> None:
    py_state, np_state = random.getstate(), np.random.get_state()
    tf.create_study(seed=1).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert random.getstate() == py_state
    assert np.array_equal(np.random.get_state()[1], np_state[1])


def test_check_seed() -> None:
    assert check_seed(np.int64(5)) == 5
    for bad in (True, 1.5, -1, 2**32, "3"):
        with pytest.raises(ValueError):
            check_seed(bad)
