"""The APScheduler runner in-process: schedules from the table, edits picked up on reload, a broken
cron expression logged and skipped."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from rexbit_desktop.jobs.scheduler import ScheduleRunner
from rexbit_desktop.services.ops.schedules import set_schedule
from tests.support.wait import wait_for


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


def _deferred(db, name: str = "every-second") -> int:  # type: ignore[no-untyped-def]
    """Jobs deferred by the schedule's ticks."""
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(r.job_id) FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id"
                    " JOIN procrastinate_jobs j ON j.id = r.job_id WHERE s.name = :name"
                ),
                {"name": name},
            ).scalar_one()
        )


def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    wait_for(predicate, timeout=timeout, what="the scheduler")


def _removed(caplog: pytest.LogCaptureFixture) -> bool:
    return any("removed or disabled" in r.getMessage() for r in caplog.records)


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
    caplog.set_level(logging.INFO, logger="rexbit.scheduler")  # the reload's "removed or disabled"
    runner = ScheduleRunner(db, poll_interval=0.5)
    runner.start()
    try:
        _wait_for(lambda: _deferred(db) >= 2)
        assert any("broken not scheduled" in r.getMessage() for r in caplog.records)

        set_schedule(db.uow(), system_actor, "every-second", enabled=False)
        _wait_for(lambda: _removed(caplog))  # the next reload removes it
        stopped_at = _deferred(db)
        # Nothing fires any more: a witness schedule firing every second shows two more ticks went by.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO schedules (name, task, cron, without_overlapping, enabled) VALUES"
                    " ('witness', 'diagnostics:noop', '* * * * * *', false, true)"
                )
            )
        _wait_for(lambda: _deferred(db, "witness") >= 3)
        assert _deferred(db) == stopped_at
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE schedules SET enabled = false WHERE name = 'witness'"))

        set_schedule(db.uow(), system_actor, "every-second", enabled=True, cron="*/2 * * * * *")
        _wait_for(lambda: _deferred(db) >= stopped_at + 2)
    finally:
        runner.shutdown()
    with db.engine.connect() as conn:
        seconds = conn.execute(
            text(
                "SELECT extract(second FROM due_at)::int FROM schedule_runs"
                " WHERE due_at > now() - interval '3 seconds'"
                " AND schedule_id = (SELECT id FROM schedules WHERE name = 'every-second')"
            )
        ).scalars()
        assert all(s % 2 == 0 for s in seconds)  # the changed cron is the one that fires now
