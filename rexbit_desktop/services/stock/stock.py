"""Stock use cases: warehouses, receipts (PZ), stock levels, the shortages list; and the rules every
stock module follows.

Invariant: ``0 <= reserved <= on_hand`` for every product and warehouse, under any concurrency.
Locks are always taken in the same order, so that concurrent writers queue instead of deadlocking:

    orders (by id) → reservations → warehouse_stock_totals (by product, warehouse) → shortages → number_series

A deadlock that still happens (two orders touched in opposite order) is retried by ``retry_on_deadlock``.
Every change of ``on_hand`` or ``reserved`` writes a ``stock_movements`` row next to its document or
reservation.

Rooms: ``stock`` (here), ``reservations`` (reserve, shortages, release, expiry), ``issues`` (WZ, storno),
``ledger`` (locked stock rows, deltas, order lines), ``dto``, ``documents`` (numbering, deadlock retries).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.catalog import Product, Warehouse, WarehouseStockTotal
from rexbit_desktop.db.models.documents import WarehouseDocument, WarehouseDocumentItem
from rexbit_desktop.db.models.orders import (
    Order,
    OrderItemShortage,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.numbering import DOCUMENT_PATTERNS
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.stock.documents import (
    document_dto,
    next_number,
    record_movements,
    retry_on_deadlock,
)
from rexbit_desktop.services.stock.dto import (
    ProductStockDTO,
    ReceiptDTO,
    ShortageDTO,
    StockLevelDTO,
    WarehouseDTO,
)
from rexbit_desktop.services.stock.ledger import (
    ZERO,
    _apply_stock_deltas,
    _lock_stock,
    _product_by_sku,
    _warehouse_by_code,
    now_utc,
    parse_quantity,
)
from rexbit_desktop.services.stock.reservations import (
    fill_shortages,
    lock_shortage_orders,
)


@retry_on_deadlock
def add_warehouse(
    uow: UnitOfWork, actor: Actor, *, code: str, name: str, default: bool = False
) -> WarehouseDTO:
    actor.require(Permission.SETTINGS_EDIT)
    code, name = code.strip(), name.strip()
    if not code or len(code) > 20:
        raise ValidationError(
            "A warehouse code must have 1 to 20 characters.",
            code="warehouse_code_invalid",
            params={"max": 20},
        )
    if not name:
        raise ValidationError("Give the warehouse a name.", code="warehouse_name_missing")
    with uow:
        s = uow.session
        if s.scalar(select(Warehouse.id).where(Warehouse.code == code)) is not None:
            raise ValidationError(
                f"Warehouse '{code}' already exists.", code="warehouse_exists", params={"code": code}
            )
        first = s.scalar(select(func.count()).select_from(Warehouse)) == 0
        if default:
            s.execute(update(Warehouse).values(is_default=False))
        wh = Warehouse(code=code, name=name, is_default=default or first)
        s.add(wh)
        s.flush()
        dto = WarehouseDTO(wh.id, wh.code, wh.name, wh.is_default)
        uow.commit()
    return dto


def list_warehouses(uow: UnitOfWork, actor: Actor) -> list[WarehouseDTO]:
    actor.require(Permission.VIEW)
    with uow:
        return [
            WarehouseDTO(w.id, w.code, w.name, w.is_default)
            for w in uow.session.scalars(select(Warehouse).order_by(Warehouse.code))
        ]


@retry_on_deadlock
def receive_stock(
    uow: UnitOfWork,
    actor: Actor,
    *,
    sku: str,
    warehouse: str,
    qty: Any,
    price_net: Decimal | None = None,
    comment: str | None = None,
    supplier_id: int | None = None,
) -> ReceiptDTO:
    """A posted PZ: ``on_hand`` grows, then waiting shortages are reserved, oldest order first."""
    actor.require(Permission.STOCK_RECEIVE)
    quantity = parse_quantity(qty)
    now = now_utc()
    with uow:
        s = uow.session
        product = _product_by_sku(s, sku)
        wh = _warehouse_by_code(s, warehouse)
        key = (product.id, wh.id)
        lock_shortage_orders(s, {key})
        _lock_stock(s, {key})
        doc = WarehouseDocument(
            type="PZ",
            number=None,
            status="posted",
            warehouse_id=wh.id,
            contractor_id=supplier_id,
            issue_date=now.date(),
            release_date=now.date(),
            comment=comment,
            created_by=actor.login,
            posted_at=now,
        )
        doc.items.append(
            WarehouseDocumentItem(
                line_no=1,
                product_id=product.id,
                sku=product.sku,
                ean=product.ean,
                name=product.name,
                unit=product.unit,
                quantity=quantity,
                price_net=price_net,
                vat_rate=product.vat_rate,
            )
        )
        _apply_stock_deltas(s, {key: (quantity, ZERO)})
        doc.number = next_number(s, DOCUMENT_PATTERNS["PZ"], "PZ", now.date())
        s.add(doc)
        s.flush()
        record_movements(
            s,
            [
                {
                    "product_id": product.id,
                    "warehouse_id": wh.id,
                    "on_hand_delta": quantity,
                    "reserved_delta": ZERO,
                    "reason": "receipt",
                    "document_id": doc.id,
                    "actor": actor.login,
                    "comment": comment,
                }
            ],
        )
        filled = fill_shortages(s, actor, {key}, now)
        dto = ReceiptDTO(document_dto(s, doc), filled)
        uow.commit()
    return dto


def product_stock(uow: UnitOfWork, actor: Actor, *, sku: str) -> ProductStockDTO:
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        product = _product_by_sku(s, sku)
        levels = [
            StockLevelDTO(
                code, name, on_hand or ZERO, reserved or ZERO, (on_hand or ZERO) - (reserved or ZERO)
            )
            for code, name, on_hand, reserved in s.execute(
                select(
                    Warehouse.code, Warehouse.name, WarehouseStockTotal.on_hand, WarehouseStockTotal.reserved
                )
                .join(
                    WarehouseStockTotal,
                    (WarehouseStockTotal.warehouse_id == Warehouse.id)
                    & (WarehouseStockTotal.product_id == product.id),
                    isouter=True,
                )
                .order_by(Warehouse.code)
            )
        ]
        shortages = _shortages(s, product_id=product.id)
        return ProductStockDTO(product.sku, product.name, product.unit, levels, shortages)


def _shortages(session: Session, *, product_id: int | None = None) -> list[ShortageDTO]:
    stmt = (
        select(
            Order.number,
            Product.sku,
            Warehouse.code,
            OrderItemShortage.missing_qty,
            OrderItemShortage.created_at,
        )
        .join(Order, Order.id == OrderItemShortage.order_id)
        .join(Product, Product.id == OrderItemShortage.product_id)
        .join(Warehouse, Warehouse.id == OrderItemShortage.warehouse_id)
        .where(OrderItemShortage.status == "open")
        .order_by(Order.created_at, Order.id)
    )
    if product_id is not None:
        stmt = stmt.where(OrderItemShortage.product_id == product_id)
    return [ShortageDTO(*row) for row in session.execute(stmt)]


def list_shortages(uow: UnitOfWork, actor: Actor) -> list[ShortageDTO]:
    """The shortages list, oldest order first (the order in which arriving stock is handed out)."""
    actor.require(Permission.VIEW)
    with uow:
        return _shortages(uow.session)
