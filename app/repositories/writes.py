"""The write path's SQL: what one group commit reads and writes, for PostgreSQL and for SQLite.

A group commit is one transaction that starts by locking the two head rows (the seq counter and the audit head)
and reading them: the **fence**. Every writer of the log takes the same locks (other processes' writers, admin
actions appending audit entries), so the fence is the version of everything the writer caches: when it is what
this process's last commit left, nothing changed in between and the cached states are current.

PostgreSQL is driven through a dedicated asyncpg connection: the group's rows go out as column arrays in ONE
statement (``unnest`` per table, data-modifying CTEs), so a group costs four round trips (BEGIN, the fence, the
write, COMMIT) whatever its size. SQLite, embedded and single-process, goes through SQLAlchemy in a
``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, cast

import orjson
from sqlalchemy import Table, bindparam, null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.domain import picture
from app.domain.timefmt import parse_rfc3339, to_micros
from app.models import (
    AuditEntry,
    AuditHead,
    ChangeObject,
    Incident,
    IncidentActivity,
    Object,
    ObjectView,
    Report,
    ReportAudience,
    ReportObject,
)
from app.models import Sequence as SequenceRow
from app.repositories import dialect
from app.repositories import organisations as organisations_repo
from app.repositories import picture as picture_repo

Key = tuple[str, str]

REPORT_COLUMNS = ("seq", "organisation_id", "report_id", "incident_id", "visibility", "observed_at", "received_at",
                  "body", "body_hash", "answer")  # fmt: skip
AUDIENCE_COLUMNS = ("seq", "organisation_id")
MENTION_COLUMNS = ("incident_id", "object_id", "seq")
CHANGE_COLUMNS = ("seq", "position", "object_id", "audience", "json")
AUDIT_COLUMNS = ("id", "at", "actor", "organisation_id", "action", "subject", "address", "details", "prev_hash",
                 "hash")  # fmt: skip
PUBLIC_COLUMNS = ("public_json", "public_seq", "public_kind", "public_removed", "min_lon", "min_lat", "max_lon",
                  "max_lat")  # fmt: skip
OBJECT_COLUMNS = ("incident_id", "id", "facts", *PUBLIC_COLUMNS)
VIEW_COLUMNS = ("incident_id", "object_id", "organisation_id", "json", "seq", "kind", "removed")
INCIDENT_COLUMNS = ("id", "facts", "coordinators", "exercise")
ACTIVITY_COLUMNS = ("incident_id", "organisation_id", "audience", "first_received", "last_received", "last_seq")


class Fence(NamedTuple):
    """The head rows as a commit left them: the version of the whole store."""

    last_seq: int
    last_received_at: int
    audit_id: int
    audit_hash: str


@dataclass(slots=True)
class GroupRows:
    """Everything one group commit writes, as tuples in the column orders above."""

    reports: list[tuple[Any, ...]] = field(default_factory=list)
    audience: list[tuple[Any, ...]] = field(default_factory=list)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    new_objects: list[tuple[Any, ...]] = field(default_factory=list)  # OBJECT_COLUMNS
    object_updates: list[tuple[Any, ...]] = field(default_factory=list)  # OBJECT_COLUMNS + (public changed,)
    views: list[tuple[Any, ...]] = field(default_factory=list)
    incidents: list[tuple[Any, ...]] = field(default_factory=list)
    activity: list[tuple[Any, ...]] = field(default_factory=list)  # one per (incident, sender, audience)


class WriteTransaction(Protocol):
    async def fence(self) -> Fence:
        """Locks the head rows until commit and reads them."""

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        """The stored states (facts, public and private views) of those of the objects that exist."""

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
        """The stored states of those of the incidents that exist."""

    async def write(self, rows: GroupRows, fence: Fence) -> None:
        """Writes the group and moves the head rows to ``fence``."""

    async def changed_since(self, after_seq: int, until_seq: int) -> tuple[set[Key], set[str]]:
        """The objects and incidents that the reports after_seq < seq <= until_seq mentioned."""


class WriteStore(Protocol):
    """The writer's access to the database: committed reads (outside any transaction, on a connection of their
    own, so that they can run while a group commits) and the group transaction."""

    async def stored_reports(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str]]:
        """(body_hash, answer) of the stored reports among (organisation, report id) keys."""

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        """The committed states of those of the objects that exist."""

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]: ...

    async def existing_organisations(self, ids: Sequence[str]) -> set[str]: ...

    def transaction(self) -> Any:
        """An async context manager giving a ``WriteTransaction``, committed when the block ends cleanly."""

    def server_pids(self) -> set[int]:
        """The PostgreSQL backends this store writes through (their NOTIFYs are this process's own)."""

    async def close(self) -> None: ...


def store_for(db: Database, dsn: str) -> WriteStore:
    return SqlStore(db) if db.is_sqlite else PostgresStore(dsn)


def _updated_at(json: str | None) -> int | None:
    if json is None:
        return None
    return to_micros(parse_rfc3339(orjson.loads(json)["updated_at"]))


def _view(json: str | None, seq: int | None) -> picture.View:
    return picture.View(json.encode() if json else None, seq, _updated_at(json))


def _states(object_rows: Iterable[Any], view_rows: Iterable[Any]) -> dict[Key, picture.ObjectState]:
    states = {
        (incident, object_id): picture.ObjectState(incident, object_id, orjson.loads(facts), _view(json, seq))
        for incident, object_id, facts, json, seq in object_rows
    }
    for incident, object_id, organisation, json, seq in view_rows:
        states[(incident, object_id)].private[organisation] = _view(json, seq)
    return states


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as column arrays (for ``unnest``)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL

_FENCE_SQL = """
SELECT s.last_seq, s.last_received_at, h.last_id, h.last_hash
FROM sequence s, audit_head h WHERE s.id = 1 AND h.id = 1
FOR UPDATE
"""
_STORED_SQL = """
SELECT r.organisation_id, r.report_id, r.body_hash, r.answer
FROM reports r JOIN unnest($1::text[], $2::text[]) AS k(organisation_id, report_id)
  ON r.organisation_id = k.organisation_id AND r.report_id = k.report_id
"""
_OBJECTS_SQL = """
SELECT o.incident_id, o.id, o.facts, o.public_json, o.public_seq
FROM objects o JOIN unnest($1::text[], $2::text[]) AS k(incident_id, id)
  ON o.incident_id = k.incident_id AND o.id = k.id
"""
_VIEWS_SQL = """
SELECT v.incident_id, v.object_id, v.organisation_id, v.json, v.seq
FROM object_views v JOIN unnest($1::text[], $2::text[]) AS k(incident_id, id)
  ON v.incident_id = k.incident_id AND v.object_id = k.id
"""
_CHANGED_SQL = """
SELECT incident_id, object_id FROM report_objects WHERE seq > $1 AND seq <= $2
UNION SELECT incident_id, NULL FROM reports WHERE seq > $1 AND seq <= $2
"""
_PUBLIC_TYPES = "text[], $@::bigint[], $@::text[], $@::boolean[], " + ", ".join(["$@::float8[]"] * 4)
_WRITE_SQL = f"""
WITH
s AS (UPDATE sequence SET last_seq = $@, last_received_at = $@ WHERE id = 1),
h AS (UPDATE audit_head SET last_id = $@, last_hash = $@ WHERE id = 1),
r AS (INSERT INTO reports ({", ".join(REPORT_COLUMNS)}) SELECT * FROM unnest($@::bigint[], $@::text[], $@::text[],
      $@::text[], $@::text[], $@::bigint[], $@::bigint[], $@::text[], $@::text[], $@::text[])),
a AS (INSERT INTO report_audience ({", ".join(AUDIENCE_COLUMNS)}) SELECT * FROM unnest($@::bigint[], $@::text[])),
m AS (INSERT INTO report_objects ({", ".join(MENTION_COLUMNS)})
      SELECT * FROM unnest($@::text[], $@::text[], $@::bigint[])),
c AS (INSERT INTO change_objects ({", ".join(CHANGE_COLUMNS)})
      SELECT * FROM unnest($@::bigint[], $@::int[], $@::text[], $@::text[], $@::text[])),
l AS (INSERT INTO audit_log ({", ".join(AUDIT_COLUMNS)}) SELECT * FROM unnest($@::bigint[], $@::bigint[],
      $@::text[], $@::text[], $@::text[], $@::text[], $@::text[], $@::text[], $@::text[], $@::text[])),
i AS (INSERT INTO incidents ({", ".join(INCIDENT_COLUMNS)})
      SELECT * FROM unnest($@::text[], $@::text[], $@::text[], $@::boolean[])
      ON CONFLICT (id) DO UPDATE SET facts = EXCLUDED.facts),
oi AS (INSERT INTO objects ({", ".join(OBJECT_COLUMNS)})
       SELECT * FROM unnest($@::text[], $@::text[], $@::text[], $@::{_PUBLIC_TYPES})),
ou AS (UPDATE objects o SET facts = u.facts,
         {", ".join(f"{c} = CASE WHEN u.changed THEN u.{c} ELSE o.{c} END" for c in PUBLIC_COLUMNS)}
       FROM unnest($@::text[], $@::text[], $@::text[], $@::{_PUBLIC_TYPES}, $@::boolean[])
         AS u({", ".join(OBJECT_COLUMNS)}, changed)
       WHERE o.incident_id = u.incident_id AND o.id = u.id),
v AS (INSERT INTO object_views ({", ".join(VIEW_COLUMNS)})
      SELECT * FROM unnest($@::text[], $@::text[], $@::text[], $@::text[], $@::bigint[], $@::text[], $@::boolean[])
      ON CONFLICT (incident_id, object_id, organisation_id)
      DO UPDATE SET json = EXCLUDED.json, seq = EXCLUDED.seq, kind = EXCLUDED.kind, removed = EXCLUDED.removed),
ia AS (INSERT INTO incident_activity ({", ".join(ACTIVITY_COLUMNS)})
       SELECT * FROM unnest($@::text[], $@::text[], $@::text[], $@::bigint[], $@::bigint[], $@::bigint[])
       ON CONFLICT (incident_id, organisation_id, audience)
       DO UPDATE SET last_received = EXCLUDED.last_received, last_seq = EXCLUDED.last_seq)
SELECT pg_notify('netcop_changes', $@)
"""


def _numbered(sql: str) -> str:
    """Numbers the ``$@`` placeholders in order: the statement above stays readable as its tables change."""
    parts = sql.split("$@")
    return "".join(f"{part}${i}" if i < len(parts) else part for i, part in enumerate(parts, 1))


WRITE_SQL = _numbered(_WRITE_SQL)


class _Connection:
    """One asyncpg connection, opened when first needed and again after it was lost or left mid-protocol."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.conn: Any = None

    async def get(self) -> Any:
        import asyncpg

        if self.conn is None or self.conn.is_closed():
            # Generic plans: the group statement has the same shape every time, and planning its dozen CTEs
            # anew for each group (PostgreSQL's custom plans for array parameters) costs more than running it.
            self.conn = await asyncpg.connect(self._dsn, timeout=10, command_timeout=60,
                                              server_settings={"plan_cache_mode": "force_generic_plan"})  # fmt: skip
        return self.conn

    async def fetch(self, sql: str, *arguments: Any) -> list[Any]:
        conn = await self.get()
        try:
            return list(await conn.fetch(sql, *arguments))
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.terminate()

    async def close(self) -> None:
        if self.conn is not None and not self.conn.is_closed():
            await self.conn.close(timeout=2)
        self.conn = None


class PostgresStore:
    """Two asyncpg connections of the writer's own: one for group transactions, one for committed reads."""

    def __init__(self, dsn: str) -> None:
        dsn = dsn.replace("postgresql+asyncpg://", "postgresql://", 1)
        self._writer = _Connection(dsn)
        self._reader = _Connection(dsn)

    def server_pids(self) -> set[int]:
        conn = self._writer.conn
        return {conn.get_server_pid()} if conn is not None and not conn.is_closed() else set()

    async def stored_reports(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str]]:
        rows = await self._reader.fetch(_STORED_SQL, [k[0] for k in keys], [k[1] for k in keys])
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    async def existing_organisations(self, ids: Sequence[str]) -> set[str]:
        rows = await self._reader.fetch("SELECT id FROM organisations WHERE id = ANY($1::text[])", list(ids))
        return {r[0] for r in rows}

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        return await _load_objects(self._reader.fetch, keys)

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
        return await _load_incidents(self._reader.fetch, ids)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresTransaction]:
        conn = await self._writer.get()
        try:
            async with conn.transaction():
                yield _PostgresTransaction(conn)
        except BaseException:
            # A failed or cancelled group may leave the connection mid-protocol: start afresh.
            self._writer.discard()
            raise

    async def close(self) -> None:
        await self._writer.close()
        await self._reader.close()


Fetch = Callable[..., Awaitable[list[Any]]]


async def _load_objects(fetch: Fetch, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
    incidents, ids = [k[0] for k in keys], [k[1] for k in keys]
    objects = await fetch(_OBJECTS_SQL, incidents, ids)
    views = await fetch(_VIEWS_SQL, incidents, ids) if objects else []
    return _states(objects, views)


def _changed(rows: Iterable[Any]) -> tuple[set[Key], set[str]]:
    return {(r[0], r[1]) for r in rows if r[1] is not None}, {r[0] for r in rows}


async def _load_incidents(fetch: Fetch, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
    sql = "SELECT id, facts, coordinators, exercise FROM incidents WHERE id = ANY($1::text[])"
    return _incident_states(await fetch(sql, list(ids)))


def _incident_states(rows: Iterable[Any]) -> dict[str, picture.IncidentState]:
    return {r[0]: picture_repo.incident_state_of(*r[1:]) for r in rows}


class _PostgresTransaction:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fence(self) -> Fence:
        row = await self._conn.fetchrow(_FENCE_SQL)
        return Fence(int(row[0]), int(row[1]), int(row[2]), str(row[3]))

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        return await _load_objects(self._conn.fetch, keys)

    async def changed_since(self, after_seq: int, until_seq: int) -> tuple[set[Key], set[str]]:
        return _changed(await self._conn.fetch(_CHANGED_SQL, after_seq, until_seq))

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
        return await _load_incidents(self._conn.fetch, ids)

    async def write(self, rows: GroupRows, fence: Fence) -> None:
        arguments = [
            fence.last_seq, fence.last_received_at, fence.audit_id, fence.audit_hash,
            *_columns(rows.reports, len(REPORT_COLUMNS)),
            *_columns(rows.audience, len(AUDIENCE_COLUMNS)),
            *_columns(rows.mentions, len(MENTION_COLUMNS)),
            *_columns(rows.changes, len(CHANGE_COLUMNS)),
            *_columns(rows.audit, len(AUDIT_COLUMNS)),
            *_columns(rows.incidents, len(INCIDENT_COLUMNS)),
            *_columns(rows.new_objects, len(OBJECT_COLUMNS)),
            *_columns(rows.object_updates, len(OBJECT_COLUMNS) + 1),
            *_columns(rows.views, len(VIEW_COLUMNS)),
            *_columns(rows.activity, len(ACTIVITY_COLUMNS)),
            str(fence.last_seq),
        ]  # fmt: skip
        await self._conn.execute(WRITE_SQL, *arguments)


# ---------------------------------------------------------------------------------------------------------------
# SQLite (and any database SQLAlchemy speaks)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


reports_table, audience_table = _table(Report), _table(ReportAudience)
mentions_table, changes_table = _table(ReportObject), _table(ChangeObject)
audit_table, audit_head_table = _table(AuditEntry), _table(AuditHead)
objects_table, views_table = _table(Object), _table(ObjectView)
incidents_table, sequence_table = _table(Incident), _table(SequenceRow)
activity_table = _table(IncidentActivity)


def _dicts(columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


class SqlStore:
    """The write path through SQLAlchemy, for the embedded SQLite (one process writes)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def server_pids(self) -> set[int]:
        return set()

    async def stored_reports(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str]]:
        by_organisation: dict[str, list[str]] = {}
        for organisation, report_id in keys:
            by_organisation.setdefault(organisation, []).append(report_id)
        found: dict[Key, tuple[str, str]] = {}
        async with self._db.read() as conn:
            for organisation, report_ids in by_organisation.items():
                statement = select(reports_table.c.report_id, reports_table.c.body_hash, reports_table.c.answer)
                statement = statement.where(
                    reports_table.c.organisation_id == organisation, reports_table.c.report_id.in_(report_ids)
                )
                found.update({(organisation, r[0]): (r[1], r[2]) for r in await conn.execute(statement)})
        return found

    async def existing_organisations(self, ids: Sequence[str]) -> set[str]:
        async with self._db.read() as conn:
            return await organisations_repo.existing_ids(conn, set(ids))

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        async with self._db.read() as conn:
            return await _SqlTransaction(conn).load_objects(keys)

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
        async with self._db.read() as conn:
            return await _SqlTransaction(conn).load_incidents(ids)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqlTransaction]:
        async with self._db.write() as conn:
            yield _SqlTransaction(conn)

    async def close(self) -> None:
        return None


class _SqlTransaction:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def fence(self) -> Fence:
        seq_row = (await self._conn.execute(select(sequence_table.c.last_seq, sequence_table.c.last_received_at))).one()
        head_row = (await self._conn.execute(select(audit_head_table.c.last_id, audit_head_table.c.last_hash))).one()
        return Fence(int(seq_row[0]), int(seq_row[1]), int(head_row[0]), str(head_row[1]))

    async def load_objects(self, keys: Sequence[Key]) -> dict[Key, picture.ObjectState]:
        by_incident: dict[str, list[str]] = {}
        for incident, object_id in keys:
            by_incident.setdefault(incident, []).append(object_id)
        object_rows: list[Any] = []
        view_rows: list[Any] = []
        o, v = objects_table.c, views_table.c
        for incident, ids in by_incident.items():
            statement = select(o.incident_id, o.id, o.facts, o.public_json, o.public_seq)
            object_rows += await self._conn.execute(statement.where(o.incident_id == incident, o.id.in_(ids)))
            statement = select(v.incident_id, v.object_id, v.organisation_id, v.json, v.seq)
            view_rows += await self._conn.execute(statement.where(v.incident_id == incident, v.object_id.in_(ids)))
        return _states(object_rows, view_rows)

    async def changed_since(self, after_seq: int, until_seq: int) -> tuple[set[Key], set[str]]:
        m, r = mentions_table.c, reports_table.c
        mentioned = select(m.incident_id, m.object_id).where(m.seq > after_seq, m.seq <= until_seq)
        reported = select(r.incident_id, null()).where(r.seq > after_seq, r.seq <= until_seq)
        return _changed(list(await self._conn.execute(mentioned.union(reported))))

    async def load_incidents(self, ids: Sequence[str]) -> dict[str, picture.IncidentState]:
        c = incidents_table.c
        statement = select(c.id, c.facts, c.coordinators, c.exercise).where(c.id.in_(list(ids)))
        return _incident_states(await self._conn.execute(statement))

    async def write(self, rows: GroupRows, fence: Fence) -> None:
        conn = self._conn
        for table, columns, table_rows in (
            (reports_table, REPORT_COLUMNS, rows.reports),
            (audience_table, AUDIENCE_COLUMNS, rows.audience),
            (mentions_table, MENTION_COLUMNS, rows.mentions),
            (changes_table, CHANGE_COLUMNS, rows.changes),
            (audit_table, AUDIT_COLUMNS, rows.audit),
            (objects_table, OBJECT_COLUMNS, rows.new_objects),
        ):
            if table_rows:
                await conn.execute(table.insert(), _dicts(columns, table_rows))
        await self._update_objects(rows.object_updates)
        await dialect.upsert(conn, views_table, _dicts(VIEW_COLUMNS, rows.views), keys=VIEW_COLUMNS[:3])
        await dialect.upsert(conn, incidents_table, _dicts(INCIDENT_COLUMNS, rows.incidents), keys=("id",),
                             update=("facts",))  # fmt: skip
        await dialect.upsert(conn, activity_table, _dicts(ACTIVITY_COLUMNS, rows.activity), keys=ACTIVITY_COLUMNS[:3],
                             update=("last_received", "last_seq"))  # fmt: skip
        await conn.execute(
            update(sequence_table).values(last_seq=fence.last_seq, last_received_at=fence.last_received_at)
        )
        await conn.execute(update(audit_head_table).values(last_id=fence.audit_id, last_hash=fence.audit_hash))

    async def _update_objects(self, rows: list[tuple[Any, ...]]) -> None:
        # executemany needs one statement shape: rows with a new public view and rows with only new facts.
        o = objects_table.c
        for changed in (True, False):
            group = [row for row in rows if row[-1] is changed]
            if not group:
                continue
            columns = ("facts", *PUBLIC_COLUMNS) if changed else ("facts",)
            statement = (
                update(objects_table)
                .where(o.incident_id == bindparam("k_incident"), o.id == bindparam("k_id"))
                .values({c: bindparam(c) for c in columns})
            )
            params = [{"k_incident": r[0], "k_id": r[1], **dict(zip(OBJECT_COLUMNS[2:], r[2:-1], strict=True))}
                      for r in group]  # fmt: skip
            await self._conn.execute(statement, [{k: p[k] for k in ("k_incident", "k_id", *columns)} for p in params])
