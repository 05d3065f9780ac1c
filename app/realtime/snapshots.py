"""Snapshot messages shared by the streams that need the same one.

A snapshot is the whole picture a viewer may see: tens of megabytes for a large incident. Built per stream, forty
streams of one organisation opening at once (a wall of dashboards after a restart, or a client that opens streams
and never reads) held forty copies. Here a snapshot is built once per viewer, filter, seq and reason, by the first
stream that asks; the others that ask while it is built or sent wait for it and share the same bytes. It is
dropped when the last stream using it has sent it: nothing is kept for streams that are gone.

Each stream then writes the shared bytes in fragments as its client takes them (``stream._send``), so a stream
that does not read holds at most its buffer bound of the snapshot, not a copy of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Snapshot(NamedTuple):
    message: bytes
    inside: frozenset[tuple[str, str]]  # the objects sent, for a filter that objects can leave


@dataclass(slots=True)
class _Entry:
    built: asyncio.Future[Snapshot]
    users: int = 0


@dataclass(slots=True)
class SharedSnapshots:
    _entries: dict[Hashable, _Entry] = field(default_factory=dict)

    @asynccontextmanager
    async def use(self, key: Hashable, build: Callable[[], Coroutine[Any, Any, Snapshot]]) -> AsyncIterator[Snapshot]:
        """The snapshot for ``key``: built now, or shared with the streams that asked for it before."""
        entry = self._entries.get(key)
        if entry is None:
            # Built in a task of its own: the stream that asked first may leave while others wait for it.
            built = asyncio.ensure_future(build())
            built.add_done_callback(_retrieve)
            entry = self._entries[key] = _Entry(built)
        entry.users += 1
        try:
            yield await asyncio.shield(entry.built)
        finally:
            self._release(key, entry)

    def _release(self, key: Hashable, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0 and self._entries.get(key) is entry:
            del self._entries[key]

    @property
    def held(self) -> int:
        """Snapshots in use now (for tests and metrics)."""
        return len(self._entries)


def _retrieve(built: asyncio.Future[Snapshot]) -> None:
    """Marks a failed build's error as seen: every stream that used it raised it already, or none is left."""
    if not built.cancelled():
        built.exception()
