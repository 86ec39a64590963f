"""The sampler contract: read a History, return parameter values, never write.

A sampler decides *which* configuration to try next; the study claims trials, stores values and
runs objectives. Two ways to propose:

* :meth:`Sampler.propose` — a joint proposal for a known space, from the history and the trial's
  own generator (random, model-based samplers);
* :meth:`Sampler.sequence` — samplers that walk a fixed list of points (grid, Sobol) return that
  list; the study then claims indices from an atomic counter in the storage, so every point is
  taken exactly once however many workers there are.

Parameters asked for define-by-run that the joint proposal does not cover are drawn with
:meth:`Sampler.propose_one`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, overload

import numpy as np

from tuningfork._core.history import History
from tuningfork.space import Distribution, SearchSpace


class Sampler(ABC):
    """Base class of every sampler. Instances may be shared by threads: keep them stateless,
    or guard state that depends only on the history."""

    @abstractmethod
    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        """Values for the active parameters of ``space``, given the history.

        Raise :class:`~tuningfork.SearchSpaceExhausted` only if :meth:`remaining` said 0.
        """

    def propose_one(
        self, name: str, distribution: Distribution, history: History, rng: np.random.Generator
    ) -> Any:
        """A value for one parameter that the joint proposal did not cover (uniform by default)."""
        return distribution.from_unit(rng.random())

    def sequence(self, space: SearchSpace, seed: int) -> Sequence[dict[str, Any]] | None:
        """The fixed list of configurations this sampler walks, or ``None`` (the default)."""
        return None

    def fixed_space(self) -> SearchSpace | None:
        """The space this sampler is bound to, if any (a grid's); a study without a declared
        space then uses it from the first trial on."""
        return None

    def remaining(self, space: SearchSpace, history: History) -> int | None:
        """How many new configurations are left, if the sampler knows (``None``: unbounded)."""
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-able description stored with the study (``tuningfork show`` prints it)."""
        return {"name": type(self).__name__}


class PointSequence(Sequence[dict[str, Any]], ABC):
    """A fixed list of configurations computed lazily from an index (for ``Sampler.sequence``).

    Subclasses give ``__len__`` and ``point(index)`` for ``0 <= index < len(self)``.
    """

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def point(self, index: int) -> dict[str, Any]:
        """The configuration at ``index`` (already checked to be in range)."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.point(i) for i in range(*index.indices(len(self)))]
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.point(index)
