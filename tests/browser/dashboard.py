"""The dashboard as a test drives it: signing in, reading what the page shows, and the server behind it.

Every wait is bounded (``WAIT``); a page records its console errors, uncaught exceptions and the address of
every request it makes, so that a test can say "no console errors" and "nothing left the service's origin".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Request, expect

from tests.support import streams
from tests.support.processes import Server

WAIT = 20_000  # ms: room for a loaded machine
INCIDENT = "flood-dordrecht-2026-11"
SOME = re.compile(r"^[1-9][0-9]*$")


@dataclass
class Demo:
    """The server with the demo loaded, and the safety region's read token it printed."""

    server: Server
    token: str
    database: Path

    async def get(self, path: str, **params: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as http:
            response = await http.get(path, params=params, headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        return response.json()

    async def mapped_objects(self) -> int:
        """How many objects the map should show: those with a geometry, of the real incidents not closed."""
        count = 0
        for incident in (await self.get("/api/v1/incidents"))["incidents"]:
            if not incident["exercise"] and incident["status"] != "closed":
                objects = (await self.get(f"/api/v1/incidents/{incident['id']}/picture"))["objects"]
                count += sum(1 for o in objects if o["geometry"] is not None)
        return count

    async def post(self, organisation: str, body: dict[str, Any]) -> dict[str, Any]:
        """Posts a report as the organisation (with a fresh token of it) and returns the answer."""
        async with streams.http_client(self.server) as http:
            token = await streams.issue(http, organisation, roles=("report",))
            response = await http.post("/api/v1/reports", json=body, headers=token.headers)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer


@dataclass
class Dashboard:
    page: Page
    demo: Demo
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @classmethod
    async def open(cls, context: BrowserContext, demo: Demo) -> Dashboard:
        page = await context.new_page()
        page.set_default_timeout(WAIT)
        dashboard = cls(page, demo)
        page.on("console", dashboard._console)
        page.on("pageerror", lambda error: dashboard.errors.append(f"uncaught: {error}"))
        page.on("request", dashboard._request)
        await page.goto(demo.server.url + "/")
        return dashboard

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    async def sign_in(self, token: str | None = None) -> None:
        """Signs in and waits until the stream is live and the map shows the demo."""
        await self.page.fill("#token", token or self.demo.token)
        await self.page.click("#signin-form button[type=submit]")
        await self.page.wait_for_selector('#connection[data-state="live"]')
        await self.wait_for_features(SOME)

    async def feature_count(self) -> int:
        return int(await self.page.get_attribute("#map", "data-feature-count") or 0)

    async def wait_for_features(self, count: int | re.Pattern[str], within: float = WAIT) -> int:
        """Waits until the map's feature count is the number (or matches the pattern) and returns it."""
        expected = count if isinstance(count, re.Pattern) else str(count)
        await expect(self.page.locator("#map")).to_have_attribute("data-feature-count", expected, timeout=within)
        return await self.feature_count()

    async def tab(self, name: str) -> None:
        await self.page.click(f"#tab-{name}")

    async def text(self, selector: str) -> str:
        return (await self.page.text_content(selector)) or ""
