"""Incident activity kept by the writer: who reported about each incident, seen by whom, and when, so that an
incident's summary is read from a few rows instead of its whole log. Filled from the report log.

Revision ID: 8f4a5b6c7d8e
Revises: 7e3f4a5b6c7d
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.domain.picture import audience_key

revision: str = "8f4a5b6c7d8e"
down_revision: str | None = "7e3f4a5b6c7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "incident_activity",
        sa.Column("incident_id", sa.String(63), primary_key=True),
        sa.Column("organisation_id", sa.String(63), primary_key=True),
        sa.Column("audience", sa.Text(), primary_key=True),
        sa.Column("first_received", sa.BigInteger(), nullable=False),
        sa.Column("last_received", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    audiences: dict[int, list[str]] = {}
    for seq, organisation in conn.execute(sa.text("SELECT seq, organisation_id FROM report_audience")):
        audiences.setdefault(seq, []).append(organisation)
    activity: dict[tuple[str, str, str], list[int]] = {}
    reports = sa.text("SELECT seq, incident_id, organisation_id, visibility, received_at FROM reports ORDER BY seq")
    for seq, incident, organisation, visibility, received_at in conn.execute(reports):
        audience = frozenset(audiences.get(seq, ())) if visibility == "restricted" else None
        key = (incident, organisation, audience_key(audience))
        entry = activity.setdefault(key, [received_at, received_at, seq])
        entry[1], entry[2] = max(entry[1], received_at), max(entry[2], seq)
    rows = [{"incident_id": k[0], "organisation_id": k[1], "audience": k[2], "first_received": v[0],
             "last_received": v[1], "last_seq": v[2]} for k, v in activity.items()]  # fmt: skip
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("incident_activity")
