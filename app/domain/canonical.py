"""Canonical JSON: what "equal as JSON values" means for idempotent retries (key order, white space and
``1`` versus ``1.0`` make no difference; ``1`` and ``true`` differ)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

_LEAVES = frozenset({str, int, bool, type(None)})


def normalise(value: Any) -> Any:
    """The value with integral floats as integers, so that 1.0 and 1 compare equal (within the 64-bit range that
    JSON integers are parsed into: a larger integral float, such as 1e300, stays a float)."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _LEAVES else normalise(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _LEAVES else normalise(v) for v in value]
    if kind is float and value.is_integer() and -(2**63) <= value < 2**64:
        return int(value)
    if isinstance(value, dict):  # a subclass, which parsed JSON never gives
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, float) and value.is_integer() and -(2**63) <= value < 2**64:
        return int(value)
    return value


# An integral float can only come from a number token with a fraction of zeros or an exponent.
_INTEGRAL_FLOAT = re.compile(rb"\d\.0+(?![0-9])|\d[eE]")


def digest(value: Any, raw: bytes | None = None) -> str:
    """SHA-256 of the canonical form. ``raw``, the JSON text the value was parsed from, lets a value whose text
    holds no integral float skip the normalising walk."""
    if raw is None or _INTEGRAL_FLOAT.search(raw) is not None:
        value = normalise(value)
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()
