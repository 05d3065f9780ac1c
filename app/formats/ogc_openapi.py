"""The OpenAPI 3.0 definition of ``/ogc`` (OGC API - Features, conformance class "OpenAPI 3.0").

FastAPI writes the whole service's ``/openapi.json`` in OpenAPI 3.1, which the conformance class does not
accept, so ``/ogc`` carries a definition of its own, written here by hand in 3.0.3: every operation of ``/ogc``,
its parameters with the schemas the standard asks for (``limit`` with minimum, maximum and default; ``bbox`` of
4 or 6 numbers; ``datetime``), every status it answers with, and the security schemes (the bearer token, and
the ``access_token`` query parameter only where the setting turns it on). ``/ogc/api.html`` shows it.
"""

from __future__ import annotations

from typing import Any

from app.formats import ogc

_ERROR = {"$ref": "#/components/responses/Error"}
_ERRORS = {str(status): _ERROR for status in (400, 401, 403, 404, 500, 503)}
_OPEN_ERRORS = {str(status): _ERROR for status in (400, 500, 503)}
_OBJECT = {"type": "object"}


def _answer(description: str, media: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema or _OBJECT}}}


def _operation(
    operation_id: str, summary: str, answer: dict[str, Any], parameters: list[dict[str, Any]], guarded: bool
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["Data" if guarded else "Capabilities"],
        "parameters": [*parameters, {"$ref": "#/components/parameters/f"}],
        "responses": {"200": answer, **(_ERRORS if guarded else _OPEN_ERRORS)},
    }
    if not guarded:
        operation["security"] = []
    return {"get": operation}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
        **extra,
    }


_PARAMETERS = {
    "collectionId": _parameter("collectionId", "path", {"type": "string"}, f"an incident's id, or {ogc.ALL}"),
    "featureId": _parameter("featureId", "path", {"type": "string"}, "<incident>/<object>, the '/' as %2F"),
    "limit": _parameter(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": ogc.MAX_LIMIT, "default": ogc.DEFAULT_LIMIT},
        f"features per page; more than {ogc.MAX_LIMIT} is read as {ogc.MAX_LIMIT}",
        style="form",
        explode=False,
    ),
    "bbox": _parameter(
        "bbox",
        "query",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "minlon,minlat,maxlon,maxlat (CRS84): features whose geometry intersects it",
        style="form",
        explode=False,
    ),
    "datetime": _parameter(
        "datetime",
        "query",
        {"type": "string"},
        "one RFC 3339 instant: the picture as known at that moment (an interval is 400)",
        style="form",
        explode=False,
    ),
    "after": _parameter("after", "query", {"type": "string"}, "paging: the previous page's last feature id"),
    "f": _parameter("f", "query", {"type": "string", "enum": sorted(ogc.FORMATS)}, "the format: JSON only"),
}


def _paths() -> dict[str, Any]:
    ref = {name: {"$ref": f"#/components/parameters/{name}"} for name in _PARAMETERS}
    return {
        "/": _operation("getLandingPage", "the landing page", _answer("links", ogc.JSON), [], False),
        "/conformance": _operation(
            "getConformance", "the conformance classes met", _answer("classes", ogc.JSON), [], False
        ),
        "/api": _operation("getApiDefinition", "this definition", _answer("OpenAPI 3.0", ogc.OPENAPI), [], False),
        "/collections": _operation(
            "getCollections", "the collections this caller may read", _answer("collections", ogc.JSON), [], True
        ),
        "/collections/{collectionId}": _operation(
            "describeCollection", "one collection", _answer("collection", ogc.JSON), [ref["collectionId"]], True
        ),
        "/collections/{collectionId}/items": _operation(
            "getFeatures",
            "a page of the collection's features",
            _answer("features", ogc.GEOJSON),
            [ref["collectionId"], ref["limit"], ref["bbox"], ref["datetime"], ref["after"]],
            True,
        ),
        "/collections/{collectionId}/items/{featureId}": _operation(
            "getFeature",
            "one feature",
            _answer("a feature", ogc.GEOJSON),
            [ref["collectionId"], ref["featureId"]],
            True,
        ),
    }


def _security(query_token: bool) -> tuple[dict[str, Any], list[dict[str, list[str]]]]:
    schemes: dict[str, Any] = {"bearer": {"type": "http", "scheme": "bearer"}}
    required: list[dict[str, list[str]]] = [{"bearer": []}]
    if query_token:
        schemes["accessToken"] = {
            "type": "apiKey",
            "in": "query",
            "name": ogc.ACCESS_TOKEN,
            "description": "for desktop GIS that cannot send headers; it ends up in URLs",
        }
        required.append({"accessToken": []})
    return schemes, required


def definition(base: str, *, query_token: bool) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of ``/ogc``, served under ``base`` (``http://host/ogc``)."""
    schemes, required = _security(query_token)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "netcop: OGC API - Features",
            "version": "1.0",
            "description": "The common operational picture: one collection per active incident.",
        },
        "servers": [{"url": base}],
        "security": required,
        "paths": _paths(),
        "components": {
            "parameters": _PARAMETERS,
            "securitySchemes": schemes,
            "responses": {"Error": _answer('{"error": {code, message, details}}', ogc.JSON, _ERROR_SCHEMA)},
        },
    }


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
