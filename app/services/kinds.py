"""Kinds outside the vocabulary (issue 11): a report may use any kind, which is kept and merged as sent; readers
learn which of the kinds on their picture the vocabulary does not list (``GET /api/v1/vocabulary``)."""

from __future__ import annotations

from app.db import Database
from app.formats import vocabulary
from app.repositories import kinds as kinds_repo


async def unlisted_kinds(*, db: Database, viewer: str) -> list[str]:
    """The kinds of the objects the viewer sees (not removed) that the vocabulary does not list, sorted."""
    async with db.read() as conn:
        return sorted(await kinds_repo.kinds_outside(conn, viewer, vocabulary.KINDS))
