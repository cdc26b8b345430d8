"""Orders from the PrestaShop shop (real MariaDB fixture tables) into our orders (real PostgreSQL), and the
statuses written back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from rexbit_desktop.db.models import (
    Order,
    OrderAuditLog,
    OrderStatusHistory,
    Product,
    ShopOrderCursor,
    ShopOrderRetry,
    SyncRun,
)
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.queries import count_orders
from rexbit_desktop.services.orders.workflow import (
    OrderStatusChanged,
    OrderWorkflowService,
    handle_queued_status_change,
)
from rexbit_desktop.services.shop.order_source import NotAShopIntegration, ShopOrdersUnavailable
from rexbit_desktop.services.shop.orders import sync_orders
from rexbit_desktop.services.stock import stock
from tests.support.shop import (
    add_our_product,
    add_shop_lines,
    add_shop_order,
    create_shop_integration,
    line,
    set_shop_config,
    shop_execute,
)

# The fixture's PS_OS_* ids (base_data.sql); the code reads them from the shop's configuration.
CHEQUE, PAYMENT, PREPARATION, SHIPPING, DELIVERED, CANCELED, ERROR, BANKWIRE = 1, 2, 3, 4, 5, 6, 8, 10


def _sync(db, actor, integration, **kwargs):  # type: ignore[no-untyped-def]
    return sync_orders(db.uow(), actor, integration_id=integration, **kwargs)


def set_shop_state(shop: Any, id_order: int, state: int) -> None:
    shop_execute(
        shop,
        f"UPDATE {shop.t('orders')} SET current_state = %s, date_upd = NOW() WHERE id_order = %s",
        (state, id_order),
    )


def shop_rows(shop: Any, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = list(cur.fetchall())
    conn.close()
    return rows


def our_order(db: Any, id_order: int) -> Order:
    with db.uow() as uow:
        order = uow.session.scalar(select(Order).where(Order.external_order_id == str(id_order)))
        assert order is not None, f"shop order {id_order} was not taken in"
        uow.session.expunge(order)
        return order


@pytest.fixture
def integration(db, shop) -> int:  # type: ignore[no-untyped-def]
    return create_shop_integration(db, shop)


# ---------------------------------------------------------------- import


def test_new_orders_are_taken_in_with_lines_addresses_payment_and_carrier(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    linked = add_our_product(db, sku="LINKED-1", shop_integration=integration, external_id="1:5")
    with db.uow() as uow:
        by_sku = Product(sku="Kubek-2", name="Kubek")
        by_ean = Product(sku="TALERZ", name="Talerz", ean="5901234123457")
        uow.session.add_all([by_sku, by_ean])
        uow.commit()
        by_sku_id, by_ean_id = by_sku.id, by_ean.id
    add_shop_order(
        shop, 101, state=PAYMENT, reference="DUPLICATE",
        lines=[
            line(1, "123.00", 2, id_attr=5, ref="SHOP-REF-DIFFERENT", net="100.000000", rate="23.000"),
            line(2, "24.60", 1, ref="KUBEK-2", net="20.000000", rate="0.000"),  # rate computed: 23
            line(3, "10.80", 3, ean="5901234123457", net="10.000000", rate="8.000"),
            line(4, "5.00", 1, ref="NIEZNANY"),  # we do not know this product
        ],
    )  # fmt: skip
    add_shop_order(shop, 102, state=BANKWIRE, reference="DUPLICATE", lines=[line(1, "123.00", id_attr=5)],
                   total_paid_real="0", minutes_ago=30)  # fmt: skip

    result = _sync(db, system_actor, integration)

    assert result.status == "succeeded", result.error_details
    assert (result.examined, result.created, result.updated, result.errors) == (2, 2, 0, 0)
    a = orders.get_order(db.uow(), system_actor, our_order(db, 101).number)
    assert (a.source, a.external_order_id, a.status, a.payment_status) == (
        "prestashop",
        "101",
        "paid",
        "paid",
    )
    assert (a.currency, a.delivery_method, a.shipping_gross) == (
        "PLN",
        "InPost Paczkomaty 24/7",
        Decimal("15.0000"),
    )
    items = {i.name: i for i in a.items}
    assert [i.sku for i in a.items] == ["LINKED-1", "Kubek-2", "TALERZ", "NIEZNANY"]
    first = items["Towar 1"]
    assert (first.quantity, first.price_gross, first.vat_rate, first.in_catalog) == (
        Decimal("2.000"), Decimal("123.0000"), Decimal("23.00"), True,
    )  # fmt: skip
    assert items["Towar 2"].vat_rate == Decimal("23.00") and items["Towar 3"].vat_rate == Decimal("8.00")
    unknown = items["Towar 4"]
    assert (unknown.in_catalog, unknown.sku, unknown.price_gross) == (False, "NIEZNANY", Decimal("5.0000"))
    assert a.total_gross == Decimal("323.00")  # 246 + 24.60 + 32.40 + 5 + 15 shipping
    with db.uow() as uow:
        product_ids = [
            r[0] for r in uow.session.execute(
                text("SELECT product_id FROM order_items WHERE order_id = :o ORDER BY id"), {"o": a.id}
            )
        ]  # fmt: skip
    assert product_ids == [linked, by_sku_id, by_ean_id, None]
    addresses = {ad.type: ad for ad in a.addresses}
    assert addresses["shipping"].street == "ul. Łąkowa 5 lok. 2" and addresses["shipping"].company is None
    assert (addresses["billing"].company, addresses["billing"].vat_id) == ("Firma Sp. z o.o.", "PL5260250274")
    assert (addresses["customer"].name, addresses["customer"].email) == (
        "Zażółć Gęślą",
        "klient101@example.pl",
    )
    assert (addresses["shipping"].country, addresses["shipping"].phone, addresses["shipping"].postcode) == (
        "PL", "600700800", "00-950",
    )  # fmt: skip
    assert a.customer_email == "klient101@example.pl"
    [payment] = a.payments
    assert (payment.provider, payment.status, payment.amount) == (
        "ps_wirepayment",
        "paid",
        Decimal("323.0000"),
    )
    assert a.history[0].to_status == "paid" and a.history[0].changed_by == f"integration:{integration}"

    b = orders.get_order(db.uow(), system_actor, our_order(db, 102).number)
    assert (b.status, b.payment_status, b.payments[0].status) == ("awaiting_payment", "pending", "pending")

    with db.uow() as uow:
        run = uow.session.get(SyncRun, result.sync_run_id)
        assert (run.kind, run.status, run.examined, run.created, run.updated, run.errors) == (
            "orders", "succeeded", 2, 2, 0, 0,
        )  # fmt: skip
        cursor = uow.session.get(ShopOrderCursor, integration)
        assert cursor.id_order == 102

    # Idempotent: nothing new, nothing changed, and the reference shared by both orders changes nothing.
    again = _sync(db, system_actor, integration)
    assert (again.created, again.updated, again.errors) == (0, 0, 0)
    assert count_orders(db.uow(), system_actor).value == 2
    everything = _sync(db, system_actor, integration, since=date.today() - timedelta(days=2))
    assert (everything.created, everything.updated) == (0, 0) and everything.skipped == everything.examined


def test_a_shop_state_change_goes_through_the_workflow(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_our_product(db, sku="STOCKED", shop_integration=integration, external_id="7:0")
    stock.add_warehouse(db.uow(), system_actor, code="MAG", name="Magazyn", default=True)
    stock.receive_stock(db.uow(), system_actor, sku="STOCKED", warehouse="MAG", qty="10")
    add_shop_order(shop, 201, state=BANKWIRE, lines=[line(7, "50.00", 3, ref="STOCKED")], total_paid_real="0")
    assert _sync(db, system_actor, integration).created == 1
    assert our_order(db, 201).status == "awaiting_payment"

    set_shop_state(shop, 201, PREPARATION)
    result = _sync(db, Actor.job("shop:sync_orders"), integration)

    assert (result.updated, result.created, result.errors) == (1, 0, 0)
    order = our_order(db, 201)
    assert order.status == "awaiting_fulfillment"
    # The side effect of the status: the stock is reserved.
    assert stock.product_stock(db.uow(), system_actor, sku="STOCKED").levels[0].reserved == Decimal("3.000")
    with db.uow() as uow:
        last = uow.session.scalars(
            select(OrderStatusHistory)
            .where(OrderStatusHistory.order_id == order.id)
            .order_by(OrderStatusHistory.id.desc())
        ).first()
        assert (last.from_status, last.to_status, last.changed_by) == (
            "awaiting_payment", "awaiting_fulfillment", "job:shop:sync_orders",
        )  # fmt: skip
        assert last.comment == "PrestaShop: 3 (Przygotowanie w toku)"
        # The import mirrors the shop's change: nothing is queued to write it back to the shop.
        assert uow.session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0
    # Seen once: the next run leaves it alone even though the order is read again.
    assert _sync(db, system_actor, integration).updated == 0


def test_a_refused_transition_is_reported_not_forced(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_shop_order(shop, 301, state=SHIPPING, lines=[line(9, "10.00", ref="NIEZNANY")])
    add_shop_order(shop, 302, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")], minutes_ago=50)
    assert _sync(db, system_actor, integration).created == 2
    assert our_order(db, 301).status == "shipped"  # taken in as shipped: no WZ for goods already gone

    set_shop_state(shop, 301, CHEQUE)  # shipped → awaiting payment: our workflow refuses
    set_shop_state(shop, 302, ERROR)  # payment error: no status of ours, kept and flagged
    result = _sync(db, system_actor, integration)

    assert (result.status, result.updated, result.errors) == ("succeeded", 0, 1)
    refused = [d for d in result.error_details if d["id_order"] == 301]
    assert "cannot go to 'awaiting_payment'" in refused[0]["reason"]
    flagged = [d for d in result.error_details if d["id_order"] == 302]
    assert flagged[0]["flag"] is True and "8 (Błąd płatności) has no status mapped" in flagged[0]["reason"]
    assert our_order(db, 301).status == "shipped" and our_order(db, 302).status == "paid"
    with db.uow() as uow:
        run = uow.session.get(SyncRun, result.sync_run_id)
        assert run.errors == 1 and run.error_details[0]["id_order"] in (301, 302)


def test_settings_mapping_wins_over_the_shop_defaults(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    order_settings.set_order_setting(
        db.uow(), system_actor, "statuses.awaiting_fulfillment.mapping", {str(integration): "2,13"}
    )
    order_settings.set_order_setting(
        db.uow(), system_actor, "statuses.completed.mapping", {"prestashop": "5"}
    )
    add_shop_order(shop, 401, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")])
    result = _sync(db, system_actor, integration)
    assert result.mapping == "settings"
    assert our_order(db, 401).status == "awaiting_fulfillment"


def test_cursor_pages_through_many_orders_and_limit_stops_early(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 8):
        add_shop_order(
            shop, 500 + n, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")], minutes_ago=100 - n
        )
    first = _sync(db, system_actor, integration, page_size=2, limit=5)
    assert (first.examined, first.created) == (5, 5)
    with db.uow() as uow:
        assert uow.session.get(ShopOrderCursor, integration).id_order == 505
    rest = _sync(db, system_actor, integration, page_size=2)
    assert (rest.created, rest.errors) == (2, 0)
    with db.uow() as uow:
        taken = sorted(int(x) for x in uow.session.scalars(select(Order.external_order_id)))
        assert taken == list(range(501, 508))
        assert uow.session.get(ShopOrderCursor, integration).id_order == 507

    dry = _sync(
        db, system_actor, integration, since=date.today() - timedelta(days=2), page_size=3, dry_run=True
    )
    assert (dry.examined, dry.created, dry.updated) == (7, 0, 0)


def test_unreachable_shop_and_wrong_integration_are_clear_errors_and_change_nothing(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_shop_order(shop, 601, state=PAYMENT, lines=[line(9, "10.00")])
    set_shop_config(db, integration, host="127.0.0.1", port=1, connect_timeout=2)
    with pytest.raises(ShopOrdersUnavailable) as caught:
        _sync(db, system_actor, integration)
    assert (
        caught.value.exit_code == 2
        and "Cannot connect to the shop database 127.0.0.1:1" in caught.value.message
    )
    with db.uow() as uow:
        assert uow.session.scalar(select(Order.id)) is None
        assert uow.session.get(ShopOrderCursor, integration) is None
        assert uow.session.scalar(select(SyncRun.id).where(SyncRun.kind == "orders")) is None

    from tests.support.shop import create_supplier

    supplier, _contractor = create_supplier(db)
    with pytest.raises(NotAShopIntegration) as wrong:
        _sync(db, system_actor, supplier)
    assert wrong.value.exit_code == 2 and "is a supplier_feed integration" in wrong.value.message


# ---------------------------------------------------------------- flowback


def _delivered_events(db: Any) -> list[OrderStatusChanged]:
    with db.uow() as uow:
        rows = uow.session.execute(
            text(
                "SELECT args FROM procrastinate_jobs WHERE task_name = 'orders:order_status_changed' ORDER BY id"
            )
        ).scalars()
        return [
            OrderStatusChanged(a["order_id"], a["order_number"], a["from_status"], a["to_status"],
                               a["changed_by"], a["comment"], datetime.fromisoformat(a["at"]))
            for a in rows
        ]  # fmt: skip


def test_status_changes_flow_back_to_the_shop_with_the_tracking_number(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_shop_order(shop, 701, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")])
    _sync(db, system_actor, integration)
    number = our_order(db, 701).number
    worker = Actor.job("orders:order_status_changed")

    # The operator's workflow is not queued=True: an order from the shop defers the listener anyway.
    wf = OrderWorkflowService()
    wf.transition(db.uow(), system_actor, number, "awaiting_fulfillment")
    wf.transition(db.uow(), system_actor, number, "picking")
    events = _delivered_events(db)
    assert [e.to_status for e in events] == ["awaiting_fulfillment", "picking"]
    # The first job ran late: the order is in picking by now, so it writes nothing (the next job would).
    assert handle_queued_status_change(db.uow(), worker, events[0]) == 1
    assert handle_queued_status_change(db.uow(), worker, events[1]) == 1  # picking: no shop state mapped
    assert shop_rows(shop, f"SELECT current_state FROM {shop.t('orders')} WHERE id_order = 701") == [
        (PAYMENT,)
    ]
    assert shop_rows(shop, f"SELECT count(*) FROM {shop.t('order_history')}") == [(0,)]

    wf.transition(db.uow(), system_actor, number, "ready_for_shipment")
    orders.ship(db.uow(), system_actor, number, carrier="inpost", tracking="620000111222333")
    shipped = _delivered_events(db)[-1]
    assert shipped.to_status == "shipped"
    assert handle_queued_status_change(db.uow(), worker, shipped) == 1

    assert shop_rows(shop, f"SELECT current_state FROM {shop.t('orders')} WHERE id_order = 701") == [
        (SHIPPING,)
    ]
    assert shop_rows(
        shop, f"SELECT id_employee, id_order, id_order_state FROM {shop.t('order_history')}"
    ) == [(0, 701, SHIPPING)]
    assert shop_rows(shop, f"SELECT tracking_number FROM {shop.t('order_carrier')} WHERE id_order = 701") == [
        ("620000111222333",)
    ]
    # A retry of the same job writes nothing twice.
    assert handle_queued_status_change(db.uow(), worker, shipped) == 1
    assert shop_rows(shop, f"SELECT count(*) FROM {shop.t('order_history')}") == [(1,)]
    # The import does not take our own change for the shop's.
    assert _sync(db, system_actor, integration).updated == 0
    assert our_order(db, 701).status == "shipped"


def test_an_unreachable_shop_fails_the_flowback_job_for_the_queue_to_retry(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_shop_order(shop, 801, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")])
    _sync(db, system_actor, integration)
    number = our_order(db, 801).number
    OrderWorkflowService().transition(db.uow(), system_actor, number, "cancelled")
    [event] = _delivered_events(db)
    set_shop_config(db, integration, host="127.0.0.1", port=1, connect_timeout=2)
    worker = Actor.job("orders:order_status_changed")

    with pytest.raises(ShopOrdersUnavailable):
        handle_queued_status_change(db.uow(), worker, event)
    with db.uow() as uow:
        audit = uow.session.scalars(select(OrderAuditLog.details)).all()
        assert "Cannot connect" in audit[-1]["errors"][0]

    set_shop_config(db, integration, host=shop.host, port=shop.port)  # the shop is back: the retry delivers
    assert handle_queued_status_change(db.uow(), worker, event) == 1
    assert shop_rows(shop, f"SELECT current_state FROM {shop.t('orders')} WHERE id_order = 801") == [
        (CANCELED,)
    ]


def test_a_connection_lost_mid_run_keeps_the_pages_taken_in_and_fails_the_run(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 5):
        add_shop_order(
            shop, 900 + n, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")], minutes_ago=60 - n
        )
    killer = shop.connect()

    def kill_after_first_page(done: int, total: int | None, message: str = "") -> None:
        if done == 2:  # the first page is taken in: the shop goes away
            with killer.cursor() as cur:
                # The run's connection is the newest one on the shop's database (the fixture's is older).
                cur.execute(
                    "SELECT max(id) FROM information_schema.PROCESSLIST WHERE db = %s AND id <> CONNECTION_ID()",
                    (shop.database,),
                )
                cur.execute(f"KILL {int(cur.fetchone()[0])}")

    with pytest.raises(ShopOrdersUnavailable) as lost:
        _sync(db, system_actor, integration, page_size=2, progress=kill_after_first_page)
    killer.close()
    assert lost.value.exit_code == 2 and "lost" in lost.value.message
    with db.uow() as uow:
        assert sorted(uow.session.scalars(select(Order.external_order_id))) == ["901", "902"]
        assert uow.session.get(ShopOrderCursor, integration).id_order == 902
        run = uow.session.scalars(select(SyncRun).where(SyncRun.kind == "orders")).one()
        assert (run.status, run.created, run.errors) == ("failed", 2, 1)
    rest = _sync(db, system_actor, integration)
    assert (rest.created, rest.errors) == (2, 0)


# ---------------------------------------------------------------- retries


def retries(db: Any, integration: int) -> dict[int, tuple[int, str]]:
    with db.uow() as uow:
        return {
            r.id_order: (r.attempts, r.reason)
            for r in uow.session.scalars(
                select(ShopOrderRetry).where(ShopOrderRetry.integration_id == integration)
            )
        }


def test_an_order_read_before_its_lines_were_written_is_retried_and_taken_in_once(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_shop_order(shop, 1001, state=PAYMENT, lines=[], minutes_ago=90)  # the lines are not written yet
    add_shop_order(shop, 1002, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")], minutes_ago=80)
    first = _sync(db, system_actor, integration)
    assert (first.created, first.errors, first.retried, first.retry_pending) == (1, 1, 0, 1)
    assert "no lines" in first.error_details[0]["reason"] and first.error_details[0]["id_order"] == 1001
    with db.uow() as uow:
        assert uow.session.get(ShopOrderCursor, integration).id_order == 1002  # the cursor moved past it
    assert list(retries(db, integration)) == [1001]

    # Still without lines: kept, attempts counted; a dry run changes nothing.
    again = _sync(db, system_actor, integration)
    assert (again.retried, again.created, again.errors, again.retry_pending) == (1, 0, 1, 1)
    assert retries(db, integration)[1001][0] == 2

    add_shop_lines(shop, 1001, [line(9, "49.99", 2, ref="NIEZNANY")])
    dry = _sync(db, system_actor, integration, dry_run=True)
    assert (dry.retried, dry.created, dry.errors) == (1, 1, 0)
    assert list(retries(db, integration)) == [1001]
    with db.uow() as uow:
        assert uow.session.scalar(select(Order.id).where(Order.external_order_id == "1001")) is None

    fixed = _sync(db, system_actor, integration)
    assert (fixed.retried, fixed.created, fixed.errors, fixed.retry_pending) == (1, 1, 0, 0)
    assert retries(db, integration) == {}
    taken = orders.get_order(db.uow(), system_actor, our_order(db, 1001).number)
    assert [(i.sku, i.quantity) for i in taken.items] == [("NIEZNANY", Decimal("2.000"))]
    with db.uow() as uow:
        run = uow.session.get(SyncRun, fixed.sync_run_id)
        assert (run.retried, run.created) == (1, 1)

    # Taken in exactly once: later runs (also one reading everything again) create nothing.
    after = _sync(db, system_actor, integration)
    everything = _sync(db, system_actor, integration, since=date.today() - timedelta(days=2))
    assert (after.retried, after.created, everything.created) == (0, 0, 0)
    with db.uow() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Order).where(Order.external_order_id == "1001")
            )
            == 1
        )


def test_an_order_refused_on_our_side_is_retried_after_the_fix_and_a_vanished_one_is_dropped(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_our_product(db, sku="STOCKED", shop_integration=integration, external_id="7:0")
    # Two warehouses and neither is the default: "in preparation" cannot reserve, so placing it fails.
    stock.add_warehouse(db.uow(), system_actor, code="MAG1", name="Magazyn 1")
    stock.add_warehouse(db.uow(), system_actor, code="MAG2", name="Magazyn 2")
    with db.uow() as uow:  # no warehouse marked as the default (and none in the settings)
        uow.session.execute(text("UPDATE warehouses SET is_default = false"))
        uow.commit()
    add_shop_order(shop, 1101, state=PREPARATION, lines=[line(7, "50.00", 1, ref="STOCKED")], minutes_ago=90)
    add_shop_order(shop, 1102, state=PREPARATION, lines=[line(7, "50.00", 1, ref="STOCKED")], minutes_ago=80)
    first = _sync(db, system_actor, integration)
    assert (first.created, first.errors) == (0, 2), first.error_details
    assert "no default warehouse" in first.error_details[0]["reason"]
    assert sorted(retries(db, integration)) == [1101, 1102]

    order_settings.set_order_setting(db.uow(), system_actor, "default_warehouse", "MAG1")  # the fix
    shop_execute(shop, f"DELETE FROM {shop.t('orders')} WHERE id_order = 1102")  # deleted in the shop
    second = _sync(db, system_actor, integration)

    assert (second.retried, second.created, second.errors, second.retry_pending) == (1, 1, 0, 0)
    [gone] = [d for d in second.error_details if d["id_order"] == 1102]
    assert gone["flag"] is True and "no longer has this order" in gone["reason"]
    assert our_order(db, 1101).status == "awaiting_fulfillment"
    assert retries(db, integration) == {}
    assert _sync(db, system_actor, integration).created == 0


def test_a_cancelled_import_keeps_the_pages_taken_in_and_stops(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 5):
        add_shop_order(
            shop, 1200 + n, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")], minutes_ago=60 - n
        )
    stop: list[bool] = []

    def cancel_after_first_page(done: int, total: int | None, message: str = "") -> None:
        if done >= 2:
            stop.append(True)  # the Cancel button of the progress dialog

    result = _sync(
        db,
        system_actor,
        integration,
        page_size=2,
        progress=cancel_after_first_page,
        cancel=lambda: bool(stop),
    )
    assert (result.status, result.created) == ("cancelled", 2)
    with db.uow() as uow:
        assert uow.session.get(ShopOrderCursor, integration).id_order == 1202
        assert uow.session.get(SyncRun, result.sync_run_id).status == "cancelled"
    assert _sync(db, system_actor, integration).created == 2
