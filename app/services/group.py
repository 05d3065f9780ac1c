"""One group of accepted reports merged in memory: the rows to write, the answers and the committed changes.

Pure but for the states it changes in place (the writer's cache, which is dropped if the group does not
commit). Seqs and audit ids follow the fence read under lock, so the rows are final before they are sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.domain import audit, picture, steps
from app.domain.timefmt import format_micros
from app.errors import Invalid, NetcopError, NotCoordinator
from app.repositories.writes import Fence, GroupRows, Key
from app.services.submissions import Submission
from app.services.write_cache import WriteCache

# The longest the merge keeps the event loop before it gives others a turn.
STEP_SECONDS = 0.002

# What a group committed, in seq order: handed to the change follower after the commit.
Committed = list[picture.CommittedReport]


class Refused(Exception):
    """A report is refused for what it would do to the state: an object's merged state larger than allowed, or
    incident fields set by an organisation that does not coordinate the incident."""

    def __init__(self, submission: Submission, error: NetcopError) -> None:
        super().__init__(error.message)
        self.submission = submission
        self.error = error


@dataclass(slots=True)
class MergedGroup:
    rows: GroupRows = field(default_factory=GroupRows)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # by id(submission)
    committed: Committed = field(default_factory=list)
    fence: Fence | None = None


@dataclass(slots=True)
class GroupMerger:
    """Merges one group against the cache; ``created`` are the objects that the store does not have yet."""

    cache: WriteCache
    window_us: int
    max_object_bytes: int
    created: set[Key]
    touched: dict[Key, picture.ObjectState] = field(default_factory=dict)
    public_before: dict[Key, int | None] = field(default_factory=dict)
    incidents: set[str] = field(default_factory=set)
    created_incidents: set[str] = field(default_factory=set)

    def merge(self, accepted: list[Submission], fence: Fence, now: int) -> MergedGroup:
        """Merges the group in one go."""
        return steps.finish(self.steps(accepted, fence, now))

    async def merge_cooperatively(self, accepted: list[Submission], fence: Fence, now: int) -> MergedGroup:
        """Merges the group, giving the event loop a turn at least every STEP_SECONDS: a report of a thousand
        objects takes tens of milliseconds, which other partners' requests and the readers do not wait for."""
        merging = self.steps(accepted, fence, now)
        deadline = time.perf_counter() + STEP_SECONDS
        while True:
            try:
                next(merging)
            except StopIteration as done:
                merged: MergedGroup = done.value
                return merged
            if time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + STEP_SECONDS

    def steps(self, accepted: list[Submission], fence: Fence, now: int) -> Generator[None, None, MergedGroup]:
        """The merge, one object entry at a time."""
        group = MergedGroup()
        received_at = max(fence.last_received_at, now)
        audit_entries: list[dict[str, Any]] = []
        for offset, submission in enumerate(accepted, 1):
            facts = picture.report_facts(submission.body, seq=fence.last_seq + offset,
                                         organisation=submission.organisation, received_at=received_at)  # fmt: skip
            outcome = yield from self._apply(submission, facts)
            group.answers[id(submission)] = _answer(facts, outcome)
            exercise = self.cache.incidents[facts.incident].exercise
            group.committed.append(picture.CommittedReport(facts, outcome.changes, exercise))
            _add_report_rows(group.rows, submission, facts, outcome, group.answers[id(submission)])
            audit_entries.append(_audit_entry(submission, facts))
        audit_hash = audit.chain(audit_entries, fence.audit_id, fence.audit_hash)
        group.rows.audit = [tuple(e[c] for c in _AUDIT_ORDER) for e in audit_entries]
        group.rows.activity = _activity(group.committed)
        yield from self._add_state_rows(group.rows)
        last_audit = audit_entries[-1]["id"] if audit_entries else fence.audit_id
        group.fence = Fence(fence.last_seq + len(accepted), received_at, last_audit, audit_hash)
        return group

    def _apply(
        self, submission: Submission, facts: picture.ReportFacts
    ) -> Generator[None, None, picture.ReportOutcome]:
        incident = self._incident(submission, facts)
        states: dict[str, picture.ObjectState] = {}
        for entry in facts.objects:
            key = (facts.incident, entry.id)
            state = states[entry.id] = self.cache.object(key)
            if key not in self.touched:
                self.touched[key] = state
                self.public_before[key] = state.public.seq
        self.incidents.add(facts.incident)
        outcome = yield from picture.apply_report_steps(states, incident.facts, facts, self.window_us)
        for index, entry in enumerate(facts.objects):
            if _largest_view(states[entry.id]) > self.max_object_bytes:
                raise Refused(submission, Invalid.at(
                    f"objects[{index}]", f"the object's merged state would exceed {self.max_object_bytes} bytes"))
        return outcome

    def _incident(self, submission: Submission, facts: picture.ReportFacts) -> picture.IncidentState:
        """The report's incident, created by it when new; refused when the report may not set its fields."""
        incident = self.cache.incidents.get(facts.incident)
        if incident is None:
            incident = self.cache.incidents[facts.incident] = picture.created_by(facts)
            self.created_incidents.add(facts.incident)
        refusal = picture.authority_refusal(incident, facts)
        if refusal is not None:
            status, path, message = refusal
            error = NotCoordinator(message) if status == 403 else Invalid.at(path, message)
            raise Refused(submission, error)
        return incident

    def _add_state_rows(self, rows: GroupRows) -> Generator[None, None, None]:
        for key, state in self.touched.items():
            yield
            if not state.touched:
                continue
            public_changed = state.public.seq != self.public_before[key] or key in self.created
            row = (key[0], key[1], orjson.dumps(state.facts).decode(), *_public_columns(state.public))
            if key in self.created:
                rows.new_objects.append(row)
            else:
                rows.object_updates.append((*row, public_changed))
            for organisation in sorted(state.touched_private):
                view = state.private[organisation]
                content = view.content if view.content is not None else orjson.loads(view.json or b"{}")
                rows.views.append((key[0], key[1], organisation, _text(view.json), view.seq, content.get("kind"),
                                   bool(content.get("removed"))))  # fmt: skip
            state.touched = False
            state.touched_private.clear()
        for incident_id in sorted(self.incidents):
            incident = self.cache.incidents[incident_id]
            rows.incidents.append((incident_id, orjson.dumps(incident.facts).decode(),
                                   orjson.dumps(incident.coordinators).decode(), incident.exercise))  # fmt: skip


_AUDIT_ORDER = ("id", "at", "actor", "organisation_id", "action", "subject", "address", "details", "prev_hash", "hash")


def _largest_view(state: picture.ObjectState) -> int:
    sizes = [len(v.json) for v in (state.public, *state.private.values()) if v.json is not None]
    return max(sizes, default=0)


def _text(json: bytes | None) -> str | None:
    return json.decode() if json is not None else None


def _public_columns(view: picture.View) -> tuple[Any, ...]:
    if view.json is None:
        return (None, None, None, False, None, None, None, None)
    content = view.content
    if content is None:  # unchanged since it was read back: its columns are not written
        return (view.json.decode(), view.seq, None, False, None, None, None, None)
    bounds = content.get("bounds") or (None, None, None, None)
    return (view.json.decode(), view.seq, content["kind"], bool(content["removed"]), *bounds)


def _answer(facts: picture.ReportFacts, outcome: picture.ReportOutcome) -> dict[str, Any]:
    return {
        "id": facts.report,
        "organisation": facts.organisation,
        "incident": facts.incident,
        "seq": facts.seq,
        "received_at": format_micros(facts.received_at),
        "changed": outcome.changed,
    }


def _add_report_rows(
    rows: GroupRows,
    submission: Submission,
    facts: picture.ReportFacts,
    outcome: picture.ReportOutcome,
    answer: dict[str, Any],
) -> None:
    rows.reports.append((facts.seq, facts.organisation, facts.report, facts.incident,
                         submission.body.get("visibility", "partners"), facts.observed_at, facts.received_at,
                         orjson.dumps(submission.body).decode(), submission.body_hash,
                         orjson.dumps(answer).decode()))  # fmt: skip
    rows.audience.extend((facts.seq, o) for o in sorted(facts.audience or ()))
    rows.mentions.extend((facts.incident, e.id, facts.seq) for e in facts.objects)
    rows.changes.extend(
        (facts.seq, i, c.object_id, c.audience, c.json.decode()) for i, c in enumerate(outcome.changes)
    )


def _activity(committed: Committed) -> list[tuple[Any, ...]]:
    """The incident activity rows of a group: one per incident, sender and audience (a row may be written once
    per statement), with the group's receipt time and the last seq (ACTIVITY_COLUMNS)."""
    activity: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for report in committed:
        facts = report.facts
        key = (facts.incident, facts.organisation, picture.audience_key(facts.audience))
        activity[key] = (*key, facts.received_at, facts.received_at, facts.seq)
    return [activity[key] for key in sorted(activity)]


def _audit_entry(submission: Submission, facts: picture.ReportFacts) -> dict[str, Any]:
    return {
        "at": facts.received_at,
        "actor": submission.caller.token_id,
        "organisation_id": facts.organisation,
        "action": "report.accepted",
        "subject": f"{facts.organisation}/{facts.report}",
        "address": submission.caller.address,
        "details": orjson.dumps({"seq": facts.seq, "incident": facts.incident}).decode(),
    }


def incident_ids(accepted: list[Submission]) -> list[str]:
    return list(dict.fromkeys(s.body["incident"] for s in accepted))


def object_keys(accepted: list[Submission]) -> list[Key]:
    return list(dict.fromkeys((s.body["incident"], o["id"]) for s in accepted for o in s.body.get("objects", [])))


def unknown_audience(submission: Submission, known: set[str]) -> Invalid | None:
    details = [
        {"path": f"audience[{i}]", "message": f"unknown organisation '{org}'"}
        for i, org in enumerate(submission.body.get("audience") or ())
        if org not in known
    ]
    return Invalid("the report is invalid", details) if details else None

