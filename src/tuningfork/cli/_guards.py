"""What the CLI says about likely mistakes: after ``run`` (short) and in ``show`` (in full)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from rich.console import Console

from tuningfork._core.errors import TuningforkWarning
from tuningfork.analysis import check_study, overfitting_report
from tuningfork.cli._config import RunConfig
from tuningfork.cli._output import fmt_params, fmt_value, kv_table
from tuningfork.study import Study

OBJECTIVE_KEY = "objective"
GUARD_KEYS = ("test_data", "test_evaluations", "guard_warnings", "selection")


def objective_spec(config: RunConfig) -> dict[str, Any]:
    """What ``tuningfork reproduce`` needs to rebuild the objective of a CLI study."""
    if config.objective_kind == "command":
        return {
            "kind": "command",
            "command": config.command,
            "metric": config.metric,
            "cwd": str(config.cwd) if config.cwd is not None else None,
            "env": dict(config.env),
            "timeout": config.command_timeout,
            "log_dir": str(config.log_dir) if config.log_dir is not None else None,
            "grace_period": config.grace_period,
            "config_file": str(config.path),
        }
    function = config.function
    module, name = getattr(function, "__module__", ""), getattr(function, "__qualname__", "")
    return {
        "kind": "function",
        "function": f"{module}:{name}",
        "style": config.style,
        "path": str(config.base),
        "config_file": str(config.path),
    }


def store_objective(study: Study, config: RunConfig) -> None:
    spec = objective_spec(config)
    if study.config.get(OBJECTIVE_KEY) != spec:
        study.storage.set_study_attr(study.name, OBJECTIVE_KEY, spec, user=False)


def select(
    study: Study, objective: Callable[[Any], Any], reevaluate: int, repeats: int, err: Console
) -> str:
    """Run ``select_best`` and return its summary; its warnings go to ``err``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TuningforkWarning)
        result = study.select_best(objective, reevaluate=reevaluate, repeats=repeats)
    summary: str = result.summary()
    for w in caught:
        if issubclass(w.category, TuningforkWarning):
            err.print(f"warning: {w.message}", highlight=False, markup=False)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return summary


def guard_lines(study: Study, *, full: bool) -> list[str]:
    """Findings about likely mistakes and the overfitting report, one line each."""
    history = study.history()
    config = study.config
    lines = [f"check: {f.message}" for f in check_study(history, study.space)]
    report = overfitting_report(history, config)
    if report is not None and (full or len(report.lines()) > 1):
        lines.extend(report.lines())
    if full:
        for entry in config.get("guard_warnings", []):
            lines.append(f"recorded warning ({entry.get('time')}): {entry.get('message')}")
    return lines


def print_after_run(study: Study, out: Console) -> None:
    if len(study.directions) != 1 or not study.history().completed():
        return
    lines = guard_lines(study, full=False)
    if lines:
        out.print("\n".join(lines), highlight=False, markup=False)


def print_show(study: Study, out: Console) -> None:
    config = study.config
    table = kv_table("Checks and honesty record")
    test = config.get("test_data")
    if test is not None:
        table.add_row(
            "test data",
            f"fingerprint {str(test.get('fingerprint'))[:16]}, {test.get('n_rows')} rows, "
            f"locked at {test.get('set_at')}",
        )
    for i, entry in enumerate(config.get("test_evaluations", []), start=1):
        during = " (while trials were running!)" if entry.get("during_tuning") else ""
        table.add_row(
            f"test evaluation {i}",
            f"{fmt_value(entry.get('value'))} at {entry.get('time')}, trial "
            f"{entry.get('trial')}, {fmt_params(entry.get('params') or {})}{during}",
        )
    selection = config.get("selection")
    if selection is not None:
        table.add_row(
            "selected",
            f"trial {selection.get('trial_number')}: mean {fmt_value(selection.get('mean'))} "
            f"(CI {fmt_value(selection.get('ci_low'))} .. {fmt_value(selection.get('ci_high'))}, "
            f"n={selection.get('n')}), distinguishable: {selection.get('distinguishable')}",
        )
    if len(study.directions) == 1:
        for i, line in enumerate(guard_lines(study, full=True), start=1):
            table.add_row(f"{i}", line)
    if table.row_count:
        out.print(table)
