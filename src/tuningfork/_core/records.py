"""Value types shared by every layer.

The integer values of the enums are stored in databases: they never change.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np


class TrialState(enum.IntEnum):
    WAITING = 0
    RUNNING = 1
    COMPLETE = 2
    PRUNED = 3
    FAILED = 4

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)


class Direction(enum.IntEnum):
    MINIMIZE = 0
    MAXIMIZE = 1

    @classmethod
    def parse(cls, value: str | Direction) -> Direction:
        if isinstance(value, Direction):
            return value
        if isinstance(value, str) and value.lower() in ("minimize", "min"):
            return cls.MINIMIZE
        if isinstance(value, str) and value.lower() in ("maximize", "max"):
            return cls.MAXIMIZE
        raise ValueError(
            f"direction {value!r} is not understood; expected 'minimize' or 'maximize'"
        )

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a < b if self is Direction.MINIMIZE else a > b


class Decision(enum.IntEnum):
    CONTINUE = 0
    STOP = 1


class DistributionLike(Protocol):
    """What ``_core`` needs of a distribution (the classes live in ``tuningfork.space``)."""

    def to_unit(self, value: Any) -> float: ...


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    if not mapping:
        return _EMPTY
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class TrialRecord:
    """One trial as stored. Immutable: storages return new records for every change."""

    number: int
    state: TrialState
    seed: int
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    distributions: Mapping[str, DistributionLike] = field(default_factory=lambda: _EMPTY)
    values: tuple[float, ...] | None = None
    intermediate: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    user_attrs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    system_attrs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("params", "distributions", "intermediate", "user_attrs", "system_attrs"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, _frozen(value))

    @property
    def value(self) -> float | None:
        """The single objective value (``None`` unless the trial has exactly one)."""
        if self.values is None or len(self.values) != 1:
            return None
        return self.values[0]

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def error_summary(self) -> str | None:
        """The first line of the recorded error (``"ValueError: ..."``), if any."""
        error = str(self.system_attrs.get("error", "")).strip()
        return error.splitlines()[0] if error else None

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate) if self.intermediate else None

    def evolve(self, **changes: Any) -> TrialRecord:
        return replace(self, **changes)


@dataclass(frozen=True)
class StudyRecord:
    """A study as stored: its identity, directions and seed, and free-form config."""

    name: str
    directions: tuple[Direction, ...]
    seed: int
    config: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    user_attrs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("config", "user_attrs"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, _frozen(value))


def validate_values(raw: Any, n_objectives: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Check an objective's result: ``(values, None)`` if usable, else ``(None, reason)``.

    A usable result is one finite real number per objective (a bare number, a 0-d or 1-element
    array for one objective). Never raises: whatever the objective returned, a bad result gets a
    reason.
    """
    expected = _expected(n_objectives)
    if isinstance(raw, (str, bytes, Mapping)) or raw is None:
        kind = "a dict" if isinstance(raw, Mapping) else repr(raw)
        return None, f"the objective returned {kind}; expected {expected}"
    shape = getattr(raw, "shape", None)
    items: list[Any]
    if shape == ():  # a 0-d numpy array or a numpy scalar
        items = [raw]
    elif isinstance(raw, Sequence) or (shape is not None and hasattr(raw, "__iter__")):
        try:
            items = list(raw)
        except Exception:
            return None, f"the objective returned {raw!r}; expected {expected}"
    else:
        items = [raw]
    if len(items) != n_objectives:
        return None, (
            f"the objective returned {len(items)} value(s) ({_short(raw)}); expected {expected}"
        )
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or getattr(item, "dtype", None) == np.bool_:
            return None, f"the objective returned a bool ({item!r}); expected a number"
        if getattr(item, "shape", ()) != ():  # old numpy converts [[1.0]] to a float silently
            return None, (
                f"the objective returned {_short(raw)}, an array of shape {np.shape(raw)}, which "
                f"is not a usable number; expected {expected}"
            )
        try:
            number = float(item)
        except (TypeError, ValueError, OverflowError) as exc:
            return None, (
                f"the objective returned {_short(item)} of type {type(item).__name__}, which is "
                f"not a usable number ({exc}); expected {expected}"
            )
        if not math.isfinite(number):
            return None, f"the objective returned {number!r}, which is not a finite number"
        out.append(number)
    return tuple(out), None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(n: int) -> str:
    return "a finite number" if n == 1 else f"a sequence of {n} finite numbers"
