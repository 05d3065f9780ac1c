"""What a link sends and how it reads the answer (pure)."""

from __future__ import annotations

import unicodedata

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.federation import forwarding
from app.schemas.common import is_printable_id

ids = (
    st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S")), min_size=1, max_size=200)
    .map(lambda s: unicodedata.normalize("NFC", s))
    .filter(is_printable_id)
)
organisations = st.from_regex(r"[a-z0-9][a-z0-9-]{1,62}", fullmatch=True)


@given(organisations, ids)
def test_a_forwarded_id_is_a_valid_report_id_and_always_the_same(organisation: str, report_id: str) -> None:
    """``<organisation>/<id>``, or when that exceeds 200 characters a cut with a digest: valid and deterministic."""
    forwarded = forwarding.forwarded_id(organisation, report_id)
    assert is_printable_id(forwarded)
    assert forwarded == forwarding.forwarded_id(organisation, report_id)
    assert forwarded.startswith(f"{organisation}/")
    if len(organisation) + 1 + len(report_id) <= 200:
        assert forwarded == f"{organisation}/{report_id}"


def test_long_ids_that_share_their_beginning_stay_apart() -> None:
    """Two 200-character ids differing only at the end get different forwarded ids."""
    first, second = "x" * 199 + "1", "x" * 199 + "2"
    assert forwarding.forwarded_id("vr-zhz", first) != forwarding.forwarded_id("vr-zhz", second)


def test_batches_respect_both_bounds_and_keep_order() -> None:
    """At most n reports and b bytes per batch, in seq order; an oversized report goes alone."""
    reports = [forwarding.Outbound(seq, f"r{seq}", b"x" * size) for seq, size in enumerate([10, 10, 50, 10, 10], 1)]
    cut = forwarding.batches(reports, max_reports=2, max_bytes=30)
    assert [[r.seq for r in batch] for batch in cut] == [[1, 2], [3], [4, 5]]


def test_an_answer_settles_up_to_the_first_report_to_send_again() -> None:
    """201/200 acknowledge, 403/409/422 refuse for good, 503 stops the settlement before that report."""
    batch = [forwarding.outbound(seq, "pol", orjson.dumps({"id": f"r{seq}"}).decode()) for seq in range(1, 6)]
    refusal = {"status": 403, "error": {"code": "not_coordinator", "message": "no", "details": []}}
    results = [{"status": 201}, {"status": 200}, refusal, {"status": 503}, {"status": 201}]
    settlement = forwarding.settle(batch, results)
    assert settlement.last_seq == 3
    assert settlement.accepted == 2
    assert [r.report_id for r in settlement.refusals] == ["pol/r3"]
    assert settlement.retry_later is not None
    assert "not_coordinator" in settlement.refusals[0].describe()


def test_peer_urls() -> None:
    """https anywhere; http only to loopback unless allowed."""
    assert forwarding.peer_url_problem("https://cop.nrw.example", allow_http=False) is None
    assert forwarding.peer_url_problem("http://[::1]:8000", allow_http=False) is None
    assert forwarding.peer_url_problem("http://localhost:8000", allow_http=False) is None
    assert forwarding.peer_url_problem("http://10.0.0.5", allow_http=False) is not None
    assert forwarding.peer_url_problem("http://10.0.0.5", allow_http=True) is None
    assert forwarding.peer_url_problem("https://[::1", allow_http=False) is not None
    assert forwarding.peer_url_problem("https://peer:99999", allow_http=False) is not None
