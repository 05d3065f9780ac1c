"""ORM tables: a leaf package that imports nothing above it.

Times are stored as integer microseconds since the Unix epoch (UTC): exact, portable between SQLite and
PostgreSQL, and cheap to compare. JSON documents are stored as text produced by orjson, so that a stored
rendering can be spliced into an answer without being parsed again.
"""

from app.models.tables import (
    AuditEntry,
    AuditHead,
    Base,
    ChangeObject,
    Incident,
    IncidentActivity,
    IncidentCheckpoint,
    Object,
    ObjectView,
    Organisation,
    Report,
    ReportAudience,
    ReportObject,
    Sequence,
    Token,
)

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Base",
    "ChangeObject",
    "Incident",
    "IncidentActivity",
    "IncidentCheckpoint",
    "Object",
    "ObjectView",
    "Organisation",
    "Report",
    "ReportAudience",
    "ReportObject",
    "Sequence",
    "Token",
]
