"""The bare endpoint netcop's ingest is compared with: FastAPI reads the JSON body, one asyncpg INSERT of it in
its own transaction, 201. No authentication, no validation beyond "a JSON object", no merge.

Run (``bench/ingest.py`` does this for you)::

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/netcop_bench \\
        .venv/bin/uvicorn baseline_app:app --app-dir bench --loop uvloop --http httptools --workers 1

Environment: ``BENCH_DATABASE_URL`` (plain ``postgresql://`` DSN), ``BENCH_POOL_SIZE`` (default 32: one
connection per wrk connection, the most favourable setting for the baseline).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import Body, FastAPI, Response

DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/netcop_bench")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "32"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_reports (
    seq BIGSERIAL PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    body JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
INSERT = "INSERT INTO baseline_reports (report_id, incident_id, body) VALUES ($1, $2, $3::jsonb) RETURNING seq"

pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE)
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/api/v1/reports", status_code=201)
async def post_report(report: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        body = orjson.dumps(report).decode()
        seq = await conn.fetchval(INSERT, str(report.get("id")), str(report.get("incident")), body)
    answer = {"id": report.get("id"), "incident": report.get("incident"), "seq": seq}
    return Response(orjson.dumps(answer), status_code=201, media_type="application/json")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
