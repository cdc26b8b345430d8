"""What the order use cases return: the detail with its lines, addresses, payments, shipments, history,
reservations, documents and notes; the list's summary row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from rexbit_desktop.services.stock import stock


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
class AutomationStepDTO:
    rule: str
    action: str
    ok: bool
    message: str
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
    automation: list[AutomationStepDTO] = field(default_factory=list)
    """What automation rules did to the order (``order_audit_logs``), oldest first."""


@dataclass(frozen=True)
class PlacedOrderDTO:
    id: int
    number: str
    status: str
    payment_status: str
    fulfillment_status: str
    total_gross: Decimal
