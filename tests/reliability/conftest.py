"""Reliability fixtures: a private PostgreSQL cluster the tests may crash, fresh databases on either backend,
and real ``netcop serve`` processes that a test may kill.

The private cluster is session-scoped and always stopped at the end of the session; a test that stops it gets
it back running for the next test (``postgres``). The shared cluster that other test runs use is never touched
by these fixtures. The e2e fixtures (``server``, ``start_server``, ``netcop_env``) and the hook that attaches
server output to a failing test's report are re-exported for the tests here that use the shared test database.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from app.migrate import upgrade
from tests.conftest import ADMIN_TOKEN
from tests.e2e import processes
from tests.e2e.conftest import SERVERS, netcop_env, server, start_server  # noqa: F401  (re-exported fixtures)
from tests.e2e.processes import Env, Server
from tests.reliability import harness

POSTGRES = pytest.StashKey[harness.PrivatePostgres]()
Launch = Callable[[dict[str, str]], Server]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attaches the servers' and the private cluster's output to a failing test's report."""
    report: pytest.TestReport = yield
    if report.failed:
        for started in item.stash.get(SERVERS, []):
            report.sections.append((f"netcop serve at {started.url} (output)", started.log()))
        if (cluster := item.stash.get(POSTGRES, None)) is not None:
            report.sections.append((f"private PostgreSQL on port {cluster.port} (log)", cluster.log()))
    return report


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[harness.PrivatePostgres]:
    """A PostgreSQL cluster of this session's own, on a free port; stopped and removed at the end."""
    if (reason := harness.postgres_missing()) is not None:
        pytest.skip(f"no private PostgreSQL cluster: {reason}")
    cluster = harness.PrivatePostgres()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def postgres(request: pytest.FixtureRequest, private_postgres: harness.PrivatePostgres) -> harness.PrivatePostgres:
    """The private cluster, running (an earlier test may have left it stopped)."""
    if not private_postgres.running:
        private_postgres.start()
    request.node.stash[POSTGRES] = private_postgres
    return private_postgres


def env_for(database_url: str) -> Env:
    """The environment of a netcop process on the given database, migrated here so that the first
    ``netcop serve`` starts as fast as a restart (the start is bounded by ``processes.START_TIMEOUT``)."""
    upgrade(database_url)
    env = processes.clean_env(database_url=database_url, admin_token=ADMIN_TOKEN, log_level="info")
    if database_url.startswith("sqlite"):
        env["NETCOP_SQLITE_PATH"] = database_url.removeprefix("sqlite+aiosqlite:///")
    return env


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_env(request: pytest.FixtureRequest, tmp_path: Path) -> Env:
    """A netcop environment on a new, empty database: a SQLite file, or a database on the private cluster."""
    if request.param == "sqlite":
        return env_for(f"sqlite+aiosqlite:///{tmp_path / 'netcop.db'}")
    cluster: harness.PrivatePostgres = request.getfixturevalue("postgres")
    return env_for(cluster.create_database("netcop_rel"))


@pytest.fixture
def private_env(postgres: harness.PrivatePostgres) -> Env:
    """A netcop environment on a new database on the private cluster."""
    return env_for(postgres.create_database("netcop_rel"))


@pytest.fixture
def launch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Launch]:
    """Starts ``netcop serve`` processes that the test may kill; at teardown the ones still running must stop
    cleanly on SIGTERM."""
    started: list[Server] = []
    request.node.stash[SERVERS] = started

    def start(env: dict[str, str]) -> Server:
        started.append(processes.start(env, tmp_path))
        return started[-1]

    try:
        yield start
    finally:
        problems = [(problem, s) for s in started if s.process.poll() is None and (problem := s.stop()) is not None]
    if problems:
        pytest.fail("\n\n".join(f"{problem}; its output:\n{s.log()}" for problem, s in problems))
