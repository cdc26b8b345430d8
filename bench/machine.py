"""What the machine was like while a benchmark ran, so that numbers from different days can be compared.

The development and CI machines are 2-core VMs whose speed drifts: the same code needed 20–60 % more
CPU time from one session (or one hour) to the next. Each benchmark therefore prints

* ``reference work``: the median time of a fixed Python loop and a fixed PostgreSQL query — a slower
  machine takes longer for both, whatever our code does;
* ``steal``: the share of CPU time the hypervisor took from this VM during a measured run (Linux
  ``/proc/stat``); anything above a few per cent makes wall times unreliable.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _cpu_counters() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs so far; (0, 0) where there is no /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


@contextmanager
def steal_watch() -> Iterator[dict[str, float]]:
    """``with steal_watch() as w: ...`` then ``w["steal_pct"]``: CPU time taken by the hypervisor."""
    out: dict[str, float] = {"steal_pct": 0.0}
    steal0, total0 = _cpu_counters()
    try:
        yield out
    finally:
        steal1, total1 = _cpu_counters()
        if total1 > total0:
            out["steal_pct"] = 100.0 * (steal1 - steal0) / (total1 - total0)


def _python_work() -> float:
    start = time.perf_counter()
    sum(i * i for i in range(2_000_000))
    return time.perf_counter() - start


def _postgres_work(conninfo: str) -> float:
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET jit = off")
        start = time.perf_counter()
        conn.execute("SELECT sum(hashint4(g)) FROM generate_series(1, 3000000) g").fetchone()
        return time.perf_counter() - start


def reference_work(conninfo: str) -> str:
    """One line: the medians of three runs of each fixed workload."""
    py = statistics.median(_python_work() for _ in range(3))
    pg = statistics.median(_postgres_work(conninfo) for _ in range(3))
    return (
        f"reference work: Python loop {py:.3f} s, PostgreSQL query {pg:.3f} s"
        " (fixed work: a slower machine takes longer; see bench/machine.py)"
    )
