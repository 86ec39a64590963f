"""Tune gradient boosting with the number of boosting rounds as the resource, with Hyperband.

    python examples/boosting_rounds.py

Each trial grows a ``HistGradientBoostingClassifier`` on the breast-cancer dataset 5 rounds at
a time (``warm_start``: the earlier trees are kept) and reports the validation log-loss after
each step, as ``-log-loss`` (greater is better, like every scikit-learn score). Hyperband runs
brackets of successive halving that start at 1, 3, 9 and 27 steps, so it hedges between
stopping early and trusting slow starters.
"""

from __future__ import annotations

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import tuningfork
from tuningfork.integrations.partial_fit import fit_with_reports
from tuningfork.schedulers import Hyperband

STEPS, ROUNDS_PER_STEP = 27, 5  # up to 135 rounds

X, y = load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def objective(trial: tuningfork.Trial) -> float:
    model = HistGradientBoostingClassifier(
        learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.5, log=True),
        max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 4, 64, log=True),
        min_samples_leaf=trial.suggest_int("min_samples_leaf", 2, 50, log=True),
        l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
        early_stopping=False,
        random_state=trial.seed,
    )
    return fit_with_reports(
        trial,
        model,
        X_train,
        y_train,
        X_val,
        y_val,
        epochs=STEPS,
        resource_param="max_iter",  # step k fits k * ROUNDS_PER_STEP rounds in all
        step_size=ROUNDS_PER_STEP,
        scoring="neg_log_loss",  # greater is better: the study maximizes -log-loss
    )


def main(n_trials: int = 30) -> tuningfork.Study:
    study = tuningfork.create_study(
        direction="maximize",
        scheduler=Hyperband(min_resource=1, max_resource=STEPS, reduction_factor=3),
        seed=0,
    )
    # Small trees on 400 rows: OpenMP threads cost more than they give, and on a busy
    # machine much more.
    with threadpool_limits(1):
        study.optimize(objective, n_trials=n_trials)
    steps = sum(max(t.intermediate, default=0) for t in study.trials)
    best = study.best_trial
    print(
        f"{steps * ROUNDS_PER_STEP} boosting rounds in all "
        f"({steps / (n_trials * STEPS):.0%} of running every trial to {STEPS * ROUNDS_PER_STEP})"
    )
    print(f"best validation log-loss {-best.value:.4f} (trial {best.number}) with {best.params}")
    return study


if __name__ == "__main__":
    main()
