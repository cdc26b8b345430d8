"""Tracking: ask the carriers about open shipments, store their events and statuses, and complete an
order whose parcels are all delivered."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rexbit_desktop.adapters.carriers.base import (
    CarrierClient,
)
from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import Order, OrderShipment
from rexbit_desktop.db.models.shipping import CarrierAccount, ShipmentEvent
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import RexbitError
from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.domain.roles import Actor, Permission, Role
from rexbit_desktop.domain.shipping import (
    OPEN_FOR_TRACKING,
    ShipmentStatus,
    later_status,
)
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import (
    OrderWorkflowService,
)
from rexbit_desktop.services.shipping.accounts import ClientFactory
from rexbit_desktop.services.shipping.dto import (
    TrackingResult,
)
from rexbit_desktop.services.stock import stock

log = logging.getLogger(__name__)


def tracking_actor(carrier_name: str) -> Actor:
    """Who the history names for a change made by tracking: ``Automat: śledzenie InPost``."""
    return Actor(
        login=f"Automat: śledzenie {carrier_name}", role=Role.ADMIN, display_name=f"śledzenie {carrier_name}"
    )


def track_shipments(
    uow: UnitOfWork,
    actor: Actor,
    *,
    numbers: list[str] | None = None,
    client_factory: ClientFactory = make_client,
    workflow: OrderWorkflowService | None = None,
) -> TrackingResult:
    """Ask the carriers about open shipments (all, or the given orders'); store new events and statuses;
    move a ``shipped`` order whose shipments are all delivered to ``completed`` (setting
    ``automation.complete_on_delivery``), recorded as ``Automat: śledzenie <carrier>``."""
    actor.require(Permission.INTEGRATIONS_RUN)
    result = TrackingResult()
    with uow:
        s = uow.session
        stmt = (
            select(
                OrderShipment.id,
                OrderShipment.tracking_number,
                OrderShipment.status,
                CarrierAccount.id.label("account_id"),
            )
            .join(CarrierAccount, CarrierAccount.id == OrderShipment.carrier_account_id)
            .where(
                OrderShipment.carrier_service.in_(["inpost", "dpd"]),
                OrderShipment.status.in_([st.value for st in OPEN_FOR_TRACKING]),
                OrderShipment.tracking_number.is_not(None),
                CarrierAccount.enabled,
            )
            .order_by(OrderShipment.carrier_service, OrderShipment.id)
        )
        if numbers is not None:
            stmt = stmt.join(Order, Order.id == OrderShipment.order_id).where(Order.number.in_(numbers))
        open_rows = s.execute(stmt).all()
        accounts = {a.id: (a.service, a.name, dict(a.config)) for a in s.scalars(select(CarrierAccount))}
    clients: dict[int, CarrierClient] = {}
    delivered_orders: dict[int, str] = {}
    try:
        for shipment_id, tracking, status, account_id in open_rows:
            service, name, config = accounts[account_id]
            try:
                if account_id not in clients:
                    clients[account_id] = client_factory(service, config)
                events = clients[account_id].track(str(tracking))
            except RexbitError as exc:
                result.errors.append(f"{tracking}: {exc.message}")
                continue
            result.checked += 1
            new_status = ShipmentStatus(status)
            for event in sorted(events, key=lambda e: e.occurred_at):
                new_status = later_status(new_status, event.status)
            now = stock.now_utc()
            with uow:
                s = uow.session
                if events:
                    s.execute(
                        pg_insert(ShipmentEvent)
                        .values(
                            [
                                {
                                    "shipment_id": shipment_id,
                                    "status": e.status.value,
                                    "carrier_status": e.carrier_status[:100],
                                    "description": e.description,
                                    "occurred_at": e.occurred_at,
                                }
                                for e in events
                            ]
                        )
                        .on_conflict_do_nothing()
                    )
                latest = max(events, key=lambda e: e.occurred_at) if events else None
                values: dict[str, Any] = {"last_tracked_at": now}
                if new_status != ShipmentStatus(status):
                    values["status"] = new_status.value
                    result.updated += 1
                if latest is not None:
                    values["carrier_status"] = latest.carrier_status[:64]
                if new_status is ShipmentStatus.DELIVERED:
                    delivered_at = max(e.occurred_at for e in events if e.status is ShipmentStatus.DELIVERED)
                    values["delivered_at"] = delivered_at
                s.execute(update(OrderShipment).where(OrderShipment.id == shipment_id).values(**values))
                order_id = s.scalar(select(OrderShipment.order_id).where(OrderShipment.id == shipment_id))
                uow.commit()
            if (
                new_status is ShipmentStatus.DELIVERED
                and ShipmentStatus(status) is not ShipmentStatus.DELIVERED
            ):
                result.delivered += 1
                assert order_id is not None
                delivered_orders[order_id] = name
    finally:
        for client in clients.values():
            client.close()
    wf = workflow or OrderWorkflowService()
    for order_id, carrier_name in delivered_orders.items():
        completed = _complete_if_delivered(uow, order_id, carrier_name, wf)
        if completed:
            result.completed.append(completed)
    return result


def _complete_if_delivered(
    uow: UnitOfWork, order_id: int, carrier_name: str, wf: OrderWorkflowService
) -> str | None:
    with uow:
        s = uow.session
        settings = load_settings(s)
        order = s.get(Order, order_id)
        if (
            order is None
            or not settings.automation.complete_on_delivery
            or order.status != OrderStatus.SHIPPED
        ):
            return None
        statuses = s.scalars(
            select(OrderShipment.status).where(
                OrderShipment.order_id == order_id,
                OrderShipment.carrier_service.in_(["inpost", "dpd"]),
                OrderShipment.status.not_in([ShipmentStatus.FAILED, ShipmentStatus.CANCELLED]),
            )
        ).all()
        if not statuses or any(st != ShipmentStatus.DELIVERED for st in statuses):
            return None
        number = order.number
    try:
        wf.transition(
            uow, tracking_actor(carrier_name), number, OrderStatus.COMPLETED.value, comment="Doręczono"
        )
    except RexbitError as exc:  # changed meanwhile (e.g. a return was requested): leave it
        log.info("order %s not completed on delivery: %s", number, exc)
        return None
    return number
