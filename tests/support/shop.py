"""Helpers for the PrestaShop tests: our side (integrations, products, links, offers) in PostgreSQL and
the shop side (products, combinations, stock rows, texts) in the MariaDB fixture."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rexbit_desktop.adapters.prestashop.config import validate_prestashop_config
from rexbit_desktop.db.models import Contractor, Integration, IntegrationProductLink, Product

# What a fresh shop row holds before we sync; the sync must never change quantity or reserved_quantity.
INITIAL_QUANTITY = 7
INITIAL_RESERVED = 3
INITIAL_TEXT = "initial"


def create_shop_integration(db: Any, shop: Any, **overrides: Any) -> int:
    """A prestashop_db integration on the fixture shop (until ``integration create`` is used)."""
    overrides.setdefault("product_listing_enabled", True)
    cfg = validate_prestashop_config(shop.config(**overrides))
    with db.uow() as uow:
        row = Integration(name=f"shop-{uuid.uuid4().hex[:8]}", type="prestashop_db", config=cfg, enabled=True)
        uow.session.add(row)
        uow.commit()
        return row.id


def set_shop_config(db: Any, integration_id: int, **changes: Any) -> None:
    with db.uow() as uow:
        row = uow.session.get(Integration, integration_id)
        row.config = validate_prestashop_config({**row.config, **changes})
        uow.commit()


def create_supplier(db: Any, name: str = "Hurtownia") -> tuple[int, int]:
    """A supplier_feed integration and its contractor: (integration id, contractor id)."""
    with db.uow() as uow:
        contractor = Contractor(name=name)
        uow.session.add(contractor)
        uow.session.flush()
        row = Integration(
            name=f"{name}-{uuid.uuid4().hex[:8]}",
            type="supplier_feed",
            contractor_id=contractor.id,
            enabled=True,
        )
        uow.session.add(row)
        uow.commit()
        return row.id, contractor.id


@dataclass
class Offer:
    stock: Any
    days: int | None = 2


def add_our_product(
    db: Any,
    *,
    sku: str,
    shop_integration: int,
    external_id: str,
    offers: dict[tuple[int, int], Offer] | None = None,
) -> int:
    """Our product linked to the shop item ``external_id`` with offers ``{(supplier integration,
    contractor): Offer}``."""
    with db.uow() as uow:
        product = Product(sku=sku, name=f"Produkt {sku}")
        uow.session.add(product)
        uow.session.flush()
        uow.session.add(
            IntegrationProductLink(
                integration_id=shop_integration, product_id=product.id, external_id=external_id
            )
        )
        for (supplier, contractor), offer in (offers or {}).items():
            uow.session.add(
                IntegrationProductLink(
                    integration_id=supplier,
                    product_id=product.id,
                    external_id=f"feed-{sku}",
                    external_sku=sku,
                    supplier_availability={
                        "contractor_id": contractor,
                        "stock_quantity": offer.stock,
                        "delivery_days": offer.days,
                        "purchase_price": "10.00",
                        "updated_at": "2026-11-28T10:00:00+00:00",
                    },
                )
            )
        uow.commit()
        return product.id


def set_offer(db: Any, supplier: int, sku: str, stock: Any, days: int | None = 2) -> None:
    with db.uow() as uow:
        link = (
            uow.session.query(IntegrationProductLink)
            .filter_by(integration_id=supplier, external_id=f"feed-{sku}")
            .one()
        )
        link.supplier_availability = {
            **link.supplier_availability,
            "stock_quantity": stock,
            "delivery_days": days,
        }
        uow.commit()


def last_availability(db: Any, shop_integration: int, external_id: str) -> dict[str, Any] | None:
    from rexbit_desktop.domain.roles import Actor
    from rexbit_desktop.services.shop.availability import last_availability as recorded

    return recorded(db.uow(), Actor.system(), integration_id=shop_integration, external_id=external_id)


# ---------------------------------------------------------------- shop side


def add_shop_product(
    shop: Any,
    id_product: int,
    *,
    reference: str | None = None,
    ean13: str | None = None,
    name: str | None = None,
    combinations: list[tuple[int, str | None, str | None]] = (),  # type: ignore[assignment]
    languages: tuple[int, ...] = (1, 2),
    id_shop: int = 1,
    stock_key: tuple[int, int] = (1, 0),
    out_of_stock: int = 2,
) -> None:
    """A product (and its combinations) as PrestaShop stores it: product, product_lang per language,
    product_attribute(+_lang), and stock_available rows keyed ``stock_key`` = (id_shop, id_shop_group)."""
    conn = shop.connect()
    t = shop.t
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t('product')} (id_product, id_tax_rules_group, reference, ean13, date_add, date_upd,"
            " date_novelty) VALUES (%s, 1, %s, %s, NOW(), NOW(), NOW())",
            (id_product, reference, ean13),
        )
        for id_lang in languages:
            cur.execute(
                f"INSERT INTO {t('product_lang')} (id_product, id_shop, id_lang, link_rewrite, name, available_now,"
                " available_later) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (id_product, id_shop, id_lang, f"p-{id_product}", name or f"Product {id_product} L{id_lang}",
                 INITIAL_TEXT, INITIAL_TEXT),
            )  # fmt: skip
        rows = [(id_product, 0)]
        for id_attr, ref, ean in combinations:
            cur.execute(
                f"INSERT INTO {t('product_attribute')} (id_product_attribute, id_product, reference, ean13)"
                " VALUES (%s, %s, %s, %s)",
                (id_attr, id_product, ref, ean),
            )
            for id_lang in languages:
                cur.execute(
                    f"INSERT INTO {t('product_attribute_lang')} VALUES (%s, %s, %s, %s)",
                    (id_attr, id_lang, INITIAL_TEXT, INITIAL_TEXT),
                )
            rows.append((id_product, id_attr))
        for pid, aid in rows:
            cur.execute(
                f"INSERT INTO {t('stock_available')} (id_product, id_product_attribute, id_shop, id_shop_group,"
                " quantity, physical_quantity, reserved_quantity, out_of_stock) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                (pid, aid, stock_key[0], stock_key[1], INITIAL_QUANTITY, INITIAL_QUANTITY + INITIAL_RESERVED,
                 INITIAL_RESERVED, out_of_stock),
            )  # fmt: skip
    conn.close()


def stock_rows(shop: Any) -> dict[tuple[int, int, int, int], tuple[int, int, int]]:
    """(id_product, id_product_attribute, id_shop, id_shop_group) → (out_of_stock, quantity, reserved)."""
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT id_product, id_product_attribute, id_shop, id_shop_group, out_of_stock, quantity,"
            f" reserved_quantity FROM {shop.t('stock_available')}"
        )
        result = {tuple(r[:4]): tuple(r[4:]) for r in cur.fetchall()}
    conn.close()
    return result  # type: ignore[return-value]


def product_texts(shop: Any, id_shop: int = 1) -> dict[tuple[int, int], tuple[str, str]]:
    """(id_product, id_lang) → (available_now, available_later) of product_lang in ``id_shop``."""
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT id_product, id_lang, available_now, available_later FROM {shop.t('product_lang')}"
            " WHERE id_shop = %s",
            (id_shop,),
        )
        result = {(r[0], r[1]): (r[2], r[3]) for r in cur.fetchall()}
    conn.close()
    return result


def combination_texts(shop: Any) -> dict[tuple[int, int], tuple[str, str]]:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT id_product_attribute, id_lang, available_now, available_later"
            f" FROM {shop.t('product_attribute_lang')}"
        )
        result = {(r[0], r[1]): (r[2], r[3]) for r in cur.fetchall()}
    conn.close()
    return result


def shop_execute(shop: Any, sql: str, params: Any = None) -> None:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(sql, params)
    conn.close()


# ---------------------------------------------------------------- shop orders

INPOST = 2  # the fixture's carrier with url https://inpost.pl/sledzenie-przesylek?number=@


def add_shop_order(
    shop: Any,
    id_order: int,
    *,
    state: int,
    lines: list[dict[str, Any]],
    minutes_ago: int = 60,
    total_paid: str | None = None,
    total_paid_real: str | None = None,
    shipping: str = "15.00",
    module: str = "ps_wirepayment",
    reference: str = "KHWLILZLL",
    id_carrier: int = INPOST,
    tracking: str | None = None,
    id_lang: int = 1,
) -> None:
    """An order as PrestaShop stores it: customer, delivery and invoice addresses, the order, its lines
    (``{"id_product", "id_attr", "name", "qty", "ref", "ean", "gross", "net", "rate"}``) and its carrier row."""
    t = shop.t
    products = sum(Decimal(line["gross"]) * line["qty"] for line in lines)
    paid = total_paid or str(products + Decimal(shipping))
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t('customer')} (id_customer, id_gender, firstname, lastname, email, passwd, date_add,"
            " date_upd) VALUES (%s, 1, 'Zażółć', 'Gęślą', %s, 'x', NOW(), NOW())",
            (id_order, f"klient{id_order}@example.pl"),
        )
        for id_address, alias, street in (
            (id_order * 10, "dostawa", "ul. Łąkowa 5"),
            (id_order * 10 + 1, "faktura", "ul. Biurowa 1"),
        ):
            cur.execute(
                f"INSERT INTO {t('address')} (id_address, id_country, id_customer, alias, company, lastname,"
                " firstname, address1, address2, postcode, city, phone, phone_mobile, vat_number, date_add,"
                " date_upd) VALUES (%s, 14, %s, %s, %s, 'Gęślą', 'Zażółć', %s, 'lok. 2', '00-950', 'Łódź',"
                " '221234567', '600700800', %s, NOW(), NOW())",
                (id_address, id_order, alias, "Firma Sp. z o.o." if alias == "faktura" else None, street,
                 "PL5260250274" if alias == "faktura" else None),
            )  # fmt: skip
        cur.execute(
            f"INSERT INTO {t('orders')} (id_order, reference, id_shop_group, id_shop, id_carrier, id_lang,"
            " id_customer, id_cart, id_currency, id_address_delivery, id_address_invoice, current_state, payment,"
            " module, total_paid, total_paid_tax_incl, total_paid_real, total_products_wt,"
            " total_shipping_tax_incl, invoice_date, delivery_date, valid, date_add, date_upd)"
            " VALUES (%s, %s, 1, 1, %s, %s, %s, %s, 1, %s, %s, %s, 'Przelew bankowy', %s, %s, %s, %s, %s, %s,"
            " NOW(), NOW(), 1, NOW() - INTERVAL %s MINUTE, NOW() - INTERVAL %s MINUTE)",
            (id_order, reference, id_carrier, id_lang, id_order, id_order, id_order * 10, id_order * 10 + 1, state,
             module,
             paid, paid, total_paid_real if total_paid_real is not None else paid, str(products), shipping,
             minutes_ago + 5, minutes_ago),
        )  # fmt: skip
        for line in lines:
            cur.execute(
                f"INSERT INTO {t('order_detail')} (id_order, id_shop, product_id, product_attribute_id,"
                " product_name, product_quantity, product_reference, product_ean13, product_weight, tax_name,"
                " tax_rate, unit_price_tax_incl, unit_price_tax_excl, total_price_tax_incl)"
                " VALUES (%s, 1, %s, %s, %s, %s, %s, %s, 0, 'PTU', %s, %s, %s, %s)",
                (id_order, line["id_product"], line.get("id_attr", 0), line["name"], line["qty"], line.get("ref"),
                 line.get("ean"), line.get("rate", "23.000"), line["gross"], line.get("net", line["gross"]),
                 str(Decimal(line["gross"]) * line["qty"])),
            )  # fmt: skip
        cur.execute(
            f"INSERT INTO {t('order_carrier')} (id_order, id_carrier, tracking_number, date_add)"
            " VALUES (%s, %s, %s, NOW())",
            (id_order, id_carrier, tracking),
        )
    conn.close()


def line(id_product: int, gross: str, qty: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id_product": id_product, "name": f"Towar {id_product}", "qty": qty, "gross": gross, **extra}


def add_shop_lines(shop: Any, id_order: int, lines: list[dict[str, Any]]) -> None:
    """The lines PrestaShop writes after the order row (validateOrder): orders.date_upd does not change."""
    for item in lines:
        shop_execute(
            shop,
            f"INSERT INTO {shop.t('order_detail')} (id_order, id_shop, product_id, product_attribute_id,"
            " product_name, product_quantity, product_reference, product_weight, tax_name, tax_rate,"
            " unit_price_tax_incl, unit_price_tax_excl, total_price_tax_incl)"
            " VALUES (%s, 1, %s, 0, %s, %s, %s, 0, 'PTU', 23, %s, %s, %s)",
            (id_order, item["id_product"], item["name"], item["qty"], item.get("ref"), item["gross"],
             item["gross"], str(Decimal(item["gross"]) * item["qty"])),
        )  # fmt: skip
