"""The dashboard's fast paths give the same numbers as the plain ones they replace.

* Top products: runs of whole months from the running totals (``kpi_product_totals``) + the other days
  from ``kpi_daily_products`` + marked days live == every day from ``kpi_daily_products`` (+ marked days
  live), across month boundaries, before and after a change that marks a day of a whole month, with runs
  split by a marked month and whole months after the last sale.
* Backlog: comparing each open order's start with a few moments on the calendar == timing each order
  (``open_orders_sql``, what the click-through lists use), on a grid of starts every 20 minutes (and one
  second either side) over five weeks with weekends, two holidays and the end of summer time, for several
  "now" moments and per-carrier handling days.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.kpi import AGE_BUCKETS, Period
from rexbit_desktop.services import kpi
from rexbit_desktop.services.kpi import figures
from rexbit_desktop.services.kpi.calendar import ensure_calendar
from rexbit_desktop.services.kpi.settings import load_kpi_settings
from tests.support.kpi import MANAGER, WAW, load_kpi_fixture


@pytest.fixture
def fixture_db(db):  # type: ignore[no-untyped-def]
    return load_kpi_fixture(db)


def _add_orders(db: Any, rows: list[tuple[str, str, datetime, list[tuple[str, int, str]]]]) -> None:
    with db.engine.begin() as conn:
        for number, status, created, items in rows:
            oid = conn.execute(
                text(
                    "INSERT INTO orders (number, status, currency, total_gross, total_net, created_at, updated_at)"
                    " VALUES (:n, :s, 'PLN', 10, 10, :c, :c) RETURNING id"
                ),
                {"n": number, "s": status, "c": created},
            ).scalar_one()
            for sku, qty, price in items:
                conn.execute(
                    text(
                        "INSERT INTO order_items (order_id, name, sku, quantity, price_net, price_gross, vat_rate)"
                        " VALUES (:o, :name, :sku, :q, :p, :p, 23)"
                    ),
                    {"o": oid, "name": f"Produkt {sku}", "sku": sku, "q": qty, "p": Decimal(price)},
                )


def _sales(db: Any, period: Period, *, monthly: bool) -> tuple[list[Any], list[Any]]:
    with db.uow() as uow:
        settings = load_kpi_settings(uow.session)
        return figures.top_products(
            uow.session, kpi.KpiFilter(), settings.timezone, period, limit=1000, monthly=monthly
        )


def test_top_products_from_whole_months_equal_the_daily_figures(fixture_db) -> None:  # type: ignore[no-untyped-def]
    # Around the fixture's November: the last evening of October and the first night of December (local
    # days: 31 Oct 23:30 and 1 Dec 00:30 fall on either side of the month boundaries), a cancelled one.
    _add_orders(
        fixture_db,
        [
            ("M1", "completed", datetime(2026, 10, 31, 23, 30, tzinfo=WAW), [("KPI-1", 4, "20.00")]),
            ("M2", "shipped", datetime(2026, 11, 1, 0, 30, tzinfo=WAW), [("KPI-2", 2, "10.00")]),
            ("M3", "paid", datetime(2026, 11, 30, 23, 59, tzinfo=WAW), [("KPI-1", 1, "21.00")]),
            ("M4", "completed", datetime(2026, 12, 1, 0, 30, tzinfo=WAW), [("KPI-4", 7, "3.00")]),
            ("M5", "cancelled", datetime(2026, 11, 20, 10, 0, tzinfo=WAW), [("KPI-4", 100, "3.00")]),
            # (KPI-9 sold only in September: not a product of any later period)
            (
                "M6",
                "completed",
                datetime(2026, 9, 30, 12, 0, tzinfo=WAW),
                [("KPI-1", 9, "20.00"), ("KPI-9", 2, "5.00")],
            ),
        ],
    )
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    period = Period(date(2026, 10, 31), date(2026, 12, 1))  # 1 day of October, November, 1 day of December
    assert figures.whole_months(period, set()) == (
        [date(2026, 11, 1)],
        [date(2026, 10, 31), date(2026, 12, 1)],
    )
    with fixture_db.engine.connect() as conn:
        assert conn.execute(
            text("SELECT count(*) FROM kpi_monthly_products WHERE month = '2026-11-01'")
        ).scalar()
    rolled_up = _sales(fixture_db, period, monthly=True)
    assert rolled_up == _sales(fixture_db, period, monthly=False)
    by_units = {p.sku: (p.units, p.gross) for p in rolled_up[0]}
    assert "KPI-9" not in by_units
    # KPI-1: A 3 + E 1 + J 1 + K 2 (fixture, November) + M1 4 (31 Oct) + M3 1 = 12 units,
    # 60 + 20 + 20 + 10 + 80 + 21 = 211.00;
    # KPI-4: M4 7 (1 Dec) = 21.00 (M5 is cancelled); M6 (September) is outside.
    assert by_units["KPI-1"] == (Decimal(12), Decimal("211.00"))
    assert by_units["KPI-4"] == (Decimal(7), Decimal("21.00"))
    # A change in November after the refresh: November is read from its days (live for the marked one).
    with fixture_db.engine.begin() as conn:
        conn.execute(text("UPDATE order_items SET quantity = 5 WHERE sku = 'KPI-1' AND price_gross = 21"))
        dirty = set(conn.execute(text("SELECT day FROM kpi_dirty_marks WHERE kind = 'c'")).scalars())
    assert date(2026, 11, 30) in dirty and figures.whole_months(period, dirty)[0] == []
    changed = _sales(fixture_db, period, monthly=True)
    assert changed == _sales(fixture_db, period, monthly=False)
    assert {p.sku: p.units for p in changed[0]}["KPI-1"] == Decimal(16)
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    assert _sales(fixture_db, period, monthly=True) == changed
    # Runs of whole months split by a marked day (October), and whole months past the last sale.
    with fixture_db.engine.begin() as conn:
        conn.execute(text("UPDATE orders SET total_gross = 11 WHERE number = 'M1'"))  # marks 31 October
    for other in (
        Period(date(2026, 9, 1), date(2026, 12, 1)),  # September | October (marked) | November, 1 December
        Period(date(2026, 11, 1), date(2027, 1, 31)),  # November, December, January (nothing sold after)
        Period(date(2026, 10, 1), date(2026, 10, 31)),
    ):
        assert _sales(fixture_db, other, monthly=True) == _sales(fixture_db, other, monthly=False), other
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    for other in (Period(date(2026, 9, 1), date(2026, 12, 1)), Period(date(2026, 8, 1), date(2026, 8, 31))):
        assert _sales(fixture_db, other, monthly=True) == _sales(fixture_db, other, monthly=False), other
    assert _sales(fixture_db, Period(date(2026, 8, 1), date(2026, 8, 31)), monthly=True) == ([], [])
    # The whole dashboard for a period of whole months says the same.
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, november, now=datetime(2026, 12, 2, 12, tzinfo=WAW))
    assert (d.top_by_units, d.top_by_value) == _sales(fixture_db, november, monthly=False)


def _grid_of_open_orders(db: Any) -> None:
    """Open orders starting every 20 minutes from 15 Oct to 19 Nov 2026 (and one second either side):
    weekends, All Saints' Day (a Sunday), Independence Day (Wed 11 Nov), summer time ending on 25 Oct."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM orders WHERE status IN ('paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment')"
            )
        )
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # (some without ready_at)
        conn.execute(
            text(
                """
                INSERT INTO orders (number, status, currency, total_gross, total_net, created_at, updated_at,
                                    ready_at, delivery_method)
                SELECT 'G' || n,
                       (ARRAY['paid', 'awaiting_fulfillment', 'picking', 'ready_for_shipment'])[1 + n % 4],
                       'PLN', 1, 1, t - interval '1 hour', t,
                       CASE WHEN n % 7 = 0 THEN NULL ELSE t END,
                       (ARRAY['Kurier', ' kurier ', 'Paczkomat', NULL])[1 + n % 5 % 4]
                FROM (SELECT row_number() OVER () AS n, g + s * interval '1 second' AS t
                      FROM generate_series(timestamptz '2026-10-15 00:00+02', timestamptz '2026-11-19 00:00+01',
                                           interval '20 minutes') g,
                           (VALUES (-1), (0), (1)) v (s)) x
                """
            )
        )


def _reference(db: Any, now: datetime) -> tuple[dict[tuple[str, str], int], int, int]:
    with db.uow() as uow:
        settings = load_kpi_settings(uow.session)
        params: dict[str, Any] = {}
        buckets = " ".join(
            f"WHEN age_days < {upper} THEN '{label}'" for label, _, upper in AGE_BUCKETS if upper is not None
        )
        sql = figures.open_orders_sql(settings, kpi.KpiFilter(), now, params) + (
            f"SELECT status, CASE {buckets} ELSE '{AGE_BUCKETS[-1][0]}' END, count(*), count(*) FILTER (WHERE late)"
            " FROM aged GROUP BY 1, 2"
        )
        cells = {}
        late = total = 0
        for status, bucket, n, n_late in uow.session.execute(text(sql), params):
            cells[(status, bucket)] = int(n)
            total += int(n)
            late += int(n_late)
        return cells, total, late


def _fast(db: Any, now: datetime) -> tuple[dict[tuple[str, str], int], int, int]:
    with db.uow() as uow:
        settings = load_kpi_settings(uow.session)
        cells, total, late = figures.backlog(uow.session, settings, kpi.KpiFilter(), now)
        return {(c.status, c.bucket): c.orders for c in cells}, total, late


NOWS = (
    datetime(2026, 11, 18, 12, 0, tzinfo=WAW),  # Wednesday noon
    datetime(2026, 11, 16, 7, 30, tzinfo=WAW),  # Monday before opening
    datetime(2026, 11, 12, 16, 0, tzinfo=WAW),  # Thursday at closing, the day after the holiday
    datetime(2026, 11, 11, 12, 0, 1, tzinfo=WAW),  # the holiday
    datetime(2026, 11, 14, 10, 20, tzinfo=WAW),  # Saturday, on a start of the grid
    datetime(2026, 10, 27, 8, 0, 1, tzinfo=WAW),  # two days after the clocks went back
)


@pytest.mark.slow
def test_the_backlog_counted_against_calendar_moments_equals_timing_each_order(fixture_db) -> None:  # type: ignore[no-untyped-def]
    _grid_of_open_orders(fixture_db)
    for carriers in ({}, {"kurier": 3, "paczkomat": 0}):
        kpi.save_kpi_settings(
            fixture_db.uow(), MANAGER, {"handling_days": 1, "carrier_handling_days": carriers}
        )
        with fixture_db.uow() as uow:
            ensure_calendar(uow.session, load_kpi_settings(uow.session), date(2026, 12, 2))
            uow.commit()
        for now in NOWS:
            expected = _reference(fixture_db, now)
            # The grid is all there: 35 days + the hour of 25 October twice = 841 h × 3 starts + 1 at the end, × 3.
            assert expected[1] == 3 * (841 * 3 + 1) and 0 < expected[2] < expected[1]
            assert _fast(fixture_db, now) == expected, (carriers, now)
