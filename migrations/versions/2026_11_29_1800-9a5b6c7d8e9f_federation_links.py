"""Federation links (spec section 9, "Federation links"): the peers this instance pushes its reports to, with
the sealed token of each, and how far each link got.

Revision ID: 9a5b6c7d8e9f
Revises: 8f4a5b6c7d8e
Create Date: 2026-11-29 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a5b6c7d8e9f"
down_revision: str | None = "8f4a5b6c7d8e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "federation_links",
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("incidents", sa.Text(), nullable=False),
        sa.Column("visibilities", sa.String(64), nullable=False),
        sa.Column("peer_organisation", sa.String(63), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="retrying"),
        sa.Column("last_acked_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", sa.BigInteger(), nullable=True),
        sa.Column("contact_at", sa.BigInteger(), nullable=True),
        sa.Column("forwarded_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("refused_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_links")),
    )


def downgrade() -> None:
    op.drop_table("federation_links")
