"""The one vocabulary (spec section 9): kinds, properties and incident categories with nl, en and de labels."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import Viewer
from app.api.responses import errors, json_bytes
from app.formats import vocabulary

router = APIRouter(prefix="/api/v1", tags=["partner formats"], responses=errors(401, 403))

_DOCUMENT = vocabulary.document_bytes()


@router.get("/vocabulary", summary="Kinds, properties and categories with Dutch, English and German labels")
async def get_vocabulary(viewer: Viewer) -> Response:
    """The vocabulary every adapter maps onto (role ``read``)."""
    return json_bytes(_DOCUMENT)
