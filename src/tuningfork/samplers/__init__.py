"""Samplers decide which configuration to try next."""

from tuningfork.samplers._base import Sampler
from tuningfork.samplers._grid import GridSampler
from tuningfork.samplers._qmc import SobolSampler
from tuningfork.samplers._random import RandomSampler

__all__ = ["GridSampler", "RandomSampler", "Sampler", "SobolSampler"]
