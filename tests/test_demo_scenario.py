"""The demo scenario: well-formed reports (spec section 3) that tell the story the demo relies on."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.demo import scenario

START = datetime(2026, 11, 27, 14, 0, tzinfo=timezone(timedelta(hours=1)))
EXERCISE_ID = "exercise-chemical-moerdijk-2026"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
KIND = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TOP_LEVEL = {"id", "incident", "incident_info", "observed_at", "summary", "objects", "visibility", "audience"}
DISCIPLINES = {
    "police",
    "fire",
    "medical",
    "population-care",
    "water",
    "defence",
    "infrastructure",
    "national",
    "other",
}
DORDRECHT_AREA = (4.60, 51.74, 4.76, 51.85)
MOERDIJK_AREA = (4.50, 51.64, 4.66, 51.72)
WINDOW = timedelta(minutes=15)

Report = tuple[str, dict[str, Any]]


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    return scenario.build_reports(START)


def org_id(discipline: str) -> str:
    return next(org.id for org in scenario.ORGANISATIONS if org.discipline == discipline)


def observed(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["observed_at"])


def entries(reports: list[Report]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for organisation, body in reports:
        for entry in body["objects"]:
            yield organisation, body, entry


def positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates[0], coordinates[1]
        return
    for part in coordinates:
        yield from positions(part)


def assertions(entry: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for field in ("kind", "geometry", "removed"):
        if field in entry:
            yield field, entry[field]
    for key, value in entry.get("properties", {}).items():
        yield f"properties.{key}", value


def test_organisations_are_valid_partners() -> None:
    """Every organisation has a slug id, a known discipline and a country; one partner is from abroad."""
    ids = [org.id for org in scenario.ORGANISATIONS]
    assert len(ids) == len(set(ids)) >= 8
    assert all(SLUG.match(org.id) and org.discipline in DISCIPLINES for org in scenario.ORGANISATIONS)
    assert all(re.fullmatch(r"[A-Z]{2}", org.country) for org in scenario.ORGANISATIONS)
    assert {org.country for org in scenario.ORGANISATIONS} - {"NL"}


def test_story_is_long_and_told_by_everyone(reports: list[Report]) -> None:
    """At least 120 reports, and every organisation sends some."""
    assert len(reports) >= 120
    assert {organisation for organisation, _ in reports} == {org.id for org in scenario.ORGANISATIONS}


def test_build_is_deterministic() -> None:
    """Two builds from the same start are equal."""
    assert scenario.build_reports(START) == scenario.build_reports(START)


def test_naive_start_is_refused() -> None:
    """A start without a timezone cannot be turned into RFC 3339 times."""
    with pytest.raises(ValueError, match="timezone-aware"):
        scenario.build_reports(datetime(2026, 11, 27, 14, 0))  # noqa: DTZ001


def test_report_ids_are_unique_per_organisation(reports: list[Report]) -> None:
    """A report id is used once within its organisation (it is the idempotency key)."""
    keys = [(organisation, body["id"]) for organisation, body in reports]
    assert len(keys) == len(set(keys))
    assert all(1 <= len(body["id"]) <= 200 for _, body in reports)


def test_bodies_carry_only_spec_fields(reports: list[Report]) -> None:
    """Bodies have the spec's fields only; audience comes with restricted visibility and never without."""
    for _, body in reports:
        assert set(body) <= TOP_LEVEL
        assert {"id", "incident", "observed_at", "summary", "objects"} <= set(body)
        assert SLUG.match(body["incident"])
        assert body["visibility"] in {"partners", "restricted", "public"}
        assert ("audience" in body) == (body["visibility"] == "restricted")


@pytest.mark.parametrize("start", [START, START.astimezone(UTC)])
def test_observed_at_runs_over_four_hours(start: datetime) -> None:
    """Every observed_at parses, carries +01:00 and lies in [start, start + 4h30m], in sending order."""
    times = [observed(body) for _, body in scenario.build_reports(start)]
    assert all(t.utcoffset() == timedelta(hours=1) for t in times)
    assert all(start <= t <= start + timedelta(hours=4, minutes=30) for t in times)
    assert times == sorted(times)
    assert max(times) - min(times) >= timedelta(hours=3, minutes=30)


def test_objects_are_well_formed(reports: list[Report]) -> None:
    """Object ids are short, kinds are slugs, reserved keys are not used as properties."""
    for _, body, entry in entries(reports):
        assert 1 <= len(entry["id"]) <= 200
        assert set(entry) <= {"id", "kind", "geometry", "properties", "removed"}
        assert "kind" not in entry or KIND.match(entry["kind"])
        assert not {"kind", "geometry", "removed"} & set(entry.get("properties", {}))
        assert len([e for e in body["objects"] if e["id"] == entry["id"]]) == 1


def test_polygon_rings_are_closed(reports: list[Report]) -> None:
    """Every Polygon ring is closed and has at least four positions."""
    polygons = [e["geometry"] for _, _, e in entries(reports) if e.get("geometry", {}).get("type") == "Polygon"]
    assert polygons
    for polygon in polygons:
        for ring in polygon["coordinates"]:
            assert len(ring) >= 4
            assert ring[0] == ring[-1]


def test_coordinates_lie_around_dordrecht_and_moerdijk(reports: list[Report]) -> None:
    """Flood geometry lies around Dordrecht, exercise geometry around Moerdijk ([lon, lat], WGS84)."""
    for _, body, entry in entries(reports):
        west, south, east, north = MOERDIJK_AREA if body["incident"] == EXERCISE_ID else DORDRECHT_AREA
        for lon, lat in positions(entry.get("geometry", {}).get("coordinates", [])):
            assert west <= lon <= east
            assert south <= lat <= north


def test_objects_change_over_time(reports: list[Report]) -> None:
    """The story updates objects, clears a property with null and removes an object."""
    mentions: dict[str, int] = {}
    for _, _, entry in entries(reports):
        mentions[entry["id"]] = mentions.get(entry["id"], 0) + 1
    for object_id in ("gauge-dordtse-kil", "flooded-area", "evac-wielwijk", "shelter-sportboulevard"):
        assert mentions[object_id] >= 5
    assert any(entry.get("removed") is True for _, _, entry in entries(reports))
    assert any(None in entry.get("properties", {}).values() for _, _, entry in entries(reports))


def test_flooded_area_grows(reports: list[Report]) -> None:
    """Each flooded-area polygon reaches further east than the one before."""
    rings = [e["geometry"]["coordinates"][0] for _, _, e in entries(reports) if e["id"] == "flooded-area"]
    reach = [max(lon for lon, _ in ring) for ring in rings]
    assert reach == sorted(reach)
    assert len(set(reach)) == len(reach)


def test_police_and_medical_disagree_on_casualties(reports: list[Report]) -> None:
    """Police's latest count is 12 injured, GHOR's latest 15, observed within 15 minutes of each other."""
    latest: dict[str, tuple[datetime, object]] = {}
    for organisation, body, entry in entries(reports):
        if entry["id"] == "casualties-wielwijk" and "injured" in entry.get("properties", {}):
            latest[organisation] = (observed(body), entry["properties"]["injured"])
            assert entry.get("kind", "casualty-count") == "casualty-count"
    assert set(latest) == {org_id("police"), org_id("medical")}
    (police_at, police_count), (ghor_at, ghor_count) = latest[org_id("police")], latest[org_id("medical")]
    assert (police_count, ghor_count) == (12, 15)
    assert abs(police_at - ghor_at) <= WINDOW


def test_casualty_count_is_the_only_conflict(reports: list[Report]) -> None:
    """At the end of the story, the injured count is the only property on which organisations disagree."""
    latest: dict[tuple[str, str, str], dict[str, tuple[datetime, Any]]] = {}
    for organisation, body, entry in entries(reports):
        for prop, value in assertions(entry):
            latest.setdefault((body["incident"], entry["id"], prop), {})[organisation] = (observed(body), value)
    conflicts = {
        key
        for key, by_org in latest.items()
        if any(a[1] != b[1] and abs(a[0] - b[0]) <= WINDOW for a in by_org.values() for b in by_org.values())
    }
    assert conflicts == {(scenario.INCIDENT_ID, "casualties-wielwijk", "properties.injured")}


def test_restricted_police_report(reports: list[Report]) -> None:
    """One restricted police report, for GHOR and the safety region, is the only mention of its object."""
    restricted = [(o, b) for o, b in reports if b["visibility"] == "restricted"]
    assert restricted
    organisation, body = restricted[0]
    assert organisation == org_id("police")
    assert set(body["audience"]) == {org_id("medical"), org_id("other")}
    object_ids = {e["id"] for e in body["objects"] if e["id"].startswith("police-restricted-")}
    assert object_ids
    mentioning = [b for _, b, e in entries(reports) if e["id"] in object_ids]
    assert mentioning == [body]


def test_public_reports_exist(reports: list[Report]) -> None:
    """The municipality informs the public."""
    assert any(b["visibility"] == "public" and o == org_id("population-care") for o, b in reports)


def test_grip_escalates_from_one_to_three(reports: list[Report]) -> None:
    """The first report opens the incident at GRIP 1; the safety region escalates to 2, then 3."""
    first = reports[0][1]
    assert first["incident"] == scenario.INCIDENT_ID
    assert first["incident_info"] == {
        "title": "Dijkdoorbraak Dordrecht",
        "category": "flood",
        "status": "active",
        "grip": 1,
    }
    escalations = [
        (o, b["incident_info"]["grip"])
        for o, b in reports[1:]
        if b["incident"] == scenario.INCIDENT_ID and "grip" in b.get("incident_info", {})
    ]
    assert escalations == [(org_id("other"), 2), (org_id("other"), 3)]


def test_exercise_incident(reports: list[Report]) -> None:
    """A small hazmat exercise near Moerdijk, reported by the fire service and marked as an exercise."""
    exercise = [(o, b) for o, b in reports if b["incident"] == EXERCISE_ID]
    assert 5 <= len(exercise) <= 10
    assert {o for o, _ in exercise} == {org_id("fire")}
    info = exercise[0][1]["incident_info"]
    assert info["exercise"] is True
    assert info["category"] == "hazmat"
    assert {b["incident"] for _, b in reports} == {scenario.INCIDENT_ID, EXERCISE_ID}


def test_the_national_centre_is_named_a_coordinator_before_it_sets_incident_fields() -> None:
    """Incident authority in the story: the safety region creates the incident, names the national crisis centre
    a coordinator when it scales up to GRIP 3, and only after that does the centre set an incident field."""
    actions = scenario.build_actions(START)
    creator = next(org for kind, org, body in actions if kind == "report" and body["incident"] == scenario.INCIDENT_ID)
    named = next(i for i, (kind, _, _) in enumerate(actions) if kind == "coordinators")
    assert actions[named][1] == creator == "vr-zhz"
    assert actions[named][2]["organisations"] == ["vr-zhz", "ncc-nl"]
    setters = [
        (i, org)
        for i, (kind, org, body) in enumerate(actions)
        if kind == "report" and body["incident"] == scenario.INCIDENT_ID and "incident_info" in body
    ]
    assert all(org == creator or (org == "ncc-nl" and i > named) for i, org in setters)
    assert any(org == "ncc-nl" for _, org in setters)
