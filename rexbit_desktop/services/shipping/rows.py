"""Shared by the shipping use cases: a shipment row as a DTO, the receiver and pickup point of an order,
label rows, row updates in their own transaction, and the per-key lock held while a carrier is asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.carriers.base import (
    CarrierShipment,
    Party,
)
from rexbit_desktop.db.locks import SHIPMENT_KEY
from rexbit_desktop.db.models.orders import Order, OrderAddress, OrderPayment, OrderShipment
from rexbit_desktop.db.models.shipping import CarrierAccount, ShipmentLabel
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, NotFound, ValidationError
from rexbit_desktop.domain.shipping import (
    ShipmentStatus,
    is_cod_payment,
    locker_code,
)
from rexbit_desktop.services.orders.settings import load_settings
from rexbit_desktop.services.shipping.dto import (
    ShipmentDTO,
)


def engine_of(uow: UnitOfWork) -> Engine:
    bind = uow.session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


@contextmanager
def key_lock(engine: Engine, key: str) -> Iterator[None]:
    with engine.connect() as conn:
        params = {"ns": SHIPMENT_KEY.key, "key": key}
        if not conn.execute(text("SELECT pg_try_advisory_lock(:ns, hashtext(:key))"), params).scalar():
            raise Conflict(
                f"Shipment {key} is being created right now on another workstation or worker.",
                hint="Wait a moment and look at the order again.",
                code="shipment_in_progress",
                params={"shipment": key},
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:key))"), params)


def _tracking_url(session: Session, carrier: str, number: str | None) -> str:
    known = load_settings(session).carrier(carrier)
    return known.tracking_link(number) if known and number else ""


def shipment_dto(
    session: Session, row: OrderShipment, order_number: str, *, moved: str | None = None
) -> ShipmentDTO:
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


def carrier_shipment(row: OrderShipment) -> CarrierShipment:
    return CarrierShipment(
        external_id=row.external_id or "",
        carrier_status=row.carrier_status or "",
        confirmed=row.status not in (ShipmentStatus.PENDING, ShipmentStatus.CREATED),
        tracking_numbers=list(row.tracking_numbers or []),
        reference=row.idempotency_key,
        extra=dict((row.meta or {}).get("carrier") or {}),
    )


def receiver_of(session: Session, order: Order) -> Party:
    addresses = {
        a.type: a for a in session.scalars(select(OrderAddress).where(OrderAddress.order_id == order.id))
    }
    ship = addresses.get("shipping") or addresses.get("customer") or addresses.get("billing")
    contact = addresses.get("customer") or ship
    if ship is None:
        raise ValidationError(
            f"Order {order.number} has no shipping or customer address.",
            code="order_without_address",
            params={"number": order.number},
        )

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


def pickup_hint(session: Session, order: Order) -> str | None:
    pickup = session.scalar(
        select(OrderAddress).where(OrderAddress.order_id == order.id, OrderAddress.type == "pickup")
    )
    texts = [order.delivery_method]
    if pickup is not None:
        texts = [pickup.name, pickup.company, pickup.street, *texts]
    return locker_code(*texts) or ((order.meta or {}).get("target_point") or None)


def is_cod(session: Session, order: Order) -> bool:
    providers = session.scalars(select(OrderPayment.provider).where(OrderPayment.order_id == order.id))
    return any(is_cod_payment(p) for p in providers)


def update_row(uow: UnitOfWork, row_id: int, **values: Any) -> None:
    with uow:
        meta = values.pop("meta_update", None)
        row = uow.session.get(OrderShipment, row_id, with_for_update=True)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        if meta:
            row.meta = {**(row.meta or {}), **meta}
        uow.commit()


def save_label(session: Session, shipment_id: int, page: str, content: bytes) -> None:
    stmt = pg_insert(ShipmentLabel).values(shipment_id=shipment_id, format=f"pdf/{page}", content=content)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ShipmentLabel.shipment_id, ShipmentLabel.format], set_={"content": content}
        )
    )


def label_page(service: str, config: dict[str, Any]) -> str:
    if service == "inpost":
        return str(config.get("label_type") or "A6")
    return str(config.get("label_page_format") or "LBL_PRINTER")


def account_of(session: Session, row: OrderShipment) -> CarrierAccount:
    account = session.get(CarrierAccount, row.carrier_account_id) if row.carrier_account_id else None
    if account is None:
        raise NotFound(
            f"Shipment {row.idempotency_key or row.id} has no carrier account.",
            code="shipment_without_account",
            params={"shipment": row.idempotency_key or row.id},
        )
    return account
