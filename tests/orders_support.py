"""Helpers for the orders-core tests: products, warehouses, stock and orders through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from rexbit_desktop.db.models.catalog import Product, WarehouseStockTotal
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services import orders, stock


def add_products(db: Database, *skus: str, unit: str = "szt.") -> dict[str, int]:
    with db.session() as s:
        products = [Product(sku=sku, name=f"Produkt {sku}", unit=unit, ean=None) for sku in skus]
        s.add_all(products)
        s.commit()
        return {p.sku: p.id for p in products}


def level(db: Database, sku: str, warehouse: str = "MAG") -> tuple[Decimal, Decimal]:
    dto = stock.product_stock(db.uow(), Actor.system(), sku=sku)
    for lv in dto.levels:
        if lv.warehouse_code == warehouse:
            return lv.on_hand, lv.reserved
    raise AssertionError(f"no warehouse {warehouse}")


def all_totals(db: Database) -> list[tuple[Decimal, Decimal]]:
    with db.session() as s:
        return [(t.on_hand, t.reserved) for t in s.scalars(select(WarehouseStockTotal))]


def order_payload(*lines: tuple[str, int | str], **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source": "manual",
        "currency": "PLN",
        "delivery_method": "Kurier InPost",
        "items": [
            {"sku": sku, "quantity": str(qty), "price_gross": "123.00", "vat_rate": "23"}
            for sku, qty in lines
        ],
        "addresses": {
            "customer": {
                "name": "Zażółć Gęślą Jaźń",
                "company": None,
                "street": "ul. Łąkowa 5/7",
                "postcode": "00-950",
                "city": "Łódź",
                "country": "PL",
                "email": "jazn@example.pl",
                "phone": "+48 600 700 800",
                "vat_id": None,
            }
        },
        "payment": {"provider": "przelewy24", "status": "paid", "amount": "369.00"},
    }
    payload.update(extra)
    return payload


def create(db: Database, actor: Actor, *lines: tuple[str, int | str], **extra: Any) -> orders.OrderDetailDTO:
    return orders.create_order(db.uow(), actor, order_payload(*lines, **extra))


def setup_warehouse(db: Database, actor: Actor, code: str = "MAG", *, default: bool = True) -> None:
    stock.add_warehouse(db.uow(), actor, code=code, name=f"Magazyn {code}", default=default)
