"""Odd results and misuse found by trying to break a study: each gets a clear outcome, and no
trial is ever left RUNNING by a result the study could not read."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

import tuningfork as tf
from tuningfork import TrialState
from tuningfork.samplers import GridSampler
from tuningfork.schedulers import ASHA, MedianStopping, Threshold


@pytest.mark.parametrize(
    ("result", "state", "reason"),
    [
        (np.array(0.25), TrialState.COMPLETE, None),
        (np.float32(0.5), TrialState.COMPLETE, None),
        (np.array([0.75]), TrialState.COMPLETE, None),
        (10**400, TrialState.FAILED, "int too large to convert to float"),
        ({"loss": 1.0}, TrialState.FAILED, "returned a dict"),
        (np.bool_(True), TrialState.FAILED, "returned a bool"),
        (np.array(True), TrialState.FAILED, "returned a bool"),
        (np.array([[1.0]]), TrialState.FAILED, "not a usable number"),
    ],
)
def test_odd_results_finish_the_trial(
    result: object, state: TrialState, reason: str | None, tmp_path: Path
) -> None:
    study = tf.create_study(storage=f"sqlite:///{tmp_path / 'odd.db'}", seed=0)
    study.optimize(lambda t: result, n_trials=1)
    (trial,) = study.trials
    assert trial.state is state
    if reason is None:
        assert trial.value == float(np.asarray(result).ravel()[0])
    else:
        assert reason in trial.system_attrs["error"]


def test_telling_another_studys_trial_is_refused() -> None:
    a, b = tf.create_study(name="A"), tf.create_study(name="B")
    ta, tb = a.ask(), b.ask()
    with pytest.raises(ValueError, match="belongs to study 'B', not 'A'"):
        a.tell(tb, 1.0)
    assert [t.state for t in a.trials] == [TrialState.RUNNING]
    a.tell(ta, 2.0)
    assert a.trials[0].value == 2.0


def test_enqueued_name_never_suggested_is_not_a_param(caplog: pytest.LogCaptureFixture) -> None:
    study = tf.create_study(seed=0)
    study.enqueue({"x": 1, "typo": 3})
    with caplog.at_level(logging.WARNING, logger="tuningfork"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    (trial,) = study.trials
    # an int enqueued for a float parameter is taken as that float
    assert trial.params == {"x": 1.0} and type(trial.params["x"]) is float
    assert trial.state is TrialState.COMPLETE
    assert "['typo'] were never suggested" in caplog.text


def test_queued_trial_runs_after_a_finite_space_is_exhausted() -> None:
    study = tf.create_study(seed=0)
    objective = lambda t: t.suggest_int("n", 0, 1)  # noqa: E731
    study.optimize(objective, n_trials=2)
    study.enqueue({"n": 0})
    study.optimize(objective, n_trials=1)
    assert [t.params["n"] for t in study.trials][2] == 0
    assert study.trials[2].state is TrialState.COMPLETE


def test_grid_refuses_a_conditional_space() -> None:
    space = tf.SearchSpace(
        {"k": tf.Categorical(["a", "b"]), "x": tf.Conditional(tf.Int(0, 1), when={"k": "a"})}
    )
    with pytest.raises(ValueError, match="GridSampler does not take conditional parameters"):
        GridSampler(space)


def test_huge_float_range_samples_inside_it() -> None:
    dist = tf.Float(-1e308, 1e308)
    values = [dist.from_unit(u) for u in (0.1, 0.5, 0.9)]
    assert values == [-8.000000000000001e307, 0.0, 8.000000000000001e307]
    assert [dist.to_unit(v) for v in (-1e308, 0.0, 1e308)] == [0.0, 0.5, 1.0]


def test_scheduler_needing_one_direction_is_refused_for_several() -> None:
    for scheduler in (MedianStopping(), ASHA(1, 9)):
        with pytest.raises(ValueError, match="compares values along one direction"):
            tf.create_study(directions=["minimize", "minimize"], scheduler=scheduler)
    study = tf.create_study(directions=["minimize", "minimize"], scheduler=Threshold(upper=1.0))
    assert study.scheduler is not None


def test_empty_direction_is_an_error() -> None:
    with pytest.raises(ValueError, match="direction '' is not understood"):
        tf.create_study(direction="")


def test_single_catch_class_and_single_callback() -> None:
    seen: list[int] = []

    def objective(trial: tf.Trial) -> float:
        raise ValueError("bad")

    study = tf.create_study()
    study.optimize(
        objective,
        n_trials=2,
        catch=ValueError,  # type: ignore[arg-type]
        callbacks=lambda s, t: seen.append(t.number),
    )  # type: ignore[arg-type]
    assert seen == [0, 1]
    with pytest.raises(TypeError, match="catch must be exception classes"):
        study.optimize(objective, n_trials=1, catch=("x",))  # type: ignore[arg-type]


def test_load_study_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(tf.StudyNotFoundError, match="does not exist"):
        tf.load_study("s", f"sqlite:///{path}")
    assert not path.exists()


def test_queued_trial_runs_after_the_grid_is_walked() -> None:
    # e.g. the retry of a lost trial that held the grid's last point
    study = tf.create_study(sampler=GridSampler({"x": [1, 2]}), seed=0)
    objective = lambda t: t.suggest_int("x", 1, 2)  # noqa: E731
    study.optimize(objective, n_trials=2)
    study.enqueue({"x": 2})
    study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert study.trials[2].params == {"x": 2}


def test_tune_names_itself_for_an_unknown_keyword() -> None:
    with pytest.raises(
        TypeError, match=r"tune\(\) got unexpected keyword argument\(s\) \['n_trial'\]"
    ):
        tf.tune(lambda p: 0.0, {"x": tf.Float(0, 1)}, n_trial=1)
