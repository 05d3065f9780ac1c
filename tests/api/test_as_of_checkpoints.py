"""``as_of`` from checkpoints (issue 8, point 2): the picture as known at any past moment is the one every viewer
saw live at that moment, whether it is replayed from the incident's first report, from a checkpoint another read
left behind, or from several; restricted reports, removals, conflicts and other incidents in between."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import IncidentCheckpoint
from tests.api.support import REPORTS, Json, get_json
from tests.conftest import MakePartner, report

ORGANISATIONS = ("politie", "brandweer", "ghor")
PICTURE = "/api/v1/incidents/flood-test/picture"


def _random_report(rng: random.Random, n: int) -> tuple[str, Json]:
    sender = rng.choice(ORGANISATIONS)
    objects: list[Json] = []
    for object_id in rng.sample(["a", "b", "c", "d"], rng.randint(1, 2)):
        if rng.random() < 0.1:
            objects.append({"id": object_id, "removed": rng.random() < 0.7})
        else:
            objects.append({"id": object_id, "kind": rng.choice(["unit", "shelter"]),
                            "properties": {rng.choice(["status", "n"]): rng.randint(0, 3)}})  # fmt: skip
    extra: dict[str, Any] = {}
    if rng.random() < 0.3:
        extra = {"visibility": "restricted", "audience": rng.sample(ORGANISATIONS, rng.randint(0, 2))}
    minute = rng.randint(0, 59)  # observations out of order: the merge, not the arrival, decides
    body = report(f"r{n}", *objects, observed_at=f"2026-11-27T14:{minute:02d}:00+01:00", **extra)
    if rng.random() < 0.1:
        body["incident"] = "other-incident"
    return sender, body


async def _checkpoints(settings: Any) -> int:
    db = Database(settings)
    try:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(IncidentCheckpoint))).scalar_one())
    finally:
        await db.dispose()


@pytest.mark.parametrize("seed", [1, 2])
async def test_as_of_is_what_each_viewer_saw_live_from_any_checkpoint(
    client: httpx.AsyncClient, partner: MakePartner, monkeypatch: pytest.MonkeyPatch, settings: Any, seed: int
) -> None:
    from app.services import reading

    monkeypatch.setattr(reading, "CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(reading, "AS_OF_PAGE", 4)
    headers = {org: await partner(org) for org in ORGANISATIONS}
    rng = random.Random(seed)
    seen: list[tuple[str, dict[str, list[Json]]]] = []  # (received_at, each viewer's live objects)
    for n in range(30):
        sender, body = _random_report(rng, n)
        answer = await client.post(REPORTS, json=body, headers=headers[sender])
        assert answer.status_code == 201, answer.text
        live = {}
        for org in ORGANISATIONS:
            response = await client.get(PICTURE, headers=headers[org])
            live[org] = response.json()["objects"] if response.status_code == 200 else []
        seen.append((answer.json()["received_at"], live))
    for moments in (seen, list(reversed(seen)), rng.sample(seen, len(seen))):  # checkpoints left in any order
        for received_at, live in moments:
            for org in ORGANISATIONS:
                response = await client.get(PICTURE, headers=headers[org], params={"as_of": received_at})
                then = response.json()["objects"] if response.status_code == 200 else []
                assert then == live[org], (received_at, org)
    assert await _checkpoints(settings) > 0


async def test_a_checkpoint_is_left_behind_and_used(
    client: httpx.AsyncClient, partner: MakePartner, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """A long replay leaves checkpoints; the next read of a later moment starts from the nearest one."""
    from app.services import reading

    monkeypatch.setattr(reading, "CHECKPOINT_EVERY", 5)
    police = await partner("politie")
    for n in range(12):
        body = report(f"r{n}", {"id": "a", "properties": {"n": n}}, observed_at=f"2026-11-27T14:{n:02d}:00+01:00")
        assert (await client.post(REPORTS, json=body, headers=police)).status_code == 201
    latest = await get_json(client, PICTURE, police, as_of="2999-01-01T00:00:00Z")
    assert await _checkpoints(settings) == 2  # after the 5th and the 10th report
    replayed: list[int] = []
    original = reading.Replay.apply

    def counting(self: Any, facts: Any) -> Any:
        replayed.append(facts.seq)
        return original(self, facts)

    monkeypatch.setattr(reading.Replay, "apply", counting)
    again = await get_json(client, PICTURE, police, as_of="2999-01-01T00:00:00Z")
    assert again == latest
    assert replayed == [11, 12]  # from the checkpoint after report 10
