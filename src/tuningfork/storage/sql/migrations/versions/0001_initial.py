"""The first schema: studies, trials, intermediate values, counters.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(512), nullable=False, unique=True),
        sa.Column("directions", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("user_attrs", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("next_number", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "trials",
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
        sa.Column("started_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=False), nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    )
    op.create_index("ix_trials_study_seq", "trials", ["study_id", "seq"])
    op.create_index("ix_trials_study_state_number", "trials", ["study_id", "state", "number"])
    op.create_table(
        "intermediate_values",
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
    op.create_table(
        "counters",
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("intermediate_values")
    op.drop_index("ix_trials_study_state_number", table_name="trials")
    op.drop_index("ix_trials_study_seq", table_name="trials")
    op.drop_table("trials")
    op.drop_table("studies")
