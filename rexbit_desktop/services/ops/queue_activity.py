"""What the queues are doing besides failing: jobs waiting for a retry (attempt, next try, the error that
caused it) and the runs the jobs drive (imports, shop syncs) with their states — for the Queues view and
``rexbit queue retrying`` / ``rexbit queue runs``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.secrets import mask_secrets
from rexbit_desktop.queueing import check_queue
from rexbit_desktop.services.ops.queue import summarize_arguments


@dataclass(frozen=True)
class RetryingJob:
    id: int
    queue: str
    task: str
    arguments: str
    attempts: int
    """Attempts made so far (each failed)."""
    next_try_at: datetime | None
    """When the retry may start (the worker's back-off); None: at once."""
    error: str
    """What failed in the last attempt (first line)."""


@dataclass(frozen=True)
class RunState:
    kind: str
    """``import``, ``availability`` or ``orders``."""
    id: int
    integration_id: int
    integration_name: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    message: str | None
    job_id: int | None = None
    counts: tuple[int, int, int, int, int] | None = None
    """A finished import's rows read, matched, unmatched, ambiguous, invalid (None: a shop sync)."""
    message_code: str | None = None
    message_params: dict[str, Any] | None = None
    """Why an import failed, for the GUI to phrase (``message`` is English)."""


_RETRYING_SQL = """
    SELECT j.id, j.queue_name, j.task_name, j.args, j.attempts, j.scheduled_at,
           (SELECT f.error FROM job_failures f WHERE f.job_id = j.id ORDER BY f.failed_at DESC, f.id DESC LIMIT 1)
               AS error
      FROM procrastinate_jobs j
     WHERE j.status = 'todo' AND j.attempts > 0 {where}
     ORDER BY j.scheduled_at NULLS FIRST, j.id
     LIMIT :limit
"""


def list_retrying_jobs(
    uow: UnitOfWork, actor: Actor, *, queue: str | None = None, limit: int = 200
) -> list[RetryingJob]:
    """Jobs that failed and wait for their next try, soonest first."""
    actor.require(Permission.VIEW)
    if limit < 1:
        raise ValidationError(
            "The limit must be at least 1.", code="limit_too_small", params={"option": "limit", "min": 1}
        )
    params: dict[str, Any] = {"limit": limit}
    if queue:
        params["queue"] = check_queue(queue)
    sql = _RETRYING_SQL.format(where="AND j.queue_name = :queue" if queue else "")
    with uow:
        return [
            RetryingJob(
                id=int(r["id"]),
                queue=r["queue_name"],
                task=r["task_name"],
                arguments=summarize_arguments(r["args"] or {}),
                attempts=int(r["attempts"]),
                next_try_at=r["scheduled_at"],
                error=r["error"] or "",
            )
            for r in uow.session.execute(text(sql), params).mappings()
        ]


_RUNS_SQL = """
    SELECT * FROM (
        SELECT 'import' AS kind, r.id, r.integration_id, i.name, r.status, r.started_at, r.finished_at,
               r.message, r.job_id,
               ARRAY[r.rows_read, r.matched, r.unmatched, r.ambiguous, r.rows_invalid] AS counts,
               r.message_code, r.message_params
          FROM import_runs r JOIN integrations i ON i.id = r.integration_id
         WHERE r.status IN ('queued', 'running') OR r.started_at > now() - make_interval(hours => :hours)
        UNION ALL
        SELECT s.kind, s.id, s.integration_id, i.name, s.status, s.started_at, s.finished_at, s.message, NULL,
               NULL, NULL, NULL
          FROM sync_runs s JOIN integrations i ON i.id = s.integration_id
         WHERE s.status = 'running' OR s.started_at > now() - make_interval(hours => :hours)
    ) runs
    ORDER BY (status IN ('queued', 'running')) DESC, started_at DESC
    LIMIT :limit
"""


def list_recent_runs(uow: UnitOfWork, actor: Actor, *, hours: int = 24, limit: int = 100) -> list[RunState]:
    """Import and shop-sync runs that are queued or running, then those of the last ``hours``, newest first."""
    actor.require(Permission.VIEW)
    if limit < 1 or hours < 1:
        raise ValidationError(
            "The limit and the hours must be at least 1.",
            code="limit_and_hours_too_small",
        )
    with uow:
        return [
            RunState(
                kind=r["kind"],
                id=int(r["id"]),
                integration_id=int(r["integration_id"]),
                integration_name=r["name"],
                status=r["status"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                message=mask_secrets(r["message"]) if r["message"] else None,
                job_id=r["job_id"],
                counts=tuple(int(c or 0) for c in r["counts"]) if r["counts"] else None,  # type: ignore[arg-type]
                message_code=r["message_code"],
                message_params=r["message_params"],
            )
            for r in uow.session.execute(text(_RUNS_SQL), {"hours": hours, "limit": limit}).mappings()
        ]


__all__ = ["RetryingJob", "RunState", "list_recent_runs", "list_retrying_jobs"]
