"""Fixtures for the sitrep tests: a flood told by police, fire and medical, one of fire's reports restricted to
medical, and the moments between their receipts (for ``as_of`` and ``since``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.api.support import Json, accept, at, point, square
from tests.conftest import MakePartner

Headers = dict[str, str]
INCIDENT = "flood-sitrep"
SECRET = "Gas leak suspected at the Merwede plant"


@dataclass(frozen=True)
class Flood:
    """The scenario: each partner's headers and the receipts of the first two rounds of reports."""

    police: Headers
    fire: Headers
    medical: Headers
    outsider: Headers
    first_round: str  # received_at of the last report of the first round
    second_round: str


def _report(rid: str, hh_mm: str, summary: str, *objects: Json, **more: object) -> Json:
    return {"id": rid, "incident": INCIDENT, "observed_at": at(hh_mm), "summary": summary, "objects": list(objects),
            **more}  # fmt: skip


@pytest.fixture
async def flood(client: httpx.AsyncClient, partner: MakePartner) -> Flood:
    police = await partner("politie-zhz", discipline="police")
    fire = await partner("brandweer-zhz", discipline="fire")
    medical = await partner("ghor-zhz", discipline="medical")
    outsider = await partner("gemeente-dordrecht", discipline="population-care")
    info = {"title": "Dijkdoorbraak Dordrecht", "category": "flood", "status": "active", "grip": 2}
    await accept(client, police, _report(
        "pol-1", "10:00", "Roadblock on the N3", {"id": "roadblock-n3", "kind": "roadblock",
        "geometry": point(4.673, 51.801), "properties": {"status": "active"}},
        {"id": "casualties-wielwijk", "kind": "casualties", "properties": {"injured": 12}}, incident_info=info))
    await accept(client, medical, _report(
        "ghor-1", "10:05", "Two field hospitals open",
        {"id": "casualties-wielwijk", "kind": "casualties", "properties": {"injured": 15, "dead": 1}},
        {"id": "shelter-sporthal", "kind": "shelter", "geometry": point(4.690, 51.810),
         "properties": {"capacity": 400, "occupancy": 120}}))  # fmt: skip
    first = await accept(client, fire, _report(
        "bw-1", "10:10", SECRET, {"id": "hazard-merwede", "kind": "hazard-area",
        "geometry": square(4.66, 51.80, 4.68, 51.81)}, visibility="restricted", audience=["ghor-zhz"]))
    second = await accept(client, police, _report(
        "pol-2", "10:20", "N3 reopened; Wielwijk evacuated", {"id": "roadblock-n3", "removed": True},
        {"id": "evac-wielwijk", "kind": "evacuation-area", "geometry": square(4.65, 51.79, 4.67, 51.80),
         "properties": {"evacuated": 1200, "to_evacuate": 3400}}, incident_info={"grip": 3}))  # fmt: skip
    await accept(client, fire, _report("bw-2", "10:25", "Pumps at the breach", {"id": "pump-1", "kind": "unit",
                                       "geometry": point(4.662, 51.795)}))  # fmt: skip
    return Flood(police, fire, medical, outsider, first["received_at"], second["received_at"])
