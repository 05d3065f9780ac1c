"""``netcop sitrep INCIDENT --as-org ORG [--as-of] [--since] [--format] [-o FILE]``: the same document as the
API's, read from the configured database as the named organisation sees it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pypdfium2

from app.config import Settings
from tests.sitrep.conftest import INCIDENT, SECRET, Flood
from tests.support import processes


async def test_the_command_writes_the_viewers_sitrep(
    client: httpx.AsyncClient, flood: Flood, settings: Settings, tmp_path: Path
) -> None:
    """A PDF to a file for medical as known at the second round (the format from the suffix), the same
    Markdown on stdout as the API serves police, and an unknown organisation refused with exit 1."""
    env = processes.environment(settings.effective_database_url)
    pdf = tmp_path / "sitrep.pdf"
    as_medical, as_police, as_nobody = await asyncio.gather(
        processes.run_netcop_async(env, "sitrep", INCIDENT, "--as-org", "ghor-zhz", "--as-of", flood.second_round,
                                   "--since", flood.first_round, "-o", str(pdf), cwd=tmp_path),
        processes.run_netcop_async(env, "sitrep", INCIDENT, "--as-org", "politie-zhz", "--format", "md", cwd=tmp_path),
        processes.run_netcop_async(env, "sitrep", INCIDENT, "--as-org", "nobody-x", cwd=tmp_path),
    )  # fmt: skip
    assert as_medical[0] == 0, as_medical
    assert f"written to {pdf}" in as_medical[2]
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    assert SECRET in text
    assert f"Picture as known at {flood.second_round}" in text
    assert "Pumps at the breach" not in text  # received after the second round
    assert "new: evac-wielwijk (evacuation-area)" in text

    assert as_police[0] == 0, as_police
    served = await client.get(f"/api/v1/incidents/{INCIDENT}/sitrep", headers=flood.police, params={"format": "md"})
    assert as_police[1] == served.text
    assert SECRET not in as_police[1]

    assert as_nobody[0] == 1
    assert "no organisation 'nobody-x'" in as_nobody[2]
