"""Stock: warehouses, receipts (PZ), reservations and shortages, WZ issue, storno IN, expiry.

Invariant: ``0 <= reserved <= on_hand`` for every product and warehouse, under any concurrency.
Locks are always taken in the same order, so that concurrent writers queue instead of deadlocking:

    orders (by id) → reservations → warehouse_stock_totals (by product, warehouse) → shortages → number_series

A deadlock that still happens (two orders touched in opposite order) is retried by ``retry_on_deadlock``.
Every change of ``on_hand`` or ``reserved`` writes a ``stock_movements`` row next to its document or
reservation.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    ScalarSelect,
    bindparam,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rexbit_desktop.db.models.catalog import Product, Warehouse, WarehouseStockTotal
from rexbit_desktop.db.models.documents import WarehouseDocument, WarehouseDocumentItem
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAddress,
    OrderAuditLog,
    OrderDocument,
    OrderItem,
    OrderItemReservation,
    OrderItemShortage,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.numbering import DOCUMENT_PATTERNS
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import FulfillmentStatus
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.stock.documents import (
    WarehouseDocumentDTO,
    document_dto,
    next_number,
    number_cte,
    record_movements,
    retry_on_deadlock,
)

ZERO = Decimal(0)
StockKey = tuple[int, int]  # (product_id, warehouse_id)


# ------------------------------------------------------------------ DTOs


@dataclass(frozen=True)
class WarehouseDTO:
    id: int
    code: str
    name: str
    is_default: bool


@dataclass(frozen=True)
class StockLevelDTO:
    warehouse_code: str
    warehouse_name: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True)
class ShortageDTO:
    order_number: str
    sku: str
    warehouse_code: str
    missing_qty: Decimal
    created_at: datetime


@dataclass(frozen=True)
class ProductStockDTO:
    sku: str
    name: str
    unit: str
    levels: list[StockLevelDTO]
    shortages: list[ShortageDTO]

    @property
    def on_hand(self) -> Decimal:
        return sum((lv.on_hand for lv in self.levels), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((lv.reserved for lv in self.levels), ZERO)


@dataclass(frozen=True)
class ReservationLineDTO:
    sku: str
    warehouse_code: str
    ordered: Decimal
    reserved_now: Decimal
    """Granted by this call."""
    reserved_total: Decimal
    """Held for this line after this call (including earlier reservations)."""
    missing: Decimal
    """On the shortages list, reserved automatically when stock arrives."""


@dataclass(frozen=True)
class ReservationResultDTO:
    order_number: str
    lines: list[ReservationLineDTO]

    @property
    def complete(self) -> bool:
        return all(line.missing == 0 for line in self.lines)


@dataclass(frozen=True)
class ReceiptDTO:
    document: WarehouseDocumentDTO
    filled_shortages: list[ShortageDTO]


@dataclass(frozen=True)
class ReleaseResultDTO:
    released_reservations: int
    released_qty: Decimal
    orders: list[str]


# ------------------------------------------------------------------ helpers


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_quantity(value: Any, what: str = "quantity") -> Decimal:
    try:
        qty = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"The {what} '{value}' is not a number.") from None
    if not qty.is_finite() or qty <= 0:
        raise ValidationError(f"The {what} must be greater than zero, not '{value}'.")
    if qty != qty.quantize(Decimal("0.001")):
        raise ValidationError(f"The {what} '{value}' has more than 3 decimal places.")
    return qty


def _warehouse_by_code(session: Session, code: str) -> Warehouse:
    wh = session.scalar(select(Warehouse).where(Warehouse.code == code.strip()))
    if wh is None:
        codes = session.scalars(select(Warehouse.code).order_by(Warehouse.code)).all()
        raise NotFound(
            f"There is no warehouse '{code}'.",
            hint=("Known warehouses: " + ", ".join(codes))
            if codes
            else "Add one with: rexbit warehouse add --code=MAG1 --name=... --default",
        )
    return wh


def _product_by_sku(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku.strip()))
    if product is None:
        raise NotFound(f"There is no product with SKU '{sku}'.")
    return product


_WAREHOUSES_KEY = "rexbit.warehouses"


def _warehouses(session: Session) -> dict[int, tuple[str, str, bool]]:
    """Warehouses by id (code, name, default), read once per session: there are a handful."""
    cached = session.info.get(_WAREHOUSES_KEY)
    if cached is None:
        cached = {w.id: (w.code, w.name, w.is_default) for w in session.execute(select(Warehouse)).scalars()}
        session.info[_WAREHOUSES_KEY] = cached
    return cached  # type: ignore[no-any-return]


def warehouse_rows(session: Session) -> dict[int, tuple[str, str, bool]]:
    """Warehouses by id: (code, name, is default); cached for the session."""
    return _warehouses(session)


def warehouses_loaded(session: Session) -> bool:
    return _WAREHOUSES_KEY in session.info


def warehouses_column() -> ScalarSelect[Any]:
    """All warehouses as one JSON array, to be read along with another query (``find_order``)."""
    row = func.jsonb_build_array(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.is_default)
    return select(func.coalesce(func.jsonb_agg(row), text("'[]'::jsonb"))).scalar_subquery()


def prime_warehouses(session: Session, rows: list[list[Any]] | None) -> None:
    """Cache warehouses read by ``warehouses_column`` for the session (as ``_warehouses`` would)."""
    if _WAREHOUSES_KEY not in session.info:
        session.info[_WAREHOUSES_KEY] = {int(i): (c, n, bool(d)) for i, c, n, d in rows or []}


def default_warehouse_id(session: Session, settings: OrderSettings) -> int:
    warehouses = _warehouses(session)
    if settings.default_warehouse:
        found = [wid for wid, (code, _n, _d) in warehouses.items() if code == settings.default_warehouse]
        if found:
            return found[0]
        return _warehouse_by_code(session, settings.default_warehouse).id
    flagged = [wid for wid, (_c, _n, is_default) in warehouses.items() if is_default]
    if flagged:
        return flagged[0]
    if len(warehouses) == 1:
        return next(iter(warehouses))
    raise ValidationError(
        "There is no default warehouse to reserve from.",
        hint="Mark one: rexbit warehouse add --code=MAG1 --name=... --default "
        "(or rexbit orders settings set default_warehouse MAG1).",
    )


def _lock_stock(session: Session, keys: set[StockKey]) -> dict[StockKey, list[Decimal]]:
    """Lock stock rows in (product, warehouse) order; returns {key: [on_hand, reserved]} (missing = 0, 0)."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            WarehouseStockTotal.product_id,
            WarehouseStockTotal.warehouse_id,
            WarehouseStockTotal.on_hand,
            WarehouseStockTotal.reserved,
        )
        .where(tuple_(WarehouseStockTotal.product_id, WarehouseStockTotal.warehouse_id).in_(sorted(keys)))
        .order_by(WarehouseStockTotal.product_id, WarehouseStockTotal.warehouse_id)
        .with_for_update()
    ).all()
    levels = {k: [ZERO, ZERO] for k in keys}
    for p, w, on_hand, reserved in rows:
        levels[(p, w)] = [on_hand, reserved]
    return levels


def _values(rows: list[tuple[Any, ...]], casts: tuple[str, ...], prefix: str, params: dict[str, Any]) -> str:
    """``VALUES (CAST(:p0_0 AS bigint), …), …`` for a set-based statement; the values go into ``params``."""
    out = []
    for n, row in enumerate(rows):
        cells = []
        for m, (value, cast) in enumerate(zip(row, casts, strict=True)):
            params[f"{prefix}{n}_{m}"] = value
            cells.append(f"CAST(:{prefix}{n}_{m} AS {cast})")
        out.append("(" + ", ".join(cells) + ")")
    return "VALUES " + ", ".join(out)


_MOVEMENT_COLUMNS = (
    "product_id",
    "warehouse_id",
    "on_hand_delta",
    "reserved_delta",
    "reason",
    "document_id",
    "reservation_id",
    "order_id",
    "actor",
    "comment",
)
_MOVEMENT_CASTS = (
    "bigint",
    "bigint",
    "numeric",
    "numeric",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "text",
    "text",
)


def _movement_values(movements: list[dict[str, Any]], params: dict[str, Any]) -> str:
    return _values(
        [
            tuple(m.get(c, ZERO if c.endswith("_delta") else None) for c in _MOVEMENT_COLUMNS)
            for m in movements
        ],
        _MOVEMENT_CASTS,
        "m",
        params,
    )


def _stock_update_cte(bulk: list[tuple[int, int, Decimal, Decimal]], params: dict[str, Any]) -> str:
    """Add deltas to locked stock rows in one statement (the CHECK constraint is the last guard)."""
    values = _values(bulk, ("bigint", "bigint", "numeric", "numeric"), "s", params)
    return (
        "UPDATE warehouse_stock_totals AS t SET on_hand = t.on_hand + v.o, reserved = t.reserved + v.r, "
        f"updated_at = now() FROM ({values}) AS v(p, w, o, r) "
        "WHERE t.product_id = v.p AND t.warehouse_id = v.w"
    )


def _apply_stock_deltas(
    session: Session,
    deltas: dict[StockKey, tuple[Decimal, Decimal]],
    movements: list[dict[str, Any]] | None = None,
) -> None:
    """Add (on_hand, reserved) deltas, creating missing rows; the CHECK constraint is the last guard.

    With ``movements`` the ledger rows are written too — in the same statement when the stock rows
    exist already (a data-modifying CTE: one round trip instead of two).
    """
    bulk: list[tuple[int, int, Decimal, Decimal]] = []
    upserts: list[tuple[int, int, Decimal, Decimal]] = []
    for (product_id, warehouse_id), (d_on_hand, d_reserved) in sorted(deltas.items()):
        if d_on_hand == 0 and d_reserved == 0:
            continue
        # The CHECK applies to the proposed row too, so only a valid new row may go the upsert way.
        target = upserts if 0 <= d_reserved <= d_on_hand else bulk
        target.append((product_id, warehouse_id, d_on_hand, d_reserved))
    for product_id, warehouse_id, d_on_hand, d_reserved in upserts:
        stmt = pg_insert(WarehouseStockTotal).values(
            product_id=product_id, warehouse_id=warehouse_id, on_hand=d_on_hand, reserved=d_reserved
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[WarehouseStockTotal.product_id, WarehouseStockTotal.warehouse_id],
                set_={
                    "on_hand": WarehouseStockTotal.on_hand + d_on_hand,
                    "reserved": WarehouseStockTotal.reserved + d_reserved,
                    "updated_at": func.now(),
                },
            )
        )
    params: dict[str, Any] = {}
    if bulk and movements:
        session.execute(
            text(
                f"WITH stock AS ({_stock_update_cte(bulk, params)}) "
                f"INSERT INTO stock_movements ({', '.join(_MOVEMENT_COLUMNS)}) "
                f"{_movement_values(movements, params)}"
            ),
            params,
        )
        return
    if bulk:
        session.execute(text(_stock_update_cte(bulk, params)), params)
    if movements:
        record_movements(session, movements)


def _item_warehouse(session: Session, order: Order, item: OrderItem, default: list[int]) -> int:
    if item.warehouse_location_id:
        return item.warehouse_location_id
    if order.warehouse_id:
        return order.warehouse_id
    if not default:
        default.append(default_warehouse_id(session, load_settings(session)))
    return default[0]


@functools.cache
def _order_lines_statement() -> Executable:
    """Built once (the order id is a bind parameter): building it costs more client CPU than running it."""
    order_id = bindparam("order_id", type_=BigInteger)
    issued = (
        select(func.coalesce(func.sum(WarehouseDocumentItem.quantity), 0))
        .join(WarehouseDocument, WarehouseDocument.id == WarehouseDocumentItem.document_id)
        .where(
            WarehouseDocument.order_id == order_id,
            WarehouseDocument.type == "WZ",
            WarehouseDocument.status == "posted",
            WarehouseDocumentItem.order_item_id == OrderItem.id,
        )
        .scalar_subquery()
    )
    held = (
        select(
            func.coalesce(func.sum(OrderItemReservation.reserved_qty - OrderItemReservation.released_qty), 0)
        )
        .where(OrderItemReservation.order_item_id == OrderItem.id, OrderItemReservation.status != "released")
        .scalar_subquery()
    )
    return (
        select(OrderItem, issued, held, Product.id, Product.sku, Product.ean, Product.name, Product.unit)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order_id)
        .order_by(OrderItem.id)
    )


def _order_lines(session: Session, order: Order) -> list[tuple[OrderItem, Decimal, Decimal, _ProductRow]]:
    """The order's lines with what posted WZs issued and what open reservations hold for each, and the
    catalogue product — one query instead of four (lines, issued sums, reserved sums, products)."""
    rows = session.execute(_order_lines_statement(), {"order_id": order.id}).all()
    if "items" not in order.__dict__:
        set_committed_value(order, "items", [row[0] for row in rows])
    return [(row[0], Decimal(row[1]), Decimal(row[2]), _ProductRow(*row[3:])) for row in rows]


@dataclass(frozen=True)
class _ProductRow:
    id: int | None
    sku: str
    ean: str | None
    name: str
    unit: str


def _issued(session: Session, order_id: int) -> dict[int, Decimal]:
    """Quantity per order line on posted WZ documents of the order."""
    rows = session.execute(
        select(WarehouseDocumentItem.order_item_id, func.sum(WarehouseDocumentItem.quantity))
        .join(WarehouseDocument, WarehouseDocument.id == WarehouseDocumentItem.document_id)
        .where(
            WarehouseDocument.order_id == order_id,
            WarehouseDocument.type == "WZ",
            WarehouseDocument.status == "posted",
        )
        .group_by(WarehouseDocumentItem.order_item_id)
    ).all()
    return {item_id: qty for item_id, qty in rows if item_id is not None}


def _expiry(settings: OrderSettings, now: datetime) -> datetime | None:
    hours = settings.reservation_expiry_hours
    return now + timedelta(hours=hours) if hours else None


def _audit(session: Session, order_id: int, actor: Actor, action: str, details: dict[str, Any]) -> None:
    session.add(OrderAuditLog(order_id=order_id, actor=actor.login, action=action, details=details))


def _warehouse_codes(session: Session, ids: set[int]) -> dict[int, str]:
    warehouses = _warehouses(session)
    return {wid: warehouses[wid][0] for wid in ids if wid in warehouses}


# ------------------------------------------------------------------ reservations


def _insert_reservations(
    session: Session,
    actor: Actor,
    rows: list[dict[str, Any]],
    deltas: dict[StockKey, tuple[Decimal, Decimal]],
    *,
    comment: str | None = None,
) -> None:
    """Insert reservation rows, raise ``reserved`` on the locked stock rows and write a ``reserve`` ledger
    row per reservation — one statement (data-modifying CTEs) instead of three round trips."""
    params: dict[str, Any] = {"actor": actor.login, "comment": comment}
    values = _values(
        [
            (
                r["order_item_id"],
                r["product_id"],
                r["warehouse_location_id"],
                r["reserved_qty"],
                r["expires_at"],
                n,
            )
            for n, r in enumerate(rows)
        ],
        ("bigint", "bigint", "bigint", "numeric", "timestamptz", "int"),
        "r",
        params,
    )
    bulk = [(p, w, o, r) for (p, w), (o, r) in sorted(deltas.items()) if o != 0 or r != 0]
    assert all(o == 0 and r > 0 for _p, _w, o, r in bulk), "reservations only raise 'reserved'"
    session.execute(
        text(
            "WITH r AS ("
            "INSERT INTO order_item_reservations "
            "(order_item_id, product_id, warehouse_location_id, reserved_qty, expires_at) "
            f"SELECT v.i, v.p, v.w, v.q, v.e FROM ({values}) AS v(i, p, w, q, e, n) ORDER BY v.n "
            "RETURNING id, order_item_id, product_id, warehouse_location_id, reserved_qty"
            f"), stock AS ({_stock_update_cte(bulk, params)}) "
            "INSERT INTO stock_movements "
            "(product_id, warehouse_id, on_hand_delta, reserved_delta, reason, reservation_id, order_id, actor, comment) "
            "SELECT r.product_id, r.warehouse_location_id, 0, r.reserved_qty, 'reserve', r.id, oi.order_id, "
            "CAST(:actor AS text), CAST(:comment AS text) "
            "FROM r JOIN order_items oi ON oi.id = r.order_item_id ORDER BY r.id"
        ),
        params,
    )


def reserve_for_order(
    session: Session, actor: Actor, order: Order, settings: OrderSettings, now: datetime
) -> ReservationResultDTO:
    """Reserve what is free for each stock line of a locked order; the rest goes to the shortages list."""
    lines_now = [line for line in _order_lines(session, order) if line[0].product_id is not None]
    items = [line[0] for line in lines_now]
    if not items:
        return ReservationResultDTO(order.number, [])
    default: list[int] = []
    warehouse_of = {i.id: _item_warehouse(session, order, i, default) for i in items}
    held = {item.id: qty for item, _issued_qty, qty, _product in lines_now if qty}
    issued = {item.id: qty for item, qty, _held_qty, _product in lines_now if qty}
    need = {i.id: i.quantity - held.get(i.id, ZERO) - issued.get(i.id, ZERO) for i in items}
    keys = {(i.product_id, warehouse_of[i.id]) for i in items if need[i.id] > 0}
    levels = _lock_stock(session, keys)  # type: ignore[arg-type]
    free = {k: on_hand - reserved for k, (on_hand, reserved) in levels.items()}
    open_shortages = {
        s.order_item_id: s
        for s in session.scalars(
            select(OrderItemShortage)
            .where(OrderItemShortage.order_id == order.id, OrderItemShortage.status == "open")
            .with_for_update()
        )
    }
    expires_at = _expiry(settings, now)
    codes = _warehouse_codes(session, set(warehouse_of.values()))
    deltas: dict[StockKey, tuple[Decimal, Decimal]] = {}
    new_reservations: list[dict[str, Any]] = []
    lines: list[ReservationLineDTO] = []
    for item in items:
        assert item.product_id is not None
        key = (item.product_id, warehouse_of[item.id])
        wanted = need[item.id]
        grant = ZERO
        if wanted > 0:
            grant = max(min(wanted, free.get(key, ZERO)), ZERO)
            if grant > 0:
                free[key] -= grant
                deltas[key] = (ZERO, deltas.get(key, (ZERO, ZERO))[1] + grant)
                new_reservations.append(
                    {
                        "order_item_id": item.id,
                        "product_id": item.product_id,
                        "warehouse_location_id": key[1],
                        "reserved_qty": grant,
                        "expires_at": expires_at,
                    }
                )
        missing = max(wanted - grant, ZERO)
        shortage = open_shortages.get(item.id)
        if missing > 0:
            if shortage is None:
                session.add(
                    OrderItemShortage(
                        order_id=order.id,
                        order_item_id=item.id,
                        product_id=item.product_id,
                        warehouse_id=key[1],
                        missing_qty=missing,
                    )
                )
            else:
                shortage.missing_qty = missing
        elif shortage is not None:
            shortage.status, shortage.resolved_at = "filled", now
        lines.append(
            ReservationLineDTO(
                sku=item.sku or "",
                warehouse_code=codes.get(key[1], ""),
                ordered=item.quantity,
                reserved_now=grant,
                reserved_total=held.get(item.id, ZERO) + grant,
                missing=missing,
            )
        )
    if new_reservations:
        _insert_reservations(session, actor, new_reservations, deltas)
        _ensure_reservation_document(session, order, now)
    result = ReservationResultDTO(order.number, lines)
    if result.complete and order.fulfillment_status == FulfillmentStatus.UNASSIGNED.value:
        order.fulfillment_status = FulfillmentStatus.RESERVED.value
    return result


def _ensure_reservation_document(session: Session, order: Order, now: datetime) -> None:
    """The order's reservation document (a RES number), unless it has one: check, number and row in
    one statement."""
    params: dict[str, Any] = {"order_id": order.id}
    take, number = number_cte(
        DOCUMENT_PATTERNS["RES"],
        "RES",
        now.date(),
        params,
        unless_exists="SELECT 1 FROM order_documents WHERE order_id = :order_id AND type = 'reservation'",
    )
    session.execute(
        text(
            f"WITH n AS ({take}) INSERT INTO order_documents (order_id, type, status, metadata) "
            f"SELECT :order_id, 'reservation', 'active', jsonb_build_object('number', {number}) FROM n"
        ),
        params,
    )


def release_reservations(
    session: Session,
    actor: Actor,
    reservations: list[OrderItemReservation],
    *,
    reason: str,
    ledger_reason: str,
    now: datetime,
) -> Decimal:
    """Give back what locked reservation rows still hold; each row records why."""
    deltas: dict[StockKey, tuple[Decimal, Decimal]] = {}
    movements: list[dict[str, Any]] = []
    total = ZERO
    order_of = (
        dict(
            session.execute(
                select(OrderItem.id, OrderItem.order_id).where(
                    OrderItem.id.in_({r.order_item_id for r in reservations})
                )
            ).all()
        )
        if reservations
        else {}
    )
    remaining = [(r, r.reserved_qty - r.released_qty) for r in reservations]
    _lock_stock(session, {(r.product_id, r.warehouse_location_id) for r, qty in remaining if qty > 0})
    for r, qty in remaining:
        if qty > 0:
            key = (r.product_id, r.warehouse_location_id)
            deltas[key] = (ZERO, deltas.get(key, (ZERO, ZERO))[1] - qty)
            movements.append(
                {
                    "product_id": r.product_id,
                    "warehouse_id": r.warehouse_location_id,
                    "on_hand_delta": ZERO,
                    "reserved_delta": -qty,
                    "reason": ledger_reason,
                    "reservation_id": r.id,
                    "order_id": order_of.get(r.order_item_id),
                    "actor": actor.login,
                    "comment": reason,
                }
            )
            total += qty
        r.released_qty = r.reserved_qty
        r.status = "released"
        r.released_at = now
        r.release_reason = reason
    _apply_stock_deltas(session, deltas, movements)
    return total


def release_order_reservations(
    session: Session, actor: Actor, order: Order, *, reason: str, now: datetime
) -> Decimal:
    rows = list(
        session.scalars(
            select(OrderItemReservation)
            .join(OrderItem, OrderItem.id == OrderItemReservation.order_item_id)
            .where(OrderItem.order_id == order.id, OrderItemReservation.status != "released")
            .order_by(OrderItemReservation.id)
            .with_for_update(of=OrderItemReservation)
        )
    )
    released = release_reservations(session, actor, rows, reason=reason, ledger_reason="release", now=now)
    if order.fulfillment_status == FulfillmentStatus.RESERVED.value:
        order.fulfillment_status = FulfillmentStatus.UNASSIGNED.value
    return released


def cancel_shortages(session: Session, order: Order, now: datetime) -> None:
    session.execute(
        update(OrderItemShortage)
        .where(OrderItemShortage.order_id == order.id, OrderItemShortage.status == "open")
        .values(status="cancelled", resolved_at=now)
    )


def lock_shortage_orders(
    session: Session, keys: set[StockKey], *, skip_order_id: int | None = None
) -> list[int]:
    """Lock the orders waiting for these goods first (the global lock order), so that a concurrent WZ or
    cancel of one of them waits instead of racing the new reservation."""
    candidates = session.scalars(
        select(OrderItemShortage.order_id)
        .where(
            tuple_(OrderItemShortage.product_id, OrderItemShortage.warehouse_id).in_(sorted(keys)),
            OrderItemShortage.status == "open",
        )
        .distinct()
    ).all()
    order_ids = sorted(set(candidates) - {skip_order_id})
    if order_ids:
        session.execute(
            select(Order.id).where(Order.id.in_(order_ids)).order_by(Order.id).with_for_update()
        ).all()
    return order_ids


def fill_shortages(
    session: Session, actor: Actor, keys: set[StockKey], now: datetime, *, skip_order_id: int | None = None
) -> list[ShortageDTO]:
    """Reserve newly free stock for the shortages list, oldest order first."""
    if not keys:
        return []
    order_ids = lock_shortage_orders(session, keys, skip_order_id=skip_order_id)
    if not order_ids:
        return []
    levels = _lock_stock(session, keys)
    free = {k: on_hand - reserved for k, (on_hand, reserved) in levels.items()}
    settings = load_settings(session)
    expires_at = _expiry(settings, now)
    shortages = session.execute(
        select(OrderItemShortage, Order.number, Order.created_at, Product.sku)
        .join(Order, Order.id == OrderItemShortage.order_id)
        .join(Product, Product.id == OrderItemShortage.product_id)
        .where(
            OrderItemShortage.order_id.in_(order_ids),
            tuple_(OrderItemShortage.product_id, OrderItemShortage.warehouse_id).in_(sorted(keys)),
            OrderItemShortage.status == "open",
        )
        .order_by(Order.created_at, Order.id, OrderItemShortage.id)
        .with_for_update(of=OrderItemShortage)
    ).all()
    codes = _warehouse_codes(session, {k[1] for k in keys})
    deltas: dict[StockKey, tuple[Decimal, Decimal]] = {}
    filled: list[ShortageDTO] = []
    new_reservations: list[dict[str, Any]] = []
    touched_orders: set[int] = set()
    for shortage, number, _created, sku in shortages:
        key = (shortage.product_id, shortage.warehouse_id)
        grant = min(shortage.missing_qty, max(free.get(key, ZERO), ZERO))
        if grant <= 0:
            continue
        free[key] -= grant
        deltas[key] = (ZERO, deltas.get(key, (ZERO, ZERO))[1] + grant)
        new_reservations.append(
            {
                "order_item_id": shortage.order_item_id,
                "product_id": shortage.product_id,
                "warehouse_location_id": shortage.warehouse_id,
                "reserved_qty": grant,
                "expires_at": expires_at,
                "_order_id": shortage.order_id,
            }
        )
        filled.append(ShortageDTO(number, sku, codes.get(key[1], ""), grant, shortage.created_at))
        shortage.missing_qty -= grant
        if shortage.missing_qty == 0:
            # Keep the original amount readable: a filled shortage records what was missing.
            shortage.missing_qty = grant
            shortage.status, shortage.resolved_at = "filled", now
        touched_orders.add(shortage.order_id)
    if not new_reservations:
        return []
    order_ids_of = [r.pop("_order_id") for r in new_reservations]
    ids = (
        session.execute(insert(OrderItemReservation).returning(OrderItemReservation.id), new_reservations)
        .scalars()
        .all()
    )
    _apply_stock_deltas(session, deltas)
    record_movements(
        session,
        [
            {
                "product_id": r["product_id"],
                "warehouse_id": r["warehouse_location_id"],
                "on_hand_delta": ZERO,
                "reserved_delta": r["reserved_qty"],
                "reason": "reserve",
                "reservation_id": rid,
                "order_id": oid,
                "actor": actor.login,
                "comment": "shortage filled when stock arrived",
            }
            for r, rid, oid in zip(new_reservations, ids, order_ids_of, strict=True)
        ],
    )
    session.flush()
    for order_id in sorted(touched_orders):
        order = session.get(Order, order_id)
        assert order is not None
        _ensure_reservation_document(session, order, now)
        still_short = session.scalar(
            select(func.count())
            .select_from(OrderItemShortage)
            .where(OrderItemShortage.order_id == order_id, OrderItemShortage.status == "open")
        )
        if not still_short and order.fulfillment_status == FulfillmentStatus.UNASSIGNED.value:
            order.fulfillment_status = FulfillmentStatus.RESERVED.value
        _audit(
            session, order_id, actor, "shortage_filled", {"reserved": [str(f.missing_qty) for f in filled]}
        )
    return filled


# ------------------------------------------------------------------ WZ and storno


def _recipient(session: Session, order: Order) -> dict[str, Any]:
    addresses = {
        a.type: a for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id == order.id))
    }
    chosen = addresses.get("shipping") or addresses.get("customer") or addresses.get("billing")
    if chosen is None:
        return {"name": order.customer_name or "", "email": order.customer_email or ""}
    billing = addresses.get("billing")
    snapshot = {
        k: getattr(chosen, k) or ""
        for k in ("name", "company", "street", "postcode", "city", "country", "email", "phone", "vat_id")
    }
    if not snapshot["vat_id"] and billing is not None and billing.vat_id:
        snapshot["vat_id"] = billing.vat_id
    return snapshot


def issue_wz_for_order(session: Session, actor: Actor, order: Order, now: datetime) -> list[str]:
    """Post one WZ per warehouse for what is not issued yet; consumes the order's reservations.

    What is not reserved is taken from free stock; if that is short too, nothing is posted and the
    error names the missing goods. Returns the WZ numbers.
    """
    lines_now = [line for line in _order_lines(session, order) if line[0].product_id is not None]
    items = [line[0] for line in lines_now]
    todo = {item.id: item.quantity - qty for item, qty, _held, _product in lines_now}
    item_products = {item.id: product for item, _qty, _held, product in lines_now}
    items = [i for i in items if todo[i.id] > 0]
    if not items:
        return []
    default: list[int] = []
    warehouse_of = {i.id: _item_warehouse(session, order, i, default) for i in items}
    # Plain rows, not ORM objects: they are released below by one UPDATE, and no stale copy may stay
    # in the session for a detail read later in the same transaction.
    reservations = session.execute(
        select(
            OrderItemReservation.id,
            OrderItemReservation.order_item_id,
            OrderItemReservation.warehouse_location_id,
            OrderItemReservation.reserved_qty - OrderItemReservation.released_qty,
        )
        .where(
            OrderItemReservation.order_item_id.in_([i.id for i in items]),
            OrderItemReservation.status != "released",
        )
        .order_by(OrderItemReservation.id)
        .with_for_update()
    ).all()
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _rid, item_id, warehouse_id, qty in reservations:
        held[item_id] += qty
        # Goods are issued where they were reserved, even if the default warehouse changed since.
        warehouse_of[item_id] = warehouse_id
    keys = {(i.product_id, warehouse_of[i.id]) for i in items}
    levels = _lock_stock(session, keys)  # type: ignore[arg-type]
    free = {k: on_hand - reserved for k, (on_hand, reserved) in levels.items()}
    codes = _warehouse_codes(session, set(warehouse_of.values()))
    short: list[str] = []
    consume: dict[int, Decimal] = {}
    for item in items:
        key = (item.product_id, warehouse_of[item.id])
        consume[item.id] = min(held[item.id], todo[item.id])
        from_free = todo[item.id] - consume[item.id]
        if from_free > 0:
            if free[key] < from_free:  # type: ignore[index]
                short.append(f"{item.sku} ×{from_free - max(free[key], ZERO)} in {codes[key[1]]}")  # type: ignore[index]
            free[key] -= from_free  # type: ignore[index]
    if short:
        raise ValidationError(
            f"Cannot issue a WZ for order {order.number}: not enough stock ({'; '.join(short)}).",
            hint="Receive the goods (rexbit stock receive) or reserve them first.",
        )
    recipient = _recipient(session, order)
    by_warehouse: dict[int, list[OrderItem]] = defaultdict(list)
    for item in items:
        by_warehouse[warehouse_of[item.id]].append(item)
    warehouse_ids = sorted(by_warehouse)
    reservation_ids = [r[0] for r in reservations]
    if len(warehouse_ids) == 1:
        # The usual case: the number is taken inside the posting statement (one round trip less).
        return [
            _post_wz(
                session,
                actor,
                order,
                now,
                number=None,
                warehouse_id=warehouse_ids[0],
                recipient=recipient,
                lines=[(item, item_products[item.id], todo[item.id], consume[item.id]) for item in items],
                release_reservations=reservation_ids,
                release_reason=None,
            )
        ]
    # Numbers first (in warehouse order): the release reason of the reservations names them all.
    numbers = [next_number(session, DOCUMENT_PATTERNS["WZ"], "WZ", now.date()) for _w in warehouse_ids]
    for n, (warehouse_id, number) in enumerate(zip(warehouse_ids, numbers, strict=True)):
        _post_wz(
            session,
            actor,
            order,
            now,
            number=number,
            warehouse_id=warehouse_id,
            recipient=recipient,
            lines=[
                (item, item_products[item.id], todo[item.id], consume[item.id])
                for item in by_warehouse[warehouse_id]
            ],
            release_reservations=reservation_ids if n == 0 else [],
            release_reason="issued on " + ", ".join(numbers),
        )
    return numbers


def _post_wz(
    session: Session,
    actor: Actor,
    order: Order,
    now: datetime,
    *,
    number: str | None,
    warehouse_id: int,
    recipient: dict[str, Any],
    lines: list[tuple[OrderItem, Any, Decimal, Decimal]],
    release_reservations: list[int],
    release_reason: str | None,
) -> str:
    """Write one posted WZ with everything that goes with it in a single statement (data-modifying
    CTEs share one snapshot and one round trip): the document and its lines, the order's link to it,
    the ledger rows, the stock totals (the rows are locked already; the CHECK is the last guard), the
    consumed reservations and the order's open shortages (the goods leave, nothing is missing any more).

    ``lines``: (order line, product row, quantity issued, of which from the line's reservations).
    ``number=None``: take the WZ number in the same statement (``release_reason`` then names it).
    Returns the WZ number.
    """
    params: dict[str, Any] = {
        "type": "WZ",
        "warehouse_id": warehouse_id,
        "order_id": order.id,
        "recipient": json.dumps(recipient, ensure_ascii=False),
        "day": now.date(),
        "now": now,
        "comment": f"Zamówienie {order.number}",
        "actor": actor.login,
        "reservation_ids": release_reservations,
    }
    items = _values(
        [
            (
                line_no,
                product.id,
                item.id,
                product.sku,
                product.ean,
                item.name or product.name,
                product.unit,
                qty,
                item.price_net,
                item.vat_rate,
                consumed,
            )
            for line_no, (item, product, qty, consumed) in enumerate(lines, start=1)
        ],
        (
            "int",
            "bigint",
            "bigint",
            "text",
            "text",
            "text",
            "text",
            "numeric",
            "numeric",
            "numeric",
            "numeric",
        ),
        "i",
        params,
    )
    deltas: dict[int, tuple[Decimal, Decimal]] = {}
    for _item, product, qty, consumed in lines:
        d_on_hand, d_reserved = deltas.get(product.id, (ZERO, ZERO))
        deltas[product.id] = (d_on_hand - qty, d_reserved - consumed)
    stock = _stock_update_cte([(p, warehouse_id, o, r) for p, (o, r) in sorted(deltas.items())], params)
    if number is None:
        take, number_sql = number_cte(DOCUMENT_PATTERNS["WZ"], "WZ", now.date(), params)
        take = f"n AS ({take}), "
        reason_sql = "'issued on ' || (SELECT number FROM doc)"
    else:
        params.update(number=number, release_reason=release_reason)
        take, number_sql, reason_sql = "", "CAST(:number AS text)", ":release_reason"
    posted = session.execute(
        text(
            f"WITH {take}doc AS ("
            "INSERT INTO warehouse_documents (type, number, status, warehouse_id, order_id, recipient, "
            "issue_date, release_date, comment, created_by, posted_at) "
            f"SELECT :type, {number_sql}, 'posted', :warehouse_id, :order_id, CAST(:recipient AS jsonb), "
            f":day, :day, :comment, :actor, :now {'FROM n' if take else ''} RETURNING id, number"
            f"), v (line_no, product_id, order_item_id, sku, ean, name, unit, quantity, price_net, vat_rate, "
            f"consumed) AS ({items}), "
            "lines AS ("
            "INSERT INTO warehouse_document_items (document_id, line_no, product_id, order_item_id, sku, ean, "
            "name, unit, quantity, price_net, vat_rate) "
            "SELECT doc.id, v.line_no, v.product_id, v.order_item_id, v.sku, v.ean, v.name, v.unit, "
            "v.quantity, v.price_net, v.vat_rate FROM doc, v ORDER BY v.line_no"
            "), link AS ("
            "INSERT INTO order_documents (order_id, warehouse_document_id, type) "
            "SELECT :order_id, doc.id, 'issue_wz' FROM doc"
            "), ledger AS ("
            "INSERT INTO stock_movements (product_id, warehouse_id, on_hand_delta, reserved_delta, reason, "
            "document_id, order_id, actor) "
            "SELECT v.product_id, :warehouse_id, -v.quantity, -v.consumed, 'issue', doc.id, :order_id, :actor "
            "FROM doc, v ORDER BY v.line_no"
            f"), stock AS ({stock}"
            "), released AS ("
            "UPDATE order_item_reservations SET released_qty = reserved_qty, status = 'released', "
            f"released_at = :now, release_reason = {reason_sql} "
            "WHERE id = ANY(CAST(:reservation_ids AS bigint[]))"
            "), filled AS ("
            "UPDATE order_item_shortages SET status = 'filled', resolved_at = :now "
            "WHERE order_id = :order_id AND status = 'open'"
            ") SELECT number FROM doc"
        ),
        params,
    ).scalar_one()
    return str(posted)


def storno_issues(
    session: Session, actor: Actor, order: Order, now: datetime, *, cancel_wz: bool, reason: str
) -> list[WarehouseDocument]:
    """Put issued goods back with a posted IN per WZ (cancel: the WZ becomes ``cancelled``; return: stays)."""
    wzs = list(
        session.scalars(
            select(WarehouseDocument)
            .where(
                WarehouseDocument.order_id == order.id,
                WarehouseDocument.type == "WZ",
                WarehouseDocument.status == "posted",
            )
            .order_by(WarehouseDocument.id)
            .with_for_update()
        )
    )
    already = set(
        session.scalars(
            select(WarehouseDocument.related_document_id).where(
                WarehouseDocument.type == "IN", WarehouseDocument.order_id == order.id
            )
        )
    )
    wzs = [w for w in wzs if w.id not in already]
    if not wzs:
        return []
    keys = {(i.product_id, w.warehouse_id) for w in wzs for i in w.items}
    _lock_stock(session, keys)
    created: list[WarehouseDocument] = []
    deltas: dict[StockKey, tuple[Decimal, Decimal]] = {}
    for wz in wzs:
        number = next_number(session, DOCUMENT_PATTERNS["IN"], "IN", now.date())
        doc = WarehouseDocument(
            type="IN",
            number=number,
            status="posted",
            warehouse_id=wz.warehouse_id,
            order_id=order.id,
            recipient=dict(wz.recipient or {}),
            related_document_id=wz.id,
            issue_date=now.date(),
            release_date=now.date(),
            comment=f"{reason} ({wz.number})",
            created_by=actor.login,
            posted_at=now,
        )
        for i in wz.items:
            doc.items.append(
                WarehouseDocumentItem(
                    line_no=i.line_no,
                    product_id=i.product_id,
                    order_item_id=i.order_item_id,
                    sku=i.sku,
                    ean=i.ean,
                    name=i.name,
                    unit=i.unit,
                    quantity=i.quantity,
                    price_net=i.price_net,
                    vat_rate=i.vat_rate,
                )
            )
            key = (i.product_id, wz.warehouse_id)
            deltas[key] = (deltas.get(key, (ZERO, ZERO))[0] + i.quantity, ZERO)
        if cancel_wz:
            wz.status, wz.cancelled_at = "cancelled", now
            session.execute(
                update(OrderDocument)
                .where(OrderDocument.warehouse_document_id == wz.id)
                .values(status="cancelled")
            )
        session.add(doc)
        created.append(doc)
    session.flush()
    for doc in created:
        session.add(OrderDocument(order_id=order.id, warehouse_document_id=doc.id, type="storno"))
    _apply_stock_deltas(session, deltas)
    record_movements(
        session,
        [
            {
                "product_id": i.product_id,
                "warehouse_id": doc.warehouse_id,
                "on_hand_delta": i.quantity,
                "reserved_delta": ZERO,
                "reason": "storno",
                "document_id": doc.id,
                "order_id": order.id,
                "actor": actor.login,
                "comment": reason,
            }
            for doc in created
            for i in doc.items
        ],
    )
    fill_shortages(session, actor, keys, now, skip_order_id=order.id)
    return created


# ------------------------------------------------------------------ use cases


@retry_on_deadlock
def add_warehouse(
    uow: UnitOfWork, actor: Actor, *, code: str, name: str, default: bool = False
) -> WarehouseDTO:
    actor.require(Permission.SETTINGS_EDIT)
    code, name = code.strip(), name.strip()
    if not code or len(code) > 20:
        raise ValidationError("A warehouse code must have 1 to 20 characters.")
    if not name:
        raise ValidationError("Give the warehouse a name.")
    with uow:
        s = uow.session
        if s.scalar(select(Warehouse.id).where(Warehouse.code == code)) is not None:
            raise ValidationError(f"Warehouse '{code}' already exists.")
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


@retry_on_deadlock
def release_expired_reservations(
    uow: UnitOfWork, actor: Actor, *, now: datetime | None = None, limit: int = 5000
) -> ReleaseResultDTO:
    """Release reservations past ``expires_at`` (the 5-minute schedule); each row records why."""
    actor.require(Permission.ORDERS_EDIT)
    moment = now or now_utc()
    with uow:
        s = uow.session
        rows = list(
            s.scalars(
                select(OrderItemReservation)
                .where(
                    OrderItemReservation.status != "released",
                    OrderItemReservation.expires_at.is_not(None),
                    OrderItemReservation.expires_at < moment,
                )
                .order_by(OrderItemReservation.id)
                .limit(limit)
                # Rows held by a running WZ or cancel are theirs to finish; the next run gets the rest.
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            return ReleaseResultDTO(0, ZERO, [])
        reason = f"expired at {moment.isoformat(timespec='seconds')}"
        qty = release_reservations(s, actor, rows, reason=reason, ledger_reason="expire", now=moment)
        order_ids = set(
            s.scalars(select(OrderItem.order_id).where(OrderItem.id.in_({r.order_item_id for r in rows})))
        )
        s.execute(
            update(Order)
            .where(Order.id.in_(order_ids), Order.fulfillment_status == FulfillmentStatus.RESERVED.value)
            .values(fulfillment_status=FulfillmentStatus.UNASSIGNED.value)
        )
        numbers = sorted(s.scalars(select(Order.number).where(Order.id.in_(order_ids))))
        for oid in order_ids:
            _audit(s, oid, actor, "reservation_expired", {"reason": reason})
        result = ReleaseResultDTO(len(rows), qty, numbers)
        uow.commit()
    return result


def stock_level(session: Session, product_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    row = session.execute(
        select(WarehouseStockTotal.on_hand, WarehouseStockTotal.reserved).where(
            WarehouseStockTotal.product_id == product_id, WarehouseStockTotal.warehouse_id == warehouse_id
        )
    ).first()
    return (row[0], row[1]) if row else (ZERO, ZERO)
