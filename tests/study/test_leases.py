"""Leases on running trials: heartbeat, recovery of trials lost with their worker, retries."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import tuningfork as tf
from tuningfork import TrialState
from tuningfork.samplers import GridSampler
from tuningfork.space import Float
from tuningfork.storage import InMemoryStorage

PAST = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _lost_trial(study: tf.Study, **system_attrs: object) -> int:
    """A RUNNING trial whose worker is gone: x suggested, lease long over."""
    record = study.storage.create_trial(
        study.name,
        state=TrialState.RUNNING,
        params={"x": 0.25},
        distributions={"x": Float(0.0, 1.0)},
        system_attrs={"worker": "gone:1:1", **system_attrs},
        lease_until=PAST,
    )
    return record.number


def _objective(trial: tf.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0) ** 2


def test_ask_recovers_an_expired_trial_and_runs_its_retry() -> None:
    study = tf.create_study(seed=1)
    lost = _lost_trial(study)
    trial = study.ask()
    failed = study.storage.get_trial(study.name, lost)
    assert failed.state is TrialState.FAILED
    assert failed.error_summary is not None
    assert failed.error_summary.startswith("LostWorker: the worker running this trial (gone:1:1)")
    assert trial.number == lost + 1
    assert trial.suggest_float("x", 0.0, 1.0) == 0.25  # the same params
    record = study.storage.get_trial(study.name, trial.number)
    assert record.system_attrs["retry_of"] == lost
    assert record.system_attrs["retry_count"] == 1
    study.tell(trial, 0.0625)
    assert [t.state for t in study.trials] == [TrialState.FAILED, TrialState.COMPLETE]


def test_retry_keeps_enqueued_params() -> None:
    study = tf.create_study(seed=1)
    lost = _lost_trial(study, fixed_params={"y": 3}, enqueued=True)
    trial = study.ask()
    assert trial.fixed_params == {"y": 3, "x": 0.25}
    assert study.storage.get_trial(study.name, trial.number).system_attrs["retry_of"] == lost
    assert trial.suggest_int("y", 0, 5) == 3
    study.tell(trial, 1.0)


def test_retry_chain_stops_after_retries() -> None:
    study = tf.create_study(seed=1)  # default: one retry
    _lost_trial(study, retry_count=1)  # itself a retry already
    trial = study.ask()
    assert trial.number == 1
    assert "retry_of" not in study.storage.get_trial(study.name, 1).system_attrs
    assert study.trials[0].state is TrialState.FAILED
    study.tell(trial, 0.0)


@pytest.mark.parametrize(("retries", "expected"), [(0, 0), (1, 1), (3, 3)])
def test_retries_setting(retries: int, expected: int) -> None:
    study = tf.create_study(seed=1, retries=retries)
    assert study.retries == retries
    number = _lost_trial(study)
    for _ in range(5):  # every retry is lost too
        with study._lock:
            study._recover_expired(study.history())
        waiting = [t for t in study.trials if t.state is TrialState.WAITING]
        if not waiting:
            break
        claimed = study.storage.claim_waiting(study.name, "gone:2:2", PAST)
        assert claimed is not None
        number = claimed.number
    retried = [t for t in study.trials if "retry_of" in t.system_attrs]
    assert len(retried) == expected
    assert all(t.state is TrialState.FAILED for t in study.trials)
    assert [t.system_attrs["retry_count"] for t in retried] == list(range(1, expected + 1))
    assert number == expected


def test_retries_is_stored_with_the_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    tf.create_study(name="s", storage=url, retries=2)
    assert tf.load_study("s", url).retries == 2
    assert tf.create_study(name="s", storage=url, load_if_exists=True).retries == 2


def test_invalid_lease_settings() -> None:
    with pytest.raises(ValueError, match="lease_duration must be a number of seconds > 0"):
        tf.create_study(lease_duration=0)
    with pytest.raises(ValueError, match="retries must be an int >= 0, got -1"):
        tf.create_study(retries=-1)
    study = tf.create_study()
    with pytest.raises(ValueError, match="heartbeat_interval must be seconds > 0"):
        study.heartbeat_interval = -1
    with pytest.raises(ValueError, match="lease_duration must be"):
        study.lease_duration = "long"  # type: ignore[assignment]


def test_trials_without_lease_never_expire() -> None:
    study = tf.create_study(seed=1, lease_duration=None)
    trial = study.ask()
    assert study.storage.get_trial(study.name, trial.number).lease_until is None
    study.storage.create_trial(study.name, state=TrialState.RUNNING)  # old data: no lease
    other = tf.Study(study.storage, study.storage.load_study(study.name))
    other_trial = other.ask()
    assert [t.state for t in study.trials[:2]] == [TrialState.RUNNING, TrialState.RUNNING]
    study.tell(trial, 1.0)
    other.tell(other_trial, 1.0)


def test_ask_gives_a_lease_and_tell_stops_the_heartbeat() -> None:
    study = tf.create_study(seed=1, lease_duration=30.0)
    study.heartbeat_interval = 0.01
    before = datetime.now(timezone.utc)
    trial = study.ask()
    lease = study.storage.get_trial(study.name, trial.number).lease_until
    assert lease is not None
    assert before + timedelta(seconds=29) < lease
    study.tell(trial, 1.0)
    assert study.trials[0].lease_until is None
    name = f"tuningfork-heartbeat-{study.name}"
    for _ in range(500):  # the heartbeat thread ends once no trial of the study is live
        if not any(t.name == name for t in threading.enumerate()):
            break
        time.sleep(0.01)
    assert not any(t.name == name for t in threading.enumerate())


def test_heartbeat_thread_is_a_daemon() -> None:
    study = tf.create_study(seed=1)
    trial = study.ask()
    beats = [t for t in threading.enumerate() if t.name == f"tuningfork-heartbeat-{study.name}"]
    assert beats and all(t.daemon for t in beats)
    study.tell(trial, 1.0)


@pytest.mark.slow
def test_live_trial_outlasting_its_lease_is_not_expired() -> None:
    storage = InMemoryStorage()
    study = tf.create_study(name="s", storage=storage, seed=1, lease_duration=1.0)
    study.heartbeat_interval = 0.05
    other = tf.load_study("s", storage, lease_duration=1.0)

    def slow(trial: tf.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        deadline = time.monotonic() + 3.0  # three leases long
        while time.monotonic() < deadline:
            other.tell(other.ask(), 1.0)  # another worker keeps looking for expired trials
            time.sleep(0.05)
        return x

    study.optimize(slow, n_trials=1)
    slow_trials = [t for t in study.trials if "x" in t.params]
    assert len(slow_trials) == 1 and slow_trials[0].state is TrialState.COMPLETE
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert not any("retry_of" in t.system_attrs for t in study.trials)


def test_two_studies_noticing_the_same_lost_trial_retry_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    tf.create_study(name="s", storage=url, seed=1)
    workers = [tf.load_study("s", url) for _ in range(8)]
    _lost_trial(workers[0])
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def notice(study: tf.Study) -> None:
        try:
            barrier.wait()
            with study._lock:
                study._recover_expired(study.history())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=notice, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    trials = workers[0].trials
    assert trials[0].state is TrialState.FAILED
    assert [t.system_attrs.get("retry_of") for t in trials[1:]] == [0]


KILLED_GRID_RUN = textwrap.dedent(
    """
    import os, signal, sys
    import tuningfork as tf
    from tuningfork.samplers import GridSampler

    study = tf.create_study(name="grid", storage=sys.argv[1], seed=5, lease_duration=1.0,
                            sampler=GridSampler({"x": [1, 2, 3, 4, 5, 6]}))
    study.heartbeat_interval = 0.1

    def objective(trial):
        x = trial.suggest_categorical("x", [1, 2, 3, 4, 5, 6])
        if trial.number == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return float(x)

    study.optimize(objective, n_trials=6)
    """
)


@pytest.mark.slow
def test_sigkilled_worker_trial_is_recovered_and_grid_point_retried(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_GRID_RUN, url], capture_output=True, timeout=120
    )
    assert proc.returncode == -9, proc.stderr.decode()
    grid = GridSampler({"x": [1, 2, 3, 4, 5, 6]})
    study = tf.load_study("grid", url, sampler=grid)
    killed = study.trials[2]
    assert killed.state is TrialState.RUNNING and killed.lease_until is not None
    while datetime.now(timezone.utc) <= killed.lease_until:  # wait for the lease to end
        time.sleep(0.1)
    study.optimize(_grid_objective, n_trials=10)
    trials = study.trials
    assert trials[2].state is TrialState.FAILED
    assert trials[2].error_summary is not None
    assert trials[2].error_summary.startswith("LostWorker:")
    retries = [t for t in trials if t.system_attrs.get("retry_of") == 2]
    assert len(retries) == 1
    assert retries[0].state is TrialState.COMPLETE
    assert retries[0].params == {"x": killed.params["x"]}
    done = sorted(t.params["x"] for t in trials if t.state is TrialState.COMPLETE)
    assert done == [1, 2, 3, 4, 5, 6]  # no grid point left unevaluated
    assert len(trials) == 7
    # a third process sees nothing left to recover
    again = tf.load_study("grid", url, sampler=grid)
    with pytest.raises(tf.SearchSpaceExhausted):
        again.ask()
    assert len(again.trials) == 7


def _grid_objective(trial: tf.Trial) -> float:
    return float(trial.suggest_categorical("x", [1, 2, 3, 4, 5, 6]))


SIGTERMED_RUN = textwrap.dedent(
    """
    import sys, time
    import tuningfork as tf

    study = tf.create_study(name="t", storage=sys.argv[1], seed=5)

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        print("started", flush=True)
        time.sleep(60)
        return 0.0

    study.optimize(objective, n_trials=1)
    """
)


@pytest.mark.slow
def test_sigterm_in_plain_optimize_marks_the_running_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    with subprocess.Popen(
        [sys.executable, "-c", SIGTERMED_RUN, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            assert proc.stdout.readline().strip() == b"started"
            proc.terminate()
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert "Terminated" in stderr.decode()
    (trial,) = tf.load_study("t", url).trials
    assert trial.state is TrialState.FAILED
    assert trial.error_summary is not None and trial.error_summary.startswith("Interrupted")


def test_json_config_has_no_retries_by_default() -> None:
    study = tf.create_study(seed=1)
    assert "retries" not in study.config
    assert json.dumps(study.config)
