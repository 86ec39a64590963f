"""``tuningfork run CONFIG``: create or continue a study and run its trials."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from tuningfork._core.errors import ConfigError, NoCompletedTrialsError
from tuningfork._core.records import TrialState
from tuningfork.cli import _guards
from tuningfork.cli._config import RunConfig, load_run_config
from tuningfork.cli._output import console, summary_table
from tuningfork.execution import CommandObjective, terminate_running
from tuningfork.storage import mask_password
from tuningfork.study import ObjectiveFailedError, Study, Trial, create_study

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (running trials marked, summary printed)."""


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run a study from a TOML/YAML config file",
        description="Create (or continue) the study described by CONFIG and run its trials. "
        "Options given here override the config file.",
    )
    p.add_argument("config", help="the config file (.toml, .yaml or .yml)")
    p.add_argument("--n-trials", type=int, help="trials to run now (overrides [run] n_trials)")
    p.add_argument("--timeout", type=float, help="seconds after which no trial starts")
    p.add_argument("--n-workers", type=int, help="trials run at once (threads)")
    p.add_argument("--storage", help="storage URL, or a path ending in .db (SQLite)")
    p.add_argument("--study", help="study name (overrides [study] name)")
    p.add_argument("--seed", type=int, help="study seed, used when the study is created")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    p.add_argument(
        "--reevaluate",
        type=int,
        metavar="K",
        help="after the run, re-evaluate the top K configurations with fresh seeds and choose "
        "by their mean (see docs/guards.md)",
    )
    p.add_argument(
        "--repeats", type=int, default=5, metavar="R", help="re-evaluations per configuration"
    )
    p.set_defaults(handler=run_command)


def build_objective(config: RunConfig) -> Callable[[Trial], Any]:
    if config.objective_kind == "command":
        assert config.command is not None and config.metric is not None
        return CommandObjective(
            config.command,
            config.metric,
            space=config.space,
            cwd=config.cwd,
            env=config.env,
            timeout=config.command_timeout,
            log_dir=config.log_dir,
            grace_period=config.grace_period,
        )
    function = config.function
    assert function is not None
    if config.style == "trial":
        return function
    space = config.space
    assert space is not None

    def objective(trial: Trial) -> Any:
        return function(space.suggest_all(trial.suggest)[0])

    return objective


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(args: argparse.Namespace) -> int:
    for option in ("n_trials", "n_workers"):
        value = getattr(args, option)
        minimum = 0 if option == "n_trials" else 1
        if value is not None and value < minimum:
            flag = "--" + option.replace("_", "-")
            raise ConfigError(f"{flag}: expected an int >= {minimum}, got {value}")
    if args.timeout is not None and not args.timeout > 0:
        raise ConfigError(f"--timeout: expected a number of seconds > 0, got {args.timeout}")
    if args.reevaluate is not None and args.reevaluate < 1:
        raise ConfigError(f"--reevaluate: expected an int >= 1, got {args.reevaluate}")
    if args.repeats < 2:
        raise ConfigError(f"--repeats: expected an int >= 2, got {args.repeats}")
    config = load_run_config(
        args.config,
        n_trials=args.n_trials,
        timeout=args.timeout,
        n_workers=args.n_workers,
        storage=args.storage,
        study=args.study,
        seed=args.seed,
    )
    try:
        study = create_study(
            name=config.study_name,
            storage=config.storage,
            directions=config.directions,
            sampler=config.make_sampler(),
            scheduler=config.scheduler,
            seed=config.seed,
            load_if_exists=True,
            space=config.space,
        )
    except ValueError as exc:  # e.g. stored with other directions
        raise ConfigError(f"{config.path}: [study]: {exc}") from None
    try:
        return _run(args, config, study)
    finally:
        study.storage.close()


def _run(args: argparse.Namespace, config: RunConfig, study: Study) -> int:
    out, err = console(), console(stderr=True)
    if config.seed is not None and study.seed != config.seed:
        err.print(
            f"note: study {study.name!r} was created with seed {study.seed}; the stored seed is "
            f"kept, not {config.seed}",
            highlight=False,
        )
    objective = build_objective(config)
    _guards.store_objective(study, config)
    before = len(study.trials)
    interrupted: KeyboardInterrupt | None = None
    failure: Exception | None = None
    with _sigterm_as_interrupt():
        try:
            study.optimize(
                objective,
                n_trials=config.n_trials,
                timeout=config.timeout,
                n_workers=config.n_workers,
                show_progress_bar=not args.no_progress,
            )
        except KeyboardInterrupt as exc:
            interrupted = exc
        except ObjectiveFailedError as exc:
            failure = exc
        finally:
            # Other workers' scripts may still run (threads cannot be interrupted).
            terminate_running(config.grace_period)
    ran = len(study.trials) - before
    url = mask_password(config.storage)
    out.print(summary_table(study, ran=ran, storage_url=url))
    if interrupted is not None:
        what = "terminated" if isinstance(interrupted, _Terminated) else "interrupted"
        err.print(
            f"{what}: the running trial(s) were marked failed; the completed ones are kept in "
            f"{url}; run the same command again to continue the study",
            highlight=False,
        )
        return EXIT_TERMINATED if isinstance(interrupted, _Terminated) else EXIT_INTERRUPTED
    if failure is not None:
        err.print(f"error: {_without_traceback(str(failure))}", highlight=False, markup=False)
        return 1
    if not study.get_trials():
        return 0
    try:
        _ = study.best_trials
    except NoCompletedTrialsError as exc:
        message = str(exc)
        failed = study.get_trials([TrialState.FAILED])
        if failed:
            first = _without_traceback(str(failed[0].system_attrs.get("error", "")))
            message += f"\nthe first error in full:\n{first}"
        err.print(f"error: {message}", highlight=False, markup=False)
        return 1
    if args.reevaluate is not None:
        if len(study.directions) != 1:
            raise ConfigError("--reevaluate: needs a study with one direction")
        summary = _guards.select(study, objective, args.reevaluate, args.repeats, err)
        out.print(summary, highlight=False, markup=False)
    _guards.print_after_run(study, out)
    return 0


def _without_traceback(text: str) -> str:
    """A recorded error without its Python traceback (``--debug`` is for tracebacks)."""
    cut = text.find("\n\nTraceback (most recent call last):")
    return (text[:cut] if cut != -1 else text).rstrip()
