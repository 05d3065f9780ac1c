"""Cursor-on-Target tracks that go stale (issue 11): past its ``stale`` time a track is marked ``stale: true``,
and ``NETCOP_COT_STALE_REMOVE_SECONDS`` later it is removed.

The picture is a pure function of the reports, so both steps are reports: the sweeper (one per process, started
in the lifespan) submits them through the path of ``POST /api/v1/reports`` (``reports.submit_body``) as the
organisation whose report asserted the track's ``stale_at``, with that report's visibility and audience:

- the mark: ``{"id": uid, "properties": {"stale": true}}``, observed at ``stale_at``;
- the removal: ``{"id": uid, "removed": true}``, observed at ``stale_at`` + the setting.

Their ids are made of (incident, uid, stale_at[, seconds]) and their bodies of what is stored, so every process
that sweeps submits the very same report: the first is stored, the others are retries (200), harmless. Each
CoT event asserts ``stale: false`` and ``removed: false`` at its own time, so a later position clears the mark
and brings a removed track back, by the merge rule alone.

The sweeper follows the report log from where it was (a page of reports naming ``stale_at`` at a time, found by
the database) and keeps, in a heap, when each track it saw is due. When one is due it reads the track as its
sender sees it and acts only if the track still has that ``stale_at`` (a newer position moved it on) and is not
removed; the work is one read per due track, not a scan of the picture.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from app.api import reports
from app.domain.timefmt import format_micros, now_micros, parse_rfc3339, to_micros
from app.errors import NetcopError
from app.repositories import picture as picture_repo
from app.repositories import reports as reports_repo
from app.repositories import tracks as tracks_repo
from app.services.auth import Principal
from app.state import AppState

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
PAGE = 2000
ACTOR = "cot-stale"  # the audit log's actor for the reports the sweeper submits
RETRY_STATUSES = (429, 503)
Step = Literal["stale", "removed"]


@dataclass(frozen=True, order=True, slots=True)
class Due:
    """A track's next step, due at ``at`` (µs since the epoch)."""

    at: int
    incident: str
    uid: str
    organisation: str  # whose view of the track is checked
    stale_at: str
    step: Step


class StaleTracks:
    """Marks and then removes stale tracks, in the background of one process."""

    def __init__(self, state: AppState, interval: float = SWEEP_SECONDS) -> None:
        self._state, self._interval = state, interval
        self._remove_us = int(state.settings.cot_stale_remove_seconds * 1_000_000)
        self._cursor = 0
        self._due: list[Due] = []
        # (incident, uid, organisation) -> (observed_at µs, stale_at) of the latest observed event seen: a due
        # step of an earlier stale_at is dropped without a read (a track reporting every second pushes one a second)
        self._latest: dict[tuple[str, str, str], tuple[int, str]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="netcop-cot-stale")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep(now_micros())
            except Exception:  # the database may be away: the next round tries again
                log.warning("cot-stale: could not sweep", exc_info=True)

    async def sweep(self, now: int) -> list[tuple[int, str]]:
        """Follows the log, then takes the steps due by ``now``: (status, report id) of each report submitted."""
        await self._follow()
        submitted: list[tuple[int, str]] = []
        while self._due and self._due[0].at <= now:
            due = heapq.heappop(self._due)
            if not self._current(due):
                continue
            try:
                result = await self._settle(due)
            except NetcopError as error:
                if error.status in RETRY_STATUSES:
                    heapq.heappush(self._due, Due(now + int(self._interval * 1_000_000), *_rest(due)))
                    break
                log.warning("cot-stale: %s of %s/%s refused: %s", due.step, due.incident, due.uid, error)
                continue
            if result is not None:
                submitted.append(result)
        return submitted

    async def _follow(self) -> None:
        async with self._state.db.read() as conn:
            until = await reports_repo.last_seq(conn)
            while True:
                rows = await tracks_repo.with_stale_at(conn, after_seq=self._cursor, until_seq=until, limit=PAGE)
                for _, organisation, body in rows:
                    self._schedule(organisation, orjson.loads(body))
                if len(rows) < PAGE:
                    self._cursor = until
                    return
                self._cursor = rows[-1][0]

    def _schedule(self, organisation: str, body: dict[str, Any]) -> None:
        observed = _micros(body["observed_at"]) or 0
        for entry in body.get("objects", []):
            stale_at = (entry.get("properties") or {}).get("stale_at")
            if not isinstance(stale_at, str) or (at := _micros(stale_at)) is None:
                continue
            key = (body["incident"], entry["id"], organisation)
            if key not in self._latest or self._latest[key][0] <= observed:
                self._latest[key] = (observed, stale_at)
                heapq.heappush(self._due, Due(at, *key, stale_at, "stale"))

    def _current(self, due: Due) -> bool:
        """Whether the due step is of the latest stale_at seen for its track (else a later event moved it on)."""
        latest = self._latest.get((due.incident, due.uid, due.organisation))
        return latest is not None and latest[1] == due.stale_at

    async def _settle(self, due: Due) -> tuple[int, str] | None:
        """Takes one step if the track still has that ``stale_at`` and is not removed; schedules the next."""
        async with self._state.db.read() as conn:
            track = await _track(conn, due)
            if track is None:
                self._latest.pop((due.incident, due.uid, due.organisation), None)
                return None
            asserted = track["provenance"]["stale_at"]
            stored = await tracks_repo.body_of(conn, asserted["organisation"], asserted["report"])
        if due.step == "stale":
            heapq.heappush(self._due, Due(due.at + self._remove_us, *_rest(due)[:-1], "removed"))
            if track["properties"].get("stale") is True:
                return None
        body = self._report(due, orjson.loads(stored) if stored else {})
        who = reports.Sender(Principal(ACTOR, asserted["organisation"], frozenset({"report"})),
                             asserted["organisation"], None)  # fmt: skip
        status, _ = await reports.submit_body(self._state, who, body)
        if due.step == "removed":
            self._latest.pop((due.incident, due.uid, due.organisation), None)
        return status, body["id"]

    def _report(self, due: Due, source: dict[str, Any]) -> dict[str, Any]:
        key = f"{due.incident}\n{due.uid}\n{due.stale_at}"
        if due.step == "stale":
            entry: dict[str, Any] = {"id": due.uid, "properties": {"stale": True}}
            observed, report_id = due.stale_at, f"cot-stale-{_digest(key)}"
        else:
            entry = {"id": due.uid, "removed": True}
            observed = format_micros(due.at)
            report_id = f"cot-removed-{_digest(key + f' {self._remove_us}')}"
        body = {"id": report_id, "incident": due.incident, "observed_at": observed, "objects": [entry]}
        body["visibility"] = source.get("visibility", "partners")
        if body["visibility"] == "restricted":
            body["audience"] = source.get("audience", [])
        return body


async def _track(conn: Any, due: Due) -> dict[str, Any] | None:
    """The track as its sender sees it, when it still has the due ``stale_at`` and is not removed."""
    has_own, json = await picture_repo.private_object(conn, due.organisation, due.incident, due.uid)
    if not has_own:
        json = await picture_repo.public_object(conn, due.incident, due.uid)
    track: dict[str, Any] | None = orjson.loads(json) if json else None
    if track is None or track["removed"] or track["properties"].get("stale_at") != due.stale_at:
        return None
    return track


def _rest(due: Due) -> tuple[str, str, str, str, Step]:
    return due.incident, due.uid, due.organisation, due.stale_at, due.step


def _micros(text: str) -> int | None:
    try:
        return to_micros(parse_rfc3339(text))
    except ValueError:
        return None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]
