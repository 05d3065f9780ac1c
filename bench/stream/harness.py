"""Processes, CPU accounting and the admin API for ``fanout.py``: the servers and subscriber processes it starts
(each in its own process group, all killed on the way out), CPU by role from ``/proc``, a fresh database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADMIN_TOKEN = "bench-admin-token-" + os.urandom(16).hex()
READER_ORG = "bench-stream-dashboard"
REPORTER_ORG = "bench-stream-reporter"
INCIDENT = "bench-stream"
# ---------------------------------------------------------------------------------------------------------------
# processes


class Procs:
    """Processes started by this script, each in its own process group; all killed on the way out."""

    def __init__(self, log_dir: Path, db_name: str = "") -> None:
        self.log_dir = log_dir
        self.db_name = db_name
        self.client_argv = ["node", str(HERE / "subscribers.js")]
        self.servers: dict[str, subprocess.Popen[bytes]] = {}
        self.clients: list[asyncio.subprocess.Process] = []

    def start_server(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0)
        self.servers[name] = proc
        return proc

    def stop_server(self, name: str) -> None:
        proc = self.servers.pop(name, None)
        if proc is not None:
            _kill_group(proc.pid, proc.poll, lambda t: proc.wait(timeout=t))

    def kill_clients(self) -> None:
        for proc in self.clients:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self.clients = []

    def stop_all(self) -> None:
        self.kill_clients()
        for name in list(self.servers):
            self.stop_server(name)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _kill_group(pid: int, poll: Any, wait: Any) -> None:
    if poll() is not None:
        return
    for sig, seconds in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        try:
            wait(seconds)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(procs: Procs, name: str, url: str, timeout: float = 60.0) -> None:
    proc = procs.servers[name]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{procs.log_tail(name)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not become healthy within {timeout:.0f} s:\n{procs.log_tail(name)}")


def start_netcop(procs: Procs, args: argparse.Namespace) -> str:
    db_url = f"postgresql+asyncpg://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.db_name}"
    env = os.environ | {
        "NETCOP_DATABASE_URL": db_url,
        "NETCOP_ADMIN_TOKEN": ADMIN_TOKEN,
        "NETCOP_LOG_LEVEL": "warning",
        # benchmarks drive one organisation and one token far past the per-organisation limits
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
    procs.start_server("netcop", [netcop, "serve", "--host", "127.0.0.1", "--port", str(args.port), "--workers", "1"],
                       env)  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    wait_healthy(procs, "netcop", base + "/healthz")
    return base


def start_baseline(procs: Procs, args: argparse.Namespace) -> str:
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    argv = [uvicorn, "baseline_app:app", "--app-dir", str(HERE), "--host", "127.0.0.1", "--port",
            str(args.baseline_port), "--loop", "uvloop", "--http", "httptools", "--workers", "1",
            "--no-access-log", "--log-level", "warning"]  # fmt: skip
    procs.start_server("baseline", argv, dict(os.environ))
    base = f"http://127.0.0.1:{args.baseline_port}"
    wait_healthy(procs, "baseline", base + "/healthz")
    return base


def start_reference(procs: Procs, args: argparse.Namespace) -> tuple[str, str]:
    argv = [sys.executable, str(HERE / "ws_reference.py"), "--ws-port", str(args.reference_port), "--http-port",
            str(args.reference_port + 1)]  # fmt: skip
    procs.start_server("reference", argv, dict(os.environ))
    base = f"http://127.0.0.1:{args.reference_port + 1}"
    wait_healthy(procs, "reference", base + "/healthz")
    return base, f"http://127.0.0.1:{args.reference_port}"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise RuntimeError("no limit")


# ---------------------------------------------------------------------------------------------------------------
# CPU by role, from /proc

_TICK = os.sysconf("SC_CLK_TCK")


def _role(pid: int, comm: str, pgrp: int, groups: dict[int, str], db_name: str) -> str:
    role = groups.get(pgrp)
    if role is not None:
        return role
    if pid == os.getpid():
        return "driver (python)"
    if pgrp in groups.get("_clients", ()):
        return "subscribers"
    if comm == "node":
        return "other processes"
    if comm == "postgres":
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return "other processes"
        if f" {db_name} " in cmdline:
            return "postgres (bench db)"
        if "netcop" in cmdline or "test" in cmdline:
            return "other processes"
        return "postgres (shared: wal, checkpoints)"
    if comm.startswith("py-spy"):
        return "py-spy"
    return "other processes"


def _sample(groups: dict[Any, Any], db_name: str, roles: dict[int, tuple[str, float]]) -> dict[int, float]:
    """Cumulative CPU seconds of every live process; ``roles`` remembers each pid's role."""
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        pid = int(entry.name)
        times[pid] = (int(fields[11]) + int(fields[12])) / _TICK
        if pid not in roles:
            roles[pid] = (_role(pid, comm, int(fields[2]), groups, db_name), float(fields[19]) / _TICK)
    return times


def _machine() -> list[int]:
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def _machine_busy() -> float:
    values = _machine()
    return (sum(values[:8]) - values[3] - values[4]) / _TICK


class CpuMeter:
    """CPU by role over a phase: our server(s), PostgreSQL for the bench database, the Node subscribers, this
    driver, the kernel's interrupt work (loopback TCP is mostly softirq), steal, and everyone else's processes
    (other people's tests on the same machine), sampled every 0.25 s so that short-lived processes count too."""

    def __init__(self, procs: Procs, db_name: str = "") -> None:
        self.groups: dict[Any, Any] = {proc.pid: name for name, proc in procs.servers.items()}
        self.groups["_clients"] = {c.pid for c in procs.clients}
        self.db_name = db_name or getattr(procs, "db_name", "")
        self.roles: dict[int, tuple[str, float]] = {}
        self.first = _sample(self.groups, self.db_name, self.roles)
        self.last = dict(self.first)
        self.machine0 = _machine()
        self.t0 = time.monotonic()
        self.task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self.last.update(_sample(self.groups, self.db_name, self.roles))

    def result(self) -> dict[str, float]:
        self.task.cancel()
        self.last.update(_sample(self.groups, self.db_name, self.roles))
        wall = time.monotonic() - self.t0
        used: dict[str, float] = {}
        for pid, total in self.last.items():
            role = self.roles[pid][0]
            used[role] = used.get(role, 0.0) + (total - self.first.get(pid, 0.0)) / wall
        m1 = _machine()
        d = [(b - a) / _TICK / wall for a, b in zip(self.machine0, m1, strict=False)]
        # user nice system idle iowait irq softirq steal
        used["kernel irq+softirq"] = d[5] + d[6]
        used["machine"] = d[0] + d[1] + d[2] + d[5] + d[6] + d[7]
        used["steal"] = d[7]
        return used

    def line(self) -> str:
        used = self.result()
        machine = used.pop("machine")
        parts = [f"{k} {v:.2f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v >= 0.01]
        self.others = used.get("other processes", 0.0)
        return f"cores busy: machine {machine:.2f} = " + " + ".join(parts)


async def others_load(procs: Procs, seconds: float = 1.0) -> float:
    """Cores taken by other people's processes over ``seconds`` (ours, PostgreSQL's work for the bench database
    and the kernel's are left out)."""
    meter = CpuMeter(procs)
    await asyncio.sleep(seconds)
    return meter.result().get("other processes", 0.0)


async def wait_quiet(args: argparse.Namespace, procs: Procs) -> float:
    """Waits (up to --quiet-wait s) until other people's processes use less than --quiet cores; their tests and
    benchmarks on the same 2 cores would otherwise be measured as netcop's latency."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        load = await others_load(procs, 1.0)
        if load <= args.quiet or time.monotonic() > deadline:
            if load > args.quiet:
                print(f"    ! other processes keep {load:.2f} cores busy; measuring anyway", flush=True)
            return load


# ---------------------------------------------------------------------------------------------------------------
# database and admin


async def recreate_database(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(f"postgresql://{args.pg_user}@{args.pg_host}:{args.pg_port}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{args.db_name}"')
    finally:
        await conn.close()


async def register(client: httpx.AsyncClient, base: str) -> tuple[str, str]:
    """A reporting organisation with a report token, a dashboard organisation with a read token."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    tokens = []
    for org, roles in ((REPORTER_ORG, ["report"]), (READER_ORG, ["read"])):
        body = {"id": org, "name": org, "discipline": "other", "country": "NL"}
        (await client.post(f"{base}/api/v1/organisations", json=body, headers=admin)).raise_for_status()
        answer = await client.post(f"{base}/api/v1/organisations/{org}/tokens", json={"roles": roles, "label": "bench"},
                                   headers=admin)  # fmt: skip
        answer.raise_for_status()
        tokens.append(str(answer.json()["token"]))
    return tokens[0], tokens[1]
