"""The clock: APScheduler 3 cron triggers built from the ``schedules`` table (``rexbit schedule work``,
``rexbit serve``).

Each enabled schedule becomes one APScheduler job whose trigger is the schedule's cron expression. When
it fires, the scheduler works out the due tick (the latest fire time not after now) and hands it to
``services.schedules.fire_schedule``, which decides across hosts who defers it (onOneServer) and skips
it while the previous run is still waiting or running (withoutOverlapping). The table is re-read every
``poll_interval`` seconds, so edits in Settings or ``rexbit schedule set`` apply without a restart.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.ops.schedules import (
    InvalidCron,
    ScheduleSnapshot,
    TickStatus,
    cron_trigger,
    fire_schedule,
    fire_times,
    load_schedules,
    local_timezone,
)

log = logging.getLogger("rexbit.scheduler")

RELOAD_JOB_ID = "reload-schedules"
LOOKBACK = timedelta(seconds=60)
"""How late a tick may still be handled (matches APScheduler's misfire grace time)."""


class ScheduleRunner:
    """A background APScheduler whose jobs mirror the enabled rows of ``schedules``."""

    def __init__(self, db: Database, *, poll_interval: float = 30.0, host: str | None = None) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.host = host or f"{socket.gethostname()}:{os.getpid()}"
        self.actor = Actor.job("scheduler")
        self.timezone = local_timezone()
        self.scheduler = BackgroundScheduler(
            timezone=self.timezone,
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(LOOKBACK.total_seconds()),
            },
        )
        self._loaded: dict[int, tuple[Any, ...]] = {}
        self._last_due: dict[int, datetime] = {}
        self._reload_lock = threading.Lock()
        self.ticks_handled = 0

    def start(self) -> None:
        self.reload()
        self.scheduler.add_job(
            self.reload,
            IntervalTrigger(seconds=self.poll_interval, timezone=self.timezone),
            id=RELOAD_JOB_ID,
            replace_existing=True,
        )
        self.scheduler.start()
        log.info("scheduler on %s started with %d schedule(s)", self.host, len(self._loaded))

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
            log.info("scheduler stopped")

    def reload(self) -> None:
        """Add, change or remove APScheduler jobs to match the table."""
        with self._reload_lock:
            try:
                snapshots = {s.id: s for s in load_schedules(self.db.uow())}
            except Exception as exc:  # the database may be briefly away; keep the current jobs
                log.warning("could not read schedules: %s", exc)
                return
            for schedule_id in set(self._loaded) - set(snapshots):
                self._remove(schedule_id)
                log.info("schedule %s removed or disabled", schedule_id)
            for schedule_id, snap in snapshots.items():
                signature = _signature(snap)
                if self._loaded.get(schedule_id) == signature:
                    continue
                try:
                    trigger = cron_trigger(snap.cron, self.timezone)
                except InvalidCron as exc:
                    log.error("schedule %s not scheduled: %s", snap.name, exc.message)
                    self._remove(schedule_id)
                    continue
                self.scheduler.add_job(
                    self._fire,
                    trigger,
                    args=[snap.id, snap.name, snap.cron],
                    id=f"schedule-{snap.id}",
                    name=snap.name,
                    replace_existing=True,
                )
                action = "changed" if schedule_id in self._loaded else "loaded"
                self._loaded[schedule_id] = signature
                log.info("schedule %s %s: %s → %s", snap.name, action, snap.cron, snap.task)

    def _remove(self, schedule_id: int) -> None:
        self._loaded.pop(schedule_id, None)
        job = self.scheduler.get_job(f"schedule-{schedule_id}")
        if job is not None:
            job.remove()

    def _fire(self, schedule_id: int, name: str, cron: str) -> None:
        """Handle the ticks due since the last one this scheduler handled (at most ``LOOKBACK`` back).

        APScheduler coalesces runs it missed (a busy machine, a long pause) into one call; the missed
        ticks are still handed over, and ``fire_schedule`` keeps each one to a single job across hosts.
        """
        now = datetime.now(self.timezone)
        since = max(self._last_due.get(schedule_id, now - LOOKBACK), now - LOOKBACK)
        due = fire_times(cron_trigger(cron, self.timezone), since, now)
        if schedule_id not in self._last_due:
            due = due[-1:]  # a scheduler that just started does not replay the last minute
        if not due:
            log.debug("schedule %s fired at %s with no new due tick", name, now)
            return
        for due_at in due:
            self._fire_tick(schedule_id, name, due_at)
        self._last_due[schedule_id] = due[-1]

    def _fire_tick(self, schedule_id: int, name: str, due_at: datetime) -> None:
        try:
            result = fire_schedule(self.db.uow(), self.actor, schedule_id, due_at, host=self.host)
        except Exception:
            log.exception("schedule %s: tick %s could not be handled", name, due_at.isoformat())
            return
        self.ticks_handled += 1
        if result.status is TickStatus.DEFERRED:
            log.info("schedule %s tick %s: job %s deferred", name, due_at.isoformat(), result.job_id)
        elif result.status is TickStatus.TAKEN:
            log.debug("schedule %s tick %s: handled by another scheduler", name, due_at.isoformat())
        else:
            level = logging.INFO if result.status is TickStatus.SKIPPED else logging.WARNING
            log.log(
                level, "schedule %s tick %s: %s (%s)", name, due_at.isoformat(), result.status, result.message
            )


def _signature(snap: ScheduleSnapshot) -> tuple[Any, ...]:
    return (snap.name, snap.cron, snap.task, repr(sorted(snap.arguments.items())), snap.updated_at)


def run_scheduler_forever(db: Database, *, poll_interval: float = 30.0) -> None:
    """``schedule work``: run until SIGTERM/SIGINT, then stop cleanly."""
    import signal

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("%s received: stopping the scheduler", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    runner = ScheduleRunner(db, poll_interval=poll_interval)
    try:
        runner.start()
        while not stop.wait(1.0):
            pass
    finally:
        runner.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
