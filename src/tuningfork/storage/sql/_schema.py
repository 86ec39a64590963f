"""The tables of the SQL storage, as SQLAlchemy Core metadata.

This describes the schema at the newest migration; ``migrations/versions`` creates and changes
it (the migration files keep their own frozen copy, so editing this file never rewrites
history). A test checks that the two agree.

JSON columns are plain text holding :func:`tuningfork.space.encode_value` output: the exact
text is kept (no ``jsonb`` key reordering), types survive (tuples, ``1`` vs ``1.0``) and
non-finite floats are storable on every backend.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

# Alembic's bookkeeping table. Not the default ``alembic_version``: a PostgreSQL database may be
# shared with an application that has its own Alembic history, whose revision we must neither
# read as ours (and refuse as "newer") nor overwrite.
VERSION_TABLE = "tuningfork_alembic_version"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as naive UTC, returned timezone-aware in UTC.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` answers in the session's zone;
    storing naive UTC behaves the same on both. A naive datetime given to us is taken as UTC.
    """

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=timezone.utc)


studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("directions", sa.Text, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("user_attrs", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=True),
    # Last change sequence number given to a trial of this study. Every trial write
    # increments it while holding this row's lock, so sequence numbers are handed out in
    # commit order and a reader that saw seq N has seen every change numbered <= N.
    sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("next_number", sa.Integer, nullable=False, server_default="0"),
)

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.SmallInteger, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("distributions", sa.Text, nullable=False),
    sa.Column("objective_values", sa.Text, nullable=True),
    sa.Column("user_attrs", sa.Text, nullable=False),
    sa.Column("system_attrs", sa.Text, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    sa.Index("ix_trials_study_seq", "study_id", "seq"),
    sa.Index("ix_trials_study_state_number", "study_id", "state", "number"),
)

# value_kind: 0 finite (in ``value``), 1 NaN, 2 +inf, 3 -inf (``value`` NULL): SQLite turns a
# NaN REAL into NULL, so non-finite values are stored as a kind instead.
intermediate_values = sa.Table(
    "intermediate_values",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("trials.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("value_kind", sa.SmallInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("trial_id", "step", name="uq_intermediate_trial_step"),
)

counters = sa.Table(
    "counters",
    metadata,
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
