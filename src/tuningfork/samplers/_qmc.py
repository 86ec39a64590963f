"""Quasi-random search with scrambled Sobol' points (scipy.stats.qmc)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, overload

import numpy as np
from scipy.stats import qmc

from tuningfork._core.history import History
from tuningfork._core.rng import stream_rng
from tuningfork.samplers._base import Sampler
from tuningfork.space import SearchSpace

_MAX_SOBOL = 2**30


class _SobolSequence(Sequence[dict[str, Any]]):
    def __init__(self, space: SearchSpace, seed: int, scramble: bool) -> None:
        self._space = space
        self._seed = seed
        self._scramble = scramble

    def __len__(self) -> int:
        return _MAX_SOBOL

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
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
    trial has revealed the space.
    """

    def __init__(self, scramble: bool = True) -> None:
        self.scramble = scramble

    def propose(
        self, space: SearchSpace, history: History, rng: np.random.Generator
    ) -> dict[str, Any]:
        return space.from_unit_row(rng.random(len(space)))

    def sequence(self, space: SearchSpace, seed: int) -> Sequence[dict[str, Any]]:
        return _SobolSequence(space, seed, self.scramble)

    def describe(self) -> dict[str, Any]:
        return {"name": "SobolSampler", "scramble": self.scramble}
