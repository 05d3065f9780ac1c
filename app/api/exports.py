"""The public outputs (spec section 9): an incident's ``public`` objects as a CAP 1.2 alert."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.deps import StateDep, Viewer
from app.api.params import IncidentId
from app.api.responses import errors
from app.formats import cap_out
from app.services import public

router = APIRouter(prefix="/api/v1", tags=["partner formats"], responses=errors(401, 403, 404, 422))

_CAP: dict[int | str, dict[str, Any]] = {
    200: {"description": "a CAP 1.2 alert", "content": {cap_out.MEDIA_TYPE: {"schema": {"type": "string"}}}}
}
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


@router.get("/incidents/{incident_id}/cap", response_class=Response, responses=_CAP,
            summary="A CAP 1.2 alert of the incident's public objects")  # fmt: skip
async def incident_cap(viewer: Viewer, incident_id: IncidentId, state: StateDep, request: Request) -> Response:
    """The merge of the incident's ``public`` reports as one CAP alert, one info/area per drawable object."""
    source = await public.cap_source(db=state.db, viewer=viewer, incident=incident_id, window_us=state.window_us)
    return Response(cap_out.alert(source, _sender(request)), media_type=cap_out.MEDIA_TYPE)


def _sender(request: Request) -> str:
    """The alert's sender: this service, named by the host the reader asked."""
    host = request.url.hostname or ""
    return f"netcop@{host if _HOST.match(host) else 'localhost'}"
