"""defer_job and the queue service on a real PostgreSQL: counts, failed jobs, retry, prune, flush,
restart, permissions. Jobs fail in a real in-process worker."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.errors import NotFound, PermissionDenied, ValidationError
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.jobs.app import make_job_app, registered_tasks
from rexbit_desktop.jobs.worker import WorkerSettings, run_workers
from rexbit_desktop.queueing import JobAlreadyQueued, UnknownQueue, UnknownTask, defer_job
from rexbit_desktop.services.ops import queue as q


@pytest.fixture(autouse=True)
def _diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REXBIT_DIAGNOSTIC_TASKS", "1")


def _work(db, **kw) -> None:  # type: ignore[no-untyped-def]
    run_workers(db, [WorkerSettings(sleep=0.1, stop_when_empty=True, **kw)])


def _job(db, job_id: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    with db.engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT status, attempts, queue_name, lock, queueing_lock, args FROM procrastinate_jobs WHERE id = :id"
                ),
                {"id": job_id},
            )
            .mappings()
            .one()
        )


def test_app_has_every_area_namespaced_once(db) -> None:  # type: ignore[no-untyped-def]
    names = set(make_job_app(db).tasks) | set(make_job_app(db).tasks)
    assert "maintenance:prune_failed_jobs" in names
    assert not any(n.count(":") > 1 for n in names if not n.startswith("builtin"))
    assert "diagnostics:noop" in registered_tasks(diagnostics=True)
    assert "diagnostics:noop" not in registered_tasks(diagnostics=False)


def test_defer_job_uses_the_task_queue_and_options(db) -> None:  # type: ignore[no-untyped-def]
    job_id = defer_job(db, "diagnostics:noop", lock="L", marker="x")
    assert _job(db, job_id) == {
        "status": "todo",
        "attempts": 0,
        "queue_name": "default",
        "lock": "L",
        "queueing_lock": None,
        "args": {"marker": "x"},
    }
    other = defer_job(db, "diagnostics:noop", queue="import", queueing_lock="once")
    assert _job(db, other)["queue_name"] == "import"
    with pytest.raises(JobAlreadyQueued):
        defer_job(db, "diagnostics:noop", queue="import", queueing_lock="once")


def test_defer_job_refuses_unknown_task_queue_and_non_json(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownTask) as info:
        defer_job(db, "imports:nope")
    assert "maintenance:prune_failed_jobs" in (info.value.hint or "")
    with pytest.raises(UnknownQueue):
        defer_job(db, "diagnostics:noop", queue="emails")
    with pytest.raises(ValidationError):
        defer_job(db, "diagnostics:noop", marker=object())


def test_defer_inside_a_unit_of_work_exists_only_if_committed(db) -> None:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        defer_job(uow, "diagnostics:noop")
    with db.uow() as uow:
        kept = defer_job(uow, "diagnostics:noop", queueing_lock="k")
        with pytest.raises(JobAlreadyQueued):  # the savepoint keeps the transaction usable
            defer_job(uow, "diagnostics:noop", queueing_lock="k")
        uow.commit()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT array_agg(id) FROM procrastinate_jobs")).scalar_one() == [kept]


def test_stats_count_waiting_scheduled_running_failed(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    defer_job(db, "diagnostics:noop", queue="import")
    defer_job(db, "diagnostics:noop", queue="import")
    defer_job(db, "diagnostics:fail", queue="orders")
    _work(db, queues=("orders",))
    from datetime import UTC, datetime, timedelta

    defer_job(db, "diagnostics:noop", queue="orders", schedule_at=datetime.now(UTC) + timedelta(hours=1))
    stats = {s.queue: s for s in q.queue_stats(db.uow(), system_actor)}
    assert list(stats) == ["integrations", "import", "default", "orders", "mail"]
    assert (stats["import"].waiting, stats["import"].failed) == (2, 0)
    assert stats["import"].oldest_waiting_seconds is not None and stats["import"].oldest_waiting_seconds >= 0
    assert (stats["orders"].waiting, stats["orders"].scheduled, stats["orders"].failed) == (0, 1, 1)
    assert stats["integrations"].oldest_waiting_seconds is None
    report = q.monitor_queues(db.uow(), system_actor, queues=["import", "orders"], max_waiting=1)
    assert report.over_limit == ["import"] and not report.ok
    assert q.monitor_queues(db.uow(), system_actor, queues=["import"], max_waiting=2).ok


def test_failed_job_gets_tries_then_shows_error_and_traceback(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    job_id = defer_job(db, "diagnostics:fail", message="Brak kolumny EAN")
    _work(db, tries=3)
    assert _job(db, job_id)["status"] == "failed" and _job(db, job_id)["attempts"] == 3
    [failed] = q.list_failed_jobs(db.uow(), system_actor)
    assert (failed.id, failed.queue, failed.task, failed.attempts) == (
        job_id,
        "default",
        "diagnostics:fail",
        3,
    )
    assert failed.error == "RuntimeError: Brak kolumny EAN"
    assert 'message="Brak kolumny EAN"' in failed.arguments and failed.failed_at is not None
    detail = q.failed_job_detail(db.uow(), system_actor, job_id)
    assert [a.attempt for a in detail.attempts] == [1, 2, 3]
    assert (
        "Traceback" in detail.attempts[-1].traceback
        and "tasks_diagnostics.py" in detail.attempts[-1].traceback
    )
    with pytest.raises(NotFound):
        q.failed_job_detail(db.uow(), system_actor, job_id + 1000)


def test_retry_gives_full_tries_again(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    job_id = defer_job(db, "diagnostics:fail")
    _work(db, tries=2)
    result = q.retry_failed_jobs(db.uow(), system_actor, [job_id, 999999])
    assert result.retried == [job_id] and result.not_failed == [999999]
    assert (_job(db, job_id)["status"], _job(db, job_id)["attempts"]) == ("todo", 0)
    _work(db, tries=2)
    assert (_job(db, job_id)["status"], _job(db, job_id)["attempts"]) == ("failed", 2)
    assert len(q.failed_job_detail(db.uow(), system_actor, job_id).attempts) == 4
    assert q.retry_failed_jobs(db.uow(), system_actor, None).retried == [job_id]


def test_retry_skips_a_job_whose_queueing_lock_is_taken(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    failed = defer_job(db, "diagnostics:fail", queueing_lock="feed-6")
    _work(db)
    waiting = defer_job(db, "diagnostics:noop", queueing_lock="feed-6")
    result = q.retry_failed_jobs(db.uow(), system_actor, None)
    assert (result.retried, result.skipped) == ([], [failed])
    assert _job(db, waiting)["status"] == "todo"


def test_prune_and_flush_delete_failed_jobs_and_their_errors(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    old = defer_job(db, "diagnostics:fail")
    new = defer_job(db, "diagnostics:fail")
    defer_job(db, "diagnostics:noop", queue="import")  # waiting: never deleted
    _work(db, queues=("default",))
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE procrastinate_events SET at = at - interval '200 hours' WHERE job_id = :id"),
            {"id": old},
        )
    assert q.prune_failed_jobs(db.uow(), system_actor, hours=168) == 1
    assert [f.id for f in q.list_failed_jobs(db.uow(), system_actor)] == [new]
    assert q.flush_failed_jobs(db.uow(), system_actor) == 1
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_failures")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == 1


def test_restart_signal_moves_forward(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    first = q.request_worker_restart(db.uow(), system_actor)
    second = q.request_worker_restart(db.uow(), system_actor)
    assert second > first


def test_operators_see_but_do_not_manage(db) -> None:  # type: ignore[no-untyped-def]
    operator = Actor(login="anna", role=Role.OPERATOR)
    assert q.queue_stats(db.uow(), operator)
    assert q.list_failed_jobs(db.uow(), operator) == []
    for call in (
        lambda: q.retry_failed_jobs(db.uow(), operator, None),
        lambda: q.flush_failed_jobs(db.uow(), operator),
        lambda: q.prune_failed_jobs(db.uow(), operator, hours=1),
        lambda: q.request_worker_restart(db.uow(), operator),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_the_scheduled_prune_task_deletes_old_failed_jobs(db) -> None:  # type: ignore[no-untyped-def]
    old = defer_job(db, "diagnostics:fail")
    _work(db)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE procrastinate_events SET at = at - interval '200 hours' WHERE job_id = :id"),
            {"id": old},
        )
    prune = defer_job(db, "maintenance:prune_failed_jobs", hours=168)
    _work(db)
    assert _job(db, prune)["status"] == "succeeded"
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": old}).scalar()
            == 0
        )
