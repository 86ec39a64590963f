"""Read-only commands: ``studies``, ``show``, ``best``, ``export``."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from tuningfork._core.errors import ConfigError, NoCompletedTrialsError
from tuningfork._core.records import TrialRecord, TrialState
from tuningfork.analysis import trials_to_rows
from tuningfork.cli._config import resolve_storage, sqlite_file
from tuningfork.cli._guards import GUARD_KEYS, print_show
from tuningfork.cli._output import (
    console,
    directions_text,
    fmt_counts,
    fmt_params,
    fmt_value,
    fmt_values,
    kv_table,
)
from tuningfork.storage import Storage, mask_password, open_storage
from tuningfork.study import Study, load_study


def _storage_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        required=True,
        help="storage URL (sqlite:///file.db, postgresql://...) or a path ending in .db",
    )


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("studies", help="list the studies of a storage")
    _storage_arg(p)
    p.set_defaults(handler=studies_command)

    p = sub.add_parser("show", help="a study's settings and its trials")
    p.add_argument("study", help="study name")
    _storage_arg(p)
    p.add_argument("--last", type=int, default=20, metavar="N", help="show the last N trials")
    p.add_argument("--all", action="store_true", help="show every trial")
    p.set_defaults(handler=show_command)

    p = sub.add_parser("best", help="the best trial of a study")
    p.add_argument("study", help="study name")
    _storage_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    p.set_defaults(handler=best_command)

    p = sub.add_parser("export", help="every trial of a study as CSV or JSON")
    p.add_argument("study", help="study name")
    _storage_arg(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.set_defaults(handler=export_command)


def open_for_reading(url: str) -> Storage:
    """Open a storage that must already exist (a missing SQLite file is not created)."""
    url = resolve_storage(url, Path.cwd())
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise ConfigError(f"--storage: there is no SQLite file at {str(path)!r}")
    try:
        return open_storage(url)
    except ValueError as exc:
        raise ConfigError(f"--storage: {exc}") from None


@contextlib.contextmanager
def _reading(url: str) -> Iterator[Storage]:
    storage = open_for_reading(url)
    try:
        yield storage
    finally:
        storage.close()


@contextlib.contextmanager
def _study(args: argparse.Namespace) -> Iterator[Study]:
    with _reading(args.storage) as storage:
        yield load_study(args.study, storage)


def studies_command(args: argparse.Namespace) -> int:
    with _reading(args.storage) as storage:
        console().print(_studies_table(storage, args.storage))
    return 0


def _studies_table(storage: Storage, url: str) -> Table:
    title = f"Studies in {mask_password(resolve_storage(url, Path.cwd()))}"
    table = Table(title=title, title_justify="left", min_width=len(title) + 2)
    for column in ("name", "directions", "trials", "best value", "created"):
        table.add_column(column)
    for record in storage.list_studies():
        study = load_study(record.name, storage)
        best = "-"
        if len(study.directions) == 1:
            with contextlib.suppress(NoCompletedTrialsError):
                best = fmt_values(study.best_trial.values)
        else:
            with contextlib.suppress(NoCompletedTrialsError):
                best = f"{len(study.best_trials)} on the Pareto front"
        created = record.created_at.strftime("%Y-%m-%d %H:%M") if record.created_at else "-"
        table.add_row(record.name, directions_text(study), fmt_counts(study.trials), best, created)
    return table


def _note(trial: TrialRecord) -> str:
    if "reevaluation_of" in trial.system_attrs and trial.state is TrialState.COMPLETE:
        return f"re-evaluation of trial {trial.system_attrs['reevaluation_of']}"
    if trial.state is TrialState.FAILED:
        return trial.error_summary or ""
    if trial.state is TrialState.PRUNED and trial.last_step is not None:
        return f"pruned after step {trial.last_step}"
    return ""


def show_command(args: argparse.Namespace) -> int:
    with _study(args) as study:
        return _show(args, study)


def _show(args: argparse.Namespace, study: Study) -> int:
    out = console()
    info = kv_table(f"Study {study.name!r}")
    record = study.storage.load_study(study.name)
    info.add_row("directions", directions_text(study))
    info.add_row("seed", str(study.seed))
    if record.created_at is not None:
        info.add_row("created", record.created_at.isoformat(timespec="seconds"))
    config = dict(record.config)
    space = config.pop("space", None)
    for key in GUARD_KEYS:  # printed by print_show, below the trials
        config.pop(key, None)
    for key, value in config.items():
        info.add_row(key, json.dumps(value, default=str))
    if study.space is not None:
        lines = []
        for name, dist in study.space.items():
            condition = study.space.condition(name)
            when = f" when {dict(condition.when)}" if condition is not None else ""
            lines.append(f"{name}: {dist!r}{when}")
        info.add_row("space", "\n".join(lines))
    elif space is not None:
        info.add_row("space", json.dumps(space))
    for key, value in record.user_attrs.items():
        info.add_row(f"user attr {key}", json.dumps(value, default=str))
    trials = study.trials
    info.add_row("trials", fmt_counts(trials))
    out.print(info)

    shown = trials if args.all or args.last <= 0 else trials[-args.last :]
    title = "Trials" if len(shown) == len(trials) else f"Last {len(shown)} of {len(trials)} trials"
    table = Table(title=title, title_justify="left", min_width=len(title) + 2)
    for column in (
        "#",
        "state",
        "value" if len(study.directions) == 1 else "values",
        "params",
        "seconds",
        "note",
    ):
        table.add_column(column, overflow="fold")
    for t in shown:
        table.add_row(
            str(t.number),
            t.state.name.lower(),
            fmt_values(t.values),
            fmt_params(t.params),
            f"{t.duration:.1f}" if t.duration is not None else "-",
            _note(t),
        )
    out.print(table)
    print_show(study, out)
    return 0


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null, tuples lists, datetimes ISO strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _best_json(t: TrialRecord) -> dict[str, Any]:
    return {
        "number": t.number,
        "values": list(t.values or ()),
        "params": dict(t.params),
        "seed": t.seed,
        "user_attrs": dict(t.user_attrs),
    }


def best_command(args: argparse.Namespace) -> int:
    with _study(args) as study:
        return _best(args, study)


def _best(args: argparse.Namespace, study: Study) -> int:
    single = len(study.directions) == 1
    best = [study.best_trial] if single else study.best_trials  # NoCompletedTrialsError: exit 1
    if args.json:
        doc: dict[str, Any] = {
            "study": study.name,
            "directions": directions_text(study).split(", "),
        }
        if single:
            doc.update(_best_json(best[0]), value=best[0].value)
        else:
            doc["best_trials"] = [_best_json(t) for t in best]
        print(json.dumps(_clean(doc), indent=2))
        return 0
    out = console()
    if single:
        t = best[0]
        table = kv_table(f"Best trial of {study.name!r}")
        table.add_row("value", fmt_values(t.values))
        table.add_row("trial", str(t.number))
        for name, value in t.params.items():
            table.add_row(name, fmt_value(value))
        out.print(table)
        return 0
    title = f"Pareto front of {study.name!r}"
    table = Table(title=title, title_justify="left", min_width=len(title) + 2)
    for column in ("#", "values", "params"):
        table.add_column(column, overflow="fold")
    for t in best:
        table.add_row(str(t.number), fmt_values(t.values), fmt_params(t.params))
    out.print(table)
    return 0


def _export_json(trials: Sequence[TrialRecord]) -> str:
    docs = [
        {
            "number": t.number,
            "state": t.state.name,
            "values": list(t.values) if t.values is not None else None,
            "params": dict(t.params),
            "intermediate": {str(k): v for k, v in sorted(t.intermediate.items())},
            "user_attrs": dict(t.user_attrs),
            "seed": t.seed,
            "datetime_start": t.started_at,
            "datetime_complete": t.finished_at,
            "duration": t.duration,
            "error": t.error_summary,
        }
        for t in trials
    ]
    return json.dumps(_clean(docs), indent=2) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_clean(value))
    return value


def _export_csv(trials: Sequence[TrialRecord], n_objectives: int) -> str:
    rows = trials_to_rows(trials, n_objectives)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def export_command(args: argparse.Namespace) -> int:
    with _study(args) as study:
        return _export(args, study)


def _export(args: argparse.Namespace, study: Study) -> int:
    trials = study.trials
    if args.format == "json":
        text = _export_json(trials)
    else:
        text = _export_csv(trials, len(study.directions))
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(trials)} trial(s) to {args.output}", file=sys.stderr)
    return 0
