"""The migrations build exactly the tables the code describes (``app/models``): no table, column or index that
one has and the other lacks, on the database under test."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.models import Base


def _differences(database_url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def test_the_migrated_schema_is_the_one_the_models_describe(database_url: str) -> None:
    found = _differences(database_url)
    structural = [d for d in found if isinstance(d, tuple) and d[0].startswith(("add_", "remove_"))]
    assert structural == []
