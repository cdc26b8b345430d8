"""Demo data: a realistic Polish shop in an empty database (``rexbit demo``).

Everything goes in through the same services the app uses (warehouses, users, the supplier feed
integration and its import profile, orders and their status changes), so reservations, WZ documents,
stornos and histories are as consistent as real ones. Opening stock comes in on a few multi-line PZ
documents written here in one go (the per-SKU ``receive_stock`` would take one transaction per line).

All of it is one database transaction: the services run in savepoints of the demo's own transaction,
so a failure leaves the database as empty as it was.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from rexbit_desktop.db.locks import DEMO_FILL, hold_for_transaction
from rexbit_desktop.db.models import (
    Contractor,
    Integration,
    Order,
    OrderStatusHistory,
    Product,
    User,
    Warehouse,
    WarehouseDocument,
    WarehouseDocumentItem,
    WarehouseStockTotal,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.numbering import DOCUMENT_PATTERNS
from rexbit_desktop.domain.order_settings import Company
from rexbit_desktop.domain.orders import OrderStatus, permission_for
from rexbit_desktop.domain.progress import Progress, no_progress
from rexbit_desktop.domain.roles import SYSTEM_LOGIN, Actor, Permission
from rexbit_desktop.services import integrations, users
from rexbit_desktop.services.demo_data import (
    _DELIVERY,
    _PAYMENTS,
    DEMO_FEED,
    DEMO_PROFILE,
    _customer,
    _nip,
    _plan,
    _prices,
    _steps_to,
    demo_products,
    demo_purchase_prices,
    feeds_dir,
)
from rexbit_desktop.services.orders import orders, payload
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import apply_transition, find_order
from rexbit_desktop.services.shipping.accounts import save_carrier_account
from rexbit_desktop.services.stock import stock
from rexbit_desktop.services.stock.documents import next_number, record_movements

# Serialises two first starts (two workstations running `rexbit demo --if-empty` at once).

# Documented in docs/foundation.md; the desktop login accepts them.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("operator", "operator", "Ola Nowak (magazyn)", "operator123"),
    ("kierownik", "manager", "Tomasz Wiśniewski (kierownik)", "kierownik123"),
    ("admin", "admin", "Administrator", "admin1234"),
)


class DemoRefused(RexbitError):
    """The database already has data; the demo fills only an empty database."""


@dataclass(frozen=True)
class DemoUserDTO:
    login: str
    role: str
    password: str


@dataclass(frozen=True)
class DemoSummaryDTO:
    products: int
    warehouses: list[str]
    receipts: list[str]
    users: list[DemoUserDTO]
    supplier: str
    integration_id: int
    import_profile_id: int
    orders: int
    orders_by_status: dict[str, int]
    seconds: float


# ------------------------------------------------------------------ is it empty?


DEMO_INPOST_CONFIG = {
    "environment": "sandbox",
    "base_url": "http://127.0.0.1:9",
    "organization_id": "demo-0000",
    "token": "demo-token-reaches-nothing",
}


def existing_data(session: Session) -> dict[str, int]:
    """Rows that make a database "not empty" (the system account and seeded schedules do not count)."""
    counts = {
        "products": session.scalar(select(func.count()).select_from(Product)) or 0,
        "warehouses": session.scalar(select(func.count()).select_from(Warehouse)) or 0,
        "orders": session.scalar(select(func.count()).select_from(Order)) or 0,
        "contractors": session.scalar(select(func.count()).select_from(Contractor)) or 0,
        "integrations": session.scalar(select(func.count()).select_from(Integration)) or 0,
        "users": session.scalar(select(func.count()).select_from(User).where(User.login != SYSTEM_LOGIN))
        or 0,
    }
    return {k: int(v) for k, v in counts.items() if v}


def database_is_empty(uow: UnitOfWork) -> bool:
    with uow:
        return not existing_data(uow.session)


# ------------------------------------------------------------------ the use case


def fill_demo(
    uow: UnitOfWork, actor: Actor, *, seed: int = 2026, progress: Progress = no_progress
) -> DemoSummaryDTO:
    """Fill an empty database with the demo shop; refuse (``DemoRefused``) when it has data."""
    actor.require(Permission.USERS_EDIT)  # it creates users and integrations: admins only
    started = time.perf_counter()
    with uow:
        outer = uow.session
        hold_for_transaction(outer, DEMO_FILL)
        found = existing_data(outer)
        if found:
            raise DemoRefused(
                "The database already has data ("
                + ", ".join(f"{n} {what}" for what, n in found.items())
                + "); the demo fills only an empty database.",
                code="demo_database_not_empty",
                params={"found": {what: n for what, n in found.items()}},
            )
        connection = outer.connection()

        def savepoint_uow() -> UnitOfWork:
            # Each service call commits a savepoint of the demo's transaction, not the transaction.
            return UnitOfWork(
                lambda: Session(
                    bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
                )
            )

        summary = _fill(savepoint_uow, actor, random.Random(seed), progress, started)
        uow.commit()
    return replace(summary, seconds=round(time.perf_counter() - started, 2))


def _fill(
    new_uow: Callable[[], UnitOfWork],
    actor: Actor,
    rng: random.Random,
    progress: Progress,
    started: float,
) -> DemoSummaryDTO:
    steps = 6
    progress(0, steps, "users")
    demo_users = [
        users.add_user(new_uow(), actor, login=login, role=role, display_name=name, password=password)
        for login, role, name, password in DEMO_USERS
    ]
    operator = users.actor_for_login(new_uow(), "operator")
    manager = users.actor_for_login(new_uow(), "kierownik")

    progress(1, steps, "warehouses and settings")
    stock.add_warehouse(
        new_uow(), actor, code="MAG1", name="Magazyn główny – Warszawa, ul. Łąkowa 7", default=True
    )
    stock.add_warehouse(new_uow(), actor, code="MAG2", name="Magazyn zewnętrzny – Łódź, ul. Źródłowa 12")
    settings = order_settings.get_order_settings(new_uow(), actor)
    company = Company(
        name="Rexbit Hurtownia Sp. z o.o.",
        street="ul. Łąkowa 7",
        postcode="02-495",
        city="Warszawa",
        vat_id="PL" + _nip(rng),
        phone="+48 22 123 45 67",
        email="biuro@rexbit.example.pl",
        bank_account="PL61 1090 1014 0000 0712 1981 2874",
    )
    order_settings.save_order_settings(new_uow(), actor, replace(settings, company=company))
    # An InPost account so the shipment dialog can be tried: test credentials and an address where nothing
    # listens (the discard port), so no parcel can be sent without a real account.
    save_carrier_account(
        new_uow(),
        actor,
        code="inpost",
        service="inpost",
        name="InPost (demo – nie wysyła)",
        config=DEMO_INPOST_CONFIG,
    )

    progress(2, steps, "products")
    products = demo_products()
    sale = _prices(products)
    with new_uow() as u:
        # The catalog's sale price is the one the demo orders are sold at.
        u.session.execute(insert(Product), [{**p, "price_gross": sale[p["sku"]]} for p in products])
        u.commit()

    progress(3, steps, "supplier feed")
    supplier = integrations.create_integration(
        new_uow(),
        actor,
        type="supplier_feed",
        name="Hurtownia Demo",
        config={
            "contractor": {
                "name": "Hurtownia Narzędzi Demo Sp. z o.o.",
                "nip": _nip(rng),
                "street": "ul. Przemysłowa 15",
                "postcode": "61-001",
                "city": "Poznań",
                "email": "zamowienia@hurtownia-demo.example.pl",
                "phone": "+48 61 555 01 23",
            }
        },
    )
    profile = _demo_profile()
    task = integrations.create_import_profile(
        new_uow(),
        actor,
        integration_id=supplier.id,
        name=profile["name"],
        source_location=str(feeds_dir() / profile["source_location"]),
        format=profile["format"],
        options=profile.get("options"),
        mappings=profile.get("mappings"),
    )

    progress(4, steps, "opening stock (PZ)")
    receipts = _receive_opening_stock(
        new_uow, actor, products, rng, supplier_contractor(new_uow, supplier.id)
    )

    progress(5, steps, "orders")
    by_status = _create_orders(
        new_uow,
        actor,
        operator,
        manager,
        products,
        rng,
        lambda n, total: progress(5, steps, f"orders {n}/{total}"),
    )
    progress(steps, steps, "done")
    return DemoSummaryDTO(
        products=len(products),
        warehouses=["MAG1", "MAG2"],
        receipts=receipts,
        users=[DemoUserDTO(u.login, u.role, p) for u, (*_, p) in zip(demo_users, DEMO_USERS, strict=True)],
        supplier=supplier.name,
        integration_id=supplier.id,
        import_profile_id=task.id,
        orders=sum(by_status.values()),
        orders_by_status=dict(by_status),
        seconds=round(time.perf_counter() - started, 2),
    )


def _demo_profile() -> dict[str, Any]:
    import json

    path = feeds_dir() / DEMO_PROFILE
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    # The feed helper's profile is missing: the same columns, described here.
    return {
        "name": "Hurtownia Demo – stany i ceny",
        "source_location": DEMO_FEED,
        "format": "csv",
        "options": {"delimiter": ";", "encoding": "cp1250", "decimal": ","},
        "mappings": {
            "sku": "Indeks",
            "ean": "EAN",
            "stock_quantity": "Stan",
            "delivery_days": "Termin dostawy",
            "purchase_price": "Cena netto",
        },
    }


def supplier_contractor(new_uow: Callable[[], UnitOfWork], integration_id: int) -> int | None:
    with new_uow() as u:
        return u.session.scalar(select(Integration.contractor_id).where(Integration.id == integration_id))


def _receive_opening_stock(
    new_uow: Callable[[], UnitOfWork],
    actor: Actor,
    products: list[dict[str, Any]],
    rng: random.Random,
    supplier_id: int | None,
) -> list[str]:
    """Three deliveries from the wholesaler on posted PZ documents; the last 20 products stay at zero."""
    now = stock.now_utc()
    prices = demo_purchase_prices(products)
    with new_uow() as u:
        s = u.session
        ids = {k: v for k, v in s.execute(select(Product.sku, Product.id))}
        warehouses = {k: v for k, v in s.execute(select(Warehouse.code, Warehouse.id))}
        deliveries = [
            ("MAG1", products[:140], (20, 120)),
            ("MAG1", products[140:280], (10, 80)),
            ("MAG2", products[:80], (5, 40)),
        ]
        numbers: list[str] = []
        totals: dict[tuple[int, int], Decimal] = {}
        movements: list[dict[str, Any]] = []
        for code, lines, (low, high) in deliveries:
            doc = WarehouseDocument(
                type="PZ",
                status="posted",
                warehouse_id=warehouses[code],
                contractor_id=supplier_id,
                issue_date=now.date(),
                release_date=now.date(),
                comment="Dostawa otwierająca (dane demonstracyjne)",
                created_by=actor.login,
                posted_at=now,
                number=next_number(s, DOCUMENT_PATTERNS["PZ"], "PZ", now.date()),
            )
            for line_no, p in enumerate(lines, start=1):
                qty = Decimal(rng.randint(low, high))
                doc.items.append(
                    WarehouseDocumentItem(
                        line_no=line_no,
                        product_id=ids[p["sku"]],
                        sku=p["sku"],
                        ean=p["ean"],
                        name=p["name"],
                        unit=p["unit"],
                        quantity=qty,
                        price_net=prices[p["sku"]],
                        vat_rate=p["vat_rate"],
                    )
                )
                key = (ids[p["sku"]], warehouses[code])
                totals[key] = totals.get(key, Decimal(0)) + qty
            s.add(doc)
            s.flush()
            numbers.append(doc.number or "")
            movements += [
                {
                    "product_id": item.product_id,
                    "warehouse_id": doc.warehouse_id,
                    "on_hand_delta": item.quantity,
                    "reserved_delta": Decimal(0),
                    "reason": "receipt",
                    "document_id": doc.id,
                    "actor": actor.login,
                    "comment": doc.comment,
                }
                for item in doc.items
            ]
        s.execute(
            insert(WarehouseStockTotal),
            [
                {"product_id": p, "warehouse_id": w, "on_hand": q, "reserved": 0}
                for (p, w), q in totals.items()
            ],
        )
        record_movements(s, movements)
        u.commit()
    return numbers


def _create_orders(
    new_uow: Callable[[], UnitOfWork],
    actor: Actor,
    operator: Actor,
    manager: Actor,
    products: list[dict[str, Any]],
    rng: random.Random,
    report: Callable[[int, int], None],
) -> Counter[str]:
    prices = _prices(products)
    in_stock = [p for p in products[:250] if p["active"]]
    only_mag2 = products[:80]
    out_of_stock = products[285:]
    now = stock.now_utc()
    by_status: Counter[str] = Counter()
    created: list[tuple[str, datetime]] = []
    plan = _plan(rng)
    for n, (final, days_ago) in enumerate(plan, start=1):
        report(n, len(plan))
        # Orders come in during the day (06:00–16:00 UTC), never in the future.
        minutes = rng.randint(0, 600)
        created_at = min(
            (now - timedelta(days=days_ago)).replace(hour=6, minute=0, second=0) + timedelta(minutes=minutes),
            now - timedelta(minutes=minutes),
        ).replace(microsecond=0)
        cod = rng.random() < 0.2 and final not in (OrderStatus.PAID, OrderStatus.AWAITING_PAYMENT)
        steps = _steps_to(final, by_status[final.value], cod)
        shipped = OrderStatus.SHIPPED in steps
        delivery, carrier, shipping = rng.choice(_DELIVERY[:3] if shipped else _DELIVERY)
        lines = rng.sample(in_stock, rng.randint(1, 4))
        items = [
            payload.NewOrderItem(
                sku=p["sku"],
                quantity=Decimal(rng.randint(1, 3)),
                price_gross=prices[p["sku"]],
                vat_rate=p["vat_rate"],
            )
            for p in lines
        ]
        if n % 9 == 0:  # some lines are shipped from the external warehouse: one WZ per warehouse
            p = rng.choice(only_mag2)
            items.append(
                payload.NewOrderItem(
                    sku=p["sku"],
                    quantity=Decimal(1),
                    price_gross=prices[p["sku"]],
                    vat_rate=p["vat_rate"],
                    warehouse="MAG2",
                )
            )
        if final is OrderStatus.AWAITING_FULFILLMENT and n % 3 == 0:
            # Not in stock: partly reserved, the rest waits on the shortages list for the next delivery.
            p = rng.choice(out_of_stock)
            items.append(
                payload.NewOrderItem(
                    sku=p["sku"], quantity=Decimal(2), price_gross=prices[p["sku"]], vat_rate=p["vat_rate"]
                )
            )
        total = sum((i.price_gross * i.quantity for i in items), shipping)
        paid = OrderStatus.PAID in steps or (final is OrderStatus.PAID)
        payment = {
            "provider": "pobranie" if cod else rng.choice(_PAYMENTS),
            "status": "paid" if paid else "pending",
            "amount": total,
        }
        new = orders.NewOrder(
            items=items,
            source=rng.choice(("prestashop", "prestashop", "manual", "phone")),
            delivery_method=delivery,
            addresses=_customer(rng, n),
            payment=payment,
            shipping_gross=shipping,
            created_at=created_at,
            note="Proszę o fakturę VAT." if rng.random() < 0.15 else None,
        )
        number = orders.place_order(new_uow(), actor, new).number
        _walk(new_uow, number, steps, operator, manager, carrier, rng)
        by_status[final.value] += 1
        created.append((number, created_at))
    _spread_history(new_uow, created, now)
    return by_status


def _walk(
    new_uow: Callable[[], UnitOfWork],
    number: str,
    steps: list[OrderStatus],
    operator: Actor,
    manager: Actor,
    carrier: str,
    rng: random.Random,
) -> None:
    """Move one order through ``steps`` with the workflow's own side effects (reservations, WZ, storno,
    history), in one savepoint: the per-step service calls would cost a session and a DTO each."""
    if not steps:
        return
    with new_uow() as u:
        s = u.session
        order = find_order(s, number, lock=True)
        settings = load_settings(s)
        for step in steps:
            who = (
                manager
                if step in (OrderStatus.CANCELLED, OrderStatus.RETURN_REQUESTED, OrderStatus.RETURNED)
                else operator
            )
            who.require(permission_for(step))
            now = stock.now_utc()
            context = None
            if step is OrderStatus.SHIPPED:
                tracking = str(rng.randint(10**15, 10**16 - 1))
                context = {"carrier": carrier, "tracking": tracking}
            comment = "Klient zrezygnował" if step is OrderStatus.CANCELLED else None
            # Shipping records the parcel (carrier, tracking) itself: the one rule of every path.
            apply_transition(s, who, order, step, settings, now, comment=comment, context=context)
            s.flush()
        u.commit()


def _working_time(moment: datetime) -> datetime:
    """The same moment, or the next one within Monday–Friday 07:00–15:00 UTC (the warehouse's day)."""
    if moment.hour < 7:
        moment = moment.replace(hour=7, minute=0, second=0)
    while moment.weekday() >= 5 or moment.hour >= 15:
        moment = (moment + timedelta(days=1)).replace(hour=7, minute=0, second=0)
    return moment


def _spread_history(
    new_uow: Callable[[], UnitOfWork], created: list[tuple[str, datetime]], now: datetime
) -> None:
    """Status changes happened over the order's life, not all in the second the demo ran."""
    with new_uow() as u:
        s = u.session
        ids = {k: v for k, v in s.execute(select(Order.number, Order.id))}
        for number, created_at in created:
            rows = s.scalars(
                select(OrderStatusHistory)
                .where(OrderStatusHistory.order_id == ids[number])
                .order_by(OrderStatusHistory.id)
            ).all()
            # Each step takes half an hour to a few hours of the warehouse's working time (fixed per
            # number), so the dashboard's fulfilment times look like a real shop's; never past now.
            seed = sum(map(ord, number))
            moment = created_at
            for i, row in enumerate(rows):
                if i:
                    moment = _working_time(moment + timedelta(minutes=30 + (seed * 37 + i * 53) % 300))
                row.created_at = min(moment, now - timedelta(seconds=len(rows) - i))
        s.flush()
        # The KPI milestones (migration 0013) follow the spread history, as its trigger would have set them.
        s.execute(
            text(
                "UPDATE orders o SET ready_at = h.ready_at, shipped_at = h.shipped_at FROM ("
                " SELECT order_id,"
                "  min(created_at) FILTER (WHERE to_status IN ('paid', 'awaiting_fulfillment', 'picking',"
                "                                               'ready_for_shipment')) AS ready_at,"
                "  min(created_at) FILTER (WHERE to_status = 'shipped') AS shipped_at"
                " FROM order_status_history GROUP BY order_id) h WHERE h.order_id = o.id"
            )
        )
        u.commit()
