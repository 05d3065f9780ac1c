"""Organisations and tokens (spec section 2)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import CurrentPrincipal, StateDep
from app.api.responses import errors
from app.schemas.admin import OrganisationCreate, OrganisationList, OrganisationRead, TokenCreate, TokenIssued
from app.services import admin

router = APIRouter(prefix="/api/v1", tags=["organisations and tokens"])


@router.post("/organisations", status_code=201, responses=errors(401, 403, 409, 422))
async def add_organisation(body: OrganisationCreate, state: StateDep, principal: CurrentPrincipal) -> OrganisationRead:
    """Registers a partner organisation (admin)."""
    principal.require("admin")
    return await admin.add_organisation(db=state.db, organisation=body)


@router.get("/organisations", responses=errors(401, 403))
async def list_organisations(state: StateDep, principal: CurrentPrincipal) -> OrganisationList:
    """Lists the organisations (read or admin)."""
    if "admin" not in principal.roles:
        principal.require("read")
    return OrganisationList(organisations=await admin.list_organisations(db=state.db))


@router.post("/organisations/{organisation_id}/tokens", status_code=201, responses=errors(401, 403, 404, 422))
async def issue_token(
    organisation_id: str, body: TokenCreate, state: StateDep, principal: CurrentPrincipal
) -> TokenIssued:
    """Issues a token for an organisation (admin); the secret is shown once."""
    principal.require("admin")
    return await admin.issue_token(db=state.db, organisation_id=organisation_id, request=body)


@router.delete("/tokens/{token_id}", status_code=204, responses=errors(401, 403, 404))
async def revoke_token(token_id: str, state: StateDep, principal: CurrentPrincipal) -> Response:
    """Revokes a token (admin): it fails from the next request on."""
    principal.require("admin")
    await admin.revoke_token(db=state.db, token_id=token_id)
    state.authenticator.forget(token_id)
    state.hub.revoke(token_id)
    return Response(status_code=204)
