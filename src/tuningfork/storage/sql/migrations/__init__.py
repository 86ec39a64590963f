"""Alembic migrations of the SQL storage schema, run programmatically when a storage opens."""
