"""Carrier clients: InPost ShipX (REST), DPD Polska (SOAP) and the manual carrier.

Every client offers the same face (``CarrierClient``): create a shipment, find one by our reference
(the idempotency key), read it, its label, cancel it, its tracking events, pickup points, and (DPD) the
handover protocol. Clients know nothing about orders or the database; services/shipping drives them.
"""

from __future__ import annotations

from rexbit_desktop.adapters.carriers.base import (
    CarrierClient,
    CarrierShipment,
    Party,
    PickupPoint,
    ShipmentRequest,
    TrackingEvent,
)

__all__ = ["CarrierClient", "CarrierShipment", "Party", "PickupPoint", "ShipmentRequest", "TrackingEvent"]
