"""Noise-aware selection: summarize re-evaluations of the top configurations (pure functions).

A re-evaluation trial carries ``system_attrs["reevaluation_of"] = <original trial number>``; it
runs the original's parameters with its own (different) seed. Such trials, and reproductions
(``reproduction_of``), are not ordinary candidates: :func:`is_candidate` tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuningfork._core.history import History
from tuningfork._core.records import Direction, TrialRecord

REEVALUATION_OF = "reevaluation_of"
REPRODUCTION_OF = "reproduction_of"


def is_candidate(record: TrialRecord) -> bool:
    """False for trials that re-run another trial's configuration (re-evaluations)."""
    return REEVALUATION_OF not in record.system_attrs and REPRODUCTION_OF not in record.system_attrs


@dataclass(frozen=True)
class Candidate:
    """One configuration and the values of its re-evaluations."""

    trial_number: int  # the original trial
    params: Mapping[str, Any]
    original_value: float
    values: tuple[float, ...]  # re-evaluations only (the original is biased by its selection)
    reevaluation_numbers: tuple[int, ...]
    mean: float
    std: float
    ci_low: float
    ci_high: float

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class SelectionResult:
    """The configuration chosen by the mean of its re-evaluations, with a t-interval.

    ``distinguishable`` is False when a Welch t-test cannot tell the chosen configuration from
    the runner-up at the given confidence (``p_value >= 1 - confidence``).
    """

    params: Mapping[str, Any]
    mean: float
    ci_low: float
    ci_high: float
    n: int
    trial_number: int
    reevaluation_numbers: tuple[int, ...]
    distinguishable: bool
    p_value: float | None
    confidence: float
    candidates: tuple[Candidate, ...]  # best first

    @property
    def source_trials(self) -> tuple[int, ...]:
        """The original trial numbers of every candidate, best first."""
        return tuple(c.trial_number for c in self.candidates)

    def summary(self) -> str:
        lines = [
            f"chosen: trial {self.trial_number} {dict(self.params)}: mean {self.mean:.6g} "
            f"({self.confidence:.0%} CI {self.ci_low:.6g} .. {self.ci_high:.6g}, n={self.n})"
        ]
        for c in self.candidates[1:]:
            lines.append(
                f"  vs trial {c.trial_number}: mean {c.mean:.6g} "
                f"(CI {c.ci_low:.6g} .. {c.ci_high:.6g}, n={c.n})"
            )
        if not self.distinguishable:
            lines.append(
                "  the top candidates cannot be told apart at this confidence (p="
                + (f"{self.p_value:.3g}" if self.p_value is not None else "n/a")
                + "): prefer the simpler or cheaper one, or re-evaluate more"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": dict(self.params),
            "mean": self.mean,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "trial_number": self.trial_number,
            "reevaluation_numbers": list(self.reevaluation_numbers),
            "distinguishable": self.distinguishable,
            "p_value": self.p_value,
            "confidence": self.confidence,
            "candidates": [
                {
                    "trial_number": c.trial_number,
                    "original_value": c.original_value,
                    "mean": c.mean,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "n": c.n,
                }
                for c in self.candidates
            ],
        }


def t_interval(values: Sequence[float], confidence: float) -> tuple[float, float, float, float]:
    """``(mean, std, low, high)``: the Student-t interval of the mean (infinite for n < 2)."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, -math.inf, math.inf
    std = float(x.std(ddof=1))
    from scipy import stats  # scipy.stats takes about a second to import: only when used

    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1)) * std / math.sqrt(len(x))
    return mean, std, mean - half, mean + half


def welch_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test that ``a`` and ``b`` have the same mean."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return 1.0
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(x.mean() - y.mean())
    se = math.sqrt(vx + vy)
    if se == 0.0:  # deterministic values: equal means are indistinguishable, others are not
        return 1.0 if diff == 0.0 else 0.0
    df = (vx + vy) ** 2 / (
        (vx**2 / (len(x) - 1) if vx else 0.0) + (vy**2 / (len(y) - 1) if vy else 0.0)
    )
    from scipy import stats  # scipy.stats takes about a second to import: only when used

    return float(2 * stats.t.sf(abs(diff) / se, df))


def summarize_reevaluations(history: History, confidence: float = 0.95) -> SelectionResult | None:
    """Choose among the re-evaluated configurations of ``history`` by their mean value.

    Only COMPLETE re-evaluations count. ``None`` when no configuration has one.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if len(history.directions) != 1:
        raise ValueError("noise-aware selection needs a study with one objective")
    direction = history.directions[0]
    groups: dict[int, list[TrialRecord]] = {}
    for record in history.completed():
        source = record.system_attrs.get(REEVALUATION_OF)
        if source is not None and record.value is not None:
            groups.setdefault(int(source), []).append(record)
    candidates = []
    for source, records in groups.items():
        original = history.trial(source)
        values = tuple(float(r.value) for r in records if r.value is not None)
        mean, std, low, high = t_interval(values, confidence)
        candidates.append(
            Candidate(
                trial_number=source,
                params=dict(original.params),
                original_value=float(original.value) if original.value is not None else math.nan,
                values=values,
                reevaluation_numbers=tuple(r.number for r in records),
                mean=mean,
                std=std,
                ci_low=low,
                ci_high=high,
            )
        )
    if not candidates:
        return None
    sign = -1.0 if direction is Direction.MAXIMIZE else 1.0
    candidates.sort(key=lambda c: (sign * c.mean, c.trial_number))
    best = candidates[0]
    p_value: float | None = None
    distinguishable = True
    if len(candidates) > 1:
        p_value = welch_p_value(best.values, candidates[1].values)
        distinguishable = p_value < 1 - confidence
    return SelectionResult(
        params=best.params,
        mean=best.mean,
        ci_low=best.ci_low,
        ci_high=best.ci_high,
        n=best.n,
        trial_number=best.trial_number,
        reevaluation_numbers=best.reevaluation_numbers,
        distinguishable=distinguishable,
        p_value=p_value,
        confidence=confidence,
        candidates=tuple(candidates),
    )
