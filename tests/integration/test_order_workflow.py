"""Status changes through OrderWorkflowService on PostgreSQL: every pair, automation, permissions, listeners."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models.orders import Order, OrderAuditLog, OrderItem, OrderStatusHistory
from rexbit_desktop.domain.errors import PermissionDenied, TransitionRefused, ValidationError
from rexbit_desktop.domain.orders import TRANSITIONS, OrderStatus
from rexbit_desktop.domain.roles import Actor, Role
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import (
    OrderWorkflowService,
    handle_queued_status_change,
)
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, create, level, setup_warehouse

D = Decimal
OPERATOR = Actor(login="operator1", role=Role.OPERATOR)
MANAGER = Actor(login="manager1", role=Role.MANAGER)


def _orders_in_every_status(db, n_per_status: int) -> dict[str, list[str]]:
    """Orders inserted in one transaction (one commit instead of 121), each in a given status."""
    numbers: dict[str, list[str]] = {s.value: [] for s in OrderStatus}
    with db.session() as s:
        for status in OrderStatus:
            for i in range(n_per_status):
                number = f"T/{status.value}/{i}"
                order = Order(number=number, status=status.value)
                order.items.append(
                    OrderItem(
                        name="Usługa",
                        sku="NOT-IN-CATALOG",
                        quantity=1,
                        price_net=1,
                        price_gross=1,
                        vat_rate=23,
                    )
                )
                s.add(order)
                numbers[status.value].append(number)
        s.commit()
    return numbers


def test_every_pair_through_the_service(db, system_actor):
    """121 pairs: allowed ones change the status and write history; refused ones change nothing."""
    wf = OrderWorkflowService()
    numbers = _orders_in_every_status(db, len(OrderStatus))
    for current in OrderStatus:
        for target, number in zip(OrderStatus, numbers[current.value], strict=True):
            if target in TRANSITIONS[current]:
                # Entering "shipped" records the carrier (personal pickup needs no tracking number).
                parcel = {"carrier": "pickup"} if target is OrderStatus.SHIPPED else {}
                result = wf.transition(db.uow(), system_actor, number, target.value, comment="test", **parcel)
                assert (result.from_status, result.to_status) == (current.value, target.value)
            else:
                with pytest.raises(TransitionRefused):
                    wf.transition(db.uow(), system_actor, number, target.value)
    with db.session() as s:
        status_of = dict(s.execute(select(Order.number, Order.status)).all())
        history = {
            (n, f, t)
            for n, f, t in s.execute(
                select(Order.number, OrderStatusHistory.from_status, OrderStatusHistory.to_status).join(
                    Order, Order.id == OrderStatusHistory.order_id
                )
            )
        }
    for current in OrderStatus:
        for target, number in zip(OrderStatus, numbers[current.value], strict=True):
            if target in TRANSITIONS[current]:
                assert status_of[number] == target.value
                assert (number, current.value, target.value) in history
            else:
                assert status_of[number] == current.value
                assert not any(h[0] == number for h in history)


def test_refusal_names_the_allowed_statuses(db, system_actor):
    order = create(db, system_actor, ("X", 1))
    with pytest.raises(TransitionRefused) as info:
        OrderWorkflowService().transition(db.uow(), system_actor, order.number, "shipped")
    assert "awaiting_payment" in info.value.hint and "cancelled" in info.value.hint
    with pytest.raises(ValidationError, match="Unknown order status"):
        OrderWorkflowService().transition(db.uow(), system_actor, order.number, "teleported")


@pytest.fixture
def stocked(db, system_actor):
    setup_warehouse(db, system_actor)
    add_products(db, "A-1", "B-2")
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=10)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=10)
    return db


def _to(db, actor, number, *statuses):
    wf = OrderWorkflowService()
    return [
        wf.transition(db.uow(), actor, number, s, **({"carrier": "pickup"} if s == "shipped" else {}))
        for s in statuses
    ]


def test_reserve_switch_off_leaves_stock_alone(stocked, system_actor):
    db = stocked
    order_settings.set_order_setting(
        db.uow(), system_actor, "automation.reserve_on_awaiting_fulfillment", "no"
    )
    order = create(db, system_actor, ("A-1", 2))
    (result,) = _to(db, system_actor, order.number, "awaiting_fulfillment")
    assert result.reservation is None
    assert level(db, "A-1") == (D(10), D(0))


def test_wz_on_picking(stocked, system_actor):
    db = stocked
    order_settings.set_order_setting(db.uow(), system_actor, "automation.issue_wz_on", "picking")
    order = create(db, system_actor, ("A-1", 2))
    results = _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    assert results[1].issued_documents and not results[2].issued_documents
    assert level(db, "A-1") == (D(8), D(0))


def test_wz_on_ready_for_shipment_is_the_default(stocked, system_actor):
    db = stocked
    order = create(db, system_actor, ("A-1", 2))
    results = _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    assert not results[1].issued_documents and results[2].issued_documents
    assert level(db, "A-1") == (D(8), D(0))


def test_wz_never_issues_nothing_even_when_shipped(stocked, system_actor):
    db = stocked
    order_settings.set_order_setting(db.uow(), system_actor, "automation.issue_wz_on", "never")
    order = create(db, system_actor, ("A-1", 2))
    _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment", "shipped")
    assert level(db, "A-1") == (D(10), D(2))
    assert not [
        d for d in orders.get_order(db.uow(), system_actor, order.number).documents if d.type == "issue_wz"
    ]


def test_release_on_cancel_switch(stocked, system_actor):
    db = stocked
    first = create(db, system_actor, ("A-1", 2))
    _to(db, system_actor, first.number, "awaiting_fulfillment", "cancelled")
    assert level(db, "A-1") == (D(10), D(0))
    order_settings.set_order_setting(
        db.uow(), system_actor, "automation.release_reservations_on_cancel", "off"
    )
    second = create(db, system_actor, ("A-1", 3))
    _to(db, system_actor, second.number, "awaiting_fulfillment", "cancelled")
    assert level(db, "A-1") == (D(10), D(3))  # held until the reservation expires


def test_initial_status_awaiting_fulfillment_reserves_at_creation(stocked, system_actor):
    db = stocked
    order_settings.set_order_setting(db.uow(), system_actor, "initial_status", "awaiting_fulfillment")
    order = create(db, system_actor, ("A-1", 4))
    assert order.status == "awaiting_fulfillment"
    assert order.fulfillment_status == "reserved"
    assert level(db, "A-1") == (D(10), D(4))


def test_failed_side_effect_rolls_back_the_transition(stocked, system_actor):
    """No stock for the WZ: the status stays, nothing is posted, nothing is numbered."""
    db = stocked
    order_settings.set_order_setting(
        db.uow(), system_actor, "automation.reserve_on_awaiting_fulfillment", "no"
    )
    order = create(db, system_actor, ("A-1", 50))
    _to(db, system_actor, order.number, "awaiting_fulfillment", "picking")
    with pytest.raises(ValidationError, match="not enough stock"):
        _to(db, system_actor, order.number, "ready_for_shipment")
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert detail.status == "picking"
    assert level(db, "A-1") == (D(10), D(0))
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM number_series WHERE key LIKE 'WZ/%'")).scalar() == 0


def test_permissions_per_role(stocked, system_actor):
    db = stocked
    order = create(db, OPERATOR, ("A-1", 1))
    _to(db, OPERATOR, order.number, "awaiting_fulfillment", "picking")
    with pytest.raises(PermissionDenied):
        _to(db, OPERATOR, order.number, "cancelled")
    with pytest.raises(PermissionDenied):
        orders.cancel_order(db.uow(), OPERATOR, order.number)
    with pytest.raises(PermissionDenied):
        order_settings.set_order_setting(db.uow(), OPERATOR, "automation.issue_wz_on", "picking")
    with pytest.raises(PermissionDenied):
        stock.add_warehouse(db.uow(), OPERATOR, code="X", name="X")
    stock.receive_stock(db.uow(), OPERATOR, sku="B-2", warehouse="MAG", qty=1)  # operators receive goods
    orders.cancel_order(db.uow(), MANAGER, order.number)
    shipped = create(db, system_actor, ("A-1", 1))
    _to(db, system_actor, shipped.number, "awaiting_fulfillment", "picking", "ready_for_shipment", "shipped")
    with pytest.raises(PermissionDenied):
        _to(db, OPERATOR, shipped.number, "return_requested")
    _to(db, MANAGER, shipped.number, "return_requested")
    options = OrderWorkflowService().allowed(db.uow(), OPERATOR, shipped.number)
    assert {(o.status, o.allowed) for o in options} == {("returned", False), ("completed", True)}


def test_in_process_listeners_hear_committed_changes_only(stocked, system_actor):
    db = stocked
    heard = []

    def listener(event):
        with db.session() as s:  # a listener sees the committed change
            status = s.scalar(select(Order.status).where(Order.id == event.order_id))
        heard.append((event.from_status, event.to_status, status))

    def broken(event):
        raise RuntimeError("listener bug")

    wf = OrderWorkflowService([broken, listener])
    order = create(db, system_actor, ("A-1", 1))
    wf.transition(db.uow(), system_actor, order.number, "awaiting_payment")
    with pytest.raises(TransitionRefused):
        wf.transition(db.uow(), system_actor, order.number, "shipped")
    assert heard == [("draft", "awaiting_payment", "awaiting_payment")]


def test_queued_listener_is_deferred_in_the_same_transaction(stocked, system_actor):
    db = stocked
    wf = OrderWorkflowService(queued=True)
    order = create(db, system_actor, ("A-1", 1))
    wf.transition(db.uow(), system_actor, order.number, "awaiting_payment")
    with pytest.raises(TransitionRefused):
        wf.transition(db.uow(), system_actor, order.number, "returned")
    with db.session() as s:
        jobs = s.execute(
            text(
                "SELECT queue_name, args FROM procrastinate_jobs WHERE task_name = 'orders:order_status_changed'"
            )
        ).all()
    assert len(jobs) == 1
    queue, args = jobs[0]
    assert (
        queue == "orders" and args["to_status"] == "awaiting_payment" and args["order_number"] == order.number
    )

    from rexbit_desktop.services.orders import workflow as order_workflow

    seen = []
    order_workflow.QUEUED_HANDLERS.append(seen.append)
    try:
        from datetime import datetime

        event = order_workflow.OrderStatusChanged(
            args["order_id"], args["order_number"], args["from_status"], args["to_status"], args["changed_by"],
            args["comment"], datetime.fromisoformat(args["at"]),
        )  # fmt: skip
        assert handle_queued_status_change(db.uow(), Actor.job("orders:order_status_changed"), event) == 1
    finally:
        order_workflow.QUEUED_HANDLERS.remove(seen.append)
    assert seen[0].to_status == "awaiting_payment"
    with db.session() as s:
        assert s.scalar(select(OrderAuditLog.action).where(OrderAuditLog.order_id == args["order_id"])) == (
            "status_changed_delivered"
        )


def test_history_records_who_and_context(stocked, system_actor):
    db = stocked
    order = create(db, system_actor, ("A-1", 1))
    OrderWorkflowService().transition(
        db.uow(), MANAGER, order.number, "cancelled", comment="klient zrezygnował"
    )
    with db.session() as s:
        row = s.scalars(select(OrderStatusHistory).order_by(OrderStatusHistory.id.desc())).first()
    assert (row.changed_by, row.comment, row.to_status) == ("manager1", "klient zrezygnował", "cancelled")


def test_shipped_by_any_path_records_the_carrier(stocked, system_actor):
    """One shipping rule: a plain status change to "shipped" needs the carrier (and the tracking number
    its settings ask for); personal pickup needs none; the parcel is recorded either way."""
    db = stocked
    ready = [create(db, system_actor, ("A-1", 1)).number for _ in range(3)]
    for number in ready:
        _to(db, system_actor, number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    wf = OrderWorkflowService()
    with pytest.raises(ValidationError) as no_carrier:
        wf.transition(db.uow(), system_actor, ready[0], "shipped")
    assert no_carrier.value.code == "carrier_required"
    with pytest.raises(ValidationError) as no_tracking:
        wf.transition(db.uow(), system_actor, ready[0], "shipped", carrier="inpost")
    assert no_tracking.value.code == "tracking_required"
    assert orders.get_order(db.uow(), system_actor, ready[0]).status == "ready_for_shipment"

    wf.transition(db.uow(), system_actor, ready[0], "shipped", carrier="pickup")
    wf.transition(db.uow(), system_actor, ready[1], "shipped", carrier="InPost", tracking="6200777")
    pickup = orders.get_order(db.uow(), system_actor, ready[0])
    inpost = orders.get_order(db.uow(), system_actor, ready[1])
    assert pickup.status == "shipped" and [(s.carrier, s.tracking_number) for s in pickup.shipments] == [
        ("pickup", None)
    ]
    assert [(s.carrier, s.tracking_number) for s in inpost.shipments] == [("inpost", "6200777")]
    assert inpost.shipments[0].tracking_url.endswith("6200777")
    # The ship use case goes through the same rule (and records one parcel, not two).
    shipped = orders.ship_order(db.uow(), system_actor, ready[2], carrier="pickup", tracking="")
    assert [(s.carrier, s.tracking_number) for s in shipped.shipments] == [("pickup", None)]
