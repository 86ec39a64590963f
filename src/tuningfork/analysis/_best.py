"""Best trial, Pareto front: pure functions of a History."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tuningfork._core.errors import NoCompletedTrialsError
from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord, TrialState
from tuningfork.analysis._selection import is_candidate


def _no_completed(history: History, study_name: str) -> NoCompletedTrialsError:
    failed = history.with_state(TrialState.FAILED)
    msg = f"no trial of study {study_name!r} has completed"
    counts = {s.name: len(history.with_state(s)) for s in TrialState if history.with_state(s)}
    if counts:
        msg += " (" + ", ".join(f"{n} {k.lower()}" for k, n in counts.items()) + ")"
    if failed:
        first = failed[0]
        reason = first.error_summary or "no reason recorded"
        msg += f"; the first failure, trial {first.number}: {reason}"
    return NoCompletedTrialsError(msg)


def best_trial(history: History, study_name: str = "") -> TrialRecord:
    """The completed trial with the best value (the earliest one on ties).

    Re-evaluations of another trial (``system_attrs["reevaluation_of"]``, see
    ``Study.select_best``) are not candidates: a lucky re-run would be a second draw of the same
    configuration, and selecting on it would reintroduce the bias re-evaluation removes."""
    if len(history.directions) != 1:
        raise ValueError(
            f"study {study_name!r} has {len(history.directions)} objectives, so there is no single "
            "best trial; use best_trials for the Pareto front"
        )
    completed = [t for t in history.completed() if is_candidate(t)]
    if not completed:
        raise _no_completed(history, study_name)
    direction = history.directions[0]
    best = completed[0]
    for record in completed[1:]:
        assert record.values is not None and best.values is not None
        if direction.better(record.values[0], best.values[0]):
            best = record
    return best


def pareto_front(history: History, study_name: str = "") -> list[TrialRecord]:
    """Completed trials that no other completed trial dominates, by trial number (re-evaluations
    excluded, as in :func:`best_trial`)."""
    completed = [t for t in history.completed() if is_candidate(t)]
    if not completed:
        raise _no_completed(history, study_name)
    y = np.array([t.values for t in completed], dtype=float)
    y = y * _signs(history.directions)  # all objectives minimized
    keep = pareto_mask(y)
    return [t for t, k in zip(completed, keep, strict=False) if k]


def _signs(directions: Sequence[Direction]) -> np.ndarray:
    return np.array([1.0 if d is Direction.MINIMIZE else -1.0 for d in directions])


def pareto_mask(y: np.ndarray) -> np.ndarray:
    """Rows of ``y`` (to be minimized) not dominated by any other row; duplicates all kept."""
    n = len(y)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = np.all(y <= y[i], axis=1) & np.any(y < y[i], axis=1)
        keep[i] = not dominated.any()
    return keep
