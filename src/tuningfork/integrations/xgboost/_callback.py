"""XGBoostPruningCallback (imports xgboost, with an install hint when it is missing)."""

from __future__ import annotations

from typing import Any

from tuningfork._core._imports import optional_import
from tuningfork.integrations._pruning import ReportingTrial, as_float, report_or_prune

optional_import("xgboost", "xgboost")  # fail early, with the install hint
import xgboost  # noqa: E402


class XGBoostPruningCallback(xgboost.callback.TrainingCallback):
    """Report ``metric`` on the evaluation set ``data`` after every boosting round.

    The step is the number of rounds done so far (1, 2, ...), so a scheduler's resources count
    rounds: ``ASHA(min_resource=1, max_resource=n_estimators)``. When the scheduler says stop,
    :class:`~tuningfork.TrialPruned` is raised out of training and the trial ends PRUNED.

    ``data`` and ``metric`` name an entry of XGBoost's evaluation log: ``xgboost.train(...,
    evals=[(dval, "valid")])`` logs ``"valid"``, the scikit-learn API ``fit(...,
    eval_set=[(X_val, y_val)])`` logs ``"validation_0"``; the metric is ``eval_metric``
    (``"logloss"``, ``"auc"``, ...). ``None`` picks the last evaluation set and its last
    metric, as XGBoost's own early stopping does. Under ``xgboost.cv`` the mean is reported.
    Use a study direction that matches the metric (``minimize`` a loss, ``maximize`` AUC).
    """

    def __init__(
        self, trial: ReportingTrial, metric: str | None = None, data: str | None = None
    ) -> None:
        super().__init__()
        self.trial = trial
        self.metric = metric
        self.data = data

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        value = _latest(evals_log, self.data, self.metric)
        report_or_prune(self.trial, epoch + 1, value)
        return False


def _latest(evals_log: Any, data: str | None, metric: str | None) -> float:
    if not evals_log:
        raise ValueError(
            "XGBoostPruningCallback found no evaluation results: pass an evaluation set "
            "(evals=[(dval, 'valid')] to xgboost.train, or eval_set=[(X_val, y_val)] to fit)"
        )
    if data is None:
        data = list(evals_log)[-1]
    if data not in evals_log:
        raise ValueError(
            f"XGBoostPruningCallback: no evaluation set {data!r}; the log has {list(evals_log)}"
        )
    metrics = evals_log[data]
    if metric is None:
        metric = list(metrics)[-1]
    if metric not in metrics:
        raise ValueError(
            f"XGBoostPruningCallback: no metric {metric!r} for {data!r}; "
            f"the log has {list(metrics)}"
        )
    latest = metrics[metric][-1]
    if isinstance(latest, tuple):  # xgboost.cv logs (mean, std)
        latest = latest[0]
    return as_float(latest, f"XGBoost metric {data}-{metric}")
