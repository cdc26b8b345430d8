"""The dashboard's use cases: every figure for a period in one snapshot, the orders behind a figure, and
an operator's own day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.kpi import AGE_BUCKETS, Period
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.kpi import figures
from rexbit_desktop.services.kpi.calendar import ensure_calendar
from rexbit_desktop.services.kpi.dto import Dashboard, KpiFilter, OperatorDay, StatusLook
from rexbit_desktop.services.kpi.settings import load_kpi_settings
from rexbit_desktop.services.orders.settings import load_settings


def status_looks(session: Session) -> dict[str, StatusLook]:
    """The status labels and colours managers set in the order settings."""
    return {
        code: StatusLook(s.label_pl, s.label_en, s.colour)
        for code, s in load_settings(session).statuses.items()
    }


def compute_dashboard(
    uow: UnitOfWork,
    actor: Actor,
    period: Period,
    *,
    filters: KpiFilter | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The whole dashboard for ``period`` (compared with the period of the same length before it)."""
    actor.require(Permission.REPORTS_VIEW)
    flt = filters or KpiFilter()
    with uow:
        settings = load_kpi_settings(uow.session)
        zone = settings.zone
        moment = (now or datetime.now(UTC)).astimezone(zone)
        if ensure_calendar(uow.session, settings, moment.date()):
            uow.commit()
    with uow:
        session = uow.session
        # One snapshot for every figure: a read-only REPEATABLE READ transaction.
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        # Grouping months of sales by SKU in memory, not in temporary files.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        # Sub-second queries over estimated-large inputs: compiling them (JIT) costs more than it saves.
        session.execute(text("SET LOCAL jit = off"))
        # No parallel workers: with the small aggregates the planner misjudges the groups and splits sub-second
        # queries across processes, which only adds variance (and loses) on a busy two-core machine.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        previous = period.previous()
        start, end = period.bounds(zone)
        days = figures.per_day(session, flt, settings.timezone, previous.first, period.last)
        per_day, current = figures.series(period, days)
        previous_per_day, previous_totals = figures.series(previous, days)
        shipped, late, median, p90 = figures.fulfilment(session, settings, flt, period)
        backlog, open_orders, late_now = figures.backlog(session, settings, flt, moment)
        lines, reserved = figures.reservation(session, flt)
        short = figures.short_products(session, flt)
        stock_value = figures.stock_value(session, flt)
        by_units, by_value = figures.top_products(session, flt, settings.timezone, period)
        health = figures.health(session, start, end)
        statuses = status_looks(session)
    return Dashboard(
        period=period,
        previous_period=previous,
        computed_at=moment,
        current=current,
        previous=previous_totals,
        per_day=per_day,
        previous_per_day=previous_per_day,
        shipped=shipped,
        late=late,
        fulfilment_median_h=median,
        fulfilment_p90_h=p90,
        late_now=late_now,
        open_orders=open_orders,
        backlog=backlog,
        reservation_lines=lines,
        reserved_lines=reserved,
        short_products=short,
        stock_value=stock_value,
        top_by_units=by_units,
        top_by_value=by_value,
        health=health,
        filters=flt,
        statuses=statuses,
    )


def late_order_ids(
    uow: UnitOfWork,
    actor: Actor,
    *,
    filters: KpiFilter | None = None,
    status: str | None = None,
    bucket: str | None = None,
    late_only: bool = True,
    now: datetime | None = None,
) -> list[int]:
    """The open orders behind a dashboard figure: late now (default), or a backlog cell."""
    actor.require(Permission.VIEW)
    flt = filters or KpiFilter()
    with uow:
        session = uow.session
        settings = load_kpi_settings(session)
        moment = (now or datetime.now(UTC)).astimezone(settings.zone)
        if ensure_calendar(session, settings, moment.date()):
            uow.commit()
        params: dict[str, Any] = {}
        conditions = ["true"]
        if late_only:
            conditions.append("late")
        if status:
            params["b_status"] = status
            conditions.append("status = :b_status")
        if bucket:
            for label, lower, upper in AGE_BUCKETS:
                if label == bucket:
                    conditions.append(f"age_days >= {lower}")
                    if upper is not None:
                        conditions.append(f"age_days < {upper}")
        sql = figures.open_orders_sql(settings, flt, moment, params) + (
            "SELECT id FROM aged WHERE " + " AND ".join(conditions) + " ORDER BY id"
        )
        return [int(i) for i in session.execute(text(sql), params).scalars()]


def operator_day(uow: UnitOfWork, actor: Actor, *, now: datetime | None = None) -> OperatorDay:
    """The logged-in user's own counters for today (what an operator sees on the dashboard)."""
    actor.require(Permission.VIEW)
    with uow:
        session = uow.session
        settings = load_kpi_settings(session)
        moment = (now or datetime.now(UTC)).astimezone(settings.zone)
        start, end = Period(moment.date(), moment.date()).bounds(settings.zone)
        params = {"login": actor.login, "t0": start, "t1": end}
        changes = {
            status: int(n)
            for status, n in session.execute(
                text(
                    "SELECT to_status, count(*) FROM order_status_history"
                    " WHERE changed_by = :login AND created_at >= :t0 AND created_at < :t1 GROUP BY 1"
                ),
                params,
            )
        }
        wz = session.execute(
            text(
                "SELECT count(*) FROM warehouse_documents WHERE type = 'WZ' AND created_by = :login"
                " AND created_at >= :t0 AND created_at < :t1"
            ),
            params,
        ).scalar_one()
        statuses = status_looks(session)
    return OperatorDay(actor.login, moment.date(), changes, int(wz), statuses)
