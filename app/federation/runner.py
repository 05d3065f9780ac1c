"""The link runner: one per process, started and stopped in the application's lifespan.

Every second it reads the links table: it starts a ``Pusher`` for each link it can claim (``lease``), stops the
pushers of links that were deleted or changed, and stops all of them when it lost its claims. It also keeps the
set of organisations through which peers push to this instance (the links' ``peer_organisation``): reports of
those never leave over any link, which is what keeps reports from going back where they came from and from
travelling on (see the README, "Federation").
"""

from __future__ import annotations

import asyncio
import logging
import ssl

import httpx

from app.config import Settings
from app.db import Database
from app.federation import lease, links, metrics
from app.federation import repository as repo
from app.federation.pusher import LinkConfig, Pusher

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 1.0
CONNECT_TIMEOUT = 5.0


def peer_client(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client of every link: TLS verified (against the CA bundle when one is set), no redirects, no
    proxy or credentials from the environment."""
    verify: ssl.SSLContext | bool = True
    if settings.federation_ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(settings.federation_ca_bundle))
    timeout = httpx.Timeout(settings.federation_timeout_seconds, connect=CONNECT_TIMEOUT)
    return httpx.AsyncClient(verify=verify, timeout=timeout, trust_env=False, follow_redirects=False)


class LinkRunner:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db, self._settings = db, settings
        self._lease = lease.for_database(db)
        self._running: dict[str, tuple[Pusher, asyncio.Task[None]]] = {}
        self._excluded: frozenset[str] = frozenset()
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # httpx logs every request at INFO; a link makes many, and the log is for what goes wrong.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._client = peer_client(self._settings)
        self._task = asyncio.create_task(self._run(), name="netcop-federation")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._stop_all()
        await self._lease.close()
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self._reconcile()
            except Exception:  # the database may be away: the next round tries again
                log.warning("federation: could not read the links", exc_info=True)
            await asyncio.sleep(RECONCILE_SECONDS)

    async def _reconcile(self) -> None:
        if not await self._lease.alive():
            await self._stop_all()
        async with self._db.read() as conn:
            rows = await repo.list_links(conn)
        self._excluded = links.peer_organisations(rows)
        wanted = {row["id"]: LinkConfig.from_row(row, links.selection(row)) for row in rows}
        for link_id, (pusher, _) in list(self._running.items()):
            if wanted.get(link_id) != pusher.config:
                await self._stop(link_id)
        for link_id, config in wanted.items():
            if link_id not in self._running and await self._lease.claim(link_id):
                self._start(config)

    def _start(self, config: LinkConfig) -> None:
        assert self._client is not None
        pusher = Pusher(config, db=self._db, client=self._client, settings=self._settings,
                        excluded=lambda: self._excluded)  # fmt: skip
        self._running[config.id] = (pusher, asyncio.create_task(pusher.run(), name=f"netcop-link-{config.id}"))
        log.info("federation link %s: pushing to %s", config.id, config.url)

    async def _stop(self, link_id: str) -> None:
        _, task = self._running.pop(link_id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        metrics.forget(link_id)
        try:
            await self._lease.release(link_id)
        except Exception:
            log.warning("federation link %s: could not release its lock", link_id, exc_info=True)

    async def _stop_all(self) -> None:
        for link_id in list(self._running):
            await self._stop(link_id)
