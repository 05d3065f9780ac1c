"""Reports in (spec section 3): parse, authenticate, validate, hand to the writer, answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request, Response

from app.api.deps import StateDep
from app.api.responses import errors, json_value
from app.domain import canonical
from app.errors import BadRequest, Forbidden, Invalid, NetcopError, PayloadTooLarge
from app.schemas.reports import CONTRACT_LIMITS, BatchIn, ReportIn, ReportLimits, validate_report
from app.services.audit import Caller
from app.services.auth import Principal
from app.services.group import STEP_SECONDS
from app.services.ingest import Outcome
from app.state import AppState

router = APIRouter(prefix="/api/v1", tags=["reports"])

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "organisation": {"type": "string"},
        "incident": {"type": "string"},
        "seq": {"type": "integer"},
        "received_at": {"type": "string"},
        "changed": {"type": "array", "items": {"type": "string"}},
    },
}


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


MAX_JSON_DEPTH = 64
_ORJSON_WRITE_DEPTH = 254  # orjson writes at most this many levels of nesting (it reads up to 1024)


def _too_deep(value: Any) -> bool:
    """Whether the value nests deeper than MAX_JSON_DEPTH, in one C-speed pass: wrapped in enough lists, a deeper
    value passes the depth orjson can write. The stored and rendered forms of a report nest its values a few
    levels deeper than the body, so what is accepted must stay well below orjson's limit."""
    for _ in range(_ORJSON_WRITE_DEPTH - MAX_JSON_DEPTH):
        value = [value]
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True
    return False


async def read_body(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The request body: 413 as soon as it is over the limit (declared or received)."""
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body exceeds {limit} bytes")
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The body parsed as JSON: 400 when it is not JSON or nests too deeply."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not JSON: {error}") from error
    # A body with fewer brackets than the limit cannot nest deeper: most reports skip the depth check.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _too_deep(value):
        raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


async def read_json(request: Request, limit: int) -> Any:
    """The request body parsed as JSON: 413 over the limit, 400 when it is not JSON or nests too deeply."""
    return parse_json(await read_body(request.stream(), request.headers.get("content-length"), limit))


def _clock(state: AppState) -> tuple[datetime, timedelta]:
    return datetime.now(UTC), timedelta(seconds=state.settings.future_tolerance_seconds)


async def _stored_retry(state: AppState, organisation: str, body: Any, digest: str) -> dict[str, Any] | None:
    """The stored answer when an invalid body is a retry of an accepted one (retries are answered before the
    body is checked again)."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return None
    return await state.ingestor.stored_answer(organisation, body["id"], digest)


def _answer(outcome: Outcome) -> tuple[int, Any]:
    if outcome.error is not None:
        raise outcome.error
    return outcome.status, outcome.answer


@dataclass(frozen=True, slots=True)
class Intake:
    """One POST of reports as the HTTP edge received it: the header that authenticates it, its body as it
    arrives, and the caller's address (for the audit log)."""

    authorization: str | None
    content_length: str | None
    chunks: AsyncIterator[bytes]
    address: str | None


async def _sender(state: AppState, intake: Intake) -> tuple[Principal, str]:
    principal = await state.authenticator.authenticate(intake.authorization)
    principal.require("report")
    if principal.organisation is None:
        raise Forbidden("this token belongs to no organisation and cannot send reports")
    return principal, principal.organisation


def _checked(body: Any, raw: bytes, state: AppState) -> tuple[str, Invalid | None]:
    """The report's digest, and its 422 if it is invalid."""
    return canonical.digest(body, raw), validate_report(body, *_clock(state), limits=state.report_limits)


async def accept_report(state: AppState, intake: Intake) -> tuple[int, Any]:
    """``POST /api/v1/reports``: (status, answer) or a raised error."""
    principal, organisation = await _sender(state, intake)
    state.limits.reports.check(organisation)
    raw = await read_body(intake.chunks, intake.content_length, state.settings.max_report_bytes)
    body = parse_json(raw)
    state.limits.work.check(organisation, _object_entries(body))
    digest, invalid = _checked(body, raw, state)
    if invalid is not None:
        retry = await _stored_retry(state, organisation, body, digest)
        if retry is None:
            raise invalid
        return 200, retry
    return _answer(await state.ingestor.submit(organisation, body, digest, Caller(principal.token_id, intake.address)))


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
            valid.append((index, body, digest))
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


def _request_intake(request: Request) -> Intake:
    return Intake(request.headers.get("authorization"), request.headers.get("content-length"), request.stream(),
                  request.client.host if request.client else None)  # fmt: skip


# The two routes below document the reports API and serve it when the fast path (``api.intake``) is not in
# front, e.g. under another ASGI server; with it, requests to them never reach FastAPI.


@router.post(
    "/reports",
    status_code=201,
    summary="Push one situation report",
    openapi_extra=_body_doc(ReportIn),
    responses={
        201: {"content": {"application/json": {"schema": ANSWER_SCHEMA}}},
        200: {"description": "a retry: the stored answer"},
        **errors(400, 401, 403, 409, 413, 422, 503),
    },
)
async def post_report(
    request: Request, state: StateDep, authorization: Annotated[str | None, Header(description="Bearer <token>")] = None
) -> Response:
    status, answer = await accept_report(state, _request_intake(request))
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
    status, answer = await accept_batch(state, _request_intake(request))
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
