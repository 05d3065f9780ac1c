"""Request bodies read after authentication: a caller without a valid token learns nothing about what its
body would have done, and nobody can make the service buffer or parse more than the limit."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.api.json_input import read_json
from app.errors import Invalid
from app.schemas.reports import format_path

ADMIN_BODY_LIMIT = 64 * 1024
ModelT = TypeVar("ModelT", bound=BaseModel)


async def parse(request: Request, model: type[ModelT], limit: int = ADMIN_BODY_LIMIT) -> ModelT:
    """The body as ``model``: 413 over the limit, 400 when not JSON, 422 with paths when invalid."""
    data = await read_json(request, limit)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = [
            {"path": format_path(tuple(e["loc"])) or "$", "message": e["msg"]} for e in error.errors(include_url=False)
        ]
        raise Invalid("the request body is invalid", details) from error


def documented(model: type[BaseModel]) -> dict[str, object]:
    """OpenAPI for a body that the endpoint reads itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}
