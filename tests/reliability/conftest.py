"""Reliability fixtures: a private PostgreSQL cluster the tests may crash, and fresh databases on either
backend. The servers come from ``start_server`` (``tests/support/server_fixtures.py``), given one of these
environments; a test may kill them (``Server.kill``).

The private cluster is session-scoped and always stopped at the end of the session; a test that stops it gets
it back running for the next test (``postgres``). The shared cluster that other test runs use is never touched
by these fixtures.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from app.migrate import upgrade
from tests.reliability import harness
from tests.support import processes
from tests.support.processes import Env

POSTGRES = pytest.StashKey[harness.PrivatePostgres]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attaches the private cluster's log to a failing test's report."""
    report: pytest.TestReport = yield
    if report.failed and (cluster := item.stash.get(POSTGRES, None)) is not None:
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
    return processes.environment(database_url)


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

