"""Organisations and tokens (spec section 2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api import bodies
from app.api.deps import CurrentPrincipal, StateDep
from app.api.params import IncidentId, OrganisationId, TokenId
from app.api.responses import errors, json_value
from app.schemas.admin import (
    CoordinatorsSet,
    OrganisationCreate,
    OrganisationList,
    OrganisationRead,
    TokenCreate,
    TokenIssued,
)
from app.services import admin, audit, incidents
from app.services.audit import Caller
from app.services.auth import Principal

# Bodies are read by the endpoints after authentication (app.api.bodies), not by FastAPI before it.
router = APIRouter(prefix="/api/v1", tags=["organisations and tokens"])


@router.post(
    "/organisations",
    status_code=201,
    openapi_extra=bodies.documented(OrganisationCreate),
    responses=errors(400, 401, 403, 409, 413, 422),
)
async def add_organisation(request: Request, state: StateDep, principal: CurrentPrincipal) -> OrganisationRead:
    """Registers a partner organisation (admin)."""
    principal.require("admin")
    body = await bodies.parse(request, OrganisationCreate)
    return await admin.add_organisation(db=state.db, organisation=body, caller=caller(request, principal))


@router.get("/organisations", responses=errors(401, 403))
async def list_organisations(state: StateDep, principal: CurrentPrincipal) -> OrganisationList:
    """Lists the organisations (read or admin)."""
    if "admin" not in principal.roles:
        principal.require("read")
    return OrganisationList(organisations=await admin.list_organisations(db=state.db))


@router.post(
    "/organisations/{organisation_id}/tokens",
    status_code=201,
    openapi_extra=bodies.documented(TokenCreate),
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def issue_token(
    principal: CurrentPrincipal, organisation_id: OrganisationId, request: Request, state: StateDep
) -> TokenIssued:
    """Issues a token for an organisation (admin); the secret is shown once."""
    principal.require("admin")
    body = await bodies.parse(request, TokenCreate)
    return await admin.issue_token(
        db=state.db, organisation_id=organisation_id, request=body, caller=caller(request, principal)
    )


@router.delete("/tokens/{token_id}", status_code=204, responses=errors(401, 403, 404))
async def revoke_token(principal: CurrentPrincipal, token_id: TokenId, request: Request, state: StateDep) -> Response:
    """Revokes a token (admin): it fails from the next request on."""
    principal.require("admin")
    await admin.revoke_token(db=state.db, token_id=token_id, caller=caller(request, principal))
    state.authenticator.forget(token_id)
    state.hub.revoke(token_id)
    return Response(status_code=204)


@router.put(
    "/incidents/{incident_id}/coordinators",
    openapi_extra=bodies.documented(CoordinatorsSet),
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def set_coordinators(
    principal: CurrentPrincipal, incident_id: IncidentId, request: Request, state: StateDep
) -> Response:
    """Names the organisations that coordinate an incident (a coordinator with ``report``, or an admin)."""
    await incidents.may_name_coordinators(db=state.db, principal=principal, incident=incident_id,
                                          window_us=state.window_us)  # fmt: skip
    body = await bodies.parse(request, CoordinatorsSet)
    incident = await incidents.set_coordinators(
        db=state.db, principal=principal, caller=caller(request, principal), incident=incident_id,
        organisations=body.organisations, window_us=state.window_us,
    )  # fmt: skip
    return json_value(incident)


def caller(request: Request, principal: Principal) -> Caller:
    """The audit log's view of who is calling."""
    return Caller(principal.token_id, request.client.host if request.client else None)


@router.get("/audit", responses=errors(401, 403))
async def read_audit(
    state: StateDep,
    principal: CurrentPrincipal,
    after_id: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # the database's BIGINT range
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The audit log, oldest first (admin): every admin action and accepted report, hash-chained."""
    principal.require("admin")
    return json_value(await audit.read(db=state.db, after_id=after_id, limit=limit))
