"""Schedules on a real PostgreSQL: seeded defaults, set, onOneServer, withoutOverlapping, a task that
is not registered, and ``schedule run``'s one-minute window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.errors import NotFound, PermissionDenied
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.ops import schedules as s
from rexbit_desktop.services.ops.schedules import TickStatus


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


def _add(db, name: str, task: str, cron: str = "* * * * *", **extra) -> int:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO schedules (name, task, arguments, cron, without_overlapping, on_one_server)"
                    " VALUES (:name, :task, CAST(:args AS jsonb), :cron, :wo, :oos) RETURNING id"
                ),
                {
                    "name": name,
                    "task": task,
                    "cron": cron,
                    "args": extra.get("args", "{}"),
                    "wo": extra.get("without_overlapping", True),
                    "oos": extra.get("on_one_server", True),
                },
            ).scalar_one()
        )


def _only_mine(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE schedules SET enabled = false"))


def test_defaults_are_seeded_with_the_runbook_crons(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    rows = {i.name: i for i in s.list_schedules(db.uow(), system_actor)}
    assert {(i.task, i.cron) for i in rows.values()} == {
        ("imports:import_all_supplier_feeds", "0 * * * *"),
        ("shop:sync_all_availability", "*/30 * * * *"),
        ("maintenance:prune_failed_jobs", "0 2 * * *"),
        ("shop:sync_all_orders", "*/10 * * * *"),
        ("orders:release_expired_reservations", "*/5 * * * *"),
        ("maintenance:refresh_kpi", "*/10 * * * *"),
        ("shipping:track_open_shipments", "*/30 * * * *"),
        # automation (migration 0015)
        ("automation:process_events", "* * * * *"),
        ("automation:deliver_webhooks", "* * * * *"),
        ("automation:in_status_events", "0 7 * * *"),
        ("shop:push_all_stock", "*/30 * * * *"),
        ("mail:fetch_replies", "*/5 * * * *"),
    }
    # The reply fetch is off until a mail account has an IMAP server (docs/messages.md).
    assert not rows.pop("fetch-mail").enabled
    prune = rows["prune-failed-jobs"]
    assert prune.arguments == {"hours": 168} and prune.task_registered
    assert prune.next_due is not None and prune.next_due.hour == 2 and prune.next_due.minute == 0
    assert all(i.enabled and i.without_overlapping and i.on_one_server for i in rows.values())


def test_set_changes_cron_and_enabled(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    info = s.set_schedule(db.uow(), system_actor, "sync-orders", cron="  */15   * * * * ", enabled=False)
    assert (info.cron, info.enabled, info.next_due) == ("*/15 * * * *", False, None)
    with pytest.raises(s.InvalidCron):
        s.set_schedule(db.uow(), system_actor, "sync-orders", cron="every hour")
    with pytest.raises(NotFound) as nf:
        s.set_schedule(db.uow(), system_actor, "nope", enabled=True)
    assert "sync-orders" in (nf.value.hint or "")
    with pytest.raises(PermissionDenied):
        s.set_schedule(db.uow(), Actor(login="anna", role=Role.OPERATOR), "sync-orders", enabled=True)


def test_on_one_server_defers_each_tick_once(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    sid = _add(db, "noop", "diagnostics:noop", without_overlapping=False)
    due = datetime.now().astimezone().replace(microsecond=0)
    first = s.fire_schedule(db.uow(), system_actor, sid, due, host="a")
    second = s.fire_schedule(db.uow(), system_actor, sid, due, host="b")
    assert first.status is TickStatus.DEFERRED and first.job_id
    assert second.status is TickStatus.TAKEN and second.job_id is None
    nxt = s.fire_schedule(db.uow(), system_actor, sid, due + timedelta(minutes=1), host="b")
    assert nxt.status is TickStatus.DEFERRED
    with db.engine.connect() as conn:
        runs = conn.execute(text("SELECT host, status, job_id FROM schedule_runs ORDER BY due_at")).all()
    assert runs == [("a", "deferred", first.job_id), ("b", "deferred", nxt.job_id)]


def test_without_overlapping_skips_while_the_previous_run_waits_or_runs(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    sid = _add(db, "long", "diagnostics:sleep", args='{"seconds": 30}')
    due = datetime.now().astimezone().replace(microsecond=0)
    first = s.fire_schedule(db.uow(), system_actor, sid, due)
    waiting = s.fire_schedule(db.uow(), system_actor, sid, due + timedelta(minutes=1))
    assert first.status is TickStatus.DEFERRED
    assert waiting.status is TickStatus.SKIPPED and f"job {first.job_id}" in (waiting.message or "")
    with db.engine.begin() as conn:
        lock = conn.execute(
            text("SELECT lock || ' ' || queueing_lock FROM procrastinate_jobs WHERE id = :id"),
            {"id": first.job_id},
        ).scalar_one()
        assert lock == "schedule:long schedule:long"
        conn.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"), {"id": first.job_id}
        )
    running = s.fire_schedule(db.uow(), system_actor, sid, due + timedelta(minutes=2))
    assert running.status is TickStatus.SKIPPED and "running" in (running.message or "")
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = :id"), {"id": first.job_id}
        )
    assert (
        s.fire_schedule(db.uow(), system_actor, sid, due + timedelta(minutes=3)).status is TickStatus.DEFERRED
    )


def test_a_task_that_is_not_registered_is_recorded_not_crashed(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    sid = _add(db, "future", "shop:not_written_yet")
    due = datetime.now().astimezone().replace(microsecond=0)
    result = s.fire_schedule(db.uow(), system_actor, sid, due)
    assert result.status is TickStatus.TASK_MISSING and "shop:not_written_yet" in (result.message or "")
    [info] = [i for i in s.list_schedules(db.uow(), system_actor) if i.name == "future"]
    assert (info.task_registered, info.last_status) == (False, "task_missing")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == 0


def test_schedule_run_defers_ticks_of_the_last_minute_once(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    _only_mine(db)
    _add(db, "every-20s", "diagnostics:noop", cron="*/20 * * * * *", without_overlapping=False)
    _add(db, "hourly", "diagnostics:noop", cron="0 * * * *", without_overlapping=False)
    now = datetime.now().astimezone().replace(minute=0, second=30, microsecond=0)
    results = s.run_due_schedules(db.uow(), system_actor, now=now)
    assert {r.status for r in results} == {TickStatus.DEFERRED}
    ticks = sorted((r.schedule, r.due_at) for r in results)
    assert ticks == sorted(
        [
            ("every-20s", now - timedelta(seconds=50)),
            ("every-20s", now - timedelta(seconds=30)),
            ("every-20s", now - timedelta(seconds=10)),
            ("hourly", now - timedelta(seconds=30)),
        ]
    )
    # a second pass (another host, or the next crontab minute overlapping) defers nothing twice
    again = s.run_due_schedules(db.uow(), system_actor, now=now + timedelta(seconds=5))
    assert len(again) == 4 and {r.status for r in again} == {TickStatus.TAKEN}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == 4


def test_the_last_run_says_how_its_job_ended(db, db_url, system_actor) -> None:  # type: ignore[no-untyped-def]
    """A run that queued a job which failed is "failed", not "deferred" (the service, then the CLI)."""
    import subprocess
    import sys
    from pathlib import Path

    from rexbit_desktop.jobs.worker import WorkerSettings, run_workers

    _only_mine(db)
    sid = _add(db, "always-fails", "diagnostics:fail", args='{"message": "dostawca nie odpowiada"}')
    due = datetime.now().astimezone().replace(microsecond=0)
    tick = s.fire_schedule(db.uow(), system_actor, sid, due)
    assert tick.status is TickStatus.DEFERRED
    queued = next(i for i in s.list_schedules(db.uow(), system_actor) if i.name == "always-fails")
    assert (queued.last_status, queued.last_outcome) == ("deferred", "todo")
    run_workers(db, [WorkerSettings(queues=("default",), tries=1, sleep=0.1, stop_when_empty=True)])
    ended = next(i for i in s.list_schedules(db.uow(), system_actor) if i.name == "always-fails")
    assert (ended.last_status, ended.last_outcome) == ("deferred", "failed")

    rexbit = str(Path(sys.executable).with_name("rexbit"))
    listed = subprocess.run(
        [rexbit, "--database-url", db_url, "schedule", "list"], capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if "always-fails" in x)
    assert "failed" in line and "deferred" not in line


def test_invalid_cron_names_the_field_in_a_code() -> None:
    with pytest.raises(s.InvalidCron) as minute:
        s.cron_trigger("61 * * * *")
    assert (minute.value.code, minute.value.params["field"], minute.value.params["value"]) == (
        "invalid_cron_field",
        "minute",
        "61",
    )
    with pytest.raises(s.InvalidCron) as fields:
        s.cron_trigger("* * *")
    assert (fields.value.code, fields.value.params["count"]) == ("invalid_cron_fields", 3)
