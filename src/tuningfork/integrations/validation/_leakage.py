"""``check_leakage``: measure how much fitting preprocessing on all the data inflates scores."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuningfork._core._imports import optional_import
from tuningfork._core.errors import TuningforkWarning
from tuningfork.integrations.validation._cv import CrossValObjective


@dataclass(frozen=True)
class LeakageReport:
    """Scores of one model under two protocols, on the same folds.

    ``honest``: preprocessing and model fitted on each training part (a Pipeline per fold).
    ``leaky``: preprocessing fitted once on all rows (validation rows and their labels
    included), then the model cross-validated on the transformed data. ``optimism`` is
    ``leaky - honest`` (scores are greater-is-better); ``leaky_flagged`` says it is larger than
    ``tolerance`` and than two standard errors of the per-fold differences.
    """

    honest: float
    leaky: float
    honest_fold_scores: tuple[float, ...]
    leaky_fold_scores: tuple[float, ...]
    optimism: float
    std_error: float
    tolerance: float
    leaky_flagged: bool

    def summary(self) -> str:
        verdict = "LEAKY: fit it inside the folds" if self.leaky_flagged else "no leak measured"
        return (
            f"in-fold (honest) score {self.honest:.4f}, preprocessing fitted on all rows "
            f"{self.leaky:.4f}: optimism {self.optimism:+.4f} (+/- {self.std_error:.4f}); "
            f"{verdict}"
        )


def check_leakage(
    preprocessing: Any,
    estimator: Any,
    X: Any,
    y: Any,
    *,
    cv: int | str | Any = 5,
    scoring: str | Callable[..., float] | None = None,
    groups: Any = None,
    seed: int = 0,
    tolerance: float = 0.01,
) -> LeakageReport:
    """Compare ``preprocessing`` (a transformer: scaler, feature selector, imputer, ...) fitted
    on all of ``X, y`` before cross-validation with the same steps fitted inside each fold.

    Both protocols use the same folds (the splitter ``cross_val_objective`` would choose, with
    ``seed``). Warns (``TuningforkWarning``) when the leaky protocol scores higher by more than
    ``tolerance`` and two standard errors. What it catches: any preprocessing whose fit on the
    validation rows helps the score (supervised feature selection, target encoding, imputation
    or scaling with whole-data statistics). What it cannot: a leak already baked into ``X``
    (pass the raw data and the step, not the transformed data), leaks across time or groups
    that the chosen ``cv`` does not respect, or leaks through duplicated rows (see
    ``cross_val_objective``'s checks).
    """
    optional_import("sklearn", "sklearn")
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.utils import _safe_indexing

    pipeline = make_pipeline(clone(preprocessing), clone(estimator))
    objective = CrossValObjective(
        lambda trial: pipeline, X, y, cv=cv, scoring=scoring, groups=groups, check=False
    )
    scorer = objective._scorer(pipeline)
    transformed = clone(preprocessing).fit_transform(X, y)
    honest, leaky = [], []
    for train, val in objective.splits(seed):
        model = clone(pipeline).fit(_safe_indexing(X, train), _safe_indexing(y, train))
        honest.append(float(scorer(model, _safe_indexing(X, val), _safe_indexing(y, val))))
        model = clone(estimator).fit(_safe_indexing(transformed, train), _safe_indexing(y, train))
        leaky.append(float(scorer(model, _safe_indexing(transformed, val), _safe_indexing(y, val))))
    diffs = np.array(leaky) - np.array(honest)
    optimism = float(diffs.mean())
    se = float(diffs.std(ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
    flagged = optimism > tolerance and optimism > 2 * se
    report = LeakageReport(
        honest=float(np.mean(honest)),
        leaky=float(np.mean(leaky)),
        honest_fold_scores=tuple(honest),
        leaky_fold_scores=tuple(leaky),
        optimism=optimism,
        std_error=se,
        tolerance=tolerance,
        leaky_flagged=flagged,
    )
    if flagged:
        warnings.warn(
            f"preprocessing fitted on all the data inflates the score: {report.summary()}",
            TuningforkWarning,
            stacklevel=2,
        )
    return report
