"""``fit_with_reports``: epochs of ``partial_fit``, or growing ``warm_start`` fits, each
followed by a validation score that is reported to the trial."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tuningfork._core._imports import optional_import
from tuningfork.integrations._pruning import ReportingTrial, as_float, report_or_prune

Scorer = Callable[[Any, Any, Any], float]


def fit_with_reports(
    trial: ReportingTrial,
    estimator: Any,
    X: Any,
    y: Any,
    X_val: Any,
    y_val: Any,
    *,
    epochs: int,
    scoring: str | Scorer | None = None,
    resource_param: str | None = None,
    step_size: int = 1,
    classes: Any = None,
    fit_params: Mapping[str, Any] | None = None,
) -> float:
    """Train ``estimator`` for ``epochs`` steps, report the validation score after each, and
    raise :class:`~tuningfork.TrialPruned` as soon as the study's scheduler says stop.

    One *step* is, for an estimator with ``partial_fit`` (``SGDClassifier``, ``MLPClassifier``,
    ``MultinomialNB``, ...), one ``partial_fit`` pass over ``X, y``; for one with a
    ``warm_start`` parameter (``HistGradientBoostingClassifier``, ``RandomForestRegressor``,
    ``GradientBoostingClassifier``, ...), ``step_size`` more units of ``resource_param``
    (``"max_iter"``, ``"n_estimators"``), fitted on top of the previous ones (passing
    ``resource_param`` selects this mode even when ``partial_fit`` exists). The value
    reported at step ``k`` (``k = 1 .. epochs``) is the score after ``k`` steps, so a
    scheduler's resources count steps: ``ASHA(min_resource=1, max_resource=epochs)``.

    ``scoring``: ``None`` uses ``estimator.score(X_val, y_val)`` (accuracy, R²: greater is
    better, so the study should ``maximize``); a string is a scikit-learn scorer name
    (``"neg_log_loss"``); a callable is called as ``scoring(estimator, X_val, y_val)``.
    ``classes``: for a classifier's first ``partial_fit`` (default: ``np.unique(y)``).
    The estimator is trained in place; the last score is returned, so an objective can end
    with ``return fit_with_reports(...)``.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
        raise ValueError(f"step_size must be an int >= 1, got {step_size!r}")
    score = _scorer(scoring)
    extra = dict(fit_params or {})
    incremental = hasattr(estimator, "partial_fit") and resource_param is None
    if not incremental:
        _check_warm_start(estimator, resource_param)
    elif classes is None and _is_classifier(estimator):
        classes = np.unique(np.asarray(y))
    value = float("nan")
    for step in range(1, epochs + 1):
        if incremental:
            if classes is not None:
                estimator.partial_fit(X, y, classes=classes, **extra)
            else:
                estimator.partial_fit(X, y, **extra)
        else:
            assert resource_param is not None
            estimator.set_params(**{resource_param: step * step_size, "warm_start": True})
            estimator.fit(X, y, **extra)
        value = as_float(score(estimator, X_val, y_val), "the score")
        report_or_prune(trial, step, value)
    return value


def _scorer(scoring: str | Scorer | None) -> Scorer:
    if scoring is None:
        return lambda estimator, X, y: float(estimator.score(X, y))
    if isinstance(scoring, str):
        metrics = optional_import("sklearn.metrics", "sklearn")
        scorer: Scorer = metrics.get_scorer(scoring)
        return scorer
    if callable(scoring):
        return scoring
    raise ValueError(
        f"scoring must be None, a scikit-learn scorer name or a callable "
        f"(estimator, X, y) -> float, got {scoring!r}"
    )


def _check_warm_start(estimator: Any, resource_param: str | None) -> None:
    name = type(estimator).__name__
    params: dict[str, Any] = estimator.get_params() if hasattr(estimator, "get_params") else {}
    if "warm_start" not in params:
        raise ValueError(
            f"{name} has neither partial_fit nor a warm_start parameter; fit_with_reports "
            "needs one of them to train step by step"
        )
    if resource_param is None:
        known = [p for p in ("max_iter", "n_estimators") if p in params]
        raise ValueError(
            f"{name} trains with warm_start: pass resource_param, the parameter that grows by "
            f"step_size at each step (e.g. {known[0] if known else 'n_estimators'!r})"
        )
    if resource_param not in params:
        raise ValueError(
            f"resource_param={resource_param!r} is not a parameter of {name}; "
            f"its int parameters are {sorted(k for k, v in params.items() if _is_int(v))}"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_classifier(estimator: Any) -> bool:
    base = optional_import("sklearn.base", "sklearn")
    return bool(base.is_classifier(estimator))
