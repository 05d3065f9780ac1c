"""The OpenAPI document tells the truth (issue 11, point 9): it is a valid OpenAPI document, every operation
that needs a token says so, every error answer has the one error shape, and the media types are the real ones."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

OPEN = {"/healthz", "/readyz", "/metrics"}


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_the_document_is_valid_openapi(client: httpx.AsyncClient) -> None:
    validate(await _document(client))


async def test_every_api_operation_asks_for_the_bearer_token_and_the_open_ones_do_not(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in OPEN or not path.startswith(("/api/", "/ogc")):
                assert operation["security"] == [], (method, path)
            else:
                assert "security" not in operation, (method, path)  # the document's: the bearer token
                assert {"401", "503"} <= set(operation["responses"]), (method, path)


async def test_every_error_answer_has_the_one_error_shape(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and "content" in answer:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


async def test_rated_operations_document_429_and_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    for path in ("/api/v1/reports", "/api/v1/reports/batch"):
        assert "429" in document["paths"][path]["post"]["responses"]
    assert list(document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
