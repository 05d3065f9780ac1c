"""Reads whose cost follows the answer, not what is stored (issue 8, point 1): many incidents.

    .venv/bin/python bench/reads.py [--incidents 30000] [--before-tree /tmp/netcop-before]

Starts ``netcop serve`` on a fresh PostgreSQL database, lets one partner create ``--incidents`` incidents (one
small report each, through the batch endpoint, as the attacker of issue 8 did within every limit), and a second
partner report a *target* incident of 100 objects. Then times, as a reader of the second partner:

- ``GET /incidents/{target}``: one incident (30 calls);
- ``GET /incidents/{target}/picture``: its picture (10 calls);
- ``GET /incidents``: the list of all of them (3 calls);
- ``GET /picture``: the combined picture of every active incident (3 calls);
- a stream's snapshot: from the handshake to the snapshot message (3 streams).

With ``--before-tree`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/netcop-before 03a42e1``)
the same load and reads run first against that checkout's server on a database of its own, and both are
printed side by side with their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import websockets

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from ingest import ADMIN_TOKEN, Servers, pg_dsn, recreate_database, wait_healthy  # noqa: E402

from app.migrate import upgrade  # noqa: E402

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON = {"Content-Type": "application/json"}
OBSERVED = "2026-11-27T14:00:00+01:00"
UNLIMITED = {f"NETCOP_{name}": "1000000" for name in (
    "REPORT_RATE_PER_ORGANISATION", "REPORT_BURST_PER_ORGANISATION", "WORK_RATE_PER_ORGANISATION",
    "WORK_BURST_PER_ORGANISATION")}  # fmt: skip


def start(servers: Servers, name: str, db_url: str, port: int, tree: Path | None) -> str:
    env = os.environ | UNLIMITED | {"NETCOP_DATABASE_URL": db_url, "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
                                    "NETCOP_LOG_LEVEL": "warning"}  # fmt: skip
    argv = [str(Path(sys.executable).parent / "netcop"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if tree is not None:  # another checkout's code, same venv
        env["PYTHONPATH"] = str(tree)
        argv = [sys.executable, "-c", "from app.cli.main import app; app()", *argv[1:]]
    servers.start(name, argv, env, cwd=tree)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(servers, name, base + "/healthz")
    return base


async def token(client: httpx.AsyncClient, org: str, roles: list[str]) -> dict[str, str]:
    body = {"id": org, "name": org, "discipline": "other", "country": "NL"}
    (await client.post("/api/v1/organisations", json=body, headers=ADMIN)).raise_for_status()
    issued = await client.post(f"/api/v1/organisations/{org}/tokens", json={"roles": roles}, headers=ADMIN)
    return {"Authorization": f"Bearer {issued.raise_for_status().json()['token']}"}


async def load(client: httpx.AsyncClient, incidents: int) -> tuple[dict[str, str], str]:
    """The many incidents and the target one; the reader's headers and the target's id."""
    many = await token(client, "many-incidents", ["report"])
    reader = await token(client, "veiligheidsregio", ["report", "read"])
    started = time.monotonic()
    for first in range(0, incidents, 500):
        reports = [{"id": f"r{n}", "incident": f"incident-{n:06d}", "observed_at": OBSERVED,
                    "incident_info": {"title": f"Incident {n}", "status": "active"},
                    "objects": [{"id": "o", "kind": "unit", "properties": {"n": n}}]}
                   for n in range(first, min(first + 500, incidents))]  # fmt: skip
        answer = await client.post("/api/v1/reports/batch", json={"reports": reports}, headers=many | JSON)
        assert {r["status"] for r in answer.raise_for_status().json()["results"]} == {201}
        print(f"\r  loaded {min(first + 500, incidents):>6} incidents ({time.monotonic() - started:.0f} s)",
              end="", flush=True)  # fmt: skip
    target = {"id": "target", "incident": "target-flood", "observed_at": OBSERVED,
              "incident_info": {"title": "Dijkdoorbraak", "status": "active"},
              "objects": [{"id": f"t{i}", "kind": "unit", "properties": {"i": i}} for i in range(100)]}  # fmt: skip
    (await client.post("/api/v1/reports", json=target, headers=reader | JSON)).raise_for_status()
    print()
    return reader, "target-flood"


async def timings(calls: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    found = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        found.append(time.perf_counter() - started)
    return found


async def measure(base: str, incidents: int) -> dict[str, list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        reader, target = await load(client, incidents)

        async def get(path: str) -> None:
            answer = await client.get(path, headers=reader)
            if answer.status_code == 503:  # over the request time limit: counted at the time it took
                print(f"  {path}: 503 after {answer.elapsed.total_seconds():.1f} s")
                return
            answer.raise_for_status()

        async def snapshot() -> None:
            url = base.replace("http://", "ws://") + "/api/v1/stream"
            async with websockets.connect(url, additional_headers=reader, max_size=None) as ws:
                message = await asyncio.wait_for(ws.recv(), 120)
                assert b'"snapshot"' in (message if isinstance(message, bytes) else message.encode())

        await get(f"/api/v1/incidents/{target}")  # warm-up
        return {
            "one incident": await timings(30, lambda: get(f"/api/v1/incidents/{target}")),
            "its picture": await timings(10, lambda: get(f"/api/v1/incidents/{target}/picture")),
            "incident list": await timings(3, lambda: get("/api/v1/incidents")),
            "combined picture": await timings(3, lambda: get("/api/v1/picture")),
            "stream snapshot": await timings(3, snapshot),
        }


def run(args: argparse.Namespace, name: str, tree: Path | None, port: int) -> dict[str, list[float]]:
    db_name = f"{args.db_name}_{name}"
    asyncio.run(recreate_database(argparse.Namespace(**{**vars(args), "db_name": db_name})))
    db_url = pg_dsn(args, db_name).replace("postgresql://", "postgresql+asyncpg://", 1)
    if tree is None:  # another checkout's server applies its own migrations when it starts
        upgrade(db_url)
    servers = Servers(Path(tempfile.mkdtemp(prefix=f"netcop-reads-{name}-")))
    try:
        print(f"== {name}: {tree or 'this checkout'}")
        return asyncio.run(measure(start(servers, name, db_url, port, tree), args.incidents))
    finally:
        servers.stop_all()


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--incidents", type=int, default=30_000)
    p.add_argument("--before-tree", type=Path, default=None, help="an earlier checkout, measured first")
    p.add_argument("--port", type=int, default=18084)
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--db-name", default="netcop_reads")
    args = p.parse_args()
    before = run(args, "before", args.before_tree, args.port) if args.before_tree else None
    after = run(args, "after", None, args.port + 1)
    print(f"== {args.incidents} incidents stored; median (max) per read")
    for read, values in after.items():
        now = f"{median_ms(values):9.1f} ms ({max(values) * 1000:8.1f})"
        if before is None:
            print(f"  {read:<18} {now}")
            continue
        then = f"{median_ms(before[read]):9.1f} ms ({max(before[read]) * 1000:8.1f})"
        ratio = median_ms(before[read]) / median_ms(values)
        print(f"  {read:<18} before {then}   now {now}   {ratio:6.1f}x faster")


if __name__ == "__main__":
    main()
