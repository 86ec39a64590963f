"""A study on SQLite shared with other processes: exact values, and no loss on SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tuningfork as tf
from tuningfork import TrialState

MIXED = [None, True, 1, 1.0, "1", (2, 3)]

WRITER = textwrap.dedent(
    """
    import json, sys
    import tuningfork as tf
    from tuningfork.samplers import GridSampler

    url = sys.argv[1]
    choices = [None, True, 1, 1.0, "1", (2, 3)]
    study = tf.create_study(name="mixed", storage=url, seed=3,
                            sampler=GridSampler({"k": choices}))
    seen = []

    def objective(trial):
        value = trial.suggest_categorical("k", choices)
        seen.append([trial.number, repr(value), type(value).__name__])
        return 0.0

    study.optimize(objective, n_trials=6)
    print(json.dumps(seen))
    """
)


def test_categorical_values_keep_type_across_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert sorted(r for _, r, _ in seen) == sorted(repr(c) for c in MIXED)
    study = tf.load_study("mixed", url)
    assert len(study.trials) == 6
    for number, value_repr, type_name in seen:
        value = study.trials[number].params["k"]
        assert repr(value) == value_repr
        assert type(value).__name__ == type_name
    values = [t.params["k"] for t in study.trials]
    assert sorted((type(v).__name__, repr(v)) for v in values) == sorted(
        (type(c).__name__, repr(c)) for c in MIXED
    )
    assert study.trials[0].distributions["k"] == tf.Categorical(MIXED)


KILLED = textwrap.dedent(
    """
    import json, os, sys, time
    import tuningfork as tf

    url, side, marker = sys.argv[1:4]
    study = tf.create_study(name="killed", storage=url, seed=5)

    def objective(trial):
        x = trial.suggest_float("x", -1.0, 1.0)
        n = trial.suggest_int("n", 0, 100)
        c = trial.suggest_categorical("c", [None, True, "a", (1, 2)])
        if trial.number >= 10:
            time.sleep(0.05)
        return x * n

    def callback(study, record):
        line = json.dumps({"number": record.number, "values": repr(record.values),
                           "params": {k: [repr(v), type(v).__name__]
                                      for k, v in record.params.items()}})
        with open(side, "a") as f:
            f.write(line + "\\n")
            f.flush()
            os.fsync(f.fileno())
        if record.number == 10:
            with open(marker, "w") as f:
                f.write("ready")

    study.optimize(objective, n_trials=100000, callbacks=[callback])
    """
)


@pytest.mark.slow
def test_sigkill_loses_no_completed_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    side = tmp_path / "finished.jsonl"
    marker = tmp_path / "ready"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED, url, str(side), str(marker)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker never got to trial 10"
            time.sleep(0.02)
        time.sleep(0.4)  # some more slow trials, then kill mid-trial
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    reported = [json.loads(line) for line in side.read_text().splitlines()]
    assert len(reported) >= 11
    study = tf.load_study("killed", url)
    trials = {t.number: t for t in study.trials}
    for entry in reported:
        record = trials[entry["number"]]
        assert record.state is TrialState.COMPLETE
        assert repr(record.values) == entry["values"]
        assert {k: [repr(v), type(v).__name__] for k, v in record.params.items()} == (
            entry["params"]
        )
    # nothing after the kill was half-written: trials are complete, or still RUNNING (lost)
    numbers = sorted(trials)
    assert numbers == list(range(len(numbers)))
    unreported = [t for n, t in trials.items() if n not in {e["number"] for e in reported}]
    assert len(unreported) <= 1
    for record in unreported:
        assert record.state in (TrialState.RUNNING, TrialState.COMPLETE)
