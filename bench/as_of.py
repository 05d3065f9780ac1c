"""Time travel that stays cheap (issue 8, point 2): ``as_of`` on an incident with a long history.

    .venv/bin/python bench/as_of.py [--reports 100000] [--objects 200] [--reads 50]

Starts ``netcop serve`` on a fresh PostgreSQL database and sends ``--reports`` reports about one incident (batches
of 500; each updates one or two of ``--objects`` objects, a tenth of them restricted). Then:

1. the first reads: ``as_of`` at 10 %, 20 %, ... 100 % of the history, each replaying from the checkpoint the one
   before left behind (the first read of a history pays for the checkpoints of the part it replays);
2. ``--reads`` reads at random moments, while another client reads a small incident's picture 20 times a
   second: their median and p99, and that client's p99 quiet and during the reads.

Before checkpoints, an ``as_of`` read replayed the whole history up to its moment: 1.5 s per 5,000 reports
(issue 8), about 30 s for 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from ingest import ADMIN_TOKEN, Servers, pg_dsn, recreate_database, wait_healthy  # noqa: E402
from reads import UNLIMITED, token  # noqa: E402

from app.migrate import upgrade  # noqa: E402

JSON = {"Content-Type": "application/json"}


def start(servers: Servers, db_url: str, port: int) -> str:
    env = os.environ | UNLIMITED | {"NETCOP_DATABASE_URL": db_url, "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
                                    "NETCOP_LOG_LEVEL": "warning", "NETCOP_REQUEST_TIMEOUT_SECONDS": "120"}  # fmt: skip
    argv = [str(Path(sys.executable).parent / "netcop"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    servers.start("netcop", argv, env, cwd=None)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(servers, "netcop", base + "/healthz")
    return base


async def load(client: httpx.AsyncClient, headers: dict[str, str], args: argparse.Namespace) -> list[str]:
    """The history; the receipt time of each batch's last report."""
    rng = random.Random(7)
    moments: list[str] = []
    started = time.monotonic()
    for first in range(0, args.reports, 500):
        reports = []
        for n in range(first, min(first + 500, args.reports)):
            objects = [{"id": f"o{i}", "kind": "unit",
                        "properties": {"status": rng.choice(["active", "moved", "done"]), "n": n}}
                       for i in rng.sample(range(args.objects), rng.randint(1, 2))]  # fmt: skip
            day = 25 + n * 3 // args.reports
            observed = f"2026-11-{day}T{n % 24:02d}:{n % 60:02d}:00+01:00"
            body = {"id": f"r{n}", "incident": "long-history", "objects": objects, "observed_at": observed}
            if n % 10 == 0:
                body |= {"visibility": "restricted", "audience": ["veiligheidsregio"]}
            reports.append(body)
        answer = await client.post("/api/v1/reports/batch", json={"reports": reports}, headers=headers | JSON)
        results = answer.raise_for_status().json()["results"]
        assert {r["status"] for r in results} == {201}, results[0]
        moments.append(results[-1]["received_at"])
        print(f"\r  loaded {min(first + 500, args.reports):>7} reports ({time.monotonic() - started:.0f} s)",
              end="", flush=True)  # fmt: skip
    print()
    return moments


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def other_reader(client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        (await client.get("/api/v1/incidents/small/picture", headers=headers)).raise_for_status()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return latencies


async def measure(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        headers = await token(client, "veiligheidsregio", ["report", "read"])
        small = {"id": "small-1", "incident": "small", "observed_at": "2026-11-27T14:00:00+01:00",
                 "objects": [{"id": f"s{i}", "kind": "unit"} for i in range(20)]}  # fmt: skip
        (await client.post("/api/v1/reports", json=small, headers=headers | JSON)).raise_for_status()
        moments = await load(client, headers, args)
        path = "/api/v1/incidents/long-history/picture"
        print("== first reads, each from the checkpoint the one before left behind")
        for tenth in range(1, 11):
            moment = moments[len(moments) * tenth // 10 - 1]
            started = time.perf_counter()
            (await client.get(path, params={"as_of": moment}, headers=headers)).raise_for_status()
            print(f"  as_of at {tenth * 10:3d} % of the history: {(time.perf_counter() - started) * 1000:8.1f} ms")
        stop = asyncio.Event()
        quiet_task = asyncio.create_task(other_reader(client, headers, stop))
        await asyncio.sleep(5)
        stop.set()
        quiet = await quiet_task
        stop = asyncio.Event()
        during_task = asyncio.create_task(other_reader(client, headers, stop))
        rng = random.Random(11)
        reads: list[float] = []
        for _ in range(args.reads):
            started = time.perf_counter()
            (await client.get(path, params={"as_of": rng.choice(moments)}, headers=headers)).raise_for_status()
            reads.append(time.perf_counter() - started)
        stop.set()
        during = await during_task
    print(f"== {args.reads} as_of reads at random moments of {args.reports} reports ({args.objects} objects)")
    print(f"  as_of: median {statistics.median(reads) * 1000:.1f} ms, p99 {p99(reads) * 1000:.1f} ms")
    print(f"  another client's small picture: p99 {p99(quiet) * 1000:.1f} ms quiet, "
          f"{p99(during) * 1000:.1f} ms during the reads")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reports", type=int, default=100_000)
    p.add_argument("--objects", type=int, default=200)
    p.add_argument("--reads", type=int, default=50)
    p.add_argument("--port", type=int, default=18086)
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--db-name", default="netcop_as_of")
    args = p.parse_args()
    asyncio.run(recreate_database(args))
    db_url = pg_dsn(args, args.db_name).replace("postgresql://", "postgresql+asyncpg://", 1)
    upgrade(db_url)
    servers = Servers(Path(tempfile.mkdtemp(prefix="netcop-as-of-")))
    try:
        asyncio.run(measure(start(servers, db_url, args.port), args))
    finally:
        servers.stop_all()


if __name__ == "__main__":
    main()
