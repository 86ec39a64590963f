"""``studies``, ``show``, ``best``, ``export`` on a stored study."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import tuningfork
from tuningfork.cli import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A SQLite file with a finished study 'typed' (params of several types) and 'multi'."""
    path = tmp_path / "results.db"
    url = f"sqlite:///{path}"
    study = tuningfork.create_study(name="typed", storage=url, seed=3)
    for n, flag, lr in [(1, True, 0.5), (2, False, 0.25), (3, True, 1.0)]:
        study.enqueue({"n": n, "flag": flag, "lr": lr, "opt": "adam"})

    def objective(trial: tuningfork.Trial) -> float:
        n = trial.suggest_int("n", 1, 3)
        flag = trial.suggest_categorical("flag", [True, False])
        lr = trial.suggest_float("lr", 0.1, 1.0)
        trial.suggest_categorical("opt", ["adam", "sgd"])
        trial.set_user_attr("note", f"n{n}")
        trial.report(0, lr * 10)
        if n == 3:
            raise RuntimeError("n=3 is broken")
        return lr * n + (0.0 if flag else 1.0)

    study.optimize(objective, n_trials=3)
    multi = tuningfork.create_study(
        name="multi", storage=url, directions=["minimize", "maximize"], seed=4
    )
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=4)
    study.storage.close()
    multi.storage.close()
    return path


def test_best_json_keeps_types(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["best", "typed", "--storage", str(db), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["study"] == "typed" and doc["directions"] == ["minimize"]
    assert doc["number"] == 0 and doc["value"] == 0.5 and doc["values"] == [0.5]
    assert doc["params"] == {"n": 1, "flag": True, "lr": 0.5, "opt": "adam"}
    assert type(doc["params"]["n"]) is int and type(doc["params"]["lr"]) is float
    assert doc["user_attrs"] == {"note": "n1"}
    assert isinstance(doc["seed"], int)


def test_best_json_multi_objective(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["best", "multi", "--storage", f"sqlite:///{db}", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["directions"] == ["minimize", "maximize"]
    assert doc["best_trials"] and all(len(t["values"]) == 2 for t in doc["best_trials"])


def test_best_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["best", "typed", "--storage", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Best trial of 'typed'" in out and "0.5" in out and "'adam'" in out


def test_unknown_study_exits_2_listing_stored_ones(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("best", "show", "export"):
        assert main([command, "nope", "--storage", str(db)]) == 2
        err = capsys.readouterr().err
        assert "no study named 'nope'" in err and "'typed'" in err and "'multi'" in err


def test_missing_sqlite_file_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["studies", "--storage", str(tmp_path / "none.db")]) == 2
    assert "there is no SQLite file" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_studies(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studies", "--storage", str(db)]) == 0
    out = capsys.readouterr().out
    assert "typed" in out and "multi" in out
    assert "3 (2 complete, 1 failed)" in out
    assert "minimize, maximize" in out


def test_show(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "typed", "--storage", str(db), "--last", "2"]) == 0
    out = capsys.readouterr().out
    assert "seed" in out and "RandomSampler" in out
    assert "Last 2 of 3 trials" in out
    assert "RuntimeError: n=3 is broken" in out
    assert main(["show", "typed", "--storage", str(db), "--all"]) == 0
    assert "Trials" in capsys.readouterr().out


def test_export_csv(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "typed", "--storage", str(db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["number"] for r in rows] == ["0", "1", "2"]
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE", "FAILED"]
    assert rows[0]["value"] == "0.5" and rows[2]["value"] == ""
    assert rows[1]["params_flag"] == "False" and rows[1]["params_opt"] == "adam"
    assert rows[0]["user_attrs_note"] == "n1"
    assert rows[2]["error"] == "RuntimeError: n=3 is broken"
    assert rows[0]["datetime_start"] and rows[0]["seed"].isdigit()


def test_export_json_to_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trials.json"
    assert main(["export", "typed", "--storage", str(db), "--format", "json", "-o", str(out)]) == 0
    assert "wrote 3 trial(s)" in capsys.readouterr().err
    trials = json.loads(out.read_text())
    assert [t["state"] for t in trials] == ["COMPLETE", "COMPLETE", "FAILED"]
    first = trials[0]
    assert first["values"] == [0.5]
    assert first["params"] == {"n": 1, "flag": True, "lr": 0.5, "opt": "adam"}
    assert first["intermediate"] == {"0": 5.0}
    assert first["user_attrs"] == {"note": "n1"} and first["error"] is None
    assert trials[2]["values"] is None and trials[2]["error"] == "RuntimeError: n=3 is broken"
    assert isinstance(first["duration"], float) and first["datetime_start"].startswith("20")


def test_best_without_completed_trials_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    study = tuningfork.create_study(name="f", storage=url)

    def broken(trial: tuningfork.Trial) -> float:
        raise ValueError("always")

    study.optimize(broken, n_trials=2)
    study.storage.close()
    assert main(["best", "f", "--storage", url]) == 1
    assert "no trial of study 'f' has completed" in capsys.readouterr().err
