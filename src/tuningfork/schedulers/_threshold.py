"""Stop a trial whose latest intermediate value leaves fixed bounds."""

from __future__ import annotations

import math
from typing import Any

from tuningfork._core.history import History
from tuningfork._core.records import Decision, TrialRecord
from tuningfork.schedulers._base import Scheduler
from tuningfork.schedulers._common import check_optional_number, sorted_steps


class Threshold(Scheduler):
    """Stop when the latest reported value is below ``lower``, above ``upper``, or NaN.

    A bound of ``None`` is no bound; at least one must be given. The bounds are absolute, so
    this rule does not depend on the study's direction (and works for any number of
    objectives): e.g. ``Threshold(upper=10.0)`` stops a diverging loss.
    """

    multi_objective = True

    def __init__(self, lower: float | None = None, upper: float | None = None) -> None:
        self.lower = check_optional_number("lower", lower)
        self.upper = check_optional_number("upper", upper)
        if self.lower is None and self.upper is None:
            raise ValueError("Threshold needs lower, upper or both; got neither")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower must be <= upper ({self.upper!r}), got lower={self.lower!r}")

    def __repr__(self) -> str:
        return f"Threshold(lower={self.lower!r}, upper={self.upper!r})"

    def describe(self) -> dict[str, Any]:
        return {"name": "Threshold", "lower": self.lower, "upper": self.upper}

    def decide(self, trial: TrialRecord, history: History) -> Decision:
        if not trial.intermediate:
            return Decision.CONTINUE
        value = trial.intermediate[sorted_steps(trial.intermediate)[-1]]
        if (
            math.isnan(value)
            or (self.lower is not None and value < self.lower)
            or (self.upper is not None and value > self.upper)
        ):
            return Decision.STOP
        return Decision.CONTINUE
