"""Federation links on the wire (spec section 9, "Federation links")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.admin import NO_CONTROL_CHARACTERS
from app.schemas.common import Slug

Visibility = Literal["partners", "public", "restricted"]
State = Literal["up", "retrying", "down"]


class LinkCreate(BaseModel):
    """A link to a peer: where it is, the report token the peer issued to this instance, and what may leave."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Slug
    url: Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_CONTROL_CHARACTERS)]
    token: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[\x21-\x7e]+$")]
    incidents: Literal["*"] | Annotated[list[Slug], Field(min_length=1, max_length=1000)]
    visibilities: Annotated[list[Visibility], Field(min_length=1, max_length=3)] = ["partners", "public"]
    peer_organisation: Slug | None = Field(
        default=None,
        description="the organisation of this instance that the peer pushes as, if it does: its reports are "
        "never sent back (nor onwards over any link)",
    )


class LinkRead(BaseModel):
    """A link and its health; never its token."""

    id: str
    url: str
    incidents: Literal["*"] | list[str]
    visibilities: list[str]
    peer_organisation: str | None
    state: State
    last_acked_seq: int
    lag_reports: int
    lag_seconds: float
    last_error: str | None
    last_error_at: str | None
    forwarded_reports: int
    refused_reports: int
    created_at: str


class LinkList(BaseModel):
    links: list[LinkRead]
