"""Where a large picture read goes: the parts of GET /incidents/{id}/picture timed one by one, in-process.

    .venv/bin/python bench/picture_parts.py [--db-name netcop_bench] [--incident bench-picture]

Run after ``bench/ingest.py`` (which leaves the incident bench-picture with 100,000 objects in netcop_bench).
Times, 5 times each, best and median:

- the query as the service runs it (SQLAlchemy Core on asyncpg, rows of (id, public_json) as str);
- the same query on asyncpg directly;
- the service's assembly of the body: ``str.encode`` per row, ``b",".join``, head + objects + tail;
- PostgreSQL building the whole array: ``string_agg(public_json, ',' ORDER BY id)`` as text, and as bytes
  (``convert_to``), which asyncpg hands over without decoding;
and prints the body size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WHERE = "incident_id = $1 AND public_json IS NOT NULL AND public_removed IS false"
ROWS = f"SELECT id, public_json FROM objects WHERE {WHERE} ORDER BY id"
AGG_TEXT = f"SELECT string_agg(public_json, ',' ORDER BY id) FROM objects WHERE {WHERE}"
AGG_BYTES = f"SELECT convert_to(string_agg(public_json, ',' ORDER BY id), 'UTF8') FROM objects WHERE {WHERE}"


async def timed(label: str, fn: Callable[[], Awaitable[Any]], times: int = 5) -> Any:
    spent, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = await fn()
        spent.append((time.perf_counter() - started) * 1000)
    print(f"  {label:<66} best {min(spent):7.1f} ms   median {statistics.median(spent):7.1f} ms")
    return result


async def main(args: argparse.Namespace) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.repositories import picture as picture_repo

    dsn = f"postgresql://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.db_name}"
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    conn = await asyncpg.connect(dsn)
    try:
        count = await conn.fetchval(f"SELECT count(*) FROM objects WHERE {WHERE}", args.incident)
        print(f"incident {args.incident}: {count:,} objects")

        async def via_sqlalchemy() -> list[tuple[str, str]]:
            async with engine.connect() as sa:
                return await picture_repo.public_objects(sa, args.incident)

        rows = await timed("query as the service runs it (SQLAlchemy Core, asyncpg)", via_sqlalchemy)
        await timed("the same SELECT on asyncpg directly", lambda: conn.fetch(ROWS, args.incident))

        async def assemble() -> bytes:
            parts = [json.encode() for _, json in rows]
            head = orjson.dumps({"incident": args.incident, "seq": 1, "as_of": None})[:-1]
            return head + b',"objects":' + (b"[" + b",".join(parts) + b"]") + b"}"

        body = await timed("assembly as the service does it (encode, join, concatenate)", assemble)
        await timed("string_agg in PostgreSQL, as text", lambda: conn.fetchval(AGG_TEXT, args.incident))
        await timed("string_agg in PostgreSQL, as bytes (convert_to)", lambda: conn.fetchval(AGG_BYTES, args.incident))
        print(f"  body: {len(body) / 1e6:.1f} MB, {len(body) / max(count, 1):.0f} bytes per object")
    finally:
        await conn.close()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-name", default="netcop_bench")
    parser.add_argument("--incident", default="bench-picture")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    asyncio.run(main(parser.parse_args()))
