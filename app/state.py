"""What one running service holds: built in the lifespan, reached by the API through ``api.deps``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from app.config import Settings
from app.db import Database
from app.realtime.follower import Follower
from app.realtime.hub import Hub
from app.realtime.snapshots import SharedSnapshots
from app.schemas.reports import ReportLimits
from app.services.auth import Authenticator
from app.services.ingest import Ingestor
from app.services.limits import Limits
from app.services.picture_cache import PictureCache


@dataclass
class AppState:
    settings: Settings
    db: Database
    ingestor: Ingestor
    authenticator: Authenticator
    hub: Hub
    follower: Follower
    limits: Limits = field(init=False)
    snapshots: SharedSnapshots = field(default_factory=SharedSnapshots)
    pictures: PictureCache = field(default_factory=PictureCache)

    def __post_init__(self) -> None:
        self.limits = Limits(self.settings)

    @cached_property
    def report_limits(self) -> ReportLimits:
        return ReportLimits(self.settings.max_object_properties, self.settings.max_audience)

    @property
    def window_us(self) -> int:
        return int(self.settings.conflict_window_seconds * 1_000_000)
