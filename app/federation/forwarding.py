"""What a link sends and what it makes of the answer: pure functions, no I/O.

A report leaves with the id ``<origin organisation>/<origin report id>`` (spec section 9). An id is at most 200
characters (``PrintableId``); an organisation id is at most 63, so a long origin id would not fit. Such an id is
cut, deterministically: the first characters that fit, then ``~`` and 16 hex digits of the SHA-256 of the whole
origin id. The same report always gets the same id (a resend is a retry on the peer), and two long ids that
share their beginning still differ.

The peer answers a batch with one result per report. 201 and 200 (a retry) are acknowledgements; 403, 409, 413
and 422 refuse that report for good (resending the same body can only get the same answer): the link records it
and moves on. Anything else (429, 5xx) means "not now": the link stops before that report and sends it again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

MAX_ID = 200
DIGEST_CHARS = 16
ACKED = frozenset({200, 201})
REFUSED_FOR_GOOD = frozenset({403, 409, 413, 422})
LOOPBACK_NAMES = frozenset({"localhost"})


def forwarded_id(origin_organisation: str, report_id: str) -> str:
    """The id a report carries on the peer: ``<origin organisation>/<report id>``, cut to 200 characters."""
    whole = f"{origin_organisation}/{report_id}"
    if len(whole) <= MAX_ID:
        return whole
    digest = hashlib.sha256(report_id.encode()).hexdigest()[:DIGEST_CHARS]
    keep = MAX_ID - len(origin_organisation) - 2 - DIGEST_CHARS
    prefix = report_id[:keep]
    while prefix and not unicodedata.is_normalized("NFC", prefix):  # a cut between a letter and its accent
        prefix = prefix[:-1]
    return f"{origin_organisation}/{prefix}~{digest}"


@dataclass(frozen=True, slots=True)
class Outbound:
    """One report on its way: this instance's seq, the id the peer will know it by, and its body as sent."""

    seq: int
    report_id: str
    body: bytes


def outbound(seq: int, organisation: str, body: str) -> Outbound:
    """The report as the peer receives it: the body unchanged but for its id."""
    report: dict[str, Any] = orjson.loads(body)
    report["id"] = forwarded_id(organisation, report["id"])
    return Outbound(seq, report["id"], orjson.dumps(report))


def batches(reports: Sequence[Outbound], max_reports: int, max_bytes: int) -> list[list[Outbound]]:
    """The reports in order, cut into batches of at most ``max_reports`` reports and ``max_bytes`` bytes (a
    report larger than that alone goes alone: the peer decides what it makes of it)."""
    cut: list[list[Outbound]] = [[]]
    size = 0
    for report in reports:
        if cut[-1] and (len(cut[-1]) >= max_reports or size + len(report.body) + 1 > max_bytes):
            cut.append([])
            size = 0
        cut[-1].append(report)
        size += len(report.body) + 1
    return [batch for batch in cut if batch]


def batch_body(batch: Iterable[Outbound]) -> bytes:
    return b'{"reports":[' + b",".join(report.body for report in batch) + b"]}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A report the peer refused for good."""

    seq: int
    report_id: str
    status: int
    message: str

    def describe(self) -> str:
        return f"the peer refused report {self.report_id!r} (seq {self.seq}) with {self.status}: {self.message}"


@dataclass(slots=True)
class Settlement:
    """What one batch's answer settled: the reports answered for good (in order, without a gap), which of them
    were accepted and which refused, and whether the rest must be sent again later."""

    settled: list[Outbound] = field(default_factory=list)
    accepted: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    retry_later: str | None = None

    @property
    def last_seq(self) -> int | None:
        return self.settled[-1].seq if self.settled else None


def settle(batch: Sequence[Outbound], results: Any) -> Settlement:
    """Reads a batch answer's ``results`` against the batch, stopping at the first report to send again."""
    settlement = Settlement()
    if not isinstance(results, list) or len(results) != len(batch):
        settlement.retry_later = "the peer's batch answer does not match the batch"
        return settlement
    for report, result in zip(batch, results, strict=True):
        status = result.get("status") if isinstance(result, dict) else None
        if status in ACKED:
            settlement.accepted += 1
        elif status in REFUSED_FOR_GOOD:
            settlement.refusals.append(Refusal(report.seq, report.report_id, status, error_message(result)))
        else:
            settlement.retry_later = f"the peer answered report {report.report_id!r} with {status}: try again"
            break
        settlement.settled.append(report)
    return settlement


def error_message(result: Any) -> str:
    """An error answer (or one batch result) in one line."""
    error = result.get("error") if isinstance(result, dict) else None
    if not isinstance(error, dict):
        return "refused"
    details = error.get("details") or []
    where = "; ".join(f"{d.get('path')}: {d.get('message')}" for d in details[:3] if isinstance(d, dict))
    text = f"{error.get('code')}: {error.get('message')}" + (f" ({where})" if where else "")
    return text[:1000]


def peer_url_problem(url: str, allow_http: bool) -> str | None:
    """Why a peer URL is refused, or None: https, or http to loopback (or anywhere when explicitly allowed);
    no user name or password, query or fragment (a secret there would end up in logs)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        return "the URL must be https://host[:port][/path]"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "the URL must be https://host[:port][/path]"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "the URL must carry no user name, password, query or fragment (the token goes in the link's token)"
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        return "plain http is allowed only to a loopback address (or with NETCOP_FEDERATION_ALLOW_HTTP=true)"
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
