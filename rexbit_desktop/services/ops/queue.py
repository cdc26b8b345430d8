"""The job queue as operators see it: per-queue counts, failed jobs, retry, prune, flush, restart.

The CLI (``rexbit queue …``) and the desktop's queue view call these same functions. They read
procrastinate's tables directly (``procrastinate_jobs``, ``procrastinate_events``, ``procrastinate_workers``)
and our ``job_failures`` (the error of every failed attempt, written by the workers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.queueing import QUEUES, check_queue

# ------------------------------------------------------------------ DTOs


@dataclass(frozen=True)
class QueueStats:
    queue: str
    waiting: int
    """Ready to run now."""
    scheduled: int
    """Waiting for a later start (a retry back-off or ``schedule_at``)."""
    running: int
    failed: int
    oldest_waiting_seconds: float | None
    """How long the oldest ready job has waited; ``None`` when none waits."""


@dataclass(frozen=True)
class MonitorReport:
    queues: list[QueueStats]
    max_waiting: int
    over_limit: list[str]
    """Queues with more than ``max_waiting`` jobs waiting."""

    @property
    def ok(self) -> bool:
        return not self.over_limit


@dataclass(frozen=True)
class FailedJob:
    id: int
    queue: str
    task: str
    arguments: str
    """A one-line summary of the arguments."""
    attempts: int
    failed_at: datetime | None
    error: str
    """The last line of the last error (``ExceptionType: message``)."""


@dataclass(frozen=True)
class FailedAttempt:
    attempt: int
    failed_at: datetime
    worker: str
    error: str
    traceback: str


@dataclass(frozen=True)
class FailedJobDetail:
    job: FailedJob
    arguments: dict[str, Any]
    lock: str | None
    queueing_lock: str | None
    attempts: list[FailedAttempt]
    """Every recorded failed attempt, oldest first (also those before a manual retry)."""


@dataclass(frozen=True)
class RetryResult:
    retried: list[int]
    not_failed: list[int]
    """Requested ids that are not failed jobs (unknown, or already waiting/running/done)."""
    skipped: list[int]
    """Failed jobs left as they are: a job with the same queueing lock is already waiting."""


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    last_heartbeat: datetime
    seconds_since_heartbeat: float
    running_jobs: int


# ------------------------------------------------------------------ reading


_STATS_SQL = text(
    """
    SELECT j.queue_name AS queue,
           count(*) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))
               AS waiting,
           count(*) FILTER (WHERE j.status = 'todo' AND j.scheduled_at > now()) AS scheduled,
           count(*) FILTER (WHERE j.status = 'doing') AS running,
           count(*) FILTER (WHERE j.status = 'failed') AS failed,
           EXTRACT(EPOCH FROM now() - min(w.since)) AS oldest_waiting_seconds
      FROM procrastinate_jobs j
      LEFT JOIN LATERAL (
            -- waiting since it was (re)queued, or since its scheduled start
            SELECT GREATEST(max(e.at), j.scheduled_at) AS since
              FROM procrastinate_events e
             WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')
          ) w ON j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
     WHERE j.status IN ('todo', 'doing', 'failed')
     GROUP BY j.queue_name
    """
)


def queue_stats(uow: UnitOfWork, actor: Actor, *, queues: Sequence[str] | None = None) -> list[QueueStats]:
    """Counts per queue: all named queues (zeros included), then any other queue that holds jobs."""
    actor.require(Permission.VIEW)
    wanted = [check_queue(q) for q in queues] if queues else None
    with uow:
        rows = {r["queue"]: r for r in uow.session.execute(_STATS_SQL).mappings()}
    names = wanted or [*QUEUES, *sorted(set(rows) - set(QUEUES))]
    result = []
    for name in names:
        r = rows.get(name)
        result.append(
            QueueStats(
                queue=name,
                waiting=int(r["waiting"]) if r else 0,
                scheduled=int(r["scheduled"]) if r else 0,
                running=int(r["running"]) if r else 0,
                failed=int(r["failed"]) if r else 0,
                oldest_waiting_seconds=(
                    float(r["oldest_waiting_seconds"])
                    if r and r["oldest_waiting_seconds"] is not None
                    else None
                ),
            )
        )
    return result


def monitor_queues(
    uow: UnitOfWork, actor: Actor, *, queues: Sequence[str], max_waiting: int
) -> MonitorReport:
    """``queue monitor``: which queues have more than ``max_waiting`` jobs waiting."""
    if max_waiting < 0:
        raise ValidationError(
            "The maximum must be 0 or more.", code="value_negative", params={"option": "max"}
        )
    stats = queue_stats(uow, actor, queues=queues or None)
    return MonitorReport(
        queues=stats, max_waiting=max_waiting, over_limit=[s.queue for s in stats if s.waiting > max_waiting]
    )


_FAILED_SQL = """
    SELECT j.id, j.queue_name, j.task_name, j.args, j.attempts, j.lock, j.queueing_lock,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'failed')
               AS failed_at,
           (SELECT f.error FROM job_failures f WHERE f.job_id = j.id ORDER BY f.failed_at DESC, f.id DESC LIMIT 1)
               AS error
      FROM procrastinate_jobs j
     WHERE j.status = 'failed' {where}
     ORDER BY j.id DESC
"""


def summarize_arguments(args: dict[str, Any], limit: int = 80) -> str:
    shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _failed_job(row: Any) -> FailedJob:
    return FailedJob(
        id=int(row["id"]),
        queue=row["queue_name"],
        task=row["task_name"],
        arguments=summarize_arguments(row["args"] or {}),
        attempts=int(row["attempts"]),
        failed_at=row["failed_at"],
        error=row["error"] or "(no error recorded: the task may not exist on the worker)",
    )


def list_failed_jobs(
    uow: UnitOfWork, actor: Actor, *, queue: str | None = None, limit: int | None = 500
) -> list[FailedJob]:
    """Failed jobs, newest first."""
    actor.require(Permission.VIEW)
    sql = _FAILED_SQL.format(where="AND j.queue_name = :queue" if queue else "")
    params: dict[str, Any] = {"queue": check_queue(queue)} if queue else {}
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    with uow:
        return [_failed_job(r) for r in uow.session.execute(text(sql), params).mappings()]


def failed_job_detail(uow: UnitOfWork, actor: Actor, job_id: int) -> FailedJobDetail:
    """One failed job with the traceback of each failed attempt."""
    actor.require(Permission.VIEW)
    with uow:
        row = (
            uow.session.execute(text(_FAILED_SQL.format(where="AND j.id = :id")), {"id": job_id})
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(
                f"There is no failed job {job_id}.", code="failed_job_not_found", params={"job": job_id}
            )
        attempts = [
            FailedAttempt(
                attempt=int(a["attempt"]),
                failed_at=a["failed_at"],
                worker=a["worker"],
                error=a["error"],
                traceback=a["traceback"],
            )
            for a in uow.session.execute(
                text(
                    "SELECT attempt, failed_at, worker, error, traceback FROM job_failures"
                    " WHERE job_id = :id ORDER BY failed_at, id"
                ),
                {"id": job_id},
            ).mappings()
        ]
    return FailedJobDetail(
        job=_failed_job(row),
        arguments=dict(row["args"] or {}),
        lock=row["lock"],
        queueing_lock=row["queueing_lock"],
        attempts=attempts,
    )


def list_workers(uow: UnitOfWork, actor: Actor) -> list[WorkerInfo]:
    """Workers that registered with the database (on any host), with their last heartbeat."""
    actor.require(Permission.VIEW)
    with uow:
        rows = uow.session.execute(
            text(
                """
                SELECT w.id, w.last_heartbeat, EXTRACT(EPOCH FROM now() - w.last_heartbeat) AS age,
                       (SELECT count(*) FROM procrastinate_jobs j WHERE j.worker_id = w.id AND j.status = 'doing')
                           AS running
                  FROM procrastinate_workers w ORDER BY w.id
                """
            )
        ).mappings()
        return [
            WorkerInfo(
                id=int(r["id"]),
                last_heartbeat=r["last_heartbeat"],
                seconds_since_heartbeat=float(r["age"]),
                running_jobs=int(r["running"]),
            )
            for r in rows
        ]


# ------------------------------------------------------------------ changing


def _notify_queues(uow: UnitOfWork, queues: set[str]) -> None:
    """Wake idle workers: procrastinate notifies only on INSERT, not when a failed job goes back to 'todo'."""
    payload = json.dumps({"type": "job_inserted", "job_id": None})
    for queue in sorted(queues):
        uow.session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": f"procrastinate_queue_v1#{queue}", "payload": payload},
        )
    if queues:
        uow.session.execute(
            text("SELECT pg_notify('procrastinate_any_queue_v1', :payload)"), {"payload": payload}
        )


_RETRY_ONE_SQL = text(
    "UPDATE procrastinate_jobs SET status = 'todo', attempts = 0, scheduled_at = now(), worker_id = NULL"
    " WHERE id = :id AND status = 'failed' RETURNING queue_name"
)


def retry_failed_jobs(uow: UnitOfWork, actor: Actor, job_ids: Sequence[int] | None = None) -> RetryResult:
    """Put failed jobs back in their queues (``None``: all failed jobs) with their full tries again.

    ``attempts`` goes back to 0, so the worker's ``--tries`` counts afresh; the errors of earlier attempts
    stay in ``job_failures``.
    """
    actor.require(Permission.QUEUE_MANAGE)
    retried: list[int] = []
    skipped: list[int] = []
    queues: set[str] = set()
    with uow:
        session = uow.session
        if job_ids is None:
            candidates = list(
                session.execute(
                    text("SELECT id FROM procrastinate_jobs WHERE status = 'failed' ORDER BY id")
                ).scalars()
            )
            missing: list[int] = []
        else:
            wanted = sorted(set(job_ids))
            candidates = list(
                session.execute(
                    text(
                        "SELECT id FROM procrastinate_jobs WHERE status = 'failed' AND id IN :ids ORDER BY id"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"ids": wanted or [-1]},
                ).scalars()
            )
            missing = [i for i in wanted if i not in set(candidates)]
        for job_id in candidates:
            try:
                # A savepoint per job: a waiting twin with the same queueing lock refuses only this one.
                with session.begin_nested():
                    queue = session.execute(_RETRY_ONE_SQL, {"id": job_id}).scalar()
            except IntegrityError:
                skipped.append(int(job_id))
                continue
            if queue is not None:
                retried.append(int(job_id))
                queues.add(queue)
        _notify_queues(uow, queues)
        uow.commit()
    return RetryResult(retried=retried, not_failed=missing, skipped=skipped)


def _delete_failed(uow: UnitOfWork, where: str, params: dict[str, Any]) -> int:
    ids = list(
        uow.session.execute(
            text(f"DELETE FROM procrastinate_jobs j WHERE j.status = 'failed' {where} RETURNING j.id"), params
        ).scalars()
    )
    if ids:
        uow.session.execute(
            text("DELETE FROM job_failures WHERE job_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
    return len(ids)


def prune_failed_jobs(uow: UnitOfWork, actor: Actor, *, hours: float) -> int:
    """Delete failed jobs that failed more than ``hours`` ago; returns how many."""
    actor.require(Permission.QUEUE_MANAGE)
    if hours < 0:
        raise ValidationError(
            "The hours must be 0 or more.", code="value_negative", params={"option": "hours"}
        )
    with uow:
        count = _delete_failed(
            uow,
            """AND COALESCE((SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id), '-infinity')
                   < now() - make_interval(secs => :seconds)""",
            {"seconds": hours * 3600},
        )
        uow.commit()
    return count


def flush_failed_jobs(uow: UnitOfWork, actor: Actor) -> int:
    """Delete every failed job; returns how many."""
    actor.require(Permission.QUEUE_MANAGE)
    with uow:
        count = _delete_failed(uow, "", {})
        uow.commit()
    return count


def request_worker_restart(uow: UnitOfWork, actor: Actor) -> datetime:
    """Every running worker, on any host, exits after its current job (a supervisor starts it fresh)."""
    actor.require(Permission.QUEUE_MANAGE)
    with uow:
        at: datetime = uow.session.execute(
            text(
                "INSERT INTO worker_signals (name, signalled_at) VALUES ('restart', clock_timestamp())"
                " ON CONFLICT (name) DO UPDATE SET signalled_at = EXCLUDED.signalled_at RETURNING signalled_at"
            )
        ).scalar_one()
        uow.commit()
    return at


__all__ = [
    "FailedAttempt",
    "FailedJob",
    "FailedJobDetail",
    "MonitorReport",
    "QueueStats",
    "RetryResult",
    "WorkerInfo",
    "failed_job_detail",
    "flush_failed_jobs",
    "list_failed_jobs",
    "list_workers",
    "monitor_queues",
    "prune_failed_jobs",
    "queue_stats",
    "request_worker_restart",
    "retry_failed_jobs",
]
