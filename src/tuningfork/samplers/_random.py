"""Uniform random search; without replacement on finite spaces."""

from __future__ import annotations

from typing import Any

import numpy as np

from tuningfork._core.errors import SearchSpaceExhausted
from tuningfork._core.history import History
from tuningfork.samplers._base import Sampler
from tuningfork.samplers._finite import config_key, used_keys
from tuningfork.space import SearchSpace

# Below this share of used points, rejection sampling finds a new point in a few draws.
_REJECTION_LIMIT = 0.5
_ENUMERATION_LIMIT = 1_000_000


class RandomSampler(Sampler):
    """Each parameter uniform on its unit-cube scale (log-uniform for ``log=True``).

    On a space whose every parameter is finite, configurations already tried (by any trial,
    running or finished) are not drawn again; once all are tried, :meth:`remaining` is 0 and the
    study stops with a message instead of repeating points.
    """

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        size = space.n_points
        if size is None:
            return space.from_unit_row(rng.random(len(space)))
        used = used_keys(space, history)
        if len(used) >= size:
            raise SearchSpaceExhausted(f"all {size} configurations of {space!r} have been tried")
        if len(used) < _REJECTION_LIMIT * size or size > _ENUMERATION_LIMIT:
            for _ in range(1000):
                params = space.from_unit_row(rng.random(len(space)))
                if config_key(space, params) not in used:
                    return params
        unused = [p for p in space.iter_points() if config_key(space, p) not in used]
        return unused[int(rng.integers(len(unused)))]

    def remaining(self, space: SearchSpace, history: History) -> int | None:
        size = space.n_points
        if size is None:
            return None
        return max(size - len(used_keys(space, history)), 0)
