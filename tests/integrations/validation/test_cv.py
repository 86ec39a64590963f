"""cross_val_objective and check_leakage: honest cross-validation, and the mistakes they flag."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import tuningfork
from tuningfork import FixedTrial, TuningforkWarning, check_leakage, cross_val_objective


def _data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, 1.0]  # not standardized
    y = (X[:, 0] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return X, y


def _logreg(trial: Any) -> Any:
    return LogisticRegression(C=trial.suggest_float("C", 1e-2, 1e2, log=True))


def test_the_splitter_follows_the_task_and_the_seed() -> None:
    X, y = _data()
    assert isinstance(cross_val_objective(_logreg, X, y).splitter(5), StratifiedKFold)
    assert cross_val_objective(_logreg, X, y).splitter(5).random_state == 5
    regression = cross_val_objective(lambda t: LinearRegression(), X, X[:, 0] * 1.5)
    assert isinstance(regression.splitter(1), KFold)
    groups = np.arange(len(y)) % 10
    assert isinstance(cross_val_objective(_logreg, X, y, groups=groups).splitter(1), GroupKFold)
    timed = cross_val_objective(_logreg, X, y, cv="time").splitter(1)
    assert isinstance(timed, TimeSeriesSplit)
    assert cross_val_objective(_logreg, X, y, cv=3).splitter(1).n_splits == 3
    with pytest.raises(ValueError, match="cv='nope' is not understood"):
        cross_val_objective(_logreg, X, y, cv="nope")


def test_each_trial_stores_fold_and_train_scores_and_returns_their_mean() -> None:
    X, y = _data()
    objective = cross_val_objective(_logreg, X, y, cv=4, return_train_score=True)
    study = tuningfork.create_study(direction="maximize", seed=0)
    study.optimize(objective, n_trials=2, catch=())
    for t in study.trials:
        assert len(t.user_attrs["fold_scores"]) == 4
        assert t.value == pytest.approx(np.mean(t.user_attrs["fold_scores"]))
        assert t.user_attrs["train_score"] == pytest.approx(
            np.mean(t.user_attrs["train_fold_scores"])
        )
    # the same trial seed gives the same folds, so the same value
    assert study.rerun(1) == study.trials[1].value


def test_the_folds_are_shuffled_by_the_trial_seed() -> None:
    X, y = _data()
    objective = cross_val_objective(_logreg, X, y)
    first = [val.tolist() for _, val in objective.splits(1)]
    assert first == [val.tolist() for _, val in objective.splits(1)]
    assert first != [val.tolist() for _, val in objective.splits(2)]


def test_preprocessing_is_fitted_inside_each_fold() -> None:
    X, y = _data()
    fitted: list[int] = []

    class Spy(StandardScaler):
        def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
            fitted.append(len(X))
            return super().fit(X, y, sample_weight)

    objective = cross_val_objective(
        lambda t: make_pipeline(Spy(), LogisticRegression()), X, y, cv=4
    )
    objective(FixedTrial({}, seed=0))
    assert fitted == [90, 90, 90, 90]  # training parts only, never all 120 rows


def test_an_imbalanced_target_with_a_plain_kfold_warns() -> None:
    X, _ = _data()
    y = np.zeros(len(X), dtype=int)
    y[:12] = 1
    with pytest.warns(TuningforkWarning, match="imbalanced .* not stratified"):
        cross_val_objective(_logreg, X, y, cv="kfold")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_val_objective(_logreg, X, y)  # stratified: no warning


def test_a_splitter_with_the_same_rows_on_both_sides_warns() -> None:
    X, y = _data()
    idx = np.arange(len(y))
    with pytest.warns(TuningforkWarning, match=r"same rows in training and validation \(fold"):
        cross_val_objective(_logreg, X, y, cv=[(idx[:80], idx[60:]), (idx[40:], idx[:40])])


def test_duplicated_rows_across_train_and_validation_warn() -> None:
    X, y = _data()
    X2, y2 = np.vstack([X, X[:30]]), np.concatenate([y, y[:30]])
    with pytest.warns(TuningforkWarning, match="30 row.* exact duplicates"):
        cross_val_objective(_logreg, X2, y2)
    groups = np.concatenate([np.arange(len(y)), np.arange(30)])  # copies share a group
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_val_objective(_logreg, X2, y2, groups=groups)


def test_data_scaled_before_the_split_is_flagged() -> None:
    X, y = _data()
    with pytest.warns(TuningforkWarning, match="looks already standardized"):
        cross_val_objective(_logreg, StandardScaler().fit_transform(X), y)


def test_min_max_scaled_data_is_flagged_but_indicator_columns_are_not() -> None:
    X, y = _data()
    with pytest.warns(TuningforkWarning, match="looks already min-max scaled"):
        cross_val_objective(_logreg, MinMaxScaler().fit_transform(X), y)
    indicators = np.random.default_rng(0).integers(0, 2, size=(len(y), 20)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_val_objective(_logreg, indicators, y)


def test_final_evaluation_fits_on_all_training_data_by_default() -> None:
    X, y = _data(200)
    objective = cross_val_objective(_logreg, X[:150], y[:150], cv=3)
    study = tuningfork.create_study(direction="maximize", seed=0)
    study.set_test_data(X[150:], y[150:])
    study.optimize(objective, n_trials=3)
    value = study.final_evaluation()
    model = LogisticRegression(C=study.best_params["C"]).fit(X[:150], y[:150])
    assert value == pytest.approx(model.score(X[150:], y[150:]))


def _noisy_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Two weak real features of breast cancer, plus 2000 columns of noise: a supervised
    feature selector fitted on all rows finds noise columns that happen to fit the labels."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    return np.hstack([X[:, :2], rng.normal(size=(len(X), 2000))]), y


@pytest.mark.slow
def test_leaky_feature_selection_is_flagged_and_in_fold_selection_is_honest() -> None:
    X, y = _noisy_cancer()
    selector, model = SelectKBest(f_classif, k=20), LogisticRegression(max_iter=2000)
    with pytest.warns(TuningforkWarning, match="inflates the score"):
        report = check_leakage(selector, model, X, y)
    assert report.leaky_flagged
    assert report.leaky - report.honest > 0.03
    assert report.optimism > 2 * report.std_error

    def in_fold(trial: Any) -> Any:
        C = trial.suggest_float("C", 1e-2, 1e1, log=True)
        return make_pipeline(SelectKBest(f_classif, k=20), LogisticRegression(C=C, max_iter=2000))

    def on_selected(trial: Any) -> Any:
        return LogisticRegression(C=trial.suggest_float("C", 1e-2, 1e1, log=True), max_iter=2000)

    X_leaky = SelectKBest(f_classif, k=20).fit_transform(X, y)  # the mistake: before the split
    scores = {}
    for name, objective in (
        ("honest", cross_val_objective(in_fold, X, y)),
        ("leaky", cross_val_objective(on_selected, X_leaky, y)),
    ):
        study = tuningfork.create_study(direction="maximize", seed=0)
        study.optimize(objective, n_trials=4, catch=())
        scores[name] = study.best_value
    assert scores["honest"] < scores["leaky"] - 0.03


def test_leakage_of_nothing_is_not_flagged() -> None:
    X, y = _data(150)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_leakage(StandardScaler(), LogisticRegression(), X, y)
    assert not report.leaky_flagged
    assert abs(report.optimism) < 0.02
    assert "no leak measured" in report.summary()


def test_whole_number_float_regression_target_is_not_stratified() -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)  # float target whose values are whole numbers
    objective = cross_val_objective(lambda t: Ridge(), X, y, cv=5)
    assert type(objective.splitter(0)) is KFold
    labels = (y > np.median(y)).astype(float)  # two float classes stay a classification
    assert type(cross_val_objective(lambda t: Ridge(), X, labels).splitter(0)) is StratifiedKFold
