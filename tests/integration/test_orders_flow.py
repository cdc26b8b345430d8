"""The operator's day: receive, create, reserve, pick, WZ, ship — on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rexbit_desktop.domain.errors import Conflict, NotFound, ValidationError
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders.settings import set_order_setting
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, create, level, setup_warehouse

D = Decimal


def test_order_runs_from_create_to_shipped(db, system_actor):
    setup_warehouse(db, system_actor)
    add_products(db, "A-1", "B-2")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=10)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty="2")
    order = create(db, system_actor, ("A-1", 3), ("B-2", 1))
    assert order.number.startswith("ZAM/")
    assert order.status == "draft"
    assert order.total_gross == D("492.00")
    assert order.payment_status == "partially_paid"

    wf = OrderWorkflowService()
    result = wf.transition(db.uow(), system_actor, order.number, "awaiting_fulfillment")
    assert result.reservation is not None and result.reservation.complete
    assert level(db, "A-1") == (D(10), D(3))
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert detail.fulfillment_status == "reserved"
    assert [d.type for d in detail.documents] == ["reservation"]

    wf.transition(db.uow(), system_actor, order.number, "picking")
    result = wf.transition(db.uow(), system_actor, order.number, "ready_for_shipment")
    assert len(result.issued_documents) == 1 and result.issued_documents[0].startswith("WZ/")
    assert level(db, "A-1") == (D(7), D(0))
    assert level(db, "B-2") == (D(1), D(0))

    shipped = orders.ship_order(db.uow(), system_actor, order.number, carrier="inpost", tracking="6800123")
    assert shipped.status == "shipped"
    assert shipped.fulfillment_status == "shipped"
    assert shipped.shipments[0].tracking_url.endswith("6800123")
    assert [h.to_status for h in shipped.history] == [
        "draft",
        "awaiting_fulfillment",
        "picking",
        "ready_for_shipment",
        "shipped",
    ]
    assert all(r.status == "released" for r in shipped.reservations)


def test_bad_order_input_is_a_clear_error(db, system_actor):
    with pytest.raises(ValidationError, match="items"):
        orders.create_order(db.uow(), system_actor, {"items": []})
    with pytest.raises(ValidationError, match="not a number"):
        orders.create_order(
            db.uow(), system_actor, {"items": [{"sku": "X", "quantity": 1, "price_gross": "12,5zł"}]}
        )
    with pytest.raises(NotFound):
        orders.get_order(db.uow(), system_actor, "ZAM/nope")


def test_the_same_shop_order_is_not_taken_in_twice(db, system_actor):
    first = create(db, system_actor, ("X-1", 1), external_order_id="PS-1001", source="prestashop")
    with pytest.raises(Conflict, match=first.number):
        create(db, system_actor, ("X-1", 1), external_order_id="PS-1001", source="prestashop")
    other = create(db, system_actor, ("X-1", 1), external_order_id="PS-1002", source="prestashop")
    assert other.number != first.number
    elsewhere = create(db, system_actor, ("X-1", 1), external_order_id="PS-1001", source="allegro")
    assert elsewhere.number not in (first.number, other.number)


def test_an_order_is_taken_in_for_the_default_warehouse_unless_it_names_one(db, system_actor):
    # No warehouse yet: the warehouse is decided when stock is reserved.
    assert create(db, system_actor, ("A-1", 1)).warehouse_code is None
    setup_warehouse(db, system_actor, "MAG1", default=False)  # the first one is the default
    setup_warehouse(db, system_actor, "MAG2", default=False)
    assert create(db, system_actor, ("A-1", 1)).warehouse_code == "MAG1"

    set_order_setting(db.uow(), system_actor, "default_warehouse", "MAG2")
    taken = create(db, system_actor, ("A-1", 1))
    named = create(db, system_actor, ("A-1", 1), warehouse="MAG1")
    assert (taken.warehouse_code, named.warehouse_code) == ("MAG2", "MAG1")

    # A later change of the default does not move orders already taken in.
    set_order_setting(db.uow(), system_actor, "default_warehouse", "MAG1")
    assert orders.get_order(db.uow(), system_actor, taken.number).warehouse_code == "MAG2"
