"""Putting a job row into procrastinate's table with SQL alone, without importing procrastinate.

``jobs/app.py``'s ``defer_job`` checks the task against the app and uses this; a service on a hot path
that knows its task (``services/ops/maintenance.py``) uses it directly, so that a ``--now`` import does not
pay for importing procrastinate and every task module (0.13 s) to queue one housekeeping job.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"

_DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :queueing_lock,"
    " CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])) AS id"
)


def insert_job(
    conn: Connection,
    *,
    queue: str,
    task: str,
    args: str = "{}",
    priority: int = 0,
    lock: str | None = None,
    queueing_lock: str | None = None,
    scheduled_at: dt.datetime | None = None,
) -> int:
    """One job row; ``args`` is the task's arguments as JSON text. Returns the job id."""
    params = {
        "queue": queue,
        "task": task,
        "priority": priority,
        "lock": lock,
        "queueing_lock": queueing_lock,
        "args": args,
        "scheduled_at": scheduled_at,
    }
    return int(conn.execute(_DEFER_SQL, params).scalar_one())


def is_queueing_lock_conflict(exc: BaseException) -> bool:
    return QUEUEING_LOCK_INDEX in str(getattr(exc, "orig", exc))
