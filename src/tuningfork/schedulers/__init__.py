"""Schedulers decide whether a running trial goes on (early stopping)."""

from tuningfork.schedulers._base import Scheduler

__all__ = ["Scheduler"]
