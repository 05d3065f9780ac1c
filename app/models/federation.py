"""The federation links table (its own module: the link runner's state, beside the report log it follows)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.tables import Base


class FederationLink(Base):
    """A link that pushes this instance's reports to a peer instance, and how far it got.

    ``token`` is the peer's report token, sealed (``app.federation.sealing``). ``last_acked_seq`` is the seq of
    this instance's log up to which every report the link allows was answered by the peer (accepted, a retry, or
    refused for good); ``checked_at`` is when the process running the link last looked at it (a link nobody
    looked at for a minute is reported ``down``)."""

    __tablename__ = "federation_links"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    token: Mapped[str] = mapped_column(Text)
    incidents: Mapped[str] = mapped_column(Text)
    visibilities: Mapped[str] = mapped_column(String(64))
    peer_organisation: Mapped[str | None] = mapped_column(String(63))
    created_at: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), server_default="retrying")
    last_acked_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[int | None] = mapped_column(BigInteger)
    checked_at: Mapped[int | None] = mapped_column(BigInteger)
    contact_at: Mapped[int | None] = mapped_column(BigInteger)
    forwarded_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refused_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
