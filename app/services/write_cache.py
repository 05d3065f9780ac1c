"""What the writer of one process keeps in memory between group commits.

The states of recently written objects (facts and views, with their renderings), incident facts and the known
organisations. The cache is valid only while the store's fence (``repositories.writes.Fence``) is the one this
process's last commit left: a fence that moved means another process (or an admin action) wrote, and the cached
states are dropped and read again. A group that fails drops them too, since its merge changed them in place.
Objects are kept in least-recently-written order and the oldest are dropped beyond the bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence, Set
from typing import Protocol

from app.domain import picture
from app.repositories.writes import Fence, Key


class StateSource(Protocol):
    """Where missing states are read from: a group's transaction, or the writer's connection for committed reads."""

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]: ...

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]: ...


class WriteCache:
    def __init__(self, max_objects: int, max_incidents: int) -> None:
        self._max_objects = max_objects
        self._max_incidents = max_incidents
        # The fence the cached states are valid at: the one the last commit left, or, while a prepared group is
        # committing, the one it will leave (``services.fast_path``).
        self.fence: Fence | None = None
        # Moves on every drop: a group merged at an older epoch was merged on states that are gone.
        self.epoch = 0
        self.objects: OrderedDict[Key, picture.ObjectState] = OrderedDict()
        self.incidents: dict[str, picture.IncidentState] = {}
        # Organisations are never deleted, so what is known stays true whatever the fence says.
        self.organisations: set[str] = set()

    def align(self, fence: Fence) -> bool:
        """Takes the fence read under lock; drops the cached states when it moved. Returns whether they were
        still current."""
        if fence == self.fence:
            return True
        self._drop()
        self.fence = fence
        return False

    def evict(self, objects: Iterable[Key], incidents: Iterable[str]) -> None:
        """Drops the states that another writer changed (read again when next needed)."""
        for key in objects:
            self.objects.pop(key, None)
        for incident in incidents:
            self.incidents.pop(incident, None)

    def forget(self) -> None:
        """Drops every cached state (after a group that did not commit, or whose outcome is unknown)."""
        self._drop()
        self.fence = None

    def _drop(self) -> None:
        # New containers rather than cleared ones: a merge running in a worker thread keeps the old ones.
        self.objects = OrderedDict()
        self.incidents = {}
        self.epoch += 1

    def missing_objects(self, keys: Iterable[Key]) -> list[Key]:
        return [key for key in dict.fromkeys(keys) if key not in self.objects]

    def missing_incidents(self, ids: Iterable[str]) -> list[str]:
        return [i for i in dict.fromkeys(ids) if i not in self.incidents]

    async def fill(self, source: StateSource, keys: Iterable[Key], incidents: Iterable[str]) -> set[Key]:
        """Reads the states the cache lacks; returns the objects that the store does not have yet (a state
        already cached meanwhile is kept)."""
        missing = self.missing_objects(keys)
        loaded = await source.load_objects(missing) if missing else {}
        absent = self.missing_incidents(incidents)
        loaded_incidents = await source.load_incidents(absent) if absent else {}
        for key, state in loaded.items():
            self.objects.setdefault(key, state)
        for incident_id, incident in loaded_incidents.items():
            self.incidents.setdefault(incident_id, incident)
        return set(missing) - loaded.keys()

    def object(self, key: Key) -> picture.ObjectState:
        """The cached state, marked as just used; a new, empty one when the store has none either."""
        state = self.objects.get(key)
        if state is None:
            state = self.objects[key] = picture.ObjectState(key[0], key[1])
        else:
            self.objects.move_to_end(key)
        return state

    def committed(self, fence: Fence) -> None:
        """The group committed and left ``fence``: keeps the states, within the bounds."""
        self.fence = fence
        self.trim()
        if len(self.incidents) > self._max_incidents:
            self.incidents = {}

    def trim(self, keep: Set[Key] = frozenset()) -> None:
        """Drops the least recently written objects beyond the bound, except ``keep`` (the objects of a group
        that is still committing: the store does not have their new state yet)."""
        while len(self.objects) > self._max_objects:
            key, state = self.objects.popitem(last=False)
            if key in keep:
                self.objects[key] = state
                break
