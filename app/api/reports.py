"""Reports in (spec section 3): parse, authenticate, validate, hand to the writer, answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request, Response

from app.api.deps import StateDep
from app.api.json_input import parse_json, read_body, require_json
from app.api.responses import errors, json_value
from app.domain import canonical
from app.errors import Forbidden, Invalid, NetcopError
from app.schemas.answers import ReportAnswer
from app.schemas.common import is_printable_id
from app.schemas.reports import CONTRACT_LIMITS, BatchIn, ReportIn, ReportLimits, oriented, validate_report
from app.services.audit import Caller
from app.services.auth import Principal
from app.services.group import STEP_SECONDS
from app.state import AppState

router = APIRouter(prefix="/api/v1", tags=["reports"])

def _body_doc(model: type[ReportIn] | type[BatchIn]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema = _inlined(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """The schema with its ``#/$defs/...`` references replaced by their definitions: OpenAPI resolves a ``$ref``
    against the whole document, where a model's own ``$defs`` are not found."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(defs[schema["$ref"].removeprefix("#/$defs/")], defs)
    return {key: _inlined(value, defs) for key, value in schema.items() if key != "$defs"}


def _clock(state: AppState) -> tuple[datetime, timedelta]:
    return datetime.now(UTC), timedelta(seconds=state.settings.future_tolerance_seconds)


async def _stored_retry(state: AppState, organisation: str, body: Any, digest: str) -> dict[str, Any] | None:
    """The stored answer when an invalid body is a retry of an accepted one (retries are answered before the
    body is checked again)."""
    if not isinstance(body, dict) or not is_printable_id(body.get("id")):
        return None  # no report has such an id: no look-up (a NUL would not even reach PostgreSQL's text)
    return await state.ingestor.stored_answer(organisation, body["id"], digest)


@dataclass(frozen=True, slots=True)
class Intake:
    """One POST of reports as the HTTP edge received it: the header that authenticates it, its body as it
    arrives, and the caller's address (for the audit log)."""

    authorization: str | None
    content_type: str | None
    content_length: str | None
    chunks: AsyncIterator[bytes]
    address: str | None


Locate = Callable[[str], str]  # a report path -> the path in the document the report was translated from


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends a report: the token's principal, its organisation and the caller's address (for the audit log)."""

    principal: Principal
    organisation: str
    address: str | None


async def sender(state: AppState, intake: Intake) -> Sender:
    """The authenticated sender of a report (401, 403 for a token without ``report`` or without organisation),
    counted against its organisation's report rate (429)."""
    principal, organisation = await _sender(state, intake)
    state.limits.reports.check(organisation)
    return Sender(principal, organisation, intake.address)


async def _sender(state: AppState, intake: Intake) -> tuple[Principal, str]:
    principal = await state.authenticator.authenticate(intake.authorization)
    principal.require("report")
    if principal.organisation is None:
        raise Forbidden("this token belongs to no organisation and cannot send reports")
    return principal, principal.organisation


def _checked(body: Any, raw: bytes | None, state: AppState) -> tuple[str, Invalid | None]:
    """The report's digest, and its 422 if it is invalid."""
    return canonical.digest(body, raw), validate_report(body, *_clock(state), limits=state.report_limits)


async def accept_report(state: AppState, intake: Intake) -> tuple[int, Any]:
    """``POST /api/v1/reports``: (status, answer) or a raised error."""
    who = await sender(state, intake)
    require_json(intake.content_type)
    raw = await read_body(intake.chunks, intake.content_length, state.settings.max_report_bytes)
    return await submit_body(state, who, parse_json(raw), raw=raw)


async def submit_body(
    state: AppState, who: Sender, body: Any, *, raw: bytes | None = None, locate: Locate | None = None
) -> tuple[int, Any]:
    """A parsed report body through the rest of ``POST /api/v1/reports``: the work rate, the retry look-up, the
    contract's checks and the writer; (status, answer) or a raised error. The partner-format adapters hand the
    report they translated here, with ``locate`` naming where in their document a report path came from."""
    state.limits.work.check(who.organisation, _object_entries(body))
    digest, invalid = _checked(body, raw, state)
    if invalid is not None:
        retry = await _stored_retry(state, who.organisation, body, digest)
        if retry is None:
            raise _located(invalid, locate)
        return 200, retry
    caller = Caller(who.principal.token_id, who.address)
    outcome = await state.ingestor.submit(who.organisation, oriented(body), digest, caller)
    if outcome.error is not None:
        raise _located(outcome.error, locate)
    return outcome.status, outcome.answer


def _located(error: NetcopError, locate: Locate | None) -> NetcopError:
    """The error with its detail paths put in terms of the document the report was translated from."""
    if locate is not None:
        for detail in error.details:
            detail["path"] = locate(detail["path"])
    return error


async def _check_batch(reports: list[Any], state: AppState) -> list[tuple[str, NetcopError | None]]:
    """Each report's digest and refusal (None when it is valid), giving the event loop a turn every few
    milliseconds: checking a 16 MiB batch takes long enough to delay everyone else's requests."""
    now, tolerance = _clock(state)
    max_bytes = state.settings.max_report_bytes
    checked: list[tuple[str, NetcopError | None]] = []
    deadline = time.perf_counter() + STEP_SECONDS
    for index, body in enumerate(reports):
        refusal = _check_one(body, index, max_bytes, now, tolerance, state.report_limits)
        checked.append((canonical.digest(body), refusal))
        if time.perf_counter() > deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + STEP_SECONDS
    return checked


async def accept_batch(state: AppState, intake: Intake) -> tuple[int, Any]:
    """``POST /api/v1/reports/batch``: (200, results) or a raised error."""
    principal, organisation = await _sender(state, intake)
    require_json(intake.content_type)
    raw = await read_body(intake.chunks, intake.content_length, state.settings.max_batch_bytes)
    reports = _batch_reports(parse_json(raw), state.settings.max_batch_reports)
    state.limits.reports.check(organisation, len(reports))
    state.limits.work.check(organisation, sum(_object_entries(body) for body in reports))
    results: list[dict[str, Any] | None] = [None] * len(reports)
    valid: list[tuple[int, dict[str, Any], str]] = []
    for index, (body, (digest, error)) in enumerate(
        zip(reports, await _check_batch(reports, state), strict=True)
    ):
        if error is None:
            valid.append((index, oriented(body), digest))
            continue
        retry = await _stored_retry(state, organisation, body, digest)
        results[index] = {"status": 200, **retry} if retry else _refusal(body, error)
    items = [(organisation, body, digest) for _, body, digest in valid]
    outcomes = await state.ingestor.submit_many(items, Caller(principal.token_id, intake.address))
    for (index, body, _), outcome in zip(valid, outcomes, strict=True):
        results[index] = (
            {"status": outcome.status, **outcome.answer}
            if outcome.answer
            else _refusal(body, _under_index(outcome.error, index))
        )
    return 200, {"results": results}


def request_intake(request: Request) -> Intake:
    return Intake(request.headers.get("authorization"), request.headers.get("content-type"),
                  request.headers.get("content-length"), request.stream(),
                  request.client.host if request.client else None)  # fmt: skip


# The two routes below document the reports API and serve it when the fast path (``api.intake``) is not in
# front, e.g. under another ASGI server; with it, requests to them never reach FastAPI.


@router.post(
    "/reports",
    status_code=201,
    summary="Push one situation report",
    openapi_extra=_body_doc(ReportIn),
    responses={
        201: {"model": ReportAnswer, "description": "stored, merged and committed"},
        200: {"model": ReportAnswer, "description": "a retry: the stored answer"},
        **errors(400, 401, 403, 409, 413, 415, 422, 503),
    },
)
async def post_report(
    request: Request, state: StateDep, authorization: Annotated[str | None, Header(description="Bearer <token>")] = None
) -> Response:
    status, answer = await accept_report(state, request_intake(request))
    return json_value(answer, status)


@router.post(
    "/reports/batch",
    summary="Push up to 1000 situation reports, each accepted or refused on its own",
    openapi_extra=_body_doc(BatchIn),
    responses=errors(400, 401, 403, 413, 422, 503),
)
async def post_batch(
    request: Request, state: StateDep, authorization: Annotated[str | None, Header(description="Bearer <token>")] = None
) -> Response:
    status, answer = await accept_batch(state, request_intake(request))
    return json_value(answer, status)


def _object_entries(body: Any) -> int:
    """What a report costs the writer, for the work rate limit (a malformed body costs nothing: it is refused)."""
    objects = body.get("objects") if isinstance(body, dict) else None
    return len(objects) if isinstance(objects, list) else 0


def _batch_reports(batch: Any, limit: int) -> list[Any]:
    if not isinstance(batch, dict) or set(batch) != {"reports"} or not isinstance(batch["reports"], list):
        raise Invalid.at("reports", 'the body must be {"reports": [...]} and nothing else')
    if len(batch["reports"]) > limit:
        raise Invalid.at("reports", f"at most {limit} reports per batch")
    return batch["reports"]


def _check_one(
    body: Any, index: int, max_bytes: int, now: datetime, tolerance: timedelta, limits: ReportLimits = CONTRACT_LIMITS
) -> NetcopError | None:
    if len(orjson.dumps(body)) > max_bytes:
        return Invalid.at(f"reports[{index}]", f"the report exceeds {max_bytes} bytes")
    return validate_report(body, now, tolerance, prefix=f"reports[{index}]", limits=limits)


def _under_index(error: NetcopError | None, index: int) -> NetcopError | None:
    """An ingest refusal (e.g. an unknown audience) with its detail paths put under ``reports[index]``."""
    for detail in error.details if error is not None else ():
        detail["path"] = f"reports[{index}].{detail['path']}"
    return error


def _refusal(body: Any, error: NetcopError | None) -> dict[str, Any]:
    assert error is not None
    report_id = body.get("id") if isinstance(body, dict) else None
    return {"id": report_id, "status": error.status, **error.body()}
