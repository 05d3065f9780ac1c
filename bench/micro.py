"""CPU cost of each stage of one report, measured in-process without a database or a network.

    .venv/bin/python bench/micro.py

Times, per report (the spec-like report of bench/report.lua: incident_info, 2 objects with a Point geometry),
the stages a report passes through in one netcop process, and the framework's share of an HTTP request:

- the ASGI app of ``app.main.create_app()`` called directly (no socket) for POST /api/v1/reports, with the
  writer replaced by a stub that answers at once: routing, dependencies, body, validation, answer;
- the same with ``get_state`` overridden by an ``async def`` (FastAPI runs a plain ``def`` dependency in a thread);
- a bare FastAPI endpoint and a raw ASGI app reading the same body, for scale;
- the pure stages: orjson parse, ``canonical.digest``, ``validate_report``, and the writer's per-report Python
  (``report_facts`` + ``apply_report`` + the log rows) for a new object and for an update.

These are upper bounds of what can be gained per stage at 1 core: at 5,000 reports/s one core has 200 us per
report for everything.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
from fastapi import Request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.domain import canonical
from app.repositories.writes import Fence
from app.schemas.reports import ReportLimits, validate_report
from app.services.audit import Caller
from app.services.group import GroupMerger
from app.services.limits import Limits
from app.services.submissions import Outcome, Submission
from app.services.write_cache import WriteCache

WINDOW_US = 900 * 1_000_000


def body(n: int, objects: int = 2) -> dict[str, Any]:
    return {
        "id": f"micro-{n:010d}",
        "incident": "bench-ingest",
        "incident_info": {"title": "Benchmark flood", "category": "flood", "status": "active", "grip": 3},
        "observed_at": "2026-01-15T14:03:00+01:00",
        "summary": "Roadblock placed on N3, evacuation of Wielwijk started",
        "objects": [
            {"id": f"obj-{n % 1000}-{k}", "kind": "roadblock",
             "geometry": {"type": "Point", "coordinates": [4.6731, 51.8012]},
             "properties": {"status": "active", "note": "both directions", "seen": n}}
            for k in range(objects)
        ],
        "visibility": "partners",
    }  # fmt: skip


def per_call(fn: Callable[[int], Any], seconds: float = 1.0) -> float:
    """Microseconds per call of fn(i)."""
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            fn(n)
            n += 1
    return 1e6 * (time.perf_counter() - started) / n


def stage_costs() -> None:
    now, tolerance = datetime.now(UTC), timedelta(minutes=5)
    bodies = [body(i) for i in range(1000)]
    raw = [orjson.dumps(b) for b in bodies]
    print("-- pure stages, per report (2 objects)")
    print(f"  orjson.loads(body)                        {per_call(lambda i: orjson.loads(raw[i % 1000])):7.1f} us")
    print(
        f"  canonical.digest(body)                    {per_call(lambda i: canonical.digest(bodies[i % 1000])):7.1f} us"
    )
    print(f"  validate_report(body)                     "
          f"{per_call(lambda i: validate_report(bodies[i % 1000], now, tolerance)):7.1f} us")  # fmt: skip
    for label, fresh in (("new objects", True), ("updated objects", False)):
        print(f"  writer Python: facts + merge + rows, {label:<15} {_writer_cost(fresh):7.1f} us")


GROUP = 16  # reports per group commit, as wrk's 32 clients give


def _writer_cost(fresh: bool, seconds: float = 1.5) -> float:
    """Microseconds per report of the writer's in-memory work (``GroupMerger.merge``) in groups of GROUP."""

    async def run() -> float:
        cache = WriteCache(1_000_000, 1_000_000)
        fence = Fence(0, 0, 0, "0" * 64)
        caller = Caller("tok", "127.0.0.1")
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            group = [Submission("bench-org", body(n + k) | {"id": f"m-{n + k}"}, "0" * 64, caller)
                     for k in range(GROUP)]  # fmt: skip
            if fresh:
                cache.objects.clear()
            keys = {(b.body["incident"], o["id"]) for b in group for o in b.body["objects"]}
            merger = GroupMerger(cache, WINDOW_US, 1 << 20, {k for k in keys if k not in cache.objects})
            fence = merger.merge(group, fence, 1_790_000_000_000_000 + n).fence or fence
            n += GROUP
        return 1e6 * (time.perf_counter() - started) / n

    return asyncio.run(run())


# ---------------------------------------------------------------------------------------------------------------
# HTTP: the service's ASGI app with a stub writer, a bare FastAPI endpoint, a raw ASGI app


class StubIngestor:
    async def submit(self, organisation: str, report: dict[str, Any], digest: str, *_: Any, **__: Any) -> Outcome:
        answer = {"id": report["id"], "organisation": organisation, "incident": report["incident"], "seq": 1,
                  "received_at": "2026-11-27T21:00:00Z", "changed": [o["id"] for o in report["objects"]]}  # fmt: skip
        return Outcome(201, answer)


class StubAuthenticator:
    def __init__(self) -> None:
        from app.services.auth import Principal

        self.principal = Principal("tok", "bench-org", frozenset({"report", "read"}))

    async def authenticate(self, authorization: str | None) -> Any:
        return self.principal


def netcop_app(async_state: bool) -> Any:
    """The service's app with the writer and the token lookup stubbed; with ``async_state`` the ``get_state``
    dependency is swapped for an ``async def`` twin before the routers are built (this process only)."""
    if async_state:
        from app.api import deps

        async def get_state(request: Request) -> Any:
            return request.app.state.netcop

        object.__setattr__(typing.get_args(deps.StateDep)[1], "dependency", get_state)
    from app.config import Settings
    from app.main import create_app

    settings = Settings(admin_token=None)
    app = create_app(settings)
    app.state.netcop = SimpleNamespace(settings=settings, ingestor=StubIngestor(), authenticator=StubAuthenticator(),
                                       limits=Limits(settings), report_limits=ReportLimits())  # fmt: skip
    return app


def bare_fastapi() -> Any:
    from fastapi import Body, FastAPI, Response

    app = FastAPI()

    @app.post("/api/v1/reports", status_code=201)
    async def post(report: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        return Response(orjson.dumps({"id": report["id"]}), status_code=201, media_type="application/json")

    return app


async def raw_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    message = await receive()
    report = orjson.loads(message["body"])
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": orjson.dumps({"id": report["id"]})})


async def drive(app: Any, seconds: float = 1.5) -> tuple[float, int]:
    raw = [orjson.dumps(body(i)) for i in range(1000)]
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        payload = raw[n % 1000]
        headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                   (b"authorization", b"Bearer ncp_x"), (b"content-length", str(len(payload)).encode())]  # fmt: skip
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/v1/reports", "raw_path": b"/api/v1/reports", "root_path": "",
                 "query_string": b"", "headers": headers, "client": ("127.0.0.1", 5000),
                 "server": ("127.0.0.1", 8000), "state": {}}  # fmt: skip
        delivered = False

        async def receive(payload: bytes = payload) -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.sleep(3600)
            delivered = True
            return {"type": "http.request", "body": payload, "more_body": False}

        await app(scope, receive, send)
        n += 1
    return 1e6 * (time.perf_counter() - started) / n, statuses[-1]


VARIANTS = {
    "netcop": "netcop create_app() as it is",
    "netcop-async-state": "netcop create_app(), get_state as async def",
    "bare": "bare FastAPI endpoint, Body dict",
    "raw": "raw ASGI, orjson",
}


def http_cost(variant: str) -> None:
    """Prints the microseconds per request of one variant (run in its own process: imports differ)."""
    if variant == "raw":
        app = raw_asgi
    elif variant == "bare":
        app = bare_fastapi()
    else:
        app = netcop_app(variant == "netcop-async-state")

    async def run() -> None:
        await drive(app, 0.3)
        cost, status = await drive(app)
        print(f"{cost:.1f} {status}")

    import uvloop

    uvloop.run(run())


def http_costs() -> None:
    print("-- one HTTP request through the ASGI app, no socket, writer and token lookup stubbed (per request)")
    for variant, label in VARIANTS.items():
        done = subprocess.run([sys.executable, __file__, "--variant", variant], capture_output=True, text=True,
                              check=False, timeout=120)  # fmt: skip
        cost, _, status = done.stdout.strip().rpartition("\n")[2].partition(" ")
        print(f"  {label:<52} {float(cost) if cost else float('nan'):7.1f} us  (status {status or done.stderr[-300:]})")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--variant":
        http_cost(sys.argv[2])
        return
    stage_costs()
    http_costs()


if __name__ == "__main__":
    main()
