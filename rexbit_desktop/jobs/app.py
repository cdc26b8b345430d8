"""The procrastinate app on the application database, and ``defer_job`` for everyone else.

Task names are ``<namespace>:<task>``; each area's blueprint gets one namespace:

============  ===============================  ======================================
namespace     blueprint                         example
============  ===============================  ======================================
imports       ``jobs/tasks_imports.py``         ``imports:import_all_supplier_feeds``
shop          ``jobs/tasks_shop.py``            ``shop:sync_all_availability``
orders        ``jobs/tasks_orders.py``          ``orders:release_expired_reservations``
maintenance   ``jobs/tasks_maintenance.py``     ``maintenance:prune_failed_jobs``
diagnostics   ``jobs/tasks_diagnostics.py``     ``diagnostics:noop`` (tests, benchmark;
                                                only with ``REXBIT_DIAGNOSTIC_TASKS=1``)
============  ===============================  ======================================

Queues: ``integrations``, ``import``, ``default``, ``orders``.

Deferring from a service, the CLI or the UI (plain synchronous code)::

    from rexbit_desktop.jobs.app import defer_job
    job_id = defer_job(db, "imports:import_feed", integration_id=6, queueing_lock="import-6")

Pass a ``UnitOfWork`` (inside ``with uow:``) instead of the ``Database`` to defer inside the caller's
transaction: the job then exists only if the caller commits.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import importlib
import json
import os
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

import procrastinate
import psycopg_pool
from procrastinate import Blueprint, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy
from procrastinate.tasks import Task
from sqlalchemy.exc import IntegrityError

from rexbit_desktop.db.session import Database, UnitOfWork
from rexbit_desktop.domain.errors import Conflict, ValidationError
from rexbit_desktop.jobs.rows import insert_job, is_queueing_lock_conflict

QUEUES: tuple[str, ...] = ("integrations", "import", "default", "orders")
"""Named queues, in the order workers and the monitor list them."""

AREA_BLUEPRINTS: dict[str, str] = {
    "imports": "rexbit_desktop.jobs.tasks_imports",
    "shop": "rexbit_desktop.jobs.tasks_shop",
    "orders": "rexbit_desktop.jobs.tasks_orders",
    "maintenance": "rexbit_desktop.jobs.tasks_maintenance",
}
DIAGNOSTICS_NAMESPACE = "diagnostics"
DIAGNOSTICS_ENV = "REXBIT_DIAGNOSTIC_TASKS"


class UnknownTask(ValidationError):
    """No such task."""


class UnknownQueue(ValidationError):
    """No such queue."""


class JobAlreadyQueued(Conflict):
    """The same job is already waiting in the queue."""


# ------------------------------------------------------------------ retries


worker_tries: contextvars.ContextVar[int | None] = contextvars.ContextVar("rexbit_worker_tries", default=None)
"""Set by the running worker for the job being processed (``--tries``)."""


class WorkerTries(BaseRetryStrategy):
    """The worker's ``--tries``: how many attempts a job gets before it counts as failed.

    Given to every task declared without its own ``retry=`` (a task's own strategy wins, like a Laravel
    job's ``$tries``). procrastinate counts ``job.attempts`` from 0 and adds one per retry; a manual
    ``queue retry`` resets it, so a retried job gets its full tries again.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        tries = worker_tries.get()
        if tries is None or job.attempts + 1 >= tries:
            return None
        return RetryDecision(retry_in={"seconds": 0})


_registry_lock = threading.Lock()
_namespaced: dict[str, dict[str, Task[Any, Any, Any]]] | None = None


def _load_namespaces() -> dict[str, dict[str, Task[Any, Any, Any]]]:
    """Namespace every area blueprint once per process.

    ``Blueprint.add_tasks_from`` renames the tasks in place, so doing it again for a second app (tests
    open many databases in one process) would give ``imports:imports:…``.
    """
    global _namespaced
    with _registry_lock:
        if _namespaced is None:
            modules = dict(AREA_BLUEPRINTS)
            modules[DIAGNOSTICS_NAMESPACE] = "rexbit_desktop.jobs.tasks_diagnostics"
            result: dict[str, dict[str, Task[Any, Any, Any]]] = {}
            for namespace, module_name in modules.items():
                bp: Blueprint = importlib.import_module(module_name).bp
                holder = Blueprint()
                holder.add_tasks_from(bp, namespace=namespace)
                for task in holder.tasks.values():
                    if task.retry_strategy is None:
                        task.retry_strategy = WorkerTries()
                result[namespace] = dict(holder.tasks)
            _namespaced = result
        return _namespaced


def diagnostics_enabled() -> bool:
    return os.environ.get(DIAGNOSTICS_ENV, "").lower() in ("1", "true", "yes")


def registered_tasks(*, diagnostics: bool | None = None) -> dict[str, Task[Any, Any, Any]]:
    """All production tasks by full name (plus ``diagnostics:*`` when enabled)."""
    if diagnostics is None:
        diagnostics = diagnostics_enabled()
    tasks: dict[str, Task[Any, Any, Any]] = {}
    for namespace, named in _load_namespaces().items():
        if namespace == DIAGNOSTICS_NAMESPACE and not diagnostics:
            continue
        tasks.update(named)
    return tasks


async def _autocommit(conn: Any) -> None:
    # Not kwargs={"autocommit": True}: procrastinate's LISTEN connection passes autocommit itself.
    await conn.set_autocommit(True)


IDLE_CHECK_AFTER = 5.0
"""Seconds a pooled connection may sit idle before it is checked (a round trip) on its next use."""
_returned_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


async def _remember_return(conn: Any) -> None:
    _returned_at[conn] = time.monotonic()


async def _check_if_idle(conn: Any) -> None:
    # Checking every checkout costs a round trip per query (a third of a busy worker's time); a
    # connection used a moment ago is alive, one that sat idle may have been cut (server restart).
    returned = _returned_at.get(conn)
    if returned is None or time.monotonic() - returned > IDLE_CHECK_AFTER:
        await psycopg_pool.AsyncConnectionPool.check_connection(conn)


def _job_pool(**kwargs: Any) -> psycopg_pool.AsyncConnectionPool:
    kwargs.update(check=_check_if_idle, reset=_remember_return)
    return psycopg_pool.AsyncConnectionPool(**kwargs)


def make_job_app(db: Database, *, diagnostics: bool | None = None, pool_size: int = 10) -> procrastinate.App:
    """A procrastinate app on ``db`` with the tasks of all areas (not opened).

    Each running worker holds one pooled connection for LISTEN, so ``pool_size`` must exceed the number
    of workers sharing the app. Pool connections are in autocommit: every procrastinate query is one
    function call, and BEGIN/COMMIT around each would double the round trips per job.
    """
    connector = procrastinate.PsycopgConnector(
        conninfo=db.psycopg_conninfo,
        min_size=1,
        max_size=pool_size,
        kwargs={"application_name": "rexbit-jobs"},
        configure=_autocommit,
        pool_factory=_job_pool,
    )
    app = procrastinate.App(connector=connector)
    app.tasks.update(registered_tasks(diagnostics=diagnostics))
    return app


# ------------------------------------------------------------------ deferring


def resolve_task(task_name: str, *, diagnostics: bool | None = None) -> Task[Any, Any, Any]:
    tasks = registered_tasks(diagnostics=diagnostics)
    task = tasks.get(task_name)
    if task is None:
        raise UnknownTask(
            f"There is no task '{task_name}'.",
            hint="Task names are '<namespace>:<task>'; known tasks: " + ", ".join(sorted(tasks)) + ".",
        )
    return task


def check_queue(queue: str) -> str:
    if queue not in QUEUES:
        raise UnknownQueue(f"There is no queue '{queue}'.", hint="Queues: " + ", ".join(QUEUES) + ".")
    return queue


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
                hint="Wait until it starts, or look at it with 'rexbit queue monitor'.",
            ) from exc
        raise


__all__ = [
    "QUEUES",
    "JobAlreadyQueued",
    "UnknownQueue",
    "UnknownTask",
    "WorkerTries",
    "check_queue",
    "defer_job",
    "defer_job_with_arguments",
    "make_job_app",
    "registered_tasks",
    "resolve_task",
]
