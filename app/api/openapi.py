"""The OpenAPI document, told truthfully: what FastAPI generates from the routes, plus what it cannot know.

- one ``Error`` schema (the shape of every error, ``app/errors.py``), referenced by every error answer, FastAPI's
  own 422 included (its validation errors are answered in that shape);
- a bearer ``securitySchemes`` entry, required by every operation except the health checks, the metrics and the
  dashboard's own pages (so ``/docs`` has an Authorize button and generated clients take a token once);
- ``503`` (database unreachable, request time limit, a bound of the HTTP edge) on every operation, and ``429`` on
  those counted against an organisation's rates;
- the real media type of ``/metrics`` (Prometheus text);
- the report bodies named (``ReportIn``, ``BatchIn``), as FastAPI names the bodies it reads itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.responses import ERROR_REF, ERROR_SCHEMA
from app.schemas.reports import BatchIn, ReportIn

OPEN_PATHS = ("/healthz", "/readyz", "/metrics")  # and everything outside /api/v1 and /ogc (the dashboard's pages)
RATED = ("/api/v1/reports", "/api/v1/reports/batch", "/api/v1/ingest/")
# Bodies the routes read themselves (the report fast path): named in the components, as FastAPI names its own.
REQUEST_MODELS: dict[str, type[Any]] = {"/api/v1/reports": ReportIn, "/api/v1/reports/batch": BatchIn}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "a token issued by `POST /api/v1/organisations/{id}/tokens` (or the server's admin token)",
}


def install(app: FastAPI) -> None:
    """Makes ``app.openapi()`` build (once) the document described above."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            app.openapi_schema = _completed(doc)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def _completed(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    _name_request_bodies(doc)
    components["securitySchemes"] = {"bearer": BEARER}
    doc["security"] = [{"bearer": []}]
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            if path in OPEN_PATHS or not path.startswith(("/api/", "/ogc")):
                operation["security"] = []
                continue
            answers = operation.setdefault("responses", {})
            if "422" in answers:  # FastAPI's own validation errors are answered in the one shape too (main.py)
                answers["422"] = _error("the request is invalid: details name each path")
            answers.setdefault("401", _error("no valid token"))
            answers.setdefault("503", _error("the database cannot be reached, or the request took too long"))
            if path.startswith(RATED):
                answers.setdefault("429", _error("over the organisation's rate: try again after Retry-After"))
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    metrics = doc.get("paths", {}).get("/metrics", {}).get("get")
    if metrics is not None:
        metrics["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return doc


def _name_request_bodies(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for path, model in REQUEST_MODELS.items():
        operation = doc.get("paths", {}).get(path, {}).get("post")
        if operation is None:
            continue
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        content = operation["requestBody"]["content"]["application/json"]
        content["schema"] = {"$ref": f"#/components/schemas/{model.__name__}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
