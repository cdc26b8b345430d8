"""Reservations and shortages: reserve what is free for an order, put the rest on the shortages list, fill
shortages oldest order first when stock arrives, release (on cancel, on expiry).

Locks in the one order of stock.py; every change writes ledger rows (ledger.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.orders import (
    Order,
    OrderItem,
    OrderItemReservation,
    OrderItemShortage,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.numbering import DOCUMENT_PATTERNS
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import FulfillmentStatus
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.stock.documents import (
    number_cte,
    record_movements,
    retry_on_deadlock,
)
from rexbit_desktop.services.stock.dto import (
    ReleaseResultDTO,
    ReservationLineDTO,
    ReservationResultDTO,
    ShortageDTO,
)
from rexbit_desktop.services.stock.ledger import (
    ZERO,
    StockKey,
    _apply_stock_deltas,
    _audit,
    _expiry,
    _item_warehouse,
    _lock_stock,
    _order_lines,
    _stock_update_cte,
    _values,
    _warehouse_codes,
    now_utc,
)


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
    if result.complete and new_reservations:
        automation_events.emit(session, "fully_reserved", order.id)
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
        if not still_short:
            automation_events.emit(session, "shortage_filled", order_id)
            automation_events.emit(session, "fully_reserved", order_id)
        _audit(
            session, order_id, actor, "shortage_filled", {"reserved": [str(f.missing_qty) for f in filled]}
        )
    return filled


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
