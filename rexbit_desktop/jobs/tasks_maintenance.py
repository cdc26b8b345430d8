"""Tasks of the maintenance area (thin wrappers over services). Added to the app by jobs/app.py.

- ``maintenance:prune_failed_jobs(hours=168)``: delete failed jobs older than ``hours`` (default
  schedule ``prune-failed-jobs``, daily at 02:00), like ``rexbit queue prune-failed``.
"""

from __future__ import annotations

from procrastinate import Blueprint, JobContext

from rexbit_desktop.jobs.context import job_actor, job_database

bp = Blueprint()


@bp.task(name="prune_failed_jobs", queue="default", pass_context=True)
def prune_failed_jobs(context: JobContext, hours: float = 168) -> str:
    from rexbit_desktop.services.queue import prune_failed_jobs as prune

    deleted = prune(job_database(context).uow(), job_actor(context), hours=float(hours))
    return f"deleted {deleted} failed job(s) older than {hours:g} h"
