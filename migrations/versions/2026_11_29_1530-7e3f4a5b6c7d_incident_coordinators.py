"""Incident authority (spec section 1, amended): who coordinates each incident, and whether it is an exercise,
fixed when it is created. Existing incidents: the organisation of the first report that mentions each coordinates
it, and it is an exercise if every partner sees it as one now.

Revision ID: 7e3f4a5b6c7d
Revises: 6d2e3f4a5b6c
Create Date: 2026-11-29 15:30:00
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

from app.domain import picture

revision: str = "7e3f4a5b6c7d"
down_revision: str | None = "6d2e3f4a5b6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("coordinators", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    first = sa.text(
        "SELECT r.incident_id, r.organisation_id FROM reports r "
        "JOIN (SELECT incident_id, MIN(seq) AS seq FROM reports GROUP BY incident_id) f "
        "ON r.incident_id = f.incident_id AND r.seq = f.seq"
    )
    creators = dict(conn.execute(first).all())
    for incident, facts in conn.execute(sa.text("SELECT id, facts FROM incidents")).all():
        coordinators = [creators[incident]] if incident in creators else []
        conn.execute(
            sa.text("UPDATE incidents SET coordinators = :c, exercise = :e WHERE id = :id"),
            {"c": orjson.dumps(coordinators).decode(), "e": picture.is_exercise(orjson.loads(facts)), "id": incident},
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("exercise")
        batch.drop_column("coordinators")
