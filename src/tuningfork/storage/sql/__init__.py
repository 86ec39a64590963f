"""SQL storage: SQLite (embedded default) and PostgreSQL, through SQLAlchemy and Alembic."""

from tuningfork.storage.sql._storage import SQLStorage

__all__ = ["SQLStorage"]
