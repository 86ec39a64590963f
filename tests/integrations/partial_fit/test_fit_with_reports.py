"""fit_with_reports: per-step reports, pruning by a real scheduler, warm_start, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import tuningfork
from tuningfork import TrialState
from tuningfork.integrations.partial_fit import fit_with_reports
from tuningfork.schedulers import ASHA


class Recorder:
    """A trial stand-in that records reports and stops from a given step on."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.reports: list[tuple[int, float]] = []
        self.stop_at = stop_at

    def report(self, step: int, value: float) -> None:
        self.reports.append((step, value))

    def should_stop(self) -> bool:
        return self.stop_at is not None and self.reports[-1][0] >= self.stop_at


@pytest.fixture(scope="module")
def digits() -> tuple[Any, Any, Any, Any]:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    return X_train, y_train, X_val, y_val


def test_partial_fit_reports_every_epoch(digits: tuple[Any, Any, Any, Any]) -> None:
    trial = Recorder()
    model = SGDClassifier(random_state=0)
    last = fit_with_reports(trial, model, *digits, epochs=4)
    assert [s for s, _ in trial.reports] == [1, 2, 3, 4]
    assert last == trial.reports[-1][1] == pytest.approx(model.score(digits[2], digits[3]))
    assert last > 0.85


def test_stop_raises_trial_pruned_right_after_the_report(
    digits: tuple[Any, Any, Any, Any],
) -> None:
    trial = Recorder(stop_at=2)
    with pytest.raises(tuningfork.TrialPruned, match=r"stopped by the scheduler at step 2"):
        fit_with_reports(trial, SGDClassifier(random_state=0), *digits, epochs=10)
    assert [s for s, _ in trial.reports] == [1, 2]


def test_warm_start_grows_the_resource(digits: tuple[Any, Any, Any, Any]) -> None:
    trial = Recorder()
    model = HistGradientBoostingClassifier(max_iter=1, early_stopping=False, random_state=0)
    with threadpool_limits(1):  # OpenMP threads on a busy machine cost seconds here
        fit_with_reports(trial, model, *digits, epochs=3, resource_param="max_iter", step_size=5)
    assert [s for s, _ in trial.reports] == [1, 2, 3]
    assert model.max_iter == 15 and model.n_iter_ == 15
    assert trial.reports[-1][1] > trial.reports[0][1]


def test_scoring_names_and_callables(digits: tuple[Any, Any, Any, Any]) -> None:
    trial = Recorder()
    fit_with_reports(
        trial, SGDClassifier(random_state=0), *digits, epochs=1, scoring="balanced_accuracy"
    )
    trial2 = Recorder()
    fit_with_reports(
        trial2, SGDClassifier(random_state=0), *digits, epochs=1, scoring=lambda e, X, y: 0.5
    )
    assert 0.5 < trial.reports[0][1] <= 1.0 and trial2.reports == [(1, 0.5)]


@pytest.mark.parametrize(
    ("estimator", "kwargs", "message"),
    [
        (LinearRegression(), {}, r"LinearRegression has neither partial_fit nor a warm_start"),
        (RandomForestRegressor(), {}, r"pass resource_param.*'n_estimators'"),
        (
            RandomForestRegressor(),
            {"resource_param": "n_trees"},
            r"resource_param='n_trees' is not a parameter of RandomForestRegressor",
        ),
        (SGDClassifier(), {"epochs": 0}, r"epochs must be an int >= 1, got 0"),
        (SGDClassifier(), {"step_size": 0}, r"step_size must be an int >= 1, got 0"),
        (SGDClassifier(), {"scoring": 3}, r"scoring must be None, a scikit-learn scorer name"),
    ],
)
def test_errors(estimator: Any, kwargs: dict[str, Any], message: str) -> None:
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    kwargs = {"epochs": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit_with_reports(Recorder(), estimator, X, y, X, y, **kwargs)


@pytest.mark.slow
def test_mlp_with_asha_in_a_study(digits: tuple[Any, Any, Any, Any]) -> None:
    epochs = 9

    def objective(trial: tuningfork.Trial) -> float:
        lr = trial.suggest_float("learning_rate_init", 1e-5, 1e-1, log=True)
        model = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=lr, random_state=0)
        return fit_with_reports(trial, model, *digits, epochs=epochs)

    study = tuningfork.create_study(direction="maximize", scheduler=ASHA(1, epochs), seed=0)
    study.optimize(objective, n_trials=12)
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert set(states) <= {TrialState.PRUNED, TrialState.COMPLETE}
    for t in study.trials:
        assert sorted(t.intermediate) == list(range(1, max(t.intermediate) + 1))
        if t.state is TrialState.PRUNED:
            assert max(t.intermediate) in (1, 3)  # stopped right at a rung
    assert study.best_value > 0.9
