"""Fixtures for the partner-format tests: two partners with report and read tokens, and the documents kept under
``tests/data`` (each folder's README.md says where they come from)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakePartner

Headers = dict[str, str]
DATA = Path(__file__).resolve().parent.parent / "data"


def document(name: str) -> bytes:
    """A test document from ``tests/data``, e.g. ``cap/oasis-a2-severe-thunderstorm.xml``."""
    return (DATA / name).read_bytes()


@pytest.fixture
async def police(partner: MakePartner) -> Headers:
    return await partner("politie", discipline="police")


@pytest.fixture
async def fire(partner: MakePartner) -> Headers:
    return await partner("brandweer", discipline="fire")
