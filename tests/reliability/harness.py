"""What the reliability tests share: a private PostgreSQL cluster they may crash, a load of reports (bodies from
``tests/support/reports.py``), readers of the logs, and a raw stream subscriber that records every change it is
sent.

The private cluster keeps the shared one (127.0.0.1:5432, used by other test runs at the same time) out of
harm's way: only a cluster this session initialised, on its own port and socket directory, is ever stopped or
crashed. PostgreSQL refuses to run as root, so every cluster command runs as the ``postgres`` user.

Everything here is bounded: cluster commands by ``PG_COMMAND_TIMEOUT``, HTTP requests by ``HTTP_TIMEOUT``,
waits by the deadline each caller gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tests.support import processes

PG_BIN = Path(os.environ.get("NETCOP_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
PG_COMMAND_TIMEOUT = 60.0
HTTP_TIMEOUT = httpx.Timeout(30.0)
PAGE = 1000
# Connections of the crash load (many requests in flight when the crash comes), and of the checks after it
# (fewer: an httpx client's cost per request grows with its connections, and the machine is shared).
LOAD_CONNECTIONS = 64
CHECK_CONNECTIONS = 16


def postgres_missing() -> str | None:
    """Why a private PostgreSQL cluster cannot be run here, or None when it can."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (set NETCOP_TEST_PG_BIN)"
    if shutil.which("runuser") is None or shutil.which("psql") is None:
        return "runuser or psql is missing"
    try:
        subprocess.run(["id", PG_USER], check=True, capture_output=True, timeout=10)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return f"there is no '{PG_USER}' user to run PostgreSQL as"
    if os.geteuid() != 0:
        return "running a cluster as the postgres user needs root (runuser)"
    return None


class PrivatePostgres:
    """One PostgreSQL cluster owned by the test session: initialised in a temporary directory, listening on
    127.0.0.1 at a free port, with fsync and synchronous commit on (so that a crash loses no commit)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="netcop-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log_path = self.root / "postgres.log"
        self.port = processes.free_port()
        self._databases = 0

    def init(self) -> None:
        self.sockets.mkdir()
        shutil.chown(self.root, PG_USER)
        shutil.chown(self.sockets, PG_USER)
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", PG_USER, "--no-sync")

    def start(self) -> None:
        """Starts the cluster (recovering from a crash if need be) and returns once it accepts connections."""
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on"
            " -c max_connections=200"
        )
        self._pg_ctl("-o", options, "-l", self.log_path, "-w", "-t", "30", "start")

    def crash(self) -> None:
        """Stops the cluster the way a power cut would: no checkpoint, every connection dropped (``-m immediate``)."""
        self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop")

    def stop(self) -> None:
        """Stops the cluster as an operator would: open transactions rolled back, sessions ended (``-m fast``)."""
        self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, prefix: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        self._databases += 1
        name = f"{prefix}_{self._databases}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
             "-c", f'CREATE DATABASE "{name}"'],
            check=True, capture_output=True, timeout=PG_COMMAND_TIMEOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stops the cluster (if it runs) and removes its files."""
        if self.running:
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self.crash()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-processes.LOG_TAIL :] if self.log_path.exists() else ""

    def _pg_ctl(self, *args: str | Path) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, *args)

    def _as_postgres(self, *command: str | Path) -> None:
        result = subprocess.run(
            ["runuser", "-u", PG_USER, "--", *map(str, command)],
            capture_output=True, text=True, timeout=PG_COMMAND_TIMEOUT, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


# --- answers -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What one POST got: a status and body, or the transport error that stood in for them."""

    status: int | None
    body: Any
    started: float
    finished: float
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)

    @property
    def seconds(self) -> float:
        return self.finished - self.started


async def post_report(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> Answer:
    """Posts one report; a transport error (the server died, say) is an answer without a status."""
    started = time.monotonic()
    try:
        response = await client.post("/api/v1/reports", json=body, headers=headers)
    except httpx.TransportError as error:
        return Answer(None, None, started, time.monotonic(), f"{type(error).__name__}: {error!r}")
    is_json = response.headers.get("content-type", "").startswith("application/json")
    return Answer(response.status_code, response.json() if is_json else response.text, started, time.monotonic())


async def post_all(
    url: str,
    headers: dict[str, str],
    bodies: Sequence[dict[str, Any]],
    on_answer: Callable[[int], None] = lambda _count: None,
    connections: int = LOAD_CONNECTIONS,
) -> dict[str, Answer]:
    """Posts every body at once over at most ``connections`` connections; ``on_answer`` hears the number of
    answers so far after each one. Returns the answers by report id."""
    answers: dict[str, Answer] = {}
    gate = asyncio.Semaphore(connections)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT, limits=limits) as client:

        async def one(body: dict[str, Any]) -> None:
            async with gate:
                answers[body["id"]] = await post_report(client, headers, body)
            on_answer(len(answers))

        await asyncio.gather(*(one(body) for body in bodies))
    return answers


async def list_reports(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every report the token's organisation sees, paging with ``after_seq=last_seq``."""
    return await _page(url, headers, "/api/v1/reports", "reports")


async def list_change_seqs(url: str, headers: dict[str, str]) -> list[int]:
    """The seqs of the changes the token's organisation sees."""
    return [change["seq"] for change in await _page(url, headers, "/api/v1/changes", "changes")]


async def _page(url: str, headers: dict[str, str], path: str, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = 0
    async with httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as client:
        while True:
            response = await client.get(path, params={"after_seq": cursor, "limit": PAGE}, headers=headers)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page[key])
            if not page[key]:
                return items
            assert page["last_seq"] > cursor
            cursor = page["last_seq"]


async def assert_verify_clean(env: dict[str, str], cwd: Path) -> None:
    """``netcop verify`` finds the stored picture equal to a replay of the log."""
    code, stdout, stderr = await processes.run_netcop_async(env, "verify", cwd=cwd)
    assert code == 0, f"netcop verify exited with {code}:\n{stdout}\n{stderr[-5000:]}"


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float, what: str, every: float = 0.1) -> None:
    """Polls ``condition`` until it holds; fails naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(every)


async def ready(client: httpx.AsyncClient) -> bool:
    """Whether ``/readyz`` answers 200."""
    try:
        return (await client.get("/readyz", timeout=5.0)).status_code == 200
    except httpx.TransportError:
        return False


# --- the stream ----------------------------------------------------------------------------------------------


@dataclass
class StreamRecord:
    """Every change message a subscriber was sent, in arrival order, and how its connections went."""

    seqs: list[int] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    drops: list[str] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0


async def subscribe(url: str, headers: dict[str, str], record: StreamRecord, after_seq: int = 0) -> None:
    """Follows ``/api/v1/stream`` from ``after_seq`` until cancelled, recording every change as sent (no
    de-duplication: a change sent twice is recorded twice); when the connection drops it resumes with
    ``after_seq`` set to the last seq it got, as the spec tells clients to."""
    base = url.replace("http://", "ws://", 1) + "/api/v1/stream?"
    while True:
        try:
            resume = max(after_seq, record.last_seq)
            async with connect(base + urlencode({"after_seq": resume}), additional_headers=headers,
                               open_timeout=10, max_size=None) as socket:  # fmt: skip
                record.connections += 1
                await _receive(socket, record)
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as error:
            record.drops.append(f"{type(error).__name__}: {error}")
            await asyncio.sleep(0.2)


async def _receive(socket: ClientConnection, record: StreamRecord) -> None:
    async for message in socket:
        data = orjson.loads(message)
        if data["type"] == "change":
            record.seqs.append(data["seq"])
        elif data["type"] == "snapshot":
            record.snapshots.append(data)
        record.progress.set()


async def wait_seen(record: StreamRecord, seq: int, within: float) -> None:
    """Waits until the subscriber got a change at or beyond ``seq``."""
    deadline = time.monotonic() + within
    while record.last_seq < seq:
        record.progress.clear()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"the subscriber got up to seq {record.last_seq}, not {seq}, within {within} s")
        try:
            async with asyncio.timeout(remaining):
                await record.progress.wait()
        except TimeoutError:
            continue


async def stream_handshake(url: str, headers: dict[str, str], within: float) -> int | str:
    """How a new stream fares: the HTTP status it is refused with, or the close code that follows an accept (a
    token still in the server's cache passes the handshake), or what happened instead."""
    try:
        async with connect(url.replace("http://", "ws://", 1) + "/api/v1/stream?after_seq=0",
                           additional_headers=headers, open_timeout=within) as socket:  # fmt: skip
            async with asyncio.timeout(within):
                message = await socket.recv()
            return f"accepted, then sent {str(message)[:80]}"
    except InvalidStatus as refused:
        return refused.response.status_code
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else "accepted, then dropped without a close frame"
    except (OSError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"


def assert_each_once_in_order(seen: list[int], expected: list[int]) -> None:
    """The subscriber got exactly the expected seqs: none skipped, none repeated, in increasing order."""
    repeated = sorted(seq for seq, times in Counter(seen).items() if times > 1)
    assert not repeated, f"the subscriber was sent these seqs more than once: {repeated[:20]}"
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"the subscriber never got these seqs: {missing[:20]} (of {len(missing)})"
    extra = sorted(set(seen) - set(expected))
    assert not extra, f"the subscriber got seqs the change log does not give its viewer: {extra[:20]}"
    assert seen == expected, "the subscriber got the seqs out of order"


# --- what must hold after a crash ----------------------------------------------------------------------------


def assert_log_holds(stored: list[dict[str, Any]], acknowledged: dict[str, Answer]) -> None:
    """Every acknowledged report is stored once, under the seq it was answered with; no report is stored twice;
    the log is gap-free."""
    ids = [r["id"] for r in stored]
    twice = sorted(i for i, times in Counter(ids).items() if times > 1)
    assert not twice, f"reports stored twice: {twice[:10]}"
    assert [r["seq"] for r in stored] == list(range(1, len(stored) + 1)), "the log has gaps"
    by_id = {r["id"]: r for r in stored}
    lost = sorted(set(acknowledged) - set(by_id))
    assert not lost, f"{len(lost)} acknowledged reports were lost: {lost[:10]}"
    moved = sorted(i for i, a in acknowledged.items() if by_id[i]["seq"] != a.body["seq"])
    assert not moved, f"acknowledged reports stored under another seq than answered: {moved[:10]}"


def assert_retries_answered(retried: dict[str, Answer], first: dict[str, Answer], stored: set[str]) -> None:
    """A retry of a stored report is 200 with the stored answer (the acknowledged answer, when there was one);
    a retry of a report that was not stored is 201; none is 409."""
    for report_id, answer in sorted(retried.items()):
        expected = 200 if report_id in stored else 201
        assert answer.status == expected, f"retry of {report_id}: {answer.status} {answer.body}, not {expected}"
        if first[report_id].acknowledged:
            assert answer.body == first[report_id].body, f"the retry of {report_id} was answered differently"


def assert_answered_within(answers: dict[str, Answer], since: float, bound: float) -> None:
    """No request that was still waiting at ``since`` (or sent later) waited more than ``bound`` seconds from
    then for its answer: a bound on hanging while the database is away, not a performance figure (requests
    sent before are as slow as the machine's load makes them)."""
    late = sorted(
        (round(a.finished - max(a.started, since), 1), report_id)
        for report_id, a in answers.items()
        if a.finished > since and a.finished - max(a.started, since) > bound
    )
    assert not late, f"{len(late)} requests waited longer than {bound} s for their answer: {late[-5:]}"
