"""Reports in: one writer task per process commits reports in groups (group commit).

Requests validate their reports, then hand them to ``Ingestor.submit`` and wait. The writer takes whatever has
queued up (up to ``ingest_batch_limit``) and runs ONE transaction for the group:

1. idempotency: a stored report with the same organisation and id answers 200 (same body) or 409;
2. a restricted report naming an unknown organisation in its audience is refused (422);
3. the touched incidents and objects are created if new and locked, in key order;
4. the counter row is locked and the next seqs taken (this is what makes seqs gap-free and commit-ordered,
   across processes too: see README, design notes);
5. each report is merged (``domain.picture``, pure) and the log, the changes and the picture are written;
6. commit; only then are the requests answered and the realtime hub woken.

Committing many reports in one transaction is what lets a 2-core machine take thousands of durable reports a
second: the cost of a commit (fsync) is shared by the group. A group that fails for a reason other than the
database being unreachable is retried one report at a time, so that one poisonous report cannot fail others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.config import Settings
from app.db import Database, is_unreachable
from app.domain import picture
from app.domain.timefmt import format_micros, now_micros
from app.errors import Conflict, Invalid, NetcopError, Unavailable
from app.repositories import audit as audit_repo
from app.repositories import organisations as organisations_repo
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo
from app.services import metrics
from app.services.audit import Caller

log = logging.getLogger(__name__)


# What a group committed, in seq order: handed to the change follower after the commit.
Committed = list[tuple[picture.ReportFacts, list[picture.ChangeEntry]]]
OnCommit = Callable[[Committed], None]


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


@dataclass(slots=True)
class _Plan:
    """A group's decisions before anything is written."""

    accepted: list[Submission] = field(default_factory=list)
    decided: dict[int, Outcome] = field(default_factory=dict)
    retry_of: dict[int, Submission] = field(default_factory=dict)


class Ingestor:
    """The process's single writer of reports."""

    def __init__(self, db: Database, settings: Settings, on_commit: OnCommit | None = None) -> None:
        self._db = db
        self._limit = settings.ingest_batch_limit
        self._window_us = int(settings.conflict_window_seconds * 1_000_000)
        self._on_commit = on_commit
        self._queue: asyncio.Queue[Submission] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="netcop-ingest")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._queue.empty():
            self._queue.get_nowait().future.set_exception(Unavailable("the service is shutting down"))

    async def submit(self, organisation: str, body: dict[str, Any], body_hash: str, caller: Caller) -> Outcome:
        """Stores and merges one validated report; returns once it is committed (or refused)."""
        return (await self.submit_many([(organisation, body, body_hash)], caller))[0]

    async def submit_many(self, items: list[tuple[str, dict[str, Any], str]], caller: Caller) -> list[Outcome]:
        """Like ``submit`` for several reports, answered in the same order."""
        submissions = [Submission(org, body, digest, caller) for org, body, digest in items]
        for submission in submissions:
            self._queue.put_nowait(submission)
        return list(await asyncio.gather(*(s.future for s in submissions)))

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < self._limit and not self._queue.empty():
                group.append(self._queue.get_nowait())
            await self._commit_group(group)

    async def _commit_group(self, group: list[Submission]) -> None:
        try:
            outcomes = await self._commit_with_retries(group)
        except Unavailable as error:
            _fail(group, error)
        except Exception:
            if len(group) == 1:
                log.exception("report %s of %s could not be stored", group[0].body["id"], group[0].organisation)
                _fail(group, NetcopError("the report could not be stored"))
                return
            for submission in group:
                await self._commit_group([submission])
        else:
            for submission, outcome in zip(group, outcomes, strict=True):
                if not submission.future.done():
                    submission.future.set_result(outcome)

    async def _commit_with_retries(self, group: list[Submission]) -> list[Outcome]:
        for attempt in range(5):
            try:
                return await self._commit(group)
            except IntegrityError:
                # Another process stored one of these ids after we looked: look again.
                if attempt == 4:
                    raise
            except DBAPIError as error:
                if is_unreachable(error) or _is_connection_error(error):
                    raise Unavailable("the database cannot be reached") from error
                if not _is_transient(error) or attempt == 4:
                    raise
            except OSError as error:
                raise Unavailable("the database cannot be reached") from error
        raise AssertionError("unreachable")

    async def _commit(self, group: list[Submission]) -> list[Outcome]:
        async with self._db.write() as conn:
            plan = await self._plan(conn, group)
            answers: dict[int, dict[str, Any]] = {}
            committed: Committed = []
            if plan.accepted:
                answers, committed = await self._store(conn, plan.accepted)
        metrics.record_group(len(group), len(plan.accepted))
        if committed and self._on_commit is not None:
            self._on_commit(committed)
        return [self._outcome(i, s, plan, answers) for i, s in enumerate(group)]

    @staticmethod
    def _outcome(index: int, submission: Submission, plan: _Plan, answers: dict[int, dict[str, Any]]) -> Outcome:
        if index in plan.decided:
            return plan.decided[index]
        original = plan.retry_of.get(index)
        if original is not None:
            return Outcome(200, answers[id(original)])
        return Outcome(201, answers[id(submission)])

    async def _plan(self, conn: Any, group: list[Submission]) -> _Plan:
        plan = _Plan()
        stored = await reports_repo.find_by_keys(conn, [s.key for s in group])
        audience_ids = {org for s in group for org in s.body.get("audience") or ()}
        known_orgs = await organisations_repo.existing_ids(conn, audience_ids)
        in_group: dict[tuple[str, str], Submission] = {}
        for index, submission in enumerate(group):
            if submission.key in stored:
                body_hash, answer = stored[submission.key]
                plan.decided[index] = _retry_or_conflict(submission, body_hash, orjson.loads(answer))
            elif submission.key in in_group:
                earlier = in_group[submission.key]
                if earlier.body_hash == submission.body_hash:
                    plan.retry_of[index] = earlier
                else:
                    plan.decided[index] = Outcome(409, error=_conflict(submission))
            elif (unknown := _unknown_audience(submission, known_orgs)) is not None:
                plan.decided[index] = Outcome(422, error=unknown)
            else:
                in_group[submission.key] = submission
                plan.accepted.append(submission)
        return plan

    async def _store(self, conn: Any, accepted: list[Submission]) -> tuple[dict[int, dict[str, Any]], Committed]:
        incident_facts = await picture_repo.lock_incidents(conn, (s.body["incident"] for s in accepted))
        keys = [(s.body["incident"], o["id"]) for s in accepted for o in s.body.get("objects", [])]
        states = await picture_repo.lock_objects(conn, keys)
        last_seq, received_at = await reports_repo.take_seqs(conn, len(accepted), now_micros())
        await reports_repo.notify(conn, "netcop_changes", str(last_seq))
        rows = _Rows()
        answers: dict[int, dict[str, Any]] = {}
        committed: Committed = []
        for offset, submission in enumerate(accepted):
            seq = last_seq - len(accepted) + 1 + offset
            facts = picture.report_facts(submission.body, seq=seq, organisation=submission.organisation,
                                         received_at=received_at)  # fmt: skip
            objects = {e.id: states[(facts.incident, e.id)] for e in facts.objects}
            outcome = picture.apply_report(objects, incident_facts[facts.incident], facts, self._window_us)
            answers[id(submission)] = rows.add(submission, facts, outcome)
            committed.append((facts, outcome.changes))
        await reports_repo.append(conn, rows.reports, rows.audience, rows.mentions, rows.changes)
        await audit_repo.append(conn, rows.audit)
        await picture_repo.save_objects(conn, list(states.values()))
        await picture_repo.save_incidents(conn, incident_facts)
        return answers, committed


@dataclass(slots=True)
class _Rows:
    """The rows a group appends to the logs."""

    reports: list[dict[str, Any]] = field(default_factory=list)
    audience: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    def add(self, submission: Submission, facts: picture.ReportFacts, outcome: picture.ReportOutcome) -> dict[str, Any]:
        answer = {
            "id": facts.report,
            "organisation": facts.organisation,
            "incident": facts.incident,
            "seq": facts.seq,
            "received_at": format_micros(facts.received_at),
            "changed": outcome.changed,
        }
        self.reports.append(
            {
                "seq": facts.seq,
                "organisation_id": facts.organisation,
                "report_id": facts.report,
                "incident_id": facts.incident,
                "visibility": submission.body.get("visibility", "partners"),
                "observed_at": facts.observed_at,
                "received_at": facts.received_at,
                "body": orjson.dumps(submission.body).decode(),
                "body_hash": submission.body_hash,
                "answer": orjson.dumps(answer).decode(),
            }
        )
        self.audience.extend({"seq": facts.seq, "organisation_id": o} for o in sorted(facts.audience or ()))
        self.mentions.extend(
            {"incident_id": facts.incident, "object_id": e.id, "seq": facts.seq} for e in facts.objects
        )
        self.changes.extend(
            {"seq": facts.seq, "position": i, "object_id": c.object_id, "audience": c.audience, "json": c.json.decode()}
            for i, c in enumerate(outcome.changes)
        )
        self.audit.append(
            {
                "at": facts.received_at,
                "actor": submission.caller.token_id,
                "organisation_id": facts.organisation,
                "action": "report.accepted",
                "subject": f"{facts.organisation}/{facts.report}",
                "address": submission.caller.address,
                "details": {"seq": facts.seq, "incident": facts.incident},
            }
        )
        return answer


def _retry_or_conflict(submission: Submission, stored_hash: str, answer: dict[str, Any]) -> Outcome:
    if stored_hash == submission.body_hash:
        return Outcome(200, answer)
    return Outcome(409, error=_conflict(submission))


def _conflict(submission: Submission) -> Conflict:
    return Conflict(f"report id '{submission.body['id']}' was already used by this organisation with another body")


def _unknown_audience(submission: Submission, known: set[str]) -> Invalid | None:
    details = [
        {"path": f"audience[{i}]", "message": f"unknown organisation '{org}'"}
        for i, org in enumerate(submission.body.get("audience") or ())
        if org not in known
    ]
    return Invalid("the report is invalid", details) if details else None


def _fail(group: list[Submission], error: NetcopError) -> None:
    for submission in group:
        if not submission.future.done():
            submission.future.set_exception(error)


def _is_connection_error(error: DBAPIError) -> bool:
    text = f"{type(error.orig).__name__} {error.orig}".lower()
    return any(word in text for word in ("connection", "connect", "closed", "terminat", "shutdown"))


def _is_transient(error: DBAPIError) -> bool:
    text = f"{type(error.orig).__name__} {error.orig}".lower()
    return any(word in text for word in ("deadlock", "serializ", "locked", "busy"))
