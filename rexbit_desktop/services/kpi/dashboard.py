"""Every figure of the KPI dashboard for a period, computed set-based in PostgreSQL.

Orders, values and products sold come from the daily aggregates (``kpi_daily*``) for the days no
order changed since the last refresh, and from the orders themselves for the marked days, in one
statement (one snapshot), so figures are exact at any moment. Fulfilment times, lateness and the
backlog are read from the orders through their indexes (``shipped_at``; status) and turned into
working time by joining each moment's local day to ``kpi_calendar`` (rules in ``domain/kpi.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.kpi import (
    AGE_BUCKETS,
    BACKLOG_STATUSES,
    RESERVING_STATUSES,
    KpiSettings,
    Period,
)
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.kpi.calendar import ensure_calendar
from rexbit_desktop.services.kpi.settings import load_kpi_settings

TOP_PRODUCTS = 10
TOP_SHORT = 20


@dataclass(frozen=True)
class KpiFilter:
    """Empty = all. ``integration_ids`` 0 = orders typed in by hand; ``warehouse_ids`` 0 = none set."""

    integration_ids: tuple[int, ...] = ()
    warehouse_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DayPoint:
    day: date
    orders: int
    gross: Decimal


@dataclass(frozen=True)
class BacklogCell:
    status: str
    bucket: str
    orders: int


@dataclass(frozen=True)
class ShortProduct:
    sku: str
    name: str
    units: Decimal


@dataclass(frozen=True)
class WarehouseValue:
    code: str
    name: str
    units: Decimal
    value: Decimal
    unpriced_products: int


@dataclass(frozen=True)
class ProductSales:
    sku: str
    name: str
    units: Decimal
    gross: Decimal


@dataclass(frozen=True)
class HealthRow:
    integration: str
    kind: str
    """``sync`` (shop) or ``import`` (feed)."""
    last_status: str | None
    last_finished_at: datetime | None
    runs_in_period: int
    failures_in_period: int


@dataclass(frozen=True)
class Totals:
    orders: int
    gross: Decimal
    returns: int

    @property
    def average(self) -> Decimal | None:
        return (self.gross / self.orders).quantize(Decimal("0.01")) if self.orders else None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    computed_at: datetime
    current: Totals
    previous: Totals
    per_day: list[DayPoint]
    previous_per_day: list[DayPoint]
    shipped: int
    late: int
    fulfilment_median_h: float | None
    fulfilment_p90_h: float | None
    late_now: int
    open_orders: int
    backlog: list[BacklogCell]
    reservation_lines: int
    reserved_lines: int
    short_products: list[ShortProduct]
    stock_value: list[WarehouseValue]
    top_by_units: list[ProductSales]
    top_by_value: list[ProductSales]
    health: list[HealthRow]
    filters: KpiFilter = field(default_factory=KpiFilter)

    @property
    def late_pct(self) -> float | None:
        return round(100.0 * self.late / self.shipped, 1) if self.shipped else None

    @property
    def reservation_pct(self) -> float | None:
        return (
            round(100.0 * self.reserved_lines / self.reservation_lines, 1) if self.reservation_lines else None
        )

    def backlog_count(self, status: str | None = None, bucket: str | None = None) -> int:
        return sum(
            c.orders
            for c in self.backlog
            if (status is None or c.status == status) and (bucket is None or c.bucket == bucket)
        )


@dataclass(frozen=True)
class OperatorDay:
    """What one user did today: status changes by target status, WZ documents issued."""

    login: str
    day: date
    status_changes: dict[str, int]
    wz_issued: int


# ---------------------------------------------------------------- SQL pieces


def _order_filters(flt: KpiFilter, alias: str, params: dict[str, Any]) -> str:
    sql = ""
    if flt.integration_ids:
        params["f_integrations"] = list(flt.integration_ids)
        sql += f" AND coalesce({alias}.integration_id, 0) = ANY(:f_integrations)"
    if flt.warehouse_ids:
        params["f_warehouses"] = list(flt.warehouse_ids)
        sql += f" AND coalesce({alias}.warehouse_id, 0) = ANY(:f_warehouses)"
    return sql


def _aggregate_filters(flt: KpiFilter, params: dict[str, Any]) -> str:
    sql = ""
    if flt.integration_ids:
        params["f_integrations"] = list(flt.integration_ids)
        sql += " AND a.integration_id = ANY(:f_integrations)"
    if flt.warehouse_ids:
        params["f_warehouses"] = list(flt.warehouse_ids)
        sql += " AND a.warehouse_id = ANY(:f_warehouses)"
    return sql


# Days of [d0, d1] whose aggregates may be stale: read live from the orders of those days.
_DIRTY = "dirty AS (SELECT DISTINCT day FROM kpi_dirty_marks WHERE day BETWEEN :d0 AND :d1)"
_LIVE_ORDERS = """
    FROM dirty d
    JOIN orders o ON o.created_at >= (d.day::timestamp AT TIME ZONE :tz)
                 AND o.created_at < ((d.day + 1)::timestamp AT TIME ZONE :tz)
"""


def _per_day(
    session: Session, flt: KpiFilter, tz: str, first: date, last: date
) -> dict[date, tuple[int, Decimal, int]]:
    params: dict[str, Any] = {"d0": first, "d1": last, "tz": tz}
    agg = _aggregate_filters(flt, params)
    live = _order_filters(flt, "o", params)
    sql = f"""
        WITH {_DIRTY}
        SELECT day, sum(orders)::bigint, sum(gross), sum(returned)::bigint FROM (
            SELECT a.day, a.orders, a.gross_pln AS gross, a.returned FROM kpi_daily a
            WHERE a.day BETWEEN :d0 AND :d1 AND a.day NOT IN (SELECT day FROM dirty) {agg}
            UNION ALL
            SELECT d.day,
                   count(*) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')),
                   coalesce(sum(o.total_gross) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')
                                                        AND o.currency = 'PLN'), 0),
                   count(*) FILTER (WHERE o.status = 'returned')
            {_LIVE_ORDERS}
            WHERE true {live}
            GROUP BY d.day
        ) x GROUP BY day
    """
    return {
        r[0]: (int(r[1] or 0), Decimal(r[2] or 0), int(r[3] or 0)) for r in session.execute(text(sql), params)
    }


def _series(period: Period, days: dict[date, tuple[int, Decimal, int]]) -> tuple[list[DayPoint], Totals]:
    points = []
    orders = returns = 0
    gross = Decimal(0)
    for day in period.each_day():
        n, value, returned = days.get(day, (0, Decimal(0), 0))
        points.append(DayPoint(day, n, value.quantize(Decimal("0.01"))))
        orders += n
        gross += value
        returns += returned
    return points, Totals(orders, gross.quantize(Decimal("0.01")), returns)


def _top_products(
    session: Session, flt: KpiFilter, tz: str, period: Period
) -> tuple[list[ProductSales], list[ProductSales]]:
    params: dict[str, Any] = {"d0": period.first, "d1": period.last, "tz": tz, "top": TOP_PRODUCTS}
    agg = _aggregate_filters(flt, params)
    live = _order_filters(flt, "o", params)
    sql = f"""
        WITH {_DIRTY},
        sold AS (
            SELECT sku, sum(units) AS units, sum(gross) AS gross FROM (
                SELECT a.sku, a.units, a.gross_pln AS gross FROM kpi_daily_products a
                WHERE a.day BETWEEN :d0 AND :d1 AND a.day NOT IN (SELECT day FROM dirty) {agg}
                UNION ALL
                SELECT coalesce(i.sku, ''), i.quantity,
                       CASE WHEN o.currency = 'PLN' THEN i.quantity * i.price_gross ELSE 0 END
                {_LIVE_ORDERS}
                JOIN order_items i ON i.order_id = o.id
                WHERE o.status NOT IN ('cancelled', 'returned') {live}
            ) x GROUP BY sku
        ),
        top AS (
            (SELECT 'units' AS kind, sku, units, gross FROM sold ORDER BY units DESC, sku LIMIT :top)
            UNION ALL
            (SELECT 'value', sku, units, gross FROM sold ORDER BY gross DESC, sku LIMIT :top)
        )
        SELECT t.kind, t.sku,
               coalesce((SELECT p.name FROM products p WHERE upper(btrim(p.sku)) = upper(btrim(t.sku)) LIMIT 1),
                        (SELECT i.name FROM order_items i WHERE i.sku = t.sku LIMIT 1), t.sku),
               t.units, t.gross
        FROM top t
        ORDER BY t.kind, CASE WHEN t.kind = 'units' THEN t.units ELSE t.gross END DESC, t.sku
    """
    by_units: list[ProductSales] = []
    by_value: list[ProductSales] = []
    for kind, sku, name, units, gross in session.execute(text(sql), params):
        row = ProductSales(sku, name, Decimal(units), Decimal(gross).quantize(Decimal("0.01")))
        (by_units if kind == "units" else by_value).append(row)
    return by_units, by_value


# Working time of a local timestamp ``ts`` against its calendar row ``c`` (see domain/kpi.py).
def _clock(c: str, secs: str) -> str:
    return (
        f"({c}.cum_work_s + CASE WHEN {c}.working THEN"
        f" least(greatest({secs} - {c}.work_start_s, 0), {c}.work_end_s - {c}.work_start_s) ELSE 0 END)"
    )


def _eff_day(c: str, secs: str) -> str:
    return f"({c}.work_day_no + CASE WHEN NOT {c}.working OR {secs} >= {c}.work_end_s THEN 1 ELSE 0 END)"


def _secs(local: str) -> str:
    return f"floor(extract(epoch FROM ({local})::time))::int"


def _handling(settings: KpiSettings, params: dict[str, Any]) -> str:
    params["h_methods"] = list(settings.carrier_handling_days)
    params["h_days"] = list(settings.carrier_handling_days.values())
    params["h_default"] = settings.handling_days
    return "handling AS (SELECT * FROM unnest(CAST(:h_methods AS text[]), CAST(:h_days AS int[])) AS h (method, days))"


def _fulfilment(
    session: Session, settings: KpiSettings, flt: KpiFilter, start: datetime, end: datetime
) -> tuple[int, int, float | None, float | None]:
    params: dict[str, Any] = {"t0": start, "t1": end, "tz": settings.timezone}
    filters = _order_filters(flt, "o", params)
    sql = f"""
        WITH {_handling(settings, params)},
        shipped AS (
            SELECT o.ready_at AT TIME ZONE :tz AS r, o.shipped_at AT TIME ZONE :tz AS s,
                   coalesce(h.days, :h_default) AS hd
            FROM orders o LEFT JOIN handling h ON h.method = lower(btrim(o.delivery_method))
            WHERE o.shipped_at >= :t0 AND o.shipped_at < :t1
              AND o.ready_at IS NOT NULL AND o.ready_at <= o.shipped_at {filters}
        ),
        timed AS (
            SELECT {_clock("cs", _secs("x.s"))} - {_clock("cr", _secs("x.r"))} AS work_s,
                   {_eff_day("cs", _secs("x.s"))} > {_eff_day("cr", _secs("x.r"))} + x.hd AS late
            FROM shipped x
            JOIN kpi_calendar cr ON cr.day = x.r::date
            JOIN kpi_calendar cs ON cs.day = x.s::date
        )
        SELECT count(*), count(*) FILTER (WHERE late),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY work_s) / 3600.0,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY work_s) / 3600.0
        FROM timed
    """
    row = session.execute(text(sql), params).one()
    median = round(float(row[2]), 2) if row[2] is not None else None
    p90 = round(float(row[3]), 2) if row[3] is not None else None
    return int(row[0]), int(row[1]), median, p90


# Written out (constants, not input) so that the planner matches the partial index ix_orders_kpi_open.
_OPEN_SQL = ", ".join(f"'{s}'" for s in BACKLOG_STATUSES)


def _open_orders_sql(settings: KpiSettings, flt: KpiFilter, now: datetime, params: dict[str, Any]) -> str:
    """Open orders (the backlog) with their age in working days and whether they are late now."""
    params.update({"tz": settings.timezone, "now": now, "day_s": settings.day_seconds})
    filters = _order_filters(flt, "o", params)
    return f"""
        WITH {_handling(settings, params)},
        open_orders AS (
            SELECT o.id, o.status, o.ready_at AT TIME ZONE :tz AS r,
                   coalesce(o.ready_at, o.created_at) AT TIME ZONE :tz AS b,
                   coalesce(h.days, :h_default) AS hd
            FROM orders o LEFT JOIN handling h ON h.method = lower(btrim(o.delivery_method))
            WHERE o.status IN ({_OPEN_SQL}) {filters}
        ),
        present AS (
            SELECT {_clock("c", _secs("(CAST(:now AS timestamptz) AT TIME ZONE :tz)"))} AS clock,
                   {_eff_day("c", _secs("(CAST(:now AS timestamptz) AT TIME ZONE :tz)"))} AS eff
            FROM kpi_calendar c WHERE c.day = (CAST(:now AS timestamptz) AT TIME ZONE :tz)::date
        ),
        aged AS (
            SELECT x.id, x.status,
                   (p.clock - {_clock("cb", _secs("x.b"))})::float / :day_s AS age_days,
                   x.r IS NOT NULL AND p.eff > {_eff_day("cr", _secs("x.r"))} + x.hd AS late
            FROM open_orders x CROSS JOIN present p
            JOIN kpi_calendar cb ON cb.day = x.b::date
            LEFT JOIN kpi_calendar cr ON cr.day = x.r::date
        )
    """


def _backlog(
    session: Session, settings: KpiSettings, flt: KpiFilter, now: datetime
) -> tuple[list[BacklogCell], int, int]:
    params: dict[str, Any] = {}
    buckets = " ".join(
        f"WHEN age_days < {upper} THEN '{label}'" for label, _, upper in AGE_BUCKETS if upper is not None
    )
    last = AGE_BUCKETS[-1][0]
    sql = (
        _open_orders_sql(settings, flt, now, params)
        + f"""
        SELECT status, CASE {buckets} ELSE '{last}' END AS bucket, count(*), count(*) FILTER (WHERE late)
        FROM aged GROUP BY 1, 2
    """
    )
    cells = []
    late = total = 0
    order = {s: i for i, s in enumerate(BACKLOG_STATUSES)}
    labels = [b[0] for b in AGE_BUCKETS]
    for status, bucket, n, n_late in session.execute(text(sql), params):
        cells.append(BacklogCell(status, bucket, int(n)))
        total += int(n)
        late += int(n_late)
    cells.sort(key=lambda c: (order.get(c.status, 99), labels.index(c.bucket)))
    return cells, total, late


def _reservation(session: Session, flt: KpiFilter) -> tuple[int, int]:
    params: dict[str, Any] = {"reserving": list(RESERVING_STATUSES)}
    filters = _order_filters(flt, "o", params)
    sql = f"""
        SELECT count(*), count(*) FILTER (WHERE coalesce(r.qty, 0) >= l.quantity) FROM (
            SELECT i.id, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id
            WHERE o.status = ANY(CAST(:reserving AS text[])) AND i.product_id IS NOT NULL {filters}
        ) l
        LEFT JOIN LATERAL (
            SELECT sum(reserved_qty - released_qty) AS qty FROM order_item_reservations r
            WHERE r.order_item_id = l.id AND r.status <> 'released'
        ) r ON true
    """
    row = session.execute(text(sql), params).one()
    return int(row[0]), int(row[1])


def _short_products(session: Session, flt: KpiFilter) -> list[ShortProduct]:
    params: dict[str, Any] = {"top": TOP_SHORT}
    filters = _order_filters(flt, "o", params)
    sql = f"""
        SELECT p.sku, p.name, sum(s.missing_qty) AS units
        FROM order_item_shortages s JOIN products p ON p.id = s.product_id JOIN orders o ON o.id = s.order_id
        WHERE s.status = 'open' {filters}
        GROUP BY p.sku, p.name ORDER BY units DESC, p.sku LIMIT :top
    """
    return [
        ShortProduct(sku, name, Decimal(units)) for sku, name, units in session.execute(text(sql), params)
    ]


_STOCK_VALUE = text(
    r"""
    WITH stock AS (
        SELECT t.product_id, t.warehouse_id, t.on_hand FROM warehouse_stock_totals t WHERE t.on_hand > 0
    ),
    last_pz AS (
        SELECT DISTINCT ON (i.product_id) i.product_id, i.price_net
        FROM warehouse_document_items i JOIN warehouse_documents d ON d.id = i.document_id
        WHERE d.type = 'PZ' AND d.status = 'posted' AND i.price_net IS NOT NULL
          AND i.product_id IN (SELECT product_id FROM stock)
        ORDER BY i.product_id, d.posted_at DESC NULLS LAST, d.id DESC, i.id DESC
    ),
    offer AS (
        SELECT l.product_id, min((l.supplier_availability ->> 'purchase_price')::numeric) AS price
        FROM integration_product_links l
        WHERE l.product_id IN (SELECT product_id FROM stock)
          AND (l.supplier_availability ->> 'purchase_price') ~ '^[0-9]+(\.[0-9]+)?$'
        GROUP BY l.product_id
    )
    SELECT w.code, w.name, coalesce(sum(s.on_hand), 0),
           coalesce(sum(s.on_hand * coalesce(pz.price_net, f.price)), 0),
           count(s.product_id) FILTER (WHERE coalesce(pz.price_net, f.price) IS NULL)
    FROM warehouses w
    LEFT JOIN stock s ON s.warehouse_id = w.id
    LEFT JOIN last_pz pz ON pz.product_id = s.product_id
    LEFT JOIN offer f ON f.product_id = s.product_id
    WHERE cardinality(CAST(:warehouses AS bigint[])) = 0 OR w.id = ANY(CAST(:warehouses AS bigint[]))
    GROUP BY w.id, w.code, w.name ORDER BY w.code
    """
)


def _stock_value(session: Session, flt: KpiFilter) -> list[WarehouseValue]:
    rows = session.execute(_STOCK_VALUE, {"warehouses": [w for w in flt.warehouse_ids if w]})
    return [
        WarehouseValue(code, name, Decimal(units), Decimal(value).quantize(Decimal("0.01")), int(unpriced))
        for code, name, units, value, unpriced in rows
    ]


_HEALTH = text(
    """
    SELECT i.name, 'sync' AS kind,
           (SELECT r.status FROM sync_runs r WHERE r.integration_id = i.id ORDER BY r.started_at DESC LIMIT 1),
           (SELECT r.finished_at FROM sync_runs r WHERE r.integration_id = i.id ORDER BY r.started_at DESC LIMIT 1),
           (SELECT count(*) FROM sync_runs r WHERE r.integration_id = i.id
              AND r.started_at >= :t0 AND r.started_at < :t1),
           (SELECT count(*) FROM sync_runs r WHERE r.integration_id = i.id AND r.status = 'failed'
              AND r.started_at >= :t0 AND r.started_at < :t1)
    FROM integrations i WHERE i.type = 'prestashop_db'
    UNION ALL
    SELECT i.name, 'import',
           (SELECT r.status FROM import_runs r WHERE r.integration_id = i.id ORDER BY r.started_at DESC LIMIT 1),
           (SELECT r.finished_at FROM import_runs r WHERE r.integration_id = i.id ORDER BY r.started_at DESC LIMIT 1),
           (SELECT count(*) FROM import_runs r WHERE r.integration_id = i.id
              AND r.started_at >= :t0 AND r.started_at < :t1),
           (SELECT count(*) FROM import_runs r WHERE r.integration_id = i.id AND r.status = 'failed'
              AND r.started_at >= :t0 AND r.started_at < :t1)
    FROM integrations i WHERE i.type = 'supplier_feed'
    ORDER BY 1, 2
    """
)


def _health(session: Session, start: datetime, end: datetime) -> list[HealthRow]:
    return [
        HealthRow(name, kind, status, finished, int(runs), int(failures))
        for name, kind, status, finished, runs, failures in session.execute(_HEALTH, {"t0": start, "t1": end})
    ]


# ---------------------------------------------------------------- use cases


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
        previous = period.previous()
        start, end = period.bounds(zone)
        days = _per_day(session, flt, settings.timezone, previous.first, period.last)
        per_day, current = _series(period, days)
        previous_per_day, previous_totals = _series(previous, days)
        shipped, late, median, p90 = _fulfilment(session, settings, flt, start, end)
        backlog, open_orders, late_now = _backlog(session, settings, flt, moment)
        lines, reserved = _reservation(session, flt)
        short = _short_products(session, flt)
        stock_value = _stock_value(session, flt)
        by_units, by_value = _top_products(session, flt, settings.timezone, period)
        health = _health(session, start, end)
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
        sql = _open_orders_sql(settings, flt, moment, params) + (
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
    return OperatorDay(actor.login, moment.date(), changes, int(wz))
