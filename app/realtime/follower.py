"""The change-log follower: one per process, it reads every new change once and publishes it to the hub.

The change log in the database is the truth. Wake-ups come from this process's writer (after commit), from
PostgreSQL ``LISTEN netcop_changes`` (other processes' commits; the payload is at most a seq, never data) and
from a poll every second, so a lost signal or a listener that reconnects loses nothing: the follower always
reads everything after the last seq it published. The same listener carries ``netcop_revoked`` (a token id)
so that a revocation in any process closes the streams of that token everywhere; a periodic check of the open
streams' tokens covers a missed signal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from app.config import Settings
from app.db import Database
from app.domain import picture
from app.realtime.changes import Change, read_changes
from app.realtime.hub import Hub
from app.repositories import organisations as organisations_repo
from app.repositories import reports as reports_repo

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "netcop_changes"
REVOKED_CHANNEL = "netcop_revoked"
POLL_SECONDS = 1.0
TOKEN_CHECK_SECONDS = 5.0
MAX_LOCAL = 100_000
READ_SPAN = 1000


class Follower:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        settings: Settings,
        forget: Callable[[str], None],
        own_pids: Callable[[], set[int]] = set,
    ) -> None:
        self._db = db
        self._own_pids = own_pids
        self._hub = hub
        self._forget = forget
        self._settings = settings
        self._wake = asyncio.Event()
        self._known_end = 0
        self._local: dict[int, Change] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self._db.read() as conn:
            self._hub.last_seq = await reports_repo.last_seq(conn)
        self._tasks.append(asyncio.create_task(self._run(), name="netcop-follower"))
        if not self._settings.is_sqlite:
            self._tasks.append(asyncio.create_task(self._listen(), name="netcop-listener"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self, seq: int | None = None) -> None:
        """Something committed (up to ``seq``, when known): read what is new."""
        if seq is not None:
            self._known_end = max(self._known_end, seq)
        self._wake.set()

    def publish_local(self, committed: list[picture.CommittedReport]) -> None:
        """Takes the changes this process's writer just committed, so that they need not be read back."""
        if len(self._local) < MAX_LOCAL:
            for facts, entries, exercise in committed:
                self._local[facts.seq] = Change.committed(facts, entries, exercise)
        if committed:
            self.wake(committed[-1].facts.seq)

    async def _run(self) -> None:
        next_token_check = time.monotonic() + TOKEN_CHECK_SECONDS
        while True:
            polled = False
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that races a wake-up (gh-86296),
            # and stop() then waits forever.
            try:
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                polled = True
            self._wake.clear()
            # Heartbeats at most POLL_SECONDS late: sent once a stream has been quiet that much less than the
            # interval, so that "at least every 15 s" holds.
            self._hub.beat(self._settings.stream_heartbeat_seconds - POLL_SECONDS)
            try:
                await self.catch_up(read_database=polled)
                if time.monotonic() > next_token_check:
                    next_token_check = time.monotonic() + TOKEN_CHECK_SECONDS
                    await self._check_tokens()
            except Exception:  # the database may be away; the next round tries again
                log.warning("the change follower could not read the log", exc_info=True)

    async def catch_up(self, read_database: bool = True) -> None:
        """Publishes every change after the last one published, in order: from this process's own commits
        where it has them, from the change log otherwise (other processes' commits, a poll)."""
        await self._publish_contiguous_local()
        if not read_database and self._known_end <= self._hub.last_seq:
            return
        while True:
            async with self._db.read() as conn:
                end = await reports_repo.last_seq(conn)
                self._known_end = max(self._known_end, end)
                if end <= self._hub.last_seq:
                    return
                until = min(end, self._hub.last_seq + READ_SPAN)
                changes = await read_changes(conn, self._hub.last_seq, until)
            await self._hub.publish(changes)
            self._hub.last_seq = until
            for seq in [s for s in self._local if s <= until]:
                del self._local[seq]
            await self._publish_contiguous_local()

    async def _publish_contiguous_local(self) -> None:
        run: list[Change] = []
        while (change := self._local.pop(self._hub.last_seq + len(run) + 1, None)) is not None:
            run.append(change)
        await self._hub.publish(run)
        for seq in [s for s in self._local if s <= self._hub.last_seq]:
            del self._local[seq]

    async def _check_tokens(self) -> None:
        token_ids = {s.token_id for s in self._hub.subscribers}
        if not token_ids:
            return
        async with self._db.read() as conn:
            live = await organisations_repo.live_token_ids(conn, token_ids)
        for token_id in token_ids - live - {"admin"}:
            self._hub.revoke(token_id)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("the change listener lost PostgreSQL; reconnecting", exc_info=True)
            await asyncio.sleep(POLL_SECONDS)

    async def _listen_once(self) -> None:
        """Listens until the connection is lost."""
        import asyncpg

        url = self._settings.effective_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(url, timeout=self._settings.db_timeout_seconds)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANGES_CHANNEL, self._on_change)
            await connection.add_listener(REVOKED_CHANNEL, self._on_revoked)
            self.wake()  # whatever committed while we were not listening
            await lost.wait()
        finally:
            await connection.close(timeout=1)

    def _on_change(self, _connection: Any, pid: int, _channel: str, payload: str) -> None:
        # This process's own commits are handed over by its writer (``publish_local``) right after they commit;
        # their NOTIFY can arrive first, and would make the follower read back what it is about to be given.
        if pid in self._own_pids():
            return
        self.wake(int(payload) if payload.isdigit() else None)

    def _on_revoked(self, _connection: Any, _pid: int, _channel: str, token_id: str) -> None:
        self._forget(token_id)
        self._hub.revoke(token_id)
