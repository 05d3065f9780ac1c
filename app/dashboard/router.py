"""Serving the dashboard: the page at ``/``, its own files, the map library and the offline base layer.

The page is a client like any partner's: everything it shows it reads through ``/api/v1`` and the stream. What
this module adds is only files, and the one header that keeps the page to its own origin: a strict
Content-Security-Policy (no inline script or style, no other host; a configured tile server is the only exception,
for images).

Third-party code comes from packages installed from PyPI (``xstatic-leaflet``, ``xstatic-leaflet-markercluster``),
served from where pip put them; nothing of theirs is copied into this repository.
"""

from __future__ import annotations

import asyncio
import html
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.config import Settings
from app.dashboard import base_layer

STATIC = Path(str(resources.files("app.dashboard") / "static"))
PREFIX = "/dashboard"

router = APIRouter(include_in_schema=False)


def content_security_policy(tile_url: str = "") -> str:
    """The page's policy: its own origin only (and a configured tile server's, for images)."""
    images = "'self'"
    if tile_url:
        parts = urlsplit(tile_url)
        images += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; manifest-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _page(settings: Settings) -> bytes:
    template = (STATIC / "index.html").read_text()
    return template.replace("{{TILE_URL}}", html.escape(settings.dashboard_tile_url, quote=True)).encode()


@router.get("/")
async def page(request: Request) -> Response:
    """The dashboard."""
    settings: Settings = request.app.state.netcop.settings
    headers = {
        "Content-Security-Policy": content_security_policy(settings.dashboard_tile_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(_page(settings), headers=headers)


@router.get(f"{PREFIX}/base.geojson")
async def base(request: Request) -> Response:
    """The offline base layer (built once per process, off the event loop)."""
    state = request.app.state
    async with state.dashboard_lock:
        if state.dashboard_base_layer is None:
            state.dashboard_base_layer = await asyncio.to_thread(base_layer.build)
    body: bytes = state.dashboard_base_layer
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})


def mount(app: FastAPI) -> None:
    """Adds the dashboard's routes and file trees to the application."""
    app.state.dashboard_lock = asyncio.Lock()
    app.state.dashboard_base_layer = None
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="dashboard-static")
    app.mount(f"{PREFIX}/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR), name="dashboard-leaflet")
    cluster = xstatic.pkg.leaflet_markercluster.BASE_DIR
    app.mount(f"{PREFIX}/markercluster", StaticFiles(directory=cluster), name="dashboard-markercluster")
