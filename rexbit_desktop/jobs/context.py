"""What a task receives from the worker that runs it.

Workers are started with ``additional_context={"db": Database}``; tasks are declared with
``pass_context=True`` on a procrastinate ``Blueprint`` (one per area: ``tasks_imports``, ``tasks_shop``,
``tasks_orders``, ``tasks_maintenance``) and stay thin wrappers over services.
"""

from __future__ import annotations

from procrastinate import JobContext

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor


def job_database(context: JobContext) -> Database:
    db = context.additional_context.get("db")
    if not isinstance(db, Database):
        raise RuntimeError("the worker was started without a database in additional_context['db']")
    return db


def job_actor(context: JobContext) -> Actor:
    name = context.task.name if context.task else "unknown"
    return Actor.job(name)
