"""The hot path of the two report routes: pure ASGI in front of FastAPI.

``POST /api/v1/reports`` and ``POST /api/v1/reports/batch`` are what every partner calls for each report it sends
(measured: 650-780 single reports/s, 2,000-2,400/s in batches; README, Benchmarks). FastAPI's routing,
dependency solving and response classes cost more than parsing, validating and merging a small report, so this
middleware answers those two exact paths itself, with the same handlers the FastAPI routes use
(``api.reports.accept_report`` / ``accept_batch``) and the same error shape. Every other request, and the OpenAPI
document that describes these two, stay with FastAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api import failures, reports
from app.errors import NetcopError
from app.state import AppState

Handler = Callable[[AppState, reports.Intake], Awaitable[tuple[int, Any]]]
ROUTES: dict[str, Handler] = {
    "/api/v1/reports": reports.accept_report,
    "/api/v1/reports/batch": reports.accept_batch,
}


class ReportIntake:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = ROUTES.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.netcop
        intake = reports.Intake(_header(scope, b"authorization"), _header(scope, b"content-type"),
                                _header(scope, b"content-length"),
                                _chunks(receive), _address(scope))  # fmt: skip
        try:
            status, answer = await handler(state, intake)
        except Exception as exception:
            error = exception if isinstance(exception, NetcopError) else failures.netcop_error(exception)
            await _send(send, error.status, orjson.dumps(error.body()), error.raw_headers())
            return
        await _send(send, status, orjson.dumps(answer), [])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _send(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
