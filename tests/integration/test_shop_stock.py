"""Our stock → the shop's quantity, and the shop's books after a state push (issue 15): real PostgreSQL,
real MariaDB with the PrestaShop tables."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from sqlalchemy import text

from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.shop.flowback import push_order_status
from rexbit_desktop.services.shop.orders import sync_orders
from rexbit_desktop.services.shop.stock import (
    JSON_KEYS,
    StockSyncOff,
    product_shop_stock,
    push_stock,
)
from rexbit_desktop.services.stock import stock
from tests.support.shop import (
    add_our_product,
    add_shop_order,
    add_shop_product,
    create_shop_integration,
    line,
    set_shop_config,
    shop_execute,
)

pytestmark = pytest.mark.mysql

PAYMENT, PREPARATION, SHIPPING, CANCELED, ERROR, BANKWIRE = 2, 3, 4, 6, 8, 10

# PrestaShop's pack table (install-dev/data/db_structure.sql, 8.x/9.x); the fixture predates it.
PACK_DDL = """
CREATE TABLE {t} (
  `id_product_pack` int(10) unsigned NOT NULL,
  `id_product_item` int(10) unsigned NOT NULL,
  `id_product_attribute_item` int(10) unsigned NOT NULL,
  `quantity` int(10) unsigned NOT NULL DEFAULT 1,
  PRIMARY KEY (`id_product_pack`, `id_product_item`, `id_product_attribute_item`),
  KEY `product_item` (`id_product_item`, `id_product_attribute_item`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
"""


def shop_value(shop: Any, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = list(cur.fetchall())
    conn.close()
    return rows


def quantity(shop: Any, id_product: int, id_attr: int = 0, key: tuple[int, int] = (1, 0)) -> tuple[int, ...]:
    """(quantity, reserved_quantity, physical_quantity) of one stock row."""
    [row] = shop_value(
        shop,
        f"SELECT quantity, reserved_quantity, physical_quantity FROM {shop.t('stock_available')}"
        " WHERE id_product = %s AND id_product_attribute = %s AND id_shop = %s AND id_shop_group = %s",
        (id_product, id_attr, *key),
    )
    return tuple(int(v) for v in row)


def shop_reserved_rule(shop: Any, id_product: int, id_attr: int = 0) -> int:
    """PrestaShop's own reserved rule (StockManager::updatePhysicalProductQuantity), run here by hand."""
    t = shop.t
    [(units,)] = shop_value(
        shop,
        f"SELECT COALESCE(SUM(od.product_quantity - od.product_quantity_refunded), 0)"
        f" FROM {t('orders')} o JOIN {t('order_state')} os ON os.id_order_state = o.current_state"
        f" JOIN {t('order_detail')} od ON od.id_order = o.id_order"
        " WHERE o.id_shop = 1 AND os.shipped != 1"
        " AND (o.valid = 1 OR (os.id_order_state != %s AND os.id_order_state != %s))"
        " AND od.product_id = %s AND od.product_attribute_id = %s",
        (ERROR, CANCELED, id_product, id_attr),
    )
    return int(units)


def push(db: Any, integration: int, **kwargs: Any):  # type: ignore[no-untyped-def]
    result = push_stock(db.uow(), Actor.system(), integration_id=integration, **kwargs)
    assert result.status in ("succeeded", "skipped"), (result.message, result.error_details)
    return result


@pytest.fixture
def integration(db, shop, system_actor) -> int:  # type: ignore[no-untyped-def]
    stock.add_warehouse(db.uow(), system_actor, code="MAG", name="Magazyn", default=True)
    return create_shop_integration(db, shop, stock_sync="on", stock_buffer=2)


def test_config_keys_are_validated_with_defaults(shop) -> None:  # type: ignore[no-untyped-def]
    cfg = validate_prestashop_config(shop.config())
    assert (cfg["stock_sync"], cfg["stock_warehouses"], cfg["stock_buffer"]) == ("off", None, 0)
    cfg = validate_prestashop_config(
        shop.config(stock_sync="ON", stock_warehouses="MAG, SKLEP", stock_buffer=3)
    )
    assert (cfg["stock_sync"], cfg["stock_warehouses"], cfg["stock_buffer"]) == ("on", ["MAG", "SKLEP"], 3)
    for bad in ({"stock_sync": "yes please"}, {"stock_buffer": -1}, {"stock_warehouses": []},
                {"stock_warehouses": [5]}):  # fmt: skip
        with pytest.raises(ValidationError) as err:
            validate_prestashop_config(shop.config(**bad))
        assert next(iter(bad)) in err.value.message


def move(db: Any, number: str, *statuses: str) -> None:
    for status in statuses:
        parcel = {"carrier": "pickup"} if status == "shipped" else {}
        OrderWorkflowService().transition(db.uow(), Actor.system(), number, status, **parcel)


def new_order(db: Any, sku: str, qty: str) -> str:
    order = orders.create_order(
        db.uow(), Actor.system(),
        {"customer": {"name": "Jan"}, "items": [{"sku": sku, "quantity": qty, "price_gross": "10"}]},
    )  # fmt: skip
    return order.number


def test_receipt_reservation_wz_and_storno_reach_the_shop(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_shop_product(shop, 7, reference="KUBEK")
    add_our_product(db, sku="KUBEK", shop_integration=integration, external_id="7:0")

    stock.receive_stock(db.uow(), system_actor, sku="KUBEK", warehouse="MAG", qty="40")
    with db.uow() as uow:  # the receipt marked the product for this shop and queued one push
        assert uow.session.execute(text("SELECT count(*) FROM shop_stock_dirty")).scalar() == 1
        jobs = uow.session.execute(
            text("SELECT task_name, queue_name, args FROM procrastinate_jobs WHERE status = 'todo'")
        ).all()
    assert [(j[0], j[1], j[2]["integration_id"]) for j in jobs] == [
        ("shop:push_stock", "integrations", integration)
    ]

    result = push(db, integration, changed_only=True)
    assert set(result.counts()) == set(JSON_KEYS)
    assert (result.examined, result.written, result.errors) == (1, 1, 0)
    q, reserved, physical = quantity(shop, 7)
    assert q == 40 - 2 and physical == q + reserved  # buffer 2; the fixture's reserved 3 stays
    assert push(db, integration, changed_only=True).status == "skipped"  # the mark is gone
    again = push(db, integration)
    assert (again.examined, again.to_write, again.written, again.skipped_unchanged) == (1, 0, 0, 1)

    number = new_order(db, "KUBEK", "5")
    move(db, number, "awaiting_fulfillment")  # reserves 5
    push(db, integration, changed_only=True)
    assert quantity(shop, 7)[0] == 35 - 2
    move(db, number, "picking", "ready_for_shipment")  # the WZ is posted here (default automation)
    with db.uow() as uow:
        assert (
            uow.session.execute(text("SELECT count(*) FROM warehouse_documents WHERE type = 'WZ'")).scalar()
            == 1
        )
    push(db, integration, changed_only=True)
    assert quantity(shop, 7)[0] == 35 - 2  # already counted by the reservation
    move(db, number, "cancelled")  # the WZ is cancelled by a storno
    push(db, integration, changed_only=True)
    q, reserved, physical = quantity(shop, 7)
    assert (q, physical) == (40 - 2, 40 - 2 + reserved)


def test_a_released_reservation_gives_the_units_back(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_shop_product(shop, 8, reference="TALERZ")
    add_our_product(db, sku="TALERZ", shop_integration=integration, external_id="8:0")
    set_shop_config(db, integration, stock_buffer=0)
    stock.receive_stock(db.uow(), system_actor, sku="TALERZ", warehouse="MAG", qty="40")
    number = new_order(db, "TALERZ", "5")
    move(db, number, "awaiting_fulfillment")
    push(db, integration, changed_only=True)
    assert quantity(shop, 8)[0] == 35
    move(db, number, "cancelled")
    push(db, integration, changed_only=True)
    assert quantity(shop, 8)[0] == 40


def test_a_shop_order_not_taken_in_keeps_its_units_out(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    set_shop_config(db, integration, stock_buffer=0)
    add_shop_product(shop, 9, reference="SZKLANKA")
    add_our_product(db, sku="SZKLANKA", shop_integration=integration, external_id="9:0")
    stock.receive_stock(db.uow(), system_actor, sku="SZKLANKA", warehouse="MAG", qty="20")
    push(db, integration)
    assert quantity(shop, 9)[0] == 20

    # A checkout in the shop: units taken off, the order written; rexbit has not taken it in yet.
    add_shop_order(shop, 301, state=PREPARATION, lines=[line(9, "10.00", 4, ref="SZKLANKA")])
    shop_execute(
        shop,
        f"UPDATE {shop.t('stock_available')} SET quantity = quantity - 4, physical_quantity = physical_quantity - 4"
        " WHERE id_product = 9",
    )
    result = push(db, integration)
    assert (quantity(shop, 9)[0], result.pending_shop_orders, result.written) == (16, 1, 0)

    sync = sync_orders(db.uow(), system_actor, integration_id=integration)
    assert sync.created == 1
    assert stock.product_stock(db.uow(), system_actor, sku="SZKLANKA").reserved == Decimal("4.000")
    result = push(db, integration)
    assert (quantity(shop, 9)[0], result.pending_shop_orders, result.written) == (16, 0, 0)


def test_concurrent_checkouts_are_never_lost(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    """Simulated checkouts (quantity − n plus the order rows, one shop transaction each) run while pushes
    run in a loop; at the end the shop's quantity equals the formula: no unit sold twice."""
    set_shop_config(db, integration, stock_buffer=0)
    add_shop_product(shop, 11, reference="LAMPA")
    add_our_product(db, sku="LAMPA", shop_integration=integration, external_id="11:0")
    stock.receive_stock(db.uow(), system_actor, sku="LAMPA", warehouse="MAG", qty="500")
    push(db, integration)
    assert quantity(shop, 11)[0] == 500

    stop = threading.Event()
    sold: list[int] = []
    errors: list[BaseException] = []

    def checkouts() -> None:
        conn = shop.connect()
        t = shop.t
        try:
            n = 0
            while not stop.is_set() and n < 60:
                n += 1
                id_order = 1000 + n
                qty = 1 + n % 3
                conn.begin()
                with conn.cursor() as cur:
                    cur.execute(
                        f"INSERT INTO {t('orders')} (id_order, reference, id_shop_group, id_shop, id_carrier,"
                        " id_lang, id_customer, id_cart, id_currency, id_address_delivery, id_address_invoice,"
                        " current_state, payment, module, invoice_date, delivery_date, valid, date_add, date_upd)"
                        " VALUES (%s, 'SIM', 1, 1, 1, 1, 1, %s, 1, 1, 1, %s, 'x', 'x', NOW(), NOW(), 1, NOW(),"
                        " NOW())",
                        (id_order, id_order, PAYMENT),
                    )
                    cur.execute(
                        f"INSERT INTO {t('order_detail')} (id_order, id_shop, product_id, product_attribute_id,"
                        " product_name, product_quantity, product_weight, tax_name, unit_price_tax_incl,"
                        " unit_price_tax_excl, total_price_tax_incl) VALUES (%s, 1, 11, 0, 'Lampa', %s, 0, 'PTU',"
                        " 10, 10, 10)",
                        (id_order, qty),
                    )
                    cur.execute(
                        f"UPDATE {t('stock_available')} SET quantity = quantity - %s,"
                        " physical_quantity = physical_quantity - %s WHERE id_product = 11",
                        (qty, qty),
                    )
                conn.commit()
                sold.append(qty)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    buyer = threading.Thread(target=checkouts)
    buyer.start()
    pushes = 0
    while buyer.is_alive():
        push(db, integration)
        pushes += 1
    buyer.join()
    assert not errors, errors
    final = push(db, integration)
    assert pushes >= 2 and len(sold) == 60
    assert final.pending_shop_orders == 60
    assert quantity(shop, 11)[0] == 500 - sum(sold)


def test_a_pushed_value_waits_for_a_checkout_in_progress(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    """The interleaving the loop above may miss, forced: a checkout commits while the push holds its rows."""
    set_shop_config(db, integration, stock_buffer=0)
    add_shop_product(shop, 12, reference="STOL")
    add_our_product(db, sku="STOL", shop_integration=integration, external_id="12:0")
    stock.receive_stock(db.uow(), system_actor, sku="STOL", warehouse="MAG", qty="30")
    push(db, integration)
    checkout_done = threading.Event()
    blocked: list[bool] = []

    def checkout_during_push() -> None:
        def buy() -> None:
            conn = shop.connect()
            conn.begin()
            with conn.cursor() as cur:
                add_order_rows(shop, cur, 2001, 12, 3)
                cur.execute(
                    f"UPDATE {shop.t('stock_available')} SET quantity = quantity - 3,"
                    " physical_quantity = physical_quantity - 3 WHERE id_product = 12"
                )
            conn.commit()
            conn.close()
            checkout_done.set()

        threading.Thread(target=buy).start()
        blocked.append(not checkout_done.wait(1.0))  # it waits for the push's lock

    push(db, integration, full=True, before_write=checkout_during_push)
    assert checkout_done.wait(10)
    assert blocked == [True]
    assert quantity(shop, 12)[0] == 27
    assert push(db, integration).written == 0


def add_order_rows(
    shop: Any, cur: Any, id_order: int, id_product: int, qty: int, state: int = PAYMENT
) -> None:
    t = shop.t
    cur.execute(
        f"INSERT INTO {t('orders')} (id_order, reference, id_shop_group, id_shop, id_carrier, id_lang,"
        " id_customer, id_cart, id_currency, id_address_delivery, id_address_invoice, current_state, payment,"
        " module, invoice_date, delivery_date, valid, date_add, date_upd) VALUES (%s, 'SIM', 1, 1, 1, 1, 1, %s,"
        " 1, 1, 1, %s, 'x', 'x', NOW(), NOW(), 1, NOW(), NOW())",
        (id_order, id_order, state),
    )
    cur.execute(
        f"INSERT INTO {t('order_detail')} (id_order, id_shop, product_id, product_attribute_id, product_name,"
        " product_quantity, product_weight, tax_name, unit_price_tax_incl, unit_price_tax_excl,"
        " total_price_tax_incl) VALUES (%s, 1, %s, 0, 'x', %s, 0, 'PTU', 10, 10, 10)",
        (id_order, id_product, qty),
    )


def test_combinations_parent_is_the_sum_and_packs_are_skipped(
    db, shop, system_actor, integration, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Batches of 2 items on two shop connections: a product's combinations are split over batches.
    monkeypatch.setattr("rexbit_desktop.services.shop.stock.BATCH_SIZE", 2)
    set_shop_config(db, integration, stock_buffer=0)
    add_shop_product(shop, 20, reference="KOSZULKA", combinations=[(201, "K-S", None), (202, "K-M", None),
                                                                   (203, "K-L", None)])  # fmt: skip
    for attr, qty in ((201, "3"), (202, "5"), (203, "9")):
        add_our_product(db, sku=f"K-{attr}", shop_integration=integration, external_id=f"20:{attr}")
        stock.receive_stock(db.uow(), system_actor, sku=f"K-{attr}", warehouse="MAG", qty=qty)
    add_shop_product(shop, 30, reference="ZESTAW")
    shop_execute(shop, PACK_DDL.format(t=shop.t("pack")))
    shop_execute(shop, f"INSERT INTO {shop.t('pack')} VALUES (30, 20, 201, 2)")
    shop_execute(
        shop, f"UPDATE {shop.t('product')} SET cache_is_pack = 1, pack_stock_type = 1 WHERE id_product = 30"
    )
    add_our_product(db, sku="ZESTAW", shop_integration=integration, external_id="30:0")
    stock.receive_stock(db.uow(), system_actor, sku="ZESTAW", warehouse="MAG", qty="50")

    result = push(db, integration)
    assert [quantity(shop, 20, a)[0] for a in (201, 202, 203)] == [3, 5, 9]
    q, reserved, physical = quantity(shop, 20, 0)
    assert (q, physical) == (17, 17 + reserved)
    assert quantity(shop, 30)[0] == 7  # the pack: untouched (the fixture's value)
    assert result.skipped_packs == 1
    assert any("pack" in d["reason"] and d["external_id"] == "30:0" for d in result.error_details)

    # A pack order not taken in takes its items' units (pack_stock_type 1: items only).
    add_shop_order(shop, 401, state=PAYMENT, lines=[line(30, "50.00", 1)])
    stock.receive_stock(db.uow(), system_actor, sku="K-202", warehouse="MAG", qty="1")
    push(db, integration)
    assert [quantity(shop, 20, a)[0] for a in (201, 202, 203)] == [1, 6, 9]
    assert quantity(shop, 20, 0)[0] == 16


def test_a_shared_stock_group_gets_no_id_shop_rows(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    set_shop_config(db, integration, stock_buffer=0)
    shop_execute(shop, f"UPDATE {shop.t('shop_group')} SET share_stock = 1 WHERE id_shop_group = 1")
    add_shop_product(shop, 40, reference="SHARED", stock_key=(0, 1))
    add_our_product(db, sku="SHARED", shop_integration=integration, external_id="40:0")
    stock.receive_stock(db.uow(), system_actor, sku="SHARED", warehouse="MAG", qty="12")
    push(db, integration)
    assert quantity(shop, 40, 0, key=(0, 1))[0] == 12
    assert shop_value(
        shop, f"SELECT count(*) FROM {shop.t('stock_available')} WHERE id_product = 40 AND id_shop <> 0"
    ) == [(0,)]


def test_stock_sync_off_refuses_and_marks_nothing(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    stock.add_warehouse(db.uow(), system_actor, code="MAG", name="Magazyn", default=True)
    off = create_shop_integration(db, shop)
    add_shop_product(shop, 50, reference="OFF")
    add_our_product(db, sku="OFF", shop_integration=off, external_id="50:0")
    stock.receive_stock(db.uow(), system_actor, sku="OFF", warehouse="MAG", qty="5")
    with db.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM shop_stock_dirty")).scalar() == 0
        assert uow.session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 0
    with pytest.raises(StockSyncOff):
        push_stock(db.uow(), system_actor, integration_id=off)
    dry = push_stock(db.uow(), system_actor, integration_id=off, dry_run=True)
    assert (dry.to_write, dry.written) == (1, 0) and quantity(shop, 50)[0] == 7
    set_shop_config(db, off, stock_warehouses=["NOPE"], stock_sync="on")
    failed = push_stock(db.uow(), system_actor, integration_id=off)
    assert failed.status == "failed" and "NOPE" in (failed.message or "")


def test_a_burst_of_changes_is_one_job(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    for i in range(500):
        add_our_product(db, sku=f"B-{i}", shop_integration=integration, external_id=f"{1000 + i}:0")
    with db.uow() as uow:  # 500 separate stock changes, each its own transaction
        wh = uow.session.execute(text("SELECT id FROM warehouses WHERE code = 'MAG'")).scalar()
        ids = [r[0] for r in uow.session.execute(text("SELECT id FROM products WHERE sku LIKE 'B-%'"))]
    with db.engine.connect() as conn:
        for product_id in ids:
            conn.execute(
                text(
                    "INSERT INTO warehouse_stock_totals (product_id, warehouse_id, on_hand) VALUES (:p, :w, 1)"
                ),
                {"p": product_id, "w": wh},
            )
            conn.commit()
    with db.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM shop_stock_dirty")).scalar() == 500
        jobs = uow.session.execute(
            text("SELECT count(*), min(scheduled_at) > now() - interval '10 seconds' FROM procrastinate_jobs")
        ).one()
    assert tuple(jobs) == (1, True)


def test_product_detail_shows_shop_now_and_what_rexbit_would_write(
    db, shop, system_actor, integration
) -> None:  # type: ignore[no-untyped-def]
    add_shop_product(shop, 60, reference="WIDOK")
    add_our_product(db, sku="WIDOK", shop_integration=integration, external_id="60:0")
    stock.receive_stock(db.uow(), system_actor, sku="WIDOK", warehouse="MAG", qty="15")
    [line_] = product_shop_stock(db.uow(), system_actor, sku="WIDOK")
    assert (line_.external_id, line_.shop_quantity, line_.rexbit_quantity) == ("60:0", 7, 13)
    assert quantity(shop, 60)[0] == 7  # looking wrote nothing


# ---------------------------------------------------------------- the shop's books after a state push


def test_cancel_and_ship_keep_the_shops_books(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_shop_product(shop, 70, reference="KSIAZKA")
    add_shop_product(shop, 71, reference="PIORO")
    add_our_product(db, sku="KSIAZKA", shop_integration=integration, external_id="70:0")
    add_our_product(db, sku="PIORO", shop_integration=integration, external_id="71:0")
    stock.receive_stock(db.uow(), system_actor, sku="KSIAZKA", warehouse="MAG", qty="20")
    stock.receive_stock(db.uow(), system_actor, sku="PIORO", warehouse="MAG", qty="20")
    add_shop_order(
        shop,
        501,
        state=PAYMENT,
        lines=[line(70, "10.00", 2, ref="KSIAZKA"), line(71, "5.00", 1, ref="PIORO")],
    )
    add_shop_order(shop, 502, state=PAYMENT, lines=[line(70, "10.00", 3, ref="KSIAZKA")], minutes_ago=50)
    assert sync_orders(db.uow(), system_actor, integration_id=integration).created == 2
    with db.uow() as uow:
        ours = dict(uow.session.execute(text("SELECT external_order_id, number FROM orders")).all())
    # The fixture rows' reserved (3) is not the shop's rule yet; a state push recomputes it.
    move(db, ours["501"], "cancelled")
    pushed = push_order_status(db.uow(), system_actor, order_id=_order_id(db, "501"), status="cancelled")
    assert pushed is not None and pushed.state_written
    assert shop_value(shop, f"SELECT valid, current_state FROM {shop.t('orders')} WHERE id_order = 501") == [
        (0, CANCELED)
    ]
    for pid in (70, 71):
        q, reserved, physical = quantity(shop, pid)
        assert reserved == shop_reserved_rule(shop, pid) and physical == q + reserved
    assert quantity(shop, 70)[1] == 3 and quantity(shop, 71)[1] == 0

    move(db, ours["502"], "awaiting_fulfillment", "picking", "ready_for_shipment", "shipped")
    push_order_status(db.uow(), system_actor, order_id=_order_id(db, "502"), status="shipped")
    q, reserved, physical = quantity(shop, 70)
    assert (reserved, physical) == (0, q) and reserved == shop_reserved_rule(shop, 70)


def _order_id(db: Any, external: str) -> int:
    with db.uow() as uow:
        return int(
            uow.session.execute(
                text("SELECT id FROM orders WHERE external_order_id = :e"), {"e": external}
            ).scalar()
        )


def test_integration_test_warns_about_states_that_make_documents(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    from rexbit_desktop.services.shop.connection import check_shop_connection

    integration = create_shop_integration(db, shop)
    report = check_shop_connection(db.uow(), system_actor, integration_id=integration)
    assert report.ok
    # The fixture's PS_OS_PAYMENT (2) has invoice = 1, PS_OS_SHIPPING (4) delivery = 1.
    assert any("state 2" in w and "invoice" in w for w in report.warnings), report.warnings
    assert any("state 4" in w and "delivery" in w for w in report.warnings), report.warnings


def test_unreachable_shop_fails_the_push_with_a_run(db, shop, system_actor, integration) -> None:  # type: ignore[no-untyped-def]
    add_our_product(db, sku="X", shop_integration=integration, external_id="1:0")
    set_shop_config(db, integration, port=1)
    result = push_stock(db.uow(), system_actor, integration_id=integration)
    assert result.status == "failed" and result.errors == 1 and result.sync_run_id
    assert "password" not in (result.message or "").lower() or shop.password == ""


_ = pymysql
