"""Path and query parameters checked before any look-up.

An id that cannot exist (a NUL, which PostgreSQL cannot even hold in text, or anything else outside the id's
form) is answered without asking the database: 404 in a path (nothing has that name), 422 at the parameter in a
query (a filter that can match nothing is a mistake worth hearing about). Both databases answer alike.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query

from app.domain.timefmt import parse_rfc3339, to_micros
from app.errors import Invalid, NotFound
from app.schemas.common import SLUG_PATTERN, is_printable_id

_SLUG = re.compile(SLUG_PATTERN)
_TOKEN_ID = re.compile(r"^tok_[0-9a-f]{16}$")


async def _incident_in_path(incident_id: str) -> str:
    if _SLUG.fullmatch(incident_id) is None:
        raise NotFound(f"no incident {incident_id!r}")
    return incident_id


async def _object_in_path(object_id: str) -> str:
    if not is_printable_id(object_id):
        raise NotFound(f"no object {object_id!r}")
    return object_id


async def _organisation_in_path(organisation_id: str) -> str:
    if _SLUG.fullmatch(organisation_id) is None:
        raise NotFound(f"no organisation {organisation_id!r}")
    return organisation_id


async def _token_in_path(token_id: str) -> str:
    if _TOKEN_ID.fullmatch(token_id) is None:
        raise NotFound(f"no live token {token_id!r}")
    return token_id


IncidentId = Annotated[str, Depends(_incident_in_path)]
ObjectId = Annotated[str, Depends(_object_in_path)]
OrganisationId = Annotated[str, Depends(_organisation_in_path)]
TokenId = Annotated[str, Depends(_token_in_path)]

# Filters by an incident, organisation or category id: the id's own form, or 422 at the parameter.
SlugFilter = Annotated[str | None, Query(pattern=SLUG_PATTERN)]
SlugsFilter = Annotated[list[str] | None, Query()]


def slugs(name: str, values: list[str] | None) -> tuple[str, ...]:
    """Repeatable or comma-separated ids (``kind=a,b&kind=c``), each in the id's form (422 at ``name`` if not)."""
    found = tuple(v for value in values or () for v in value.split(",") if v)
    for value in found:
        if _SLUG.fullmatch(value) is None:
            raise Invalid.at(name, f"{value!r} is not an id (lower-case letters, digits and '-', 2..63)")
    return found


def moment(name: str, value: str | None) -> int | None:
    """An RFC 3339 moment in a query (``as_of``, ``since``) as microseconds; 422 at ``name`` if it is not one."""
    if value is None:
        return None
    try:
        return to_micros(parse_rfc3339(value))
    except ValueError as error:
        raise Invalid.at(name, str(error)) from error
