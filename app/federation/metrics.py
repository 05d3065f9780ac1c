"""Prometheus metrics of the links this process runs (``GET /metrics``; the process holding a link's lease is the
one that exports it)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

STATES = ("up", "retrying", "down")

STATE = Gauge("netcop_federation_link_state", "1 for the link's current state (up, retrying, down)", ["link", "state"])
ACKED_SEQ = Gauge("netcop_federation_link_acked_seq", "Last seq of this instance the peer acknowledged", ["link"])
LAG_REPORTS = Gauge("netcop_federation_link_lag_reports", "Reports the link allows that the peer has not yet", ["link"])
LAG_SECONDS = Gauge("netcop_federation_link_lag_seconds", "Age of the oldest report not yet acknowledged", ["link"])
FORWARDED = Counter("netcop_federation_reports_forwarded_total", "Reports the peer accepted", ["link"])
REFUSED = Counter("netcop_federation_reports_refused_total", "Reports the peer refused for good", ["link"])
FAILURES = Counter("netcop_federation_push_failures_total", "Pushes that failed and will be tried again", ["link"])


def set_state(link: str, state: str) -> None:
    for name in STATES:
        STATE.labels(link, name).set(1 if name == state else 0)


def forget(link: str) -> None:
    """Drops a link's series (it was deleted, or another process runs it now)."""
    for metric in (ACKED_SEQ, LAG_REPORTS, LAG_SECONDS, FORWARDED, REFUSED, FAILURES):
        try:
            metric.remove(link)
        except KeyError:
            pass
    for name in STATES:
        try:
            STATE.remove(link, name)
        except KeyError:
            pass
