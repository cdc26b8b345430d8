"""Import runs: the run row (queued → running → succeeded | failed | cancelled), starting runs for a
supplier's profiles, failing them (also the stale ones whose worker died), and their history."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.integrations import (
    ImportRun,
    ImportRunChunk,
    ImportStagedRow,
    Integration,
    IntegrationTask,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.secrets import mask_secrets
from rexbit_desktop.queueing import JobAlreadyQueued, defer_job
from rexbit_desktop.queueing.workers import worker_serves

NewUow = Callable[[], UnitOfWork]

RawRow = Sequence[Any]  # (line, external_id, sku, ean, stock, delivery_days, price) as feed text

ChunkSink = Callable[[int, list[Any]], None]

EXECUTE_TASK = "imports:execute_integration_import"
SKIPPED_STILL_QUEUED = "Skipped: the previous import of this profile is still queued."
MAX_REPORTED_ERRORS = 50

# A running run that has not moved for this long lost its worker (killed, crashed host).
STALE_AFTER_S = 30 * 60


@dataclass(frozen=True)
class ImportRunDTO:
    id: int
    integration_id: int
    task_id: int | None
    status: str
    started_by: str
    job_id: int | None
    rows_read: int
    rows_valid: int
    rows_invalid: int
    matched: int
    unmatched: int
    ambiguous: int
    zeroed: int
    errors: list[dict[str, Any]]
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    row_limit: int | None = None
    task_name: str | None = None
    integration_name: str | None = None
    message_code: str | None = None
    message_params: dict[str, Any] = field(default_factory=dict)


def _run_dto(
    run: ImportRun, task_name: str | None = None, integration_name: str | None = None
) -> ImportRunDTO:
    return ImportRunDTO(
        id=run.id,
        integration_id=run.integration_id,
        task_id=run.task_id,
        status=run.status,
        started_by=run.started_by,
        job_id=run.job_id,
        rows_read=run.rows_read,
        rows_valid=run.rows_valid,
        rows_invalid=run.rows_invalid,
        matched=run.matched,
        unmatched=run.unmatched,
        ambiguous=run.ambiguous,
        zeroed=run.zeroed,
        errors=list(run.errors or []),
        message=run.message,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        row_limit=run.row_limit,
        task_name=task_name,
        integration_name=integration_name,
        message_code=run.message_code,
        message_params=dict(run.message_params or {}),
    )


def create_import_runs(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    started_by: str | None = None,
) -> list[ImportRunDTO]:
    """Queued runs for one profile (``task_id``) or every enabled profile of a supplier feed."""
    with uow:
        _runs, dtos = _add_runs(uow, actor, integration_id, task_id, limit, started_by)
        uow.commit()
    return dtos


@dataclass(frozen=True)
class QueuedImport:
    run_id: int
    task_id: int | None
    job_id: int | None
    """None: the profile's previous import still waits in the queue; the run is failed as skipped."""
    worker_alive: bool = True
    """False: no live worker takes jobs from the ``import`` queue now; the job waits until one starts."""


def queue_import(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    started_by: str | None = None,
    one_waiting_per_profile: bool = False,
) -> list[QueuedImport]:
    """Queue an import: the runs for one profile (``task_id``) or every enabled profile, and a job for
    each on the ``import`` queue, in ONE transaction (a run never exists without its job, nor a job
    without its run). The desktop, ``rexbit integration import`` and the hourly schedule call this.

    ``one_waiting_per_profile`` (the schedule): a profile whose previous import still waits gets no
    second job; its run is failed as skipped."""
    with uow:
        runs, _dtos = _add_runs(uow, actor, integration_id, task_id, limit, started_by)
        queued = []
        for run in runs:
            try:
                job_id: int | None = defer_job(
                    uow,
                    EXECUTE_TASK,
                    integration_id=integration_id,
                    task_id=run.task_id,
                    run_id=run.id,
                    queueing_lock=f"import-profile-{run.task_id}" if one_waiting_per_profile else None,
                )
            except JobAlreadyQueued:
                job_id = None
                _end(uow.session, run, SKIPPED_STILL_QUEUED, "failed", code="import_skipped_still_queued")
            else:
                run.job_id = job_id
            queued.append(QueuedImport(run.id, run.task_id, job_id))
        alive = worker_serves(uow.session, "import")
        uow.commit()
    return [replace(q, worker_alive=alive) for q in queued]


def _add_runs(
    uow: UnitOfWork,
    actor: Actor,
    integration_id: int,
    task_id: int | None,
    limit: int | None,
    started_by: str | None,
) -> tuple[list[ImportRun], list[ImportRunDTO]]:
    actor.require(Permission.INTEGRATIONS_RUN)
    if limit is not None and limit < 1:
        raise ValidationError(
            "The limit must be at least 1.", code="limit_too_small", params={"option": "limit", "min": 1}
        )
    integration = uow.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(
            f"There is no integration {integration_id}.",
            code="integration_not_found",
            params={"integration": integration_id},
        )
    if integration.type != "supplier_feed":
        raise ValidationError(
            f"Integration {integration_id} ({integration.name}) is a {integration.type}, not a supplier feed.",
            hint="Feeds are imported from supplier_feed integrations.",
            code="not_a_supplier_feed",
            params={"integration": integration_id, "name": integration.name},
        )
    query = select(IntegrationTask).where(IntegrationTask.integration_id == integration_id)
    if task_id is not None:
        query = query.where(IntegrationTask.id == task_id)
    else:
        query = query.where(IntegrationTask.enabled.is_(True))
    tasks = list(uow.session.scalars(query.order_by(IntegrationTask.id)))
    if not tasks:
        if task_id is not None:
            raise NotFound(
                f"Integration {integration_id} has no import profile {task_id}.",
                code="import_profile_not_found",
                params={"integration": integration_id, "profile": task_id},
            )
        raise ValidationError(
            f"Integration {integration_id} ({integration.name}) has no enabled import profile.",
            code="no_import_profile",
            params={"integration": integration_id, "name": integration.name},
        )
    runs = [
        ImportRun(
            integration_id=integration_id,
            task_id=t.id,
            status="queued",
            started_by=started_by or actor.login,
            row_limit=limit,
        )
        for t in tasks
    ]
    uow.session.add_all(runs)
    uow.session.flush()
    dtos = [_run_dto(r, t.name, integration.name) for r, t in zip(runs, tasks, strict=True)]
    return runs, dtos


def set_run_job(uow: UnitOfWork, run_id: int, job_id: int) -> None:
    with uow:
        uow.session.execute(update(ImportRun).where(ImportRun.id == run_id).values(job_id=job_id))
        uow.commit()


def fail_run(
    new_uow: NewUow,
    run_id: int,
    reason: str,
    *,
    status: str = "failed",
    code: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Ends a run without applying it: its staged rows go, availability stays as it was. ``code`` +
    ``params`` (a service error's) let the GUI say why in the user's language."""
    with new_uow() as uow:
        s = uow.session
        run = s.get(ImportRun, run_id, with_for_update=True)
        if run is None or run.status in ("succeeded", "failed", "cancelled"):
            return
        s.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
        s.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
        _end(s, run, reason, status, code=code, params=params)
        uow.commit()


def _end(
    s: Session,
    run: ImportRun,
    reason: str,
    status: str,
    *,
    code: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    run.status = status
    run.message = mask_secrets(reason)
    run.message_code = code
    run.message_params = _json_params(params)
    # clock_timestamp(), not now(): now() is when this transaction began, before the work it did.
    run.finished_at = func.clock_timestamp()  # type: ignore[assignment]
    s.flush()
    s.refresh(run)
    if run.finished_at is not None:
        run.duration_s = (run.finished_at - run.started_at).total_seconds()


# Feed errors raised without a code (the adapters' download and parsing): their class says why.
_FEED_ERROR_CODES = {
    "FeedUnreachable": "feed_unreachable",
    "FeedTooLarge": "feed_too_large",
    "FeedUnreadable": "feed_unreadable",
    "FeedUnsafe": "feed_unsafe",
    "FeedMappingError": "feed_mapping_error",
    "FeedEmpty": "feed_empty",
}


def failure_code(exc: BaseException) -> dict[str, Any]:
    """``code``/``params`` for ``fail_run`` from what stopped the run."""
    if isinstance(exc, RexbitError) and exc.code:
        return {"code": exc.code, "params": exc.params}
    if isinstance(exc, RexbitError):
        return {"code": _FEED_ERROR_CODES.get(type(exc).__name__, "import_failed")}
    return {"code": "feed_cannot_read" if isinstance(exc, OSError) else "import_failed"}


def _json_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Params as JSON keeps them (anything else, e.g. a Decimal, as text)."""
    result: dict[str, Any] = json.loads(json.dumps(params or {}, default=str))
    return result


def fail_stale_runs(uow: UnitOfWork, *, older_than_s: float = STALE_AFTER_S) -> list[int]:
    """Runs whose worker stopped (killed, host down) stay 'running'; mark them failed and say why."""
    with uow:
        s = uow.session
        stale = list(
            s.scalars(
                select(ImportRun.id).where(
                    ImportRun.status.in_(("running", "queued")),
                    ImportRun.updated_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s),
                )
            )
        )
        for run_id in stale:
            s.execute(delete(ImportStagedRow).where(ImportStagedRow.run_id == run_id))
            s.execute(delete(ImportRunChunk).where(ImportRunChunk.run_id == run_id))
        if stale:
            s.execute(
                update(ImportRun)
                .where(ImportRun.id.in_(stale))
                .values(
                    status="failed",
                    message="The run stopped before it finished (worker killed or job lost); "
                    "nothing was applied.",
                    message_code="import_run_stalled",
                    finished_at=func.now(),
                )
            )
        uow.commit()
    return stale


def get_run(uow: UnitOfWork, run_id: int) -> ImportRunDTO:
    with uow:
        row = uow.session.execute(
            select(ImportRun, IntegrationTask.name, Integration.name)
            .join(Integration, Integration.id == ImportRun.integration_id)
            .outerjoin(IntegrationTask, IntegrationTask.id == ImportRun.task_id)
            .where(ImportRun.id == run_id)
        ).one_or_none()
        if row is None:
            raise NotFound(
                f"There is no import run {run_id}.", code="import_run_not_found", params={"run": run_id}
            )
        return _run_dto(row[0], row[1], row[2])


def list_runs(
    uow: UnitOfWork,
    actor: Actor,
    *,
    integration_id: int | None = None,
    task_id: int | None = None,
    limit: int = 50,
) -> list[ImportRunDTO]:
    """Run history, newest first, with the first errors of each run (for the UI and the CLI)."""
    actor.require(Permission.VIEW)
    if limit < 1:
        raise ValidationError(
            f"The limit must be at least 1 (got {limit}).",
            code="limit_too_small",
            params={"option": "limit", "min": 1, "value": limit},
        )
    with uow:
        query = (
            select(ImportRun, IntegrationTask.name, Integration.name)
            .join(Integration, Integration.id == ImportRun.integration_id)
            .outerjoin(IntegrationTask, IntegrationTask.id == ImportRun.task_id)
            .order_by(ImportRun.id.desc())
            .limit(limit)
        )
        if integration_id is not None:
            query = query.where(ImportRun.integration_id == integration_id)
        if task_id is not None:
            query = query.where(ImportRun.task_id == task_id)
        return [_run_dto(r, tn, inn) for r, tn, inn in uow.session.execute(query)]


def enabled_supplier_profiles(uow: UnitOfWork) -> list[tuple[int, int]]:
    """(integration id, profile id) of every enabled profile of every enabled supplier feed."""
    with uow:
        return [
            (int(i), int(t))
            for i, t in uow.session.execute(
                select(Integration.id, IntegrationTask.id)
                .join(IntegrationTask, IntegrationTask.integration_id == Integration.id)
                .where(
                    Integration.type == "supplier_feed",
                    Integration.enabled.is_(True),
                    IntegrationTask.enabled.is_(True),
                )
                .order_by(Integration.id, IntegrationTask.id)
            )
        ]


def queue_all_supplier_feeds(new_uow: NewUow, actor: Actor, *, started_by: str | None = None) -> list[int]:
    """The hourly schedule: first closes the runs whose worker or jobs are gone, then queues one run of
    every enabled profile (none where the profile's previous run still waits). The queued runs' ids."""
    from rexbit_desktop.services.feeds.run_liveness import fail_orphaned_runs

    fail_stale_runs(new_uow())
    fail_orphaned_runs(new_uow())
    run_ids = []
    for integration_id, task_id in enabled_supplier_profiles(new_uow()):
        (queued,) = queue_import(
            new_uow(),
            actor,
            integration_id=integration_id,
            task_id=task_id,
            started_by=started_by or actor.login,
            one_waiting_per_profile=True,
        )
        if queued.job_id is not None:
            run_ids.append(queued.run_id)
    return run_ids
