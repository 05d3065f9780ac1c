"""Where a report's time goes: netcop run in a traced server process, every database round trip timed.

    .venv/bin/python bench/trace_ingest.py [--duration 10] [--connections 32] [--batch-duration 8] [--what-if all]

The driver creates a fresh database (netcop_trace), starts this same file as a server (``--serve``) that builds
``app.main.create_app()`` unchanged but patches a few library functions to record timings, registers a token,
drives the single-report wrk load (``bench/report.lua``) and then the batch load of ``bench/ingest.py``, and
prints for each:

- the writer's group commits: reports per group, wall time per group, and within it the time spent waiting on
  each kind of database round trip (asyncpg ``execute``/``prepare``/``fetch``/``executemany``, BEGIN, COMMIT,
  the pool's pre-ping) and the rest (the writer's own Python between awaits);
- round trips made outside the writer (the change follower, the token check, ...);
- the HTTP requests: wall time, and how much of it is the wait for the writer (``Ingestor.submit_many``);
- the event loop's lag (how late a 1 ms sleep wakes up): a measure of how busy the one loop is.

Nothing in app/ is modified: the patches are applied in the server process only, at start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

CONTEXT: contextvars.ContextVar[str] = contextvars.ContextVar("bench_trace_context", default="other")


class Trace:
    """Timings gathered in the server process; reset and read through GET /__trace."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self.groups: list[tuple[int, float, float]] = []  # (size, wall, db wall)
        self.requests: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # count, wall, writer wait
        self.lag: list[float] = []
        self.group_db = 0.0
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()

    def record_call(self, label: str, wall: float) -> None:
        entry = self.calls[(CONTEXT.get(), label)]
        entry[0] += 1
        entry[1] += wall
        if CONTEXT.get() == "writer":
            self.group_db += wall

    def snapshot(self) -> dict[str, Any]:
        return {
            "seconds": time.perf_counter() - self.started,
            "cpu": time.process_time() - self.cpu_started,
            "calls": [[ctx, label, n, wall] for (ctx, label), (n, wall) in self.calls.items()],
            "groups": self.groups,
            "requests": dict(self.requests),
            "lag": sorted(self.lag),
        }


TRACE = Trace()


def _label(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    if text in ("", ";"):
        return "pre-ping (SELECT ;)"
    text = re.sub(r"\$\d+(, \$\d+)*", "$..", text)
    head = text.split(" ", 1)[0].upper().rstrip(";")
    if head in ("BEGIN", "COMMIT", "ROLLBACK"):
        return text.rstrip(";") + (" (pre-ping's transaction)" if text == "BEGIN;" else "")
    table = re.search(r"(?:FROM|INTO|UPDATE) (\w+)", text, re.IGNORECASE)
    if table is None:
        return text[:48]
    extra = " FOR UPDATE" if "FOR UPDATE" in text.upper() else ""
    return f"{head} {table.group(1)}{extra}"


def _timed(kind: str, original: Callable[..., Awaitable[Any]], sql_of: Callable[..., str]) -> Callable[..., Any]:
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)
        finally:
            TRACE.record_call(f"{kind} {_label(sql_of(self, *args))}", time.perf_counter() - started)

    return wrapper


def patch() -> None:
    """Times asyncpg's round trips and the writer's groups, attributing each call to writer/follower/other."""
    import asyncpg.connection
    import asyncpg.prepared_stmt

    from app.realtime import follower
    from app.services import ingest

    conn = asyncpg.connection.Connection
    conn.execute = _timed("execute", conn.execute, lambda _s, q="", *_a: q)  # type: ignore[method-assign]
    conn.fetchrow = _timed("fetchrow", conn.fetchrow, lambda _s, q="", *_a: q)  # type: ignore[method-assign]
    conn.prepare = _timed("prepare", conn.prepare, lambda _s, q="", *_a: q)  # type: ignore[method-assign]
    conn.executemany = _timed("executemany", conn.executemany, lambda _s, q="", *_a: q)  # type: ignore[method-assign]
    stmt = asyncpg.prepared_stmt.PreparedStatement
    stmt.fetch = _timed("fetch", stmt.fetch, lambda s, *_a: s.get_query())  # type: ignore[method-assign]

    original_commit = ingest.Ingestor._commit

    async def commit(self: Any, group: list[Any], *args: Any, **kwargs: Any) -> Any:
        token = CONTEXT.set("writer")
        TRACE.group_db = 0.0
        started = time.perf_counter()
        try:
            return await original_commit(self, group, *args, **kwargs)
        finally:
            TRACE.groups.append((len(group), time.perf_counter() - started, TRACE.group_db))
            CONTEXT.reset(token)

    ingest.Ingestor._commit = commit  # type: ignore[method-assign]

    original_catch_up = follower.Follower.catch_up

    async def catch_up(self: Any, *args: Any, **kwargs: Any) -> None:
        token = CONTEXT.set("follower")
        try:
            await original_catch_up(self, *args, **kwargs)
        finally:
            CONTEXT.reset(token)

    follower.Follower.catch_up = catch_up  # type: ignore[method-assign]

    original_submit = ingest.Ingestor.submit_many

    async def submit_many(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original_submit(self, *args, **kwargs)
        finally:
            WAIT.get()[0] += time.perf_counter() - started

    ingest.Ingestor.submit_many = submit_many  # type: ignore[method-assign]


WAIT: contextvars.ContextVar[list[float]] = contextvars.ContextVar("bench_trace_wait", default=[0.0])  # noqa: B039


def traced(app: Any) -> Any:
    """The ASGI app with GET /__trace and per-request timings."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["path"] == "/__trace":
            body = orjson.dumps(TRACE.snapshot())
            if b"reset" in scope.get("query_string", b""):
                TRACE.reset()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"json")]})
            await send({"type": "http.response.body", "body": body})
            return
        wait = [0.0]
        WAIT.set(wait)
        started = time.perf_counter()
        await app(scope, receive, send)
        entry = TRACE.requests[f"{scope['method']} {scope['path']}"]
        entry[0] += 1
        entry[1] += time.perf_counter() - started
        entry[2] += wait[0]

    return asgi


async def _watch_lag() -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        TRACE.lag.append(time.perf_counter() - started - 0.001)


# ---------------------------------------------------------------------------------------------------------------
# what-ifs: small changes tried in the traced process only, to size the gain of a suggestion before anyone makes it

WHAT_IFS = {
    "no-pre-ping": "the engine without pool_pre_ping (saves BEGIN; SELECT ;; ROLLBACK per checkout)",
    "unnest-keys": "the idempotency lookup as a join on unnest(text[], text[]) instead of a row-value IN list",
    "async-state": "api.deps.get_state as async def (FastAPI runs a plain def dependency in a thread)",
    "token-cache": "token cache 60 s instead of the default 5 s (fewer look-ups after each expiry)",
    "format-cache": "timefmt.format_micros memoised (the same observed_at is formatted for every provenance)",
}


def apply_what_ifs(names: list[str]) -> None:
    for name in names:
        if name not in WHAT_IFS:
            raise SystemExit(f"unknown what-if {name!r}; known: {', '.join(WHAT_IFS)}")
        globals()["_what_if_" + name.replace("-", "_")]()


def _what_if_no_pre_ping() -> None:
    from app import db

    original = db.create_async_engine

    def create(*args: Any, **kwargs: Any) -> Any:
        kwargs["pool_pre_ping"] = False
        return original(*args, **kwargs)

    db.create_async_engine = create  # type: ignore[assignment]


def _what_if_unnest_keys() -> None:
    from sqlalchemy import text

    from app.repositories import reports

    statement = text(
        "SELECT r.organisation_id, r.report_id, r.body_hash, r.answer FROM reports r "
        "JOIN unnest(CAST(:orgs AS text[]), CAST(:ids AS text[])) AS k(o, i) "
        "ON r.organisation_id = k.o AND r.report_id = k.i"
    )

    async def find_by_keys(conn: Any, keys: Any) -> dict[tuple[str, str], Any]:
        if not keys:
            return {}
        unique = sorted(set(keys))
        params = {"orgs": [k[0] for k in unique], "ids": [k[1] for k in unique]}
        return {(r[0], r[1]): (r[2], r[3]) for r in await conn.execute(statement, params)}

    reports.find_by_keys = find_by_keys  # type: ignore[assignment]


def _what_if_async_state() -> None:
    import typing

    from fastapi import Request

    from app.api import deps

    async def get_state(request: Request) -> Any:
        return request.app.state.netcop

    get_state.__annotations__ = {"request": Request, "return": Any}
    object.__setattr__(typing.get_args(deps.StateDep)[1], "dependency", get_state)


def _what_if_token_cache() -> None:
    os.environ["NETCOP_TOKEN_CACHE_SECONDS"] = "60"


def _what_if_format_cache() -> None:
    import functools

    from app.domain import merge, picture, timefmt
    from app.services import ingest

    cached = functools.lru_cache(maxsize=65536)(timefmt.format_micros)
    for module in (timefmt, merge, picture, ingest):
        module.format_micros = cached  # type: ignore[attr-defined]


def serve(port: int) -> None:
    import uvicorn

    apply_what_ifs([w for w in os.environ.get("BENCH_WHAT_IF", "").split(",") if w])
    from app.main import create_app

    patch()
    app = create_app()
    inner_lifespan = app.router.lifespan_context

    def lifespan(a: Any) -> Any:
        class Wrapper:
            async def __aenter__(self) -> None:
                self.inner = inner_lifespan(a)
                await self.inner.__aenter__()
                self.lag = asyncio.create_task(_watch_lag())

            async def __aexit__(self, *exc: Any) -> None:
                self.lag.cancel()
                await self.inner.__aexit__(*exc)

        return Wrapper()

    app.router.lifespan_context = lifespan
    uvicorn.run(traced(app), host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning",
                access_log=False)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# the driver


def show(title: str, data: dict[str, Any], units: int) -> None:
    seconds = data["seconds"]
    print(f"== {title}: {units:,} reports in {seconds:.1f} s = {units / seconds:,.0f}/s; server process CPU "
          f"{data['cpu'] / seconds:.2f} cores = {1e6 * data['cpu'] / max(units, 1):.0f} us per report")  # fmt: skip
    _show_groups(data["groups"], seconds)
    _show_calls(data, len(data["groups"]))
    for name, (count, wall, wait) in data["requests"].items():
        print(f"  HTTP {name}: {count:,} requests, mean {1000 * wall / count:.2f} ms, of which waiting for the "
              f"writer {1000 * wait / count:.2f} ms, the rest (parse, auth, validate, answer) "
              f"{1000 * (wall - wait) / count:.2f} ms")  # fmt: skip
    lag = data["lag"]
    if lag:
        print(f"  event loop lag (1 ms sleep overshoot): median {1000 * lag[len(lag) // 2]:.2f} ms, "
              f"p99 {1000 * lag[int(len(lag) * 0.99)]:.2f} ms, max {1000 * lag[-1]:.1f} ms")  # fmt: skip


def _show_groups(groups: list[list[float]], seconds: float) -> None:
    if not groups:
        print("  no group commits")
        return
    n = len(groups)
    size = sum(g[0] for g in groups) / n
    wall = sum(g[1] for g in groups) / n
    db = sum(g[2] for g in groups) / n
    busy = sum(g[1] for g in groups) / seconds
    print(f"  writer: {n:,} groups, {size:.1f} reports per group, {1000 * wall:.2f} ms per group "
          f"({1000 * wall / size:.3f} ms per report); writer busy {100 * busy:.0f}% of the time")  # fmt: skip
    print(f"    per group: waiting on the database {1000 * db:.2f} ms, the writer's own Python between awaits "
          f"{1000 * (wall - db):.2f} ms ({1000 * (wall - db) / size:.3f} ms per report)")  # fmt: skip


def _show_calls(data: dict[str, Any], groups: int) -> None:
    calls = sorted(data["calls"], key=lambda c: (c[0], -c[3]))
    for ctx, label, count, wall in calls:
        per_group = f"{count / groups:5.1f}/group " if ctx == "writer" and groups else ""
        print(f"    [{ctx:<8}] {label:<48} {count:>8,} calls {per_group}mean {1000 * wall / count:7.3f} ms "
              f"total {wall:6.2f} s")  # fmt: skip


def trace_get(base: str, reset: bool = False) -> dict[str, Any]:
    return dict(httpx.get(base + "/__trace" + ("?reset=1" if reset else ""), timeout=30).json())


def drive(args: argparse.Namespace) -> None:
    import tempfile

    import ingest

    args.db_name = "netcop_trace"
    dsn = ingest.pg_dsn(args, args.db_name)
    db_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    asyncio.run(ingest.recreate_database(args))
    ingest.upgrade(db_url)
    servers = ingest.Servers(Path(tempfile.mkdtemp(prefix="netcop-trace-")))
    try:
        env = os.environ | {"NETCOP_DATABASE_URL": db_url, "NETCOP_ADMIN_TOKEN": ingest.ADMIN_TOKEN,
                            "NETCOP_LOG_LEVEL": "warning", "BENCH_WHAT_IF": ",".join(args.what_if)}  # fmt: skip
        if args.what_if:
            print("what-ifs applied in the server process:")
            for name in args.what_if:
                print(f"  {name}: {WHAT_IFS[name]}")
        servers.start("netcop", [sys.executable, __file__, "--serve", str(args.port)], env)
        base = f"http://127.0.0.1:{args.port}"
        ingest.wait_healthy(servers, "netcop", base + "/healthz")
        token = ingest.register(base)
        ingest.run_wrk(args, base, token, "warm", 2)
        trace_get(base, reset=True)
        result = ingest.run_wrk(args, base, token, "main", args.duration)
        print(f"wrk: {result.line()}")
        show("single POST /api/v1/reports", trace_get(base, reset=True), result.requests)
        if args.batch_duration > 0:
            stats = asyncio.run(ingest.batch_load(base, token, 4, 100, args.batch_duration, "batch"))
            show("POST /api/v1/reports/batch, 100 per request, 4 clients", trace_get(base), stats.reports)
    finally:
        servers.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--batch-duration", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--object-pool", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18082)
    parser.add_argument("--what-if", type=lambda v: [w for w in v.split(",") if w], default=[],
                        help=f"comma-separated, tried in the server only: {', '.join(WHAT_IFS)}, or all")  # fmt: skip
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    args = parser.parse_args()
    if args.what_if == ["all"]:
        args.what_if = list(WHAT_IFS)
    if args.serve:
        serve(args.serve)
    else:
        drive(args)


if __name__ == "__main__":
    main()
