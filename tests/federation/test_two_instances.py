"""Two netcop instances linked A -> B, real processes on databases of their own: what A lets out reaches B once,
through outages of either side, and the shared part of the pictures converges."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.federation import peers
from tests.federation.conftest import StartInstance
from tests.federation.peers import Instance, caught_up, link, wait_for
from tests.support.reports import numbered, point, report
from tests.support.streams import Token

INCIDENT = "rhine-flood"


def flood(n: int, prefix: str = "a") -> dict[str, Any]:
    return numbered(f"{prefix}-{n:05d}", n, incident=INCIDENT)


async def post_reports(a: Instance, token: Token, numbers: range, batch: int = 20) -> None:
    for start in range(numbers.start, numbers.stop, batch):
        bodies = [flood(n) for n in range(start, min(start + batch, numbers.stop))]
        response = await a.http.post("/api/v1/reports/batch", json={"reports": bodies}, headers=token.headers)
        assert response.status_code == 200, response.text
        assert {r["status"] for r in response.json()["results"]} == {201}
        await asyncio.sleep(0.01)  # a steady flow, not one burst


async def state_of(a: Instance, link_id: str = "to-b") -> str:
    return str((await a.links())[link_id]["state"])


async def test_reports_reach_the_peer_once_through_outages_of_either_side(instance: StartInstance) -> None:
    """Reports keep flowing while the peer is stopped and restarted and while the sender is killed and restarted;
    the peer ends with each of them exactly once, and the pictures agree."""
    a, b = await instance("a", "b")
    police = await a.token("pol-a")
    await link(a, b)
    flow = asyncio.create_task(post_reports(a, police, range(0, 600)))
    await wait_for(lambda: _forwarded_some(a), "the link forwards")
    await asyncio.to_thread(b.server.stop)
    await wait_for(lambda: _is(a, "retrying"), "the link shows the outage")
    assert "cannot reach the peer" in (await a.links())["to-b"]["last_error"]
    await asyncio.to_thread(b.server.start)
    await flow
    await a.restart(kill=True)  # between a push and its record, perhaps: the peer's idempotency absorbs it
    await post_reports(a, police, range(600, 700))
    await wait_for(lambda: caught_up(a), "A's link catches up")
    reader_a, reader_b = await a.token("reader-a", ("read",)), await b.token("reader-b", ("read",))
    forwarded = [r for r in await b.reports(reader_b) if r["organisation"] == peers.peer_org("a")]
    assert sorted(r["id"] for r in forwarded) == [f"pol-a/a-{n:05d}" for n in range(700)]
    assert await a.picture(reader_a, INCIDENT) == await b.picture(reader_b, INCIDENT)
    link_a = (await a.links())["to-b"]
    assert link_a["last_acked_seq"] == max(r["seq"] for r in await a.reports(reader_a))
    assert (link_a["lag_reports"], link_a["lag_seconds"], link_a["refused_reports"]) == (0, 0.0, 0)


async def _forwarded_some(a: Instance) -> bool:
    return bool((await a.links())["to-b"]["forwarded_reports"] > 0)


async def _is(a: Instance, state: str) -> bool:
    return await state_of(a) == state


async def test_only_what_the_link_allows_leaves_and_refusals_do_not_block(instance: StartInstance) -> None:
    """Other incidents and restricted reports stay home; a report the peer refuses (403 not_coordinator) is
    recorded in last_error, counted and skipped, and the reports after it arrive; meanwhile a link to a peer that
    is not there is 'retrying' with the reason at once and 'down' after the configured time, in
    GET /federation/links and in /metrics."""
    a, b = await instance("a", "b", federation_down_after_seconds="2")
    await link_to_nowhere(a)
    police_a, police_b = await a.token("pol-a"), await b.token("pol-b")
    await a.token("fire-a")
    first = report("b-1", {"id": "dike", "kind": "dike", "properties": {"state": "weak"}}, incident=INCIDENT)
    assert (await b.http.post("/api/v1/reports", json=first, headers=police_b.headers)).status_code == 201
    bodies = [
        report("a-1", {"id": "dike", "properties": {"state": "breached"}}, incident=INCIDENT,
               incident_info={"title": "Rhine flood"}, observed_at="2026-11-27T15:00:00+01:00"),
        report("a-2", {"id": "pump", "kind": "pump", "geometry": point(6.1, 51.8)}, incident=INCIDENT),
        report("a-3", {"id": "secret", "kind": "note"}, incident=INCIDENT, visibility="restricted",
               audience=["fire-a"]),
        report("a-4", {"id": "elsewhere", "kind": "note"}, incident="local-fire"),
        report("a-5", {"id": "dike", "properties": {"state": "holding"}}, incident=INCIDENT,
               observed_at="2026-11-27T16:00:00+01:00"),
    ]  # fmt: skip
    response = await a.http.post("/api/v1/reports/batch", json={"reports": bodies}, headers=police_a.headers)
    assert [r["status"] for r in response.json()["results"]] == [201] * 5
    await link(a, b, incidents=[INCIDENT])
    await wait_for(lambda: caught_up(a, "to-b"), "A's link catches up")
    reader_b = await b.token("reader-b", ("read",))
    arrived = {r["id"] for r in await b.reports(reader_b) if r["organisation"] == peers.peer_org("a")}
    assert arrived == {"pol-a/a-2", "pol-a/a-5"}
    link_a = (await a.links())["to-b"]
    assert link_a["refused_reports"] == 1
    assert "pol-a/a-1" in link_a["last_error"]
    assert "not_coordinator" in link_a["last_error"]
    assert link_a["state"] == "up"
    picture = await b.picture(reader_b, INCIDENT)
    assert picture["dike"]["properties"] == {"state": "holding"}
    await wait_for(lambda: _is_link(a, "to-nowhere", "down"), "down", within=10)
    assert "cannot reach the peer" in (await a.links())["to-nowhere"]["last_error"]
    metrics = (await a.http.get("/metrics")).text
    assert 'netcop_federation_link_state{link="to-nowhere",state="down"} 1.0' in metrics
    assert "ncp_not-a-real-token" not in a.server.log()


async def link_to_nowhere(a: Instance) -> None:
    url = f"http://127.0.0.1:{peers.processes.free_port()}"
    body = {"id": "to-nowhere", "url": url, "token": "ncp_not-a-real-token", "incidents": "*"}
    assert (await a.http.post("/api/v1/federation/links", json=body, headers=peers.ADMIN)).status_code == 201
    await wait_for(lambda: _is_link(a, "to-nowhere", "retrying"), "retrying")


async def _is_link(a: Instance, link_id: str, state: str) -> bool:
    return await state_of(a, link_id) == state
