"""An index of the report log by organisation and seq: ``GET /reports?organisation=`` pages through one
organisation's reports in seq order without walking everyone else's.

Revision ID: bc7d8e9f0a1b
Revises: ab6c7d8e9f0a
Create Date: 2026-11-29 18:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bc7d8e9f0a1b"
down_revision: str | None = "ab6c7d8e9f0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reports_organisation_seq", "reports", ["organisation_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_reports_organisation_seq", table_name="reports")
