"""Federation links, the admin use cases: create, list with their health, delete (spec section 9).

The token a link carries is sealed before it is stored (``sealing``), never returned and never logged; the
audit log records who created or deleted which link, to which URL, allowing what, without it.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from app.config import Settings
from app.db import Database
from app.domain.timefmt import format_micros, now_micros
from app.errors import Conflict, Invalid, NotFound
from app.federation import forwarding
from app.federation import repository as repo
from app.federation.schemas import LinkCreate, LinkList, LinkRead
from app.federation.sealing import Sealer
from app.repositories import organisations as organisations_repo
from app.services import audit
from app.services.audit import Caller

# A link nobody has looked at for this long is down, whatever it said last (its process stopped or lost its
# lease and nobody took it over).
STALE_US = 60_000_000


async def create_link(*, db: Database, settings: Settings, link: LinkCreate, caller: Caller) -> LinkRead:
    """Stores a new link (its token sealed); the runner starts pushing within a second."""
    if (problem := forwarding.peer_url_problem(link.url, settings.federation_allow_http)) is not None:
        raise Invalid.at("url", problem)
    row = _row(link, Sealer(settings.federation_key))
    try:
        async with db.write() as conn:
            await _check_new(conn, link)
            await repo.add_link(conn, row)
            await audit.record(conn, caller, "federation.link.created", link.id, url=row["url"],
                               incidents=link.incidents, visibilities=sorted(set(link.visibilities)),
                               peer_organisation=link.peer_organisation)  # fmt: skip
    except IntegrityError as error:
        raise Conflict(f"link '{link.id}' exists") from error
    return read(row | {"state": "retrying", "last_acked_seq": 0, "forwarded_count": 0, "refused_count": 0,
                       "last_error": None, "last_error_at": None, "checked_at": None},
                (0, None), now_micros())  # fmt: skip


async def _check_new(conn: Any, link: LinkCreate) -> None:
    if await repo.get_link(conn, link.id) is not None:
        raise Conflict(f"link '{link.id}' exists")
    peer = link.peer_organisation
    if peer is not None and await organisations_repo.get_organisation(conn, peer) is None:
        raise Invalid.at("peer_organisation", f"no organisation '{peer}'")


def _row(link: LinkCreate, sealer: Sealer) -> dict[str, Any]:
    return {
        "id": link.id,
        "url": link.url.rstrip("/"),
        "token": sealer.seal(link.token),
        "incidents": orjson.dumps(link.incidents if link.incidents == "*" else sorted(set(link.incidents))).decode(),
        "visibilities": orjson.dumps(sorted(set(link.visibilities))).decode(),
        "peer_organisation": link.peer_organisation,
        "created_at": now_micros(),
    }


async def list_links(*, db: Database) -> LinkList:
    """Every link with its state, acknowledged seq, lag and last error."""
    async with db.read() as conn:
        rows = await repo.list_links(conn)
        excluded = peer_organisations(rows)
        lags = [await repo.lag(conn, row["last_acked_seq"], selection(row), excluded) for row in rows]
    now = now_micros()
    return LinkList(links=[read(row, lag, now) for row, lag in zip(rows, lags, strict=True)])


async def delete_link(*, db: Database, link_id: str, caller: Caller) -> None:
    """Deletes a link; its runner stops within a second. 404 for an unknown link."""
    async with db.write() as conn:
        if not await repo.delete_link(conn, link_id):
            raise NotFound(f"no link '{link_id}'")
        await audit.record(conn, caller, "federation.link.deleted", link_id)


def selection(row: dict[str, Any]) -> repo.Selection:
    """What a stored link allows."""
    incidents = orjson.loads(row["incidents"])
    return repo.Selection(
        None if incidents == "*" else frozenset(incidents), frozenset(orjson.loads(row["visibilities"]))
    )


def peer_organisations(rows: list[dict[str, Any]]) -> frozenset[str]:
    """The organisations through which peers push to this instance: what never leaves over any link."""
    return frozenset(row["peer_organisation"] for row in rows if row["peer_organisation"])


def read(row: dict[str, Any], lag: tuple[int, int | None], now: int) -> LinkRead:
    """A stored link as the API shows it."""
    count, oldest = lag
    state, error, error_at = row["state"], row["last_error"], row["last_error_at"]
    last_seen = row["checked_at"] if row["checked_at"] is not None else row["created_at"]
    if now - last_seen > STALE_US:
        state, error, error_at = "down", "no netcop process has run this link for over a minute", last_seen
    return LinkRead(
        id=row["id"],
        url=row["url"],
        incidents=orjson.loads(row["incidents"]),
        visibilities=orjson.loads(row["visibilities"]),
        peer_organisation=row["peer_organisation"],
        state=state,
        last_acked_seq=row["last_acked_seq"],
        lag_reports=count,
        lag_seconds=round(max(0, now - oldest) / 1e6, 3) if oldest is not None else 0.0,
        last_error=error,
        last_error_at=format_micros(error_at) if error_at is not None else None,
        forwarded_reports=row["forwarded_count"],
        refused_reports=row["refused_count"],
        created_at=format_micros(row["created_at"]),
    )
