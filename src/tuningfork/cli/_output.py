"""Terminal output shared by the commands: consoles, value formatting, the study summary."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from tuningfork._core.errors import NoCompletedTrialsError
from tuningfork._core.records import TrialRecord, TrialState
from tuningfork.storage import mask_password
from tuningfork.study import Study


def console(stderr: bool = False) -> Console:
    """A console that does not wrap tables at 80 columns when the output is a pipe or a file."""
    out = Console(stderr=stderr)
    if not out.is_terminal:
        out = Console(stderr=stderr, width=max(out.width, 160))
    return out


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def fmt_values(values: Sequence[float] | None) -> str:
    if values is None:
        return "-"
    return ", ".join(fmt_value(v) for v in values)


def fmt_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in params.items()) or "-"


def state_counts(trials: Sequence[TrialRecord]) -> dict[str, int]:
    counts = {s.name.lower(): 0 for s in TrialState}
    for t in trials:
        counts[t.state.name.lower()] += 1
    return {k: n for k, n in counts.items() if n}


def fmt_counts(trials: Sequence[TrialRecord]) -> str:
    counts = state_counts(trials)
    detail = ", ".join(f"{n} {k}" for k, n in counts.items())
    return f"{len(trials)} ({detail})" if detail else "0"


def directions_text(study: Study) -> str:
    return ", ".join(d.name.lower() for d in study.directions)


def kv_table(title: str) -> Table:
    """A two-column key/value table whose title does not wrap."""
    table = Table(title=title, show_header=False, title_justify="left", min_width=len(title) + 2)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    return table


def summary_table(
    study: Study,
    *,
    ran: int | None = None,
    storage_url: str | None = None,
    title: str | None = None,
) -> Table:
    """Trials by state, the best value, params and trial number, the storage and the study."""
    trials = study.trials
    table = kv_table(title or f"Study {study.name!r}")
    table.add_row("study", study.name)
    table.add_row("storage", mask_password(storage_url or _storage_url(study)))
    table.add_row("directions", directions_text(study))
    table.add_row("trials", fmt_counts(trials))
    if ran is not None:
        table.add_row("run now", str(ran))
    if len(study.directions) == 1:
        try:
            best = study.best_trial
        except NoCompletedTrialsError:
            table.add_row("best value", "- (no trial completed)")
        else:
            table.add_row("best value", fmt_values(best.values))
            table.add_row("best trial", str(best.number))
            table.add_row("best params", fmt_params(best.params))
    else:
        try:
            front = study.best_trials
        except NoCompletedTrialsError:
            table.add_row("Pareto front", "- (no trial completed)")
        else:
            shown = "; ".join(f"#{t.number}: {fmt_values(t.values)}" for t in front[:10])
            more = f"; ... {len(front) - 10} more" if len(front) > 10 else ""
            table.add_row("Pareto front", f"{len(front)} trial(s): {shown}{more}")
    return table


def _storage_url(study: Study) -> str:
    url = getattr(study.storage, "url", None)
    if isinstance(url, str):
        return url
    return repr(study.storage)
