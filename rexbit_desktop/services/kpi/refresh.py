"""Rebuild the daily aggregates of the days whose orders changed (or of every day).

The triggers of migration 0013 append a row to ``kpi_dirty_marks`` for each day an order or order line
changed. The refresh deletes the marks it can see, then rebuilds those days from the orders, all in one
transaction: a mark of a transaction that had not committed yet is invisible to the delete, so it
survives and its day is rebuilt by the next refresh (and read live by the dashboard until then).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.kpi import KpiSettings
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.kpi.calendar import LOCK_SQL, ensure_calendar
from rexbit_desktop.services.kpi.settings import load_kpi_settings
from rexbit_desktop.services.kpi.sql import shipped_timed_ctes
from rexbit_desktop.services.kpi.totals import rebuild_product_totals

# The orders of a set of local days, found through the created_at index one day range at a time.
_DAY_ORDERS = """
    FROM unnest(CAST(:days AS date[])) AS d (day)
    JOIN orders o ON o.created_at >= (d.day::timestamp AT TIME ZONE :tz)
                 AND o.created_at < ((d.day + 1)::timestamp AT TIME ZONE :tz)
"""

_REBUILD_DAILY = text(
    "INSERT INTO kpi_daily (day, integration_id, warehouse_id, orders, gross_pln, returned)"
    " SELECT d.day, coalesce(o.integration_id, 0), coalesce(o.warehouse_id, 0),"
    "        count(*) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')),"
    "        coalesce(sum(o.total_gross) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')"
    "                                             AND o.currency = 'PLN'), 0),"
    "        count(*) FILTER (WHERE o.status = 'returned')" + _DAY_ORDERS + " GROUP BY 1, 2, 3 ORDER BY 1"
)

_REBUILD_PRODUCTS = text(
    "INSERT INTO kpi_daily_products (day, integration_id, warehouse_id, sku, units, gross_pln)"
    " SELECT d.day, coalesce(o.integration_id, 0), coalesce(o.warehouse_id, 0), coalesce(i.sku, ''),"
    "        sum(i.quantity),"
    "        coalesce(sum(i.quantity * i.price_gross) FILTER (WHERE o.currency = 'PLN'), 0)"
    + _DAY_ORDERS
    + " JOIN order_items i ON i.order_id = o.id"
    " WHERE o.status NOT IN ('cancelled', 'returned')"
    " GROUP BY 1, 2, 3, 4 ORDER BY 1"
)


# The months of the rebuilt days, summed again from their daily rows (all sources and warehouses).
_REBUILD_MONTHS = text(
    "INSERT INTO kpi_monthly_products (month, sku, units, gross_pln, day_rows)"
    " SELECT date_trunc('month', a.day)::date, a.sku, sum(a.units), sum(a.gross_pln), count(*)"
    " FROM unnest(CAST(:months AS date[])) AS m (month)"
    " JOIN kpi_daily_products a ON a.day >= m.month AND a.day < (m.month + interval '1 month')::date"
    " GROUP BY 1, 2 ORDER BY 1"
)

BIG_REFRESH_DAYS = 31


def rebuild_months(session: Session, days: list[date], *, every_month: bool = False) -> None:
    """Replace ``kpi_monthly_products`` of the months holding these days from ``kpi_daily_products``,
    then the running totals from the first of them on."""
    months = sorted({d.replace(day=1) for d in days})
    if months:
        session.execute(
            text("DELETE FROM kpi_monthly_products WHERE month = ANY(:months)"), {"months": months}
        )
        session.execute(_REBUILD_MONTHS, {"months": months})
    if every_month:
        rebuild_product_totals(session, None)
    elif months:
        rebuild_product_totals(session, months[0])


@dataclass(frozen=True)
class RefreshResult:
    days: int
    first_day: date | None
    last_day: date | None
    duration_s: float


def rebuild_shipped_days(session: Session, settings: KpiSettings, days: list[date]) -> None:
    """Replace ``kpi_daily_shipped`` of these local shipping days from the orders."""
    if not days:
        return
    params: dict[str, Any] = {"days": days}
    session.execute(text("DELETE FROM kpi_daily_shipped WHERE day = ANY(:days)"), {"days": days})
    days_sql = "(SELECT unnest(CAST(:days AS date[])) AS day)"
    session.execute(
        text(
            f"WITH {shipped_timed_ctes(settings, params, days_sql)}"
            " INSERT INTO kpi_daily_shipped (day, integration_id, warehouse_id, shipped, late, work_s)"
            " SELECT day, integration_id, warehouse_id, count(*), count(*) FILTER (WHERE late), array_agg(work_s)"
            " FROM timed GROUP BY 1, 2, 3 ORDER BY 1"
        ),
        params,
    )


def refresh_kpi(
    uow: UnitOfWork, actor: Actor, *, all_days: bool = False, today: date | None = None
) -> RefreshResult:
    """Rebuild the marked days (``all_days``: every day that has orders, e.g. after a bulk load)."""
    actor.require(Permission.VIEW)
    started = time.perf_counter()
    with uow:
        session = uow.session
        settings = load_kpi_settings(session)
        ensure_calendar(session, settings, today or datetime.now(settings.zone).date())
        session.execute(LOCK_SQL)
        tz = settings.timezone
        marked = session.execute(text("DELETE FROM kpi_dirty_marks RETURNING day, kind")).all()
        if all_days:
            session.execute(text("DELETE FROM kpi_daily"))
            session.execute(text("DELETE FROM kpi_daily_products"))
            session.execute(text("DELETE FROM kpi_monthly_products"))
            created_days = list(
                session.execute(
                    text("SELECT DISTINCT (created_at AT TIME ZONE :tz)::date FROM orders"), {"tz": tz}
                ).scalars()
            )
            shipped_days = list(
                session.execute(
                    text(
                        "SELECT DISTINCT (shipped_at AT TIME ZONE :tz)::date FROM orders"
                        " WHERE shipped_at IS NOT NULL"
                    ),
                    {"tz": tz},
                ).scalars()
            )
        else:
            created_days = sorted({day for day, kind in marked if kind == "c"})
            shipped_days = sorted({day for day, kind in marked if kind == "s"})
            session.execute(text("DELETE FROM kpi_daily WHERE day = ANY(:days)"), {"days": created_days})
            session.execute(
                text("DELETE FROM kpi_daily_products WHERE day = ANY(:days)"), {"days": created_days}
            )
        if created_days:
            session.execute(_REBUILD_DAILY, {"days": created_days, "tz": tz})
            session.execute(_REBUILD_PRODUCTS, {"days": created_days, "tz": tz})
        rebuild_months(session, created_days, every_month=all_days)
        rebuild_shipped_days(session, settings, shipped_days)
        uow.commit()
    days = sorted(set(created_days) | set(shipped_days))
    if len(days) > BIG_REFRESH_DAYS:
        # Fresh statistics (or the planner reads months of aggregates as if the tables were empty) and a
        # visibility map (the dashboard reads the product sales by index-only scans).
        with uow:
            engine = uow.session.get_bind()
        assert isinstance(engine, Engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                text(
                    "VACUUM (ANALYZE) kpi_daily, kpi_daily_products, kpi_monthly_products, kpi_product_totals,"
                    " kpi_daily_shipped"
                )
            )
    return RefreshResult(
        len(days), min(days) if days else None, max(days) if days else None, time.perf_counter() - started
    )
