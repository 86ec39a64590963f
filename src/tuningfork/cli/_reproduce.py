"""``tuningfork reproduce STUDY TRIAL``: re-run one trial with its stored seed and parameters."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuningfork._core.errors import ConfigError
from tuningfork.cli._guards import OBJECTIVE_KEY
from tuningfork.cli._inspect import open_for_reading
from tuningfork.cli._output import console
from tuningfork.execution import CommandObjective
from tuningfork.study import Study, load_study

EXIT_MISMATCH = 1


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "reproduce",
        help="re-run one trial with its stored seed and parameters and compare its value",
        description="Re-run trial TRIAL of STUDY with its stored seed and parameters (no trial "
        "is added). Exit code 0 when the value matches the stored one, 1 when it does not.",
    )
    p.add_argument("study", help="study name")
    p.add_argument("trial", type=int, help="trial number")
    p.add_argument(
        "--storage",
        required=True,
        help="storage URL (sqlite:///file.db, postgresql://...) or a path ending in .db",
    )
    p.add_argument(
        "--objective",
        metavar="MODULE:FUNCTION",
        help="the objective to run (default: the one stored by `tuningfork run`)",
    )
    p.add_argument(
        "--style",
        choices=("trial", "params"),
        default="trial",
        help="how --objective is called: function(trial) (default) or function(params)",
    )
    p.add_argument(
        "--runs", type=int, default=1, help="run this many times; runs that differ are flagged"
    )
    p.set_defaults(handler=reproduce_command)


def _import(spec: str, base: Path, where: str) -> Callable[..., Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{where}: expected 'module:function', got {spec!r}")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}: cannot load {spec!r}: {exc}") from None
    if not callable(obj):
        raise ConfigError(f"{where}: {spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


def _wrap(study: Study, function: Callable[..., Any], style: str) -> Callable[[Any], Any]:
    if style == "trial":
        return function
    space = study.space
    if space is None:
        raise ConfigError("--style params: the study has no declared space")

    def objective(trial: Any) -> Any:
        return function(space.suggest_all(trial.suggest)[0])

    return objective


def build_objective(args: argparse.Namespace, study: Study) -> Callable[[Any], Any]:
    if args.objective is not None:
        return _wrap(study, _import(args.objective, Path.cwd(), "--objective"), args.style)
    spec = study.config.get(OBJECTIVE_KEY)
    if spec is None:
        raise ConfigError(
            f"study {study.name!r} has no stored objective (it was not run by `tuningfork "
            "run`): give --objective module:function"
        )
    if spec["kind"] == "function":
        function = _import(spec["function"], Path(spec["path"]), "stored objective")
        return _wrap(study, function, spec.get("style", "params"))
    log_dir = Path(spec["log_dir"]) / "reproduce" if spec.get("log_dir") else None
    return CommandObjective(
        spec["command"],
        spec["metric"],
        space=study.space,
        cwd=spec.get("cwd"),
        env=spec.get("env") or {},
        timeout=spec.get("timeout"),
        log_dir=log_dir,  # never overwrite the original trial's log
        grace_period=spec.get("grace_period", 5.0),
    )


def reproduce_command(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise ConfigError(f"--runs: expected an int >= 1, got {args.runs}")
    storage = open_for_reading(args.storage)
    try:
        study = load_study(args.study, storage)
        objective = build_objective(args, study)
        try:
            storage.get_trial(study.name, args.trial)
        except KeyError:
            raise ConfigError(f"study {study.name!r} has no trial {args.trial}") from None
        import warnings

        from tuningfork._core.errors import TuningforkWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TuningforkWarning)  # said below, in plain words
            result = study.reproduce(args.trial, objective, runs=args.runs)
    finally:
        storage.close()
    out = console()
    out.print(result.summary(), highlight=False, markup=False)
    if not result.deterministic:
        console(stderr=True).print(
            "warning: repeated runs with the same seed and parameters gave different values",
            highlight=False,
        )
    return 0 if result.matches else EXIT_MISMATCH
