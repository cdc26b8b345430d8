"""The KPI dashboard on fixture orders with known timestamps: every figure against hand arithmetic.

Settings: Monday–Friday 08:00–16:00 Europe/Warsaw, Polish public holidays, one handling day. The period
is Monday 9 – Sunday 22 November 2026; Wednesday 11 November is a public holiday (Independence Day),
14–15 and 21–22 November are weekends. All times below are Warsaw time (CET, UTC+1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from rexbit_desktop.domain.kpi import Period
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services import kpi
from tests.support.kpi import MANAGER, NOW, PERIOD, load_kpi_fixture


@pytest.fixture
def fixture_db(db):  # type: ignore[no-untyped-def]
    return load_kpi_fixture(db)


def _check(d: kpi.Dashboard) -> None:
    # Orders and value: A B C D E I J K (F cancelled, G returned are left out): 8 orders,
    # 100+200+300+400+500+10+20+30 = 1560.00 zł, average 195.00; one return (G).
    assert (d.current.orders, d.current.gross, d.current.average, d.current.returns) == (
        8,
        Decimal("1560.00"),
        Decimal("195.00"),
        1,
    )
    assert d.previous_period == Period(date(2026, 10, 26), date(2026, 11, 8))
    assert (d.previous.orders, d.previous.gross) == (1, Decimal("80.00"))
    per_day = {p.day: (p.orders, p.gross) for p in d.per_day}
    assert len(d.per_day) == 14
    assert per_day[date(2026, 11, 9)] == (1, Decimal("100.00"))  # A (G returned)
    assert per_day[date(2026, 11, 10)] == (1, Decimal("200.00"))  # B (F cancelled)
    assert per_day[date(2026, 11, 13)] == (2, Decimal("310.00"))  # C + I
    assert per_day[date(2026, 11, 16)] == (2, Decimal("430.00"))  # D + K
    assert per_day[date(2026, 11, 11)] == (0, Decimal("0.00"))
    # Shipped in the period: A B C D E G = 6; late D and G = 2 → 33.3 %.
    assert (d.shipped, d.late, d.late_pct) == (6, 2, 33.3)
    # Working hours 2, 7, 10, 10, 16.5, 23: median (10 + 10) / 2 = 10; p90 at rank 0.9 × 5 = 4.5 →
    # 16.5 + 0.5 × (23 − 16.5) = 19.75.
    assert (d.fulfilment_median_h, d.fulfilment_p90_h) == (10.0, 19.75)
    # Backlog at Wed 18th noon: I paid 2–5 (late), J picking 0–1, K awaiting_fulfillment 1–2.
    assert (d.open_orders, d.late_now) == (3, 1)
    assert {(c.status, c.bucket, c.orders) for c in d.backlog} == {
        ("paid", "2-5", 1),
        ("picking", "0-1", 1),
        ("awaiting_fulfillment", "1-2", 1),
    }
    assert (d.reservation_lines, d.reserved_lines, d.reservation_pct) == (3, 2, 66.7)
    assert [(s.sku, s.units) for s in d.short_products] == [("KPI-2", Decimal("2"))]
    assert [(v.code, v.units, v.value, v.unpriced_products) for v in d.stock_value] == [
        ("MAG1", Decimal("15"), Decimal("80.00"), 1)
    ]
    # Sold (not cancelled or returned): KPI-1 A 3×20 + E 1×20 + K 2×5 + J 1×20 = 7 units, 110 zł;
    # KPI-2 C 5×10 + K 3×5 = 8 units, 65 zł. KPI-3 only in F (cancelled) and G (returned).
    assert [(p.sku, p.units, p.gross) for p in d.top_by_units] == [
        ("KPI-2", Decimal("8"), Decimal("65.00")),
        ("KPI-1", Decimal("7"), Decimal("110.00")),
    ]
    assert [p.sku for p in d.top_by_value] == ["KPI-1", "KPI-2"]
    assert [(h.integration, h.kind, h.last_status, h.failures_in_period) for h in d.health] == [
        ("Hurtownia", "import", None, 0)
    ]


def test_every_figure_equals_the_hand_computed_value_read_live(fixture_db) -> None:  # type: ignore[no-untyped-def]
    # Nothing refreshed yet: every day is marked, so the daily figures are read from the orders.
    with fixture_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kpi_dirty_marks")).scalar_one() > 0
    _check(kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW))


def test_the_same_figures_come_from_the_daily_aggregates_after_a_refresh(fixture_db) -> None:  # type: ignore[no-untyped-def]
    result = kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    assert result.days == 7  # creation days of A … K: 2, 9, 10, 13, 14, 16, 18 November
    with fixture_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kpi_dirty_marks")).scalar_one() == 0
        assert conn.execute(text("SELECT sum(orders) FROM kpi_daily")).scalar_one() == 9  # with H
    _check(kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW))


def test_a_change_after_the_refresh_is_seen_at_once_and_rebuilt_by_the_next(fixture_db) -> None:  # type: ignore[no-untyped-def]
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    with fixture_db.engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'cancelled' WHERE number = 'E'"))
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW)
    assert (d.current.orders, d.current.gross) == (7, Decimal("1060.00"))
    assert kpi.refresh_kpi(fixture_db.uow(), MANAGER).days == 1
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW)
    assert (d.current.orders, d.current.gross) == (7, Decimal("1060.00"))
    assert [(p.sku, p.units) for p in d.top_by_units] == [("KPI-2", Decimal("8")), ("KPI-1", Decimal("6"))]


def test_filters_by_warehouse_and_source(fixture_db) -> None:  # type: ignore[no-untyped-def]
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    d = kpi.compute_dashboard(
        fixture_db.uow(), MANAGER, PERIOD, now=NOW, filters=kpi.KpiFilter(integration_ids=(999,))
    )
    assert (d.current.orders, d.shipped, d.open_orders, d.reservation_lines) == (0, 0, 0, 0)
    d = kpi.compute_dashboard(
        fixture_db.uow(), MANAGER, PERIOD, now=NOW, filters=kpi.KpiFilter(integration_ids=(0,))
    )
    assert (d.current.orders, d.shipped, d.open_orders) == (8, 6, 3)


def test_late_now_lists_exactly_the_late_open_orders(fixture_db) -> None:  # type: ignore[no-untyped-def]
    ids = kpi.late_order_ids(fixture_db.uow(), MANAGER, now=NOW)
    with fixture_db.engine.connect() as conn:
        numbers = (
            conn.execute(text("SELECT number FROM orders WHERE id = ANY(:ids)"), {"ids": ids}).scalars().all()
        )
    assert numbers == ["I"]
    cell = kpi.late_order_ids(
        fixture_db.uow(), MANAGER, now=NOW, status="awaiting_fulfillment", bucket="1-2", late_only=False
    )
    assert len(cell) == 1


def test_handling_days_per_carrier_change_the_ship_by_date(fixture_db) -> None:  # type: ignore[no-untyped-def]
    kpi.save_kpi_settings(
        fixture_db.uow(), MANAGER, {"handling_days": 1, "carrier_handling_days": {"kurier": 3}}
    )
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW)
    # Three handling days: D (ready Mon, shipped as Thu) and G (ready Mon, shipped Thu) are on time.
    assert (d.shipped, d.late, d.late_now) == (6, 0, 0)


def test_an_operator_sees_only_their_own_day(fixture_db) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain.errors import PermissionDenied

    operator = Actor(login="operator", role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        kpi.compute_dashboard(fixture_db.uow(), operator, PERIOD, now=NOW)
    with fixture_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, created_at)"
                " SELECT id, 'picking', 'ready_for_shipment', 'operator', :t FROM orders WHERE number IN ('J', 'K')"
            ),
            {"t": NOW},
        )
    day = kpi.operator_day(fixture_db.uow(), operator, now=NOW)
    assert day.status_changes == {"ready_for_shipment": 2}
    assert day.wz_issued == 0


def test_the_workflow_stamps_ready_and_shipped_once(db, system_actor) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        oid = conn.execute(
            text("INSERT INTO orders (number, status) VALUES ('W1', 'awaiting_payment') RETURNING id")
        ).scalar_one()
        assert (
            conn.execute(text("SELECT ready_at FROM orders WHERE id = :i"), {"i": oid}).scalar_one() is None
        )
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'paid' WHERE id = :i"), {"i": oid})
        first = conn.execute(text("SELECT ready_at FROM orders WHERE id = :i"), {"i": oid}).scalar_one()
    assert first is not None
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'awaiting_fulfillment' WHERE id = :i"), {"i": oid})
        conn.execute(text("UPDATE orders SET status = 'shipped' WHERE id = :i"), {"i": oid})
        ready, shipped = conn.execute(
            text("SELECT ready_at, shipped_at FROM orders WHERE id = :i"), {"i": oid}
        ).one()
    assert ready == first
    assert shipped is not None


def test_a_bad_setting_is_refused_with_its_field(db) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="end after"):
        kpi.save_kpi_settings(db.uow(), MANAGER, {"work_start": "16:00", "work_end": "08:00"})
    with pytest.raises(ValidationError, match="time zone"):
        kpi.save_kpi_settings(db.uow(), MANAGER, {"timezone": "Mars/Olympus"})
    assert kpi.get_kpi_settings(db.uow(), MANAGER).work_start == "08:00"


def test_a_shipping_change_is_timed_live_until_the_refresh_rebuilds_its_day(fixture_db) -> None:  # type: ignore[no-untyped-def]
    kpi.refresh_kpi(fixture_db.uow(), MANAGER)
    with fixture_db.engine.begin() as conn:
        # D shipped on Tuesday 10:00 instead of Wednesday after closing: Mon 7 h + Tue 2 h = 9 h, on time.
        conn.execute(
            text("UPDATE orders SET shipped_at = :s WHERE number = 'D'"),
            {"s": datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))},
        )
        kinds = conn.execute(text("SELECT DISTINCT kind, day FROM kpi_dirty_marks ORDER BY 1, 2")).all()
    assert kinds == [("s", date(2026, 11, 17)), ("s", date(2026, 11, 18))]
    # 2, 7, 9, 10, 10, 16.5 h: median (9 + 10) / 2 = 9.5; p90 = 10 + 0.5 × (16.5 − 10) = 13.25; late: G only.
    expected = (6, 1, 9.5, 13.25)
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW)
    assert (d.shipped, d.late, d.fulfilment_median_h, d.fulfilment_p90_h) == expected
    assert kpi.refresh_kpi(fixture_db.uow(), MANAGER).days == 2
    d = kpi.compute_dashboard(fixture_db.uow(), MANAGER, PERIOD, now=NOW)
    assert (d.shipped, d.late, d.fulfilment_median_h, d.fulfilment_p90_h) == expected
