"""Where an idle stream's memory goes: netcop served as ``netcop serve`` does (uvicorn, uvloop, httptools, the
prepared-frame WebSocket protocol, 1 worker) but under ``tracemalloc``, N idle subscribers (``subscribers.js``)
connected, and the Python allocations made for them ranked by source line.

    .venv/bin/python bench/stream/conn_memory.py [--connections 2000] [--frames 1]

It prints RSS per connection (with tracemalloc's own overhead, so higher than ``fanout.py``'s figure), the traced
Python bytes per connection, and the top allocation sites (bytes per connection, blocks per connection).
Needs PostgreSQL as ``fanout.py`` does; uses the database ``netcop_bench_stream_mem`` and port 18710.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADMIN = "bench-admin-token-" + os.urandom(16).hex()


def serve(port: int, frames: int, out: str) -> None:
    """The child: netcop under tracemalloc; SIGUSR1 takes the baseline snapshot, SIGUSR2 writes the difference."""
    import tracemalloc

    import uvicorn

    sys.path.insert(0, str(ROOT))
    from app.config import Settings
    from app.migrate import upgrade

    settings = Settings()
    upgrade(settings.effective_database_url)
    tracemalloc.start(frames)
    state: dict[str, object] = {}

    def first(*_: object) -> None:
        state["base"] = tracemalloc.take_snapshot()

    def second(*_: object) -> None:
        snap = tracemalloc.take_snapshot()
        key = "traceback" if frames > 1 else "lineno"
        stats = snap.compare_to(state["base"], key)  # type: ignore[arg-type]
        rows = [{"where": [str(f) for f in s.traceback][:frames], "size": s.size_diff, "count": s.count_diff}
                for s in stats[:60]]  # fmt: skip
        total = sum(s.size_diff for s in stats)
        Path(out).write_text(json.dumps({"total": total, "rows": rows}))

    signal.signal(signal.SIGUSR1, first)
    signal.signal(signal.SIGUSR2, second)
    uvicorn.run("app.main:create_app", factory=True, host="127.0.0.1", port=port, workers=1, loop="uvloop",
                http="httptools", log_level="warning", ws_max_size=settings.ws_max_message_bytes,
                ws_per_message_deflate=False, ws="app.realtime.protocol:PreparedFrameProtocol",
                access_log=False)  # fmt: skip


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(args: argparse.Namespace) -> None:
    import asyncpg
    import httpx

    async def recreate() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        await conn.execute('DROP DATABASE IF EXISTS "netcop_bench_stream_mem" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "netcop_bench_stream_mem"')
        await conn.close()

    asyncio.run(recreate())
    out = f"/tmp/netcop-conn-memory-{os.getpid()}.json"
    env = os.environ | {"NETCOP_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/netcop_bench_stream_mem",
                        "NETCOP_ADMIN_TOKEN": ADMIN, "NETCOP_LOG_LEVEL": "warning"}  # fmt: skip
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--frames", str(args.frames), "--out", out],
                              env=env, cwd=ROOT, process_group=0)  # fmt: skip
    subs = None
    try:
        base = "http://127.0.0.1:18710"
        with httpx.Client(timeout=30) as client:
            for _ in range(200):
                try:
                    if client.get(base + "/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            admin = {"Authorization": f"Bearer {ADMIN}"}
            org = {"id": "mem", "name": "mem", "discipline": "other", "country": "NL"}
            client.post(base + "/api/v1/organisations", json=org, headers=admin).raise_for_status()
            answer = client.post(base + "/api/v1/organisations/mem/tokens", json={"roles": ["read"]}, headers=admin)
            token = answer.json()["token"]
            # warm up: a few streams opened and closed, so that imports and caches are not counted
            url = "ws://127.0.0.1:18710/api/v1/stream?after_seq=0"
            warm = subprocess.Popen(["node", str(HERE / "subscribers.js"), "--url", url, "--token", token,
                                     "--connections", "20", "--duration", "2"], stdout=subprocess.DEVNULL)  # fmt: skip
            warm.wait()
            time.sleep(1)
            before = rss_kb(server.pid)
            server.send_signal(signal.SIGUSR1)
            time.sleep(2)
            subs = subprocess.Popen(["node", str(HERE / "subscribers.js"), "--url", url, "--token", token,
                                     "--connections", str(args.connections), "--concurrency", "50"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, process_group=0)  # fmt: skip
            assert subs.stdout is not None
            ready = json.loads(subs.stdout.readline())
            time.sleep(3)
            after = rss_kb(server.pid)
            server.send_signal(signal.SIGUSR2)
            for _ in range(600):
                if Path(out).exists():
                    break
                time.sleep(0.5)
            time.sleep(0.5)
            result = json.loads(Path(out).read_text())
        n = ready["open"]
        print(f"{n} idle streams; RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB = "
              f"{(after - before) / n:.1f} KB per connection (under tracemalloc); traced Python allocations "
              f"{result['total'] / n / 1024:.1f} KB per connection")  # fmt: skip
        print(f"{'bytes/conn':>10} {'blocks/conn':>11}  where")
        for row in result["rows"][:40]:
            print(f"{row['size'] / n:10.0f} {row['count'] / n:11.1f}  {' <- '.join(row['where'])}")
    finally:
        for proc in (subs, server):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        Path(out).unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=1, help="traceback depth of each allocation site")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve:
        serve(18710, parsed.frames, parsed.out)
    else:
        measure(parsed)
