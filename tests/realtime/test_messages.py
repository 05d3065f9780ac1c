"""The server's stream messages (``realtime/messages.py``) are what the client's parser (``client/events.py``)
reads: one shape, written in one place and read in one place."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.client import events
from app.realtime import messages

objects = st.lists(
    st.fixed_dictionaries({"id": st.text(min_size=1, max_size=8), "incident": st.just("flood"),
                           "properties": st.dictionaries(st.text(max_size=5), st.integers(-5, 5), max_size=3)}),
    max_size=4,
).map(lambda found: [orjson.dumps(o) for o in found])  # fmt: skip


@given(st.integers(0, 2**53 - 1), objects, st.sampled_from([None, "resync"]))
def test_a_snapshot_reads_back_as_written(seq: int, rendered: list[bytes], reason: str | None) -> None:
    parsed = events.parse(messages.snapshot(seq, rendered, reason))
    assert parsed == events.Snapshot(seq, [orjson.loads(o) for o in rendered], reason)


@given(st.integers(0, 2**53 - 1), objects, st.text(min_size=1, max_size=10))
def test_a_change_reads_back_as_written(seq: int, rendered: list[bytes], report_id: str) -> None:
    parsed = events.parse(messages.change(seq, "flood", report_id, "politie", rendered))
    assert isinstance(parsed, events.Change)
    assert (parsed.seq, parsed.incident, parsed.objects) == (seq, "flood", [orjson.loads(o) for o in rendered])
    assert (parsed.report.id, parsed.report.organisation) == (report_id, "politie")


@given(st.integers(0, 2**53 - 1))
def test_a_heartbeat_reads_back_as_written(seq: int) -> None:
    assert events.parse(messages.heartbeat(seq)) == events.Heartbeat(seq)
