"""Helpers shared by the built-in schedulers: direction, NaN-aware ordering, argument checks."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping
from typing import Any

from tuningfork._core.history import History
from tuningfork._core.records import Direction


def study_direction(history: History, scheduler: str) -> Direction:
    """The direction of a single-objective study; a clear error for a multi-objective one."""
    if len(history.directions) != 1:
        names = [d.name.lower() for d in history.directions]
        raise ValueError(
            f"{scheduler} needs a single-objective study (intermediate values are compared in "
            f"one direction), but this study has {len(names)} objectives {names}"
        )
    return history.directions[0]


def key(value: float, direction: Direction) -> float:
    """A sort key where smaller is better; NaN stays NaN (numpy sorts it last)."""
    return value if direction is Direction.MINIMIZE else -value


def sorted_steps(intermediate: Mapping[int, float]) -> list[int]:
    """The reported steps in increasing order (usually already so: reports come in order)."""
    steps = list(intermediate)
    if any(a > b for a, b in itertools.pairwise(steps)):
        steps.sort()
    return steps


def check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an int >= {low}, got {value!r} of type {type(value).__name__}"
        )
    if value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any, *, min_value: float | None = None) -> float:
    expected = "a finite number" + (f" >= {min_value}" if min_value is not None else "")
    return _number(name, value, expected, min_value)


def check_optional_number(name: str, value: Any) -> float | None:
    return None if value is None else _number(name, value, "a finite number or None", None)


def _number(name: str, value: Any, expected: str, min_value: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {expected}, got {value!r} of type {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or (min_value is not None and number < min_value):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return number
