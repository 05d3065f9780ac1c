"""Organisations and tokens: the admin use cases (the API's and the command line's)."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.domain.timefmt import now_micros
from app.errors import Conflict, NotFound
from app.repositories import organisations as repo
from app.repositories import reports as reports_repo
from app.schemas.admin import OrganisationCreate, OrganisationRead, TokenCreate, TokenIssued
from app.services import audit, auth
from app.services.audit import Caller


async def add_organisation(*, db: Database, organisation: OrganisationCreate, caller: Caller) -> OrganisationRead:
    """Registers an organisation; 409 when its id exists."""
    try:
        async with db.write() as conn:
            if await repo.get_organisation(conn, organisation.id) is not None:
                raise Conflict(f"organisation '{organisation.id}' exists")
            await repo.add_organisation(conn, organisation.model_dump() | {"created_at": now_micros()})
            await audit.record(conn, caller, "organisation.created", organisation.id, organisation=organisation.id)
    except IntegrityError as error:
        raise Conflict(f"organisation '{organisation.id}' exists") from error
    return OrganisationRead(**organisation.model_dump())


async def list_organisations(*, db: Database) -> list[OrganisationRead]:
    async with db.read() as conn:
        rows = await repo.list_organisations(conn)
    return [
        OrganisationRead(id=r["id"], name=r["name"], discipline=r["discipline"], country=r["country"]) for r in rows
    ]


async def issue_token(*, db: Database, organisation_id: str, request: TokenCreate, caller: Caller) -> TokenIssued:
    """Issues a token for an organisation; the secret is returned once and only its hash is kept."""
    secret = auth.new_secret()
    token_id = "tok_" + secrets.token_hex(8)
    roles = sorted(set(request.roles))
    async with db.write() as conn:
        if await repo.get_organisation(conn, organisation_id) is None:
            raise NotFound(f"no organisation '{organisation_id}'")
        await repo.add_token(
            conn,
            {
                "id": token_id,
                "organisation_id": organisation_id,
                "roles": ",".join(roles),
                "label": request.label,
                "secret_hash": auth.hash_secret(secret),
                "created_at": now_micros(),
            },
        )
        await audit.record(conn, caller, "token.issued", token_id, organisation=organisation_id, roles=roles)
    return TokenIssued(token=secret, id=token_id, roles=roles, organisation=organisation_id, label=request.label)


async def revoke_token(*, db: Database, token_id: str, caller: Caller) -> None:
    """Revokes a token; 404 when there is no live token with that id."""
    async with db.write() as conn:
        if not await repo.revoke_token(conn, token_id, now_micros()):
            raise NotFound(f"no live token '{token_id}'")
        await reports_repo.notify(conn, "netcop_revoked", token_id)
        await audit.record(conn, caller, "token.revoked", token_id)
