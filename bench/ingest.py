"""netcop's ingest and read benchmarks on PostgreSQL with durable commits, load generator on the same machine.

    .venv/bin/python bench/ingest.py [--duration 15] [--connections 32] [--workers 1] [--profile DIR]

1. creates a fresh database (``--db-name``, default netcop_bench), applies the migrations, checks that
   ``synchronous_commit`` is on;
2. single reports: starts ``netcop serve`` (``--workers``), registers an organisation and a token through the admin
   API, warms up, then drives wrk (``-t2 -c32 --latency``, ``bench/report.lua``: a unique report per request)
   against ``POST /api/v1/reports``; then the same wrk load against the bare endpoint of ``bench/baseline_app.py``
   (uvicorn, uvloop, httptools, 1 worker); prints reports/s, p50/p99 of both and their ratio;
3. batches: ``POST /api/v1/reports/batch`` with 100 reports per request from a few concurrent httpx clients;
4. picture: loads ``--picture-objects`` objects into one incident through the batch endpoint, then times
   ``GET /api/v1/incidents/{id}/picture`` with httpx, with curl, and the same bytes served from memory (the floor).

Each phase also prints where the machine's CPU went (netcop, PostgreSQL, wrk, everything else). The machine is
shared: before each measured phase the script waits (``--quiet-wait``) for other work to fall under ``--quiet``
cores, and measures again (``--retries``) when it did not stay there, keeping the quietest attempt.

Every server is started in its own process group and killed at the end, whatever happens. With ``--profile DIR``
py-spy records the server during each measured phase (raw collapsed stacks; ``bench/pyspy_top.py`` ranks them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from app.migrate import upgrade  # noqa: E402

ADMIN_TOKEN = "bench-admin-token-" + os.urandom(16).hex()
ORGANISATION = "bench-veiligheidsregio"
OBSERVED_AT = "2026-01-15T14:03:00+01:00"
BENCH_DB_MARK = ""  # " <db name> " as it appears in a backend's process title, set at start
TARGETS = {"single": 5_000.0, "single_p99_ms": 25.0, "batch": 8_000.0, "picture_ms": 300.0}  # issue 7


# ---------------------------------------------------------------------------------------------------------------
# processes


class Servers:
    """The processes this script started; all of them are killed (by process group) on the way out."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, cwd=cwd or ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        self.running[name] = proc
        return proc

    def stop(self, name: str) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def wait_healthy(servers: Servers, name: str, url: str, timeout: float = 60.0) -> None:
    proc = servers.running[name]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{servers.log_tail(name)}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not become healthy within {timeout:.0f} s:\n{servers.log_tail(name)}")


def start_netcop(servers: Servers, args: argparse.Namespace, db_url: str) -> str:
    env = os.environ | {
        "NETCOP_DATABASE_URL": db_url,
        "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
        "NETCOP_LOG_LEVEL": "warning",
        # one organisation far past the per-organisation limits: lift them for the benchmark
        "NETCOP_REPORT_RATE_PER_ORGANISATION": "1000000",
        "NETCOP_WORK_RATE_PER_ORGANISATION": "100000000",
        "NETCOP_STREAM_RATE_PER_ORGANISATION": "1000000",
        "NETCOP_MAX_STREAMS_PER_TOKEN": "1000000",
        # ... and every subscriber from one address (the load generator): the bounds meant for the open internet
        "NETCOP_MAX_CONNECTIONS": "19000",
        "NETCOP_MAX_CONNECTIONS_PER_ADDRESS": "19000",
        "NETCOP_MAX_PENDING_HANDSHAKES": "19000",
    }
    netcop = str(Path(sys.executable).parent / "netcop")
    argv = [netcop, "serve", "--host", "127.0.0.1", "--port", str(args.port), "--workers", str(args.workers)]
    servers.start("netcop", argv, env)
    base = f"http://127.0.0.1:{args.port}"
    wait_healthy(servers, "netcop", base + "/healthz")
    return base


def start_baseline(servers: Servers, args: argparse.Namespace, dsn: str) -> str:
    env = os.environ | {"BENCH_DATABASE_URL": dsn, "BENCH_POOL_SIZE": str(args.baseline_pool)}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    argv = [uvicorn, "baseline_app:app", "--app-dir", str(BENCH), "--host", "127.0.0.1",
            "--port", str(args.baseline_port), "--loop", "uvloop", "--http", "httptools", "--workers", "1",
            "--no-access-log", "--log-level", "warning"]  # fmt: skip
    servers.start("baseline", argv, env)
    base = f"http://127.0.0.1:{args.baseline_port}"
    wait_healthy(servers, "baseline", base + "/healthz")
    return base


# ---------------------------------------------------------------------------------------------------------------
# where the CPU goes (from /proc): the server, PostgreSQL, the load generator, everything else


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_times(groups: dict[int, str]) -> dict[str, float]:
    """CPU seconds of the live processes, by role."""
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        role = groups.get(int(fields[2])) or _role_of(comm, int(entry.name))
        totals[role] = totals.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / _TICK
    return totals


def _role_of(comm: str, pid: int) -> str:
    if comm == "postgres":
        return _postgres_role(pid)
    if pid == os.getpid():
        return "bench client (python)"
    return "other processes"


def _postgres_role(pid: int) -> str:
    """A backend of the bench database, one of another database, or the server's shared background work."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "postgres (other)"
    if BENCH_DB_MARK and BENCH_DB_MARK in title:
        return "postgres"
    if any(word in title for word in ("walwriter", "checkpointer", "background writer", "wal sender")):
        return "postgres (wal, checkpoints)"
    return "postgres (other databases)" if "postgres:" in title and "(" in title else "postgres (other)"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / _TICK, sum(values[:8]) / _TICK


class CpuMeter:
    """CPU used during one phase by the server, PostgreSQL, wrk and the rest of the machine."""

    def __init__(self, servers: Servers) -> None:
        self.groups = {proc.pid: name for name, proc in servers.running.items()}
        self.start_procs = _proc_times(self.groups)
        self.start_machine = _machine_busy()
        self.start_children = _children_cpu()
        self.started = time.monotonic()

    def report(self, label: str, units: int) -> str:
        wall = time.monotonic() - self.started
        end = _proc_times(self.groups)
        busy = _machine_busy()[0] - self.start_machine[0]
        used = {k: max(0.0, v - self.start_procs.get(k, 0.0)) for k, v in end.items()}
        used["wrk"] = _children_cpu() - self.start_children  # wrk has exited (and been waited for) by now
        ours = ("netcop", "baseline", "postgres", "wrk", "bench client (python)", "postgres (wal, checkpoints)")
        foreign = busy - sum(v for k, v in used.items() if k in ours)
        parts = [f"{k} {v / wall:.2f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1])
                 if k in ours and v / wall >= 0.01]  # fmt: skip
        per_unit = ", ".join(
            f"{k} {1e6 * v / units:.0f} us" for k, v in used.items() if k in ("netcop", "postgres", "baseline")
        )
        self.foreign = foreign / wall
        warning = ""
        if foreign / wall > 0.2:
            warning = f"\n         WARNING: other work on the machine took {foreign / wall:.2f} cores in this phase"
        return (f"         CPU during {label} (cores busy of {os.cpu_count()}): machine {busy / wall:.2f} = "
                f"{' + '.join(parts)} + everything else {foreign / wall:.2f}; per report: {per_unit}"
                f"{warning}")  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# database


def pg_dsn(args: argparse.Namespace, database: str) -> str:
    return f"postgresql://{args.pg_user}@{args.pg_host}:{args.pg_port}/{database}"


async def recreate_database(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(pg_dsn(args, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{args.db_name}"')
    finally:
        await conn.close()


async def database_facts(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        facts = {name: await conn.fetchval(f"SHOW {name}") for name in
                 ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "shared_buffers")}  # fmt: skip
    finally:
        await conn.close()
    return facts


async def sql_value(dsn: str, query: str, *params: Any) -> Any:
    if dsn.startswith("sqlite:"):
        with sqlite3.connect(dsn.removeprefix("sqlite:")) as lite:
            return lite.execute(query, params).fetchone()[0]
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query, *params)
    finally:
        await conn.close()


def checkpoint(dsn: str) -> None:
    """A checkpoint before each measured phase, so that none of them pays for the previous one's dirty pages."""
    asyncio.run(sql_value(dsn, "PRAGMA wal_checkpoint(TRUNCATE)" if dsn.startswith("sqlite:") else "CHECKPOINT"))


# ---------------------------------------------------------------------------------------------------------------
# wrk


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    errors: str

    def line(self) -> str:
        return (f"{self.rps:>9,.0f} reports/s   p50 {self.p50_ms:6.2f} ms   p90 {self.p90_ms:6.2f} ms   "
                f"p99 {self.p99_ms:6.2f} ms   max {self.max_ms:7.2f} ms   ({self.requests:,} requests in "
                f"{self.seconds:.1f} s, non-2xx {self.non_2xx}{self._errors()})")  # fmt: skip

    def _errors(self) -> str:
        return f", {self.errors}" if self.errors else ""


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
            return default
        return match.group(1)

    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(s|m)", output, re.MULTILINE)
    if total is None:
        raise ValueError(f"wrk output lacks the request count:\n{output}")
    errors = find(r"^\s*Socket errors: (.*)$", "")
    return WrkResult(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * (60 if total.group(3) == "m" else 1),
        rps=float(find(r"^Requests/sec:\s*([\d.]+)")),
        p50_ms=_ms(find(r"^\s*50%\s+(\S+)")),
        p75_ms=_ms(find(r"^\s*75%\s+(\S+)")),
        p90_ms=_ms(find(r"^\s*90%\s+(\S+)")),
        p99_ms=_ms(find(r"^\s*99%\s+(\S+)")),
        max_ms=_ms(find(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)")),
        non_2xx=int(find(r"^\s*Non-2xx or 3xx responses: (\d+)", "0")),
        errors=errors,
    )


def run_wrk(args: argparse.Namespace, url: str, token: str, run: str, seconds: float) -> WrkResult:
    env = os.environ | {
        "NETCOP_BENCH_TOKEN": token,
        "NETCOP_BENCH_RUN": run,
        "NETCOP_BENCH_INCIDENT": "bench-ingest",
        "NETCOP_BENCH_OBJECT_POOL": str(args.object_pool),
    }
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
            "-s", str(BENCH / "report.lua"), url + "/api/v1/reports"]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse_wrk(done.stdout)
    if result.non_2xx > result.requests // 100:
        raise RuntimeError(f"{result.non_2xx} of {result.requests} answers were not 2xx: the figures mean nothing")
    return result


# ---------------------------------------------------------------------------------------------------------------
# profiling (optional)


class Profiler:
    """py-spy record of the server for the length of one phase, when --profile is given."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, name: str, pid: int, seconds: float, subprocesses: bool) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        py_spy = str(Path(sys.executable).parent / "py-spy")
        argv = [py_spy, "record", "--nonblocking", "--rate", "100", "--format", "raw", "--pid", str(pid),
                "--duration", str(int(seconds)), "-o", str(self.directory / f"{name}.txt")]  # fmt: skip
        if subprocesses:
            argv.append("--subprocesses")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


# ---------------------------------------------------------------------------------------------------------------
# the admin API


def register(base: str) -> str:
    """An organisation and a report+read token, through the admin API."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    organisation = {"id": ORGANISATION, "name": "Bench Veiligheidsregio", "discipline": "fire", "country": "NL"}
    answer = httpx.post(f"{base}/api/v1/organisations", json=organisation, headers=admin, timeout=10)
    answer.raise_for_status()
    answer = httpx.post(f"{base}/api/v1/organisations/{ORGANISATION}/tokens",
                        json={"roles": ["report", "read"], "label": "bench"}, headers=admin, timeout=10)  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["token"])


# ---------------------------------------------------------------------------------------------------------------
# batches and the picture (httpx)


def report_body(report_id: str, incident: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": report_id,
        "incident": incident,
        "incident_info": {"title": "Benchmark flood", "category": "flood", "status": "active", "grip": 3},
        "observed_at": OBSERVED_AT,
        "summary": "Roadblock placed on N3, evacuation of Wielwijk started",
        "objects": objects,
        "visibility": "partners",
    }


def small_objects(prefix: str, slot: int, counter: int) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}-roadblock-{slot}", "kind": "roadblock",
         "geometry": {"type": "Point", "coordinates": [4.6731, 51.8012]},
         "properties": {"status": "active", "note": "both directions", "seen": counter}},
        {"id": f"{prefix}-unit-{slot}", "kind": "unit",
         "geometry": {"type": "Point", "coordinates": [4.6612, 51.8055]},
         "properties": {"callsign": f"ZHZ-{slot}", "crew": 4}},
    ]  # fmt: skip


def picture_objects(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"obj-{n:06d}", "kind": "unit" if n % 3 else "roadblock",
         "geometry": {"type": "Point", "coordinates": [4.0 + (n % 1000) / 1000, 51.5 + (n // 1000) / 1000]},
         "properties": {"status": "active", "crew": n % 7, "callsign": f"ZHZ-{n}"}}
        for n in range(first, first + count)
    ]  # fmt: skip


@dataclass
class BatchStats:
    reports: int = 0
    requests: int = 0
    refused: int = 0
    latencies: list[float] | None = None


async def _post_batch(client: httpx.AsyncClient, reports: list[dict[str, Any]], stats: BatchStats) -> None:
    started = time.perf_counter()
    answer = await client.post("/api/v1/reports/batch", content=orjson.dumps({"reports": reports}))
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"batch answered {answer.status_code}: {answer.text[:500]}")
    results = orjson.loads(answer.content)["results"]
    stats.refused += sum(1 for r in results if r["status"] != 201)
    stats.reports += len(results)
    stats.requests += 1
    assert stats.latencies is not None
    stats.latencies.append(elapsed)


def _client(base: str, token: str, clients: int) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120)


async def batch_load(base: str, token: str, clients: int, size: int, seconds: float, run: str) -> BatchStats:
    stats = BatchStats(latencies=[])
    deadline = time.perf_counter() + seconds

    async def one_client(c: int) -> None:
        counter = 0
        while time.perf_counter() < deadline:
            reports = []
            for _ in range(size):
                counter += 1
                prefix = f"{run}-c{c}"
                objects = small_objects(prefix, counter % 1000, counter)
                reports.append(report_body(f"{prefix}-{counter:010d}", "bench-batch", objects))
            await _post_batch(client, reports, stats)

    async with _client(base, token, clients) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(c) for c in range(clients)))
        elapsed = time.perf_counter() - started
    stats.latencies.append(elapsed)  # the last entry is the wall time of the whole load
    return stats


async def load_picture(base: str, token: str, objects: int, per_report: int, per_batch: int) -> float:
    """Loads ``objects`` objects into the incident bench-picture; returns the seconds it took."""
    reports = [report_body(f"picture-{r:06d}", "bench-picture", picture_objects(r * per_report, per_report))
               for r in range(objects // per_report)]  # fmt: skip
    batches = [reports[i : i + per_batch] for i in range(0, len(reports), per_batch)]
    stats = BatchStats(latencies=[])
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def worker() -> None:
        while not queue.empty():
            await _post_batch(client, queue.get_nowait(), stats)

    async with _client(base, token, 2) as client:
        started = time.perf_counter()
        await asyncio.gather(worker(), worker())
        elapsed = time.perf_counter() - started
    if stats.refused:
        raise RuntimeError(f"{stats.refused} picture reports were refused")
    return elapsed


async def time_get(url: str, headers: dict[str, str], times: int) -> tuple[list[float], bytes]:
    """Times GET url with httpx, the whole body read; returns (ms each, the last body)."""
    timings, content = [], b""
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:
        for _ in range(times):
            started = time.perf_counter()
            answer = await client.get(url)
            content = answer.content
            timings.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {url} answered {answer.status_code}: {answer.text[:500]}")
    return timings, content


def time_curl(url: str, token: str, times: int) -> list[tuple[float, float]]:
    """(time to first byte, total) in ms of GET url with curl, a client that costs next to nothing."""
    if shutil.which("curl") is None:
        return []
    out = []
    for _ in range(times):
        done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}", "-w",
                               "%{time_starttransfer} %{time_total}", url], capture_output=True, text=True,
                              check=False, timeout=60)  # fmt: skip
        first, total = done.stdout.split()
        out.append((float(first) * 1000, float(total) * 1000))
    return out


def listed(timings: list[float]) -> str:
    return ", ".join(f"{t:.0f}" for t in timings)


def describe(timings: list[float]) -> str:
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (f"min {ordered[0]:.0f} ms  median {statistics.median(ordered):.0f} ms  p90 {p90:.0f} ms  "
            f"max {ordered[-1]:.0f} ms")  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# the phases


def wait_quiet(args: argparse.Namespace) -> None:
    """Waits (up to --quiet-wait s) until the machine, our servers idle, uses less than --quiet cores: the machine
    is shared, and other people's test runs would otherwise be measured along."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        before, started = _machine_busy()[0], time.monotonic()
        time.sleep(1.0)
        load = (_machine_busy()[0] - before) / (time.monotonic() - started)
        if load <= args.quiet:
            return
        if time.monotonic() > deadline:
            print(f"         (the machine did not get quiet: {load:.2f} cores busy; measuring anyway)")
            return


def measured(args: argparse.Namespace, attempt: Any) -> Any:
    """Runs attempt(n) -> (result, cores other work took, lines to print) up to 1 + --retries times, until other
    work stays under --quiet cores; prints and returns the quietest attempt's result."""
    best: Any = None
    for n in range(args.retries + 1):
        wait_quiet(args)
        outcome = attempt(n)
        if best is None or outcome[1] < best[1]:
            best = outcome
        if outcome[1] <= args.quiet:
            break
        if n < args.retries:
            print(f"         (attempt {n + 1}: other work took {outcome[1]:.2f} cores; measuring again)")
    for line in best[2]:
        print(line)
    return best[0]


def header(args: argparse.Namespace, facts: dict[str, str]) -> None:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    print("== netcop benchmark")
    print(f"machine: nproc={nproc} cores (os.cpu_count()={os.cpu_count()}), load generator on the same machine")
    print(f"PostgreSQL {facts['server_version']} at {args.pg_host}:{args.pg_port}, database {args.db_name}: "
          f"synchronous_commit={facts['synchronous_commit']} fsync={facts['fsync']} "
          f"wal_sync_method={facts['wal_sync_method']} shared_buffers={facts['shared_buffers']}")  # fmt: skip
    print(f"netcop serve --workers {args.workers}; wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:g}s --latency (after a {args.warmup:g} s warm-up)")  # fmt: skip
    if facts["synchronous_commit"] != "on" or facts["fsync"] != "on":
        raise SystemExit("refusing to benchmark: commits are not durable (synchronous_commit and fsync must be on)")


def group_sizes(base: str, before: Any = None) -> Any:
    """The writer's group commits from /metrics (one process's, with several workers): (sum, count), or, given
    the figures from before, a sentence about the groups in between."""
    text = httpx.get(base + "/metrics", timeout=5).text
    found = {m[1]: float(m[2]) for m in re.finditer(r"^netcop_ingest_group_size_(sum|count) ([\d.e+]+)$", text, re.M)}
    now = (found.get("sum", 0.0), found.get("count", 0.0))
    if before is None:
        return now
    reports, groups = now[0] - before[0], now[1] - before[1]
    if not groups:
        return "group commits: none seen in /metrics"
    return f"group commits (this process's /metrics): {groups:,.0f} groups, {reports / groups:.1f} reports per group"


def netcop_pid(servers: Servers) -> int:
    return servers.running["netcop"].pid


def single_netcop(args: argparse.Namespace, servers: Servers, profiler: Profiler, dsn: str) -> WrkResult:
    base = start_netcop(servers, args, args.db_url)
    token = register(base)
    args.token = token
    if args.warmup > 0:
        run_wrk(args, base, token, "warm", args.warmup)

    def attempt(n: int) -> tuple[WrkResult, float, list[str]]:
        run = f"main{n}"
        checkpoint(dsn)
        profiler.start(f"single-netcop-{n}", netcop_pid(servers), args.duration, args.workers > 1)
        groups = group_sizes(base)
        meter = CpuMeter(servers)
        result = run_wrk(args, base, token, run, args.duration)
        cpu = meter.report("the measured run", result.requests)
        groups = group_sizes(base, groups)
        profiler.wait()
        stored = asyncio.run(sql_value(dsn, f"SELECT count(*) FROM reports WHERE report_id LIKE '{run}-%'"))
        return (
            result,
            meter.foreign,
            [
                f"netcop   POST /api/v1/reports: {result.line()}",
                f"         reports stored by the measured run: {stored:,} (wrk counted {result.requests:,} answers); "
                f"{groups}",
                cpu,
            ],
        )

    result: WrkResult = measured(args, attempt)
    servers.stop("netcop")
    return result


def single_baseline(args: argparse.Namespace, servers: Servers, dsn: str) -> WrkResult:
    base = start_baseline(servers, args, dsn)
    if args.warmup > 0:
        run_wrk(args, base, "none", "warm", args.warmup)

    def attempt(n: int) -> tuple[WrkResult, float, list[str]]:
        run = f"main{n}"
        checkpoint(dsn)
        meter = CpuMeter(servers)
        result = run_wrk(args, base, "none", run, args.duration)
        cpu = meter.report("the measured run", result.requests)
        query = f"SELECT count(*) FROM baseline_reports WHERE report_id LIKE '{run}-%'"
        stored = asyncio.run(sql_value(dsn, query))
        return (
            result,
            meter.foreign,
            [
                f"baseline POST /api/v1/reports: {result.line()}",
                f"         rows stored by the measured run: {stored:,} (bare FastAPI + asyncpg INSERT, pool "
                f"{args.baseline_pool}, 1 worker)",
                cpu,
            ],
        )

    result: WrkResult = measured(args, attempt)
    servers.stop("baseline")
    return result


def batch_phase(args: argparse.Namespace, servers: Servers, profiler: Profiler, dsn: str) -> float:
    def attempt(n: int) -> tuple[float, float, list[str]]:
        checkpoint(dsn)
        profiler.start(f"batch-{n}", netcop_pid(servers), args.batch_duration, args.workers > 1)
        groups = group_sizes(args.base)
        meter = CpuMeter(servers)
        stats = asyncio.run(batch_load(args.base, args.token, args.batch_clients, args.batch_size,
                                       args.batch_duration, f"batch{n}"))  # fmt: skip
        cpu = meter.report("the batch load", max(stats.reports, 1))
        groups = group_sizes(args.base, groups)
        profiler.wait()
        assert stats.latencies is not None
        wall = stats.latencies.pop()
        rate = stats.reports / wall
        lat = sorted(stats.latencies)
        p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        return (
            rate,
            meter.foreign,
            [
                f"netcop   POST /api/v1/reports/batch ({args.batch_size} reports/request, {args.batch_clients} "
                f"clients): {rate:,.0f} reports/s   ({stats.reports:,} reports in {stats.requests} requests, "
                f"{wall:.1f} s; request p50 {p50:.0f} ms p99 {p99:.0f} ms; refused {stats.refused})",
                f"         {groups}",
                cpu,
            ],
        )

    rate: float = measured(args, attempt)
    return rate


def picture_phase(args: argparse.Namespace, servers: Servers, profiler: Profiler, dsn: str) -> float:
    loaded = asyncio.run(load_picture(args.base, args.token, args.picture_objects, 100, 10))
    print(f"netcop   loaded {args.picture_objects:,} objects into bench-picture "
          f"({args.picture_objects // 100} reports x 100 objects, batches of 10 reports) in {loaded:.1f} s "
          f"= {args.picture_objects / loaded:,.0f} objects/s")  # fmt: skip
    checkpoint(dsn)
    url = args.base + "/api/v1/incidents/bench-picture/picture"

    def attempt(n: int) -> tuple[tuple[list[float], bytes], float, list[str]]:
        profiler.start(f"picture-{n}", netcop_pid(servers), 60, args.workers > 1)
        meter = CpuMeter(servers)
        timings, content = asyncio.run(time_get(url, {"Authorization": f"Bearer {args.token}"}, args.picture_gets))
        cpu = meter.report("the reads", args.picture_gets)
        if profiler.proc is not None:
            profiler.proc.send_signal(signal.SIGINT)
        profiler.wait()
        count = len(orjson.loads(content)["objects"])
        return (
            (timings, content),
            meter.foreign,
            [
                f"netcop   GET /api/v1/incidents/bench-picture/picture ({count:,} objects, "
                f"{len(content) / 1e6:.1f} MB), httpx: {describe(timings)}   [{listed(timings)}]",
                cpu.replace("per report", "per read"),
            ],
        )

    timings, content = measured(args, attempt)
    curl = time_curl(url, args.token, 5)
    if curl:
        print(f"         the same with curl (5 times): first byte {describe([c[0] for c in curl])}; "
              f"whole body {describe([c[1] for c in curl])}")  # fmt: skip
    floor_phase(args, servers, content)
    return statistics.median(timings)


def floor_phase(args: argparse.Namespace, servers: Servers, content: bytes) -> None:
    """The same body served by a raw ASGI app from memory: what HTTP and the client cost on their own."""
    body_file = servers.log_dir / "picture.json"
    body_file.write_bytes(content)
    env = os.environ | {"BENCH_BODY_FILE": str(body_file)}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    argv = [uvicorn, "floor_app:app", "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port",
            str(args.baseline_port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]  # fmt: skip
    servers.start("floor", argv, env)
    try:
        url = f"http://127.0.0.1:{args.baseline_port}/"
        wait_healthy(servers, "floor", url)
        timings, _ = asyncio.run(time_get(url, {}, 5))
        print(f"floor    the same {len(content) / 1e6:.1f} MB served from memory by a raw ASGI app, httpx: "
              f"{describe(timings)}")  # fmt: skip
    finally:
        servers.stop("floor")


def verdict(name: str, value: float, target: float, higher_is_better: bool, unit: str) -> str:
    met = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    return f"  {name:<44} {value:>10,.1f} {unit:<10} target {sign} {target:,.0f}   {'MET' if met else 'MISSED'}"


def summary(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    nproc = os.cpu_count()
    print(f"== summary (nproc={nproc}, netcop serve --workers {args.workers}, PostgreSQL synchronous_commit=on)")
    if "single" in figures:
        single: WrkResult = figures["single"]
        print(verdict("single POST reports/s", single.rps, TARGETS["single"], True, "reports/s"))
        print(verdict("single POST p99", single.p99_ms, TARGETS["single_p99_ms"], False, "ms"))
    if "baseline" in figures and "single" in figures:
        ratio = figures["single"].rps / figures["baseline"].rps
        print(f"  {'bare FastAPI+asyncpg endpoint (same run)':<44} {figures['baseline'].rps:>10,.1f} reports/s   "
              f"netcop / bare = {ratio:.2f}x (must be >= 1.5)")  # fmt: skip
    if "batch" in figures:
        print(verdict("batch POST (100/request) reports/s", figures["batch"], TARGETS["batch"], True, "reports/s"))
    if "sqlite_single" in figures:
        lite: WrkResult = figures["sqlite_single"]
        print(f"  {'SQLite single POST reports/s, p99':<44} {lite.rps:>10,.1f} reports/s   p99 {lite.p99_ms:.1f} ms")
        print(f"  {'SQLite batch POST (100/request) reports/s':<44} {figures['sqlite_batch']:>10,.1f} reports/s")
    if "picture" in figures:
        name = f"GET picture, {args.picture_objects:,} objects, median"
        print(verdict(name, figures["picture"], TARGETS["picture_ms"], False, "ms"))


def run(args: argparse.Namespace, servers: Servers) -> None:
    dsn = pg_dsn(args, args.db_name)
    args.db_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    global BENCH_DB_MARK
    BENCH_DB_MARK = f" {args.db_name} "
    asyncio.run(recreate_database(args))
    upgrade(args.db_url)
    header(args, asyncio.run(database_facts(dsn)))
    profiler = Profiler(args.profile)
    figures: dict[str, Any] = {}
    figures["single"] = single_netcop(args, servers, profiler, dsn)
    if not args.skip_baseline:
        figures["baseline"] = single_baseline(args, servers, dsn)
        ratio = figures["single"].rps / figures["baseline"].rps
        print(f"ratio    netcop / bare endpoint: {ratio:.2f}x reports/s "
              f"(p99 {figures['single'].p99_ms:.2f} ms vs {figures['baseline'].p99_ms:.2f} ms)")  # fmt: skip
    if not (args.skip_batch and args.skip_picture):
        args.base = start_netcop(servers, args, args.db_url)
        if not args.skip_batch:
            figures["batch"] = batch_phase(args, servers, profiler, dsn)
        if not args.skip_picture:
            figures["picture"] = picture_phase(args, servers, profiler, dsn)
    if args.sqlite:
        figures |= sqlite_phases(args, servers, profiler)
    summary(args, figures)


def sqlite_phases(args: argparse.Namespace, servers: Servers, profiler: Profiler) -> dict[str, Any]:
    """The same single and batch loads against the embedded SQLite default (a fresh file)."""
    servers.stop("netcop")
    path = Path(tempfile.mkdtemp(prefix="netcop-bench-sqlite-")) / "netcop.db"
    args.db_url = f"sqlite+aiosqlite:///{path}"
    upgrade(args.db_url)
    print(f"== SQLite ({path}, WAL, synchronous=FULL)")
    single = single_netcop(args, servers, profiler, f"sqlite:{path}")
    args.base = start_netcop(servers, args, args.db_url)  # the token of the single phase stays valid
    batch = batch_phase(args, servers, profiler, f"sqlite:{path}")
    servers.stop("netcop")
    return {"sqlite_single": single, "sqlite_batch": batch}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=15, help="seconds of each measured wrk run")
    p.add_argument("--warmup", type=float, default=3, help="seconds of wrk warm-up before each measured run")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=1, help="netcop serve --workers")
    p.add_argument("--object-pool", type=int, default=1000, help="object ids each wrk thread cycles through")
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--baseline-port", type=int, default=18081)
    p.add_argument("--baseline-pool", type=int, default=32, help="asyncpg pool size of the bare endpoint")
    p.add_argument("--batch-duration", type=float, default=10)
    p.add_argument("--batch-clients", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--picture-objects", type=int, default=100_000)
    p.add_argument("--picture-gets", type=int, default=10)
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--db-name", default="netcop_bench")
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--skip-batch", action="store_true")
    p.add_argument("--skip-picture", action="store_true")
    p.add_argument("--sqlite", action="store_true", help="also measure single and batch on the embedded SQLite")
    p.add_argument("--quiet", type=float, default=0.3, help="busy cores of other work to wait below")
    p.add_argument("--quiet-wait", type=float, default=10, help="seconds to wait for a quiet machine at most")
    p.add_argument("--retries", type=int, default=1, help="measure a phase again when other work was busy")
    p.add_argument("--profile", type=Path, default=None, help="directory for py-spy recordings of each phase")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    log_dir = Path(tempfile.mkdtemp(prefix="netcop-bench-"))
    servers = Servers(log_dir)

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        run(args, servers)
    finally:
        servers.stop_all()
        print(f"(server logs in {log_dir}; {time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
