"""Trials as a pandas DataFrame (the ``pandas`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuningfork._core._imports import optional_import
from tuningfork._core.records import TrialRecord


def trials_to_rows(trials: Sequence[TrialRecord], n_objectives: int) -> list[dict[str, Any]]:
    """One flat dict per trial: number, state, value(s), params_*, user_attrs_*, timing."""
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        if n_objectives == 1:
            row["value"] = t.values[0] if t.values else None
        else:
            for i in range(n_objectives):
                row[f"values_{i}"] = t.values[i] if t.values else None
        for name, value in t.params.items():
            row[f"params_{name}"] = value
        for key, value in t.user_attrs.items():
            row[f"user_attrs_{key}"] = value
        row["seed"] = t.seed
        row["datetime_start"] = t.started_at
        row["datetime_complete"] = t.finished_at
        row["duration"] = t.duration
        if t.error_summary is not None:
            row["error"] = t.error_summary
        rows.append(row)
    return rows


def trials_dataframe(trials: Sequence[TrialRecord], n_objectives: int) -> Any:
    pd = optional_import("pandas", "pandas")
    rows = trials_to_rows(trials, n_objectives)
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return pd.DataFrame(rows, columns=columns)
