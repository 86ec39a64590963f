"""Shared by the training-loop integrations: report a value, and end the trial when told to."""

from __future__ import annotations

import math
from typing import Any, Protocol

from tuningfork._core.errors import TrialPruned


class ReportingTrial(Protocol):
    """What an integration needs of a trial (``tuningfork.Trial`` is one)."""

    def report(self, step: int, value: float) -> None: ...

    def should_stop(self) -> bool: ...


def as_float(value: Any, what: str) -> float:
    """``value`` as a Python float (numpy scalars, 0-d arrays and tensors included)."""
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None


def report_or_prune(trial: ReportingTrial, step: int, value: float) -> None:
    """``trial.report(step, value)``, then raise :class:`~tuningfork.TrialPruned` if the
    study's scheduler says the trial should stop."""
    trial.report(step, value)
    if trial.should_stop():
        shown = "nan" if math.isnan(value) else f"{value:.6g}"
        raise TrialPruned(f"stopped by the scheduler at step {step} (value {shown})")
