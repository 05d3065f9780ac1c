"""Per-organisation rate limits (token buckets), the cap on streams per token and on streams being opened.

Buckets live in the process: with several processes each enforces the limit on what it serves, so the
effective limit is the configured rate times the number of processes (documented in the README). A refusal
says how long to wait (``Retry-After``)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.config import Settings
from app.errors import TooManyRequests, Unavailable


@dataclass(slots=True)
class Bucket:
    rate: float
    burst: float
    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self, amount: float) -> float:
        """Takes ``amount``; returns 0, or the seconds to wait when there is not enough."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if amount <= self.tokens:
            self.tokens -= amount
            return 0.0
        return (amount - self.tokens) / self.rate


class RateLimiter:
    """One token bucket per key (an organisation)."""

    def __init__(self, rate: float, burst: float, what: str) -> None:
        self._rate, self._burst, self._what = rate, burst, what
        self._buckets: dict[str, Bucket] = {}

    def check(self, key: str, amount: float = 1.0) -> None:
        """Raises 429 with a Retry-After when ``key`` is over its rate."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self._rate, self._burst, self._burst)
        wait = bucket.take(min(amount, self._burst))
        if wait > 0:
            raise TooManyRequests(
                f"too many {self._what} for organisation '{key}' (limit {self._rate:g}/s)",
                retry_after=max(1, math.ceil(wait)),
            )


class StreamCounter:
    """Open streams per token, capped."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._open: dict[str, int] = {}

    def open(self, token_id: str) -> None:
        if self._open.get(token_id, 0) >= self._cap:
            raise TooManyRequests(f"this token has {self._cap} open streams already (the cap)", retry_after=5)
        self._open[token_id] = self._open.get(token_id, 0) + 1

    def close(self, token_id: str) -> None:
        left = self._open.get(token_id, 0) - 1
        if left > 0:
            self._open[token_id] = left
        else:
            self._open.pop(token_id, None)


class PendingHandshakes:
    """Streams opened but not yet authenticated and admitted, capped: a client that opens streams and never
    says who it is holds each for up to 5 s, and those must not crowd out everyone else's."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self.pending = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self.pending >= self._cap:
            raise Unavailable(f"{self._cap} streams are being opened already: try again shortly")
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1


class Limits:
    """The limits of one process, from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.reports = RateLimiter(
            settings.report_rate_per_organisation, settings.report_burst_per_organisation, "reports"
        )
        # Reports differ in cost by their object entries: a partner sending reports of 1,000 objects is held to
        # what the writer can merge, not only to a number of requests.
        self.work = RateLimiter(
            settings.work_rate_per_organisation, settings.work_burst_per_organisation, "object entries"
        )
        self.new_streams = RateLimiter(
            settings.stream_rate_per_organisation, settings.stream_burst_per_organisation, "new streams"
        )
        self.streams = StreamCounter(settings.max_streams_per_token)
        self.handshakes = PendingHandshakes(settings.max_pending_handshakes)
