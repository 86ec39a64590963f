"""Tune a small neural network on scikit-learn's digits, epoch by epoch, with ASHA.

    python examples/mlp_digits_asha.py

Each trial trains an ``MLPClassifier`` one epoch at a time (``partial_fit``) and reports the
validation accuracy after every epoch; ASHA (asynchronous successive halving) stops a trial at
1, 3 and 9 epochs unless it is in the top third of the trials that got there, so most of the
budget goes to the promising configurations. The TPE sampler learns from the stopped trials
too (``multi_fidelity``, BOHB-like), so it leaves its random start long before 10 trials have
run all 27 epochs.
"""

from __future__ import annotations

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import tuningfork
from tuningfork.integrations.partial_fit import fit_with_reports
from tuningfork.samplers import TPESampler
from tuningfork.schedulers import ASHA

EPOCHS = 27

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def objective(trial: tuningfork.Trial) -> float:
    width = trial.suggest_int("width", 8, 64, log=True)
    model = MLPClassifier(
        hidden_layer_sizes=(width,),
        learning_rate_init=trial.suggest_float("learning_rate_init", 1e-5, 1e-1, log=True),
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        random_state=trial.seed,
    )
    # one report per epoch, at steps 1..EPOCHS; raises TrialPruned when ASHA says stop
    return fit_with_reports(trial, model, X_train, y_train, X_val, y_val, epochs=EPOCHS)


def main(n_trials: int = 40) -> tuningfork.Study:
    study = tuningfork.create_study(
        direction="maximize",
        sampler=TPESampler(),
        scheduler=ASHA(min_resource=1, max_resource=EPOCHS, reduction_factor=3),
        seed=0,
    )
    # small matrices: BLAS threads cost more than they give, and on a busy machine much more
    with threadpool_limits(1):
        study.optimize(objective, n_trials=n_trials)
    epochs = sum(max(t.intermediate, default=0) for t in study.trials)
    states = [t.state.name for t in study.trials]
    best = study.best_trial
    print(
        f"{states.count('COMPLETE')} trials ran {EPOCHS} epochs, {states.count('PRUNED')} were "
        f"stopped early; {epochs} epochs in all ({epochs / (n_trials * EPOCHS):.0%} of running "
        f"every trial to the end)"
    )
    print(f"best validation accuracy {best.value:.4f} (trial {best.number}) with {best.params}")
    return study


if __name__ == "__main__":
    main()
