"""``defer_job``: put a job row in procrastinate's table, in the caller's transaction if it has one.

Deferring from a service, the CLI or the UI (plain synchronous code)::

    from rexbit_desktop.queueing import defer_job
    job_id = defer_job(db, "imports:import_feed", integration_id=6, queueing_lock="import-6")

Pass a ``UnitOfWork`` (inside ``with uow:``) instead of the ``Database`` to defer inside the caller's
transaction: the job then exists only if the caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from rexbit_desktop.db.session import Database, UnitOfWork
from rexbit_desktop.domain.errors import Conflict, ValidationError
from rexbit_desktop.queueing.catalog import resolve_task
from rexbit_desktop.queueing.queues import check_queue
from rexbit_desktop.queueing.rows import insert_job, is_queueing_lock_conflict


class JobAlreadyQueued(Conflict):
    """The same job is already waiting in the queue."""


def defer_job(
    target: Database | UnitOfWork,
    task_name: str,
    *,
    queue: str | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
    priority: int | None = None,
    schedule_at: dt.datetime | None = None,
    **task_kwargs: Any,
) -> int:
    """Put a job for ``task_name`` in its queue (or ``queue``) and return the job id.

    ``lock``: jobs with the same lock never run at the same time. ``queueing_lock``: at most one job
    with this lock waits in the queue (a second one raises ``JobAlreadyQueued``). Keyword arguments are
    the task's arguments and must be JSON values.
    """
    return defer_job_with_arguments(
        target,
        task_name,
        task_kwargs,
        queue=queue,
        lock=lock,
        queueing_lock=queueing_lock,
        priority=priority,
        schedule_at=schedule_at,
    )


def defer_job_with_arguments(
    target: Database | UnitOfWork,
    task_name: str,
    arguments: Mapping[str, Any],
    *,
    queue: str | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
    priority: int | None = None,
    schedule_at: dt.datetime | None = None,
) -> int:
    """``defer_job`` with the task's arguments as a mapping (any names, e.g. from a schedule row)."""
    task = resolve_task(task_name)
    try:
        args = json.dumps(dict(arguments))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The arguments of '{task_name}' are not JSON values: {exc}") from exc
    if schedule_at is not None and schedule_at.tzinfo is None:
        raise ValidationError("schedule_at must carry a time zone.")
    queueing_lock = queueing_lock if queueing_lock is not None else task.queueing_lock
    row: dict[str, Any] = {
        "queue": check_queue(queue or task.queue),
        "task": task_name,
        "priority": priority if priority is not None else task.priority,
        "lock": lock if lock is not None else task.lock,
        "queueing_lock": queueing_lock,
        "args": args,
        "scheduled_at": schedule_at,
    }
    try:
        if isinstance(target, UnitOfWork):
            # A savepoint keeps the caller's transaction usable when the queueing lock refuses the job.
            with target.session.begin_nested():
                return insert_job(target.session.connection(), **row)
        with target.engine.begin() as conn:
            return insert_job(conn, **row)
    except IntegrityError as exc:
        if is_queueing_lock_conflict(exc):
            raise JobAlreadyQueued(
                f"A '{task_name}' job with the queueing lock '{queueing_lock}' is already waiting.",
                hint="Wait until it starts.",
                code="job_already_queued",
                params={"task": task_name, "lock": queueing_lock},
            ) from exc
        raise
