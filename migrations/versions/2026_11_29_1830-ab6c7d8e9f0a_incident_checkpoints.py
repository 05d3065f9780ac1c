"""Incident checkpoints: an incident's whole state after one of its reports, so that an ``as_of`` read replays
from the nearest one instead of from the incident's first report. Derived data, written by the reads.

Revision ID: ab6c7d8e9f0a
Revises: 9a5b6c7d8e9f
Create Date: 2026-11-29 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ab6c7d8e9f0a"
down_revision: str | None = "9a5b6c7d8e9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_checkpoints",
        sa.Column("incident_id", sa.String(63), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_checkpoints")
