"""The shop order → new order mapping (``services/shop/order_mapping.py``) on plain objects: no shop, no
database. The orders import (``tests/integration/test_shop_orders.py``) runs the same function on the
PrestaShop fixture."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from rexbit_desktop.adapters.prestashop.orders import ShopAddress, ShopCustomer, ShopOrder, ShopOrderLine
from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.domain.shop_order_states import ShopStateMapping
from rexbit_desktop.services.shop.connection import ShopIntegration
from rexbit_desktop.services.shop.order_mapping import (
    Catalog,
    CatalogProduct,
    RunTally,
    ShopContext,
    map_shop_order,
)

D = Decimal
WARSAW = ZoneInfo("Europe/Warsaw")


def _shop() -> ShopContext:
    return ShopContext(
        integration=ShopIntegration(id=7, name="Sklep", enabled=True, config={"id_shop": 1}),
        mapping=ShopStateMapping(
            to_ours={2: OrderStatus.PAID, 3: OrderStatus.AWAITING_FULFILLMENT},
            to_shop={OrderStatus.PAID: 2},
            source="settings",
        ),
        state_names={2: "Płatność zaakceptowana", 99: "Własny"},
        zone=WARSAW,
        now=datetime(2026, 11, 30, 12, 0),
    )


def _line(n: int, **kw) -> ShopOrderLine:  # type: ignore[no-untyped-def]
    values = {
        "id_order_detail": n,
        "id_product": 10 + n,
        "id_product_attribute": 0,
        "name": f"Produkt {n}",
        "quantity": 2,
        "reference": f"SKU-{n}",
        "ean13": None,
        "unit_price_gross": D("123.00"),
        "unit_price_net": D("100.00"),
        "tax_rate": D("23.000"),
    }
    values.update(kw)
    return ShopOrderLine(**values)


def _address(**kw) -> ShopAddress:  # type: ignore[no-untyped-def]
    values = {
        "id_address": 1,
        "company": None,
        "firstname": "Anna",
        "lastname": "Nowak",
        "street": "Długa 1",
        "postcode": "00-001",
        "city": "Warszawa",
        "country_iso": "pl",
        "phone": "500600700",
        "vat_number": None,
    }
    values.update(kw)
    return ShopAddress(**values)


def _order(lines: list[ShopOrderLine], **kw) -> ShopOrder:  # type: ignore[no-untyped-def]
    values = {
        "id_order": 501,
        "reference": "XKBKNABJK",
        "current_state": 2,
        "payment": "Przelew",
        "module": "ps_wirepayment",
        "total_paid": D("261.00"),
        "total_paid_real": D("261.00"),
        "shipping_gross": D("15.00"),
        "discounts_gross": D("0"),
        "discounts_net": D("0"),
        "date_add": datetime(2026, 11, 30, 10, 15),
        "date_upd": datetime(2026, 11, 30, 10, 16),
        "id_carrier": 1,
        "id_customer": 1,
        "id_currency": 1,
        "id_address_delivery": 1,
        "id_address_invoice": 1,
        "lines": lines,
        "delivery": _address(),
        "invoice": None,
        "customer": ShopCustomer(1, "Anna", "Nowak", "anna@example.pl", None),
        "carrier_name": "DPD",
        "currency": "PLN",
    }
    values.update(kw)
    return ShopOrder(**values)


def test_lines_are_matched_by_link_then_sku_then_ean_and_unknown_ones_are_kept_and_named() -> None:
    catalog = Catalog(
        by_link={"11:0": CatalogProduct(1, "OUR-1", link_id=41)},
        by_sku={"SKU-2": CatalogProduct(2, "OUR-2")},
        by_ean={"5901234123457": CatalogProduct(3, "OUR-3")},
    )
    lines = [
        _line(1),
        _line(2),
        _line(3, reference=None, ean13="5901234123457"),
        _line(4, reference="NOWY"),
        _line(5, quantity=0),  # refunded to nothing: not delivered
    ]
    run = RunTally()
    new = map_shop_order(_order(lines), _shop(), catalog, run)
    assert new is not None
    assert [(i.sku, i.link_id) for i in new.items] == [
        ("OUR-1", 41),
        ("OUR-2", None),
        ("OUR-3", None),
        ("NOWY", None),
    ]
    assert new.items[2].ean == "5901234123457"
    assert new.metadata["prestashop"]["unknown_items"] == ["NOWY"]
    assert (new.external_order_id, new.integration_id, new.source) == ("501", 7, "prestashop")
    assert new.initial_status == "paid"
    assert new.created_at == datetime(2026, 11, 30, 10, 15, tzinfo=WARSAW)
    assert (new.delivery_method, new.currency, new.shipping_gross) == ("DPD", "PLN", D("15.0000"))
    assert new.payment == {"provider": "ps_wirepayment", "status": "paid", "amount": D("261.0000")}
    assert run.errors == 0 and run.details == []


def test_addresses_customer_and_country() -> None:
    new = map_shop_order(_order([_line(1)]), _shop(), Catalog(), RunTally())
    assert new is not None
    assert set(new.addresses) == {"shipping", "customer"}
    assert new.addresses["shipping"]["country"] == "PL"
    customer = new.addresses["customer"]
    assert (customer["name"], customer["email"], customer["city"]) == (
        "Anna Nowak",
        "anna@example.pl",
        "Warszawa",
    )


def test_a_discount_becomes_one_line_with_its_rate_and_a_missing_tax_rate_is_computed() -> None:
    order = _order(
        [_line(1, tax_rate=D("0"), unit_price_gross=D("108.00"), unit_price_net=D("100.00"))],
        discounts_gross=D("24.60"),
        discounts_net=D("20.00"),
    )
    new = map_shop_order(order, _shop(), Catalog(), RunTally())
    assert new is not None
    assert new.items[0].vat_rate == D("8.00")
    rabat = new.items[-1]
    assert (rabat.sku, rabat.quantity, rabat.price_gross, rabat.vat_rate) == (
        "RABAT",
        D(1),
        D("-24.6000"),
        D("23.00"),
    )


def test_partly_paid_and_unpaid_orders() -> None:
    partly = map_shop_order(_order([_line(1)], total_paid_real=D("100")), _shop(), Catalog(), RunTally())
    unpaid = map_shop_order(_order([_line(1)], total_paid_real=D("0")), _shop(), Catalog(), RunTally())
    assert partly is not None and unpaid is not None
    assert (partly.payment["status"], partly.payment["amount"]) == ("partially_paid", D("100.0000"))
    assert (unpaid.payment["status"], unpaid.payment["amount"]) == ("pending", D("261.0000"))


def test_an_order_without_lines_is_not_taken_in_and_is_read_again_later() -> None:
    run = RunTally()
    assert map_shop_order(_order([_line(1, quantity=0)]), _shop(), Catalog(), run) is None
    assert run.errors == 1 and 501 in run.retry


def test_an_unmapped_state_is_reported_without_failing_the_order() -> None:
    run = RunTally()
    new = map_shop_order(_order([_line(1)], current_state=99), _shop(), Catalog(), run)
    assert new is not None and new.initial_status is None
    assert run.errors == 0
    assert run.details == [
        {
            "id_order": 501,
            "reason": "shop state 99 (Własny) has no status mapped: taken in as the settings' initial status",
            "flag": True,
        }
    ]


def test_an_odd_currency_falls_back_to_zloty() -> None:
    new = map_shop_order(_order([_line(1)], currency="??"), _shop(), Catalog(), RunTally())
    assert new is not None and new.currency == "PLN"
