from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

import tuningfork as tf
from tuningfork import TrialState


def test_enqueued_trials_run_first_each_exactly_once_with_threads() -> None:
    study = tf.create_study(seed=0)
    for i in range(8):
        study.enqueue({"x": i / 10})
    seen: list[tuple[int, float]] = []
    lock = threading.Lock()

    def objective(trial: tf.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        time.sleep(0.01)
        with lock:
            seen.append((trial.number, x))
        return x

    study.optimize(objective, n_trials=12, n_workers=4)
    assert len(study.trials) == 12
    assert [study.trials[i].params["x"] for i in range(8)] == [i / 10 for i in range(8)]
    assert all(study.trials[i].system_attrs["enqueued"] is True for i in range(8))
    assert all("enqueued" not in study.trials[i].system_attrs for i in range(8, 12))
    assert Counter(n for n, _ in seen) == {n: 1 for n in range(12)}
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_enqueue_partial_params_samples_the_rest() -> None:
    study = tf.create_study(seed=0)
    study.enqueue({"x": 0.25}, user_attrs={"why": "baseline"})

    def objective(trial: tf.Trial) -> float:
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 1, 5)

    study.optimize(objective, n_trials=1)
    record = study.trials[0]
    assert record.params["x"] == 0.25
    assert record.params["n"] in range(1, 6)
    assert record.user_attrs == {"why": "baseline"}
    assert record.value == 0.25 + record.params["n"]


def test_enqueued_value_outside_suggested_range_fails_the_trial() -> None:
    study = tf.create_study(seed=0)
    study.enqueue({"x": 5.0})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    record = study.trials[0]
    assert record.state is TrialState.FAILED
    assert record.error_summary == (
        "ValueError: parameter 'x': the enqueued value 5.0 is not in Float(0.0, 1.0)"
    )


def test_enqueue_validates_against_declared_space() -> None:
    study = tf.create_study(seed=0, space={"x": tf.Float(0, 1), "k": ["a", "b"]})
    with pytest.raises(ValueError, match=r"enqueued parameter 'y' is not in the study's space"):
        study.enqueue({"y": 1})
    with pytest.raises(ValueError, match=r"enqueued parameter 'x': 2 is not in Float"):
        study.enqueue({"x": 2})
    with pytest.raises(ValueError, match=r"enqueued parameter 'k': 'c' is not in Categorical"):
        study.enqueue({"k": "c"})
    with pytest.raises(TypeError, match="enqueue takes a dict"):
        study.enqueue([("x", 1)])  # type: ignore[arg-type]
    assert study.trials == []


def test_enqueue_unstorable_value_raises() -> None:
    study = tf.create_study(seed=0)
    with pytest.raises(ValueError, match=r"parameter 'x': .* cannot be stored as JSON"):
        study.enqueue({"x": object()})
    assert study.trials == []


def test_enqueue_skip_if_exists() -> None:
    study = tf.create_study(seed=0)
    assert study.enqueue({"x": 0.5}) is not None
    assert study.enqueue({"x": 0.5}, skip_if_exists=True) is None
    assert study.enqueue({"x": 0.6}, skip_if_exists=True) is not None
    assert len(study.trials) == 2
    assert all(t.state is TrialState.WAITING for t in study.trials)


def test_tune_runs_enqueued_config_with_declared_space() -> None:
    study = tf.create_study(seed=0, space={"k": [None, True, 1, 1.0, "1", (2, 3)]})
    study.enqueue({"k": 1.0})
    trial = study.ask()
    assert trial.suggest_categorical("k", [None, True, 1, 1.0, "1", (2, 3)]) == 1.0
    assert type(trial.params["k"]) is float
