"""A client generated from the OpenAPI document by openapi-python-client (issue 11, point 9) posts a report, reads
its retry answer (200) and reads the picture, all as typed values: the document describes what the API does."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MakePartner, report

GENERATOR = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))


@pytest.fixture
def generated(client: httpx.AsyncClient, tmp_path: Path, app: Any) -> Iterator[Any]:
    """The generated package ``netcop_client``, importable for the test."""
    if GENERATOR is None:
        pytest.fail("openapi-python-client is not installed (it is in the test extra)")
    (tmp_path / "openapi.json").write_text(json.dumps(app.openapi()))
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    subprocess.run([GENERATOR, "generate", "--path", "openapi.json", "--meta", "none", "--output-path",
                    "netcop_client"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("netcop_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "netcop_client" or n.startswith("netcop_client.")]:
            del sys.modules[name]


async def test_a_generated_client_posts_retries_and_reads_typed(
    generated: Any, app: Any, partner: MakePartner
) -> None:
    police = await partner("politie")
    post = importlib.import_module("netcop_client.api.reports.post_report_api_v1_reports_post")
    picture = importlib.import_module(
        "netcop_client.api.picture.incident_picture_api_v1_incidents_incident_id_picture_get"
    )
    models = importlib.import_module("netcop_client.models")
    client = generated.AuthenticatedClient(base_url="http://netcop.test", token=police["Authorization"].split()[1])
    client.set_async_httpx_client(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://netcop.test",
                                                    headers={"Authorization": police["Authorization"]}))  # fmt: skip
    body = models.ReportIn.from_dict(report("r1", {"id": "a", "kind": "unit", "properties": {"n": 1}}))
    stored = await post.asyncio_detailed(client=client, body=body)
    assert stored.status_code == 201
    assert isinstance(stored.parsed, models.ReportAnswer)
    assert (stored.parsed.id, stored.parsed.seq, stored.parsed.changed) == ("r1", 1, ["a"])
    retry = await post.asyncio_detailed(client=client, body=body)
    assert retry.status_code == 200
    assert isinstance(retry.parsed, models.ReportAnswer)
    assert retry.parsed.seq == 1
    read = await picture.asyncio_detailed(incident_id="flood-test", client=client)
    assert isinstance(read.parsed, models.Picture)
    [obj] = read.parsed.objects
    assert isinstance(obj, models.PictureObject)
    assert (obj.id, obj.kind, obj.properties["n"]) == ("a", "unit", 1)
