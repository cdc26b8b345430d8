"""Tasks of the imports area: thin wrappers, one service each. Added to the app by jobs/app.py.

The run protocol (the reader job splits a feed into chunk jobs; the chunk that completes the run applies
it; a failed run fails its job and is not retried) is ``services/feeds/imports.py``.
"""

from __future__ import annotations

from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.jobs.context import job_actor, job_database
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as imports_runs

bp = Blueprint()


@bp.task(name="execute_integration_import", queue="import", pass_context=True)
def execute_integration_import(
    context: JobContext,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    run_id: int | None = None,
    started_by: str | None = None,
) -> list[dict[str, Any]]:
    """ExecuteIntegrationImport: one run per profile (or the given run), split into chunk jobs."""
    return imports.execute_queued_import(
        job_database(context),
        job_actor(context),
        integration_id=integration_id,
        task_id=task_id,
        limit=limit,
        run_id=run_id,
        started_by=started_by,
        job_id=context.job.id,
    )


@bp.task(name="process_supplier_availability_chunk", queue="import", pass_context=True)
def process_supplier_availability_chunk(context: JobContext, run_id: int, chunk_no: int) -> dict[str, Any]:
    """ProcessSupplierAvailabilityChunk: stage one chunk; the one that completes the run applies it."""
    return imports.stage_queued_chunk(job_database(context), run_id, chunk_no)


@bp.task(name="import_all_supplier_feeds", queue="import", pass_context=True)
def import_all_supplier_feeds(context: JobContext, started_by: str | None = None) -> list[int]:
    """Every enabled profile of every enabled supplier feed (the hourly schedule calls this)."""
    return imports_runs.queue_all_supplier_feeds(
        job_database(context).uow, job_actor(context), started_by=started_by
    )


@bp.task(name="link_integration_products", queue="integrations", pass_context=True)
def link_integration_products(context: JobContext, integration_id: int) -> dict[str, int]:
    """LinkIntegrationProducts: auto-link a supplier's items to products by SKU, then EAN."""
    db = job_database(context)
    result = catalog.link_integration_products(db.uow(), job_actor(context), integration_id=integration_id)
    return {"linked": result.linked, "ambiguous": result.ambiguous, "unmatched": result.unmatched}
