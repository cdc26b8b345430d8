"""Schedules: cron expressions from the ``schedules`` table, and firing their due ticks.

Semantics (DESIGN.md, same words as the old Laravel runbook):

- ``onOneServer``: every scheduler on every host computes the same due tick; ``INSERT INTO
  schedule_runs … ON CONFLICT DO NOTHING`` lets exactly one of them defer it.
- ``withoutOverlapping``: the job gets ``lock`` and ``queueing_lock`` ``schedule:<name>``, and a tick is
  skipped (recorded as ``skipped``) while the previous run is still waiting or running.

Cron: 5 fields (``minute hour day month weekday``, weekday 0 or 7 = Sunday, as in crontab) or 6 fields
with seconds first (``second minute hour day month weekday``; tests and demos use it). ``@hourly``,
``@daily``, ``@weekly``, ``@monthly``, ``@yearly`` work too. Times are the server's local time.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from rexbit_desktop.db.models.scheduling import Schedule, ScheduleRun
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.queueing import JobAlreadyQueued, UnknownTask, defer_job_with_arguments, resolve_task


class InvalidCron(ValidationError):
    """The cron expression is not valid."""


class TickStatus(StrEnum):
    DEFERRED = "deferred"
    """A job was put in the queue (``job_id``)."""
    SKIPPED = "skipped"
    """withoutOverlapping: the previous run was still waiting or running."""
    TASK_MISSING = "task_missing"
    """The schedule names a task this rexbit does not have (yet); nothing was deferred."""
    FAILED = "failed"
    """Deferring failed (e.g. arguments that are not JSON); see the message."""
    TAKEN = "taken"
    """onOneServer: another scheduler already handled this tick (not stored: that one's row is)."""


# ------------------------------------------------------------------ cron


_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _crontab_weekdays(field: str) -> str:
    """Crontab weekdays (0/7 = Sunday) → APScheduler's names (its numbers start at Monday).

    Numeric ranges and steps are expanded to explicit lists, so a range starting on Sunday works.
    """
    if field == "*" or field == "?":
        return "*"
    parts: list[str] = []
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise ValueError(f"bad step '{step_text}'")
        if base == "*":
            lo, hi = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            if not (a.isdigit() and b.isdigit()):
                parts.append(part)  # names (mon-fri): APScheduler understands them
                continue
            lo, hi = int(a), int(b)
        elif base.isdigit():
            lo = int(base)
            hi = lo if not step_text else 6
        else:
            parts.append(part)
            continue
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi):
            raise ValueError(f"weekday '{part}' out of range 0-7")
        parts.extend(_WEEKDAYS[d % 7] for d in range(lo, hi + 1, step))
    return ",".join(dict.fromkeys(parts))


def local_timezone() -> tzinfo:
    import tzlocal

    tz: tzinfo = tzlocal.get_localzone()
    return tz


def cron_trigger(expression: str, timezone: tzinfo | None = None) -> CronTrigger:
    """An APScheduler ``CronTrigger`` for a crontab expression (5 fields, or 6 with seconds first)."""
    expr = _ALIASES.get(expression.strip().lower(), expression.strip())
    fields = expr.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise InvalidCron(
            f"Invalid cron expression '{expression}': it has {len(fields)} fields.",
            hint="Use 'minute hour day month weekday' (e.g. '*/30 * * * *') or add seconds first "
            "('*/5 * * * * *').",
            code="invalid_cron_fields",
            params={"expression": expression, "count": len(fields)},
        )
    second, minute, hour, day, month, weekday = fields
    bad = _bad_field(second, minute, hour, day, month, weekday)
    if bad is not None:
        name, value = bad
        raise InvalidCron(
            f"Invalid cron expression '{expression}': the {name} field '{value}' is not valid.",
            hint="Fields: minute hour day month weekday (0 or 7 = Sunday), e.g. '0 2 * * *' is daily at 02:00.",
            code="invalid_cron_field",
            params={"expression": expression, "field": name, "value": value},
        )
    try:
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekday),
            timezone=timezone or local_timezone(),
        )
    except ValueError as exc:
        raise InvalidCron(
            f"Invalid cron expression '{expression}': {exc}.",
            hint="Fields: minute hour day month weekday (0 or 7 = Sunday), e.g. '0 2 * * *' is daily at 02:00.",
            code="invalid_cron",
            params={"expression": expression},
        ) from exc


def _bad_field(
    second: str, minute: str, hour: str, day: str, month: str, weekday: str
) -> tuple[str, str] | None:
    """The first field APScheduler refuses on its own, as (field name, value): the error names the
    field, so the app can say it in the user's language (APScheduler's own words are English)."""
    for name, value in (
        ("second", second),
        ("minute", minute),
        ("hour", hour),
        ("day", day),
        ("month", month),
    ):
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError:
            return name, value
    try:
        CronTrigger(day_of_week=_crontab_weekdays(weekday), timezone=UTC)
    except ValueError:
        return "weekday", weekday
    return None


def fire_times(
    trigger: CronTrigger, after: datetime, until: datetime, *, limit: int = 10_000
) -> list[datetime]:
    """The trigger's fire times in (``after``, ``until``]."""
    result: list[datetime] = []
    nxt = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while nxt is not None and nxt <= until and len(result) < limit:
        result.append(nxt)
        nxt = trigger.get_next_fire_time(nxt, nxt + timedelta(microseconds=1))
    return result


def next_due(expression: str, now: datetime | None = None) -> datetime | None:
    trigger = cron_trigger(expression)
    now = now or datetime.now(trigger.timezone)
    result: datetime | None = trigger.get_next_fire_time(None, now)
    return result


# ------------------------------------------------------------------ DTOs


@dataclass(frozen=True)
class ScheduleInfo:
    id: int
    name: str
    task: str
    arguments: dict[str, Any]
    cron: str
    enabled: bool
    without_overlapping: bool
    on_one_server: bool
    description: str | None
    next_due: datetime | None
    """``None`` when disabled or when the cron expression is invalid."""
    task_registered: bool
    last_due_at: datetime | None
    last_status: str | None
    last_message: str | None
    last_job_id: int | None
    cron_error: str | None = None
    last_outcome: str | None = None
    """What the last run came to: the queued job's state (``todo``, ``doing``, ``succeeded``, ``failed``,
    ``cancelled``, ``aborted``) when a job was queued, else the tick's own status (``skipped``…)."""
    cron_error_code: str | None = None
    cron_error_params: dict[str, Any] | None = None


@dataclass(frozen=True)
class ScheduleSnapshot:
    """What a scheduler needs to fire a schedule (read once per reload)."""

    id: int
    name: str
    task: str
    arguments: dict[str, Any]
    cron: str
    enabled: bool
    without_overlapping: bool
    on_one_server: bool
    updated_at: datetime


@dataclass(frozen=True)
class TickResult:
    schedule: str
    due_at: datetime
    status: TickStatus
    job_id: int | None = None
    message: str | None = None


# ------------------------------------------------------------------ reading and editing


def _info(s: Schedule, last: Any, now: datetime) -> ScheduleInfo:
    due: datetime | None = None
    cron_error: str | None = None
    cron_code: str | None = None
    cron_params: dict[str, Any] | None = None
    try:
        trigger = cron_trigger(s.cron)
        if s.enabled:
            due = trigger.get_next_fire_time(None, now)
    except InvalidCron as exc:
        cron_error = exc.message
        cron_code, cron_params = exc.code, dict(exc.params or {})
    try:
        resolve_task(s.task)
        registered = True
    except UnknownTask:
        registered = False
    return ScheduleInfo(
        id=s.id,
        name=s.name,
        task=s.task,
        arguments=dict(s.arguments or {}),
        cron=s.cron,
        enabled=s.enabled,
        without_overlapping=s.without_overlapping,
        on_one_server=s.on_one_server,
        description=s.description,
        next_due=due,
        task_registered=registered,
        last_due_at=last["due_at"] if last else None,
        last_status=last["status"] if last else None,
        last_message=last["message"] if last else None,
        last_job_id=last["job_id"] if last else None,
        cron_error=cron_error,
        last_outcome=(last["job_status"] or last["status"]) if last else None,
        cron_error_code=cron_code,
        cron_error_params=cron_params,
    )


def _last_runs(uow: UnitOfWork) -> dict[int, Any]:
    rows = uow.session.execute(
        text(
            # The job's own state: a tick that queued a job ("deferred") says nothing of how it ended.
            "SELECT DISTINCT ON (r.schedule_id) r.schedule_id, r.due_at, r.status, r.message, r.job_id,"
            " j.status::text AS job_status"
            " FROM schedule_runs r LEFT JOIN procrastinate_jobs j ON j.id = r.job_id"
            " ORDER BY r.schedule_id, r.due_at DESC"
        )
    ).mappings()
    return {r["schedule_id"]: r for r in rows}


def list_schedules(uow: UnitOfWork, actor: Actor, *, now: datetime | None = None) -> list[ScheduleInfo]:
    """All schedules with their next due time and last run."""
    actor.require(Permission.VIEW)
    now = now or datetime.now(local_timezone())
    with uow:
        schedules = list(uow.session.scalars(select(Schedule).order_by(Schedule.name)))
        last = _last_runs(uow)
        return [_info(s, last.get(s.id), now) for s in schedules]


def get_schedule(uow: UnitOfWork, actor: Actor, name: str) -> ScheduleInfo:
    for info in list_schedules(uow, actor):
        if info.name == name:
            return info
    raise NotFound(f"There is no schedule '{name}'.", code="schedule_not_found", params={"name": name})


def set_schedule(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    *,
    cron: str | None = None,
    enabled: bool | None = None,
    arguments: dict[str, Any] | None = None,
    without_overlapping: bool | None = None,
    on_one_server: bool | None = None,
) -> ScheduleInfo:
    """Change a schedule; running schedulers pick the change up on their next reload."""
    actor.require(Permission.SETTINGS_EDIT)
    if cron is not None:
        cron = " ".join(cron.split())
        cron_trigger(cron)  # refuses an invalid expression before it reaches the table
    with uow:
        schedule = uow.session.scalars(select(Schedule).where(Schedule.name == name)).first()
        if schedule is None:
            names = ", ".join(uow.session.scalars(select(Schedule.name).order_by(Schedule.name)))
            raise NotFound(
                f"There is no schedule '{name}'.",
                hint=f"Schedules: {names or 'none'}.",
                code="schedule_not_found",
                params={"name": name},
            )
        if cron is not None:
            schedule.cron = cron
        if enabled is not None:
            schedule.enabled = enabled
        if arguments is not None:
            schedule.arguments = arguments
        if without_overlapping is not None:
            schedule.without_overlapping = without_overlapping
        if on_one_server is not None:
            schedule.on_one_server = on_one_server
        uow.commit()
    return get_schedule(uow, actor, name)


def load_schedules(uow: UnitOfWork, *, enabled_only: bool = True) -> list[ScheduleSnapshot]:
    with uow:
        query = select(Schedule).order_by(Schedule.id)
        if enabled_only:
            query = query.where(Schedule.enabled)
        return [
            ScheduleSnapshot(
                id=s.id,
                name=s.name,
                task=s.task,
                arguments=dict(s.arguments or {}),
                cron=s.cron,
                enabled=s.enabled,
                without_overlapping=s.without_overlapping,
                on_one_server=s.on_one_server,
                updated_at=s.updated_at,
            )
            for s in uow.session.scalars(query)
        ]


# ------------------------------------------------------------------ firing


def overlap_lock(schedule_name: str) -> str:
    return f"schedule:{schedule_name}"


def fire_schedule(
    uow: UnitOfWork, actor: Actor, schedule_id: int, due_at: datetime, *, host: str | None = None
) -> TickResult:
    """Handle one due tick of a schedule: claim it (onOneServer), then defer its job (or say why not)."""
    actor.require(Permission.QUEUE_MANAGE)
    host = host or f"{socket.gethostname()}:{os.getpid()}"
    with uow:
        session = uow.session
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            raise NotFound(
                f"There is no schedule {schedule_id}.",
                code="schedule_not_found",
                params={"name": schedule_id},
            )
        claim = (
            insert(ScheduleRun)
            .values(schedule_id=schedule.id, due_at=due_at, host=host[:200], status="claimed")
            .on_conflict_do_nothing(index_elements=["schedule_id", "due_at"])
            .returning(ScheduleRun.id)
        )
        run_id = session.execute(claim).scalar()
        if run_id is None and schedule.on_one_server:
            return TickResult(schedule.name, due_at, TickStatus.TAKEN, message="handled by another scheduler")
        job_id: int | None = None
        message: str | None
        lock = overlap_lock(schedule.name) if schedule.without_overlapping else None
        try:
            resolve_task(schedule.task)
        except UnknownTask:
            status, message = (
                TickStatus.TASK_MISSING,
                f"task '{schedule.task}' is not registered in this rexbit; nothing was deferred",
            )
        else:
            previous = (
                session.execute(
                    text(
                        "SELECT id, status FROM procrastinate_jobs WHERE lock = :lock AND status IN ('todo', 'doing')"
                        " ORDER BY id LIMIT 1"
                    ),
                    {"lock": lock},
                ).first()
                if lock
                else None
            )
            if previous is not None:
                state = "running" if previous.status == "doing" else "waiting"
                status, message = TickStatus.SKIPPED, f"the previous run (job {previous.id}) is still {state}"
            else:
                try:
                    job_id = defer_job_with_arguments(
                        uow, schedule.task, schedule.arguments or {}, lock=lock, queueing_lock=lock
                    )
                    status, message = TickStatus.DEFERRED, None
                except JobAlreadyQueued:
                    status, message = TickStatus.SKIPPED, "the previous run is still waiting"
                except RexbitError as exc:
                    status, message = TickStatus.FAILED, exc.message
        if run_id is not None:
            session.execute(
                text(
                    "UPDATE schedule_runs SET status = :status, job_id = :job_id, message = :message WHERE id = :id"
                ),
                {"status": status.value, "job_id": job_id, "message": message, "id": run_id},
            )
        uow.commit()
        return TickResult(schedule.name, due_at, status, job_id, message)


def run_due_schedules(
    uow: UnitOfWork,
    actor: Actor,
    *,
    now: datetime | None = None,
    window: timedelta = timedelta(seconds=60),
    host: str | None = None,
) -> list[TickResult]:
    """``schedule run``: fire every tick of every enabled schedule due in (now - window, now].

    Ticks another run (or host) already handled are left alone, so a crontab line ``* * * * *`` on
    several hosts, or one that runs late, defers each tick once.
    """
    actor.require(Permission.QUEUE_MANAGE)
    tz = local_timezone()
    now = now or datetime.now(tz)
    results: list[TickResult] = []
    for snap in load_schedules(uow):
        try:
            trigger = cron_trigger(snap.cron, tz)
        except InvalidCron as exc:
            results.append(TickResult(snap.name, now, TickStatus.FAILED, message=exc.message))
            continue
        for due in fire_times(trigger, now - window, now):
            results.append(fire_schedule(uow, actor, snap.id, due, host=host))
    return results


__all__ = [
    "InvalidCron",
    "ScheduleInfo",
    "ScheduleSnapshot",
    "TickResult",
    "TickStatus",
    "cron_trigger",
    "fire_schedule",
    "fire_times",
    "get_schedule",
    "list_schedules",
    "load_schedules",
    "next_due",
    "run_due_schedules",
    "set_schedule",
]
