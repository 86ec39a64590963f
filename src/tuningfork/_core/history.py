"""An immutable snapshot of a study's trials, as samplers, schedulers and analysis see it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from tuningfork._core.records import Direction, TrialRecord, TrialState


class UnitSpace(Protocol):
    """What :meth:`History.matrix` needs of a search space."""

    def names(self) -> Sequence[str]: ...

    def to_unit_row(self, params: Any) -> Sequence[float] | None: ...


class History:
    """Trials of one study at one change sequence number ``seq``.

    Never mutated: :meth:`extend` returns a new History that shares the unchanged records.
    Derived views (``completed``, ``matrix``) are computed once per snapshot.
    """

    __slots__ = ("__dict__", "_matrix_cache", "directions", "seq", "trials")

    def __init__(
        self, directions: Sequence[Direction], trials: Iterable[TrialRecord] = (), seq: int = 0
    ) -> None:
        self.directions = tuple(directions)
        ordered = sorted(trials, key=lambda t: t.number)
        self.trials: tuple[TrialRecord, ...] = tuple(ordered)
        self.seq = seq
        self._matrix_cache: dict[int, tuple[UnitSpace, np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.trials)

    def __repr__(self) -> str:
        return f"History(n_trials={len(self.trials)}, seq={self.seq})"

    def extend(self, seq: int, changed: Iterable[TrialRecord]) -> History:
        """A new snapshot with ``changed`` records replacing or adding to these."""
        changed = list(changed)
        if not changed and seq == self.seq:
            return self
        by_number = {t.number: t for t in self.trials}
        for record in changed:
            by_number[record.number] = record
        return History(self.directions, by_number.values(), seq)

    def trial(self, number: int) -> TrialRecord:
        if 0 <= number < len(self.trials) and self.trials[number].number == number:
            return self.trials[number]
        for record in self.trials:
            if record.number == number:
                return record
        raise KeyError(f"trial {number} is not in this history")

    def with_state(self, *states: TrialState) -> tuple[TrialRecord, ...]:
        return tuple(t for t in self.trials if t.state in states)

    @cached_property
    def _completed(self) -> tuple[TrialRecord, ...]:
        return self.with_state(TrialState.COMPLETE)

    def completed(self) -> Sequence[TrialRecord]:
        return self._completed

    def running(self) -> Sequence[TrialRecord]:
        return self.with_state(TrialState.RUNNING)

    def matrix(self, space: UnitSpace) -> tuple[np.ndarray, np.ndarray]:
        """Completed trials that have every parameter of ``space``: unit-cube X, values y.

        ``y`` has one column per objective, in the study's directions (not sign-flipped).
        """
        key = id(space)
        cached = self._matrix_cache.get(key)
        if cached is not None and cached[0] is space:
            return cached[1], cached[2]
        rows, ys = [], []
        for record in self._completed:
            row = space.to_unit_row(record.params)
            if row is None or record.values is None:
                continue
            rows.append(row)
            ys.append(record.values)
        d = len(space.names())
        x = np.asarray(rows, dtype=float).reshape(len(rows), d)
        y = np.asarray(ys, dtype=float).reshape(len(ys), len(self.directions))
        self._matrix_cache[key] = (space, x, y)  # holding space keeps its id from being reused
        return x, y
