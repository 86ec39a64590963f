"""Grid search: every point of a finite grid exactly once, in a seeded order."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tuningfork._core.errors import SpaceError
from tuningfork._core.history import History
from tuningfork._core.rng import stream_rng
from tuningfork.samplers._base import PointSequence, Sampler
from tuningfork.samplers._random import RandomSampler
from tuningfork.space import Categorical, Distribution, SearchSpace, space_from_spec

_PERMUTATION_LIMIT = 2_000_000


class _ShuffledGrid(PointSequence):
    """The points of a finite space in a seeded order, computed lazily from an index.

    The index-to-point map depends only on the space and the seed, so index ``i`` is the same
    point in every process.
    """

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self._names = list(space)
        self._points = [space[n].points() for n in self._names]
        self._n = math.prod(len(p) for p in self._points)
        rng = stream_rng(seed, 0)
        if self._n <= _PERMUTATION_LIMIT:
            self._perm: np.ndarray | None = rng.permutation(self._n)
        else:  # an affine bijection of Z_n: cheap for huge grids, still seeded
            self._perm = None
            self._a = int(rng.integers(1, self._n))
            while math.gcd(self._a, self._n) != 1:
                self._a += 1
            self._b = int(rng.integers(0, self._n))

    def __len__(self) -> int:
        return self._n

    def point(self, index: int) -> dict[str, Any]:
        if self._perm is not None:
            flat = int(self._perm[index])
        else:
            flat = (self._a * index + self._b) % self._n
        params = {}
        for name, points in zip(reversed(self._names), reversed(self._points), strict=False):
            flat, i = divmod(flat, len(points))
            params[name] = points[i]
        return {n: params[n] for n in self._names}


class GridSampler(Sampler):
    """Every combination of the given values, each exactly once across all workers.

    ``GridSampler({"C": [0.1, 1, 10], "kernel": ["rbf", "poly"]})`` or a space whose parameters
    are all finite (``Int``, stepped ``Float``, ``Categorical``). The order is shuffled by the
    seed (the study's, unless ``seed`` is given), identically in every process.
    """

    def __init__(
        self,
        values: Mapping[str, Sequence[Any] | Distribution] | SearchSpace,
        seed: int | None = None,
    ) -> None:
        if not isinstance(values, Mapping) or not values:
            raise SpaceError(
                "GridSampler needs a non-empty dict of parameter -> list of values (or a space of "
                f"finite distributions), got {values!r}"
            )
        if isinstance(values, SearchSpace) and values.is_conditional:
            raise SpaceError("GridSampler does not take conditional parameters; list the grid flat")
        spec: dict[str, Any] = {}
        for name, item in values.items():
            if isinstance(item, (list, tuple)):
                try:
                    spec[name] = Categorical(list(item))
                except SpaceError as exc:
                    raise SpaceError(f"parameter {name!r}: {exc}") from None
            else:
                spec[name] = item
        self.space = space_from_spec(spec)
        if self.space.is_conditional:
            raise SpaceError("GridSampler does not take conditional parameters; list the grid flat")
        for name, dist in self.space.items():
            if dist.n_points is None:
                raise SpaceError(
                    f"parameter {name!r}: {dist!r} is continuous, so it has no grid; give a list "
                    "of values or a step"
                )
        self.seed = seed

    def __repr__(self) -> str:
        return f"GridSampler({self.space!r})"

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        # Studies walk sequence(); a direct caller gets a random point not yet in the history.
        return RandomSampler().propose(self.space, history, rng)

    def sequence(self, space: SearchSpace, seed: int) -> Sequence[dict[str, Any]]:
        return _ShuffledGrid(self.space, self.seed if self.seed is not None else seed)

    def fixed_space(self) -> SearchSpace:
        return self.space

    def describe(self) -> dict[str, Any]:
        return {"name": "GridSampler", "n_points": self.space.n_points}
