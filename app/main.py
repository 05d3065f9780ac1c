"""The application: ``create_app(settings)`` wires the lifespan, the routers and the one error handler."""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from app import log_redaction
from app.api import (
    admin,
    asyncapi,
    exports,
    failures,
    federation,
    ingest,
    openapi,
    operations,
    picture,
    reports,
    vocabulary,
)
from app.api import ogc as ogc_api
from app.api import sitrep as sitrep_api
from app.api.cot_listener import CotListener
from app.api.intake import ReportIntake
from app.api.responses import json_value
from app.api.stale_tracks import StaleTracks
from app.api.timeouts import RequestTimeout
from app.config import Settings
from app.dashboard import router as dashboard
from app.db import Database
from app.errors import BadRequest, Invalid, NetcopError, for_status
from app.federation.runner import LinkRunner
from app.realtime import stream
from app.realtime.follower import Follower
from app.realtime.hub import Hub
from app.schemas.reports import format_path
from app.services.auth import Authenticator
from app.services.ingest import Ingestor
from app.state import AppState

log = logging.getLogger(__name__)

GC_THRESHOLD = 20_000
# FastAPI's built-in OpenTelemetry hooks (0.165 on) ask the OpenTelemetry providers on every request whether
# they are configured; netcop exports Prometheus metrics instead, so they are off (on versions that have them).
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A netcop service for the given settings (the environment's when none are given)."""
    settings = settings or Settings()
    log_redaction.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings)
        hub = Hub()
        authenticator = Authenticator(db, settings)
        ingestor = Ingestor(db, settings)
        follower = Follower(db, hub, settings, forget=authenticator.forget, own_pids=ingestor.server_pids)
        ingestor.on_commit = follower.publish_local
        app.state.netcop = AppState(settings, db, ingestor, authenticator, hub, follower)
        await follower.start()
        ingestor.start()
        links = LinkRunner(db, settings)
        await links.start()
        app.state.cot_stale = stale = StaleTracks(app.state.netcop)
        await stale.start()
        app.state.cot_listener = listener = CotListener(app.state.netcop, settings.cot_host, settings.cot_port or 0)
        if settings.cot_port is not None:
            await listener.start()
        # What start-up built lives as long as the process: keep it out of the collector's scans, and collect
        # less often than CPython's default (every 700 allocations), which a report makes dozens of.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 20)
        try:
            yield
        finally:
            await links.stop()
            await stale.stop()
            await listener.stop()
            await ingestor.stop()
            await follower.stop()
            await db.dispose()

    app = FastAPI(
        title="netcop",
        version="1",
        summary="A real-time common operational picture for crisis management",
        lifespan=lifespan,
        **_NO_TELEMETRY,
    )
    for module in (reports, ingest, exports, vocabulary, admin, federation, picture, operations, asyncapi, stream):
        app.include_router(module.router)
    app.include_router(sitrep_api.router)
    app.include_router(ogc_api.router)
    dashboard.mount(app)
    _add_error_handlers(app)
    openapi.install(app)
    app.add_middleware(ReportIntake)  # inside the time limit, which wraps it
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_seconds)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NetcopError)
    async def _netcop(_: Request, error: NetcopError) -> Response:
        return _error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> Response:
        if any(e["type"] == "json_invalid" or (e["type"] == "missing" and tuple(e["loc"]) == ("body",))
               for e in error.errors()):  # fmt: skip
            return _error_response(BadRequest("the body is not JSON"))  # spec section 2: not JSON at all is 400
        details = [
            {"path": format_path(tuple(e["loc"][1:]) or tuple(e["loc"])), "message": e["msg"]} for e in error.errors()
        ]
        return _error_response(Invalid("the request is invalid", details))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, error: HTTPException) -> Response:
        return _error_response(for_status(error.status_code, str(error.detail)))

    # DBAPIError and OSError apart from Exception: Starlette re-raises what the Exception handler answers, and
    # uvicorn then drops the connection, so a client would get a reset instead of the 503.
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> Response:
        return _error_response(failures.netcop_error(error))


def _error_response(error: NetcopError) -> Response:
    response = json_value(error.body(), error.status)
    response.headers.update(error.headers())
    return response
