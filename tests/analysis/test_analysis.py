from __future__ import annotations

import numpy as np
import pytest

import tuningfork as tf
from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork.analysis import best_trial, pareto_mask, trials_to_rows


def test_best_trial_earliest_on_ties_and_maximize() -> None:
    trials = [
        TrialRecord(number=i, state=TrialState.COMPLETE, seed=0, values=(v,))
        for i, v in enumerate([3.0, 1.0, 1.0, 5.0])
    ]
    assert best_trial(History([Direction.MINIMIZE], trials)).number == 1
    assert best_trial(History([Direction.MAXIMIZE], trials)).number == 3


def test_pareto_mask() -> None:
    y = np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [0.0, 3.0]])
    assert pareto_mask(y).tolist() == [True, True, False, True, True]


def test_trials_dataframe_columns() -> None:
    pytest.importorskip("pandas")
    study = tf.create_study(seed=0)

    def objective(trial: tf.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("tag", "a")
        if trial.number == 1:
            raise ValueError("bad x")
        if trial.number == 2:
            trial.suggest_int("n", 1, 3)
        return x

    study.optimize(objective, n_trials=3)
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "state",
        "value",
        "params_x",
        "user_attrs_tag",
        "seed",
        "datetime_start",
        "datetime_complete",
        "duration",
        "error",
        "params_n",
    ]
    assert df["state"].tolist() == ["COMPLETE", "FAILED", "COMPLETE"]
    assert df["number"].tolist() == [0, 1, 2]
    assert df.loc[1, "error"] == "ValueError: bad x"
    assert df.loc[0, "value"] == study.trials[0].value
    assert df["seed"].tolist() == [t.seed for t in study.trials]


def test_trials_dataframe_multi_objective_columns() -> None:
    pytest.importorskip("pandas")
    study = tf.create_study(directions=["minimize", "maximize"], seed=0)
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    df = study.trials_dataframe()
    assert list(df.columns)[:4] == ["number", "state", "values_0", "values_1"]
    assert df.loc[0, "values_1"] == 2.0


def test_rows_without_pandas() -> None:
    record = TrialRecord(number=0, state=TrialState.RUNNING, seed=7, params={"a": 1})
    assert trials_to_rows([record], 1) == [
        {
            "number": 0,
            "state": "RUNNING",
            "value": None,
            "params_a": 1,
            "seed": 7,
            "datetime_start": None,
            "datetime_complete": None,
            "duration": None,
        }
    ]
