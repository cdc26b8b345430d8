"""A carrier shipment of an order taken in from the shop: its tracking number reaches the shop's
``order_carrier`` through the existing flowback (``orders:order_status_changed``), real MariaDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models import Order
from rexbit_desktop.domain.roles import Actor
from rexbit_desktop.services.orders.workflow import OrderStatusChanged, handle_queued_status_change
from rexbit_desktop.services.shipping import create_shipment
from rexbit_desktop.services.shop.orders import sync_orders
from tests.support.carriers import ShipXServer, add_inpost, no_wz
from tests.support.shop import add_shop_order, create_shop_integration, line

PAYMENT, SHIPPING = 2, 4


def _rows(shop: Any, sql: str) -> list[tuple[Any, ...]]:
    conn = shop.connect()
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = list(cur.fetchall())
    conn.close()
    return rows


def _events(db: Any) -> list[OrderStatusChanged]:
    with db.uow() as uow:
        rows = uow.session.execute(
            text(
                "SELECT args FROM procrastinate_jobs WHERE task_name = 'orders:order_status_changed' ORDER BY id"
            )
        ).scalars()
        return [
            OrderStatusChanged(a["order_id"], a["order_number"], a["from_status"], a["to_status"],
                               a["changed_by"], a["comment"], datetime.fromisoformat(a["at"]))
            for a in rows
        ]  # fmt: skip


@pytest.mark.mysql
def test_the_tracking_number_of_a_carrier_shipment_reaches_the_shop(db, shop, system_actor) -> None:  # type: ignore[no-untyped-def]
    integration = create_shop_integration(db, shop)
    add_shop_order(shop, 801, state=PAYMENT, lines=[line(9, "10.00", ref="NIEZNANY")])
    sync_orders(db.uow(), system_actor, integration_id=integration)
    with db.uow() as uow:
        number = uow.session.scalar(select(Order.number).where(Order.external_order_id == "801"))
    assert number is not None
    no_wz(db, system_actor)
    from rexbit_desktop.services.orders.workflow import transition_order

    for status in ("awaiting_fulfillment", "picking", "ready_for_shipment"):
        transition_order(db.uow(), system_actor, number, status)
    with ShipXServer() as shipx:
        shipx.state.confirm_after_polls = 0
        add_inpost(db, system_actor, shipx)
        dto = create_shipment(db.uow(), system_actor, number, size="A", parcel=None)

    shipped = _events(db)[-1]
    assert (shipped.order_number, shipped.to_status) == (number, "shipped")
    assert handle_queued_status_change(db.uow(), Actor.job("orders:order_status_changed"), shipped) == 1
    assert _rows(shop, f"SELECT current_state FROM {shop.t('orders')} WHERE id_order = 801") == [(SHIPPING,)]
    assert _rows(shop, f"SELECT tracking_number FROM {shop.t('order_carrier')} WHERE id_order = 801") == [
        (dto.tracking_number,)
    ]
