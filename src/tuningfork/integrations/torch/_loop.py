"""Reporting from a plain PyTorch training loop."""

from __future__ import annotations

from typing import Any

from tuningfork._core._imports import optional_import
from tuningfork.integrations._pruning import ReportingTrial, as_float
from tuningfork.integrations._pruning import report_or_prune as _report_or_prune

optional_import("torch", "torch")  # fail early, with the install hint


def report_or_prune(trial: ReportingTrial, step: int, value: Any) -> None:
    """Report ``value`` (a number, or a one-element tensor, moved to the CPU) at ``step`` and
    raise :class:`~tuningfork.TrialPruned` when the study's scheduler says stop.

    Call it once per epoch with ``step`` = epochs done (1, 2, ...), so that a scheduler's
    resources count epochs: ``ASHA(min_resource=1, max_resource=epochs)``.
    """
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    _report_or_prune(trial, step, as_float(value, "the reported value"))
