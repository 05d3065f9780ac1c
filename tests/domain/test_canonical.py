"""Canonical JSON for idempotency: the digest with the raw text's shortcut equals the full normalising one."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import canonical

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["v1.0", "3e5", "1.0"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500)
@given(JSON)
def test_the_raw_text_shortcut_gives_the_same_digest(value: Any) -> None:
    """Whatever the value, skipping the walk when its text holds no integral float changes nothing."""
    raw = orjson.dumps(value)
    assert canonical.digest(orjson.loads(raw), raw) == canonical.digest(orjson.loads(raw))


def test_integral_floats_and_integers_digest_alike_in_any_spelling() -> None:
    """1, 1.0, 1.00 and 1e0 are one value; 1 and true are not."""
    spellings = [b'{"a":1}', b'{"a":1.0}', b'{"a": 1.00}', b'{"a":1e0}', b'{"a":10E-1}']
    digests = {canonical.digest(orjson.loads(raw), raw) for raw in spellings}
    assert len(digests) == 1
    assert canonical.digest(orjson.loads(b'{"a":true}'), b'{"a":true}') not in digests
