"""Reports waiting for the writer, and the fair order in which it takes them.

Each organisation has its own queue, and the writer fills a group by taking one report from each organisation
in turn, up to a number of reports and an amount of work (object entries). So one partner's batch of a thousand
large reports is committed in many groups, and other partners' reports wait for one group, never for the whole
batch; a heavy report (a tenth of a group's work or more) is a group of its own, so that light reports are
never committed together with it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from app.errors import NetcopError
from app.services.audit import Caller


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one report: 201 (new), 200 (retry) with ``answer``, or an error."""

    status: int
    answer: dict[str, Any] | None = None
    error: NetcopError | None = None


@dataclass(slots=True)
class Submission:
    organisation: str
    body: dict[str, Any]
    body_hash: str
    caller: Caller
    future: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def key(self) -> tuple[str, str]:
        return (self.organisation, self.body["id"])

    @property
    def work(self) -> int:
        """What the report costs the writer, in object entries (at least one)."""
        return 1 + len(self.body.get("objects") or ())

    def answer(self, outcome: Outcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


# A report with more than this share of a group's work (1/HEAVY_SHARE) is committed in a group of its own.
HEAVY_SHARE = 10


class FairQueue:
    """Per-organisation queues, taken from in turn."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Submission]] = {}
        self._ready = asyncio.Event()

    def put(self, submission: Submission) -> None:
        self._queues.setdefault(submission.organisation, deque()).append(submission)
        self._ready.set()

    async def take(self, max_reports: int, max_work: int) -> list[Submission]:
        """The next group: waits for at least one report, then takes from each organisation in turn while the
        group is under both bounds (a single report over ``max_work`` is a group of its own)."""
        while not self._queues:
            self._ready.clear()
            await self._ready.wait()
        group: list[Submission] = []
        work = 0
        heavy = max_work // HEAVY_SHARE
        taken = True
        while taken and len(group) < max_reports:
            taken = False
            for organisation in list(self._queues):
                queue = self._queues[organisation]
                # A report that does not fit waits for the next group, keeping its turn; a heavy report is a
                # group of its own, so that light reports are never committed together with it.
                if group and (work + queue[0].work > max_work or queue[0].work > heavy or work > heavy):
                    continue
                submission = queue.popleft()
                group.append(submission)
                work += submission.work
                taken = True
                self._rotate(organisation, queue)
                if len(group) >= max_reports:
                    break
        return group

    def _rotate(self, organisation: str, queue: deque[Submission]) -> None:
        """Moves the organisation to the back of the turn (or out, when it has nothing left)."""
        del self._queues[organisation]
        if queue:
            self._queues[organisation] = queue

    def empty(self) -> bool:
        return not self._queues

    def drain(self) -> list[Submission]:
        """Everything still waiting (at shutdown)."""
        left = [s for queue in self._queues.values() for s in queue]
        self._queues.clear()
        return left
