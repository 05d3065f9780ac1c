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


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers an endpoint can give."""
    return {s: {"description": "error", "content": {"application/json": {"schema": ERROR_SCHEMA}}} for s in statuses}
