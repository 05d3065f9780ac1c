"""The dashboard's federation view (issue 12, point 3): each link's health, read with an admin token of its own.

On a server of this module's own that declares a failing link down after one second, with two links: one to a
port nobody listens on (it fails, so it is retrying and then down, with the error), and one back to the server
itself for an incident that does not exist (nothing to send, the probe succeeds: up). No second instance needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import serve_demo
from tests.browser.dashboard import Dashboard, Demo
from tests.conftest import ADMIN, ADMIN_TOKEN
from tests.support import processes, streams

REFUSED = "Failed to load resource: the server responded with a status of 403"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo on a server of this module's own that calls a link down after one second of failures."""
    yield from serve_demo(tmp_path_factory, federation_down_after_seconds="1")


async def _link(http: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await http.post("/api/v1/federation/links", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text


async def test_the_federation_view_shows_each_links_state_lag_and_last_error(dashboard: Dashboard, demo: Demo) -> None:
    """Without an admin token the view says it needs one, and refuses the read token for lack of the admin role;
    with the admin token it shows the dead peer's link down with its error and the live one up, in both
    languages, and keeps the admin token in the tab's session storage only, until it is forgotten. The view is
    reached by keyboard, and the only console message is the browser's note of the refused read."""
    async with streams.http_client(demo.server) as http:
        peer = await streams.issue(http, "federation-self", roles=("report",))
        await _link(http, {"id": "to-nowhere", "url": f"http://127.0.0.1:{processes.free_port()}",
                           "token": "ncp_nobody-listens", "incidents": "*"})  # fmt: skip
        await _link(http, {"id": "to-self", "url": demo.server.url, "token": peer.secret,
                           "incidents": ["federation-nothing"], "peer_organisation": "federation-self"})  # fmt: skip
    await dashboard.sign_in()
    page = dashboard.page
    await page.focus("#tab-map")
    await page.keyboard.press("ArrowLeft")  # the tabs wrap round: the last is the federation view
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "admin-token"
    assert "No admin token given" in await dashboard.text("#federation-links")
    await page.fill("#admin-token", demo.token)
    await page.press("#admin-token", "Enter")
    await expect(page.locator("#federation-problem")).to_contain_text("no admin role")
    await page.fill("#admin-token", ADMIN_TOKEN)
    await page.press("#admin-token", "Enter")
    nowhere = page.locator('tr[data-link="to-nowhere"]')
    await expect(nowhere).to_have_attribute("data-state", "down")
    assert await nowhere.locator(".link-state").text_content() == "✕ Down"
    assert await nowhere.locator(".link-error-text").text_content()
    assert await nowhere.locator(".link-acked").text_content() == "0"
    await expect(page.locator('tr[data-link="to-self"]')).to_have_attribute("data-state", "up")
    assert await page.locator("#federation-problem").text_content() == ""
    await page.click("header .lang-switch")
    assert await nowhere.locator(".link-state").text_content() == "✕ Verbroken"
    assert await page.evaluate("sessionStorage.getItem('netcop.admin_token')") == ADMIN_TOKEN
    assert ADMIN_TOKEN not in await page.evaluate("JSON.stringify(localStorage)")
    assert [url for url in dashboard.requests if ADMIN_TOKEN in url] == []
    await page.click("#admin-forget")
    await expect(page.locator("#admin-form")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('netcop.admin_token')") is None
    assert [error for error in dashboard.errors if REFUSED not in error] == []
