"""Federation catch-up: how long a link takes to deliver a 10-minute outage's backlog at 100 reports/s (60,000
reports) once the peer is back, through the peer's batch endpoint (issue 12: under a minute).

    .venv/bin/python bench/federation.py [--reports 60000] [--pg postgresql+asyncpg://postgres@127.0.0.1:5432]

Two ``netcop serve`` processes, A and B, on PostgreSQL databases of their own (``netcop_bench_fed_a`` and ``_b``,
dropped and created afresh). A links to B; B is stopped; 60,000 reports (2 objects each, as partners send them)
are loaded into A; B is started again, and the clock runs from B answering ``/healthz`` until A's link shows no
lag (polled every 100 ms), then B's log is counted. Run twice: B with its default per-organisation rate limits
(1,000 reports/s, burst 20,000: the link is one organisation of B, and B's limits hold it back, as they should),
and B with limits raised for the link (what the link itself can carry).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import ADMIN  # noqa: E402
from tests.federation import peers  # noqa: E402
from tests.support import processes  # noqa: E402
from tests.support.processes import Server  # noqa: E402
from tests.support.streams import Token, issue  # noqa: E402

INCIDENT = "bench-rhine"
LOAD_BATCH = 1000
UNLIMITED = {"report_rate_per_organisation": "1000000", "report_burst_per_organisation": "1000000",
             "work_rate_per_organisation": "1000000", "work_burst_per_organisation": "1000000"}  # fmt: skip


def sitrep(n: int) -> dict[str, Any]:
    """Report n of the backlog: a unit that moves, and one of a hundred shared roadblocks."""
    return {
        "id": f"bench-{n:06d}",
        "incident": INCIDENT,
        "observed_at": f"2026-11-27T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}+01:00",
        "summary": f"situation update {n}",
        "objects": [
            {"id": f"unit-{n % 500}", "kind": "unit", "geometry": {"type": "Point", "coordinates": [6.1, 51.8]},
             "properties": {"status": "deployed", "crew": n % 7}},
            {"id": f"roadblock-{n % 100}", "kind": "roadblock", "properties": {"status": "active", "n": n}},
        ],
    }  # fmt: skip


async def load(http: httpx.AsyncClient, token: Token, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, LOAD_BATCH):
        batch = [sitrep(n) for n in range(first, min(count, first + LOAD_BATCH))]
        response = await http.post("/api/v1/reports/batch", json={"reports": batch}, headers=token.headers)
        assert response.status_code == 200, response.text
    return time.perf_counter() - started


async def lag(http: httpx.AsyncClient) -> dict[str, Any]:
    link: dict[str, Any] = (await http.get("/api/v1/federation/links", headers=ADMIN)).json()["links"][0]
    return link


async def caught_up(http: httpx.AsyncClient) -> bool:
    link = await lag(http)
    return bool(link["lag_reports"] == 0 and link["state"] == "up")


async def scenario(pg: str, count: int, raised: bool, workdir: Path) -> None:
    urls = {name: f"{pg}/netcop_bench_fed_{name}" for name in "ab"}
    for url in urls.values():
        await peers.fresh_postgres(url)
    a = processes.start(processes.environment(urls["a"], log_level="warning", **UNLIMITED), workdir)
    b = processes.start(processes.environment(urls["b"], log_level="warning", **(UNLIMITED if raised else {})),
                        workdir)  # fmt: skip
    try:
        await run(a, b, count, raised)
    finally:
        processes.stop_all([a, b])


async def run(a: Server, b: Server, count: int, raised: bool) -> None:
    async with httpx.AsyncClient(base_url=a.url, timeout=120) as http_a, \
            httpx.AsyncClient(base_url=b.url, timeout=120) as http_b:  # fmt: skip
        pusher = await issue(http_b, "peer-a", ("report",))
        body = {"id": "to-b", "url": b.url, "token": pusher.secret, "incidents": "*"}
        assert (await http_a.post("/api/v1/federation/links", json=body, headers=ADMIN)).status_code == 201
        await asyncio.to_thread(b.stop)
        loaded = await load(http_a, await issue(http_a, "pol-a"), count)
        print(f"  loaded {count} reports into A while B was away: {loaded:.1f} s ({count / loaded:,.0f}/s)")
        await asyncio.to_thread(b.start)
        started = time.perf_counter()
        await peers.wait_for(lambda: caught_up(http_a), "the link catches up", within=600)
        link = await lag(http_a)
        took = time.perf_counter() - started
        reader = await issue(http_b, "reader-b", ("read",))
        stored = (await http_b.get("/api/v1/incidents", headers=reader.headers)).json()["incidents"][0]
        limits = "raised limits" if raised else "default limits (1,000 reports/s per organisation, burst 20,000)"
        print(f"  B with {limits}:")
        print(f"    catch-up of {count} reports: {took:.1f} s from B healthy to no lag ({count / took:,.0f} reports/s)")
        print(f"    B's incident {stored['id']}: {stored['object_count']} objects; link: {link['forwarded_reports']} "
              f"forwarded, {link['refused_reports']} refused, last_acked_seq {link['last_acked_seq']}")  # fmt: skip
        assert link["forwarded_reports"] == count, link


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=60_000)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    print(f"federation catch-up benchmark: {os.cpu_count()} cores, {args.reports} reports, PostgreSQL at {args.pg}")
    with tempfile.TemporaryDirectory() as workdir:
        for raised in (False, True):
            asyncio.run(scenario(args.pg, args.reports, raised, Path(workdir)))


if __name__ == "__main__":
    main()
