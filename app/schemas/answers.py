"""What the API answers, as named models for the OpenAPI document (spec sections 3 and 6), so that generated
clients get typed values. The answers themselves are written as already-encoded JSON (objects are rendered once,
when their report is merged); these models describe that JSON and are never used to build it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReportAnswer(BaseModel):
    """A stored report: ``201`` when it was stored now, ``200`` for a retry of the same id and body."""

    id: str
    organisation: str
    incident: str
    seq: int = Field(description="its place in the log: gap-free, in commit order")
    received_at: str = Field(json_schema_extra={"format": "date-time"})
    changed: list[str] = Field(description="the objects whose picture it changed")


class Assertion(BaseModel):
    """Who asserted a value, and when."""

    organisation: str
    report: str
    observed_at: str = Field(json_schema_extra={"format": "date-time"})


class ConflictValue(Assertion):
    value: Any


class Conflict(BaseModel):
    """Organisations that disagree about a property within the conflict window (spec section 4)."""

    property: str
    values: list[ConflictValue]


class PictureObject(BaseModel):
    """An object as one viewer sees it (spec section 6)."""

    incident: str
    id: str
    kind: str | None
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry, WGS 84 lon/lat")
    properties: dict[str, Any]
    removed: bool
    seq: int | None = Field(description="the change that last changed it for this viewer")
    updated_at: str | None
    provenance: dict[str, Assertion] = Field(description="per property (and kind, geometry, removed): who said it")
    conflicts: list[Conflict]


class Picture(BaseModel):
    """An incident's picture, now (``as_of`` null) or as known at ``as_of``."""

    incident: str
    seq: int = Field(description="the log position the answer is consistent with")
    as_of: str | None
    objects: list[PictureObject]


class CombinedPicture(BaseModel):
    """Every visible object of the active incidents (``GET /picture``)."""

    seq: int = Field(description="the log position the answer is consistent with")
    objects: list[PictureObject]


class ObjectWithHistory(PictureObject):
    """One object; with ``history=true`` also every visible assertion about it, newest first."""

    history: list[dict[str, Any]] | None = Field(default=None, description="only with history=true")


class Incident(BaseModel):
    """An incident as one viewer sees it (spec section 6)."""

    id: str
    title: str | None
    category: str | None
    status: str
    grip: int | str | None
    exercise: bool
    coordinators: list[str]
    created_at: str
    updated_at: str
    seq: int
    object_count: int
    organisations: list[str]


class IncidentList(BaseModel):
    incidents: list[Incident]


class ReportPage(BaseModel):
    """Visible reports as sent, with organisation, seq and received_at; page on with ``after_seq=last_seq``."""

    reports: list[dict[str, Any]]
    last_seq: int


class ChangeEntry(BaseModel):
    seq: int
    incident: str
    report: dict[str, str]
    objects: list[PictureObject]


class ChangePage(BaseModel):
    """The changes this viewer saw, in seq order; page on with ``after_seq=last_seq``."""

    changes: list[ChangeEntry]
    last_seq: int


FEATURE_COLLECTION: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": {"type": "object"}}},
}
