from __future__ import annotations

import logging
import math
import threading
import time

import pytest

import tuningfork as tf
from tuningfork import TrialState
from tuningfork.samplers import GridSampler, RandomSampler, SobolSampler
from tuningfork.study._optimize import INTERRUPTED

GRID = {"a": [1, 2, 3], "b": ["x", "y"]}
ALL_CELLS = [(1, "x"), (1, "y"), (2, "x"), (2, "y"), (3, "x"), (3, "y")]


def _grid_objective(trial: tf.Trial) -> float:
    a = trial.suggest_categorical("a", [1, 2, 3])
    b = trial.suggest_categorical("b", ["x", "y"])
    time.sleep(0.01)  # let the threads interleave
    return a + (0.5 if b == "y" else 0.0)


def _cells(study: tf.Study) -> list[tuple[object, object]]:
    return sorted((t.params["a"], t.params["b"]) for t in study.trials)


def _exhausted_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "tuningfork" and "have been tried" in r.getMessage()
    ]


def test_grid_with_four_threads_runs_each_cell_once() -> None:
    study = tf.create_study(sampler=GridSampler(GRID), seed=0)
    study.optimize(_grid_objective, n_trials=6, n_workers=4)
    assert len(study.trials) == 6
    assert _cells(study) == ALL_CELLS
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("n_workers", [1, 4])
def test_grid_asked_for_more_than_it_has(caplog: pytest.LogCaptureFixture, n_workers: int) -> None:
    study = tf.create_study(name="g", sampler=GridSampler(GRID), seed=0)
    with caplog.at_level(logging.WARNING, logger="tuningfork"):
        study.optimize(_grid_objective, n_trials=10, n_workers=n_workers)
    assert len(study.trials) == 6
    assert _cells(study) == ALL_CELLS
    assert _exhausted_messages(caplog) == [
        "study 'g': all 6 configurations of the search space have been tried; "
        "no new trial was started"
    ]


@pytest.mark.parametrize("n_workers", [1, 4])
def test_random_define_by_run_on_finite_space_stops_after_six(
    caplog: pytest.LogCaptureFixture, n_workers: int
) -> None:
    study = tf.create_study(name="r", sampler=RandomSampler(), seed=0)
    with caplog.at_level(logging.WARNING, logger="tuningfork"):
        study.optimize(_grid_objective, n_trials=10, n_workers=n_workers)
    assert len(study.trials) == 6
    assert _cells(study) == ALL_CELLS
    assert len(_exhausted_messages(caplog)) == 1


@pytest.mark.parametrize("sampler", [RandomSampler(), SobolSampler()], ids=repr)
@pytest.mark.parametrize("n_workers", [1, 4])
def test_tune_on_finite_space_stops_after_six(
    caplog: pytest.LogCaptureFixture, sampler: tf.samplers.Sampler, n_workers: int
) -> None:
    with caplog.at_level(logging.WARNING, logger="tuningfork"):
        study = tf.tune(
            lambda p: float(p["a"]),
            GRID,
            n_trials=10,
            sampler=sampler,
            seed=0,
            n_workers=n_workers,
            name="t",
        )
    assert len(study.trials) == 6
    assert _cells(study) == ALL_CELLS
    assert _exhausted_messages(caplog) == [
        "study 't': all 6 configurations of the search space have been tried; "
        "no new trial was started"
    ]


def test_no_exhaustion_message_when_budget_fits(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tuningfork"):
        study = tf.tune(lambda p: float(p["a"]), GRID, n_trials=6, seed=0)
    assert len(study.trials) == 6
    assert _exhausted_messages(caplog) == []


# -- failures -------------------------------------------------------------------------------
def test_nan_results_fail_and_best_ignores_them() -> None:
    results = iter([math.nan, 5.0, math.nan, 3.0])
    study = tf.create_study(seed=0)
    study.optimize(lambda t: next(results), n_trials=4)
    assert [t.state for t in study.trials] == [
        TrialState.FAILED,
        TrialState.COMPLETE,
        TrialState.FAILED,
        TrialState.COMPLETE,
    ]
    for number in (0, 2):
        assert study.trials[number].system_attrs["error"] == (
            "InvalidResult: the objective returned nan, which is not a finite number"
        )
        assert study.trials[number].values is None
    assert study.best_trial.number == 3
    assert study.best_value == 3.0


def test_all_nan_best_trial_raises_saying_no_trial_completed() -> None:
    study = tf.create_study(name="nan", seed=0)
    study.optimize(lambda t: math.nan, n_trials=4)  # fewer than stop_if_first_failed=5
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 4
    with pytest.raises(tf.NoCompletedTrialsError) as info:
        study.best_trial  # noqa: B018
    assert str(info.value) == (
        "no trial of study 'nan' has completed (4 failed); the first failure, trial 0: "
        "InvalidResult: the objective returned nan, which is not a finite number"
    )
    with pytest.raises(tf.NoCompletedTrialsError):
        study.best_value  # noqa: B018
    with pytest.raises(tf.NoCompletedTrialsError):
        study.best_params  # noqa: B018


def test_five_failing_trials_raise_showing_the_first_error() -> None:
    study = tf.create_study(seed=0)

    def objective(trial: tf.Trial) -> float:
        raise RuntimeError(f"boom {trial.number}")

    with pytest.raises(tf.ObjectiveFailedError) as info:
        study.optimize(objective, n_trials=20)
    message = str(info.value)
    assert message.startswith(
        "each of the first 5 trials failed, so the study stopped; the first error (trial 0):\n"
        "RuntimeError: boom 0\n"
    )
    assert "Traceback" in message
    assert len(study.trials) == 5
    assert all(t.state is TrialState.FAILED for t in study.trials)
    assert study.trials[3].error_summary == "RuntimeError: boom 3"


def test_stop_if_first_failed_none_goes_on() -> None:
    study = tf.create_study(seed=0)
    study.optimize(lambda t: math.nan, n_trials=7, stop_if_first_failed=None)
    assert len(study.trials) == 7


def test_one_success_among_first_five_keeps_going() -> None:
    study = tf.create_study(seed=0)
    study.optimize(lambda t: 1.0 if t.number == 2 else math.nan, n_trials=8)
    assert len(study.trials) == 8


def test_exception_outside_catch_propagates_and_fails_the_trial() -> None:
    study = tf.create_study(seed=0)

    def objective(trial: tf.Trial) -> float:
        if trial.number == 1:
            raise KeyError("missing")
        if trial.number == 2:
            raise ZeroDivisionError("boom")
        return 1.0

    with pytest.raises(ZeroDivisionError, match="boom"):
        study.optimize(objective, n_trials=10, catch=(KeyError,))
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.FAILED,
        TrialState.FAILED,
    ]
    assert study.trials[1].error_summary == "KeyError: 'missing'"
    assert study.trials[2].error_summary == "ZeroDivisionError: boom"


def test_catch_empty_tuple_propagates_any_exception() -> None:
    study = tf.create_study(seed=0)
    with pytest.raises(ValueError, match="bad"):
        study.optimize(lambda t: (_ for _ in ()).throw(ValueError("bad")), n_trials=3, catch=())
    assert [t.state for t in study.trials] == [TrialState.FAILED]


def test_keyboard_interrupt_fails_the_trial_and_propagates() -> None:
    study = tf.create_study(seed=0)

    def objective(trial: tf.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.FAILED,
    ]
    assert study.trials[2].system_attrs["error"] == INTERRUPTED
    assert not any(t.state is TrialState.RUNNING for t in study.trials)


def test_keyboard_interrupt_with_threads_marks_running_trials() -> None:
    study = tf.create_study(seed=0)
    started = threading.Barrier(3)

    def objective(trial: tf.Trial) -> float:
        if trial.number < 3:
            started.wait(timeout=5)
        if trial.number == 0:
            raise KeyboardInterrupt
        time.sleep(0.3)
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=20, n_workers=3)
    time.sleep(0.5)  # the other workers finish their trial and stop
    states = [t.state for t in study.trials]
    assert states[0] is TrialState.FAILED
    assert TrialState.RUNNING not in states
    assert len(states) == 3


# -- budget, callbacks ---------------------------------------------------------------------
def test_callbacks_are_called_once_per_finished_trial() -> None:
    calls: list[tuple[int, TrialState]] = []
    lock = threading.Lock()

    def callback(study: tf.Study, record: tf.TrialRecord) -> None:
        with lock:
            calls.append((record.number, record.state))

    def objective(trial: tf.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 1:
            raise tf.TrialPruned()
        if trial.number % 3 == 2:
            return math.nan
        return x

    study = tf.create_study(seed=0)
    study.optimize(objective, n_trials=9, n_workers=3, callbacks=[callback])
    assert sorted(calls) == [(t.number, t.state) for t in study.trials]
    assert len(calls) == 9
    assert [s for _, s in sorted(calls)][:3] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAILED,
    ]


def test_failing_callback_stops_the_run_visibly() -> None:
    def callback(study: tf.Study, record: tf.TrialRecord) -> None:
        raise RuntimeError("callback broke")

    study = tf.create_study(seed=0)
    with pytest.raises(RuntimeError, match="callback broke"):
        study.optimize(lambda t: 1.0, n_trials=5, callbacks=[callback])
    assert len(study.trials) == 1


def test_timeout_stops_starting_trials() -> None:
    study = tf.create_study(seed=0)
    start = time.monotonic()
    study.optimize(lambda t: time.sleep(0.1) or 1.0, n_trials=1000, timeout=0.35)
    elapsed = time.monotonic() - start
    assert 3 <= len(study.trials) <= 5
    assert elapsed < 0.35 + 0.1 + 0.5  # the last trial started before the deadline finished
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_optimize_argument_validation() -> None:
    study = tf.create_study(seed=0)
    with pytest.raises(ValueError, match="n_trials must be an int >= 0"):
        study.optimize(lambda t: 1.0, n_trials=-1)
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        study.optimize(lambda t: 1.0, timeout=0)
    with pytest.raises(ValueError, match="n_workers must be an int >= 1"):
        study.optimize(lambda t: 1.0, n_workers=0)
    with pytest.raises(TypeError, match="objective must be callable"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
    assert study.trials == []


def test_pruned_via_exception_keeps_last_value() -> None:
    def objective(trial: tf.Trial) -> float:
        trial.report(0, 2.0)
        raise tf.TrialPruned()

    study = tf.create_study(seed=0)
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PRUNED
    assert study.trials[0].values == (2.0,)
