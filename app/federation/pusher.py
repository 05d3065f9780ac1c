"""One link's push loop: read the reports the link allows after the last seq the peer acknowledged, send them to
the peer's batch endpoint in seq order, move the acknowledged seq forward.

The link's state is a small machine, stored with the link so that any process can show it:

    retrying --a push or probe succeeds--> up --one fails--> retrying
    retrying --failing for NETCOP_FEDERATION_DOWN_AFTER_SECONDS (30 s)--> down --one succeeds--> up

A failure is anything that leaves reports to send again: the peer unreachable or timing out, 5xx, its token
refused (401/403 on the whole batch), a token this process cannot unseal. Between failures the loop backs off
(0.5 s doubling to 2 s, so a peer that comes back is served within two seconds). A link with nothing to send probes
the peer every ``PROBE_SECONDS`` with an empty batch (which checks the address, TLS and the token), so a broken
link shows as ``retrying`` within seconds and ``down`` within a minute even when nothing is sent. 429 is flow
control, not a failure: the loop waits as long as ``Retry-After`` says.

What the peer refuses for good (403, 409, 413, 422 for one report) is recorded as the link's ``last_error``,
counted and logged (id and reason, never the body), and skipped: one report cannot block a link. Resending is
harmless: the peer's idempotency answers a report it has with 200.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.config import Settings
from app.db import Database
from app.domain.timefmt import now_micros
from app.federation import forwarding, metrics
from app.federation import repository as repo
from app.federation.forwarding import Outbound, Settlement
from app.federation.sealing import Sealer, Unsealable

log = logging.getLogger(__name__)

BATCH_PATH = "/api/v1/reports/batch"
POLL_SECONDS = 0.25
PROBE_SECONDS = 10.0
LAG_EVERY_SECONDS = 2.0
MIN_BACKOFF, MAX_BACKOFF = 0.5, 2.0
MAX_RETRY_AFTER = 60.0
WHOLE_BATCH_REFUSALS = frozenset({400, 413, 422})
IN_FLIGHT = 2  # batches under way at once
READ_BATCHES = 4  # batches read from the log at once


class PeerTrouble(Exception):
    """The peer cannot take this link's reports now; they are sent again later."""


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """What a link is (a changed link is a new pusher)."""

    id: str
    url: str
    token: str
    selection: repo.Selection
    created_at: int

    @classmethod
    def from_row(cls, row: dict[str, Any], selection: repo.Selection) -> LinkConfig:
        return cls(row["id"], row["url"], row["token"], selection, row["created_at"])


class Pusher:
    def __init__(
        self,
        config: LinkConfig,
        *,
        db: Database,
        client: httpx.AsyncClient,
        settings: Settings,
        excluded: Callable[[], frozenset[str]],
    ) -> None:
        self.config = config
        self._db, self._client, self._settings, self._excluded = db, client, settings, excluded
        self._sealer = Sealer(settings.federation_key)
        self._acked = 0
        self._state = "retrying"
        self._failing_since: float | None = None
        self._backoff = MIN_BACKOFF
        self._last_contact = self._last_lag = float("-inf")

    async def run(self) -> None:
        async with self._db.read() as conn:
            row = await repo.get_link(conn, self.config.id)
        self._acked = row["last_acked_seq"] if row else 0
        while True:
            try:
                busy = await self._round()
                await self._measure_lag()
            except PeerTrouble as trouble:
                await self._failed(str(trouble))
                await self._back_off()
                continue
            except Exception:  # the local database may be away: try again
                log.warning("federation link %s: could not run a round", self.config.id, exc_info=True)
                await self._back_off()
                continue
            self._backoff = MIN_BACKOFF
            if not busy:
                await asyncio.sleep(POLL_SECONDS)

    async def _round(self) -> bool:
        """Sends what is pending (at most one read's worth); whether there was anything."""
        limit = self._settings.federation_batch_reports * READ_BATCHES
        async with self._db.read() as conn:
            rows, end = await repo.pending(conn, self._acked, self.config.selection, self._excluded(), limit)
        if rows:
            reports = [forwarding.outbound(seq, organisation, body) for seq, organisation, body in rows]
            await self._send_all(forwarding.batches(reports, self._settings.federation_batch_reports,
                                                    self._settings.federation_batch_bytes))  # fmt: skip
        elif time.monotonic() - self._last_contact > PROBE_SECONDS:
            await self._probe()
        if len(rows) < limit and end > self._acked:  # nothing more up to ``end``: the link is there
            await self._record(acked_seq=end)
        return bool(rows)

    async def _send_all(self, batches: list[list[Outbound]]) -> None:
        """Sends the batches with ``IN_FLIGHT`` requests under way, so that the peer's writer never waits for the
        next batch; answers are settled in order, and a failure drops the batches after it (they are sent
        again, and what the peer took of them is answered 200)."""
        window: deque[tuple[list[Outbound], asyncio.Task[httpx.Response]]] = deque()
        try:
            for batch in batches:
                window.append((batch, asyncio.ensure_future(self._post(forwarding.batch_body(batch)))))
                if len(window) >= IN_FLIGHT:
                    await self._answered(*window.popleft())
            while window:
                await self._answered(*window.popleft())
        finally:
            for _, request in window:
                request.cancel()
            await asyncio.gather(*(request for _, request in window), return_exceptions=True)

    async def _answered(self, batch: list[Outbound], request: asyncio.Task[httpx.Response]) -> None:
        await self._send(batch, await request)

    async def _send(self, batch: list[Outbound], response: httpx.Response | None = None) -> None:
        if response is None:
            response = await self._post(forwarding.batch_body(batch))
        while response.status_code == 429:
            await self._contact()
            await asyncio.sleep(_retry_after(response))
            response = await self._post(forwarding.batch_body(batch))
        if response.status_code == 200:
            settlement = forwarding.settle(batch, _json(response).get("results"))
            await self._settled(settlement)
            if settlement.retry_later is not None:
                raise PeerTrouble(settlement.retry_later)
        elif response.status_code in WHOLE_BATCH_REFUSALS and len(batch) > 1:
            half = len(batch) // 2  # the peer's limits are lower than ours: smaller batches
            await self._send(batch[:half])
            await self._send(batch[half:])
        elif response.status_code in WHOLE_BATCH_REFUSALS:
            refusal = forwarding.Refusal(batch[0].seq, batch[0].report_id, response.status_code,
                                         forwarding.error_message(_json(response)))  # fmt: skip
            await self._settled(Settlement(settled=list(batch), refusals=[refusal]))
        else:
            raise PeerTrouble(_trouble(response))

    async def _probe(self) -> None:
        """An empty batch: checks the address, TLS and the token without sending anything."""
        response = await self._post(b'{"reports":[]}')
        if response.status_code not in (200, 429):
            raise PeerTrouble(_trouble(response))
        await self._contact()

    async def _post(self, body: bytes) -> httpx.Response:
        try:
            token = self._sealer.open(self.config.token)
        except Unsealable as error:
            raise PeerTrouble(str(error)) from None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            return await self._client.post(self.config.url + BATCH_PATH, content=body, headers=headers)
        except httpx.HTTPError as error:  # the message names the error and the URL, never the headers
            raise PeerTrouble(f"cannot reach the peer: {type(error).__name__}: {error}"[:500]) from None

    async def _settled(self, settlement: Settlement) -> None:
        self._up()
        columns: dict[str, Any] = {}
        if settlement.refusals:
            for refusal in settlement.refusals:
                log.warning("federation link %s: %s", self.config.id, refusal.describe())
            columns = {"last_error": _refusals_text(settlement.refusals), "last_error_at": now_micros()}
        await self._record(acked_seq=settlement.last_seq, forwarded=settlement.accepted,
                           refused=len(settlement.refusals), **columns)  # fmt: skip
        metrics.FORWARDED.labels(self.config.id).inc(settlement.accepted)
        metrics.REFUSED.labels(self.config.id).inc(len(settlement.refusals))

    async def _contact(self) -> None:
        self._up()
        await self._record()

    def _up(self) -> None:
        self._last_contact = time.monotonic()
        self._failing_since = None
        self._state = "up"

    async def _failed(self, message: str) -> None:
        now = time.monotonic()
        self._failing_since = self._failing_since if self._failing_since is not None else now
        down_after = self._settings.federation_down_after_seconds
        self._state = "down" if now - self._failing_since >= down_after else "retrying"
        log.warning("federation link %s (%s): %s", self.config.id, self._state, message)
        metrics.FAILURES.labels(self.config.id).inc()
        try:
            await self._record(last_error=message, last_error_at=now_micros())
        except Exception:
            log.warning("federation link %s: could not record its state", self.config.id, exc_info=True)

    async def _record(self, *, acked_seq: int | None = None, forwarded: int = 0, refused: int = 0,
                      **columns: Any) -> None:  # fmt: skip
        now = now_micros()
        if self._state == "up":
            columns["contact_at"] = now
        async with self._db.write() as conn:
            await repo.record(conn, self.config.id, acked_seq=acked_seq, forwarded=forwarded, refused=refused,
                              state=self._state, checked_at=now, **columns)  # fmt: skip
        if acked_seq is not None:
            self._acked = max(self._acked, acked_seq)
        metrics.set_state(self.config.id, self._state)
        metrics.ACKED_SEQ.labels(self.config.id).set(self._acked)

    async def _measure_lag(self) -> None:
        if time.monotonic() - self._last_lag < LAG_EVERY_SECONDS:
            return
        self._last_lag = time.monotonic()
        async with self._db.read() as conn:
            count, oldest = await repo.lag(conn, self._acked, self.config.selection, self._excluded())
        metrics.LAG_REPORTS.labels(self.config.id).set(count)
        metrics.LAG_SECONDS.labels(self.config.id).set(max(0, now_micros() - oldest) / 1e6 if oldest else 0)

    async def _back_off(self) -> None:
        await asyncio.sleep(self._backoff)
        self._backoff = min(MAX_BACKOFF, self._backoff * 2)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise PeerTrouble(f"the peer answered {response.status_code} with a body that is not JSON") from None
    if not isinstance(data, dict):
        raise PeerTrouble(f"the peer answered {response.status_code} with an unexpected body")
    return data


def _trouble(response: httpx.Response) -> str:
    try:
        detail = forwarding.error_message(response.json())
    except ValueError:
        detail = response.reason_phrase
    if response.status_code in (401, 403):
        return f"the peer refused the link's token ({response.status_code} {detail})"
    return f"the peer answered {response.status_code} ({detail})"


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.05, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _refusals_text(refusals: list[forwarding.Refusal]) -> str:
    more = f" (and {len(refusals) - 1} more in this batch)" if len(refusals) > 1 else ""
    return refusals[-1].describe() + more
