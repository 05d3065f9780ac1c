"""netcop instances for federation tests: each a real ``netcop serve`` on a database of its own, and the steps of
linking two of them as the README describes (the peer registers an organisation for this instance and issues it a
report token; this instance's admin creates the link with that token)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ADMIN
from tests.support import processes
from tests.support.processes import Server
from tests.support.streams import Token, issue

Json = dict[str, Any]
WAIT = 30.0


def peer_org(instance: str) -> str:
    """The organisation as which an instance pushes to its peers."""
    return f"peer-{instance}"


@dataclass
class Instance:
    name: str
    server: Server
    http: httpx.AsyncClient

    async def token(self, organisation: str, roles: tuple[str, ...] = ("report", "read")) -> Token:
        return await issue(self.http, organisation, roles)

    async def links(self) -> dict[str, Json]:
        response = await self.http.get("/api/v1/federation/links", headers=ADMIN)
        assert response.status_code == 200, response.text
        return {link["id"]: link for link in response.json()["links"]}

    async def reports(self, token: Token) -> list[Json]:
        """Every report the token's organisation sees, in seq order."""
        found: list[Json] = []
        after = 0
        while True:
            response = await self.http.get(
                "/api/v1/reports", params={"after_seq": after, "limit": 1000}, headers=token.headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            found += page["reports"]
            if not page["reports"]:
                return found
            after = page["last_seq"]

    async def picture(self, token: Token, incident: str) -> dict[str, Json]:
        """The incident's objects as the token's organisation sees them: what must be equal across instances."""
        response = await self.http.get(f"/api/v1/incidents/{incident}/picture", headers=token.headers)
        assert response.status_code == 200, response.text
        keep = ("kind", "geometry", "properties", "removed")
        return {o["id"]: {k: o.get(k) for k in keep} for o in response.json()["objects"]}

    async def restart(self, *, kill: bool = False) -> None:
        if kill:
            self.server.kill()
            await asyncio.to_thread(self.server.process.wait)
        else:
            await asyncio.to_thread(self.server.stop)
        await asyncio.to_thread(self.server.start)


async def link(source: Instance, target: Instance, link_id: str | None = None, **body: Any) -> Json:
    """Links ``source`` to ``target`` as the README says, both sides; returns the created link."""
    pusher = await target.token(peer_org(source.name), ("report",))
    await source.token(peer_org(target.name), ("report",))  # the organisation the peer pushes as, if it does
    payload = {"id": link_id or f"to-{target.name}", "url": target.server.url, "token": pusher.secret,
               "incidents": "*", "peer_organisation": peer_org(target.name), **body}  # fmt: skip
    response = await source.http.post("/api/v1/federation/links", json=payload, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def caught_up(instance: Instance, *link_ids: str) -> bool:
    """Whether the links (every link of the instance when none is named) are up with nothing left to send."""
    links = await instance.links()
    chosen = [links[i] for i in link_ids] if link_ids else list(links.values())
    return all(link["state"] == "up" and link["lag_reports"] == 0 for link in chosen)


async def wait_for(condition: Callable[[], Awaitable[bool]], what: str, within: float = WAIT) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.1)


def database_for(database_url: str, tmp: str, name: str) -> str:
    """A database of the instance's own, next to the session's: a file on SQLite, a database on PostgreSQL
    (``<session database>_fed_<name>``, created afresh)."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp}/{name}.db"
    base, _, session_name = database_url.rpartition("/")
    return f"{base}/{session_name}_fed_{name}"


async def fresh_postgres(url: str) -> None:
    base, _, name = url.rpartition("/")
    engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


def environment(url: str, **settings: str) -> dict[str, str]:
    return processes.environment(url, **settings)
