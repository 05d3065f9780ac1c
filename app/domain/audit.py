"""The audit chain: each entry's hash covers its content and the previous entry's hash, so that changing,
removing or reordering any entry breaks every hash after it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

GENESIS = "0" * 64
CHAINED_FIELDS = ("id", "at", "actor", "organisation_id", "action", "subject", "address", "details")


def entry_hash(entry: dict[str, Any], prev_hash: str) -> str:
    """The hash of an entry (its chained fields, canonical JSON) after ``prev_hash``."""
    content = orjson.dumps({k: entry[k] for k in CHAINED_FIELDS}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + content).hexdigest()


def chain(entries: list[dict[str, Any]], last_id: int, last_hash: str) -> str:
    """Numbers and hashes new entries after the head (in place); returns the new head hash."""
    for offset, entry in enumerate(entries, 1):
        entry["id"] = last_id + offset
        entry["prev_hash"] = last_hash
        entry["hash"] = last_hash = entry_hash(entry, last_hash)
    return last_hash


def breaks(entries: Iterable[dict[str, Any]], start: dict[str, Any] | None = None) -> list[str]:
    """Where a stored chain (in id order) is broken; empty when it is intact. ``start`` is the expected first id
    and previous hash (default: the beginning of the chain)."""
    problems: list[str] = []
    expected_id, expected_prev = (start["id"], start["hash"]) if start else (1, GENESIS)
    for entry in entries:
        if entry["id"] != expected_id:
            problems.append(f"audit entry {expected_id} is missing (found {entry['id']})")
        if entry["prev_hash"] != expected_prev or entry_hash(entry, entry["prev_hash"]) != entry["hash"]:
            problems.append(f"audit entry {entry['id']} does not match its hash chain")
        expected_prev, expected_id = entry["hash"], entry["id"] + 1
    return problems
