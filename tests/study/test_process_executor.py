"""``optimize(..., executor="process")``: local worker processes sharing a SQLite study."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tuningfork as tf
from tuningfork import TrialState
from tuningfork.samplers import GridSampler
from tuningfork.storage import InMemoryStorage

GRID = {"a": [1, 2, 3], "b": [0.5, 1.5]}


def square(trial: tf.Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) ** 2


def dies_on_trial_3(trial: tf.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    if trial.number == 3:
        os._exit(7)
    return x**2


def sleeps_on_trial_1(trial: tf.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    if trial.number == 1:
        time.sleep(120)
    return x**2


def grid_objective(trial: tf.Trial) -> float:
    return trial.suggest_categorical("a", GRID["a"]) * trial.suggest_categorical("b", GRID["b"])


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.mark.slow
def test_two_processes_forty_trials(tmp_path: Path) -> None:
    study = tf.create_study(name="p", storage=_url(tmp_path), seed=3)
    finished: list[int] = []
    study.optimize(
        square,
        n_trials=40,
        n_workers=2,
        executor="process",
        callbacks=[lambda s, t: finished.append(t.number)],
    )
    trials = tf.load_study("p", _url(tmp_path)).trials
    assert [t.number for t in trials] == list(range(40))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(finished) == list(range(40))  # callbacks run in the driver, once per trial
    workers = {str(t.system_attrs["worker"]).split(":")[1] for t in trials}
    assert str(os.getpid()) not in workers  # evaluated in the worker processes


@pytest.mark.slow
def test_worker_dying_mid_trial_fails_only_that_trial(tmp_path: Path) -> None:
    study = tf.create_study(name="p", storage=_url(tmp_path), seed=3)
    study.optimize(dies_on_trial_3, n_trials=10, n_workers=2, executor="process")
    trials = study.trials
    assert len(trials) == 10
    lost = trials[3]
    assert lost.state is TrialState.FAILED
    assert lost.error_summary is not None
    assert lost.error_summary.startswith("LostWorker: worker process ")
    assert "exit code 7" in lost.error_summary
    others = [t for t in trials if t.number != 3]
    assert all(t.state is TrialState.COMPLETE for t in others)
    (retry,) = [t for t in trials if t.system_attrs.get("retry_of") == 3]
    assert retry.params == lost.params


@pytest.mark.slow
def test_trial_timeout_fails_the_trial_and_goes_on(tmp_path: Path) -> None:
    study = tf.create_study(name="p", storage=_url(tmp_path), seed=3)
    study.optimize(sleeps_on_trial_1, n_trials=4, n_workers=2, executor="process", trial_timeout=2)
    trials = study.trials
    assert len(trials) == 4
    assert trials[1].state is TrialState.FAILED
    assert trials[1].error_summary is not None
    assert trials[1].error_summary.startswith("Timeout: the trial ran longer than trial_timeout")
    assert all(t.state is TrialState.COMPLETE for t in trials if t.number != 1)
    assert not any("retry_of" in t.system_attrs for t in trials)


@pytest.mark.slow
def test_grid_gives_the_same_results_as_threads(tmp_path: Path) -> None:
    results = {}
    for executor in ("thread", "process"):
        study = tf.create_study(
            name=executor, storage=_url(tmp_path), seed=11, sampler=GridSampler(GRID)
        )
        study.optimize(grid_objective, n_trials=20, n_workers=3, executor=executor)
        results[executor] = sorted((t.params["a"], t.params["b"], t.value) for t in study.trials)
    assert results["process"] == results["thread"]
    assert len(results["process"]) == 6


def test_unpicklable_objective_is_a_clear_error(tmp_path: Path) -> None:
    study = tf.create_study(storage=_url(tmp_path))
    with pytest.raises(TypeError, match=r"'test_unpicklable_objective_is_a_clear_error\.<locals>"):
        study.optimize(lambda t: 0.0, n_trials=1, executor="process")

    def local(trial: tf.Trial) -> float:
        return 0.0

    with pytest.raises(
        TypeError,
        match=r"cannot be pickled .*define it as a function at module level .*executor='thread'",
    ):
        study.optimize(local, n_trials=1, executor="process")
    assert study.trials == []


@pytest.mark.parametrize("storage", [None, "sqlite://", "memory"])
def test_storage_other_processes_cannot_open_is_a_clear_error(storage: str | None) -> None:
    study = tf.create_study(storage=InMemoryStorage() if storage == "memory" else storage)
    with pytest.raises(
        ValueError, match=r"storage='sqlite:///study\.db'.*or use executor='thread'"
    ):
        study.optimize(square, n_trials=1, executor="process")
    assert study.trials == []


def test_trial_timeout_needs_processes() -> None:
    study = tf.create_study()
    with pytest.raises(ValueError, match="trial_timeout needs executor='process'"):
        study.optimize(square, n_trials=1, trial_timeout=1.0)
    with pytest.raises(ValueError, match="expected 'thread' or 'process'"):
        study.optimize(square, n_trials=1, executor="dask")


UNGUARDED_SCRIPT = textwrap.dedent(
    """
    import sys
    import tuningfork as tf

    def objective(trial):
        return trial.suggest_float("x", 0, 1)

    study = tf.create_study(name="u", storage=sys.argv[1], load_if_exists=True)
    study.optimize(objective, n_trials=2, executor="process")
    """
)


@pytest.mark.slow
def test_script_without_main_guard_gets_a_clear_error(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), _url(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("tuningfork.study._process.WorkerStartupError: worker processes keep")
    assert "if __name__ == '__main__':" in last
    assert tf.load_study("u", _url(tmp_path)).trials == []
