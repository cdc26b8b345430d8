"""Statuses back to the shop (us → shop): the queued listener that writes our order's status as the
shop's state, and what the order detail shows of the shop order."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from rexbit_desktop.adapters.prestashop.gateway import ShopDatabaseError
from rexbit_desktop.db.models import (
    Integration,
    Order,
    OrderShipment,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.orders import OrderStatus
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.orders.workflow import OrderStatusChanged
from rexbit_desktop.services.shop.connection import PRESTASHOP_TYPE, load_shop_integration
from rexbit_desktop.services.shop.order_mapping import (
    SOURCE,
)
from rexbit_desktop.services.shop.order_source import ShopOrdersUnavailable, _connect, _mapping, _remember

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopOrderInfo:
    """Where an order taken in from the shop came from (the order detail shows it)."""

    integration_id: int
    integration_name: str | None
    id_order: str
    reference: str | None
    id_shop: int | None


def shop_order_info(uow: UnitOfWork, actor: Actor, *, order_id: int) -> ShopOrderInfo | None:
    """The shop order behind one of our orders: id and reference as the import stored them
    (``external_order_id``, ``metadata.prestashop``). None for an order that did not come from a shop."""
    actor.require(Permission.VIEW)
    with uow:
        row = uow.session.execute(
            select(Order.integration_id, Integration.name, Order.external_order_id, Order.meta[SOURCE])
            .outerjoin(Integration, Integration.id == Order.integration_id)
            .where(Order.id == order_id, Order.source == SOURCE)
        ).first()
    if row is None or row.integration_id is None or not row.external_order_id:
        return None
    meta = row[3] if isinstance(row[3], dict) else {}
    id_shop = meta.get("id_shop")
    return ShopOrderInfo(
        integration_id=row.integration_id,
        integration_name=row.name,
        id_order=row.external_order_id,
        reference=meta.get("reference") or None,
        id_shop=int(id_shop) if isinstance(id_shop, int | str) and str(id_shop).isdigit() else None,
    )


@dataclass(frozen=True)
class StatusPushed:
    order_number: str
    id_order: int
    state: int | None
    state_written: bool
    tracking_written: bool
    tracking_url: str | None


def push_order_status(uow: UnitOfWork, actor: Actor, *, order_id: int, status: str) -> StatusPushed | None:
    """Write our order's status (mapped) and, when shipped, its tracking number into the shop.

    None when there is nothing to do: not a shop order, the order moved on since (a later change's job
    writes the newer status), or the status has no shop state mapped. Idempotent: a state the shop holds
    already is not written again. Raises ``ShopOrdersUnavailable`` when the shop cannot be reached.
    """
    actor.require(Permission.INTEGRATIONS_RUN)
    with uow:
        s = uow.session
        order = s.get(Order, order_id)
        if order is None or order.integration_id is None or order.source != SOURCE:
            return None
        integration_row = s.get(Integration, order.integration_id)
        if integration_row is None or integration_row.type != PRESTASHOP_TYPE or not integration_row.enabled:
            return None
        if order.status != status:
            return None
        number, external = order.number, order.external_order_id
        integration = load_shop_integration(s, order.integration_id)
        tracking = None
        if OrderStatus(status) is OrderStatus.SHIPPED:
            tracking = s.scalar(
                select(OrderShipment.tracking_number)
                .where(OrderShipment.order_id == order.id, OrderShipment.tracking_number.is_not(None))
                .order_by(OrderShipment.id.desc())
                .limit(1)
            )
    if not external or not external.isdigit():
        return None
    gateway, shop_orders = _connect(integration)
    try:
        try:
            with uow:
                mapping = _mapping(uow, shop_orders, integration)
            state = mapping.shop(status)
            if state is None and not tracking:
                return None  # a status with no shop state: not written
            outcome = shop_orders.write_state(int(external), integration.config["id_shop"], state, tracking)
        except ShopDatabaseError as exc:
            raise ShopOrdersUnavailable(exc.message, hint=exc.hint, code=exc.code, params=exc.params) from exc
    finally:
        gateway.close()
    if outcome.state_before is None:
        log.warning("order %s: the shop has no order %s any more; status not written", number, external)
        return None
    if outcome.state_written:
        # The import must not take our own change for the shop's (it would mirror it back).
        _remember(uow, [(order_id, {"current_state": state})])
    log.info(
        "order %s: shop order %s state %s%s%s", number, external, state,
        " written" if outcome.state_written else " already there",
        f", tracking {tracking} ({outcome.tracking_url or 'no tracking url'})" if outcome.tracking_written else "",
    )  # fmt: skip
    return StatusPushed(
        number, int(external), state, outcome.state_written, outcome.tracking_written, outcome.tracking_url
    )


def push_status_to_shop(uow: UnitOfWork, actor: Actor, event: OrderStatusChanged) -> bool:
    """The queued listener (``orders:order_status_changed``): True when the order came from a shop."""
    with uow:
        row = uow.session.execute(
            select(Order.source, Order.integration_id).where(Order.id == event.order_id)
        ).first()
    if row is None or row.source != SOURCE or row.integration_id is None:
        return False
    push_order_status(uow, actor, order_id=event.order_id, status=event.to_status)
    return True
