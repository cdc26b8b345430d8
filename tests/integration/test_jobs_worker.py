"""Workers in-process on a real PostgreSQL: --once, --max-time, queue restart, the desktop's LocalWorker,
and putting back the jobs of a dead worker (stalled jobs)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from rexbit_desktop.jobs.local_worker import LocalWorker
from rexbit_desktop.jobs.worker import (
    STALLED_ERROR,
    WorkerGroup,
    WorkerSettings,
    parse_queues,
    refresh_queue_statistics,
    rescue_stalled_jobs,
    run_workers,
)
from rexbit_desktop.queueing import defer_job
from rexbit_desktop.services.ops.queue import request_worker_restart
from tests.support.wait import wait_for


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


def _statuses(db) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, status::text FROM procrastinate_jobs ORDER BY id")).all())


def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    wait_for(predicate, timeout=timeout, interval=0.05)


def test_settings_are_checked() -> None:
    from rexbit_desktop.domain.errors import ValidationError

    assert parse_queues("import, default") == ("import", "default")
    assert parse_queues("") is None
    with pytest.raises(ValidationError):
        parse_queues("import,emails")
    with pytest.raises(ValidationError):
        WorkerSettings(tries=0)
    with pytest.raises(ValidationError):
        WorkerSettings(concurrency=0)
    with pytest.raises(ValidationError):
        WorkerSettings(heartbeat_interval=10, stalled_after=5)


def test_once_runs_exactly_one_job(db) -> None:  # type: ignore[no-untyped-def]
    first = defer_job(db, "diagnostics:noop")
    second = defer_job(db, "diagnostics:noop")
    reason = run_workers(db, [WorkerSettings(once=True, sleep=0.1)])
    assert "--once" in reason
    assert _statuses(db) == {first: "succeeded", second: "todo"}
    assert "--once" in run_workers(db, [WorkerSettings(once=True, sleep=0.1)])
    assert _statuses(db)[second] == "succeeded"
    assert "empty" in run_workers(db, [WorkerSettings(once=True, sleep=0.1)])  # nothing left: exits at once


def test_max_time_lets_the_current_job_finish(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "runs"
    long_job = defer_job(db, "diagnostics:sleep", seconds=1.5, marker=str(marker))
    later = defer_job(db, "diagnostics:noop")
    started = time.monotonic()
    reason = run_workers(db, [WorkerSettings(max_time=0.5, sleep=0.1)])
    assert "--max-time" in reason and time.monotonic() - started >= 1.4
    assert _statuses(db) == {long_job: "succeeded", later: "todo"}
    assert marker.read_text().split()[0::5] == ["start", "end"]


def test_queue_restart_stops_a_worker_after_its_current_job(db, system_actor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "runs"
    job = defer_job(db, "diagnostics:sleep", seconds=1.0, marker=str(marker))
    after = defer_job(db, "diagnostics:noop")
    group = WorkerGroup(db, [WorkerSettings(sleep=0.1)], restart_poll=0.2)
    box: dict[str, str] = {}
    thread = threading.Thread(target=lambda: box.update(reason=asyncio.run(group.run())))
    thread.start()
    _wait_for(lambda: marker.exists())
    request_worker_restart(db.uow(), system_actor)
    thread.join(20)
    assert not thread.is_alive()
    assert "queue restart" in box["reason"]
    assert _statuses(db) == {job: "succeeded", after: "todo"}


def test_restart_signal_sent_before_start_is_ignored(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    request_worker_restart(db.uow(), system_actor)
    job = defer_job(db, "diagnostics:noop")
    assert "empty" in run_workers(db, [WorkerSettings(stop_when_empty=True, sleep=0.1)], restart_poll=0.1)
    assert _statuses(db) == {job: "succeeded"}


def test_local_worker_runs_jobs_in_a_background_thread(db) -> None:  # type: ignore[no-untyped-def]
    worker = LocalWorker(db, ["default", "import"], sleep=0.2)
    worker.start()
    try:
        assert worker.running
        a = defer_job(db, "diagnostics:noop")
        b = defer_job(db, "diagnostics:noop", queue="import")
        c = defer_job(db, "diagnostics:noop", queue="orders")  # not a local queue
        _wait_for(lambda: _statuses(db)[a] == "succeeded" and _statuses(db)[b] == "succeeded")
    finally:
        worker.stop(timeout=20)
    assert not worker.running and worker.error is None
    assert _statuses(db)[c] == "todo"
    worker.start()  # a stopped local worker can start again
    try:
        d = defer_job(db, "diagnostics:noop")
        _wait_for(lambda: _statuses(db)[d] == "succeeded")
    finally:
        worker.stop(timeout=20)


def _fake_dead_worker_job(db, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """What a kill -9 leaves behind: a 'doing' job held by a worker whose heartbeat stopped."""
    with db.engine.begin() as conn:
        worker_id = conn.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '5 minutes') RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :id"),
            {"w": worker_id, "id": job_id},
        )


def test_a_dead_workers_job_is_put_back_once(db) -> None:  # type: ignore[no-untyped-def]
    job = defer_job(db, "diagnostics:noop")
    alive = defer_job(db, "diagnostics:noop")
    _fake_dead_worker_job(db, job)
    with db.engine.begin() as conn:  # a job of a live worker is left alone
        w = conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")).scalar_one()
        conn.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :id"),
            {"w": w, "id": alive},
        )
    assert rescue_stalled_jobs(db, stalled_after=60, rescuer="test") == [(job, "requeued")]
    assert rescue_stalled_jobs(db, stalled_after=60, rescuer="test") == []
    assert _statuses(db) == {job: "todo", alive: "doing"}
    with db.engine.connect() as conn:
        assert conn.execute(
            text("SELECT error FROM job_failures WHERE job_id = :id"), {"id": job}
        ).scalars().all() == [STALLED_ERROR]
    # it stalls again: the second time it is failed, not looped forever
    _fake_dead_worker_job(db, job)
    assert rescue_stalled_jobs(db, stalled_after=60, rescuer="test") == [(job, "failed")]
    assert _statuses(db)[job] == "failed"


def test_a_worker_outlives_lost_database_connections(db) -> None:  # type: ignore[no-untyped-def]
    worker = LocalWorker(db, ["default"], sleep=0.2)
    worker.start()
    try:
        first = defer_job(db, "diagnostics:noop")
        _wait_for(lambda: _statuses(db)[first] == "succeeded")
        with db.engine.begin() as conn:  # what a server restart does to the worker's connections
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'rexbit-jobs%' AND datname = current_database()"
                )
            ).scalar_one()
        assert killed >= 2
        second = defer_job(db, "diagnostics:noop")
        _wait_for(lambda: _statuses(db)[second] == "succeeded", timeout=30)
        assert worker.running
    finally:
        worker.stop(timeout=20)
    assert worker.error is None


def _defer_noops(db, n: int) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(array_agg(ROW('default', 'diagnostics:noop', 0, NULL, NULL,"
                " '{}'::jsonb, NULL)::procrastinate_job_to_defer_v1)) FROM generate_series(1, :n)"
            ),
            {"n": n},
        )
        conn.execute(text("SELECT pg_stat_force_next_flush()"))  # the change counters, now


def _planner_rows(db) -> float:  # type: ignore[no-untyped-def]
    """What the planner believes the job table holds (set by ANALYZE, not by inserts)."""
    with db.engine.connect() as conn:
        return float(
            conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = 'procrastinate_jobs'::regclass")
            ).scalar_one()
        )


def _changes_counted(db) -> int:  # type: ignore[no-untyped-def]
    """Rows changed in the job table since its last ANALYZE, as the statistics collector has them now."""
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'procrastinate_jobs'"
                )
            ).scalar_one()
        )


def _no_autovacuum(db) -> None:  # type: ignore[no-untyped-def]
    # Only the workers may analyze here: the test must fail if they do not.
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE procrastinate_jobs SET (autovacuum_enabled = false)"))


def test_a_burst_of_jobs_gets_the_job_table_analyzed(db) -> None:  # type: ignore[no-untyped-def]
    _no_autovacuum(db)
    _defer_noops(db, 100)
    assert refresh_queue_statistics(db) is False  # a few jobs: not worth an ANALYZE
    _defer_noops(db, 600)
    # The change counters reach the statistics view within a second or so.
    _wait_for(lambda: refresh_queue_statistics(db), timeout=15)
    assert _planner_rows(db) == 700
    assert refresh_queue_statistics(db) is False  # counted from this ANALYZE on


def test_a_worker_group_analyzes_a_backlog_before_it_starts(db) -> None:  # type: ignore[no-untyped-def]
    _no_autovacuum(db)
    _defer_noops(db, 600)
    _wait_for(lambda: _changes_counted(db) >= 600)  # the change counters arrive, as for a backlog that waited
    group = WorkerGroup(db, [WorkerSettings(queues=("default",), once=True)])
    asyncio.run(group.run())
    assert group.jobs_done == 1
    assert _planner_rows(db) >= 599


def test_a_worker_whose_user_does_not_own_the_job_table_still_runs(db, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """On a shared server the workers may log in as a user that did not create the tables: ANALYZE is
    then skipped with a warning by PostgreSQL, never an error that would stop a worker."""
    import uuid

    import psycopg

    from rexbit_desktop.db.session import open_database

    role = f"rexbit_worker_{uuid.uuid4().hex[:8]}"
    admin = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        # What a worker needs, not MAINTAIN (PostgreSQL 17+ would let it ANALYZE).
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        conn.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    try:
        _no_autovacuum(db)
        _defer_noops(db, 600)
        _wait_for(lambda: _changes_counted(db) >= 600)
        from sqlalchemy.engine import make_url

        # (the embedded server's URL is postgres:@/…?host=…, a server's postgres@host/…: set the user)
        as_role = make_url(db_url).set(username=role, password=None).render_as_string(hide_password=False)
        worker_db = open_database(as_role)
        try:
            refresh_queue_statistics(worker_db)  # runs ANALYZE, which PostgreSQL skips for this user
        finally:
            worker_db.dispose()
        assert _planner_rows(db) < 600  # nothing was analyzed, and nothing failed
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
