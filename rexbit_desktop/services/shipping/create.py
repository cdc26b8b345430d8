"""Creating the carrier shipment of an order's package (idempotent, resumable).

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

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rexbit_desktop.adapters.carriers.base import (
    CarrierClient,
    CarrierShipment,
    ShipmentRequest,
)
from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import Order, OrderShipment
from rexbit_desktop.db.models.shipping import CarrierAccount
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import Conflict, NotFound, RexbitError, ValidationError
from rexbit_desktop.domain.orders import OrderStatus, is_allowed
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.shipping import (
    PRESETS,
    CarrierRejected,
    CarrierUnavailable,
    ParcelSpec,
    ShipmentStatus,
    carrier_for_delivery,
    check_parcel,
    idempotency_key,
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
from rexbit_desktop.services.shipping.dto import (
    ShipmentDTO,
)
from rexbit_desktop.services.shipping.rows import (
    engine_of,
    is_cod,
    key_lock,
    label_page,
    pickup_hint,
    receiver_of,
    save_label,
    shipment_dto,
    update_row,
)
from rexbit_desktop.services.stock import stock

log = logging.getLogger(__name__)

RESUME_LOOKBACK = timedelta(minutes=15)
"""How far before the first attempt the carrier's list is searched for our reference."""


def _default_parcel(session: Session, order: Order, service: str, size: str | None) -> ParcelSpec:
    cod = order.total_gross if is_cod(session, order) else None
    chosen = preset(size) if size else None
    if chosen is None:
        chosen = next(p for p in PRESETS if p.service == service)
    target = pickup_hint(session, order) if service == "inpost" else None
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
            raise ValidationError(
                f"Order {order.number} is {order.status}: no shipment can be created.",
                code="shipment_not_allowed",
                params={"number": order.number, "status": order.status},
            )
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
                    code="shipment_cancelled",
                    params={"shipment": key, "next_package": package_no + 1},
                )
            return shipment_dto(s, row, order.number)
        if row is not None and row.status != ShipmentStatus.FAILED:
            account = s.get(CarrierAccount, row.carrier_account_id) if row.carrier_account_id else None
            if account is None:
                raise NotFound(
                    f"The carrier account of shipment {key} no longer exists.",
                    code="shipment_account_gone",
                    params={"shipment": key},
                )
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
                        code="carrier_not_chosen",
                        params={"number": order.number},
                    )
                account = find_account(s, code)
            if account.service == "manual":
                raise ValidationError(
                    f"'{account.code}' is a manual carrier: it creates no shipments.",
                    code="manual_carrier",
                    params={"code": account.code},
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
                receiver=receiver_of(s, order),
                parcel=spec,
                currency=order.currency,
            ),
        )
        uow.commit()
    return intent


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
        raise ValidationError("The package number starts at 1.", code="package_number_too_small")
    found = _store_intent(uow, actor, number, carrier, parcel, size, package_no)
    if isinstance(found, ShipmentDTO):
        return found
    intent = found
    with uow:
        engine = engine_of(uow)
    with key_lock(engine, intent.key):
        client = client_factory(intent.service, intent.account_config)
        try:
            shipment = _reach_carrier(uow, intent, client, sleep)
            page = label_page(intent.service, intent.account_config)
            content = client.label(shipment, page)
        except CarrierRejected as exc:
            update_row(uow, intent.row_id, status=ShipmentStatus.FAILED, error=exc.message)
            raise
        except RexbitError as exc:
            update_row(uow, intent.row_id, error=exc.message)
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
        save_label(s, row.id, page, content)
        uow.commit()
    moved = _mark_shipped(uow, actor, intent, workflow or OrderWorkflowService()) if mark_shipped else None
    with uow:
        row = uow.session.get(OrderShipment, intent.row_id)
        assert row is not None
        return shipment_dto(uow.session, row, intent.order_number, moved=moved)


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
            update_row(
                uow,
                intent.row_id,
                meta_update={
                    "attempts": intent.attempts + 1,
                    "first_attempt_at": (intent.first_attempt_at or now).isoformat(),
                },
            )
            shipment = client.create(intent.request)
        update_row(
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
                code="carrier_not_confirmed",
                params={"carrier": client.name, "shipment": shipment.external_id},
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
        update_row(uow, intent.row_id, error=f"The order was not moved to shipped: {exc.message}")
        return None
    if event is not None:
        wf.publish(event)
        return event.to_status
    return None
