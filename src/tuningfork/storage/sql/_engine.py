"""Engines, SQLite setup, network-filesystem detection and schema migration on open."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from tuningfork._core.errors import StorageError
from tuningfork.storage.sql._schema import VERSION_TABLE

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# A constant key for pg_advisory_xact_lock: processes opening one fresh database at once take
# turns to migrate it (the first creates the tables, the others find them at head).
_PG_MIGRATION_LOCK = 7_301_947_112

# Filesystems on which SQLite's locking is unreliable (POSIX locks not honoured or not
# coherent between machines), so concurrent writers can corrupt the database.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "sshfs",
        "afs",
        "ncpfs",
        "fuse.s3fs",
        "fuse.gcsfuse",
    }
)

WRITE_OPTION = "tuningfork_write"


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _unescape_mount(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes (\040 ...).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def network_filesystem(path: str | os.PathLike[str], mounts: str) -> str | None:
    """The filesystem type holding ``path`` if it is a network one, else ``None``.

    ``mounts`` is the text of ``/proc/mounts``; the longest mount point containing ``path``
    decides (later lines win on ties, as the kernel stacks mounts). Pure, for testing.
    """
    target = os.path.normpath(os.fspath(path))
    best: tuple[int, str] | None = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = os.path.normpath(_unescape_mount(fields[1]))
        inside = (
            mount_point == "/"
            or target == mount_point
            or target.startswith(mount_point.rstrip("/") + "/")
        )
        if inside and (best is None or len(mount_point) >= best[0]):
            best = (len(mount_point), fields[2])
    if best is not None and best[1].lower() in NETWORK_FILESYSTEMS:
        return best[1]
    return None


def read_mounts() -> str | None:
    """The text of ``/proc/mounts``, or ``None`` where there is none (not Linux)."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def check_not_network_filesystem(database: str, masked_url: str) -> None:
    """Raise StorageError when the SQLite file would live on a network filesystem."""
    mounts = read_mounts()
    if mounts is None:
        return
    directory = os.path.dirname(os.path.realpath(database)) or "."
    fstype = network_filesystem(directory, mounts)
    if fstype is not None:
        raise StorageError(
            f"storage {masked_url!r} is on a network filesystem ({fstype}); SQLite is not for "
            "network filesystems (its file locks are unreliable there and the database can be "
            "corrupted). Put the file on a local disk, or use PostgreSQL "
            "('postgresql://user@host/dbname') for workers on several machines."
        )


def sqlite_database(url: URL) -> str | None:
    """The file path of a SQLite URL, or ``None`` for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


def create_engine(url: str, *, busy_timeout: float, echo: bool) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout=busy_timeout, echo=echo)
    connect_args: dict[str, Any] = {}
    if parsed.get_driver_name() == "psycopg":
        connect_args["connect_timeout"] = max(1, round(min(busy_timeout, 10.0)))
    engine = sa.create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    if parsed.get_backend_name() == "postgresql":
        timeout_ms = int(busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            # The PostgreSQL twin of SQLite's busy timeout: a lock wait that lasts longer
            # fails with lock_not_available, which the storage retries with backoff.
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute(f"SET lock_timeout = {timeout_ms}")
            finally:
                cursor.close()
            dbapi_conn.commit()

    return engine


def _sqlite_engine(url: URL, *, busy_timeout: float, echo: bool) -> sa.Engine:
    in_memory = sqlite_database(url) is None
    kwargs: dict[str, Any] = {
        "echo": echo,
        "connect_args": {"timeout": busy_timeout, "check_same_thread": False},
    }
    if in_memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, else each one is a new db
    engine = sa.create_engine(url, **kwargs)
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Let us emit BEGIN ourselves: pysqlite's implicit transactions start late (at the
        # first write), which is what turns concurrent writers into "database is locked".
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front (waiting on the busy timeout), so a read
        # transaction never has to be upgraded to a write one, which SQLite cannot wait for.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def _known_revisions(script: ScriptDirectory) -> Iterable[str]:
    return (rev.revision for rev in script.walk_revisions())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def current_revision(conn: sa.Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    rev: str | None = context.get_current_revision()
    return rev


def migrate(engine: sa.Engine, masked_url: str) -> None:
    """Bring the schema to the newest revision; refuse a database from a newer tuningfork."""
    script = _script()
    head = script.get_current_head()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            current = current_revision(conn)
            if current == head:
                return
            if current is not None and current not in set(_known_revisions(script)):
                raise StorageError(
                    f"storage {masked_url!r} has schema revision {current!r}, which this "
                    f"version of tuningfork does not know (newest known: {head!r}); it was "
                    "written by a newer tuningfork: upgrade tuningfork to open it"
                )
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
