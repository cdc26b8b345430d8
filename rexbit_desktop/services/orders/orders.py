"""Orders: create (from the shop's or the CLI's JSON, or by hand), read the detail, notes, reserve,
cancel, ship. Status changes go through ``order_workflow``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rexbit_desktop.db.models.catalog import Product, Warehouse
from rexbit_desktop.db.models.documents import WarehouseDocument
from rexbit_desktop.db.models.orders import (
    Order,
    OrderAddress,
    OrderDocument,
    OrderItem,
    OrderItemReservation,
    OrderItemShortage,
    OrderNote,
    OrderPayment,
    OrderShipment,
    OrderStatusHistory,
)
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, RexbitError, TransitionRefused, ValidationError
from rexbit_desktop.domain.order_settings import OrderSettings
from rexbit_desktop.domain.orders import (
    SHIPPED_STATUSES,
    OrderStatus,
    PaymentStatus,
    allowed_transitions,
    net_from_gross,
    parse_status,
    payment_status_for,
)
from rexbit_desktop.domain.roles import Actor, Permission
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
ADDRESS_TYPES = ("customer", "billing", "shipping", "pickup")
ADDRESS_FIELDS = ("name", "company", "street", "postcode", "city", "country", "email", "phone", "vat_id")


# ------------------------------------------------------------------ input


@dataclass(frozen=True)
class NewOrderItem:
    sku: str
    quantity: Decimal
    price_gross: Decimal
    vat_rate: Decimal
    name: str | None = None
    ean: str | None = None
    warehouse: str | None = None
    link_id: int | None = None
    """The integration's product link the line was matched by (shop imports)."""


@dataclass(frozen=True)
class NewOrder:
    items: list[NewOrderItem]
    source: str = "manual"
    currency: str = "PLN"
    delivery_method: str | None = None
    addresses: dict[str, dict[str, str | None]] = field(default_factory=dict)
    payment: dict[str, Any] | None = None
    shipping_gross: Decimal = ZERO
    warehouse: str | None = None
    external_order_id: str | None = None
    integration_id: int | None = None
    note: str | None = None
    created_at: datetime | None = None
    initial_status: str | None = None
    """None: the settings' initial status. A shop import gives the status the shop's state maps to."""
    metadata: dict[str, Any] | None = None


def _decimal(value: Any, what: str, *, places: int = 4, allow_zero: bool = True) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            f"{what} '{value}' is not a number.", hint='Write prices as decimal strings: "12.50".'
        ) from None
    if not number.is_finite() or number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(
            f"{what} must be {'zero or more' if allow_zero else 'more than zero'}, not '{value}'."
        )
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(f"{what} '{value}' has more than {places} decimal places.")
    return number


def parse_order_payload(data: Mapping[str, Any]) -> NewOrder:
    """Validate the JSON shape of ``rexbit orders create --file`` (and of shop imports)."""
    if not isinstance(data, Mapping):
        raise ValidationError("An order must be a JSON object.")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ValidationError('An order needs "items": a list with at least one line.')
    items: list[NewOrderItem] = []
    for n, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, Mapping):
            raise ValidationError(f"Item {n} must be a JSON object.")
        sku = str(raw.get("sku") or "").strip()
        if not sku:
            raise ValidationError(f'Item {n} has no "sku".')
        if "price_gross" not in raw:
            raise ValidationError(f'Item {n} ({sku}) has no "price_gross".')
        vat = _decimal(raw.get("vat_rate", "23"), f"VAT rate of item {n} ({sku})", places=2)
        if vat > 100:
            raise ValidationError(f"VAT rate of item {n} ({sku}) is more than 100%.")
        items.append(
            NewOrderItem(
                sku=sku,
                quantity=_decimal(
                    raw.get("quantity", 1), f"Quantity of item {n} ({sku})", places=3, allow_zero=False
                ),
                price_gross=_decimal(raw["price_gross"], f"Price of item {n} ({sku})"),
                vat_rate=vat,
                name=(str(raw["name"]) if raw.get("name") else None),
                ean=(str(raw["ean"]).strip() if raw.get("ean") else None),
                warehouse=(str(raw["warehouse"]).strip() if raw.get("warehouse") else None),
            )
        )
    addresses: dict[str, dict[str, str | None]] = {}
    raw_addresses = data.get("addresses") or {}
    if not isinstance(raw_addresses, Mapping):
        raise ValidationError('"addresses" must be an object: {"customer": {...}, "shipping": {...}}.')
    for kind, raw in raw_addresses.items():
        if kind not in ADDRESS_TYPES:
            raise ValidationError(f"Unknown address type '{kind}'.", hint="Use: " + ", ".join(ADDRESS_TYPES))
        if not isinstance(raw, Mapping):
            raise ValidationError(f"Address '{kind}' must be a JSON object.")
        unknown = set(raw) - set(ADDRESS_FIELDS)
        if unknown:
            raise ValidationError(
                f"Unknown field '{sorted(unknown)[0]}' in address '{kind}'.",
                hint="Use: " + ", ".join(ADDRESS_FIELDS),
            )
        address = {k: (str(raw[k]).strip() if raw.get(k) not in (None, "") else None) for k in ADDRESS_FIELDS}
        if address["country"] and len(address["country"]) != 2:
            raise ValidationError(f"Country of address '{kind}' must be a 2-letter code such as PL.")
        if address["country"]:
            address["country"] = address["country"].upper()
        addresses[kind] = address
    payment = data.get("payment")
    if payment is not None:
        if not isinstance(payment, Mapping):
            raise ValidationError('"payment" must be an object: {"provider", "status", "amount"}.')
        status = str(payment.get("status") or "pending")
        if status not in {s.value for s in PaymentStatus}:
            raise ValidationError(
                f"Unknown payment status '{status}'.",
                hint="Use: " + ", ".join(s.value for s in PaymentStatus),
            )
        payment = {
            "provider": str(payment.get("provider") or "manual"),
            "status": status,
            "amount": _decimal(payment.get("amount", "0"), "Payment amount"),
        }
    currency = str(data.get("currency") or "PLN").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError(f"Currency '{currency}' is not a 3-letter code such as PLN.")
    created_at = None
    if data.get("created_at"):
        try:
            created_at = datetime.fromisoformat(str(data["created_at"]))
        except ValueError:
            raise ValidationError(f"created_at '{data['created_at']}' is not an ISO date-time.") from None
    return NewOrder(
        items=items,
        source=str(data.get("source") or "manual")[:32],
        currency=currency,
        delivery_method=(str(data["delivery_method"]) if data.get("delivery_method") else None),
        addresses=addresses,
        payment=payment,
        shipping_gross=_decimal(data.get("shipping_gross", "0"), "Shipping cost"),
        warehouse=(str(data["warehouse"]).strip() if data.get("warehouse") else None),
        external_order_id=(str(data["external_order_id"]) if data.get("external_order_id") else None),
        integration_id=(int(data["integration_id"]) if data.get("integration_id") else None),
        note=(str(data["note"]) if data.get("note") else None),
        created_at=created_at,
    )


# ------------------------------------------------------------------ output


@dataclass(frozen=True)
class OrderItemDTO:
    id: int
    sku: str | None
    ean: str | None
    name: str
    quantity: Decimal
    unit: str
    price_gross: Decimal
    price_net: Decimal
    vat_rate: Decimal
    total_gross: Decimal
    warehouse_code: str | None
    reserved: Decimal
    missing: Decimal
    issued: Decimal
    in_catalog: bool


@dataclass(frozen=True)
class AddressDTO:
    type: str
    name: str | None
    company: str | None
    street: str | None
    postcode: str | None
    city: str | None
    country: str | None
    email: str | None
    phone: str | None
    vat_id: str | None


@dataclass(frozen=True)
class PaymentDTO:
    provider: str
    status: str
    amount: Decimal
    currency: str
    paid_at: datetime | None


@dataclass(frozen=True)
class ShipmentDTO:
    carrier: str
    tracking_number: str | None
    tracking_url: str
    status: str
    shipped_at: datetime | None


@dataclass(frozen=True)
class HistoryDTO:
    from_status: str | None
    to_status: str
    changed_by: str
    comment: str | None
    context: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ReservationDTO:
    sku: str | None
    warehouse_code: str
    reserved_qty: Decimal
    released_qty: Decimal
    status: str
    expires_at: datetime | None
    release_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class OrderDocumentDTO:
    type: str
    """reservation, issue_wz, storno, packing_list"""
    number: str | None
    status: str
    warehouse_code: str | None
    created_at: datetime


@dataclass(frozen=True)
class NoteDTO:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class OrderSummaryDTO:
    id: int
    number: str
    status: str
    payment_status: str
    fulfillment_status: str
    customer_name: str | None
    total_gross: Decimal
    currency: str
    created_at: datetime


@dataclass(frozen=True)
class OrderDetailDTO:
    id: int
    number: str
    status: str
    status_label: str
    status_colour: str
    payment_status: str
    fulfillment_status: str
    source: str
    external_order_id: str | None
    currency: str
    total_net: Decimal
    total_gross: Decimal
    total_paid: Decimal
    shipping_gross: Decimal
    delivery_method: str | None
    warehouse_code: str | None
    customer_name: str | None
    customer_email: str | None
    created_at: datetime
    updated_at: datetime
    items: list[OrderItemDTO]
    addresses: list[AddressDTO]
    payments: list[PaymentDTO]
    shipments: list[ShipmentDTO]
    history: list[HistoryDTO]
    reservations: list[ReservationDTO]
    shortages: list[stock.ShortageDTO]
    documents: list[OrderDocumentDTO]
    notes: list[NoteDTO]
    allowed_transitions: list[str]


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
    )


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


def _insert_order(session: Session, actor: Actor, new: NewOrder, now: datetime) -> Order:
    products, settings = _products_and_settings(session, {i.sku for i in new.items})
    warehouse_codes = {c for c in [new.warehouse, *(i.warehouse for i in new.items)] if c}
    # All warehouses (a handful, read with the products): the codes named by the order and the default one.
    warehouses = {code: wid for wid, (code, _name, _default) in ledger.warehouse_rows(session).items()}
    for code in warehouse_codes:
        if code not in warehouses:
            raise ValidationError(f"There is no warehouse '{code}'.")
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
                hint=f"See it with: rexbit orders show {existing}",
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
        meta=dict(new.metadata or {}),
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
    apply_transition(session, actor, order, initial, effects, now, comment="created", initial=True)
    session.flush()
    return order


@dataclass(frozen=True)
class PlacedOrderDTO:
    id: int
    number: str
    status: str
    payment_status: str
    fulfillment_status: str
    total_gross: Decimal


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


def list_orders(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[OrderSummaryDTO]:
    """Newest first (the CLI's list; the UI pages through ``order_queries``)."""
    actor.require(Permission.VIEW)
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset)
    if status:
        stmt = stmt.where(Order.status == parse_status(status).value)
    with uow:
        return [
            OrderSummaryDTO(
                o.id,
                o.number,
                o.status,
                o.payment_status,
                o.fulfillment_status,
                o.customer_name,
                o.total_gross,
                o.currency,
                o.created_at,
            )
            for o in uow.session.scalars(stmt)
        ]


def add_note(uow: UnitOfWork, actor: Actor, number: str, body: str) -> NoteDTO:
    actor.require(Permission.VIEW)
    body = body.strip()
    if not body:
        raise ValidationError("A note cannot be empty.")
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
            raise TransitionRefused(f"Order {order.number} is {order.status}: there is nothing to reserve.")
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
    """The carrier and tracking number of a shipment, trimmed; both are required."""
    carrier, tracking = carrier.strip(), tracking.strip()
    if not carrier:
        raise ValidationError("Name the carrier (--carrier=inpost).")
    if not tracking:
        raise ValidationError("Give the tracking number (--tracking=...).")
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
        settings = load_settings(s)
        known = settings.carrier(carrier)
        result = apply_transition(
            s,
            actor,
            order,
            OrderStatus.SHIPPED,
            settings,
            now,
            context={"carrier": carrier, "tracking": tracking},
        )
        s.add(
            OrderShipment(
                order_id=order.id,
                carrier=known.code if known else carrier,
                service=service,
                tracking_number=tracking,
                status="shipped",
                shipped_at=now,
            )
        )
        s.flush()
        event = OrderStatusChanged(
            order.id, order.number, result.from_status, result.to_status, actor.login, None, now
        )
        wf.defer_queued(uow, event, order=order)
        dto = order_detail(s, order) if detail else None
        uow.commit()
    return dto, result, event


def count_orders(uow: UnitOfWork, actor: Actor) -> int:
    actor.require(Permission.VIEW)
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(Order)) or 0)


@retry_on_deadlock
def issue_warehouse_documents(uow: UnitOfWork, actor: Actor, number: str) -> list[str]:
    """Post the WZ documents of an order now (one per warehouse); returns their numbers."""
    actor.require(Permission.ORDERS_EDIT)
    with uow:
        s = uow.session
        order = find_order(s, number, lock=True)
        if order.status == OrderStatus.CANCELLED or order.status in SHIPPED_STATUSES:
            raise TransitionRefused(f"Order {order.number} is {order.status}: no WZ can be issued.")
        numbers = issues.issue_wz_for_order(s, actor, order, stock.now_utc())
        uow.commit()
    return numbers
