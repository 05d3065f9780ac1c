"""Ranks where a server spends its CPU, from a py-spy ``--format raw`` recording (collapsed stacks).

    .venv/bin/python bench/pyspy_top.py /tmp/netcop-prof/single-netcop.txt [--top 30] [--requests N]

Samples of idle worker threads (parked in ``Condition.wait``) are left out. Prints the samples, then functions
by inclusive share (the function or anything it calls was on the CPU) and by self share (the function itself),
and a breakdown by package. With ``--requests`` (e.g. wrk's request count for the recorded window) it also
prints CPU microseconds per request at 100 samples/s.

py-spy's ``--nonblocking`` sampling counts a thread that is runnable but waiting for a CPU as active: on a busy
machine the sample count exceeds the CPU the process really got (compare with the CPU line of bench/ingest.py);
the shares between functions stay meaningful.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")
AREAS = (
    ("app/domain/", "app.domain (merge, render)"),
    ("app/repositories/", "app.repositories (statement building)"),
    ("app/services/", "app.services"),
    ("app/api/", "app.api"),
    ("app/schemas/", "app.schemas (validation)"),
    ("app/", "app (other)"),
    ("sqlalchemy/", "sqlalchemy"),
    ("asyncpg/", "asyncpg"),
    ("pydantic", "pydantic"),
    ("fastapi/", "fastapi"),
    ("starlette/", "starlette"),
    ("uvicorn/", "uvicorn"),
    ("httptools", "httptools"),
    ("asyncio/runners.py", "event loop itself (uvloop C code: I/O, callbacks)"),
    ("asyncio/", "asyncio"),
    ("json/", "json"),
)


def frames_of(stack: str) -> list[tuple[str, str]]:
    out = []
    for raw in stack.split(";"):
        match = FRAME.match(raw.strip())
        out.append((match["func"], match["file"]) if match else (raw.strip(), "?"))
    return out


def area_of(path: str) -> str:
    return next((name for prefix, name in AREAS if prefix in path), "other")


IDLE_LEAVES = ("Condition.wait", "Queue.get", "Event.wait", "select", "epoll_wait")


def read(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """The stacks, without those of idle worker threads (py-spy counts a thread parked in Condition.wait)."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = frames_of(stack)
            if frames[-1][0] not in IDLE_LEAVES:
                stacks.append((frames, int(count)))
    return stacks


def rank(stacks: list[tuple[list[tuple[str, str]], int]]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for frames, count in stacks:
        names = {f"{func} ({file})" for func, file in frames}
        for name in names:
            inclusive[name] += count
        func, file = frames[-1]
        self_time[f"{func} ({file})"] += count
        areas[area_of(file)] += count
    return inclusive, self_time, areas


def show(title: str, counts: Counter[str], total: int, top: int) -> None:
    print(f"-- {title}")
    for name, count in counts.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {count:6d}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--requests", type=int, default=0, help="requests served while recording")
    parser.add_argument("--rate", type=int, default=100, help="py-spy sampling rate")
    args = parser.parse_args()
    stacks = read(args.recording)
    total = sum(count for _, count in stacks)
    print(f"{args.recording}: {total} samples on the CPU = {total / args.rate:.1f} CPU-s")
    if args.requests:
        print(f"  {1e6 * total / args.rate / args.requests:.0f} CPU-us per request ({args.requests} requests)")
    inclusive, self_time, areas = rank(stacks)
    show("by package (self time of the innermost frame)", areas, total, 20)
    show("inclusive", inclusive, total, args.top)
    show("self", self_time, total, args.top)


if __name__ == "__main__":
    main()
