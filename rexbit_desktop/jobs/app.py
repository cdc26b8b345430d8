"""The procrastinate app on the application database, with the tasks of every area.

Each area's blueprint (``tasks_imports``, ``tasks_shop``, ``tasks_orders``, ``tasks_shipping``,
``tasks_maintenance``, and
``tasks_diagnostics`` for tests and benchmarks) gets its namespace: task names are
``<namespace>:<task>``. Deferring a job does not need this module: ``rexbit_desktop.queueing`` has the
queue names, the static task catalog and ``defer_job`` (a test checks the catalog against the tasks
registered here).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

import procrastinate
import psycopg_pool
from procrastinate import Blueprint, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy
from procrastinate.tasks import Task

from rexbit_desktop.db.session import Database
from rexbit_desktop.jobs import (
    tasks_automation,
    tasks_diagnostics,
    tasks_imports,
    tasks_mail,
    tasks_maintenance,
    tasks_orders,
    tasks_shipping,
    tasks_shop,
)
from rexbit_desktop.queueing.catalog import DIAGNOSTICS_NAMESPACE, diagnostics_enabled
from rexbit_desktop.queueing.workers import worker_application_name
from rexbit_desktop.services.wiring import wire_listeners

AREA_BLUEPRINTS: dict[str, Blueprint] = {
    "imports": tasks_imports.bp,
    "shop": tasks_shop.bp,
    "orders": tasks_orders.bp,
    "shipping": tasks_shipping.bp,
    "maintenance": tasks_maintenance.bp,
    "mail": tasks_mail.bp,
    DIAGNOSTICS_NAMESPACE: tasks_diagnostics.bp,
    "automation": tasks_automation.bp,
}


# ------------------------------------------------------------------ retries


worker_tries: contextvars.ContextVar[int | None] = contextvars.ContextVar("rexbit_worker_tries", default=None)
"""Set by the running worker for the job being processed (``--tries``)."""
worker_backoff: contextvars.ContextVar[tuple[float, ...]] = contextvars.ContextVar(
    "rexbit_worker_backoff", default=()
)
"""Set by the running worker for the job being processed (``--backoff`` of the job's queue)."""


def backoff_delay(backoff: tuple[float, ...], attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1 = the first retry): Laravel's ``--backoff=1,5,10``
    gives 1 s, then 5 s, then 10 s for every later retry; ``()`` retries at once."""
    if not backoff:
        return 0.0
    return float(backoff[min(attempt, len(backoff)) - 1])


class WorkerTries(BaseRetryStrategy):
    """The worker's ``--tries``: how many attempts a job gets before it counts as failed.

    Given to every task declared without its own ``retry=`` (a task's own strategy wins, like a Laravel
    job's ``$tries``). procrastinate counts ``job.attempts`` from 0 and adds one per retry; a manual
    ``queue retry`` resets it, so a retried job gets its full tries again. Retries wait as the worker's
    ``--backoff`` for the job's queue says; an exception with ``retry = False`` (a failed import run)
    is not retried.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        tries = worker_tries.get()
        if tries is None or job.attempts + 1 >= tries or getattr(exception, "retry", True) is False:
            return None
        delay = backoff_delay(worker_backoff.get(), job.attempts + 1)
        return RetryDecision(retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay))


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
            result: dict[str, dict[str, Task[Any, Any, Any]]] = {}
            for namespace, bp in AREA_BLUEPRINTS.items():
                holder = Blueprint()
                holder.add_tasks_from(bp, namespace=namespace)
                for task in holder.tasks.values():
                    if task.retry_strategy is None:
                        task.retry_strategy = WorkerTries()
                result[namespace] = dict(holder.tasks)
            _namespaced = result
        return _namespaced


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


def make_job_app(
    db: Database,
    *,
    diagnostics: bool | None = None,
    pool_size: int = 10,
    serving: Sequence[str] | None = None,
) -> procrastinate.App:
    """A procrastinate app on ``db`` with the tasks of all areas (not opened).

    Each running worker holds one pooled connection for LISTEN, so ``pool_size`` must exceed the number
    of workers sharing the app. Pool connections are in autocommit: every procrastinate query is one
    function call, and BEGIN/COMMIT around each would double the round trips per job.
    """
    connector = procrastinate.PsycopgConnector(
        conninfo=db.psycopg_conninfo,
        min_size=1,
        max_size=pool_size,
        # The queues its workers take jobs from (none named: all), so whoever queues a job can tell
        # whether a live worker will pick it up (``queueing.workers.worker_serves``).
        kwargs={"application_name": worker_application_name(serving)},
        configure=_autocommit,
        pool_factory=_job_pool,
    )
    wire_listeners()  # the tasks run here: the areas' listeners must hear them
    app = procrastinate.App(connector=connector)
    app.tasks.update(registered_tasks(diagnostics=diagnostics))
    return app


__all__ = [
    "WorkerTries",
    "backoff_delay",
    "make_job_app",
    "registered_tasks",
    "worker_application_name",
    "worker_backoff",
    "worker_tries",
]
