"""Applying reports to objects: the picture as each viewer sees it, and the changes each report makes.

An object keeps its merge facts, its *public* view (what every organisation sees that may not see any
restricted report about it) and a *private* view for each organisation that may see at least one restricted
report about it. Applying a report folds its assertions into the facts and re-renders exactly the views that
the report can affect; a view whose rendering changed gets the report's ``seq``. Each changed view becomes a
change entry with the audience that sees it, which is what the change log and the live stream deliver.

Everything here is pure: the ingest service loads states from the database, applies, and writes them back;
``netcop verify`` and ``as_of`` replay the report log through the same code in memory.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from app.domain import geojson, merge, steps
from app.domain.timefmt import format_micros, parse_rfc3339, to_micros

RESERVED = ("kind", "geometry", "removed")
INCIDENT_FIELDS = ("title", "category", "status", "grip", "exercise")


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    """What one report asserts about one object: (property, value) pairs."""

    id: str
    assertions: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """An accepted report, reduced to what the merge needs."""

    seq: int
    organisation: str
    report: str
    incident: str
    observed_at: int
    received_at: int
    audience: frozenset[str] | None
    incident_info: tuple[tuple[str, Any], ...]
    objects: tuple[ObjectEntry, ...]

    @property
    def visibility_class(self) -> str:
        return merge.class_of(self.organisation, self.audience)


def entry_assertions(entry: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The properties one object entry of a report asserts."""
    pairs = [(name, entry[name]) for name in RESERVED if name in entry]
    pairs.extend(sorted((entry.get("properties") or {}).items()))
    return tuple(pairs)


def report_facts(body: dict[str, Any], *, seq: int, organisation: str, received_at: int) -> ReportFacts:
    """Reduces a validated report body to its facts."""
    audience = body.get("audience") if body.get("visibility") == "restricted" else None
    return ReportFacts(
        seq=seq,
        organisation=organisation,
        report=body["id"],
        incident=body["incident"],
        observed_at=to_micros(parse_rfc3339(body["observed_at"])),
        received_at=received_at,
        audience=frozenset(audience) if audience is not None else None,
        incident_info=tuple(sorted((body.get("incident_info") or {}).items())),
        objects=tuple(ObjectEntry(o["id"], entry_assertions(o)) for o in body.get("objects", [])),
    )


@dataclass(slots=True)
class View:
    """One rendering of an object: ``json`` is None while the object does not exist for this view.

    ``content`` is the rendering as a value (see ``render_content``), kept so that a report re-merges only the
    properties it touches; it is None for a view read back from storage until it is first re-rendered."""

    json: bytes | None = None
    seq: int | None = None
    updated_at: int | None = None
    content: dict[str, Any] | None = None


@dataclass(slots=True)
class ObjectState:
    incident: str
    id: str
    facts: merge.Facts = field(default_factory=dict)
    public: View = field(default_factory=View)
    private: dict[str, View] = field(default_factory=dict)
    touched_private: set[str] = field(default_factory=set)
    touched: bool = False
    classes: set[str] | None = None  # the visibility classes in ``facts``, once asked for

    def visibility_classes(self) -> set[str]:
        if self.classes is None:
            self.classes = {c for by_class in self.facts.values() for c in by_class}
        return self.classes


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One object's new state in a change, and who sees it ("*", "-a,b" or "+a,b")."""

    object_id: str
    audience: str
    json: bytes


_ABSENT: Any = object()


def _place(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Sets or (for ``_ABSENT``) drops a key, keeping the mapping in key order, as a full rendering has it."""
    if value is _ABSENT:
        mapping.pop(key, None)
    elif key in mapping or not mapping or key > next(reversed(mapping)):
        mapping[key] = value
    else:
        mapping[key] = value
        ordered = sorted(mapping.items())
        mapping.clear()
        mapping.update(ordered)


def _put(content: dict[str, Any], name: str, merged: merge.Merged | None) -> None:
    """Writes one property's merged state into a rendering."""
    present = merged is not None and merged.winner.value is not None
    value = merged.winner.value if merged is not None and present else None
    if name in RESERVED:
        content[name] = bool(value) if name == "removed" else value
        if name == "geometry":  # once per geometry, for the stored extent and the stream's bbox filters
            content["bounds"] = geojson.bounds(value) if value is not None else None
    else:
        _place(content["properties"], name, value if present else _ABSENT)
    _place(content["provenance"], name, merged.winner.provenance() if merged is not None and present else _ABSENT)
    conflict: Any = _ABSENT
    if merged is not None and merged.conflict:
        conflict = {"property": name, "values": [{"value": a.value, **a.provenance()} for a in merged.conflict]}
    _place(content["conflicts"], name, conflict)


def render_content(facts: merge.Facts, visible: merge.Visible, window_us: int) -> dict[str, Any] | None:
    """The merged object as one viewer sees it, without its position fields (seq, updated_at); ``conflicts``
    is keyed by property, ``bounds`` is the geometry's extent. None when the viewer sees no assertion about it."""
    merged = merge.merge_facts(facts, visible, window_us)
    if not merged:
        return None
    content: dict[str, Any] = {"kind": None, "geometry": None, "bounds": None, "properties": {}, "removed": False,
                               "provenance": {}, "conflicts": {}}  # fmt: skip
    for name, result in merged.items():
        _put(content, name, result)
    return content


def patched_content(
    content: dict[str, Any], facts: merge.Facts, names: Iterable[str], visible: merge.Visible, window_us: int
) -> dict[str, Any]:
    """A rendering with only the named properties merged anew (copied, never changed in place: renderings are
    shared between views)."""
    patched = {**content, "properties": dict(content["properties"]), "provenance": dict(content["provenance"]),
               "conflicts": dict(content["conflicts"])}  # fmt: skip
    for name in names:
        by_class = facts.get(name)
        _put(patched, name, merge.merge_property(by_class, visible, window_us) if by_class else None)
    return patched


def render_json(
    incident: str, object_id: str, content: dict[str, Any], seq: int | None, updated_at: int | None
) -> bytes:
    """The object as returned everywhere (spec section 6), as JSON bytes."""
    return orjson.dumps(
        {
            "incident": incident,
            "id": object_id,
            "kind": content["kind"],
            "geometry": content["geometry"],
            "properties": content["properties"],
            "removed": content["removed"],
            "seq": seq,
            "updated_at": format_micros(updated_at) if updated_at is not None else None,
            "provenance": content["provenance"],
            "conflicts": list(content["conflicts"].values()),
        }
    )


def rerender(
    state: ObjectState,
    previous: View,
    visible: merge.Visible,
    report: ReportFacts,
    window_us: int,
    names: Iterable[str] = (),
) -> View | None:
    """The view anew after a report that asserted ``names``, or None when its rendering did not change. A view
    with a kept rendering merges only those properties again; one read back from storage merges them all."""
    if previous.content is not None:
        content: dict[str, Any] | None = patched_content(previous.content, state.facts, names, visible, window_us)
    else:
        content = render_content(state.facts, visible, window_us)
    if content is None:
        return None
    if previous.json is not None:
        unchanged = render_json(state.incident, state.id, content, previous.seq, previous.updated_at)
        if unchanged == previous.json:
            previous.content = content
            return None
    json = render_json(state.incident, state.id, content, report.seq, report.received_at)
    return View(json, report.seq, report.received_at, content)


def fold_entry(state: ObjectState, entry: ObjectEntry, report: ReportFacts) -> list[str]:
    """Folds one entry's assertions into the object's facts; returns the properties whose facts changed."""
    changed: list[str] = []
    visibility_class = report.visibility_class
    for prop, value in entry.assertions:
        if merge.fold(
            state.facts, prop, visibility_class, report.organisation, report.observed_at, report.report, value
        ):
            changed.append(prop)
    if changed and state.classes is not None:
        state.classes.add(visibility_class)
    return changed


def apply_entry(state: ObjectState, entry: ObjectEntry, report: ReportFacts, window_us: int) -> list[ChangeEntry]:
    """Applies one report's entry to one object; returns the change entries it makes. Only the properties whose
    facts changed are merged again, and only in the views that see the report."""
    names = fold_entry(state, entry, report)
    if not names:
        return []
    state.touched = True
    changes: list[ChangeEntry] = []
    if report.audience is None:
        public = rerender(state, state.public, merge.visible_to(None), report, window_us, names)
        if public is not None:
            state.public = public
            changes.append(ChangeEntry(state.id, _public_audience(state), public.json or b""))
        orgs = sorted(state.private)
    else:
        orgs = sorted(merge.class_members(report.visibility_class))
    changes.extend(_rerender_private(state, orgs, report, window_us, names))
    return changes


def _public_audience(state: ObjectState) -> str:
    return "-" + ",".join(sorted(state.private)) if state.private else "*"


def _rerender_private(
    state: ObjectState, orgs: list[str], report: ReportFacts, window_us: int, names: list[str]
) -> list[ChangeEntry]:
    """Re-renders the organisations' own views. Organisations that see the same classes of this object and held
    the same view share one rendering: a report to a large audience renders once, not once per member."""
    classes = state.visibility_classes()
    renderings: dict[tuple[tuple[str, ...], bytes | None, int | None], View | None] = {}
    changed_by_json: dict[bytes, list[str]] = {}
    for org in orgs:
        previous = state.private.get(org)
        if previous is None:
            previous = View(state.public.json, state.public.seq, state.public.updated_at, state.public.content)
            state.private[org] = previous
            state.touched_private.add(org)
        visible = merge.visible_to(org)
        key = (tuple(sorted(c for c in classes if visible(c))), previous.json, previous.seq)
        if key not in renderings:
            renderings[key] = rerender(state, previous, visible, report, window_us, names)
        view = renderings[key]
        if view is not None:
            state.private[org] = view
            state.touched_private.add(org)
            changed_by_json.setdefault(view.json or b"", []).append(org)
    return [ChangeEntry(state.id, "+" + ",".join(members), json) for json, members in changed_by_json.items()]


def sees(audience: str, viewer: str) -> bool:
    """Whether a change entry's audience includes the viewer."""
    if audience == "*":
        return True
    members = audience[1:].split(",")
    return (viewer in members) if audience[0] == "+" else (viewer not in members)


def view_of(state: ObjectState, viewer: str) -> View:
    return state.private.get(viewer, state.public)


def fold_incident(facts: merge.Facts, report: ReportFacts) -> bool:
    """Folds a report's incident_info into the incident's facts (the same rule as object properties)."""
    changed = False
    visibility_class = report.visibility_class
    for prop, value in report.incident_info:
        folded = merge.fold(
            facts, prop, visibility_class, report.organisation, report.observed_at, report.report, value
        )
        changed = folded or changed
    return changed


def render_incident_fields(facts: merge.Facts, viewer: str | None, window_us: int) -> dict[str, Any]:
    """An incident's merged fields as one viewer sees them, with defaults for what nobody asserted."""
    merged = merge.merge_facts(facts, merge.visible_to(viewer), window_us)
    values = {name: m.winner.value for name, m in merged.items() if m.winner.value is not None}
    return {
        "title": values.get("title"),
        "category": values.get("category"),
        "status": values.get("status", "active"),
        "grip": values.get("grip"),
        "exercise": bool(values.get("exercise", False)),
    }


@dataclass(slots=True)
class IncidentState:
    """An incident's merge facts and its authority: who coordinates it, and whether it is an exercise (fixed by
    the report that created it; spec section 1)."""

    facts: merge.Facts = field(default_factory=dict)
    coordinators: tuple[str, ...] = ()
    exercise: bool = False


def audience_key(audience: frozenset[str] | None) -> str:
    """Who may see a report, as the incident activity keeps it: empty for every partner, ``,a,b,`` for a
    restricted report's audience (sorted; each member between commas, so ``LIKE '%,a,%'`` finds it)."""
    return "" if audience is None else "," + "".join(f"{organisation}," for organisation in sorted(audience))


def created_by(report: ReportFacts) -> IncidentState:
    """The state of an incident that this report creates: its sender coordinates it."""
    exercise = dict(report.incident_info).get("exercise")
    return IncidentState({}, (report.organisation,), bool(exercise))


def authority_refusal(state: IncidentState, report: ReportFacts) -> tuple[int, str, str] | None:
    """Why a report may not set the incident's fields: (status, path, message); None when it may."""
    if not report.incident_info:
        return None
    if report.organisation not in state.coordinators:
        return (403, "incident_info", f"only the incident's coordinators ({', '.join(state.coordinators)}) may set "
                "its fields")  # fmt: skip
    exercise = dict(report.incident_info).get("exercise")
    if exercise is not None and bool(exercise) != state.exercise:
        return (422, "incident_info.exercise", f"is fixed at {str(state.exercise).lower()} since the incident was "
                "created")  # fmt: skip
    return None


class CommittedReport(NamedTuple):
    """What the writer hands the change follower for one committed report."""

    facts: ReportFacts
    changes: list[ChangeEntry]
    exercise: bool  # whether its incident is an exercise


def is_exercise(facts: merge.Facts) -> bool:
    """Whether an incident is an exercise, as every partner sees its fields (the winner of ``exercise`` does not
    depend on the conflict window)."""
    merged = merge.merge_property(facts.get("exercise", {}), merge.visible_to(None), 0) if "exercise" in facts else None
    return bool(merged is not None and merged.winner.value)


@dataclass(slots=True)
class ReportOutcome:
    """What one report did: its change entries, and the objects that changed in the sender's own picture."""

    changes: list[ChangeEntry]
    changed: list[str]


def apply_report(
    objects: dict[str, ObjectState], incident_facts: merge.Facts, report: ReportFacts, window_us: int
) -> ReportOutcome:
    """Applies a report to its incident and to the (already loaded) states of the objects it mentions."""
    return steps.finish(apply_report_steps(objects, incident_facts, report, window_us))


def apply_report_steps(
    objects: dict[str, ObjectState], incident_facts: merge.Facts, report: ReportFacts, window_us: int
) -> Generator[None, None, ReportOutcome]:
    """``apply_report`` one object entry at a time: yields after each, returns the outcome. A caller can let
    other work run between the entries of a large report."""
    fold_incident(incident_facts, report)
    outcome = ReportOutcome([], [])
    for entry in report.objects:
        entries = apply_entry(objects[entry.id], entry, report, window_us)
        outcome.changes.extend(entries)
        if any(sees(e.audience, report.organisation) for e in entries):
            outcome.changed.append(entry.id)
        yield
    return outcome
