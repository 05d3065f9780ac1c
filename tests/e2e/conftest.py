"""End-to-end fixtures: real ``netcop serve`` processes on the session's test database.

``start_server()`` starts one more server (on a free port, with ``NETCOP_ADMIN_TOKEN`` set) and returns once its
``/healthz`` answers; every server a test started is stopped at teardown, killed if it does not stop in time (and
then the test errs: a server must stop cleanly on SIGTERM). What the servers wrote is attached to the report of a
test that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.e2e import processes
from tests.e2e.processes import Server

SERVERS = pytest.StashKey[list[Server]]()
StartServer = Callable[[], Server]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attaches the servers' output to a failing test's report."""
    report: pytest.TestReport = yield
    if report.failed:
        for server in item.stash.get(SERVERS, []):
            report.sections.append((f"netcop serve at {server.url} (output)", server.log()))
    return report


@pytest.fixture
def netcop_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a netcop process that uses the test database."""
    env = processes.clean_env(database_url=database_url, admin_token=ADMIN_TOKEN, log_level="info")
    if database_url.startswith("sqlite"):
        env["NETCOP_SQLITE_PATH"] = database_url.removeprefix("sqlite+aiosqlite:///")
    return env


@pytest.fixture
def start_server(request: pytest.FixtureRequest, netcop_env: dict[str, str], tmp_path: Path) -> Iterator[StartServer]:
    """Starts real servers on demand and stops them all at teardown."""
    started: list[Server] = []
    request.node.stash[SERVERS] = started

    def start() -> Server:
        server = processes.start(netcop_env, tmp_path)
        started.append(server)
        return server

    try:
        yield start
    finally:
        problems = [(problem, server) for server in started if (problem := server.stop()) is not None]
    if problems:
        pytest.fail("\n\n".join(f"{problem}; its output:\n{server.log()}" for problem, server in problems))


@pytest.fixture
def server(start_server: StartServer) -> Server:
    """One real server."""
    return start_server()
