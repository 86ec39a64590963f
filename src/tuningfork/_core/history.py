"""An immutable snapshot of a study's trials, as samplers, schedulers and analysis see it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any, NamedTuple, Protocol

import numpy as np

from tuningfork._core.records import Direction, TrialRecord, TrialState


class UnitSpace(Protocol):
    """What :meth:`History.matrix` needs of a search space."""

    def names(self) -> Sequence[str]: ...

    def to_unit_row(self, params: Any) -> Sequence[float] | None: ...


class _Lineage:
    """Shared by a snapshot and those extended from it in turn; ``tip`` is the newest version."""

    __slots__ = ("lock", "tip")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tip = 0


class HistoryMark(NamedTuple):
    """Names one snapshot for :meth:`History.changed_since` (see :meth:`History.mark`)."""

    lineage: object
    version: int


class History:
    """Trials of one study at one change sequence number ``seq``.

    Never mutated: :meth:`extend` returns a new History that shares the unchanged records.
    Derived views (``completed``, ``matrix``) are computed once per snapshot.
    """

    __slots__ = ("__dict__", "_matrix_cache", "directions", "seq", "trials")

    def __init__(
        self, directions: Sequence[Direction], trials: Iterable[TrialRecord] = (), seq: int = 0
    ) -> None:
        ordered = sorted(trials, key=lambda t: t.number)
        # object.__setattr__: __setattr__ below refuses every assignment after construction.
        object.__setattr__(self, "directions", tuple(directions))
        object.__setattr__(self, "trials", tuple(ordered))
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "_matrix_cache", {})

    directions: tuple[Direction, ...]
    trials: tuple[TrialRecord, ...]
    seq: int
    _matrix_cache: dict[int, tuple[UnitSpace, np.ndarray, np.ndarray]]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"History is an immutable snapshot; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"History is an immutable snapshot; cannot delete {name!r}")

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
        child = History(self.directions, by_number.values(), seq)
        self._link(child, changed)
        return child

    # -- incremental reading (samplers keep arrays up to date without rescanning) -----------
    # A snapshot's private __dict__ entries "_lineage", "_version" and "_changed_at" (trial
    # number -> version that last replaced it, -1 if absent) are written once, before the
    # snapshot is handed out, like the cached properties.
    def _get_lineage(self) -> _Lineage:
        lineage: _Lineage = self.__dict__.setdefault("_lineage", _Lineage())
        return lineage

    def _link(self, child: History, changed: Sequence[TrialRecord]) -> None:
        lineage = self._get_lineage()
        with lineage.lock:
            version = self.__dict__.get("_version", 0)
            if lineage.tip != version:  # extended twice: the second child starts a new lineage
                return
            lineage.tip = version + 1
        parent_at: np.ndarray | None = self.__dict__.get("_changed_at")
        size = max(
            len(parent_at) if parent_at is not None else 0,
            child.trials[-1].number + 1 if child.trials else 0,
        )
        changed_at = np.full(size, -1, dtype=np.int64)
        if parent_at is None:  # the root snapshot: its trials are all at version 0
            changed_at[[t.number for t in self.trials]] = 0
        else:
            changed_at[: len(parent_at)] = parent_at
        for record in changed:
            changed_at[record.number] = version + 1
        child.__dict__.update(_lineage=lineage, _version=version + 1, _changed_at=changed_at)

    def mark(self) -> HistoryMark:
        """A token for this snapshot, to ask a later one what changed since (cheap)."""
        return HistoryMark(self._get_lineage(), self.__dict__.get("_version", 0))

    def changed_since(self, mark: HistoryMark) -> list[TrialRecord] | None:
        """The records of this snapshot that are new or replaced since the snapshot ``mark``
        names, in number order, in time proportional to their count; ``None`` when that
        snapshot is not one this one was extended from (then compare ``trials`` instead)."""
        version = self.__dict__.get("_version", 0)
        if mark.lineage is not self.__dict__.get("_lineage") or mark.version > version:
            return None
        if mark.version == version:
            return []
        numbers = np.flatnonzero(self.__dict__["_changed_at"] > mark.version).tolist()
        trials = self.trials
        return [
            trials[n] if n < len(trials) and trials[n].number == n else self._by_number[n]
            for n in numbers
        ]

    @cached_property
    def _by_number(self) -> dict[int, TrialRecord]:
        return {t.number: t for t in self.trials}

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
