"""Likely mistakes in a study's setup, found from its History and space (a pure function).

The rules, and why (also in docs/guards.md):

* ``too_few_trials``: fewer than ``trials_per_param`` (10) completed trials per tuned parameter.
  Model-based samplers (TPE, GP) spend their first trials on a random start-up and need several
  points per dimension to model anything; random search with fewer is a coarse sample. The best
  value of such a study is likely far from what the space can give.
* ``edge_of_range``: the best trial's value of a numeric parameter lies in the outer ``edge``
  (2%) of its range, on the parameter's scale (log for ``log=True``). The optimum may lie
  outside: widen the range on that side (unless the bound is a hard limit, like a rate of 1).
* ``log_scale``: a numeric parameter on a linear scale with ``low > 0`` and
  ``high / low >= log_ratio`` (1000). Uniform draws then almost never visit the lower decades
  (99.9% land above ``high / 1000``): use ``log=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuningfork._core.errors import NoCompletedTrialsError
from tuningfork._core.history import History
from tuningfork.analysis._best import best_trial
from tuningfork.analysis._selection import is_candidate
from tuningfork.space import Distribution, Float, Int


@dataclass(frozen=True)
class Finding:
    """One likely mistake: ``kind`` names the rule, ``param`` the parameter (if any)."""

    kind: str
    message: str
    param: str | None = None

    def __str__(self) -> str:
        return self.message


def _distributions(history: History, space: Mapping[str, Any] | None) -> dict[str, Distribution]:
    found: dict[str, Distribution] = {}
    if space is not None:
        for name in space:
            dist = space[name]
            if isinstance(dist, Distribution):
                found[name] = dist
    for record in history.trials:
        for name, dist in record.distributions.items():
            if name not in found and isinstance(dist, Distribution):
                found[name] = dist
    return found


def _position(dist: Float | Int, value: float) -> float:
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


def check_study(
    history: History,
    space: Mapping[str, Any] | None = None,
    *,
    trials_per_param: int = 10,
    edge: float = 0.02,
    log_ratio: float = 1000.0,
) -> list[Finding]:
    """Findings about likely mistakes (see the module docstring for the rules).

    ``space`` is the declared search space (``study.space``); without one the distributions the
    trials suggested are used. Returns an empty list when nothing looks wrong.
    """
    findings: list[Finding] = []
    dists = _distributions(history, space)
    tuned = {n: d for n, d in dists.items() if d.single_value() is None}
    completed = [t for t in history.completed() if is_candidate(t)]
    d = len(tuned)
    if d and completed and len(completed) < trials_per_param * d:
        findings.append(
            Finding(
                "too_few_trials",
                f"{len(completed)} completed trials for {d} tuned parameter(s): fewer than "
                f"{trials_per_param} per parameter ({trials_per_param * d}); the space is barely "
                "explored (a model-based sampler has barely finished its random start-up), so "
                "the best value is likely far from the best this space can give: run more "
                "trials or tune fewer parameters",
            )
        )
    for name, dist in tuned.items():
        if (
            isinstance(dist, (Float, Int))
            and not dist.log
            and dist.low > 0
            and dist.high / dist.low >= log_ratio
        ):
            decades = math.log10(dist.high / dist.low)
            findings.append(
                Finding(
                    "log_scale",
                    f"parameter {name!r} spans {decades:.1f} orders of magnitude "
                    f"({dist.low:g} .. {dist.high:g}) on a linear scale: uniform draws almost "
                    f"never reach the lower decades (99.9% land above {dist.high / 1000:g}); "
                    "use log=True",
                    name,
                )
            )
    if len(history.directions) == 1 and completed:
        try:
            best = best_trial(history)
        except NoCompletedTrialsError:
            return findings
        for name, value in best.params.items():
            numeric = tuned.get(name)
            if not isinstance(numeric, (Float, Int)) or isinstance(value, bool):
                continue
            try:
                pos = _position(numeric, float(value))
            except (ValueError, ZeroDivisionError):
                continue
            if pos <= edge or pos >= 1 - edge:
                side = "low" if pos <= edge else "high"
                bound = numeric.low if side == "low" else numeric.high
                findings.append(
                    Finding(
                        "edge_of_range",
                        f"the best trial ({best.number}) has {name}={value:g}, at the {side} "
                        f"edge of its range ({numeric.low:g} .. {numeric.high:g}; within the outer "
                        f"{edge:.0%}): the optimum may lie beyond {bound:g}, consider widening "
                        "the range",
                        name,
                    )
                )
    return findings
