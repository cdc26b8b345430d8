"""Shipping: carrier accounts and the carrier shipments of orders (InPost ShipX, DPD Polska, manual).

Public face: ``save_carrier_account``, ``list_carrier_accounts``, ``shipment_defaults``,
``create_shipment``, ``list_order_shipments``, ``shipment_label``, ``labels_for_orders``,
``track_shipments``, ``handover_protocol``, ``find_pickup_points``.

Rooms: ``accounts`` (carrier accounts), ``defaults`` (what the create dialog starts with, pickup points),
``create`` (creating a shipment: idempotent, resumable), ``labels`` (an order's shipments, label PDFs),
``tracking`` (carriers' events, completing delivered orders), ``protocols`` (DPD handover protocols),
``dto`` (what they return), ``rows`` (shared row helpers and the per-key lock).
"""

from __future__ import annotations

from rexbit_desktop.services.shipping.accounts import (
    CarrierAccountDTO,
    ClientFactory,
    list_carrier_accounts,
    save_carrier_account,
)
from rexbit_desktop.services.shipping.create import create_shipment
from rexbit_desktop.services.shipping.defaults import find_pickup_points, shipment_defaults
from rexbit_desktop.services.shipping.dto import (
    LabelsPdf,
    ProtocolDTO,
    ShipmentDefaults,
    ShipmentDTO,
    TrackingResult,
)
from rexbit_desktop.services.shipping.labels import labels_for_orders, list_order_shipments, shipment_label
from rexbit_desktop.services.shipping.protocols import handover_protocol
from rexbit_desktop.services.shipping.tracking import track_shipments, tracking_actor

__all__ = [
    "CarrierAccountDTO",
    "ClientFactory",
    "LabelsPdf",
    "ProtocolDTO",
    "ShipmentDTO",
    "ShipmentDefaults",
    "TrackingResult",
    "create_shipment",
    "find_pickup_points",
    "handover_protocol",
    "labels_for_orders",
    "list_carrier_accounts",
    "list_order_shipments",
    "save_carrier_account",
    "shipment_defaults",
    "shipment_label",
    "track_shipments",
    "tracking_actor",
]
