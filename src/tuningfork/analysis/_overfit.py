"""How optimistic is the best validation score? Gaps and selection bias (pure functions).

Three numbers, each reported when the study holds what it needs, as "how much better the first
looks than the second" in the study's direction (positive = optimistic / overfit):

* **train vs validation**: the best trial's ``train_score`` user attribute (stored by
  ``cross_val_objective(..., return_train_score=True)``) against its value.
* **validation vs test**: the validation value of the configuration evaluated on the locked test
  data (``study.final_evaluation``) against that test value. The first test evaluation counts;
  later ones are no longer an unbiased estimate.
* **optimism of the selected best** (selection bias, the winner's curse): the best trial's value
  minus the mean of its re-evaluations with fresh seeds (``study.select_best``); without
  re-evaluations, the Tibshirani & Tibshirani (2009) estimate from per-fold scores
  (``fold_scores``): the mean over folds of (best score of any configuration in that fold -
  score of the selected configuration in that fold). The fold estimate assumes fold ``k`` is
  comparable across trials; it is a rough guide, the re-evaluation estimate is the direct one.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from tuningfork._core.errors import NoCompletedTrialsError
from tuningfork._core.history import History
from tuningfork._core.records import Direction
from tuningfork.analysis._best import best_trial
from tuningfork.analysis._selection import REEVALUATION_OF, is_candidate


@dataclass(frozen=True)
class OverfitReport:
    """Gaps between the scores of a study (``None`` where the study lacks the data)."""

    best_trial: int
    best_value: float
    train_score: float | None = None
    train_gap: float | None = None
    test_trial: int | None = None
    test_validation_value: float | None = None
    test_value: float | None = None
    test_gap: float | None = None
    n_test_evaluations: int = 0
    optimism: float | None = None
    optimism_method: str | None = None  # "reevaluation" or "folds"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        out = [f"selected validation value: {self.best_value:.6g} (trial {self.best_trial})"]
        if self.train_gap is not None and self.train_score is not None:
            out.append(
                f"train vs validation: {self.train_score:.6g} vs {self.best_value:.6g} "
                f"(gap {self.train_gap:+.4g})"
            )
        if self.test_gap is not None:
            out.append(
                f"validation vs test: {self.test_validation_value:.6g} vs {self.test_value:.6g} "
                f"(gap {self.test_gap:+.4g}, trial {self.test_trial})"
            )
        if self.optimism is not None:
            how = (
                "best value minus the mean of its re-evaluations"
                if self.optimism_method == "reevaluation"
                else "Tibshirani-Tibshirani estimate from fold scores"
            )
            out.append(f"optimism of the selected best: {self.optimism:+.4g} ({how})")
        out.extend(self.notes)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _better_by(direction: Direction, a: float, b: float) -> float:
    """How much better ``a`` is than ``b`` in ``direction``."""
    return a - b if direction is Direction.MAXIMIZE else b - a


def _mean(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Sequence) and value and not isinstance(value, str):
        try:
            return float(np.mean([float(v) for v in value]))
        except (TypeError, ValueError):
            return None
    return None


def _fold_optimism(history: History, number: int, direction: Direction) -> float | None:
    rows: dict[int, list[float]] = {}
    for record in history.completed():
        scores = record.user_attrs.get("fold_scores")
        if is_candidate(record) and isinstance(scores, Sequence) and not isinstance(scores, str):
            rows[record.number] = [float(s) for s in scores]
    if number not in rows or len(rows) < 2 or len({len(r) for r in rows.values()}) != 1:
        return None
    matrix = np.array(list(rows.values()), dtype=float)
    chosen = np.array(rows[number], dtype=float)
    best = matrix.max(axis=0) if direction is Direction.MAXIMIZE else matrix.min(axis=0)
    gaps = [_better_by(direction, float(b), float(c)) for b, c in zip(best, chosen, strict=True)]
    return float(np.mean(gaps))


def _started_after(history: History, when: Any) -> int:
    try:
        moment = datetime.fromisoformat(str(when))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    count = 0
    for record in history.trials:
        started = record.started_at
        if started is None:
            continue
        if started.tzinfo is None:
            started = started.replace(tzinfo=timezone.utc)
        # the evaluation time is stored to the second: a trial in the same second is not counted
        if started > moment + timedelta(seconds=1):
            count += 1
    return count


def overfitting_report(
    history: History, study_config: Mapping[str, Any] | None = None
) -> OverfitReport | None:
    """The report for a one-objective study; ``None`` when no trial completed.

    The report is about the selected trial: ``select_best``'s choice when the study has one,
    else the best trial.

    ``study_config`` is ``study.config`` (where ``final_evaluation`` records test evaluations).
    """
    if len(history.directions) != 1:
        return None
    try:
        best = best_trial(history)
    except NoCompletedTrialsError:
        return None
    direction = history.directions[0]
    config = dict(study_config or {})
    selection = config.get("selection")
    if isinstance(selection, Mapping) and "trial_number" in selection:
        # the configuration chosen by select_best is the one the study stands behind
        with contextlib.suppress(KeyError):
            best = history.trial(int(selection["trial_number"]))
    assert best.value is not None
    notes: list[str] = []
    report: dict[str, Any] = {"best_trial": best.number, "best_value": best.value}

    train = _mean(best.user_attrs.get("train_score"))
    if train is not None:
        report.update(train_score=train, train_gap=_better_by(direction, train, best.value))

    evaluations = config.get("test_evaluations") or []
    if evaluations:
        first = evaluations[0]
        report["n_test_evaluations"] = len(evaluations)
        source = first.get("trial")
        validation = first.get("validation_value")
        if validation is None and source is not None:
            try:
                validation = history.trial(int(source)).value
            except KeyError:
                validation = None
        test_value = first.get("value")
        if validation is not None and test_value is not None:
            report.update(
                test_trial=source,
                test_validation_value=float(validation),
                test_value=float(test_value),
                test_gap=_better_by(direction, float(validation), float(test_value)),
            )
        later = _started_after(history, first.get("time"))
        if later:
            notes.append(
                f"warning: {later} trial(s) started after the first test evaluation: tuning "
                "went on after the test data was used, so the test score is no longer unbiased"
            )
        if len(evaluations) > 1:
            notes.append(
                f"warning: the test data was evaluated {len(evaluations)} times; only the first "
                "result is an unbiased estimate"
            )

    reevaluations = [
        r.value
        for r in history.completed()
        if r.system_attrs.get(REEVALUATION_OF) == best.number and r.value is not None
    ]
    if reevaluations:
        mean = float(np.mean(reevaluations))
        report.update(
            optimism=_better_by(direction, best.value, mean), optimism_method="reevaluation"
        )
    else:
        fold = _fold_optimism(history, best.number, direction)
        if fold is not None and math.isfinite(fold):
            report.update(optimism=fold, optimism_method="folds")
    return OverfitReport(notes=tuple(notes), **report)
