"""Config validation: every error exits 2 with a message naming the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuningfork.cli import main
from tuningfork.cli._config import load_run_config, resolve_storage

from .conftest import CONFIG


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("[study]", "[study]\nnmae = 'x'"),
            r"\[study\] nmae: unknown key \(did you mean 'name'\?\)",
        ),
        (("[run]", "[runn]"), r"\[runn\]: unknown section \(did you mean 'run'\?\)"),
        (('metric = "loss"\n', ""), r"\[objective\] metric: missing"),
        (("n_trials = 3", 'n_trials = "3"'), r"\[run\] n_trials: expected an int >= 0, got '3'"),
        (
            ("n_trials = 3", "n_trials = 3\nn_workers = 0"),
            r"\[run\] n_workers: expected an int >= 1",
        ),
        (("seed = 1", "seed = -1"), r"\[study\] seed: seed must be an int"),
        (
            ("[study]", "[study]\nsampler = 'sobl'"),
            r"\[study\] sampler: 'sobl' is not one of .*did you mean 'sobol'",
        ),
        (("[study]", "[study]\ndirection = 'up'"), r"\[study\] direction: 'up' is not understood"),
        (("--x {x}", "--x {xx}"), r"\[objective\] command: .*\{xx\}.*known: \["),
        (('metric = "loss"', 'metric = "loss"\nstyle = "trial"'), r"\[objective\] style: only for"),
        (
            ('metric = "loss"', 'metric = "loss"\ntimeout = 0'),
            r"\[objective\] timeout: expected a number",
        ),
        (
            ('metric = "loss"', 'metric = "loss"\nenv = { A = [1] }'),
            r"\[objective\] env.A: expected a string",
        ),
        (
            ('metric = "loss"', 'metric = "loss"\ncwd = "nope"'),
            r"\[objective\] cwd: .* is not a directory",
        ),
        (
            ('metric = "loss"', 'metric = "loss"\nfunction = "m:f"'),
            r"\[objective\]: give exactly one",
        ),
        (("high = 1.0", "high = -1.0"), r"\[space\]: parameter 'x'"),
        (("[study]", "[study]\nsampler = 'grid'"), r"\[study\] sampler: 'grid' cannot walk"),
        (
            ("[run]", "[scheduler]\ntype = 'ashaa'\n[run]"),
            r"\[scheduler\] type: 'ashaa' is not a scheduler \(did you mean 'asha'\?\)",
        ),
        (
            ("[run]", "[scheduler]\ntype = 'asha'\nmin_resource = 1\n[run]"),
            r"\[scheduler\]: 'asha' needs 'max_resource'",
        ),
        (
            ("[run]", "[scheduler]\ntype = 'asha'\nmin_resorce = 1\n[run]"),
            r"\[scheduler\] min_resorce: unknown key for 'asha' \(did you mean 'min_resource'\?\)",
        ),
        (
            ("[run]", "[scheduler]\ntype = 'median'\nwarmup_steps = -1\n[run]"),
            r"\[scheduler\]: median: .*warmup_steps",
        ),
    ],
)
def test_config_errors_exit_2_naming_the_key(
    project: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in CONFIG
    project.write_text(CONFIG.replace(old, new, 1))
    assert main(["run", str(project), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tuningfork: error: {project}: ")
    assert "Traceback" not in err
    assert re.search(expected, err), err
    assert not (project.parent / "tuningfork.db").exists()  # nothing ran, nothing was created


def test_function_import_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "f.toml"
    config.write_text("[objective]\nfunction = 'no_such_module_here:f'\n[space]\nx = [1, 2]\n")
    assert main(["run", str(config)]) == 2
    assert "[objective] function: cannot import module 'no_such_module_here'" in (
        capsys.readouterr().err
    )
    config.write_text("[objective]\nfunction = 'json:no_such_function'\n[space]\nx = [1, 2]\n")
    assert main(["run", str(config)]) == 2
    assert "module 'json' has no 'no_such_function'" in capsys.readouterr().err
    config.write_text("[objective]\nfunction = 'json'\n[space]\nx = [1, 2]\n")
    assert main(["run", str(config)]) == 2
    assert "expected 'module:function'" in capsys.readouterr().err


def test_missing_file_and_bad_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\n")
    assert main(["run", str(bad)]) == 2
    assert "invalid TOML" in capsys.readouterr().err


def test_cli_options_are_validated(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(project), "--n-workers", "0"]) == 2
    assert "--n-workers: expected an int >= 1" in capsys.readouterr().err
    assert main(["run", str(project), "--timeout", "-1"]) == 2
    assert main(["run", str(project), "--seed", "-3"]) == 2
    assert "--seed" in capsys.readouterr().err
    assert main(["run"]) == 2  # argparse usage error


def test_stored_directions_mismatch_is_a_config_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--no-progress", "--n-trials", "1"]) == 0
    project.write_text(CONFIG.replace("[study]", "[study]\ndirection = 'maximize'"))
    assert main(["run", str(project), "--no-progress"]) == 2
    assert "stored with directions ['minimize']" in capsys.readouterr().err


def test_defaults_and_relative_paths(project: Path) -> None:
    config = load_run_config(project)
    base = project.parent
    assert config.study_name == "tiny"
    assert config.storage == f"sqlite:///{base / 'tuningfork.db'}"
    assert config.cwd == base
    assert config.log_dir == base / "tuningfork_logs" / "tiny"
    assert config.directions == ["minimize"] and config.sampler_name == "random"
    assert (config.n_trials, config.timeout, config.n_workers) == (3, None, 1)
    text = CONFIG.replace("seed = 1", "seed = 1\nstorage = 'sqlite:///sub/r.db'")
    project.write_text(text.replace('metric = "loss"', 'metric = "loss"\nlog_dir = "logs"'))
    config = load_run_config(project, n_trials=9, study="other")
    assert config.storage == f"sqlite:///{base / 'sub' / 'r.db'}"
    assert config.log_dir == base / "logs" / "other"
    assert config.n_trials == 9 and config.study_name == "other"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("r.db", "sqlite:////base/r.db"),
        ("sub/r.db", "sqlite:////base/sub/r.db"),
        ("/abs/r.db", "sqlite:////abs/r.db"),
        ("sqlite:///r.db", "sqlite:////base/r.db"),
        ("sqlite:////abs/r.db", "sqlite:////abs/r.db"),
        ("sqlite:///r.db?timeout=3", "sqlite:////base/r.db?timeout=3"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://u:p@h/db", "postgresql://u:p@h/db"),
    ],
)
def test_resolve_storage(value: str, expected: str) -> None:
    assert resolve_storage(value, Path("/base")) == expected


def test_scheduler_and_model_based_sampler_from_the_config(project: Path) -> None:
    project.write_text(
        CONFIG.replace("[study]", "[study]\nsampler = 'tpe'").replace(
            "[run]", "[scheduler]\ntype = 'asha'\nmin_resource = 1\nmax_resource = 9\n[run]"
        )
    )
    config = load_run_config(project)
    from tuningfork.samplers import TPESampler
    from tuningfork.schedulers import ASHA

    assert isinstance(config.make_sampler(), TPESampler)
    assert isinstance(config.scheduler, ASHA)
    assert config.scheduler.describe()["max_resource"] == 9
