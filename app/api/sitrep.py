"""The situation report document (spec section 9): ``GET /api/v1/incidents/{id}/sitrep``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from app.api.deps import StateDep, Viewer
from app.api.params import IncidentId, moment
from app.api.responses import errors
from app.services import sitrep

router = APIRouter(prefix="/api/v1", tags=["partner formats"], responses=errors(401, 403, 422))


_CONTENT = {
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/markdown": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}},
}



@router.get(
    "/incidents/{incident_id}/sitrep",
    summary="The situation report of an incident (HTML, PDF, Markdown or JSON)",
    responses={**errors(404), 200: {"description": "the document, in the format asked for", "content": _CONTENT}},
)
async def get_sitrep(
    viewer: Viewer,
    incident_id: IncidentId,
    state: StateDep,
    as_of: str | None = None,
    since: str | None = None,
    format: Literal["html", "pdf", "md", "json"] = "html",  # noqa: A002 - the contract's name
) -> Response:
    """The incident as this viewer sees it, now or as known at ``as_of``, with the changes since ``since``."""
    body = await sitrep.document(
        db=state.db,
        viewer=viewer,
        window_us=state.window_us,
        incident=incident_id,
        as_of=moment("as_of", as_of),
        since=moment("since", since),
        fmt=format,
    )
    headers = {"Content-Disposition": f'inline; filename="sitrep-{incident_id}.{format}"'}
    return Response(body, media_type=sitrep.MEDIA_TYPES[format], headers=headers)
