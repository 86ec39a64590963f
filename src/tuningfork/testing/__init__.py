"""Conformance suites that every storage (and later sampler and scheduler) must pass."""

from tuningfork.testing.storage_contract import StorageContract

__all__ = ["StorageContract"]
