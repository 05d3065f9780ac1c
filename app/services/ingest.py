"""Reports in: one writer task per process commits reports in groups (group commit).

Requests validate their reports, then hand them to ``Ingestor.submit`` and wait. The writer takes a group from
the fair queue (``submissions``: one report per organisation in turn, bounded in reports and in object entries)
and commits it in ONE transaction:

1. idempotency, before any lock: a stored report with the same organisation and id answers 200 (same body) or
   409 (another body); a restricted report naming an unknown organisation is refused (422);
2. the reports are merged in memory, each re-merging only what it touches (``domain.picture``), on the cached
   states (``write_cache``); one that would make an object's merged state too large is refused (422);
3. the head rows are locked and the fence checked (``repositories.writes``), every row of the group written in
   one statement (PostgreSQL) and the transaction committed; only then are the requests answered and the change
   follower handed the changes.

While a group commits, the next one is already planned and merged (``fast_path``: at the fence the committing
group will leave). When that prediction cannot hold, a group takes the *locked path* here: lock the head rows,
read the fence (dropping the cache when it moved), read what is missing, merge, write, commit. Holding the
head-row lock from the fence to the commit is what makes seqs gap-free and commit-ordered across processes, and
the audit chain one chain. A group that fails on the locked path for another reason than the database being
unreachable is retried one report at a time, so that one poisonous report cannot fail others.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.config import Settings
from app.db import UNREACHABLE_SQLSTATES, Database, is_unreachable
from app.domain.timefmt import now_micros
from app.errors import NetcopError, Unavailable
from app.repositories import reports as reports_repo
from app.repositories import writes
from app.services import metrics
from app.services.audit import Caller
from app.services.fast_path import FastPath, Prepared
from app.services.group import Committed, GroupMerger, MergedGroup, Refused, incident_ids, object_keys
from app.services.plan import Plan, outcome, plan
from app.services.submissions import FairQueue, Outcome, Submission
from app.services.write_cache import WriteCache

log = logging.getLogger(__name__)

OnCommit = Callable[[Committed], None]
# How far other writers may have moved the log for the cache to be caught up report by report (else dropped).
CATCH_UP_REPORTS = 5000
# Objects that survive a full collection are frozen now and then, so that the collector does not scan the
# writer's cache over and over (they are freed by reference counting when dropped).
FREEZE_SECONDS = 10.0

__all__ = ["Ingestor", "Outcome", "Submission"]


class Ingestor:
    """The process's single writer of reports."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        on_commit: OnCommit | None = None,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        self._clock = clock  # the receiving time, in microseconds (the differential test sets its own)
        self._db = db
        self._store = writes.store_for(db, settings.effective_database_url)
        self._cache = WriteCache(settings.writer_cache_objects, settings.writer_cache_incidents)
        self._queue = FairQueue()
        self._max_reports = settings.ingest_batch_limit
        self._max_work = settings.ingest_group_work
        self._window_us = int(settings.conflict_window_seconds * 1_000_000)
        self._max_object_bytes = settings.max_object_bytes
        self._fast = FastPath(self._store, self._cache, self._window_us, self._max_object_bytes, clock, on_commit)
        self._task: asyncio.Task[None] | None = None
        self._committing: asyncio.Task[bool] | None = None
        self._frozen_at = time.monotonic()

    @property
    def on_commit(self) -> OnCommit | None:
        callback: OnCommit | None = self._fast.on_commit
        return callback

    @on_commit.setter
    def on_commit(self, callback: OnCommit | None) -> None:
        self._fast.on_commit = callback

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="netcop-ingest")

    async def stop(self) -> None:
        for task in (self._task, self._committing):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for submission in self._queue.drain():
            submission.fail(Unavailable("the service is shutting down"))
        await self._store.close()

    def server_pids(self) -> set[int]:
        """The PostgreSQL backends the writer commits through: their change NOTIFYs need no reading back."""
        return self._store.server_pids()

    async def submit(self, organisation: str, body: dict[str, Any], body_hash: str, caller: Caller) -> Outcome:
        """Stores and merges one validated report; returns once it is committed (or refused)."""
        return (await self.submit_many([(organisation, body, body_hash)], caller))[0]

    async def submit_many(self, items: list[tuple[str, dict[str, Any], str]], caller: Caller) -> list[Outcome]:
        """Like ``submit`` for several reports, answered in the same order."""
        submissions = [Submission(org, body, digest, caller) for org, body, digest in items]
        for submission in submissions:
            self._queue.put(submission)
        return list(await asyncio.gather(*(s.future for s in submissions)))

    async def stored_answer(self, organisation: str, report_id: str, body_hash: str) -> dict[str, Any] | None:
        """The stored answer of a report with this id and body, if there is one (a retry). Read through the
        service's read pool: the writer's own connection serves only the writer task."""
        async with self._db.read() as conn:
            stored = await reports_repo.find_by_keys(conn, [(organisation, report_id)])
        found = stored.get((organisation, report_id))
        if found is None or found[0] != body_hash:
            return None
        answer: dict[str, Any] = orjson.loads(found[1])
        return answer

    async def _run(self) -> None:
        committing: tuple[asyncio.Task[bool], Prepared] | None = None
        while True:
            group = await self._queue.take(self._max_reports, self._max_work)
            prepared = await self._prepare(group, committing[1].keys if committing else frozenset())
            await self._settle(committing)
            committing = None
            if prepared is None:
                await self._commit_group(group)
            else:
                self._committing = asyncio.create_task(self._fast.commit(prepared), name="netcop-ingest-commit")
                committing = (self._committing, prepared)
                if self._queue.empty():  # nothing to prepare meanwhile: finish it now
                    await self._settle(committing)
                    committing = None
            self._freeze_survivors()

    async def _prepare(self, group: list[Submission], committing: frozenset[writes.Key]) -> Prepared | None:
        try:
            return await self._fast.prepare(group, committing)
        except Exception:
            self._cache.forget()
            return None  # the locked path tries again, and says what went wrong

    async def _settle(self, committing: tuple[asyncio.Task[bool], Prepared] | None) -> None:
        """Waits for a prepared group's commit; a group whose prediction failed takes the locked path."""
        if committing is None:
            return
        task, prepared = committing
        try:
            done = await asyncio.shield(task)
        except asyncio.CancelledError:
            for submission in prepared.group:
                submission.fail(Unavailable("the service is shutting down"))
            raise
        if not done:
            await self._commit_group(prepared.group)

    def _freeze_survivors(self) -> None:
        if time.monotonic() - self._frozen_at > FREEZE_SECONDS:
            self._frozen_at = time.monotonic()
            gc.freeze()

    async def _commit_group(self, group: list[Submission]) -> None:
        try:
            outcomes = await self._commit_with_retries(group)
        except Unavailable as error:
            for submission in group:
                submission.fail(error)
        except Exception:
            if len(group) == 1:
                log.exception("report %s of %s could not be stored", group[0].body["id"], group[0].organisation)
                group[0].fail(NetcopError("the report could not be stored"))
                return
            for submission in group:
                await self._commit_group([submission])
        else:
            for submission, outcome in zip(group, outcomes, strict=True):
                submission.answer(outcome)

    async def _commit_with_retries(self, group: list[Submission]) -> list[Outcome]:
        for attempt in range(5):
            try:
                return await self._commit(group)
            except Exception as error:
                kind = _failure(error)
                if kind == "unreachable":
                    raise Unavailable("the database cannot be reached") from error
                # "stored": another process stored one of these ids after we looked: look again.
                if kind not in ("stored", "transient") or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    async def _commit(self, group: list[Submission]) -> list[Outcome]:
        stored = await self._store.stored_reports([s.key for s in group])
        decisions = plan(group, stored, await self._fast.known_organisations(group))
        merged = await self._write(decisions) if decisions.accepted else None
        metrics.record_group(len(group), len(decisions.accepted) if merged else 0)
        metrics.GROUPS.labels("locked").inc()
        if merged is not None and self.on_commit is not None:
            self.on_commit(merged.committed)
        return [outcome(s, decisions, merged) for s in group]

    async def _write(self, decisions: Plan) -> MergedGroup | None:
        while decisions.accepted:
            try:
                return await self._write_once(decisions)
            except Refused as refusal:
                self._cache.forget()  # the merge changed cached states before it was refused
                decisions.refuse(refusal.submission, Outcome(refusal.error.status, error=refusal.error))
            except BaseException:
                self._cache.forget()
                raise
        return None

    async def _write_once(self, decisions: Plan) -> MergedGroup | None:
        async with self._store.transaction() as tx:
            fence = await tx.fence()
            await self._catch_up(tx, fence)
            accepted = decisions.accepted
            created = await self._cache.fill(tx, object_keys(accepted), incident_ids(accepted))
            merger = GroupMerger(self._cache, self._window_us, self._max_object_bytes, created)
            merged = await merger.merge_cooperatively(decisions.accepted, fence, self._clock())
            assert merged.fence is not None
            await tx.write(merged.rows, merged.fence)
        self._cache.committed(merged.fence)
        return merged

    async def _catch_up(self, tx: writes.WriteTransaction, fence: writes.Fence) -> None:
        """Brings the cache to the fence read under lock. When other writers (other processes, admin actions)
        moved it by a few reports, only what those reports mentioned is dropped: processes that write in turn
        keep most of their cache. Otherwise everything is dropped."""
        known = self._cache.fence
        behind = fence.last_seq - known.last_seq if known is not None else -1
        if known is None or not 0 <= behind <= CATCH_UP_REPORTS:
            self._cache.align(fence)
            return
        if behind:
            self._cache.evict(*await tx.changed_since(known.last_seq, fence.last_seq))
            self._fast.hold()
        if fence.audit_id != known.audit_id + behind:
            # Audit entries without reports: admin actions, of which naming coordinators changes incidents.
            self._cache.evict((), list(self._cache.incidents))
        self._cache.fence = fence


def _failure(error: BaseException) -> str | None:
    """What a failed commit means: "unreachable" (503), "stored" (a unique key raced), "transient" (try again),
    or None (a bug or a poisonous report)."""
    if isinstance(error, OSError | ConnectionError):
        return "unreachable"
    if isinstance(error, DBAPIError):
        if is_unreachable(error) or _mentions(error.orig, ("connection", "connect", "closed", "terminat")):
            return "unreachable"
        if isinstance(error, IntegrityError):
            return "stored"
        return "transient" if _mentions(error.orig, ("deadlock", "serializ", "locked", "busy")) else None
    sqlstate = str(getattr(error, "sqlstate", "") or "")  # asyncpg's own errors, from the PostgreSQL store
    if sqlstate.startswith(UNREACHABLE_SQLSTATES) or type(error).__name__ in _ASYNCPG_LOST:
        return "unreachable"
    return {"23505": "stored", "40001": "transient", "40P01": "transient"}.get(sqlstate)


_ASYNCPG_LOST = frozenset({"ConnectionDoesNotExistError", "InterfaceError", "InternalClientError"})


def _mentions(error: Any, words: tuple[str, ...]) -> bool:
    text = f"{type(error).__name__} {error}".lower()
    return any(word in text for word in words)
