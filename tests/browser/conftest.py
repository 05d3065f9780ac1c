"""Browser tests of the dashboard: Debian's chromium, driven by Playwright, against one real ``netcop serve``
with the demo loaded (by ``netcop demo --url``, as a partner's loader would).

The dashboard is a client of the public API and the stream and does not depend on the database: these tests
run in the SQLite pass only, on a database of their own that the module's tests share (they add reports with
names of their own). Without chromium or Playwright they are skipped with the reason, except under CI (CI=true),
where that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser import chromium
from tests.browser.dashboard import Dashboard, Demo
from tests.conftest import ADMIN_TOKEN
from tests.support import processes

TOKEN_LINE = re.compile(r"export NETCOP_TOKEN=(\S+)")


def _require_a_browser() -> None:
    """Skips (or under CI fails) when there is no browser to drive, and in the PostgreSQL pass."""
    if os.environ.get("NETCOP_TEST_DATABASE_URL"):
        pytest.skip("the dashboard's browser tests run in the SQLite pass only (it is a client of the API)")
    if (reason := chromium.missing()) is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests are required under CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A server on a database of the module's own, with the demo loaded and a read token of the safety region."""
    yield from serve_demo(tmp_path_factory)


def serve_demo(tmp_path_factory: pytest.TempPathFactory, **netcop: str) -> Iterator[Demo]:
    """Runs a server with the demo loaded (and more ``NETCOP_*`` settings, key without prefix) for a fixture."""
    _require_a_browser()
    workdir = tmp_path_factory.mktemp("dashboard")
    database = workdir / "netcop.db"
    env = processes.environment(f"sqlite+aiosqlite:///{database}", **netcop)
    server = processes.start(env, workdir)
    try:
        loaded = processes.run_netcop(env, "demo", "--url", server.url, "--admin-token", ADMIN_TOKEN, cwd=workdir)
        assert loaded.returncode == 0, loaded.stderr
        found = TOKEN_LINE.search(loaded.stderr)
        assert found, loaded.stderr
        yield Demo(server, found.group(1), database)
    finally:
        problems = processes.stop_all([server])
    assert problems is None, problems


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium.EXECUTABLE), args=chromium.ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def dashboard(browser: Browser, demo: Demo) -> AsyncIterator[Dashboard]:
    """A laptop-sized page of the dashboard (not signed in yet) that records console errors and every request."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        yield await Dashboard.open(context, demo)
    finally:
        await context.close()

