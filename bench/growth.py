"""Whether a report's cost stays flat as what is stored grows 10x (issue 7, point 2).

    .venv/bin/python bench/growth.py [--updates 300] [--database postgresql|sqlite]

In-process, through the writer itself (``Ingestor``, no HTTP), on a fresh database: for each dimension, stores a
small and a 10x larger state, then times the same one-property update reports, one at a time (each its own
group commit, as a partner sending single reports would cause), and prints the time per report at 1x and 10x
side by side with their ratio:

- properties: one object with 100 vs 1,000 properties (the contract's limit per entry), one of them updated;
- objects: an incident with 2,000 vs 20,000 objects, one of them updated;
- reports: an organisation with 2,000 vs 20,000 stored reports, its updates;
- audience: restricted reports to 50 vs 500 organisations (the contract's limit), one object updated.

Each dimension starts with a process of its own writer (a cold cache), as after a restart, and warms up first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.config import Settings
from app.db import Database
from app.domain import canonical
from app.migrate import upgrade
from app.services.audit import Caller
from app.services.ingest import Ingestor

CALLER = Caller("bench", "127.0.0.1")
ORG = "growth-org"
Body = dict[str, Any]


def report(report_id: str, incident: str, objects: list[Body], minute: int = 0, **extra: Any) -> Body:
    return {"id": report_id, "incident": incident, "observed_at": f"2026-11-27T14:{minute % 60:02d}:00+01:00",
            "objects": objects, **extra}  # fmt: skip


async def submit(ingestor: Ingestor, bodies: list[Body]) -> None:
    for start in range(0, len(bodies), 500):
        outcomes = await ingestor.submit_many([(ORG, b, canonical.digest(b)) for b in bodies[start:start + 500]],
                                              CALLER)  # fmt: skip
        assert all(o.status == 201 for o in outcomes), outcomes[0]


async def timed(ingestor: Ingestor, bodies: list[Body]) -> float:
    """Microseconds per report, each submitted alone."""
    started = time.perf_counter()
    for body in bodies:
        [outcome] = await ingestor.submit_many([(ORG, body, canonical.digest(body))], CALLER)
        assert outcome.status == 201, outcome
    return 1e6 * (time.perf_counter() - started) / len(bodies)


def properties(scale: int, tag: str) -> tuple[list[Body], Callable[[int], Body]]:
    count = 100 * scale
    setup = [report(f"{tag}-setup", tag, [{"id": "big", "kind": "unit",
                                            "properties": {f"p{i}": i for i in range(count)}}])]  # fmt: skip
    return setup, lambda n: report(f"{tag}-u{n}", tag, [{"id": "big", "properties": {"p7": n}}], n + 1)


def objects(scale: int, tag: str) -> tuple[list[Body], Callable[[int], Body]]:
    count = 2000 * scale
    setup = [report(f"{tag}-s{i}", tag, [{"id": f"o{i * 100 + k}", "kind": "unit"} for k in range(100)])
             for i in range(count // 100)]  # fmt: skip
    return setup, lambda n: report(f"{tag}-u{n}", tag, [{"id": f"o{n % count}", "properties": {"n": n}}], n + 1)


def reports(scale: int, tag: str) -> tuple[list[Body], Callable[[int], Body]]:
    count = 2000 * scale
    setup = [report(f"{tag}-s{i}", f"{tag}-old", [{"id": "x", "properties": {"n": i}}]) for i in range(count)]
    return setup, lambda n: report(f"{tag}-u{n}", tag, [{"id": "y", "properties": {"n": n}}], n + 1)


def audience(scale: int, tag: str) -> tuple[list[Body], Callable[[int], Body]]:
    members = [f"member-{i:03d}" for i in range(50 * scale)]
    setup = [report(f"{tag}-setup", tag, [{"id": "shared", "kind": "unit"}])]
    return setup, lambda n: report(f"{tag}-u{n}", tag, [{"id": "shared", "properties": {"n": n}}], n + 1,
                                   visibility="restricted", audience=members)  # fmt: skip


DIMENSIONS = {"properties": properties, "objects": objects, "reports": reports, "audience": audience}


async def members(db: Database) -> None:
    from sqlalchemy import text

    async with db.write() as conn:
        for i in range(500):
            await conn.execute(text("INSERT INTO organisations VALUES (:id, :id, 'other', 'NL', 0)"),
                               {"id": f"member-{i:03d}"})  # fmt: skip
        await conn.execute(text(f"INSERT INTO organisations VALUES ('{ORG}', 'Growth', 'other', 'NL', 0)"))


async def measure(settings: Settings, name: str, scale: int, updates: int) -> float:
    setup, update = DIMENSIONS[name](scale, f"{name}{scale}")
    db = Database(settings)
    ingestor = Ingestor(db, settings)
    ingestor.start()
    try:
        await submit(ingestor, setup)
        await timed(ingestor, [update(n) for n in range(20)])  # warm-up
        return await timed(ingestor, [update(n) for n in range(20, 20 + updates)])
    finally:
        await ingestor.stop()
        await db.dispose()


async def run(settings: Settings, updates: int) -> None:
    db = Database(settings)
    await members(db)
    await db.dispose()
    print(f"{'dimension':<12} {'1x':>12} {'10x':>12}  ratio")
    for name in DIMENSIONS:
        small = await measure(settings, name, 1, updates)
        large = await measure(settings, name, 10, updates)
        print(f"{name:<12} {small:9.0f} us {large:9.0f} us  {large / small:5.2f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/netcop_growth")
    args = p.parse_args()
    if args.database == "postgresql":
        from ingest import recreate_database

        asyncio.run(recreate_database(argparse.Namespace(pg_user="postgres", pg_host="127.0.0.1", pg_port=5432,
                                                         db_name=args.pg_url.rsplit("/", 1)[1])))  # fmt: skip
        url = args.pg_url
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='netcop-growth-')) / 'netcop.db'}"
    upgrade(url)
    settings = Settings(database_url=url, sqlite_path=Path(url.removeprefix("sqlite+aiosqlite:///")))
    print(f"== per-report time of one-property updates, each its own group commit ({args.database}, "
          f"{args.updates} updates per figure)")  # fmt: skip
    asyncio.run(run(settings, args.updates))


if __name__ == "__main__":
    main()
