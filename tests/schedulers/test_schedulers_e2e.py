"""Schedulers inside a real study: early stopping saves work and keeps the good trials."""

from __future__ import annotations

import pytest

import tuningfork
from tuningfork import TrialState
from tuningfork.schedulers import ASHA, Hyperband, MedianStopping, Scheduler, SuccessiveHalving

N_TRIALS, N_STEPS, OPTIMUM = 60, 27, 0.3


def learning_curve(trial: tuningfork.Trial) -> float:
    """A loss that decays over 27 steps towards ``(x - 0.3)**2``."""
    x = trial.suggest_float("x", 0.0, 1.0)
    value = 0.0
    for step in range(N_STEPS):
        value = (x - OPTIMUM) ** 2 + 0.5 * 0.8**step
        trial.report(step, value)
        if trial.should_stop():
            raise tuningfork.TrialPruned()
    return value


@pytest.mark.parametrize(
    ("scheduler", "max_fraction"),
    [
        (ASHA(min_resource=1, max_resource=N_STEPS), 0.5),
        (SuccessiveHalving(min_resource=1, max_resource=N_STEPS), 0.5),
        (Hyperband(min_resource=1, max_resource=N_STEPS), 0.8),
        (MedianStopping(warmup_steps=3), 0.8),
    ],
)
def test_early_stopping_in_a_study(scheduler: Scheduler, max_fraction: float) -> None:
    study = tuningfork.create_study(scheduler=scheduler, seed=0)
    study.optimize(learning_curve, n_trials=N_TRIALS)
    trials = study.trials
    assert len(trials) == N_TRIALS
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert pruned
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    reported = sum(len(t.intermediate) for t in trials)
    assert reported < max_fraction * N_TRIALS * N_STEPS
    # a pruned trial keeps its last reported value
    assert all(t.value == t.intermediate[max(t.intermediate)] for t in pruned)
    assert abs(study.best_params["x"] - OPTIMUM) < 0.05
    assert study.best_trial.state is TrialState.COMPLETE


def test_asha_end_to_end_numbers() -> None:
    study = tuningfork.create_study(scheduler=ASHA(1, N_STEPS), seed=0)
    study.optimize(learning_curve, n_trials=N_TRIALS)
    trials = study.trials
    completed = [t for t in trials if t.state is TrialState.COMPLETE]
    # pruned trials stop right at a rung: their last step is a rung (1, 3 or 9)
    assert {max(t.intermediate) for t in trials if t.state is TrialState.PRUNED} <= {1, 3, 9}
    # with the same curve shape for every x, ranks never change along the curve, so every
    # completed trial was, on arrival at each rung, in the top third of those there before
    assert len(completed) < N_TRIALS / 3
    # the study's seed makes the run reproducible
    again = tuningfork.create_study(scheduler=ASHA(1, N_STEPS), seed=0)
    again.optimize(learning_curve, n_trials=N_TRIALS)
    assert [(t.state, t.params, dict(t.intermediate)) for t in again.trials] == [
        (t.state, t.params, dict(t.intermediate)) for t in trials
    ]


def test_config_records_the_scheduler() -> None:
    study = tuningfork.create_study(scheduler=ASHA(1, 81), seed=0)
    assert study.config["scheduler"] == {
        "name": "ASHA",
        "min_resource": 1,
        "max_resource": 81,
        "reduction_factor": 3,
    }


def test_a_duplicate_step_keeps_its_first_value() -> None:
    study = tuningfork.create_study(scheduler=ASHA(1, 9), seed=0)
    trial = study.ask()
    trial.report(1, 5.0)
    with pytest.warns(UserWarning, match=r"step 1 was already reported; the first value"):
        trial.report(1, 1.0)
    assert trial.intermediate == {1: 5.0}
    assert not trial.should_stop()
