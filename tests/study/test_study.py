from __future__ import annotations

from pathlib import Path

import pytest

import tuningfork as tf
from tuningfork import Direction, TrialState
from tuningfork.storage import InMemoryStorage


def test_create_and_load_share_trials() -> None:
    storage = InMemoryStorage()
    study = tf.create_study(name="s", storage=storage, direction="maximize", seed=4)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    loaded = tf.load_study("s", storage)
    assert loaded.directions == (Direction.MAXIMIZE,)
    assert loaded.seed == 4
    assert loaded.trials == study.trials
    assert loaded.best_trial == study.best_trial


def test_duplicate_name_raises_and_load_if_exists_continues() -> None:
    storage = InMemoryStorage()
    tf.create_study(name="s", storage=storage, seed=1)
    with pytest.raises(
        tf.StudyExistsError, match="a study named 's' already exists; pass load_if_exists=True"
    ):
        tf.create_study(name="s", storage=storage)
    again = tf.create_study(name="s", storage=storage, load_if_exists=True)
    assert again.seed == 1
    with pytest.raises(ValueError, match="stored with directions \\['minimize'\\]"):
        tf.create_study(name="s", storage=storage, direction="maximize", load_if_exists=True)


def test_load_if_exists_creates_when_missing() -> None:
    storage = InMemoryStorage()
    study = tf.create_study(name="new", storage=storage, load_if_exists=True, seed=9)
    assert study.seed == 9
    assert [r.name for r in storage.list_studies()] == ["new"]


def test_load_missing_study_lists_stored_ones() -> None:
    storage = InMemoryStorage()
    tf.create_study(name="a", storage=storage)
    with pytest.raises(tf.StudyNotFoundError) as info:
        tf.load_study("b", storage)
    assert str(info.value) == "no study named 'b' in this storage (stored studies: 'a')"


def test_sqlite_study_reopens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tf.create_study(name="s", storage=url, seed=2, space={"x": tf.Float(0, 1)})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    loaded = tf.load_study("s", url)
    assert loaded.space == study.space
    assert [(t.number, dict(t.params), t.values) for t in loaded.trials] == [
        (t.number, dict(t.params), t.values) for t in study.trials
    ]


def test_direction_arguments() -> None:
    assert tf.create_study(direction="max").direction is Direction.MAXIMIZE
    with pytest.raises(ValueError, match="direction 'up' is not understood"):
        tf.create_study(direction="up")
    with pytest.raises(ValueError, match="give direction or directions, not both"):
        tf.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="directions must be a non-empty list"):
        tf.create_study(directions=[])
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*32\)"):
        tf.create_study(seed=-1)


def test_history_refreshes_incrementally() -> None:
    study = tf.create_study(seed=0)
    study.optimize(lambda t: 1.0, n_trials=2)
    first = study.history()
    assert study.history() is first  # nothing changed: the same snapshot
    study.optimize(lambda t: 2.0, n_trials=1)
    second = study.history()
    assert second is not first
    assert second.seq > first.seq
    assert len(first) == 2 and len(second) == 3
    assert second.trials[:2] == first.trials
    assert second.trials[0] is first.trials[0]  # unchanged records are shared
    # only the trials changed since first.seq come back from the storage
    seq, changed = study.storage.changes_since(study.name, first.seq)
    assert seq == second.seq
    assert [t.number for t in changed] == [2]


def test_history_snapshot_is_immutable() -> None:
    study = tf.create_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    history = study.history()
    with pytest.raises(AttributeError):
        history.trials = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        history.seq = 99  # type: ignore[misc]
    with pytest.raises(TypeError):
        history.trials[0].params["x"] = 5  # type: ignore[index]
    with pytest.raises(AttributeError):
        history.trials[0].state = TrialState.FAILED  # type: ignore[misc]
    assert isinstance(history.trials, tuple)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(history) == 2  # a later run does not change an earlier snapshot


def test_get_trials_filters_states() -> None:
    study = tf.create_study(seed=0)
    study.optimize(lambda t: float(t.number) if t.number != 1 else float("nan"), n_trials=3)
    assert [t.number for t in study.get_trials([TrialState.FAILED])] == [1]
    assert [t.number for t in study.get_trials([TrialState.COMPLETE])] == [0, 2]


def test_study_user_attrs() -> None:
    study = tf.create_study(seed=0)
    study.set_user_attr("dataset", "iris")
    assert study.user_attrs == {"dataset": "iris"}
