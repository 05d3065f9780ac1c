"""The fan-out that netcop's stream is compared with: the FastAPI documentation's broadcast pattern
("WebSockets" tutorial, "Handling disconnections and multiple clients"): a list of WebSockets, and for each report
``for connection in active_connections: await connection.send_text(message)``, the message serialized once.

A report arrives by HTTP POST (as netcop's do); it gets the next ``seq`` of this process and is broadcast as a
change message shaped like netcop's (``{"type":"change","seq":N,...,"objects":[...]}``) so that the same
subscribers (``subscribers.js``) read both. No database, no authentication (an ``Authorization`` header is
ignored): the baseline pays only for the fan-out.

Run (``bench/stream/fanout.py`` does this for you)::

    .venv/bin/uvicorn baseline_app:app --app-dir bench/stream --loop uvloop --http httptools --workers 1

Endpoints: ``GET /ws`` (WebSocket), ``POST /api/v1/reports`` (a report as netcop takes it; answers
``{"seq": N}`` once it has been sent to every connection), ``GET /seq``, ``GET /healthz``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Body, FastAPI, WebSocket, WebSocketDisconnect


class ConnectionManager:
    """As in the FastAPI documentation."""

    def __init__(self) -> None:
        self.active_connections: list[WebSocket] = []

    async def connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.active_connections.append(websocket)

    def disconnect(self, websocket: WebSocket) -> None:
        self.active_connections.remove(websocket)

    async def broadcast(self, message: str) -> None:
        for connection in self.active_connections:
            await connection.send_text(message)


app = FastAPI()
manager = ConnectionManager()
last_seq = 0


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    await manager.connect(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        manager.disconnect(websocket)


@app.post("/api/v1/reports", status_code=201)
async def post_report(report: dict[str, Any] = Body(...)) -> dict[str, int]:  # noqa: B008
    global last_seq
    last_seq += 1
    seq = last_seq
    organisation = "bench-baseline"
    message = json.dumps(
        {
            "type": "change",
            "seq": seq,
            "incident": report.get("incident"),
            "report": {"id": report.get("id"), "organisation": organisation},
            "objects": [
                {
                    "incident": report.get("incident"),
                    "id": o.get("id"),
                    "kind": o.get("kind"),
                    "geometry": o.get("geometry"),
                    "properties": o.get("properties", {}),
                    "removed": False,
                    "seq": seq,
                }
                for o in report.get("objects", [])
            ],
        },
        separators=(",", ":"),
    )
    await manager.broadcast(message)
    return {"seq": seq}


@app.get("/seq")
async def get_seq() -> dict[str, int]:
    return {"seq": last_seq, "connections": len(manager.active_connections)}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
