"""XGBoostPruningCallback with real XGBoost training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgboost
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import tuningfork
from tuningfork import TrialState
from tuningfork.integrations.xgboost import XGBoostPruningCallback
from tuningfork.schedulers import ASHA


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


def test_train_api_reports_every_round(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    dtrain, dval = xgboost.DMatrix(X_train, y_train), xgboost.DMatrix(X_val, y_val)
    trial = Recorder()
    params = {"objective": "binary:logistic", "eval_metric": ["error", "logloss"], "nthread": 1}
    xgboost.train(
        params,
        dtrain,
        num_boost_round=5,
        evals=[(dtrain, "train"), (dval, "valid")],
        callbacks=[XGBoostPruningCallback(trial, metric="logloss", data="valid")],
        verbose_eval=False,
    )
    assert [s for s, _ in trial.reports] == [1, 2, 3, 4, 5]
    losses = [v for _, v in trial.reports]
    assert losses == sorted(losses, reverse=True)  # the validation logloss goes down
    # defaults: the last evaluation set ("valid") and its last metric ("logloss")
    default = Recorder()
    xgboost.train(
        params,
        dtrain,
        num_boost_round=5,
        evals=[(dtrain, "train"), (dval, "valid")],
        callbacks=[XGBoostPruningCallback(default)],
        verbose_eval=False,
    )
    assert default.reports == trial.reports


def test_stop_raises_out_of_the_sklearn_api(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    trial = Recorder(stop_at=3)
    model = xgboost.XGBClassifier(
        n_estimators=50,
        n_jobs=1,
        eval_metric="logloss",
        callbacks=[XGBoostPruningCallback(trial, "logloss", "validation_0")],
    )
    with pytest.raises(tuningfork.TrialPruned, match=r"at step 3"):
        model.fit(X_train, y_train, eval_set=[(X_val, y_val)], verbose=False)
    assert [s for s, _ in trial.reports] == [1, 2, 3]


def test_cv_reports_the_mean(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, _, y_train, _ = data
    trial = Recorder()
    result = xgboost.cv(
        {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1},
        xgboost.DMatrix(X_train, y_train),
        num_boost_round=3,
        nfold=3,
        seed=0,
        callbacks=[XGBoostPruningCallback(trial, "logloss", "test")],
    )
    assert np.allclose([v for _, v in trial.reports], result["test-logloss-mean"])


def test_unknown_names_are_clear_errors(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    dtrain, dval = xgboost.DMatrix(X_train, y_train), xgboost.DMatrix(X_val, y_val)
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1}
    with pytest.raises(ValueError, match=r"no metric 'auc' for 'valid'; the log has \['logloss'\]"):
        xgboost.train(
            params,
            dtrain,
            2,
            evals=[(dval, "valid")],
            callbacks=[XGBoostPruningCallback(Recorder(), "auc")],
            verbose_eval=False,
        )
    with pytest.raises(ValueError, match=r"no evaluation set 'test'; the log has \['valid'\]"):
        xgboost.train(
            params,
            dtrain,
            2,
            evals=[(dval, "valid")],
            callbacks=[XGBoostPruningCallback(Recorder(), data="test")],
            verbose_eval=False,
        )
    with pytest.raises(ValueError, match=r"found no evaluation results"):
        xgboost.train(params, dtrain, 2, callbacks=[XGBoostPruningCallback(Recorder())])


def test_boosting_rounds_with_asha_in_a_study(data: tuple[Any, Any, Any, Any]) -> None:
    X_train, X_val, y_train, y_val = data
    rounds = 9

    def objective(trial: tuningfork.Trial) -> float:
        eta = trial.suggest_float("learning_rate", 1e-3, 1.0, log=True)
        model = xgboost.XGBClassifier(
            n_estimators=rounds,
            learning_rate=eta,
            max_depth=2,
            n_jobs=1,
            eval_metric="logloss",
            callbacks=[XGBoostPruningCallback(trial)],
        )
        model.fit(X_train, y_train, eval_set=[(X_val, y_val)], verbose=False)
        return float(model.evals_result()["validation_0"]["logloss"][-1])

    study = tuningfork.create_study(scheduler=ASHA(1, rounds), seed=0)
    study.optimize(objective, n_trials=10)
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(max(t.intermediate) in (1, 3) for t in pruned)
    assert study.best_trial.intermediate[rounds] == study.best_value
