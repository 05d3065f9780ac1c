"""Prometheus metrics of the service (``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REPORTS = Counter("netcop_reports_accepted_total", "Reports accepted (stored and merged)")
REFUSED = Counter("netcop_reports_refused_total", "Reports refused by the writer (retries, conflicts, audience)")
GROUP_SIZE = Histogram(
    "netcop_ingest_group_size",
    "Reports committed together in one transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)


GROUPS = Counter(
    "netcop_ingest_groups_total",
    "Group commits, by path: prepared while the previous group committed, or locked (fence read first)",
    ["path"],
)


def record_group(size: int, accepted: int) -> None:
    GROUP_SIZE.observe(size)
    REPORTS.inc(accepted)
    REFUSED.inc(size - accepted)
