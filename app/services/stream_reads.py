"""What a stream reads from the store (spec section 7): where the log stands, and the objects a stream shows,
for its snapshot and for a resume with a narrowing filter. The stream (``realtime/stream.py``) encodes and sends;
this module only reads, in one snapshot of the database each."""

from __future__ import annotations

from collections.abc import Callable

from app.db import Database
from app.repositories import reports as reports_repo
from app.services import incidents
from app.services.reading import ObjectFilter, objects_of_incidents

Shows = Callable[[str, bool], bool]  # (incident, exercise) -> whether the stream carries it


async def last_seq(db: Database) -> int:
    """The log position now."""
    async with db.read() as conn:
        return await reports_repo.last_seq(conn)


async def shown_objects(
    db: Database, viewer: str, window_us: int, shows: Shows, flt: ObjectFilter
) -> list[tuple[str, bytes]]:
    """(incident, rendered object) of every object the viewer may see in the incidents the stream shows, ordered
    by incident and id."""
    async with db.read() as conn:
        visible = await incidents.visible_incidents(conn, viewer, window_us)
        shown = [incident for incident, fields in visible.items() if shows(incident, fields["exercise"])]
        return await objects_of_incidents(conn, viewer, shown, flt)
