"""The dashboard as people use it (issue 10, "usable" and "no CDN"): keyboard only, a laptop and a wall screen,
Dutch and English, no console errors, and not one request beyond the service's own origin."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.browser.dashboard import INCIDENT, Dashboard, Demo

MAX_TABS = 120


async def _layout_fits(dashboard: Dashboard) -> None:
    page = dashboard.page
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for region in ("header.top", ".incidents", "#map", "footer.timeline"):
        box = await page.locator(region).bounding_box()
        assert box is not None, region
        assert box["width"] > 100, region
        assert box["height"] > 30, region


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
async def test_a_walk_through_every_view_has_no_console_errors_and_stays_on_the_origin(
    browser: Browser, demo: Demo, width: int, height: int
) -> None:
    """Map, text picture, conflicts, the object panel, a past moment, both languages and the exercise mode, on a
    laptop and on a wall screen: the layout fits the window, the console stays clean and every request goes to
    the service itself (the page works with the network cut off)."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    try:
        dashboard = await Dashboard.open(context, demo)
        await dashboard.sign_in()
        page = dashboard.page
        await _layout_fits(dashboard)
        for tab in ("text", "conflicts", "map"):
            await dashboard.tab(tab)
        await dashboard.tab("conflicts")
        await page.click("#conflicts button.link")
        await page.locator("#panel .history li").first.wait_for()
        await dashboard.tab("map")
        await _layout_fits(dashboard)
        panel = await page.locator("#panel").bounding_box()
        assert panel is not None
        assert panel["x"] + panel["width"] <= width
        await page.locator("#timeline-range").fill("5")
        await page.wait_for_selector("#as-of-note:not([hidden])")
        await page.click("#timeline-live")
        await page.click("header .lang-switch")
        assert await dashboard.text("#tab-text") == "Tekstbeeld"
        assert await page.get_attribute("html", "lang") == "nl"
        await page.click("header .lang-switch")
        assert await dashboard.text("#tab-text") == "Text picture"
        await page.click("#mode-exercise")
        await page.wait_for_selector(".incident.exercise")
        assert await page.locator(".incident:not(.exercise)").count() == 0
        await page.click("#mode-real")
        await page.wait_for_selector(f'[data-incident="{INCIDENT}"]')
        assert await page.locator(".incident.exercise").count() == 0
        assert dashboard.errors == []
        origin = demo.server.url
        assert [url for url in dashboard.requests if not url.startswith(origin)] == []
    finally:
        await context.close()


async def test_the_dashboard_is_reachable_by_keyboard(dashboard: Dashboard) -> None:
    """With the keyboard alone one reaches the incident list, the views' tabs, the time line and a marker on the
    map; Enter on the marker opens its object panel, and its close button then has the focus."""
    await dashboard.sign_in()
    page = dashboard.page
    await page.locator("#map .marker").first.wait_for()
    reached: set[str] = set()
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        reached.add(await page.evaluate(
            "(document.activeElement.id || document.activeElement.className || '').toString()"
        ))
        if await page.evaluate("document.activeElement.matches('.leaflet-marker-icon:has(.marker)')"):
            break
    else:
        pytest.fail(f"no marker reached by Tab; reached {sorted(reached)}")
    assert {"choose", "tab-map", "signout", "mode-exercise"} <= reached
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#panel:not([hidden])")
    assert await page.evaluate("document.activeElement.id") == "panel-close"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#panel", state="hidden")
    assert dashboard.errors == []
