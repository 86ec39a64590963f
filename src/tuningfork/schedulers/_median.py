"""The median stopping rule (Golovin et al. 2017, "Google Vizier"), on best-so-far values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tuningfork._core.history import History
from tuningfork._core.records import Decision, Direction, TrialRecord, TrialState
from tuningfork.schedulers._base import Scheduler
from tuningfork.schedulers._common import check_int, key, sorted_steps, study_direction

_COMPLETE, _PRUNED = TrialState.COMPLETE, TrialState.PRUNED


class MedianStopping(Scheduler):
    """Stop a trial whose best value so far is worse than the median of its peers' at the same
    step.

    At the trial's latest step ``t``, with ``t >= warmup_steps``: the peers are the *finished*
    trials (COMPLETE or PRUNED; not running ones, so that a decision does not depend on the
    timing of concurrent trials; not FAILED ones) that reported at step ``t``, and each one
    contributes its best value over its steps ``<= t``. If there are at least ``min_peers``
    of them and the trial's own best over its steps ``<= t`` is strictly worse than their
    median, the trial stops. Best-so-far on both sides makes the rule robust to noisy curves
    and compares like with like. NaN ranks after every number (a NaN median stops nothing; a
    trial with only NaN reports is worse than any numeric median).
    """

    def __init__(self, warmup_steps: int = 0, min_peers: int = 2) -> None:
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 0)
        self.min_peers = check_int("min_peers", min_peers, 1)
        # trial number -> (record, direction, {step: best key so far}); a pure memo (records
        # are immutable), so answers never depend on the order of calls.
        self._best: dict[int, tuple[TrialRecord, Direction, dict[int, float]]] = {}

    def __repr__(self) -> str:
        return f"MedianStopping(warmup_steps={self.warmup_steps}, min_peers={self.min_peers})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_best"] = {}
        return state

    def describe(self) -> dict[str, Any]:
        return {
            "name": "MedianStopping",
            "warmup_steps": self.warmup_steps,
            "min_peers": self.min_peers,
        }

    def decide(self, trial: TrialRecord, history: History) -> Decision:
        direction = study_direction(history, "MedianStopping")
        if not trial.intermediate:
            return Decision.CONTINUE
        step = sorted_steps(trial.intermediate)[-1]
        if step < self.warmup_steps:
            return Decision.CONTINUE
        peers = []
        cache = self._best
        for record in history.trials:
            # identity tests: this loop runs over every trial on every report
            if record.state is not _COMPLETE and record.state is not _PRUNED:
                continue
            if record.number == trial.number or step not in record.intermediate:
                continue
            cached = cache.get(record.number)
            if cached is not None and cached[0] is record and cached[1] is direction:
                peers.append(cached[2][step])
            else:
                peers.append(self._best_so_far(record, direction)[step])
        if len(peers) < self.min_peers:
            return Decision.CONTINUE
        own = _best(key(v, direction) for v in trial.intermediate.values())
        median = float(np.median(np.nan_to_num(np.asarray(peers), nan=np.inf)))
        own = math.inf if math.isnan(own) else own
        return Decision.STOP if own > median else Decision.CONTINUE

    def _best_so_far(self, record: TrialRecord, direction: Direction) -> dict[int, float]:
        cached = self._best.get(record.number)
        if cached is not None and cached[0] is record and cached[1] is direction:
            return cached[2]
        out: dict[int, float] = {}
        best = math.nan
        for step in sorted_steps(record.intermediate):
            value = key(record.intermediate[step], direction)
            if math.isnan(best) or value < best:  # False for a NaN value
                best = value
            out[step] = best
        self._best[record.number] = (record, direction, out)
        return out


def _best(keys: Any) -> float:
    """The smallest key, NaN only when every key is NaN."""
    best = math.nan
    for value in keys:
        if math.isnan(best) or value < best:
            best = value
    return best
