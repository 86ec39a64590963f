"""Every built-in storage runs the storage contract suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tuningfork._core.clock import Clock
from tuningfork.storage import InMemoryStorage, Storage
from tuningfork.storage.sql import SQLStorage
from tuningfork.testing import StorageContract

POSTGRES_URL = os.environ.get(
    "TUNINGFORK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class TestInMemoryStorage(StorageContract):
    def make_storage(self, tmp_path: Path, clock: Clock) -> Storage:
        return InMemoryStorage(clock=clock)


class TestSQLiteStorage(StorageContract):
    def make_storage(self, tmp_path: Path, clock: Clock) -> Storage:
        return SQLStorage(f"sqlite:///{tmp_path / 'study.db'}", clock=clock)

    def reopen(self, storage: Storage, tmp_path: Path, clock: Clock) -> Storage | None:
        return SQLStorage(f"sqlite:///{tmp_path / 'study.db'}", clock=clock)


def _postgres_admin() -> object:
    """A psycopg connection to the test server, or a skip naming the URL."""
    psycopg = pytest.importorskip("psycopg")
    from tuningfork.storage import mask_password

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(
            f"no PostgreSQL server answers at {mask_password(POSTGRES_URL)} "
            f"(set TUNINGFORK_TEST_POSTGRES_URL): {str(exc).strip()[:200]}"
        )


class TestPostgresStorage(StorageContract):
    """Each test gets a fresh schema (via search_path), dropped afterwards."""

    url: str

    @pytest.fixture(autouse=True)
    def _schema(self) -> Iterator[None]:
        admin = _postgres_admin()
        schema = f"tf_test_{uuid.uuid4().hex[:16]}"
        admin.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[attr-defined]
        separator = "&" if "?" in POSTGRES_URL else "?"
        options = quote(f"-csearch_path={schema}")
        self.url = f"{POSTGRES_URL}{separator}options={options}"
        try:
            yield
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[attr-defined]
            admin.close()  # type: ignore[attr-defined]

    def make_storage(self, tmp_path: Path, clock: Clock) -> Storage:
        return SQLStorage(self.url, clock=clock)

    def reopen(self, storage: Storage, tmp_path: Path, clock: Clock) -> Storage | None:
        return SQLStorage(self.url, clock=clock)
