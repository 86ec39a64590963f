"""Stop a trial whose intermediate values stopped improving."""

from __future__ import annotations

import math
from typing import Any

from tuningfork._core.history import History
from tuningfork._core.records import Decision, TrialRecord
from tuningfork.schedulers._base import Scheduler
from tuningfork.schedulers._common import (
    check_int,
    check_number,
    key,
    sorted_steps,
    study_direction,
)


class Patience(Scheduler):
    """Stop when ``patience`` consecutive reports (in step order) did not improve the trial's
    best value by more than ``min_delta``.

    A report improves when it is better than the best so far by more than ``min_delta``
    (strictly better when ``min_delta`` is 0), in the study's direction. The first report sets
    the best; NaN never improves, and any number improves on a NaN start. Only the trial's own
    reports matter: other trials are not read.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience = check_int("patience", patience, 1)
        self.min_delta = check_number("min_delta", min_delta, min_value=0.0)

    def __repr__(self) -> str:
        return f"Patience(patience={self.patience}, min_delta={self.min_delta!r})"

    def describe(self) -> dict[str, Any]:
        return {"name": "Patience", "patience": self.patience, "min_delta": self.min_delta}

    def decide(self, trial: TrialRecord, history: History) -> Decision:
        direction = study_direction(history, "Patience")
        best: float | None = None
        since = 0
        for step in sorted_steps(trial.intermediate):
            value = key(trial.intermediate[step], direction)
            if not math.isnan(value) and (
                best is None or math.isnan(best) or value < best - self.min_delta
            ):
                best, since = value, 0
            else:
                since += 1
                if best is None:
                    best = value  # a NaN first report: any number improves on it
        return Decision.STOP if since >= self.patience else Decision.CONTINUE
