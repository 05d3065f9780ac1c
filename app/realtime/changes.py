"""Changes as the stream delivers them: read once per process from the change log, each object entry parsed
once (for the filters), each distinct selection encoded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.realtime.protocol import text_frame
from app.repositories import reports as reports_repo


@dataclass(frozen=True, slots=True)
class Entry:
    """One object's new state in a change, and who sees it."""

    object_id: str
    audience: str
    json: bytes
    kind: str | None
    removed: bool
    geometry: dict[str, Any] | None


@dataclass(slots=True)
class Change:
    seq: int
    incident: str
    report_id: str
    organisation: str
    entries: list[Entry]
    _encoded: dict[tuple[int, ...], tuple[bytes, bytes]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """What the change weighs in a subscriber's buffer (an upper bound of its message)."""
        return 200 + sum(len(e.json) for e in self.entries)

    def prepared(self, selected: tuple[int, ...]) -> tuple[bytes, bytes]:
        """The ``change`` message carrying the selected entries, and its WebSocket frame: built once per
        distinct selection, whatever the number of subscribers."""
        cached = self._encoded.get(selected)
        if cached is None:
            head = {"type": "change", "seq": self.seq, "incident": self.incident,
                    "report": {"id": self.report_id, "organisation": self.organisation}}  # fmt: skip
            objects = b",".join(self.entries[i].json for i in selected)
            message = orjson.dumps(head)[:-1] + b',"objects":[' + objects + b"]}"
            cached = self._encoded[selected] = (message, text_frame(message))
        return cached


def _entry(object_id: str, audience: str, json: str) -> Entry:
    raw = json.encode()
    obj = orjson.loads(raw)
    return Entry(object_id, audience, raw, obj["kind"], obj["removed"], obj["geometry"])


async def read_changes(conn: AsyncConnection, after_seq: int, until_seq: int) -> list[Change]:
    """The changes with after_seq < seq <= until_seq, in order."""
    changes: list[Change] = []
    for seq, _pos, object_id, audience, json, report_id, org, incident in await reports_repo.changes_between(
        conn, after_seq, until_seq
    ):
        if not changes or changes[-1].seq != seq:
            changes.append(Change(seq, incident, report_id, org, []))
        changes[-1].entries.append(_entry(object_id, audience, json))
    return changes
