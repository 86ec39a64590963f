"""SearchSpace: an ordered, possibly conditional, mapping of parameter names to distributions."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuningfork._core.errors import SpaceError
from tuningfork.space._distributions import Categorical, Distribution, _same


@dataclass(frozen=True)
class Conditional:
    """A parameter that exists only when its parents take given values.

    ``Conditional(Float(1e-3, 1e3, log=True), when={"model": "svm"})``: present only when
    ``model == "svm"``. A parent's value may be a list of accepted values
    (``when={"model": ["svm", "lr"]}``); several parents must all match. Parents must come
    earlier in the space.
    """

    distribution: Distribution
    when: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.distribution, Distribution):
            raise SpaceError(
                f"Conditional: {self.distribution!r} is not a distribution "
                "(Float, Int or Categorical)"
            )
        if not isinstance(self.when, Mapping) or not self.when:
            raise SpaceError(f"Conditional: when={self.when!r} must be a non-empty dict")
        normalized = {
            parent: tuple(v) if isinstance(v, list) else (v,) for parent, v in self.when.items()
        }
        object.__setattr__(self, "when", normalized)

    def active(self, params: Mapping[str, Any]) -> bool:
        for parent, accepted in self.when.items():
            if parent not in params:
                return False
            if not any(_same(params[parent], a) for a in accepted):
                return False
        return True


def bind(name: str, distribution: Any) -> Distribution:
    """Check a distribution for a named parameter, warning about adjusted bounds."""
    if not isinstance(name, str) or not name:
        raise SpaceError(f"parameter name {name!r} must be a non-empty string")
    if not isinstance(distribution, Distribution):
        raise SpaceError(
            f"parameter {name!r}: {distribution!r} is not a distribution; expected "
            "tuningfork.Float, Int, Categorical or Conditional"
        )
    for message in distribution.warnings():
        warnings.warn(f"parameter {name!r}: {message}", UserWarning, stacklevel=3)
    return distribution


class SearchSpace(Mapping[str, Distribution]):
    """Parameters in a fixed order; some may be conditional on earlier ones.

    ``SearchSpace({"lr": Float(1e-5, 1e-1, log=True), "kernel": Categorical(["rbf", "poly"]),
    "degree": Conditional(Int(2, 5), when={"kernel": "poly"})})``
    """

    def __init__(self, params: Mapping[str, Distribution | Conditional] | None = None) -> None:
        if params is None:
            params = {}
        if isinstance(params, SearchSpace):
            self._dists: dict[str, Distribution] = dict(params._dists)
            self._conditions: dict[str, Conditional] = dict(params._conditions)
            return
        if not isinstance(params, Mapping):
            raise SpaceError(
                "a search space must be a dict of name -> distribution, "
                f"got {type(params).__name__}"
            )
        self._dists = {}
        self._conditions = {}
        for name, item in params.items():
            if isinstance(item, Conditional):
                for parent in item.when:
                    if parent not in self._dists:
                        raise SpaceError(
                            f"parameter {name!r} is conditional on {parent!r}, which is not "
                            "defined before it; list parents before their children"
                        )
                    parent_dist = self._dists[parent]
                    for value in item.when[parent]:
                        if not parent_dist.contains(value):
                            raise SpaceError(
                                f"parameter {name!r}: condition {parent}={value!r} can never "
                                f"hold, since {parent!r} is {parent_dist!r}"
                            )
                self._conditions[name] = item
                self._dists[name] = bind(name, item.distribution)
            else:
                self._dists[name] = bind(name, item)

    # Mapping protocol -------------------------------------------------------------------
    def __getitem__(self, name: str) -> Distribution:
        return self._dists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dists)

    def __len__(self) -> int:
        return len(self._dists)

    def __repr__(self) -> str:
        items = ", ".join(
            f"{n!r}: {self._conditions[n]!r}" if n in self._conditions else f"{n!r}: {d!r}"
            for n, d in self._dists.items()
        )
        return f"SearchSpace({{{items}}})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SearchSpace):
            return NotImplemented
        return list(self._dists.items()) == list(other._dists.items()) and (
            self._conditions == other._conditions
        )

    def __hash__(self) -> int:
        return hash(tuple(self._dists.items()))

    # Queries ----------------------------------------------------------------------------
    def names(self) -> Sequence[str]:
        return list(self._dists)

    def condition(self, name: str) -> Conditional | None:
        return self._conditions.get(name)

    @property
    def is_conditional(self) -> bool:
        return bool(self._conditions)

    def items_with_conditions(self) -> Iterator[tuple[str, Distribution | Conditional]]:
        for name, dist in self._dists.items():
            yield name, self._conditions.get(name, dist)

    def active_names(self, params: Mapping[str, Any]) -> list[str]:
        """The parameters that exist given the (partial) values of their parents."""
        return [
            n
            for n in self._dists
            if n not in self._conditions or self._conditions[n].active(params)
        ]

    @property
    def n_points(self) -> int | None:
        """The number of distinct configurations, or ``None`` when a parameter is continuous."""
        if self._conditions:
            return self._count_conditional()
        total = 1
        for dist in self._dists.values():
            n = dist.n_points
            if n is None:
                return None
            total *= n
        return total

    def _count_conditional(self) -> int | None:
        # Enumerate active configurations (finite conditional spaces are small in practice).
        if any(dist.n_points is None for dist in self._dists.values()):
            return None
        count = 0
        for _ in self.iter_points():
            count += 1
        return count

    def iter_points(self) -> Iterator[dict[str, Any]]:
        """Every configuration of a finite space, each exactly once (conditions respected)."""
        names = list(self._dists)
        if any(self._dists[n].n_points is None for n in names):
            raise SpaceError(f"{self!r} has a continuous parameter; its points cannot be listed")

        def rec(i: int, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
            if i == len(names):
                yield dict(params)
                return
            name = names[i]
            cond = self._conditions.get(name)
            if cond is not None and not cond.active(params):
                yield from rec(i + 1, params)
                return
            for value in self._dists[name].points():
                params[name] = value
                yield from rec(i + 1, params)
                del params[name]

        yield from rec(0, {})

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check a full configuration (e.g. one enqueued by hand); return it in space order."""
        out: dict[str, Any] = {}
        for name in self.active_names(params):
            if name not in params:
                raise ValueError(f"parameter {name!r} is missing; the space expects {self!r}")
            value = params[name]
            if not self._dists[name].contains(value):
                raise ValueError(f"parameter {name!r}: {value!r} is not in {self._dists[name]!r}")
            out[name] = value
        extra = set(params) - set(out)
        if extra:
            raise ValueError(
                f"parameters {sorted(extra)} are not in the space (or inactive); "
                f"the space is {self!r}"
            )
        return out

    def suggest_all(
        self, suggest: Callable[[str, Distribution], Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """Ask ``suggest(name, distribution)`` for every active parameter, parents first.

        Returns the values and the names of the inactive conditional parameters.
        """
        params: dict[str, Any] = {}
        inactive: list[str] = []
        for name, dist in self._dists.items():
            condition = self._conditions.get(name)
            if condition is not None and not condition.active(params):
                inactive.append(name)
                continue
            params[name] = suggest(name, dist)
        return params, inactive

    def to_unit_row(self, params: Mapping[str, Any]) -> list[float] | None:
        """The unit-cube row of a configuration, or ``None`` if it lacks a parameter or holds a
        value outside its distribution. Inactive conditional parameters are NaN."""
        row = []
        for name, dist in self._dists.items():
            if name not in params:
                cond = self._conditions.get(name)
                if cond is not None and not cond.active(params):
                    row.append(float("nan"))
                    continue
                return None
            try:
                row.append(dist.to_unit(params[name]))
            except (ValueError, TypeError):
                return None
        return row

    def from_unit_row(self, row: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """A configuration from a unit-cube row; inactive conditional parameters are dropped."""
        params: dict[str, Any] = {}
        for (name, dist), u in zip(self._dists.items(), row, strict=False):
            cond = self._conditions.get(name)
            if cond is not None and not cond.active(params):
                continue
            params[name] = dist.from_unit(u)
        return params

    @property
    def is_categorical_only(self) -> bool:
        return all(isinstance(d, Categorical) for d in self._dists.values())
