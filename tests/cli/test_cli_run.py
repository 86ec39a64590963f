"""``tuningfork run``: end to end against SQLite, continuing, function objectives, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tuningfork
from tuningfork import TrialState
from tuningfork.cli import main

from .conftest import write


def _load(config: Path, name: str = "tiny") -> tuningfork.Study:
    return tuningfork.load_study(name, f"sqlite:///{config.parent / 'tuningfork.db'}")


def test_run_end_to_end_on_the_default_sqlite_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--no-progress"]) == 0
    out = capsys.readouterr().out
    study = _load(project)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert all(t.intermediate == {0: 10.0} for t in trials)
    for t in trials:
        log = Path(t.user_attrs["log_file"])
        assert log == project.parent / "tuningfork_logs" / "tiny" / f"trial-{t.number}.log"
        assert log.is_file()
    best = study.best_trial
    assert "tiny" in out and str(project.parent / "tuningfork.db") in out
    assert "3 (3 complete)" in out
    assert f"{best.value:.6g}" in out
    assert "x=" in out and "flag=" in out
    study.storage.close()


def test_rerun_continues_the_same_study(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(project), "--no-progress"]) == 0
    assert main(["run", str(project), "--no-progress", "--n-trials", "2"]) == 0
    study = _load(project)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert study.seed == 1
    out = capsys.readouterr().out
    assert "5 (5 complete)" in out
    study.storage.close()


def test_overrides_storage_study_and_seed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["run", str(project), "--no-progress", "--storage", "other.db", "--study", "s2"]
    assert main([*args, "--seed", "5", "--n-trials", "1", "--n-workers", "2"]) == 0
    study = tuningfork.load_study("s2", f"sqlite:///{tmp_path / 'other.db'}")
    assert len(study.trials) == 1 and study.seed == 5
    study.storage.close()


def test_function_objective_params_and_trial_styles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path / "objectives_for_cli_test.py",
        """
        def on_params(params):
            return (params["x"] - 0.5) ** 2

        def on_trial(trial):
            return trial.suggest_float("y", -1.0, 1.0) ** 2
        """,
    )
    params_config = write(
        tmp_path / "params.toml",
        """
        [study]
        storage = "results.db"
        [objective]
        function = "objectives_for_cli_test:on_params"
        [run]
        n_trials = 4
        [space]
        x = { type = "float", low = 0.0, high = 1.0 }
        """,
    )
    trial_config = write(
        tmp_path / "trial.yaml",
        """
        study: {storage: "sqlite:///results.db", sampler: sobol}
        objective: {function: "objectives_for_cli_test:on_trial", style: trial}
        run: {n_trials: 3}
        """,
    )
    assert main(["run", str(params_config), "--no-progress"]) == 0
    assert main(["run", str(trial_config), "--no-progress"]) == 0
    storage = f"sqlite:///{tmp_path / 'results.db'}"
    by_params = tuningfork.load_study("params", storage)  # named after the config file
    by_trial = tuningfork.load_study("trial", storage)
    assert len(by_params.get_trials([TrialState.COMPLETE])) == 4
    assert set(by_trial.best_params) == {"y"}
    assert len(by_trial.trials) == 3
    by_params.storage.close()
    by_trial.storage.close()


def test_grid_sampler_runs_the_whole_grid(tmp_path: Path) -> None:
    write(tmp_path / "grid_objective_for_cli_test.py", "def f(p):\n    return p['a'] * p['b']\n")
    config = write(
        tmp_path / "grid.toml",
        """
        [study]
        sampler = "grid"
        [objective]
        function = "grid_objective_for_cli_test:f"
        [space]
        a = [1, 2, 3]
        b = [1, 2]
        """,
    )
    assert main(["run", str(config), "--no-progress"]) == 0
    study = tuningfork.load_study("grid", f"sqlite:///{tmp_path / 'tuningfork.db'}")
    assert sorted((t.params["a"], t.params["b"]) for t in study.trials) == [
        (a, b) for a in (1, 2, 3) for b in (1, 2)
    ]
    study.storage.close()


def test_every_trial_failing_exits_1_with_the_first_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fail.py").write_text(
        "import sys\nprint('bad input', file=sys.stderr)\nsys.exit(4)\n"
    )
    config = write(
        tmp_path / "fail.toml",
        """
        [objective]
        command = ["{python}", "fail.py", "{x}"]
        metric = "loss"
        [run]
        n_trials = 2
        [space]
        x = { type = "float", low = 0, high = 1 }
        """,
    )
    assert main(["run", str(config), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "error:" in captured.err
    assert "exited with code 4" in captured.err and "bad input" in captured.err
    assert "Traceback" not in captured.err
    assert "2 (2 failed)" in captured.out


@pytest.mark.slow
def test_python_m_entry_point(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tuningfork.cli", "run", str(project), "--n-trials", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "best value" in result.stdout


@pytest.mark.slow
def test_ctrl_c_exits_130_and_keeps_completed_trials(project: Path) -> None:
    text = project.read_text().replace(
        "--trial {trial_number}", "--trial {trial_number} --sleep-from 2"
    )
    project.write_text(text.replace("n_trials = 3", "n_trials = 10"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuningfork.cli", "run", str(project), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    marker = project.parent / "started-2"
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "trial 2 never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "best value" in out  # the summary is printed
    study = _load(project)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAILED]
    assert (study.trials[2].error_summary or "").startswith("Interrupted: the run was stopped")
    study.storage.close()
    # the sleeping script was stopped, not left behind
    left = subprocess.run(["pgrep", "-f", f"{project.parent}.*script.py"], capture_output=True)
    assert left.stdout == b"", left.stdout


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
@pytest.mark.slow
def test_sigterm_exits_143(project: Path) -> None:
    text = project.read_text().replace(
        "--trial {trial_number}", "--trial {trial_number} --sleep-from 0"
    )
    project.write_text(text)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuningfork.cli", "run", str(project), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    marker = project.parent / "started-0"
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err


def test_first_failures_stop_the_run_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "broken_objective_for_cli.py", "def f(p):\n    raise ValueError('nope')\n")
    config = write(
        tmp_path / "broken.toml",
        """
        [objective]
        function = "broken_objective_for_cli:f"
        [run]
        n_trials = 20
        [space]
        x = { type = "float", low = 0, high = 1 }
        """,
    )
    assert main(["run", str(config), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "each of the first 5 trials failed" in err
    assert "ValueError: nope" in err
    assert "Traceback" not in err
