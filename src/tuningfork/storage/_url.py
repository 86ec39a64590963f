"""Storage URLs: ``None`` (in memory), ``sqlite:///path.db``, ``postgresql://...``."""

from __future__ import annotations

import re
from typing import Any

from tuningfork.storage._base import Storage
from tuningfork.storage._memory import InMemoryStorage


def mask_password(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return re.sub(r"(//[^:/@]+:)[^@/]*@", r"\1***@", url)


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL; ``None`` for other URLs and in-memory SQLite."""
    if not url.startswith("sqlite:"):
        return None
    path = url.split("?", 1)[0][len("sqlite:///") :] if url.startswith("sqlite:///") else ""
    return path if path and path != ":memory:" else None


def open_storage(storage: str | Storage | None, **options: Any) -> Storage:
    """A Storage from a URL string, an existing Storage, or ``None`` (in memory).

    ``options`` go to the SQL storage (e.g. ``busy_timeout``, ``retries``).
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if not isinstance(storage, str):
        raise TypeError(
            f"storage must be a URL string, a Storage or None, got {type(storage).__name__}"
        )
    if storage.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
        from tuningfork.storage.sql import SQLStorage

        return SQLStorage(storage, **options)
    raise ValueError(
        f"storage URL {mask_password(storage)!r} is not understood; expected "
        "'sqlite:///path/to/file.db' or 'postgresql://user@host/dbname' (or None for memory)"
    )
