"""Tasks of the maintenance area (thin wrappers over services). Added to the app by jobs/app.py.

- ``maintenance:prune_failed_jobs(hours=168)``: delete failed jobs older than ``hours`` (default
  schedule ``prune-failed-jobs``, daily at 02:00), like ``rexbit queue prune-failed``.
- ``maintenance:refresh_kpi()``: rebuild the KPI dashboard's daily figures of the days whose orders
  changed (default schedule ``refresh-kpi``, every 10 minutes), like ``rexbit kpi refresh``.
- ``maintenance:vacuum_after_import()``: ``VACUUM (ANALYZE)`` of the supplier offers and the shop sync
  state, queued by a feed import that changed many offers (``services/ops/maintenance.py``).
"""

from __future__ import annotations

from procrastinate import Blueprint, JobContext

from rexbit_desktop.jobs.context import job_actor, job_database

bp = Blueprint()


@bp.task(name="prune_failed_jobs", queue="default", pass_context=True)
def prune_failed_jobs(context: JobContext, hours: float = 168) -> str:
    from rexbit_desktop.services.ops.queue import prune_failed_jobs as prune

    deleted = prune(job_database(context).uow(), job_actor(context), hours=float(hours))
    return f"deleted {deleted} failed job(s) older than {hours:g} h"


@bp.task(name="vacuum_after_import", queue="default", pass_context=True)
def vacuum_after_import(context: JobContext) -> str:
    from rexbit_desktop.services.ops.maintenance import vacuum_tables

    done = vacuum_tables(job_database(context).engine)
    return "vacuumed " + ", ".join(done)


@bp.task(name="refresh_kpi", queue="default", pass_context=True)
def refresh_kpi(context: JobContext) -> str:
    from rexbit_desktop.services.kpi import refresh_kpi as refresh

    result = refresh(job_database(context).uow(), job_actor(context))
    return f"rebuilt {result.days} day(s) of KPI figures"
