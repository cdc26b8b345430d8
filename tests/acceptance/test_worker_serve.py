"""``rexbit serve``: one process runs the scheduler and a worker per queue, logs to stdout and a rotating
file in the data dir, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.wait import wait_for
from tests.support.workers import Process, defer, marker_lines, query, statuses


@pytest.mark.slow
def test_serve_runs_jobs_of_every_queue_and_schedules_then_stops_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    ticks = tmp_path / "ticks"
    query(db_url, "UPDATE schedules SET enabled = false")
    query(
        db_url,
        "INSERT INTO schedules (name, task, arguments, cron) VALUES"
        " ('tick', 'diagnostics:noop', CAST(:args AS jsonb), '*/2 * * * * *')",
        args=f'{{"marker": "{ticks}"}}',
    )
    data_dir = tmp_path / "data"
    server = Process(
        db_url,
        "serve",
        "--sleep=0.2",
        "--reload-every=1",
        log=tmp_path / "serve.out",
        env={"REXBIT_DATA_DIR": str(data_dir)},
    )
    try:
        jobs = [
            defer(db_url, "diagnostics:noop", queue=q)
            for q in ("integrations", "import", "default", "orders", "mail")
        ]
        wait_for(
            lambda: all(statuses(db_url)[j] == "succeeded" for j in jobs),
            60,
            what="a job in every queue to run",
        )
        wait_for(lambda: len(marker_lines(ticks)) >= 2, 60, what="two scheduled ticks to run")
    finally:
        server.signal(signal.SIGTERM)
        code = server.wait(40)
    out = server.output()
    assert code == 0, out
    log_file = data_dir / "logs" / "rexbit-serve.log"
    written = log_file.read_text()
    for job in jobs:
        assert (
            f"job {job} diagnostics:noop succeeded" in out
            and f"job {job} diagnostics:noop succeeded" in written
        )
    assert (
        "schedule tick tick" in written
        and "SIGTERM received" in written
        and "rexbit serve stopped" in written
    )
