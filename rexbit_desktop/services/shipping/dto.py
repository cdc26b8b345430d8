"""What the shipping use cases return: shipments, the dialog's defaults, tracking, labels, protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rexbit_desktop.domain.shipping import (
    ParcelPreset,
)


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
