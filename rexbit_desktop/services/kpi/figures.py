"""Each figure of the dashboard as one set-based query (``dashboard.py`` runs them in one snapshot).

Orders, values and products sold come from the daily aggregates (``kpi_daily*``) for the days no order
changed since the last refresh, and from the orders themselves for the marked days, in one statement.
Fulfilment times and lateness come the same way from ``kpi_daily_shipped`` (exact: each day keeps the
working seconds of every order shipped that day). The backlog is read from the open orders through their
covering index and turned into working time by joining each moment's local day to ``kpi_calendar``
(rules in ``domain/kpi.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from rexbit_desktop.domain.kpi import AGE_BUCKETS, BACKLOG_STATUSES, RESERVING_STATUSES, KpiSettings, Period
from rexbit_desktop.services.kpi.dto import (
    BacklogCell,
    DayPoint,
    HealthRow,
    KpiFilter,
    ProductSales,
    ShortProduct,
    Totals,
    WarehouseValue,
)
from rexbit_desktop.services.kpi.sql import (
    aggregate_filters,
    clock,
    eff_day,
    handling_cte,
    order_filters,
    secs,
    shipped_timed_ctes,
)

TOP_PRODUCTS = 10
TOP_SHORT = 20


# Days of [d0, d1] whose aggregates may be stale: read live from the orders of those days.
_DIRTY = "dirty AS (SELECT DISTINCT day FROM kpi_dirty_marks WHERE kind = 'c' AND day BETWEEN :d0 AND :d1)"
_LIVE_ORDERS = """
    FROM dirty d
    JOIN orders o ON o.created_at >= (d.day::timestamp AT TIME ZONE :tz)
                 AND o.created_at < ((d.day + 1)::timestamp AT TIME ZONE :tz)
"""


def per_day(
    session: Session, flt: KpiFilter, tz: str, first: date, last: date
) -> dict[date, tuple[int, Decimal, int]]:
    params: dict[str, Any] = {"d0": first, "d1": last, "tz": tz}
    agg = aggregate_filters(flt, params)
    live = order_filters(flt, "o", params)
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


def series(period: Period, days: dict[date, tuple[int, Decimal, int]]) -> tuple[list[DayPoint], Totals]:
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


def top_products(
    session: Session, flt: KpiFilter, tz: str, period: Period
) -> tuple[list[ProductSales], list[ProductSales]]:
    params: dict[str, Any] = {"d0": period.first, "d1": period.last, "tz": tz, "top": TOP_PRODUCTS}
    agg = aggregate_filters(flt, params)
    live = order_filters(flt, "o", params)
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


def fulfilment(
    session: Session, settings: KpiSettings, flt: KpiFilter, period: Period
) -> tuple[int, int, float | None, float | None]:
    """Shipped, late, median and p90 working hours of the orders shipped on the period's days: from
    ``kpi_daily_shipped`` for unmarked days, timed live for the days marked since the last refresh."""
    params: dict[str, Any] = {"d0": period.first, "d1": period.last}
    live = order_filters(flt, "o", params)
    agg = aggregate_filters(flt, params)
    sql = f"""
        WITH dirty_shipped AS (
            SELECT DISTINCT day FROM kpi_dirty_marks WHERE kind = 's' AND day BETWEEN :d0 AND :d1
        ),
        {shipped_timed_ctes(settings, params, "dirty_shipped", live)},
        parts AS (
            SELECT a.shipped, a.late, a.work_s FROM kpi_daily_shipped a
            WHERE a.day BETWEEN :d0 AND :d1 AND a.day NOT IN (SELECT day FROM dirty_shipped) {agg}
            UNION ALL
            SELECT count(*)::int, (count(*) FILTER (WHERE late))::int, coalesce(array_agg(work_s), '{{}}')
            FROM timed
        )
        SELECT (SELECT coalesce(sum(shipped), 0) FROM parts), (SELECT coalesce(sum(late), 0) FROM parts),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY w) / 3600.0,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY w) / 3600.0
        FROM parts, unnest(parts.work_s) AS w
    """
    row = session.execute(text(sql), params).one()
    median = round(float(row[2]), 2) if row[2] is not None else None
    p90 = round(float(row[3]), 2) if row[3] is not None else None
    return int(row[0]), int(row[1]), median, p90


# Written out (constants, not input) so that the planner matches the partial index ix_orders_kpi_open.
_OPEN_SQL = ", ".join(f"'{s}'" for s in BACKLOG_STATUSES)


def open_orders_sql(settings: KpiSettings, flt: KpiFilter, now: datetime, params: dict[str, Any]) -> str:
    """Open orders (the backlog) with their age in working days and whether they are late now."""
    params.update({"tz": settings.timezone, "now": now, "day_s": settings.day_seconds})
    filters = order_filters(flt, "o", params)
    return f"""
        WITH {handling_cte(settings, params)},
        open_orders AS (
            SELECT o.id, o.status, o.ready_at IS NOT NULL AS ready,
                   coalesce(o.ready_at, o.created_at) AT TIME ZONE :tz AS b,
                   coalesce(h.days, :h_default) AS hd
            FROM orders o LEFT JOIN handling h ON h.method = lower(btrim(o.delivery_method))
            WHERE o.status IN ({_OPEN_SQL}) {filters}
        ),
        present AS (
            SELECT {clock("c", secs("(CAST(:now AS timestamptz) AT TIME ZONE :tz)"))} AS clock,
                   {eff_day("c", secs("(CAST(:now AS timestamptz) AT TIME ZONE :tz)"))} AS eff
            FROM kpi_calendar c WHERE c.day = (CAST(:now AS timestamptz) AT TIME ZONE :tz)::date
        ),
        timed AS (
            SELECT x.id, x.status, x.ready, x.hd, p.clock, p.eff, cb.*, {secs("x.b")} AS secs
            FROM open_orders x CROSS JOIN present p
            JOIN kpi_calendar cb ON cb.day = x.b::date
        ),
        aged AS (
            -- Age counts from ready (or creation); only a ready order has a ship-by date.
            SELECT id, status,
                   (clock - {clock("timed", "secs")})::float / :day_s AS age_days,
                   ready AND eff > {eff_day("timed", "secs")} + hd AS late
            FROM timed
        )
    """


def backlog(
    session: Session, settings: KpiSettings, flt: KpiFilter, now: datetime
) -> tuple[list[BacklogCell], int, int]:
    params: dict[str, Any] = {}
    buckets = " ".join(
        f"WHEN age_days < {upper} THEN '{label}'" for label, _, upper in AGE_BUCKETS if upper is not None
    )
    last = AGE_BUCKETS[-1][0]
    sql = (
        open_orders_sql(settings, flt, now, params)
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


def reservation(session: Session, flt: KpiFilter) -> tuple[int, int]:
    params: dict[str, Any] = {"reserving": list(RESERVING_STATUSES)}
    filters = order_filters(flt, "o", params)
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


def short_products(session: Session, flt: KpiFilter) -> list[ShortProduct]:
    params: dict[str, Any] = {"top": TOP_SHORT}
    filters = order_filters(flt, "o", params)
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


def stock_value(session: Session, flt: KpiFilter) -> list[WarehouseValue]:
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


def health(session: Session, start: datetime, end: datetime) -> list[HealthRow]:
    return [
        HealthRow(name, kind, status, finished, int(runs), int(failures))
        for name, kind, status, finished, runs, failures in session.execute(_HEALTH, {"t0": start, "t1": end})
    ]
