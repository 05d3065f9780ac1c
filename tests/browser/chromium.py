"""Debian's chromium driven by Playwright for Python (``playwright install`` is never run: it would download a
browser of its own). Shared by the browser tests and ``scripts/screenshots.py``."""

from __future__ import annotations

import os
from pathlib import Path

EXECUTABLE = Path(os.environ.get("NETCOP_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why a browser cannot be driven here, or None when it can."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not EXECUTABLE.exists():
        return f"no chromium at {EXECUTABLE} (apt-get install chromium; scripts/test.sh does it as root)"
    return None
