"""Learning from partial results (BOHB-like): which report step a model fits on.

With a scheduler that stops most trials early (ASHA, Hyperband), few trials complete: a model
that learns only from COMPLETE trials waits a long time before it leaves its random start, and
then sees stopped trials only as "bad". BOHB (Falkner et al. 2018) instead fits its model on the
observations of the *largest budget that has enough of them*. Here a budget is a report step:

- A finished trial (COMPLETE or PRUNED) *reached* step ``s`` when it reported at some step
  ``>= s``; its value at ``s`` is the one reported at the first such step (as at a rung).
- The fidelity is the largest step reached by at least ``min_count`` finished trials, that is
  the ``min_count``-th largest of their last steps. It is used only while fewer than
  ``min_count`` trials are COMPLETE: with enough final results, those are the top fidelity.
- At that step, the trials that reached it are observed with their value there (a NaN value
  counts as not reached); those stopped before it are worse than all of them (they were
  stopped for being worse). A COMPLETE trial whose reports end before the step keeps its final
  value.

Without pruned trials nothing changes: every finished trial is then COMPLETE, so the count of
trials that reached a step never exceeds the count of COMPLETE ones. Running trials are left
out, so that a proposal does not depend on the timing of concurrent trials. Intermediate values
have one objective: multi-objective studies never use this.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tuningfork._core.records import TrialRecord, TrialState


def fidelity_step(last_steps: Sequence[int], min_count: int) -> int | None:
    """The largest step that at least ``min_count`` of the trials reached (``last_steps``:
    each trial's largest reported step), or ``None`` when fewer trials have reports."""
    if min_count < 1:
        raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
    if len(last_steps) < min_count:
        return None
    return sorted(last_steps, reverse=True)[min_count - 1]


def value_at(intermediate: Mapping[int, float], step: int) -> float | None:
    """The value of the first report at a step ``>= step``, or ``None`` if there is none."""
    steps = sorted(intermediate)
    i = bisect.bisect_left(steps, step)
    return intermediate[steps[i]] if i < len(steps) else None


@dataclass(frozen=True)
class FidelityView:
    """Observations at one report step: ``values`` maps trial number to its value there (a
    finite number); finished trials with reports that are not in it were stopped before."""

    step: int
    values: Mapping[int, float]


def fidelity_view(
    finished: Iterable[TrialRecord], n_complete: int, min_count: int
) -> FidelityView | None:
    """The observations at the fidelity step, or ``None`` when ``n_complete >= min_count``
    (final results suffice) or no step was reached by ``min_count`` finished trials."""
    if n_complete >= min_count:
        return None
    reporting = [
        r
        for r in finished
        if r.intermediate and r.state in (TrialState.COMPLETE, TrialState.PRUNED)
    ]
    step = fidelity_step([max(r.intermediate) for r in reporting], min_count)
    if step is None:
        return None
    values: dict[int, float] = {}
    for record in reporting:
        value = value_at(record.intermediate, step)
        if value is not None and math.isfinite(value):
            values[record.number] = value
    return FidelityView(step, values)
