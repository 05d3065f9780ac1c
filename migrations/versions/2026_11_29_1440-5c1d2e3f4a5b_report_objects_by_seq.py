"""Mentions by seq: which objects other writers changed since a fence (the writer's cache catch-up).

Revision ID: 5c1d2e3f4a5b
Revises: 89f4210309be
Create Date: 2026-11-29 14:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1d2e3f4a5b"
down_revision: str | None = "89f4210309be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_report_objects_seq", "report_objects", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_report_objects_seq", table_name="report_objects")
