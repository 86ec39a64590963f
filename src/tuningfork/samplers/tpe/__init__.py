"""Tree-structured Parzen Estimator: the sampler and its pure kernels (``_parzen``)."""

from tuningfork.samplers.tpe._sampler import TPESampler

__all__ = ["TPESampler"]
