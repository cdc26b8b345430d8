"""Reservations, the shortages list, WZ per warehouse, storno, expiry — on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from rexbit_desktop.db.models.documents import StockMovement, WarehouseDocument
from rexbit_desktop.domain.errors import NotFound, TransitionRefused, ValidationError
from rexbit_desktop.services.orders import orders
from rexbit_desktop.services.orders import settings as order_settings
from rexbit_desktop.services.orders.workflow import OrderWorkflowService
from rexbit_desktop.services.stock import reservations as stock_reservations
from rexbit_desktop.services.stock import stock
from tests.support.orders import add_products, all_totals, create, level, setup_warehouse

D = Decimal


@pytest.fixture
def shop_floor(db, system_actor):
    setup_warehouse(db, system_actor, "MAG")
    setup_warehouse(db, system_actor, "SKL", default=False)
    add_products(db, "A-1", "B-2", "C-3")
    return db


def _to(db, actor, number, *statuses):
    wf = OrderWorkflowService()
    return [wf.transition(db.uow(), actor, number, s) for s in statuses]


def _ledger_matches_totals(db) -> None:
    """Every change left a row: the ledger sums to the totals."""
    with db.session() as s:
        rows = s.execute(
            text(
                "SELECT t.product_id, t.warehouse_id, t.on_hand, t.reserved, "
                "coalesce(sum(m.on_hand_delta), 0), coalesce(sum(m.reserved_delta), 0) "
                "FROM warehouse_stock_totals t LEFT JOIN stock_movements m "
                "ON m.product_id = t.product_id AND m.warehouse_id = t.warehouse_id "
                "GROUP BY t.product_id, t.warehouse_id, t.on_hand, t.reserved"
            )
        ).all()
    assert rows
    for _p, _w, on_hand, reserved, sum_on_hand, sum_reserved in rows:
        assert (on_hand, reserved) == (sum_on_hand, sum_reserved)


def test_receipt_is_a_posted_pz(shop_floor, system_actor):
    db = shop_floor
    receipt = stock.receive_stock(
        db.uow(), system_actor, sku="A-1", warehouse="MAG", qty="7.5", comment="dostawa"
    )
    assert receipt.document.type == "PZ" and receipt.document.status == "posted"
    assert receipt.document.number.startswith("PZ/")
    assert level(db, "A-1") == (D("7.5"), D(0))
    with pytest.raises(NotFound):
        stock.receive_stock(db.uow(), system_actor, sku="NOPE", warehouse="MAG", qty=1)
    with pytest.raises(NotFound, match="warehouse"):
        stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="NOPE", qty=1)
    for bad in ("0", "-3", "abc", "1.0001"):
        with pytest.raises(ValidationError):
            stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=bad)
    _ledger_matches_totals(db)


def test_partial_reservation_and_shortages_filled_oldest_order_first(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=3)
    first = create(db, system_actor, ("A-1", 5))
    second = create(db, system_actor, ("A-1", 4))
    third = create(db, system_actor, ("A-1", 1), ("B-2", 2))

    (r1,) = _to(db, system_actor, first.number, "awaiting_fulfillment")
    assert [(ln.reserved_now, ln.missing) for ln in r1.reservation.lines] == [(D(3), D(2))]
    (r2,) = _to(db, system_actor, second.number, "awaiting_fulfillment")
    assert [(ln.reserved_now, ln.missing) for ln in r2.reservation.lines] == [(D(0), D(4))]
    (r3,) = _to(db, system_actor, third.number, "awaiting_fulfillment")
    assert not r3.reservation.complete
    assert [s.order_number for s in stock.list_shortages(db.uow(), system_actor)] == [
        first.number, second.number, third.number, third.number
    ]  # fmt: skip
    assert orders.get_order(db.uow(), system_actor, first.number).fulfillment_status == "unassigned"

    # 4 arrive: 2 complete the oldest order, the next 2 go to the second one.
    receipt = stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=4)
    assert [(f.order_number, f.missing_qty) for f in receipt.filled_shortages] == [
        (first.number, D(2)), (second.number, D(2))
    ]  # fmt: skip
    assert level(db, "A-1") == (D(7), D(7))
    detail = orders.get_order(db.uow(), system_actor, first.number)
    assert detail.fulfillment_status == "reserved"
    assert detail.items[0].reserved == D(5) and detail.items[0].missing == 0
    second_detail = orders.get_order(db.uow(), system_actor, second.number)
    assert second_detail.items[0].reserved == D(2) and second_detail.items[0].missing == D(2)

    # More than enough: the rest is filled, what is left stays free.
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=10)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="MAG", qty=10)
    assert level(db, "A-1") == (D(17), D(10))
    assert level(db, "B-2") == (D(10), D(2))
    assert stock.list_shortages(db.uow(), system_actor) == []
    assert orders.get_order(db.uow(), system_actor, third.number).fulfillment_status == "reserved"
    _ledger_matches_totals(db)


def test_reserve_again_takes_only_what_is_missing(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=2)
    order = create(db, system_actor, ("A-1", 3))
    first = orders.reserve_order(db.uow(), system_actor, order.number)
    assert (first.lines[0].reserved_now, first.lines[0].missing) == (D(2), D(1))
    again = orders.reserve_order(db.uow(), system_actor, order.number)
    assert (again.lines[0].reserved_now, again.lines[0].reserved_total, again.lines[0].missing) == (
        D(0),
        D(2),
        D(1),
    )
    assert level(db, "A-1") == (D(2), D(2))
    assert len(stock.list_shortages(db.uow(), system_actor)) == 1


def test_one_wz_per_warehouse(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    stock.receive_stock(db.uow(), system_actor, sku="B-2", warehouse="SKL", qty=5)
    stock.receive_stock(db.uow(), system_actor, sku="C-3", warehouse="MAG", qty=5)
    payload_items = [
        {"sku": "A-1", "quantity": "2", "price_gross": "10.00", "vat_rate": "23"},
        {"sku": "B-2", "quantity": "1", "price_gross": "20.00", "vat_rate": "23", "warehouse": "SKL"},
        {"sku": "C-3", "quantity": "3", "price_gross": "30.00", "vat_rate": "8"},
    ]
    order = orders.create_order(db.uow(), system_actor, {"items": payload_items})
    results = _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    assert results[0].reservation.complete
    numbers = results[2].issued_documents
    assert len(numbers) == 2 and len(set(numbers)) == 2
    with db.session() as s:
        docs = s.scalars(select(WarehouseDocument).where(WarehouseDocument.number.in_(numbers))).all()
        by_wh = {d.warehouse_id: sorted((i.sku, i.quantity) for i in d.items) for d in docs}
        assert all(d.status == "posted" and d.recipient for d in docs)
    assert sorted(by_wh.values()) == [[("A-1", D(2)), ("C-3", D(3))], [("B-2", D(1))]]
    assert level(db, "A-1") == (D(3), D(0))
    assert level(db, "B-2", "SKL") == (D(4), D(0))
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert sorted(d.warehouse_code for d in detail.documents if d.type == "issue_wz") == ["MAG", "SKL"]
    assert all(
        r.status == "released" and r.release_reason.startswith("issued on WZ/") for r in detail.reservations
    )
    _ledger_matches_totals(db)


def test_cancel_before_wz_releases_reservations(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    order = create(db, system_actor, ("A-1", 3), ("B-2", 1))
    _to(db, system_actor, order.number, "awaiting_fulfillment")
    assert level(db, "A-1") == (D(5), D(3))
    result = orders.cancel_order(db.uow(), system_actor, order.number, comment="klient rezygnuje")
    assert result.storno_documents == [] and D(result.released_qty) == D(3)
    assert level(db, "A-1") == (D(5), D(0))
    assert stock.list_shortages(db.uow(), system_actor) == []  # the B-2 shortage is cancelled too
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert detail.status == "cancelled" and detail.fulfillment_status == "unassigned"
    assert {r.release_reason for r in detail.reservations} == {"order cancelled"}
    _ledger_matches_totals(db)


def test_cancel_after_wz_puts_goods_back_with_storno(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    waiting = create(db, system_actor, ("A-1", 4))
    order = create(db, system_actor, ("A-1", 3))
    # The newer order takes the goods first (reserved by hand), the older one waits on the shortages list.
    _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    _to(db, system_actor, waiting.number, "awaiting_fulfillment")
    assert level(db, "A-1") == (D(2), D(2))
    result = orders.cancel_order(db.uow(), system_actor, order.number)
    assert len(result.storno_documents) == 1 and result.storno_documents[0].startswith("IN/")
    # Goods back on the shelf, and the waiting order got them at once.
    assert level(db, "A-1") == (D(5), D(4))
    with db.session() as s:
        storno = s.scalar(
            select(WarehouseDocument).where(WarehouseDocument.number == result.storno_documents[0])
        )
        wz = s.get(WarehouseDocument, storno.related_document_id)
        assert (storno.type, storno.status, wz.type, wz.status) == ("IN", "posted", "WZ", "cancelled")
        assert [(i.sku, i.quantity) for i in storno.items] == [("A-1", D(3))]
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert {d.type: d.status for d in detail.documents}["issue_wz"] == "cancelled"
    assert "storno" in {d.type for d in detail.documents}
    assert orders.get_order(db.uow(), system_actor, waiting.number).fulfillment_status == "reserved"
    _ledger_matches_totals(db)


def test_return_puts_goods_back_and_keeps_the_wz(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    order = create(db, system_actor, ("A-1", 2))
    _to(db, system_actor, order.number, "awaiting_fulfillment", "picking", "ready_for_shipment")
    orders.ship_order(db.uow(), system_actor, order.number, carrier="dpd", tracking="DPD1")
    results = _to(db, system_actor, order.number, "return_requested", "returned")
    assert results[1].storno_documents
    assert level(db, "A-1") == (D(5), D(0))
    with pytest.raises(TransitionRefused):
        orders.cancel_order(db.uow(), system_actor, order.number)
    detail = orders.get_order(db.uow(), system_actor, order.number)
    assert {d.type: d.status for d in detail.documents}["issue_wz"] == "posted"


def test_expired_reservations_are_released_with_a_reason(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=5)
    order_settings.set_order_setting(db.uow(), system_actor, "reservation_expiry_hours", "2")
    old = create(db, system_actor, ("A-1", 2))
    _to(db, system_actor, old.number, "awaiting_fulfillment")
    order_settings.set_order_setting(db.uow(), system_actor, "reservation_expiry_hours", "0")
    never = create(db, system_actor, ("A-1", 1))
    _to(db, system_actor, never.number, "awaiting_fulfillment")
    assert level(db, "A-1") == (D(5), D(3))

    nothing = stock_reservations.release_expired_reservations(db.uow(), system_actor)
    assert nothing.released_reservations == 0
    later = stock.now_utc() + timedelta(hours=3)
    result = stock_reservations.release_expired_reservations(db.uow(), system_actor, now=later)
    assert (result.released_reservations, result.released_qty, result.orders) == (1, D(2), [old.number])
    assert level(db, "A-1") == (D(5), D(1))
    detail = orders.get_order(db.uow(), system_actor, old.number)
    assert detail.fulfillment_status == "unassigned"
    assert detail.reservations[0].status == "released"
    assert detail.reservations[0].release_reason.startswith("expired at")
    with db.session() as s:
        reasons = s.scalars(select(StockMovement.reason).order_by(StockMovement.id)).all()
    assert reasons[-1] == "expire"
    _ledger_matches_totals(db)


def test_stock_never_goes_negative_through_the_check_constraint(shop_floor, system_actor):
    db = shop_floor
    stock.receive_stock(db.uow(), system_actor, sku="A-1", warehouse="MAG", qty=1)
    with db.session() as s, pytest.raises(Exception, match="reserved_within_on_hand"):
        s.execute(text("UPDATE warehouse_stock_totals SET reserved = on_hand + 1"))
    assert all(0 <= r <= o for o, r in all_totals(db))
