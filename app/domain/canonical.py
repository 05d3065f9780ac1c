"""Canonical JSON: what "equal as JSON values" means for idempotent retries (key order, white space and
``1`` versus ``1.0`` make no difference; ``1`` and ``true`` differ)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def normalise(value: Any) -> Any:
    """The value with integral floats as integers, so that 1.0 and 1 compare equal (within the 64-bit range that
    JSON integers are parsed into: a larger integral float, such as 1e300, stays a float)."""
    if isinstance(value, float) and value.is_integer() and -(2**63) <= value < 2**64:
        return int(value)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def digest(value: Any) -> str:
    """SHA-256 of the canonical form."""
    return hashlib.sha256(orjson.dumps(normalise(value), option=orjson.OPT_SORT_KEYS)).hexdigest()
