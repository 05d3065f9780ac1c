"""The big picture (issue 8, point 3): ``GET /incidents/{id}/picture`` of 100,000 objects, read from the database
and kept.

    .venv/bin/python bench/picture.py [--objects 100000] [--reads 10]

Starts ``netcop serve`` on a fresh PostgreSQL database, sends the objects (reports of 1,000 objects, a few
properties each), then times reads with curl (the client costs little): *cold* reads, each after a report about
the incident (so the kept picture is stale and the objects are read and joined again), and *unchanged* reads,
one after the other. Prints medians and the size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
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
PATH = "/api/v1/incidents/big-picture/picture"


def curl_seconds(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """(seconds, bytes) of one GET with curl."""
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    seconds, size = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()
    return float(seconds), int(size)


async def measure(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        headers = await token(client, "veiligheidsregio", ["report", "read"])
        started = time.monotonic()
        for first in range(0, args.objects, 1000):
            objects = [{"id": f"o{n:06d}", "kind": "unit", "geometry": {"type": "Point", "coordinates": [4.6, 51.8]},
                        "properties": {"status": "active", "crew": n % 7, "note": "in position"}}
                       for n in range(first, min(first + 1000, args.objects))]  # fmt: skip
            body = {"id": f"load-{first}", "incident": "big-picture", "observed_at": "2026-11-27T14:00:00+01:00",
                    "objects": objects}  # fmt: skip
            (await client.post("/api/v1/reports", json=body, headers=headers | JSON)).raise_for_status()
        print(f"  loaded {args.objects} objects in {time.monotonic() - started:.0f} s")
        cold: list[float] = []
        for n in range(args.reads):
            body = {"id": f"touch-{n}", "incident": "big-picture", "observed_at": "2026-11-27T15:00:00+01:00",
                    "objects": [{"id": "o000000", "properties": {"crew": n}}]}  # fmt: skip
            (await client.post("/api/v1/reports", json=body, headers=headers | JSON)).raise_for_status()
            seconds, size = curl_seconds(base + PATH, headers)
            cold.append(seconds)
        unchanged = [curl_seconds(base + PATH, headers)[0] for _ in range(args.reads)]
    print(f"== {args.objects} objects, {size / 1e6:.0f} MB, curl, median of {args.reads}")
    print(f"  cold (after a report about the incident): {statistics.median(cold) * 1000:.0f} ms")
    print(f"  unchanged since the last read:           {statistics.median(unchanged) * 1000:.0f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objects", type=int, default=100_000)
    p.add_argument("--reads", type=int, default=10)
    p.add_argument("--port", type=int, default=18087)
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--db-name", default="netcop_picture")
    args = p.parse_args()
    asyncio.run(recreate_database(args))
    db_url = pg_dsn(args, args.db_name).replace("postgresql://", "postgresql+asyncpg://", 1)
    upgrade(db_url)
    servers = Servers(Path(tempfile.mkdtemp(prefix="netcop-picture-")))
    env = os.environ | UNLIMITED | {"NETCOP_DATABASE_URL": db_url, "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
                                    "NETCOP_LOG_LEVEL": "warning"}  # fmt: skip
    argv = [str(Path(sys.executable).parent / "netcop"), "serve", "--host", "127.0.0.1", "--port", str(args.port)]
    try:
        servers.start("netcop", argv, env, cwd=None)
        base = f"http://127.0.0.1:{args.port}"
        wait_healthy(servers, "netcop", base + "/healthz")
        asyncio.run(measure(base, args))
    finally:
        servers.stop_all()


if __name__ == "__main__":
    main()
