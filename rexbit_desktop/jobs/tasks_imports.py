"""Tasks of the imports area (thin wrappers over services). Added to the app by jobs/app.py.

``execute_integration_import`` reads a feed and splits it into ``process_supplier_availability_chunk``
jobs, each deferred as soon as its chunk is stored; the chunk job that completes the run applies it (or
the reader, when every chunk was staged before the reading ended). A failed run (bad feed, refused apply)
fails its job too, with the run's reason, and is not retried by ``--tries`` (the same bad file would be
read again); a job put back with ``queue retry`` starts a fresh run of the profile.
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
from rexbit_desktop.services.feeds.run_liveness import fail_orphaned_runs

bp = Blueprint()
log = logging.getLogger(__name__)

CHUNK_TASK = "imports:process_supplier_availability_chunk"
EXECUTE_TASK = "imports:execute_integration_import"


def _defer(db: Any, task: str, **kwargs: Any) -> int:
    from rexbit_desktop.queueing import defer_job

    return defer_job(db, task, **kwargs)


class ImportRunFailed(RexbitError):
    """An import run failed: its job fails too (``queue failed``, ``queue monitor``), with the run's reason.

    Not retried by the worker's ``--tries``: a retry would read the same bad feed again (the next
    scheduled run, or ``queue retry``, starts a fresh run of the profile)."""

    retry = False


def _resume(db: Any, run_id: int) -> tuple[int, str | None, bool]:
    """Where a (possibly retried) reader job starts: ``(run id, status, reading ended)``.

    A run whose reading was interrupted (its worker was killed) starts the reading over; a run that
    already failed (a job given back with ``queue retry``) is started again as a fresh run of its profile.
    """
    from sqlalchemy import delete

    from rexbit_desktop.db.models.integrations import ImportRun, ImportRunChunk, ImportStagedRow

    with db.uow() as uow:
        run = uow.session.get(ImportRun, run_id, with_for_update=True)
        if run is None:
            return run_id, None, False
        if run.status == "running" and run.chunks_total is None:
            uow.session.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
            uow.session.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
            run.status = "queued"
            run.chunks_done = 0
            uow.commit()
            return run_id, "queued", False
        if run.status in ("failed", "cancelled") and run.task_id is not None:
            fresh = ImportRun(
                integration_id=run.integration_id,
                task_id=run.task_id,
                status="queued",
                started_by=run.started_by,
                row_limit=run.row_limit,
                job_id=run.job_id,
            )
            uow.session.add(fresh)
            uow.session.flush()
            fresh_id = int(fresh.id)
            uow.commit()
            return fresh_id, "queued", False
        return run_id, run.status, run.chunks_total is not None


def run_queued_import(db: Any, run_id: int) -> dict[str, Any]:
    """Reads one queued run into stored chunks, deferring each chunk's job as soon as it is stored: a
    second worker (or slot) stages chunks while the feed is still being read.

    Raises ``ImportRunFailed`` when the run fails (bad feed, refused apply): the job fails with it."""
    run_id, status, read_before = _resume(db, run_id)
    if status == "running" and read_before:
        # A retried reader whose reading had ended (killed before or while it applied): apply if every
        # chunk is staged; otherwise the chunk jobs still in the queue finish the run.
        if imports.reading_finished(db.uow, run_id):
            return {"run_id": run_id, **_apply(db, run_id)}
        return {"run_id": run_id, "status": "running"}
    if status != "queued":
        return {"run_id": run_id, "status": status}

    def store(chunk_no: int, rows: list[Any]) -> None:
        imports.store_chunk(db.uow(), run_id, chunk_no, rows)
        _defer(db, CHUNK_TASK, run_id=run_id, chunk_no=chunk_no)

    try:
        chunks = imports.read_feed(db.uow, run_id, store)
    except RexbitError as exc:
        log.warning("import run %s failed: %s", run_id, exc.message)
        raise ImportRunFailed(f"Import run {run_id} failed: {exc.message}") from exc
    if imports.reading_finished(db.uow, run_id):
        # Every chunk was staged before the number of chunks was known, so no chunk job could tell it
        # was the last one: the reader applies. (Should the last chunk job also see it, the run's lock
        # lets one apply and the other find it applied.)
        return {"run_id": run_id, "chunks": chunks, **_apply(db, run_id)}
    return {"run_id": run_id, "status": "running", "chunks": chunks}


def _apply(db: Any, run_id: int) -> dict[str, Any]:
    """Applies a fully staged run. A refused apply fails the run (its row says why) and the job."""
    try:
        run = imports.apply_run(db.uow, run_id)
    except RexbitError as exc:
        log.warning("import run %s failed: %s", run_id, exc.message)
        raise ImportRunFailed(f"Import run {run_id} failed: {exc.message}") from exc
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
    failed: list[str] = []
    for rid in run_ids:
        if context.job.id is not None:
            imports_runs.set_run_job(db.uow(), rid, context.job.id)
        try:
            results.append(run_queued_import(db, rid))
        except ImportRunFailed as exc:  # the other profiles still run; the job fails at the end
            failed.append(exc.message)
    if failed:
        raise ImportRunFailed("; ".join(failed))
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
    fail_orphaned_runs(db.uow())
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
