"""The load for ``fanout.py``: the report driver (single reports at a fixed rate, or batches) and the subscriber
processes (``subscribers.js`` or ``subscribers.c``) with their JSON-lines protocol and merged statistics."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from harness import INCIDENT, Procs

# ---------------------------------------------------------------------------------------------------------------
# reports


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def report_body(run: str, n: int, sent_ms: float, observed_at: str) -> dict[str, Any]:
    """A small single-object report; each one creates a new object, so each one is a change for every viewer."""
    return {
        "id": f"{run}-{n}",
        "incident": INCIDENT,
        "observed_at": observed_at,
        "objects": [
            {
                "id": f"{run}-unit-{n}",
                "kind": "unit",
                "geometry": {"type": "Point", "coordinates": [4.6731, 51.8012]},
                "properties": {"bench_sent_ms": sent_ms, "callsign": f"ZHZ-{n % 1000}", "status": "en-route"},
            },
        ],
    }


@dataclass
class DriveResult:
    posted: int = 0
    ok: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    max_seq: int = 0
    seconds: float = 0.0
    post_ms: list[float] = field(default_factory=list)

    def merge(self, other: DriveResult) -> None:
        self.posted += other.posted
        self.ok += other.ok
        self.failed += other.failed
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v
        self.max_seq = max(self.max_seq, other.max_seq)
        self.post_ms += other.post_ms


class HttpPool:
    """A minimal HTTP/1.1 keep-alive client (asyncio streams, bodies encoded with orjson): cheaper per request than
    httpx, so that the driver takes as little CPU as possible from the server it measures."""

    def __init__(self, base: str, headers: dict[str, str], size: int) -> None:
        host_port = base.removeprefix("http://")
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.size = size

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = orjson.dumps(body) if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.head}"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()  # fmt: skip
        while self.idle:  # a kept-alive connection that the server closed meanwhile is retried on a new one
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                return await self._exchange(self.idle.pop(), head + payload)
        return await self._exchange(await asyncio.open_connection(self.host, self.port), head + payload)

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes
    ) -> tuple[int, bytes]:
        reader, writer = conn
        try:
            writer.write(data)
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            lines = status_and_headers.decode("latin1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = 0
            for line in lines[1:]:
                if line[:15].lower() == "content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
        except BaseException:
            writer.close()
            raise
        if len(self.idle) < self.size:
            self.idle.append(conn)
        else:
            writer.close()
        return status, body

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle = []


class Driver:
    """Posts single reports at a fixed rate (open loop, at most ``outstanding`` requests in flight)."""

    def __init__(self, base: str, token: str, outstanding: int) -> None:
        self.http = HttpPool(base, {"Authorization": f"Bearer {token}"}, outstanding)
        self.slots = asyncio.Semaphore(outstanding)
        self.counter = 0
        self.run = f"r{os.getpid()}x{int(time.time() * 1000)}"

    async def close(self) -> None:
        await self.http.close()

    async def _post(self, result: DriveResult) -> None:
        n = self.counter
        self.counter += 1
        try:
            sent_ms = time.time() * 1000.0
            body = report_body(self.run, n, sent_ms, now_rfc3339())
            t0 = time.perf_counter()
            status, data = await self.http.request("POST", "/api/v1/reports", body)
            result.post_ms.append((time.perf_counter() - t0) * 1000)
            if status == 201:
                result.ok += 1
                result.max_seq = max(result.max_seq, int(orjson.loads(data)["seq"]))
            else:
                result.failed += 1
                key = str(status)
                result.errors[key] = result.errors.get(key, 0) + 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            result.failed += 1
            key = type(error).__name__
            result.errors[key] = result.errors.get(key, 0) + 1
        finally:
            self.slots.release()

    async def drive(self, rate: float, seconds: float) -> DriveResult:
        result = DriveResult()
        loop = asyncio.get_running_loop()
        total = max(1, round(rate * seconds))
        tasks = []
        t0 = loop.time()
        for i in range(total):
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.slots.acquire()
            result.posted += 1
            tasks.append(asyncio.create_task(self._post(result)))
        await asyncio.gather(*tasks)
        result.seconds = loop.time() - t0
        return result

    async def batch(self, count: int, per_batch: int = 1000) -> DriveResult:
        result = DriveResult()
        t0 = time.perf_counter()
        for start in range(0, count, per_batch):
            reports = []
            for _ in range(min(per_batch, count - start)):
                n = self.counter
                self.counter += 1
                reports.append(report_body(self.run, n, time.time() * 1000.0, now_rfc3339()))
            status, data = await self.http.request("POST", "/api/v1/reports/batch", {"reports": reports})
            if status != 200:
                raise RuntimeError(f"batch answered {status}: {data[:300]!r}")
            for item in orjson.loads(data)["results"]:
                result.posted += 1
                if item["status"] == 201:
                    result.ok += 1
                    result.max_seq = max(result.max_seq, int(item["seq"]))
                else:
                    result.failed += 1
        result.seconds = time.perf_counter() - t0
        return result


# ---------------------------------------------------------------------------------------------------------------
# subscribers (Node processes)


@dataclass
class Target:
    kind: str  # "netcop" | "baseline" | "reference"
    base: str  # where reports are POSTed
    report_token: str
    read_token: str
    pid: int
    ws_base: str = ""  # where the stream is, when not on ``base``

    def stream_url(self, after_seq: int) -> str:
        ws = (self.ws_base or self.base).replace("http://", "ws://")
        return f"{ws}/api/v1/stream?after_seq={after_seq}" if self.kind == "netcop" else f"{ws}/ws"


class Subscribers:
    """Node processes holding ``total`` connections between them."""

    def __init__(self, procs: Procs, processes: int) -> None:
        self.procs = procs
        self.processes = processes
        self.children: list[asyncio.subprocess.Process] = []

    async def start(self, target: Target, total: int, after_seq: int, capacity: int, *, expect: int = 0,
                    full_parse: bool = False, limit_s: float = 120.0,
                    concurrency: int = 100) -> list[dict[str, Any]]:  # fmt: skip
        shares = [total // self.processes + (1 if i < total % self.processes else 0) for i in range(self.processes)]
        log = (self.procs.log_dir / "subscribers.log").open("ab")
        for i, share in enumerate(s for s in shares if s > 0):
            argv = [*self.procs.client_argv, "--url", target.stream_url(after_seq), "--token",
                    target.read_token, "--connections", str(share), "--after-seq", str(after_seq), "--capacity",
                    str(capacity), "--local-address", f"127.0.0.{10 + i}", "--concurrency", str(concurrency),
                    "--id", f"p{i}"]  # fmt: skip
            if expect:
                argv += ["--expect", str(expect)]
            if full_parse:
                argv.append("--full-parse")
            child = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                preexec_fn=os.setpgrp,
                limit=64 * 1024 * 1024,
            )
            self.children.append(child)
            self.procs.clients.append(child)
        return [await self._expect_event(c, "ready", limit_s) for c in self.children]

    async def _expect_event(self, child: asyncio.subprocess.Process, event: str, limit_s: float) -> dict[str, Any]:
        assert child.stdout is not None
        async with asyncio.timeout(limit_s):
            while True:
                line = await child.stdout.readline()
                if not line:
                    raise RuntimeError(f"a subscriber process ended before {event!r}")
                message = json.loads(line)
                if message.get("event") == event:
                    return message

    async def command(self, text: str) -> None:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.write(text.encode() + b"\n")
            await child.stdin.drain()

    async def status(self) -> list[dict[str, Any]]:
        await self.command("status")
        return [await self._expect_event(c, "status", 10.0) for c in self.children]

    async def wait_event(self, event: str, limit_s: float) -> list[dict[str, Any]]:
        return [await self._expect_event(c, event, limit_s) for c in self.children]

    async def drain(self, until_seq: int, limit_s: float) -> float:
        """Waits until every open connection has seen ``until_seq``; returns the seconds waited."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit_s:
            states = await self.status()
            if all(s["min_last"] is None or s["min_last"] >= until_seq for s in states):
                break
            await asyncio.sleep(0.2)
        return time.monotonic() - t0

    async def stop(self) -> list[dict[str, Any]]:
        await self.command("stop")
        stats = [await self._expect_event(c, "stats", 60.0) for c in self.children]
        for child in self.children:
            try:
                async with asyncio.timeout(10):
                    await child.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        self.procs.clients = [c for c in self.procs.clients if c not in self.children]
        self.children = []
        return stats


def merge_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    hist: dict[int, int] = {}
    for s in stats:
        for bucket, count in s["hist"]:
            hist[bucket] = hist.get(bucket, 0) + count
    total = sum(hist.values())
    bucket_ms = stats[0]["bucket_ms"] if stats else 0.1

    def percentile(q: float) -> float | None:
        if not total:
            return None
        target, seen = math.ceil(q * total), 0
        for bucket in sorted(hist):
            seen += hist[bucket]
            if seen >= target:
                return (bucket + 1) * bucket_ms
        return None

    first = [s["first_measured"] for s in stats if s["first_measured"]]
    last = [s["last_measured"] for s in stats if s["last_measured"]]
    close_codes: dict[str, int] = {}
    errors: dict[str, int] = {}
    for s in stats:
        for k, v in s["close_codes"].items():
            close_codes[k] = close_codes.get(k, 0) + v
        for k, v in s["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return {
        "connections": sum(s["connections"] for s in stats),
        "failed": sum(s["failed"] for s in stats),
        "unique": sum(s["unique"] for s in stats),
        "changes": sum(s["changes"] for s in stats),
        "dup": sum(s["dup"] for s in stats),
        "ooo": sum(s["ooo"] for s in stats),
        "outside": sum(s["outside"] for s in stats),
        "snapshots": sum(s["snapshots"] for s in stats),
        "parse_mismatch": sum(s["parse_mismatch"] for s in stats),
        "negative": sum(s["negative"] for s in stats),
        "measured": total,
        "window_s": (max(last) - min(first)) / 1000 if first and last else 0.0,
        "p50": percentile(0.50),
        "p90": percentile(0.90),
        "p99": percentile(0.99),
        "max": max((s["lat_max"] for s in stats), default=None),
        "close_codes": close_codes,
        "errors": errors,
    }
