"""The dashboard in a real browser (issue 10): what a crisis team sees after signing in with a read token."""

from __future__ import annotations

import itertools
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.async_api import WebSocket, expect

from tests.browser.dashboard import INCIDENT, Dashboard, Demo
from tests.conftest import ADMIN
from tests.support import streams

_names = itertools.count(1)


def _point_report(object_id: str, lon: float = 4.66, lat: float = 51.80, **properties: Any) -> dict[str, Any]:
    return {
        "id": f"browser-{object_id}",
        "incident": INCIDENT,
        "observed_at": datetime.now(UTC).isoformat(),
        "objects": [{"id": object_id, "kind": "police-unit",
                     "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}],
    }


def _unique(name: str) -> str:
    return f"{name}-{next(_names)}-{time.monotonic_ns()}"


async def test_the_demo_picture_renders_with_every_mapped_object(dashboard: Dashboard, demo: Demo) -> None:
    """After sign-in the map shows one feature per object with a geometry of the real incidents on show, the
    legend says how many, and the token is kept in the tab's session storage only (not in the URL, not in
    localStorage)."""
    await dashboard.sign_in()
    expected = await demo.mapped_objects()
    assert await dashboard.wait_for_features(expected) == expected
    assert await dashboard.text("#feature-total") == str(expected)
    page = dashboard.page
    assert await page.evaluate("sessionStorage.getItem('netcop.token')") == demo.token
    assert demo.token not in await page.evaluate("JSON.stringify(localStorage)")
    assert demo.token not in page.url
    assert dashboard.errors == []


async def test_a_report_posted_appears_on_the_map_within_a_second(dashboard: Dashboard, demo: Demo) -> None:
    """A report with a new object, posted by a partner, is on the map less than a second after its 201."""
    await dashboard.sign_in()
    before = await dashboard.wait_for_features(await demo.mapped_objects())
    await demo.post("politie-zhz", _point_report(_unique("unit")))
    started = time.monotonic()
    await dashboard.wait_for_features(before + 1, within=1000)
    assert time.monotonic() - started < 1.0
    assert dashboard.errors == []


async def test_a_conflict_is_shown_with_both_values(dashboard: Dashboard) -> None:
    """The conflicts view lists the demo's casualty count with the police's 12 and the GHOR's 15, and the object
    panel opened from it shows the same conflict above the properties and their provenance."""
    await dashboard.sign_in()
    assert await dashboard.text("#conflict-count") == "1"
    await dashboard.tab("conflicts")
    conflict = dashboard.page.locator('#conflicts .conflict[data-property="injured"]')
    assert await conflict.locator('[data-organisation="politie-zhz"] .conflict-value').text_content() == "12"
    assert await conflict.locator('[data-organisation="ghor-zhz"] .conflict-value').text_content() == "15"
    await dashboard.page.click("#conflicts button.link")
    panel = dashboard.page.locator("#panel")
    await panel.locator('.conflict[data-property="injured"]').wait_for()
    assert "Politie Zuid-Holland-Zuid" in (await panel.locator(".conflict").text_content() or "")
    assert "GHOR Zuid-Holland-Zuid" in (await panel.locator('tr[data-property="injured"]').text_content() or "")
    assert await panel.locator(".history li").count() >= 2
    assert dashboard.errors == []


async def test_the_time_slider_shows_the_older_state(dashboard: Dashboard, demo: Demo) -> None:
    """Dragged to the incident's first report, the page shows what was known then (one object, GRIP 1, only the
    safety region's summary); "live" brings the picture of now back."""
    await dashboard.sign_in()
    now = await dashboard.wait_for_features(await demo.mapped_objects())
    page = dashboard.page
    await page.locator("#timeline-range").fill("0")
    await dashboard.wait_for_features(1)
    await page.wait_for_selector("#as-of-note:not([hidden])")
    assert await dashboard.text(f'[data-incident="{INCIDENT}"] .incident-grip') == "1"
    await dashboard.tab("text")
    assert await page.locator(".summary").count() == 1
    assert await page.locator(".summary").get_attribute("data-organisation") == "vr-zhz"
    await page.click("#timeline-live")
    await dashboard.wait_for_features(now)
    assert await dashboard.text(f'[data-incident="{INCIDENT}"] .incident-grip') == "3"
    assert dashboard.errors == []


async def test_replay_plays_the_history_forward(dashboard: Dashboard) -> None:
    """Replay starts at the first report and moves forward through the log by itself."""
    await dashboard.sign_in()
    page = dashboard.page
    await page.select_option("#timeline-speed", "1200")
    await page.click("#timeline-play")
    await expect(page.locator("#timeline-range")).to_have_value(re.compile(r"^([3-9]|[1-9][0-9]+)$"))
    await page.click("#timeline-play")  # pause
    assert (await dashboard.text("#timeline-moment")).startswith("Picture as known at")
    await page.click("#timeline-live")
    await page.wait_for_selector("#as-of-note[hidden]", state="attached")
    assert dashboard.errors == []


async def test_the_text_picture_lists_each_organisations_summary(dashboard: Dashboard, demo: Demo) -> None:
    """The text picture holds the latest summary of every organisation that reported on the incident, under its
    discipline, and the chronology filtered by one organisation lists only its reports."""
    reports = (await demo.get("/api/v1/reports", incident=INCIDENT, limit=1000))["reports"]
    latest: dict[str, dict[str, Any]] = {}
    for report in reports:
        if report.get("summary"):
            known = latest.get(report["organisation"])
            if known is None or datetime.fromisoformat(report["observed_at"]) >= datetime.fromisoformat(
                known["observed_at"]
            ):
                latest[report["organisation"]] = report
    await dashboard.sign_in()
    await dashboard.tab("text")
    page = dashboard.page
    await page.locator(".summary").first.wait_for()
    assert await page.locator(".summary").count() == len(latest) >= 9
    for organisation, report in latest.items():
        shown = await dashboard.text(f'.summary[data-organisation="{organisation}"]')
        assert report["summary"] in shown, organisation
    police = sum(1 for r in reports if r["organisation"] == "politie-zhz")
    await page.select_option("#chronology-filter", "politie-zhz")
    assert await page.locator(".chronology li").count() == police
    assert dashboard.errors == []


async def test_after_a_server_restart_the_page_resumes_and_catches_up(dashboard: Dashboard, demo: Demo) -> None:
    """When the server goes away the page says so; once it is back the page reconnects by itself with after_seq
    and shows a report posted in the meantime, without a reload."""
    sockets: list[WebSocket] = []
    dashboard.page.on("websocket", lambda socket: sockets.append(socket))
    await dashboard.sign_in()
    before = await dashboard.wait_for_features(await demo.mapped_objects())
    demo.server.stop()
    await dashboard.page.wait_for_selector('#connection[data-state="reconnecting"]')
    demo.server.start()
    await demo.post("politie-zhz", _point_report(_unique("after-restart"), lon=4.70, lat=51.81))
    await dashboard.wait_for_features(before + 1)
    await dashboard.page.wait_for_selector('#connection[data-state="live"]')
    assert "after_seq=" in sockets[-1].url
    assert "after_seq=" not in sockets[0].url


def _copy_database(source: Path, target: Path) -> None:
    """Copies a stopped server's SQLite database (and its write-ahead log, if any) over another."""
    for suffix in ("", "-wal", "-shm"):
        copied = Path(f"{target}{suffix}")
        copied.unlink(missing_ok=True)
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", copied)


async def test_a_resync_snapshot_replaces_what_the_page_held(dashboard: Dashboard, demo: Demo, tmp_path: Path) -> None:
    """When the server comes back with a log that ends before the page's resume point (a database restored from a
    backup), the stream answers with a resync snapshot and the page shows exactly that picture: an object known
    only after the backup leaves the map."""
    frames: list[str] = []
    dashboard.page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))))
    backup = tmp_path / "backup.db"
    demo.server.stop()
    _copy_database(demo.database, backup)
    demo.server.start()
    await dashboard.sign_in()
    before = await dashboard.wait_for_features(await demo.mapped_objects())
    await demo.post("politie-zhz", _point_report(_unique("after-backup"), lon=4.62, lat=51.79))
    await dashboard.wait_for_features(before + 1)
    demo.server.stop()
    await dashboard.page.wait_for_selector('#connection[data-state="reconnecting"]')
    _copy_database(backup, demo.database)
    demo.server.start()
    await dashboard.wait_for_features(before)
    await dashboard.page.wait_for_selector('#connection[data-state="live"]')
    assert any('"reason":"resync"' in frame for frame in frames)


async def test_a_wrong_token_is_refused_on_the_page(dashboard: Dashboard) -> None:
    """A token the service does not know is refused with a message, and the page stays at the sign-in."""
    await dashboard.page.fill("#token", "ncp_not-a-token")
    await dashboard.page.click("#signin-form button[type=submit]")
    await dashboard.page.wait_for_selector("#signin-error:text('wrong or revoked')")
    assert await dashboard.page.is_hidden("#app")


async def test_a_revoked_token_signs_the_user_out(dashboard: Dashboard, demo: Demo) -> None:
    """Revoking the token closes the stream (4001) and the page signs out, saying why."""
    async with streams.http_client(demo.server) as http:
        token = await streams.issue(http, "vr-zhz", roles=("read",))
        await dashboard.sign_in(token.secret)
        revoked = await http.delete(f"/api/v1/tokens/{token.id}", headers=ADMIN)
        assert revoked.status_code == 204
    await dashboard.page.wait_for_selector("#signin:not([hidden])")
    assert "revoked" in await dashboard.text("#signin-error")
    assert await dashboard.page.evaluate("sessionStorage.getItem('netcop.token')") is None
