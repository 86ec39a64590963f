"""One parameter's domain: Float, Int, Categorical.

Distributions are immutable values, validated on creation. Each maps its values to and from the
unit interval ``[0, 1]`` (samplers work there): linear or logarithmic for numbers, and bins of
equal width for every finite set of points (stepped numbers, ints, categories), so that a uniform
draw in ``[0, 1]`` is a uniform draw over the points.

Errors raised here describe the distribution; :mod:`tuningfork.space._space` and ``suggest_*``
add the parameter's name.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tuningfork._core.errors import SpaceError

_MAX_POINTS_FOR_ENUMERATION = 10_000_000


class Distribution(ABC):
    """Base class of every parameter domain."""

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """True when ``value`` is a point of this domain (of the right type)."""

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """Map a value of this domain into ``[0, 1]``."""

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """Map ``u`` in ``[0, 1]`` to a value of this domain (clipped at the ends)."""

    @property
    @abstractmethod
    def n_points(self) -> int | None:
        """How many distinct values there are; ``None`` for a continuous range."""

    def points(self) -> list[Any]:
        """Every value of a finite domain, in increasing unit-cube order."""
        n = self.n_points
        if n is None:
            raise SpaceError(f"{self!r} is continuous: it has no finite list of points")
        return [self.point(i) for i in range(n)]

    def point(self, index: int) -> Any:
        """The ``index``-th value of a finite domain."""
        n = self.n_points
        if n is None:
            raise SpaceError(f"{self!r} is continuous: it has no finite list of points")
        return self.from_unit((index + 0.5) / n)

    def warnings(self) -> list[str]:
        """Non-fatal remarks on the definition (shown once the parameter is named)."""
        return []

    def single_value(self) -> Any | None:
        """The only value of a zero-width domain, else ``None``."""
        return None


def _check_number(value: Any, what: str, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:  # numpy scalars
            import numpy as np

            if isinstance(value, np.integer | np.floating):
                return
        except ImportError:  # pragma: no cover
            pass
        raise SpaceError(f"{kind}: {what}={value!r} is not a number; expected an int or float")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpaceError(f"{kind}: {what}={value!r} is not finite; expected a finite number")


def _clip01(u: float) -> float:
    if not u >= 0.0:  # also catches NaN
        return 0.0
    return min(u, 1.0)


class _Range(Distribution):
    """Shared by Float and Int: a numeric range ``[low, high]`` whose largest value is
    ``upper`` (``high`` unless a step falls short of it)."""

    low: Any
    high: Any
    step: Any

    @property
    @abstractmethod
    def upper(self) -> Any: ...

    def warnings(self) -> list[str]:
        if self.upper != self.high:
            return [
                f"high={self.high!r} is not low + k * step (step={self.step!r}); "
                f"the largest value will be {self.upper!r}"
            ]
        return []

    def single_value(self) -> Any | None:
        return self.low if self.low == self.high else None


@dataclass(frozen=True)
class Float(_Range):
    """A real number in ``[low, high]``, on a linear or log scale, optionally on a step grid.

    With ``step``, the values are ``low, low + step, ...`` up to the largest one not above
    ``high`` (computed in decimal, so ``Float(0.8, 1.0, step=0.1)`` is exactly
    ``{0.8, 0.9, 1.0}``). ``low == high`` is valid and always gives that value.
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        kind = repr(self)
        _check_number(self.low, "low", kind)
        _check_number(self.high, "high", kind)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if not isinstance(self.log, bool):
            raise SpaceError(f"{kind}: log={self.log!r} must be True or False")
        if self.low > self.high:
            raise SpaceError(
                f"{kind}: low={self.low!r} is greater than high={self.high!r}; expected low <= high"
            )
        if self.log and self.low <= 0:
            raise SpaceError(
                f"{kind}: log=True needs low > 0, got low={self.low!r}; "
                "use a positive lower bound or log=False"
            )
        if self.step is not None:
            _check_number(self.step, "step", kind)
            object.__setattr__(self, "step", float(self.step))
            if self.step <= 0:
                raise SpaceError(f"{kind}: step={self.step!r} must be > 0")
            if self.log:
                raise SpaceError(f"{kind}: step and log=True cannot be combined; drop one")

    def __repr__(self) -> str:
        extra = (", log=True" if self.log else "") + (
            f", step={self.step!r}" if self.step is not None else ""
        )
        return f"Float({self.low!r}, {self.high!r}{extra})"

    # Decimal arithmetic keeps 0.8 + 1 * 0.1 == 0.9 exactly.
    def _dec(self) -> tuple[Decimal, Decimal, Decimal]:
        assert self.step is not None
        return Decimal(repr(self.low)), Decimal(repr(self.high)), Decimal(repr(self.step))

    @property
    def n_points(self) -> int | None:
        if self.low == self.high:
            return 1
        if self.step is None:
            return None
        low, high, step = self._dec()
        return int((high - low) // step) + 1

    @property
    def upper(self) -> float:
        """The largest value this domain yields (``high`` unless a step falls short of it)."""
        if self.step is None or self.low == self.high:
            return self.high
        return self.point_exact(self.n_points - 1)  # type: ignore[operator]

    def point_exact(self, index: int) -> float:
        low, _, step = self._dec()
        return float(low + index * step)

    def point(self, index: int) -> Any:
        if self.low == self.high:
            return self.low
        if self.step is None:
            return super().point(index)
        return self.point_exact(index)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        value = float(value)
        if not self.low <= value <= self.high:
            return False
        if self.step is not None and self.low != self.high:
            low, _, step = self._dec()
            k = (Decimal(repr(value)) - low) / step
            return abs(k - k.to_integral_value()) < Decimal("1e-9")
        return True

    def to_unit(self, value: Any) -> float:
        x = float(value)
        if self.low == self.high:
            return 0.5
        if self.step is not None:
            n = self.n_points
            assert n is not None
            index = round((x - self.low) / self.step)
            return (min(max(index, 0), n - 1) + 0.5) / n
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        # halving is exact, so this equals (x - low) / (high - low) but cannot overflow
        return (x / 2 - self.low / 2) / (self.high / 2 - self.low / 2)

    def from_unit(self, u: float) -> float:
        u = _clip01(float(u))
        if self.low == self.high:
            return self.low
        if self.step is not None:
            n = self.n_points
            assert n is not None
            return self.point_exact(min(int(u * n), n - 1))
        if u == 0.0:  # exp(log(low)) need not be low again
            return self.low
        if u == 1.0:
            return self.high
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            # (1 - u) * low + u * high cannot overflow where high - low would (huge ranges)
            x = (1.0 - u) * self.low + u * self.high
        return min(max(x, self.low), self.high)


@dataclass(frozen=True)
class Int(_Range):
    """An integer in ``[low, high]``, linear (with ``step``) or on a log scale."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        kind = repr(self)
        for what in ("low", "high", "step"):
            value = getattr(self, what)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            try:
                import numpy as np

                if isinstance(value, np.integer):
                    value = int(value)
            except ImportError:  # pragma: no cover
                pass
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpaceError(f"{kind}: {what}={value!r} is not an integer")
            object.__setattr__(self, what, value)
        if not isinstance(self.log, bool):
            raise SpaceError(f"{kind}: log={self.log!r} must be True or False")
        if self.low > self.high:
            raise SpaceError(
                f"{kind}: low={self.low!r} is greater than high={self.high!r}; expected low <= high"
            )
        if self.step < 1:
            raise SpaceError(f"{kind}: step={self.step!r} must be a positive integer")
        if self.log and self.low < 1:
            raise SpaceError(
                f"{kind}: log=True needs low >= 1, got low={self.low!r}; "
                "use a positive lower bound or log=False"
            )
        if self.log and self.step != 1:
            raise SpaceError(f"{kind}: step={self.step!r} and log=True cannot be combined")

    def __repr__(self) -> str:
        extra = (", log=True" if self.log else "") + (
            f", step={self.step!r}" if self.step != 1 else ""
        )
        return f"Int({self.low!r}, {self.high!r}{extra})"

    @property
    def n_points(self) -> int:
        return (self.high - self.low) // self.step + 1

    @property
    def upper(self) -> int:
        return self.low + (self.n_points - 1) * self.step

    def point(self, index: int) -> int:
        return self.low + index * self.step

    def points(self) -> list[Any]:
        if self.log:
            return list(range(self.low, self.high + 1))
        return list(range(self.low, self.upper + 1, self.step))

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                import numpy as np

                if not isinstance(value, np.integer):
                    return False
            except ImportError:  # pragma: no cover
                return False
        return bool(self.low <= value <= self.high and (value - self.low) % self.step == 0)

    def to_unit(self, value: Any) -> float:
        x = int(value)
        if self.low == self.high:
            return 0.5
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(x) - lo) / (hi - lo)
        n = self.n_points
        index = (x - self.low) // self.step
        return (min(max(index, 0), n - 1) + 0.5) / n

    def from_unit(self, u: float) -> int:
        u = _clip01(float(u))
        if self.low == self.high:
            return self.low
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            value = round(math.exp(lo + u * (hi - lo)))
            return int(min(max(value, self.low), self.high))
        n = self.n_points
        return self.low + min(int(u * n), n - 1) * self.step


def _same(a: Any, b: Any) -> bool:
    """Equality that tells ``1``, ``1.0`` and ``True`` apart, also inside tuples and lists."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _typed_key(value: Any) -> Hashable:
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_typed_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _typed_key(v)) for k, v in value.items())))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


_JSONABLE_SCALARS = (type(None), bool, int, float, str)


def _check_choice(value: Any, kind: str) -> None:
    if isinstance(value, _JSONABLE_SCALARS):
        return
    if isinstance(value, (tuple, list)):
        for item in value:
            _check_choice(item, kind)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpaceError(f"{kind}: dict choice keys must be str, got {key!r}")
            _check_choice(item, kind)
        return
    raise SpaceError(
        f"{kind}: choice {value!r} of type {type(value).__name__} cannot be stored; expected "
        "None, bool, int, float, str, or tuples/lists/dicts of those"
    )


@dataclass(frozen=True)
class Categorical(Distribution):
    """One of a fixed list of choices: ``None``, bool, int, float, str, or tuples, lists and
    dicts of those. Choices are told apart by type as well as value, so
    ``[None, True, 1, 1.0, "1", (2, 3)]`` are six distinct choices and keep their types."""

    choices: tuple[Any, ...]
    _keys: dict[Hashable, int] = field(init=False, repr=False, compare=False, hash=False)

    def __init__(self, choices: Sequence[Any]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise SpaceError(f"Categorical: choices={choices!r} must be a list or tuple of choices")
        choices = tuple(choices)
        kind = f"Categorical({list(choices)!r})"
        if not choices:
            raise SpaceError(f"{kind}: choices are empty; give at least one choice")
        keys: dict[Hashable, int] = {}
        for i, choice in enumerate(choices):
            _check_choice(choice, kind)
            key = _typed_key(choice)
            if key in keys:
                raise SpaceError(
                    f"{kind}: choice {choice!r} appears twice; choices must be distinct"
                )
            keys[key] = i
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "_keys", keys)

    def __repr__(self) -> str:
        return f"Categorical({list(self.choices)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Categorical):
            return NotImplemented
        return len(self.choices) == len(other.choices) and all(
            _same(a, b) for a, b in zip(self.choices, other.choices, strict=False)
        )

    def __hash__(self) -> int:
        return hash(tuple(self._keys))

    @property
    def n_points(self) -> int:
        return len(self.choices)

    def index(self, value: Any) -> int:
        try:
            return self._keys[_typed_key(value)]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not one of {list(self.choices)!r}") from None

    def single_value(self) -> Any | None:
        return self.choices[0] if len(self.choices) == 1 else None

    def point(self, index: int) -> Any:
        return self.choices[index]

    def points(self) -> list[Any]:
        return list(self.choices)

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        n = len(self.choices)
        return self.choices[min(int(_clip01(float(u)) * n), n - 1)]


def check_points_enumerable(n: int, what: str) -> None:
    if n > _MAX_POINTS_FOR_ENUMERATION:
        raise SpaceError(
            f"{what} has {n} points; at most {_MAX_POINTS_FOR_ENUMERATION} can be listed"
        )
