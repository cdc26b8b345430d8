"""The stock ledger's building blocks: quantities, warehouse lookups, locked stock rows, set-based stock
deltas with their ledger rows, the lines of an order, and the order's audit rows.

Every stock change goes through _apply_stock_deltas (totals and stock_movements in one statement),
after _lock_stock took the rows in the one lock order (see stock.py)."""

from __future__ import annotations

import functools
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
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rexbit_desktop.db.models.catalog import Product, Warehouse, WarehouseStockTotal
from rexbit_desktop.db.models.documents import WarehouseDocument, WarehouseDocumentItem
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAuditLog,
    OrderItem,
    OrderItemReservation,
)
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.stock.documents import (
    record_movements,
)

ZERO = Decimal(0)

StockKey = tuple[int, int]  # (product_id, warehouse_id)


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_quantity(value: Any, what: str = "quantity") -> Decimal:
    try:
        qty = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            f"The {what} '{value}' is not a number.",
            code="quantity_not_a_number",
            params={"what": what, "value": str(value)},
        ) from None
    if not qty.is_finite() or qty <= 0:
        raise ValidationError(
            f"The {what} must be greater than zero, not '{value}'.",
            code="quantity_not_positive",
            params={"what": what, "value": str(value)},
        )
    if qty != qty.quantize(Decimal("0.001")):
        raise ValidationError(
            f"The {what} '{value}' has more than 3 decimal places.",
            code="quantity_too_precise",
            params={"what": what, "value": str(value), "places": 3},
        )
    return qty


def _warehouse_by_code(session: Session, code: str) -> Warehouse:
    wh = session.scalar(select(Warehouse).where(Warehouse.code == code.strip()))
    if wh is None:
        codes = session.scalars(select(Warehouse.code).order_by(Warehouse.code)).all()
        raise NotFound(
            f"There is no warehouse '{code}'.",
            hint=("Known warehouses: " + ", ".join(codes)) if codes else None,
            code="warehouse_not_found",
            params={"code": code, "known": list(codes)},
        )
    return wh


def _product_by_sku(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku.strip()))
    if product is None:
        raise NotFound(
            f"There is no product with SKU '{sku}'.", code="product_not_found", params={"sku": sku}
        )
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
        code="no_default_warehouse",
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


def stock_level(session: Session, product_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    row = session.execute(
        select(WarehouseStockTotal.on_hand, WarehouseStockTotal.reserved).where(
            WarehouseStockTotal.product_id == product_id, WarehouseStockTotal.warehouse_id == warehouse_id
        )
    ).first()
    return (row[0], row[1]) if row else (ZERO, ZERO)
