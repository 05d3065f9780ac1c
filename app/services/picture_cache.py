"""Incident pictures kept between reads while their incident does not change.

An incident's picture for one viewer changes only when a report about that incident is committed, so the
rendered objects of ``GET /incidents/{id}/picture`` are kept per incident, viewer and filter under the incident's
last report seq, and served again while that seq has not moved: a 100,000-object picture is then sent without
reading or joining 80 MB again. Read-your-writes holds: a report's 201 comes after its commit, which moves the
incident's seq, so the next read misses and reads afresh.

The entries are bounded in bytes (least recently used dropped first); a picture larger than half the bound is not
kept. Each process keeps its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

DEFAULT_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class PictureCache:
    max_bytes: int = DEFAULT_BYTES
    held: int = 0
    _entries: OrderedDict[Hashable, tuple[int, bytes]] = field(default_factory=OrderedDict)

    def get(self, key: Hashable, incident_seq: int) -> bytes | None:
        """The objects kept for ``key`` if the incident is still at ``incident_seq``."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != incident_seq:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, incident_seq: int, objects: bytes) -> None:
        self._drop(key)
        if len(objects) > self.max_bytes // 2:
            return
        self._entries[key] = (incident_seq, objects)
        self.held += len(objects)
        while self.held > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.held -= len(entry[1])
