"""Fixtures for the API specification tests: three partners of one safety region, each with a fresh token
holding ``report`` and ``read``."""

from __future__ import annotations

import pytest

from tests.conftest import MakePartner

Headers = dict[str, str]


@pytest.fixture
async def police(partner: MakePartner) -> Headers:
    return await partner("politie", discipline="police")


@pytest.fixture
async def fire(partner: MakePartner) -> Headers:
    return await partner("brandweer", discipline="fire")


@pytest.fixture
async def ghor(partner: MakePartner) -> Headers:
    return await partner("ghor", discipline="medical")
