"""Benchmark: no-op jobs through one worker — throughput and defer-to-start latency while idle.

    .venv/bin/python bench/jobs_throughput.py [--admin-url URL] [--jobs 3000] [--latency-runs 60] [--embedded]

On a fresh scratch database ``rexbit_bench_jobs_<random>`` on the server of ``--admin-url`` (default:
REXBIT_TEST_DATABASE_URL, else the local server) — or, with ``--embedded``, on the embedded server in a
temporary data dir — this measures, through the same ``WorkerGroup`` that ``rexbit queue work`` runs
(per-job middleware with its log lines to a file, ``--tries`` bookkeeping, heartbeats, restart watcher):

* throughput: ``--jobs`` ``diagnostics:noop`` jobs deferred in one batch, then one worker (concurrency 1)
  drains the queue; jobs/s from the first start to the last end (from ``procrastinate_events``);
* latency: with the worker idle (LISTEN/NOTIFY, ``--sleep=3``), one job deferred at a time with a
  random pause between; defer-to-start = the task's first line (``time.time()`` in the task) minus the
  moment before ``defer_job`` was called; p50 / p95 / max.

Targets (issue 3): ≥ 300 jobs/s and p50 ≤ 50 ms. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ["REXBIT_DIAGNOSTIC_TASKS"] = "1"

import psycopg
from machine import reference_work, steal_watch
from sqlalchemy import text

from rexbit_desktop.db.session import Database, open_database
from rexbit_desktop.jobs.loop import run_loop
from rexbit_desktop.jobs.worker import WorkerGroup, WorkerSettings
from rexbit_desktop.queueing import defer_job

TARGET_JOBS_PER_SECOND = 300.0
TARGET_P50_MS = 50.0


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _log_jobs_to(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("rexbit")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def throughput(db: Database, jobs: int, concurrency: int = 1) -> tuple[float, float]:
    """(jobs per second, worker CPU milliseconds per job) — the CPU figure does not depend on how busy
    the machine is, the rate does."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(array_agg(ROW('default', 'diagnostics:noop', 0, NULL, NULL,"
                " '{}'::jsonb, NULL)::procrastinate_job_to_defer_v1)) FROM generate_series(1, :n)"
            ),
            {"n": jobs},
        )
    group = WorkerGroup(
        db, [WorkerSettings(queues=("default",), stop_when_empty=True, sleep=3, concurrency=concurrency)]
    )
    cpu_before = time.process_time()
    run_loop(group.run())
    cpu_ms = (time.process_time() - cpu_before) * 1000 / jobs
    with db.engine.connect() as conn:
        done, first, last = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE type = 'succeeded'),"
                " min(at) FILTER (WHERE type = 'started'), max(at) FILTER (WHERE type = 'succeeded')"
                " FROM procrastinate_events"
            )
        ).one()
    if done != jobs:
        raise SystemExit(f"only {done} of {jobs} jobs succeeded")
    return float(jobs / (last - first).total_seconds()), cpu_ms


def latency(db: Database, runs: int, marker: Path) -> list[float]:
    group = WorkerGroup(db, [WorkerSettings(queues=("default",), sleep=3)])
    thread = threading.Thread(target=lambda: run_loop(group.run()), daemon=True)
    thread.start()
    group.started.wait(30)
    time.sleep(1.0)  # let the LISTEN connection settle
    samples: list[float] = []
    try:
        for i in range(runs):
            before = time.time()
            defer_job(db, "diagnostics:noop", marker=str(marker))
            deadline = time.monotonic() + 10
            while True:
                lines = marker.read_text().splitlines() if marker.exists() else []
                if len(lines) > i:
                    samples.append((float(lines[i].split()[4]) - before) * 1000)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"job {i} did not start within 10 s")
                time.sleep(0.002)
            time.sleep(random.uniform(0.05, 0.2))  # idle again before the next one
    finally:
        group.request_stop("benchmark done")
        thread.join(30)
    return samples


def run(url: str, label: str, jobs: int, runs: int, work_dir: Path) -> bool:
    db = open_database(url)
    try:
        _log_jobs_to(work_dir / f"jobs-{label}.log")
        with steal_watch() as stolen:
            rate, cpu_ms = throughput(db, jobs)
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))
        rate4, _ = throughput(db, jobs, concurrency=4)
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))
        samples = latency(db, runs, work_dir / f"marker-{label}")
    finally:
        db.dispose()
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18]
    ok = rate >= TARGET_JOBS_PER_SECOND and p50 <= TARGET_P50_MS
    print(
        f"{label}: throughput {rate:.0f} jobs/s ({jobs} no-op jobs, 1 worker, concurrency 1,"
        f" worker CPU {cpu_ms:.2f} ms/job, load average {os.getloadavg()[0]:.1f}, steal {stolen['steal_pct']:.0f} %)"
        f" [target >= {TARGET_JOBS_PER_SECOND:.0f}], {rate4:.0f} jobs/s with --concurrency=4; defer-to-start latency while idle"
        f" p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(samples):.1f} ms over {runs} jobs"
        f" [target p50 <= {TARGET_P50_MS:.0f} ms] -> {'OK' if ok else 'MISSED'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--latency-runs", type=int, default=60)
    parser.add_argument("--embedded", action="store_true", help="Also run on the embedded server.")
    parser.add_argument("--no-server", action="store_true", help="Skip the PostgreSQL server run.")
    args = parser.parse_args()
    ok = True
    print(reference_work(_conninfo(args.admin_url)))
    with tempfile.TemporaryDirectory(prefix="rexbit-bench-jobs-") as tmp:
        work_dir = Path(tmp)
        if not args.no_server:
            name = f"rexbit_bench_jobs_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(_conninfo(args.admin_url), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                ok &= run(
                    _with_database(args.admin_url, name),
                    "PostgreSQL server",
                    args.jobs,
                    args.latency_runs,
                    work_dir,
                )
            finally:
                with psycopg.connect(_conninfo(args.admin_url), autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.embedded:
            from rexbit_desktop.db.embedded import start_embedded

            data = Path(tempfile.mkdtemp(prefix="rexbit-bench-embedded-"))
            ok &= run(start_embedded(data), "embedded server", args.jobs, args.latency_runs, work_dir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
