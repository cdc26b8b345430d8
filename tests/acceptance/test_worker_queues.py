"""``rexbit queue …`` as operators run it: real worker processes on a real PostgreSQL."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.support.wait import wait_for
from tests.support.workers import Process, defer, marker_lines, rexbit, statuses

pytestmark = pytest.mark.slow  # real processes; each test takes more than a few seconds


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

    bad = rexbit(db_url, "queue", "work", "--queue=import,emails")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert (
        "There is no queue 'emails'" in bad.stderr and "integrations, import, default, orders" in bad.stderr
    )


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


def test_sigterm_and_queue_restart_let_the_current_job_finish_then_exit_0(
    db_url: str, tmp_path: Path
) -> None:
    """Two workers: one gets SIGTERM, the other ``rexbit queue restart``, each in the middle of a job."""
    term_marker, restart_marker = tmp_path / "term", tmp_path / "restart"
    # Each job runs until the test creates its release file (at most 120 s), not for a fixed time: the
    # signals below must reach the workers while the jobs still run, however loaded the machine is.
    term_release, restart_release = tmp_path / "term.release", tmp_path / "restart.release"
    term_job = defer(
        db_url,
        "diagnostics:sleep",
        queue="default",
        seconds=120,
        marker=str(term_marker),
        until=str(term_release),
    )
    term_next = defer(db_url, "diagnostics:noop", queue="default")
    restart_job = defer(
        db_url,
        "diagnostics:sleep",
        queue="import",
        seconds=120,
        marker=str(restart_marker),
        until=str(restart_release),
    )
    restart_next = defer(db_url, "diagnostics:noop", queue="import")
    term = Process(db_url, "queue", "work", "--queue=default", "--sleep=0.2", log=tmp_path / "term.log")
    restarted = Process(
        db_url, "queue", "work", "--queue=import", "--sleep=0.2", log=tmp_path / "restart.log"
    )
    wait_for(lambda: marker_lines(term_marker) and marker_lines(restart_marker), what="both jobs to start")

    # SIGTERM to one worker, and at the same time 'queue restart' (a process that takes a moment to start)
    term.signal(signal.SIGTERM)
    restart = Process(db_url, "queue", "restart", log=tmp_path / "restart-command.log")
    wait_for(lambda: "SIGTERM received" in term.output(), what="the worker to take the SIGTERM")
    assert len(marker_lines(term_marker)) == 1, "the job should still be running"
    term_release.touch()
    assert term.wait(30) == 0, term.output()
    assert [line[0] for line in marker_lines(term_marker)] == ["start", "end"]
    assert "SIGTERM received" in term.output()

    assert restart.wait(30) == 0 and "Restart signal sent" in restart.output()
    assert len(marker_lines(restart_marker)) == 1, "the import job should still be running"
    # Release the job only once the worker has seen the signal (it polls for it), else it may finish the
    # job first and take the next one before its next poll.
    wait_for(lambda: "stopping workers after their current job" in restarted.output(), 60, what="the restart")
    restart_release.touch()
    assert restarted.wait(60) == 0, restarted.output()
    assert [line[0] for line in marker_lines(restart_marker)] == ["start", "end"]
    assert "queue restart" in restarted.output()

    assert statuses(db_url) == {
        term_job: "succeeded",
        term_next: "todo",
        restart_job: "succeeded",
        restart_next: "todo",
    }
