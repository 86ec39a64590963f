"""Checks shared by every storage implementation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuningfork._core.errors import StudyNotFoundError
from tuningfork.space import Distribution, dumps_value, loads_value
from tuningfork.space._distributions import _same


def check_study_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a study name must be a non-empty string, got {name!r}")
    if len(name) > 512:
        raise ValueError(f"a study name has at most 512 characters, got {len(name)}")


def unknown_study(name: str, known: list[str]) -> StudyNotFoundError:
    shown = ", ".join(repr(k) for k in known[:20]) or "none"
    return StudyNotFoundError(f"no study named {name!r} in this storage (stored studies: {shown})")


def check_param_value(
    name: str,
    value: Any,
    existing: Mapping[str, Any] | None = None,
    distribution: Distribution | None = None,
) -> None:
    """Values must be storable; a parameter once set keeps its value."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a parameter name must be a non-empty string, got {name!r}")
    try:
        dumps_value(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None
    if existing is not None and name in existing and not _same(existing[name], value):
        raise ValueError(
            f"parameter {name!r} is already {existing[name]!r} in this trial; it cannot become "
            f"{value!r}"
        )
    if distribution is not None and not distribution.contains(value):
        raise ValueError(f"parameter {name!r}: {value!r} is not in {distribution!r}")


def stored_copy(key: object, value: Any) -> Any:
    """``value`` as a storage would give it back: checked to be storable, and a deep copy, so
    that every storage rejects and copies attributes the same way."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"an attribute key must be a non-empty string, got {key!r}")
    try:
        return loads_value(dumps_value(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"attribute {key!r}: {exc}") from None


def stored_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: stored_copy(key, value) for key, value in (attrs or {}).items()}
