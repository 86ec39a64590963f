"""Quasi-random search with scrambled Sobol' points (scipy.stats.qmc)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tuningfork._core.history import History
from tuningfork._core.rng import stream_rng
from tuningfork.samplers._base import PointSequence, Sampler
from tuningfork.samplers._random import RandomSampler
from tuningfork.space import SearchSpace

_MAX_SOBOL = 2**30
_RANDOM = RandomSampler()


class _SobolSequence(PointSequence):
    def __init__(self, space: SearchSpace, seed: int, scramble: bool) -> None:
        self._space = space
        self._seed = seed
        self._scramble = scramble

    def __len__(self) -> int:
        return _MAX_SOBOL

    def point(self, index: int) -> dict[str, Any]:
        from scipy.stats import qmc  # scipy.stats takes about a second to import: only when used

        engine = qmc.Sobol(
            d=max(len(self._space), 1),
            scramble=self._scramble,
            seed=stream_rng(self._seed, 1),
        )
        if index:
            engine.fast_forward(index)
        with warnings.catch_warnings():
            # balance warnings concern batches; one point at a time along the sequence is fine
            warnings.simplefilter("ignore", UserWarning)
            row = engine.random(1)[0]
        return self._space.from_unit_row(row)


class SobolSampler(Sampler):
    """Scrambled Sobol' points: covers the unit cube more evenly than random draws.

    The i-th trial that the sampler serves takes the i-th point (claimed atomically, so parallel
    workers never take the same point). Define-by-run studies use random values until the first
    trial has revealed the space. On a space of finitely many configurations it draws without
    replacement, like :class:`RandomSampler`.
    """

    def __init__(self, scramble: bool = True) -> None:
        self.scramble = scramble

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        if _is_finite(space):
            return _RANDOM.propose(space, history, rng)
        return space.from_unit_row(rng.random(len(space)))

    def sequence(self, space: SearchSpace, seed: int) -> Sequence[dict[str, Any]] | None:
        if _is_finite(space):
            # Sobol' points fall into the same cell of a small grid again and again; on a finite
            # space draw without replacement instead, so that no configuration repeats and the
            # study stops (with a message) once every one has been tried.
            return None
        return _SobolSequence(space, seed, self.scramble)

    def remaining(self, space: SearchSpace, history: History) -> int | None:
        return _RANDOM.remaining(space, history) if _is_finite(space) else None

    def describe(self) -> dict[str, Any]:
        return {"name": "SobolSampler", "scramble": self.scramble}


def _is_finite(space: SearchSpace) -> bool:
    return len(space) > 0 and all(space[name].n_points is not None for name in space)
