"""The APScheduler runner in-process: schedules from the table, edits picked up on reload, a broken
cron expression logged and skipped."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from rexbit_desktop.jobs.scheduler import ScheduleRunner
from rexbit_desktop.services.ops.schedules import set_schedule


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


def _deferred(db) -> int:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one())


def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_runner_follows_the_table(db, system_actor, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE schedules SET enabled = false"))
        conn.execute(
            text(
                "INSERT INTO schedules (name, task, cron, without_overlapping) VALUES"
                " ('every-second', 'diagnostics:noop', '* * * * * *', false),"
                " ('broken', 'diagnostics:noop', 'not a cron', false)"
            )
        )
    runner = ScheduleRunner(db, poll_interval=0.5)
    runner.start()
    try:
        _wait_for(lambda: _deferred(db) >= 2)
        assert any("broken not scheduled" in r.getMessage() for r in caplog.records)

        set_schedule(db.uow(), system_actor, "every-second", enabled=False)
        time.sleep(1.5)  # the next reload removes it
        stopped_at = _deferred(db)
        time.sleep(2.0)
        assert _deferred(db) == stopped_at

        set_schedule(db.uow(), system_actor, "every-second", enabled=True, cron="*/2 * * * * *")
        _wait_for(lambda: _deferred(db) >= stopped_at + 2)
    finally:
        runner.shutdown()
    with db.engine.connect() as conn:
        seconds = conn.execute(
            text(
                "SELECT extract(second FROM due_at)::int FROM schedule_runs WHERE due_at > now() - interval '3 seconds'"
            )
        ).scalars()
        assert all(s % 2 == 0 for s in seconds)  # the changed cron is the one that fires now
