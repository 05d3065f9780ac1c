"""Dependencies shared by the endpoints: the service state and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.services.auth import Principal
from app.state import AppState


async def get_state(request: Request) -> AppState:  # async: a plain def would hop to a thread per request
    state: AppState = request.app.state.netcop
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_principal(
    state: StateDep, authorization: Annotated[str | None, Header(description="Bearer <token>")] = None
) -> Principal:
    return await state.authenticator.authenticate(authorization)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_viewer(principal: CurrentPrincipal) -> str:
    return principal.viewer()


Viewer = Annotated[str, Depends(get_viewer)]
