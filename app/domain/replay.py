"""The picture rebuilt in memory from the report log: for ``netcop verify`` and for ``as_of`` reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.domain import merge, picture


@dataclass
class Replay:
    """Applies reports in seq order to an in-memory picture, exactly as ingest applies them to the database."""

    window_us: int
    objects: dict[tuple[str, str], picture.ObjectState] = field(default_factory=dict)
    incidents: dict[str, merge.Facts] = field(default_factory=dict)
    changes: dict[int, list[picture.ChangeEntry]] = field(default_factory=dict)
    # (incident, sender, audience key) -> [first received, last received, last seq], as the writer keeps it
    activity: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    keep_changes: bool = True  # ``as_of`` reads need only the states

    def apply(self, report: picture.ReportFacts) -> picture.ReportOutcome:
        key = (report.incident, report.organisation, picture.audience_key(report.audience))
        seen = self.activity.setdefault(key, [report.received_at, report.received_at, report.seq])
        seen[1], seen[2] = max(seen[1], report.received_at), max(seen[2], report.seq)
        states = {e.id: self._state(report.incident, e.id) for e in report.objects}
        facts = self.incidents.setdefault(report.incident, {})
        outcome = picture.apply_report(states, facts, report, self.window_us)
        if self.keep_changes:
            self.changes[report.seq] = outcome.changes
        return outcome

    def apply_all(self, reports: Iterable[picture.ReportFacts]) -> None:
        for report in reports:
            self.apply(report)

    def checkpoint(self, incident: str) -> str:
        """One incident's whole state as JSON text: every object's facts and renderings, the incident's facts."""
        objects = [
            [object_id, state.facts, _view(state.public), {org: _view(view) for org, view in state.private.items()}]
            for (of_incident, object_id), state in sorted(self.objects.items())
            if of_incident == incident
        ]
        return orjson.dumps({"incident": self.incidents.get(incident, {}), "objects": objects}).decode()

    def restore(self, incident: str, checkpoint: str) -> None:
        """Takes up one incident's state from a checkpoint (``checkpoint``'s text)."""
        saved = orjson.loads(checkpoint)
        self.incidents[incident] = saved["incident"]
        for object_id, facts, public, private in saved["objects"]:
            state = picture.ObjectState(incident, object_id, facts, _restored(public))
            state.private = {org: _restored(view) for org, view in private.items()}
            self.objects[(incident, object_id)] = state

    def _state(self, incident: str, object_id: str) -> picture.ObjectState:
        key = (incident, object_id)
        state = self.objects.get(key)
        if state is None:
            state = self.objects[key] = picture.ObjectState(incident, object_id)
        return state


def _view(view: picture.View) -> list[Any]:
    return [view.json.decode() if view.json is not None else None, view.seq, view.updated_at]


def _restored(saved: list[Any]) -> picture.View:
    json, seq, updated_at = saved
    return picture.View(json.encode() if json is not None else None, seq, updated_at)
