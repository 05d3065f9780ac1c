"""Applying reports to the picture: what each viewer sees, and the change entries each report makes.

The properties at the end check spec sections 4 and 5 on small random report sets: the picture is a function of
the set of reports a viewer may see, whatever their order, duplicates or the storage round trips in between.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import merge, picture
from app.domain.picture import ObjectEntry, ReportFacts
from app.domain.replay import Replay
from app.domain.timefmt import parse_rfc3339, to_micros

T0 = to_micros(datetime(2026, 11, 27, 13, 3, tzinfo=UTC))
SECOND = 1_000_000
MINUTE = 60 * SECOND
WINDOW = 15 * MINUTE
RECEIVED = T0 + 60 * MINUTE
INCIDENT = "flood-dordrecht"


def report(
    seq: int,
    organisation: str,
    report_id: str,
    minutes: int,
    objects: dict[str, dict[str, Any]],
    *,
    audience: Iterable[str] | None = None,
    incident_info: dict[str, Any] | None = None,
) -> ReportFacts:
    """A report observed ``minutes`` after T0, received ``seq`` seconds after RECEIVED."""
    return ReportFacts(
        seq=seq,
        organisation=organisation,
        report=report_id,
        incident=INCIDENT,
        observed_at=T0 + minutes * MINUTE,
        received_at=RECEIVED + seq * SECOND,
        audience=frozenset(audience) if audience is not None else None,
        incident_info=tuple(sorted((incident_info or {}).items())),
        objects=tuple(ObjectEntry(i, tuple(a.items())) for i, a in objects.items()),
    )


def replayed(*reports: ReportFacts) -> Replay:
    replay = Replay(WINDOW)
    replay.apply_all(reports)
    return replay


def view_json(replay: Replay, object_id: str, viewer: str) -> bytes | None:
    state = replay.objects.get((INCIDENT, object_id))
    return picture.view_of(state, viewer).json if state is not None else None


def body(replay: Replay, object_id: str, viewer: str) -> dict[str, Any] | None:
    """The object as the viewer gets it, or None when it does not exist for the viewer."""
    json = view_json(replay, object_id, viewer)
    return orjson.loads(json) if json is not None else None


def shown(replay: Replay, object_id: str, viewer: str) -> dict[str, Any]:
    found = body(replay, object_id, viewer)
    assert found is not None
    return found


def at(minutes: int) -> str:
    return datetime.fromtimestamp((T0 + minutes * MINUTE) / SECOND, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def by(organisation: str, report_id: str, minutes: int) -> dict[str, str]:
    return {"organisation": organisation, "report": report_id, "observed_at": at(minutes)}


# --- examples -------------------------------------------------------------------------------------------

POLICE_12 = report(1, "police", "p-1", 0, {"casualties": {"kind": "casualty-count", "injured": 12}})
GHOR_15 = report(2, "ghor", "g-1", 5, {"casualties": {"injured": 15}})


def test_police_12_and_ghor_15_injured_is_a_conflict() -> None:
    """Police counting 12 injured and GHOR 15, five minutes later, shows GHOR's count and the conflict."""
    assert shown(replayed(POLICE_12, GHOR_15), "casualties", "fire") == {
        "incident": INCIDENT,
        "id": "casualties",
        "kind": "casualty-count",
        "geometry": None,
        "properties": {"injured": 15},
        "removed": False,
        "seq": 2,
        "updated_at": "2026-11-27T14:03:02Z",
        "provenance": {"injured": by("ghor", "g-1", 5), "kind": by("police", "p-1", 0)},
        "conflicts": [
            {
                "property": "injured",
                "values": [{"value": 15, **by("ghor", "g-1", 5)}, {"value": 12, **by("police", "p-1", 0)}],
            }
        ],
    }


def test_late_arriving_disagreement_adds_a_conflict_without_changing_the_winner() -> None:
    """An older report that disagrees within the window changes the picture (a conflict), not the winner."""
    replay = replayed(dataclasses.replace(GHOR_15, seq=1))
    outcome = replay.apply(dataclasses.replace(POLICE_12, seq=2))
    assert outcome.changed == ["casualties"]
    got = shown(replay, "casualties", "police")
    assert (got["properties"], got["seq"]) == ({"injured": 15}, 2)
    assert [v["organisation"] for v in got["conflicts"][0]["values"]] == ["ghor", "police"]


def test_reconfirming_a_value_later_changes_its_provenance() -> None:
    """Re-asserting the same value with a later observed_at is a change: the provenance moves on."""
    replay = replayed(POLICE_12)
    outcome = replay.apply(report(2, "police", "p-2", 10, {"casualties": {"injured": 12}}))
    assert outcome.changed == ["casualties"]
    assert [(e.object_id, e.audience) for e in outcome.changes] == [("casualties", "*")]
    got = shown(replay, "casualties", "fire")
    assert got["properties"] == {"injured": 12}
    assert got["provenance"]["injured"] == by("police", "p-2", 10)
    assert got["seq"] == 2


def test_a_later_assertion_that_ends_the_disagreement_ends_the_conflict() -> None:
    """Police later agreeing with GHOR's 15 ends the conflict."""
    replay = replayed(POLICE_12, GHOR_15)
    outcome = replay.apply(report(3, "police", "p-2", 10, {"casualties": {"injured": 15}}))
    assert outcome.changed == ["casualties"]
    got = shown(replay, "casualties", "fire")
    assert (got["properties"], got["conflicts"], got["seq"]) == ({"injured": 15}, [], 3)


def test_a_later_reconfirmation_out_of_the_window_ends_the_conflict() -> None:
    """GHOR re-confirming 15 half an hour on leaves police's 12 too old to conflict with."""
    replay = replayed(POLICE_12, GHOR_15, report(3, "ghor", "g-2", 30, {"casualties": {"injured": 15}}))
    assert shown(replay, "casualties", "fire")["conflicts"] == []


def test_a_duplicate_report_changes_nothing() -> None:
    """Applying the same report again makes no change entry and leaves the seq alone."""
    replay = replayed(POLICE_12, GHOR_15)
    outcome = replay.apply(dataclasses.replace(POLICE_12, seq=3, received_at=RECEIVED + 3 * SECOND))
    assert (outcome.changes, outcome.changed) == ([], [])
    assert shown(replay, "casualties", "police")["seq"] == 2


def test_an_outvoted_assertion_outside_the_window_changes_nothing() -> None:
    """An older value from another organisation, more than the window before the winner, changes no view."""
    replay = replayed(report(1, "police", "p-1", 30, {"casualties": {"injured": 12}}))
    outcome = replay.apply(report(2, "ghor", "g-1", 0, {"casualties": {"injured": 15}}))
    assert (outcome.changes, outcome.changed) == ([], [])


def test_null_clears_a_property() -> None:
    """Rule 3: a property whose winning assertion is null is absent, with no provenance."""
    first = report(1, "police", "p-1", 0, {"rb": {"kind": "roadblock", "status": "open", "note": "both"}})
    cleared = report(2, "fire", "f-1", 20, {"rb": {"kind": None, "note": None}})
    got = shown(replayed(first, cleared), "rb", "ghor")
    assert (got["kind"], got["properties"], list(got["provenance"])) == (None, {"status": "open"}, ["status"])


def test_an_earlier_null_does_not_clear_a_later_value() -> None:
    """A null observed before a value does not clear it."""
    replay = replayed(
        report(1, "fire", "f-1", 20, {"rb": {"note": "x"}}), report(2, "police", "p-1", 0, {"rb": {"note": None}})
    )
    assert shown(replay, "rb", "ghor")["properties"] == {"note": "x"}


def test_removed_and_restored() -> None:
    """``removed: true`` removes the object, a later ``removed: false`` restores it, a null winner means not removed."""
    removed = replayed(report(1, "police", "p-1", 0, {"rb": {"kind": "roadblock", "removed": True}}))
    assert shown(removed, "rb", "fire")["removed"] is True
    removed.apply(report(2, "fire", "f-1", 5, {"rb": {"removed": False}}))
    assert shown(removed, "rb", "fire")["removed"] is False
    removed.apply(report(3, "ghor", "g-1", 6, {"rb": {"removed": None}}))
    got = shown(removed, "rb", "fire")
    assert (got["removed"], "removed" in got["provenance"]) == (False, False)


def test_an_object_mentioned_only_in_restricted_reports_exists_only_for_their_class() -> None:
    """A restricted report's object exists for its audience and sender, and not for anyone else."""
    replay = Replay(WINDOW)
    outcome = replay.apply(report(1, "ghor", "g-1", 0, {"victims": {"injured": 3}}, audience=["police"]))
    assert [e.audience for e in outcome.changes] == ["+ghor,police"]
    assert shown(replay, "victims", "police")["properties"] == {"injured": 3}
    assert shown(replay, "victims", "ghor") == shown(replay, "victims", "police")
    assert body(replay, "victims", "fire") is None
    assert replay.objects[(INCIDENT, "victims")].public.json is None


def test_a_public_report_reaches_the_public_and_each_private_view() -> None:
    """After a restricted report, a public report makes one entry for everyone else and one for the class."""
    replay = replayed(report(1, "ghor", "g-1", 0, {"victims": {"injured": 3}}, audience=["police"]))
    outcome = replay.apply(report(2, "fire", "f-1", 5, {"victims": {"kind": "casualty-count", "injured": 4}}))
    assert [e.audience for e in outcome.changes] == ["-ghor,police", "+ghor,police"]
    assert outcome.changes[0].json == view_json(replay, "victims", "water-board")
    assert outcome.changes[1].json == view_json(replay, "victims", "police")
    assert shown(replay, "victims", "water-board")["conflicts"] == []
    assert [c["property"] for c in shown(replay, "victims", "police")["conflicts"]] == ["injured"]


def test_a_restricted_report_that_changes_nothing_makes_no_entry() -> None:
    """A restricted report outvoted by its sender's own later public assertion changes no view."""
    replay = replayed(report(1, "police", "p-1", 10, {"casualties": {"injured": 12}}))
    outcome = replay.apply(report(2, "police", "p-0", 0, {"casualties": {"injured": 11}}, audience=["ghor"]))
    assert (outcome.changes, outcome.changed) == ([], [])
    assert view_json(replay, "casualties", "ghor") == view_json(replay, "casualties", "fire")


def test_changed_is_seen_from_the_senders_own_picture() -> None:
    """A report that changes what others see but not what its sender sees lists no changed object."""
    replay = replayed(
        report(1, "fire", "f-1", 0, {"casualties": {"kind": "casualty-count"}}),
        report(2, "police", "p-2", 30, {"casualties": {"injured": 20}}, audience=["ghor"]),
    )
    outcome = replay.apply(report(3, "police", "p-1", 0, {"casualties": {"injured": 12}}))
    assert outcome.changed == []
    assert [e.audience for e in outcome.changes] == ["-ghor,police"]
    assert shown(replay, "casualties", "fire")["properties"] == {"injured": 12}
    assert shown(replay, "casualties", "police")["properties"] == {"injured": 20}


def test_render_content_is_none_when_nothing_is_visible() -> None:
    """An object with no visible assertion has no content for the viewer."""
    facts: merge.Facts = {}
    merge.fold(facts, "injured", "ghor,police", "ghor", T0, "g-1", 3)
    assert picture.render_content(facts, merge.visible_to("fire"), WINDOW) is None
    assert picture.render_content({}, merge.visible_to("fire"), WINDOW) is None


def test_incident_fields_default_and_merge_by_the_same_rule() -> None:
    """Incident fields default when unasserted and otherwise follow the merge rule and visibility."""
    defaults = {"title": None, "category": None, "status": "active", "grip": None, "exercise": False}
    assert picture.render_incident_fields({}, "fire", WINDOW) == defaults
    replay = replayed(
        report(1, "police", "p-1", 0, {}, incident_info={"title": "Dijkdoorbraak", "status": "closed", "grip": 2}),
        report(2, "fire", "f-1", 5, {}, incident_info={"status": None, "exercise": True}),
        report(3, "ghor", "g-1", 6, {}, incident_info={"title": "Overstroming"}, audience=["police"]),
    )
    facts = replay.incidents[INCIDENT]
    common = {"category": None, "status": "active", "grip": 2, "exercise": True}
    assert picture.render_incident_fields(facts, "fire", WINDOW) == {"title": "Dijkdoorbraak", **common}
    assert picture.render_incident_fields(facts, "police", WINDOW) == {"title": "Overstroming", **common}


def test_report_facts_reduces_a_report_body() -> None:
    """A report body reduces to its class, instant, incident info and per-object assertions, nulls included."""
    body = {
        "id": "ams-pol-000123",
        "incident": INCIDENT,
        "incident_info": {"title": "Dijkdoorbraak", "category": "flood"},
        "observed_at": "2026-11-27T14:03:00+01:00",
        "objects": [
            {"id": "rb", "removed": False, "properties": {"z": 1, "a": None}, "kind": "roadblock"},
            {"id": "bare"},
        ],
        "visibility": "restricted",
        "audience": ["police", "ghor"],
    }
    facts = picture.report_facts(body, seq=7, organisation="fire", received_at=RECEIVED)
    assert facts.observed_at == T0 == to_micros(parse_rfc3339("2026-11-27T13:03:00Z"))
    assert facts.visibility_class == "fire,ghor,police"
    assert facts.incident_info == (("category", "flood"), ("title", "Dijkdoorbraak"))
    assert facts.objects == (
        ObjectEntry("rb", (("kind", "roadblock"), ("removed", False), ("a", None), ("z", 1))),
        ObjectEntry("bare", ()),
    )
    for visibility in ("partners", "public"):
        plain = picture.report_facts(body | {"visibility": visibility}, seq=7, organisation="fire", received_at=0)
        assert (plain.audience, plain.visibility_class) == (None, merge.PUBLIC_CLASS)


def test_sees_reads_change_audiences() -> None:
    """A change entry's audience is everyone ("*"), everyone but ("-a,b") or only ("+a,b")."""
    assert picture.sees("*", "fire")
    assert picture.sees("-ghor,police", "fire")
    assert not picture.sees("-ghor,police", "police")
    assert picture.sees("+ghor,police", "ghor")
    assert not picture.sees("+ghor,police", "fire")
    assert not picture.sees("+police", "pol")
    assert picture.sees("-police", "pol")


# --- properties -----------------------------------------------------------------------------------------

ORGANISATIONS = ("fire", "ghor", "police", "water-board")
OUTSIDER = "defence"  # never reports, may be named in an audience
VIEWERS = (*ORGANISATIONS, OUTSIDER)
OBJECT_IDS = ("obj-a", "obj-b", "obj-c")
REPORT_IDS = ("r-1", "r-2", "r-10")
OBSERVED = (T0, T0 + MINUTE, T0 + 15 * MINUTE, T0 + 16 * MINUTE, T0 + 40 * MINUTE)
VALUES: dict[str, list[Any]] = {
    "kind": ["roadblock", "shelter", None],
    "removed": [True, False, None],
    "injured": [12, 15, 15.0, True, None],
    "status": ["open", {"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, None],
}
INCIDENT_VALUES: dict[str, list[Any]] = {"title": ["Dijkdoorbraak", "Overstroming", None], "status": ["closed", None]}


@st.composite
def pairs(draw: st.DrawFn, pool: dict[str, list[Any]], min_size: int) -> tuple[tuple[str, Any], ...]:
    names = draw(st.lists(st.sampled_from(sorted(pool)), min_size=min_size, max_size=3, unique=True))
    return tuple((name, draw(st.sampled_from(pool[name]))) for name in names)


@st.composite
def report_sets(draw: st.DrawFn) -> list[ReportFacts]:
    """1 to 7 reports, unique by (organisation, report id), from 2 to 4 organisations about 1 to 3 objects."""
    organisations = draw(st.lists(st.sampled_from(ORGANISATIONS), min_size=2, max_size=4, unique=True))
    object_ids = draw(st.lists(st.sampled_from(OBJECT_IDS), min_size=1, max_size=3, unique=True))
    keys = st.tuples(st.sampled_from(organisations), st.sampled_from(REPORT_IDS))
    reports = []
    for organisation, report_id in draw(st.lists(keys, min_size=1, max_size=7, unique=True)):
        audience = st.frozensets(st.sampled_from([*organisations, OUTSIDER]), max_size=3)
        mentioned = draw(st.lists(st.sampled_from(object_ids), min_size=1, max_size=3, unique=True))
        reports.append(
            ReportFacts(
                seq=0,
                organisation=organisation,
                report=report_id,
                incident=INCIDENT,
                observed_at=draw(st.sampled_from(OBSERVED)),
                received_at=0,
                audience=draw(st.none() | audience),
                incident_info=draw(pairs(INCIDENT_VALUES, min_size=0)),
                objects=tuple(ObjectEntry(i, draw(pairs(VALUES, min_size=1))) for i in mentioned),
            )
        )
    return reports


def sequenced(reports: Iterable[ReportFacts]) -> list[ReportFacts]:
    """The reports as ingest would number them in this arrival order."""
    return [dataclasses.replace(r, seq=s, received_at=RECEIVED + s * SECOND) for s, r in enumerate(reports, 1)]


def may_see(viewer: str, report: ReportFacts) -> bool:
    """Spec section 5: partners or public, or restricted with the viewer in the audience or as the sender."""
    return report.audience is None or viewer in report.audience or viewer == report.organisation


def content(json: bytes | None) -> bytes | None:
    """A rendering without its position fields (seq, updated_at), as exact JSON bytes."""
    if json is None:
        return None
    found = orjson.loads(json)
    del found["seq"], found["updated_at"]
    return orjson.dumps(found)


def picture_of(replay: Replay, viewer: str) -> dict[str, Any]:
    """Everything a viewer sees: each existing object's content and the incident's fields."""
    objects = {oid: content(view_json(replay, oid, viewer)) for _, oid in replay.objects}
    return {
        "objects": {oid: c for oid, c in objects.items() if c is not None},
        "incident": picture.render_incident_fields(replay.incidents.get(INCIDENT, {}), viewer, WINDOW),
    }


@settings(max_examples=200, deadline=None)
@given(report_sets(), st.data())
def test_any_arrival_order_and_duplicates_give_the_same_picture(
    reports: list[ReportFacts], data: st.DataObject
) -> None:
    """Whatever the arrival order, and with reports applied again, every viewer sees the same picture."""
    duplicates = data.draw(st.lists(st.sampled_from(reports), max_size=3))
    arrival = data.draw(st.permutations([*reports, *duplicates]))
    once, shuffled = replayed(*sequenced(reports)), replayed(*sequenced(arrival))
    for (_, oid), state in once.objects.items():
        assert shuffled.objects[(INCIDENT, oid)].facts == state.facts
    for viewer in VIEWERS:
        assert picture_of(shuffled, viewer) == picture_of(once, viewer)


def round_trip(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def stored_view(view: picture.View) -> picture.View:
    """A view as the database gives it back: its JSON and seq, updated_at read from the JSON, no content."""
    if view.json is None:
        return picture.View(None, view.seq)
    return picture.View(view.json, view.seq, to_micros(parse_rfc3339(orjson.loads(view.json)["updated_at"])))


def stored(state: picture.ObjectState | None, object_id: str) -> picture.ObjectState:
    if state is None:
        return picture.ObjectState(INCIDENT, object_id)
    private = {org: stored_view(view) for org, view in state.private.items()}
    return picture.ObjectState(INCIDENT, object_id, round_trip(state.facts), stored_view(state.public), private)


def apply_through_storage(
    objects: dict[str, picture.ObjectState], incident: merge.Facts, report: ReportFacts
) -> tuple[list[picture.ChangeEntry], merge.Facts]:
    """Applies a report as ingest does: to states loaded from storage, written back afterwards."""
    states = {e.id: stored(objects.get(e.id), e.id) for e in report.objects}
    facts = round_trip(incident)
    outcome = picture.apply_report(states, facts, report, WINDOW)
    objects.update(states)
    return outcome.changes, facts


def positions(state: picture.ObjectState) -> tuple[Any, ...]:
    """What storage keeps of an object: facts, and each view's JSON and seq."""
    private = {org: (v.json, v.seq) for org, v in state.private.items()}
    return (state.facts, state.public.json, state.public.seq, private)


@settings(max_examples=200, deadline=None)
@given(report_sets())
def test_incremental_application_equals_a_replay_from_scratch(reports: list[ReportFacts]) -> None:
    """Applying reports one by one through storage gives, after each, what a fresh replay of them all gives."""
    log = sequenced(reports)
    objects: dict[str, picture.ObjectState] = {}
    incident: merge.Facts = {}
    for applied, report in enumerate(log, 1):
        changes, incident = apply_through_storage(objects, incident, report)
        fresh = replayed(*log[:applied])
        assert changes == fresh.changes[report.seq]
        assert incident == fresh.incidents[INCIDENT]
        assert {oid: positions(s) for oid, s in objects.items()} == {
            oid: positions(s) for (_, oid), s in fresh.objects.items()
        }
    for (_, oid), state in fresh.objects.items():
        for viewer in VIEWERS:
            view = picture.view_of(state, viewer)
            expected = picture.render_content(state.facts, merge.visible_to(viewer), WINDOW)
            assert view.content == expected
            rendered = picture.render_json(INCIDENT, oid, expected, 0, 0) if expected is not None else None
            assert content(view.json) == content(rendered)
            if expected is not None:  # byte for byte: the incremental rendering keeps the full one's key order
                assert view.json == picture.render_json(INCIDENT, oid, expected, view.seq, view.updated_at)


@settings(max_examples=200, deadline=None)
@given(report_sets())
def test_a_viewer_sees_the_merge_of_exactly_the_reports_it_may_see(reports: list[ReportFacts]) -> None:
    """Each viewer's picture equals a picture built from only the reports it may see; other objects do not exist."""
    everything = replayed(*sequenced(reports))
    for viewer in VIEWERS:
        visible = [r for r in reports if may_see(viewer, r)]
        only_visible = replayed(*sequenced(visible))
        assert picture_of(everything, viewer) == picture_of(only_visible, viewer)
        mentioned = {e.id for r in visible for e in r.objects}
        assert set(picture_of(everything, viewer)["objects"]) == mentioned


def views(replay: Replay, object_ids: Iterable[str]) -> dict[tuple[str, str], bytes | None]:
    return {(oid, viewer): view_json(replay, oid, viewer) for oid in object_ids for viewer in VIEWERS}


def delivered(changes: list[picture.ChangeEntry]) -> dict[tuple[str, str], bytes]:
    """What each viewer receives of a change, checking that nobody receives an object twice."""
    received: dict[tuple[str, str], bytes] = {}
    for entry in changes:
        for viewer in VIEWERS:
            if picture.sees(entry.audience, viewer):
                assert (entry.object_id, viewer) not in received
                received[(entry.object_id, viewer)] = entry.json
    return received


@settings(max_examples=200, deadline=None)
@given(report_sets())
def test_change_entries_reach_exactly_the_viewers_whose_view_changed(reports: list[ReportFacts]) -> None:
    """Each report's entries reach exactly the viewers whose content changed, with the new rendering and seq."""
    replay = Replay(WINDOW)
    object_ids = {e.id for r in reports for e in r.objects}
    for report in sequenced(reports):
        before = views(replay, object_ids)
        outcome = replay.apply(report)
        after = views(replay, object_ids)
        received = delivered(outcome.changes)
        assert {key for key in after if after[key] != before[key]} == set(received)
        for key, json in received.items():
            assert json == after[key]
            assert content(json) != content(before[key])
            assert orjson.loads(json)["seq"] == report.seq
        if report.audience is not None:
            members = merge.class_members(report.visibility_class)
            assert all(e.audience[0] == "+" for e in outcome.changes)
            assert all(viewer in members for _, viewer in received)
        assert outcome.changed == [e.id for e in report.objects if (e.id, report.organisation) in received]


def test_a_report_to_a_large_audience_renders_each_distinct_view_once() -> None:
    """Members of one restricted audience that saw the same object get one shared rendering, not one each."""
    audience = [f"org-{i:03d}" for i in range(150)]
    replay = replayed(report(1, "police", "r1", 0, {"car-1": {"kind": "unit", "speed": 1}}))
    outcome = replay.apply(report(2, "police", "r2", 1, {"car-1": {"speed": 2}}, audience=audience))
    state = replay.objects[(INCIDENT, "car-1")]
    assert len({id(state.private[org]) for org in audience}) == 1
    assert [e.audience for e in outcome.changes] == ["+" + ",".join(sorted([*audience, "police"]))]


def test_a_property_that_sorts_first_keeps_the_rendering_in_key_order() -> None:
    """A property added later but sorting before the others lands where a full rendering puts it."""
    replay = replayed(
        report(1, "police", "r1", 0, {"car-1": {"kind": "unit", "zeta": 1, "mid": 2}}),
        report(2, "fire", "r2", 1, {"car-1": {"alpha": 3, "mid": 4}}),
    )
    state = replay.objects[(INCIDENT, "car-1")]
    full = picture.render_content(state.facts, merge.visible_to(None), WINDOW)
    assert full is not None
    assert state.public.json == picture.render_json(INCIDENT, "car-1", full, 2, state.public.updated_at)
    assert list(orjson.loads(state.public.json or b"")["properties"]) == ["alpha", "mid", "zeta"]
