"""Tune an SVM on scikit-learn's bundled digits dataset (define-by-run).

    python examples/digits_svm.py

C and gamma are searched on a log scale; ``degree`` exists only for the polynomial kernel, so
it is suggested only when the kernel is ``"poly"``. Each trial's 3-fold split is shuffled with
``trial.seed``, so any trial can be reproduced exactly.
"""

from __future__ import annotations

from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

import tuningfork

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel values 0..16 -> 0..1, so one gamma range suits both kernels


def objective(trial: tuningfork.Trial) -> float:
    kernel = trial.suggest_categorical("kernel", ["rbf", "poly"])
    params = {
        "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        "gamma": trial.suggest_float("gamma", 1e-4, 1e0, log=True),
    }
    if kernel == "poly":
        params["degree"] = trial.suggest_int("degree", 2, 4)
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=trial.seed)
    scores = cross_val_score(SVC(kernel=kernel, **params), X, y, cv=cv)
    return float(scores.mean())


def main() -> None:
    study = tuningfork.create_study(direction="maximize", name="digits-svm", seed=0)
    study.optimize(objective, n_trials=25, show_progress_bar=True)
    best = study.best_trial
    print(f"best accuracy {best.value:.4f} (trial {best.number}) with {dict(best.params)}")


if __name__ == "__main__":
    main()
