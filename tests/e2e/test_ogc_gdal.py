"""GDAL reads netcop's OGC API - Features (issue 11, point 5) from a real server: ``ogrinfo OAPIF:.../ogc``, with
the token in ``GDAL_HTTP_HEADERS``, lists the collections and reads every feature, page by page, as the reader
may see them.

Without GDAL's ``ogrinfo`` (Debian: ``gdal-bin``) the tests are skipped, and say so, except under CI (CI=true),
where that is a failure, as ``scripts/test.sh`` treats the tools it needs. The module's tests share one server
and its database, so each uses organisations and incidents of its own, at a place no other test reports on."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
from dataclasses import dataclass

import httpx
import pytest

from app.formats import ogc
from tests.support import streams
from tests.support.processes import Server
from tests.support.reports import fresh, unique
from tests.support.streams import Json, Token, post

pytestmark = [pytest.mark.e2e, pytest.mark.shared_servers()]

OGRINFO_TIMEOUT = 60.0
# Each incident at a place of its own in the South Atlantic, where no other test reports: a bbox around it
# selects its objects only.
_places = itertools.count()


def ogrinfo() -> str:
    """The ogrinfo command; a skip (a failure under CI) when GDAL is not installed."""
    found = shutil.which("ogrinfo")
    if found is None:
        message = "GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; it is required under CI")
        pytest.skip(message)
    return found


@pytest.fixture(autouse=True)
def _gdal() -> None:
    """Skips (or, under CI, fails) before a server is started for nothing."""
    ogrinfo()


async def run_ogrinfo(server: Server, token: Token, *args: str) -> str:
    """ogrinfo's output for ``OAPIF:<server>/ogc`` read with the token in an Authorization header."""
    env = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token.secret}", "NO_PROXY": "127.0.0.1"}
    process = await asyncio.create_subprocess_exec(
        ogrinfo(), "-ro", f"OAPIF:{server.url}/ogc", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with asyncio.timeout(OGRINFO_TIMEOUT):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


def layers(listing: str) -> list[str]:
    """The layer names of ``ogrinfo`` without a layer named: ``1: name (title: ...) (Point)``."""
    return re.findall(r"^\d+: (\S+)", listing, re.MULTILINE)


def feature_ids(dump: str) -> list[str]:
    """The ``id`` field of every feature ogrinfo printed, in order."""
    return re.findall(r"^  id \(String\) = (.*)$", dump, re.MULTILINE)


@dataclass(frozen=True)
class Scene:
    """An incident of five objects around (lon, lat), one restricted to ``audience``; ``outsider`` may read."""

    name: str
    lon: float
    lat: float
    sender: Token
    audience: Token
    outsider: Token

    def roadblock(self, object_id: str, offset: float) -> Json:
        geometry = {"type": "Point", "coordinates": [self.lon + offset, self.lat + offset]}
        return {"id": object_id, "kind": "roadblock", "geometry": geometry, "properties": {"status": "active"}}

    def around(self) -> list[str]:
        return ["-spat", *(str(c) for c in (self.lon - 1, self.lat - 1, self.lon + 1, self.lat + 1))]

    def ids(self, *objects: str) -> list[str]:
        return [f"{self.name}/{o}" for o in objects]


OPEN = [f"rb-{n}" for n in range(4)]


@pytest.fixture
async def scene(http: httpx.AsyncClient) -> Scene:
    sender, audience, outsider = [await streams.issue(http, unique(name)) for name in ("police", "fire", "water")]
    scene = Scene(unique("ogc"), -20.0 - 3 * next(_places), -40.0, sender, audience, outsider)
    objects = [scene.roadblock(o, n / 10) for n, o in enumerate(OPEN)]
    await post(http, sender, fresh(scene.name, *objects, incident_info={"title": "Ogrinfo test"}))
    restricted = {"visibility": "restricted", "audience": [audience.organisation]}
    await post(http, sender, fresh(scene.name, scene.roadblock("secret", 0.5), **restricted))
    return scene


async def test_ogrinfo_lists_the_collections_and_reads_every_feature(server: Server, scene: Scene) -> None:
    """ogrinfo lists active_incidents and the incident among the layers, and reads every feature of the
    incident, two to a page (so that it follows next links), with the ids and columns netcop serves."""
    listed = layers(await run_ogrinfo(server, scene.sender))
    assert listed[0] == ogc.ALL
    assert scene.name in listed
    dump = await run_ogrinfo(server, scene.sender, "-oo", "PAGE_SIZE=2", scene.name)
    assert feature_ids(dump) == scene.ids(*OPEN, "secret")
    assert "Feature Count: 5" in dump
    assert f"  netcop_incident (String) = {scene.name}" in dump
    assert "  status (String) = active" in dump


async def test_ogrinfo_reads_only_what_the_reader_may_see(server: Server, scene: Scene) -> None:
    """Through GDAL as through the REST API, the restricted object reaches its audience and not an outsider,
    in the incident's layer and in active_incidents read within a bbox (which GDAL passes on)."""
    seen = await run_ogrinfo(server, scene.audience, *scene.around(), "-oo", "PAGE_SIZE=3", ogc.ALL)
    assert feature_ids(seen) == scene.ids(*OPEN, "secret")
    for layer in (scene.name, ogc.ALL):
        seen = await run_ogrinfo(server, scene.outsider, *scene.around(), layer)
        assert feature_ids(seen) == scene.ids(*OPEN), layer
