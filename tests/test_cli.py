"""The ``netcop`` command line (spec section 8), run as a real process on a database of its own: an embedded
SQLite file, or, when NETCOP_TEST_DATABASE_URL is set, a PostgreSQL database next to the test database (its
name plus ``_cli``), created afresh for each test."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.main import create_app
from tests.conftest import PG_URL, _create_postgres_database
from tests.support import processes
from tests.support.reports import report

DEMO_OBJECT = "flood-dordrecht-2026-11/casualties-wielwijk"


@dataclass(frozen=True)
class Cli:
    """The command line, configured for one database."""

    env: processes.Env
    settings: Settings
    cwd: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return processes.run_netcop(self.env, *args, cwd=self.cwd)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Runs one SQL statement on the command line's database (and commits); returns its rows, if any."""
        return asyncio.run(_execute(self.settings.effective_database_url, statement, params))


async def _execute(url: str, statement: str, params: dict[str, Any]) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The command line on an empty database of its own."""
    if PG_URL:
        url = f"{PG_URL}_cli"
        _create_postgres_database(url)
        env = processes.clean_env(database_url=url)
        return Cli(env, Settings(database_url=url), tmp_path)
    path = tmp_path / "embedded" / "netcop.db"
    env = processes.clean_env(sqlite_path=str(path))
    return Cli(env, Settings(database_url=None, sqlite_path=path), tmp_path)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def test_migrate_brings_an_empty_database_up_to_date_and_can_run_again(cli: Cli) -> None:
    """``netcop migrate`` creates the schema, says so, and is harmless when there is nothing to do."""
    assert "up to date" in _ok(cli.run("migrate")).stdout
    assert "up to date" in _ok(cli.run("migrate")).stdout
    assert cli.sql("SELECT last_seq FROM sequence") == [(0,)]


def test_adding_an_organisation_twice_fails_with_a_clear_message(cli: Cli) -> None:
    """The second ``netcop org add`` with the same id exits non-zero and says the organisation exists."""
    args = ("org", "add", "--id", "politie-x", "--name", "Politie X", "--discipline", "police", "--country", "NL")
    assert "politie-x added" in _ok(cli.run(*args)).stdout
    again = cli.run(*args)
    assert again.returncode != 0
    assert "organisation 'politie-x' exists" in again.stderr
    assert cli.sql("SELECT id, discipline, country FROM organisations") == [("politie-x", "police", "NL")]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--discipline", "cops", "discipline"), ("--id", "X", "id"), ("--country", "nl", "country")],
)
def test_an_invalid_organisation_exits_2_naming_the_field(cli: Cli, option: str, value: str, message: str) -> None:
    """``netcop org add`` with an invalid field is a usage error (exit 2) that names the field."""
    values = {"--id": "brandweer-x", "--name": "Brandweer X", "--discipline": "fire", "--country": "NL", option: value}
    result = cli.run("org", "add", *(item for pair in values.items() for item in pair))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{message}:")
    _ok(cli.run("migrate"))
    assert cli.sql("SELECT count(*) FROM organisations") == [(0,)]


def test_a_token_for_an_unknown_organisation_is_refused(cli: Cli) -> None:
    """``netcop token issue`` for an organisation that does not exist exits 1, prints no token and says why."""
    result = cli.run("token", "issue", "--org", "nobody", "--role", "read")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no organisation 'nobody'" in result.stderr


@pytest.fixture
def issued_token(cli: Cli) -> str:
    """A report+read token of a new organisation, issued by the command line; its stdout is only the token."""
    _ok(cli.run("org", "add", "--id", "ghor-x", "--name", "GHOR X", "--discipline", "medical", "--country", "NL"))
    result = _ok(cli.run("token", "issue", "--org", "ghor-x", "--role", "report", "--role", "read"))
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"stdout should be the token alone: {result.stdout!r}"
    assert lines[0] == lines[0].strip()
    assert len(lines[0]) >= 32
    assert "roles: read,report" in result.stderr
    return lines[0]


async def test_an_issued_token_works_against_the_service(cli: Cli, issued_token: str) -> None:
    """The printed token authenticates as its organisation, with the roles it was issued with and no others."""
    app = create_app(cli.settings)
    headers = {"Authorization": f"Bearer {issued_token}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://netcop.test", timeout=30) as client:
            body = report("r1", {"id": "o1", "kind": "marker"})
            posted = await client.post("/api/v1/reports", json=body, headers=headers)
            listed = await client.get("/api/v1/reports", headers=headers)
            organisation = {"id": "other-x", "name": "Other", "discipline": "other", "country": "NL"}
            admin = await client.post("/api/v1/organisations", json=organisation, headers=headers)
    assert posted.status_code == 201, posted.text
    assert posted.json()["organisation"] == "ghor-x"
    assert [r["id"] for r in listed.json()["reports"]] == ["r1"]
    assert admin.status_code == 403, admin.text


def test_the_demo_loads_and_verify_catches_a_tampered_picture(cli: Cli) -> None:
    """``netcop demo`` loads the scenario into an empty database, ``netcop verify`` agrees with it, and names the
    object once its stored picture is changed behind the log's back."""
    demo = _ok(cli.run("demo"))
    assert "demo loaded" in demo.stderr
    assert cli.sql("SELECT count(*) FROM reports")[0][0] >= 120
    assert "agrees" in _ok(cli.run("verify")).stdout
    cli.sql(
        "UPDATE objects SET public_json = replace(public_json, :old, :new) WHERE id = 'casualties-wielwijk'",
        old='"injured":15',
        new='"injured":99',
    )
    assert cli.sql("SELECT count(*) FROM objects WHERE public_json LIKE :new", new='%"injured":99%') == [(1,)]
    tampered = cli.run("verify")
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert f"object {DEMO_OBJECT}: stored picture differs" in tampered.stdout
    assert "1 difference(s)" in tampered.stderr


def test_loading_the_demo_twice_says_it_is_loaded_already(cli: Cli) -> None:
    """A second ``netcop demo`` changes nothing, says the demo is there already, and exits 0."""
    _ok(cli.run("demo"))
    count = cli.sql("SELECT count(*) FROM reports")
    again = _ok(cli.run("demo"))
    assert "loaded already" in again.stderr
    assert cli.sql("SELECT count(*) FROM reports") == count
