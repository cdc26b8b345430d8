"""Known orders for the orders-list tests (query service and UI): inserted through the models.

Importable from any test module (pytest puts ``tests/`` on sys.path for its conftest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rexbit_desktop.db.models import Integration, Order, OrderItem, Warehouse
from rexbit_desktop.db.session import Database

BASE_TIME = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)

CUSTOMERS = [
    ("Jan Kowalski", "jan.kowalski@example.pl"),
    ("Anna Nowak", "anna.nowak@example.pl"),
    ("Zofia Wiśniewska", "zofia@przyklad.pl"),
    ("Łukasz Żółć", "lukasz.zolc@example.com"),
    (None, None),
]
STATUSES = ["draft", "awaiting_payment", "paid", "awaiting_fulfillment", "shipped", "cancelled"]
PAYMENTS = ["pending", "pending", "paid", "paid", "paid", "refunded"]


@dataclass
class Seeded:
    n: int
    shop_id: int
    warehouse_ids: dict[str, int]


def seed_orders(db: Database, n: int = 30) -> Seeded:
    """``n`` orders ZAM/2026/11/00001…: order i has customer i%5, status i%6, gross 10*i, day i,
    integration 'Sklep' for even i (else typed in), warehouse MAG for i%3 != 0 (else SKLEP),
    and an item with SKU ``SKU-{i%4}`` plus, for i%7 == 0, an item ``RARE-{i}``."""
    with db.session() as session:
        shop = Integration(name="Sklep", type="prestashop_db", config={})
        mag = Warehouse(code="MAG", name="Magazyn główny", is_default=True)
        store = Warehouse(code="SKLEP", name="Sklep stacjonarny")
        session.add_all([shop, mag, store])
        session.flush()
        for i in range(1, n + 1):
            name, email = CUSTOMERS[i % 5]
            order = Order(
                number=f"ZAM/2026/11/{i:05d}",
                status=STATUSES[i % 6],
                payment_status=PAYMENTS[i % 6],
                total_gross=Decimal(10 * i),
                total_net=(Decimal(10 * i) / Decimal("1.23")).quantize(Decimal("0.01")),
                customer_name=name,
                customer_email=email,
                integration_id=shop.id if i % 2 == 0 else None,
                source="prestashop" if i % 2 == 0 else "manual",
                warehouse_id=mag.id if i % 3 else store.id,
                created_at=BASE_TIME + timedelta(days=i, minutes=i),
            )
            order.items.append(
                OrderItem(
                    name=f"Produkt {i % 4}",
                    sku=f"SKU-{i % 4}",
                    quantity=Decimal(1),
                    price_net=Decimal(8),
                    price_gross=Decimal("9.84"),
                    vat_rate=Decimal(23),
                )
            )
            if i % 7 == 0:
                order.items.append(
                    OrderItem(
                        name="Rzadki",
                        sku=f"RARE-{i}",
                        quantity=Decimal(2),
                        price_net=Decimal(1),
                        price_gross=Decimal("1.23"),
                        vat_rate=Decimal(23),
                    )
                )
            session.add(order)
        session.commit()
        return Seeded(n=n, shop_id=shop.id, warehouse_ids={"MAG": mag.id, "SKLEP": store.id})
