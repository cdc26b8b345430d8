"""Each figure of the dashboard as one set-based query (``dashboard.py`` runs them in one snapshot).

Orders, values and products sold come from the daily aggregates (``kpi_daily*``) for the days no order
changed since the last refresh, and from the orders themselves for the marked days, in one statement.
Fulfilment times and lateness come the same way from ``kpi_daily_shipped`` (exact: each day keeps the
working seconds of every order shipped that day). The backlog is read from the open orders through their
covering index and turned into working time by joining each moment's local day to ``kpi_calendar``
(rules in ``domain/kpi.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
from rexbit_desktop.services.kpi.totals import whole_month_terms

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


def whole_months(period: Period, dirty: set[date]) -> tuple[list[date], list[date]]:
    """The calendar months wholly inside the period with no day marked since the refresh (read from the
    running totals), and the period's other unmarked days (read from ``kpi_daily_products``)."""
    months: list[date] = []
    days: list[date] = []
    day = period.first
    while day <= period.last:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_days = [day + timedelta(days=i) for i in range((following - day).days)]
        if day.day == 1 and following - timedelta(days=1) <= period.last and not dirty & set(month_days):
            months.append(day)
        else:
            days.extend(d for d in month_days if d <= period.last and d not in dirty)
        day = following
    return months, days


def top_products(
    session: Session,
    flt: KpiFilter,
    tz: str,
    period: Period,
    *,
    limit: int = TOP_PRODUCTS,
    monthly: bool = True,
) -> tuple[list[ProductSales], list[ProductSales]]:
    """Top products by units and by value. Unfiltered, runs of whole clean months come from the running
    totals of the monthly rollup, two rows per SKU (``monthly=False``: every day from the daily rows, the
    reference the tests compare with)."""
    params: dict[str, Any] = {"d0": period.first, "d1": period.last, "tz": tz, "top": limit}
    dirty = set(
        session.execute(
            text("SELECT DISTINCT day FROM kpi_dirty_marks WHERE kind = 'c' AND day BETWEEN :d0 AND :d1"),
            params,
        ).scalars()
    )
    months, days = whole_months(period, dirty)
    if not monthly or flt.integration_ids or flt.warehouse_ids:  # (the rollup has no source or warehouse)
        days, months = [d for d in period.each_day() if d not in dirty], []
    t_months, t_signs = whole_month_terms(session, months)
    params.update({"t_months": t_months, "t_signs": t_signs, "days": days})
    agg = aggregate_filters(flt, params)
    live_part = ""
    if dirty:
        # One range of created_at per marked day, written out so that the planner sees how few orders
        # they hold (and reads their lines by index, not the whole order_items).
        ranges = " OR ".join(
            f"(o.created_at >= (CAST(:live_{i} AS date)::timestamp AT TIME ZONE :tz)"
            f" AND o.created_at < ((CAST(:live_{i} AS date) + 1)::timestamp AT TIME ZONE :tz))"
            for i in range(len(dirty))
        )
        params.update({f"live_{i}": day for i, day in enumerate(sorted(dirty))})
        live_part = f"""
                UNION ALL
                SELECT coalesce(i.sku, ''), i.quantity,
                       CASE WHEN o.currency = 'PLN' THEN i.quantity * i.price_gross ELSE 0 END, 1
                FROM orders o JOIN order_items i ON i.order_id = o.id
                WHERE ({ranges}) AND o.status NOT IN ('cancelled', 'returned') {order_filters(flt, "o", params)}
        """
    sql = f"""
        WITH sold AS (
            SELECT sku, sum(units) AS units, sum(gross) AS gross FROM (
                -- (n: an int, so that its sum stays a bigint: summing into numeric would cost as much as the rest)
                SELECT t.sku, r.sign * t.units AS units, r.sign * t.gross_pln AS gross, (r.sign * t.day_rows)::int AS n
                FROM unnest(CAST(:t_months AS date[]), CAST(:t_signs AS int[])) AS r (month, sign)
                JOIN kpi_product_totals t ON t.month = r.month
                UNION ALL
                SELECT a.sku, a.units, a.gross_pln, 1 FROM kpi_daily_products a
                WHERE a.day = ANY(CAST(:days AS date[])) {agg}
{live_part}
            ) x GROUP BY sku
            HAVING sum(n) > 0  -- (sold in the period: whole-month totals of other SKUs cancel out)
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
    """Open orders by status and age bucket, and how many are late now.

    Working time only grows with time, so "older than k working days" and "past the ship-by date" are
    each one moment on the calendar: the backlog compares every open order's start with a few moments
    found once on ``kpi_calendar`` (``backlog_moments_sql``) instead of timing each order. The result is
    the same as timing each order (``open_orders_sql``, which the click-through lists use); a test holds
    the two equal across weekends, a holiday and a change of clocks.
    """
    params: dict[str, Any] = {}
    moments = backlog_moments_sql(settings, now, params)
    filters = order_filters(flt, "o", params)
    buckets = " ".join(
        f"WHEN x.b >= m.age_{i} THEN '{label}'" for i, (label, _, upper) in enumerate(AGE_BUCKETS) if upper
    )
    per_carrier = bool(settings.carrier_handling_days)
    # Carriers with their own handling days have their own "late from" moment; the rest share the default.
    late_at = "coalesce(hl.late_at, m.late_at)" if per_carrier else "m.late_at"
    carriers = (
        "LEFT JOIN handling_late hl ON hl.method = lower(btrim(o.delivery_method))" if per_carrier else ""
    )
    sql = f"""
        WITH {moments},
        open_orders AS (
            SELECT o.status, o.ready_at IS NOT NULL AS ready,
                   coalesce(o.ready_at, o.created_at) AT TIME ZONE :tz AS b, {late_at} AS late_at
            FROM orders o CROSS JOIN moments m {carriers}
            WHERE o.status IN ({_OPEN_SQL}) {filters}
            OFFSET 0  -- (each order's local start computed once, not in every comparison below)
        )
        SELECT x.status, CASE {buckets} ELSE '{AGE_BUCKETS[-1][0]}' END AS bucket, count(*),
               count(*) FILTER (WHERE x.ready AND x.b < x.late_at)
        FROM open_orders x CROSS JOIN moments m
        WHERE x.b >= m.first_day AND x.b < m.after_last_day  -- (the calendar's days, as the join of the reference)
        GROUP BY 1, 2
    """
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


def backlog_moments_sql(settings: KpiSettings, now: datetime, params: dict[str, Any]) -> str:
    """CTEs ``handling``, ``present``, ``moments`` (one row) and ``handling_late``: local moments that
    split the open orders by their start (ready, or created) ``b``.

    * ``age_i``: the first moment whose working clock is past ``present.clock - upper_i`` working days.
      The clock only grows, so an order is younger than ``upper_i`` days exactly when ``b >= age_i``: on
      the working day holding clock value X, the clock passes X at ``work_start + (X - cum_work_s) + 1``
      seconds (the clock counts whole seconds).
    * ``late_at``: the first moment whose effective working day reaches ``present.eff - handling days``;
      a ready order is late exactly when ``b < late_at`` (the effective day only grows too).
    """
    params.update({"tz": settings.timezone, "now": now, "day_s": settings.day_seconds})
    local_now = "(CAST(:now AS timestamptz) AT TIME ZONE :tz)"
    ages = ",".join(
        f"""
                   (SELECT coalesce(
                        (SELECT c.day + make_interval(secs => c.work_start_s + (x.v - c.cum_work_s) + 1)
                         FROM kpi_calendar c
                         WHERE c.working AND c.cum_work_s <= x.v
                           AND x.v < c.cum_work_s + c.work_end_s - c.work_start_s),
                        CASE WHEN x.v < 0 THEN '-infinity'::timestamp ELSE 'infinity'::timestamp END)
                    FROM (SELECT floor(p.clock - {float(upper)} * :day_s)::bigint AS v) x) AS age_{i}"""
        for i, (_, _, upper) in enumerate(AGE_BUCKETS)
        if upper is not None
    )

    def late_from(hd: str) -> str:
        return f"""(SELECT coalesce(min(CASE WHEN c.work_day_no >= p.eff - {hd} OR NOT c.working THEN c.day::timestamp
                                        ELSE c.day + make_interval(secs => c.work_end_s) END), 'infinity')
                   FROM kpi_calendar c WHERE c.work_day_no + 1 >= p.eff - {hd})"""

    return f"""
        {handling_cte(settings, params)},
        present AS (
            SELECT {clock("c", secs(local_now))} AS clock, {eff_day("c", secs(local_now))} AS eff
            FROM kpi_calendar c WHERE c.day = {local_now}::date
        ),
        moments AS (
            SELECT {ages},
                   {late_from(":h_default")} AS late_at,
                   (SELECT min(day)::timestamp FROM kpi_calendar) AS first_day,
                   (SELECT max(day) + 1 FROM kpi_calendar)::timestamp AS after_last_day
            FROM present p
        ),
        handling_late AS (
            SELECT h.method, {late_from("h.days")} AS late_at FROM handling h CROSS JOIN present p
        )
    """


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
