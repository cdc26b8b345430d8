"""Orders: create (from the shop's or the CLI's JSON, or by hand), read the detail, notes, reserve,
cancel, ship. Status changes go through ``workflow``; the payload, DTOs and detail mapper have rooms of
their own (see the package)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rexbit_desktop.db.models.catalog import Product
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAddress,
    OrderItem,
    OrderNote,
    OrderPayment,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, RexbitError, TransitionRefused, ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import (
    SHIPPED_STATUSES,
    OrderStatus,
    net_from_gross,
    parse_status,
    payment_status_for,
)
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.orders.detail import order_detail
from rexbit_desktop.services.orders.dto import (
    NoteDTO,
    OrderDetailDTO,
    PlacedOrderDTO,
)
from rexbit_desktop.services.orders.payload import (
    NewOrder,
    parse_order_payload,
)
from rexbit_desktop.services.orders.settings import (
    load_settings,
    prime_settings,
    settings_column,
    settings_loaded,
)
from rexbit_desktop.services.orders.workflow import (
    OrderWorkflowService,
    TransitionResult,
    apply_transition,
    find_order,
)
from rexbit_desktop.services.stock import issues, ledger, stock
from rexbit_desktop.services.stock import reservations as stock_reservations
from rexbit_desktop.services.stock.documents import next_number_into, retry_on_deadlock
from rexbit_desktop.services.stock.dto import ReservationResultDTO

ZERO = Decimal(0)


# ------------------------------------------------------------------ use cases


def _products_and_settings(session: Session, skus: set[str]) -> tuple[dict[str, Any], OrderSettings]:
    """The catalogue rows of a new order's SKUs, the order settings and the warehouses (primed into the
    session's caches), in one round trip."""
    if settings_loaded(session) and ledger.warehouses_loaded(session):
        rows = session.execute(
            select(Product.id, Product.sku, Product.name, Product.ean).where(Product.sku.in_(skus))
        ).all()
        return {r.sku: r for r in rows}, load_settings(session)
    head = select(
        settings_column().label("settings"), ledger.warehouses_column().label("warehouses")
    ).subquery()
    rows = session.execute(
        select(head.c.settings, head.c.warehouses, Product.id, Product.sku, Product.name, Product.ean)
        .select_from(head)
        .outerjoin(Product, Product.sku.in_(skus))
    ).all()
    prime_settings(session, rows[0].settings)
    ledger.prime_warehouses(session, rows[0].warehouses)
    return {r.sku: r for r in rows if r.id is not None}, load_settings(session)


def _insert_order_rows(
    session: Session,
    order_id: int,
    *,
    items: list[dict[str, Any]],
    addresses: list[dict[str, Any]],
    payments: list[dict[str, Any]],
) -> None:
    """The lines, addresses and payments of a new order in one statement (data-modifying CTEs) instead
    of one INSERT per table; the order's collections load on first use."""
    # Every column with a Python-side default is given explicitly: a multi-row VALUES inside a CTE
    # cannot take them.
    tables: list[tuple[Table, dict[str, Any], list[dict[str, Any]]]] = [
        (cast(Table, OrderItem.__table__), {"metadata": {}, "discount_total": ZERO}, items),
        (cast(Table, OrderAddress.__table__), {"metadata": {}}, addresses),
        (
            cast(Table, OrderPayment.__table__),
            {"metadata": {}, "status": "pending", "currency": "PLN"},
            payments,
        ),
    ]
    parts = [
        insert(table).values([{**defaults, "order_id": order_id, **row} for row in rows])
        for table, defaults, rows in tables
        if rows
    ]
    *ctes, last = parts
    session.execute(last.add_cte(*(cte.cte(f"rows_{n}") for n, cte in enumerate(ctes))))


def _with_language(session: Session, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The order keeps the language of its e-mails: a shop order brings its customer's, an order typed
    in takes today's default of the mail settings (a later change of the default does not touch it)."""
    from rexbit_desktop.services.messages.automation import default_language  # messages sit on orders

    meta = dict(metadata or {})
    if not meta.get("language"):
        meta["language"] = default_language(session)
    return meta


def _insert_order(session: Session, actor: Actor, new: NewOrder, now: datetime) -> Order:
    products, settings = _products_and_settings(session, {i.sku for i in new.items})
    warehouse_codes = {c for c in [new.warehouse, *(i.warehouse for i in new.items)] if c}
    # All warehouses (a handful, read with the products): the codes named by the order and the default one.
    warehouses = {code: wid for wid, (code, _name, _default) in ledger.warehouse_rows(session).items()}
    for code in warehouse_codes:
        if code not in warehouses:
            raise ValidationError(
                f"There is no warehouse '{code}'.", code="warehouse_not_found", params={"code": code}
            )
    # The order is taken in for a warehouse: the one it names, else today's default (a later change of
    # the default does not move orders already taken in). No default configured: decided at reservation.
    order_warehouse: int | None = warehouses[new.warehouse] if new.warehouse else None
    if order_warehouse is None:
        try:
            order_warehouse = ledger.default_warehouse_id(session, settings)
        except RexbitError:
            order_warehouse = None
    if new.external_order_id:
        existing = session.scalar(
            select(Order.number).where(
                # Without an integration the source tells the shops apart.
                (Order.integration_id.is_(None) & (Order.source == new.source))
                if new.integration_id is None
                else Order.integration_id == new.integration_id,
                Order.external_order_id == new.external_order_id,
            )
        )
        if existing is not None:
            raise Conflict(
                f"Order {new.external_order_id} from {new.source} was already taken in as {existing}.",
                code="order_already_imported",
                params={"external_id": new.external_order_id, "source": new.source, "existing": existing},
            )
    number_day = (new.created_at or now).date()
    # The real number is taken after the rows are written (below): the series row stays locked
    # from there to the commit only, so concurrent order intakes wait for each other briefly.
    number = f"~{uuid.uuid4().hex}"
    customer = (
        new.addresses.get("customer") or new.addresses.get("billing") or new.addresses.get("shipping") or {}
    )
    order = Order(
        number=number,
        user_id=actor.user_id,
        source=new.source,
        integration_id=new.integration_id,
        external_order_id=new.external_order_id,
        status=parse_status(new.initial_status or settings.initial_status).value,
        currency=new.currency,
        delivery_method=new.delivery_method,
        warehouse_id=order_warehouse,
        customer_name=(customer.get("company") or customer.get("name")),
        customer_email=customer.get("email"),
        shipping_gross=new.shipping_gross,
        meta=_with_language(session, new.metadata),
    )
    if new.created_at is not None:
        order.created_at = new.created_at
    total_gross = new.shipping_gross
    total_net = net_from_gross(new.shipping_gross, Decimal(23))
    items: list[dict[str, Any]] = []
    for item in new.items:
        product = products.get(item.sku)
        net = net_from_gross(item.price_gross, item.vat_rate)
        items.append(
            {
                "product_id": product.id if product else None,
                "name": item.name or (product.name if product else item.sku),
                "sku": item.sku,
                "ean": item.ean or (product.ean if product else None),
                "quantity": item.quantity,
                "price_gross": item.price_gross,
                "price_net": net,
                "vat_rate": item.vat_rate,
                "warehouse_location_id": warehouses.get(item.warehouse) if item.warehouse else None,
                "integration_product_link_id": item.link_id,
            }
        )
        total_gross += item.price_gross * item.quantity
        total_net += net * item.quantity
    order.total_gross = total_gross.quantize(Decimal("0.01"))
    order.total_net = total_net.quantize(Decimal("0.01"))
    addresses = [{"type": kind, **address} for kind, address in new.addresses.items()]
    payments: list[dict[str, Any]] = []
    if new.payment:
        paid = new.payment["amount"] if new.payment["status"] in ("paid", "partially_paid") else ZERO
        payments.append(
            {
                "provider": new.payment["provider"],
                "status": new.payment["status"],
                "amount": new.payment["amount"],
                "currency": new.currency,
                "paid_at": now if paid else None,
            }
        )
        order.total_paid = paid
        order.payment_status = payment_status_for(
            order.total_gross, paid, refunded=new.payment["status"] == "refunded"
        ).value
    else:
        order.payment_status = payment_status_for(order.total_gross, ZERO).value
    session.add(order)
    session.flush()
    _insert_order_rows(session, order.id, items=items, addresses=addresses, payments=payments)
    if new.note:
        session.add(OrderNote(order_id=order.id, author=actor.login, body=new.note))
    number = next_number_into(
        session, settings.numbering.number_pattern(), "order", number_day, table="orders", row_id=order.id
    )
    set_committed_value(order, "number", number)
    initial = OrderStatus(order.status)
    effects = settings
    if initial in SHIPPED_STATUSES:
        # Taken in already shipped (a shop's order from before we knew it): the goods left without us,
        # so no WZ is issued for them now.
        effects = replace(settings, automation=replace(settings.automation, issue_wz_on="never"))
    automation_events.emit(
        session,
        "order_created",
        order.id,
        {"source": order.source, "integration_id": order.integration_id},
    )
    apply_transition(session, actor, order, initial, effects, now, comment="created", initial=True)
    session.flush()
    return order


@retry_on_deadlock
def create_order(uow: UnitOfWork, actor: Actor, payload: Mapping[str, Any] | NewOrder) -> OrderDetailDTO:
    """A new order numbered by the settings' pattern, in the settings' initial status (with its effects)."""
    actor.require(Permission.ORDERS_EDIT)
    new = payload if isinstance(payload, NewOrder) else parse_order_payload(payload)
    with uow:
        order = _insert_order(uow.session, actor, new, stock.now_utc())
        uow.session.flush()
        dto = order_detail(uow.session, order)
        uow.commit()
    return dto


@retry_on_deadlock
def place_order(uow: UnitOfWork, actor: Actor, payload: Mapping[str, Any] | NewOrder) -> PlacedOrderDTO:
    """``create_order`` without reading the whole detail back: for imports of many orders."""
    actor.require(Permission.ORDERS_EDIT)
    new = payload if isinstance(payload, NewOrder) else parse_order_payload(payload)
    with uow:
        order = _insert_order(uow.session, actor, new, stock.now_utc())
        dto = PlacedOrderDTO(
            order.id,
            order.number,
            order.status,
            order.payment_status,
            order.fulfillment_status,
            order.total_gross,
        )
        uow.commit()
    return dto


def get_order(uow: UnitOfWork, actor: Actor, number: str) -> OrderDetailDTO:
    actor.require(Permission.VIEW)
    with uow:
        return order_detail(uow.session, find_order(uow.session, number))


def add_note(uow: UnitOfWork, actor: Actor, number: str, body: str) -> NoteDTO:
    actor.require(Permission.VIEW)
    body = body.strip()
    if not body:
        raise ValidationError("A note cannot be empty.", code="note_empty")
    with uow:
        order = find_order(uow.session, number)
        note = OrderNote(order_id=order.id, author=actor.login, body=body)
        uow.session.add(note)
        uow.session.flush()
        dto = NoteDTO(note.author, note.body, note.created_at or stock.now_utc())
        uow.commit()
    return dto


@retry_on_deadlock
def reserve_order(uow: UnitOfWork, actor: Actor, number: str) -> ReservationResultDTO:
    """Reserve now what is free; the rest goes to the shortages list (``rexbit orders reserve``)."""
    actor.require(Permission.ORDERS_EDIT)
    with uow:
        s = uow.session
        order = find_order(s, number, lock=True)
        if order.status == OrderStatus.CANCELLED or order.status in SHIPPED_STATUSES:
            raise TransitionRefused(
                f"Order {order.number} is {order.status}: there is nothing to reserve.",
                code="nothing_to_reserve",
                params={"number": order.number, "status": order.status},
            )
        result = stock_reservations.reserve_for_order(s, actor, order, load_settings(s), stock.now_utc())
        uow.commit()
    return result


def cancel_order(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    *,
    comment: str | None = None,
    workflow: OrderWorkflowService | None = None,
) -> TransitionResult:
    return (workflow or OrderWorkflowService()).transition(uow, actor, number, "cancelled", comment=comment)


def _parcel(carrier: str, tracking: str) -> tuple[str, str]:
    """The carrier and tracking number of a shipment, trimmed; the carrier is required (the tracking
    number too, unless the carrier's settings say otherwise: ``workflow.shipping_rule``)."""
    carrier, tracking = carrier.strip(), tracking.strip()
    if not carrier:
        raise ValidationError("Name the carrier.", code="carrier_required")
    return carrier, tracking


def ship_order(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    *,
    carrier: str,
    tracking: str,
    service: str | None = None,
    workflow: OrderWorkflowService | None = None,
) -> OrderDetailDTO:
    """Record the parcel and move the order to ``shipped`` (issuing the WZ if it was not issued yet)."""
    actor.require(Permission.ORDERS_EDIT)
    carrier, tracking = _parcel(carrier, tracking)
    wf = workflow or OrderWorkflowService()
    dto, _result, event = _ship(uow, actor, number, carrier, tracking, service, wf, detail=True)
    wf.publish(event)
    assert dto is not None
    return dto


def ship(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    *,
    carrier: str,
    tracking: str,
    service: str | None = None,
    workflow: OrderWorkflowService | None = None,
) -> TransitionResult:
    """``ship_order`` without reading the whole detail back (workers, scanners, benchmarks)."""
    actor.require(Permission.ORDERS_EDIT)
    carrier, tracking = _parcel(carrier, tracking)
    wf = workflow or OrderWorkflowService()
    _dto, result, event = _ship(uow, actor, number, carrier, tracking, service, wf, detail=False)
    wf.publish(event)
    return result


@retry_on_deadlock
def _ship(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    carrier: str,
    tracking: str,
    service: str | None,
    wf: OrderWorkflowService,
    *,
    detail: bool,
) -> tuple[OrderDetailDTO | None, TransitionResult, Any]:
    from rexbit_desktop.services.orders.workflow import OrderStatusChanged

    now = stock.now_utc()
    with uow:
        s = uow.session
        order = find_order(s, number, lock=True)
        result = apply_transition(
            s,
            actor,
            order,
            OrderStatus.SHIPPED,
            load_settings(s),
            now,
            context={"carrier": carrier, "tracking": tracking, **({"service": service} if service else {})},
        )
        s.flush()
        event = OrderStatusChanged(
            order.id, order.number, result.from_status, result.to_status, actor.login, None, now
        )
        wf.defer_queued(uow, event, order=order)
        dto = order_detail(s, order) if detail else None
        uow.commit()
    return dto, result, event


@retry_on_deadlock
def issue_warehouse_documents(uow: UnitOfWork, actor: Actor, number: str) -> list[str]:
    """Post the WZ documents of an order now (one per warehouse); returns their numbers."""
    actor.require(Permission.ORDERS_EDIT)
    with uow:
        s = uow.session
        order = find_order(s, number, lock=True)
        if order.status == OrderStatus.CANCELLED or order.status in SHIPPED_STATUSES:
            raise TransitionRefused(
                f"Order {order.number} is {order.status}: no WZ can be issued.",
                code="wz_not_allowed",
                params={"number": order.number, "status": order.status},
            )
        numbers = issues.issue_wz_for_order(s, actor, order, stock.now_utc())
        uow.commit()
    return numbers
