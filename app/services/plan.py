"""A group's decisions before anything is merged: retries (200), reused ids (409), unknown audiences (422), and
the reports to accept; then each report's outcome once the group committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from app.errors import Conflict
from app.repositories.writes import Key
from app.services.group import MergedGroup, unknown_audience
from app.services.submissions import Outcome, Submission


@dataclass(slots=True)
class Plan:
    """Accepted reports, and the answers already known (by ``id(submission)``)."""

    accepted: list[Submission] = field(default_factory=list)
    decided: dict[int, Outcome] = field(default_factory=dict)
    retry_of: dict[int, Submission] = field(default_factory=dict)

    def refuse(self, submission: Submission, outcome: Outcome) -> None:
        self.accepted.remove(submission)
        self.decided[id(submission)] = outcome


def plan(group: list[Submission], stored: dict[Key, tuple[str, str]], known: set[str]) -> Plan:
    """Decides what can be decided from the stored reports and the known organisations."""
    decisions = Plan()
    in_group: dict[Key, Submission] = {}
    for submission in group:
        if submission.key in stored:
            body_hash, answer = stored[submission.key]
            decisions.decided[id(submission)] = _retry_or_conflict(submission, body_hash, orjson.loads(answer))
        elif submission.key not in in_group and (unknown := unknown_audience(submission, known)) is not None:
            decisions.decided[id(submission)] = Outcome(422, error=unknown)
        elif submission.key in in_group:
            earlier = in_group[submission.key]
            if earlier.body_hash == submission.body_hash:
                decisions.retry_of[id(submission)] = earlier
            else:
                decisions.decided[id(submission)] = Outcome(409, error=_conflict(submission))
        else:
            in_group[submission.key] = submission
            decisions.accepted.append(submission)
    return decisions


def outcome(submission: Submission, decisions: Plan, merged: MergedGroup | None) -> Outcome:
    """The answer to one report of a group that committed ``merged`` (None: nothing was accepted)."""
    original = decisions.retry_of.get(id(submission))
    if original is not None:
        refused = decisions.decided.get(id(original))
        if refused is not None:
            return refused
        assert merged is not None
        return Outcome(200, merged.answers[id(original)])
    decided = decisions.decided.get(id(submission))
    if decided is not None:
        return decided
    assert merged is not None
    return Outcome(201, merged.answers[id(submission)])


def _retry_or_conflict(submission: Submission, stored_hash: str, answer: dict[str, Any]) -> Outcome:
    if stored_hash == submission.body_hash:
        return Outcome(200, answer)
    return Outcome(409, error=_conflict(submission))


def _conflict(submission: Submission) -> Conflict:
    return Conflict(f"report id '{submission.body['id']}' was already used by this organisation with another body")
