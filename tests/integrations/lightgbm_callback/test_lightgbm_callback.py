"""LightGBMPruningCallback with real LightGBM training."""

from __future__ import annotations

import inspect
from typing import Any

import lightgbm
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import tuningfork
from tuningfork import TrialState
from tuningfork.integrations.lightgbm import LightGBMPruningCallback
from tuningfork.schedulers import ASHA

PARAMS = {
    "objective": "binary",
    "metric": ["binary_logloss", "auc"],
    "verbose": -1,
    "num_threads": 1,
    "seed": 0,
}


class Recorder:
    def __init__(self, stop_at: int | None = None) -> None:
        self.reports: list[tuple[int, float]] = []
        self.stop_at = stop_at

    def report(self, step: int, value: float) -> None:
        self.reports.append((step, value))

    def should_stop(self) -> bool:
        return self.stop_at is not None and self.reports[-1][0] >= self.stop_at


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any, Any, Any]:
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    return X_train, X_val, y_train, y_val


def _eval(X_val: Any, y_val: Any) -> dict[str, Any]:
    # LightGBM 4.7 renamed eval_set (deprecated) to eval_X / eval_y
    if "eval_X" in inspect.signature(lightgbm.LGBMClassifier.fit).parameters:
        return {"eval_X": (X_val,), "eval_y": (y_val,)}
    return {"eval_set": [(X_val, y_val)]}


def _train(data: tuple[Any, Any, Any, Any], callback: Any, rounds: int = 5) -> dict[str, Any]:
    X_train, X_val, y_train, y_val = data
    dtrain = lightgbm.Dataset(X_train, y_train)
    dval = lightgbm.Dataset(X_val, y_val, reference=dtrain)
    log: dict[str, Any] = {}
    lightgbm.train(
        PARAMS,
        dtrain,
        num_boost_round=rounds,
        valid_sets=[dval],
        valid_names=["valid"],
        callbacks=[callback, lightgbm.record_evaluation(log)],
    )
    return log


def test_train_reports_every_round(data: tuple[Any, Any, Any, Any]) -> None:
    trial = Recorder()
    log = _train(data, LightGBMPruningCallback(trial, "auc", "valid"))
    assert [s for s, _ in trial.reports] == [1, 2, 3, 4, 5]
    assert [v for _, v in trial.reports] == log["valid"]["auc"]
    first = Recorder()  # defaults: the first result logged
    log = _train(data, LightGBMPruningCallback(first))
    assert [v for _, v in first.reports] == log["valid"]["binary_logloss"]


def test_stop_raises_out_of_training(data: tuple[Any, Any, Any, Any]) -> None:
    trial = Recorder(stop_at=2)
    with pytest.raises(tuningfork.TrialPruned, match=r"at step 2"):
        _train(data, LightGBMPruningCallback(trial, "binary_logloss"), rounds=50)
    assert [s for s, _ in trial.reports] == [1, 2]


def test_sklearn_api_and_cv(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    trial = Recorder()
    model = lightgbm.LGBMClassifier(n_estimators=4, verbose=-1, n_jobs=1)
    model.fit(
        X_train,
        y_train,
        **_eval(X_val, y_val),
        callbacks=[LightGBMPruningCallback(trial, "binary_logloss", "valid_0")],
    )
    assert [s for s, _ in trial.reports] == [1, 2, 3, 4]
    cv = Recorder()
    result = lightgbm.cv(
        {**PARAMS, "metric": "binary_logloss"},
        lightgbm.Dataset(X_train, y_train),
        num_boost_round=3,
        nfold=3,
        stratified=True,
        seed=0,
        callbacks=[LightGBMPruningCallback(cv, "binary_logloss", "valid")],
    )
    assert np.allclose([v for _, v in cv.reports], result["valid binary_logloss-mean"])


def test_unknown_metric_is_a_clear_error(data: tuple[Any, Any, Any, Any]) -> None:
    with pytest.raises(ValueError, match=r"no result for data=None, metric='l2'.*'valid', 'auc'"):
        _train(data, LightGBMPruningCallback(Recorder(), "l2"))


def test_boosting_rounds_with_asha_in_a_study(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    rounds = 9

    def objective(trial: tuningfork.Trial) -> float:
        lr = trial.suggest_float("learning_rate", 1e-3, 1.0, log=True)
        model = lightgbm.LGBMClassifier(
            n_estimators=rounds, learning_rate=lr, num_leaves=4, verbose=-1, n_jobs=1
        )
        model.fit(
            X_train,
            y_train,
            **_eval(X_val, y_val),
            eval_metric="binary_logloss",
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")],
        )
        return float(model.evals_result_["valid_0"]["binary_logloss"][-1])

    study = tuningfork.create_study(scheduler=ASHA(1, rounds), seed=0)
    study.optimize(objective, n_trials=10)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(max(t.intermediate) in (1, 3) for t in pruned)
    assert study.best_trial.intermediate[rounds] == study.best_value
