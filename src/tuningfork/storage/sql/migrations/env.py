"""Alembic environment: migrations run on the connection tuningfork hands over.

``SQLStorage`` opens the connection, begins the (locked) transaction and passes it in
``config.attributes["connection"]``; nothing here creates engines or reads an ini file. For
ad-hoc use with the alembic command line, ``sqlalchemy.url`` in the config is honoured.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from tuningfork.storage.sql._schema import VERSION_TABLE, metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
