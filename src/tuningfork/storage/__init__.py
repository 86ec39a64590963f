"""Storages: where studies and trials live (in memory, SQLite, PostgreSQL)."""

from tuningfork.storage._base import Storage
from tuningfork.storage._memory import InMemoryStorage
from tuningfork.storage._url import mask_password, open_storage

__all__ = ["InMemoryStorage", "Storage", "mask_password", "open_storage"]
