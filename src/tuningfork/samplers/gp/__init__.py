"""Gaussian-process Bayesian optimization: the sampler, and its pure numerical kernels
(:mod:`._kernels`, :mod:`._gp`, :mod:`._acquisition`), which are tested directly."""

from tuningfork.samplers.gp._sampler import GPSampler

__all__ = ["GPSampler"]
