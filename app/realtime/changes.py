"""Changes as the stream delivers them: read once per process from the change log, each object entry parsed
once (for the filters), each distinct selection encoded once."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain import geojson, picture
from app.realtime import messages
from app.realtime.protocol import text_frame
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo


class Entry:
    """One object's new state in a change, and who sees it. Parsed only when a filter needs to look inside."""

    __slots__ = ("_in_box", "_parsed", "audience", "json", "object_id")

    def __init__(self, object_id: str, audience: str, json: bytes) -> None:
        self.object_id = object_id
        self.audience = audience
        self.json = json
        self._parsed: dict[str, Any] | None = None
        self._in_box: dict[geojson.Bbox, bool] | None = None

    def _field(self, name: str) -> Any:
        if self._parsed is None:
            self._parsed = orjson.loads(self.json)
        return self._parsed[name]

    @property
    def kind(self) -> str | None:
        kind: str | None = self._field("kind")
        return kind

    @property
    def removed(self) -> bool:
        return bool(self._field("removed"))

    @property
    def geometry(self) -> dict[str, Any] | None:
        geometry: dict[str, Any] | None = self._field("geometry")
        return geometry

    def intersects(self, bbox: geojson.Bbox) -> bool:
        """Whether the geometry meets the box: computed once per entry and box, however many streams watch that
        box (a polygon of many vertices costs its test once, not once per subscriber)."""
        if self._in_box is None:
            self._in_box = {}
        inside = self._in_box.get(bbox)
        if inside is None:
            geometry = self.geometry
            inside = self._in_box[bbox] = geometry is not None and geojson.intersects(geometry, bbox)
        return inside


class Change:
    """One report's change: its entries, and its messages encoded once per distinct selection."""

    __slots__ = ("_encoded", "entries", "exercise", "incident", "organisation", "report_id", "seq")

    def __init__(
        self, seq: int, incident: str, report_id: str, organisation: str, entries: list[Entry], exercise: bool = False
    ) -> None:
        self.seq = seq
        self.incident = incident
        self.report_id = report_id
        self.organisation = organisation
        self.entries = entries
        self.exercise = exercise  # whether the incident is an exercise (streams never mix the two)
        self._encoded: dict[tuple[int, ...], tuple[bytes, bytes]] = {}

    @classmethod
    def committed(cls, facts: picture.ReportFacts, entries: list[picture.ChangeEntry], exercise: bool) -> Change:
        """A change as the writer of this process committed it (no need to read it back)."""
        return cls(facts.seq, facts.incident, facts.report, facts.organisation,
                   [Entry(e.object_id, e.audience, e.json) for e in entries], exercise)  # fmt: skip

    @property
    def size(self) -> int:
        """What the change weighs in a subscriber's buffer (an upper bound of its message)."""
        return 200 + sum(len(e.json) for e in self.entries)

    def prepared(self, selected: tuple[int, ...]) -> tuple[bytes, bytes]:
        """The ``change`` message carrying the selected entries, and its WebSocket frame: built once per
        distinct selection, whatever the number of subscribers."""
        cached = self._encoded.get(selected)
        if cached is None:
            objects = (self.entries[i].json for i in selected)
            message = messages.change(self.seq, self.incident, self.report_id, self.organisation, objects)
            cached = self._encoded[selected] = (message, text_frame(message))
        return cached


def _entry(object_id: str, audience: str, json: str) -> Entry:
    return Entry(object_id, audience, json.encode())


async def read_changes(conn: AsyncConnection, after_seq: int, until_seq: int) -> list[Change]:
    """The changes with after_seq < seq <= until_seq, in order."""
    changes: list[Change] = []
    for seq, _pos, object_id, audience, json, report_id, org, incident in await reports_repo.changes_between(
        conn, after_seq, until_seq
    ):
        if not changes or changes[-1].seq != seq:
            changes.append(Change(seq, incident, report_id, org, []))
        changes[-1].entries.append(_entry(object_id, audience, json))
    exercises = await picture_repo.exercise_incidents(conn, {c.incident for c in changes})
    for change in changes:
        change.exercise = change.incident in exercises
    return changes
