"""The cached writer against the locking writer it replaced: same reports in, same rows and answers out.

Random report streams (restricted audiences, unknown audience members, duplicates, retries, id reuse with other
bodies, conflicts between organisations, removals) go through both writers in the same groups, each on its own
database; every table must end up the same, row for row, and every answer must be the same. A foreign writer (a
second ingestor on the same database, as another process would be) and admin actions between groups move the
fence, and the picture must still be exactly a replay of the log.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from app.config import Settings
from app.db import Database
from app.domain import canonical
from app.migrate import upgrade
from app.models import Base
from app.schemas.admin import OrganisationCreate
from app.services import admin, metrics, verify
from app.services.audit import Caller
from app.services.ingest import Ingestor
from app.services.submissions import FairQueue, Outcome, Submission
from tests.conftest import PG_URL, _create_postgres_database
from tests.services.locking_writer import LockingWriter

ORGANISATIONS = ("politie", "brandweer", "ghor", "gemeente")
OBJECTS = ("car-1", "car-2", "area-1")
T0 = 1_795_000_000_000_000
WINDOW = 900 * 1_000_000
CALLER = Caller("token-1", "127.0.0.1")


def _clock() -> Any:
    ticks = itertools.count()
    return lambda: T0 + 1_000 * next(ticks)


def _migrated(name: str, folder: Path) -> str:
    if PG_URL:
        url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
        _create_postgres_database(url)
    else:
        url = f"sqlite+aiosqlite:///{folder / name}.db"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Two migrated databases: one for each writer."""
    folder = tmp_path_factory.mktemp("differential")
    return _migrated("netcop_diff_new", folder), _migrated("netcop_diff_old", folder)


def _settings(url: str) -> Settings:
    return Settings(database_url=url, sqlite_path=Path(url.removeprefix("sqlite+aiosqlite:///")))


@pytest.fixture
async def databases(urls: tuple[str, str]) -> AsyncIterator[tuple[Database, Database, Settings]]:
    settings = _settings(urls[0])
    new, old = Database(settings), Database(_settings(urls[1]))
    yield new, old, settings
    await new.dispose()
    await old.dispose()


async def _reset(db: Database) -> None:
    counters = ("sequence", "audit_head")
    async with db.write() as conn:
        for table in [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in counters]:
            await conn.execute(text(f"DELETE FROM {table}"))
        await conn.execute(text("UPDATE sequence SET last_seq = 0, last_received_at = 0"))
        await conn.execute(text(f"UPDATE audit_head SET last_id = 0, last_hash = '{'0' * 64}'"))
    async with db.write() as conn:
        for org in ORGANISATIONS:
            await conn.execute(text("INSERT INTO organisations VALUES (:id, :id, 'other', 'NL', 0)"), {"id": org})


# The reference writer predates the incident activity table: verify() checks it against the log instead.
KEPT_BY_THE_NEW_WRITER_ONLY = ("incident_activity",)


async def _tables(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with db.read() as conn:
        return {
            table.name: sorted(tuple(row) for row in await conn.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name not in KEPT_BY_THE_NEW_WRITER_ONLY
        }


def _value() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "b"]), st.just(1.0), st.booleans())


@st.composite
def _entry(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": draw(st.sampled_from(OBJECTS))}
    if draw(st.booleans()):
        entry["kind"] = draw(st.sampled_from(["unit", "hazard"]))
    if draw(st.booleans()):
        x = draw(st.integers(0, 3))
        entry["geometry"] = {"type": "Point", "coordinates": [4.0 + x / 10, 51.8]}
    if draw(st.integers(0, 4)) == 0:
        entry["removed"] = draw(st.booleans())
    properties = draw(st.dictionaries(st.sampled_from(["status", "count", "note"]), _value(), max_size=2))
    if properties or len(entry) == 1:
        entry["properties"] = properties or {"status": "x"}
    return entry


@st.composite
def _report(draw: st.DrawFn, number: int) -> tuple[str, dict[str, Any]]:
    organisation = draw(st.sampled_from(ORGANISATIONS))
    entries = {e["id"]: e for e in draw(st.lists(_entry(), max_size=3))}
    body: dict[str, Any] = {
        "id": f"r{draw(st.integers(0, number))}",  # ids repeat: retries and reuse with another body
        "incident": draw(st.sampled_from(["flood", "fire"])),
        "observed_at": f"2026-11-27T14:{draw(st.integers(0, 40)):02d}:00+01:00",
        "objects": list(entries.values()),
    }
    if draw(st.integers(0, 3)) == 0:
        body["visibility"] = "restricted"
        body["audience"] = draw(st.lists(st.sampled_from([*ORGANISATIONS, "unknown-org"]), min_size=1, max_size=2))
    if draw(st.integers(0, 5)) == 0 and organisation == COORDINATORS[body["incident"]]:
        body["incident_info"] = {"title": draw(st.sampled_from(["Flood", "Dike breach"]))}
    return organisation, body


# Each incident is created by the organisation that coordinates it (spec section 1): the streams start with
# those reports, and send incident fields only from the coordinator.
COORDINATORS = {"flood": "politie", "fire": "brandweer"}
CREATED = [(org, {"id": f"create-{incident}", "incident": incident, "observed_at": "2026-11-27T13:00:00+01:00",
                  "objects": []}) for incident, org in COORDINATORS.items()]  # fmt: skip


@st.composite
def _groups(draw: st.DrawFn) -> list[list[tuple[str, dict[str, Any]]]]:
    count = draw(st.integers(1, 24))
    reports = [draw(_report(count)) for _ in range(count)]
    if reports and draw(st.booleans()):
        reports.append(draw(st.sampled_from(reports)))  # a retry of something sent before
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(reports) - 1)), max_size=6)))
    return [CREATED, *(reports[a:b] for a, b in itertools.pairwise([0, *cuts, len(reports)]) if reports[a:b])]


async def _commit_order(items: list[tuple[str, dict[str, Any], str]]) -> list[int]:
    """The order in which the cached writer commits one call's reports: its fair queue takes one report per
    organisation in turn (each organisation's own reports stay in order)."""
    queue = FairQueue()
    submissions = [Submission(org, body, digest, CALLER) for org, body, digest in items]
    for submission in submissions:
        queue.put(submission)
    taken = await queue.take(len(items), 10**9)
    return [next(i for i, s in enumerate(submissions) if s is t) for t in taken]


def _answer(outcome: Outcome) -> tuple[int, Any]:
    return (outcome.status, outcome.answer if outcome.error is None else outcome.error.body())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=_groups())
async def test_the_cached_writer_leaves_the_rows_and_answers_of_the_locking_writer(
    databases: tuple[Database, Database, Settings], groups: list[list[tuple[str, dict[str, Any]]]]
) -> None:
    """Every table and every answer is the same after the same groups through the old and the new writer."""
    new_db, old_db, settings = databases
    await _reset(new_db)
    await _reset(old_db)
    ingestor = Ingestor(new_db, settings, clock=_clock())
    ingestor.start()
    reference = LockingWriter(old_db, WINDOW, _clock())
    try:
        for group in groups:
            items = [(org, body, canonical.digest(body)) for org, body in group]
            new = await ingestor.submit_many(items, CALLER)
            order = await _commit_order(items)
            old = dict(zip(order, await reference.submit_many([items[i] for i in order], CALLER), strict=True))
            assert [_answer(o) for o in new] == [_answer(old[i]) for i in range(len(items))]
    finally:
        await ingestor.stop()
    assert await _tables(new_db) == await _tables(old_db)
    assert await verify.verify(db=new_db, window_us=WINDOW) == []


async def test_a_foreign_writer_and_admin_actions_between_groups_leave_a_picture_equal_to_the_log(
    databases: tuple[Database, Database, Settings],
) -> None:
    """Two writers on one database (as two processes) and audit entries from admin actions between their groups:
    each writer notices that the fence moved, reads the states again, and the seqs stay gap-free."""
    db, _, settings = databases
    await _reset(db)
    other_db = Database(settings)  # the other process's engine
    first, second = Ingestor(db, settings), Ingestor(other_db, settings)
    first.start()
    second.start()
    try:
        for round_number in range(6):
            for number, writer in enumerate((first, second, first)):
                body = {"id": f"r{round_number}-{number}", "incident": "flood",
                        "observed_at": f"2026-11-27T14:{round_number:02d}:{number:02d}+01:00",
                        "objects": [{"id": "car-1", "properties": {"count": round_number * 3 + number}}]}  # fmt: skip
                [outcome] = await writer.submit_many([("politie", body, canonical.digest(body))], CALLER)
                assert outcome.status == 201
            await admin.add_organisation(
                db=db,
                organisation=OrganisationCreate(
                    id=f"extra-{round_number}", name="Extra", discipline="other", country="NL"
                ),
                caller=CALLER,
            )
    finally:
        await first.stop()
        await second.stop()
        await other_db.dispose()
    tables = await _tables(db)
    assert [row[0] for row in tables["reports"]] == list(range(1, 19))
    car = next(row for row in tables["objects"] if row[1] == "car-1")
    assert '"count":17' in car[3]
    assert await verify.verify(db=db, window_us=WINDOW) == []


async def test_a_large_batch_is_committed_in_parts_that_let_other_partners_through(
    databases: tuple[Database, Database, Settings],
) -> None:
    """A partner's batch of 400 reports of 20 objects each (8,000 object entries) is committed in parts bounded
    by the group's work; another partner's report sent after it is committed long before the batch's end."""
    db, _, settings = databases
    await _reset(db)
    ingestor = Ingestor(db, settings.model_copy(update={"ingest_group_work": 500}))
    ingestor.start()
    try:
        heavy = [
            ("politie", body, canonical.digest(body))
            for body in (
                {"id": f"h{i}", "incident": "flood", "observed_at": "2026-11-27T14:00:00+01:00",
                 "objects": [{"id": f"o{i}-{k}", "kind": "unit"} for k in range(20)]}
                for i in range(400)
            )
        ]
        batch = asyncio.ensure_future(ingestor.submit_many(heavy, CALLER))
        await asyncio.sleep(0)  # the batch is queued first
        light = {"id": "l1", "incident": "fire", "observed_at": "2026-11-27T14:00:00+01:00",
                 "objects": [{"id": "truck", "kind": "unit"}]}  # fmt: skip
        [outcome] = await ingestor.submit_many([("brandweer", light, canonical.digest(light))], CALLER)
        heavy_outcomes = await batch
    finally:
        await ingestor.stop()
    assert outcome.status == 201
    assert outcome.answer is not None
    assert all(o.status == 201 for o in heavy_outcomes)
    last_heavy_seq = max(o.answer["seq"] for o in heavy_outcomes if o.answer is not None)
    assert outcome.answer["seq"] <= 30 < last_heavy_seq == 401


async def test_groups_prepared_while_others_commit_keep_every_guarantee(
    databases: tuple[Database, Database, Settings],
) -> None:
    """Many partners at once, with retries of reports still committing and id reuse: groups are prepared while the
    previous one commits, and still every report gets one seq, every retry the stored answer, seqs are gap-free
    and the picture is a replay of the log."""
    db, _, settings = databases
    await _reset(db)
    ingestor = Ingestor(db, settings)
    ingestor.start()

    async def partner(org: str) -> list[tuple[str, Outcome]]:
        answers = []
        for i in range(12):
            body = {"id": f"{org}-{i % 9}", "incident": "flood", "observed_at": f"2026-11-27T14:{i:02d}:00+01:00",
                    "objects": [{"id": f"car-{i % 3}", "properties": {"by": org, "n": i % 9}}]}  # fmt: skip
            # each report is sent twice at once (a retry in the same group); from i = 9 on, ids are reused with
            # other bodies (409)
            answers.extend(zip([body["id"]] * 2, await ingestor.submit_many([(org, body, canonical.digest(body))] * 2,
                                                                           CALLER), strict=True))  # fmt: skip
        return answers

    prepared_before = metrics.GROUPS.labels("prepared")._value.get()
    try:
        results = await asyncio.gather(*(partner(org) for org in ORGANISATIONS))
    finally:
        await ingestor.stop()
    assert metrics.GROUPS.labels("prepared")._value.get() > prepared_before
    by_key: dict[tuple[str, str], set[int]] = {}
    for org, answers in zip(ORGANISATIONS, results, strict=True):
        for report_id, outcome in answers:
            assert outcome.status in (200, 201, 409), outcome
            if outcome.answer is not None:
                by_key.setdefault((org, report_id), set()).add(outcome.answer["seq"])
    assert all(len(seqs) == 1 for seqs in by_key.values())
    tables = await _tables(db)
    assert [row[0] for row in tables["reports"]] == list(range(1, len(by_key) + 1))
    assert await verify.verify(db=db, window_us=WINDOW) == []
