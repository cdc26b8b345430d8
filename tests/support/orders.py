"""Helpers for the orders-core tests: products, warehouses, stock and orders through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from rexbit_desktop.db.models.catalog import Product, WarehouseStockTotal
from rexbit_desktop.db.session import Database
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.stock import stock


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


# ---------------------------------------------------------------- worker processes (spawned)


def reserve_worker(url: str, numbers: list[str], barrier: Any, results: Any) -> None:
    """Reserve the given orders in a separate process; report what was granted and any error."""
    from rexbit_desktop.db.session import open_database

    db = open_database(url, upgrade=False)
    actor = Actor.system()
    granted: list[tuple[str, str, str]] = []
    errors: list[str] = []
    barrier.wait()
    for number in numbers:
        try:
            result = orders.reserve_order(db.uow(), actor, number)
            granted += [(number, line.sku, str(line.reserved_now)) for line in result.lines]
        except Exception as exc:  # the test asserts there are none
            errors.append(f"{number}: {type(exc).__name__}: {exc}")
    db.dispose()
    results.put((granted, errors))


def numbering_worker(url: str, count: int, barrier: Any, results: Any) -> None:
    """Take ``count`` WZ numbers, each in its own transaction; every third transaction is rolled back."""
    from datetime import date

    from rexbit_desktop.db.session import open_database
    from rexbit_desktop.domain.numbering import WZ_PATTERN
    from rexbit_desktop.services.stock.documents import next_number

    db = open_database(url, upgrade=False)
    kept: list[str] = []
    barrier.wait()
    for n in range(count):
        with db.uow() as uow:
            number = next_number(uow.session, WZ_PATTERN, "WZ", date(2026, 11, 28))
            if n % 3 == 2:
                continue  # rolled back: the number must be handed out again
            uow.commit()
            kept.append(number)
    db.dispose()
    results.put(kept)
