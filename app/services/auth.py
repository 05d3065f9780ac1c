"""Who is calling: tokens, roles and the cache in front of the token table.

A token is ``ncp_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a token
of that entropy needs no slow hash, and looking it up by hash means the secret is never compared byte by byte
(the admin token from the environment is compared with ``hmac.compare_digest``).

Looked-up tokens are cached for ``token_cache_seconds`` (default 5 s) so that the hot path does not pay a
query per request, and concurrent requests share one lookup. Revoking a token clears it from this process's
cache at once and, through PostgreSQL ``NOTIFY netcop_revoked``, from the other processes' caches within
milliseconds; should that signal be lost, the cache entry expires after ``token_cache_seconds``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from app.config import Settings
from app.db import Database
from app.errors import Forbidden, Unauthorized
from app.repositories import organisations as repo

ROLES = ("report", "read", "admin")
TOKEN_PREFIX = "ncp_"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    token_id: str
    organisation: str | None
    roles: frozenset[str]

    def require(self, role: str) -> None:
        if role not in self.roles:
            raise Forbidden(f"this token lacks the '{role}' role")

    def viewer(self) -> str:
        """The organisation whose picture this caller reads."""
        self.require("read")
        if self.organisation is None:
            raise Forbidden("this token belongs to no organisation and cannot read the picture")
        return self.organisation


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Authenticator:
    """Resolves bearer tokens to principals."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._admin_token = settings.admin_token
        self._ttl = settings.token_cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lookups: dict[str, asyncio.Future[Principal]] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer ...`` header; 401 when there is none or it is invalid."""
        secret = _bearer(authorization)
        if self._admin_token is not None and hmac.compare_digest(secret.encode(), self._admin_token.encode()):
            return Principal("admin", None, frozenset({"admin"}))
        return await self.principal_for_secret(secret)

    async def principal_for_secret(self, secret: str) -> Principal:
        digest = hash_secret(secret)
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        pending = self._lookups.get(digest)
        if pending is None:  # one lookup per token at a time, however many requests wait for it
            pending = self._lookups[digest] = asyncio.ensure_future(self._look_up(digest))
            pending.add_done_callback(lambda _: self._lookups.pop(digest, None))
        return await asyncio.shield(pending)

    async def _look_up(self, digest: str) -> Principal:
        async with self._db.read() as conn:
            row = await repo.token_by_hash(conn, digest)
        if row is None:
            self._cache.pop(digest, None)
            raise Unauthorized("invalid or revoked token")
        principal = Principal(row["id"], row["organisation_id"], frozenset(row["roles"].split(",")))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self._ttl, principal)
        return principal

    def forget(self, token_id: str) -> None:
        """Drops a revoked token from the cache."""
        for digest, (_, principal) in list(self._cache.items()):
            if principal.token_id == token_id:
                del self._cache[digest]


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing Authorization header (Bearer token)")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return secret.strip()
