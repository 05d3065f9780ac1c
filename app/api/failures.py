"""What an unexpected exception means for the caller: the one mapping that FastAPI's handlers and the report
fast path (``api.intake``) share."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import ClientDisconnect

from app.db import is_unreachable
from app.errors import BadRequest, Invalid, NetcopError, Unavailable

log = logging.getLogger(__name__)

# PostgreSQL cannot store a NUL in text: invalid byte sequence, untranslatable character.
NUL_SQLSTATES = ("22021", "22P05")


def netcop_error(error: Exception) -> NetcopError:
    """The error to answer for an exception that is not a ``NetcopError`` (logged when it is a bug)."""
    if isinstance(error, ClientDisconnect):  # the client (or the HTTP edge, for a slow one) closed the connection
        return BadRequest("the client went away before its request was complete")
    if isinstance(error, OperationalError):
        log.warning("database unavailable: %s", error.orig)
        return Unavailable("the database cannot be reached")
    if isinstance(error, DBAPIError):
        if is_unreachable(error):
            return Unavailable("the database cannot be reached")
        if getattr(error.orig, "sqlstate", None) in NUL_SQLSTATES:
            return Invalid.at("$", "text must not contain NUL (\\u0000) characters")
        log.exception("database error")
        return NetcopError("internal error")
    if isinstance(error, OSError):  # asyncpg's refused connect
        log.warning("database unreachable: %r", error)
        return Unavailable("the database cannot be reached")
    log.exception("unexpected error")
    return NetcopError("internal error")
