"""The kinds in use on the picture: all their SQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Object, ObjectView

objects = cast(Table, Object.__table__)
views = cast(Table, ObjectView.__table__)


async def kinds_outside(conn: AsyncConnection, viewer: str, listed: Collection[str]) -> set[str]:
    """The kinds, other than the listed, of the objects (not removed) in the public view or the viewer's own."""
    public = select(objects.c.public_kind).distinct().where(
        objects.c.public_json.is_not(None), objects.c.public_removed.is_(False),
        objects.c.public_kind.is_not(None), objects.c.public_kind.not_in(list(listed)),
    )  # fmt: skip
    own = select(views.c.kind).distinct().where(
        views.c.organisation_id == viewer, views.c.json.is_not(None), views.c.removed.is_(False),
        views.c.kind.is_not(None), views.c.kind.not_in(list(listed)),
    )  # fmt: skip
    return {row[0] for row in await conn.execute(public)} | {row[0] for row in await conn.execute(own)}
