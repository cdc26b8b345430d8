"""What every carrier client takes and gives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from rexbit_desktop.domain.errors import ValidationError
from rexbit_desktop.domain.shipping import ParcelSpec, ShipmentStatus


@dataclass(frozen=True)
class Party:
    """A sender or receiver."""

    name: str = ""
    company: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "PL"
    phone: str = ""
    email: str = ""

    def street_and_number(self) -> tuple[str, str]:
        """'ul. Długa 12/3' → ('ul. Długa', '12/3'); ShipX wants the building number apart."""
        match = re.match(r"^(.*?)[\s,]+(\d+[A-Za-z]?(?:\s*[/-]\s*\d+[A-Za-z]?)?)\s*$", self.street.strip())
        if match:
            return match.group(1).strip(), match.group(2).replace(" ", "")
        return self.street.strip(), ""

    def first_last(self) -> tuple[str, str]:
        first, _, last = self.name.strip().partition(" ")
        return first, last


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str
    """Our idempotency key (order number + package number): the carrier keeps it with the shipment."""
    order_number: str
    receiver: Party
    parcel: ParcelSpec
    currency: str = "PLN"


@dataclass(frozen=True)
class CarrierShipment:
    """A shipment as the carrier knows it."""

    external_id: str
    carrier_status: str
    confirmed: bool
    """True once the tracking number(s) are known and a label can be printed."""
    tracking_numbers: list[str] = field(default_factory=list)
    reference: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """What a later call needs (DPD: the package id and the parcel ids)."""


@dataclass(frozen=True)
class TrackingEvent:
    carrier_status: str
    status: ShipmentStatus
    occurred_at: datetime
    description: str = ""


@dataclass(frozen=True)
class PickupPoint:
    code: str
    description: str
    street: str
    postcode: str
    city: str
    status: str = ""


@dataclass(frozen=True)
class Protocol_:
    document_id: str
    content: bytes


class CarrierClient(Protocol):
    service: str
    name: str

    def create(self, request: ShipmentRequest) -> CarrierShipment: ...

    def find(self, reference: str, since: datetime) -> CarrierShipment | None: ...

    def get(self, external_id: str) -> CarrierShipment: ...

    def label(self, shipment: CarrierShipment, page_format: str | None = None) -> bytes: ...

    def cancel(self, shipment: CarrierShipment) -> None: ...

    def track(self, tracking_number: str) -> list[TrackingEvent]: ...

    def pickup_points(self, query: str) -> list[PickupPoint]: ...

    def protocol(self, shipments: list[CarrierShipment], day: date) -> Protocol_: ...

    def close(self) -> None: ...


def unsupported(what: str, carrier: str) -> ValidationError:
    return ValidationError(
        f"{carrier} does not offer {what}.",
        code="carrier_unsupported",
        params={"carrier": carrier, "what": what},
    )
