"""Real ``netcop`` processes for tests: the command line, and servers on ports of their own.

The ``netcop`` script of the running interpreter's environment is used (``python -m app.cli.main`` does not
work: the module has no ``__main__`` guard). Every process gets a clean environment: the caller's ``NETCOP_*``
variables are dropped so that only what a test sets reaches the process.

A ``Server`` goes through ``State``: RUNNING once ``start`` saw its ``/healthz`` answer 200; STOPPED after
``stop`` (SIGTERM, then SIGKILL when it does not stop in time), from where ``start`` runs it again on the same
port and log; KILLED after ``kill`` (a test's deliberate SIGKILL). Whatever went wrong on the way (a server
that died by itself, ignored SIGTERM or did not shut down cleanly) is kept in ``problems`` for the fixture
that started it to report. Everything is bounded: a command that runs longer than ``COMMAND_TIMEOUT`` fails, a
server that is not healthy within ``START_TIMEOUT`` fails, and a server that does not stop within
``STOP_TIMEOUT`` of SIGTERM is killed.
"""

from __future__ import annotations

import asyncio
import enum
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import ADMIN_TOKEN

COMMAND_TIMEOUT = 120.0
START_TIMEOUT = 60.0  # a loaded machine has been seen to take 25 s
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3
LOG_TAIL = 20_000

Command = Callable[[int], list[str]]


def netcop_path() -> str:
    """The ``netcop`` script next to this interpreter (the venv's), else the one on the PATH."""
    beside = Path(sys.executable).parent / "netcop"
    if beside.exists():
        return str(beside)
    found = shutil.which("netcop")
    if found is None:
        raise RuntimeError("no netcop script: pip install -e . first")
    return found


def netcop_serve(port: int) -> list[str]:
    """The command of ``netcop serve`` on the port."""
    return [netcop_path(), "serve", "--host", "127.0.0.1", "--port", str(port)]


class Env(dict[str, str]):
    """A process environment that shows only its ``NETCOP_*`` variables (in failure reports, say)."""

    def __repr__(self) -> str:
        return f"Env({ {k: v for k, v in self.items() if k.startswith('NETCOP_')} })"


def clean_env(**netcop: str) -> Env:
    """This process's environment without its ``NETCOP_*`` variables, plus the given ones (NETCOP_ + key)."""
    env = Env((k, v) for k, v in os.environ.items() if not k.startswith("NETCOP_"))
    env.update({f"NETCOP_{key.upper()}": value for key, value in netcop.items()})
    return env


def environment(database_url: str, **netcop: str) -> Env:
    """The environment of a server on the database, with the tests' admin token, logging at info (the level
    that shows a clean shutdown) and more ``NETCOP_*`` settings (key without prefix)."""
    env = clean_env(**{"database_url": database_url, "admin_token": ADMIN_TOKEN, "log_level": "info", **netcop})
    if database_url.startswith("sqlite"):
        env["NETCOP_SQLITE_PATH"] = database_url.removeprefix("sqlite+aiosqlite:///")
    return env


def run_netcop(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs one ``netcop`` command to its end and returns its exit code, stdout and stderr."""
    return subprocess.run(
        [netcop_path(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


async def run_netcop_async(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str, str]:
    """Like ``run_netcop``, without blocking the event loop: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        netcop_path(),
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def free_port() -> int:
    """A TCP port that nothing listens on right now (the server may still lose a race for it: see ``start``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerFailed(RuntimeError):
    """A server exited or stayed unhealthy before it could serve."""


class State(enum.Enum):
    STOPPED = "stopped"
    RUNNING = "running"
    KILLED = "killed"


@dataclass
class Server:
    """One server process on a port of its own, writing to one log file across its starts."""

    port: int
    env: dict[str, str]
    workdir: Path
    command: Command = netcop_serve
    state: State = State.STOPPED
    problems: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] = field(init=False, repr=False)
    _log_start: int = field(default=0, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"netcop-serve-{self.port}.log"

    def log(self) -> str:
        """The tail of what the process wrote to stdout and stderr (across its starts)."""
        return self._read(0)[-LOG_TAIL:]

    def start(self) -> None:
        """Starts the process and returns once ``/healthz`` answers 200."""
        assert self.state is not State.RUNNING, f"{self.url} runs already"
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(self.port),
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.state = State.RUNNING
        self._wait_healthy()

    def kill(self) -> None:
        """Sends SIGKILL without waiting (safe in an event loop's callback): a crash the test means."""
        self.state = State.KILLED
        self.process.kill()

    def stop(self) -> None:
        """Terminates the process, killing it when it does not stop in time; a server that had died already,
        ignored SIGTERM or did not shut down cleanly is one more of its ``problems``."""
        if self.state is not State.RUNNING:
            return
        self.state = State.STOPPED
        if (problem := self._terminate()) is not None:
            self.problems.append(problem)

    def _terminate(self) -> str | None:
        if (code := self.process.poll()) is not None:
            return f"the server at {self.url} had exited already with {code}"
        self.process.terminate()
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            return f"the server at {self.url} did not stop within {STOP_TIMEOUT} s of SIGTERM and was killed"
        # uvicorn re-raises the SIGTERM it handled once it has shut down, so -SIGTERM is a clean exit too.
        if code not in (0, -signal.SIGTERM) or "Application shutdown complete" not in self._read(self._log_start):
            return f"the server at {self.url} did not shut down cleanly (exit code {code})"
        return None

    def _wait_healthy(self) -> None:
        """Polls ``/healthz`` until it answers, the process exits, or the deadline passes."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            try:
                # Waiting on the process paces the polling and notices at once when it dies.
                code = self.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            self.state = State.STOPPED
            raise ServerFailed(f"the server exited with {code} before it was healthy:\n{self.log()}")
        self.stop()
        raise ServerFailed(f"the server was not healthy within {START_TIMEOUT} s:\n{self.log()}")

    def _read(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


def start(env: dict[str, str], workdir: Path, command: Command = netcop_serve) -> Server:
    """Starts a server on a free port and returns it once ``/healthz`` answers 200."""
    failure: ServerFailed | None = None
    for _ in range(START_ATTEMPTS):
        server = Server(free_port(), env, workdir, command)
        try:
            server.start()
        except ServerFailed as error:
            failure = error
            if "address already in use" not in server.log().lower():
                raise
            continue
        return server
    assert failure is not None
    raise failure


def stop_all(servers: Sequence[Server]) -> str | None:
    """Stops every server; what went wrong with any of them across the test, with their output, if anything."""
    for server in servers:
        server.stop()
    return "\n\n".join(
        f"{problem}; its output:\n{server.log()}" for server in servers for problem in server.problems
    ) or None
