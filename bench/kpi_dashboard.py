"""Benchmark: the KPI dashboard's queries on 1,000,000 orders (the orders list benchmark's data).

    .venv/bin/python bench/kpi_dashboard.py [--admin-url URL] [--orders 1000000] [--runs 5] [--fresh] [--drop]
                                            [--keep-aggregates]

Reuses (or creates) the scratch database of ``bench/orders_list.py`` (``rexbit_bench_orders``: 1M orders
over 2.8 years, 2M order lines), gives its shipped and open orders ready/shipped moments (0.5–6 h after
creation, 1–60 h to ship), builds the daily aggregates once (``refresh_kpi(all_days=True)``, timed) and
times ``compute_dashboard`` — everything the Pulpit view waits for — for the last 30 days and the last 12
months of the data, p50 and worst of ``--runs`` after one warm-up, with each part's share.

Naive baselines in the same run:
* the same day figures and top products read from the orders and their lines (no daily aggregates);
* fulfilment times computed in Python, order by order, with the reference ``WorkCalendar``;
* in the breakdown, each fast path against the plain one it replaces, alternated (ABBA): top products
  from the daily rows only (no monthly rollup), and the backlog timing each open order.

Exits 1 when the 30-day dashboard is over 500 ms or the 12-month one over 1 s (p50).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from orders_list import DB_NAME, _conninfo, prepare
from sqlalchemy import text

from rexbit_desktop.db.session import open_database
from rexbit_desktop.domain.kpi import Period, WorkCalendar
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services import kpi
from rexbit_desktop.services.kpi import figures as parts
from rexbit_desktop.services.kpi.settings import load_kpi_settings

MANAGER = Actor(login="bench", role=Role.MANAGER)
TARGETS = {"30 days": 0.5, "12 months": 1.0}


def milestones(url: str) -> None:
    """Ready and shipped moments for the generated orders (the generator writes statuses only)."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        done = conn.execute("SELECT count(*) FROM orders WHERE ready_at IS NOT NULL").fetchone()
        if done and done[0] > 0:
            print(f"reusing ready/shipped moments of {done[0]:,} orders")
            return
        t0 = time.perf_counter()
        conn.execute("SET session_replication_role = replica")  # no KPI marks: the refresh rebuilds all
        conn.execute("SELECT setseed(0.17)")
        conn.execute(
            """
            UPDATE orders SET
                ready_at = CASE WHEN status IN ('paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment',
                                                'shipped', 'completed', 'return_requested', 'returned')
                                THEN created_at + (30 + random() * 330) * interval '1 minute' END,
                shipped_at = CASE WHEN status IN ('shipped', 'completed', 'return_requested', 'returned')
                                  THEN created_at + (6 + random() * 60) * interval '1 hour' END
            """
        )
        conn.execute(
            "UPDATE orders SET shipped_at = ready_at + interval '1 hour' WHERE shipped_at < ready_at"
        )
        conn.execute("VACUUM (ANALYZE) orders")
        print(f"ready/shipped moments written in {time.perf_counter() - t0:.1f} s")


def aggregates_current(url: str) -> bool:
    with psycopg.connect(_conninfo(url)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM kpi_dirty_marks), (SELECT count(*) FROM kpi_monthly_products)"
        ).fetchone()
    return bool(row) and row[0] == 0 and row[1] > 0


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times)


def breakdown(db: Any, period: Period, now: datetime) -> dict[str, float]:
    """Each part of compute_dashboard alone, in one read-only transaction (ms)."""
    out: dict[str, float] = {}
    with db.uow() as uow:
        s = uow.session
        s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        s.execute(text("SET LOCAL work_mem = '64MB'"))
        s.execute(text("SET LOCAL jit = off"))  # (as compute_dashboard)
        s.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        settings = load_kpi_settings(s)
        flt = kpi.KpiFilter()
        start, end = period.bounds(settings.zone)
        previous = period.previous()
        for name, call in (
            (
                "orders per day",
                lambda: parts.per_day(s, flt, settings.timezone, previous.first, period.last),
            ),
            ("fulfilment + late", lambda: parts.fulfilment(s, settings, flt, period)),
            ("backlog + late now", lambda: parts.backlog(s, settings, flt, now)),
            ("reservation level", lambda: parts.reservation(s, flt)),
            ("short products", lambda: parts.short_products(s, flt)),
            ("stock value", lambda: parts.stock_value(s, flt)),
            ("top products", lambda: parts.top_products(s, flt, settings.timezone, period)),
            ("health", lambda: parts.health(s, start, end)),
        ):
            call()
            times = []
            for _ in range(3):
                t = time.perf_counter()
                call()
                times.append((time.perf_counter() - t) * 1000)
            out[name] = statistics.median(times)
        # Each fast path against the plain one it replaces (same numbers), alternated A B B A B A A B.
        for name, plain_name, fast, plain in (
            (
                "top products",
                "daily rows only",
                lambda: parts.top_products(s, flt, settings.timezone, period),
                lambda: parts.top_products(s, flt, settings.timezone, period, monthly=False),
            ),
            (
                "backlog",
                "timing each order",
                lambda: parts.backlog(s, settings, flt, now),
                lambda: backlog_per_order(s, settings, flt, now),
            ),
        ):
            runs: dict[str, list[float]] = {"fast": [], "plain": []}
            for kind in ("fast", "plain", "plain", "fast", "plain", "fast", "fast", "plain"):
                t = time.perf_counter()
                (fast if kind == "fast" else plain)()
                runs[kind].append((time.perf_counter() - t) * 1000)
            out[f"  {name}, fast path (ABBA)"] = statistics.median(runs["fast"])
            out[f"  {name}, {plain_name} (ABBA)"] = statistics.median(runs["plain"])
    return out


def backlog_per_order(session: Any, settings: Any, flt: Any, now: datetime) -> list[Any]:
    """Baseline: the backlog by timing each open order (``open_orders_sql``, what the lists use)."""
    params: dict[str, Any] = {}
    sql = parts.open_orders_sql(settings, flt, now, params) + (
        "SELECT status, CASE WHEN age_days < 1 THEN '0-1' WHEN age_days < 2 THEN '1-2' WHEN age_days < 5"
        " THEN '2-5' ELSE '5+' END, count(*), count(*) FILTER (WHERE late) FROM aged GROUP BY 1, 2"
    )
    return list(session.execute(text(sql), params))


def naive_days_and_products(url: str, period: Period, tz: str) -> float:
    """Baseline: the day figures and top products straight from 1M orders and their lines."""
    t = time.perf_counter()
    with psycopg.connect(_conninfo(url)) as conn:
        previous = period.previous()
        conn.execute(
            """
            SELECT (created_at AT TIME ZONE %(tz)s)::date, count(*) FILTER (WHERE status NOT IN ('cancelled', 'returned')),
                   sum(total_gross) FILTER (WHERE status NOT IN ('cancelled', 'returned'))
            FROM orders WHERE created_at >= %(t0)s AND created_at < %(t1)s GROUP BY 1
            """,
            {"tz": tz, "t0": previous.first, "t1": period.last + timedelta(days=1)},
        ).fetchall()
        conn.execute(
            """
            SELECT i.sku, sum(i.quantity), sum(i.quantity * i.price_gross) FROM orders o
            JOIN order_items i ON i.order_id = o.id
            WHERE o.created_at >= %(t0)s AND o.created_at < %(t1)s AND o.status NOT IN ('cancelled', 'returned')
            GROUP BY 1 ORDER BY 2 DESC LIMIT 10
            """,
            {"t0": period.first, "t1": period.last + timedelta(days=1)},
        ).fetchall()
    return time.perf_counter() - t


def naive_fulfilment(url: str, period: Period, settings: Any) -> float:
    """Baseline: shipped orders fetched to Python and timed one by one with the reference calendar."""
    t = time.perf_counter()
    calendar = WorkCalendar(settings, period.first - timedelta(days=400), period.last + timedelta(days=10))
    with psycopg.connect(_conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT ready_at, shipped_at FROM orders WHERE shipped_at >= %(t0)s AND shipped_at < %(t1)s"
            " AND ready_at IS NOT NULL",
            {"t0": period.first, "t1": period.last + timedelta(days=1)},
        ).fetchall()
    hours = sorted(calendar.working_seconds(r, s) / 3600 for r, s in rows)
    late = sum(calendar.is_late(r, s, settings.handling_days) for r, s in rows)
    statistics.median(hours) if hours else None
    del late
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--admin-url",
        default=os.environ.get(
            "REXBIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--drop", action="store_true", help="drop the scratch database at the end")
    ap.add_argument(
        "--keep-aggregates",
        action="store_true",
        help="reuse the daily aggregates of an earlier run (no day marked since) instead of rebuilding them",
    )
    args = ap.parse_args()
    url = prepare(args.admin_url, args.orders, args.fresh)
    db = open_database(url)
    try:
        milestones(url)
        if args.keep_aggregates and aggregates_current(url):
            print("reusing the daily aggregates (no day marked since they were built)")
        else:
            result = kpi.refresh_kpi(db.uow(), MANAGER, all_days=True, today=date(2026, 12, 2))
            print(
                f"daily aggregates of {result.days:,} days built in {result.duration_s:.1f} s"
                " (once; then per change)"
            )
        with psycopg.connect(_conninfo(url)) as conn:
            last = conn.execute("SELECT max(created_at) FROM orders").fetchone()[0]  # type: ignore[index]
        with db.uow() as uow:
            settings = load_kpi_settings(uow.session)
        now = last.astimezone(settings.zone)
        missed = []
        print(
            f"\n{'period':<10} {'dashboard p50':>14} {'worst':>8}   {'naive days+top':>15} {'naive fulfilment':>17}"
        )
        for name, days in (("30 days", 30), ("12 months", 365)):
            period = Period(now.date() - timedelta(days=days - 1), now.date())
            p50, worst = timed(
                lambda p=period: kpi.compute_dashboard(db.uow(), MANAGER, p, now=now), args.runs
            )
            base_days = naive_days_and_products(url, period, settings.timezone)
            base_fulfil = naive_fulfilment(url, period, settings)
            print(
                f"{name:<10} {p50 * 1000:>11.0f} ms {worst * 1000:>5.0f} ms   {base_days * 1000:>12.0f} ms"
                f" {base_fulfil * 1000:>14.0f} ms"
            )
            for part, ms in breakdown(db, period, now).items():
                print(f"    {part:<36} {ms:>8.1f} ms")
            if p50 > TARGETS[name]:
                missed.append(f"{name}: {p50 * 1000:.0f} ms > {TARGETS[name] * 1000:.0f} ms")
    finally:
        db.dispose()
        if args.drop:
            with psycopg.connect(_conninfo(args.admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
