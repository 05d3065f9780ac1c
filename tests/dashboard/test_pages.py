"""The dashboard's files as the service serves them: the page at ``/`` under a strict Content-Security-Policy,
every file it refers to from the service itself, and the offline base layer."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from app.config import Settings
from app.dashboard import base_layer
from app.dashboard.router import STATIC, content_security_policy

REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')
IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


async def test_the_page_is_served_at_the_root_under_a_policy_of_its_own_origin(client: httpx.AsyncClient) -> None:
    """``/`` is the dashboard; its policy allows scripts, styles, images and connections from its own origin only,
    and no inline script or style."""
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    for directive in ("script-src", "style-src", "img-src", "connect-src"):
        assert f"{directive} 'self';" in policy
    for loophole in ("unsafe", "http", "*", "data:"):
        assert loophole not in policy


async def test_every_file_the_page_refers_to_comes_from_the_service(client: httpx.AsyncClient) -> None:
    """Each script, style sheet and icon of the page is a path on the service that answers 200 (no CDN)."""
    page = (await client.get("/")).text
    references = [r for r in REFERENCE.findall(page) if not r.startswith("#")]  # "#views": the skip link
    assert len(references) >= 6
    for reference in references:
        assert re.match(r"/[^/]", reference), reference
        assert (await client.get(reference)).status_code == 200, reference


async def test_the_modules_import_only_each_other(client: httpx.AsyncClient) -> None:
    """Every JavaScript module imports only relative modules of the dashboard, each of which is served."""
    for module in sorted((STATIC / "js").glob("*.js")):
        for imported in IMPORT.findall(module.read_text()):
            assert imported.startswith("./"), (module.name, imported)
            assert (STATIC / "js" / imported).exists(), (module.name, imported)
        response = await client.get(f"/dashboard/static/js/{module.name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]


async def test_a_missing_dashboard_file_is_a_404_in_the_service_error_shape(client: httpx.AsyncClient) -> None:
    """An unknown file under the dashboard's paths answers like any unknown path."""
    response = await client.get("/dashboard/static/js/nothing.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_the_base_layer_is_small_and_covers_the_netherlands(client: httpx.AsyncClient) -> None:
    """The offline base layer holds land, lakes, rivers and borders clipped to the region, in under 200 KB."""
    response = await client.get("/dashboard/base.geojson")
    assert response.status_code == 200
    assert len(response.content) < 200_000
    outlines = response.json()
    assert {f["properties"]["layer"] for f in outlines["features"]} == {"land", "lake", "river", "border"}
    west, south, east, north = base_layer.REGION
    for lon, lat in _positions(outlines):
        assert west - 1e-3 <= lon <= east + 1e-3
        assert south - 1e-3 <= lat <= north + 1e-3


def _positions(value: object) -> list[tuple[float, float]]:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float | int) for v in value):
        return [(float(value[0]), float(value[1]))]
    if isinstance(value, list):
        return [p for item in value for p in _positions(item)]
    if isinstance(value, dict):
        return [p for item in value.values() for p in _positions(item)]
    return []


def test_a_configured_tile_server_is_allowed_for_images_only() -> None:
    """With a tile URL the policy names its origin under img-src, and nowhere else."""
    policy = content_security_policy("https://tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' https://tiles.example.org;" in policy
    assert policy.count("tiles.example.org") == 1


@pytest.mark.parametrize("url", ["ftp://tiles.example/{z}/{x}/{y}", "https://tiles.example/tile.png", "javascript:x"])
def test_a_tile_url_that_is_not_an_http_template_is_refused(url: str, tmp_path: Path) -> None:
    """NETCOP_DASHBOARD_TILE_URL must be an http(s) template with {z}, {x} and {y}."""
    with pytest.raises(ValidationError):
        Settings(dashboard_tile_url=url, sqlite_path=tmp_path / "x.db")


def test_the_dashboard_files_are_package_data() -> None:
    """pyproject ships every kind of file the dashboard has (so that ``pip install .`` serves the page)."""
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    suffixes = {path.suffix for path in STATIC.rglob("*") if path.is_file()}
    for suffix in suffixes:
        assert f"*{suffix}" in pyproject, suffix
