"""A detached trial with fixed parameters and seed: re-run one configuration outside a study."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tuningfork._core.rng import check_seed
from tuningfork.space import Distribution
from tuningfork.study._trial import Suggester, _cast


class FixedTrial(Suggester):
    """Looks like a :class:`~tuningfork.Trial` to an objective, but every ``suggest_*`` returns
    the given value and nothing is stored: reports and user attributes stay on this object.

    Used by ``study.rerun`` (reproduce a stored trial), ``study.final_evaluation`` and the
    validation helpers (build the chosen model once more). A parameter the objective suggests
    that is not in ``params`` raises ``ValueError`` naming it.
    """

    def __init__(self, params: Mapping[str, Any], seed: int = 0, number: int = -1) -> None:
        self._params = dict(params)
        self._seed = check_seed(seed)
        self._number = number
        self._suggested: dict[str, Any] = {}
        self._distributions: dict[str, Distribution] = {}
        self.intermediate: dict[int, float] = {}
        self._user_attrs: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"FixedTrial(number={self._number}, seed={self._seed}, params={self._params!r})"

    @property
    def number(self) -> int:
        return self._number

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self._seed)

    @property
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far (all of them before the objective ran)."""
        return dict(self._suggested) if self._suggested else dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    def suggest(self, name: str, distribution: Distribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"parameter {name!r} is suggested by the objective but not fixed in this trial "
                f"(fixed: {sorted(self._params)}); give a value for it"
            )
        value = self._params[name]
        if not distribution.contains(value):
            raise ValueError(
                f"parameter {name!r}: the fixed value {value!r} is not in {distribution!r}"
            )
        value = _cast(distribution, value)
        self._suggested[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, step: int, value: float) -> None:
        self.intermediate.setdefault(int(step), float(value))

    def should_stop(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value
