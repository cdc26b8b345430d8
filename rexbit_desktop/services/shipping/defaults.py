"""What the "create shipment" dialog starts with, and the parcel lockers it offers as the target point."""

from __future__ import annotations

from sqlalchemy import select

from rexbit_desktop.adapters.carriers.base import (
    Party,
    PickupPoint,
)
from rexbit_desktop.adapters.carriers.config import make_client
from rexbit_desktop.db.models.orders import OrderShipment
from rexbit_desktop.db.session import UnitOfWork
from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.roles import Actor, Permission
from rexbit_desktop.domain.shipping import (
    PRESETS,
    ShipmentStatus,
    carrier_for_delivery,
)
from rexbit_desktop.services.orders.workflow import (
    find_order,
)
from rexbit_desktop.services.shipping.accounts import ClientFactory, enabled_accounts, find_account
from rexbit_desktop.services.shipping.dto import (
    CarrierChoice,
    ShipmentDefaults,
)
from rexbit_desktop.services.shipping.rows import (
    is_cod,
    pickup_hint,
    receiver_of,
)

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
            receiver: Party | None = receiver_of(s, order)
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
            cod=order.total_gross if is_cod(s, order) else None,
            insurance=order.total_gross,
            target_point=pickup_hint(s, order),
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


# ------------------------------------------------------------------ pickup points


def find_pickup_points(
    uow: UnitOfWork, actor: Actor, carrier: str, query: str, *, client_factory: ClientFactory = make_client
) -> list[PickupPoint]:
    """Parcel lockers by code (``KRA010``) or postcode (``31-147``), for the target point."""
    actor.require(Permission.VIEW)
    if len(query.strip()) < 2:
        raise ValidationError(
            "Type at least two characters of a locker code or a postcode.",
            code="point_search_too_short",
            params={"min": 2},
        )
    with uow:
        account = find_account(uow.session, carrier)
        service, config = account.service, dict(account.config)
    client = client_factory(service, config)
    try:
        return client.pickup_points(query)
    finally:
        client.close()
