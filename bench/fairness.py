"""One partner's heavy but legal traffic against everyone else's latency (issue 7, point 4).

    .venv/bin/python bench/fairness.py [--duration 20] [--heavy objects|batch|restricted] [--heavy-clients 4]

Starts ``netcop serve`` on a fresh PostgreSQL database (durable commits) with the default limits, registers a
*heavy* organisation and a *victim* organisation, then measures twice, side by side:

1. quiet: the victim sends single small reports at ``--victim-rate`` per second and a reader reads the victim's
   incident picture at ``--reader-rate`` per second;
2. under load: the same, while the heavy organisation's ``--heavy-clients`` clients send the most expensive
   reports the limits allow, as fast as their rate limits let them (a 429 is honoured with its Retry-After):
   ``objects``: reports of 1,000 objects with a few properties each (~250 KB); ``batch``: batches of 1,000
   reports of 10 objects (~2.5 MB); ``restricted``: reports of 1,000 objects restricted to an audience of 500
   organisations.

Prints p50/p99/max of the victim's POSTs and of the reader's GETs in both phases, and what the heavy
organisation got through. The machine is shared by the load generator, netcop and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from ingest import ADMIN_TOKEN, Servers, pg_dsn, recreate_database, wait_healthy  # noqa: E402

from app.migrate import upgrade  # noqa: E402

OBSERVED = "2026-11-27T14:00:00+01:00"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def start(servers: Servers, args: argparse.Namespace) -> str:
    env = os.environ | {"NETCOP_DATABASE_URL": args.db_url, "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
                        "NETCOP_LOG_LEVEL": "warning"}  # fmt: skip
    argv = [str(Path(sys.executable).parent / "netcop"), "serve", "--host", "127.0.0.1", "--port", str(args.port)]
    if args.server_tree is not None:  # another checkout's code (e.g. the commit before a change), same venv
        env["PYTHONPATH"] = str(args.server_tree)
        argv = [sys.executable, "-c", "from app.cli.main import app; app()", *argv[1:]]
    servers.start("netcop", argv, env, cwd=args.server_tree)
    base = f"http://127.0.0.1:{args.port}"
    wait_healthy(servers, "netcop", base + "/healthz")
    return base


async def organisation(client: httpx.AsyncClient, org: str, token: bool = True) -> dict[str, str]:
    body = {"id": org, "name": org, "discipline": "other", "country": "NL"}
    (await client.post("/api/v1/organisations", json=body, headers=ADMIN)).raise_for_status()
    if not token:
        return {}
    issued = await client.post(f"/api/v1/organisations/{org}/tokens", json={"roles": ["report", "read"]}, headers=ADMIN)
    issued.raise_for_status()
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def heavy_body(kind: str, n: int, audience: list[str]) -> tuple[str, dict[str, Any]]:
    def report(i: int, objects: int) -> dict[str, Any]:
        return {"id": f"heavy-{n}-{i}", "incident": "heavy", "observed_at": OBSERVED,
                "objects": [{"id": f"h-{(n * 7 + i + k) % 5000}", "kind": "unit",
                             "properties": {"status": "active", "n": n, "note": "x" * 150}}
                            for k in range(objects)]}  # fmt: skip

    if kind == "batch":
        return "/api/v1/reports/batch", {"reports": [report(i, 10) for i in range(1000)]}
    body = report(0, 1000)
    if kind == "restricted":
        body |= {"visibility": "restricted", "audience": audience}
    return "/api/v1/reports", body


async def heavy_client(base: str, headers: dict[str, str], args: argparse.Namespace, stop: asyncio.Event,
                       number: int, audience: list[str], tally: dict[str, int]) -> None:  # fmt: skip
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        n = number * 1_000_000
        while not stop.is_set():
            path, body = heavy_body(args.heavy, n, audience)
            n += 1
            answer = await client.post(path, json=body)
            tally[str(answer.status_code)] = tally.get(str(answer.status_code), 0) + 1
            if answer.status_code == 429:
                await asyncio.sleep(min(float(answer.headers.get("retry-after", "1")), 5.0))


async def paced(rate: float, stop: asyncio.Event, call: Any) -> list[float]:
    """Calls ``call()`` at a steady rate (a late call is not made up for); returns each call's latency."""
    latencies: list[float] = []
    interval, next_at = 1.0 / rate, time.monotonic()
    pending: set[asyncio.Task[None]] = set()

    async def one() -> None:
        started = time.monotonic()
        await call()
        latencies.append(time.monotonic() - started)

    while not stop.is_set():
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
        next_at = max(next_at + interval, time.monotonic())
        await asyncio.sleep(next_at - time.monotonic())
    await asyncio.gather(*pending)
    return latencies


async def phase(base: str, victim: dict[str, str], heavy: dict[str, str] | None, args: argparse.Namespace,
                label: str, audience: list[str]) -> dict[str, list[float]]:  # fmt: skip
    stop = asyncio.Event()
    counter = iter(range(10**9))
    tally: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=base, headers=victim, timeout=60,
                                 limits=httpx.Limits(max_connections=64)) as client:  # fmt: skip

        async def post() -> None:
            n = next(counter)
            body = {"id": f"{label}-{n}", "incident": "victim", "observed_at": OBSERVED,
                    "objects": [{"id": f"v-{n % 50}", "kind": "unit", "properties": {"n": n}}]}  # fmt: skip
            assert (await client.post("/api/v1/reports", json=body)).status_code == 201

        async def read() -> None:
            assert (await client.get("/api/v1/incidents/victim/picture")).status_code == 200

        heavies = [asyncio.create_task(heavy_client(base, heavy, args, stop, i, audience, tally))
                   for i in range(args.heavy_clients)] if heavy else []  # fmt: skip
        writers = asyncio.create_task(paced(args.victim_rate, stop, post))
        readers = asyncio.create_task(paced(args.reader_rate, stop, read))
        await asyncio.sleep(args.duration)
        stop.set()
        results = {"victim POST": await writers, "reader GET picture": await readers}
        await asyncio.gather(*heavies)
    if heavy:
        print(f"  heavy organisation ({args.heavy}, {args.heavy_clients} clients): answers {tally}")
    return results


def line(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{name:<22} n={len(ordered):>5}  p50 {statistics.median(ordered) * 1000:7.1f} ms  "
            f"p99 {p99 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms")  # fmt: skip


async def measure(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        victim = await organisation(client, "victim-region")
        heavy = await organisation(client, "heavy-partner")
        audience = [f"member-{i:03d}" for i in range(499)]
        if args.heavy == "restricted":
            for org in audience:
                await organisation(client, org, token=False)
        audience.append("victim-region")
        first = {"id": "first", "incident": "victim", "observed_at": OBSERVED,
                 "objects": [{"id": "v-0", "kind": "unit"}]}
        (await client.post("/api/v1/reports", json=first, headers=victim)).raise_for_status()
    quiet = await phase(base, victim, None, args, "quiet", audience)
    loaded = await phase(base, victim, heavy, args, "loaded", audience)
    print(f"== {args.duration:.0f} s each; victim {args.victim_rate:g} POST/s, reader {args.reader_rate:g} GET/s")
    for name in quiet:
        print("  quiet       " + line(name, quiet[name]))
        print("  under load  " + line(name, loaded[name]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--heavy", choices=("objects", "batch", "restricted"), default="objects")
    p.add_argument("--heavy-clients", type=int, default=4)
    p.add_argument("--victim-rate", type=float, default=20)
    p.add_argument("--reader-rate", type=float, default=10)
    p.add_argument("--port", type=int, default=18083)
    p.add_argument("--server-tree", type=Path, default=None, help="serve another checkout's app/ (git worktree)")
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--db-name", default="netcop_fairness")
    args = p.parse_args()
    asyncio.run(recreate_database(args))
    args.db_url = pg_dsn(args, args.db_name).replace("postgresql://", "postgresql+asyncpg://", 1)
    if args.server_tree is None:  # another checkout's server applies its own migrations when it starts
        upgrade(args.db_url)
    servers = Servers(Path(tempfile.mkdtemp(prefix="netcop-fairness-")))
    try:
        asyncio.run(measure(start(servers, args), args))
    finally:
        servers.stop_all()


if __name__ == "__main__":
    main()
