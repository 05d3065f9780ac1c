"""Organisations and tokens on the wire (spec section 2)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import SLUG_PATTERN, Slug

Discipline = Literal[
    "police", "fire", "medical", "population-care", "water", "defence", "infrastructure", "national", "other"
]
Role = Literal["report", "read", "admin"]
# Refused alike on both databases (PostgreSQL cannot store NUL in text).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)]
    discipline: Discipline
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class OrganisationRead(BaseModel):
    id: str
    name: str
    discipline: str
    country: str


class OrganisationList(BaseModel):
    organisations: list[OrganisationRead]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    roles: Annotated[list[Role], Field(min_length=1, max_length=3)]
    label: Annotated[str, Field(max_length=200, pattern=NO_CONTROL_CHARACTERS)] | None = None


class TokenIssued(BaseModel):
    token: str = Field(description="the secret: shown once, store it now")
    id: str
    roles: list[Role]
    organisation: str
    label: str | None = None


class CoordinatorsSet(BaseModel):
    """The organisations that coordinate an incident (spec section 1): they alone set its fields."""

    model_config = ConfigDict(extra="forbid", strict=True)

    organisations: Annotated[list[Slug], Field(min_length=1, max_length=50)]
