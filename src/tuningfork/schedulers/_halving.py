"""Successive halving (Jamieson & Talwalkar 2016) and ASHA (Li et al. 2020), as stopping rules.

A trial *reaches* rung ``k`` when it reports at a step ``>= rungs[k]``; its value at the rung
is the one reported at the first such step. At a rung, a trial goes on only if it is in the top
``1/eta`` (rounded up, so a rung never keeps nobody) of the trials of its group (every trial;
for Hyperband, its bracket) that reached the rung, itself included: with ``b`` of the other
``n - 1`` strictly better, it goes on iff ``b * eta < n``. Ties do not count against a trial;
NaN ranks after every number, and a trial whose value at a rung is NaN is never promoted. A
trial that reached the last rung (``max_resource``) is never stopped. Peers are every trial
with reports, whatever its state (running, complete, pruned, failed): each one did reach the
rung with that value.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from tuningfork._core.history import History
from tuningfork._core.records import Decision, Direction, TrialRecord
from tuningfork.schedulers._base import Scheduler
from tuningfork.schedulers._common import check_int, key, sorted_steps, study_direction
from tuningfork.schedulers._rungs import RungSchedule, check_resources

# (group, rung index) -> (sorted keys, trial number -> key)
_Tables = dict[tuple[int, int], tuple[np.ndarray, dict[int, float]]]


class _RungScheduler(Scheduler):
    """Shared machinery: per-trial rung values and per-snapshot sorted rung tables.

    Two memo caches make a decision cost O(trials x rungs) plus O(steps) for the trial that
    reports, instead of O(trials x steps): the rung values of each TrialRecord (records are
    immutable, so an entry is valid while the History holds the same record object), and the
    sorted tables of the last History seen. They are pure memos: every answer is a function
    of ``(trial, history)`` alone, whatever the order of calls. Dict reads and writes and the
    single-reference swap of ``_tables`` are atomic, so concurrent threads at worst compute an
    entry twice.
    """

    #: ASHA checks a rung once, at the report that reaches it; successive halving re-checks it
    #: at every report until the trial reaches the next rung.
    _revocable = False

    def __init__(self, min_resource: int, max_resource: int, reduction_factor: int = 3) -> None:
        r = check_int("min_resource", min_resource, 1)
        big_r = check_int("max_resource", max_resource, 1)
        eta = check_int("reduction_factor", reduction_factor, 2)
        check_resources(r, big_r, eta)
        self._schedule = RungSchedule(r, big_r, eta)
        self._values: dict[int, tuple[TrialRecord, tuple[float | None, ...]]] = {}
        self._tables: tuple[History, Direction, _Tables] | None = None

    # -- public ------------------------------------------------------------------------------
    @property
    def min_resource(self) -> int:
        return self._schedule.min_resource

    @property
    def max_resource(self) -> int:
        return self._schedule.max_resource

    @property
    def reduction_factor(self) -> int:
        return self._schedule.reduction_factor

    @property
    def rungs(self) -> tuple[int, ...]:
        """The rung resources (steps), the last one ``max_resource``."""
        return self._schedule.rungs

    def describe(self) -> dict[str, Any]:
        return {
            "name": type(self).__name__,
            "min_resource": self.min_resource,
            "max_resource": self.max_resource,
            "reduction_factor": self.reduction_factor,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_resource={self.min_resource}, "
            f"max_resource={self.max_resource}, reduction_factor={self.reduction_factor})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_values"], state["_tables"] = {}, None  # memos: rebuilt on demand
        return state

    def decide(self, trial: TrialRecord, history: History) -> Decision:
        direction = study_direction(history, type(self).__name__)
        if not trial.intermediate:
            return Decision.CONTINUE
        steps = sorted_steps(trial.intermediate)
        rungs = self._schedule.rungs
        k = self._schedule.rung_of(steps[-1])
        group = self._group(trial.number)
        if k < self._first_rung(group) or k >= len(rungs) - 1:
            return Decision.CONTINUE
        reached_at = steps[bisect.bisect_left(steps, rungs[k])]
        if not self._revocable and reached_at != steps[-1]:
            return Decision.CONTINUE  # the rung was decided at the report that reached it
        own = key(trial.intermediate[reached_at], direction)
        if math.isnan(own):
            return Decision.STOP  # a NaN at a rung is never promoted, even alone or among NaNs
        keys, members = self._rung_tables(history, direction).get((group, k), _EMPTY_TABLE)
        better = int(np.searchsorted(keys, own, side="left"))  # NaN keys sort last
        n = len(keys) + 1
        stale = members.get(trial.number)
        if stale is not None:  # the history's (possibly older) copy of this trial
            n -= 1
            if _strictly_better(stale, own):
                better -= 1
        if better * self.reduction_factor < n:
            return Decision.CONTINUE
        return Decision.STOP

    # -- group hooks (Hyperband overrides) -----------------------------------------------------
    def _group(self, number: int) -> int:
        return 0

    def _first_rung(self, group: int) -> int:
        return 0

    # -- memos -------------------------------------------------------------------------------
    def _rung_values(self, record: TrialRecord) -> tuple[float | None, ...]:
        """The value at each rung but the last (``None`` once a rung is not reached)."""
        cached = self._values.get(record.number)
        if cached is not None and cached[0] is record:
            return cached[1]
        steps = sorted_steps(record.intermediate)
        values: list[float | None] = []
        for rung in self._schedule.rungs[:-1]:
            i = bisect.bisect_left(steps, rung)
            values.append(record.intermediate[steps[i]] if i < len(steps) else None)
        out = tuple(values)
        self._values[record.number] = (record, out)
        return out

    def _rung_tables(self, history: History, direction: Direction) -> _Tables:
        cached = self._tables
        if cached is not None and cached[0] is history and cached[1] is direction:
            return cached[2]
        collected: dict[tuple[int, int], tuple[list[float], dict[int, float]]] = {}
        for record in history.trials:
            if not record.intermediate:
                continue
            values = self._rung_values(record)
            group = self._group(record.number)
            for k in range(self._first_rung(group), len(values)):
                value = values[k]
                if value is None:
                    break
                keys, members = collected.setdefault((group, k), ([], {}))
                keys.append(key(value, direction))
                members[record.number] = keys[-1]
        tables: _Tables = {
            slot: (np.sort(np.asarray(keys, dtype=float)), members)
            for slot, (keys, members) in collected.items()
        }
        self._tables = (history, direction, tables)  # holding history keeps its id unique
        return tables


_EMPTY_TABLE: tuple[np.ndarray, dict[int, float]] = (np.empty(0), {})


def _strictly_better(a: float, b: float) -> bool:
    """``a`` ranks before ``b`` (keys: smaller is better, NaN last)."""
    return not math.isnan(a) and (math.isnan(b) or a < b)


class SuccessiveHalving(_RungScheduler):
    """Successive halving as a stopping rule (Jamieson & Talwalkar 2016).

    Rungs ``min_resource * reduction_factor**i`` up to ``max_resource`` (see
    :mod:`tuningfork.schedulers._rungs`). Between rung ``k`` and rung ``k + 1``, a trial must
    stay in the top ``1/reduction_factor`` of *all* the trials that reached rung ``k``,
    including those that reach it after it did: this is the outcome of synchronous successive
    halving, where a rung keeps its best ``n / eta``. Unlike :class:`ASHA`, a trial that went on
    from a rung can still be stopped there when better trials arrive, until it reaches the
    next rung. Run sequentially (one trial at a time) the two rules agree.
    """

    _revocable = True


class ASHA(_RungScheduler):
    """Asynchronous successive halving (Li et al. 2020), as a stopping rule.

    When a trial reaches a rung (its first report at a step ``>= rung``), it goes on only if
    it is in the top ``1/reduction_factor`` of the trials that reached that rung so far; the
    decision is not revisited. Call ``trial.should_stop()`` after every report: a rung whose
    reaching report was not followed by a check is skipped (the trial goes on to the next).
    A trial that reached ``max_resource`` is never stopped.
    """
