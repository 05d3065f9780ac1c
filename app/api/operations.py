"""Operations (spec section 8): liveness, readiness, metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.api.deps import StateDep
from app.api.responses import json_value

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> Response:
    """The process is up."""
    return json_value({"status": "ok"})


@router.get("/readyz")
async def readyz(state: StateDep) -> Response:
    """The database answers (within 2 s)."""
    try:
        async with asyncio.timeout(2):
            async with state.db.read() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as error:  # any failure means not ready, and says why
        return json_value({"status": "unavailable", "reason": type(error).__name__}, 503)
    return json_value({"status": "ok"})


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
