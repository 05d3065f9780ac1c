"""Answers built from bytes that are already JSON."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}


def json_bytes(content: bytes, status: int = 200) -> Response:
    return Response(content=content, status_code=status, media_type="application/json")


def json_value(value: Any, status: int = 200) -> Response:
    return json_bytes(orjson.dumps(value), status)


ERROR_REF = {"$ref": "#/components/schemas/Error"}  # the one schema of every error (``api.openapi``)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers an endpoint can give."""
    return {s: {"description": "error", "content": {"application/json": {"schema": ERROR_REF}}} for s in statuses}


class JsonParts(Response):
    """JSON sent as parts one after the other, with its length: a large kept body is written as it is, not
    copied into one."""

    media_type = "application/json"

    def __init__(self, parts: tuple[bytes, ...], status: int = 200) -> None:
        super().__init__(status_code=status)
        self.parts = parts
        self.headers["content-length"] = str(sum(len(part) for part in parts))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for index, part in enumerate(self.parts):
            await send({"type": "http.response.body", "body": part, "more_body": index < len(self.parts) - 1})
