"""The live trial an objective receives: suggest parameters, report progress, set attributes."""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tuningfork._core.errors import SpaceError
from tuningfork._core.records import Decision, TrialRecord
from tuningfork._core.rng import trial_rng
from tuningfork.samplers._finite import FIXED_ATTR
from tuningfork.space import Categorical, Distribution, Float, Int, bind
from tuningfork.space._distributions import _same

if TYPE_CHECKING:
    from tuningfork.study._study import Study


class Suggester(ABC):
    """``suggest_float``/``suggest_int``/``suggest_categorical`` on top of one ``suggest``."""

    @abstractmethod
    def suggest(self, name: str, distribution: Distribution) -> Any:
        """The value of parameter ``name`` in ``distribution`` for this trial."""

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        dist = _named(name, lambda: Float(low, high, log=log, step=step))
        return float(self.suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        dist = _named(name, lambda: Int(low, high, log=log, step=step))
        return int(self.suggest(name, dist))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        dist = _named(name, lambda: Categorical(choices))
        return self.suggest(name, dist)


class Trial(Suggester):
    """One running evaluation. Parameter values are chosen by the study's sampler (or fixed by
    ``enqueue``) the first time they are suggested, stored at once, and fixed from then on."""

    def __init__(
        self,
        study: Study,
        record: TrialRecord,
        proposal: Mapping[str, Any] | None = None,
        *,
        proposal_is_binding: bool = False,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.study = study
        self._record = record
        # enqueued values, and values already suggested
        self._fixed = {**record.system_attrs.get(FIXED_ATTR, {}), **record.params}
        self._proposal = dict(proposal or {})
        self._binding = proposal_is_binding
        # The generator the joint proposal drew from: define-by-run leftovers continue its
        # stream rather than restart it (which would correlate them with the proposal).
        self._rng = rng

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r})"

    @property
    def number(self) -> int:
        return self._record.number

    @property
    def seed(self) -> int:
        """An int derived from the study seed and the trial number: seed your model with it."""
        return self._record.seed

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = trial_rng(self.study.seed, self.number)
        return self._rng

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._record.params)

    @property
    def fixed_params(self) -> dict[str, Any]:
        """Values enqueued by hand for this trial (taken when the objective suggests them)."""
        return dict(self._record.system_attrs.get(FIXED_ATTR, {}))

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._record.distributions)  # type: ignore[arg-type]

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._record.user_attrs)

    @property
    def intermediate(self) -> dict[int, float]:
        return dict(self._record.intermediate)

    @property
    def record(self) -> TrialRecord:
        """The trial as last stored by this object."""
        return self._record

    # -- suggestions -------------------------------------------------------------------------
    def suggest(self, name: str, distribution: Distribution) -> Any:
        """The value of parameter ``name`` in ``distribution`` for this trial."""
        stored = self._record.distributions.get(name)
        if stored is not None:
            if stored != distribution:
                raise ValueError(
                    f"parameter {name!r} was suggested as {stored!r} in this trial and now as "
                    f"{distribution!r}; one trial must use one distribution per parameter"
                )
            return self._record.params[name]
        if name not in self._fixed:
            # the same warning for the same definition is shown once per process
            bind(name, distribution)
        value = self._choose(name, distribution)
        self._record = self.study._set_param(self.number, name, distribution, value)
        return value

    def _choose(self, name: str, distribution: Distribution) -> Any:
        if name in self._fixed:
            value = self._fixed[name]
            if not distribution.contains(value):
                raise ValueError(
                    f"parameter {name!r}: the enqueued value {value!r} is not in {distribution!r}"
                )
            return _cast(distribution, value)
        if name in self._proposal:
            value = self._proposal[name]
            if distribution.contains(value):
                return _cast(distribution, value)
            if self._binding:
                raise ValueError(
                    f"parameter {name!r}: the sampler's value {value!r} is not in "
                    f"{distribution!r}; make the grid's values fit the suggested range"
                )
        single = distribution.single_value()
        if single is not None:
            return single
        return self.study._propose_one(name, distribution, self.rng)

    # -- progress and attributes ------------------------------------------------------------
    def report(self, step: int, value: float) -> None:
        """Record an intermediate value at ``step`` (a 0-based int; steps need not be
        contiguous). A step reported twice keeps its first value, with a warning."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(f"step must be an int >= 0, got {step!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"report value must be a number, got {value!r}") from None
        if int(step) in self._record.intermediate:
            warnings.warn(
                f"trial {self.number}: step {step} was already reported; the first value "
                f"({self._record.intermediate[int(step)]!r}) is kept",
                UserWarning,
                stacklevel=2,
            )
            return
        if math.isnan(number):
            number = float("nan")
        self._record = self.study._report(self.number, int(step), number)

    def should_stop(self) -> bool:
        """True when the study's scheduler says this trial should stop now."""
        return self.study._decide(self._record) is Decision.STOP

    def set_user_attr(self, key: str, value: Any) -> None:
        self._record = self.study._set_trial_attr(self.number, key, value)


def _named(name: str, make: Any) -> Distribution:
    try:
        dist: Distribution = make()
    except SpaceError as exc:
        raise SpaceError(f"parameter {name!r}: {exc}") from None
    return dist


def _cast(distribution: Distribution, value: Any) -> Any:
    if isinstance(distribution, Float):
        return float(value)
    if isinstance(distribution, Int):
        return int(value)
    if isinstance(distribution, Categorical):
        for choice in distribution.choices:
            if _same(choice, value):
                return choice
    return value
