from __future__ import annotations

import pytest

import tuningfork as tf
from tuningfork import Direction


def test_multi_objective_pareto_front() -> None:
    results = iter([(1.0, 1.0), (2.0, 3.0), (0.5, 0.5), (3.0, 4.0), (2.0, 3.0), (0.1, 0.2)])
    study = tf.create_study(directions=["minimize", "maximize"], seed=0)
    study.optimize(lambda t: next(results), n_trials=6)
    assert study.directions == (Direction.MINIMIZE, Direction.MAXIMIZE)
    # a chain: lower first objective always comes with a lower second one, so none dominates
    # another; the duplicate (2.0, 3.0) is kept twice
    assert [t.number for t in study.best_trials] == [0, 1, 2, 3, 4, 5]


def test_pareto_front_mixed() -> None:
    results = iter([(1.0, 1.0), (1.0, 2.0), (0.5, 0.5), (2.0, 2.0), (0.5, 0.4)])
    study = tf.create_study(directions=["minimize", "maximize"], seed=0)
    study.optimize(lambda t: next(results), n_trials=5)
    # (1,1) < (1,2) in the second objective at equal first; (2,2) is worse than (1,2) in the
    # first; (0.5,0.4) worse than (0.5,0.5) in the second
    assert [t.number for t in study.best_trials] == [1, 2]


def test_dominated_points_are_dropped() -> None:
    results = iter([(1.0, 5.0), (2.0, 4.0), (0.5, 6.0), (3.0, 1.0)])
    study = tf.create_study(directions=["minimize", "maximize"], seed=0)
    study.optimize(lambda t: next(results), n_trials=4)
    assert [t.number for t in study.best_trials] == [2]  # (0.5, 6.0) dominates every other


def test_best_trial_of_multi_objective_raises_clearly() -> None:
    study = tf.create_study(name="mo", directions=["minimize", "minimize"], seed=0)
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    with pytest.raises(
        ValueError,
        match=r"study 'mo' has 2 objectives, so there is no single "
        "best trial; use best_trials",
    ):
        study.best_trial  # noqa: B018
    with pytest.raises(ValueError, match="has 2 objectives; use directions"):
        study.direction  # noqa: B018


def test_multi_objective_wrong_arity_fails_trial() -> None:
    study = tf.create_study(directions=["minimize", "minimize"], seed=0)
    study.optimize(lambda t: (1.0, 2.0, 3.0), n_trials=2)
    assert all(t.state is tf.TrialState.FAILED for t in study.trials)
    with pytest.raises(tf.NoCompletedTrialsError):
        study.best_trials  # noqa: B018
