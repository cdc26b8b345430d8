"""Carrier shipments of orders: create (idempotent, resumable), labels, tracking, DPD protocols.

Creating a shipment (``create_shipment``):

1. In one transaction the intent is stored: an ``order_shipments`` row in ``pending`` under the
   idempotency key ``<order number>/P<package>`` (unique). A row already there is resumed, not repeated.
2. A session-level advisory lock on the key (a connection of its own) keeps a second workstation or
   worker off the same key while the carrier is being asked; a killed process loses it at once.
3. ``pending`` with an attempt already made (the process died after sending): the carrier is asked for a
   shipment with our reference first (InPost lists shipments created since the attempt); only if none is
   found is it created. The carrier's id is stored at once (``created``).
4. ``created``: the carrier's shipment is read until it is confirmed (InPost confirms asynchronously), then
   the tracking number(s) and the label PDF are stored (``confirmed``).
5. The order moves to ``shipped`` when its status allows (the WZ is issued if missing, the tracking number
   flows back to the shop through ``orders:order_status_changed``); a refused move leaves the shipment as
   it is and is noted on it.

A refusal by the carrier (``CarrierRejected``) marks the row ``failed`` with the reasons and nothing at the
carrier; the next attempt reuses the row. An unreachable carrier leaves the row as it was: the next attempt
(the job's retry, the operator's click) resumes it.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.carriers.base import (
    CarrierClient,
    CarrierShipment,
    Party,
    PickupPoint,
    ShipmentRequest,
)
from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import Order, OrderAddress, OrderPayment, OrderShipment
from rexbit_desktop.db.models.shipping import CarrierAccount, CarrierProtocol, ShipmentEvent, ShipmentLabel
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.orders import OrderStatus, is_allowed
from rexbit_desktop.domain.roles import Actor, Permission, Role
from rexbit_desktop.domain.shipping import (
    OPEN_FOR_TRACKING,
    PRESETS,
    CarrierRejected,
    CarrierUnavailable,
    ParcelPreset,
    ParcelSpec,
    ShipmentStatus,
    carrier_for_delivery,
    check_parcel,
    idempotency_key,
    is_cod_payment,
    later_status,
    locker_code,
    preset,
)
from rexbit_desktop.services.automation import events as automation_events
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.orders.workflow import (
    STATUS_CHANGED_TASK,
    OrderStatusChanged,
    OrderWorkflowService,
    apply_transition,
    find_order,
)
from rexbit_desktop.services.shipping.accounts import ClientFactory, enabled_accounts, find_account
from rexbit_desktop.services.stock import stock

log = logging.getLogger(__name__)

_LOCK_NAMESPACE = 7277  # shop_sync 7275, shop_orders 7276
RESUME_LOOKBACK = timedelta(minutes=15)
"""How far before the first attempt the carrier's list is searched for our reference."""


# ------------------------------------------------------------------ DTOs


@dataclass(frozen=True)
class ShipmentDTO:
    id: int
    order_number: str
    carrier: str
    carrier_service: str | None
    package_no: int
    status: str
    tracking_number: str | None
    tracking_numbers: list[str]
    tracking_url: str
    external_id: str | None
    parcel: dict[str, Any]
    error: str | None
    has_label: bool
    carrier_status: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    order_moved: str | None = None
    """The order's new status when creating the shipment moved it (``shipped``)."""


@dataclass(frozen=True)
class CarrierChoice:
    code: str
    name: str
    service: str


@dataclass(frozen=True)
class ShipmentDefaults:
    order_number: str
    carriers: list[CarrierChoice]
    carrier: str | None
    cod: Decimal | None
    insurance: Decimal
    target_point: str | None
    presets: list[ParcelPreset]
    total_gross: Decimal
    currency: str
    receiver: dict[str, str]
    next_package_no: int


@dataclass
class TrackingResult:
    checked: int = 0
    updated: int = 0
    delivered: int = 0
    completed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LabelsPdf:
    content: bytes
    orders: list[str]
    labels: int
    missing: list[tuple[str, str]]
    """(order number, why) for orders without a label."""


@dataclass(frozen=True)
class ProtocolDTO:
    id: int
    carrier: str
    day: date
    document_id: str
    parcels: int
    orders: list[str]
    content: bytes


# ------------------------------------------------------------------ helpers


def _engine(uow: UnitOfWork) -> Engine:
    bind = uow.session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


@contextmanager
def _key_lock(engine: Engine, key: str) -> Iterator[None]:
    with engine.connect() as conn:
        params = {"ns": _LOCK_NAMESPACE, "key": key}
        if not conn.execute(text("SELECT pg_try_advisory_lock(:ns, hashtext(:key))"), params).scalar():
            raise Conflict(
                f"Shipment {key} is being created right now on another workstation or worker.",
                hint="Wait a moment and look at the order again.",
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:key))"), params)


def _tracking_url(session: Session, carrier: str, number: str | None) -> str:
    known = load_settings(session).carrier(carrier)
    return known.tracking_link(number) if known and number else ""


def _dto(session: Session, row: OrderShipment, order_number: str, *, moved: str | None = None) -> ShipmentDTO:
    has_label = session.scalar(select(ShipmentLabel.id).where(ShipmentLabel.shipment_id == row.id).limit(1))
    return ShipmentDTO(
        id=row.id,
        order_number=order_number,
        carrier=row.carrier,
        carrier_service=row.carrier_service,
        package_no=row.package_no,
        status=row.status,
        tracking_number=row.tracking_number,
        tracking_numbers=list(row.tracking_numbers or []),
        tracking_url=_tracking_url(session, row.carrier, row.tracking_number),
        external_id=row.external_id,
        parcel=dict(row.parcel or {}),
        error=row.error,
        has_label=has_label is not None,
        carrier_status=row.carrier_status,
        created_at=row.created_at,
        updated_at=row.updated_at or row.created_at,
        delivered_at=row.delivered_at,
        order_moved=moved,
    )


def _carrier_shipment(row: OrderShipment) -> CarrierShipment:
    return CarrierShipment(
        external_id=row.external_id or "",
        carrier_status=row.carrier_status or "",
        confirmed=row.status not in (ShipmentStatus.PENDING, ShipmentStatus.CREATED),
        tracking_numbers=list(row.tracking_numbers or []),
        reference=row.idempotency_key,
        extra=dict((row.meta or {}).get("carrier") or {}),
    )


def _receiver(session: Session, order: Order) -> Party:
    addresses = {
        a.type: a for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id == order.id))
    }
    ship = addresses.get("shipping") or addresses.get("customer") or addresses.get("billing")
    contact = addresses.get("customer") or ship
    if ship is None:
        raise ValidationError(f"Order {order.number} has no shipping or customer address.")

    def pick(attr: str) -> str:
        value = getattr(ship, attr, None) or (getattr(contact, attr, None) if contact is not None else None)
        return str(value or "")

    return Party(
        name=pick("name"),
        company=str(ship.company or ""),
        street=pick("street"),
        postcode=pick("postcode"),
        city=pick("city"),
        country=pick("country") or "PL",
        phone=pick("phone"),
        email=pick("email") or str(order.customer_email or ""),
    )


def _pickup_hint(session: Session, order: Order) -> str | None:
    pickup = session.scalar(
        select(OrderAddress).where(OrderAddress.order_id == order.id, OrderAddress.type == "pickup")
    )
    texts = [order.delivery_method]
    if pickup is not None:
        texts = [pickup.name, pickup.company, pickup.street, *texts]
    return locker_code(*texts) or ((order.meta or {}).get("target_point") or None)


def _is_cod(session: Session, order: Order) -> bool:
    providers = session.scalars(select(OrderPayment.provider).where(OrderPayment.order_id == order.id))
    return any(is_cod_payment(p) for p in providers)


# ------------------------------------------------------------------ defaults for the dialog


def shipment_defaults(uow: UnitOfWork, actor: Actor, number: str) -> ShipmentDefaults:
    """What the "create shipment" dialog starts with: carrier by delivery method, COD = order total when
    the payment is cash on delivery, insurance = order total, the target locker found in the order."""
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        accounts = [a for a in enabled_accounts(s) if a.service != "manual"]
        choices = [CarrierChoice(a.code, a.name, a.service) for a in accounts]
        suggested = carrier_for_delivery(order.delivery_method, [c.code for c in choices])
        if suggested is None and len(choices) == 1:
            suggested = choices[0].code
        try:
            receiver: Party | None = _receiver(s, order)
        except ValidationError:  # no address yet: the dialog shows none, creating says why
            receiver = None
        used = s.scalars(
            select(OrderShipment.package_no).where(
                OrderShipment.order_id == order.id,
                OrderShipment.status.not_in([ShipmentStatus.FAILED, ShipmentStatus.CANCELLED]),
            )
        ).all()
        return ShipmentDefaults(
            order_number=order.number,
            carriers=choices,
            carrier=suggested,
            cod=order.total_gross if _is_cod(s, order) else None,
            insurance=order.total_gross,
            target_point=_pickup_hint(s, order),
            presets=list(PRESETS),
            total_gross=order.total_gross,
            currency=order.currency,
            receiver={
                k: getattr(receiver, k)
                for k in ("name", "company", "street", "postcode", "city", "phone", "email")
            }
            if receiver
            else {},
            next_package_no=(max(used) + 1) if used else 1,
        )


# ------------------------------------------------------------------ creating


def _default_parcel(session: Session, order: Order, service: str, size: str | None) -> ParcelSpec:
    cod = order.total_gross if _is_cod(session, order) else None
    chosen = preset(size) if size else None
    if chosen is None:
        chosen = next(p for p in PRESETS if p.service == service)
    target = _pickup_hint(session, order) if service == "inpost" else None
    return ParcelSpec(
        size=chosen.size if service == "inpost" else None,
        length_mm=chosen.length_mm,
        width_mm=chosen.width_mm,
        height_mm=chosen.height_mm,
        weight_kg=chosen.weight_kg,
        cod=cod,
        insurance=order.total_gross,
        target_point=target,
    )


@dataclass(frozen=True)
class _Intent:
    row_id: int
    order_id: int
    order_number: str
    key: str
    status: str
    external_id: str | None
    attempts: int
    first_attempt_at: datetime | None
    service: str
    account_config: dict[str, Any]
    request: ShipmentRequest


def _store_intent(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    carrier: str | None,
    parcel: ParcelSpec | None,
    size: str | None,
    package_no: int,
) -> _Intent | ShipmentDTO:
    """The row for this order and package (new or found), or the finished shipment's DTO."""
    now = stock.now_utc()
    with uow:
        s = uow.session
        order = find_order(s, number, lock=True)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.DRAFT):
            raise ValidationError(f"Order {order.number} is {order.status}: no shipment can be created.")
        key = idempotency_key(order.number, package_no)
        row = s.scalar(select(OrderShipment).where(OrderShipment.idempotency_key == key).with_for_update())
        if row is not None and row.status not in (
            ShipmentStatus.PENDING,
            ShipmentStatus.CREATED,
            ShipmentStatus.FAILED,
        ):
            if row.status == ShipmentStatus.CANCELLED:
                raise Conflict(
                    f"Shipment {key} was cancelled.",
                    hint=f"Create the next package: --package={package_no + 1}",
                )
            return _dto(s, row, order.number)
        if row is not None and row.status != ShipmentStatus.FAILED:
            account = s.get(CarrierAccount, row.carrier_account_id) if row.carrier_account_id else None
            if account is None:
                raise NotFound(f"The carrier account of shipment {key} no longer exists.")
            spec = ParcelSpec.from_json(dict(row.parcel))
        else:
            if carrier:
                account = find_account(s, carrier)
            else:
                choices = [a for a in enabled_accounts(s) if a.service != "manual"]
                code = carrier_for_delivery(order.delivery_method, [a.code for a in choices])
                if code is None and len(choices) == 1:
                    code = choices[0].code
                if code is None:
                    raise ValidationError(
                        f"Which carrier should take order {order.number}?",
                        hint="Name it: --carrier=inpost or --carrier=dpd",
                    )
                account = find_account(s, code)
            if account.service == "manual":
                raise ValidationError(
                    f"'{account.code}' is a manual carrier: it creates no shipments.",
                    hint="Record the parcel with: rexbit orders ship NUMBER --carrier=… --tracking=…",
                )
            spec = parcel or _default_parcel(s, order, account.service, size)
            if parcel is not None and size and not parcel.size:
                spec = replace(parcel, size=size)
            spec = check_parcel(spec, account.service)
            if row is None:
                row = OrderShipment(
                    order_id=order.id,
                    carrier=account.code,
                    carrier_service=account.service,
                    carrier_account_id=account.id,
                    package_no=package_no,
                    idempotency_key=key,
                    status=ShipmentStatus.PENDING,
                    parcel=spec.as_json(),
                    tracking_numbers=[],
                    meta={"requested_by": actor.login, "requested_at": now.isoformat(), "attempts": 0},
                )
                s.add(row)
            else:  # a failed attempt: nothing exists at the carrier, try again with what is asked now
                row.carrier, row.carrier_service, row.carrier_account_id = (
                    account.code,
                    account.service,
                    account.id,
                )
                row.status, row.parcel, row.error = ShipmentStatus.PENDING, spec.as_json(), None
                row.meta = {**(row.meta or {}), "attempts": 0, "requested_by": actor.login}
            s.flush()
        meta = row.meta or {}
        first = meta.get("first_attempt_at")
        intent = _Intent(
            row_id=row.id,
            order_id=order.id,
            order_number=order.number,
            key=key,
            status=row.status,
            external_id=row.external_id,
            attempts=int(meta.get("attempts") or 0),
            first_attempt_at=datetime.fromisoformat(first) if first else None,
            service=account.service,
            account_config=dict(account.config or {}),
            request=ShipmentRequest(
                reference=key,
                order_number=order.number,
                receiver=_receiver(s, order),
                parcel=spec,
                currency=order.currency,
            ),
        )
        uow.commit()
    return intent


def _update_row(uow: UnitOfWork, row_id: int, **values: Any) -> None:
    with uow:
        meta = values.pop("meta_update", None)
        row = uow.session.get(OrderShipment, row_id, with_for_update=True)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        if meta:
            row.meta = {**(row.meta or {}), **meta}
        uow.commit()


def _save_label(session: Session, shipment_id: int, page: str, content: bytes) -> None:
    stmt = pg_insert(ShipmentLabel).values(shipment_id=shipment_id, format=f"pdf/{page}", content=content)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ShipmentLabel.shipment_id, ShipmentLabel.format], set_={"content": content}
        )
    )


def _label_page(service: str, config: dict[str, Any]) -> str:
    if service == "inpost":
        return str(config.get("label_type") or "A6")
    return str(config.get("label_page_format") or "LBL_PRINTER")


def create_shipment(
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    *,
    carrier: str | None = None,
    parcel: ParcelSpec | None = None,
    size: str | None = None,
    package_no: int = 1,
    mark_shipped: bool = True,
    workflow: OrderWorkflowService | None = None,
    client_factory: ClientFactory = make_client,
    sleep: Callable[[float], None] = time.sleep,
) -> ShipmentDTO:
    """Create (or resume) the carrier shipment of an order's package, store its tracking and label, and
    move the order to ``shipped``. Safe to run again: the same order and package never make two."""
    actor.require(Permission.ORDERS_EDIT)
    if package_no < 1:
        raise ValidationError("The package number starts at 1.")
    found = _store_intent(uow, actor, number, carrier, parcel, size, package_no)
    if isinstance(found, ShipmentDTO):
        return found
    intent = found
    with uow:
        engine = _engine(uow)
    with _key_lock(engine, intent.key):
        client = client_factory(intent.service, intent.account_config)
        try:
            shipment = _reach_carrier(uow, intent, client, sleep)
            page = _label_page(intent.service, intent.account_config)
            content = client.label(shipment, page)
        except CarrierRejected as exc:
            _update_row(uow, intent.row_id, status=ShipmentStatus.FAILED, error=exc.message)
            raise
        except RexbitError as exc:
            _update_row(uow, intent.row_id, error=exc.message)
            raise
        finally:
            client.close()
    now = stock.now_utc()
    with uow:
        s = uow.session
        row = s.get(OrderShipment, intent.row_id, with_for_update=True)
        assert row is not None
        row.status = ShipmentStatus.CONFIRMED
        row.tracking_numbers = list(shipment.tracking_numbers)
        row.tracking_number = shipment.tracking_numbers[0] if shipment.tracking_numbers else None
        row.carrier_status = shipment.carrier_status
        row.error = None
        row.shipped_at = now
        _save_label(s, row.id, page, content)
        uow.commit()
    moved = _mark_shipped(uow, actor, intent, workflow or OrderWorkflowService()) if mark_shipped else None
    with uow:
        row = uow.session.get(OrderShipment, intent.row_id)
        assert row is not None
        return _dto(uow.session, row, intent.order_number, moved=moved)


def _reach_carrier(
    uow: UnitOfWork, intent: _Intent, client: CarrierClient, sleep: Callable[[float], None]
) -> CarrierShipment:
    """The carrier's confirmed shipment for the intent: found, created or resumed, then waited for."""
    shipment: CarrierShipment | None = None
    if intent.status == ShipmentStatus.CREATED and intent.external_id:
        shipment = client.get(intent.external_id)
    else:
        if intent.attempts > 0:
            since = (intent.first_attempt_at or stock.now_utc()) - RESUME_LOOKBACK
            shipment = client.find(intent.key, since)
            if shipment is not None:
                log.info(
                    "shipment %s found at %s as %s: not created again",
                    intent.key,
                    client.name,
                    shipment.external_id,
                )
        if shipment is None:
            now = stock.now_utc()
            _update_row(
                uow,
                intent.row_id,
                meta_update={
                    "attempts": intent.attempts + 1,
                    "first_attempt_at": (intent.first_attempt_at or now).isoformat(),
                },
            )
            shipment = client.create(intent.request)
        _update_row(
            uow,
            intent.row_id,
            status=ShipmentStatus.CREATED,
            external_id=shipment.external_id,
            carrier_status=shipment.carrier_status,
            meta_update={"carrier": shipment.extra} if shipment.extra else None,
        )
    timeout = float(intent.account_config.get("confirm_timeout") or 60)
    interval = float(intent.account_config.get("poll_interval") or 2.0)
    deadline = time.monotonic() + timeout
    while not shipment.confirmed:
        if time.monotonic() > deadline:
            raise CarrierUnavailable(
                f"{client.name} has not confirmed shipment {shipment.external_id} yet.",
                hint="It is kept: create the shipment again later and it is picked up where it stopped.",
            )
        sleep(interval)
        shipment = client.get(shipment.external_id)
    return shipment


def _mark_shipped(uow: UnitOfWork, actor: Actor, intent: _Intent, wf: OrderWorkflowService) -> str | None:
    """Move the order to ``shipped`` (its tracking number then flows back to the shop). A refusal is noted
    on the shipment; the shipment itself stays confirmed."""
    now = stock.now_utc()
    event = None
    try:
        with uow:
            s = uow.session
            order = find_order(s, intent.order_number, lock=True)
            row = s.get(OrderShipment, intent.row_id)
            assert row is not None
            current = OrderStatus(order.status)
            if is_allowed(current, OrderStatus.SHIPPED):
                result = apply_transition(
                    s,
                    actor,
                    order,
                    OrderStatus.SHIPPED,
                    load_settings(s),
                    now,
                    context={"carrier": row.carrier, "tracking": row.tracking_number, "shipment_id": row.id},
                )
                event = OrderStatusChanged(
                    order.id, order.number, result.from_status, result.to_status, actor.login, None, now
                )
                wf.defer_queued(uow, event, order=order)
            elif current is OrderStatus.SHIPPED and order.integration_id is not None:
                # Already shipped: tell the shop the (new) tracking number.
                from rexbit_desktop.queueing import defer_job

                defer_job(
                    uow,
                    STATUS_CHANGED_TASK,
                    queue="orders",
                    order_id=order.id,
                    order_number=order.number,
                    from_status=current.value,
                    to_status=current.value,
                    changed_by=actor.login,
                    comment=f"tracking {row.tracking_number}",
                    at=now.isoformat(),
                )
            if row.tracking_number and (event is not None or current is OrderStatus.SHIPPED):
                # Automation rules and webhooks: shipped with its tracking number known.
                automation_events.emit(
                    s, "shipped", order.id, {"carrier": row.carrier, "tracking": row.tracking_number}
                )
            uow.commit()
    except RexbitError as exc:
        log.warning("order %s not moved to shipped: %s", intent.order_number, exc)
        _update_row(uow, intent.row_id, error=f"The order was not moved to shipped: {exc.message}")
        return None
    if event is not None:
        wf.publish(event)
        return event.to_status
    return None


# ------------------------------------------------------------------ reading


def list_order_shipments(uow: UnitOfWork, actor: Actor, number: str) -> list[ShipmentDTO]:
    actor.require(Permission.VIEW)
    with uow:
        s = uow.session
        order = find_order(s, number)
        rows = s.scalars(
            select(OrderShipment).where(OrderShipment.order_id == order.id).order_by(OrderShipment.id)
        )
        return [_dto(s, r, order.number) for r in rows]


def _account_of(session: Session, row: OrderShipment) -> CarrierAccount:
    account = session.get(CarrierAccount, row.carrier_account_id) if row.carrier_account_id else None
    if account is None:
        raise NotFound(f"Shipment {row.idempotency_key or row.id} has no carrier account.")
    return account


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
            raise ValidationError(f"Shipment {row.idempotency_key} has no label: it is {row.status}.")
        account = _account_of(s, row)
        service, config, shipment = account.service, dict(account.config), _carrier_shipment(row)
    client = client_factory(service, config)
    try:
        page = _label_page(service, config)
        content = client.label(shipment, page)
    finally:
        client.close()
    with uow:
        _save_label(uow.session, row_id, page, content)
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
                hint=f"Create one: rexbit shipments create {order.number}",
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
        raise NotFound("None of the chosen orders has a label.", hint="Create their shipments first.")
    out = io.BytesIO()
    writer.write(out)
    return LabelsPdf(out.getvalue(), included, labels, missing)


# ------------------------------------------------------------------ tracking


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


# ------------------------------------------------------------------ DPD protocol


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
            raise ValidationError(f"'{account.code}' is not a DPD account: only DPD has handover protocols.")
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
            raise NotFound(f"No DPD parcels of {day.isoformat()} wait for a protocol.")
        shipments = [_carrier_shipment(r) for r in rows]
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


# ------------------------------------------------------------------ pickup points


def find_pickup_points(
    uow: UnitOfWork, actor: Actor, carrier: str, query: str, *, client_factory: ClientFactory = make_client
) -> list[PickupPoint]:
    """Parcel lockers by code (``KRA010``) or postcode (``31-147``), for the target point."""
    actor.require(Permission.VIEW)
    if len(query.strip()) < 2:
        raise ValidationError("Type at least two characters of a locker code or a postcode.")
    with uow:
        account = find_account(uow.session, carrier)
        service, config = account.service, dict(account.config)
    client = client_factory(service, config)
    try:
        return client.pickup_points(query)
    finally:
        client.close()
