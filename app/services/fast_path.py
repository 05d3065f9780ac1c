"""The writer's pipeline: the next group is prepared while the previous one commits.

A group commit spends most of its time waiting for PostgreSQL (the write, the commit's flush). Meanwhile the
writer prepares the next group: its idempotency look-up and the states it lacks are read on a connection of their
own, and it is merged in memory on top of the cached states, which already hold the committing group's changes,
at the fence that group will leave (the *predicted* fence). Once the previous group committed, the prepared one
only needs its transaction: lock the head rows, check that the fence is the predicted one, write, commit.

Whenever the prediction can fail, the group goes the safe way (``Ingestor``'s locked path, which reads the fence
first and merges after): the previous group did not commit (the cache is dropped and its epoch moves on), another
process or an admin action moved the fence, a report in the group was refused for its size, or a report repeats
one of the committing group (the unique index refuses it and the locked path finds it stored). Nothing a prepared
group wrote survives a failed check: its transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.repositories.writes import Fence, Key, WriteStore
from app.services import metrics
from app.services.group import Committed, GroupMerger, MergedGroup, Refused, incident_ids, object_keys
from app.services.plan import Plan, outcome, plan
from app.services.submissions import Submission
from app.services.write_cache import WriteCache

# Once another writer was seen, this many groups take the locked path (which catches the cache up cheaply).
HOLD_GROUPS = 50


@dataclass(slots=True)
class Prepared:
    """A group merged at a predicted fence, ready to be written."""

    group: list[Submission]
    decisions: Plan
    merged: MergedGroup | None  # None when the group accepted nothing
    base: Fence | None  # the fence it was merged at
    epoch: int
    keys: frozenset[Key] = field(default_factory=frozenset)


@dataclass(slots=True)
class FastPath:
    store: WriteStore
    cache: WriteCache
    window_us: int
    max_object_bytes: int
    clock: Callable[[], int]
    on_commit: Callable[[Committed], None] | None = None
    held: int = 0  # groups left to send the locked way, since another writer was seen

    def hold(self) -> None:
        """Another writer is active: predictions would fail, so the next groups go the locked way."""
        self.held = HOLD_GROUPS

    async def prepare(self, group: list[Submission], committing: frozenset[Key]) -> Prepared | None:
        """Plans and merges a group while another (whose objects are ``committing``) may still be committing;
        None when it must go the locked way."""
        base, epoch = self.cache.fence, self.cache.epoch
        if self.held > 0:
            self.held -= 1
            return None
        if base is None:
            return None
        stored = await self.store.stored_reports([s.key for s in group])
        decisions = plan(group, stored, await self.known_organisations(group))
        if not decisions.accepted:
            return Prepared(group, decisions, None, None, epoch)
        self.cache.trim(keep=committing)
        created = await self.cache.fill(self.store, object_keys(decisions.accepted), incident_ids(decisions.accepted))
        if self.cache.epoch != epoch or self.cache.fence != base:
            return None  # the committing group failed meanwhile: its changes are gone from the cache
        merger = GroupMerger(self.cache, self.window_us, self.max_object_bytes, created)
        try:
            merged = await merger.merge_cooperatively(decisions.accepted, base, self.clock())
        except Refused:
            self.cache.forget()  # the merge changed cached states; the locked path refuses the report
            return None
        self.cache.fence = merged.fence  # the prediction the next group is merged at
        return Prepared(group, decisions, merged, base, self.cache.epoch, frozenset(merger.touched))

    async def commit(self, prepared: Prepared) -> bool:
        """Writes a prepared group if the fence is still the predicted one, and answers it; False when it must go
        the locked way (nothing of it was written then, and the cache is dropped)."""
        merged = prepared.merged
        if merged is not None:
            if prepared.epoch != self.cache.epoch:
                return False
            try:
                await self._write(prepared)
            except _FenceMoved:
                self.cache.forget()
                self.hold()
                return False
            except Exception:
                self.cache.forget()
                return False
        metrics.record_group(len(prepared.group), len(prepared.decisions.accepted) if merged else 0)
        metrics.GROUPS.labels("prepared").inc()
        if merged is not None and self.on_commit is not None:
            self.on_commit(merged.committed)
        for submission in prepared.group:
            submission.answer(outcome(submission, prepared.decisions, merged))
        return True

    async def _write(self, prepared: Prepared) -> None:
        assert prepared.merged is not None
        assert prepared.merged.fence is not None
        async with self.store.transaction() as tx:
            if await tx.fence() != prepared.base:
                raise _FenceMoved
            await tx.write(prepared.merged.rows, prepared.merged.fence)

    async def known_organisations(self, group: list[Submission]) -> set[str]:
        """The known organisations, with those named in the group's audiences looked up when new to the cache
        (organisations are never deleted, so what was found stays true)."""
        named = {org for s in group for org in s.body.get("audience") or ()}
        unknown = named - self.cache.organisations
        if unknown:
            self.cache.organisations |= await self.store.existing_organisations(sorted(unknown))
        return self.cache.organisations


class _FenceMoved(Exception):
    """Another writer committed since the prediction."""
