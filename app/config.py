"""Settings: the only reader of the environment (prefix NETCOP_)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var/netcop.db")


class Settings(BaseSettings):
    """Everything netcop can be configured with; unsafe values are refused at start."""

    model_config = SettingsConfigDict(env_prefix="NETCOP_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql+asyncpg://... ; empty: an embedded SQLite file"
    )
    sqlite_path: Path = DEFAULT_SQLITE_PATH
    admin_token: str | None = Field(default=None, description="the server's own admin token (admin role only)")
    allowed_origins: str = ""
    ogc_query_token: bool = Field(
        default=False,
        description="/ogc also takes the token in an access_token query parameter (desktop GIS); it leaks into URLs",
    )
    dashboard_tile_url: str = Field(
        default="", description="a tile URL template ({z}/{x}/{y}) for the dashboard's map; none: offline outlines"
    )
    conflict_window_seconds: float = Field(default=900.0, gt=0)
    max_report_bytes: int = Field(default=1024 * 1024, gt=0)
    max_batch_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    max_batch_reports: int = Field(default=1000, gt=0, le=10_000)
    future_tolerance_seconds: float = Field(default=300.0, ge=0)
    ingest_batch_limit: int = Field(default=500, gt=0, description="reports committed together at most")
    ingest_group_work: int = Field(default=2000, gt=0, description="object entries committed together at most")
    writer_cache_objects: int = Field(default=50_000, ge=0, description="object states the writer keeps")
    writer_cache_incidents: int = Field(default=100_000, ge=0, description="incident states the writer keeps")
    max_object_properties: int = Field(default=1000, gt=0, description="properties in one object entry")
    max_object_bytes: int = Field(default=1024 * 1024, gt=0, description="an object's merged state, as JSON")
    max_audience: int = Field(default=500, gt=0, description="organisations in a restricted report's audience")
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    db_pool_size: int = Field(default=10, gt=0)
    db_timeout_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "info"
    max_head_bytes: int = Field(default=32 * 1024, ge=4096, description="request line and headers (431 beyond)")
    head_timeout_seconds: float = Field(default=10.0, gt=0, description="to send a request's line and headers")
    body_timeout_seconds: float = Field(default=60.0, gt=0, description="to send a request's body after its head")
    max_connections: int = Field(
        default=10_000, gt=0, description="open connections of this process, streams included (503 beyond)"
    )
    max_connections_per_address: int = Field(
        default=1_000, gt=0, description="open connections from one client address (503 beyond; proxies exempt)"
    )
    max_pending_handshakes: int = Field(
        default=256, gt=0, description="streams opened but not yet authenticated (503 beyond)"
    )
    forwarded_allow_ips: str = Field(
        default="", description="proxies whose X-Forwarded-For/-Proto are trusted (comma-separated); none by default"
    )
    request_timeout_seconds: float = Field(default=30.0, gt=0, description="an HTTP request's time limit (503)")
    report_rate_per_organisation: float = Field(default=1000.0, gt=0, description="reports/s per process")
    report_burst_per_organisation: float = Field(default=20_000.0, ge=1000, description="reports at once")
    work_rate_per_organisation: float = Field(default=5_000.0, gt=0, description="object entries/s per process")
    work_burst_per_organisation: float = Field(default=20_000.0, ge=1000, description="object entries at once")
    stream_rate_per_organisation: float = Field(default=20.0, gt=0, description="new streams/s per process")
    stream_burst_per_organisation: float = Field(default=500.0, ge=1, description="new streams at once")
    max_streams_per_token: int = Field(default=1000, gt=0, description="open streams of one token per process")
    stream_buffer_messages: int = Field(default=10_000, gt=0, description="per stream, before 4008")
    stream_buffer_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="per stream, before 4008")
    ws_max_message_bytes: int = Field(default=64 * 1024, gt=0, description="largest client frame accepted")
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=15.0, description="idle stream, then heartbeat")
    federation_key: str | None = Field(
        default=None, description="a Fernet key that seals the peers' tokens of the federation links"
    )
    federation_ca_bundle: Path | None = Field(default=None, description="CA bundle (PEM) for the peers' TLS")
    federation_allow_http: bool = Field(default=False, description="links to plain http:// peers beyond loopback")
    federation_batch_reports: int = Field(default=1000, gt=0, le=10_000, description="reports per push at most")
    federation_batch_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024, description="bytes per push")
    federation_timeout_seconds: float = Field(default=30.0, gt=0, description="one push to a peer, at most")
    federation_down_after_seconds: float = Field(default=30.0, gt=0, description="failing that long: down")
    cot_stale_remove_seconds: float = Field(
        default=600.0, ge=0, description="a Cursor-on-Target track this long past its stale time is removed"
    )
    cot_port: int | None = Field(
        default=None, ge=0, le=65535, description="a TCP port for Cursor-on-Target streams (netcop serve --cot-port)"
    )
    cot_host: str = Field(default="127.0.0.1", description="the address the Cursor-on-Target listener binds")

    @field_validator("admin_token")
    @classmethod
    def _admin_token_is_strong(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 24:
            raise ValueError("NETCOP_ADMIN_TOKEN must be at least 24 characters (use a random token)")
        return value or None

    @field_validator("federation_key")
    @classmethod
    def _federation_key_is_a_key(cls, value: str | None) -> str | None:
        if value:
            try:
                Fernet(value.encode())
            except ValueError as error:
                raise ValueError("NETCOP_FEDERATION_KEY must be a Fernet key (Fernet.generate_key())") from error
        return value or None

    @field_validator("dashboard_tile_url")
    @classmethod
    def _tile_url_is_a_template(cls, value: str) -> str:
        if value and (not value.startswith(("https://", "http://")) or not all(f"{{{p}}}" in value for p in "zxy")):
            raise ValueError("NETCOP_DASHBOARD_TILE_URL must be an http(s) URL template with {z}, {x} and {y}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("NETCOP_DATABASE_URL must start with postgresql+asyncpg:// or sqlite+aiosqlite://")
        return value

    @cached_property
    def effective_database_url(self) -> str:
        """The database to use: the configured URL, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.sqlite_path}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())
