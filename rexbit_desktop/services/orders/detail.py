"""The order detail: one order with everything the detail window and rexbit orders show print, read in
one session."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rexbit_desktop.db.models.catalog import Product, Warehouse
from rexbit_desktop.db.models.documents import WarehouseDocument
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAuditLog,
    OrderDocument,
    OrderItemReservation,
    OrderItemShortage,
    OrderNote,
    OrderStatusHistory,
)
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.orders import (
    OrderStatus,
    allowed_transitions,
)
from rexbit_desktop.services.orders.dto import (
    AddressDTO,
    AutomationStepDTO,
    HistoryDTO,
    NoteDTO,
    OrderDetailDTO,
    OrderDocumentDTO,
    OrderItemDTO,
    PaymentDTO,
    ReservationDTO,
    ShipmentDTO,
)
from rexbit_desktop.services.orders.payload import (
    ADDRESS_FIELDS,
    ADDRESS_TYPES,
)
from rexbit_desktop.services.orders.settings import (
    load_settings,
)
from rexbit_desktop.services.stock import ledger, stock

ZERO = Decimal(0)


def _codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Warehouse.id, Warehouse.code)).all())


def order_detail(session: Session, order: Order) -> OrderDetailDTO:
    settings = load_settings(session)
    codes = _codes(session)
    item_ids = [i.id for i in order.items]
    units = dict(
        session.execute(
            select(Product.id, Product.unit).where(
                Product.id.in_({i.product_id for i in order.items if i.product_id})
            )
        ).all()
    )
    reservations = list(
        session.scalars(
            select(OrderItemReservation)
            .where(OrderItemReservation.order_item_id.in_(item_ids))
            .order_by(OrderItemReservation.id)
        )
    )
    held: dict[int, Decimal] = {}
    for r in reservations:
        if r.status != "released":
            held[r.order_item_id] = held.get(r.order_item_id, ZERO) + r.reserved_qty - r.released_qty
    shortages = list(
        session.scalars(
            select(OrderItemShortage).where(
                OrderItemShortage.order_id == order.id, OrderItemShortage.status == "open"
            )
        )
    )
    missing = {s.order_item_id: s.missing_qty for s in shortages}
    issued = ledger._issued(session, order.id)
    sku_of = {i.id: i.sku for i in order.items}
    reserved_in = {r.order_item_id: r.warehouse_location_id for r in reservations}
    try:
        default_wh: int | None = ledger.default_warehouse_id(session, settings)
    except RexbitError:
        default_wh = None
    items = [
        OrderItemDTO(
            id=i.id,
            sku=i.sku,
            ean=i.ean,
            name=i.name,
            quantity=i.quantity,
            unit=units.get(i.product_id, "szt.") if i.product_id else "szt.",
            price_gross=i.price_gross,
            price_net=i.price_net,
            vat_rate=i.vat_rate,
            total_gross=(i.price_gross * i.quantity).quantize(Decimal("0.01")),
            warehouse_code=codes.get(
                i.warehouse_location_id or order.warehouse_id or reserved_in.get(i.id) or default_wh or 0
            )
            if i.product_id
            else None,
            reserved=held.get(i.id, ZERO),
            missing=missing.get(i.id, ZERO),
            issued=issued.get(i.id, ZERO),
            in_catalog=i.product_id is not None,
        )
        for i in order.items
    ]
    documents = []
    for od, number, doc_status, wh_id in session.execute(
        select(
            OrderDocument, WarehouseDocument.number, WarehouseDocument.status, WarehouseDocument.warehouse_id
        )
        .join(WarehouseDocument, WarehouseDocument.id == OrderDocument.warehouse_document_id, isouter=True)
        .where(OrderDocument.order_id == order.id)
        .order_by(OrderDocument.id)
    ):
        documents.append(
            OrderDocumentDTO(
                od.type,
                number or od.meta.get("number"),
                doc_status or od.status,
                codes.get(wh_id) if wh_id else None,
                od.created_at,
            )
        )
    label = settings.statuses.get(order.status)
    shipments = []
    for sh in order.shipments:
        carrier = settings.carrier(sh.carrier)
        shipments.append(
            ShipmentDTO(
                sh.carrier,
                sh.tracking_number,
                carrier.tracking_link(sh.tracking_number or "") if carrier and sh.tracking_number else "",
                sh.status,
                sh.shipped_at,
            )
        )
    return OrderDetailDTO(
        id=order.id,
        number=order.number,
        status=order.status,
        status_label=label.label_pl if label else order.status,
        status_colour=label.colour if label else "#9e9e9e",
        payment_status=order.payment_status,
        fulfillment_status=order.fulfillment_status,
        source=order.source,
        external_order_id=order.external_order_id,
        currency=order.currency,
        total_net=order.total_net,
        total_gross=order.total_gross,
        total_paid=order.total_paid,
        shipping_gross=order.shipping_gross,
        delivery_method=order.delivery_method,
        warehouse_code=codes.get(order.warehouse_id or 0),
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        created_at=order.created_at,
        updated_at=order.updated_at,
        items=items,
        addresses=[
            AddressDTO(a.type, *(getattr(a, f) for f in ADDRESS_FIELDS))
            for a in sorted(order.addresses, key=lambda a: ADDRESS_TYPES.index(a.type))
        ],
        payments=[PaymentDTO(p.provider, p.status, p.amount, p.currency, p.paid_at) for p in order.payments],
        shipments=shipments,
        history=[
            HistoryDTO(h.from_status, h.to_status, h.changed_by, h.comment, dict(h.context), h.created_at)
            for h in session.scalars(
                select(OrderStatusHistory)
                .where(OrderStatusHistory.order_id == order.id)
                .order_by(OrderStatusHistory.id)
            )
        ],
        reservations=[
            ReservationDTO(
                sku_of.get(r.order_item_id),
                codes.get(r.warehouse_location_id, ""),
                r.reserved_qty,
                r.released_qty,
                r.status,
                r.expires_at,
                r.release_reason,
                r.created_at,
            )
            for r in reservations
        ],
        shortages=[
            stock.ShortageDTO(
                order.number,
                sku_of.get(s.order_item_id) or "",
                codes.get(s.warehouse_id, ""),
                s.missing_qty,
                s.created_at,
            )
            for s in shortages
        ],
        documents=documents,
        notes=[
            NoteDTO(n.author, n.body, n.created_at)
            for n in session.scalars(
                select(OrderNote).where(OrderNote.order_id == order.id).order_by(OrderNote.id)
            )
        ],
        allowed_transitions=[s.value for s in allowed_transitions(OrderStatus(order.status))],
        automation=[
            AutomationStepDTO(
                str(a.details.get("rule") or ""),
                str(a.details.get("action") or ""),
                bool(a.details.get("ok", False)),
                str(a.details.get("message") or ""),
                a.created_at,
            )
            for a in session.scalars(
                select(OrderAuditLog)
                .where(
                    OrderAuditLog.order_id == order.id,
                    OrderAuditLog.action.in_(("automation", "automation_loop_stopped")),
                )
                .order_by(OrderAuditLog.id)
            )
        ],
    )
