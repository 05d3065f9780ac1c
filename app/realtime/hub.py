"""The hub: every open stream of this process as a subscriber with a bounded buffer.

``publish`` runs once per run of consecutive changes, in seq order. For each subscriber it selects the entries
the subscriber may see (the audience computed at ingest: no query per message) and that match its filters, and
takes the encoded message for that selection (encoded once per distinct selection). A live stream on the fast
path gets the run's frames in ONE transport write, nothing awaited; subscribers with the same viewer and no
narrowing filter share the joined bytes. A stream still sending its snapshot or catch-up (or without the fast
path) gets the changes in its bounded buffer, drained in order by its own task. The slowest client sets only
its own pace: a subscriber whose unsent bytes pass the bound (or whose buffer does) is marked overflowed and
closed with 4008, and resumes with ``after_seq``. Publishing yields to the event loop every ``YIELD_EVERY``
subscribers so that a fan-out to thousands never stalls ingest.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from dataclasses import dataclass, field

from app.domain import geojson, picture
from app.realtime import messages
from app.realtime.changes import Change, Entry
from app.realtime.protocol import FrameWriter, text_frame


@dataclass(frozen=True, slots=True)
class StreamFilter:
    incidents: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    bbox: geojson.Bbox | None = None
    exercise: bool = False

    def shows(self, incident: str, exercise: bool) -> bool:
        """Whether the stream carries an incident (spec section 7): the named ones, whatever they are; otherwise
        real incidents only, or with ``exercise=true`` exercises only: the two are never mixed."""
        if self.incidents:
            return incident in self.incidents
        return exercise == self.exercise

    @property
    def narrows(self) -> bool:
        """Whether objects can leave this filter (then leaving objects are sent once more)."""
        return bool(self.kinds) or self.bbox is not None

    def admits(self, entry: Entry) -> bool:
        if self.kinds and entry.kind not in self.kinds:
            return False
        return self.bbox is None or entry.intersects(self.bbox)


class Phase(enum.Enum):
    """Where a stream is in its life; an ended stream's value is its close code."""

    QUEUED = "queued"  # changes wait in the buffer for the stream's own task (snapshot, catch-up, no fast path)
    LIVE = "live"  # the hub writes changes and heartbeats to the connection itself (the fast path)
    FELL_BEHIND = 4008  # its client did not keep up: closed
    REVOKED = 4001  # its token was revoked: closed


@dataclass(eq=False)
class Subscriber:
    viewer: str
    token_id: str
    filter: StreamFilter
    max_messages: int
    max_bytes: int
    inside: set[tuple[str, str]] = field(default_factory=set)
    buffer: deque[Change] = field(default_factory=deque)
    buffered_bytes: int = 0
    phase: Phase = Phase.QUEUED
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: FrameWriter | None = None
    sent: int = 0
    last_write: float = 0.0

    def offer(self, change: Change) -> None:
        """Buffers a change for the stream's own task, which filters it in seq order after what the snapshot or
        catch-up covered (before the stream is live, or without the fast path)."""
        if self.ended:
            return
        # A backlog over the bound is a client that does not keep up; a single change larger than the bound is
        # not (spec section 7): an empty buffer takes any change.
        if self.buffer and (
            len(self.buffer) >= self.max_messages or self.buffered_bytes + change.size > self.max_bytes
        ):
            self._overflow()
            return
        self.buffer.append(change)
        self.buffered_bytes += change.size
        self.wake.set()

    def deliver(self, changes: list[Change], shared: dict[tuple[str, frozenset[str], bool], bytes]) -> None:
        """Delivers a run of consecutive changes. Live on the fast path: the frames of the run are joined and
        written at once (``shared`` keeps the joined bytes per viewer and incidents for subscribers whose filter
        cannot narrow). Otherwise each change is offered to the buffer."""
        if self.ended:
            return
        writer = self.writer
        if not self.live or writer is None:
            for change in changes:
                self.offer(change)
            return
        fresh = changes if changes[0].seq > self.sent else [c for c in changes if c.seq > self.sent]
        if not fresh:  # covered by the snapshot or catch-up already
            return
        key = (self.viewer, self.filter.incidents, self.filter.exercise)
        shareable = fresh is changes and not self.filter.narrows
        data = shared.get(key) if shareable else None
        if data is None:
            data = b"".join(c.prepared(selected)[1] for c in fresh if (selected := self.select(c)))
            if shareable:
                shared[key] = data
        self.sent = fresh[-1].seq
        if not data:
            return
        backlog = writer.buffered()
        if backlog and backlog + len(data) > self.max_bytes:
            self._overflow()
        else:
            writer.write(data)
            self.last_write = time.monotonic()

    @property
    def live(self) -> bool:
        return self.phase is Phase.LIVE and self.writer is not None

    @property
    def ended(self) -> bool:
        return self.phase in (Phase.FELL_BEHIND, Phase.REVOKED)

    def go_live(self) -> None:
        """The snapshot or catch-up is sent and the buffer drained: from now on the hub writes (fast path)."""
        if not self.ended and self.writer is not None:
            self.phase = Phase.LIVE

    def revoke(self) -> None:
        self._end(Phase.REVOKED)

    def _overflow(self) -> None:
        self.buffer.clear()
        self.buffered_bytes = 0
        self._end(Phase.FELL_BEHIND)

    def _end(self, phase: Phase) -> None:
        """Ends the stream (the first end counts): a live fast-path stream is closed at once (behind the data in
        transit); otherwise the stream's task is woken, and closes it."""
        if self.ended:
            return
        was_live = self.live
        self.phase = phase
        if was_live and self.writer is not None:
            self.writer.close(phase.value)
        else:
            self.wake.set()

    def beat(self, now: float, interval: float, seq: int) -> None:
        """Sends a heartbeat to a live fast-path stream that has been quiet for ``interval``."""
        if self.live and self.writer is not None and now - self.last_write >= interval:
            self.sent = max(self.sent, seq)
            self.writer.write(text_frame(messages.heartbeat(self.sent)))
            self.last_write = now

    def take(self) -> Change | None:
        if not self.buffer:
            return None
        change = self.buffer.popleft()
        self.buffered_bytes -= change.size
        return change

    def select(self, change: Change) -> tuple[int, ...]:
        """The entries of a change this subscriber receives; tracks which objects are inside its filter."""
        if not self.filter.shows(change.incident, change.exercise):
            return ()
        return tuple(i for i, e in enumerate(change.entries) if self._wants(change.incident, e))

    def _wants(self, incident: str, entry: Entry) -> bool:
        if not picture.sees(entry.audience, self.viewer):
            return False
        if not self.filter.narrows:
            return True
        key = (incident, entry.object_id)
        if self.filter.admits(entry) and not entry.removed:
            self.inside.add(key)
            return True
        if key in self.inside:  # leaving (or removed): sent once more so that the client drops it
            self.inside.discard(key)
            return True
        return False


YIELD_EVERY = 500


class Hub:
    """The subscribers of this process, fed one change at a time, in seq order."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.last_seq = 0

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def publish(self, changes: list[Change]) -> None:
        """Delivers consecutive changes, in seq order, to every subscriber: one write per live subscriber for
        the whole run, the selection and encoding shared by subscribers that see the same thing. Yields to the
        event loop every ``YIELD_EVERY`` subscribers, so that a large fan-out never stalls ingest."""
        if not changes:
            return
        shared: dict[tuple[str, frozenset[str], bool], bytes] = {}
        for count, subscriber in enumerate(list(self.subscribers), 1):
            subscriber.deliver(changes, shared)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        self.last_seq = changes[-1].seq

    def revoke(self, token_id: str) -> None:
        """Closes (4001) every stream opened with a revoked token."""
        for subscriber in self.subscribers:
            if subscriber.token_id == token_id:
                subscriber.revoke()

    def beat(self, interval: float) -> None:
        """Heartbeats for live fast-path streams that have been quiet for ``interval`` (the others' own tasks
        send theirs)."""
        now = time.monotonic()
        for subscriber in self.subscribers:
            subscriber.beat(now, interval, self.last_seq)
