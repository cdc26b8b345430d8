"""Reading shipments: an order's shipments, one label PDF (fetched from the carrier once, then stored),
and many orders' labels in one PDF."""

from __future__ import annotations

import io

from sqlalchemy import select

from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import Order, OrderShipment
from rexbit_desktop.db.models.shipping import ShipmentLabel
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.shipping import (
    ShipmentStatus,
)
from rexbit_desktop.services.orders.workflow import (
    find_order,
)
from rexbit_desktop.services.shipping.accounts import ClientFactory
from rexbit_desktop.services.shipping.dto import (
    LabelsPdf,
    ShipmentDTO,
)
from rexbit_desktop.services.shipping.rows import (
    account_of,
    carrier_shipment,
    label_page,
    save_label,
    shipment_dto,
)


def list_order_shipments(uow: UnitOfWork, actor: Actor, number: str) -> list[ShipmentDTO]:
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        rows = s.scalars(
            select(OrderShipment).where(OrderShipment.order_id == order.id).order_by(OrderShipment.id)
        )
        return [shipment_dto(s, r, order.number) for r in rows]


def _label_of(uow: UnitOfWork, row_id: int, client_factory: ClientFactory) -> bytes:
    with uow:
        s = uow.session
        row = s.get(OrderShipment, row_id)
        assert row is not None
        stored = s.scalar(
            select(ShipmentLabel.content)
            .where(ShipmentLabel.shipment_id == row.id)
            .order_by(ShipmentLabel.id.desc())
            .limit(1)
        )
        if stored is not None:
            return bytes(stored)
        if (
            row.status in (ShipmentStatus.PENDING, ShipmentStatus.CREATED, ShipmentStatus.FAILED)
            or not row.external_id
        ):
            raise ValidationError(
                f"Shipment {row.idempotency_key} has no label: it is {row.status}.",
                code="label_missing",
                params={"shipment": row.idempotency_key, "status": row.status},
            )
        account = account_of(s, row)
        service, config, shipment = account.service, dict(account.config), carrier_shipment(row)
    client = client_factory(service, config)
    try:
        page = label_page(service, config)
        content = client.label(shipment, page)
    finally:
        client.close()
    with uow:
        save_label(uow.session, row_id, page, content)
        uow.commit()
    return content


def shipment_label(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    *,
    package_no: int | None = None,
    client_factory: ClientFactory = make_client,
) -> bytes:
    """The label PDF of an order's shipment (the last confirmed one, or the given package)."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        stmt = select(OrderShipment.id).where(
            OrderShipment.order_id == order.id, OrderShipment.carrier_service.in_(["inpost", "dpd"])
        )
        if package_no is not None:
            stmt = stmt.where(OrderShipment.package_no == package_no)
        else:
            stmt = stmt.where(OrderShipment.status.not_in([ShipmentStatus.FAILED, ShipmentStatus.CANCELLED]))
        row_id = s.scalar(stmt.order_by(OrderShipment.id.desc()).limit(1))
        if row_id is None:
            raise NotFound(
                f"Order {order.number} has no carrier shipment.",
                code="no_shipment",
                params={"number": order.number},
            )
    return _label_of(uow, row_id, client_factory)


def labels_for_orders(
    uow: UnitOfWork, actor: Actor, numbers: list[str], *, client_factory: ClientFactory = make_client
) -> LabelsPdf:
    """The labels of many orders' shipments in one PDF (page order = the orders' order)."""
    from pypdf import PdfReader, PdfWriter

    actor.require(Permission.VIEW)
    wanted = [n.strip() for n in numbers if n.strip()]
    with uow:
        s = uow.session
        rows = s.execute(
            select(Order.number, OrderShipment.id)
            .join(OrderShipment, OrderShipment.order_id == Order.id)
            .where(
                Order.number.in_(wanted),
                OrderShipment.carrier_service.in_(["inpost", "dpd"]),
                OrderShipment.status.not_in(
                    [
                        ShipmentStatus.PENDING,
                        ShipmentStatus.CREATED,
                        ShipmentStatus.FAILED,
                        ShipmentStatus.CANCELLED,
                    ]
                ),
            )
            .order_by(OrderShipment.package_no, OrderShipment.id)
        ).all()
    by_order: dict[str, list[int]] = {}
    for order_number, shipment_id in rows:
        by_order.setdefault(order_number, []).append(shipment_id)
    writer = PdfWriter()
    missing: list[tuple[str, str]] = []
    included: list[str] = []
    labels = 0
    for number in wanted:
        ids = by_order.get(number)
        if not ids:
            missing.append((number, "no confirmed carrier shipment"))
            continue
        for shipment_id in ids:
            try:
                content = _label_of(uow, shipment_id, client_factory)
            except RexbitError as exc:
                missing.append((number, exc.message))
                continue
            for page in PdfReader(io.BytesIO(content)).pages:
                writer.add_page(page)
            labels += 1
        included.append(number)
    if labels == 0:
        raise NotFound(
            "None of the chosen orders has a label.", hint="Create their shipments first.", code="no_labels"
        )
    out = io.BytesIO()
    writer.write(out)
    return LabelsPdf(out.getvalue(), included, labels, missing)
