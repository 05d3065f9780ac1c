"""Instants as integer microseconds since the Unix epoch (UTC), and their RFC 3339 form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# RFC 3339 sets no bound on the fraction's digits; beyond microseconds they are truncated.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text: str) -> datetime:
    """Parses an RFC 3339 timestamp with an offset; raises ValueError otherwise."""
    if not _RFC3339.match(text):
        raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-11-27T14:03:00+01:00")
    head, _, _ = text.partition(".")
    if "." in text:
        # Python keeps microseconds; longer fractions are truncated, not refused.
        frac_and_zone = text[len(head) + 1 :]
        digits = re.match(r"\d+", frac_and_zone)
        assert digits is not None
        text = f"{head}.{digits.group(0)[:6].ljust(6, '0')}{frac_and_zone[digits.end() :]}"
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    try:
        moment.astimezone(UTC)  # e.g. 0001-01-01T00:00:00+01:00 lies before the first representable instant
    except OverflowError as error:
        raise ValueError("lies outside the years 0001..9999 in UTC") from error
    return moment


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


@lru_cache(maxsize=8192)  # the same instants recur in every provenance entry of a report
def format_micros(micros: int) -> str:
    """RFC 3339 in UTC with a Z, with a fraction only when there is one."""
    # isoformat, not strftime: strftime("%Y") does not pad years before 1000 to four digits.
    return from_micros(micros).isoformat().replace("+00:00", "Z")


def now_micros() -> int:
    return to_micros(datetime.now(UTC))
