"""Three netcop instances linked both ways in a triangle: every report reaches every instance exactly once,
nothing comes back where it came from or travels on, and the three pictures agree."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.federation import peers
from tests.federation.conftest import StartInstance
from tests.federation.peers import Instance, caught_up, link, wait_for
from tests.support.reports import point, report
from tests.support.streams import Token

INCIDENT = "meuse-flood"
PER_INSTANCE = 40


def sighting(name: str, n: int) -> dict[str, Any]:
    """Report n of an instance: an object of its own, and the shared gauge, at a moment no other report has."""
    moment = n * 3 + "abc".index(name)
    return report(
        f"{name}-{n}",
        {"id": f"boat-{name}-{n}", "kind": "boat", "geometry": point(5.7, 51.0 + n / 1000)},
        {"id": "gauge-venlo", "kind": "gauge", "properties": {"level_cm": 1000 + moment, "by": name}},
        incident=INCIDENT,
        observed_at=f"2026-11-27T{10 + moment // 3600:02d}:{moment // 60 % 60:02d}:{moment % 60:02d}+00:00",
    )


async def post_all(instance: Instance, token: Token) -> None:
    for n in range(PER_INSTANCE):
        response = await instance.http.post("/api/v1/reports", json=sighting(instance.name, n), headers=token.headers)
        assert response.status_code == 201, response.text


async def test_a_triangle_delivers_every_report_once_to_every_instance(instance: StartInstance) -> None:
    """With links A-B, B-C and C-A both ways, each instance holds each report once: its own as sent, the others'
    as ``<organisation>/<id>`` from the origin's link organisation; none twice, none with two prefixes."""
    trio = await instance("a", "b", "c")
    for source, target in itertools.permutations(trio, 2):
        await link(source, target)
    senders = [await x.token(f"pol-{x.name}") for x in trio]
    await asyncio.gather(*(post_all(x, token) for x, token in zip(trio, senders, strict=True)))
    for x in trio:
        await wait_for(lambda x=x: caught_up(x), f"{x.name}'s links catch up")  # type: ignore[misc]
    pictures = []
    for x in trio:
        reader = await x.token(f"reader-{x.name}", ("read",))
        stored = {(r["organisation"], r["id"]) for r in await x.reports(reader)}
        assert stored == expected_log(x.name)
        pictures.append(await x.picture(reader, INCIDENT))
    assert pictures[0] == pictures[1] == pictures[2]
    assert pictures[0]["gauge-venlo"]["properties"]["level_cm"] == 1000 + (PER_INSTANCE - 1) * 3 + 2


def expected_log(here: str) -> set[tuple[str, str]]:
    own = {(f"pol-{here}", f"{here}-{n}") for n in range(PER_INSTANCE)}
    return own | {(peers.peer_org(there), f"pol-{there}/{there}-{n}")
                  for there in "abc" if there != here for n in range(PER_INSTANCE)}  # fmt: skip
