"""``rexbit queue …`` as operators run it: real worker processes on a real PostgreSQL."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from worker_support import Process, defer, marker_lines, query, rexbit, statuses, wait_for


def test_a_worker_limited_to_import_runs_only_import_jobs(db_url: str) -> None:
    imports = [defer(db_url, "diagnostics:noop", queue="import") for _ in range(3)]
    others = [defer(db_url, "diagnostics:noop", queue=q) for q in ("default", "orders", "integrations")]

    # queue monitor: over --max → reported and exit 1 (cron alerts on it)
    over = rexbit(db_url, "queue", "monitor", "integrations,import,default", "--max=2", "--json")
    assert over.returncode == 1, over.stderr
    report = json.loads(over.stdout)
    assert report["over_limit"] == ["import"]
    assert [(q["queue"], q["waiting"]) for q in report["queues"]] == [
        ("integrations", 1),
        ("import", 3),
        ("default", 1),
    ]

    done = rexbit(db_url, "queue", "work", "--queue=import", "--stop-when-empty", "--sleep", "0.2")
    assert done.returncode == 0, done.stderr
    now = statuses(db_url)
    assert [now[i] for i in imports] == ["succeeded"] * 3
    assert [now[i] for i in others] == ["todo"] * 3
    for job_id in imports:
        assert f"job {job_id} diagnostics:noop succeeded" in done.stdout


def test_a_failing_job_is_tried_tries_times_then_failed_then_retried(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    job = defer(
        db_url, "diagnostics:fail", queue="import", message="Plik dostawcy nie istnieje", marker=str(marker)
    )
    first = rexbit(
        db_url, "queue", "work", "--queue", "import", "--tries=3", "--stop-when-empty", "--sleep=0.2"
    )
    assert first.returncode == 0, first.stderr
    assert [line[2] for line in marker_lines(marker)] == ["0", "1", "2"]  # three attempts

    listed = rexbit(db_url, "queue", "failed", "--json")
    assert listed.returncode == 0, listed.stderr
    [failed] = json.loads(listed.stdout)
    assert (failed["id"], failed["queue"], failed["task"], failed["attempts"]) == (
        job,
        "import",
        "diagnostics:fail",
        3,
    )
    assert failed["error"] == "RuntimeError: Plik dostawcy nie istnieje" and failed["failed_at"]
    detail = rexbit(db_url, "queue", "failed", "--id", str(job))
    assert detail.returncode == 0 and "Traceback" in detail.stdout and "attempt 3" in detail.stdout

    retried = rexbit(db_url, "queue", "retry", str(job))
    assert retried.returncode == 0 and f"job {job} put back" in retried.stdout
    second = rexbit(
        db_url, "queue", "work", "--queue=import", "--tries=2", "--stop-when-empty", "--sleep=0.2"
    )
    assert second.returncode == 0, second.stderr
    assert [line[2] for line in marker_lines(marker)] == ["0", "1", "2", "0", "1"]  # full tries again
    assert statuses(db_url)[job] == "failed"

    flushed = rexbit(db_url, "queue", "flush")
    assert flushed.returncode == 0 and "Deleted 1 failed job" in flushed.stdout
    assert job not in statuses(db_url)


def test_sigterm_finishes_the_current_job_then_exits_0(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    job = defer(db_url, "diagnostics:sleep", seconds=2, marker=str(marker))
    queued = defer(db_url, "diagnostics:noop")
    worker = Process(db_url, "queue", "work", "--sleep=0.2", log=tmp_path / "worker.log")
    wait_for(lambda: len(marker_lines(marker)) == 1, what="the job to start")
    worker.signal(signal.SIGTERM)
    assert worker.wait(30) == 0, worker.output()
    assert [line[0] for line in marker_lines(marker)] == ["start", "end"]
    assert statuses(db_url) == {job: "succeeded", queued: "todo"}
    assert "SIGTERM received" in worker.output()


def test_queue_restart_stops_a_running_worker_after_its_current_job(db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    worker = Process(db_url, "queue", "work", "--queue=import", "--sleep=0.2", log=tmp_path / "worker.log")
    wait_for(lambda: "worker " in worker.output(), what="the worker to start")
    job = defer(db_url, "diagnostics:sleep", queue="import", seconds=2, marker=str(marker))
    wait_for(lambda: len(marker_lines(marker)) == 1, what="the job to start")
    restart = rexbit(db_url, "queue", "restart")
    assert restart.returncode == 0 and "Restart signal sent" in restart.stdout
    assert worker.wait(30) == 0, worker.output()
    assert statuses(db_url)[job] == "succeeded"
    assert "queue restart" in worker.output()


def test_bad_options_give_a_message_not_a_traceback(db_url: str) -> None:
    done = rexbit(db_url, "queue", "work", "--queue=import,emails")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        "There is no queue 'emails'" in done.stderr and "integrations, import, default, orders" in done.stderr
    )
    assert query(db_url, "SELECT count(*) FROM procrastinate_workers") == [(0,)]
