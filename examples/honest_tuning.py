"""Honest tuning on scikit-learn's breast cancer data: every guard of docs/guards.md in one run.

    python examples/honest_tuning.py

1. A test set is split off first and locked in the study (only its fingerprint is stored).
2. ``cross_val_objective`` cross-validates a Pipeline, so the scaler and the feature selector
   are fitted inside each fold; ``check_leakage`` shows what fitting them on all rows would do.
3. ``select_best`` re-evaluates the top configurations with fresh seeds and picks by the mean.
4. ``final_evaluation`` scores the chosen configuration on the test set, once.
5. The overfitting report and the study checks say how far to trust the numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tuningfork
from tuningfork.analysis import check_study, overfitting_report

X, y = load_breast_cancer(return_X_y=True)
# 30 columns of noise: the feature selector has something to get wrong
X = np.hstack([X, np.random.default_rng(0).normal(size=(len(X), 30))])
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)


def make_estimator(trial: tuningfork.Trial) -> object:
    return make_pipeline(
        StandardScaler(),
        SelectKBest(f_classif, k=trial.suggest_int("k", 2, 60, log=True)),
        LogisticRegression(C=trial.suggest_float("C", 1e-3, 1e2, log=True), solver="liblinear"),
    )


def leakage_demo() -> None:
    """Selecting 10 of 1000 pure-noise columns on all rows "finds" signal that is not there."""
    noise = np.random.default_rng(1).normal(size=(len(y_train), 1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tuningfork.TuningforkWarning)  # printed below
        leak = tuningfork.check_leakage(
            SelectKBest(f_classif, k=10), LogisticRegression(max_iter=1000), noise, y_train
        )
    print(f"leakage check on noise: {leak.summary()}")


def main() -> None:
    leakage_demo()

    study = tuningfork.create_study(direction="maximize", name="honest-cancer", seed=0)
    study.set_test_data(X_test, y_test)
    objective = tuningfork.cross_val_objective(
        make_estimator, X_train, y_train, cv=5, return_train_score=True
    )
    study.optimize(objective, n_trials=20)
    print(f"naive best: {study.best_value:.4f} (trial {study.best_trial.number})")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tuningfork.TuningforkWarning)
        selection = study.select_best(reevaluate=3, repeats=4)
    print(selection.summary())
    for w in caught:
        print(f"warning: {w.message}")

    test_accuracy = study.final_evaluation()
    print(f"test accuracy of the chosen configuration: {test_accuracy:.4f}")

    report = overfitting_report(study.history(), study.config)
    print(report)
    for finding in check_study(study.history(), study.space):
        print(f"check: {finding}")


if __name__ == "__main__":
    main()
