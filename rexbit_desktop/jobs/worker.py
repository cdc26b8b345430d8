"""Queue workers with the operators' options (``rexbit queue work``, ``rexbit serve``, the desktop's
local worker).

One ``WorkerGroup`` runs one or more procrastinate workers on one event loop and adds what the old
Laravel workers did and procrastinate leaves to us:

- ``--tries``: attempts before a job counts as failed (``app.WorkerTries``, via a context variable set
  around every job);
- ``--max-time``, ``--once``, ``--stop-when-empty``; SIGTERM/SIGINT finish the current job, then exit;
- ``rexbit queue restart``: a timestamp in ``worker_signals`` that every worker on every host polls;
- stalled jobs: a job whose worker stopped sending heartbeats (``kill -9``, power loss) is put back in its
  queue once, with a ``job_failures`` row saying so; a second stall of the same job fails it;
- a log line per job start and end (job id, task, queue, attempt, duration, result or error), and a
  ``job_failures`` row (error and traceback) per failed attempt, which ``rexbit queue failed`` shows.

The options are in ``worker_settings.py``, the SQL the workers run in ``worker_db.py``, the desktop's
local worker in ``local_worker.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import ConnectorException
from procrastinate.worker import Worker

from rexbit_desktop import config
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.errors import DatabaseUnavailable
from rexbit_desktop.domain.secrets import mask_secrets
from rexbit_desktop.jobs.app import make_job_app, worker_backoff, worker_tries
from rexbit_desktop.jobs.embedded_keeper import OutageLog, keep_embedded_server
from rexbit_desktop.jobs.loop import run_loop
from rexbit_desktop.jobs.worker_db import (
    QUEUE_STATS_MIN_INTERVAL,
    STALLED_ERROR,
    _record_failure,
    failure_line,
    notify_job_available,
    refresh_queue_statistics,
    rescue_stalled_jobs,
    restart_signal_time,
)
from rexbit_desktop.jobs.worker_settings import (
    WorkerSettings,
    format_backoff,
    parse_backoff,
    parse_queues,
    worker_identity,
)
from rexbit_desktop.services.feeds.run_liveness import fail_orphaned_runs

log = logging.getLogger("rexbit.jobs")

# ------------------------------------------------------------------ one worker


class QueueWorker:
    """A procrastinate ``Worker`` with our per-job middleware (tries, logging, failure records)."""

    def __init__(self, db: Database, app: procrastinate.App, settings: WorkerSettings) -> None:
        self.db = db
        self.settings = settings
        self.identity = worker_identity(settings.name)
        self.jobs_done = 0
        self.stop_reason: str | None = None
        self.app = app
        self.worker = self._make_worker()

    def _make_worker(self) -> Worker:
        settings = self.settings
        return Worker(
            app=self.app,
            queues=list(settings.queues) if settings.queues else None,
            name=settings.name,
            concurrency=settings.concurrency,
            wait=not (settings.once or settings.stop_when_empty),
            fetch_job_polling_interval=settings.sleep,
            abort_job_polling_interval=max(settings.sleep, 5.0),
            listen_notify=True,
            additional_context={"db": self.db},
            install_signal_handlers=False,
            update_heartbeat_interval=settings.heartbeat_interval,
            stalled_worker_timeout=settings.stalled_after,
            worker_middleware=[self._around_job],
        )

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.worker.stop()

    async def run(self) -> str:
        """Run until stopped; a lost database connection (server restart, network) is waited out.

        procrastinate's worker loop ends on the first database error; a worker that should keep
        waiting for jobs starts a fresh one with a growing pause (1 s … 30 s). Jobs it was running
        stay 'doing' and are put back by the stalled-job rescue.
        """
        pause = 1.0
        while True:
            started = time.monotonic()
            done_before = self.jobs_done
            try:
                await self.worker.run()
                if (
                    self.settings.stop_when_empty
                    and self.stop_reason is None
                    and self.jobs_done > done_before
                ):
                    # procrastinate stops at the first empty fetch, even while another of its slots runs a
                    # job that defers more (an import defers its chunk jobs): look again until a pass
                    # finds nothing to do at all.
                    self.worker = self._make_worker()
                    continue
                return self.stop_reason or "the queues are empty"
            except ConnectorException as exc:
                if time.monotonic() - started > 60:  # it had been fine a good while: a short pause again
                    pause = 1.0
                if self.stop_reason is not None or self.settings.once or self.settings.stop_when_empty:
                    raise DatabaseUnavailable(
                        f"Worker {self.identity} lost the database connection: {_cause(exc)}",
                        hint="Check that the PostgreSQL server is running; the supervisor will start the worker again.",
                    ) from exc
                log.warning(
                    "worker %s lost the database connection (%s); trying again in %g s",
                    self.identity,
                    _cause(exc),
                    pause,
                )
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline:
                if self.stop_reason is not None:
                    return self.stop_reason
                await asyncio.sleep(0.2)
            pause = min(pause * 2, 30.0)
            self.worker = self._make_worker()

    async def _around_job(self, call_next: Callable[[], Any], context: JobContext, worker: Worker) -> Any:
        job = context.job
        worker_tries.set(self.settings.tries)
        worker_backoff.set(self.settings.backoff_for(job.queue))
        task = context.app.tasks.get(job.task_name) if context.app else None
        attempt = job.attempts + 1
        log.info(
            "job %s %s started (queue %s, attempt %d, args %s)",
            job.id,
            job.task_name,
            job.queue,
            attempt,
            _short(job.task_kwargs),
        )
        started = time.monotonic()
        try:
            result = await call_next()
        except Exception as exc:
            duration = time.monotonic() - started
            retry = task.get_retry_exception(exception=exc, job=job) if task else None
            log.error(
                "job %s %s failed after %.3f s (attempt %d, %s): %s: %s",
                job.id,
                job.task_name,
                duration,
                attempt,
                "will retry" if retry else "no tries left",
                type(exc).__name__,
                mask_secrets(str(exc)),
            )
            try:
                await asyncio.to_thread(_record_failure, self.db, job, exc, self.identity)
            except Exception:
                log.exception("could not record the failure of job %s", job.id)
            raise
        finally:
            self.jobs_done += 1
            if self.settings.once:
                self.stop("--once: one job done")
        log.info(
            "job %s %s succeeded in %.3f s: %s",
            job.id,
            job.task_name,
            time.monotonic() - started,
            _short(result),
        )
        return result


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__ or exc
    text_ = str(inner).strip().splitlines()
    return text_[0] if text_ else type(inner).__name__


def _short(value: Any, limit: int = 200) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ------------------------------------------------------------------ a group of workers in one process


class WorkerGroup:
    """Workers for several queues on one event loop, one database pool, one stop switch.

    ``request_stop`` may be called from any thread (signal handler, Qt, scheduler thread).
    """

    def __init__(
        self,
        db: Database,
        settings: Sequence[WorkerSettings],
        *,
        app: procrastinate.App | None = None,
        rescue_stalled: bool = True,
        restart_poll: float = 2.0,
    ) -> None:
        if not settings:
            raise ValueError("a worker group needs at least one worker")
        self.db = db
        self.settings = list(settings)
        # Its connections name the queues served (None: some worker takes every queue).
        serving = (
            None if any(not s.queues for s in settings) else [q for s in settings for q in s.queues or ()]
        )
        self.app = app or make_job_app(db, pool_size=4 + 3 * len(settings), serving=serving)
        self.rescue_stalled = rescue_stalled
        self.restart_poll = restart_poll
        self.workers: list[QueueWorker] = []
        self.stop_reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._outage = OutageLog()
        self.started = threading.Event()

    @property
    def jobs_done(self) -> int:
        return sum(w.jobs_done for w in self.workers)

    def request_stop(self, reason: str = "stop requested") -> None:
        self._stopping.set()
        loop = self._loop
        if loop is None:
            if self.stop_reason is None:
                self.stop_reason = reason
            return
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(self._stop_all, reason)

    def _stop_all(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("stopping workers after their current job: %s", reason)
        for w in self.workers:
            w.stop(reason)

    async def run(self, *, handle_signals: bool = False) -> str:
        self._loop = asyncio.get_running_loop()
        side: list[asyncio.Task[Any]] = []
        async with self.app.open_async():
            self.workers = [QueueWorker(self.db, self.app, s) for s in self.settings]
            if self._stopping.is_set():
                self._stop_all(self.stop_reason or "stop requested")
            restart_seen = await asyncio.to_thread(restart_signal_time, self.db)
            await self._refresh_queue_statistics()  # a backlog waiting before the workers start
            side.append(asyncio.create_task(self._keep_queue_statistics(), name="queue statistics"))
            side.append(asyncio.create_task(self._watch_restart(restart_seen), name="watch restart"))
            side.append(asyncio.create_task(self._enforce_stop(), name="enforce stop"))
            if self.rescue_stalled:
                side.append(asyncio.create_task(self._rescue_stalled(), name="rescue stalled jobs"))
            if self.db.embedded:
                side.append(
                    asyncio.create_task(
                        keep_embedded_server(config.data_dir(), poll=self.restart_poll),
                        name="embedded server",
                    )
                )
            max_times = [s.max_time for s in self.settings if s.max_time]
            if max_times:
                self._loop.call_later(
                    min(max_times), self._stop_all, f"--max-time {min(max_times):g} s reached"
                )
            if handle_signals:
                self._install_signal_handlers()
            for s in self.settings:
                log.info(
                    "worker %s on %s (tries %d, backoff %s, sleep %g s%s%s%s)",
                    worker_identity(s.name),
                    s.queue_display,
                    s.tries,
                    s.backoff_display,
                    s.sleep,
                    f", max-time {s.max_time:g} s" if s.max_time else "",
                    ", once" if s.once else "",
                    ", stop when empty" if s.stop_when_empty else "",
                )
            self.started.set()
            try:
                reasons = await asyncio.gather(*(w.run() for w in self.workers))
            finally:
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)
                if handle_signals:
                    self._remove_signal_handlers()
                self._loop = None
        reason = self.stop_reason or reasons[0]
        log.info("workers stopped: %s (%d job runs)", reason, self.jobs_done)
        return reason

    def _install_signal_handlers(self) -> None:
        assert self._loop is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self._on_signal, sig)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        self._stop_all(f"{sig.name} received")

    async def _enforce_stop(self) -> None:
        """Repeat a stop request: procrastinate's ``Worker.run`` forgets a stop that came before it began."""
        while True:
            await asyncio.sleep(0.2)
            if self.stop_reason is not None:
                for w in self.workers:
                    w.worker.stop()

    async def _watch_restart(self, seen: datetime | None) -> None:
        while True:
            await asyncio.sleep(self.restart_poll)
            try:
                now = await asyncio.to_thread(restart_signal_time, self.db)
            except Exception as exc:  # a database hiccup must not kill the worker
                self._outage.failed("check for 'queue restart'", exc)
                continue
            self._outage.ok("check for 'queue restart'")
            if now is not None and (seen is None or now > seen):
                self._stop_all(f"'queue restart' at {now.isoformat(timespec='seconds')}")
                return

    async def _refresh_queue_statistics(self) -> bool:
        try:
            done = await asyncio.to_thread(refresh_queue_statistics, self.db)
        except Exception as exc:  # statistics are an optimisation: never stop a worker for them
            self._outage.failed("refresh the job table's statistics", exc)
            return False
        self._outage.ok("refresh the job table's statistics")
        if done:
            log.debug("job table analyzed (many jobs came or went)")
        return done

    async def _keep_queue_statistics(self) -> None:
        while True:
            await asyncio.sleep(self.restart_poll)
            if await self._refresh_queue_statistics():
                await asyncio.sleep(QUEUE_STATS_MIN_INTERVAL)

    async def _rescue_stalled(self) -> None:
        stalled_after = min(s.stalled_after for s in self.settings)
        interval = max(1.0, stalled_after / 2)
        me = worker_identity(self.settings[0].name)
        passes = 0
        while True:
            try:
                for job_id, outcome in await asyncio.to_thread(
                    rescue_stalled_jobs, self.db, stalled_after=stalled_after, rescuer=me
                ):
                    log.warning(
                        "job %s: its worker died; %s",
                        job_id,
                        "put back in the queue" if outcome == "requeued" else "marked failed (stalled twice)",
                    )
                # An import run whose jobs all ended without ending it (its reader stalled twice, a
                # chunk job failed for good) is failed now, not by the 30-minute sweep.
                await asyncio.to_thread(fail_orphaned_runs, self.db.uow())
            except Exception as exc:
                self._outage.failed("look for stalled jobs", exc)
            else:
                self._outage.ok("look for stalled jobs")
                # One line per completed pass (with --verbose): what a test waits for before it checks
                # that a pass did nothing.
                passes += 1
                log.debug("stalled-job pass %d done", passes)
            await asyncio.sleep(interval)


def run_workers(db: Database, settings: Sequence[WorkerSettings], **kwargs: Any) -> str:
    """Run workers in the foreground until they stop; SIGTERM/SIGINT finish the current jobs first."""
    group = WorkerGroup(db, settings, **kwargs)
    # Signal handlers can only be installed from the main thread.
    return run_loop(group.run(handle_signals=threading.current_thread() is threading.main_thread()))


__all__ = [
    "STALLED_ERROR",
    "QueueWorker",
    "WorkerGroup",
    "WorkerSettings",
    "failure_line",
    "format_backoff",
    "notify_job_available",
    "parse_backoff",
    "parse_queues",
    "refresh_queue_statistics",
    "rescue_stalled_jobs",
    "restart_signal_time",
    "run_workers",
    "worker_identity",
]
