"""Every operation in ``/openapi.json``, fuzzed by schemathesis: no answer is a 5xx, and every answer has a status
code the document declares and a body that matches the declared schema, for an admin token and for a partner
token (report + read) alike, with valid (positive) and schema-violating (negative) requests.

schemathesis serves the app (``create_app(settings)``) in its own event-loop thread and runs its lifespan there;
its pytest plugin ends that lifespan when the test ends. State accumulates across the operations of one test
(the database is emptied between tests only), so later reads see what earlier writes stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def api_schema(settings: Settings) -> schemathesis.BaseSchema:
    """The service's own OpenAPI document, loaded from the running app."""
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))


@pytest.fixture
def partner_authorization(api_schema: schemathesis.BaseSchema) -> str:
    """A partner organisation and a report+read token for it, created through the API under test."""
    body: dict[str, Any] = {"id": "fuzz-partner", "name": "Fuzz", "discipline": "other", "country": "NL"}
    answer = api_schema["/api/v1/organisations"]["POST"].Case(body=body).call(headers=ADMIN)
    assert answer.status_code == 201, answer.text
    operation = api_schema["/api/v1/organisations/{organisation_id}/tokens"]["POST"]
    case = operation.Case(path_parameters={"organisation_id": "fuzz-partner"}, body={"roles": ["report", "read"]})
    answer = case.call(headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return f"Bearer {answer.json()['token']}"


def _fuzz(operation: Operation, mode: GenerationMode, authorization: str) -> Callable[[], None]:
    """A hypothesis test that sends generated requests to one operation and checks each answer."""

    @hypothesis.given(case=operation.as_strategy(mode, headers={"authorization": authorization}))
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        database=None,  # one inner test per operation: a shared example database would mix them up
    )
    def run(case: schemathesis.Case[Operation]) -> None:
        try:
            response = case.call()
        except Exception as error:  # the in-process transport re-raises what the app raised (a 500 on the wire)
            raise AssertionError(f"{type(error).__name__}: {error}\n{case.as_curl_command()}") from error
        case.validate_response(response, checks=CHECKS)

    return run


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("who", ["admin", "partner"])
def test_operations_answer_as_documented(
    api_schema: schemathesis.BaseSchema, partner_authorization: str, who: str, mode: GenerationMode
) -> None:
    """Generated requests to every operation get declared, schema-conformant, non-5xx answers."""
    authorization = ADMIN["Authorization"] if who == "admin" else partner_authorization
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is sound
        operation = result.ok()
        try:
            _fuzz(operation, mode, authorization)()
        except Unsatisfiable:
            # Negative generation has nothing to break in an operation whose only inputs are the Authorization
            # header (held fixed here) and strings that may take any value (a path segment).
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (AssertionError, BaseExceptionGroup) as error:  # every operation's failures, not just the first
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
