"""DPD handover protocols ("protokół przekazania") of a day's confirmed parcels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import Order, OrderShipment
from rexbit_desktop.db.models.shipping import CarrierProtocol
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import NotFound, ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.shipping import (
    ShipmentStatus,
)
from rexbit_desktop.services.shipping.accounts import ClientFactory, find_account
from rexbit_desktop.services.shipping.dto import (
    ProtocolDTO,
)
from rexbit_desktop.services.shipping.rows import (
    carrier_shipment,
)
from rexbit_desktop.services.stock import stock


def handover_protocol(
    uow: UnitOfWork,
    actor: Actor,
    *,
    carrier: str = "dpd",
    day: date | None = None,
    client_factory: ClientFactory = make_client,
) -> ProtocolDTO:
    """The handover protocol ("protokół przekazania") of a DPD account's confirmed parcels of a day (not
    yet on a protocol); stored, and the parcels marked as handed over with it."""
    actor.require(Permission.ORDERS_EDIT)
    day = day or stock.now_utc().astimezone().date()
    with uow:
        s = uow.session
        account = find_account(s, carrier)
        if account.service != "dpd":
            raise ValidationError(
                f"'{account.code}' is not a DPD account: only DPD has handover protocols.",
                code="not_dpd_account",
                params={"code": account.code},
            )
        start = datetime.combine(day, datetime.min.time()).astimezone()
        rows = list(
            s.scalars(
                select(OrderShipment)
                .where(
                    OrderShipment.carrier_account_id == account.id,
                    OrderShipment.status == ShipmentStatus.CONFIRMED,
                    OrderShipment.protocol_id.is_(None),
                    OrderShipment.shipped_at >= start,
                    OrderShipment.shipped_at < start + timedelta(days=1),
                )
                .order_by(OrderShipment.id)
            )
        )
        if not rows:
            raise NotFound(
                f"No DPD parcels of {day.isoformat()} wait for a protocol.",
                code="no_parcels_for_protocol",
                params={"day": day.isoformat()},
            )
        shipments = [carrier_shipment(r) for r in rows]
        row_ids = [r.id for r in rows]
        orders = list(
            s.scalars(
                select(Order.number).where(Order.id.in_({r.order_id for r in rows})).order_by(Order.number)
            )
        )
        service, config, account_id, code = account.service, dict(account.config), account.id, account.code
    client = client_factory(service, config)
    try:
        document = client.protocol(shipments, day)
    finally:
        client.close()
    parcels = sum(max(1, len(s.tracking_numbers)) for s in shipments)
    with uow:
        s = uow.session
        protocol = CarrierProtocol(
            carrier_account_id=account_id,
            day=day,
            document_id=document.document_id,
            parcels=parcels,
            content=document.content,
            created_by=actor.login,
        )
        s.add(protocol)
        s.flush()
        s.execute(update(OrderShipment).where(OrderShipment.id.in_(row_ids)).values(protocol_id=protocol.id))
        dto = ProtocolDTO(protocol.id, code, day, document.document_id, parcels, orders, document.content)
        uow.commit()
    return dto
