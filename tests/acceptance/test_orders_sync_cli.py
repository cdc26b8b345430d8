"""``rexbit orders sync-external`` as operators and cron run it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
from rexbit_desktop.db.models import Integration, Order, SyncRun


def rexbit(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rexbit_desktop.cli", "--database-url", db_url, *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def _integration(db, shop, **overrides) -> int:  # type: ignore[no-untyped-def]
    with db.uow() as uow:
        row = Integration(
            name=f"shop-{uuid.uuid4().hex[:6]}",
            type="prestashop_db",
            config=validate_prestashop_config(shop.config(**overrides)),
        )
        uow.session.add(row)
        uow.commit()
        return row.id


def _shop_order(shop, id_order: int, state: int) -> None:  # type: ignore[no-untyped-def]
    """A paid shop order with one line, its customer and one address (delivery = invoice)."""
    t = shop.t
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t('customer')} (id_customer, id_gender, firstname, lastname, email, passwd, date_add,"
            " date_upd) VALUES (%s, 1, 'Jan', 'Kowalski', 'jan@example.pl', 'x', NOW(), NOW())",
            (id_order,),
        )
        cur.execute(
            f"INSERT INTO {t('address')} (id_address, id_country, id_customer, alias, lastname, firstname,"
            " address1, postcode, city, date_add, date_upd) VALUES (%s, 14, %s, 'dom', 'Kowalski', 'Jan',"
            " 'ul. Długa 1', '00-001', 'Warszawa', NOW(), NOW())",
            (id_order, id_order),
        )
        cur.execute(
            f"INSERT INTO {t('orders')} (id_order, reference, id_carrier, id_lang, id_customer, id_cart,"
            " id_currency, id_address_delivery, id_address_invoice, current_state, payment, module, total_paid,"
            " total_paid_real, total_shipping_tax_incl, invoice_date, delivery_date, date_add, date_upd)"
            " VALUES (%s, 'ABCDEFGHI', 3, 1, %s, %s, 1, %s, %s, %s, 'Przelewy24', 'przelewy24', '61.50',"
            " '61.50', '12.30', NOW(), NOW(), NOW() - INTERVAL 1 HOUR, NOW() - INTERVAL 1 HOUR)",
            (id_order, id_order, id_order, id_order, id_order, state),
        )
        cur.execute(
            f"INSERT INTO {t('order_detail')} (id_order, id_shop, product_id, product_name, product_quantity,"
            " product_reference, product_weight, tax_name, tax_rate, unit_price_tax_incl, unit_price_tax_excl)"
            " VALUES (%s, 1, 1, 'Kubek', 2, 'KUBEK-1', 0, 'PTU', 23, '24.60', '20.00')",
            (id_order,),
        )
    conn.close()


@pytest.mark.slow
def test_sync_external_takes_in_the_shops_orders_once(db, db_url, shop) -> None:  # type: ignore[no-untyped-def]
    integration = _integration(db, shop)
    _shop_order(shop, 11, state=2)  # PS_OS_PAYMENT
    _shop_order(shop, 12, state=4)  # PS_OS_SHIPPING

    first = rexbit(db_url, "orders", "sync-external", f"--integration={integration}", "--json")
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert {k: counts[k] for k in ("examined", "created", "updated", "errors")} == {
        "examined": 2, "created": 2, "updated": 0, "errors": 0,
    }  # fmt: skip
    again = rexbit(db_url, "orders", "sync-external", "--integration", str(integration))
    assert again.returncode == 0, again.stderr
    assert "created 0, updated 0" in again.stdout and "errors 0" in again.stdout
    with db.uow() as uow:
        taken = dict(uow.session.execute(select(Order.external_order_id, Order.status)).all())
        assert taken == {"11": "paid", "12": "shipped"}
        kinds = uow.session.scalars(select(SyncRun.kind).where(SyncRun.integration_id == integration)).all()
        assert kinds == ["orders", "orders"]

    listed = rexbit(db_url, "orders", "list", "--json")
    assert {o["status"] for o in json.loads(listed.stdout)} == {"paid", "shipped"}


def test_unreachable_shop_and_wrong_integration_exit_2_with_one_message(db, db_url, shop) -> None:  # type: ignore[no-untyped-def]
    down = _integration(db, shop, host="127.0.0.1", port=1, connect_timeout=2)
    result = rexbit(db_url, "orders", "sync-external", f"--integration={down}")
    assert result.returncode == 2
    assert "error: Cannot connect to the shop database 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr
    with db.uow() as uow:
        feed = Integration(name="hurtownia", type="supplier_feed")
        uow.session.add(feed)
        uow.commit()
        feed_id = feed.id
    wrong = rexbit(db_url, "orders", "sync-external", f"--integration={feed_id}")
    assert wrong.returncode == 2
    assert "is a supplier_feed integration, not a PrestaShop database" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    with db.uow() as uow:
        assert uow.session.scalar(select(Order.id)) is None
