"""Goods out and back: the WZ issue of an order (one posted WZ per warehouse, reservations consumed,
stock and ledger in one statement) and the storno IN that puts issued goods back on cancel."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.documents import WarehouseDocument, WarehouseDocumentItem
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAddress,
    OrderDocument,
    OrderItem,
    OrderItemReservation,
)
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.numbering import DOCUMENT_PATTERNS
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.stock.documents import (
    next_number,
    number_cte,
    record_movements,
)
from rexbit_desktop.services.stock.ledger import (
    ZERO,
    StockKey,
    _apply_stock_deltas,
    _item_warehouse,
    _lock_stock,
    _order_lines,
    _stock_update_cte,
    _values,
    _warehouse_codes,
)
from rexbit_desktop.services.stock.reservations import (
    fill_shortages,
)


def _recipient(session: Session, order: Order) -> dict[str, Any]:
    addresses = {
        a.type: a for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id == order.id))
    }
    # One consistent party: the buyer's company (with its NIP) when billing is a company, else the
    # person the goods go to — never a person's address with another party's NIP.
    billing = addresses.get("billing")
    chosen: OrderAddress | None
    if billing is not None and (billing.company or "").strip():
        chosen = billing
    else:
        chosen = addresses.get("shipping") or addresses.get("customer") or billing
    if chosen is None:
        return {"name": order.customer_name or "", "email": order.customer_email or ""}
    snapshot = {
        k: getattr(chosen, k) or ""
        for k in ("name", "company", "street", "postcode", "city", "country", "email", "phone", "vat_id")
    }
    if not (chosen.company or "").strip():
        snapshot["vat_id"] = ""  # a NIP belongs to a company: a person's WZ shows none
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
    short_items: list[dict[str, object]] = []
    consume: dict[int, Decimal] = {}
    for item in items:
        key = (item.product_id, warehouse_of[item.id])
        consume[item.id] = min(held[item.id], todo[item.id])
        from_free = todo[item.id] - consume[item.id]
        if from_free > 0:
            if free[key] < from_free:  # type: ignore[index]
                lacking = from_free - max(free[key], ZERO)  # type: ignore[index]
                short.append(f"{item.sku} ×{lacking} in {codes[key[1]]}")  # type: ignore[index]
                short_items.append({"sku": item.sku, "qty": lacking, "warehouse": codes[key[1]]})  # type: ignore[index]
            free[key] -= from_free  # type: ignore[index]
    if short:
        raise ValidationError(
            f"Cannot issue a WZ for order {order.number}: not enough stock ({'; '.join(short)}).",
            code="wz_not_enough_stock",
            params={"order": order.number, "items": short_items},
        )
    recipient = _recipient(session, order)
    by_warehouse: dict[int, list[OrderItem]] = defaultdict(list)
    for item in items:
        by_warehouse[warehouse_of[item.id]].append(item)
    warehouse_ids = sorted(by_warehouse)
    reservation_ids = [r[0] for r in reservations]
    if len(warehouse_ids) == 1:
        # The usual case: the number is taken inside the posting statement (one round trip less).
        automation_events.emit(session, "wz_posted", order.id)
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
    if numbers:
        automation_events.emit(session, "wz_posted", order.id, {"documents": numbers})
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
