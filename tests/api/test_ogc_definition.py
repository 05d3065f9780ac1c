"""The OpenAPI 3.0 definition of /ogc tells the truth: schemathesis, reading it from the running app, sends
generated requests to every /ogc operation and finds each answer's status declared and no 5xx."""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import status_code_conformance

from app.config import Settings
from app.main import create_app
from tests.api.support import organisation_token, service
from tests.conftest import report

CHECKS = [not_a_server_error, status_code_conformance]
EXAMPLES_PER_OPERATION = 8  # seven operations, two modes: about two seconds


async def _reader(settings: Settings) -> dict[str, str]:
    """The headers of a read token of a new organisation with a report on the picture."""
    async with service(settings) as client:
        headers = await organisation_token(client, "fuzz-reader")
        body = report("r1", {"id": "a", "kind": "unit", "geometry": {"type": "Point", "coordinates": [4.6, 51.8]}})
        assert (await client.post("/api/v1/reports", json=body, headers=headers)).status_code == 201
    return headers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_ogc_operation_answers_as_its_definition_says(settings: Settings, mode: GenerationMode) -> None:
    """Generated valid and invalid requests to each /ogc operation get a declared status, never a 5xx."""
    headers = asyncio.run(_reader(settings))
    schema = schemathesis.openapi.from_asgi("/ogc/api", create_app(settings))
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy(mode, headers=headers))
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            case.validate_response(case.call(), checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to break in it
        except (AssertionError, BaseExceptionGroup) as error:
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
