"""A time limit on every HTTP request (pure ASGI: no BaseHTTPMiddleware, which breaks context propagation).

A request that has not started its answer within ``request_timeout_seconds`` is cancelled and answered 503 with
``Retry-After``. A report whose request is cancelled after it reached the writer may still be committed: its
retry is then answered 200 with the stored answer, as for any retry."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import TimedOut

TOO_LONG = TimedOut("the request took too long")
BODY = orjson.dumps(TOO_LONG.body())


class RequestTimeout:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, receive, send_tracked)
        except TimeoutError:
            if started:
                raise
            await _answer_503(send)


async def _answer_503(send: Send) -> None:
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode()),
                          *TOO_LONG.raw_headers()]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
