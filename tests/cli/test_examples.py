"""The examples really run (on a copy, with a couple of trials)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import tuningfork
from tuningfork.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
def test_digits_cli_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    work = tmp_path / "digits_cli"
    shutil.copytree(
        EXAMPLES / "digits_cli", work, ignore=shutil.ignore_patterns("*.db*", "tuningfork_logs")
    )
    assert main(["run", str(work / "tune.toml"), "--n-trials", "2", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["best", "digits-svm", "--storage", str(work / "tuningfork.db"), "--json"]) == 0
    best = json.loads(capsys.readouterr().out)
    assert 0.5 < best["value"] <= 1.0
    assert best["params"]["kernel"] in ("rbf", "poly")
    assert ("degree" in best["params"]) == (best["params"]["kernel"] == "poly")
    log = Path(best["user_attrs"]["log_file"])
    assert log.parent == work / "tuningfork_logs" / "digits-svm"
    assert '"step": 2' in log.read_text()


@pytest.mark.slow
def test_digits_svm_example() -> None:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("digits_svm", EXAMPLES / "digits_svm.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    study = tuningfork.create_study(direction="maximize", seed=0)
    study.enqueue({"kernel": "poly", "C": 10.0, "gamma": 0.1, "degree": 3})
    study.optimize(module.objective, n_trials=2)
    poly = study.trials[0]
    assert poly.params["degree"] == 3 and poly.value is not None and poly.value > 0.9
    assert all(t.state is tuningfork.TrialState.COMPLETE for t in study.trials)
