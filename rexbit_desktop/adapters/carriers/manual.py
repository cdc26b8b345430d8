"""The manual carrier: today's behaviour. The operator types the tracking number (or none, when the
carrier does not need one); nothing is called."""

from __future__ import annotations

from datetime import date, datetime

from rexbit_desktop.adapters.carriers.base import (
    CarrierShipment,
    PickupPoint,
    Protocol_,
    ShipmentRequest,
    TrackingEvent,
    unsupported,
)
from rexbit_desktop.domain.errors import ValidationError


class ManualClient:
    service = "manual"
    name = "manual"

    def create(self, request: ShipmentRequest) -> CarrierShipment:
        raise ValidationError(
            "A manual carrier creates no shipments.",
            code="manual_carrier",
        )

    def find(self, reference: str, since: datetime) -> CarrierShipment | None:
        return None

    def get(self, external_id: str) -> CarrierShipment:
        raise unsupported("reading a shipment", "A manual carrier")

    def label(self, shipment: CarrierShipment, page_format: str | None = None) -> bytes:
        raise unsupported("labels", "A manual carrier")

    def cancel(self, shipment: CarrierShipment) -> None:
        return None

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        return []

    def pickup_points(self, query: str) -> list[PickupPoint]:
        return []

    def protocol(self, shipments: list[CarrierShipment], day: date) -> Protocol_:
        raise unsupported("a handover protocol", "A manual carrier")

    def close(self) -> None:
        return None
