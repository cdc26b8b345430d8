"""The unattended server (``rexbit serve``): the scheduler plus workers for all queues in one process.

Logs go to stdout and to a rotating file ``logs/rexbit-serve.log`` in the data dir. SIGTERM/SIGINT stop
the scheduler at once and the workers after their current job; the process then exits 0.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from dataclasses import replace
from pathlib import Path

from rexbit_desktop import config
from rexbit_desktop.db.session import Database
from rexbit_desktop.jobs.loop import run_loop
from rexbit_desktop.jobs.worker_settings import WorkerSettings
from rexbit_desktop.queueing import QUEUES, queue_concurrency

log = logging.getLogger("rexbit.serve")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# procrastinate logs every job's end (with the traceback) itself; ours say the same in one line and the
# traceback is kept in job_failures, so its job lines show only with --verbose.
_PROCRASTINATE_JOB_ACTIONS = {"start_job", "job_success", "job_error", "job_error_retry", "job_aborted"}


def _without_procrastinate_job_lines(record: logging.LogRecord) -> bool:
    return getattr(record, "action", None) not in _PROCRASTINATE_JOB_ACTIONS


def configure_logging(*, verbose: bool = False, log_file: Path | None = None) -> None:
    """Job lines (``rexbit.*`` at INFO) to stdout, and to ``log_file`` rotated at 10 MB × 5."""
    root = logging.getLogger()
    formatter = logging.Formatter(LOG_FORMAT)
    if not any(getattr(h, "_rexbit", False) for h in root.handlers):
        # The root --verbose may already have installed a stderr handler: job lines go to stdout only once.
        for h in list(root.handlers):
            root.removeHandler(h)
        stdout = logging.StreamHandler(sys.stdout)
        stdout.setFormatter(formatter)
        stdout._rexbit = True  # type: ignore[attr-defined]
        root.addHandler(stdout)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        rotating.setFormatter(formatter)
        rotating._rexbit = True  # type: ignore[attr-defined]
        root.addHandler(rotating)
    for h in root.handlers:
        if getattr(h, "_rexbit", False):
            if verbose:
                h.removeFilter(_without_procrastinate_job_lines)
            else:
                h.addFilter(_without_procrastinate_job_lines)
    root.setLevel(logging.WARNING)
    logging.getLogger("rexbit").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("procrastinate").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)


def default_log_file() -> Path:
    return config.data_dir() / "logs" / "rexbit-serve.log"


def serve_workers(base: WorkerSettings) -> list[WorkerSettings]:
    """One worker per queue, each at its queue's concurrency (the mail worker runs four jobs at once, as
    the packaging's ``rexbit-mail`` worker does)."""
    return [replace(base, queues=(q,), name=f"serve-{q}", concurrency=queue_concurrency(q)) for q in QUEUES]


def serve(
    db: Database,
    *,
    tries: int = 3,
    backoff: tuple[tuple[str, tuple[float, ...]], ...] = (("", (10.0, 60.0, 300.0)),),
    sleep: float = 3.0,
    heartbeat_interval: float = 10.0,
    stalled_after: float = 60.0,
    with_scheduler: bool = True,
    scheduler_poll: float = 30.0,
) -> str:
    """Run until SIGTERM/SIGINT: one worker per queue (a long import never holds up orders) and the
    scheduler in a background thread."""
    from rexbit_desktop.jobs.scheduler import ScheduleRunner
    from rexbit_desktop.jobs.worker import WorkerGroup

    base = WorkerSettings(
        tries=tries,
        backoff=backoff,
        sleep=sleep,
        heartbeat_interval=heartbeat_interval,
        stalled_after=stalled_after,
    )
    group = WorkerGroup(db, serve_workers(base))
    runner = ScheduleRunner(db, poll_interval=scheduler_poll) if with_scheduler else None
    log.info(
        "rexbit serve on %s: workers for %s%s", db.display, ", ".join(QUEUES), ", scheduler" if runner else ""
    )
    if runner is not None:
        runner.start()
    try:
        reason = run_loop(group.run(handle_signals=True))
    finally:
        if runner is not None:
            runner.shutdown()
    log.info("rexbit serve stopped: %s", reason)
    return reason
