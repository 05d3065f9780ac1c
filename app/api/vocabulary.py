"""The one vocabulary (spec section 9): kinds, properties and incident categories with nl, en and de labels, and
the kinds on the caller's picture that it does not list."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from app.api.deps import StateDep, Viewer
from app.api.responses import errors, json_bytes
from app.formats import vocabulary
from app.services import kinds

router = APIRouter(prefix="/api/v1", tags=["partner formats"], responses=errors(401, 403))

_DOCUMENT = vocabulary.document_bytes()


@router.get("/vocabulary", summary="Kinds, properties and categories with Dutch, English and German labels")
async def get_vocabulary(viewer: Viewer, state: StateDep) -> Response:
    """The vocabulary every adapter maps onto (role ``read``), with ``unlisted_kinds``: the kinds of the objects
    the caller sees that it does not list (kept as sent)."""
    unlisted = await kinds.unlisted_kinds(db=state.db, viewer=viewer)
    return json_bytes(_DOCUMENT[:-1] + b',"unlisted_kinds":' + orjson.dumps(unlisted) + b"}")
