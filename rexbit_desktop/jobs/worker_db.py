"""The workers' database side (plain SQL, run in threads): failure records, the restart signal, the
rescue of jobs whose worker died, and fresh statistics for the job table."""

from __future__ import annotations

import json
import traceback
from datetime import datetime
from typing import Any

import procrastinate
from sqlalchemy import text

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.secrets import mask_secrets

STALLED_ERROR = "WorkerLost: the worker running this job stopped sending heartbeats (killed or powered off)"


def failure_line(exc: BaseException) -> str:
    """The line that says what failed: the exception's first line (a hint on later lines, such as
    "Check 'host' and 'port'", does not say what failed); secrets in URLs masked."""
    text_ = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return mask_secrets(text_[0] if text_ else type(exc).__name__)


def _record_failure(db: Database, job: procrastinate.jobs.Job, exc: BaseException, worker: str) -> None:
    lines = traceback.format_exception(exc)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO job_failures (job_id, attempt, task_name, queue, error, traceback, worker)"
                " VALUES (:job_id, :attempt, :task, :queue, :error, :tb, :worker)"
            ),
            {
                "job_id": job.id,
                "attempt": job.attempts + 1,
                "task": job.task_name,
                "queue": job.queue,
                "error": failure_line(exc)[:2000],
                "tb": mask_secrets("".join(lines)),
                "worker": worker[:200],
            },
        )


def restart_signal_time(db: Database) -> datetime | None:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT signalled_at FROM worker_signals WHERE name = 'restart'")).scalar()


def notify_job_available(conn: Any, job_id: int, queue: str) -> None:
    """Wake idle workers now: procrastinate only notifies on INSERT, not when a job goes back to 'todo'."""
    payload = json.dumps({"type": "job_inserted", "job_id": job_id})
    conn.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": f"procrastinate_queue_v1#{queue}", "payload": payload},
    )
    conn.execute(text("SELECT pg_notify('procrastinate_any_queue_v1', :payload)"), {"payload": payload})


_STALLED_SQL = text(
    """
    SELECT job.id, job.task_name, job.queue_name, job.attempts, job.queueing_lock, job.worker_id
      FROM procrastinate_jobs job
      LEFT JOIN procrastinate_workers w ON w.id = job.worker_id
     WHERE job.status = 'doing'
       AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :stalled_after))
     ORDER BY job.id
       FOR UPDATE OF job SKIP LOCKED
    """
)


def rescue_stalled_jobs(db: Database, *, stalled_after: float, rescuer: str) -> list[tuple[int, str]]:
    """Put running jobs of dead workers back in their queue (once per job); returns (job id, outcome).

    Row locks (SKIP LOCKED) make two rescuers on two hosts handle each job once.
    """
    outcomes: list[tuple[int, str]] = []
    with db.engine.begin() as conn:
        rows = conn.execute(_STALLED_SQL, {"stalled_after": stalled_after}).mappings().all()
        for row in rows:
            earlier = conn.execute(
                text("SELECT count(*) FROM job_failures WHERE job_id = :id AND error = :error"),
                {"id": row["id"], "error": STALLED_ERROR},
            ).scalar_one()
            waiting_twin = (
                row["queueing_lock"] is not None
                and conn.execute(
                    text("SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = :q AND status = 'todo'"),
                    {"q": row["queueing_lock"]},
                ).first()
            )
            outcome = "failed" if earlier or waiting_twin else "requeued"
            conn.execute(
                text(
                    "INSERT INTO job_failures (job_id, attempt, task_name, queue, error, traceback, worker)"
                    " VALUES (:id, :attempt, :task, :queue, :error, :tb, :worker)"
                ),
                {
                    "id": row["id"],
                    "attempt": row["attempts"] + 1,
                    "task": row["task_name"],
                    "queue": row["queue_name"],
                    "error": STALLED_ERROR,
                    "tb": (
                        f"{STALLED_ERROR}\nworker id {row['worker_id']}; detected by {rescuer}; "
                        + (
                            "put back in the queue."
                            if outcome == "requeued"
                            else "not run again: "
                            + (
                                "it had stalled before."
                                if earlier
                                else "a newer job with its queueing lock waits."
                            )
                        )
                    ),
                    "worker": rescuer[:200],
                },
            )
            conn.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = CAST(:status AS procrastinate_job_status),"
                    " attempts = attempts + 1, worker_id = NULL,"
                    " scheduled_at = CASE WHEN :status = 'todo' THEN now() ELSE scheduled_at END"
                    " WHERE id = :id"
                ),
                {"id": row["id"], "status": "todo" if outcome == "requeued" else "failed"},
            )
            if outcome == "requeued":
                notify_job_available(conn, row["id"], row["queue_name"])
            outcomes.append((row["id"], outcome))
    return outcomes


# procrastinate takes the next job with ``ORDER BY priority DESC, id LIMIT 1 … FOR UPDATE SKIP LOCKED``, and
# the plan of that query follows the job table's statistics. When a burst of jobs arrives (an import's
# chunks, a batch of status updates) while the statistics still say the queue is nearly empty, PostgreSQL
# reads and sorts every waiting job on every fetch: 2.7 ms per fetch with 3,000 jobs waiting, 0.6 ms after
# an ANALYZE (bench/jobs_throughput.py, 2-core VM). Autovacuum analyzes only after its one-minute nap and
# 10 % of the table changed, so the workers do it as soon as enough jobs came or went.
QUEUE_STATS_MIN_CHANGES = 500
QUEUE_STATS_MIN_INTERVAL = 10.0


def refresh_queue_statistics(db: Database, *, min_changes: int = QUEUE_STATS_MIN_CHANGES) -> bool:
    """ANALYZE the job table when ``min_changes`` rows changed since its last analyze; True if it did.

    Cheap when nothing changed (one catalog read). A worker whose database user does not own the table
    gets a warning from PostgreSQL and nothing else; one that waits for a lock (autovacuum is on it) gives up.
    """
    with db.engine.begin() as conn:
        changed = conn.execute(
            text(
                "SELECT n_mod_since_analyze FROM pg_stat_user_tables"
                " WHERE relid = to_regclass('procrastinate_jobs')"
            )
        ).scalar()
        if changed is None or changed < min_changes:
            return False
        conn.execute(text("SET LOCAL lock_timeout = '1s'"))
        conn.execute(text("ANALYZE procrastinate_jobs"))
    return True
