"""Partner formats in (spec section 9): read the document, translate it (``app/formats``), and hand the report to
the path of ``POST /api/v1/reports`` (``reports.submit_body``), so that every answer is that route's: 201 after the
commit, 200 for a retry, 409 for a reused id, 422 with paths (here: paths in the partner's document).

Each route authenticates first, then checks the declared media type (415), then reads at most
``NETCOP_MAX_REPORT_BYTES`` (413) and parses (400 when the body is not what its media type says).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.api import reports
from app.api.deps import StateDep
from app.api.json_input import parse_json, read_body
from app.api.responses import errors, json_value
from app.errors import Invalid, UnsupportedMediaType
from app.formats import cap, cot, geojson_in
from app.formats.translation import Translation
from app.schemas.answers import ReportAnswer
from app.state import AppState

router = APIRouter(prefix="/api/v1/ingest", tags=["partner formats"])

GEOJSON_TYPES = ("application/geo+json", "application/json")
ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": ReportAnswer, "description": "the report, stored and merged"},
    200: {"model": ReportAnswer, "description": "a retry: the stored answer"},
    **errors(400, 401, 403, 409, 413, 415, 422, 429, 503),
}
Authorization = Annotated[str | None, Header(description="Bearer <token>")]
Text = Annotated[str | None, Query()]


def _body(media_types: tuple[str, ...], schema: dict[str, Any]) -> dict[str, Any]:
    content = {media_type: {"schema": schema} for media_type in media_types}
    return {"requestBody": {"required": True, "content": content}}


def require_media_type(content_type: str | None, accepted: tuple[str, ...]) -> None:
    """415 unless the body is declared as one of the accepted media types (any case; a JSON type in UTF-8)."""
    media_type, _, parameters = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    if media_type not in accepted:
        raise UnsupportedMediaType(f"the body must be sent as Content-Type: {' or '.join(accepted)}")
    charset = next((value for name, _, value in (p.partition("=") for p in parameters.split(";"))
                    if name.strip().lower() == "charset"), None)  # fmt: skip
    if "json" in media_type and charset is not None and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("JSON is UTF-8: charset must be utf-8 when it is given")


async def _ingest(state: AppState, request: Request, accepted: tuple[str, ...], translate: Any) -> Response:
    """Authenticate, check the media type, read the body, translate it, and submit the report."""
    intake = reports.request_intake(request)
    who = await reports.sender(state, intake)
    require_media_type(intake.content_type, accepted)
    raw = await read_body(intake.chunks, intake.content_length, state.settings.max_report_bytes)
    translation: Translation = translate(raw)
    status, answer = await reports.submit_body(state, who, translation.body, locate=translation.locate)
    return json_value(answer, status)


def _required(name: str, value: str | None) -> str:
    if value is None:
        raise Invalid.at(name, "is required")
    return value


@router.post(
    "/geojson",
    status_code=201,
    summary="A GeoJSON FeatureCollection as one report (feature ids as object ids)",
    openapi_extra=_body(GEOJSON_TYPES, {"type": "object"}),
    responses=ANSWERS,
)
async def ingest_geojson(
    request: Request,
    state: StateDep,
    incident: Annotated[str | None, Query(description="the incident (required)")] = None,
    observed_at: Annotated[str | None, Query(description="RFC 3339 with an offset (required)")] = None,
    id: Annotated[str | None, Query(description="the report id; default: one made of the content")] = None,  # noqa: A002
    summary: Text = None,
    visibility: Annotated[str | None, Query(description="partners (default), restricted or public")] = None,
    audience: Annotated[list[str] | None, Query(description="with restricted: organisations (repeatable)")] = None,
    authorization: Authorization = None,
) -> Response:
    """A FeatureCollection, as a GIS exports it, into one report; answers as ``POST /api/v1/reports``."""

    def translate(raw: bytes) -> Translation:
        fields = geojson_in.Fields(_required("incident", incident), _required("observed_at", observed_at), id,
                                   summary, visibility, tuple(audience or ()))  # fmt: skip
        return geojson_in.translate(parse_json(raw), fields)

    return await _ingest(state, request, GEOJSON_TYPES, translate)


@router.post(
    "/cap",
    status_code=201,
    summary="A CAP 1.2 alert (XML) as one report",
    openapi_extra=_body(cap.MEDIA_TYPES, {"type": "string", "description": "a CAP 1.2 <alert>"}),
    responses=ANSWERS,
)
async def ingest_cap(
    request: Request,
    state: StateDep,
    incident: Annotated[str | None, Query(description="the incident; default: one per alert chain")] = None,
    authorization: Authorization = None,
) -> Response:
    """A CAP 1.2 alert, valid against the OASIS schema; answers as ``POST /api/v1/reports``."""
    return await _ingest(state, request, cap.MEDIA_TYPES, lambda raw: cap.translate(cap.read(raw), incident))


@router.post(
    "/cot",
    status_code=201,
    summary="One or more Cursor-on-Target <event>s as one report (uid as object id)",
    openapi_extra=_body(cot.MEDIA_TYPES, {"type": "string", "description": "one or more CoT <event>s"}),
    responses=ANSWERS,
)
async def ingest_cot(
    request: Request,
    state: StateDep,
    incident: Annotated[str | None, Query(description="the incident (required)")] = None,
    id: Annotated[str | None, Query(description="the report id; default: one made of the content")] = None,  # noqa: A002
    visibility: Annotated[str | None, Query(description="partners (default), restricted or public")] = None,
    audience: Annotated[list[str] | None, Query(description="with restricted: organisations (repeatable)")] = None,
    authorization: Authorization = None,
) -> Response:
    """Cursor-on-Target events as TAK clients send them; answers as ``POST /api/v1/reports``."""

    def translate(raw: bytes) -> Translation:
        fields = cot.Fields(_required("incident", incident), id, visibility, tuple(audience or ()))
        return cot.translate(cot.read(raw), fields)

    return await _ingest(state, request, cot.MEDIA_TYPES, translate)
