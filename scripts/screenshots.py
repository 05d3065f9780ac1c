"""Screenshots of the dashboard for the README, made the way the browser tests drive it.

    .venv/bin/python scripts/screenshots.py            # writes docs/dashboard-*.png

Starts ``netcop serve`` on a fresh embedded database in a temporary folder, loads the demo with ``netcop demo
--url`` and photographs the map with an object's panel, the text picture, the conflicts view, a past moment and
the federation view (two links made for it: one to a port nobody listens on, one back to the server itself), in
English at 1600x900 (a laptop a little larger than the 1280 px the tests also check).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser import chromium  # noqa: E402
from tests.conftest import ADMIN, ADMIN_TOKEN  # noqa: E402
from tests.support import processes  # noqa: E402

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1600, "height": 900}


def _signed_in(page: Page, url: str, token: str) -> None:
    page.goto(url + "/")
    page.fill("#token", token)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector('#connection[data-state="live"]')
    page.wait_for_selector('#map:not([data-feature-count="0"])', state="attached")
    page.wait_for_timeout(800)  # the base layer and the zoom to the incident settle


def _photograph(page: Page, url: str, token: str) -> None:
    _signed_in(page, url, token)
    page.locator(".leaflet-marker-icon:has(.marker.d-medical)").first.click()
    page.wait_for_selector("#panel .history li")
    page.screenshot(path=DOCS / "dashboard-map.png")
    page.click("#panel-close")
    page.click("#tab-text")
    page.screenshot(path=DOCS / "dashboard-text.png")
    page.click("#tab-conflicts")
    page.click("#conflicts button.link")
    page.wait_for_selector("#panel .history li")
    page.screenshot(path=DOCS / "dashboard-conflicts.png")
    page.click("#panel-close")
    page.click("#tab-map")
    page.locator("#timeline-range").fill("40")
    page.wait_for_selector("#as-of-note:not([hidden])")
    page.wait_for_timeout(500)
    page.screenshot(path=DOCS / "dashboard-past.png")
    page.click("#timeline-live")


def _link(url: str) -> None:
    """Links the server to a dead port and, for the flood, back to itself as an organisation of its own."""
    with httpx.Client(base_url=url, headers=ADMIN, timeout=30) as http:
        peer = {"id": "ncc-de", "name": "Krisenstab NRW (netcop)", "discipline": "other", "country": "DE"}
        http.post("/api/v1/organisations", json=peer).raise_for_status()
        token = http.post("/api/v1/organisations/ncc-de/tokens", json={"roles": ["report"]}).json()["token"]
        links = [
            {"id": "to-nrw", "url": f"http://127.0.0.1:{processes.free_port()}", "token": "ncp_away",
             "incidents": "*"},
            {"id": "to-ncc", "url": url, "token": token, "incidents": ["flood-dordrecht-2026-11"],
             "peer_organisation": "ncc-de"},
        ]
        for link in links:
            http.post("/api/v1/federation/links", json=link).raise_for_status()
    time.sleep(3)  # the dead link goes down, the other sends its backlog


def _photograph_links(page: Page, url: str) -> None:
    _link(url)
    page.click("#tab-federation")
    page.fill("#admin-token", ADMIN_TOKEN)
    page.press("#admin-token", "Enter")
    page.wait_for_selector('tr[data-link="to-nrw"][data-state="down"]')
    page.screenshot(path=DOCS / "dashboard-federation.png")


def main() -> None:
    if (reason := chromium.missing()) is not None:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = processes.environment(f"sqlite+aiosqlite:///{workdir / 'netcop.db'}")
        env["NETCOP_FEDERATION_DOWN_AFTER_SECONDS"] = "1"
        server = processes.start(env, workdir)
        try:
            loaded = processes.run_netcop(env, "demo", "--url", server.url, "--admin-token", ADMIN_TOKEN, cwd=workdir)
            token = re.search(r"export NETCOP_TOKEN=(\S+)", loaded.stderr)
            if token is None:
                sys.exit(f"the demo did not load:\n{loaded.stderr}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium.EXECUTABLE), args=chromium.ARGS)
                page = browser.new_page(viewport=VIEWPORT, locale="en-GB")
                page.add_init_script("localStorage.setItem('netcop.lang', 'en')")
                _photograph(page, server.url, token.group(1))
                _photograph_links(page, server.url)
                browser.close()
        finally:
            processes.stop_all([server])
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(DOCS.glob("dashboard-*.png"))))


if __name__ == "__main__":
    main()
