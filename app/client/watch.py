"""``netcop watch``: the live stream in a terminal, one line per changed object.

    [snapshot seq 141: 37 objects]
    seq 142  flood-dordrecht-2026-11  roadblock-n3-1 (roadblock)  by politie-zhz/pol-000123  status=active note=...

Heartbeats (``[heartbeat seq N]``) and connection notices are shown with ``--verbose`` only; reconnect warnings
always go to stderr. Ctrl-C (or SIGTERM) ends it with exit code 0; a refused token ends it with 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import orjson

from app.client.events import Change, Heartbeat, JsonObject, Snapshot, StreamError, StreamEvent
from app.client.stream import StreamClient

MAX_VALUE_CHARS = 60


def lines(event: StreamEvent, *, verbose: bool = False) -> list[str]:
    """The terminal lines of one event."""
    match event:
        case Snapshot():
            label = "resync snapshot" if event.is_resync else "snapshot"
            return [f"[{label} seq {event.seq}: {len(event.objects)} objects]"]
        case Change():
            return [_object_line(event, obj) for obj in event.objects]
        case Heartbeat():
            return [f"[heartbeat seq {event.seq}]"] if verbose else []
    return []


def _object_line(change: Change, obj: JsonObject) -> str:
    kind = f" ({obj['kind']})" if obj.get("kind") else ""
    removed = " REMOVED" if obj.get("removed") else ""
    head = f"seq {change.seq}  {change.incident}  {obj.get('id')}{kind}{removed}"
    properties = " ".join(f"{key}={_value(value)}" for key, value in (obj.get("properties") or {}).items())
    conflicts = ",".join(str(c.get("property")) for c in obj.get("conflicts") or [])
    tail = f"  conflicts: {conflicts}" if conflicts else ""
    return f"{head}  by {change.report.organisation}/{change.report.id}  {properties}{tail}".rstrip()


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def run(
    *,
    url: str,
    token: str,
    incidents: Sequence[str] = (),
    kinds: Sequence[str] = (),
    bbox: str | None = None,
    after_seq: int | None = None,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Prints the stream until interrupted; returns the exit code."""
    _configure_logging(verbose, err)
    try:
        client = StreamClient(url, token, incidents=incidents, kinds=kinds, bbox=bbox, after_seq=after_seq)
        asyncio.run(_follow(client, verbose, out))
    except ValueError as error:
        err.write(f"error: {error}\n")
        return 2
    except StreamError as error:
        err.write(f"error: {error}\n")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    return 0


async def _follow(client: StreamClient, verbose: bool, out: TextIO) -> None:
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' event loop
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with contextlib.aclosing(client.events()) as events:
        async for event in events:
            for line in lines(event, verbose=verbose):
                out.write(line + "\n")
            out.flush()  # a pipe is block-buffered: whoever reads it wants each change as it happens


def _configure_logging(verbose: bool, err: TextIO) -> None:
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("app.client")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
