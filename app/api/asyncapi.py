"""``GET /asyncapi.json``: the live stream described as an AsyncAPI 3.0 document (spec section 7), as
``/openapi.json`` describes the REST API. Its message payloads are the shapes ``realtime/messages.py`` writes and
``client/events.py`` reads; the objects in them are the REST API's (``schemas.answers.PictureObject``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Response

from app.api.responses import json_value
from app.schemas.answers import PictureObject

router = APIRouter(tags=["operations"])

SEQ = {"type": "integer", "minimum": 0, "description": "the log position the message brings the client to"}
OBJECTS = {"type": "array", "items": {"$ref": "#/components/schemas/PictureObject"}}


def _message(name: str, summary: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    payload = {"type": "object", "properties": {"type": {"const": name}, **properties}, "required": ["type", *required]}
    return {"name": name, "summary": summary, "contentType": "application/json", "payload": payload}


@cache
def document() -> dict[str, Any]:
    object_schema = PictureObject.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {**object_schema.pop("$defs", {}), "PictureObject": object_schema}
    messages = {
        "auth": _message("auth", "the first message of a stream opened without an Authorization header (5 s)",
                         {"token": {"type": "string"}}, ["token"]),
        "snapshot": _message("snapshot", "the whole filtered picture at seq; replaces what the client holds",
                             {"seq": SEQ, "objects": OBJECTS, "reason": {"const": "resync"}}, ["seq", "objects"]),
        "change": _message("change", "what one report changed for this stream, in seq order",
                           {"seq": SEQ, "incident": {"type": "string"}, "objects": OBJECTS,
                            "report": {"type": "object", "required": ["id", "organisation"],
                                       "properties": {"id": {"type": "string"}, "organisation": {"type": "string"}}}},
                           ["seq", "incident", "report", "objects"]),
        "heartbeat": _message("heartbeat", "nothing for this stream lately; processed up to seq", {"seq": SEQ},
                              ["seq"]),
    }  # fmt: skip
    refs = {name: {"$ref": f"#/channels/stream/messages/{name}"} for name in messages}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "netcop live stream", "version": "1",
                 "description": "Snapshot, then every change in seq order; resume with after_seq (spec section 7). "
                                "Close codes: 4001 token invalid or revoked, 4003 no read role, 4008 fell behind, "
                                "1008 flooding, 1009 frame too large, 1013 try again later."},
        "servers": {"netcop": {"host": "localhost:8000", "protocol": "ws",
                               "security": [{"$ref": "#/components/securitySchemes/bearer"}]}},
        "channels": {"stream": {
            "address": "/api/v1/stream",
            "messages": messages,
            "bindings": {"ws": {"query": {"type": "object", "properties": {
                "after_seq": {"type": "integer", "minimum": 0}, "incident": {"type": "string"},
                "kind": {"type": "string"}, "bbox": {"type": "string"}, "exercise": {"type": "boolean"}}}}},
        }},
        "operations": {
            "receiveUpdates": {"action": "send", "channel": {"$ref": "#/channels/stream"},
                               "messages": [refs["snapshot"], refs["change"], refs["heartbeat"]]},
            "authenticate": {"action": "receive", "channel": {"$ref": "#/channels/stream"}, "messages": [refs["auth"]]},
        },
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }  # fmt: skip


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi() -> Response:
    """The stream's AsyncAPI 3.0 document."""
    return json_value(document())
