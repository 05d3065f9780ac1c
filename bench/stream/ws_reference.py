"""A reference for what this machine can fan out: the ``websockets`` library's own server with ``broadcast()``
(each message encoded once, written to every connection without an await per client; compression off), the
fastest Python row of ``shared/calibration.md``. Not netcop, not the baseline: it tells how far the hardware
(and the load generator beside it) goes, so that netcop's figures can be read against it in the same run.

Reports come in by HTTP POST on a second port (a minimal HTTP/1.1 server: the ``websockets`` server takes only
WebSocket handshakes); each gets the next seq and is broadcast as a change message shaped like netcop's.

    .venv/bin/python bench/stream/ws_reference.py --ws-port 18702 --http-port 18703
"""

from __future__ import annotations

import argparse
import asyncio
import json

import orjson
import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

connections: set[ServerConnection] = set()
last_seq = 0


async def handler(websocket: ServerConnection) -> None:
    connections.add(websocket)
    try:
        async for _ in websocket:
            pass
    finally:
        connections.discard(websocket)


def publish(report: dict) -> int:
    global last_seq
    last_seq += 1
    seq = last_seq
    message = json.dumps(
        {"type": "change", "seq": seq, "incident": report.get("incident"),
         "report": {"id": report.get("id"), "organisation": "bench-reference"},
         "objects": [{"incident": report.get("incident"), "id": o.get("id"), "kind": o.get("kind"),
                      "geometry": o.get("geometry"), "properties": o.get("properties", {}), "removed": False,
                      "seq": seq} for o in report.get("objects", [])]},
        separators=(",", ":"),
    )  # fmt: skip
    broadcast(connections, message)
    return seq


async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line[:15].lower() == "content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if method == "POST":
                answer, status = orjson.dumps({"seq": publish(orjson.loads(body))}), "201 Created"
            elif path.startswith("/seq"):
                answer, status = orjson.dumps({"seq": last_seq, "connections": len(connections)}), "200 OK"
            else:
                answer, status = b'{"status":"ok"}', "200 OK"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(answer)}\r\n\r\n"
                         .encode() + answer)  # fmt: skip
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(ws_port: int, http_port: int) -> None:
    async with serve(handler, "127.0.0.1", ws_port, compression=None, max_queue=None, backlog=4096):
        server = await asyncio.start_server(http, "127.0.0.1", http_port, backlog=4096)
        async with server:
            await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ws-port", type=int, default=18702)
    parser.add_argument("--http-port", type=int, default=18703)
    args = parser.parse_args()
    uvloop.run(main(args.ws_port, args.http_port))
