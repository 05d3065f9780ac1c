"""Applying the Alembic migrations from code (``netcop migrate``, ``netcop serve``, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str) -> None:
    """Brings the database to the newest schema; call it outside a running event loop."""
    if database_url.startswith("sqlite+aiosqlite:///"):
        # SQLite creates the file but not its folder (the default var/ may not exist yet).
        Path(database_url.removeprefix("sqlite+aiosqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")
