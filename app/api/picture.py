"""Reading the picture (spec section 6)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api import params
from app.api.deps import StateDep, Viewer
from app.api.params import IncidentId, ObjectId, SlugFilter, SlugsFilter, slugs
from app.api.responses import JsonParts, errors, json_bytes, json_value
from app.domain import geojson
from app.errors import Invalid
from app.schemas.answers import (
    FEATURE_COLLECTION,
    ChangePage,
    CombinedPicture,
    Incident,
    IncidentList,
    ObjectWithHistory,
    Picture,
    ReportPage,
)
from app.services import incidents, logs, reading
from app.services.reading import ObjectFilter

router = APIRouter(prefix="/api/v1", tags=["picture"], responses=errors(401, 403, 422))

Limit = Annotated[int, Query(ge=1, le=1000)]
AfterSeq = Annotated[int, Query(ge=0, le=2**63 - 1)]  # the database's BIGINT range
Kinds = Annotated[list[str] | None, Query(description="repeatable, or comma-separated")]


def _bbox(text: str | None) -> geojson.Bbox | None:
    if text is None:
        return None
    try:
        return geojson.parse_bbox(text)
    except ValueError as error:
        raise Invalid.at("bbox", str(error)) from error



def _kinds(values: list[str] | None) -> tuple[str, ...]:
    return slugs("kind", values)


@router.get("/incidents", responses={200: {"model": IncidentList}})
async def list_incidents(
    state: StateDep,
    viewer: Viewer,
    status: Literal["active", "scaled-down", "closed"] | None = None,
    category: SlugFilter = None,
    bbox: str | None = None,
) -> Response:
    """The incidents this viewer may see."""
    found = await incidents.list_incidents(
        db=state.db, viewer=viewer, window_us=state.window_us, status=status, category=category, bbox=_bbox(bbox)
    )
    return json_value({"incidents": found})


@router.get("/incidents/{incident_id}", responses={200: {"model": Incident}, **errors(404)})
async def get_incident(viewer: Viewer, incident_id: IncidentId, state: StateDep) -> Response:
    """One incident."""
    found = await incidents.get_incident(db=state.db, viewer=viewer, window_us=state.window_us, incident=incident_id)
    return json_value(found)


@router.get("/incidents/{incident_id}/picture", responses={200: {"model": Picture}, **errors(404)})
async def incident_picture(
    viewer: Viewer,
    incident_id: IncidentId,
    state: StateDep,
    as_of: str | None = None,
    kind: Kinds = None,
    include_removed: bool = False,
) -> Response:
    """The incident's merged picture: now, or as known at ``as_of``."""
    flt = ObjectFilter(kinds=_kinds(kind), include_removed=include_removed)
    moment = params.moment("as_of", as_of)
    if moment is None:
        parts = await reading.incident_picture_parts(
            db=state.db, viewer=viewer, incident=incident_id, flt=flt, cache=state.pictures
        )
        return JsonParts(parts)
    body = await reading.incident_picture(
        db=state.db, viewer=viewer, incident=incident_id, flt=flt, as_of=moment, window_us=state.window_us
    )
    return json_bytes(body)


@router.get(
    "/picture",
    responses={200: {"model": CombinedPicture, "content": {"application/geo+json": {"schema": FEATURE_COLLECTION}}}},
)
async def combined_picture(
    state: StateDep,
    viewer: Viewer,
    bbox: str | None = None,
    kind: Kinds = None,
    incident: SlugsFilter = None,
    exercise: bool = False,
    format: Literal["json", "geojson"] = "json",  # noqa: A002 - the contract's name
) -> Response:
    """Every visible object of active incidents; exercises only (and never mixed in) with ``exercise=true``."""
    body = await incidents.combined_picture(
        db=state.db,
        viewer=viewer,
        window_us=state.window_us,
        flt=ObjectFilter(kinds=_kinds(kind), bbox=_bbox(bbox)),
        incidents=slugs("incident", incident),
        exercise=exercise,
        as_geojson=format == "geojson",
    )
    return Response(body, media_type="application/geo+json" if format == "geojson" else "application/json")


@router.get(
    "/incidents/{incident_id}/objects/{object_id:path}", responses={200: {"model": ObjectWithHistory}, **errors(404)}
)
async def get_object(
    viewer: Viewer, incident_id: IncidentId, object_id: ObjectId, state: StateDep, history: bool = False
) -> Response:
    """One object; with ``history=true`` also its assertions, newest first."""
    body = await reading.get_object(
        db=state.db, viewer=viewer, incident=incident_id, object_id=object_id, history=history
    )
    return json_bytes(body)


@router.get("/reports", responses={200: {"model": ReportPage}})
async def list_reports(
    state: StateDep,
    viewer: Viewer,
    incident: SlugFilter = None,
    organisation: SlugFilter = None,
    after_seq: AfterSeq = 0,
    limit: Limit = 100,
) -> Response:
    """Visible reports as sent, in seq order; page on with ``after_seq=last_seq``."""
    page = await logs.list_reports(
        db=state.db, viewer=viewer, after_seq=after_seq, limit=limit, incident=incident, organisation=organisation
    )
    return json_value(page)


@router.get("/changes", responses={200: {"model": ChangePage}})
async def list_changes(
    state: StateDep, viewer: Viewer, after_seq: AfterSeq = 0, incident: SlugFilter = None, limit: Limit = 100
) -> Response:
    """The changes this viewer saw, in seq order; page on with ``after_seq=last_seq``."""
    body = await logs.list_changes(db=state.db, viewer=viewer, after_seq=after_seq, limit=limit, incident=incident)
    return json_bytes(body)
