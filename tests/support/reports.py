"""Report bodies for tests (spec section 2): the one place that knows what a report looks like on the wire.

- ``report``: a small valid report with the id given, on the test day by default.
- ``fresh``: a report with an id no other test of the session uses, observed later than every report
  built before it (so that it wins the merge): for tests that share a server and its database.
- ``numbered``: report number n of a load, with an object of its own and one that many reports share.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

Json = dict[str, Any]

_RUN = secrets.token_hex(3)
_names = itertools.count(1)
_moments = itertools.count(1)
_EPOCH = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def report(
    report_id: str,
    *objects: Json,
    incident: str = "flood-test",
    observed_at: str = "2026-11-27T14:00:00+01:00",
    **extra: Any,
) -> Json:
    """A small valid report."""
    return {"id": report_id, "incident": incident, "observed_at": observed_at, "objects": list(objects), **extra}


def unique(prefix: str) -> str:
    """A slug no other test of this session uses (organisation, incident or report id)."""
    return f"{prefix}-{_RUN}-{next(_names)}"


def later() -> str:
    """A moment in the past, later than every one handed out before: a later report wins the merge."""
    return (_EPOCH + timedelta(seconds=next(_moments))).isoformat()


def fresh(incident: str, *objects: Json, **extra: Any) -> Json:
    """A report with an id of its own, observed later than every report before it."""
    return report(unique("r"), *objects, incident=incident, observed_at=later(), **extra)


def numbered(report_id: str, n: int, incident: str = "reliability") -> Json:
    """Report number n: an object of its own (so that every report is a change for every partner) and an object
    that many reports share (so that the merge has something to decide)."""
    return report(
        report_id,
        {"id": f"own-{report_id}", "kind": "marker", "properties": {"n": n}},
        {"id": f"shared-{n % 7}", "kind": "roadblock", "geometry": point(4.6 + (n % 11) / 100, 51.8),
         "properties": {"status": "active" if n % 3 else "planned", "note": f"seen by {n % 5}"}},
        incident=incident,
        observed_at=f"2026-01-01T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}+00:00",
    )  # fmt: skip


def point(lon: float, lat: float) -> Json:
    return {"type": "Point", "coordinates": [lon, lat]}
