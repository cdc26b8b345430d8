"""Supplier feed import runs, the protocol written once: read the feed in chunks, stage the rows, apply
them all at once, finish the run.

A run goes ``queued → running → succeeded | failed | cancelled``. Reading (``reading.py``) splits the feed
into chunks and hands each to one of two ways of running chunks:

- **inline** (``InlineChunks``, ``import_now``/``execute_run_now``: ``--now``, the desktop's "import
  now"): each chunk is staged in this process, its values read while a helper thread copies the previous
  chunk into PostgreSQL;
- **queued** (``QueuedChunks``, ``run_queued_import``: the ``imports:execute_integration_import`` job):
  each chunk is stored and its ``imports:process_supplier_availability_chunk`` job deferred at once, so
  another worker (or slot) stages it while the feed is still being read (``stage_queued_chunk``).

Who applies: the chunk whose staging completes the run (``stage_chunk`` says so once the number of
chunks is known), or — when every chunk was staged before the reading ended — the reader. The apply
(``apply.py``) is ONE set-based transaction: matching (normalised SKU, then EAN; several products =
ambiguous, never guessed), links with supplier availability, stock 0 for items that vanished from the
feed. Anything that fails before it commits leaves every product's availability as it was.

A queued run that fails (bad feed, refused apply) raises ``ImportRunFailed``: its job fails with the run's
reason and is not retried by ``--tries`` (the same bad file would be read again); a job put back with
``queue retry`` starts a fresh run of the profile (``_resume``).
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete

from rexbit_desktop.db.models.integrations import ImportRun, ImportRunChunk, ImportStagedRow
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.feed_values import FeedValueReader
from rexbit_desktop.domain.messages import one_line
from rexbit_desktop.domain.progress import CancelCheck, Progress, never_cancelled, no_progress
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.feeds.apply import apply_run
from rexbit_desktop.services.feeds.reading import DEFAULT_CHUNK_ROWS, load_chunk, read_feed, store_chunk
from rexbit_desktop.services.feeds.run_liveness import run_in_this_process
from rexbit_desktop.services.feeds.runs import (
    ImportRunDTO,
    NewUow,
    RawRow,
    create_import_runs,
    fail_run,
    get_run,
    set_run_job,
)
from rexbit_desktop.services.feeds.staging import (
    _value_reader,
    read_chunk_values,
    reading_finished,
    stage_chunk,
)

__all__ = [
    "CHUNK_TASK",
    "DEFAULT_CHUNK_ROWS",
    "ImportRunDTO",
    "ImportRunFailed",
    "InlineChunks",
    "QueuedChunks",
    "apply_run",
    "create_import_runs",
    "execute_queued_import",
    "execute_run_now",
    "get_run",
    "import_now",
    "load_chunk",
    "read_chunk_values",
    "read_feed",
    "reading_finished",
    "run_queued_import",
    "stage_chunk",
    "stage_queued_chunk",
    "store_chunk",
]

log = logging.getLogger(__name__)

CHUNK_TASK = "imports:process_supplier_availability_chunk"


class ImportRunFailed(RexbitError):
    """An import run failed: its job fails too (``queue failed``, ``queue monitor``), with the run's reason.

    Not retried by the worker's ``--tries``: a retry would read the same bad feed again (the next
    scheduled run, or ``queue retry``, starts a fresh run of the profile)."""

    retry = False


def _apply_if_complete(new_uow: NewUow, run_id: int, progress: Progress = no_progress) -> ImportRunDTO | None:
    """The reader's half of "who applies": when every chunk was staged before the reading ended, no chunk
    could tell it was the last one, so the reader applies (should the last chunk also see it, the run's
    lock lets one apply and the other find it applied). None: chunks are still to be staged."""
    if not reading_finished(new_uow, run_id):
        return None
    return apply_run(new_uow, run_id, progress=progress)


# ------------------------------------------------------------------ inline: chunks staged in this process


@dataclass
class InlineChunks:
    """Stages chunks in-process. Values are read here while a helper thread copies the previous chunk
    into PostgreSQL: on two cores, parsing and the server's COPY work overlap."""

    new_uow: NewUow
    run_id: int
    _reader: FeedValueReader | None = field(default=None)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "rexbit-stage"))
    _pending: Future[bool] | None = field(default=None)

    def __call__(self, chunk_no: int, rows: list[RawRow]) -> None:
        if self._reader is None:
            # read_feed stored the resolved profile (detected decimal, value maps) before this call.
            with self.new_uow() as uow:
                run = uow.session.get(ImportRun, self.run_id)
                self._reader = _value_reader(dict(run.profile or {}) if run else {})
        staged = read_chunk_values(self._reader, rows)
        self.flush()
        self._pending = self._pool.submit(stage_chunk, self.new_uow, self.run_id, chunk_no, staged=staged)

    def flush(self) -> None:
        """Waits for the chunk being copied; re-raises what went wrong there."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._pool.shutdown(wait=True)


@run_in_this_process  # a run whose process dies is failed by the workers' sweep (run_liveness)
def execute_run_now(
    new_uow: NewUow,
    run_id: int,
    *,
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> ImportRunDTO:
    """Reads, stages and applies a queued run here (``--now``): the same steps as the queue jobs."""
    sink = InlineChunks(new_uow, run_id)
    try:
        try:
            read_feed(new_uow, run_id, sink, chunk_rows=chunk_rows, progress=progress, cancel=cancel)
        finally:
            sink.close()
    except RexbitError:
        return get_run(new_uow(), run_id)
    except BaseException as exc:
        log.exception("import run %s stopped", run_id)
        with contextlib.suppress(Exception):
            fail_run(new_uow, run_id, f"The import stopped: {one_line(exc)}", code="import_stopped")
        raise
    try:
        applied = _apply_if_complete(new_uow, run_id, progress)
    except RexbitError:
        return get_run(new_uow(), run_id)
    if applied is None:  # every chunk is staged by now in this process: one went missing
        fail_run(new_uow, run_id, "Not every chunk was staged.", code="import_chunk_missing")
        return get_run(new_uow(), run_id)
    return applied


def import_now(
    new_uow: NewUow,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    chunk_rows: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelCheck = never_cancelled,
) -> list[ImportRunDTO]:
    """One run per profile (or the given profile's), each read, staged and applied in this process."""
    runs = create_import_runs(new_uow(), actor, integration_id=integration_id, task_id=task_id, limit=limit)
    return [
        execute_run_now(new_uow, r.id, chunk_rows=chunk_rows, progress=progress, cancel=cancel) for r in runs
    ]


# ------------------------------------------------------------------ queued: a chunk job per stored chunk


def _defer(db: Database, task: str, **kwargs: Any) -> int:
    from rexbit_desktop.queueing import defer_job

    return defer_job(db, task, **kwargs)


@dataclass
class QueuedChunks:
    """Stores each chunk and defers its chunk job at once (the job may run on another host)."""

    db: Database
    run_id: int

    def __call__(self, chunk_no: int, rows: list[Any]) -> None:
        store_chunk(self.db.uow(), self.run_id, chunk_no, rows)
        _defer(self.db, CHUNK_TASK, run_id=self.run_id, chunk_no=chunk_no)


def _resume(db: Database, run_id: int) -> tuple[int, str | None, bool]:
    """Where a (possibly retried) reader job starts: ``(run id, status, reading ended)``.

    A run whose reading was interrupted (its worker was killed) starts the reading over; a run that
    already failed (a job given back with ``queue retry``) is started again as a fresh run of its profile.
    """
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


def _failed(run_id: int, exc: RexbitError) -> ImportRunFailed:
    log.warning("import run %s failed: %s", run_id, exc.message)
    # The job's error says it in English; the GUI phrases the code of the error that failed the run.
    return ImportRunFailed(f"Import run {run_id} failed: {exc.message}", code=exc.code, params=exc.params)


def _applied(run: ImportRunDTO) -> dict[str, Any]:
    return {"applied": True, "status": run.status, "message": run.message}


def _apply_queued(db: Database, run_id: int) -> dict[str, Any] | None:
    """``_apply_if_complete`` for a job: a refused apply fails the run (its row says why) and the job."""
    try:
        run = _apply_if_complete(db.uow, run_id)
    except RexbitError as exc:
        raise _failed(run_id, exc) from exc
    return None if run is None else _applied(run)


def run_queued_import(db: Database, run_id: int) -> dict[str, Any]:
    """Reads one queued run into stored chunks, deferring each chunk's job as soon as it is stored: a
    second worker (or slot) stages chunks while the feed is still being read.

    Raises ``ImportRunFailed`` when the run fails (bad feed, refused apply): the job fails with it."""
    run_id, status, read_before = _resume(db, run_id)
    if status == "running" and read_before:
        # A retried reader whose reading had ended (killed before or while it applied): apply if every
        # chunk is staged; otherwise the chunk jobs still in the queue finish the run.
        applied = _apply_queued(db, run_id)
        return {"run_id": run_id, **applied} if applied else {"run_id": run_id, "status": "running"}
    if status != "queued":
        return {"run_id": run_id, "status": status}
    try:
        chunks = read_feed(db.uow, run_id, QueuedChunks(db, run_id))
    except RexbitError as exc:
        raise _failed(run_id, exc) from exc
    applied = _apply_queued(db, run_id)
    if applied:
        return {"run_id": run_id, "chunks": chunks, **applied}
    return {"run_id": run_id, "status": "running", "chunks": chunks}


def stage_queued_chunk(db: Database, run_id: int, chunk_no: int) -> dict[str, Any]:
    """A chunk job: stage one stored chunk; the one that completes the run applies it."""
    if not stage_chunk(db.uow, run_id, chunk_no):
        return {"run_id": run_id, "chunk_no": chunk_no, "applied": False}
    try:
        run = apply_run(db.uow, run_id)
    except RexbitError as exc:
        raise _failed(run_id, exc) from exc
    return {"run_id": run_id, "chunk_no": chunk_no, **_applied(run)}


def execute_queued_import(
    db: Database,
    actor: Actor,
    *,
    integration_id: int,
    task_id: int | None = None,
    limit: int | None = None,
    run_id: int | None = None,
    started_by: str | None = None,
    job_id: int | None = None,
) -> list[dict[str, Any]]:
    """The reader job: one run per profile (or the given run), each split into chunk jobs. The other
    profiles still run when one fails; then ``ImportRunFailed`` names every failed run."""
    if run_id is not None:
        run_ids = [run_id]
    else:
        runs = create_import_runs(
            db.uow(),
            actor,
            integration_id=integration_id,
            task_id=task_id,
            limit=limit,
            started_by=started_by,
        )
        run_ids = [r.id for r in runs]
    results = []
    failed: list[str] = []
    for rid in run_ids:
        if job_id is not None:
            set_run_job(db.uow(), rid, job_id)
        try:
            results.append(run_queued_import(db, rid))
        except ImportRunFailed as exc:
            failed.append(exc.message)
    if failed:
        raise ImportRunFailed("; ".join(failed), code="import_runs_failed", params={"count": len(failed)})
    return results
