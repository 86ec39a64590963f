"""LightningPruningCallback (imports lightning, with an install hint when it is missing)."""

from __future__ import annotations

from typing import Any

from tuningfork._core._imports import optional_import
from tuningfork.integrations._pruning import ReportingTrial
from tuningfork.integrations.torch._loop import report_or_prune

optional_import("lightning", "lightning")  # fail early, with the install hint
import lightning  # noqa: E402


class LightningPruningCallback(lightning.pytorch.Callback):
    """Report the logged metric ``monitor`` (e.g. ``"val_loss"``, as passed to
    ``self.log``) after every validation epoch; the step is the number of epochs done (1, 2,
    ...). When the study's scheduler says stop, :class:`~tuningfork.TrialPruned` is raised out
    of ``trainer.fit`` (Lightning tears the run down first) and the trial ends PRUNED. The
    sanity-check validation run before training is not reported.
    """

    def __init__(self, trial: ReportingTrial, monitor: str) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise ValueError(
                f"LightningPruningCallback: metric {self.monitor!r} was not logged; "
                f"logged: {sorted(metrics)} (log it with self.log({self.monitor!r}, value))"
            )
        report_or_prune(self.trial, trainer.current_epoch + 1, metrics[self.monitor])
