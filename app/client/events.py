"""The stream's messages as typed values (spec section 7), parsed without any I/O.

    {"type": "snapshot", "seq": N, "objects": [...], "reason"?: "resync"}   -> Snapshot
    {"type": "change", "seq": N, "incident": "...", "report": {...}, "objects": [...]}   -> Change
    {"type": "heartbeat", "seq": N}   -> Heartbeat

Objects are kept as the JSON objects the server sent (spec section 6: ``incident``, ``id``, ``kind``,
``geometry``, ``properties``, ``removed``, ``seq``, ...): the client follows the stream, it does not model the
picture. A message of an unknown ``type`` parses to ``None`` so that a newer server can add message types
without breaking older clients; a known message that lacks its fields raises ``StreamProtocolError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

JsonObject = dict[str, Any]


class StreamError(Exception):
    """Base class of the errors the stream client raises."""


class StreamProtocolError(StreamError):
    """The server sent a message that does not follow spec section 7."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole (filtered) picture at ``seq``: callers replace their state with ``objects``.

    ``reason`` is ``None`` for the first snapshot of a stream without a resume point and ``"resync"`` when the
    server no longer holds the changes after the resume point."""

    seq: int
    objects: list[JsonObject]
    reason: str | None = None

    @property
    def is_resync(self) -> bool:
        return self.reason == "resync"


@dataclass(frozen=True, slots=True)
class ReportRef:
    """The report that caused a change."""

    id: str
    organisation: str


@dataclass(frozen=True, slots=True)
class Change:
    """What report ``report`` did at ``seq``: the new states of the changed objects that match the filter
    (an object that left the filter, or was removed, is sent once more so that callers can drop it)."""

    seq: int
    incident: str
    report: ReportRef
    objects: list[JsonObject]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Nothing matched lately; the server has processed everything up to ``seq`` for this stream."""

    seq: int


StreamEvent = Snapshot | Change | Heartbeat


def parse(message: str | bytes) -> StreamEvent | None:
    """Parses one server message; ``None`` for a message type this client does not know."""
    try:
        data = orjson.loads(message)
        kind = data["type"]
        if kind == "snapshot":
            reason = data.get("reason")
            return Snapshot(_seq(data), _objects(data), None if reason is None else str(reason))
        if kind == "change":
            return _change(data)
        if kind == "heartbeat":
            return Heartbeat(_seq(data))
        return None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise StreamProtocolError(f"malformed stream message: {error!r}: {message[:200]!r}") from error


def _change(data: JsonObject) -> Change:
    report = ReportRef(str(data["report"]["id"]), str(data["report"]["organisation"]))
    return Change(_seq(data), str(data["incident"]), report, _objects(data))


def _seq(data: JsonObject) -> int:
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError(f"seq must be a non-negative integer, not {seq!r}")
    return seq


def _objects(data: JsonObject) -> list[JsonObject]:
    objects = data["objects"]
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise ValueError("objects must be a list of JSON objects")
    return objects
