"""Fixtures for tests against real server processes (a pytest plugin: ``tests/conftest.py`` loads it).

- ``netcop_env``: the environment of a server on the session's test database; a module overrides it to change
  a setting (``{**netcop_env, "NETCOP_...": ...}``) or to use a database of its own.
- ``start_server(env=None, command=processes.netcop_serve)``: starts one more server (``netcop_env`` unless an
  environment is given) on a free port and returns it once its ``/healthz`` answers. At teardown every server
  the test started is stopped; one that died by itself, ignored SIGTERM or did not shut down cleanly, then or
  earlier in the test, makes the test err. A server the test killed on purpose (``Server.kill``) is left be.
- ``server``: one server for the test; in a module marked ``shared_servers``, the module's first one.
- ``shared_servers``: the servers of a module marked ``pytest.mark.shared_servers(count=1, **settings)``
  (settings as ``NETCOP_*`` keys without the prefix). Starting a server costs one to two seconds, so such a
  module starts them once; its database is not emptied before each test, so its tests use names of their own
  (``reports.unique``) and must not depend on what other tests wrote. More than one server needs PostgreSQL
  (the module is skipped on SQLite).
- ``http``: an HTTP client of ``server``.

What the servers wrote is attached to the report of a failing test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from tests.support import processes, streams
from tests.support.processes import Server

SERVERS = pytest.StashKey[list[Server]]()
SHARED = "shared_servers"


class StartServer(Protocol):
    def __call__(
        self, env: dict[str, str] | None = None, command: processes.Command = processes.netcop_serve
    ) -> Server: ...


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SHARED}(count=1, **settings): the module's tests share real servers (tests/support)"
    )


def shares_servers(node: pytest.Item | pytest.Collector) -> bool:
    """Whether the test or module runs on servers its module shares."""
    return node.get_closest_marker(SHARED) is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attaches the servers' output to a failing test's report."""
    report: pytest.TestReport = yield
    if report.failed:
        module = item.getparent(pytest.Module)
        for server in [*item.stash.get(SERVERS, []), *(module.stash.get(SERVERS, []) if module else [])]:
            report.sections.append((f"server at {server.url} (output)", server.log()))
    return report


@pytest.fixture
def netcop_env(database_url: str) -> dict[str, str]:
    """The environment of a netcop process that uses the test database."""
    return processes.environment(database_url)


def several_need_postgres(database_url: str, count: int) -> None:
    if count > 1 and not database_url.startswith("postgresql"):
        pytest.skip("several processes need PostgreSQL")


@pytest.fixture
def start_server(request: pytest.FixtureRequest, netcop_env: dict[str, str], tmp_path: Path) -> Iterator[StartServer]:
    """Starts real servers on demand and stops them all at teardown."""
    started: list[Server] = []
    request.node.stash[SERVERS] = started

    def start(env: dict[str, str] | None = None, command: processes.Command = processes.netcop_serve) -> Server:
        started.append(processes.start(netcop_env if env is None else env, tmp_path, command))
        return started[-1]

    try:
        yield start
    finally:
        problems = processes.stop_all(started)
    if problems:
        pytest.fail(problems)


@pytest.fixture(scope="module")
def shared_servers(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Server]]:
    """The servers the module's tests share (see the module docstring)."""
    marker = request.node.get_closest_marker(SHARED)
    assert marker is not None, f"mark the module with pytest.mark.{SHARED} to share servers"
    count: int = marker.kwargs.get("count", 1)
    settings = {k: v for k, v in marker.kwargs.items() if k != "count"}
    several_need_postgres(database_url, count)
    workdir = tmp_path_factory.mktemp(request.node.name.removesuffix(".py"))
    started: list[Server] = []
    request.node.stash[SERVERS] = started
    try:
        for _ in range(count):
            started.append(processes.start(processes.environment(database_url, **settings), workdir))
        yield started
    finally:
        problems = processes.stop_all(started)
    if problems:
        pytest.fail(problems)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Server:
    """One real server: the module's shared one, or one of the test's own."""
    if shares_servers(request.node):
        shared: list[Server] = request.getfixturevalue(SHARED)
        return shared[0]
    start: StartServer = request.getfixturevalue("start_server")
    return start()


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the server."""
    async with streams.http_client(server) as client:
        yield client
