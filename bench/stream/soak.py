"""Soak: netcop under steady load for ten minutes, half its measured maximum single-report ingest, with 1,000
stream subscribers: no errors, memory flat (within 10 %), latency flat.

    .venv/bin/python bench/stream/soak.py [--rate 295] [--windows 10] [--window-seconds 60] [--subscribers 1000]

Each window (a minute by default) 1,000 Node subscribers resume the stream with ``after_seq`` at the log's
position, the driver posts single reports at ``--rate`` for the window, the subscribers drain and report their
latencies (from a timestamp inside each report), and the server's RSS is read. A row per window; at the end the
verdict: errors, every change delivered exactly once to every subscriber, RSS growth from the second window to
the last, p99 of the last window against the first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import httpx
from harness import Procs, recreate_database, register, rss_kb, start_netcop
from load import Driver, Subscribers, Target, merge_stats


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=295.0, help="reports/s (default: half of 590/s measured)")
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18790)
    parser.add_argument("--db-name", default="netcop_bench_soak")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    return parser.parse_args()


async def _window(procs: Procs, target: Target, driver: Driver, args: argparse.Namespace, after: int) -> dict:
    subscribers = Subscribers(procs, 2)
    await subscribers.start(target, args.subscribers, after, 100_000, limit_s=120.0)
    drive = await driver.drive(args.rate, args.window_seconds)
    await subscribers.drain(drive.max_seq, 60.0)
    stats = merge_stats(await subscribers.stop())
    posts = sorted(drive.post_ms)
    return {
        "ok": drive.ok,
        "failed": drive.failed,
        "errors": drive.errors,
        "last_seq": drive.max_seq,
        "expected": drive.ok * args.subscribers,
        "unique": stats["unique"],
        "dup": stats["dup"],
        "ooo": stats["ooo"],
        "p50": stats["p50"],
        "p99": stats["p99"],
        "post_p99": posts[int(len(posts) * 0.99)] if posts else None,
        "rss_mib": rss_kb(target.pid) / 1024,
    }


async def main() -> int:
    args = _args()
    procs = Procs(Path(tempfile.mkdtemp(prefix="netcop-soak-")), args.db_name)
    print(
        f"nproc {os.cpu_count()}; {args.subscribers:,} subscribers; {args.rate:g} reports/s; "
        f"{args.windows} windows of {args.window_seconds:g} s; logs in {procs.log_dir}",
        flush=True,
    )
    try:
        await recreate_database(args)
        base = await asyncio.to_thread(start_netcop, procs, args)
        async with httpx.AsyncClient(timeout=30) as client:
            report_token, read_token = await register(client, base)
        target = Target("netcop", base, report_token, read_token, procs.servers["netcop"].pid)
        driver = Driver(base, report_token, 64)
        rows, after = [], 0
        print(
            "window  accepted  failed  delivered/expected  dup/ooo   p50 ms   p99 ms  POST p99 ms  RSS MiB", flush=True
        )
        for index in range(args.windows):
            row = await _window(procs, target, driver, args, after)
            after = row["last_seq"] or after
            rows.append(row)
            print(f"{index + 1:>6}  {row['ok']:>8,}  {row['failed']:>6}  {row['unique']:>9,}/{row['expected']:<9,} "
                  f"{row['dup']:>3}/{row['ooo']:<3}  {row['p50'] or 0:>7.1f}  {row['p99'] or 0:>7.1f}  "
                  f"{row['post_p99'] or 0:>11.1f}  {row['rss_mib']:>7.1f}", flush=True)  # fmt: skip
        await driver.close()
        return _verdict(rows)
    finally:
        procs.stop_all()


def _verdict(rows: list[dict]) -> int:
    errors = sum(r["failed"] for r in rows)
    lost = sum(r["expected"] - r["unique"] for r in rows)
    dup = sum(r["dup"] + r["ooo"] for r in rows)
    base = rows[1] if len(rows) > 1 else rows[0]
    growth = rows[-1]["rss_mib"] / base["rss_mib"] - 1
    p99_ratio = (rows[-1]["p99"] or 0) / (rows[0]["p99"] or 1)
    print(f"errors {errors}; changes not delivered {lost}; duplicated or out of order {dup}")
    print(
        f"RSS {base['rss_mib']:.1f} MiB (window 2) -> {rows[-1]['rss_mib']:.1f} MiB (last): {growth:+.1%}"
        " (aim: within 10 %)"
    )
    print(f"p99 first window {rows[0]['p99'] or 0:.1f} ms, last {rows[-1]['p99'] or 0:.1f} ms: x{p99_ratio:.2f}")
    ok = errors == 0 and lost == 0 and dup == 0 and abs(growth) <= 0.10
    print("soak: PASSED" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
