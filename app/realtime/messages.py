"""The stream's messages as the server writes them (spec section 7): the one place that knows their shape, as
``app/client/events.py`` is the one place that reads them.

    {"type": "snapshot", "seq": N, "objects": [...], "reason"?: "resync"}
    {"type": "change", "seq": N, "incident": "...", "report": {"id", "organisation"}, "objects": [...]}
    {"type": "heartbeat", "seq": N}

Objects are already rendered JSON (each object encoded once, when its report was merged): they are spliced into
the message as they are, never parsed and encoded again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson


def _with_objects(head: dict[str, Any], objects: Iterable[bytes]) -> bytes:
    return orjson.dumps(head)[:-1] + b',"objects":[' + b",".join(objects) + b"]}"


def snapshot(seq: int, objects: Iterable[bytes], reason: str | None = None) -> bytes:
    head: dict[str, Any] = {"type": "snapshot", "seq": seq}
    if reason:
        head["reason"] = reason
    return _with_objects(head, objects)


def change(seq: int, incident: str, report_id: str, organisation: str, objects: Iterable[bytes]) -> bytes:
    report = {"id": report_id, "organisation": organisation}
    return _with_objects({"type": "change", "seq": seq, "incident": incident, "report": report}, objects)


def heartbeat(seq: int) -> bytes:
    return b'{"type":"heartbeat","seq":%d}' % seq
