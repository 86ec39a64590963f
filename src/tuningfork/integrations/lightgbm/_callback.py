"""LightGBMPruningCallback (imports lightgbm, with an install hint when it is missing)."""

from __future__ import annotations

from typing import Any

from tuningfork._core._imports import optional_import
from tuningfork.integrations._pruning import ReportingTrial, as_float, report_or_prune

optional_import("lightgbm", "lightgbm")  # fail early, with the install hint


class LightGBMPruningCallback:
    """Report ``metric`` on the validation set ``data`` after every boosting round.

    Pass it in ``callbacks=[...]`` of ``lightgbm.train``, ``lightgbm.cv`` (the mean over folds
    is reported) or an estimator's ``fit``. The step is the number of rounds done so far
    (1, 2, ...), so a scheduler's resources count rounds. When the scheduler says stop,
    :class:`~tuningfork.TrialPruned` is raised out of training and the trial ends PRUNED.

    ``data`` is a validation set name (``valid_names`` of ``lightgbm.train``, ``"valid_0"``
    by default; ``"valid"`` under ``lightgbm.cv``), ``metric`` a metric name (``"l2"``,
    ``"binary_logloss"``, ``"auc"``); ``None`` picks the first one logged, as LightGBM's early
    stopping does. Use a study direction that matches the metric (``minimize`` a loss,
    ``maximize`` AUC).
    """

    order = 30  # after LightGBM's own logging (10) and early stopping (30 runs in insert order)
    before_iteration = False

    def __init__(
        self,
        trial: ReportingTrial,
        metric: str | None = None,
        data: str | None = None,
    ) -> None:
        self.trial = trial
        self.metric = metric
        self.data = data

    def __call__(self, env: Any) -> None:
        results = list(env.evaluation_result_list or [])
        if not results:
            raise ValueError(
                "LightGBMPruningCallback found no evaluation results: pass valid_sets to "
                "lightgbm.train (or eval_set to fit)"
            )
        for entry in results:
            data, metric, value = entry[0], entry[1], entry[2]
            if data == "cv_agg" and isinstance(metric, str) and " " in metric:
                data, metric = metric.split(" ", 1)  # lightgbm.cv: ("cv_agg", "valid l2", ...)
            if (self.data is None or data == self.data) and (
                self.metric is None or metric == self.metric
            ):
                step = env.iteration - env.begin_iteration + 1
                report_or_prune(self.trial, step, as_float(value, f"LightGBM {data} {metric}"))
                return
        logged = [(e[0], e[1]) for e in results]
        raise ValueError(
            f"LightGBMPruningCallback: no result for data={self.data!r}, metric={self.metric!r}; "
            f"LightGBM logged {logged}"
        )
