"""Fan-out benchmark of netcop's live stream (spec section 7), with real WebSocket clients on the same machine,
and the FastAPI documentation's broadcast pattern side by side in the same run.

    .venv/bin/python bench/stream/fanout.py [--quick] [--profile DIR] [--only SCENARIO,...]

What it does (see README.md beside this file):

1. a fresh PostgreSQL database (``--db-name``, default netcop_bench_stream), ``netcop serve`` (1 worker) on it,
   an organisation and a report+read token through the admin API;
2. idle: as many idle subscribers as one server process can hold (20,000, or what the process's open-file limit
   leaves), the server's RSS before and after -> KB per connection; then one report is fanned out to all of them;
3. fan-out: N subscribers (``subscribers.js``, Node ``ws``, in several processes, each from its own 127.0.0.x so
   that ports do not run out), a Python driver POSTing single reports at a fixed rate (open loop), each report
   carrying ``bench_sent_ms`` (epoch ms when the driver sent it) in an object's properties; every subscriber
   records now - bench_sent_ms for every change it receives and checks seqs for loss, duplicates and order;
   scenarios: 1,000 x 100/s and 10,000 x 10/s; a saturation sweep at 1,000 subscribers; the same 1,000 x 100/s
   and a sweep against ``baseline_app.py`` (uvicorn, uvloop, httptools, 1 worker);
4. resume: 10,000 reports through the batch endpoint, then one client with ``after_seq`` just before them, timed
   until it holds all 10,000 changes.

Every process it starts is started in its own process group and killed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import (
    HERE,
    CpuMeter,
    Procs,
    fd_limit,
    open_fds,
    recreate_database,
    register,
    rss_kb,
    start_baseline,
    start_netcop,
    start_reference,
    wait_quiet,
)  # fmt: skip
from load import Driver, DriveResult, Subscribers, Target, merge_stats

TARGETS = {
    "p50_1k": 10.0, "p99_1k": 50.0, "p99_10k": 150.0, "saturation": 150_000.0, "idle_n": 20_000,
    "idle_kb": 40.0, "resume": 50_000.0, "sat_p99": 200.0,
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# scenarios


@dataclass
class Row:
    server: str
    subscribers: int
    rate: float
    achieved_rate: float
    deliveries: float
    p50: float | None
    p99: float | None
    max: float | None
    lost: int
    dup: int
    ooo: int
    closes: dict[str, int]
    note: str = ""
    cpu: str = ""
    post_p99: float | None = None
    others: float = 0.0

    def cells(self) -> list[str]:
        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v:,.1f}"

        closes = ",".join(f"{k}x{v}" for k, v in self.closes.items()) or "-"
        return [self.server, f"{self.subscribers:,}", f"{self.rate:g}", f"{self.achieved_rate:,.1f}",
                f"{self.rate * self.subscribers:,.0f}", f"{self.deliveries:,.0f}", ms(self.p50), ms(self.p99),
                ms(self.max), f"{self.lost:,}", f"{self.dup}/{self.ooo}", closes, ms(self.post_p99),
                f"{self.others:.2f}"]  # fmt: skip


HEADER = ["server", "subs", "rep/s", "posted/s", "demand/s", "delivered/s", "p50 ms", "p99 ms", "max ms", "lost",
          "dup/ooo", "closes", "POST p99", "others"]  # fmt: skip


def table(rows: list[Row]) -> str:
    cells = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c[i].rjust(widths[i]) if i else c[i].ljust(widths[i]) for i in range(len(c))) for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def processes_for(n: int) -> int:
    return max(2, min(8, math.ceil(n / 2500)))


async def head_seq(client: httpx.AsyncClient, target: Target, driver: Driver) -> int:
    """The current head of the change log: the seq of a report posted now (netcop), the counter (baseline)."""
    if target.kind != "netcop":
        return int((await client.get(f"{target.base}/seq")).json()["seq"])
    result = DriveResult()
    await driver.slots.acquire()
    await driver._post(result)
    if not result.ok:
        raise RuntimeError(f"could not post a report: {result.errors}")
    return result.max_seq


async def fanout(procs: Procs, client: httpx.AsyncClient, target: Target, args: argparse.Namespace, subs: int,
                 rate: float, seconds: float, warm: float, profile: str | None = None) -> Row:  # fmt: skip
    """One scenario; run again (up to --retries times) when other people's processes took more than --quiet cores
    of the machine during the measurement."""
    for attempt in range(args.retries + 1):
        row = await _fanout_once(procs, client, target, args, subs, rate, seconds, warm, profile)
        if row.others <= args.quiet or attempt == args.retries:
            return row
        print(f"    ! other processes took {row.others:.2f} cores during the measurement "
              f"(p99 {row.p99} ms); once more", flush=True)  # fmt: skip
    raise AssertionError


async def _fanout_once(procs: Procs, client: httpx.AsyncClient, target: Target, args: argparse.Namespace, subs: int,
                       rate: float, seconds: float, warm: float, profile: str | None) -> Row:  # fmt: skip
    driver = Driver(target.base, target.report_token, args.outstanding)
    try:
        after = await head_seq(client, target, driver)
        capacity = math.ceil(rate * (seconds + warm) * 1.3) + 1000
        subscribers = Subscribers(procs, processes_for(subs))
        t_connect = time.monotonic()
        ready = await subscribers.start(target, subs, after, capacity, limit_s=180.0)
        opened = sum(r["open"] for r in ready)
        connect_s = time.monotonic() - t_connect
        if opened < subs:
            print(f"    ! only {opened:,} of {subs:,} connections opened ({[r['errors'] for r in ready]})", flush=True)
        background = await wait_quiet(args, procs)
        result = await driver.drive(rate, warm) if warm > 0 else DriveResult()
        await subscribers.command(f"from {time.time() * 1000.0:.3f}")
        cpu = CpuMeter(procs)
        profiler = start_profile(args, profile, target.pid, seconds)
        measured = await driver.drive(rate, seconds)
        cpu_line = cpu.line()
        result.merge(measured)
        final = result.max_seq if target.kind == "netcop" else await head_seq(client, target, driver)
        if final == 0:
            raise RuntimeError(f"no report was accepted: {result.errors}")
        waited = await subscribers.drain(final, args.drain)
        stats = merge_stats(await subscribers.stop())
        stop_profile(profiler)
    finally:
        await driver.close()
    expected = (final - after) * opened
    lost = expected - stats["unique"]
    window = max(stats["window_s"], measured.seconds)
    post = sorted(measured.post_ms)
    row = Row(
        server=target.kind, subscribers=subs, rate=rate, achieved_rate=measured.posted / measured.seconds,
        deliveries=stats["measured"] / window if window else 0.0, p50=stats["p50"], p99=stats["p99"],
        max=stats["max"], lost=lost, dup=stats["dup"], ooo=stats["ooo"], closes=stats["close_codes"],
        cpu=cpu_line, post_p99=post[int(0.99 * (len(post) - 1))] if post else None, others=cpu.others,
    )  # fmt: skip
    extra = []
    if result.failed:
        extra.append(f"report POST failures {result.errors}")
    if stats["failed"]:
        extra.append(f"{stats['failed']} connections failed {stats['errors']}")
    if stats["snapshots"]:
        extra.append(f"{stats['snapshots']} snapshots")
    if stats["outside"]:
        extra.append(f"{stats['outside']} seqs outside the tracked range")
    if stats["negative"]:
        extra.append(f"{stats['negative']} negative latencies")
    row.note = (f"others before {background:.2f} cores; connect {opened:,} in {connect_s:.1f} s; "
                f"{measured.posted:,} measured reports + {result.posted - measured.posted:,} warm-up; "
                f"seqs {after + 1}..{final}; drained in {waited:.1f} s; measured window {window:.1f} s"
                + "".join("; " + e for e in extra))  # fmt: skip
    return row


def start_profile(
    args: argparse.Namespace, name: str | None, pid: int, seconds: float
) -> subprocess.Popen[bytes] | None:
    if args.profile is None or name is None:
        return None
    directory = Path(args.profile)
    directory.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(sys.executable).parent / "py-spy")
    argv = [py_spy, "record", "--nonblocking", "--rate", "100", "--format", "raw", "--pid", str(pid),
            "--duration", str(max(1, int(seconds) - 1)), "-o", str(directory / f"{name}.txt")]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)


def stop_profile(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def print_row(row: Row, label: str) -> None:
    print(f"  {label}: delivered {row.deliveries:,.0f}/s  p50 {row.p50} ms  p99 {row.p99} ms  max {row.max} ms  "
          f"lost {row.lost:,}  dup/ooo {row.dup}/{row.ooo}  closes {row.closes or '-'}", flush=True)  # fmt: skip
    print(f"      {row.note}", flush=True)
    print(f"      {row.cpu}", flush=True)


async def idle(procs: Procs, client: httpx.AsyncClient, target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """As many idle subscribers as the server can hold, RSS per connection; then one report to all of them."""
    limit = fd_limit(target.pid)
    in_use = open_fds(target.pid)
    n = min(args.idle, limit - in_use - 50)
    driver = Driver(target.base, target.report_token, 4)
    try:
        after = await head_seq(client, target, driver)
        await asyncio.sleep(1.0)
        before = rss_kb(target.pid)
        subscribers = Subscribers(procs, processes_for(n))
        t0 = time.monotonic()
        ready = await subscribers.start(target, n, after, 64, limit_s=300.0, concurrency=50)
        connect_s = time.monotonic() - t0
        opened = sum(r["open"] for r in ready)
        await asyncio.sleep(3.0)
        after_rss = rss_kb(target.pid)
        fds = open_fds(target.pid)
        await wait_quiet(args, procs)
        await subscribers.command(f"from {time.time() * 1000.0:.3f}")
        cpu = CpuMeter(procs)
        result = await driver.drive(1.0, args.idle_reports)
        cpu_line = cpu.line()
        waited = await subscribers.drain(result.max_seq, 30.0)
        stats = merge_stats(await subscribers.stop())
        close_s = await server_settled(target.pid, in_use + 100)
    finally:
        await driver.close()
    expected = (result.max_seq - after) * opened
    return {
        "requested": args.idle, "n": n, "opened": opened, "fd_limit": limit, "fds_before": in_use, "fds_after": fds,
        "connect_s": connect_s, "rss_before_kb": before, "rss_after_kb": after_rss,
        "kb_per_conn": (after_rss - before) / opened if opened else None, "reports": result.ok,
        "lost": expected - stats["unique"], "p50": stats["p50"], "p99": stats["p99"], "max": stats["max"],
        "dup": stats["dup"], "ooo": stats["ooo"], "closes": stats["close_codes"], "drain_s": waited, "cpu": cpu_line,
        "errors": [r["errors"] for r in ready], "close_s": close_s,
    }  # fmt: skip


async def resume(procs: Procs, client: httpx.AsyncClient, target: Target, args: argparse.Namespace, count: int,
                 rounds: int) -> list[dict[str, Any]]:  # fmt: skip
    """``count`` changes posted in batches, then one client with after_seq just before them, timed until it has
    them all (from the start of the connection)."""
    driver = Driver(target.base, target.report_token, 4)
    out = []
    try:
        after = await head_seq(client, target, driver)
        posted = await driver.batch(count)
        final = posted.max_seq
        behind = final - after
        for i in range(rounds):
            await wait_quiet(args, procs)
            subscribers = Subscribers(procs, 1)
            cpu = CpuMeter(procs)
            t0 = time.monotonic()
            await subscribers.start(target, 1, after, behind + 100, expect=behind, full_parse=(i == 0))
            done = (await subscribers.wait_event("complete", 120.0))[0]
            wall = time.monotonic() - t0
            cpu_line = cpu.line()
            stats = merge_stats(await subscribers.stop())
            out.append({
                "behind": behind, "ingest_s": posted.seconds, "ms_from_connect": done["ms_from_connect"],
                "ms_from_open": done["ms_from_open"], "wall_s": wall,
                "rate": behind / (done["ms_from_connect"] / 1000.0), "unique": stats["unique"], "dup": stats["dup"],
                "ooo": stats["ooo"], "changes": stats["changes"], "parse_mismatch": stats["parse_mismatch"],
                "full_parse": i == 0, "cpu": cpu_line, "failed": posted.failed,
            })  # fmt: skip
    finally:
        await driver.close()
    return out


# ---------------------------------------------------------------------------------------------------------------


async def server_settled(pid: int, fds: int, limit_s: float = 60.0) -> float:
    """Waits until the server holds at most ``fds`` open files (it has closed the streams the clients left);
    returns the seconds it took. (Polling: the server gives no signal for this.)"""
    t0 = time.monotonic()
    while open_fds(pid) > fds and time.monotonic() - t0 < limit_s:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    return time.monotonic() - t0


def passes(row: Row) -> bool:
    return row.p99 is not None and row.p99 <= TARGETS["sat_p99"] and row.lost == 0 and not row.closes


async def sweep_rates(procs: Procs, client: httpx.AsyncClient, target: Target, args: argparse.Namespace,
                      start: Row | None, up: list[float], down: list[float], seconds: float,
                      warm: float) -> list[Row]:  # fmt: skip
    """1,000 subscribers at rising rates until p99 passes 200 ms; or, when the starting point (100/s) already
    fails, at falling rates until it holds."""
    rows: list[Row] = []
    rising = start is None or passes(start)
    rates = [r for r in up if start is None or r > start.rate] if rising else [r for r in down if r < start.rate]
    print(f"\n== saturation sweep, {target.kind}, 1,000 subscribers, {seconds:g} s each, "
          f"{'rising' if rising else 'falling'}: {rates}", flush=True)  # fmt: skip
    for rate in rates:
        row = await fanout(procs, client, target, args, 1000, rate, seconds, warm, f"{target.kind}-1k-{rate:g}")
        print_row(row, f"{target.kind} {rate:g}/s")
        rows.append(row)
        if passes(row) != rising:
            break
    return rows


def sweep_point(rows: list[Row]) -> tuple[Row | None, Row | None]:
    """(the last row with p99 <= 200 ms, the first row past it), in demand order."""
    good, bad = None, None
    for row in sorted(rows, key=lambda r: r.rate):
        if row.p99 is not None and row.p99 <= TARGETS["sat_p99"] and row.lost == 0 and not row.closes:
            if bad is None:
                good = row
        elif bad is None:
            bad = row
    return good, bad


def machine_line() -> str:
    def out(argv: list[str]) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()

    limits = Path("/proc/self/limits").read_text().split("Max open files")[1].split()[:2]
    return (f"nproc: {out(['nproc'])}  (os.cpu_count {os.cpu_count()}); node {out(['node', '--version'])}; "
            f"python {sys.version.split()[0]}; open-file limit (soft, hard) of this run and its children: "
            f"{limits}")  # fmt: skip


@dataclass
class Run:
    """One run of the scenarios asked for; ``rows`` and ``results`` feed the summary."""

    args: argparse.Namespace
    procs: Procs
    client: httpx.AsyncClient
    rows: list[Row] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    sweep: list[Row] = field(default_factory=list)
    baseline_rows: list[Row] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return 5.0 if self.args.quick else float(self.args.seconds)

    @property
    def sweep_seconds(self) -> float:
        return 5.0 if self.args.quick else float(self.args.sweep_seconds)

    @property
    def warm(self) -> float:
        return 1.0 if self.args.quick else 2.0

    def want(self, name: str) -> bool:
        return not self.args.only or name in self.args.only.split(",")

    async def scenario(self, target: Target, subs: int, rate: float, label: str, key: str | None = None) -> Row:
        row = await fanout(self.procs, self.client, target, self.args, subs, rate, self.seconds, self.warm,
                           f"{target.kind}-{subs // 1000}k-{rate:g}")  # fmt: skip
        print_row(row, label)
        self.rows.append(row)
        if key:
            self.results[key] = row
        return row

    async def sweep_from(self, target: Target, start: Row | None) -> list[Row]:
        q = self.args.quick
        up = [float(r) for r in (self.args.sweep_up_quick if q else self.args.sweep_up).split(",")]
        down = [float(r) for r in (self.args.sweep_down_quick if q else self.args.sweep_down).split(",")]
        rows = await sweep_rates(self.procs, self.client, target, self.args, start, up, down, self.sweep_seconds,
                                 self.warm)  # fmt: skip
        self.rows += rows
        return rows

    async def netcop(self) -> None:
        args = self.args
        await recreate_database(args)
        base = await asyncio.to_thread(start_netcop, self.procs, args)
        report_token, read_token = await register(self.client, base)
        netcop = Target("netcop", base, report_token, read_token, self.procs.servers["netcop"].pid)
        if self.want("idle"):
            print(f"\n== idle: {args.idle:,} subscribers requested, netcop", flush=True)
            self.results["idle"] = await idle(self.procs, self.client, netcop, args)
            print_idle(self.results["idle"])
        if self.want("1k"):
            print(f"\n== 1,000 subscribers x 100 reports/s, netcop ({self.seconds:g} s)", flush=True)
            await self.scenario(netcop, 1000, 100, "netcop", "1k")
        if self.want("10k"):
            print(f"\n== 10,000 subscribers x 10 reports/s, netcop ({self.seconds:g} s)", flush=True)
            await self.scenario(netcop, 10_000, 10, "netcop", "10k")
        self.sweep = [self.results["1k"]] if "1k" in self.results else []
        if self.want("sweep"):
            self.sweep += await self.sweep_from(netcop, self.results.get("1k"))
        if self.want("resume"):
            print(f"\n== resume: a client {args.resume:,} changes behind, netcop", flush=True)
            self.results["resume"] = await resume(self.procs, self.client, netcop, args, args.resume,
                                                  2 if args.quick else 3)  # fmt: skip
            print_resume(self.results["resume"])
        self.procs.stop_server("netcop")

    async def baseline(self) -> None:
        base = await asyncio.to_thread(start_baseline, self.procs, self.args)
        baseline = Target("baseline", base, "", "", self.procs.servers["baseline"].pid)
        print(f"\n== baseline (FastAPI docs broadcast pattern), 1,000 subscribers x 100 reports/s "
              f"({self.seconds:g} s)", flush=True)  # fmt: skip
        row = await self.scenario(baseline, 1000, 100, "baseline", "baseline_1k")
        self.baseline_rows = [row, *await self.sweep_from(baseline, row)]
        self.procs.stop_server("baseline")

    async def reference(self) -> None:
        base, ws_base = await asyncio.to_thread(start_reference, self.procs, self.args)
        reference = Target("reference", base, "", "", self.procs.servers["reference"].pid, ws_base)
        print(f"\n== reference (websockets library server, broadcast()), 1,000 subscribers x 100 reports/s "
              f"({self.seconds:g} s): what this machine and load generator can do", flush=True)  # fmt: skip
        await self.scenario(reference, 1000, 100, "reference", "reference_1k")
        self.procs.stop_server("reference")


def print_idle(r: dict[str, Any]) -> None:
    print(f"  opened {r['opened']:,} of {r['n']:,} (server fd limit {r['fd_limit']:,}, {r['fds_before']} fds in use "
          f"before, {r['fds_after']:,} after) in {r['connect_s']:.1f} s", flush=True)  # fmt: skip
    print(f"  server RSS {r['rss_before_kb'] / 1024:,.1f} MiB -> {r['rss_after_kb'] / 1024:,.1f} MiB: "
          f"{r['kb_per_conn']:.1f} KB per connection", flush=True)  # fmt: skip
    print(f"  then {r['reports']} reports (1/s) to all of them: p50 {r['p50']} ms  p99 {r['p99']} ms  "
          f"max {r['max']} ms  lost {r['lost']:,}  dup/ooo {r['dup']}/{r['ooo']}  closes {r['closes'] or '-'}",
          flush=True)  # fmt: skip
    print(f"      {r['cpu']}", flush=True)
    print(f"  the server took {r['close_s']:.1f} s to close them after the clients went away", flush=True)


def print_resume(rounds: list[dict[str, Any]]) -> None:
    for r in rounds:
        checked = f" (full JSON.parse, mismatches {r['parse_mismatch']})" if r["full_parse"] else ""
        print(f"  {r['behind']:,} changes (posted in {r['ingest_s']:.1f} s through the batch endpoint) caught up in "
              f"{r['ms_from_connect']:.0f} ms from connect ({r['ms_from_open']:.0f} ms from open): {r['rate']:,.0f} "
              f"changes/s; unique {r['unique']:,} dup {r['dup']} ooo {r['ooo']}{checked}", flush=True)  # fmt: skip
        print(f"      {r['cpu']}", flush=True)


def summary(run: Run) -> int:
    """Prints the table, the targets and the ratios; returns the number of targets missed."""
    results, missed = run.results, 0
    print("\n== summary (latency from bench_sent_ms in each report to its arrival at each subscriber)\n")
    print(table(run.rows))
    print()

    def target_line(text: str, ok: bool) -> None:
        nonlocal missed
        missed += 0 if ok else 1
        print(f"  [{'MET' if ok else 'MISSED'}] {text}")

    if "1k" in results:
        r = results["1k"]
        target_line(f"1,000 x 100/s: p50 {r.p50} ms (< 10), p99 {r.p99} ms (< 50), lost {r.lost}",
                    r.p50 is not None and r.p50 < 10 and r.p99 < 50 and r.lost == 0 and not r.closes)  # fmt: skip
    if "10k" in results:
        r = results["10k"]
        target_line(f"10,000 x 10/s: p99 {r.p99} ms (< 150), lost {r.lost}",
                    r.p99 is not None and r.p99 < 150 and r.lost == 0)  # fmt: skip
    if run.sweep:
        text, ok = saturation_text(run.sweep)
        target_line(text, ok)
    if "idle" in results:
        r = results["idle"]
        target_line(f"idle: {r['opened']:,} subscribers held by one process (aim >= 20,000; open-file limit "
                    f"{r['fd_limit']:,})", r["opened"] >= TARGETS["idle_n"])  # fmt: skip
        target_line(f"idle: {r['kb_per_conn']:.1f} KB per connection (aim <= 40)",
                    r["kb_per_conn"] <= TARGETS["idle_kb"])  # fmt: skip
    if "resume" in results:
        rs = results["resume"]
        rates_text = ", ".join(f"{r['rate']:,.0f}" for r in rs)
        target_line(f"resume: {rs[0]['behind']:,} behind caught up at {rates_text} changes/s (aim >= 50,000); "
                    f"dup {sum(r['dup'] for r in rs)}, ooo {sum(r['ooo'] for r in rs)}, "
                    f"missing {sum(r['behind'] - r['unique'] for r in rs)}",
                    max(r["rate"] for r in rs) >= TARGETS["resume"])  # fmt: skip
    ratios(run)
    print(f"\n{missed} target(s) missed")
    return missed


def saturation_text(sweep: list[Row]) -> tuple[str, bool]:
    good, bad = sweep_point(sweep)
    good_d = good.rate * good.subscribers if good else 0
    if good:
        text = (f"saturation (netcop, 1,000 subs): p99 <= 200 ms up to {good_d:,.0f} deliveries/s demand "
                f"({good.deliveries:,.0f}/s delivered)")  # fmt: skip
    else:
        text = "saturation: no sweep point met p99 <= 200 ms"
    if bad:
        text += (f"; passes 200 ms at {bad.rate * bad.subscribers:,.0f}/s demand (delivered {bad.deliveries:,.0f}/s, "
                 f"p99 {bad.p99} ms)")  # fmt: skip
    else:
        text += "; not passed within the sweep (a lower bound)"
    return text + " (aim >= 150,000/s)", good_d >= TARGETS["saturation"]


def ratios(run: Run) -> None:
    results = run.results
    if "1k" in results and "baseline_1k" in results:
        n, b = results["1k"], results["baseline_1k"]
        print("\n  ratios at 1,000 x 100/s (baseline / netcop): "
              f"p50 {b.p50 / n.p50:.1f}x, p99 {b.p99 / n.p99:.1f}x, max {b.max / n.max:.1f}x; "
              f"delivered/s netcop / baseline {n.deliveries / b.deliveries:.2f}x")  # fmt: skip
    if run.sweep and run.baseline_rows:
        bgood, _ = sweep_point(run.baseline_rows)
        ngood, nbad = sweep_point(run.sweep)
        bd = bgood.rate * bgood.subscribers if bgood else 0
        nd = ngood.rate * ngood.subscribers if ngood else 0
        bmax = max(r.deliveries for r in run.baseline_rows)
        nmax = max(r.deliveries for r in run.sweep)
        ratio = f"{nd / bd:.2f}x" if bd else "n/a"
        print(f"  saturation (deliveries/s demand with p99 <= 200 ms): netcop {nd:,.0f}{'+' if nbad is None else ''}, "
              f"baseline {bd:,.0f}: {ratio}")  # fmt: skip
        print(f"  most delivered/s seen: netcop {nmax:,.0f}, baseline {bmax:,.0f}: {nmax / bmax:.2f}x")
    if "1k" in results and "reference_1k" in results:
        n, r = results["1k"], results["reference_1k"]
        print(f"  netcop / reference at 1,000 x 100/s: delivered/s {n.deliveries / r.deliveries:.2f}x, "
              f"p50 {n.p50 / r.p50:.1f}x, p99 {n.p99 / r.p99:.1f}x")  # fmt: skip


async def main_async(args: argparse.Namespace, procs: Procs) -> int:
    print(machine_line(), flush=True)
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=16)) as client:
        run = Run(args, procs, client)
        if any(run.want(s) for s in ("idle", "1k", "10k", "sweep", "resume")):
            await run.netcop()
        if run.want("baseline"):
            await run.baseline()
        if run.want("reference") and args.reference:
            await run.reference()
    summary(run)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, fewer points (under 3 minutes)")
    parser.add_argument("--only", help="comma list of: idle,1k,10k,sweep,resume,baseline,reference")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds of the main scenarios")
    parser.add_argument("--sweep-seconds", type=float, default=10.0)
    parser.add_argument(
        "--sweep-up",
        default="150,200,300,450,600,800",
        help="reports/s at 1,000 subscribers, when 100/s holds p99 <= 200 ms",
    )
    parser.add_argument("--sweep-down", default="75,50,25", help="... and when it does not")
    parser.add_argument("--sweep-up-quick", default="200,400")
    parser.add_argument("--sweep-down-quick", default="50")
    parser.add_argument("--idle", type=int, default=20_000, help="idle subscribers to ask for")
    parser.add_argument("--idle-reports", type=float, default=5.0, help="reports (1/s) sent to the idle subscribers")
    parser.add_argument("--resume", type=int, default=10_000, help="changes behind for the resume test")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for deliveries after posting")
    parser.add_argument("--outstanding", type=int, default=256, help="report POSTs in flight at most")
    parser.add_argument("--quiet", type=float, default=0.25, help="busy cores of others' processes to wait below")
    parser.add_argument(
        "--client",
        choices=["node", "c"],
        default="node",
        help="subscribers.js (Node ws) or subscribers.c (epoll, built here with gcc -O2)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=-10,
        help="niceness of this run and its children (0: none); shields the run from other work",
    )
    parser.add_argument("--retries", type=int, default=0, help="re-runs of a scenario disturbed by other processes")
    parser.add_argument("--quiet-wait", type=float, default=15.0, help="seconds to wait for a quiet machine at most")
    parser.add_argument("--profile", help="directory for py-spy recordings of the server (raw collapsed stacks)")
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--baseline-port", type=int, default=18701)
    parser.add_argument("--reference-port", type=int, default=18702, help="and the next one")
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the websockets-library broadcast() reference at 1,000 x 100/s",
    )
    parser.add_argument("--db-name", default="netcop_bench_stream")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    args = parser.parse_args()
    if args.quick:
        args.idle = min(args.idle, 5000)
        args.idle_reports = 3.0
        args.drain = min(args.drain, 5.0)
    if args.nice:
        # Children stay in this session (own process groups, not own sessions), so with the kernel's autogroup
        # scheduling they share this session's autogroup: its nice weighs this run against other sessions' work
        # (other people's tests on the same machine); the process nice orders nothing else.
        try:
            Path("/proc/self/autogroup").write_text(str(args.nice))
            os.nice(args.nice)
            print(f"running at nice {args.nice} ({Path('/proc/self/autogroup').read_text().strip()}); "
                  "other sessions' processes on this machine at 0", flush=True)  # fmt: skip
        except OSError as error:
            print(f"! cannot raise the priority ({error}); other processes on the machine may disturb the figures")
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"netcop-bench-stream-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"logs: {log_dir}", flush=True)
    procs = Procs(log_dir, args.db_name)
    if args.client == "c":
        binary = log_dir / "subscribers"
        subprocess.run(["gcc", "-O2", "-o", str(binary), str(HERE / "subscribers.c"), "-lm"], check=True)
        procs.client_argv = [str(binary)]
    print(f"subscribers: {' '.join(procs.client_argv)}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        try:
            import uvloop
        except ImportError:
            return asyncio.run(main_async(args, procs))
        return uvloop.run(main_async(args, procs))
    except KeyboardInterrupt:
        return 130
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
