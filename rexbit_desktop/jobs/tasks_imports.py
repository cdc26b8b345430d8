"""Tasks of the imports area (thin wrappers over services). Added to the app by jobs/app.py.

``execute_integration_import`` reads a feed and splits it into ``process_supplier_availability_chunk``
jobs, each deferred as soon as its chunk is stored; the chunk job that completes the run applies it (or
the reader, when every chunk was staged before the reading ended). A feed problem fails the run (the run
row says why) but not the job: retrying would read the same bad file again.
"""

from __future__ import annotations

import logging
from typing import Any

from procrastinate import Blueprint, JobContext

from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.jobs.context import job_actor, job_database
from rexbit_desktop.services.catalog import products as catalog
from rexbit_desktop.services.feeds import imports
from rexbit_desktop.services.feeds import runs as imports_runs

bp = Blueprint()
log = logging.getLogger(__name__)

CHUNK_TASK = "imports:process_supplier_availability_chunk"
EXECUTE_TASK = "imports:execute_integration_import"


def _defer(db: Any, task: str, **kwargs: Any) -> int:
    from rexbit_desktop.queueing import defer_job

    return defer_job(db, task, **kwargs)


def _restart_if_interrupted(db: Any, run_id: int) -> None:
    """A retried job (its worker was killed while reading) starts the reading over."""
    from sqlalchemy import delete

    from rexbit_desktop.db.models.integrations import ImportRun, ImportRunChunk, ImportStagedRow

    with db.uow() as uow:
        run = uow.session.get(ImportRun, run_id, with_for_update=True)
        if run is not None and run.status == "running" and run.chunks_total is None:
            uow.session.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
            uow.session.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
            run.status = "queued"
            run.chunks_done = 0
            uow.commit()


def run_queued_import(db: Any, run_id: int) -> dict[str, Any]:
    """Reads one queued run into stored chunks, deferring each chunk's job as soon as it is stored: a
    second worker (or slot) stages chunks while the feed is still being read."""
    _restart_if_interrupted(db, run_id)

    def store(chunk_no: int, rows: list[Any]) -> None:
        imports.store_chunk(db.uow(), run_id, chunk_no, rows)
        _defer(db, CHUNK_TASK, run_id=run_id, chunk_no=chunk_no)

    try:
        chunks = imports.read_feed(db.uow, run_id, store)
    except RexbitError as exc:
        log.warning("import run %s failed: %s", run_id, exc.message)
        return {"run_id": run_id, "status": "failed", "message": exc.message}
    if imports.reading_finished(db.uow, run_id):
        # Every chunk was staged before the number of chunks was known, so no chunk job could tell it
        # was the last one: the reader applies. (Should the last chunk job also see it, the run's lock
        # lets one apply and the other find it applied.)
        return {"run_id": run_id, "chunks": chunks, **_apply(db, run_id)}
    return {"run_id": run_id, "status": "running", "chunks": chunks}


def _apply(db: Any, run_id: int) -> dict[str, Any]:
    """Applies a fully staged run. A refused apply fails the run (its row says why), not the job."""
    try:
        run = imports.apply_run(db.uow, run_id)
    except RexbitError as exc:
        log.warning("import run %s failed: %s", run_id, exc.message)
        return {"applied": False, "status": "failed", "message": exc.message}
    return {"applied": True, "status": run.status, "message": run.message}


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
    db = job_database(context)
    if run_id is not None:
        run_ids = [run_id]
    else:
        runs = imports.create_import_runs(
            db.uow(),
            job_actor(context),
            integration_id=integration_id,
            task_id=task_id,
            limit=limit,
            started_by=started_by,
        )
        run_ids = [r.id for r in runs]
    results = []
    for rid in run_ids:
        if context.job.id is not None:
            imports_runs.set_run_job(db.uow(), rid, context.job.id)
        results.append(run_queued_import(db, rid))
    return results


@bp.task(name="process_supplier_availability_chunk", queue="import", pass_context=True)
def process_supplier_availability_chunk(context: JobContext, run_id: int, chunk_no: int) -> dict[str, Any]:
    """ProcessSupplierAvailabilityChunk: stage one chunk; the one that completes the run applies it."""
    db = job_database(context)
    ready = imports.stage_chunk(db.uow, run_id, chunk_no)
    if not ready:
        return {"run_id": run_id, "chunk_no": chunk_no, "applied": False}
    return {"run_id": run_id, "chunk_no": chunk_no, **_apply(db, run_id)}


@bp.task(name="import_all_supplier_feeds", queue="import", pass_context=True)
def import_all_supplier_feeds(context: JobContext, started_by: str | None = None) -> list[int]:
    """Every enabled profile of every enabled supplier feed (the hourly schedule calls this)."""
    db = job_database(context)
    actor = job_actor(context)
    imports_runs.fail_stale_runs(db.uow())
    run_ids = []
    for integration_id, task_id in imports_runs.enabled_supplier_profiles(db.uow()):
        (queued,) = imports_runs.queue_import(
            db.uow(),
            actor,
            integration_id=integration_id,
            task_id=task_id,
            started_by=started_by or actor.login,
            one_waiting_per_profile=True,
        )
        if queued.job_id is not None:
            run_ids.append(queued.run_id)
    return run_ids


@bp.task(name="link_integration_products", queue="integrations", pass_context=True)
def link_integration_products(context: JobContext, integration_id: int) -> dict[str, int]:
    """LinkIntegrationProducts: auto-link a supplier's items to products by SKU, then EAN."""
    db = job_database(context)
    result = catalog.link_integration_products(db.uow(), job_actor(context), integration_id=integration_id)
    return {"linked": result.linked, "ambiguous": result.ambiguous, "unmatched": result.unmatched}
