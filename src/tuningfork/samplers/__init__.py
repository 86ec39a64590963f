"""Samplers decide which configuration to try next."""

from tuningfork.samplers._base import Sampler
from tuningfork.samplers._grid import GridSampler
from tuningfork.samplers._qmc import SobolSampler
from tuningfork.samplers._random import RandomSampler
from tuningfork.samplers.gp import GPSampler
from tuningfork.samplers.tpe import TPESampler

__all__ = ["GPSampler", "GridSampler", "RandomSampler", "Sampler", "SobolSampler", "TPESampler"]
