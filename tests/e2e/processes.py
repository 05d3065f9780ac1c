"""Real ``netcop`` processes for tests: the command line, and ``netcop serve`` on a free port.

The ``netcop`` script of the running interpreter's environment is used (``python -m app.cli.main`` does not
work: the module has no ``__main__`` guard). Every process gets a clean environment: the caller's ``NETCOP_*``
variables are dropped so that only what a test sets reaches the process. Everything is bounded: a command that
runs longer than ``COMMAND_TIMEOUT`` fails, a server that is not healthy within ``START_TIMEOUT`` fails, and a
server that does not stop within ``STOP_TIMEOUT`` of SIGTERM is killed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

COMMAND_TIMEOUT = 120.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3
LOG_TAIL = 20_000


def netcop_path() -> str:
    """The ``netcop`` script next to this interpreter (the venv's), else the one on the PATH."""
    beside = Path(sys.executable).parent / "netcop"
    if beside.exists():
        return str(beside)
    found = shutil.which("netcop")
    if found is None:
        raise RuntimeError("no netcop script: pip install -e . first")
    return found


class Env(dict[str, str]):
    """A process environment that shows only its ``NETCOP_*`` variables (in failure reports, say)."""

    def __repr__(self) -> str:
        return f"Env({ {k: v for k, v in self.items() if k.startswith('NETCOP_')} })"


def clean_env(**netcop: str) -> Env:
    """This process's environment without its ``NETCOP_*`` variables, plus the given ones (NETCOP_ + key)."""
    env = Env((k, v) for k, v in os.environ.items() if not k.startswith("NETCOP_"))
    env.update({f"NETCOP_{key.upper()}": value for key, value in netcop.items()})
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


@dataclass
class Server:
    """One ``netcop serve`` process and where its output goes."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """The tail of what the process wrote to stdout and stderr."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-LOG_TAIL:]

    def stop(self) -> str | None:
        """Terminates the process, killing it when it does not stop in time; says what went wrong, if anything
        (a server that had died already, or that ignored SIGTERM)."""
        if (code := self.process.poll()) is not None:
            return f"netcop serve at {self.url} had exited already with {code}"
        self.process.terminate()
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            return f"netcop serve at {self.url} did not stop within {STOP_TIMEOUT} s of SIGTERM and was killed"
        # uvicorn re-raises the SIGTERM it handled once it has shut down, so -SIGTERM is a clean exit too.
        if code not in (0, -signal.SIGTERM) or "Application shutdown complete" not in self.log():
            return f"netcop serve at {self.url} did not shut down cleanly (exit code {code})"
        return None


class ServerFailed(RuntimeError):
    """A server exited or stayed unhealthy before it could serve."""


def start(env: dict[str, str], workdir: Path) -> Server:
    """Starts ``netcop serve`` on a free port and returns once ``/healthz`` answers 200."""
    failure: ServerFailed | None = None
    for _ in range(START_ATTEMPTS):
        server = _spawn(env, workdir)
        try:
            _wait_healthy(server)
        except ServerFailed as error:
            server.stop()
            failure = error
            if "address already in use" not in server.log().lower():
                raise
            continue
        return server
    assert failure is not None
    raise failure


def _spawn(env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"netcop-serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [netcop_path(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)


def _wait_healthy(server: Server) -> None:
    """Polls ``/healthz`` until it answers, the process exits, or the deadline passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            # Waiting on the process paces the polling and notices at once when it dies.
            code = server.process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise ServerFailed(f"netcop serve exited with {code} before it was healthy:\n{server.log()}")
    raise ServerFailed(f"netcop serve was not healthy within {START_TIMEOUT} s:\n{server.log()}")
