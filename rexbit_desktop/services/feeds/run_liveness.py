"""Queued import runs whose jobs are all gone are closed as failed, within a minute or two of the worker's
death, not after the 30-minute sweep (``runs.fail_stale_runs``).

A queued run lives in its jobs: the reader job (``import_runs.job_id``) and the chunk jobs it defers
(``run_id`` in their arguments). While one of them waits or runs, someone will finish the run. When none
does — the reader stalled twice (two workers killed on it) and the stalled-job rescue failed it, a newer
job of the profile waited so the rescued one was not run again, a chunk job failed for good, a job was
flushed or pruned — nobody ever will. A job of a dead worker stays ``doing`` until the workers' rescue
(heartbeats, ``jobs/worker_db.py``) puts it back or fails it, so this sweep follows the heartbeats.

Runs without a job (``--now``, the desktop's "import now", ``rexbit demo``) run in their own process,
which holds the run's ``INLINE_IMPORT_RUN`` advisory lock while it runs (``run_in_this_process``). A
'running' run without a job whose lock nobody holds lost its process (``kill -9``, a crash, a cut
connection): PostgreSQL released the lock with the process's connection, and the sweep fails the run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine

from rexbit_desktop.db.locks import INLINE_IMPORT_RUN, held_while
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.secrets import mask_secrets

log = logging.getLogger(__name__)

RUN_TASKS = ("imports:execute_integration_import", "imports:process_supplier_availability_chunk")
ORPHANED_MESSAGE = "The run stopped before it finished: none of its jobs waits or runs any more"
ABANDONED_MESSAGE = (
    "The run stopped before it finished: the process running it was killed or lost its database connection"
)

F = TypeVar("F", bound=Callable[..., Any])


def _engine(uow: UnitOfWork) -> Engine:
    with uow:
        bind = uow.session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def run_in_this_process(func: F) -> F:
    """For ``execute_run_now(new_uow, run_id, …)``: hold the run's lock while it runs here."""

    @functools.wraps(func)
    def wrapper(new_uow: Callable[[], UnitOfWork], run_id: int, *args: Any, **kwargs: Any) -> Any:
        from rexbit_desktop.domain.errors import Conflict

        busy = lambda: Conflict(f"Import run {run_id} is already running in another process.")  # noqa: E731
        with held_while(_engine(new_uow()), INLINE_IMPORT_RUN, run_id, busy=busy):
            return func(new_uow, run_id, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


# One statement, one snapshot: a job that commits the run's end commits it before the job itself ends,
# so a run is never seen 'running' with its last job already ended. Rows locked by an apply (which
# holds the run row) are waited for, then re-checked: an applied run is no longer 'running'.
_ORPHANED_RUNS = text(
    """
    SELECT r.id,
           (SELECT f.error FROM job_failures f
             WHERE f.job_id = r.job_id
                OR f.job_id IN (SELECT j.id FROM procrastinate_jobs j
                                 WHERE j.task_name = ANY(:tasks) AND j.args->>'run_id' = r.id::text)
             ORDER BY f.id DESC LIMIT 1) AS last_error
      FROM import_runs r
     WHERE r.status IN ('queued', 'running')
       AND r.job_id IS NOT NULL
       AND NOT EXISTS (
             SELECT 1 FROM procrastinate_jobs j
              WHERE j.status IN ('todo', 'doing')
                AND (j.id = r.job_id OR (j.task_name = ANY(:tasks) AND j.args->>'run_id' = r.id::text)))
     ORDER BY r.id
       FOR UPDATE OF r SKIP LOCKED
    """
)


def fail_orphaned_runs(uow: UnitOfWork) -> list[int]:
    """Fails the queued runs none of whose jobs waits or runs; returns their ids.

    Their staged rows and stored chunks go; nothing was applied (an apply ends the run in its own
    transaction). The message says which job error came last, when one did.
    """
    failed: list[int] = []
    with uow:
        s = uow.session
        rows = s.execute(_ORPHANED_RUNS, {"tasks": list(RUN_TASKS)}).all()
        for run_id, last_error in rows:
            reason = ORPHANED_MESSAGE + (f" (last job error: {last_error})" if last_error else "")
            s.execute(text("DELETE FROM import_staged_rows WHERE run_id = :id"), {"id": run_id})
            s.execute(text("DELETE FROM import_run_chunks WHERE run_id = :id"), {"id": run_id})
            s.execute(
                text(
                    "UPDATE import_runs SET status = 'failed', message = :message,"
                    " message_code = 'import_run_orphaned', finished_at = clock_timestamp(),"
                    " duration_s = extract(epoch FROM clock_timestamp() - started_at)"
                    " WHERE id = :id"
                ),
                {"id": run_id, "message": mask_secrets(reason + "; nothing was applied.")[:2000]},
            )
            failed.append(int(run_id))
        uow.commit()
    for run_id in failed:
        log.warning("import run %s failed: none of its jobs waits or runs any more", run_id)
    return failed + _fail_abandoned_inline_runs(uow)


def _fail_abandoned_inline_runs(uow: UnitOfWork) -> list[int]:
    """'running' runs without a job whose process is gone (nobody holds their ``INLINE_IMPORT_RUN`` lock)."""
    failed: list[int] = []
    with _engine(uow).connect() as conn:
        candidates = conn.execute(
            text("SELECT id FROM import_runs WHERE status = 'running' AND job_id IS NULL ORDER BY id")
        ).scalars()
        for run_id in list(candidates):
            key = {"ns": INLINE_IMPORT_RUN.key, "id": int(run_id)}
            free = conn.execute(
                text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:id AS integer))"), key
            ).scalar()
            if not free:
                continue
            try:
                conn.execute(text("DELETE FROM import_staged_rows WHERE run_id = :id"), {"id": run_id})
                conn.execute(text("DELETE FROM import_run_chunks WHERE run_id = :id"), {"id": run_id})
                done = conn.execute(
                    text(
                        "UPDATE import_runs SET status = 'failed', message = :message,"
                        " message_code = 'import_run_abandoned', finished_at = clock_timestamp(),"
                        " duration_s = extract(epoch FROM clock_timestamp() - started_at)"
                        " WHERE id = :id AND status = 'running' AND job_id IS NULL"
                    ),
                    {"id": run_id, "message": ABANDONED_MESSAGE + "; nothing was applied."},
                ).rowcount
                conn.commit()
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:id AS integer))"), key
                )
                conn.commit()
            if done:
                failed.append(int(run_id))
                log.warning("import run %s failed: the process running it is gone", run_id)
    return failed
