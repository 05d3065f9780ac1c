"""For the partner-format tests: the documents kept under ``tests/data`` (each folder's README.md says where they
come from); the partners (``police``, ``fire``) are those of ``tests/conftest.py``."""

from __future__ import annotations

from pathlib import Path

Headers = dict[str, str]
DATA = Path(__file__).resolve().parent.parent / "data"


def document(name: str) -> bytes:
    """A test document from ``tests/data``, e.g. ``cap/oasis-a2-severe-thunderstorm.xml``."""
    return (DATA / name).read_bytes()


