"""Federation links (spec section 9): an admin links this instance to peers and watches the links' health."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.api import bodies
from app.api.admin import caller
from app.api.deps import CurrentPrincipal, StateDep
from app.api.responses import errors
from app.errors import NotFound
from app.federation import links
from app.federation.schemas import LinkCreate, LinkList, LinkRead
from app.schemas.common import SLUG_PATTERN

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])
_SLUG = re.compile(SLUG_PATTERN)


async def _link_in_path(link_id: str) -> str:
    if _SLUG.fullmatch(link_id) is None:
        raise NotFound(f"no link {link_id!r}")
    return link_id


LinkId = Annotated[str, Depends(_link_in_path)]


@router.post(
    "/links",
    status_code=201,
    openapi_extra=bodies.documented(LinkCreate),
    responses=errors(400, 401, 403, 409, 413, 422),
)
async def create_link(request: Request, state: StateDep, principal: CurrentPrincipal) -> LinkRead:
    """Links this instance to a peer (admin): its reports that the link allows are pushed there."""
    principal.require("admin")
    body = await bodies.parse(request, LinkCreate)
    return await links.create_link(db=state.db, settings=state.settings, link=body,
                                   caller=caller(request, principal))  # fmt: skip


@router.get("/links", responses=errors(401, 403))
async def list_links(state: StateDep, principal: CurrentPrincipal) -> LinkList:
    """The links with their state, acknowledged seq, lag and last error (admin)."""
    principal.require("admin")
    return await links.list_links(db=state.db)


@router.delete("/links/{link_id}", status_code=204, responses=errors(401, 403, 404))
async def delete_link(principal: CurrentPrincipal, link_id: LinkId, request: Request, state: StateDep) -> Response:
    """Deletes a link (admin): nothing more is pushed over it."""
    principal.require("admin")
    await links.delete_link(db=state.db, link_id=link_id, caller=caller(request, principal))
    return Response(status_code=204)
