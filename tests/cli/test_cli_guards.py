"""The CLI's guards: checks after `run`, `run --reevaluate`, the record in `show`, `reproduce`."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import tuningfork
from tuningfork import TuningforkWarning
from tuningfork.cli import main

from .conftest import write


@pytest.mark.slow
def test_run_prints_the_checks_and_reevaluates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(project), "--no-progress", "--reevaluate", "2", "--repeats", "2"]
    assert main(args) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "check: 3 completed trials for 3 tuned parameter(s)" in out
    assert "chosen: trial" in out
    # the script ignores its seed, so both re-evaluations equal the original: told apart exactly
    assert "optimism of the selected best: +0" in out
    study = tuningfork.load_study("tiny", f"sqlite:///{project.parent / 'tuningfork.db'}")
    reevals = [t for t in study.trials if "reevaluation_of" in t.system_attrs]
    assert len(reevals) == 4
    assert study.config["objective"]["kind"] == "command"
    assert study.config["selection"]["n"] == 2
    study.storage.close()

    assert main(["show", "tiny", "--storage", str(project.parent / "tuningfork.db")]) == 0
    shown = capsys.readouterr().out
    assert "Checks and honesty record" in shown
    assert "selected" in shown and "re-evaluation of trial" in shown


def test_run_rejects_bad_reevaluation_options(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--reevaluate", "0"]) == 2
    assert main(["run", str(project), "--reevaluate", "2", "--repeats", "1"]) == 2
    assert "--repeats: expected an int >= 2" in capsys.readouterr().err


def test_show_prints_the_test_evaluations_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    study = tuningfork.create_study(name="locked", storage=url, direction="maximize", seed=0)
    study.set_test_data([[1.0], [2.0]], [0, 1])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.final_evaluation(lambda params, X, y: 0.5)
    with pytest.warns(TuningforkWarning):
        study.final_evaluation(lambda params, X, y: 0.6)
    study.storage.close()
    assert main(["show", "locked", "--storage", str(tmp_path / "x.db")]) == 0
    out = capsys.readouterr().out
    assert "test evaluation 1" in out and "test evaluation 2" in out
    assert "test data" in out and "2 rows" in out
    assert "recorded warning" in out and "evaluated again" in out
    assert "validation vs test" in out


def test_reproduce_a_command_trial(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(project), "--no-progress"]) == 0
    capsys.readouterr()
    db = str(project.parent / "tuningfork.db")
    assert main(["reproduce", "tiny", "1", "--storage", db, "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "trial 1: stored" in out and "reproduced" in out
    assert (project.parent / "tuningfork_logs" / "tiny" / "reproduce" / "trial-1.log").is_file()
    assert main(["reproduce", "tiny", "9", "--storage", db]) == 2


SEEDED = """\
import numpy as np

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    return x + np.random.default_rng(trial.seed).normal()
"""

SEEDLESS = """\
import numpy as np

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    return x + np.random.default_rng().normal()  # the mistake: ignores trial.seed
"""


@pytest.mark.parametrize(
    ("module", "source", "code"), [("seeded_obj", SEEDED, 0), ("seedless_obj", SEEDLESS, 1)]
)
def test_reproduce_a_python_objective_flags_one_that_ignores_its_seed(
    module: str,
    source: str,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    write(tmp_path / f"{module}.py", source)
    imported = __import__(module)
    url = f"sqlite:///{tmp_path / 'py.db'}"
    study = tuningfork.create_study(name="py", storage=url, seed=0)
    study.optimize(imported.objective, n_trials=2)
    study.storage.close()
    args = ["reproduce", "py", "1", "--storage", "py.db", "--objective", f"{module}:objective"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main([*args, "--runs", "2"]) == code
    captured = capsys.readouterr()
    if code == 0:
        assert "reproduced" in captured.out
    else:
        assert "runs with the same seed differ" in captured.out
        assert "repeated runs with the same seed and parameters gave different values" in (
            captured.err
        )
        again = tuningfork.load_study("py", url)
        assert again.config["guard_warnings"][-1]["kind"] == "seed_ignored"
        again.storage.close()


def test_reproduce_needs_an_objective(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    study = tuningfork.create_study(name="n", storage=url, seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.storage.close()
    assert main(["reproduce", "n", "0", "--storage", str(tmp_path / "n.db")]) == 2
    assert "has no stored objective" in capsys.readouterr().err
