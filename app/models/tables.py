"""The tables. The report log (``reports``) is the source of truth; everything else is derived from it in the
same transaction and can be rebuilt (``netcop verify``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, MetaData, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[int] = mapped_column(BigInteger)


class Token(Base):
    """An API token; only the SHA-256 of the secret is kept."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    roles: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class Sequence(Base):
    """One row: the last seq handed out. Taking the next seq locks this row until commit, which puts seqs in
    commit order without gaps (see README, design notes)."""

    __tablename__ = "sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_received_at: Mapped[int] = mapped_column(BigInteger)


class Report(Base):
    """The append-only report log, which is also the change log: one row per accepted report."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("uq_reports_organisation_report", "organisation_id", "report_id", unique=True),
        Index("ix_reports_incident_seq", "incident_id", "seq"),
        Index("ix_reports_organisation_seq", "organisation_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organisation_id: Mapped[str] = mapped_column(String(63))
    report_id: Mapped[str] = mapped_column(String(800))
    incident_id: Mapped[str] = mapped_column(String(63))
    visibility: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)


class ReportAudience(Base):
    """Who, besides its sender, may see a restricted report."""

    __tablename__ = "report_audience"
    __table_args__ = (Index("ix_report_audience_organisation_seq", "organisation_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), primary_key=True)


class Incident(Base):
    """An incident's merge facts (from ``incident_info``); its per-viewer fields are rendered on read."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    facts: Mapped[str] = mapped_column(Text)
    # Who may set its fields (a JSON list of organisation ids): the creator, then whom a coordinator names.
    coordinators: Mapped[str] = mapped_column(Text, server_default="[]")
    # Fixed by the report that created it.
    exercise: Mapped[bool] = mapped_column(Boolean, server_default=false())


class IncidentActivity(Base):
    """Who reported about an incident, seen by whom, and when: kept by the writer so that an incident's summary
    (organisations involved, first and last report, last seq) is read from a few rows instead of its whole log.

    One row per incident, sender and audience: ``audience`` is empty for reports every partner may see, and for a
    restricted report its audience as ``,a,b,`` (sorted, delimited so that ``LIKE '%,a,%'`` finds a member)."""

    __tablename__ = "incident_activity"

    incident_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    audience: Mapped[str] = mapped_column(Text, primary_key=True)
    first_received: Mapped[int] = mapped_column(BigInteger)
    last_received: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class IncidentCheckpoint(Base):
    """An incident's whole state (every object's facts and renderings, the incident's facts) right after one of
    its reports: an ``as_of`` read replays from the nearest one instead of from the incident's first report.
    Written by the reads that replay past ``CHECKPOINT_EVERY`` reports; derived, so it can always be dropped."""

    __tablename__ = "incident_checkpoints"

    incident_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(Text)


class Object(Base):
    """An object's merge facts and its rendering for viewers who see no restricted report about it."""

    __tablename__ = "objects"

    incident_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    id: Mapped[str] = mapped_column(String(800), primary_key=True)
    facts: Mapped[str] = mapped_column(Text)
    public_json: Mapped[str | None] = mapped_column(Text)
    public_seq: Mapped[int | None] = mapped_column(BigInteger)
    public_kind: Mapped[str | None] = mapped_column(String(63))
    public_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)


class ObjectView(Base):
    """An object as one organisation sees it, kept for the organisations that may see a restricted report about
    it (the others see ``objects.public_json``)."""

    __tablename__ = "object_views"
    __table_args__ = (Index("ix_object_views_organisation_incident", "organisation_id", "incident_id"),)

    incident_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(800), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    json: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str | None] = mapped_column(String(63))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class ChangeObject(Base):
    """One object's new state in one change, with the audience that sees that state.

    ``audience`` is "*" (everyone), "-a,b" (everyone but a and b, who see their own view) or "+a,b"
    (only a and b)."""

    __tablename__ = "change_objects"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(String(800))
    audience: Mapped[str] = mapped_column(Text)
    json: Mapped[str] = mapped_column(Text)


class ReportObject(Base):
    """Which reports mention which object: the index behind an object's history."""

    __tablename__ = "report_objects"
    __table_args__ = (Index("ix_report_objects_seq", "seq"),)

    incident_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(800), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class AuditEntry(Base):
    """The audit log: every admin action and every accepted report, append-only, each entry chained to the
    previous one by a SHA-256 hash (``netcop verify`` checks the chain)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[str | None] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(900))
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last audit entry's id and hash. Appending locks it, which orders the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
